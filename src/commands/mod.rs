//! One function per subcommand: read inputs, call the library, hand results to
//! `report`. Returns the exit status.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command};
use hoist::model::ignore::IgnoreFile;

mod check;
mod demo;
mod fix;
mod git_inputs;
mod impact;
mod measure;
mod parse;
mod replay;
mod timings;
mod verify;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Impact(args) => impact::run(args),
        Command::Measure(args) => measure::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Timings(args) => timings::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Check(args) => check::run(args),
        Command::Fix(args) => fix::run(args),
    }
}

/// `K=V` pairs; a bare `K` takes its value from the environment, as docker does.
pub fn build_args(pairs: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for p in pairs {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            Some(_) => anyhow::bail!("--build-arg {p:?}: the name before `=` is empty"),
            None => {
                if let Ok(v) = std::env::var(p) {
                    out.insert(p.clone(), v);
                }
            }
        }
    }
    Ok(out)
}

/// One Dockerfile's text and ignore file, as of one state of the context.
pub struct Inputs {
    pub dockerfile: Vec<u8>,
    pub ignore: Option<IgnoreFile>,
}

pub fn read_ignore(path: &Path) -> anyhow::Result<Option<IgnoreFile>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            IgnoreFile::parse(&text)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

pub fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

//! One function per subcommand: read inputs, call the library, hand results to
//! `report`. Returns the exit status.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command};
use hoist::model::context;
use hoist::model::ignore::IgnoreFile;

mod check;
mod demo;
mod fix;
mod fix_compare;
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

/// Every Dockerfile directly in the context or one folder down.
pub fn discover_dockerfiles(context_dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(context_dir)
        .with_context(|| format!("cannot list {}", context_dir.display()))?;
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .unwrap_or_default();
    // Show paths as the user would type them from here.
    let shown = |full: &Path| -> std::path::PathBuf {
        match full.strip_prefix(&cwd) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => full.to_path_buf(),
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let full = entry.path();
        if full.is_dir() {
            let inner = full.join("Dockerfile");
            if inner.is_file() && context::is_dockerfile_name(&format!("{name}/Dockerfile")) {
                found.push(shown(&inner));
            }
        } else if context::is_dockerfile_name(&name) {
            found.push(shown(&full));
        }
    }
    found.sort();
    Ok(found)
}

/// `hoist check` / `hoist fix` inputs: the rule names checked against the
/// registry, and PATH arguments expanded (a directory means its Dockerfiles).
/// `Err` carries the usage message (exit 2).
pub fn rule_inputs(
    select: &[String],
    ignore: &[String],
    paths: &[std::path::PathBuf],
) -> Result<Vec<std::path::PathBuf>, String> {
    for name in select.iter().chain(ignore) {
        if name != "all" && hoist::rules::find(name).is_none() {
            let names: Vec<&str> = hoist::rules::RULES.iter().map(|r| r.name).collect();
            return Err(format!(
                "unknown rule {name:?}; the rules are: {}",
                names.join(", ")
            ));
        }
    }
    let paths = if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for p in &paths {
        if p.is_dir() {
            match discover_dockerfiles(p) {
                Ok(found) if found.is_empty() => {
                    return Err(format!(
                        "no Dockerfile in {} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, */Dockerfile)",
                        p.display()
                    ));
                }
                Ok(found) => files.extend(found),
                Err(e) => return Err(format!("{e:#}")),
            }
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

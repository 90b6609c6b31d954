//! One function per subcommand: read inputs, call the library, hand results to
//! `report`. Returns the exit status.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, Format, ParseArgs};
use hoist::report;
use hoist::syntax;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse(args) => parse(args),
    }
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn parse(args: ParseArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let color = std::io::stderr().is_terminal();
    let many = args.files.len() > 1;
    let mut outlines = Vec::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let source = read_input(path)?;
        let file = match syntax::parse(&source) {
            Ok(file) => file,
            Err(err) => {
                failed = true;
                if args.dump {
                    eprintln!("{}", report::diagnostic::one_line(&shown, &err));
                } else {
                    eprintln!(
                        "{}",
                        report::diagnostic::render(&shown, &source, &err, color)
                    );
                }
                continue;
            }
        };
        if !args.dump
            && let Err(err) = syntax::typed::typed(&file)
        {
            failed = true;
            eprintln!(
                "{}",
                report::diagnostic::render(&shown, &source, &err, color)
            );
            continue;
        }
        if args.dump {
            if many {
                writeln!(out, "# {shown}")?;
            }
            writeln!(out, "{}", syntax::dump::dump(&file))?;
            continue;
        }
        outlines.push((shown, file));
    }
    if !args.dump {
        match args.format {
            Format::Text => {
                for (shown, file) in &outlines {
                    write!(out, "{}", report::outline::text(shown, file))?;
                }
            }
            Format::Json => {
                let docs: Vec<_> = outlines
                    .iter()
                    .map(|(shown, file)| report::outline::json(shown, file))
                    .collect();
                serde_json::to_writer_pretty(&mut out, &docs)?;
                writeln!(out)?;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

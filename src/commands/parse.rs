//! `hoist parse`: parse files, check the typed view, print outlines or dumps.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::{Format, ParseArgs};
use hoist::report;
use hoist::syntax;

use super::read_input;

pub fn run(args: ParseArgs) -> anyhow::Result<ExitCode> {
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

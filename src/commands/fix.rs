//! `hoist fix`: apply the cache rules' fixes, as a diff or in place.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::FixArgs;
use hoist::fix::{self, FixError, Options};
use hoist::report;
use hoist::rules::{Applicability, Config};

use super::check::{find_config, repo_root, usage, workflow_facts};

/// `HC001 ×2, HC003`: the codes of the applied fixes, in first-applied order.
fn codes(applied: &[fix::Applied]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for a in applied {
        match counts.iter_mut().find(|(c, _)| *c == a.code) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.code, 1)),
        }
    }
    counts
        .iter()
        .map(|(c, n)| {
            if *n == 1 {
                c.to_string()
            } else {
                format!("{c} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn run(args: FixArgs) -> anyhow::Result<ExitCode> {
    let files = match super::rule_inputs(&args.select, &args.ignore, &args.paths) {
        Ok(files) => files,
        Err(message) => return usage(message),
    };
    let opts = Options {
        unsafe_fixes: args.unsafe_fixes,
    };
    let err_color = std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut configs: BTreeMap<Option<PathBuf>, Config> = BTreeMap::new();
    let mut failed = false;
    let mut would_change = false;
    let mut held_back = 0usize;
    for path in &files {
        let shown = path.display().to_string();
        let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
        let source = match std::fs::read(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {shown}: {e}");
                failed = true;
                continue;
            }
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let config_path = find_config(dir);
        let mut config = match configs.get(&config_path) {
            Some(c) => c.clone(),
            None => {
                let c = match &config_path {
                    None => Config::default(),
                    Some(p) => {
                        let text = std::fs::read_to_string(p).unwrap_or_default();
                        match Config::parse(&text) {
                            Ok(c) => c,
                            Err(e) => {
                                eprintln!("{}:{}: error: {}", p.display(), e.line, e.message);
                                return Ok(ExitCode::from(2));
                            }
                        }
                    }
                };
                configs.insert(config_path.clone(), c.clone());
                c
            }
        };
        if !args.select.is_empty() {
            config.select = args.select.clone();
        }
        config.ignore.extend(args.ignore.iter().cloned());
        let facts = repo_root(dir)
            .map(|root| workflow_facts(&root, path))
            .unwrap_or_default();
        let outcome = match fix::fix_source(&shown, &source, &facts, &config, &opts) {
            Ok(o) => o,
            Err(FixError::Syntax(err)) => {
                eprintln!(
                    "{}",
                    report::diagnostic::render(&shown, &source, &err, err_color)
                );
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("{shown}: error: {e}");
                failed = true;
                continue;
            }
        };
        if !outcome.converged {
            eprintln!(
                "{shown}: warning: fixes were still applicable after {} rounds; the result may not be final",
                outcome.rounds
            );
        }
        held_back += outcome
            .remaining
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| !opts.allows(f) && f.applicability == Applicability::Unsafe)
            })
            .count();
        if !outcome.changed(&source) {
            continue;
        }
        would_change = true;
        let summary = format!(
            "{} ({})",
            plural(outcome.applied.len(), "fix", "fixes"),
            codes(&outcome.applied)
        );
        if args.write {
            if let Err(e) = report::write_atomic(path, &outcome.source) {
                eprintln!("error: cannot write {shown}: {e}");
                failed = true;
                continue;
            }
            writeln!(out, "{shown}: applied {summary}")?;
        } else {
            write!(
                out,
                "{}",
                fix::unified_diff(&shown, &source, &outcome.source)
            )?;
            eprintln!("{shown}: would apply {summary}");
        }
    }
    if held_back > 0 {
        eprintln!(
            "{} not applied: rerun with --unsafe to apply {}",
            plural(held_back, "unsafe fix", "unsafe fixes"),
            if held_back == 1 { "it" } else { "them" }
        );
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if would_change && !args.write {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

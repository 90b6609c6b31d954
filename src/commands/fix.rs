//! `hoist fix`: apply the cache rules' fixes, as a diff or in place.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::cli::FixArgs;
use hoist::fix::{self, FixError, Options};
use hoist::report;
use hoist::rules::Applicability;

use super::check::{Setup, usage};

/// `HC001 ×2, HC003`: the codes of the applied fixes, in first-applied order.
fn codes(applied: &[fix::Applied]) -> String {
    codes_of(applied.iter().map(|a| a.code))
}

/// [`codes`] of a list of codes.
pub(super) fn codes_of<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for code in codes {
        match counts.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => counts.push((code, 1)),
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

/// One Dockerfile and what fixing it gives.
pub(super) struct FixedFile {
    /// The path as shown in messages (no leading `./`).
    pub shown: String,
    pub source: Vec<u8>,
    pub outcome: fix::Outcome,
    /// The Dockerfile's ignore file (which may not exist yet) and its bytes,
    /// when an ignore-file fix changed it.
    pub ignore: Option<IgnoreChange>,
}

pub(super) struct IgnoreChange {
    pub path: std::path::PathBuf,
    pub shown: String,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

/// Why a file could not be fixed: the message, already rendered, and whether
/// it is a configuration error (which stops the whole run).
pub(super) struct FileError {
    pub message: String,
    pub config: bool,
}

/// Reads, checks and fixes one Dockerfile in memory; writes nothing.
pub(super) fn fix_file(
    setup: &mut Setup,
    path: &Path,
    opts: &Options,
    color: bool,
) -> Result<FixedFile, FileError> {
    let shown = path.display().to_string();
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    let fail = |message: String| FileError {
        message,
        config: false,
    };
    let source =
        std::fs::read(path).map_err(|e| fail(format!("error: cannot read {shown}: {e}")))?;
    let config = setup.config(path).map_err(|message| FileError {
        message,
        config: true,
    })?;
    let facts = setup.facts(path, &config);
    let outcome = match fix::fix_source(&shown, &source, &facts, &config, opts) {
        Ok(o) => o,
        Err(FixError::Syntax(err)) => {
            return Err(fail(report::diagnostic::render(
                &shown, &source, &err, color,
            )));
        }
        Err(e) => return Err(fail(format!("{shown}: error: {e}"))),
    };
    let ignore = match (&outcome.ignore, &facts.churn) {
        (Some(after), Some(churn)) => {
            let dir = path.parent().unwrap_or(Path::new(""));
            let path = lexical_clean(&dir.join(&churn.ignore_file));
            let shown = path.display().to_string();
            Some(IgnoreChange {
                shown: shown.strip_prefix("./").unwrap_or(&shown).to_string(),
                path,
                before: churn.ignore_text.clone(),
                after: after.clone(),
            })
        }
        _ => None,
    };
    Ok(FixedFile {
        shown,
        source,
        outcome,
        ignore,
    })
}

/// `docker/../.dockerignore` → `.dockerignore`, without touching the disk.
fn lexical_clean(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return std::path::PathBuf::from(".");
    }
    out.iter().collect()
}

pub fn run(args: FixArgs) -> anyhow::Result<ExitCode> {
    let files = match super::rule_inputs(&args.select, &args.ignore, &args.paths) {
        Ok(files) => files,
        Err(message) => return usage(message),
    };
    let opts = Options {
        unsafe_fixes: args.unsafe_fixes,
    };
    if args.compare {
        return super::fix_compare::run(&args, &files, &opts);
    }
    let err_color = std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut setup = Setup::new(&args.select, &args.ignore);
    let mut failed = false;
    let mut would_change = false;
    let mut held_back = 0usize;
    for path in &files {
        let FixedFile {
            shown,
            source,
            outcome,
            ignore,
        } = match fix_file(&mut setup, path, &opts, err_color) {
            Ok(f) => f,
            Err(e) if e.config => {
                eprintln!("{}", e.message);
                return Ok(ExitCode::from(2));
            }
            Err(e) => {
                eprintln!("{}", e.message);
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
        if !outcome.changed(&source) && ignore.is_none() {
            continue;
        }
        would_change = true;
        let summary = format!(
            "{} ({})",
            plural(outcome.applied.len(), "fix", "fixes"),
            codes(&outcome.applied)
        );
        if args.write {
            if outcome.changed(&source)
                && let Err(e) = report::write_atomic(path, &outcome.source)
            {
                eprintln!("error: cannot write {shown}: {e}");
                failed = true;
                continue;
            }
            if let Some(ig) = &ignore
                && let Err(e) = report::write_atomic(&ig.path, &ig.after)
            {
                eprintln!("error: cannot write {}: {e}", ig.shown);
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
            if let Some(ig) = &ignore {
                write!(
                    out,
                    "{}",
                    fix::unified_diff(&ig.shown, &ig.before, &ig.after)
                )?;
            }
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

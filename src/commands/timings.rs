//! `hoist timings import`: read build logs, map them onto the Dockerfile's
//! steps, append one run per log to the timings store.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Format, TimingsArgs, TimingsCommand, TimingsImportArgs};
use hoist::model::{self, Build, BuildOptions};
use hoist::report;
use hoist::syntax;
use hoist::timing::log::builder_name;
use hoist::timing::mapping::label_platform;
use hoist::timing::store::{self, Run, Store};
use hoist::timing::{BuildLog, LogFormat, Mapping, map_log, parse_log, time};

use super::{build_args, read_input};

pub fn run(args: TimingsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TimingsCommand::Import(args) => import(args),
    }
}

/// One log's outcome.
#[derive(serde::Serialize)]
struct Imported {
    log: String,
    format: LogFormat,
    /// `false` when the same run was already in the store.
    added: bool,
    run: Run,
}

#[derive(serde::Serialize)]
struct Failed {
    log: String,
    line: Option<usize>,
    message: String,
}

#[derive(serde::Serialize)]
struct Report {
    dockerfile: String,
    store: String,
    imported: Vec<Imported>,
    failed: Vec<Failed>,
    runs_in_store: usize,
}

/// A path as the user would type it from here.
fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn load_build(args: &TimingsImportArgs) -> anyhow::Result<Build> {
    let path = args.file.display().to_string();
    let bytes = read_input(&args.file)?;
    let parsed = syntax::parse(&bytes)
        .map_err(|e| anyhow::anyhow!("{}", report::diagnostic::one_line(&path, &e)))?;
    let opts = BuildOptions {
        build_args: build_args(&args.build_args)?,
        target: args.target.clone(),
        platform: None,
    };
    model::build(&parsed, &opts).map_err(|e| match e {
        model::ModelError::Syntax(e) => {
            anyhow::anyhow!("{}", report::diagnostic::one_line(&path, &e))
        }
        other => anyhow::anyhow!("{path}: {other}"),
    })
}

/// When the logged build ran: the first vertex start a rawjson log gives,
/// else when the log file was last written (else now, for standard input).
fn when(log: &BuildLog, path: &Path) -> String {
    let earliest = log
        .vertices
        .iter()
        .filter_map(|v| v.started.as_deref())
        .filter_map(|s| time::parse_rfc3339_nanos(s).map(|ns| (ns, s)))
        .min_by_key(|(ns, _)| *ns);
    if let Some((_, s)) = earliest
        && let Some(t) = time::normalize(s)
    {
        return t;
    }
    if path != Path::new("-")
        && let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified())
    {
        return time::format_rfc3339(modified);
    }
    time::now_rfc3339()
}

fn import(args: TimingsImportArgs) -> anyhow::Result<ExitCode> {
    let build = load_build(&args)?;
    let dockerfile_key;
    let store_path: PathBuf;
    if args.file == Path::new("-") {
        dockerfile_key = "Dockerfile".to_string();
        store_path = args
            .store
            .clone()
            .unwrap_or_else(|| PathBuf::from(store::DEFAULT_PATH));
    } else {
        let located = store::locate(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        dockerfile_key = located.dockerfile;
        store_path = args.store.clone().unwrap_or(located.store);
    }
    let mut store = Store::load(&store_path)?;

    let mut imported = Vec::new();
    let mut failed = Vec::new();
    let mut status = 0u8;
    for path in &args.logs {
        let name = path.display().to_string();
        let bytes = match read_input(path) {
            Ok(b) => b,
            Err(e) => {
                failed.push(Failed {
                    log: name,
                    line: None,
                    message: format!("{e:#}"),
                });
                status = 2;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let log = match parse_log(&text) {
            Ok(log) => log,
            Err(e) => {
                failed.push(Failed {
                    log: name,
                    line: Some(e.line),
                    message: e.message,
                });
                status = status.max(1);
                continue;
            }
        };
        let mapping: Mapping = map_log(&build, &log);
        let mismatch = match mapping.unmatched.first() {
            // Records of another file (or version) would carry wrong lines.
            Some(v) => Some(format!(
                "vertex `{v}` is no step of {}{}: is this the log of another Dockerfile, or of another version of it?",
                args.file.display(),
                match mapping.unmatched.len() {
                    1 => String::new(),
                    n => format!(" (nor are {} more)", n - 1),
                }
            )),
            None if mapping.steps.is_empty() => Some(format!(
                "no vertex of this {} log is a step of {}",
                log.format,
                args.file.display()
            )),
            None => None,
        };
        if let Some(message) = mismatch {
            failed.push(Failed {
                log: name,
                line: None,
                message,
            });
            status = status.max(1);
            continue;
        }
        let run = Run {
            dockerfile: dockerfile_key.clone(),
            when: when(&log, path),
            builder: args.builder.clone().or_else(|| builder_name(&text)),
            platform: label_platform(&log),
            source: format!("import:{name}"),
            steps: store::records(&build, &mapping),
        };
        let added = !store.runs().contains(&run);
        if added {
            store.add_run(run.clone());
        }
        imported.push(Imported {
            log: name,
            format: log.format,
            added,
            run,
        });
    }
    if imported.iter().any(|i| i.added) {
        store.save(&store_path)?;
    }

    let report = Report {
        dockerfile: dockerfile_key,
        store: shown(&store_path),
        imported,
        failed,
        runs_in_store: store.runs().len(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => out.write_all(text(&report).as_bytes())?,
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for f in &report.failed {
        match f.line {
            Some(line) => writeln!(err, "{}:{line}: {}", f.log, f.message)?,
            None => writeln!(err, "{}: {}", f.log, f.message)?,
        }
    }
    Ok(ExitCode::from(status))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn text(report: &Report) -> String {
    let mut s = String::new();
    for i in &report.imported {
        let ran = i.run.steps.iter().filter(|r| !r.cached).count();
        let cached = i.run.steps.len() - ran;
        let _ = writeln!(
            s,
            "{}: {} log, {} steps ({ran} ran, {cached} cached){}{}",
            i.log,
            i.format,
            i.run.steps.len(),
            match &i.run.builder {
                Some(b) => format!(", builder {b}"),
                None => String::new(),
            },
            if i.added {
                String::new()
            } else {
                " — already in the store, not added again".to_string()
            }
        );
        let _ = writeln!(
            s,
            "  {:>5}  {:<12}  {:<48}  {:>8}  result",
            "line", "stage", "step", "seconds"
        );
        for r in &i.run.steps {
            let result = if r.failed {
                "failed"
            } else if r.cached {
                "cached"
            } else {
                "ran"
            };
            let secs = r
                .seconds
                .map(|x| format!("{x:.1}"))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "  {:>5}  {:<12}  {:<48}  {secs:>8}  {result}",
                r.line,
                shorten(&r.stage, 12),
                shorten(&r.instruction, 48),
            );
        }
        if i.format == LogFormat::Legacy {
            let _ = writeln!(s, "  (the legacy builder prints no times: cache hits only)");
        }
    }
    let added = report.imported.iter().filter(|i| i.added).count();
    let _ = writeln!(
        s,
        "{added} of {} logs added to {} ({} runs in the store)",
        report.imported.len() + report.failed.len(),
        report.store,
        report.runs_in_store
    );
    s
}

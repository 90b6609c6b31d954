//! `hoist impact`: model the build before and after a change and predict each step.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::{CacheArg, Format, ImpactArgs};
use hoist::model::{self, BuildOptions, context};
use hoist::predict::{self, CacheMode, ContextChange};
use hoist::report;
use hoist::syntax;

use super::{Inputs, build_args, read_ignore, read_input};

pub fn run(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let context_dir = args.context.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "build context {} cannot be opened: {e}; pass the directory you give `docker build` with --context",
            args.context.display()
        )
    })?;
    if !context_dir.is_dir() {
        anyhow::bail!(
            "build context {} is not a directory",
            args.context.display()
        );
    }
    let files = if args.files.is_empty() {
        let found = super::discover_dockerfiles(&context_dir)?;
        if found.is_empty() {
            anyhow::bail!(
                "no Dockerfile in {} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, */Dockerfile); name one with -f",
                context_dir.display()
            );
        }
        found
    } else {
        args.files.clone()
    };
    let new_args = build_args(&args.build_args)?;
    let mut old_args = new_args.clone();
    old_args.extend(build_args(&args.old_build_args)?);
    let cache = match args.cache {
        CacheArg::Local => CacheMode::Local,
        CacheArg::Max => CacheMode::Max,
        CacheArg::Min => CacheMode::Min,
    };
    let cache_name = format!("{:?}", args.cache).to_lowercase();
    let color = std::io::stdout().is_terminal();
    let context_abs = context_dir.to_string_lossy().into_owned();

    let mut reports = Vec::new();
    let mut failed = false;
    for file in &files {
        let shown = file.display().to_string();
        let abs = if file.is_absolute() {
            file.clone()
        } else {
            std::env::current_dir()?.join(file)
        };
        let ignore_path = model::ignore::ignore_file_for(&abs, &context_dir, &|p| p.is_file());
        let (old_in, new_in, changed) = if let Some(range) = &args.git {
            super::git_inputs::inputs(
                range,
                args.repo.as_deref(),
                &context_dir,
                &abs,
                ignore_path.as_deref(),
            )?
        } else {
            let dockerfile = match read_input(file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    failed = true;
                    continue;
                }
            };
            let ignore = match &ignore_path {
                Some(p) => read_ignore(p)?,
                None => None,
            };
            let mut changed: Vec<String> = Vec::new();
            for p in &args.changed {
                match context::relative_to_context(p, &context_abs) {
                    Some(rel) => changed.push(rel),
                    None => eprintln!(
                        "warning: {p} is outside the build context {context_abs}; a build cannot see it"
                    ),
                }
            }
            let visible =
                context::visible_changes(&changed, ignore.as_ref(), ignore.as_ref(), None);
            let new_in = Inputs {
                dockerfile: dockerfile.clone(),
                ignore: ignore.clone(),
            };
            let old_in = Inputs { dockerfile, ignore };
            (old_in, new_in, visible)
        };
        let _ = (&old_in.ignore, &new_in.ignore);
        let model_of = |bytes: &[u8], build_args| -> Result<model::Build, String> {
            let parsed = syntax::parse(bytes).map_err(|e| {
                report::diagnostic::render(&shown, bytes, &e, std::io::stderr().is_terminal())
            })?;
            let opts = BuildOptions {
                build_args,
                target: args.target.clone(),
                platform: args.platform.clone(),
            };
            model::build(&parsed, &opts).map_err(|e| match e {
                model::ModelError::Syntax(err) => {
                    report::diagnostic::render(&shown, bytes, &err, std::io::stderr().is_terminal())
                }
                other => format!("error: {shown}: {other}"),
            })
        };
        let new_build = match model_of(&new_in.dockerfile, new_args.clone()) {
            Ok(b) => b,
            Err(msg) => {
                eprintln!("{msg}");
                failed = true;
                continue;
            }
        };
        let old_build = match model_of(&old_in.dockerfile, old_args.clone()) {
            Ok(b) => b,
            Err(msg) => {
                eprintln!("{msg} (in the old version)");
                failed = true;
                continue;
            }
        };
        let change = ContextChange { paths: changed };
        let impacts = predict::predict(&predict::Scenario {
            old: &old_build,
            new: &new_build,
            change: &change,
            cache,
            history: None,
        });
        reports.push(report::impact::file_impact(
            &shown,
            &cache_name,
            &new_build,
            &impacts,
        ));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Text => {
            for r in &reports {
                write!(out, "{}", report::impact::text(r, color))?;
            }
        }
        Format::Json => {
            if reports.len() == 1 && files.len() == 1 {
                serde_json::to_writer_pretty(&mut out, &reports[0])?;
            } else {
                serde_json::to_writer_pretty(&mut out, &reports)?;
            }
            writeln!(out)?;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

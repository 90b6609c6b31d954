//! `hoist replay`: replay history with costs and the floor.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CacheArg, Format, ReplayArgs};
use hoist::history::{self, CommitId, Repo};
use hoist::model::context;
use hoist::predict::CacheMode;
use hoist::replay::{self, ArgValue, StepCosts, Target, workflow};
use hoist::report;
use hoist::timing::store::Store;

fn cache_mode(c: CacheArg) -> CacheMode {
    match c {
        CacheArg::Local => CacheMode::Local,
        CacheArg::Max => CacheMode::Max,
        CacheArg::Min => CacheMode::Min,
    }
}

fn arg_values(pairs: &[String]) -> anyhow::Result<Vec<(String, ArgValue)>> {
    pairs
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .with_context(|| format!("--build-arg {p:?}: write it as K=V"))?;
            anyhow::ensure!(
                !k.is_empty(),
                "--build-arg {p:?}: the name before `=` is empty"
            );
            Ok((
                k.to_string(),
                if v.contains("{sha}") {
                    ArgValue::PerCommit(v.to_string())
                } else {
                    ArgValue::Fixed(v.to_string())
                },
            ))
        })
        .collect()
}

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    // Buffered: the JSON of a long replay is tens of megabytes, and a locked
    // stdout is line-buffered (one write per line).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut log = std::io::stderr();
    let code = execute(&args, &mut out, &mut log)?;
    out.flush()?;
    Ok(code)
}

/// The range to replay: (head, stop, limit), after checking it against the
/// history (a shallow clone's boundary, an OLD that is not on NEW's first-parent line).
fn plan_range(
    repo: &Repo,
    args: &ReplayArgs,
    log: &mut dyn Write,
) -> anyhow::Result<(CommitId, Option<CommitId>, Option<usize>)> {
    let (head, mut stop, limit) = match (&args.range, args.count) {
        (Some(range), _) => {
            let (old, new) = history::parse_range(range)?;
            (repo.resolve(&new)?, Some(repo.resolve(&old)?), None)
        }
        (None, n) => (repo.resolve("HEAD")?, None, Some(n.unwrap_or(100))),
    };
    let walk = repo.first_parent_walk(head, stop, limit)?;
    let Some(oldest) = walk.last() else {
        anyhow::bail!(
            "the range {} holds no commits; nothing to replay",
            args.range.as_deref().unwrap_or("")
        );
    };
    match oldest.parent {
        // The walk ended where a parent is missing: a shallow clone's boundary.
        Some(parent) if repo.first_parent_walk(parent, None, Some(1)).is_err() => {
            let shallow = repo
                .workdir()
                .is_some_and(|w| w.join(".git").join("shallow").exists());
            let what = if shallow {
                "is a shallow clone (.git/shallow)"
            } else {
                "is missing commits (a shallow or partial clone)"
            };
            anyhow::ensure!(
                walk.len() > 1,
                "the repository {what}: {} is the oldest commit present, and replaying a commit needs its parent; fetch more history (`git fetch --deepen=N` or `git fetch --unshallow`)",
                oldest.id.short()
            );
            writeln!(
                log,
                "warning: the repository {what}: history ends at {}, so the replay covers the {} commits after it; fetch more with `git fetch --deepen=N` or `git fetch --unshallow`",
                oldest.id.short(),
                walk.len() - 1
            )?;
            stop = Some(oldest.id);
        }
        None if stop.is_some() => {
            writeln!(
                log,
                "warning: the start of the range is not on the first-parent history of its end; replaying back to the first commit ({} commits)",
                walk.len()
            )?;
        }
        _ => {}
    }
    Ok((head, stop, limit))
}

/// Runs a replay: the report goes to `out`; where the images came from, what
/// was assumed and what went wrong go to `log`.
pub fn execute(
    args: &ReplayArgs,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let repo = Repo::open(&args.repo)?;
    let workdir = repo.workdir().unwrap_or_else(|| args.repo.clone());
    let (head, stop, limit) = plan_range(&repo, args, log)?;
    let build_args = arg_values(&args.build_args)?;
    let from_flags = |files: &[String], cache: CacheMode| -> Vec<Target> {
        files
            .iter()
            .map(|f| Target {
                dockerfile: f.trim_start_matches("./").to_string(),
                context: args
                    .context
                    .trim_matches('/')
                    .trim_start_matches("./")
                    .to_string(),
                build_args: build_args.clone(),
                target: None,
                builds_per_commit: args.builds_per_commit.unwrap_or(1).max(1),
                cache,
                source: "command line".into(),
                pinned: None,
            })
            .collect()
    };
    let flag_cache = args.cache.map(cache_mode);
    let targets: Vec<Target> = if !args.files.is_empty() {
        from_flags(&args.files, flag_cache.unwrap_or(CacheMode::Local))
    } else {
        let found = workflow::discover(&repo, head)?;
        for w in &found.warnings {
            writeln!(log, "warning: {w}")?;
        }
        if found.targets.is_empty() {
            let mut files: Vec<String> = repo
                .list_files(head, "")?
                .into_iter()
                .map(|(p, _)| p)
                .filter(|p| context::is_dockerfile_name(p))
                .collect();
            files.sort();
            anyhow::ensure!(
                !files.is_empty(),
                "no image build in .github/workflows and no Dockerfile at the root of the repository at {}; name one with -f",
                head.short()
            );
            if !found.files.is_empty() {
                writeln!(
                    log,
                    "The workflows in {} build no image hoist can read; replaying {}",
                    workflow::WORKFLOW_DIR,
                    files.join(", ")
                )?;
            }
            from_flags(&files, flag_cache.unwrap_or(CacheMode::Local))
        } else {
            writeln!(log, "Images from the CI workflows at {}:", head.short())?;
            let mut targets = found.targets;
            for (t, notes) in targets.iter_mut().zip(&found.notes) {
                writeln!(log, "  {} ({})", t.dockerfile, t.source)?;
                writeln!(log, "    {}", notes.join("; "))?;
                if let Some(c) = flag_cache {
                    t.cache = c;
                }
                if let Some(n) = args.builds_per_commit {
                    t.builds_per_commit = n.max(1);
                }
                for (k, v) in &build_args {
                    match t.build_args.iter_mut().find(|(k2, _)| k2 == k) {
                        Some(slot) => slot.1 = v.clone(),
                        None => t.build_args.push((k.clone(), v.clone())),
                    }
                }
            }
            if flag_cache.is_some() || args.builds_per_commit.is_some() || !build_args.is_empty() {
                writeln!(
                    log,
                    "  (--cache, --builds-per-commit and --build-arg override the workflows)"
                )?;
            }
            writeln!(log)?;
            targets
        }
    };

    let store_path = args
        .timings
        .clone()
        .unwrap_or_else(|| workdir.join(".hoist").join("timings.json"));
    let store = Store::load(&store_path)?;
    let costs: HashMap<String, StepCosts> = targets
        .iter()
        .map(|t| {
            let seconds: StepCosts = store.step_seconds(&t.dockerfile).into_iter().collect();
            (t.dockerfile.clone(), seconds)
        })
        .collect();

    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        b
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let result = replay::replay(
        &repo,
        &replay::ReplayOptions {
            head,
            stop,
            limit,
            targets: &targets,
            costs: &costs,
            progress: &progress,
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Commits that could not be predicted: said once per target, the replay goes on.
    let mut predicted = 0;
    for t in &result.targets {
        let failed: Vec<(usize, &str)> = t
            .costs
            .iter()
            .enumerate()
            .filter_map(|(c, cost)| cost.error.as_deref().map(|e| (c, e)))
            .collect();
        predicted += t.costs.len() - failed.len();
        if failed.is_empty() {
            continue;
        }
        writeln!(
            log,
            "warning: {}: {} of {} commits could not be predicted and count 0 s:",
            t.dockerfile,
            failed.len(),
            t.costs.len()
        )?;
        for (c, e) in failed.iter().take(3) {
            writeln!(log, "  {}: {e}", result.commits[*c].short)?;
        }
        if failed.len() > 3 {
            writeln!(log, "  … and {} more (see --format json)", failed.len() - 3)?;
        }
    }
    anyhow::ensure!(
        predicted > 0,
        "nothing could be replayed: no commit of the range has a Dockerfile hoist could read"
    );
    let summary = replay::summary::summarize(&result);
    match args.format {
        Format::Text => write!(out, "{}", report::replay::text(&result, &summary))?,
        Format::Json => {
            report::replay::write_json(
                &mut *out,
                &report::replay::ReplayDocument {
                    summary: &summary,
                    replay: &result,
                },
            )?;
            writeln!(out)?;
        }
    }
    if let Some(path) = &args.html {
        let page = report::html::page(&result, &summary);
        report::write_atomic(path, page.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(log, "HTML report: {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

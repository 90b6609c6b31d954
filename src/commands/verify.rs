//! `hoist verify --git OLD..NEW`: build every commit of the range on the real
//! engine, in order, and compare each build, step by step, with the prediction.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::VerifyArgs;
use hoist::engine::{self, BuildRequest, CommitState, Docker, Earlier, Tally, TempDir};
use hoist::history::{self, Repo};
use hoist::model::{self, BuildOptions};
use hoist::timing;

use super::build_args;
use super::measure::model_of;

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (old_rev, new_rev) = history::parse_range(&args.git)?;
    let repo = Repo::open(&args.repo)?;
    let old = repo.resolve(&old_rev)?;
    let new = repo.resolve(&new_rev)?;
    let walk = repo.first_parent_walk(new, Some(old), None)?;
    if walk.is_empty() {
        anyhow::bail!(
            "{} is empty: {old_rev} and {new_rev} are the same commit; name an older OLD",
            args.git
        );
    }
    if walk.last().and_then(|c| c.parent) != Some(old) {
        anyhow::bail!(
            "{old_rev} ({}) is not on the first-parent history of {new_rev}; verify builds OLD and then each commit up to NEW, so OLD must be a first-parent ancestor",
            old.short()
        );
    }
    let mut commits = vec![(old, "(the baseline)".to_string())];
    commits.extend(walk.iter().rev().map(|c| (c.id, c.summary.clone())));

    let context = engine::commits::clean_repo_path(&args.context);
    let dockerfile = match &args.file {
        Some(f) => engine::commits::clean_repo_path(f),
        None => engine::commits::clean_repo_path(&format!("{context}/Dockerfile")),
    };
    let opts = BuildOptions {
        build_args: build_args(&args.build_args)?,
        target: args.target.clone(),
        platform: None,
    };

    // Read and model every commit before building anything.
    let mut states = Vec::new();
    let mut builds: Vec<model::Build> = Vec::new();
    for (id, _) in &commits {
        let state = CommitState::read(&repo, *id, &dockerfile, &context)?;
        let shown = format!("{dockerfile} at {}", id.short());
        match model_of(&shown, &state.dockerfile, &opts) {
            Ok(b) => builds.push(b),
            Err(msg) => {
                eprintln!("{msg}");
                return Ok(ExitCode::from(1));
            }
        }
        states.push(state);
    }

    let docker = match Docker::detect(args.builder.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };

    let stdout = std::io::stdout();
    let mut tally = Tally::default();
    let n = commits.len();
    for (k, (id, summary)) in commits.iter().enumerate() {
        let dir = TempDir::new("hoist-verify-").context("cannot create a temporary worktree")?;
        engine::materialize(&repo, *id, dir.path()).with_context(|| {
            format!(
                "cannot write commit {} to {}",
                id.short(),
                dir.path().display()
            )
        })?;
        let ctx = dir.path().join(&context);
        let df = dir.path().join(&dockerfile);
        let req = BuildRequest {
            context: &ctx,
            dockerfile: Some(&df),
            target: args.target.as_deref(),
            build_args: &opts.build_args,
            echo: true,
            timeout: None,
        };
        eprintln!(
            "hoist: building commit {}/{n} {} {summary}",
            k + 1,
            id.short()
        );
        let out = match docker.build(&req) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(1));
            }
        };
        let build = &builds[k];
        let mapping = match timing::parse_log(&out.log) {
            Ok(log) => timing::map_log(build, &log),
            Err(e) => {
                eprintln!(
                    "error: cannot read the progress of the build of {} (line {}): {}",
                    id.short(),
                    e.line,
                    e.message
                );
                return Ok(ExitCode::from(1));
            }
        };
        let mut o = stdout.lock();
        if k == 0 {
            writeln!(
                o,
                "commit 1/{n} {} {summary}: built in {:.1}s (the baseline; not compared)",
                id.short(),
                out.wall.as_secs_f64()
            )?;
        } else {
            let mut earlier = Vec::new();
            for j in 0..k {
                earlier.push(Earlier {
                    build: &builds[j],
                    change: engine::changes_between(&repo, &states[j], &states[k], &context)?,
                    label: format!("commit {}", commits[j].0.short()),
                });
            }
            let impacts = engine::predict_against_earlier(build, &earlier);
            let checks = engine::check(build, &impacts, &mapping);
            let mut this = Tally::default();
            this.add(&checks);
            tally.add(&checks);
            writeln!(
                o,
                "commit {}/{n} {} {summary}: built in {:.1}s, {}",
                k + 1,
                id.short(),
                out.wall.as_secs_f64(),
                this.summary()
            )?;
            write!(o, "{}", engine::report::agreement_table(build, &checks))?;
        }
        if !out.success() {
            writeln!(
                o,
                "commit {} does not build; verify stops here:\n{}",
                id.short(),
                out.tail(15)
            )?;
            return Ok(ExitCode::from(1));
        }
    }
    let mut o = stdout.lock();
    writeln!(
        o,
        "verify {}: {n} commits built; {}",
        args.git,
        tally.summary()
    )?;
    if tally.excluded > 0 {
        writeln!(
            o,
            "FROM steps are not compared: BuildKit reports a local base image as cached or not arbitrarily."
        )?;
    }
    if tally.disagree > 0 {
        writeln!(
            o,
            "{} {} disagree with the prediction.",
            tally.disagree,
            if tally.disagree == 1 { "step" } else { "steps" }
        )?;
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

//! `hoist verify --git OLD..NEW`: build every commit of the range on the real
//! engine, in order, and compare each build, step by step, with the prediction.
//!
//! `hoist verify --fix`: build the Dockerfile as it is and as `hoist fix`
//! would make it, and compare the two images (`engine::image`).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::VerifyArgs;
use hoist::engine::image::{self, Verdict};
use hoist::engine::{self, BuildRequest, CommitState, Docker, Earlier, Tally, TempDir};
use hoist::fix::Options;
use hoist::history::{self, Repo};
use hoist::model::{self, BuildOptions};
use hoist::rules::Applicability;
use hoist::timing;

use super::build_args;
use super::check::{Setup, usage};
use super::fix::{FixedFile, fix_file};
use super::measure::model_of;

/// Differences printed before `... and K more`.
const SHOWN_DIFFERENCES: usize = 50;

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.fix {
        return run_fix(&args);
    }
    let Some(git) = args.git.clone() else {
        return usage(
            "name what to verify: --git OLD..NEW (predictions against the builds of those commits) or --fix (the fixed Dockerfile builds the same image)",
        );
    };
    let (old_rev, new_rev) = history::parse_range(&git)?;
    let repo = Repo::open(&args.repo)?;
    let old = repo.resolve(&old_rev)?;
    let new = repo.resolve(&new_rev)?;
    let walk = repo.first_parent_walk(new, Some(old), None)?;
    if walk.is_empty() {
        anyhow::bail!(
            "{git} is empty: {old_rev} and {new_rev} are the same commit; name an older OLD"
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
    writeln!(o, "verify {git}: {n} commits built; {}", tally.summary())?;
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether two paths name the same file (which need not exist): their
/// directories resolve to the same place and the names are equal.
fn same_file(a: &Path, b: &Path) -> bool {
    let dir = |p: &Path| {
        let d = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        d.canonicalize().unwrap_or_else(|_| d.to_path_buf())
    };
    a.file_name() == b.file_name() && dir(a) == dir(b)
}

/// The ignore file the fixed build must use, written beside the fixed
/// Dockerfile as `Dockerfile.dockerignore` (BuildKit reads
/// `<dockerfile>.dockerignore` beside the Dockerfile before
/// `<context>/.dockerignore`). It is the file the build would read after
/// `hoist fix --write`: the Dockerfile's own ignore file if there is one,
/// else the context's, with the fix's edit if the fix edits that file.
/// `None`: the context's `.dockerignore`, unedited, applies to both builds.
fn fixed_ignore(
    file: &Path,
    context: &Path,
    fixed: &FixedFile,
) -> std::io::Result<Option<Vec<u8>>> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let own = file.with_file_name(format!("{name}.dockerignore"));
    let edited = |p: &Path| {
        fixed
            .ignore
            .as_ref()
            .filter(|ig| same_file(&ig.path, p))
            .map(|ig| ig.after.clone())
    };
    if let Some(after) = edited(&own) {
        return Ok(Some(after));
    }
    if own.is_file() {
        return std::fs::read(&own).map(Some);
    }
    Ok(edited(&context.join(".dockerignore")))
}

fn safety(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    }
}

/// `hoist verify --fix`: the fix computed in memory, both Dockerfiles built,
/// the images compared. Writes none of the user's files.
fn run_fix(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let context = PathBuf::from(&args.context);
    let file = match &args.file {
        Some(f) => PathBuf::from(f),
        None => context.join("Dockerfile"),
    };
    if !context.is_dir() {
        return usage(format!(
            "the build context {} is not a directory (--context DIR)",
            context.display()
        ));
    }
    if file.is_dir() {
        return usage(format!(
            "{} is a directory; name the Dockerfile with -f FILE",
            file.display()
        ));
    }
    if let Err(message) = super::rule_inputs(&args.select, &[], std::slice::from_ref(&file)) {
        return usage(message);
    }
    let build_args = build_args(&args.build_args)?;
    let opts = Options {
        unsafe_fixes: args.unsafe_fixes,
    };
    let mut setup = Setup::new(&args.select, &[]);
    let fixed = match fix_file(&mut setup, &file, &opts, std::io::stderr().is_terminal()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}", e.message);
            return Ok(ExitCode::from(2));
        }
    };
    let shown = fixed.shown.clone();
    let outcome = &fixed.outcome;
    if !outcome.converged {
        eprintln!(
            "{shown}: warning: fixes were still applicable after {} rounds; verifying the result as it stands",
            outcome.rounds
        );
    }
    let held_back = outcome
        .remaining
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| !opts.allows(f) && f.applicability == Applicability::Unsafe)
        })
        .count();
    let held_back_line = (held_back > 0).then(|| {
        format!(
            "{} not applied: rerun with --unsafe to verify {} too",
            plural(held_back, "unsafe fix", "unsafe fixes"),
            if held_back == 1 { "it" } else { "them" }
        )
    });
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if !outcome.changed(&fixed.source) && fixed.ignore.is_none() {
        writeln!(o, "{shown}: nothing to fix, so nothing was built")?;
        if let Some(line) = &held_back_line {
            writeln!(o, "{line}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        o,
        "{shown}: verifying {}",
        plural(outcome.applied.len(), "fix", "fixes")
    )?;
    for a in &outcome.applied {
        writeln!(
            o,
            "  {} {} ({}), line {}: {}",
            a.code,
            a.rule,
            safety(a.applicability),
            a.line,
            a.message
        )?;
    }
    if let Some(ig) = &fixed.ignore {
        writeln!(o, "  (the fixes edit {})", ig.shown)?;
    }
    if let Some(line) = &held_back_line {
        writeln!(o, "  ({line})")?;
    }
    o.flush()?;
    drop(o);

    let docker = match Docker::detect(args.builder.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // The fixed Dockerfile (and its ignore file) in a directory of its own;
    // the context is the user's, unchanged.
    let dir = TempDir::new("hoist-verify-fix-")
        .context("cannot create a temporary directory for the fixed Dockerfile")?;
    let fixed_file = dir.path().join("Dockerfile");
    std::fs::write(&fixed_file, &outcome.source)
        .with_context(|| format!("cannot write {}", fixed_file.display()))?;
    let ignore = fixed_ignore(&file, &context, &fixed)
        .with_context(|| format!("cannot read the ignore file of {shown}"))?;
    if let Some(bytes) = ignore {
        let p = dir.path().join("Dockerfile.dockerignore");
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let current_req = BuildRequest {
        context: &context,
        dockerfile: Some(&file),
        target: args.target.as_deref(),
        build_args: &build_args,
        echo: true,
        timeout: None,
    };
    let fixed_req = BuildRequest {
        dockerfile: Some(&fixed_file),
        ..current_req.clone()
    };
    let mut status = |s: &str| eprintln!("hoist: {s}");
    let cmp = match image::build_and_compare(&docker, &current_req, &fixed_req, &mut status) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };

    let mut unsafe_codes: Vec<&str> = outcome
        .applied
        .iter()
        .filter(|a| a.applicability != Applicability::Safe)
        .map(|a| a.code)
        .collect();
    unsafe_codes.sort_unstable();
    unsafe_codes.dedup();
    let mixed = unsafe_codes.len() < outcome.applied.len();
    let note = |what: &str| -> String {
        if unsafe_codes.is_empty() {
            "note: every applied fix is marked safe, and a safe fix must build the same image: unless the build itself is not reproducible (timestamps, downloads that change), this is a bug in hoist; please report it with this Dockerfile and this output".to_string()
        } else {
            format!(
                "note: {} ({}): an unsafe fix may change the image, and here {what}; review the change before applying it with `hoist fix --unsafe --write`{}",
                if unsafe_codes.len() == 1 {
                    "the applied fix is unsafe"
                } else {
                    "the applied fixes include unsafe ones"
                },
                unsafe_codes.join(", "),
                if mixed {
                    " (run without --unsafe to verify the safe fixes alone)"
                } else {
                    ""
                }
            )
        }
    };
    let mut o = stdout.lock();
    let fixed_out = match (&cmp.verdict, &cmp.fixed) {
        (Verdict::CurrentFailed, _) | (_, None) => {
            eprintln!(
                "error: {shown} does not build as it is, so there is no image to compare a fix with; make it build first (the log's end):\n{}",
                cmp.current.readable_tail(20)
            );
            return Ok(ExitCode::from(2));
        }
        (_, Some(f)) => f,
    };
    match &cmp.verdict {
        Verdict::Compared { paths, differences } => {
            writeln!(
                o,
                "built: current in {:.1}s, fixed in {:.1}s (the fixed build may reuse the current build's cache)",
                cmp.current.wall.as_secs_f64(),
                fixed_out.wall.as_secs_f64()
            )?;
            if differences.is_empty() {
                writeln!(o, "identical: {paths} files, config equal")?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(
                o,
                "the images differ ({}):",
                plural(differences.len(), "difference", "differences")
            )?;
            for d in differences.iter().take(SHOWN_DIFFERENCES) {
                writeln!(o, "  {d}")?;
            }
            if differences.len() > SHOWN_DIFFERENCES {
                writeln!(
                    o,
                    "  ... and {} more",
                    differences.len() - SHOWN_DIFFERENCES
                )?;
            }
            writeln!(o, "{}", note("it does"))?;
        }
        _ => {
            writeln!(
                o,
                "built: current in {:.1}s; the fixed Dockerfile does NOT build ({:.1}s); the log's end:\n{}",
                cmp.current.wall.as_secs_f64(),
                fixed_out.wall.as_secs_f64(),
                fixed_out.readable_tail(20)
            )?;
            writeln!(o, "{}", note("the fixed Dockerfile does not build"))?;
        }
    }
    Ok(ExitCode::from(1))
}

//! `hoist fix --compare`: the proof of a fix's saving. The repository's
//! history is replayed twice, with the Dockerfile (and ignore file) as they
//! are now and as `hoist fix` would leave them, both held constant while the
//! commits change the context; every commit's predicted seconds come from
//! the timings store, as in `hoist replay`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::cli::{FixArgs, Format};
use hoist::fix::Options;
use hoist::history::Repo;
use hoist::model::ignore::IgnoreFile;
use hoist::model::{self, Build, BuildOptions};
use hoist::predict::CacheMode;
use hoist::replay::{self, Pinned, Replay, StepCosts, Target, workflow};
use hoist::timing::store::Store;

use super::check::{Setup, repo_root};
use super::fix::{FixedFile, fix_file};

/// One commit, before and after.
#[derive(Debug, Serialize)]
struct Row {
    commit: String,
    summary: String,
    /// Predicted seconds of all builds of the commit (builds per commit counted).
    current_seconds: f64,
    fixed_seconds: f64,
}

#[derive(Debug, Serialize)]
pub(super) struct Comparison {
    dockerfile: String,
    /// Codes of the applied fixes, in order.
    pub fixes: Vec<String>,
    /// The images the CI builds from it (or one default build).
    targets: Vec<String>,
    commits: Vec<Row>,
    pub current_seconds: f64,
    pub fixed_seconds: f64,
    pub saved_seconds: f64,
    /// Steps of the current Dockerfile with a measured cost, of all its steps.
    measured_steps: usize,
    steps: usize,
}

pub(super) fn run(args: &FixArgs, files: &[PathBuf], opts: &Options) -> anyhow::Result<ExitCode> {
    let mut setup = Setup::new(&args.select, &args.ignore);
    let mut out = std::io::stdout().lock();
    let mut all = Vec::new();
    let mut failed = false;
    for path in files {
        let fixed = match fix_file(&mut setup, path, opts, false) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}", e.message);
                if e.config {
                    return Ok(ExitCode::from(2));
                }
                failed = true;
                continue;
            }
        };
        match compare(path, &fixed, args.count) {
            Ok(Some(c)) => {
                if c.measured_steps == 0 {
                    eprintln!(
                        "warning: {}: no step has a measured cost in the timings store, so every commit counts 0 s; run `hoist measure` (or `hoist timings import` of CI logs) first",
                        c.dockerfile
                    );
                }
                if args.format == Format::Text {
                    write!(out, "{}", text(&c))?;
                }
                all.push(c);
            }
            Ok(None) => eprintln!("{}: nothing to fix, nothing to compare", fixed.shown),
            Err(e) => {
                eprintln!("error: {}: {e:#}", fixed.shown);
                failed = true;
            }
        }
    }
    if args.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The ignore file that applies to `dockerfile` in the working tree.
fn working_ignore(dockerfile: &Path, context: &Path) -> anyhow::Result<Option<IgnoreFile>> {
    let own = PathBuf::from(format!("{}.dockerignore", dockerfile.display()));
    let path = if own.is_file() {
        own
    } else {
        context.join(".dockerignore")
    };
    super::read_ignore(&path)
}

pub(super) fn compare(
    path: &Path,
    fixed: &FixedFile,
    count: usize,
) -> anyhow::Result<Option<Comparison>> {
    if !fixed.outcome.changed(&fixed.source) && fixed.ignore.is_none() {
        return Ok(None);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let root = repo_root(dir).with_context(|| {
        format!(
            "{} is not in a git repository: --compare replays the history of one",
            path.display()
        )
    })?;
    let abs = path.canonicalize()?;
    let rel = abs
        .strip_prefix(&root)
        .context("the Dockerfile is outside its repository")?
        .to_string_lossy()
        .replace('\\', "/");
    let repo = Repo::open(&root)?;
    let head = repo.resolve("HEAD")?;

    // The images the CI builds from this Dockerfile, or one plain build with
    // its directory as the context.
    let found = workflow::discover(&repo, head)?;
    let mut targets: Vec<Target> = found
        .targets
        .into_iter()
        .filter(|t| model::build::clean_path(&t.dockerfile) == rel)
        .collect();
    if targets.is_empty() {
        let context = rel.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        targets.push(Target {
            dockerfile: rel.clone(),
            context,
            build_args: Vec::new(),
            target: None,
            builds_per_commit: 1,
            cache: CacheMode::Local,
            source: "default (no CI workflow builds it)".into(),
            pinned: None,
        });
    }
    let mut now_targets = Vec::new();
    let mut fixed_targets = Vec::new();
    for t in &targets {
        let context = root.join(&t.context);
        let ignore = working_ignore(&abs, &context)?;
        let fixed_ignore = match &fixed.ignore {
            Some(change) => Some(
                IgnoreFile::parse(&String::from_utf8_lossy(&change.after))
                    .map_err(|e| anyhow::anyhow!("{}: {e}", change.shown))?,
            ),
            None => ignore.clone(),
        };
        now_targets.push(Target {
            pinned: Some(Pinned {
                dockerfile: fixed.source.clone(),
                ignore: Some(ignore),
            }),
            ..t.clone()
        });
        fixed_targets.push(Target {
            pinned: Some(Pinned {
                dockerfile: fixed.outcome.source.clone(),
                ignore: Some(fixed_ignore),
            }),
            ..t.clone()
        });
    }

    let store = Store::load(&root.join(".hoist").join("timings.json"))?;
    let now_costs: StepCosts = store.step_seconds(&rel).into_iter().collect();
    let now_build = model_of(&fixed.source)?;
    let fixed_build = model_of(&fixed.outcome.source)?;
    let fixed_costs = carry_costs(&now_costs, &fixed_build);

    let run = |targets: &[Target], costs: &StepCosts| -> anyhow::Result<Replay> {
        let costs: HashMap<String, StepCosts> = [(rel.clone(), costs.clone())].into();
        Ok(replay::replay(
            &repo,
            &replay::ReplayOptions {
                head,
                stop: None,
                limit: Some(count),
                targets,
                costs: &costs,
                progress: &|_, _| {},
            },
        )?)
    };
    let before = run(&now_targets, &now_costs)?;
    let after = run(&fixed_targets, &fixed_costs)?;

    let seconds = |r: &Replay, c: usize| -> f64 {
        r.targets
            .iter()
            .map(|t| t.costs[c].seconds * t.builds_per_commit as f64)
            .sum()
    };
    let mut commits = Vec::new();
    for (c, row) in before.commits.iter().enumerate() {
        commits.push(Row {
            commit: row.short.clone(),
            summary: row.summary.clone(),
            current_seconds: seconds(&before, c),
            fixed_seconds: seconds(&after, c),
        });
    }
    let current_seconds: f64 = commits.iter().map(|r| r.current_seconds).sum();
    let fixed_seconds: f64 = commits.iter().map(|r| r.fixed_seconds).sum();
    let steps = now_build
        .steps
        .iter()
        .filter(|s| now_build.reachable[s.stage])
        .count();
    let measured_steps = now_build
        .steps
        .iter()
        .filter(|s| now_build.reachable[s.stage])
        .filter(|s| {
            now_costs.contains_key(&(
                now_build.stages[s.stage].display_name(),
                s.instruction.clone(),
            ))
        })
        .count();
    Ok(Some(Comparison {
        dockerfile: fixed.shown.clone(),
        fixes: fixed
            .outcome
            .applied
            .iter()
            .map(|a| a.code.to_string())
            .collect(),
        targets: targets
            .iter()
            .map(|t| {
                format!(
                    "{} ({} build{} per commit, {} cache; {})",
                    t.dockerfile,
                    t.builds_per_commit,
                    if t.builds_per_commit == 1 { "" } else { "s" },
                    format!("{:?}", t.cache).to_lowercase(),
                    t.source
                )
            })
            .collect(),
        commits,
        current_seconds,
        fixed_seconds,
        saved_seconds: current_seconds - fixed_seconds,
        measured_steps,
        steps,
    }))
}

fn model_of(source: &[u8]) -> anyhow::Result<Build> {
    let file = hoist::syntax::parse(source)?;
    Ok(model::build(&file, &BuildOptions::default())?)
}

/// The measured costs of the current Dockerfile's steps, keyed for the fixed
/// one: a step keeps its cost where it moved; a stage split by the fix
/// (`build` into `build-base`, `build-<name>` and `build`) hands its steps'
/// costs to the new stages; new steps (`COPY --from`) are unmeasured.
fn carry_costs(now: &StepCosts, fixed: &Build) -> StepCosts {
    let mut out = StepCosts::new();
    for s in &fixed.steps {
        let stage = fixed.stages[s.stage].display_name();
        let key = (stage.clone(), s.instruction.clone());
        if let Some(&v) = now.get(&key) {
            out.insert(key, v);
            continue;
        }
        // Candidates in a stable order (the map's is not): the longest stage
        // name the new one grew from wins (`build-tools` over `build`).
        let mut same: Vec<(&(String, String), &f64)> = now
            .iter()
            .filter(|((_, i), _)| *i == s.instruction)
            .collect();
        same.sort_by(|a, b| b.0.0.len().cmp(&a.0.0.len()).then(a.0.0.cmp(&b.0.0)));
        let from_split = same
            .iter()
            .find(|((st, _), _)| stage.starts_with(&format!("{st}-")));
        if let Some((_, v)) = from_split.or(if same.len() == 1 { same.first() } else { None }) {
            out.insert(key, **v);
        }
    }
    out
}

fn text(c: &Comparison) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{}: the last {} commits, replayed with the Dockerfile as it is and as fixed ({})\n",
        c.dockerfile,
        c.commits.len(),
        super::fix::codes_of(c.fixes.iter().map(String::as_str))
    ));
    for t in &c.targets {
        s.push_str(&format!("  image: {t}\n"));
    }
    s.push_str(&format!(
        "  costs: measured for {} of {} steps (unmeasured steps count 0 s)\n\n",
        c.measured_steps, c.steps
    ));
    s.push_str(&format!(
        "{:<10} {:>10} {:>10} {:>10}  {}\n",
        "commit", "current", "fixed", "saved", "summary"
    ));
    for r in &c.commits {
        let summary: String = r.summary.chars().take(50).collect();
        s.push_str(&format!(
            "{:<10} {:>9.1}s {:>9.1}s {:>9.1}s  {}\n",
            r.commit,
            r.current_seconds,
            r.fixed_seconds,
            r.current_seconds - r.fixed_seconds,
            summary
        ));
    }
    let share = if c.current_seconds > 0.0 {
        100.0 * c.saved_seconds / c.current_seconds
    } else {
        0.0
    };
    s.push_str(&format!(
        "\ntotal over {} commits: current {:.0} s, fixed {:.0} s: saves {:.0} s ({:.1}%), {:.1} min per commit\n",
        c.commits.len(),
        c.current_seconds,
        c.fixed_seconds,
        c.saved_seconds,
        share,
        c.saved_seconds / 60.0 / c.commits.len().max(1) as f64
    ));
    s
}

//! Replaying history: for every commit of a range, what each Dockerfile's build
//! re-ran, what that cost (measured seconds only), and the floor an ideally keyed
//! Dockerfile would have paid.
//!
//! The walk is first-parent (what CI builds on a branch). For each commit the
//! change set comes from a pruned tree diff against its parent (only the
//! Dockerfiles' contexts are descended), the Dockerfile and ignore file are
//! re-read only when the diff touches them, and the prediction is the same as
//! `hoist impact --git parent..commit` with the cache of the chosen mode.

pub mod classify;
pub mod demo;
pub mod summary;
pub mod workflow;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::history::{CommitId, CommitInfo, HistoryError, Repo};
use crate::model::{self, Build, BuildOptions, context, ignore::IgnoreFile};
use crate::predict::{self, CacheMode, ContextChange, Verdict, floor};
use crate::syntax;

pub use classify::ChangeClass;

/// Where a build-arg value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    Fixed(String),
    /// Differs on every commit (`${{ github.sha }}`, a date): the template's
    /// `{sha}` is replaced by the commit id.
    PerCommit(String),
}

/// One image the CI builds: a Dockerfile, its context, its arguments.
#[derive(Debug, Clone)]
pub struct Target {
    /// Repository-relative path of the Dockerfile.
    pub dockerfile: String,
    /// Repository-relative context directory (`""` = the root).
    pub context: String,
    pub build_args: Vec<(String, ArgValue)>,
    pub target: Option<String>,
    /// How many builds of this image CI runs per commit (platforms × matrix).
    pub builds_per_commit: usize,
    pub cache: CacheMode,
    /// Where this target was learnt from (a workflow file, or the command line).
    pub source: String,
}

/// Measured seconds per (stage, instruction) of one Dockerfile.
pub type StepCosts = HashMap<(String, String), f64>;

/// A commit of the replayed range.
#[derive(Debug, Clone, Serialize)]
pub struct CommitRow {
    pub id: String,
    pub short: String,
    pub summary: String,
    pub time: i64,
    pub class: ChangeClass,
    pub changed_paths: usize,
}

/// What one Dockerfile's build did at one commit.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub verdict: Verdict,
    /// Would an ideally keyed Dockerfile re-run it?
    pub necessary: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitCost {
    /// Measured seconds of the steps that re-ran (uncertain steps counted as re-run).
    pub seconds: f64,
    /// Measured seconds of the necessary steps only.
    pub floor_seconds: f64,
    /// Steps that re-ran without a measurement.
    pub unmeasured: usize,
    pub rebuilt: usize,
    pub uncertain: usize,
    /// Why this commit could not be predicted, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A step as identified across commits: its stage and instruction text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct StepId {
    pub stage: String,
    pub instruction: String,
}

/// The replay of one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReplay {
    pub dockerfile: String,
    pub context: String,
    pub builds_per_commit: usize,
    pub cache: String,
    pub source: String,
    /// Rows of the heat map: every step seen in the range, in first-seen order.
    pub steps: Vec<StepId>,
    /// Measured seconds per step (None: unmeasured).
    pub step_seconds: Vec<Option<f64>>,
    /// `cells[c][s]`: what step `s` did at commit `c` (None: not in that commit's build).
    pub cells: Vec<Vec<Option<Cell>>>,
    pub costs: Vec<CommitCost>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub commits: Vec<CommitRow>,
    pub targets: Vec<TargetReplay>,
}

/// Options of a replay.
pub struct ReplayOptions<'a> {
    pub head: CommitId,
    /// Stop before this commit (exclusive), or after `limit` commits.
    pub stop: Option<CommitId>,
    pub limit: Option<usize>,
    pub targets: &'a [Target],
    pub costs: &'a HashMap<String, StepCosts>,
    /// Called after each commit with (done, total), for a progress bar.
    pub progress: &'a dyn Fn(usize, usize),
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("{0}")]
    Nothing(String),
}

struct TargetState {
    build: Option<Build>,
    dockerfile: Option<Vec<u8>>,
    ignore: Option<IgnoreFile>,
    /// Keys of every build so far (a local builder keeps them all, R1.5).
    history: HashSet<u64>,
    rows: HashMap<StepId, usize>,
    steps: Vec<StepId>,
    cells: Vec<Vec<Option<Cell>>>,
    costs: Vec<CommitCost>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn ignore_path_at(
    repo: &Repo,
    commit: CommitId,
    t: &Target,
) -> Result<Option<String>, HistoryError> {
    let own = format!("{}.dockerignore", t.dockerfile);
    if repo.read_file(commit, &own)?.is_some() {
        return Ok(Some(own));
    }
    let ctx = join(&t.context, ".dockerignore");
    Ok(repo.read_file(commit, &ctx)?.map(|_| ctx))
}

fn read_ignore(repo: &Repo, commit: CommitId, t: &Target) -> Result<Option<IgnoreFile>, String> {
    let Some(path) = ignore_path_at(repo, commit, t).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let bytes = repo
        .read_file(commit, &path)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    IgnoreFile::parse(&String::from_utf8_lossy(&bytes))
        .map(Some)
        .map_err(|e| format!("{path}: {e}"))
}

fn args_at(t: &Target, commit: &CommitId) -> std::collections::BTreeMap<String, String> {
    t.build_args
        .iter()
        .map(|(k, v)| {
            let value = match v {
                ArgValue::Fixed(s) => s.clone(),
                ArgValue::PerCommit(template) => template.replace("{sha}", &commit.to_string()),
            };
            (k.clone(), value)
        })
        .collect()
}

fn model_of(
    bytes: &[u8],
    t: &Target,
    args: std::collections::BTreeMap<String, String>,
) -> Result<Build, String> {
    let parsed = syntax::parse(bytes)
        .map_err(|e| format!("{}:{}:{}: {}", t.dockerfile, e.line, e.column, e.message))?;
    model::build(
        &parsed,
        &BuildOptions {
            build_args: args,
            target: t.target.clone(),
            platform: None,
        },
    )
    .map_err(|e| format!("{}: {e}", t.dockerfile))
}

/// Replays the range for every target.
pub fn replay(repo: &Repo, opts: &ReplayOptions) -> Result<Replay, ReplayError> {
    let mut walk = repo.first_parent_walk(opts.head, opts.stop, opts.limit)?;
    walk.reverse(); // oldest first
    if walk.is_empty() {
        return Err(ReplayError::Nothing("the range holds no commits".into()));
    }
    let mut states: Vec<TargetState> = opts
        .targets
        .iter()
        .map(|_| TargetState {
            build: None,
            dockerfile: None,
            ignore: None,
            history: HashSet::new(),
            rows: HashMap::new(),
            steps: Vec::new(),
            cells: Vec::new(),
            costs: Vec::new(),
        })
        .collect();
    let prefixes: Vec<String> = opts.targets.iter().map(|t| t.context.clone()).collect();
    let interesting = |dir: &str| {
        prefixes.iter().any(|p| {
            p.is_empty()
                || dir == p
                || p.starts_with(&format!("{dir}/"))
                || dir.starts_with(&format!("{p}/"))
        }) || opts
            .targets
            .iter()
            .any(|t| t.dockerfile.starts_with(&format!("{dir}/")))
    };
    let mut commits = Vec::with_capacity(walk.len());
    let total = walk.len();
    for (n, info) in walk.iter().enumerate() {
        let CommitInfo {
            id,
            parent,
            time,
            summary,
        } = info.clone();
        let changes = match parent {
            Some(p) => repo.diff_pruned(p, id, &interesting)?,
            None => Vec::new(),
        };
        let paths: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
        let mut dockerfile_only_args = Vec::new();
        for (ti, t) in opts.targets.iter().enumerate() {
            let st = &mut states[ti];
            let df_changed = paths.contains(&t.dockerfile);
            let ig_changed = paths.iter().any(|p| {
                p.ends_with(".dockerignore")
                    && (p.starts_with(&t.dockerfile) || *p == join(&t.context, ".dockerignore"))
            });
            // Baseline: the parent's Dockerfile (first commit of the range).
            if st.dockerfile.is_none() {
                let base = parent.unwrap_or(id);
                st.dockerfile = repo.read_file(base, &t.dockerfile)?;
                st.ignore = read_ignore(repo, base, t).ok().flatten();
                if let Some(bytes) = &st.dockerfile {
                    st.build = model_of(bytes, t, args_at(t, &base)).ok();
                    if let Some(b) = &st.build {
                        st.history
                            .extend(predict::record_set(b, &predict::baseline_keys(b)));
                    }
                }
            }
            let old_ignore = st.ignore.clone();
            let mut new_bytes = st.dockerfile.clone();
            if df_changed || parent.is_none() {
                let bytes = repo.read_file(id, &t.dockerfile)?;
                if let (Some(old), Some(new)) = (&st.dockerfile, &bytes) {
                    dockerfile_only_args.push(classify::only_arg_lines_differ(old, new));
                } else if df_changed {
                    dockerfile_only_args.push(false);
                }
                new_bytes = bytes;
            }
            if ig_changed {
                dockerfile_only_args.push(false);
                st.ignore = read_ignore(repo, id, t).ok().flatten();
            }
            let mut cost = CommitCost {
                seconds: 0.0,
                floor_seconds: 0.0,
                unmeasured: 0,
                rebuilt: 0,
                uncertain: 0,
                error: None,
            };
            let row_cells = match (&new_bytes, &st.build) {
                (None, _) => {
                    cost.error = Some(format!("{} does not exist at {}", t.dockerfile, id.short()));
                    Vec::new()
                }
                (Some(bytes), old_build) => match model_of(bytes, t, args_at(t, &id)) {
                    Err(e) => {
                        // The broken text stays current until a commit fixes it, so
                        // later commits fail too, as CI would; the cache still holds
                        // the last good build.
                        st.dockerfile = new_bytes.clone();
                        cost.error = Some(e);
                        Vec::new()
                    }
                    Ok(new_build) => {
                        let in_ctx: Vec<String> = paths
                            .iter()
                            .filter_map(|p| {
                                if t.context.is_empty() {
                                    Some(p.clone())
                                } else {
                                    p.strip_prefix(&format!("{}/", t.context))
                                        .map(str::to_string)
                                }
                            })
                            .collect();
                        let visible = context::visible_changes(
                            &in_ctx,
                            old_ignore.as_ref(),
                            st.ignore.as_ref(),
                            None,
                        );
                        let change = ContextChange { paths: visible };
                        let baseline = old_build.clone().unwrap_or_else(|| new_build.clone());
                        let impacts = predict::predict(&predict::Scenario {
                            old: &baseline,
                            new: &new_build,
                            change: &change,
                            cache: t.cache,
                            history: (t.cache == CacheMode::Local).then_some(&st.history),
                        });
                        let need = floor::necessary(&new_build, &impacts);
                        let costs = opts.costs.get(&t.dockerfile);
                        let mut cells = Vec::new();
                        for imp in &impacts {
                            let step = &new_build.steps[imp.step];
                            let sid = StepId {
                                stage: new_build.stages[step.stage].display_name(),
                                instruction: step.instruction.clone(),
                            };
                            let row = *st.rows.entry(sid.clone()).or_insert_with(|| {
                                st.steps.push(sid.clone());
                                st.steps.len() - 1
                            });
                            let seconds = costs
                                .and_then(|c| c.get(&(sid.stage.clone(), sid.instruction.clone())))
                                .copied();
                            if imp.verdict != Verdict::Cached {
                                match imp.verdict {
                                    Verdict::Rebuilt => cost.rebuilt += 1,
                                    _ => cost.uncertain += 1,
                                }
                                match seconds {
                                    Some(s) => {
                                        cost.seconds += s;
                                        if need[imp.step] {
                                            cost.floor_seconds += s;
                                        }
                                    }
                                    None => cost.unmeasured += 1,
                                }
                            }
                            cells.push((
                                row,
                                Cell {
                                    verdict: imp.verdict,
                                    necessary: need[imp.step],
                                },
                            ));
                        }
                        if t.cache == CacheMode::Local {
                            let keys = predict::baseline_keys(&new_build);
                            st.history.extend(predict::record_set(&new_build, &keys));
                        }
                        st.build = Some(new_build);
                        st.dockerfile = new_bytes.clone();
                        cells
                    }
                },
            };
            let mut row: Vec<Option<Cell>> = vec![None; st.steps.len()];
            for (r, c) in row_cells {
                row[r] = Some(c);
            }
            st.cells.push(row);
            st.costs.push(cost);
        }
        commits.push(CommitRow {
            id: id.to_string(),
            short: id.short(),
            summary,
            time,
            class: classify::classify(&paths, &dockerfile_only_args),
            changed_paths: paths.len(),
        });
        (opts.progress)(n + 1, total);
    }
    let targets = opts
        .targets
        .iter()
        .zip(states)
        .map(|(t, mut st)| {
            // Rows are in first-seen order; early rows may be absent later.
            let width = st.steps.len();
            for row in &mut st.cells {
                row.resize(width, None);
            }
            let costs = opts.costs.get(&t.dockerfile);
            TargetReplay {
                dockerfile: t.dockerfile.clone(),
                context: t.context.clone(),
                builds_per_commit: t.builds_per_commit,
                cache: format!("{:?}", t.cache).to_lowercase(),
                source: t.source.clone(),
                step_seconds: st
                    .steps
                    .iter()
                    .map(|s| {
                        costs
                            .and_then(|c| c.get(&(s.stage.clone(), s.instruction.clone())))
                            .copied()
                    })
                    .collect(),
                steps: st.steps,
                cells: st.cells,
                costs: st.costs,
            }
        })
        .collect();
    Ok(Replay { commits, targets })
}

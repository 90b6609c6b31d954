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
use crate::model::ignore::{ExclusionCache, IgnoreFile};
use crate::model::{self, Build, BuildOptions, context};
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
    /// Replay this text instead of the repository's Dockerfile at every
    /// commit, and this ignore file when given: the Dockerfile as it is now,
    /// or as `hoist fix` would leave it (`hoist fix --compare`).
    pub pinned: Option<Pinned>,
}

/// A Dockerfile (and ignore file) held constant across a replay.
#[derive(Debug, Clone)]
pub struct Pinned {
    pub dockerfile: Vec<u8>,
    /// `None`: the ignore file of each commit, as usual.
    pub ignore: Option<Option<IgnoreFile>>,
}

impl Target {
    /// The Dockerfile at `commit`.
    fn dockerfile_at(
        &self,
        repo: &Repo,
        commit: CommitId,
    ) -> Result<Option<Vec<u8>>, HistoryError> {
        match &self.pinned {
            Some(p) => Ok(Some(p.dockerfile.clone())),
            None => repo.read_file(commit, &self.dockerfile),
        }
    }
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
    /// Called after each unit of work with (done, total), for a progress bar:
    /// every commit is diffed, then predicted (two units).
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
    /// The last build predicted (the baseline of the next); within an epoch,
    /// the build of the commit that began it.
    build: Option<Build>,
    dockerfile: Option<Vec<u8>>,
    ignore: Option<IgnoreFile>,
    /// Keys of every build so far (a local builder keeps them all, R1.5).
    history: HashSet<u64>,
    rows: HashMap<StepId, usize>,
    steps: Vec<StepId>,
    cells: Vec<Vec<Option<Cell>>>,
    costs: Vec<CommitCost>,
    epoch: Option<Epoch>,
}

/// Stands for the commit id in per-commit build args (see [`Epoch`]).
const PLACEHOLDER: &str = "d3adb33fd3adb33fd3adb33fd3adb33fd3adb33f";

/// What holds while neither a target's Dockerfile nor its ignore file changes:
/// the build is the same at every commit (up to the values of per-commit build
/// args), and so is the prediction for the same set of touched context inputs.
///
/// Why the prediction can be reused: per-commit values are unique to their
/// commit, so the keys that include them never match a record of another build,
/// whatever their text; every other key is the same at every commit of the
/// epoch, and the cache history gains no other keys. The verdicts (and the
/// floor) then depend only on which context inputs of which steps the commit
/// touched. A replay of 10,000 commits thus models and predicts a few hundred
/// times instead of once per commit and target.
///
/// The epoch's first build (`TargetState::build`) stands for the parent of
/// every later commit, as the baseline of its prediction.
struct Epoch {
    /// With per-commit args: the build with [`PLACEHOLDER`] for the commit id,
    /// standing for any later commit of the epoch (its per-commit values differ
    /// from the first build's, and no record of any build holds them).
    next: Option<Build>,
    /// Per step of the build, per context input: its `--exclude` patterns.
    excludes: Vec<Vec<Option<IgnoreFile>>>,
    /// Verdicts of the ignore file on the directories seen so far.
    ignored: ExclusionCache,
    /// Per set of touched inputs (step by step, input by input): cells and cost.
    memo: HashMap<Vec<bool>, Outcome>,
}

/// What a target's build did at one commit: its cells (row, cell) and cost.
type Outcome = (Vec<(usize, Cell)>, CommitCost);

impl Epoch {
    /// The epoch beginning with `build`, modelled from `bytes` at `commit`; or
    /// `None` when the build does not use its per-commit values as opaque text
    /// (then every commit is modelled).
    fn new(bytes: &[u8], t: &Target, build: &Build, commit: &CommitId) -> Option<Epoch> {
        let per_commit = t
            .build_args
            .iter()
            .any(|(_, v)| matches!(v, ArgValue::PerCommit(_)));
        let next = if per_commit {
            let next = model_of(bytes, t, args_with(t, PLACEHOLDER)).ok()?;
            // Opaque: the build is the same with the placeholder in place of the
            // commit id, and no COPY source or exclude holds it (it would select
            // other paths at every commit).
            let id = commit.to_string();
            if format!("{next:?}").replace(PLACEHOLDER, &id) != format!("{build:?}") {
                return None;
            }
            let selects = next.steps.iter().flat_map(|s| &s.context).any(|c| {
                c.source.contains(PLACEHOLDER) || c.exclude.iter().any(|e| e.contains(PLACEHOLDER))
            });
            if selects {
                return None;
            }
            Some(next)
        } else {
            None
        };
        let excludes = build
            .steps
            .iter()
            .map(|s| s.context.iter().map(predict::excludes).collect())
            .collect();
        Some(Epoch {
            next,
            excludes,
            ignored: ExclusionCache::default(),
            memo: HashMap::new(),
        })
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// `path` relative to the context directory `context`, `None` outside it.
fn in_context<'p>(context: &str, path: &'p str) -> Option<&'p str> {
    if context.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(context)?.strip_prefix('/')
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
    if let Some(Pinned {
        ignore: Some(ignore),
        ..
    }) = &t.pinned
    {
        return Ok(ignore.clone());
    }
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

/// The build args with `sha` for the commit id in per-commit values.
fn args_with(t: &Target, sha: &str) -> std::collections::BTreeMap<String, String> {
    t.build_args
        .iter()
        .map(|(k, v)| {
            let value = match v {
                ArgValue::Fixed(s) => s.clone(),
                ArgValue::PerCommit(template) => template.replace("{sha}", sha),
            };
            (k.clone(), value)
        })
        .collect()
}

fn args_at(t: &Target, commit: &CommitId) -> std::collections::BTreeMap<String, String> {
    args_with(t, &commit.to_string())
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

fn no_cost() -> CommitCost {
    CommitCost {
        seconds: 0.0,
        floor_seconds: 0.0,
        unmeasured: 0,
        rebuilt: 0,
        uncertain: 0,
        error: None,
    }
}

impl TargetState {
    fn new() -> TargetState {
        TargetState {
            build: None,
            dockerfile: None,
            ignore: None,
            history: HashSet::new(),
            rows: HashMap::new(),
            steps: Vec::new(),
            cells: Vec::new(),
            costs: Vec::new(),
            epoch: None,
        }
    }

    /// Predicts `new_build` against `baseline`, adds its keys to the history
    /// when `record` (it is a real build, not one with placeholders), and
    /// returns the commit's cells (row, cell) with their cost added to `cost`.
    #[allow(clippy::too_many_arguments)]
    fn predict(
        &mut self,
        t: &Target,
        baseline: &Build,
        new_build: &Build,
        change: &ContextChange,
        costs: Option<&StepCosts>,
        cost: &mut CommitCost,
        record: bool,
    ) -> Vec<(usize, Cell)> {
        let impacts = predict::predict(&predict::Scenario {
            old: baseline,
            new: new_build,
            change,
            cache: t.cache,
            history: (t.cache == CacheMode::Local).then_some(&self.history),
        });
        let need = floor::necessary(new_build, &impacts);
        let mut cells = Vec::with_capacity(impacts.len());
        for imp in &impacts {
            let step = &new_build.steps[imp.step];
            let sid = StepId {
                stage: new_build.stages[step.stage].display_name(),
                instruction: step.instruction.clone(),
            };
            let seconds = costs
                .and_then(|c| c.get(&(sid.stage.clone(), sid.instruction.clone())))
                .copied();
            let row = match self.rows.get(&sid) {
                Some(&row) => row,
                None => {
                    self.steps.push(sid.clone());
                    self.rows.insert(sid, self.steps.len() - 1);
                    self.steps.len() - 1
                }
            };
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
        if record && t.cache == CacheMode::Local {
            let keys = predict::baseline_keys(new_build);
            self.history.extend(predict::record_set(new_build, &keys));
        }
        cells
    }

    /// A commit that changes neither the Dockerfile nor the ignore file, within
    /// an epoch: the prediction for the inputs it touches, computed once.
    fn predict_in_epoch(
        &mut self,
        t: &Target,
        paths: &[String],
        costs: Option<&StepCosts>,
    ) -> Outcome {
        let epoch = self.epoch.as_mut().expect("an epoch");
        let steps = &self.build.as_ref().expect("the epoch's build").steps;
        let mut touched = vec![false; steps.iter().map(|s| s.context.len()).sum()];
        // Changed paths in the context that an input selects (others change
        // no key), unless the ignore file keeps them out of the context.
        let mut visible = Vec::new();
        let mut selecting = Vec::new();
        for p in paths {
            let Some(rel) = in_context(&t.context, p) else {
                continue;
            };
            selecting.clear();
            let mut k = 0;
            for (s, step) in steps.iter().enumerate() {
                for (i, input) in step.context.iter().enumerate() {
                    if !touched[k]
                        && predict::paths::selects(input, rel, epoch.excludes[s][i].as_ref())
                    {
                        selecting.push(k);
                    }
                    k += 1;
                }
            }
            if selecting.is_empty()
                || self
                    .ignore
                    .as_ref()
                    .is_some_and(|ig| ig.is_excluded_cached(rel, &mut epoch.ignored))
            {
                continue;
            }
            visible.push(rel);
            for &k in &selecting {
                touched[k] = true;
            }
        }
        if let Some((cells, cost)) = epoch.memo.get(&touched) {
            return (cells.clone(), cost.clone());
        }
        let mut visible: Vec<String> = visible.into_iter().map(str::to_string).collect();
        visible.sort();
        visible.dedup();
        let change = ContextChange { paths: visible };
        // The keys of these builds are not added to the history: those of
        // `next` hold a placeholder, not a commit id, and the first build's are there.
        let mut cost = no_cost();
        let epoch = self.epoch.take().expect("an epoch");
        let first = self.build.take().expect("the epoch's build");
        let new = epoch.next.as_ref().unwrap_or(&first);
        let cells = self.predict(t, &first, new, &change, costs, &mut cost, false);
        self.build = Some(first);
        self.epoch = Some(epoch);
        let epoch = self.epoch.as_mut().expect("an epoch");
        epoch.memo.insert(touched, (cells.clone(), cost.clone()));
        (cells, cost)
    }
}

/// Replays the range for every target.
pub fn replay(repo: &Repo, opts: &ReplayOptions) -> Result<Replay, ReplayError> {
    let mut walk = repo.first_parent_walk(opts.head, opts.stop, opts.limit)?;
    if walk.is_empty() {
        return Err(ReplayError::Nothing("the range holds no commits".into()));
    }
    let mut states: Vec<TargetState> = opts.targets.iter().map(|_| TargetState::new()).collect();
    let prefixes: Vec<String> = opts.targets.iter().map(|t| t.context.clone()).collect();
    let interesting = |dir: &str| {
        prefixes.iter().any(|p| {
            p.is_empty()
                || dir == p
                || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
                || dir
                    .strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        }) || opts.targets.iter().any(|t| {
            t.dockerfile
                .strip_prefix(dir)
                .is_some_and(|r| r.starts_with('/'))
        })
    };
    let total = walk.len();
    // The change sets first, newest commit first as `git log` reads them: a pack
    // stores older versions of a tree as deltas against newer ones, so this
    // order finds the bases of the next trees in the delta cache (oldest first,
    // every tree is rebuilt from its base again, several times slower).
    let mut changes = Vec::with_capacity(total);
    for (n, info) in walk.iter().enumerate() {
        changes.push(match info.parent {
            Some(p) => repo
                .diff_pruned(p, info.id, &interesting)?
                .into_iter()
                .map(|c| c.path)
                .collect(),
            None => Vec::new(),
        });
        (opts.progress)(n + 1, 2 * total);
    }
    // Then the predictions, oldest first.
    walk.reverse();
    changes.reverse();
    let mut commits = Vec::with_capacity(total);
    for (n, (info, paths)) in walk.into_iter().zip(changes).enumerate() {
        let CommitInfo {
            id,
            parent,
            time,
            summary,
        } = info;
        let paths: Vec<String> = paths;
        let mut dockerfile_only_args = Vec::new();
        for (ti, t) in opts.targets.iter().enumerate() {
            let st = &mut states[ti];
            let costs = opts.costs.get(&t.dockerfile);
            let pinned_ignore = t.pinned.as_ref().is_some_and(|p| p.ignore.is_some());
            let df_changed = t.pinned.is_none() && paths.contains(&t.dockerfile);
            let ig_changed = !pinned_ignore
                && paths.iter().any(|p| {
                    p.ends_with(".dockerignore")
                        && (p.starts_with(&t.dockerfile) || *p == join(&t.context, ".dockerignore"))
                });
            if !df_changed && !ig_changed && parent.is_some() && st.epoch.is_some() {
                let (row_cells, cost) = st.predict_in_epoch(t, &paths, costs);
                let mut row: Vec<Option<Cell>> = vec![None; st.steps.len()];
                for (r, c) in row_cells {
                    row[r] = Some(c);
                }
                st.cells.push(row);
                st.costs.push(cost);
                continue;
            }
            st.epoch = None;
            // Baseline: the parent's Dockerfile (first commit of the range).
            if st.dockerfile.is_none() {
                let base = parent.unwrap_or(id);
                st.dockerfile = t.dockerfile_at(repo, base)?;
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
                let bytes = t.dockerfile_at(repo, id)?;
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
            let mut cost = no_cost();
            let row_cells = match &new_bytes {
                None => {
                    cost.error = Some(format!("{} does not exist at {}", t.dockerfile, id.short()));
                    Vec::new()
                }
                Some(bytes) => match model_of(bytes, t, args_at(t, &id)) {
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
                            .filter_map(|p| in_context(&t.context, p).map(str::to_string))
                            .collect();
                        let visible = context::visible_changes(
                            &in_ctx,
                            old_ignore.as_ref(),
                            st.ignore.as_ref(),
                            None,
                        );
                        let change = ContextChange { paths: visible };
                        let old_build = st.build.take();
                        let baseline = old_build.as_ref().unwrap_or(&new_build);
                        let cells =
                            st.predict(t, baseline, &new_build, &change, costs, &mut cost, true);
                        st.epoch = Epoch::new(bytes, t, &new_build, &id);
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
        (opts.progress)(total + n + 1, 2 * total);
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

//! Prediction: given the build of the old state (the cache) and of the new state
//! (the change), which steps BuildKit takes from cache and which it re-runs, and why.
//!
//! Each step gets a symbolic cache key built the way BuildKit chains keys (R1.3):
//! its own definition, its parent's key (R4.2, R6.1), the content of the context
//! paths it reads (R3.1) and of other stages' outputs it copies (R6.4). A step is
//! cached when its key is among the old build's keys — the cache is a set of
//! records, not "the previous build" (R1.5). Content of another stage's output is
//! known only to be "the same" or "possibly different": a second, optimistic key
//! that assumes unchanged bytes separates `rebuilt` from `uncertain`.

pub mod floor;
pub mod paths;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::Serialize;

use crate::model::ignore::IgnoreFile;
use crate::model::{Build, Component, ContextInput, External, Origin, Step};

/// BuildKit's answer for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Cached,
    /// Depends on bytes hoist cannot know (another stage's output, a download).
    Uncertain,
    Rebuilt,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Cached => "cached",
            Verdict::Uncertain => "uncertain",
            Verdict::Rebuilt => "rebuilt",
        })
    }
}

/// Which cache records the new build can use (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// A builder that keeps every record of earlier builds.
    #[default]
    Local,
    /// CI importing a `mode=max` cache: every stage's layers.
    Max,
    /// CI importing a `mode=min` cache: only the target stage's layers (R10.2, S-19).
    Min,
}

/// Context paths whose bytes, mode or presence differ between the two builds,
/// relative to the context root (files, or directories under which something changed).
#[derive(Debug, Clone, Default)]
pub struct ContextChange {
    pub paths: Vec<String>,
}

/// The prediction for one step of the new build.
#[derive(Debug, Clone, Serialize)]
pub struct StepImpact {
    /// Index into the new build's steps.
    #[serde(skip)]
    pub step: usize,
    pub verdict: Verdict,
    pub reason: String,
    pub inputs_changed: Vec<String>,
    /// The same, as data (for the floor and the rules).
    #[serde(skip)]
    pub own: OwnChanges,
}

/// Which of a step's own inputs changed (not counting its parent).
#[derive(Debug, Clone, Default)]
pub struct OwnChanges {
    /// Not in the old build at this place, or its instruction text changed.
    pub instruction: bool,
    /// Selected context paths changed.
    pub context: bool,
    /// Names of environment variables (ARG or ENV) whose value or presence changed.
    pub vars: Vec<String>,
    /// Another part of the state changed (cwd, user, shell, platform, image config, env order).
    pub state: bool,
}

/// Everything the prediction needs.
pub struct Scenario<'a> {
    pub old: &'a Build,
    pub new: &'a Build,
    pub change: &'a ContextChange,
    pub cache: CacheMode,
    /// Keys of builds before `old` that a local builder still holds (R1.5).
    pub history: Option<&'a HashSet<u64>>,
}

/// Keys of one build's steps.
#[derive(Debug, Clone)]
pub struct Keys {
    pub pessimistic: Vec<u64>,
    pub optimistic: Vec<u64>,
}

fn hash_of(parts: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// Matches stages of two builds: by name, else by index.
fn stage_counterpart(from: &Build, to: &Build, stage: usize) -> Option<usize> {
    let s = &from.stages[stage];
    match &s.name {
        Some(name) => to
            .stages
            .iter()
            .position(|t| t.name.as_deref() == Some(name)),
        None => to
            .stages
            .get(stage)
            .filter(|t| t.name.is_none())
            .map(|t| t.index),
    }
}

/// The old step in the same place (same stage, same position in it).
fn step_counterpart(old: &Build, new: &Build, step: &Step) -> Option<usize> {
    let stage = stage_counterpart(new, old, step.stage)?;
    old.stages[stage].steps.get(step.ordinal).copied()
}

/// The key of the last vertex of a stage (what `COPY --from` copies).
fn stage_final(build: &Build, keys: &[u64], stage: usize) -> u64 {
    match (build.stages[stage].steps.last(), &build.stages[stage].base) {
        (Some(&s), _) => keys[s],
        (None, crate::model::Base::Stage(p)) if *p < stage => stage_final(build, keys, *p),
        (None, crate::model::Base::Image(i)) => hash_of(&("image", i)),
        (None, _) => hash_of(&"scratch"),
    }
}

fn context_id(input: &ContextInput, changed: bool) -> u64 {
    hash_of(&("context", &input.source, &input.exclude, changed))
}

/// The `--exclude` patterns of a COPY/ADD as an ignore file (`None` without any).
pub fn excludes(input: &ContextInput) -> Option<IgnoreFile> {
    if input.exclude.is_empty() {
        None
    } else {
        IgnoreFile::parse(&input.exclude.join("\n")).ok()
    }
}

/// Changed paths a context input selects.
pub fn selected_changes<'c>(input: &ContextInput, change: &'c ContextChange) -> Vec<&'c str> {
    let ex = excludes(input);
    change
        .paths
        .iter()
        .filter(|p| paths::selects(input, p, ex.as_ref()))
        .map(|p| p.as_str())
        .collect()
}

/// Computes the keys of every step of `build`. `changed` says, per step and
/// context input, whether its content differs from the baseline; `baseline`
/// gives the other build for optimistic stage content.
fn compute_keys(
    build: &Build,
    changed: &dyn Fn(&Step, usize) -> bool,
    baseline: Option<(&Build, &Keys)>,
) -> Keys {
    let mut pess = vec![0u64; build.steps.len()];
    let mut opt = vec![0u64; build.steps.len()];
    // Steps are in file order; a stage only copies from stages that come earlier
    // in the file or that are fully computed before (convert.go forbids cycles).
    // Compute stage by stage in dependency order to be safe.
    let order = stage_order(build);
    for stage in order {
        for &i in &build.stages[stage].steps {
            let step = &build.steps[i];
            let defs: Vec<(&str, &str)> = step
                .definition
                .iter()
                .map(|c| (c.name.as_str(), c.value.as_str()))
                .collect();
            // Key parts only older BuildKit versions include: the pessimistic
            // key has this step's, the optimistic one its old counterpart's,
            // so a change to them alone makes the step uncertain.
            let versioned = |s: &Step| -> Vec<(String, String)> {
                s.versioned
                    .iter()
                    .map(|c| (c.name.clone(), c.value.clone()))
                    .collect()
            };
            let kind = format!("{:?}", step.kind);
            let own = hash_of(&(&kind, &defs, versioned(step)));
            let own_o = baseline
                .and_then(|(other, _)| {
                    step_counterpart(other, build, step).map(|o| &other.steps[o])
                })
                .map_or(own, |o| hash_of(&(&kind, &defs, versioned(o))));
            let ctx: Vec<u64> = step
                .context
                .iter()
                .enumerate()
                .map(|(k, input)| context_id(input, changed(step, k)))
                .collect();
            let mut stage_p = Vec::new();
            let mut stage_o = Vec::new();
            for si in &step.stages {
                stage_p.push(hash_of(&(
                    "stage",
                    stage_final(build, &pess, si.stage),
                    &si.path,
                )));
                let optimistic = baseline.and_then(|(other, other_keys)| {
                    let s = stage_counterpart(build, other, si.stage)?;
                    Some(hash_of(&(
                        "stage",
                        stage_final(other, &other_keys.pessimistic, s),
                        &si.path,
                    )))
                });
                stage_o.push(optimistic.unwrap_or_else(|| {
                    hash_of(&("stage", stage_final(build, &opt, si.stage), &si.path))
                }));
            }
            let (pp, po) = match step.parent {
                Some(p) => (pess[p], opt[p]),
                None => (0, 0),
            };
            pess[i] = hash_of(&(own, pp, &ctx, &stage_p));
            opt[i] = hash_of(&(own_o, po, &ctx, &stage_o));
        }
    }
    Keys {
        pessimistic: pess,
        optimistic: opt,
    }
}

/// Stages ordered so that every stage comes after those it depends on.
fn stage_order(build: &Build) -> Vec<usize> {
    let n = build.stages.len();
    let mut done = vec![false; n];
    let mut order = Vec::new();
    fn visit(b: &Build, s: usize, done: &mut [bool], onstack: &mut [bool], order: &mut Vec<usize>) {
        if done[s] || onstack[s] {
            return;
        }
        onstack[s] = true;
        for &d in &b.stages[s].deps {
            if d < b.stages.len() {
                visit(b, d, done, onstack, order);
            }
        }
        onstack[s] = false;
        done[s] = true;
        order.push(s);
    }
    let mut onstack = vec![false; n];
    for s in 0..n {
        visit(build, s, &mut done, &mut onstack, &mut order);
    }
    order
}

/// Keys of the baseline build: nothing in it differs from itself.
pub fn baseline_keys(build: &Build) -> Keys {
    compute_keys(build, &|_, _| false, None)
}

/// Keys a cache holds after `build` ran: the steps of its reachable stages.
pub fn record_set(build: &Build, keys: &Keys) -> HashSet<u64> {
    build
        .steps
        .iter()
        .filter(|s| build.reachable[s.stage])
        .map(|s| keys.pessimistic[s.index])
        .collect()
}

fn describe_component(c: &Component, old: Option<&Component>) -> String {
    match (&c.origin, old) {
        (Origin::Arg { name, line }, Some(_)) => {
            format!("build arg {name} changed (declared line {line})")
        }
        (Origin::Arg { name, line }, None) => {
            format!("build arg {name} is now set (declared line {line})")
        }
        (Origin::Env { name, line }, _) => format!("ENV {name} changed (line {line})"),
        (Origin::Workdir { line: Some(line) }, _) => {
            format!("working directory changed (WORKDIR line {line})")
        }
        (Origin::User { line }, _) => format!("user changed (USER line {line})"),
        (Origin::Shell { line: Some(line) }, _) => format!("shell changed (SHELL line {line})"),
        (Origin::Image, _) => "base image changed".to_string(),
        (Origin::Build, _) if c.name == "platform" => format!("platform changed to {}", c.value),
        (Origin::Build, _) => format!("{} changed", c.name),
        _ => format!("{} changed", c.name),
    }
}

/// Why a step's own definition differs from its old counterpart's, in order.
fn definition_changes(step: &Step, old: &Step) -> Vec<String> {
    let mut out = Vec::new();
    let own = |s: &Step| -> Vec<(String, String)> {
        s.definition
            .iter()
            .filter(|c| c.origin == Origin::Instruction)
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    };
    let image = |s: &Step| {
        s.definition
            .iter()
            .find(|c| c.name == "image")
            .map(|c| c.value.clone())
    };
    if step.kind == crate::model::StepKind::From
        && old.kind == step.kind
        && image(step) != image(old)
    {
        out.push(format!(
            "base image changed: {} → {}",
            image(old).unwrap_or_default(),
            image(step).unwrap_or_default()
        ));
    } else if step.kind != old.kind || own(step) != own(old) {
        out.push(if step.instruction != old.instruction {
            format!("instruction changed (was `{}`)", old.instruction)
        } else {
            "instruction changed".to_string()
        });
    }
    let old_by_name: HashMap<&str, &Component> = old
        .definition
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for c in step
        .definition
        .iter()
        .filter(|c| c.origin != Origin::Instruction)
    {
        match old_by_name.get(c.name.as_str()) {
            Some(o) if o.value == c.value => {}
            other => out.push(describe_component(c, other.copied())),
        }
    }
    let new_names: BTreeSet<&str> = step.definition.iter().map(|c| c.name.as_str()).collect();
    for c in old
        .definition
        .iter()
        .filter(|c| c.origin != Origin::Instruction)
    {
        if !new_names.contains(c.name.as_str()) {
            out.push(match &c.origin {
                Origin::Arg { name, .. } => format!("build arg {name} is no longer set"),
                Origin::Env { name, .. } => format!("ENV {name} removed"),
                _ => format!("{} removed", c.name),
            });
        }
    }
    // Env order counts even when no value changed (S-9).
    if out.is_empty() {
        let env = |s: &Step| -> Vec<String> {
            s.definition
                .iter()
                .filter(|c| c.name.starts_with("env "))
                .map(|c| c.name.clone())
                .collect()
        };
        if env(step) != env(old) {
            out.push("order of environment variables changed".to_string());
        }
    }
    out
}

/// (instruction text changed, changed variable names, other state changed).
fn changed_parts(step: &Step, old: &Step) -> (bool, Vec<String>, bool) {
    let own = |s: &Step| -> Vec<(String, String)> {
        s.definition
            .iter()
            .filter(|c| c.origin == Origin::Instruction)
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    };
    let text = step.kind != old.kind || own(step) != own(old);
    let var_name = |c: &Component| match &c.origin {
        Origin::Arg { name, .. } | Origin::Env { name, .. } => Some(name.clone()),
        _ => None,
    };
    let old_by_name: HashMap<&str, &Component> = old
        .definition
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let new_by_name: HashMap<&str, &Component> = step
        .definition
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut vars = Vec::new();
    let mut state = false;
    for c in step
        .definition
        .iter()
        .filter(|c| c.origin != Origin::Instruction)
    {
        let same = old_by_name
            .get(c.name.as_str())
            .is_some_and(|o| o.value == c.value);
        if !same {
            match var_name(c) {
                Some(n) => vars.push(n),
                None => state = true,
            }
        }
    }
    for c in old
        .definition
        .iter()
        .filter(|c| c.origin != Origin::Instruction)
    {
        if !new_by_name.contains_key(c.name.as_str()) {
            match var_name(c) {
                Some(n) => vars.push(n),
                None => state = true,
            }
        }
    }
    (text, vars, state)
}

fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

fn list_paths(paths: &[&str]) -> String {
    let shown: Vec<&str> = paths.iter().take(3).copied().collect();
    let more = paths.len().saturating_sub(3);
    let mut s = shown.join(", ");
    if more > 0 {
        s.push_str(&format!(", and {more} more"));
    }
    s
}

/// Predicts every reachable step of the new build.
pub fn predict(sc: &Scenario) -> Vec<StepImpact> {
    let (old, new) = (sc.old, sc.new);
    let old_keys = baseline_keys(old);
    let records = record_set(old, &old_keys);
    // Earlier builds a local builder still holds (R1.5); looked up in place, not
    // copied, so a long replay stays linear.
    let history = match (sc.cache, sc.history) {
        (CacheMode::Local, Some(h)) => Some(h),
        _ => None,
    };
    let selections: Vec<Vec<Vec<&str>>> = new
        .steps
        .iter()
        .map(|s| {
            s.context
                .iter()
                .map(|c| selected_changes(c, sc.change))
                .collect()
        })
        .collect();
    let new_keys = compute_keys(
        new,
        &|s, k| !selections[s.index][k].is_empty(),
        Some((old, &old_keys)),
    );

    let mut out: Vec<Option<StepImpact>> = vec![None; new.steps.len()];
    // For a step that re-runs only because of its parent: the step where that starts.
    let mut roots: Vec<Option<usize>> = vec![None; new.steps.len()];
    for stage in stage_order(new) {
        if !new.reachable[stage] {
            continue;
        }
        for &i in &new.stages[stage].steps {
            let step = &new.steps[i];
            let counterpart = step_counterpart(old, new, step).map(|o| &old.steps[o]);
            let mut inputs = Vec::new();
            let mut own = OwnChanges::default();
            // The step's own inputs, in the order a user thinks of them.
            match counterpart {
                None => {
                    own.instruction = true;
                    inputs.push("new step (not in the old build)".to_string());
                }
                Some(o) => {
                    let (text, vars, state) = changed_parts(step, o);
                    own.instruction = text;
                    own.vars = vars;
                    own.state = state;
                    inputs.extend(definition_changes(step, o));
                }
            }
            for (k, c) in step.context.iter().enumerate() {
                let sel = &selections[i][k];
                if sel.is_empty() {
                    continue;
                }
                own.context = true;
                if sel.len() == 1 && sel[0] == c.source {
                    inputs.push(format!("{} changed", c.source));
                } else {
                    let what = if c.source == "." {
                        "in the context".to_string()
                    } else if c.source.contains(['*', '?', '[']) {
                        format!("matching {}", c.source)
                    } else {
                        format!("under {}/", c.source.trim_end_matches('/'))
                    };
                    inputs.push(format!(
                        "{} changed {} {what}: {}",
                        sel.len(),
                        if sel.len() == 1 { "file" } else { "files" },
                        list_paths(sel)
                    ));
                }
            }
            let mut stage_uncertain = Vec::new();
            for si in &step.stages {
                let src = &new.stages[si.stage];
                let rebuilt = src.steps.iter().any(|&s| {
                    out[s]
                        .as_ref()
                        .is_some_and(|x| x.verdict != Verdict::Cached)
                });
                if rebuilt {
                    stage_uncertain.push(format!(
                        "re-runs unless stage {}'s {} bytes are identical (that stage re-runs)",
                        src.display_name(),
                        si.path
                    ));
                }
            }
            let mut external_uncertain = Vec::new();
            for e in &step.external {
                match e {
                    External::Url(u) => external_uncertain.push(format!(
                        "downloads {u} on every build without --checksum: cached only if the server returns the same file"
                    )),
                    External::Git(g) => external_uncertain.push(format!(
                        "resolves {g} on every build: cached only if the ref still points to the same commit"
                    )),
                    _ => {}
                }
            }
            let mut version_uncertain = Vec::new();
            if let Some(o) = counterpart {
                for c in &step.versioned {
                    let before = o.versioned.iter().find(|x| x.name == c.name);
                    if before.is_none_or(|b| b.value != c.value) {
                        version_uncertain.push(match before {
                            Some(b) => format!(
                                "{} changed from `{}` to `{}`: whether that re-runs the step depends on the BuildKit version",
                                c.name, b.value, c.value
                            ),
                            None => format!(
                                "{} is now `{}`: whether that re-runs the step depends on the BuildKit version",
                                c.name, c.value
                            ),
                        });
                    }
                }
                for b in &o.versioned {
                    if !step.versioned.iter().any(|c| c.name == b.name) {
                        version_uncertain.push(format!(
                            "{} was `{}` and is no longer set: whether that re-runs the step depends on the BuildKit version",
                            b.name, b.value
                        ));
                    }
                }
            }
            let parent = step.parent.and_then(|p| out[p].clone());
            let key_in = |k: u64| records.contains(&k) || history.is_some_and(|h| h.contains(&k));
            let mut verdict = if key_in(new_keys.pessimistic[i]) {
                Verdict::Cached
            } else if key_in(new_keys.optimistic[i]) {
                Verdict::Uncertain
            } else {
                Verdict::Rebuilt
            };
            if verdict == Verdict::Cached && !external_uncertain.is_empty() {
                verdict = Verdict::Uncertain;
            }
            if verdict == Verdict::Cached
                && parent
                    .as_ref()
                    .is_some_and(|p| p.verdict == Verdict::Uncertain)
            {
                verdict = Verdict::Uncertain;
            }
            // Name the step where the re-run starts, not just the previous one.
            let parent_reason = step.parent.map(|p| {
                let root = roots[p].unwrap_or(p);
                let rs = &new.steps[root];
                format!(
                    "follows `{}` (line {}), which {}",
                    shorten(&rs.instruction, 48),
                    rs.line,
                    match parent.as_ref().map(|x| x.verdict) {
                        Some(Verdict::Rebuilt) => "re-runs",
                        _ => "may re-run",
                    }
                )
            });
            let reason = match verdict {
                Verdict::Cached => {
                    if inputs.is_empty() || counterpart.is_none() {
                        match step.external.first() {
                            Some(External::ImageTag(t))
                                if step.kind == crate::model::StepKind::From =>
                            {
                                format!(
                                    "inputs unchanged (assumes tag {t} still names the same image)"
                                )
                            }
                            _ if counterpart.is_none() => {
                                "matches a cache record of the old build".to_string()
                            }
                            _ => "inputs unchanged".to_string(),
                        }
                    } else {
                        format!("matches an earlier cache record although {}", inputs[0])
                    }
                }
                Verdict::Uncertain => stage_uncertain
                    .first()
                    .or(external_uncertain.first())
                    .or(version_uncertain.first())
                    .cloned()
                    .or_else(|| parent_reason.clone())
                    .unwrap_or_else(|| "depends on bytes hoist cannot see".into()),
                Verdict::Rebuilt => inputs
                    .first()
                    .cloned()
                    .or_else(|| parent_reason.clone())
                    .unwrap_or_else(|| "no cache record matches".into()),
            };
            let own_reason =
                !inputs.is_empty() || !stage_uncertain.is_empty() || !external_uncertain.is_empty();
            let mut inputs_changed = inputs;
            inputs_changed.extend(stage_uncertain);
            inputs_changed.extend(external_uncertain);
            inputs_changed.extend(version_uncertain);
            if parent
                .as_ref()
                .is_some_and(|p| p.verdict != Verdict::Cached)
                && let Some(pr) = parent_reason
            {
                inputs_changed.push(pr);
            }
            if verdict == Verdict::Cached {
                inputs_changed.clear();
            }
            roots[i] = match (verdict, own_reason, step.parent) {
                (Verdict::Cached, _, _) | (_, true, _) | (_, _, None) => None,
                (_, false, Some(p)) => Some(roots[p].unwrap_or(p)),
            };
            out[i] = Some(StepImpact {
                step: i,
                verdict,
                reason,
                inputs_changed,
                own,
            });
        }
    }

    // R10.2: with a min-mode cache a stage outside the target chain has no
    // layers to resume from: if anything in it re-runs, all of it does.
    if sc.cache == CacheMode::Min {
        for (s, stage) in new.stages.iter().enumerate() {
            if !new.reachable[s] || new.target_chain[s] {
                continue;
            }
            let first_miss = stage
                .steps
                .iter()
                .find(|&&i| {
                    out[i]
                        .as_ref()
                        .is_some_and(|x| x.verdict != Verdict::Cached)
                })
                .copied();
            if let Some(m) = first_miss {
                let cause = new.steps[m].line;
                for &i in &stage.steps {
                    if let Some(x) = out[i].as_mut()
                        && x.verdict == Verdict::Cached
                    {
                        x.verdict = Verdict::Rebuilt;
                        x.reason = format!(
                            "mode=min cache keeps no layers of stage {}: it re-runs from FROM because line {cause} changes",
                            stage.display_name()
                        );
                        x.inputs_changed = vec![x.reason.clone()];
                    }
                }
            }
        }
    }
    out.into_iter().flatten().collect()
}

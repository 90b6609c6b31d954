//! The image builds a repository's CI runs, read from its GitHub Actions
//! workflows (`.github/workflows/*.yml|*.yaml`).
//!
//! Two kinds of steps build images:
//! - `docker/build-push-action` (`with:` `file`, `context`, `build-args`,
//!   `platforms`, `target`, `cache-to`, `cache-from`, `no-cache`);
//! - `docker build` / `docker buildx build` / `docker image build` in a `run:`
//!   script (`-f`, the context argument, `--build-arg`, `--platform`, `--target`,
//!   `--cache-to`, `--cache-from`, `--no-cache`).
//!
//! Values are evaluated as far as a replay needs:
//! - `${{ github.sha }}`, `github.run_id`, `github.run_number`, `github.run_attempt`,
//!   `steps.*.outputs.*`, `needs.*.outputs.*`, the head commit's fields, and in
//!   scripts `$GITHUB_SHA`, `$(git rev-parse …)`, `$(git describe …)`, `$(date …)`
//!   differ on every commit: the expression is replaced by `{sha}` and the build
//!   arg becomes [`ArgValue::PerCommit`];
//! - `${{ matrix.X }}` takes each value of the job's `strategy.matrix` (with
//!   `include` and `exclude` as GitHub applies them);
//! - `${{ env.X }}` and `$X` are looked up in the step's, the job's and the
//!   workflow's `env`;
//! - anything else (`vars.X`, `secrets.X`, `github.ref_name`, `inputs.X`) is the
//!   same on every commit of a branch and is kept as written.
//!
//! **Matrix.** Every combination of the matrix is evaluated. Combinations that
//! build the same Dockerfile, context and target with the same cache mode, and
//! whose build args differ only in fixed values (e.g. `DUCKDB_VERSION=${{ matrix.duckdb }}`),
//! behave the same way over history — the values do not change from one commit to
//! the next, so every variant re-runs the same steps — and are one [`Target`] whose
//! `builds_per_commit` is the sum, over the combinations, of their platform counts.
//! Combinations that build a different Dockerfile, context or target, or whose
//! per-commit args differ, are separate targets.
//!
//! **Cache.** `cache-to` with `mode=max` → [`CacheMode::Max`]; `mode=min`, no
//! mode (BuildKit's default is min) or `type=inline` → [`CacheMode::Min`]; only
//! a `cache-from` → `Min` with a note; neither on a self-hosted runner →
//! [`CacheMode::Local`] (a builder that keeps its cache) with a note; neither on
//! a GitHub-hosted (ephemeral) runner, or `no-cache` → every step re-runs, which
//! hoist has no mode for yet: `Min`, with a warning that the figures are optimistic.
//!
//! Nothing here is fatal: a file that cannot be read or is not a workflow is
//! reported in [`Discovery::warnings`] and skipped.

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

use super::{ArgValue, Target};
use crate::history::{CommitId, HistoryError, Repo};
use crate::predict::CacheMode;

/// Where GitHub reads workflows from (not recursive).
pub const WORKFLOW_DIR: &str = ".github/workflows";

/// Stand-in for a value that changes on every commit (replaced by the commit id).
const SHA: &str = "{sha}";

/// A matrix with more combinations than this is not expanded (GitHub's own limit is 256).
const MAX_COMBINATIONS: usize = 256;

/// What the workflows of one commit say about image builds.
#[derive(Debug, Default)]
pub struct Discovery {
    /// One per distinct image build, in workflow, job and step order.
    pub targets: Vec<Target>,
    /// Per target, what the user should know about how it was read (cache
    /// assumptions). Same length as `targets`.
    pub notes: Vec<Vec<String>>,
    /// Files that could not be read, builds that could not be understood.
    pub warnings: Vec<String>,
    /// Workflow files that were read.
    pub files: Vec<String>,
}

/// What one workflow file holds.
#[derive(Debug, Default)]
pub struct Parsed {
    pub targets: Vec<Target>,
    pub notes: Vec<Vec<String>>,
    pub warnings: Vec<String>,
}

/// Reads every workflow of `commit` and returns the image builds they run on every
/// commit. Targets whose Dockerfile does not exist at `commit` are dropped with a
/// warning. Only errors reading the repository itself are returned as `Err`.
pub fn discover(repo: &Repo, commit: CommitId) -> Result<Discovery, HistoryError> {
    let mut out = Discovery::default();
    let files = repo.list_files(commit, WORKFLOW_DIR)?;
    for (path, _) in files {
        let Some(name) = path.strip_prefix(&format!("{WORKFLOW_DIR}/")) else {
            continue;
        };
        if name.contains('/') || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let Some(bytes) = repo.read_file(commit, &path)? else {
            continue;
        };
        out.files.push(path.clone());
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                out.warnings
                    .push(format!("{path}: not UTF-8 text; this workflow is skipped"));
                continue;
            }
        };
        match parse_workflow(&path, &text) {
            Err(message) => out
                .warnings
                .push(format!("{path}: {message}; this workflow is skipped")),
            Ok(parsed) => {
                out.warnings.extend(parsed.warnings);
                for (t, notes) in parsed.targets.into_iter().zip(parsed.notes) {
                    if repo.read_file(commit, &t.dockerfile)?.is_none() {
                        out.warnings.push(format!(
                            "{}: builds {}, which does not exist at {}; that build is skipped",
                            t.source,
                            t.dockerfile,
                            commit.short()
                        ));
                        continue;
                    }
                    out.targets.push(t);
                    out.notes.push(notes);
                }
            }
        }
    }
    Ok(out)
}

/// One image build found in a step, for one matrix combination.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    dockerfile: String,
    context: String,
    target: Option<String>,
    args: Vec<(String, String)>,
    platforms: usize,
    cache: CacheMode,
    notes: Vec<String>,
    /// The `cache-to` text after evaluation, to spot variants that overwrite each other.
    cache_to: String,
}

/// Parses one workflow file. `Err` when it is not YAML or not a workflow.
pub fn parse_workflow(path: &str, text: &str) -> Result<Parsed, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let Some(doc) = docs.into_iter().next() else {
        return Err("the file is empty".into());
    };
    if doc.as_hash().is_none() {
        return Err("not a workflow (the top level is not a mapping)".into());
    }
    let Some(jobs) = doc["jobs"].as_hash() else {
        return Err("not a workflow (no `jobs:` mapping)".into());
    };
    let mut out = Parsed::default();
    match triggers(&doc["on"]) {
        Trigger::PerCommit { filtered } => {
            if filtered {
                out.warnings.push(format!(
                    "{path}: `on:` filters by path; hoist replays every commit, including those the filter would skip"
                ));
            }
        }
        Trigger::Other(events) => {
            out.warnings.push(format!(
                "{path}: runs on {events} only, not on every commit; its builds are not replayed"
            ));
            return Ok(out);
        }
        Trigger::Missing => return Err("not a workflow (no `on:` trigger)".into()),
    }
    let wf_env = env_map(&doc["env"]);
    let wf_workdir = doc["defaults"]["run"]["working-directory"]
        .as_str()
        .map(str::to_string);
    for (job_key, job) in jobs {
        let job_id = scalar(job_key).unwrap_or_default();
        if let Some(uses) = job["uses"].as_str() {
            if uses.contains("docker") || uses.starts_with("./") {
                out.warnings.push(format!(
                    "{path}: job {job_id} calls the reusable workflow {uses}, which hoist does not follow"
                ));
            }
            continue;
        }
        let Some(steps) = job["steps"].as_vec() else {
            continue;
        };
        let combos = match expand_matrix(&job["strategy"]["matrix"]) {
            Ok(c) => c,
            Err(e) => {
                out.warnings.push(format!(
                    "{path}: job {job_id}: {e}; counted as one combination"
                ));
                vec![Vec::new()]
            }
        };
        let dims: Vec<String> = job["strategy"]["matrix"]
            .as_hash()
            .map(|h| {
                h.keys()
                    .filter_map(scalar)
                    .filter(|k| k != "include" && k != "exclude")
                    .collect()
            })
            .unwrap_or_default();
        let job_env = env_map(&job["env"]);
        let runner = runs_on(&job["runs-on"]);
        let self_hosted = runner.contains("self-hosted");
        let job_workdir = job["defaults"]["run"]["working-directory"]
            .as_str()
            .map(str::to_string)
            .or_else(|| wf_workdir.clone());
        let mut job_targets: Vec<(Target, Vec<String>)> = Vec::new();
        for (si, step) in steps.iter().enumerate() {
            let step_name = step["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{}", si + 1));
            let uses = step["uses"].as_str().unwrap_or("");
            let run = step["run"].as_str();
            let is_action = uses.starts_with("docker/build-push-action");
            if uses.starts_with("docker/bake-action") {
                out.warnings.push(format!(
                    "{path}: job {job_id}, step {step_name}: docker/bake-action is not read; name the Dockerfiles with -f"
                ));
                continue;
            }
            if !is_action && !run.is_some_and(|r| r.contains("docker")) {
                continue;
            }
            let step_env = env_map(&step["env"]);
            // Per combination, the builds the step runs.
            let mut per_combo: Vec<(usize, Vec<Found>)> = Vec::new();
            let mut step_warnings: Vec<String> = Vec::new();
            for (ci, combo) in combos.iter().enumerate() {
                let cx = Cx {
                    combo,
                    envs: [&step_env, &job_env, &wf_env],
                };
                let workdir = step["working-directory"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| job_workdir.clone())
                    .map(|w| cx.eval(&w))
                    .unwrap_or_default();
                let found = if is_action {
                    action_build(&step["with"], &cx, self_hosted, &runner)
                        .map(|f| vec![f])
                        .map_err(|e| vec![e])
                } else {
                    run_builds(run.unwrap_or(""), &workdir, &cx, self_hosted, &runner)
                };
                match found {
                    Ok(f) => per_combo.push((ci, f)),
                    Err(errors) => {
                        for e in errors {
                            if !step_warnings.contains(&e) {
                                step_warnings.push(e);
                            }
                        }
                    }
                }
            }
            for w in step_warnings {
                out.warnings
                    .push(format!("{path}: job {job_id}, step {step_name}: {w}"));
            }
            shared_cache_warning(path, &job_id, &per_combo, &mut out.warnings);
            for (t, notes) in group(path, &job_id, &combos, &dims, &per_combo) {
                job_targets.push((t, notes));
            }
        }
        for (t, notes) in job_targets {
            out.targets.push(t);
            out.notes.push(notes);
        }
    }
    Ok(out)
}

/// Groups the builds of one step over the matrix combinations (see the module docs).
fn group(
    path: &str,
    job_id: &str,
    combos: &[Combo],
    dims: &[String],
    per_combo: &[(usize, Vec<Found>)],
) -> Vec<(Target, Vec<String>)> {
    type Key = (
        usize,
        String,
        String,
        Option<String>,
        String,
        Vec<(String, Option<String>)>,
    );
    let mut groups: Vec<(Key, Vec<(usize, &Found)>)> = Vec::new();
    for (ci, founds) in per_combo {
        for (j, f) in founds.iter().enumerate() {
            let key: Key = (
                j,
                f.dockerfile.clone(),
                f.context.clone(),
                f.target.clone(),
                format!("{:?}", f.cache),
                f.args
                    .iter()
                    .map(|(k, v)| (k.clone(), v.contains(SHA).then(|| v.clone())))
                    .collect(),
            );
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push((*ci, f)),
                None => groups.push((key, vec![(*ci, f)])),
            }
        }
    }
    groups
        .into_iter()
        .map(|(_, members)| {
            let first = members[0].1;
            let builds: usize = members.iter().map(|(_, f)| f.platforms.max(1)).sum();
            // Matrix variables whose value differs among the members.
            let mut varying: Vec<String> = Vec::new();
            if members.len() > 1 {
                for (k, v) in &combos[members[0].0] {
                    let distinct = members
                        .iter()
                        .filter_map(|(ci, _)| {
                            combos[*ci].iter().find(|(k2, _)| k2 == k).map(|(_, v2)| v2)
                        })
                        .any(|v2| v2 != v);
                    if distinct && !varying.contains(k) {
                        varying.push(k.clone());
                    }
                }
            }
            let mut source = format!("{path}, job {job_id}");
            if members.len() > 1 {
                source.push_str(&format!(
                    ", matrix {} ×{}",
                    if varying.is_empty() {
                        "(identical)".to_string()
                    } else {
                        varying.join("/")
                    },
                    members.len()
                ));
            } else if let Some(desc) = describe_combo(&combos[members[0].0], dims) {
                source.push_str(&format!(", matrix {desc}"));
            }
            let mut notes = first.notes.clone();
            let platforms: Vec<usize> = members.iter().map(|(_, f)| f.platforms).collect();
            notes.insert(
                0,
                format!(
                    "{builds} build{} per commit ({})",
                    if builds == 1 { "" } else { "s" },
                    if members.len() == 1 {
                        plural(first.platforms, "platform")
                    } else if platforms.iter().all(|p| *p == first.platforms) {
                        format!(
                            "{} × {}",
                            plural(members.len(), "matrix combination"),
                            plural(first.platforms, "platform")
                        )
                    } else {
                        plural(members.len(), "matrix combination")
                    }
                ),
            );
            let target = Target {
                dockerfile: first.dockerfile.clone(),
                context: first.context.clone(),
                build_args: first
                    .args
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            if v.contains(SHA) {
                                ArgValue::PerCommit(v.clone())
                            } else {
                                ArgValue::Fixed(v.clone())
                            },
                        )
                    })
                    .collect(),
                target: first.target.clone(),
                builds_per_commit: builds.max(1),
                cache: first.cache,
                source,
                pinned: None,
            };
            (target, notes)
        })
        .collect()
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `k=v,…` of a combination; only the matrix's own variables when it has any
/// (not those `include` adds).
fn describe_combo(combo: &Combo, dims: &[String]) -> Option<String> {
    let parts: Vec<String> = combo
        .iter()
        .filter(|(k, _)| dims.is_empty() || dims.contains(k))
        .filter_map(|(k, v)| scalar(v).map(|s| format!("{k}={s}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Warns when matrix variants that build different things export to the same cache.
fn shared_cache_warning(
    path: &str,
    job_id: &str,
    per_combo: &[(usize, Vec<Found>)],
    warnings: &mut Vec<String>,
) {
    let mut by_dest: BTreeMap<&str, Vec<&Found>> = BTreeMap::new();
    for (_, founds) in per_combo {
        for f in founds {
            if !f.cache_to.is_empty() && !f.cache_to.contains("type=inline") {
                by_dest.entry(f.cache_to.as_str()).or_default().push(f);
            }
        }
    }
    for (dest, founds) in by_dest {
        let distinct = founds.iter().any(|f| {
            f.dockerfile != founds[0].dockerfile
                || f.args != founds[0].args
                || f.target != founds[0].target
        });
        if founds.len() > 1 && distinct {
            warnings.push(format!(
                "{path}: job {job_id}: {} different matrix builds export to the same cache (`{dest}`); each overwrites the others', so a build often imports another variant's cache and re-runs more than hoist predicts. Give each its own scope or ref (e.g. `scope=…-${{{{ matrix.X }}}}`)",
                founds.len()
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Triggers, env, runners

enum Trigger {
    /// Runs on pushes or pull requests; `filtered` when `paths`/`paths-ignore` narrow it.
    PerCommit {
        filtered: bool,
    },
    Other(String),
    Missing,
}

fn triggers(on: &Yaml) -> Trigger {
    const PER_COMMIT: [&str; 4] = ["push", "pull_request", "pull_request_target", "merge_group"];
    let mut events: Vec<(String, &Yaml)> = Vec::new();
    match on {
        Yaml::String(s) => events.push((s.clone(), &Yaml::Null)),
        Yaml::Array(a) => {
            events.extend(a.iter().filter_map(|e| scalar(e).map(|s| (s, &Yaml::Null))))
        }
        Yaml::Hash(h) => {
            for (k, v) in h {
                if let Some(k) = scalar(k) {
                    events.push((k, v));
                }
            }
        }
        _ => return Trigger::Missing,
    }
    if events.is_empty() {
        return Trigger::Missing;
    }
    let mut per_commit = false;
    let mut filtered = false;
    for (event, cfg) in &events {
        if !PER_COMMIT.contains(&event.as_str()) {
            continue;
        }
        let has = |k: &str| !cfg[k].is_badvalue();
        if event == "push"
            && (has("tags") || has("tags-ignore"))
            && !has("branches")
            && !has("branches-ignore")
        {
            continue; // tags only
        }
        per_commit = true;
        filtered |= has("paths") || has("paths-ignore");
    }
    if per_commit {
        Trigger::PerCommit { filtered }
    } else {
        Trigger::Other(
            events
                .iter()
                .map(|(e, _)| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

fn env_map(y: &Yaml) -> Vec<(String, String)> {
    y.as_hash()
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn runs_on(y: &Yaml) -> String {
    match y {
        Yaml::Array(a) => a.iter().filter_map(scalar).collect::<Vec<_>>().join(","),
        Yaml::Hash(h) => h
            .iter()
            .filter_map(|(_, v)| match v {
                Yaml::Array(a) => Some(a.iter().filter_map(scalar).collect::<Vec<_>>().join(",")),
                other => scalar(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => scalar(other).unwrap_or_default(),
    }
}

/// A scalar's text (`true`, `3`, `1.5` as written); `None` for sequences, mappings, null.
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Matrix

/// One matrix combination: variable → value, in the matrix's order.
type Combo = Vec<(String, Yaml)>;

/// Every combination of a `strategy.matrix`, as GitHub computes it: the product
/// of the variables, minus `exclude`, plus `include` (merged into every
/// combination it does not contradict, else added). No matrix: one empty combination.
fn expand_matrix(m: &Yaml) -> Result<Vec<Combo>, String> {
    let h = match m {
        Yaml::BadValue | Yaml::Null => return Ok(vec![Vec::new()]),
        Yaml::String(s) => return Err(format!("the matrix is an expression (`{s}`)")),
        Yaml::Hash(h) => h,
        _ => return Err("the matrix is not a mapping".into()),
    };
    let mut dims: Vec<(String, Vec<Yaml>)> = Vec::new();
    for (k, v) in h {
        let Some(k) = scalar(k) else { continue };
        if k == "include" || k == "exclude" {
            continue;
        }
        match v {
            Yaml::Array(values) => dims.push((k, values.clone())),
            Yaml::String(s) if s.contains("${{") => {
                return Err(format!("matrix variable `{k}` is an expression (`{s}`)"));
            }
            other => dims.push((k, vec![other.clone()])),
        }
    }
    let mut combos: Vec<Combo> = if dims.is_empty() {
        Vec::new()
    } else {
        vec![Vec::new()]
    };
    for (k, values) in &dims {
        let mut next = Vec::new();
        for c in &combos {
            for v in values {
                let mut c2 = c.clone();
                c2.push((k.clone(), v.clone()));
                next.push(c2);
            }
        }
        combos = next;
        if combos.len() > MAX_COMBINATIONS {
            return Err(format!(
                "the matrix has more than {MAX_COMBINATIONS} combinations"
            ));
        }
    }
    let items = |key: &str| -> Result<Vec<Vec<(String, Yaml)>>, String> {
        match &m[key] {
            Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
            Yaml::Array(a) => Ok(a
                .iter()
                .filter_map(|item| item.as_hash())
                .map(|item| {
                    item.iter()
                        .filter_map(|(k, v)| Some((scalar(k)?, v.clone())))
                        .collect()
                })
                .collect()),
            Yaml::String(s) => Err(format!("matrix `{key}` is an expression (`{s}`)")),
            _ => Err(format!("matrix `{key}` is not a list")),
        }
    };
    for ex in items("exclude")? {
        combos.retain(|c| {
            !ex.iter()
                .all(|(k, v)| c.iter().any(|(k2, v2)| k2 == k && v2 == v))
        });
    }
    let original: Vec<&str> = dims.iter().map(|(k, _)| k.as_str()).collect();
    for inc in items("include")? {
        let mut merged = false;
        for c in combos.iter_mut() {
            let compatible = inc.iter().all(|(k, v)| {
                !original.contains(&k.as_str()) || c.iter().any(|(k2, v2)| k2 == k && v2 == v)
            });
            if compatible && !dims.is_empty() {
                for (k, v) in &inc {
                    match c.iter_mut().find(|(k2, _)| k2 == k) {
                        Some(slot) => slot.1 = v.clone(),
                        None => c.push((k.clone(), v.clone())),
                    }
                }
                merged = true;
            }
        }
        if !merged {
            combos.push(inc);
        }
    }
    if combos.is_empty() {
        return Err("the matrix has no combination left after `exclude`".into());
    }
    if combos.len() > MAX_COMBINATIONS {
        return Err(format!(
            "the matrix has more than {MAX_COMBINATIONS} combinations"
        ));
    }
    Ok(combos)
}

// ---------------------------------------------------------------------------
// Expressions

/// Evaluation context of one step under one matrix combination.
struct Cx<'a> {
    combo: &'a Combo,
    /// Step, job, workflow `env`, innermost first.
    envs: [&'a Vec<(String, String)>; 3],
}

/// Does an expression's value change on every commit?
fn per_commit_expr(expr: &str) -> bool {
    let e = expr.to_ascii_lowercase();
    [
        "github.sha",
        "github.run_id",
        "github.run_number",
        "github.run_attempt",
        "github.event.after",
        "github.event.head_commit",
        "github.event.pull_request.head.sha",
        "github.event.repository.pushed_at",
        "steps.",
        "needs.",
    ]
    .iter()
    .any(|t| e.contains(t))
}

impl Cx<'_> {
    fn env(&self, name: &str) -> Option<&str> {
        self.envs
            .iter()
            .find_map(|e| e.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()))
    }

    /// Replaces every `${{ … }}` of `text` (see the module docs).
    fn eval(&self, text: &str) -> String {
        self.eval_depth(text, 0)
    }

    fn eval_depth(&self, text: &str, depth: usize) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let expr = after[..end].trim();
            out.push_str(&self.expr(expr, &rest[start..start + 3 + end + 2], depth));
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn expr(&self, expr: &str, original: &str, depth: usize) -> String {
        if per_commit_expr(expr) {
            return SHA.to_string();
        }
        if expr == "github.workspace" {
            return ".".to_string();
        }
        if let Some(path) = expr.strip_prefix("matrix.") {
            let mut parts = path.split('.');
            let first = parts.next().unwrap_or("");
            if let Some((_, v)) = self.combo.iter().find(|(k, _)| k == first) {
                let mut v = v;
                for p in parts {
                    v = &v[p];
                }
                if let Some(s) = scalar(v) {
                    return s;
                }
            }
            return original.to_string();
        }
        if let Some(name) = expr.strip_prefix("env.") {
            if let Some(v) = self.env(name)
                && depth < 8
            {
                return self.eval_depth(v, depth + 1);
            }
            return original.to_string();
        }
        original.to_string()
    }

    /// A shell variable of a `run:` script.
    fn shell_var(&self, name: &str, depth: usize) -> Option<String> {
        match name {
            "GITHUB_SHA" | "GITHUB_RUN_ID" | "GITHUB_RUN_NUMBER" | "GITHUB_RUN_ATTEMPT" => {
                Some(SHA.to_string())
            }
            "GITHUB_WORKSPACE" => Some(".".to_string()),
            _ if depth < 8 => self.env(name).map(|v| self.eval_depth(v, depth + 1)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// docker/build-push-action

fn action_build(with: &Yaml, cx: &Cx, self_hosted: bool, runner: &str) -> Result<Found, String> {
    let input = |k: &str| -> Option<String> {
        match &with[k] {
            Yaml::Array(a) => Some(a.iter().filter_map(scalar).collect::<Vec<_>>().join("\n")),
            other => scalar(other),
        }
        .map(|s| cx.eval(&s))
    };
    let context = match input("context") {
        None => String::new(),
        Some(c) => norm_context(&c, "")?,
    };
    let dockerfile = match input("file") {
        Some(f) if unresolved(&f) => return Err(format!("file `{f}` could not be resolved")),
        Some(f) if !f.trim().is_empty() => norm_path(f.trim(), "")
            .ok_or_else(|| format!("file `{f}` is outside the repository"))?,
        _ => join(&context, "Dockerfile"),
    };
    let mut args = Vec::new();
    for line in input("build-args").unwrap_or_default().lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                push_arg(&mut args, k.trim(), unquote(v.trim()));
            }
            _ => {}
        }
    }
    let platforms = count_platforms(&input("platforms").unwrap_or_default());
    let target = input("target").filter(|t| !t.trim().is_empty());
    let list = |k: &str| -> Vec<String> {
        input(k)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let cache_to = list("cache-to");
    let cache_from = list("cache-from");
    let no_cache = input("no-cache").is_some_and(|v| v.trim() == "true");
    let (cache, notes) = cache_mode(&cache_to, &cache_from, no_cache, self_hosted, runner);
    let mut notes = notes;
    if input("build-contexts").is_some() {
        notes.push("named build contexts (`build-contexts`) are not modelled".into());
    }
    Ok(Found {
        dockerfile,
        context,
        target,
        args,
        platforms,
        cache,
        notes,
        cache_to: cache_to.join("\n"),
    })
}

fn push_arg(args: &mut Vec<(String, String)>, k: &str, v: String) {
    match args.iter_mut().find(|(k2, _)| k2 == k) {
        Some(slot) => slot.1 = v,
        None => args.push((k.to_string(), v)),
    }
}

fn unquote(v: &str) -> String {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

fn count_platforms(text: &str) -> usize {
    let mut seen: Vec<&str> = Vec::new();
    for p in text.split([',', '\n']).map(str::trim) {
        if !p.is_empty() && !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.len().max(1)
}

/// The cache mode of a build and what was assumed (module docs, **Cache**).
fn cache_mode(
    cache_to: &[String],
    cache_from: &[String],
    no_cache: bool,
    self_hosted: bool,
    runner: &str,
) -> (CacheMode, Vec<String>) {
    if no_cache {
        return (
            CacheMode::Min,
            vec!["builds with no-cache: every step re-runs; hoist has no mode for that yet and replays it as mode=min (optimistic)".into()],
        );
    }
    if !cache_to.is_empty() {
        let attrs: Vec<BTreeMap<String, String>> =
            cache_to.iter().map(|c| cache_attrs(c)).collect();
        let max = attrs.iter().any(|a| {
            a.get("mode").is_some_and(|m| m == "max") && a.get("type").is_none_or(|t| t != "inline")
        });
        let kinds: Vec<String> = attrs
            .iter()
            .map(|a| a.get("type").cloned().unwrap_or_else(|| "registry".into()))
            .collect();
        let note = format!(
            "cache-to type={} mode={}",
            kinds.join("+"),
            if max { "max" } else { "min" }
        );
        return (
            if max { CacheMode::Max } else { CacheMode::Min },
            vec![note],
        );
    }
    if !cache_from.is_empty() {
        return (
            CacheMode::Min,
            vec!["imports a cache (cache-from) but exports none; assuming the build that exports it uses mode=min".into()],
        );
    }
    if self_hosted {
        return (
            CacheMode::Local,
            vec![format!(
                "no cache-to on a self-hosted runner ({runner}): assuming a builder that keeps its cache between builds"
            )],
        );
    }
    (
        CacheMode::Min,
        vec![format!(
            "no cache-to or cache-from on an ephemeral runner ({}): every build starts cold and re-runs every step; hoist has no mode for that yet and replays it as mode=min (optimistic)",
            if runner.is_empty() {
                "runs-on unknown"
            } else {
                runner
            }
        )],
    )
}

/// `type=gha,mode=max,scope=x` → {type: gha, mode: max, scope: x}; a bare ref is a registry.
fn cache_attrs(spec: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for part in spec.split(',') {
        let part = part.trim();
        match part.split_once('=') {
            Some((k, v)) => {
                out.insert(k.trim().to_string(), v.trim().to_string());
            }
            None if !part.is_empty() => {
                out.insert("type".into(), "registry".into());
                out.insert("ref".into(), part.to_string());
            }
            None => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Paths

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// A path relative to the repository root: `workdir` joined with `p`, cleaned.
/// `None` when it leaves the repository or is absolute.
fn norm_path(p: &str, workdir: &str) -> Option<String> {
    if p.starts_with('/') || unresolved(p) {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in workdir.split('/').chain(p.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// A build context: a path, the default git context (`{{defaultContext}}[:dir]`),
/// or a remote one (not replayable).
fn norm_context(c: &str, workdir: &str) -> Result<String, String> {
    let c = c.trim();
    if let Some(rest) = c.strip_prefix("{{defaultContext}}") {
        return Ok(norm_path(rest.trim_start_matches(':'), "").unwrap_or_default());
    }
    if c.contains("://") || c.starts_with("git@") {
        return Err(format!(
            "the context `{c}` is remote; only contexts in this repository are replayed"
        ));
    }
    if c == "-" {
        return Err("the context is read from standard input".into());
    }
    if unresolved(c) {
        return Err(format!("the context `{c}` could not be resolved"));
    }
    norm_path(c, workdir).ok_or_else(|| format!("the context `{c}` is outside the repository"))
}

/// A value still holding an expression or shell expansion hoist could not evaluate.
fn unresolved(s: &str) -> bool {
    s.contains("${{") || s.contains('$')
}

// ---------------------------------------------------------------------------
// `run:` scripts

/// Splits a shell script into simple commands (words, quotes removed, `$VAR`,
/// `${VAR}`, `$(…)` expanded as far as known). Enough for `docker build` lines:
/// no here-documents, functions or control flow.
fn shell_commands(script: &str, cx: &Cx) -> Vec<Vec<String>> {
    let chars: Vec<char> = script.chars().collect();
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    let end_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    word.push(*n);
                    in_word = true;
                }
                i += 2;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ' ' | '\t' => {
                end_word(&mut word, &mut in_word, &mut words);
                i += 1;
            }
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                end_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
                i += 1;
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        word.push(chars[i + 1]);
                        i += 2;
                    } else if chars[i] == '$' {
                        i = expand(&chars, i, cx, &mut word);
                    } else {
                        word.push(chars[i]);
                        i += 1;
                    }
                }
                i += 1;
            }
            '$' => {
                in_word = true;
                i = expand(&chars, i, cx, &mut word);
            }
            c => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// Expands the `$…` at `chars[i]` into `out`; returns the index after it.
fn expand(chars: &[char], i: usize, cx: &Cx, out: &mut String) -> usize {
    let next = chars.get(i + 1).copied();
    match next {
        Some('(') => {
            // $( … ) with nesting.
            let mut depth = 0;
            let mut j = i + 1;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let inner: String = chars[i + 2..j.min(chars.len())].iter().collect();
            let t = inner.trim();
            if t.starts_with("git rev-parse")
                || t.starts_with("git describe")
                || t.starts_with("git log")
                || t.starts_with("git show")
                || t.starts_with("date")
            {
                out.push_str(SHA);
            } else {
                out.push_str("$(");
                out.push_str(&inner);
                out.push(')');
            }
            j + 1
        }
        Some('{') => {
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '}' {
                j += 1;
            }
            let inner: String = chars[i + 2..j.min(chars.len())].iter().collect();
            let name: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match cx.shell_var(&name, 0) {
                Some(v) if name == inner => out.push_str(&v),
                _ => {
                    out.push_str("${");
                    out.push_str(&inner);
                    out.push('}');
                }
            }
            j + 1
        }
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            match cx.shell_var(&name, 0) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('$');
                    out.push_str(&name);
                }
            }
            j
        }
        _ => {
            out.push('$');
            i + 1
        }
    }
}

/// `docker build` flags that take a value (the rest are booleans).
const VALUE_FLAGS: &[&str] = &[
    "-f",
    "--file",
    "-t",
    "--tag",
    "--build-arg",
    "--platform",
    "--target",
    "--cache-to",
    "--cache-from",
    "--label",
    "-o",
    "--output",
    "--secret",
    "--ssh",
    "--progress",
    "--builder",
    "--iidfile",
    "--metadata-file",
    "--network",
    "--add-host",
    "--provenance",
    "--sbom",
    "--attest",
    "--annotation",
    "--build-context",
    "--shm-size",
    "--ulimit",
    "--allow",
    "--cgroup-parent",
    "--call",
    "--isolation",
    "-m",
    "--memory",
    "--memory-swap",
    "-c",
    "--cpu-shares",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--cpu-period",
    "--cpu-quota",
    "--security-opt",
    "--no-cache-filter",
];

fn run_builds(
    script: &str,
    workdir: &str,
    cx: &Cx,
    self_hosted: bool,
    runner: &str,
) -> Result<Vec<Found>, Vec<String>> {
    let script = cx.eval(script);
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for words in shell_commands(&script, cx) {
        // Skip `sudo`, `time`, `env`, and leading VAR=value assignments.
        let mut w = words.iter().map(String::as_str).peekable();
        while let Some(first) = w.peek() {
            if matches!(*first, "sudo" | "time" | "env" | "exec")
                || (first.contains('=') && !first.starts_with('-'))
            {
                w.next();
            } else {
                break;
            }
        }
        let rest: Vec<&str> = w.collect();
        if rest.first() != Some(&"docker") {
            continue;
        }
        let sub: Vec<&str> = rest[1..].iter().take(2).copied().collect();
        let skip = match sub.as_slice() {
            ["build", ..] => 2,
            ["buildx" | "image", "build", ..] => 3,
            ["buildx", "bake", ..] => {
                errors
                    .push("`docker buildx bake` is not read; name the Dockerfiles with -f".into());
                continue;
            }
            ["compose", ..] if rest.contains(&"build") => {
                errors.push(
                    "`docker compose build` is not read; name the Dockerfiles with -f".into(),
                );
                continue;
            }
            _ => continue,
        };
        match docker_build(&rest[skip..], workdir, cx, self_hosted, runner) {
            Ok(f) => found.push(f),
            Err(e) => errors.push(e),
        }
    }
    if found.is_empty() && !errors.is_empty() {
        Err(errors)
    } else {
        Ok(found)
    }
}

fn docker_build(
    args: &[&str],
    workdir: &str,
    cx: &Cx,
    self_hosted: bool,
    runner: &str,
) -> Result<Found, String> {
    let mut file = None;
    let mut context = None;
    let mut build_args = Vec::new();
    let mut platforms = 1;
    let mut target = None;
    let mut cache_to = Vec::new();
    let mut cache_from = Vec::new();
    let mut no_cache = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with('-') => (f, Some(v.to_string())),
            _ => (a, None),
        };
        if flag.starts_with('-') && flag.len() > 1 {
            let value = if VALUE_FLAGS.contains(&flag) {
                match inline {
                    Some(v) => Some(v),
                    None => {
                        i += 1;
                        args.get(i).map(|s| s.to_string())
                    }
                }
            } else {
                inline
            };
            match (flag, value) {
                ("-f" | "--file", Some(v)) => file = Some(v),
                ("--build-arg", Some(v)) => match v.split_once('=') {
                    Some((k, val)) => push_arg(&mut build_args, k, val.to_string()),
                    None => {
                        if let Some(val) = cx.shell_var(&v, 0) {
                            push_arg(&mut build_args, &v, val);
                        }
                    }
                },
                ("--platform", Some(v)) => platforms = count_platforms(&v),
                ("--target", Some(v)) => target = Some(v),
                ("--cache-to", Some(v)) => cache_to.push(v),
                ("--cache-from", Some(v)) => cache_from.push(v),
                ("--no-cache", v) => no_cache = v.is_none_or(|v| v != "false"),
                _ => {}
            }
        } else {
            context = Some(a.to_string());
        }
        i += 1;
    }
    let Some(context) = context else {
        return Err("a `docker build` without a context argument".into());
    };
    let context = norm_context(&context, workdir)?;
    let dockerfile = match file {
        Some(f) if f == "-" => return Err("the Dockerfile is read from standard input".into()),
        Some(f) if unresolved(&f) => return Err(format!("-f `{f}` could not be resolved")),
        Some(f) => {
            norm_path(&f, workdir).ok_or_else(|| format!("-f `{f}` is outside the repository"))?
        }
        None => join(&context, "Dockerfile"),
    };
    let (cache, notes) = cache_mode(&cache_to, &cache_from, no_cache, self_hosted, runner);
    Ok(Found {
        dockerfile,
        context,
        target,
        args: build_args,
        platforms,
        cache,
        notes,
        cache_to: cache_to.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test expects of one target.
    struct Want {
        dockerfile: &'static str,
        context: &'static str,
        builds: usize,
        cache: CacheMode,
        target: Option<&'static str>,
        /// (name, value, per-commit)
        args: &'static [(&'static str, &'static str, bool)],
    }

    struct Case {
        name: &'static str,
        yaml: &'static str,
        want: &'static [Want],
        /// Substrings some warning must contain.
        warnings: &'static [&'static str],
    }

    const MATRIX_GHA: &str = r#"
name: images
on:
  push:
    branches: [main]
  pull_request:
env:
  GO_VERSION: "1.23"
  BUILD_ID: build-${{ github.sha }}
jobs:
  services:
    runs-on: ubuntu-24.04
    strategy:
      fail-fast: false
      matrix:
        image: [server, controlplane]
        include:
          - image: server
            dockerfile: Dockerfile
          - image: controlplane
            dockerfile: Dockerfile.controlplane
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - name: Build ${{ matrix.image }}
        uses: docker/build-push-action@v6
        with:
          context: .
          file: ${{ matrix.dockerfile }}
          platforms: linux/amd64,linux/arm64
          push: ${{ github.event_name == 'push' }}
          build-args: |
            VERSION=${{ github.ref_name }}-${{ github.sha }}
            COMMIT=${{ github.sha }}
            GO_VERSION=${{ env.GO_VERSION }}
            BUILD=${{ env.BUILD_ID }}
          cache-from: type=gha,scope=${{ matrix.image }}
          cache-to: type=gha,mode=max,scope=${{ matrix.image }}
  worker:
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        duckdb: [v1.1.3, v1.2.2, v1.3.2, v1.4.1]
    steps:
      - uses: docker/build-push-action@v6
        with:
          file: ./Dockerfile.worker
          platforms: |
            linux/amd64
            linux/arm64
          build-args: |
            COMMIT=${{ github.sha }}
            DUCKDB_VERSION=${{ matrix.duckdb }}
          cache-to: type=gha,mode=max,scope=worker-${{ matrix.duckdb }}
"#;

    const RUN_SCRIPT: &str = r#"
on: [push]
env:
  IMAGE: ghcr.io/acme/api
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      TAG: ${{ github.sha }}
    steps:
      - uses: actions/checkout@v4
      - name: Build
        working-directory: services
        run: |
          # build the API image
          docker buildx build \
            -f api/Dockerfile \
            --platform=linux/amd64 \
            --build-arg GIT_SHA=$(git rev-parse --short HEAD) \
            --build-arg "TAG=${TAG}" \
            --build-arg MODE=release \
            --target runtime \
            --cache-to type=registry,ref=$IMAGE:cache,mode=min \
            --cache-from type=registry,ref=$IMAGE:cache \
            -t "$IMAGE:$GITHUB_SHA" --push api
          echo done
      - run: sudo docker build -t tools tools && docker push tools
"#;

    const NO_CACHE_SELF_HOSTED: &str = r#"
on:
  pull_request:
    paths-ignore: ['docs/**']
jobs:
  hosted:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: app
  mine:
    runs-on: [self-hosted, linux]
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: "{{defaultContext}}:app"
          target: final
"#;

    const SHARED_SCOPE: &str = r#"
on: push
jobs:
  w:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        v: [1, 2]
        arch: [amd64, arm64]
        exclude:
          - v: 2
            arch: arm64
    steps:
      - uses: docker/build-push-action@v6
        with:
          platforms: linux/${{ matrix.arch }}
          build-args: V=${{ matrix.v }}
          cache-to: type=gha,mode=max
"#;

    const CASES: &[Case] = &[
        Case {
            name: "build-push-action with matrix, platforms, gha cache",
            yaml: MATRIX_GHA,
            want: &[
                Want {
                    dockerfile: "Dockerfile",
                    context: "",
                    builds: 2,
                    cache: CacheMode::Max,
                    target: None,
                    args: &[
                        ("VERSION", "${{ github.ref_name }}-{sha}", true),
                        ("COMMIT", "{sha}", true),
                        ("GO_VERSION", "1.23", false),
                        ("BUILD", "build-{sha}", true),
                    ],
                },
                Want {
                    dockerfile: "Dockerfile.controlplane",
                    context: "",
                    builds: 2,
                    cache: CacheMode::Max,
                    target: None,
                    args: &[
                        ("VERSION", "${{ github.ref_name }}-{sha}", true),
                        ("COMMIT", "{sha}", true),
                        ("GO_VERSION", "1.23", false),
                        ("BUILD", "build-{sha}", true),
                    ],
                },
                Want {
                    dockerfile: "Dockerfile.worker",
                    context: "",
                    builds: 8,
                    cache: CacheMode::Max,
                    target: None,
                    args: &[
                        ("COMMIT", "{sha}", true),
                        ("DUCKDB_VERSION", "v1.1.3", false),
                    ],
                },
            ],
            warnings: &[],
        },
        Case {
            name: "docker buildx build in run scripts",
            yaml: RUN_SCRIPT,
            want: &[
                Want {
                    dockerfile: "services/api/Dockerfile",
                    context: "services/api",
                    builds: 1,
                    cache: CacheMode::Min,
                    target: Some("runtime"),
                    args: &[
                        ("GIT_SHA", "{sha}", true),
                        ("TAG", "{sha}", true),
                        ("MODE", "release", false),
                    ],
                },
                Want {
                    dockerfile: "tools/Dockerfile",
                    context: "tools",
                    builds: 1,
                    cache: CacheMode::Min,
                    target: None,
                    args: &[],
                },
            ],
            warnings: &[],
        },
        Case {
            name: "no cache on a hosted runner; self-hosted keeps its cache",
            yaml: NO_CACHE_SELF_HOSTED,
            want: &[
                Want {
                    dockerfile: "app/Dockerfile",
                    context: "app",
                    builds: 1,
                    cache: CacheMode::Min,
                    target: None,
                    args: &[],
                },
                Want {
                    dockerfile: "app/Dockerfile",
                    context: "app",
                    builds: 1,
                    cache: CacheMode::Local,
                    target: Some("final"),
                    args: &[],
                },
            ],
            warnings: &["filters by path"],
        },
        Case {
            name: "matrix variants sharing one cache scope",
            yaml: SHARED_SCOPE,
            want: &[Want {
                dockerfile: "Dockerfile",
                context: "",
                builds: 3,
                cache: CacheMode::Max,
                target: None,
                args: &[("V", "1", false)],
            }],
            warnings: &["export to the same cache"],
        },
        Case {
            name: "release-only workflow is not per commit",
            yaml: "on:\n  release:\n    types: [published]\n  push:\n    tags: ['v*']\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n",
            want: &[],
            warnings: &["not on every commit"],
        },
        Case {
            name: "matrix from an expression",
            yaml: "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          file: ${{ matrix.file }}\n",
            want: &[],
            warnings: &["matrix is an expression", "${{ matrix.file }}"],
        },
    ];

    #[test]
    fn workflows() {
        for case in CASES {
            let parsed = parse_workflow("wf.yml", case.yaml)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let got: Vec<String> = parsed
                .targets
                .iter()
                .map(|t| format!("{} ({:?})", t.dockerfile, t.source))
                .collect();
            assert_eq!(
                parsed.targets.len(),
                case.want.len(),
                "{}: targets {got:?}, warnings {:?}",
                case.name,
                parsed.warnings
            );
            for (t, w) in parsed.targets.iter().zip(case.want) {
                let ctx = format!("{}: {}", case.name, t.dockerfile);
                assert_eq!(t.dockerfile, w.dockerfile, "{ctx}");
                assert_eq!(t.context, w.context, "{ctx}");
                assert_eq!(t.builds_per_commit, w.builds, "{ctx}");
                assert_eq!(t.cache, w.cache, "{ctx}");
                assert_eq!(t.target.as_deref(), w.target, "{ctx}");
                let args: Vec<(String, String, bool)> = t
                    .build_args
                    .iter()
                    .map(|(k, v)| match v {
                        ArgValue::Fixed(s) => (k.clone(), s.clone(), false),
                        ArgValue::PerCommit(s) => (k.clone(), s.clone(), true),
                    })
                    .collect();
                let want: Vec<(String, String, bool)> = w
                    .args
                    .iter()
                    .map(|(k, v, p)| (k.to_string(), v.to_string(), *p))
                    .collect();
                assert_eq!(args, want, "{ctx}");
            }
            for w in case.warnings {
                let all = parsed.warnings.join("\n") + &parsed.notes.concat().join("\n");
                // An unexpanded matrix leaves the file unresolved: it is warned about
                // through the Dockerfile path it produces.
                let all = all + &got.join("\n");
                assert!(
                    all.contains(w),
                    "{}: no warning containing {w:?} in {all}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn notes_say_what_was_assumed() {
        let parsed = parse_workflow("wf.yml", NO_CACHE_SELF_HOSTED).unwrap();
        assert!(
            parsed.notes[0]
                .iter()
                .any(|n| n.contains("ephemeral runner"))
        );
        assert!(parsed.notes[1].iter().any(|n| n.contains("self-hosted")));
        let parsed = parse_workflow("wf.yml", MATRIX_GHA).unwrap();
        assert_eq!(
            parsed.notes[2][0],
            "8 builds per commit (4 matrix combinations × 2 platforms)"
        );
        assert!(parsed.targets[2].source.contains("matrix duckdb ×4"));
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        for (text, want) in [
            ("jobs: [unclosed", "not valid YAML"),
            ("", "empty"),
            ("- just\n- a list\n", "top level is not a mapping"),
            ("on: push\n", "no `jobs:`"),
            ("jobs:\n  a:\n    steps: []\n", "no `on:`"),
            ("key: \"unterminated\n", "not valid YAML"),
            ("on: push\njobs:\n  a: *missing_anchor\n", "not valid YAML"),
        ] {
            match parse_workflow("bad.yml", text) {
                Err(e) => assert!(e.contains(want), "{text:?}: {e}"),
                Ok(p) => panic!("{text:?} parsed: {:?}", p.targets),
            }
        }
        // Odd but valid shapes produce no targets and no panic.
        for text in [
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: https://github.com/x/y.git\n",
            "on: push\njobs:\n  a:\n    steps:\n      - run: docker build -f - .\n",
            "on: push\njobs:\n  a:\n    steps:\n      - run: docker build\n",
            "on: push\njobs:\n  a:\n    steps:\n      - run: 'echo \"unterminated $(date'\n",
            "on: push\njobs:\n  a:\n    strategy: {matrix: {include: 3}}\n    steps: [{run: docker build .}]\n",
        ] {
            let p = parse_workflow("odd.yml", text).unwrap();
            assert!(p.targets.len() <= 1, "{text}");
        }
    }

    #[test]
    fn matrix_include_and_exclude() {
        let y = &YamlLoader::load_from_str(
            "os: [a, b]\nv: [1, 2]\nexclude: [{os: b, v: 2}]\ninclude: [{os: a, extra: x}, {os: c, v: 9}]\n",
        )
        .unwrap()[0];
        let combos = expand_matrix(y).unwrap();
        let shown: Vec<String> = combos
            .iter()
            .map(|c| describe_combo(c, &[]).unwrap())
            .collect();
        assert_eq!(
            shown,
            [
                "os=a,v=1,extra=x",
                "os=a,v=2,extra=x",
                "os=b,v=1",
                "os=c,v=9"
            ]
        );
    }
}

//! `cache-mount-on-ephemeral-ci` (HC007).

use crate::syntax::mount::MountType;
use crate::syntax::typed::Command;

use super::{Finding, Input, Rule, Severity};

/// ## What it does
/// Finds `RUN --mount=type=cache` in a Dockerfile that the repository's CI
/// (`.github/workflows`) builds on ephemeral runners with an exported layer
/// cache (`cache-to: type=gha` or a registry cache).
///
/// ## Why is this bad?
/// Cache mounts live in the builder, not in the exported cache: an ephemeral
/// runner starts with an empty mount on every run, so the mount saves nothing
/// there. On such CI only the layer order decides what is reused: put the
/// slow, stable work (dependency downloads) in layers keyed on the manifests.
///
/// ## Example
/// ```dockerfile
/// RUN --mount=type=cache,target=/root/.cache/go-build go build ./...
/// ```
/// built by `docker/build-push-action` with `cache-to: type=gha,mode=max`.
///
/// ## Use instead
/// Keep the mount (it helps local builds), but do not count on it in CI:
/// order the layers so that dependency steps are keyed on the manifests only.
///
/// ## Fix safety
/// No fix: information.
pub const RULE: Rule = Rule {
    name: "cache-mount-on-ephemeral-ci",
    code: "HC007",
    severity: Severity::Info,
    summary: "A cache mount starts empty on the repository's ephemeral CI runners",
    source: include_str!("cache_mount_on_ephemeral_ci.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let Some(workflow) = &input.facts.ephemeral_ci else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in input.typed {
        let Command::Run(run) = &t.command else {
            continue;
        };
        for m in &run.mounts {
            if !matches!(m.kind, MountType::Cache) {
                continue;
            }
            let target = m.target.clone().unwrap_or_default();
            // Underline the --mount flag that declares it.
            let span = t
                .node
                .flags
                .iter()
                .find(|f| {
                    let s = f.text();
                    s.contains("type=cache") && s.contains(target.as_str())
                })
                .map_or_else(|| input.head_span(t.node), |f| t.node.word_span(f));
            out.push(Finding {
                span,
                message: format!(
                    "cache mount {target} starts empty on every CI build: {workflow} builds this Dockerfile on ephemeral runners, and cache mounts are not part of the exported cache"
                ),
                help: Some("count on layer order, not on the mount, to save time in CI".into()),
                fix: None,
            });
        }
    }
    out
}

//! `low-value-layer` (HC010).

use crate::model::StepKind;

use super::classify::{self, Brings};
use super::{Entry, Finding, Input, Rule, Severity, run_command};

/// ## What it does
/// With measured timings (`hoist measure`, `hoist timings import`), finds a
/// step placed between the dependency-manifest copy and the source copy —
/// a layer added so that its work is cached, such as a "prewarm" compile of
/// dependencies — whose measured cost is small next to the steps after the
/// source copy, which re-run on every commit anyway.
///
/// ## Why is this bad?
/// Such a layer costs a step, a cache entry to export and import, and a place
/// for errors to hide (prewarms often end in `|| true`), and saves only its
/// own few seconds. The time goes to the steps it cannot spare: in the story
/// behind hoist, a prewarm saved about 4 s against a 68 s CGO link that every
/// source edit re-runs.
///
/// ## Example
/// ```dockerfile
/// COPY go.mod go.sum ./
/// RUN go mod download
/// RUN CGO_ENABLED=1 go build github.com/pganalyze/pg_query_go/v5 2>/dev/null || true
/// COPY . .
/// RUN CGO_ENABLED=1 go build -o /out/server ./cmd/server
/// ```
///
/// ## Use instead
/// ```dockerfile
/// COPY go.mod go.sum ./
/// RUN go mod download
/// COPY . .
/// RUN CGO_ENABLED=1 go build -o /out/server ./cmd/server
/// ```
///
/// ## Fix safety
/// No fix: information with the measured figures. Whether the layer is worth
/// keeping is a judgement the figures inform.
pub const RULE: Rule = Rule {
    name: "low-value-layer",
    code: "HC010",
    severity: Severity::Info,
    summary: "A layer added for caching saves little next to the steps it cannot spare",
    source: include_str!("low_value_layer.rs"),
    check,
};

/// A layer saving less than this share of the per-commit cost is reported.
const SHARE: f64 = 0.1;

fn check(input: &Input) -> Vec<Finding> {
    if input.facts.step_seconds.is_empty() {
        return Vec::new();
    }
    let seconds = |s: usize| {
        let step = &input.build.steps[s];
        let stage = input.build.stages[step.stage].display_name();
        input
            .facts
            .step_seconds
            .get(&(stage, step.instruction.clone()))
            .copied()
    };
    let mut out = Vec::new();
    for entries in input.stages() {
        let brings = |x: &Entry| {
            x.step
                .map_or(Brings::Nothing, |s| classify::brings(&input.build.steps[s]))
        };
        let Some(manifest) = entries.iter().position(|x| brings(x) == Brings::Manifests) else {
            continue;
        };
        let Some(source) = entries.iter().position(|x| brings(x) == Brings::Source) else {
            continue;
        };
        if source < manifest {
            continue;
        }
        // What every commit re-runs: the steps after the source copy.
        let after: Vec<(usize, f64)> = entries[source + 1..]
            .iter()
            .filter_map(|x| x.step)
            .filter(|&s| input.build.steps[s].kind == StepKind::Run)
            .filter_map(|s| seconds(s).map(|t| (s, t)))
            .collect();
        let floor: f64 = after.iter().map(|(_, t)| t).sum();
        let Some(&(biggest, biggest_t)) = after.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            continue;
        };
        for e in &entries[manifest + 1..source] {
            let Some(s) = e.step else { continue };
            let Some(cmd) = run_command(&input.build.steps[s]) else {
                continue;
            };
            // The dependency download itself is the point of the manifest copy.
            if classify::dependency_install(&cmd).is_some() {
                continue;
            }
            let Some(t) = seconds(s) else { continue };
            if t >= SHARE * floor {
                continue;
            }
            let big = &input.build.steps[biggest];
            out.push(Finding {
                span: input.head_span(e.typed.node),
                message: format!(
                    "this layer saves {t:.1} s when cached, while the steps after the source copy re-run on every commit for {floor:.1} s (line {}, `{}`, {biggest_t:.1} s)",
                    big.line,
                    super::independent_step_after_source_copy::shorten(&big.instruction)
                ),
                help: Some(
                    "the time is in the steps it cannot spare; consider removing this layer".into(),
                ),
                fix: None,
            });
        }
    }
    out
}

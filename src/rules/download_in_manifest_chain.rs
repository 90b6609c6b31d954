//! `download-in-manifest-chain` (HC008).

use super::classify::{self, Brings};
use super::independent_step_after_source_copy::{independent, shorten};
use super::{Entry, Finding, Input, Rule, Severity};

/// ## What it does
/// Finds a step that depends only on its command and build args (a pinned
/// download, a tool install) placed after the dependency-manifest copy
/// (`COPY go.mod go.sum ./`) and before the source copy.
///
/// ## Why is this bad?
/// The step is keyed on its parent layer, which holds the manifests: every
/// dependency bump (a `go.sum` or lockfile change) re-runs the download
/// although its version did not change. In a stage of its own it is keyed on
/// its version alone, and BuildKit builds it in parallel with the rest.
///
/// ## Example
/// ```dockerfile
/// FROM golang:1.22 AS build
/// COPY go.mod go.sum ./
/// RUN go mod download
/// ARG DUCKDB_VERSION=v1.1.3
/// RUN curl -fsSLo /out/json.gz "https://extensions.duckdb.org/${DUCKDB_VERSION}/json.gz"
/// ```
///
/// ## Use instead
/// ```dockerfile
/// FROM debian:bookworm-slim AS extensions
/// ARG DUCKDB_VERSION=v1.1.3
/// RUN curl -fsSLo /out/json.gz "https://extensions.duckdb.org/${DUCKDB_VERSION}/json.gz"
///
/// FROM golang:1.22 AS build
/// COPY go.mod go.sum ./
/// RUN go mod download
/// COPY --from=extensions /out /out
/// ```
///
/// ## Fix safety
/// No automatic fix yet: the new stage needs a base that has the step's tools,
/// and the `COPY --from` needs the paths the step writes.
pub const RULE: Rule = Rule {
    name: "download-in-manifest-chain",
    code: "HC008",
    severity: Severity::Warning,
    summary: "A pinned download sits after the manifest copy and re-runs on every dependency bump",
    source: include_str!("download_in_manifest_chain.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for entries in input.stages() {
        let brings = |x: &Entry| {
            x.step
                .map_or(Brings::Nothing, |s| classify::brings(&input.build.steps[s]))
        };
        let Some(first_manifest) = entries.iter().position(|x| brings(x) == Brings::Manifests)
        else {
            continue;
        };
        for e in entries.iter().skip(first_manifest + 1) {
            if brings(e) == Brings::Source {
                break;
            }
            let Some(fetches) = independent(input, e, &entries) else {
                continue;
            };
            let m = &entries[first_manifest];
            let manifest = &input.build.steps[m.step.unwrap_or_default()];
            out.push(Finding {
                span: input.head_span(e.typed.node),
                message: format!(
                    "`{}` depends only on its command and build args, but runs after `{}` (line {}): every dependency bump re-runs it",
                    shorten(&fetches[0]),
                    manifest.instruction,
                    manifest.line
                ),
                help: Some(format!(
                    "move it into a stage of its own (`FROM <base> AS <name>`) and `COPY --from=<name>` its output; or at least above line {}",
                    manifest.line
                )),
                fix: None,
            });
        }
    }
    out
}

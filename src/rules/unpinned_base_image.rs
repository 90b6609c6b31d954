//! `unpinned-base-image` (HC006).

use crate::model::{External, StepKind};

use super::{Finding, Input, Rule, Severity};

/// ## What it does
/// Finds `FROM` lines that name an image by tag (`golang:1.22-bookworm`,
/// `debian:bookworm-slim`) rather than by digest.
///
/// ## Why is this bad?
/// A tag can move: the registry's `golang:1.22-bookworm` is rebuilt for every
/// Debian point release and Go patch. A builder that already holds the tag
/// keeps using its copy, another pulls the new one: the same Dockerfile builds
/// different images, and a moved tag invalidates every layer of the stage at
/// a time nobody chose.
///
/// ## Example
/// ```dockerfile
/// FROM golang:1.22-bookworm AS build
/// ```
///
/// ## Use instead
/// ```dockerfile
/// FROM golang:1.22-bookworm@sha256:<digest> AS build
/// ```
/// (with a bot such as Renovate or Dependabot to move the digest on purpose).
///
/// ## Fix safety
/// No automatic fix: hoist does not ask registries for digests
/// (`docker buildx imagetools inspect <image>` prints it).
pub const RULE: Rule = Rule {
    name: "unpinned-base-image",
    code: "HC006",
    severity: Severity::Info,
    summary: "A base image is named by tag, not digest",
    source: include_str!("unpinned_base_image.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for step in &input.build.steps {
        if step.kind != StepKind::From {
            continue;
        }
        for ext in &step.external {
            let External::ImageTag(image) = ext else {
                continue;
            };
            let Some(node) = input
                .file
                .instructions()
                .find(|i| i.start_line == step.line)
            else {
                continue;
            };
            let span = node
                .arg_values()
                .next()
                .map_or_else(|| input.head_span(node), |w| node.word_span(w));
            out.push(Finding {
                span,
                message: format!("`{image}` is a tag, not a digest: the image can change under the cache"),
                help: Some(format!(
                    "pin it as `{image}@sha256:<digest>` (`docker buildx imagetools inspect {image}` shows the digest)"
                )),
                fix: None,
            });
        }
    }
    out
}

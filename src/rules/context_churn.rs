//! `context-churn` (HC009).

use std::collections::BTreeMap;

use crate::model::StepKind;

use super::{Finding, Input, Rule, Severity};

/// ## What it does
/// Finds a `COPY` of the whole build context (`COPY . .`) in a repository
/// whose recent history has commits that changed only documentation, CI or
/// test paths (`docs/`, `*.md`, `.github/`, `tests/`) which the ignore file
/// leaves in the context. It states the share of commits that rebuilt
/// everything from that `COPY` on only because of them.
///
/// ## Why is this bad?
/// `COPY . .` is keyed on every file it copies. A README typo or a workflow
/// edit then re-runs the compile, the link and every step after it, although
/// the image does not contain anything that changed in a useful way.
///
/// ## Example
/// ```dockerfile
/// COPY . .
/// RUN go build -o /out/server ./cmd/server
/// ```
/// with a `.dockerignore` holding only `.git`, and 30% of commits touching only `docs/`.
///
/// ## Use instead
/// ```text
/// # .dockerignore
/// .git
/// docs/
/// **/*.md
/// .github/
/// ```
///
/// ## Fix safety
/// No automatic fix: the edit is to the ignore file, and it is right only
/// when no step needs those paths. The rule leaves out paths that another
/// `COPY`, `ADD` or bind mount names, but a build script may read a file the
/// Dockerfile does not name.
pub const RULE: Rule = Rule {
    name: "context-churn",
    code: "HC009",
    severity: Severity::Warning,
    summary: "COPY . . copies docs/CI/test paths that history shows changing on their own",
    source: include_str!("context_churn.rs"),
    check,
};

/// Below this share of commits, the finding is not worth a warning.
const MIN_SHARE: f64 = 0.05;

fn check(input: &Input) -> Vec<Finding> {
    let Some(churn) = &input.facts.churn else {
        return Vec::new();
    };
    if churn.commits == 0 {
        return Vec::new();
    }
    // Paths some step names explicitly are needed by the build.
    let named: Vec<&str> = input
        .build
        .steps
        .iter()
        .flat_map(|s| s.context.iter())
        .map(|c| c.source.as_str())
        .filter(|s| *s != "." && *s != "/")
        .collect();
    let needed = |p: &str| {
        named
            .iter()
            .any(|n| p == *n || p.starts_with(&format!("{}/", n.trim_end_matches('/'))))
    };
    let commits: Vec<&Vec<String>> = churn
        .docs_only
        .iter()
        .filter(|paths| !paths.iter().any(|p| needed(p)))
        .collect();
    let share = commits.len() as f64 / churn.commits as f64;
    if commits.is_empty() || share < MIN_SHARE {
        return Vec::new();
    }
    let Some(step) = input.build.steps.iter().find(|s| {
        input.build.reachable[s.stage]
            && matches!(s.kind, StepKind::Copy | StepKind::Add)
            && s.context
                .iter()
                .any(|c| c.source == "." && c.exclude.is_empty())
    }) else {
        return Vec::new();
    };
    let Some(node) = input
        .file
        .instructions()
        .find(|i| i.start_line == step.line)
    else {
        return Vec::new();
    };
    let mut patterns: BTreeMap<String, usize> = BTreeMap::new();
    for paths in &commits {
        for p in paths.iter() {
            *patterns.entry(pattern(p)).or_default() += 1;
        }
    }
    let mut patterns: Vec<(String, usize)> = patterns.into_iter().collect();
    patterns.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let list = patterns
        .iter()
        .take(6)
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>();
    vec![Finding {
        span: input.head_span(node),
        message: format!(
            "{} of the last {} commits ({:.0}%) changed only {} in the context: each re-ran every step from here on",
            commits.len(),
            churn.commits,
            share * 100.0,
            list.join(", ")
        ),
        help: Some(format!(
            "add {} to {} (no step names them)",
            list.join(" "),
            churn.ignore_file
        )),
        fix: None,
    }]
}

/// The ignore pattern that covers a documentation, CI or test path.
fn pattern(path: &str) -> String {
    let first = path.split('/').next().unwrap_or(path);
    if path.contains('/')
        && matches!(
            first,
            "docs" | "doc" | ".github" | ".circleci" | "tests" | "test" | "examples"
        )
    {
        format!("{first}/")
    } else if path.ends_with("_test.go") {
        "**/*_test.go".to_string()
    } else if let Some((_, ext)) = path.rsplit_once('.')
        && matches!(ext, "md" | "rst" | "adoc")
    {
        format!("**/*.{ext}")
    } else {
        path.to_string()
    }
}

//! `context-churn` (HC009).

use std::collections::BTreeMap;

use crate::model::StepKind;

use super::{Applicability, Edit, Finding, Fix, Input, Rule, Severity, Target, run_command};

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
/// Unsafe: the fix appends the patterns to the ignore file (creating it when
/// there is none). It leaves out patterns that cover a path a `COPY`, `ADD` or
/// bind mount names, or that a `RUN` names (`docs` in `mkdocs build docs`,
/// test files when a `RUN` runs `go test`). The image changes when the copy
/// is in the final stage (the files are no longer in it), and a build script
/// may read a file the Dockerfile does not name: review it, and prove it with
/// `hoist verify --fix`.
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
    let runs: Vec<String> = input
        .build
        .steps
        .iter()
        .filter(|s| input.build.reachable[s.stage])
        .filter_map(run_command)
        .collect();
    let mut patterns: BTreeMap<String, usize> = BTreeMap::new();
    for paths in &commits {
        for p in paths.iter() {
            *patterns.entry(pattern(p)).or_default() += 1;
        }
    }
    // Paths the ignore file lets back in (`!docs/keep.md`): a pattern appended
    // after them would exclude them again.
    let negated: Vec<String> = String::from_utf8_lossy(&churn.ignore_text)
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('!')
                .map(|p| p.trim_start_matches('/').to_string())
        })
        .collect();
    let mut patterns: Vec<(String, usize)> = patterns
        .into_iter()
        .filter(|(p, _)| !negated.iter().any(|n| covers(p, n)))
        .filter(|(p, _)| {
            !named.iter().any(|n| covers(p, n)) && !runs.iter().any(|r| run_reads(r, p))
        })
        .collect();
    if patterns.is_empty() {
        return Vec::new();
    }
    patterns.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let list = patterns
        .iter()
        .take(6)
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>();
    let ignore = &churn.ignore_text;
    let mut content = String::new();
    if !ignore.is_empty() && !ignore.ends_with(b"\n") {
        content.push('\n');
    }
    content.push_str(&format!(
        "# Not needed in the image; changed on their own in {} of the last {} commits (hoist: context-churn).\n",
        commits.len(),
        churn.commits
    ));
    for (p, _) in &patterns {
        content.push_str(p);
        content.push('\n');
    }
    let fix = Fix {
        applicability: Applicability::Unsafe,
        target: Target::IgnoreFile(churn.ignore_file.clone()),
        message: format!(
            "add {} to {}",
            patterns
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            churn.ignore_file
        ),
        edits: vec![Edit {
            start: ignore.len(),
            end: ignore.len(),
            content,
        }],
    };
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
        fix: Some(fix),
    }]
}

/// Does the ignore pattern cover the context path a step names?
fn covers(pattern: &str, named: &str) -> bool {
    let named = named.trim_start_matches("./").trim_end_matches('/');
    if let Some(dir) = pattern.strip_suffix('/') {
        named == dir
            || named.starts_with(&format!("{dir}/"))
            || dir.starts_with(&format!("{named}/"))
    } else if let Some(suffix) = pattern.strip_prefix("**/*") {
        named.ends_with(suffix) || named.contains('*')
    } else {
        named == pattern || pattern.starts_with(&format!("{named}/"))
    }
}

/// Does a RUN command name what the pattern excludes (so the build reads it)?
fn run_reads(command: &str, pattern: &str) -> bool {
    if pattern == "**/*_test.go" {
        return command.contains("go test") || command.contains("go vet");
    }
    let stem = pattern.trim_start_matches("**/*").trim_end_matches('/');
    !stem.is_empty() && command.contains(stem)
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

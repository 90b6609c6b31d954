//! `tidy-without-sources` (HC004).

use super::classify::{self, Brings};
use super::{Finding, Input, Rule, Severity, prior_steps, run_command};

/// ## What it does
/// Finds `go mod tidy` or `go mod vendor` in a stage whose copies from the
/// context so far brought only manifests (`go.mod`, `go.sum`), with no bind
/// mount of the source either.
///
/// ## Why is this bad?
/// `go mod tidy` keeps the requirements the source imports. With no `.go`
/// files in the stage it sees no imports and removes every requirement from
/// `go.mod`; `go mod vendor` finds nothing to vendor. The later `go build`
/// then fails with "no required module provides package ...", or worse, the
/// pruned `go.mod` is what the rest of the build uses.
///
/// ## Example
/// ```dockerfile
/// COPY go.mod go.sum ./
/// RUN go get github.com/marcboeker/go-duckdb@v1.8.3 && go mod tidy
/// RUN go mod download
/// COPY . .
/// ```
///
/// ## Use instead
/// ```dockerfile
/// COPY go.mod go.sum ./
/// RUN go get github.com/marcboeker/go-duckdb@v1.8.3
/// RUN go mod download
/// COPY . .
/// RUN go mod tidy
/// ```
///
/// ## Fix safety
/// No automatic fix: whether to drop the tidy or to run it after the source
/// copy depends on why it is there.
pub const RULE: Rule = Rule {
    name: "tidy-without-sources",
    code: "HC004",
    severity: Severity::Error,
    summary: "go mod tidy/vendor runs in a stage that holds only the manifests",
    source: include_str!("tidy_without_sources.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for (s, step) in input.build.steps.iter().enumerate() {
        let Some(cmd) = run_command(step) else {
            continue;
        };
        let Some(written) = classify::source_reading_go_mod(&cmd) else {
            continue;
        };
        if step
            .context
            .iter()
            .any(|c| !classify::is_manifest(&c.source))
            || !step.stages.is_empty()
        {
            continue;
        }
        let prior = prior_steps(input.build, s);
        let brought: Vec<Brings> = prior
            .iter()
            .map(|&p| classify::brings(&input.build.steps[p]))
            .collect();
        // Sources may also come from elsewhere: another stage, an ADD of a
        // URL or a git repository, a RUN that clones or downloads them.
        let fetches =
            |c: &str| c.contains("git clone") || c.contains("curl ") || c.contains("wget ");
        let head = cmd.split(&written).next().unwrap_or("");
        if brought.contains(&Brings::Source)
            || brought.contains(&Brings::Files)
            || fetches(head)
            || prior.iter().any(|&p| {
                let st = &input.build.steps[p];
                !st.stages.is_empty()
                    || (st.kind == crate::model::StepKind::Add && !st.external.is_empty())
                    || run_command(st).is_some_and(|c| fetches(&c))
            })
        {
            continue;
        }
        let copies: Vec<String> = prior
            .iter()
            .rev()
            .filter(|&&p| classify::brings(&input.build.steps[p]) == Brings::Manifests)
            .map(|&p| {
                format!(
                    "`{}` (line {})",
                    input.build.steps[p].instruction, input.build.steps[p].line
                )
            })
            .collect();
        let so_far = if copies.is_empty() {
            "no source has been copied into this stage".to_string()
        } else {
            format!("this stage holds only {}", copies.join(", "))
        };
        let Some(node) = input
            .file
            .instructions()
            .find(|i| i.start_line == step.line)
        else {
            continue;
        };
        out.push(Finding {
            span: input.head_span(node),
            message: format!(
                "`{written}` without the source: {so_far}, so it sees no imports and empties go.mod"
            ),
            help: Some("pin with `go get` alone here, and run `go mod tidy` after the source is copied (or not at all)".into()),
            fix: None,
        });
    }
    out
}

//! `volatile-arg-too-early` (HC001).

use crate::syntax::typed::Command;

use super::classify;
use super::{
    Applicability, Edit, Finding, Fix, Input, Rule, Severity, keyed_on_arg, references, run_command,
};

/// ## What it does
/// Finds an `ARG` whose value changes on every build (`VERSION`, `COMMIT`,
/// `GIT_SHA`, `BUILD_DATE`, ..., an arg the CI workflow sets from `github.sha`
/// or a date, or one named in `hoist.toml`'s `volatile-args`) declared before
/// `RUN` steps that do not use it.
///
/// ## Why is this bad?
/// BuildKit puts every declared build arg into the cache key of every later
/// `RUN` of the stage, used or not. A per-commit value therefore re-runs every
/// `RUN` after its declaration on every build: downloads, toolchain installs,
/// compiles that do not depend on it.
///
/// ## Example
/// ```dockerfile
/// ARG COMMIT
/// RUN curl -fsSLo /tmp/tool.tgz https://example.com/tool-1.2.tgz
/// RUN go build -ldflags "-X main.commit=${COMMIT}" ./cmd/server
/// ```
///
/// ## Use instead
/// ```dockerfile
/// RUN curl -fsSLo /tmp/tool.tgz https://example.com/tool-1.2.tgz
/// ARG COMMIT
/// RUN go build -ldflags "-X main.commit=${COMMIT}" ./cmd/server
/// ```
///
/// ## Fix safety
/// The fix moves the declaration just before the first instruction that uses
/// the arg. None of the crossed instructions expands the arg (the rule checks
/// that), but a `RUN` also sees it in its environment, where a script may read
/// it. The fix is safe when every crossed `RUN` only downloads, installs
/// packages or installs dependencies (commands that do not read such
/// variables); otherwise it is unsafe: check that the scripts it crosses do
/// not read the variable. When a step that does
/// not use the arg comes after the first use, moving the declaration cannot
/// help: that step must move instead, and no automatic fix is offered.
pub const RULE: Rule = Rule {
    name: "volatile-arg-too-early",
    code: "HC001",
    severity: Severity::Warning,
    summary: "A per-build ARG is declared before RUN steps that do not use it",
    source: include_str!("volatile_arg_too_early.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    let stages = input.stages();
    for (si, entries) in stages.iter().enumerate() {
        for (i, e) in entries.iter().enumerate() {
            let Command::Arg(decls) = &e.typed.command else {
                continue;
            };
            let line = e.typed.node.start_line;
            for d in decls {
                if !input.is_volatile(&d.name) {
                    continue;
                }
                // Instructions after the declaration: does each use the arg,
                // and is each a RUN keyed on it without using it?
                let mut first_use: Option<usize> = None;
                let mut unused_before: Vec<usize> = Vec::new();
                let mut unused_after: Vec<usize> = Vec::new();
                // Once an ENV holds the value, every later RUN is keyed on it
                // through the environment anyway: not the declaration's doing.
                let mut in_env = false;
                for (j, later) in entries.iter().enumerate().skip(i + 1) {
                    if in_env {
                        break;
                    }
                    if let Command::Arg(ds) = &later.typed.command
                        && ds.iter().any(|x| x.name == d.name)
                    {
                        // Redeclared: a new declaration takes over, after
                        // reading this one if its default expands it.
                        if first_use.is_none() && uses_arg(input, later, &d.name) {
                            first_use = Some(j);
                        }
                        break;
                    }
                    let uses = uses_arg(input, later, &d.name);
                    // Every RUN after the declaration is keyed on the arg once
                    // the build passes a value (R5.3); with a default, the model
                    // shows it.
                    let keyed_unused = later.step.is_some_and(|s| {
                        let step = &input.build.steps[s];
                        run_command(step).is_some()
                            && (d.default.is_none() || keyed_on_arg(step, &d.name, line))
                    }) && !uses;
                    if uses && first_use.is_none() {
                        first_use = Some(j);
                    }
                    if uses && matches!(later.typed.command, Command::Env(_)) {
                        in_env = true;
                    }
                    if keyed_unused {
                        let l = later.typed.node.start_line;
                        if first_use.is_none() {
                            unused_before.push(l);
                        } else {
                            unused_after.push(l);
                        }
                    }
                }
                // Stages built `FROM` this one inherit the arg (R5.2, R6.2): their
                // RUNs that do not use it are keyed on it too. Moving the
                // declaration within this stage cannot help them.
                let children = if in_env {
                    Vec::new()
                } else {
                    derived(input, si)
                };
                for child in children {
                    for later in &stages[child] {
                        if let Command::Arg(ds) = &later.typed.command
                            && ds.iter().any(|x| x.name == d.name)
                        {
                            break;
                        }
                        let keyed_unused = later.step.is_some_and(|s| {
                            let step = &input.build.steps[s];
                            run_command(step).is_some()
                                && (d.default.is_none() || keyed_on_arg(step, &d.name, line))
                        }) && !uses_arg(input, later, &d.name);
                        if keyed_unused {
                            unused_after.push(later.typed.node.start_line);
                        }
                    }
                }
                let all: Vec<usize> = unused_before.iter().chain(&unused_after).copied().collect();
                if all.is_empty() {
                    continue;
                }
                let lines = all
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let what = if all.len() == 1 {
                    "the RUN on line"
                } else {
                    "the RUNs on lines"
                };
                let message = format!(
                    "ARG {} changes on every build and is declared before {what} {lines}, which do{} not use it: {} re-run{} on every build",
                    d.name,
                    if all.len() == 1 { "es" } else { "" },
                    if all.len() == 1 { "it" } else { "they" },
                    if all.len() == 1 { "s" } else { "" },
                );
                let span = input.head_span(e.typed.node);
                let node = e.typed.node;
                let fix = if unused_after.is_empty() && decls.len() == 1 {
                    let block = input.block_span(node);
                    let text = String::from_utf8_lossy(input.file.text(block)).into_owned();
                    let (to, msg) = match first_use {
                        Some(j) => {
                            let target = input.block_span(entries[j].typed.node);
                            (
                                target.start,
                                format!(
                                    "move ARG {} to just before line {}",
                                    d.name, entries[j].typed.node.start_line
                                ),
                            )
                        }
                        None => {
                            let last = entries.last().map_or(node, |x| x.typed.node);
                            (
                                last.span.end,
                                format!(
                                    "move ARG {} to the end of the stage (nothing uses it)",
                                    d.name
                                ),
                            )
                        }
                    };
                    let text =
                        if to == input.file.source.len() && !input.file.source.ends_with(b"\n") {
                            format!("\n{}", text.trim_end_matches('\n'))
                        } else {
                            text
                        };
                    // A crossed RUN may read the variable from its environment
                    // unless it only fetches or installs.
                    let crossed_plain = entries[i + 1..first_use.unwrap_or(entries.len())]
                        .iter()
                        .filter_map(|x| x.step)
                        .filter_map(|s| run_command(&input.build.steps[s]))
                        .all(|cmd| classify::only_installs(&cmd));
                    // A default that expands other variables is evaluated
                    // where the declaration stands: moved, it may read others.
                    let plain_default = d.default.as_deref().is_none_or(|v| !v.contains('$'));
                    // An ENV of the same name takes over from the ARG: moved
                    // past it, the ARG would win instead.
                    let crosses_env_of_it = entries[i + 1..first_use.unwrap_or(entries.len())]
                        .iter()
                        .any(|x| matches!(&x.typed.command, Command::Env(kvs) if kvs.iter().any(|kv| kv.key == d.name)));
                    let plain_default = plain_default && !crosses_env_of_it;
                    Some(Fix {
                        target: super::Target::Dockerfile,
                        applicability: if crossed_plain && plain_default {
                            Applicability::Safe
                        } else {
                            Applicability::Unsafe
                        },
                        message: msg,
                        edits: vec![
                            Edit {
                                start: block.start,
                                end: block.end,
                                content: String::new(),
                            },
                            Edit {
                                start: to,
                                end: to,
                                content: text,
                            },
                        ],
                    })
                } else {
                    None
                };
                let help = if unused_after.is_empty() {
                    match first_use {
                        Some(j) => format!(
                            "declare it just before line {}, its first use",
                            entries[j].typed.node.start_line
                        ),
                        None => "no instruction of the stage uses it: remove it or declare it where it is used".to_string(),
                    }
                } else {
                    format!(
                        "move the RUN{} on line{} {} above this ARG (or into a stage of {} own)",
                        if unused_after.len() == 1 { "" } else { "s" },
                        if unused_after.len() == 1 { "" } else { "s" },
                        unused_after
                            .iter()
                            .map(|l| l.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if unused_after.len() == 1 {
                            "its"
                        } else {
                            "their"
                        },
                    )
                };
                out.push(Finding {
                    span,
                    message,
                    help: Some(help),
                    fix,
                });
            }
        }
    }
    out
}

/// Does the instruction expand the arg (in its command, its flags or its arguments)?
fn uses_arg(input: &Input, e: &super::Entry, name: &str) -> bool {
    if let Some(s) = e.step
        && let Some(cmd) = run_command(&input.build.steps[s])
    {
        return references(&cmd, name);
    }
    let node = e.typed.node;
    references(&String::from_utf8_lossy(&node.logical), name)
        || node
            .heredocs
            .iter()
            .any(|h| references(&String::from_utf8_lossy(&h.content), name))
}

/// Stages built `FROM` stage `s`, directly or through others, in file order.
fn derived(input: &Input, s: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for (i, st) in input.build.stages.iter().enumerate() {
        if let crate::model::Base::Stage(p) = st.base
            && (p == s || out.contains(&p))
        {
            out.push(i);
        }
    }
    out
}

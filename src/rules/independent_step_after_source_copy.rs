//! `independent-step-after-source-copy` (HC003).

use crate::syntax::typed::Command;

use super::classify::{self, Brings};
use super::effects;
use super::{
    Applicability, Edit, Entry, Finding, Fix, Input, Rule, Severity, keyed_on_arg, references,
    run_command,
};

/// ## What it does
/// Finds a `RUN` that depends on nothing the source tree holds — it downloads
/// or installs things named in its command and in build args (`curl`/`wget`
/// of a pinned version, `apt-get install`, `apk add`, `go install pkg@v1`) —
/// placed after a `COPY` of the source tree.
///
/// ## Why is this bad?
/// BuildKit keys every step on its parent layer. After `COPY . .`, the parent
/// changes with every commit, so the download re-runs on every build although
/// its own inputs (the URL, the version arg) did not change.
///
/// ## Example
/// ```dockerfile
/// COPY . .
/// ARG DUCKDB_VERSION=v1.1.3
/// RUN curl -fsSLO "https://extensions.duckdb.org/${DUCKDB_VERSION}/json.gz"
/// ```
///
/// ## Use instead
/// ```dockerfile
/// ARG DUCKDB_VERSION=v1.1.3
/// RUN curl -fsSLO "https://extensions.duckdb.org/${DUCKDB_VERSION}/json.gz"
/// COPY . .
/// ```
///
/// ## Fix safety
/// The fix moves the step, with the `ARG`s it uses that are declared after the
/// copy, above the first `COPY` from the context of the stage. It is safe when
/// the text shows the image stays the same: no step it crosses touches a path
/// it names (a `COPY` destination, a `WORKDIR`, a path in a command), none
/// installs packages (which would change the programs it runs), and it crosses
/// no `USER`, `SHELL`, `WORKDIR` it depends on, or `ENV`/`ARG` it reads (or
/// that changes what common tools do, such as `DEBIAN_FRONTEND` or `GOFLAGS`).
/// The ARGs it moves (with those their defaults expand) must not reach
/// anything they did not reach before: an instruction that expands them, or a
/// `RUN` that is not a plain download or install (a script may read its
/// environment). Paths behind a variable the shell sets, or after a `cd` to
/// an unknown place, count as anywhere. Otherwise the fix is unsafe and says
/// which line is in the way. What a script touches without naming it
/// (`./build.sh` writing `/opt/x`) is not seen.
pub const RULE: Rule = Rule {
    name: "independent-step-after-source-copy",
    code: "HC003",
    severity: Severity::Warning,
    summary: "A step that only downloads pinned things runs after the source copy",
    source: include_str!("independent_step_after_source_copy.rs"),
    check,
};

/// A RUN that only fetches, keyed on nothing volatile: the fetch commands.
pub fn independent(input: &Input, e: &Entry, stage: &[Entry]) -> Option<Vec<String>> {
    let step = &input.build.steps[e.step?];
    let cmd = run_command(step)?;
    if !step.context.is_empty() || !step.stages.is_empty() {
        return None;
    }
    // Keyed on a per-build arg it uses: moving it saves nothing.
    for x in stage {
        if let Command::Arg(decls) = &x.typed.command {
            for d in decls {
                if input.is_volatile(&d.name)
                    && (d.default.is_none() || keyed_on_arg(step, &d.name, x.typed.node.start_line))
                    && references(&cmd, &d.name)
                {
                    return None;
                }
            }
        }
    }
    classify::independent_fetch(&cmd)
}

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for entries in input.stages() {
        // Index of the first context copy, and of the first source copy, of the stage.
        let brings = |x: &Entry| {
            x.step
                .map_or(Brings::Nothing, |s| classify::brings(&input.build.steps[s]))
        };
        let Some(first_source) = entries.iter().position(|x| brings(x) == Brings::Source) else {
            continue;
        };
        let first_copy = entries
            .iter()
            .position(|x| brings(x) != Brings::Nothing)
            .unwrap_or(first_source);
        for (i, e) in entries.iter().enumerate().skip(first_source + 1) {
            let Some(fetches) = independent(input, e, &entries) else {
                continue;
            };
            let copy_node = entries[first_source].typed.node;
            let message = format!(
                "`{}` depends only on its command and build args, but runs after `{}` (line {}): it re-runs on every change to the context",
                shorten(&fetches[0]),
                input.build.steps[entries[first_source].step.unwrap_or_default()].instruction,
                copy_node.start_line
            );
            // Above every copy from the context (out of the manifest chain
            // too) when that is safe; else just above the source copy, when
            // that is.
            let mut to = first_copy;
            let (mut fix, mut what) = move_fix(input, &entries, first_copy, i);
            if fix.applicability != Applicability::Safe && first_source != first_copy {
                let (alt, alt_what) = move_fix(input, &entries, first_source, i);
                if alt.applicability == Applicability::Safe {
                    (fix, what, to) = (alt, alt_what, first_source);
                }
            }
            out.push(Finding {
                span: input.head_span(e.typed.node),
                message,
                help: Some(format!(
                    "move it{what} above line {}, before the {} is copied",
                    entries[to].typed.node.start_line,
                    if to == first_source {
                        "source"
                    } else {
                        "context"
                    }
                )),
                fix: Some(fix),
            });
        }
    }
    out
}

/// The fix that moves the RUN `entries[i]`, with the ARGs it uses declared
/// since `entries[to]`, above `entries[to]`; safe when [`effects::move_hazard`]
/// finds nothing in the way. Also returns ` with ARG ...` for messages.
pub fn move_fix(input: &Input, entries: &[Entry], to: usize, i: usize) -> (Fix, String) {
    let e = &entries[i];
    let cmd = e
        .step
        .and_then(|s| run_command(&input.build.steps[s]))
        .unwrap_or_default();
    let moved_args: Vec<&Entry> = effects::needed_args(&entries[to..i], &cmd);
    // What it crosses: everything between the target and it but the ARGs
    // that move along.
    let crossed: Vec<&Entry> = entries[to..i]
        .iter()
        .filter(|x| !moved_args.iter().any(|a| std::ptr::eq(*a, *x)))
        .collect();
    let hazard = effects::move_hazard(input, e, &moved_args, false, &crossed);
    let target = input.block_span(entries[to].typed.node).start;
    let mut content = String::new();
    let mut edits = Vec::new();
    for a in &moved_args {
        let b = input.block_span(a.typed.node);
        content.push_str(&input.block_text(b));
        edits.push(Edit {
            start: b.start,
            end: b.end,
            content: String::new(),
        });
    }
    let run_block = input.block_span(e.typed.node);
    content.push_str(&input.block_text(run_block));
    let removed = input.removal_span(run_block);
    edits.push(Edit {
        start: removed.start,
        end: removed.end,
        content: String::new(),
    });
    edits.push(Edit {
        start: target,
        end: target,
        content,
    });
    let arg_names: Vec<String> = moved_args
        .iter()
        .map(|a| {
            String::from_utf8_lossy(&a.typed.node.logical)
                .trim()
                .to_string()
        })
        .collect();
    let what = if arg_names.is_empty() {
        String::new()
    } else {
        format!(" with {}", arg_names.join(", "))
    };
    let fix = Fix {
        applicability: if hazard.is_none() {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
        target: super::Target::Dockerfile,
        message: format!(
            "move line {}{what} above line {}{}",
            e.typed.node.start_line,
            entries[to].typed.node.start_line,
            hazard.map_or(String::new(), |h| format!(" (unsafe: {h})"))
        ),
        edits,
    };
    (fix, what)
}

/// A command cut to a readable length for a message.
pub fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s.to_string()
    }
}

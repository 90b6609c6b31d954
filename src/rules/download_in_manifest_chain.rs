//! `download-in-manifest-chain` (HC008).

use crate::syntax::Arg;
use crate::syntax::typed::Command;

use super::classify::{self, Brings};
use super::effects;
use super::independent_step_after_source_copy::{independent, move_fix, shorten};
use super::{Applicability, Edit, Entry, Finding, Fix, Input, Rule, Severity, Target, run_command};

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
/// When moving the step above the manifest copy is safe (the read/write
/// analysis of `independent-step-after-source-copy`), that is the fix: it is
/// then keyed on its own inputs. Otherwise, when the command names every path
/// it leaves in the image (`curl -o`, `wget -O`/`-P`, `mkdir`, `mv`, `cp`,
/// `install -d`, redirections, `gzip`/`gunzip` renames), the fix splits the
/// stage at the manifest copy: what comes before it becomes a stage of its
/// own (`<stage>-base`), the step runs in a new stage built `FROM` it, and
/// the original stage goes on `FROM` it with a `COPY --from=<new stage>` of
/// those paths where the step was. The split is always unsafe: `COPY --from`
/// makes the parent directories itself (as root, mode 0755), and the base
/// image's USER is not known. It is not offered for archives unpacked into a
/// directory, directory modes, removals of what the step did not write,
/// links a `COPY --from` would follow, `--mount` flags, a per-build `ARG` or
/// an `ONBUILD` before the split, or stages referred to by number; the fix is
/// then the (unsafe) move.
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
    for (si, entries) in input.stages().into_iter().enumerate() {
        let brings = |x: &Entry| {
            x.step
                .map_or(Brings::Nothing, |s| classify::brings(&input.build.steps[s]))
        };
        let Some(first_manifest) = entries.iter().position(|x| brings(x) == Brings::Manifests)
        else {
            continue;
        };
        for (i, e) in entries.iter().enumerate().skip(first_manifest + 1) {
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
                // A safe move above the manifest copy when there is one; else
                // the stage split (never safe: `COPY --from` makes the parent
                // directories itself, as root with mode 0755, and the base
                // image's USER is not known), else the unsafe move.
                fix: Some({
                    let (moved, _) = move_fix(input, &entries, first_manifest, i);
                    if moved.applicability == Applicability::Safe {
                        moved
                    } else {
                        extract_fix(input, si, &entries, first_manifest, i).unwrap_or(moved)
                    }
                }),
            });
        }
    }
    out
}

/// The fix that runs `entries[i]` in a stage of its own built from the part
/// of the stage before `entries[m]` (the manifest copy), and copies its
/// outputs back where it was. `None` when its outputs are not known.
fn extract_fix(input: &Input, si: usize, entries: &[Entry], m: usize, i: usize) -> Option<Fix> {
    let e = &entries[i];
    let step = &input.build.steps[e.step?];
    let cmd = run_command(step)?;
    if let Command::Run(run) = &e.typed.command
        && (!run.mounts.is_empty() || !e.typed.node.flags.is_empty())
    {
        return None;
    }
    let outputs = effects::outputs(&cmd, &effects::Ctx::of(step))?;
    if outputs
        .iter()
        .any(|o| o.contains(|c: char| c.is_whitespace() || "\"'\\".contains(c)))
    {
        return None;
    }
    // The new stage inherits the ARGs of the part before the manifest copy: a
    // per-build one there would key the step on every build, and would stop
    // `volatile-arg-too-early` from moving it (the move below leaves it free).
    let volatile_before = entries[1..m].iter().any(|x| {
        matches!(&x.typed.command, Command::Arg(decls)
            if decls.iter().any(|d| input.is_volatile(&d.name)))
    });
    // An ONBUILD there would run in both stages built from `<stage>-base` (R6.6).
    let onbuild_before = entries[1..m]
        .iter()
        .any(|x| matches!(x.typed.command, Command::Onbuild(_)));
    if volatile_before || onbuild_before {
        return None;
    }
    // New stages shift stage numbers: a `--from=0` would then name another.
    let numbered = input.typed.iter().any(|t| {
        let text = String::from_utf8_lossy(&t.node.logical).to_ascii_lowercase();
        text.match_indices("from=").any(|(k, _)| {
            text[k + 5..]
                .trim_start_matches(['"', '\''])
                .starts_with(|c: char| c.is_ascii_digit())
        })
    });
    if numbered {
        return None;
    }
    let from = entries[0].typed.node;
    let Command::From(f) = &entries[0].typed.command else {
        return None;
    };
    let words: Vec<_> = from
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Word(w) => Some(w),
            Arg::Nested(_) => None,
        })
        .collect();
    let mut taken: Vec<String> = input
        .typed
        .iter()
        .filter_map(|t| match &t.command {
            Command::From(f) => f.alias.as_ref().map(|a| a.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let stem = f
        .alias
        .clone()
        .unwrap_or_else(|| format!("stage-{si}"))
        .to_ascii_lowercase();
    let base = unique_name(&mut taken, format!("{stem}-base"));
    let leaf: String = outputs[0]
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let leaf = leaf.trim_matches('-');
    let fetch = unique_name(
        &mut taken,
        format!("{stem}-{}", if leaf.is_empty() { "fetch" } else { leaf }),
    );
    // The ARGs it uses declared since the manifest copy: copied into the new
    // stage (the later steps still need them where they are).
    let args: Vec<&Entry> = effects::needed_args(&entries[m..i], &cmd);
    let crossed: Vec<&Entry> = entries[m..i]
        .iter()
        .filter(|x| !args.iter().any(|a| std::ptr::eq(*a, *x)))
        .collect();
    let user = step
        .definition
        .iter()
        .find(|c| c.name == "user")
        .map(|c| c.value.clone())
        .filter(|u| !matches!(u.as_str(), "" | "root" | "0" | "0:0" | "root:root"));
    let hazard = effects::move_hazard(input, e, &args, true, &crossed).or_else(|| {
        user.map(|u| {
            format!("it runs as USER {u}, and `COPY --from` makes the parent directories as root")
        })
    });
    let mut edits = Vec::new();
    // 1. The stage so far becomes `<stage>-base`.
    match (&f.alias, words.first()) {
        (Some(_), _) if words.len() >= 3 => {
            let span = from.word_span(words[2]);
            edits.push(Edit {
                start: span.start,
                end: span.end,
                content: base.clone(),
            });
        }
        (None, Some(image)) => {
            let end = from.word_span(image).end;
            edits.push(Edit {
                start: end,
                end,
                content: format!(" AS {base}"),
            });
        }
        _ => return None,
    }
    // 2. The new stage, and the rest of the original one, before the manifest copy.
    let nl = input.eol();
    let mut stage = format!("{nl}FROM {base} AS {fetch}{nl}");
    for a in &args {
        stage.push_str(input.text(a.typed.node).trim_end_matches(['\r', '\n']));
        stage.push_str(nl);
    }
    let run_block = input.block_span(e.typed.node);
    stage.push_str(&input.block_text(run_block));
    stage.push_str(&format!("{nl}FROM {base}"));
    if let Some(alias) = &f.alias {
        stage.push_str(&format!(" AS {alias}"));
    }
    stage.push_str(nl);
    let at = input.block_span(entries[m].typed.node).start;
    edits.push(Edit {
        start: at,
        end: at,
        content: stage,
    });
    // 3. Its outputs, copied back where it ran.
    let copies: String = outputs
        .iter()
        .map(|o| format!("COPY --from={fetch} {o} {o}{nl}"))
        .collect();
    edits.push(Edit {
        start: run_block.start,
        end: run_block.end,
        content: copies,
    });
    let hazard = hazard.unwrap_or_else(|| {
        "`COPY --from` makes the parent directories as root with mode 0755, which the step may have made otherwise".to_string()
    });
    Some(Fix {
        applicability: Applicability::Unsafe,
        target: Target::Dockerfile,
        message: format!(
            "run line {} in a stage of its own ({fetch}, from {base}) and copy {} from it (unsafe: {hazard})",
            e.typed.node.start_line,
            outputs.join(" "),
        ),
        edits,
    })
}

/// `want`, or `want-2`, `want-3`... whichever no stage has; taken from then on.
fn unique_name(taken: &mut Vec<String>, want: String) -> String {
    let mut name = want.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{want}-{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

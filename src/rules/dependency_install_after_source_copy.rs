//! `dependency-install-after-source-copy` (HC002).

use crate::syntax::typed::Command;

use super::classify::{self, Brings};
use super::{Applicability, Edit, Finding, Fix, Input, Rule, Severity, prior_steps, run_command};

/// ## What it does
/// Finds a dependency install (`go mod download`, `npm ci`, `yarn install`,
/// `pnpm install`, `pip install -r`, `uv sync`, `poetry install`,
/// `bundle install`, `composer install`, `mvn dependency:go-offline`,
/// `dotnet restore`, `cargo build`/`cargo fetch`) that runs after the whole
/// source tree was copied, with no earlier manifest-only `COPY` and no bind
/// mount of the manifests.
///
/// ## Why is this bad?
/// A `RUN` after `COPY . .` is keyed on every file of the context: any edit,
/// even to a README, re-downloads and re-installs every dependency. Keyed on
/// the manifests alone, the install re-runs only when dependencies change.
///
/// ## Example
/// ```dockerfile
/// COPY . .
/// RUN npm ci
/// RUN npm run build
/// ```
///
/// ## Use instead
/// ```dockerfile
/// COPY package.json package-lock.json ./
/// RUN npm ci
/// COPY . .
/// RUN npm run build
/// ```
///
/// ## Fix safety
/// Unsafe: the fix copies the ecosystem's manifests that the context has
/// (`go.mod go.sum`, `package.json package-lock.json`, ...) before the source
/// copy and moves the install between them. Whether those are all the files
/// the install reads (workspaces, local path dependencies, `.npmrc`) only the
/// project knows, and the source copy may then overwrite what the install
/// wrote (a `node_modules` the ignore file lets in). When the copy is not of
/// the whole context, or the main manifest is not in the Dockerfile's
/// directory, the fix is only shown. `cargo build` needs its sources to
/// build at all: no fix (use `cargo fetch`, or `cargo chef`).
pub const RULE: Rule = Rule {
    name: "dependency-install-after-source-copy",
    code: "HC002",
    severity: Severity::Warning,
    summary: "A dependency install runs after the whole source is copied",
    source: include_str!("dependency_install_after_source_copy.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for entries in input.stages() {
        for e in &entries {
            let Some(s) = e.step else { continue };
            let step = &input.build.steps[s];
            let Some(cmd) = run_command(step) else {
                continue;
            };
            let Some((eco, written)) = classify::dependency_install(&cmd) else {
                continue;
            };
            if classify::binds_context(step) {
                continue;
            }
            let prior = prior_steps(input.build, s);
            // cargo-chef: `cargo chef cook` built the dependencies from the
            // recipe already; the build after the source copy is the project's.
            if eco.name == "cargo"
                && prior.iter().any(|&p| {
                    run_command(&input.build.steps[p]).is_some_and(|c| c.contains("chef cook"))
                })
            {
                continue;
            }
            let brought: Vec<Brings> = prior
                .iter()
                .map(|&p| classify::brings(&input.build.steps[p]))
                .collect();
            if brought.contains(&Brings::Manifests) {
                continue;
            }
            // The earliest source copy of the chain.
            let Some(&copy) = prior
                .iter()
                .zip(&brought)
                .filter(|(_, b)| **b == Brings::Source)
                .map(|(p, _)| p)
                .next_back()
            else {
                continue;
            };
            let copy_step = &input.build.steps[copy];
            let message = format!(
                "`{written}` runs after `{}` (line {}): every change to any file of the context re-installs all dependencies",
                copy_step.instruction, copy_step.line
            );
            let help = if eco.name == "cargo" {
                "copy Cargo.toml and Cargo.lock first and run `cargo fetch` (or build the dependencies with cargo-chef), then copy the rest: `cargo build` needs the sources".to_string()
            } else {
                format!(
                    "copy the manifests first ({}), run `{written}`, then copy the rest",
                    eco.manifests.join(" ")
                )
            };
            // A fix when the source copy is in this stage.
            let fix = entries
                .iter()
                .find(|x| x.step == Some(copy))
                .and_then(|x| match &x.typed.command {
                    // Only a RUN that installs and nothing else can move whole.
                    Command::Copy(c)
                        if eco.name != "cargo" && super::simple_commands(&cmd).len() == 1 =>
                    {
                        let whole = matches!(c.sources.as_slice(), [s] if s == "." || s == "./");
                        Some((x.typed.node, c.dest.clone(), whole))
                    }
                    _ => None,
                })
                .map(|(copy_node, dest, whole)| {
                    // Which of the manifests the context has: with the main one
                    // there, the fix can be applied (unsafe); else it is a sketch.
                    // pip reads the files its `-r` names; the others their
                    // ecosystem's usual manifests.
                    let wanted: Vec<String> = if eco.name == "pip" {
                        requirement_files(&written)
                    } else {
                        eco.manifests.iter().map(|m| m.to_string()).collect()
                    };
                    // Ecosystems whose install works from the manifests alone
                    // as written (poetry, uv, composer... need flags for that).
                    let applicable =
                        matches!(eco.name, "go" | "npm" | "yarn" | "pnpm" | "pip" | "bundler");
                    let present: Option<Vec<String>> = input
                        .facts
                        .context_files
                        .as_ref()
                        .filter(|_| whole && applicable && !wanted.is_empty())
                        .map(|files| {
                            wanted
                                .iter()
                                .filter(|m| match m.strip_prefix('*') {
                                    Some(ext) => files.iter().any(|f| f.ends_with(ext)),
                                    None => files.contains(m.as_str()),
                                })
                                .cloned()
                                .collect()
                        })
                        .filter(|p: &Vec<String>| {
                            // The main manifest (all of pip's) must be there.
                            if eco.name == "pip" {
                                p.len() == wanted.len()
                            } else {
                                p.first() == wanted.first()
                            }
                        });
                    let (manifests, applicability) = match present {
                        Some(p) => (p, Applicability::Unsafe),
                        None => (wanted.clone(), Applicability::DisplayOnly),
                    };
                    // The install stays where it is (its WORKDIR, USER and ENV
                    // unchanged): the source copy becomes a copy of the
                    // manifests, and the source is copied right after it.
                    let ci = entries.iter().position(|x| x.step == Some(copy));
                    let ri = entries.iter().position(|x| std::ptr::eq(x.typed, e.typed));
                    let between_runs = match (ci, ri) {
                        (Some(ci), Some(ri)) if ci < ri => entries[ci + 1..ri].iter().any(|x| {
                            matches!(
                                x.typed.command,
                                Command::Run(_) | Command::Copy(_) | Command::Add(_)
                            )
                        }),
                        _ => true,
                    };
                    let dest_dir = copy_step
                        .definition
                        .iter()
                        .find(|c| c.name == "dest")
                        .map(|c| c.value.trim_end_matches('/').to_string())
                        .unwrap_or_default();
                    let same_dir = super::effects::cwd(step).trim_end_matches('/') == dest_dir
                        || (dest_dir.is_empty() && super::effects::cwd(step) == "/");
                    let applicability = if between_runs || !same_dir {
                        Applicability::DisplayOnly
                    } else {
                        applicability
                    };
                    let run_block = input.block_span(e.typed.node);
                    let dest = if dest.ends_with('/') || manifests.len() == 1 && dest == "." {
                        dest
                    } else if dest == "." {
                        "./".to_string()
                    } else {
                        format!("{dest}/")
                    };
                    let flags: String = copy_node
                        .flags
                        .iter()
                        .map(|w| format!("{} ", String::from_utf8_lossy(&w.value)))
                        .collect();
                    let nl = input.eol();
                    let copy_text = input.block_text(copy_node.span);
                    let after_run = if input.file.text(run_block).ends_with(b"\n") {
                        copy_text
                    } else {
                        format!("{nl}{}", copy_text.trim_end_matches(['\r', '\n']))
                    };
                    Fix {
                        applicability,
                        target: super::Target::Dockerfile,
                        message: format!(
                            "copy {} on line {} instead, and the rest after `{written}`",
                            manifests.join(" "),
                            copy_step.line
                        ),
                        edits: vec![
                            Edit {
                                start: copy_node.span.start,
                                end: copy_node.span.end,
                                content: format!("COPY {flags}{} {dest}{nl}", manifests.join(" ")),
                            },
                            Edit {
                                start: run_block.end,
                                end: run_block.end,
                                content: after_run,
                            },
                        ],
                    }
                });
            out.push(Finding {
                span: input.head_span(e.typed.node),
                message,
                help: Some(help),
                fix,
            });
        }
    }
    out
}

/// The files `pip install -r FILE` (or `--requirement FILE`) names.
fn requirement_files(command: &str) -> Vec<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut out = Vec::new();
    for (k, w) in words.iter().enumerate() {
        if let Some(v) = w
            .strip_prefix("--requirement=")
            .or_else(|| w.strip_prefix("-r").filter(|v| !v.is_empty()))
        {
            out.push(v.to_string());
        } else if matches!(*w, "-r" | "--requirement")
            && let Some(v) = words.get(k + 1)
        {
            out.push(v.to_string());
        }
    }
    out
}

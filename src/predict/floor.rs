//! The floor: which of the steps that re-run would still re-run in an ideally
//! keyed Dockerfile, one where every step is keyed only on what it really reads.
//!
//! A step is necessary when its own inputs changed: its instruction text, an
//! environment variable its command actually references, the context paths it
//! (or, for a RUN that consumes the source, an earlier COPY in its chain) reads,
//! or the output of a stage that itself had necessary work. Steps that re-run
//! only because they sit after such a step, or because of a declared-but-unused
//! ARG (S-1), are the headroom.

use crate::model::{Build, StepKind};

use super::{StepImpact, Verdict};

/// Commands that fetch or install pinned things and read nothing from the
/// build context: they are independent of the source (the story's downloads).
fn is_independent_command(command: &str) -> bool {
    let c = command.to_ascii_lowercase();
    let fetches = [
        "curl ",
        "wget ",
        "apt-get ",
        "apt ",
        "apk add",
        "yum ",
        "dnf ",
        "microdnf ",
        "git clone",
    ];
    let reads_source = [
        "go build",
        "go test",
        "go vet",
        "go generate",
        "go mod",
        "npm ",
        "yarn ",
        "pnpm ",
        "make",
        "cargo ",
        "mvn ",
        "gradle",
        "dotnet ",
        "pip install -r",
        "pip install .",
        "pip install -e",
        "uv sync",
        "poetry ",
        "bundle ",
        "composer ",
        "mix ",
        "python ",
        "node ",
        "./",
    ];
    fetches.iter().any(|f| c.contains(f)) && !reads_source.iter().any(|r| c.contains(r))
}

fn references(command: &str, var: &str) -> bool {
    let plain = format!("${var}");
    let braced = format!("${{{var}");
    command.contains(&braced)
        || command.match_indices(&plain).any(|(i, _)| {
            command[i + plain.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
}

/// For every step of `new`, whether an ideally keyed Dockerfile would re-run it.
/// `impacts` is the prediction for the same change.
pub fn necessary(new: &Build, impacts: &[StepImpact]) -> Vec<bool> {
    let mut by_step = vec![None; new.steps.len()];
    for i in impacts {
        by_step[i.step] = Some(i);
    }
    let mut need = vec![false; new.steps.len()];
    // Whether the source seen by the stage so far changed, per step.
    let mut source_changed = vec![false; new.steps.len()];
    let mut stage_needed = vec![false; new.stages.len()];
    for (i, step) in new.steps.iter().enumerate() {
        let Some(imp) = by_step[i] else { continue };
        let parent_source = step.parent.is_some_and(|p| source_changed[p]);
        let own_context = imp.own.context;
        let text_changed = imp.own.instruction;
        let command = step
            .definition
            .iter()
            .find(|c| c.name == "command")
            .map(|c| c.value.as_str())
            .unwrap_or("");
        // Only variables the command names matter to an ideally keyed step (S-1).
        let referenced_var = imp.own.vars.iter().any(|v| references(command, v));
        let upstream = step.stages.iter().any(|s| stage_needed[s.stage]);
        let rebuilt = imp.verdict != Verdict::Cached;
        need[i] = rebuilt
            && match step.kind {
                StepKind::Copy | StepKind::Add => text_changed || own_context || upstream,
                StepKind::Run => {
                    text_changed
                        || referenced_var
                        || own_context
                        || upstream
                        || (parent_source && !is_independent_command(command))
                }
                StepKind::From | StepKind::Workdir => text_changed,
            };
        source_changed[i] = parent_source || (need[i] && step.kind != StepKind::From);
        if need[i] {
            stage_needed[step.stage] = true;
        }
    }
    need
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_commands() {
        assert!(is_independent_command(
            "shell curl -fsSL https://x/y.gz -o /y.gz"
        ));
        assert!(is_independent_command(
            "shell apt-get update && apt-get install -y gcc"
        ));
        assert!(!is_independent_command("shell go build ./..."));
        assert!(!is_independent_command("shell curl -o x https://a && make"));
    }

    #[test]
    fn variable_references() {
        assert!(references(
            "go build -ldflags \"-X main.v=${VERSION}\"",
            "VERSION"
        ));
        assert!(references("echo $VERSION", "VERSION"));
        assert!(!references("echo $VERSIONS", "VERSION"));
        assert!(!references("make", "COMMIT"));
    }
}

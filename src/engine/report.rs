//! Text tables of `hoist measure` and `hoist verify` (plain text, one step a line).

use std::fmt::Write as _;

use crate::model::Build;
use crate::timing::Mapping;

use super::agreement::{Check, Outcome, Status};

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

const STEP_WIDTH: usize = 48;

/// `hoist measure`: every reachable step with its seconds and whether it was cached.
pub fn measure_table(build: &Build, mapping: &Mapping) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>5}  {:<12}  {:<w$}  {:>8}  cached",
        "line",
        "stage",
        "step",
        "seconds",
        w = STEP_WIDTH
    );
    for step in &build.steps {
        if !build.reachable[step.stage] {
            continue;
        }
        let seen = mapping.steps.iter().find(|t| t.step == step.index);
        let failed = mapping.failed.contains(&step.index);
        let (secs, cached) = match seen {
            Some(t) => (
                t.seconds.map(|x| format!("{x:.1}")).unwrap_or("-".into()),
                if failed {
                    "FAILED"
                } else if t.cached {
                    "yes"
                } else {
                    "no"
                },
            ),
            None if failed => ("-".into(), "FAILED"),
            None => ("-".into(), "not in log"),
        };
        let _ = writeln!(
            s,
            "{:>5}  {:<12}  {:<w$}  {:>8}  {cached}",
            step.line,
            shorten(&build.stages[step.stage].display_name(), 12),
            shorten(&step.instruction, STEP_WIDTH),
            secs,
            w = STEP_WIDTH
        );
    }
    s
}

/// `hoist verify`: one build's agreement table, indented by two.
pub fn agreement_table(build: &Build, checks: &[Check]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:>5}  {:<w$}  {:<9}  {:<11}  result",
        "line",
        "step",
        "predicted",
        "engine",
        w = STEP_WIDTH
    );
    for c in checks {
        let step = &build.steps[c.step];
        let engine = match (c.outcome, c.seconds) {
            (Outcome::Ran, Some(t)) => format!("ran {t:.1}s"),
            (o, _) => o.to_string(),
        };
        let result = match c.status {
            Status::Agree => "ok".to_string(),
            Status::Disagree if c.outcome == Outcome::Cached => format!(
                "DISAGREE — hoist: {}; a record left by an earlier run on this builder can also serve a step",
                c.reason
            ),
            Status::Disagree => format!("DISAGREE — hoist: {}", c.reason),
            Status::Uncertain => format!("uncertain; the engine {}", c.outcome),
            Status::Excluded => "not compared (FROM)".to_string(),
            Status::Unverified => "not compared".to_string(),
        };
        let _ = writeln!(
            s,
            "  {:>5}  {:<w$}  {:<9}  {:<11}  {result}",
            step.line,
            shorten(&step.instruction, STEP_WIDTH),
            c.predicted.to_string(),
            engine,
            w = STEP_WIDTH
        );
    }
    s
}

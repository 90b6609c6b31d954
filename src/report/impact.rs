//! `hoist impact` output: per Dockerfile, every step in build order with its
//! verdict and reason, as text or JSON (field names documented in docs/json.md).

use serde::Serialize;

use crate::model::Build;
use crate::predict::{StepImpact, Verdict};

#[derive(Debug, Serialize)]
pub struct FileImpact {
    pub file: String,
    pub target: String,
    pub cache: String,
    pub steps: Vec<StepReport>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct StepReport {
    pub stage: String,
    pub index: usize,
    pub line: usize,
    pub instruction: String,
    pub verdict: Verdict,
    pub reason: String,
    pub inputs_changed: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub steps: usize,
    pub cached: usize,
    pub rebuilt: usize,
    pub uncertain: usize,
}

pub fn file_impact(file: &str, cache: &str, build: &Build, impacts: &[StepImpact]) -> FileImpact {
    let mut summary = Summary::default();
    let steps = impacts
        .iter()
        .map(|i| {
            let s = &build.steps[i.step];
            summary.steps += 1;
            match i.verdict {
                Verdict::Cached => summary.cached += 1,
                Verdict::Rebuilt => summary.rebuilt += 1,
                Verdict::Uncertain => summary.uncertain += 1,
            }
            StepReport {
                stage: build.stages[s.stage].display_name(),
                index: s.index,
                line: s.line,
                instruction: s.instruction.clone(),
                verdict: i.verdict,
                reason: i.reason.clone(),
                inputs_changed: i.inputs_changed.clone(),
            }
        })
        .collect();
    FileImpact {
        file: file.to_string(),
        target: build.stages[build.target].display_name(),
        cache: cache.to_string(),
        steps,
        summary,
    }
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A table per file; verdicts are coloured when `color` is set.
pub fn text(report: &FileImpact, color: bool) -> String {
    let mut out = format!(
        "{} (target {}, cache {})\n",
        report.file, report.target, report.cache
    );
    let stage_w = report
        .steps
        .iter()
        .map(|s| s.stage.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "  {:<stage_w$}  {:>4}  {:<9}  {:<40}  reason\n",
        "stage", "line", "verdict", "instruction"
    ));
    for s in &report.steps {
        let verdict = format!("{:<9}", s.verdict.to_string());
        let verdict = if color {
            let code = match s.verdict {
                Verdict::Cached => "32",
                Verdict::Rebuilt => "31",
                Verdict::Uncertain => "33",
            };
            format!("\x1b[{code}m{verdict}\x1b[0m")
        } else {
            verdict
        };
        out.push_str(&format!(
            "  {:<stage_w$}  {:>4}  {}  {:<40}  {}\n",
            s.stage,
            s.line,
            verdict,
            cut(&s.instruction, 40),
            s.reason
        ));
    }
    let r = &report.summary;
    out.push_str(&format!(
        "  {} of {} steps re-run, {} uncertain, {} cached\n",
        r.rebuilt, r.steps, r.uncertain, r.cached
    ));
    out
}

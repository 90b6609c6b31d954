//! Figures a team reads off a replay: per step, per change class, and the floor.

use serde::Serialize;

use super::{ChangeClass, Replay, TargetReplay};
use crate::predict::Verdict;

#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    pub stage: String,
    pub instruction: String,
    /// Commits whose build had this step.
    pub present: usize,
    /// Of those, how many re-ran it (uncertain counted as re-run).
    pub reruns: usize,
    pub rebuild_rate: f64,
    /// Measured seconds of one run of the step, if measured.
    pub seconds: Option<f64>,
    /// `rebuild_rate × seconds`: what the step costs per commit on average.
    pub expected_seconds_per_commit: Option<f64>,
    /// Share of its re-runs an ideally keyed Dockerfile would also do.
    pub necessary_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    pub class: ChangeClass,
    pub label: String,
    pub commits: usize,
    /// Measured seconds over all builds of all targets (per-commit builds counted).
    pub seconds: f64,
    pub floor_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    pub dockerfile: String,
    pub builds_per_commit: usize,
    pub steps: Vec<StepSummary>,
    /// Measured seconds per commit of one build, on average.
    pub seconds_per_commit: f64,
    pub floor_seconds_per_commit: f64,
    pub headroom_seconds_per_commit: f64,
    /// Headroom over the range, all builds (× builds per commit), in minutes.
    pub headroom_ci_minutes: f64,
    pub ci_minutes: f64,
    /// Re-run steps without a measurement, over the range.
    pub unmeasured_reruns: usize,
    pub measured_reruns: usize,
    pub failed_commits: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub commits: usize,
    pub targets: Vec<TargetSummary>,
    pub classes: Vec<ClassSummary>,
    pub ci_minutes: f64,
    pub floor_ci_minutes: f64,
    pub headroom_ci_minutes: f64,
    /// Share of re-run steps that had a measured cost.
    pub measured_share: f64,
}

fn target_summary(t: &TargetReplay) -> TargetSummary {
    let mut steps = Vec::new();
    for (s, id) in t.steps.iter().enumerate() {
        let cells: Vec<_> = t
            .cells
            .iter()
            .filter_map(|row| row.get(s).and_then(|c| c.as_ref()))
            .collect();
        let reruns = cells
            .iter()
            .filter(|c| c.verdict != Verdict::Cached)
            .count();
        let necessary = cells
            .iter()
            .filter(|c| c.verdict != Verdict::Cached && c.necessary)
            .count();
        let rate = if cells.is_empty() {
            0.0
        } else {
            reruns as f64 / cells.len() as f64
        };
        let seconds = t.step_seconds[s];
        steps.push(StepSummary {
            stage: id.stage.clone(),
            instruction: id.instruction.clone(),
            present: cells.len(),
            reruns,
            rebuild_rate: rate,
            seconds,
            expected_seconds_per_commit: seconds.map(|x| x * rate),
            necessary_share: if reruns == 0 {
                1.0
            } else {
                necessary as f64 / reruns as f64
            },
        });
    }
    let n = t.costs.len().max(1) as f64;
    let total: f64 = t.costs.iter().map(|c| c.seconds).sum();
    let floor: f64 = t.costs.iter().map(|c| c.floor_seconds).sum();
    let builds = t.builds_per_commit as f64;
    TargetSummary {
        dockerfile: t.dockerfile.clone(),
        builds_per_commit: t.builds_per_commit,
        steps,
        seconds_per_commit: total / n,
        floor_seconds_per_commit: floor / n,
        headroom_seconds_per_commit: (total - floor) / n,
        headroom_ci_minutes: (total - floor) * builds / 60.0,
        ci_minutes: total * builds / 60.0,
        unmeasured_reruns: t.costs.iter().map(|c| c.unmeasured).sum(),
        measured_reruns: t
            .costs
            .iter()
            .map(|c| c.rebuilt + c.uncertain - c.unmeasured)
            .sum(),
        failed_commits: t.costs.iter().filter(|c| c.error.is_some()).count(),
    }
}

pub fn summarize(r: &Replay) -> Summary {
    let targets: Vec<TargetSummary> = r.targets.iter().map(target_summary).collect();
    let mut classes: Vec<ClassSummary> = Vec::new();
    for (c, commit) in r.commits.iter().enumerate() {
        let (mut secs, mut floor) = (0.0, 0.0);
        for t in &r.targets {
            if let Some(cost) = t.costs.get(c) {
                secs += cost.seconds * t.builds_per_commit as f64;
                floor += cost.floor_seconds * t.builds_per_commit as f64;
            }
        }
        match classes.iter_mut().find(|x| x.class == commit.class) {
            Some(x) => {
                x.commits += 1;
                x.seconds += secs;
                x.floor_seconds += floor;
            }
            None => classes.push(ClassSummary {
                class: commit.class,
                label: commit.class.label().to_string(),
                commits: 1,
                seconds: secs,
                floor_seconds: floor,
            }),
        }
    }
    classes.sort_by_key(|c| c.class);
    let ci: f64 = targets.iter().map(|t| t.ci_minutes).sum();
    let headroom: f64 = targets.iter().map(|t| t.headroom_ci_minutes).sum();
    let measured: usize = targets.iter().map(|t| t.measured_reruns).sum();
    let unmeasured: usize = targets.iter().map(|t| t.unmeasured_reruns).sum();
    Summary {
        commits: r.commits.len(),
        targets,
        classes,
        ci_minutes: ci,
        floor_ci_minutes: ci - headroom,
        headroom_ci_minutes: headroom,
        measured_share: if measured + unmeasured == 0 {
            1.0
        } else {
            measured as f64 / (measured + unmeasured) as f64
        },
    }
}

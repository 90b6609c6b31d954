//! Prediction against reality: what hoist predicted for every step of a build,
//! next to what the engine did.
//!
//! **Which prediction.** A local builder keeps the records of every build it
//! ran (R1.5), so a step is served from cache when its key matches *any*
//! earlier build's record — not only the previous one's. hoist's keys are
//! symbolic: a context input's key says "same bytes as the old build" or "not",
//! which is exact for two builds but cannot tell a third build's bytes apart.
//! So the prediction is made against each earlier build (its Dockerfile, its
//! build arguments, the paths that differ between its context and the new one)
//! and, step by step, the best answer wins: cached if any earlier build's
//! records serve the step, else uncertain if any may, else rebuilt. That is
//! `predict` with `history`, made exact for context bytes: a file reverted to
//! an earlier commit's content hits that commit's record, and a Dockerfile
//! line reverted while the files moved on does not.
//!
//! **Which steps are compared.** Every reachable step except `FROM`: BuildKit
//! reports the image source of a local image as cached or not arbitrarily
//! (`buildkit-cache-experiments.md`), so those are listed but not compared.
//! A step hoist calls `uncertain` (its bytes come from another stage or a
//! download) agrees with either answer; the engine's answer is reported.

use std::fmt::Write as _;

use crate::model::{Build, StepKind};
use crate::predict::{self, CacheMode, ContextChange, Scenario, StepImpact, Verdict};
use crate::timing::Mapping;

/// An earlier build of a sequence, as the new build sees it.
#[derive(Debug, Clone)]
pub struct Earlier<'a> {
    pub build: &'a Build,
    /// Context paths whose bytes, mode or presence differ between that build's
    /// context and the new one (after the ignore files, R7.5).
    pub change: ContextChange,
    /// How to name it in reasons: `commit 3f2a1b9c0d`, `state 2`.
    pub label: String,
}

/// Predicts every reachable step of `new` on a local builder that holds the
/// records of every build in `earlier` (oldest first; the last is the previous
/// build). Empty `earlier`: nothing is cached, every step is a new record.
pub fn predict_against_earlier(new: &Build, earlier: &[Earlier]) -> Vec<StepImpact> {
    let Some((previous, before)) = earlier.split_last() else {
        return predict::predict(&Scenario {
            old: new,
            new,
            change: &ContextChange::default(),
            cache: CacheMode::Local,
            history: None,
        })
        .into_iter()
        .map(|mut i| {
            if new.steps[i.step].kind != StepKind::From {
                i.verdict = Verdict::Rebuilt;
                i.reason = "first build: no earlier record".into();
            }
            i
        })
        .collect();
    };
    let against = |e: &Earlier| {
        predict::predict(&Scenario {
            old: e.build,
            new,
            change: &e.change,
            cache: CacheMode::Local,
            history: None,
        })
    };
    let mut best = against(previous);
    for e in before.iter().rev() {
        if best.iter().all(|i| i.verdict == Verdict::Cached) {
            break;
        }
        for alt in against(e) {
            if let Some(cur) = best.iter_mut().find(|b| b.step == alt.step)
                && alt.verdict < cur.verdict
            {
                let mut better = alt;
                better.reason = match better.verdict {
                    Verdict::Cached => format!(
                        "matches the cache record of {} (an earlier build on this builder, R1.5)",
                        e.label
                    ),
                    _ => format!("{} (against the record of {})", better.reason, e.label),
                };
                *cur = better;
            }
        }
    }
    best
}

/// What the engine did with a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from cache.
    Cached,
    /// Executed.
    Ran,
    /// Its vertex failed.
    Failed,
    /// The log does not mention it (a failed build stopped before it, or
    /// BuildKit merged it with an identical vertex).
    Missing,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Cached => "cached",
            Outcome::Ran => "ran",
            Outcome::Failed => "failed",
            Outcome::Missing => "not in log",
        })
    }
}

/// How a step's prediction compares with the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// cached/cached or rebuilt/ran.
    Agree,
    /// cached/ran or rebuilt/cached.
    Disagree,
    /// hoist said `uncertain`: either answer agrees.
    Uncertain,
    /// A `FROM` step: BuildKit reports local images arbitrarily.
    Excluded,
    /// The step failed or is not in the log: nothing to compare.
    Unverified,
}

/// One step, predicted and observed.
#[derive(Debug, Clone)]
pub struct Check {
    /// Index into `Build::steps`.
    pub step: usize,
    pub predicted: Verdict,
    pub reason: String,
    pub outcome: Outcome,
    pub seconds: Option<f64>,
    pub status: Status,
}

/// Compares the prediction for every reachable step with the engine's log
/// mapped onto the build.
pub fn check(build: &Build, impacts: &[StepImpact], mapping: &Mapping) -> Vec<Check> {
    let mut out: Vec<Check> = impacts
        .iter()
        .map(|i| {
            let seen = mapping.steps.iter().find(|t| t.step == i.step);
            let outcome = if mapping.failed.contains(&i.step) {
                Outcome::Failed
            } else {
                match seen {
                    Some(t) if t.cached => Outcome::Cached,
                    Some(_) => Outcome::Ran,
                    None => Outcome::Missing,
                }
            };
            let status = if build.steps[i.step].kind == StepKind::From {
                Status::Excluded
            } else {
                match (i.verdict, outcome) {
                    (_, Outcome::Failed | Outcome::Missing) => Status::Unverified,
                    (Verdict::Uncertain, _) => Status::Uncertain,
                    (Verdict::Cached, Outcome::Cached) | (Verdict::Rebuilt, Outcome::Ran) => {
                        Status::Agree
                    }
                    _ => Status::Disagree,
                }
            };
            Check {
                step: i.step,
                predicted: i.verdict,
                reason: i.reason.clone(),
                outcome,
                seconds: seen.and_then(|t| t.seconds),
                status,
            }
        })
        .collect();
    out.sort_by_key(|c| c.step);
    out
}

/// Counts over any number of checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub agree: usize,
    pub disagree: usize,
    /// Uncertain steps the engine served from cache.
    pub uncertain_cached: usize,
    /// Uncertain steps the engine ran.
    pub uncertain_ran: usize,
    pub excluded: usize,
    pub unverified: usize,
}

impl Tally {
    pub fn add(&mut self, checks: &[Check]) {
        for c in checks {
            match c.status {
                Status::Agree => self.agree += 1,
                Status::Disagree => self.disagree += 1,
                Status::Uncertain if c.outcome == Outcome::Cached => self.uncertain_cached += 1,
                Status::Uncertain => self.uncertain_ran += 1,
                Status::Excluded => self.excluded += 1,
                Status::Unverified => self.unverified += 1,
            }
        }
    }

    /// Steps compared with a definite prediction.
    pub fn compared(&self) -> usize {
        self.agree + self.disagree
    }

    /// `12/12 steps agree (2 uncertain: 1 cached, 1 ran; 3 FROM steps not compared)`.
    pub fn summary(&self) -> String {
        let mut s = format!("{}/{} steps agree", self.agree, self.compared());
        let mut notes = Vec::new();
        let uncertain = self.uncertain_cached + self.uncertain_ran;
        if uncertain > 0 {
            notes.push(format!(
                "{uncertain} uncertain: engine cached {}, ran {}",
                self.uncertain_cached, self.uncertain_ran
            ));
        }
        if self.excluded > 0 {
            notes.push(format!(
                "{} FROM {} not compared",
                self.excluded,
                if self.excluded == 1 { "step" } else { "steps" }
            ));
        }
        if self.unverified > 0 {
            notes.push(format!("{} failed or not in the log", self.unverified));
        }
        if !notes.is_empty() {
            let _ = write!(s, " ({})", notes.join("; "));
        }
        s
    }
}

//! What happened to each image in a build run: its state at scan time, the steps it went
//! through with their timings, and its outcome. The summary and the reports read this one
//! record.

use std::time::{Duration, SystemTime};

use crate::image_state::ImageState;
use crate::scheduler::JobOutcome;
use crate::step::{Step, StepError};

/// One step an image went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRun {
    pub step: Step,
    pub started: SystemTime,
    pub duration: Duration,
    pub succeeded: bool,
}

/// What happened to one image.
#[derive(Debug)]
pub struct ImageRecord {
    /// Its state at scan time; `None` when the scan could not tell (see the outcome).
    pub initial: Option<ImageState>,
    pub steps: Vec<StepRun>,
    /// The digest of the manifest published, when it was.
    pub digest: Option<String>,
    /// `None` when the run did not work on it.
    pub outcome: Option<JobOutcome<StepError>>,
}

impl ImageRecord {
    /// Whether `step` went well.
    pub fn did(&self, step: Step) -> bool {
        self.steps
            .iter()
            .any(|run| run.step == step && run.succeeded)
    }

    /// The work steps that went well, in order: `built, verified, published`, say.
    pub fn done(&self) -> Vec<&'static str> {
        [
            (Step::Build, "built"),
            (Step::Verify, "verified"),
            (Step::Publish, "published"),
        ]
        .into_iter()
        .filter_map(|(step, word)| self.did(step).then_some(word))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(step: Step, succeeded: bool) -> StepRun {
        StepRun {
            step,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            succeeded,
        }
    }

    #[test]
    fn steps_done() {
        let record = ImageRecord {
            initial: Some(ImageState::ToBuild),
            steps: vec![
                run(Step::Pull, true),
                run(Step::Build, true),
                run(Step::Verify, false),
            ],
            digest: None,
            outcome: None,
        };
        assert!(record.did(Step::Build) && !record.did(Step::Verify));
        assert_eq!(record.done(), ["built"]);
    }
}

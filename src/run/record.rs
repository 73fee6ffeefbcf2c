//! What happened to each image in a build run: its state at scan time, the steps it went
//! through with their timings, and its outcome. The summary and the reports read this one
//! record.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::label::platform::Platform;
use crate::run::image_state::ImageState;
use crate::run::scheduler::JobOutcome;
use crate::run::step::{Step, StepError};

/// One step an image went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRun {
    pub step: Step,
    pub started: SystemTime,
    pub duration: Duration,
    pub succeeded: bool,
}

/// What the verify step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tested {
    /// The test ran (and passed or failed, as the step says); its output, the last lines
    /// when it printed a lot (the log has all of it).
    Ran { output: String },
    /// The test file named by `verify_args` does not exist: nothing to run, the image passes.
    NoTest { missing: PathBuf },
}

/// What one platform of an image built as a manifest list went through: its build and its
/// test, each timed, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRun {
    pub platform: Platform,
    /// Its `build` and `verify` steps; a platform the run did not get to has none.
    pub steps: Vec<StepRun>,
    /// What its test found, when it was tested.
    pub tested: Option<Tested>,
}

impl PlatformRun {
    pub fn new(platform: Platform) -> PlatformRun {
        PlatformRun {
            platform,
            steps: Vec::new(),
            tested: None,
        }
    }

    /// Whether `step` went well for this platform.
    pub fn did(&self, step: Step) -> bool {
        self.steps
            .iter()
            .any(|run| run.step == step && run.succeeded)
    }
}

/// The last lines a test printed, for the reports: enough to see why it failed, bounded so
/// that a chatty test does not fill the memory.
#[derive(Debug, Default)]
pub struct TestOutput {
    lines: VecDeque<String>,
    dropped: usize,
}

impl TestOutput {
    const LINES: usize = 200;

    pub fn push(&mut self, line: &str) {
        if self.lines.len() == Self::LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line.to_owned());
    }

    /// The lines kept, with a first line saying how many went before them.
    pub fn text(&self) -> String {
        let mut text = String::new();
        if self.dropped > 0 {
            text.push_str(&format!(
                "[{} earlier lines are in the log]\n",
                self.dropped
            ));
        }
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// What happened to one image.
#[derive(Debug, Default)]
pub struct ImageRecord {
    /// Its state at scan time; `None` when the scan could not tell (see the outcome).
    pub initial: Option<ImageState>,
    pub steps: Vec<StepRun>,
    /// The digest of the manifest published, when it was.
    pub digest: Option<String>,
    /// `None` when the run did not work on it.
    pub outcome: Option<JobOutcome<StepError>>,
    /// What its verification found, when it was verified.
    pub tested: Option<Tested>,
    /// Each platform's build and test, when it is built as a manifest list (`platforms`
    /// configured); empty otherwise.
    pub platforms: Vec<PlatformRun>,
}

impl ImageRecord {
    /// Whether `step` went well.
    pub fn did(&self, step: Step) -> bool {
        self.steps
            .iter()
            .any(|run| run.step == step && run.succeeded)
    }

    /// The work steps that went well, in order: `built, verified, published, signed`, say.
    pub fn done(&self) -> Vec<&'static str> {
        [
            (Step::Build, "built"),
            (Step::Verify, "verified"),
            (Step::Publish, "published"),
            (Step::SignatureCheck, "signed"),
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
    fn test_output_keeps_the_last_lines() {
        let mut output = TestOutput::default();
        for i in 0..205 {
            output.push(&format!("line {i}"));
        }
        let text = output.text();
        assert!(text.starts_with("[5 earlier lines are in the log]\nline 5\n"));
        assert!(text.ends_with("line 204\n"));
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
            ..ImageRecord::default()
        };
        assert!(record.did(Step::Build) && !record.did(Step::Verify));
        assert_eq!(record.done(), ["built"]);
    }
}

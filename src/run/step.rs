//! The steps of an image's work in a build run, and why one failed: typed, so that the summary
//! and reports say which step failed and why without reading text.

use std::fmt;

use crate::engine::EngineError;
use crate::process::{ExitStatus, ProcessError};
use crate::registry::RegistryError;
use crate::run::build_context::ContextError;
use crate::run::image_locks::LockError;
use crate::run::image_state::InvalidTransition;
use crate::run::verify::VerifyError;
use crate::template::RenderError;
use crate::tree::TreeError;
use crate::tree::provenance::LabelsError;

/// One step of an image's work, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// What the scan found: a version that is not a tag, a published check that failed.
    Check,
    /// Pulling the published images it is built on.
    Pull,
    Build,
    Verify,
    Publish,
    /// Checking that every tag pushed carries a signature that verifies.
    SignatureCheck,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Check => "check",
            Step::Pull => "pull",
            Step::Build => "build",
            Step::Verify => "verify",
            Step::Publish => "publish",
            Step::SignatureCheck => "signature check",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a step of an image failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Defect(TreeError),
    #[error("cannot tell whether it is published: {0}")]
    Unchecked(RegistryError),
    #[error("cannot pull {dependency}, which it is built on: {source}")]
    Dependency {
        dependency: String,
        source: std::sync::Arc<EngineError>,
    },
    #[error(
        "cannot build on base image {base}: it cannot be pulled and local storage has no copy \
         of it: {source}"
    )]
    MissingBase {
        base: String,
        source: std::sync::Arc<EngineError>,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Labels(#[from] LabelsError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("cannot tag it as latest in the registry: {0}")]
    Registry(#[from] RegistryError),
    #[error("{reference} has no signature that verifies: {source}")]
    Unsigned {
        reference: String,
        source: Box<EngineError>,
    },
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("internal error: {0}")]
    Panic(String),
}

impl Failure {
    /// A stable name of the kind of failure, for tools reading the reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Defect(TreeError::LinksOutside(_)) => "link_outside",
            Failure::Defect(_) => "invalid_tag",
            Failure::Unchecked(_) => "registry_check",
            Failure::Dependency { .. } | Failure::MissingBase { .. } => "pull",
            Failure::Render(_) => "render",
            Failure::Context(_) => "context",
            Failure::Labels(_) => "labels",
            Failure::Unsigned { .. } => "signature",
            Failure::Engine(EngineError::Process(ProcessError::TimedOut { .. }))
            | Failure::Verify(VerifyError::Process(ProcessError::TimedOut { .. })) => "timeout",
            Failure::Engine(_) => "engine",
            Failure::Verify(_) => "test",
            Failure::Registry(_) => "registry",
            Failure::Lock(_) => "lock",
            Failure::Transition(_) | Failure::Panic(_) => "internal",
        }
    }

    /// The process that failed (the last try's, when it was tried again), when one did.
    pub fn process(&self) -> Option<&ProcessError> {
        match self {
            Failure::Engine(EngineError::Process(error))
            | Failure::Verify(VerifyError::Process(error)) => Some(error),
            Failure::Engine(EngineError::Retried { last, .. }) => match last.as_ref() {
                EngineError::Process(error) => Some(error),
                _ => None,
            },
            _ => None,
        }
    }

    /// How many times the failed process was tried, when more than once.
    fn tries(&self) -> Option<u32> {
        match self {
            Failure::Engine(EngineError::Retried { tries, .. }) => Some(*tries),
            _ => None,
        }
    }
}

/// A failed step of one image.
#[derive(Debug, thiserror::Error)]
#[error("{image}: {step} failed: {failure}")]
pub struct StepError {
    pub step: Step,
    /// The image's label.
    pub image: String,
    pub failure: Failure,
}

impl StepError {
    /// The reason on one line: the tool's exit status and last words rather than its whole
    /// story, which the log has.
    pub fn brief(&self) -> String {
        let process = self.failure.process();
        let reason = match (&self.failure, process) {
            // bash runs `test.sh` as a program, and a script without its executable bit
            // ends there.
            (Failure::Verify(_), Some(ProcessError::Failed { status, .. }))
                if status.code == Some(ExitStatus::NOT_EXECUTABLE) =>
            {
                return format!(
                    "{} failed ({status}): the test script is not executable (chmod +x it)",
                    self.step
                );
            }
            (_, Some(error @ ProcessError::Failed { status, .. })) => {
                let words = error.last_words();
                let tries = self.failure.tries();
                let tries = tries.map(|n| format!(" ({n} tries)")).unwrap_or_default();
                return format!("{} failed ({status}): {words}{tries}", self.step);
            }
            (Failure::Dependency { dependency, source }, _) => {
                format!("cannot pull {dependency}: {}", source.last_words())
            }
            (Failure::Unsigned { reference, source }, _) => {
                format!("{reference}: {}", source.last_words())
            }
            (other, _) => other.to_string(),
        };
        let first = reason.lines().next().unwrap_or_default();
        format!("{} failed: {first}", self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn briefs_quote_the_last_words() {
        let error = StepError {
            step: Step::Build,
            image: "r.org/app:1.0".into(),
            failure: Failure::Engine(EngineError::Process(ProcessError::Failed {
                command: "buildah build".into(),
                status: ExitStatus::exited(1),
                tail: "STEP 2/2: RUN false\nError: building at STEP \"RUN false\": exit 1".into(),
            })),
        };
        assert_eq!(
            error.brief(),
            "build failed (exit status: 1): Error: building at STEP \"RUN false\": exit 1"
        );
        assert!(
            error
                .to_string()
                .starts_with("r.org/app:1.0: build failed: `buildah build`")
        );
        assert_eq!(error.failure.kind(), "engine");
    }

    #[test]
    fn a_test_script_that_cannot_run_says_so() {
        let error = StepError {
            step: Step::Verify,
            image: "r.org/app:1.0".into(),
            failure: Failure::Verify(VerifyError::Process(ProcessError::Failed {
                command: "/bin/bash -c 'images/app/test.sh r.org/app:1.0'".into(),
                status: ExitStatus::exited(ExitStatus::NOT_EXECUTABLE),
                tail: "bash: line 1: images/app/test.sh: Permission denied".into(),
            })),
        };
        assert_eq!(
            error.brief(),
            "verify failed (exit status: 126): the test script is not executable (chmod +x it)"
        );
    }
}

//! The steps of an image's work in a build run, and why one failed: typed, so that the summary
//! and reports say which step failed and why without reading text.

use std::fmt;

use crate::build_context::ContextError;
use crate::engine::EngineError;
use crate::image_locks::LockError;
use crate::image_state::InvalidTransition;
use crate::process::ProcessError;
use crate::registry::RegistryError;
use crate::template::RenderError;
use crate::tree::TreeError;
use crate::verify::VerifyError;

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
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Check => "check",
            Step::Pull => "pull",
            Step::Build => "build",
            Step::Verify => "verify",
            Step::Publish => "publish",
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
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("cannot tag it as latest in the registry: {0}")]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("internal error: {0}")]
    Panic(String),
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
        let (process, tries) = match &self.failure {
            Failure::Engine(EngineError::Process(error))
            | Failure::Verify(VerifyError::Process(error)) => (Some(error), None),
            Failure::Engine(EngineError::Retried { tries, last }) => match last.as_ref() {
                EngineError::Process(error) => (Some(error), Some(tries)),
                _ => (None, None),
            },
            _ => (None, None),
        };
        let reason = match (&self.failure, process) {
            (_, Some(error @ ProcessError::Failed { status, .. })) => {
                let words = error.last_words();
                let tries = tries.map(|n| format!(" ({n} tries)")).unwrap_or_default();
                return format!("{} failed ({status}): {words}{tries}", self.step);
            }
            (Failure::Dependency { dependency, source }, _) => {
                format!("cannot pull {dependency}: {}", source.last_words())
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
                status: "exit status: 1".into(),
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
    }
}

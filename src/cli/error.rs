//! The errors that stop a command, and the exit codes.

use std::path::PathBuf;

use crate::ci::JobSettingsError;
use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::engine::rootless::RootlessError;
use crate::label::platform::PlatformError;
use crate::label::select::SelectError;
use crate::registry::RegistryError;
use crate::run::plan::PlanError;
use crate::run::workspace::WorkspaceError;
use crate::terminal::logging::LogFileError;

/// Something that stops a command before or outside the work on single images.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Rootless(#[from] RootlessError),
    #[error(transparent)]
    Platform(#[from] PlatformError),
    #[error(transparent)]
    JobSettings(#[from] JobSettingsError),
    #[error("cannot read {path}: {source}")]
    ReadReport {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a docker-pkg report: {message}")]
    NotAReport { path: PathBuf, message: String },
    #[error(
        "a pipeline needs a registry: each job publishes its image there, for the jobs of the \
         images built on it to pull; configure `registry`"
    )]
    CiWithoutRegistry,
    #[error("--expect {0}")]
    Expectation(String),
    #[error("cannot tell whether {image} is published, so whether it needs a job: {source}")]
    Unchecked {
        image: String,
        source: RegistryError,
    },
    #[error("no image is named {0}")]
    NoSuchImage(String),
    #[error(
        "--check-signatures has no key to check with: configure sign_by, or \
         sigstore_private_key and sigstore_public_key"
    )]
    NoSigningKey,
    #[error("{}: {message}; no changelog was changed", .path.display())]
    Update { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot handle signals: {0}")]
    Signals(std::io::Error),
    #[error("cannot make a folder for the run's temporary files: {0}")]
    RunDir(std::io::Error),
    #[error(
        "lint found {errors} problem{} that make{} a build fail",
        if *errors == 1 { "" } else { "s" },
        if *errors == 1 { "s" } else { "" }
    )]
    Lint { errors: usize },
    #[error(transparent)]
    Log(#[from] LogFileError),
}

impl Error {
    /// One line per problem: a scan or a tree can hold several.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Workspace(error) => error.lines(),
            Error::Rootless(error) => error.problems.clone(),
            other => vec![other.to_string()],
        }
    }
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every image went well.
    Success,
    /// At least one image failed; the others were done.
    ImagesFailed,
    /// A signal interrupted the run.
    Interrupted { signal: i32 },
}

/// Exit codes: 0 all good, 1 some image failed, 2 bad input, configuration or environment.
pub fn exit_code(result: &Result<Outcome, Error>) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::ImagesFailed) => 1,
        Ok(Outcome::Interrupted { signal }) => crate::terminal::interrupt::exit_code(*signal),
        Err(_) => 2,
    }
}

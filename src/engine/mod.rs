//! The container tools behind one trait. Nothing outside this module knows a flag of buildah,
//! podman or docker, and only this module spawns them.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::container_limits::ContainerLimits;
use crate::label::ImageLabel;

/// Which tool builds, tags, pushes and pulls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EngineKind {
    #[default]
    Buildah,
    Podman,
    Docker,
}

impl EngineKind {
    pub const ALL: [EngineKind; 3] = [EngineKind::Buildah, EngineKind::Podman, EngineKind::Docker];

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Buildah => "buildah",
            EngineKind::Podman => "podman",
            EngineKind::Docker => "docker",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<EngineKind, String> {
        EngineKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| format!("unknown engine `{s}`; choose buildah, podman or docker"))
    }
}

/// One image build.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// The build context, holding the rendered `Dockerfile`.
    pub context: &'a Path,
    pub label: &'a ImageLabel,
    pub use_cache: bool,
    pub build_args: &'a [(String, String)],
    pub limits: &'a ContainerLimits,
}

/// An image in local storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    pub id: String,
    /// Every `NAME:TAG` the image is known by.
    pub names: Vec<String>,
    pub size: u64,
}

/// What every container tool does for docker-pkg. Implementations shell out to the tool; each
/// method is one process (or one per reference where the tool takes only one).
pub trait Engine: Send + Sync {
    fn kind(&self) -> EngineKind;

    /// Builds `request.context` into `request.label`, never pulling implicitly; each line the
    /// tool prints goes to `on_line` as it comes.
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError>;

    /// Every image in local storage, in one call.
    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError>;

    /// Gives the local image `image` the extra name `target`.
    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError>;

    /// Pushes `image` to its registry.
    fn push(&self, image: &ImageLabel) -> Result<(), EngineError>;

    /// Pulls `reference` (`NAME:TAG`) into local storage.
    fn pull(&self, reference: &str) -> Result<(), EngineError>;

    /// Removes each `NAME:TAG` from local storage; an image goes when its last name does.
    fn remove(&self, references: &[String]) -> Result<(), EngineError>;
}

/// Why a container tool could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{program} is not installed (install the `{package}` package, or set engine_path)")]
    NotInstalled {
        program: String,
        package: &'static str,
    },
    #[error("`{command}` failed with {status}: {stderr_tail}")]
    Failed {
        /// The command line, credentials redacted.
        command: String,
        status: String,
        /// The last lines the tool printed on stderr.
        stderr_tail: String,
    },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("cannot understand the output of `{command}`: {message}")]
    Output { command: String, message: String },
    #[error("cannot prepare {what}: {source}")]
    Setup {
        what: String,
        source: std::io::Error,
    },
}

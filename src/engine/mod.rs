//! The container tools behind one trait. Nothing outside this module knows a flag of buildah,
//! podman or docker, and only this module spawns them.
//!
//! [`connect`] gives the engine that [`EngineSettings`] choose. Every engine keeps the
//! configured password off command lines (a private auth file, removed when the engine is
//! dropped) and out of its errors and streamed output.

mod access;
mod buildah;
mod containers_cli;
mod docker;
mod docker_shim;
mod lazy_engine;
mod local_names;
mod local_repositories;
mod podman;
mod settings;
mod size;
mod spelt_alike;
mod tool;
mod transient;

use std::path::Path;

use crate::container_limits::ContainerLimits;
use crate::exported_image::ExportedImage;
use crate::label::ImageLabel;
use crate::label::same_name;
use crate::process::{ProcessError, Secrets};
use crate::run_dir;

pub use crate::engine_kind::EngineKind;
use containers_cli::ContainersCli;
pub use docker_shim::DockerShim;
pub use lazy_engine::LazyEngine;
pub use local_names::LocalNames;
pub use local_repositories::{LocalRepositories, RepositoryImage};
pub use settings::EngineSettings;
pub use size::format_size;

/// The engine `settings` describe, its binary found and its registry access prepared.
pub fn connect(settings: EngineSettings) -> Result<Box<dyn Engine>, EngineError> {
    // The tools' own temporary files go with the run's, and are removed with them even when
    // a tool is killed before it could remove them.
    let tmpdir =
        run_dir::tools_tmpdir().map(|dir| ("TMPDIR".to_owned(), dir.display().to_string()));
    let tool = tool::Tool::locate(settings.kind, settings.program.as_deref())?
        .with_env(&tmpdir.into_iter().collect::<Vec<_>>())
        .with_env(&settings.extra_env)
        .with_secrets(secrets(&settings));
    let access = access::RegistryAccess::prepare(&settings.registry)?;
    Ok(match settings.kind {
        EngineKind::Buildah => Box::new(ContainersCli::new(tool, access, buildah::DIALECT)),
        EngineKind::Podman => Box::new(ContainersCli::new(tool, access, podman::DIALECT)),
        EngineKind::Docker => {
            let registry = &settings.registry;
            if registry.ca_bundle.is_some() || !registry.insecure_registries.is_empty() {
                log::warn!(
                    "the docker engine leaves TLS to the Docker daemon: ca_bundle and \
                     insecure_registries are not used by its pushes and pulls"
                );
            }
            Box::new(docker::Docker::new(tool, access))
        }
    })
}

/// The configured password, plainly and as it stands in an auth file.
fn secrets(settings: &EngineSettings) -> Secrets {
    let Some(credentials) = &settings.registry.credentials else {
        return Secrets::default();
    };
    Secrets::new([
        credentials.password.expose().to_owned(),
        credentials.basic_token(),
    ])
}

/// One image build.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// The build context, holding the rendered `Dockerfile`.
    pub context: &'a Path,
    pub label: &'a ImageLabel,
    /// More names for the built image (`latest`, say).
    pub also_tagged: &'a [ImageLabel],
    pub use_cache: bool,
    pub build_args: &'a [(String, String)],
    pub limits: &'a ContainerLimits,
    /// Stops the build, and fails it, when it takes longer.
    pub timeout: Option<std::time::Duration>,
}

/// An image in local storage, as the engine's tool reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// The image id, without `sha256:`.
    pub id: String,
    /// Every `NAME:TAG` the image is known by, spelt as the tool spells it (so that it can be
    /// handed back to [`Engine::remove`]); compare with [`LocalImage::has_name`].
    pub names: Vec<String>,
    /// In bytes; buildah and docker print sizes rounded to three digits.
    pub size: u64,
}

impl LocalImage {
    /// Whether the image is known as `label`. buildah and podman report a name without a
    /// registry below `localhost/` (`foo:1.0` as `localhost/foo:1.0`) and docker as it was
    /// tagged, so the names are compared with `localhost/` put in front of both sides' names
    /// that lack a registry.
    pub fn has_name(&self, label: &ImageLabel) -> bool {
        let wanted = label.to_string();
        self.names.iter().any(|name| same_name(name, &wanted))
    }
}

/// What every container tool does for docker-pkg. Implementations shell out to the tool; each
/// method is one process (or one per reference where the tool takes only one).
pub trait Engine: Send + Sync {
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

    /// Pushes the local image `image` to `destination` (in its registry; another tag of it,
    /// say), trying again while it fails for a reason that may pass. Gives the digest of the
    /// manifest pushed, when the tool tells it.
    fn push_to(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError>;

    /// Pushes `image` to its registry under its own name.
    fn push(&self, image: &ImageLabel) -> Result<Option<String>, EngineError> {
        self.push_to(image, image)
    }

    /// Pulls `reference` (`NAME:TAG`) into local storage, trying again while it fails for a
    /// reason that may pass.
    fn pull(&self, reference: &str) -> Result<(), EngineError>;

    /// Removes each `NAME:TAG` from local storage; an image goes when its last name does.
    fn remove(&self, references: &[String]) -> Result<(), EngineError>;

    /// Writes `image` out of local storage as a registry would receive it, for the registry
    /// client to upload; `None` for a tool that cannot (docker: its daemon pushes).
    fn export(&self, image: &ImageLabel) -> Result<Option<ExportedImage>, EngineError>;

    /// A folder every run on the same local storage sees, for the files that coordinate them.
    fn storage_run_dir(&self) -> Result<std::path::PathBuf, EngineError>;
}

/// Why a container tool could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{program} is not installed (install the `{package}` package, or set engine_path)")]
    NotInstalled {
        program: String,
        package: &'static str,
    },
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("{last} ({tries} tries)")]
    Retried { tries: u32, last: Box<EngineError> },
    #[error("cannot understand the output of `{command}`: {message}")]
    Output { command: String, message: String },
    #[error("cannot prepare {what}: {source}")]
    Setup {
        what: String,
        source: std::io::Error,
    },
}

impl EngineError {
    /// The tool's own last words when it failed, else the whole error: a reason that fits on
    /// one line.
    pub fn last_words(&self) -> String {
        match self {
            EngineError::Process(error) => error.last_words(),
            EngineError::Retried { tries, last } => {
                format!("{} ({tries} tries)", last.last_words())
            }
            other => other.to_string(),
        }
    }
}

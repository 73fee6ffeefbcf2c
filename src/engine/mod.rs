//! The container tools behind one trait. Nothing outside this module knows a flag of buildah,
//! podman or docker, and only this module spawns them.
//!
//! [`connect`] gives the engine that [`EngineSettings`] choose. Every engine keeps the
//! configured password off command lines (a private auth file, removed when the engine is
//! dropped) and out of its errors and streamed output.

mod access;
mod buildah;
pub mod container_limits;
mod containers_cli;
mod digest_file;
mod docker;
mod docker_shim;
pub(crate) mod engine_kind;
mod lazy_engine;
mod local_names;
mod local_repositories;
mod podman;
mod registries_d;
pub(crate) mod rootless;
mod settings;
mod signature_policy;
mod signer;
pub mod signing;
mod size;
mod spelt_alike;
mod tool;
mod transient;

use std::path::Path;

use crate::engine::container_limits::ContainerLimits;
use crate::engine::signing::Signing;
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::label::same_name;
use crate::process::run_dir;
use crate::process::{ProcessError, Secrets};
use crate::registry::exported_image::ExportedImage;

pub use crate::engine::engine_kind::EngineKind;
use containers_cli::ContainersCli;
pub use docker_shim::{DockerShim, PLATFORM_VARIABLE};
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
    check_signing(settings.kind, settings.signing.as_ref())?;
    let tool = tool::Tool::locate(settings.kind, settings.program.as_deref())?
        .with_env(&tmpdir.into_iter().collect::<Vec<_>>())
        .with_env(&settings.extra_env)
        .with_secrets(secrets(&settings)?);
    let access = access::RegistryAccess::prepare(&settings.registry)?;
    let signer = match &settings.signing {
        Some(signing) => {
            let registry = settings.registry.registry.as_deref().unwrap_or("localhost");
            Some(signer::Signer::prepare(signing, registry, &tool)?)
        }
        None => None,
    };
    Ok(match settings.kind {
        EngineKind::Buildah => {
            Box::new(ContainersCli::new(tool, access, buildah::DIALECT).signing(signer))
        }
        EngineKind::Podman => {
            Box::new(ContainersCli::new(tool, access, podman::DIALECT).signing(signer))
        }
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

/// Whether an engine of `kind` can sign as `signing` says, as far as can be told without
/// running anything: docker cannot; buildah and podman need skopeo.
pub fn check_signing(kind: EngineKind, signing: Option<&Signing>) -> Result<(), EngineError> {
    let Some(signing) = signing else {
        return Ok(());
    };
    if kind == EngineKind::Docker {
        return Err(signing_error(
            signing.key_name(),
            "the docker engine cannot sign what it pushes: use engine buildah or podman \
             (with skopeo installed), or remove the signing key from the configuration",
        ));
    }
    signer::find_skopeo(signing).map(drop)
}

/// Why signing cannot be done as configured by `key`.
pub(crate) fn signing_error(key: &'static str, reason: &str) -> EngineError {
    EngineError::Signing {
        key,
        reason: reason.to_owned(),
    }
}

/// The configured password, plainly and as it stands in an auth file, and the passphrase of
/// the signing key.
fn secrets(settings: &EngineSettings) -> Result<Secrets, EngineError> {
    let mut secrets = Vec::new();
    if let Some(credentials) = &settings.registry.credentials {
        secrets.extend(credentials.sensitive());
    }
    if let Some(Signing::Sigstore {
        passphrase_file, ..
    }) = &settings.signing
    {
        let text =
            std::fs::read_to_string(passphrase_file).map_err(|source| EngineError::Setup {
                what: format!("the passphrase in {}", passphrase_file.display()),
                source,
            })?;
        // The tools read the first line.
        secrets.extend(text.lines().next().map(str::to_owned));
    }
    Ok(Secrets::new(secrets))
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
    /// All of the image's own steps in one layer, rather than one layer per `RUN`, `COPY`
    /// and `ADD` step as Docker makes them; for buildah and podman (a Docker daemon always
    /// makes one per step).
    pub squash_steps: bool,
    pub build_args: &'a [(String, String)],
    /// Image labels, `NAME` and `VALUE`: set by the engine, not in the Dockerfile.
    pub labels: &'a [(String, String)],
    pub limits: &'a ContainerLimits,
    /// Stops the build, and fails it, when it takes longer.
    pub timeout: Option<std::time::Duration>,
    /// Build for this platform, emulated when foreign, as an image without a name, which
    /// [`Engine::make_list`] then gathers into the manifest list `label`; `also_tagged` is
    /// not used. None: the host's platform, the image named `label` and `also_tagged`.
    pub platform: Option<&'a Platform>,
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
    /// tool prints goes to `on_line` as it comes. Gives the id of the image built when the
    /// tool tells it, which it always does for a platform's build: that image has no name.
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, EngineError>;

    /// Makes the manifest list `list` in local storage of the local `images` (ids), each
    /// under the platform it was built for, replacing a list or image of that name. The
    /// builds of an image's platforms run side by side, and cannot each add their image to
    /// the list themselves: the tools' `build --manifest` reads, changes and writes the list
    /// without holding it, so that of two builds ending together one fails or its image is
    /// lost.
    fn make_list(&self, list: &ImageLabel, images: &[String]) -> Result<(), EngineError>;

    /// Removes from local storage the images that this engine's builds committed for their
    /// steps and nothing reads (without the cache): buildah and podman keep one per step.
    /// Nothing for a tool that keeps none, or keeps them as Docker does.
    fn remove_intermediates(&self) -> Result<(), EngineError> {
        Ok(())
    }

    /// Every image in local storage, in one call.
    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError>;

    /// Gives the local image `image` the extra name `target`.
    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError>;

    /// Pushes the local image `image` to `destination` (in its registry; another tag of it,
    /// say), signed for `destination` when the engine signs, trying again while it fails for
    /// a reason that may pass. Gives the digest of the manifest pushed, when the tool tells
    /// it.
    fn push_to(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError>;

    /// Pushes the local image `image` to `destination` as publishing does first: the fast
    /// way, in which a layer the registry already holds, in any repository, is neither
    /// compressed nor sent again. An engine that can [`export`](Engine::export) the image
    /// pushes once, without trying again: when it fails, the caller uploads the image
    /// request by request, each request tried again on its own. One that cannot (docker, a
    /// signing engine) tries again as [`Engine::push_to`] does. Gives the digest of the
    /// manifest pushed, when the tool tells it.
    fn push_fast(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError>;

    /// Pushes the manifest list `list` with every image it holds to `destination` (in its
    /// registry), the list and each image signed for `destination` when the engine signs,
    /// trying again while it fails for a reason that may pass. Gives the digest of the list
    /// pushed, when the tool tells it.
    fn push_list(
        &self,
        list: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError>;

    /// Pushes `image` to its registry under its own name.
    fn push(&self, image: &ImageLabel) -> Result<Option<String>, EngineError> {
        self.push_to(image, image)
    }

    /// When the engine signs, adds to the manifest `image` names in its registry (by tag, or
    /// by digest: `NAME:sha256:…`) a signature for `identity`, the same image under the tag
    /// that is given to it in the registry next; nothing otherwise. A signature names the tag
    /// it was made for, and a tag given in the registry gets none of its own.
    fn sign_as(&self, image: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError>;

    /// [`Engine::sign_as`] for the manifest list `list`: the signature for `identity` is
    /// added to the list and to each image it holds (a pull of one platform checks that
    /// platform's image alone).
    fn sign_list_as(&self, list: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError>;

    /// Whether `image`, as its registry serves it, has a signature that verifies with the
    /// engine's signing key; fails with the tool's reason when not.
    fn check_signature(&self, image: &ImageLabel) -> Result<(), EngineError>;

    /// Whether each image of the manifest list `list`, as its registry serves it, has a
    /// signature for the list's tag that verifies with the engine's signing key, as a
    /// consumer pulling that image checks it, and, where the tools can tell (GPG), the list
    /// itself; fails with the tool's reason when one has not.
    fn check_list_signature(&self, list: &ImageLabel) -> Result<(), EngineError>;

    /// Pulls `reference` (`NAME:TAG`) into local storage, trying again while it fails for a
    /// reason that may pass.
    fn pull(&self, reference: &str) -> Result<(), EngineError>;

    /// Pulls the manifest list `reference` (`NAME:TAG`) into local storage as a local list of
    /// the same name holding the image of each of `platforms`, each pulled by its digest,
    /// trying again while a transfer fails for a reason that may pass. A local list or image
    /// of that name is replaced once every image is pulled; a platform the list lacks is an
    /// error naming it, and leaves local storage as it was.
    fn pull_list(&self, reference: &str, platforms: &[Platform]) -> Result<(), EngineError>;

    /// Whether local storage holds `list` (`NAME:TAG`) as a manifest list with a local image
    /// of each of `platforms`; false for an image of that name that is no list.
    fn holds_list(&self, list: &str, platforms: &[Platform]) -> Result<bool, EngineError>;

    /// Removes each `NAME:TAG` from local storage; an image goes when its last name does.
    fn remove(&self, references: &[String]) -> Result<(), EngineError>;

    /// Removes the manifest list `list` from local storage (the images it holds stay, without
    /// names).
    fn remove_list(&self, list: &ImageLabel) -> Result<(), EngineError>;

    /// The ids of the local images that the manifest list `list` (`NAME:TAG`, as local
    /// storage names it) holds, one per platform.
    fn list_instances(&self, list: &str) -> Result<Vec<String>, EngineError>;

    /// Writes `image` out of local storage as a registry would receive it, for the registry
    /// client to upload when [`Engine::push_fast`] failed; `None` for a tool that cannot
    /// (docker: its daemon pushes) and when the engine signs (it pushes itself, signing as it
    /// writes the manifest).
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
    #[error("cannot sign with {key}: {reason}")]
    Signing { key: &'static str, reason: String },
    #[error("{engine} {what}")]
    Unsupported { engine: String, what: String },
    #[error("the manifest list {reference} has no signature of its own that verifies: {reason}")]
    ListUnsigned { reference: String, reason: String },
    #[error("the manifest list {reference} holds no image for {platform}")]
    PlatformMissing { reference: String, platform: String },
}

impl EngineError {
    /// The tool's own last words when it failed, else the whole error: a reason that fits on
    /// one line.
    pub fn last_words(&self) -> String {
        match self {
            EngineError::Process(error) => log_message(&error.last_words()),
            EngineError::Retried { tries, last } => {
                format!("{} ({tries} tries)", last.last_words())
            }
            other => other.to_string(),
        }
    }
}

/// The message of a line the tools log as `time="…" level=fatal msg="MESSAGE"`, else the
/// line as it is.
fn log_message(line: &str) -> String {
    let Some((_, quoted)) = line.split_once(" msg=\"") else {
        return line.to_owned();
    };
    let message = quoted.strip_suffix('"').unwrap_or(quoted);
    message.replace("\\\"", "\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_messages_are_the_words() {
        let line = r#"time="2026-11-27T15:58:38Z" level=fatal msg="Source image rejected: Signature for identity \"r/a:1\" is not accepted""#;
        assert_eq!(
            log_message(line),
            r#"Source image rejected: Signature for identity "r/a:1" is not accepted"#
        );
        assert_eq!(log_message("Error: no such image"), "Error: no such image");
    }
}

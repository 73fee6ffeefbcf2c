//! The engine of buildah and podman: they share their command line (podman builds with
//! buildah's code), the flags of build, tag, push, pull and rmi spelt the same by both; only
//! their image listings and `info` differ (`buildah.rs`, `podman.rs`).

use std::path::PathBuf;

use crate::engine::access::RegistryAccess;
use crate::engine::digest_file::DigestFile;
use crate::engine::signer::Signer;
use crate::engine::spelt_alike::{self, common_build_flags};
use crate::engine::tool::Tool;
use crate::engine::{BuildRequest, Engine, EngineError, LocalImage, signing_error};
use crate::exported_image::ExportedImage;
use crate::label::ImageLabel;
use crate::run_dir;

/// The variable through which buildah and podman take a build isolation.
const ISOLATION_VARIABLE: &str = "BUILDAH_ISOLATION";

/// Where buildah and podman differ: how each lists its local images (the flags of `images`
/// and how to read what it prints), says where its storage keeps run-time files (the flags
/// of `info` and how to read it) and pushes without trying again.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub images: &'static [&'static str],
    pub parse_images: fn(&str) -> Result<Vec<LocalImage>, String>,
    pub info: &'static [&'static str],
    pub parse_run_root: fn(&str) -> Result<PathBuf, String>,
    /// The flags of a `push` that is not tried again by the tool itself.
    pub push_once: &'static [&'static str],
}

/// buildah or podman, through its command line.
#[derive(Debug)]
pub struct ContainersCli {
    tool: Tool,
    access: RegistryAccess,
    dialect: Dialect,
    /// Signs what is pushed, when signing is configured.
    signer: Option<Signer>,
}

impl ContainersCli {
    pub fn new(tool: Tool, access: RegistryAccess, dialect: Dialect) -> ContainersCli {
        ContainersCli {
            tool,
            access,
            dialect,
            signer: None,
        }
    }

    /// The engine, signing what it pushes with `signer`.
    pub fn signing(self, signer: Option<Signer>) -> ContainersCli {
        ContainersCli { signer, ..self }
    }

    /// A push or pull reaching the registry of `reference`, quiet so that a failure's last
    /// lines are its reason, tried again while it fails for a reason that may pass.
    fn transfer(&self, reference: &str, args: &[&str]) -> Result<(), EngineError> {
        let verb = args.first().copied().unwrap_or_default();
        let mut all = words(&[verb, "--quiet"]);
        all.extend(self.registry_flags(reference));
        all.extend(words(&args[1..]));
        self.access.transfer(|| self.tool.run(&all).map(drop))
    }

    /// The private auth file and cert dir when configured, and `--tls-verify=false` only for
    /// an insecure registry.
    fn registry_flags(&self, reference: &str) -> Vec<String> {
        let mut flags = Vec::new();
        if let Some(file) = self.access.auth_file() {
            flags.push(format!("--authfile={}", file.display()));
        }
        if let Some(dir) = self.access.cert_dir() {
            flags.push(format!("--cert-dir={}", dir.display()));
        }
        if self.access.is_insecure(reference) {
            flags.push("--tls-verify=false".to_owned());
        }
        flags
    }
}

impl Engine for ContainersCli {
    /// `build --pull=never`: the default pulls a missing or newer base. `--layers` is the
    /// cache, off unless asked for. `--format docker`: the images Docker builds, which
    /// registries answer for without an `Accept` header, as docker-pkg 4.0.4 asks (an OCI
    /// image is a 404 to it, and it would build and push it again).
    ///
    /// With a platform, `--platform P --manifest LABEL`: `RUN` steps run on P (under QEMU
    /// when foreign) and the image joins the manifest list LABEL.
    ///
    /// `--isolation chroot` unless `BUILDAH_ISOLATION` chooses: it runs steps where the
    /// default OCI runtime cannot (rootless runners, hosts whose crun refuses their
    /// cgroups), and costs a third less per step than runc.
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        let cache = if request.use_cache {
            "--layers"
        } else {
            "--no-cache"
        };
        let mut args = words(&["build", "--pull=never", "--format", "docker", cache]);
        if self
            .tool
            .env_var(ISOLATION_VARIABLE)
            .is_none_or(|v| v.is_empty())
        {
            args.extend(words(&["--isolation", "chroot"]));
        }
        if let Some(platform) = request.platform {
            args.extend([
                "--platform".to_owned(),
                platform.to_string(),
                "--manifest".to_owned(),
                request.label.to_string(),
            ]);
        }
        args.extend(common_build_flags(request));
        self.tool.stream(&args, request.timeout, on_line)
    }

    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError> {
        let mut args = words(&["images"]);
        args.extend(words(self.dialect.images));
        self.tool.run_parsed(&args, self.dialect.parse_images)
    }

    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError> {
        spelt_alike::tag(&self.tool, image, target)
    }

    /// `push --digestfile`: the tool writes the digest it pushed. When signing, with a GPG
    /// key the tool signs (`--sign-by`; signatures the local image may hold are dropped: the
    /// push compresses its layers, which they would not survive), with a sigstore key skopeo
    /// pushes and signs.
    fn push_to(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        let digest_file = DigestFile::new()?;
        match &self.signer {
            Some(signer) if signer.gpg_fingerprint().is_none() => {
                signer.push(&self.access, image, destination, digest_file.path())?;
            }
            signer => {
                let (image, destination) = (image.to_string(), destination.to_string());
                let mut args = vec!["push", "--digestfile", digest_file.path()];
                if let Some(fingerprint) = signer.as_ref().and_then(Signer::gpg_fingerprint) {
                    args.extend(["--remove-signatures", "--sign-by", fingerprint]);
                }
                args.extend([image.as_str(), destination.as_str()]);
                self.transfer(&destination, &args)?;
            }
        }
        digest_file.read()
    }

    /// One `push --format v2s2`, Docker's manifest format as the images are built in. The
    /// tool knows the compressed digest of each layer it pushed or pulled before (its
    /// blob-info cache): a layer the destination holds is not sent, one another repository
    /// of the registry holds is mounted from there (an upload when the registry will not
    /// mount it), and only the others are compressed. A signing engine pushes as
    /// [`push_to`](Engine::push_to) does: it has no other way.
    fn push_fast(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        if self.signer.is_some() {
            return self.push_to(image, destination);
        }
        let digest_file = DigestFile::new()?;
        let (image, destination) = (image.to_string(), destination.to_string());
        let mut args = words(&["push", "--quiet"]);
        args.extend(words(self.dialect.push_once));
        args.extend(self.registry_flags(&destination));
        args.extend(words(&[
            "--format",
            "v2s2",
            "--digestfile",
            digest_file.path(),
        ]));
        args.extend([image, destination]);
        self.tool.run(&args)?;
        digest_file.read()
    }

    /// `manifest push --all --format v2s2`: the list and each image it holds, as Docker's
    /// manifest list; layers the registry holds are not sent again.
    fn push_list(
        &self,
        list: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        if self.signer.is_some() {
            return Err(EngineError::Unsupported {
                engine: self.tool.program().display().to_string(),
                what: "does not sign manifest lists here yet: leave platforms unset to sign"
                    .to_owned(),
            });
        }
        let digest_file = DigestFile::new()?;
        let target = format!("docker://{destination}");
        let mut args = words(&["manifest", "push", "--all", "--quiet"]);
        args.extend(self.registry_flags(&destination.to_string()));
        args.extend(words(&[
            "--format",
            "v2s2",
            "--digestfile",
            digest_file.path(),
            &list.to_string(),
            &target,
        ]));
        self.access.transfer(|| self.tool.run(&args).map(drop))?;
        digest_file.read()
    }

    fn sign_as(&self, image: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError> {
        match &self.signer {
            Some(signer) => signer.sign_as(&self.access, image, identity),
            None => Ok(()),
        }
    }

    fn check_signature(&self, image: &ImageLabel) -> Result<(), EngineError> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            signing_error(
                "--check-signatures",
                "no signing key is configured to check with",
            )
        })?;
        signer.check(&self.access, image)
    }

    fn pull(&self, reference: &str) -> Result<(), EngineError> {
        self.transfer(reference, &["pull", reference])
    }

    fn remove(&self, references: &[String]) -> Result<(), EngineError> {
        spelt_alike::remove(&self.tool, references)
    }

    /// `manifest rm`: `rmi` does not remove a list.
    fn remove_list(&self, list: &ImageLabel) -> Result<(), EngineError> {
        self.tool
            .run(&words(&["manifest", "rm", &list.to_string()]))
            .map(drop)
    }

    /// `push --format v2s2 IMAGE dir:DIR`: local, no registry involved. Docker's manifest
    /// format, as the images are built in. None when signing: the signature is made as the
    /// manifest is written to the registry, so a signing engine pushes itself.
    fn export(&self, image: &ImageLabel) -> Result<Option<ExportedImage>, EngineError> {
        if self.signer.is_some() {
            return Ok(None);
        }
        let setup = |source| EngineError::Setup {
            what: format!("a folder to write {image} out to"),
            source,
        };
        let dir = run_dir::bulk_tempdir("docker-pkg-export-").map_err(setup)?;
        let target = format!("dir:{}", dir.path().display());
        let args = words(&[
            "push",
            "--quiet",
            "--format",
            "v2s2",
            &image.to_string(),
            &target,
        ]);
        self.tool.run(&args)?;
        ExportedImage::read(dir)
            .map(Some)
            .map_err(|message| EngineError::Output {
                command: self.tool.command(&args).line(),
                message,
            })
    }

    /// The storage's run root, on tmpfs: it is the same for every run on the same storage.
    fn storage_run_dir(&self) -> Result<PathBuf, EngineError> {
        self.tool
            .run_parsed(&words(self.dialect.info), self.dialect.parse_run_root)
    }
}

pub fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

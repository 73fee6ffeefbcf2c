//! The engine of buildah and podman: they share their command line (podman builds with
//! buildah's code), the flags of build, tag, push, pull and rmi spelt the same by both; only
//! their image listings and `info` differ (`buildah.rs`, `podman.rs`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::access::RegistryAccess;
use crate::engine::digest_file::DigestFile;
use crate::engine::signer::{Manifest, Signer};
use crate::engine::spelt_alike::{self, common_build_flags};
use crate::engine::tool::Tool;
use crate::engine::{BuildRequest, Engine, EngineError, LocalImage, signing_error};
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::process::run_dir;
use crate::registry::exported_image::ExportedImage;

/// The variable through which buildah and podman take a build isolation.
const ISOLATION_VARIABLE: &str = "BUILDAH_ISOLATION";
/// How many times local images are listed before an image vanishing meanwhile fails it.
const LISTING_TRIES: u32 = 5;
const LISTING_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

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
    /// The ids of the images that this engine's builds committed for their steps, which
    /// nothing reads unless the cache is on; removed by
    /// [`Engine::remove_intermediates`].
    intermediates: Mutex<Vec<String>>,
}

impl ContainersCli {
    pub fn new(tool: Tool, access: RegistryAccess, dialect: Dialect) -> ContainersCli {
        ContainersCli {
            tool,
            access,
            dialect,
            signer: None,
            intermediates: Mutex::new(Vec::new()),
        }
    }

    /// `images`, read by `parse`, and listed again when an image went away while the tool
    /// listed them: it reads the list of images, then looks each up, and a manifest list
    /// removed in between by another job of the run (or another run) fails the listing with
    /// "image not known".
    fn list_images<T>(&self, parse: fn(&str) -> Result<T, String>) -> Result<T, EngineError> {
        let mut args = words(&["images"]);
        args.extend(words(self.dialect.images));
        let mut tries = 1;
        loop {
            match self.tool.run_parsed(&args, parse) {
                Err(error) if tries < LISTING_TRIES && vanished_while_listed(&error) => {
                    tries += 1;
                    std::thread::sleep(LISTING_PAUSE);
                }
                listed => return listed,
            }
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

/// Whether `request` is built one layer per step (`--layers`), committing an image per step.
fn layered(request: &BuildRequest<'_>) -> bool {
    request.use_cache || !request.squash_steps
}

/// A copy of the `Dockerfile` of `request` with its labels as one `LABEL` step at its end, to
/// build from rather than giving them as `--label` flags: the tools add each flag as a step of
/// its own, and with `--layers` each step is an image committed, seven of them for the
/// provenance labels alone (about a second per image). The copy lies outside the context,
/// which the builds of several platforms share. None, and the flags stay, for a `Dockerfile`
/// whose last line goes on (`\`) or that chooses its own escape character.
fn labelled_dockerfile(
    request: &BuildRequest<'_>,
) -> Result<Option<tempfile::NamedTempFile>, EngineError> {
    let Ok(mut dockerfile) = std::fs::read_to_string(request.context.join("Dockerfile")) else {
        return Ok(None);
    };
    let own_escape = dockerfile
        .lines()
        .take_while(|line| line.starts_with('#'))
        .any(|line| line.to_ascii_lowercase().contains("escape"));
    if own_escape || dockerfile.trim_end().ends_with('\\') {
        return Ok(None);
    }
    if !dockerfile.is_empty() && !dockerfile.ends_with('\n') {
        dockerfile.push('\n');
    }
    dockerfile.push_str(&label_instruction(request.labels));
    let setup = |source| EngineError::Setup {
        what: "the labelled Dockerfile".to_owned(),
        source,
    };
    let mut file = run_dir::tempfile("docker-pkg-Dockerfile-").map_err(setup)?;
    std::io::Write::write_all(&mut file, dockerfile.as_bytes()).map_err(setup)?;
    Ok(Some(file))
}

/// `LABEL "NAME"="VALUE" …` and a newline, each word a Dockerfile string that says exactly
/// what it holds: `"`, `\\` and `$` (which would be expanded) escaped, control characters as
/// `--label` gave them (Go's `%q`, which the tools apply to each flag).
fn label_instruction(labels: &[(String, String)]) -> String {
    let quoted = |text: &str| {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' | '\\' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{}={}", quoted(name), quoted(value)))
        .collect();
    format!("LABEL {}\n", pairs.join(" "))
}

impl Engine for ContainersCli {
    /// `build --pull=never`: the default pulls a missing or newer base. `--layers`: one layer
    /// per `RUN`, `COPY` and `ADD` step, as Docker makes them (without it, buildah puts all
    /// of an image's own steps in one layer, which `request.squash_steps` asks for); it also
    /// reads the cache, which `--no-cache` stops unless asked for. With it, a step that fails
    /// (or is interrupted) would leave its container behind but for `--force-rm`. `--format docker`: the
    /// images Docker builds, which registries answer for without an `Accept` header, as
    /// docker-pkg 4.0.4 asks (an OCI image is a 404 to it, and it would build and push it
    /// again).
    ///
    /// With a platform, `--platform P --iidfile FILE`: `RUN` steps run on P (under QEMU
    /// when foreign), and the image, without a name, is known by the id the tool writes.
    ///
    /// `--isolation chroot` unless `BUILDAH_ISOLATION` chooses: it runs steps where the
    /// default OCI runtime cannot (rootless runners, hosts whose crun refuses their
    /// cgroups), and costs a third less per step than runc.
    ///
    /// With `--layers`, each step is committed as an image of its own, which the tools keep
    /// as a cache; without the cache nothing reads them, so their ids (the tool prints
    /// `--> ID` after each commit, the image built last) are kept for
    /// [`Engine::remove_intermediates`].
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, EngineError> {
        let mut args = words(&["build", "--pull=never", "--format", "docker"]);
        if layered(request) {
            args.extend(words(&["--layers", "--force-rm"]));
        }
        if !request.use_cache {
            args.push("--no-cache".to_owned());
        }
        if self
            .tool
            .env_var(ISOLATION_VARIABLE)
            .is_none_or(|v| v.is_empty())
        {
            args.extend(words(&["--isolation", "chroot"]));
        }
        let labelled = match layered(request) && !request.labels.is_empty() {
            true => labelled_dockerfile(request)?,
            false => None,
        };
        let id_file = match request.platform {
            Some(platform) => {
                let file = DigestFile::new()?;
                args.extend(words(&[
                    "--platform",
                    &platform.to_string(),
                    "--iidfile",
                    file.path(),
                ]));
                Some(file)
            }
            None => None,
        };
        match &labelled {
            Some(dockerfile) => args.extend(common_build_flags(
                &BuildRequest {
                    labels: &[],
                    ..request.clone()
                },
                dockerfile.path(),
            )),
            None => args.extend(common_build_flags(
                request,
                &request.context.join("Dockerfile"),
            )),
        }
        let mut committed = Vec::new();
        let built = self.tool.stream_build(&args, request.timeout, &mut |line| {
            committed.extend(committed_image(line));
            on_line(line);
        });
        if built.is_ok() {
            committed.pop();
        }
        // A platform's image joins a manifest list, which still names images of its steps
        // when the next run builds on the list: they stay.
        if !request.use_cache && request.platform.is_none() {
            self.intermediates
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend(committed);
        }
        built?;
        let Some(id_file) = id_file else {
            return Ok(None);
        };
        match id_file.read()? {
            Some(id) => Ok(Some(id.trim_start_matches("sha256:").to_owned())),
            None => Err(EngineError::Output {
                command: format!("build of {} for a platform", request.label),
                message: "it wrote no image id".to_owned(),
            }),
        }
    }

    fn make_list(&self, list: &ImageLabel, images: &[String]) -> Result<(), EngineError> {
        self.list_of(&list.to_string(), images)
    }

    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError> {
        self.list_images(self.dialect.parse_images)
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
    /// manifest list; layers the registry holds are not sent again. When signing with a GPG
    /// key, the tool signs the list and each image for `destination` (`--sign-by`); its
    /// `manifest push` takes no sigstore key (and skopeo 1.9 cannot read a list from local
    /// storage), so with one, skopeo signs the pushed list and its images in place.
    fn push_list(
        &self,
        list: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        let digest_file = DigestFile::new()?;
        let target = format!("docker://{destination}");
        let mut args = words(&["manifest", "push", "--all", "--quiet"]);
        args.extend(self.registry_flags(&destination.to_string()));
        if let Some(signer) = &self.signer {
            // Signatures a pulled image holds were made for other copies of it.
            args.push("--remove-signatures".to_owned());
            if let Some(fingerprint) = signer.gpg_fingerprint() {
                args.extend(words(&["--sign-by", fingerprint]));
            }
        }
        args.extend(words(&[
            "--format",
            "v2s2",
            "--digestfile",
            digest_file.path(),
            &list.to_string(),
            &target,
        ]));
        self.access.transfer(|| self.tool.run(&args).map(drop))?;
        let digest = digest_file.read()?;
        if let Some(signer) = self
            .signer
            .as_ref()
            .filter(|s| s.gpg_fingerprint().is_none())
        {
            let pushed = match &digest {
                Some(digest) => destination.with_tag(digest),
                None => destination.clone(),
            };
            signer.sign_unsigned_list(&self.access, &pushed, destination)?;
        }
        Ok(digest)
    }

    fn sign_as(&self, image: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError> {
        match &self.signer {
            Some(signer) => signer.sign_as(&self.access, image, identity, Manifest::Image),
            None => Ok(()),
        }
    }

    fn sign_list_as(&self, list: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError> {
        match &self.signer {
            Some(signer) => signer.sign_as(&self.access, list, identity, Manifest::List),
            None => Ok(()),
        }
    }

    fn check_signature(&self, image: &ImageLabel) -> Result<(), EngineError> {
        self.checking_signer()?.check(&self.access, image)
    }

    fn check_list_signature(&self, list: &ImageLabel) -> Result<(), EngineError> {
        self.checking_signer()?.check_list(&self.access, list)
    }

    fn pull(&self, reference: &str) -> Result<(), EngineError> {
        self.transfer(reference, &["pull", reference])
    }

    /// The list is read into a list of a name of its own (`manifest add --all` of the
    /// registry's list: the tools read a remote list no other way with the run's auth file and
    /// certificates), each wanted platform's image is pulled by its digest, then the list is
    /// made again under its own name from the images pulled (`manifest add` of a local image
    /// keeps its platform), so that builds for a platform find its image locally.
    fn pull_list(&self, reference: &str, platforms: &[Platform]) -> Result<(), EngineError> {
        let repository = ImageLabel::parse(reference)
            .map(|label| label.name)
            .ok_or_else(|| EngineError::Output {
                command: format!("pull of the manifest list {reference}"),
                message: "it is not NAME:TAG".to_owned(),
            })?;
        let entries = self.published_list(reference)?;
        let mut digests = Vec::with_capacity(platforms.len());
        for platform in platforms {
            let entry = entries.iter().find(|entry| entry.is(platform));
            let entry = entry.ok_or_else(|| EngineError::PlatformMissing {
                reference: reference.to_owned(),
                platform: platform.to_string(),
            })?;
            digests.push(format!("{repository}@{}", entry.digest));
        }
        for image in &digests {
            self.transfer(image, &["pull", &format!("docker://{image}")])?;
        }
        self.list_of(reference, &digests)
    }

    /// `manifest inspect` of the list, then the listing of local images for the digest of
    /// each platform's image; no list of that name, or an image that is no list, fails the
    /// inspection.
    fn holds_list(&self, list: &str, platforms: &[Platform]) -> Result<bool, EngineError> {
        let inspected = self
            .tool
            .run_parsed(&words(&["manifest", "inspect", list]), parse_list);
        let Ok(entries) = inspected else {
            return Ok(false);
        };
        let local = self.list_images(parse_image_digests)?;
        let is_local = |entry: &ListEntry| {
            let digest = Some(&entry.digest);
            local.iter().any(|image| image.digest.as_ref() == digest)
        };
        Ok(platforms.iter().all(|platform| {
            entries
                .iter()
                .any(|entry| entry.is(platform) && is_local(entry))
        }))
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

    /// `manifest inspect` gives the digests of the list's images, which the listing of
    /// local images turns into ids.
    fn list_instances(&self, list: &str) -> Result<Vec<String>, EngineError> {
        let digests = self
            .tool
            .run_parsed(&words(&["manifest", "inspect", list]), parse_list_digests)?;
        let mut args = words(&["images"]);
        args.extend(words(self.dialect.images));
        let listed = self.tool.run_parsed(&args, parse_image_digests)?;
        Ok(listed
            .into_iter()
            .filter(|image| image.digest.as_ref().is_some_and(|d| digests.contains(d)))
            .map(|image| image.id.trim_start_matches("sha256:").to_owned())
            .collect())
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

    /// `rmi` of every intermediate image kept so far, in one call, even while the run is
    /// being interrupted: an interrupted build leaves its steps' images too. Removing them
    /// leaves the images built on them whole (a layer goes only with its last image).
    fn remove_intermediates(&self) -> Result<(), EngineError> {
        let mut ids = std::mem::take(
            &mut *self
                .intermediates
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = words(&["rmi"]);
        args.extend(ids);
        self.tool.run_cleanup(&args).map(drop)
    }

    /// The storage's run root, on tmpfs: it is the same for every run on the same storage.
    fn storage_run_dir(&self) -> Result<PathBuf, EngineError> {
        self.tool
            .run_parsed(&words(self.dialect.info), self.dialect.parse_run_root)
    }
}

impl ContainersCli {
    /// The signer, which holds the key signatures are checked with.
    fn checking_signer(&self) -> Result<&Signer, EngineError> {
        self.signer.as_ref().ok_or_else(|| {
            signing_error(
                "--check-signatures",
                "no signing key is configured to check with",
            )
        })
    }

    /// The images of the manifest list `reference` in its registry, read through a local
    /// list of a name no other reads, removed again.
    fn published_list(&self, reference: &str) -> Result<Vec<ListEntry>, EngineError> {
        static READS: AtomicU64 = AtomicU64::new(0);
        let read = READS.fetch_add(1, Ordering::Relaxed);
        let scratch = format!(
            "localhost/docker-pkg-list-read:{}-{read}",
            std::process::id()
        );
        self.tool
            .run(&words(&["manifest", "create", &scratch]))
            .map(drop)?;
        let mut add = words(&["manifest", "add", "--all"]);
        add.extend(self.registry_flags(reference));
        add.extend([scratch.clone(), format!("docker://{reference}")]);
        let entries = self
            .access
            .transfer(|| self.tool.run(&add).map(drop))
            .and_then(|()| {
                self.tool
                    .run_parsed(&words(&["manifest", "inspect", &scratch]), parse_list)
            });
        let removed = self.tool.run(&words(&["manifest", "rm", &scratch]));
        let entries = entries?;
        removed?;
        Ok(entries)
    }

    /// Makes the manifest list `list` again of `images` (references to local images), each
    /// keeping its platform; a list or image of that name goes first. When an image cannot
    /// be added, no list of that name is left: one missing a platform would build or publish
    /// that platform on another's image.
    fn list_of(&self, list: &str, images: &[String]) -> Result<(), EngineError> {
        self.forget_name(list)?;
        self.tool
            .run(&words(&["manifest", "create", list]))
            .map(drop)?;
        for image in images {
            let local = format!("containers-storage:{image}");
            let added = self.tool.run(&words(&["manifest", "add", list, &local]));
            if let Err(error) = added {
                let _ = self.tool.run(&words(&["manifest", "rm", list]));
                return Err(error);
            }
        }
        Ok(())
    }

    /// Removes the name `reference` from local storage, be it a manifest list or an image's
    /// name; nothing when no image has it.
    fn forget_name(&self, reference: &str) -> Result<(), EngineError> {
        match self.tool.run(&words(&["manifest", "rm", reference])) {
            Ok(_) => Ok(()),
            Err(error) if error.last_words().contains("image not known") => Ok(()),
            Err(error) if error.last_words().contains("not a manifest list") => {
                spelt_alike::remove(&self.tool, &[reference.to_owned()])
            }
            Err(error) => Err(error),
        }
    }
}

/// Whether a listing failed because an image it had found was removed before it looked at it.
fn vanished_while_listed(error: &EngineError) -> bool {
    matches!(error, EngineError::Process(_)) && error.last_words().contains("image not known")
}

/// The id in a line `--> ID` that buildah and podman print once they committed a step or an
/// image (a cached step reads `--> Using cache ID`, and is not one).
fn committed_image(line: &str) -> Option<String> {
    let id = line.strip_prefix("--> ")?.trim();
    let hex = id.len() >= 8 && id.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| id.to_owned())
}

/// One image of a manifest list, as `manifest inspect` prints it.
#[derive(Debug, serde::Deserialize)]
struct ListEntry {
    digest: String,
    #[serde(default)]
    platform: Option<EntryPlatform>,
}

#[derive(Debug, serde::Deserialize)]
struct EntryPlatform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl ListEntry {
    /// Whether the entry is the image of `platform`; a platform without variant takes any.
    fn is(&self, platform: &Platform) -> bool {
        self.platform.as_ref().is_some_and(|entry| {
            entry.os == "linux"
                && entry.architecture == platform.architecture()
                && platform
                    .variant()
                    .is_none_or(|variant| entry.variant.as_deref() == Some(variant))
        })
    }
}

/// The images a manifest list holds, as `manifest inspect` prints it.
fn parse_list(output: &str) -> Result<Vec<ListEntry>, String> {
    #[derive(serde::Deserialize)]
    struct List {
        manifests: Vec<ListEntry>,
    }
    let list: List = serde_json::from_str(output).map_err(|e| e.to_string())?;
    Ok(list.manifests)
}

/// The digests of the images a manifest list holds, as `manifest inspect` prints it.
fn parse_list_digests(output: &str) -> Result<Vec<String>, String> {
    Ok(parse_list(output)?
        .into_iter()
        .map(|entry| entry.digest)
        .collect())
}

/// One local image with the digest of its manifest, as `buildah images --json` (`id`,
/// `digest`) and `podman images --format json` (`Id`, `Digest`) list it.
#[derive(serde::Deserialize)]
struct ImageDigest {
    #[serde(alias = "Id")]
    id: String,
    #[serde(default, alias = "Digest")]
    digest: Option<String>,
}

fn parse_image_digests(output: &str) -> Result<Vec<ImageDigest>, String> {
    let listed: Option<Vec<ImageDigest>> =
        serde_json::from_str(output).map_err(|e| e.to_string())?;
    Ok(listed.unwrap_or_default())
}

pub fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_images_of_a_list_by_digest() {
        let list = r#"{"schemaVersion": 2, "manifests": [
            {"digest": "sha256:e203", "platform": {"architecture": "amd64", "os": "linux"}},
            {"digest": "sha256:3dc2", "platform": {"architecture": "arm64", "os": "linux"}}]}"#;
        assert_eq!(
            parse_list_digests(list).unwrap(),
            ["sha256:e203", "sha256:3dc2"]
        );
        let buildah = r#"[{"id": "f256", "names": null, "digest": "sha256:e203"},
            {"id": "3330", "names": ["localhost/app:1"]}]"#;
        let podman = r#"[{"Id": "f256", "Digest": "sha256:e203"}]"#;
        for listing in [buildah, podman] {
            let listed = parse_image_digests(listing).unwrap();
            assert_eq!(listed[0].id, "f256");
            assert_eq!(listed[0].digest.as_deref(), Some("sha256:e203"));
        }
        assert!(parse_image_digests("null").unwrap().is_empty());
    }
    use crate::engine::container_limits::ContainerLimits;

    #[test]
    fn the_image_of_a_platform_is_the_entry_of_its_architecture_and_variant() {
        let list = r#"{"manifests": [
            {"digest": "sha256:e203", "platform": {"architecture": "amd64", "os": "linux"}},
            {"digest": "sha256:3dc2",
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
            {"digest": "sha256:77aa", "platform": {"architecture": "arm64", "os": "windows"}},
            {"digest": "sha256:0000"}]}"#;
        let entries = parse_list(list).unwrap();
        let found = |platform: &str| -> Vec<&str> {
            let platform: Platform = platform.parse().unwrap();
            let matching = entries.iter().filter(|entry| entry.is(&platform));
            matching.map(|entry| entry.digest.as_str()).collect()
        };
        assert_eq!(found("linux/amd64"), ["sha256:e203"]);
        assert_eq!(
            found("linux/arm64"),
            ["sha256:3dc2"],
            "any variant, linux only"
        );
        assert_eq!(found("linux/arm64/v8"), ["sha256:3dc2"]);
        assert!(found("linux/arm/v7").is_empty());
    }

    #[test]
    fn labels_become_one_step_at_the_end_of_the_dockerfile() {
        let context = tempfile::tempdir().unwrap();
        let dockerfile = context.path().join("Dockerfile");
        std::fs::write(&dockerfile, "FROM base\nRUN true").unwrap();
        let label = ImageLabel::parse("r.org/app:1.0").unwrap();
        let labels = [
            (
                "org.opencontainers.image.title".to_owned(),
                "app".to_owned(),
            ),
            ("note".to_owned(), "a \"quoted\" $HOME\\x\nnext".to_owned()),
        ];
        let request = BuildRequest {
            context: context.path(),
            label: &label,
            also_tagged: &[],
            use_cache: false,
            squash_steps: false,
            platform: None,
            build_args: &[],
            labels: &labels,
            limits: &ContainerLimits::default(),
            timeout: None,
        };
        let labelled = labelled_dockerfile(&request).unwrap().unwrap();
        assert_eq!(
            std::fs::read_to_string(labelled.path()).unwrap(),
            "FROM base\nRUN true\nLABEL \"org.opencontainers.image.title\"=\"app\" \
             \"note\"=\"a \\\"quoted\\\" \\$HOME\\\\x\\nnext\"\n"
        );
        assert_eq!(
            std::fs::read_to_string(&dockerfile).unwrap(),
            "FROM base\nRUN true",
            "the context, which several platforms' builds share, is left as it is"
        );
        std::fs::write(&dockerfile, "# escape=`\nFROM base\n").unwrap();
        assert!(labelled_dockerfile(&request).unwrap().is_none());
        std::fs::write(&dockerfile, "FROM base\nRUN true \\\n").unwrap();
        assert!(labelled_dockerfile(&request).unwrap().is_none());
    }

    #[test]
    fn committed_images_are_the_ids_printed_after_a_commit() {
        assert_eq!(
            committed_image("--> 43e87ab19c3").as_deref(),
            Some("43e87ab19c3")
        );
        assert_eq!(committed_image("--> Using cache 43e87ab19c33"), None);
        assert_eq!(committed_image("[2/2] --> 43e87ab19c3"), None);
        assert_eq!(committed_image("STEP 2/4: RUN echo a"), None);
        assert_eq!(committed_image("--> "), None);
    }
}

//! Signing for buildah and podman, through skopeo: the engines' own push signs with GPG only
//! (and podman cannot be pointed at a `registries.d` of its own), while skopeo signs with
//! either key, copies an image onto itself to add a signature for another tag, and checks
//! signatures under a policy of its own.
//!
//! Everything is prepared once, when the engine connects: a private folder with the
//! `registries.d` and `policy.json` of these copies, and a trial signature of a tiny local
//! image, so that a key that cannot sign here (missing, a wrong passphrase, a skopeo built
//! without sigstore) stops the run before anything is built or pushed.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::engine::access::RegistryAccess;
use crate::engine::containers_cli::words;
use crate::engine::signing::Signing;
use crate::engine::tool::Tool;
use crate::engine::{EngineError, registries_d, signature_policy, signing_error};
use crate::label::ImageLabel;
use crate::process::find_program;
use crate::process::run_dir;

/// The identity of the trial signature.
const TRIAL_IDENTITY: &str = "localhost/docker-pkg-signing-check:trial";

#[derive(Debug)]
pub struct Signer {
    signing: Signing,
    skopeo: Tool,
    policy: PathBuf,
    /// The policy of the copy that signs a list pushed unsigned: it accepts its source.
    unsigned_policy: PathBuf,
    registries_d: PathBuf,
    /// Holds the files above; removed on drop.
    _dir: TempDir,
}

impl Signer {
    /// Skopeo found (with the environment and secrets of `engine`), the files of the copies
    /// written, and a trial signature made with `signing`'s key.
    pub fn prepare(
        signing: &Signing,
        registry: &str,
        engine: &Tool,
    ) -> Result<Signer, EngineError> {
        let skopeo = find_skopeo(signing)?;
        let skopeo = engine.sibling(skopeo);
        let dir = run_dir::tempdir("docker-pkg-signing-").map_err(|source| EngineError::Setup {
            what: "a private directory for signing".into(),
            source,
        })?;
        let registries_d = dir.path().join("registries.d");
        let attachments = matches!(signing, Signing::Sigstore { .. }).then_some(registry);
        let source = registries_d::ambient_dir(engine.env_var("HOME").as_deref());
        registries_d::write_private(&source, &registries_d, attachments)
            .map_err(|reason| signing_error(signing.key_name(), &reason))?;
        let policy = signature_policy::write_policy(dir.path(), registry, signing, &skopeo)?;
        let unsigned_policy = signature_policy::write_accepting_policy(dir.path())?;
        let signer = Signer {
            signing: signing.clone(),
            skopeo,
            policy,
            unsigned_policy,
            registries_d,
            _dir: dir,
        };
        signer.trial()?;
        Ok(signer)
    }

    /// The GPG key the engine's own push signs with, when signing with GPG.
    pub fn gpg_fingerprint(&self) -> Option<&str> {
        match &self.signing {
            Signing::Gpg { fingerprint } => Some(fingerprint),
            Signing::Sigstore { .. } => None,
        }
    }

    /// Pushes the local `image` to `destination`, signed for it, writing the digest pushed
    /// to `digest_file`; the local image's own signatures, if any, are not copied (they were
    /// made for other copies of it).
    pub fn push(
        &self,
        access: &RegistryAccess,
        image: &ImageLabel,
        destination: &ImageLabel,
        digest_file: &str,
    ) -> Result<(), EngineError> {
        let target = destination.to_string();
        let mut args = words(&["--remove-signatures", "--digestfile", digest_file]);
        args.extend(self.signing_flags());
        args.extend(access_flags(access, "dest", &target));
        let from = format!("containers-storage:{image}");
        access.transfer(|| self.copy(&args, &from, &format!("docker://{target}")))
    }

    /// Copies `image` (by tag, or by digest: `NAME:sha256:…`) in its registry onto itself
    /// with a signature for `identity` added to those it has; for a manifest list
    /// (`Manifest::List`), to the list and to each image it holds, whose signatures are the
    /// ones a pull of one platform checks.
    pub fn sign_as(
        &self,
        access: &RegistryAccess,
        image: &ImageLabel,
        identity: &ImageLabel,
        manifest: Manifest,
    ) -> Result<(), EngineError> {
        self.sign_in_place(access, image, identity, manifest, &self.policy)
    }

    /// Signs the manifest list `list` (by digest: `NAME:sha256:…`), pushed unsigned, and each
    /// image it holds for `identity` in its registry, as [`Signer::sign_as`] does but
    /// accepting a source without signature: these are its first.
    pub fn sign_unsigned_list(
        &self,
        access: &RegistryAccess,
        list: &ImageLabel,
        identity: &ImageLabel,
    ) -> Result<(), EngineError> {
        let policy = &self.unsigned_policy;
        self.sign_in_place(access, list, identity, Manifest::List, policy)
    }

    fn sign_in_place(
        &self,
        access: &RegistryAccess,
        image: &ImageLabel,
        identity: &ImageLabel,
        manifest: Manifest,
        policy: &Path,
    ) -> Result<(), EngineError> {
        let reference = reference(image);
        let mut args = manifest.copy_flags();
        args.extend(self.signing_flags());
        args.extend(["--sign-identity".to_owned(), identity.to_string()]);
        args.extend(access_flags(access, "src", &reference));
        args.extend(access_flags(access, "dest", &reference));
        let remote = format!("docker://{reference}");
        access.transfer(|| self.copy_under(policy, &args, &remote, &remote))
    }

    /// Copies `image` from its registry into local storage under the policy: refused unless
    /// it has a signature by the key for its tag. Its layers are local already, so only the
    /// manifest and the configuration move; its signatures are not kept locally (a later push
    /// of the image would have to drop them).
    pub fn check(&self, access: &RegistryAccess, image: &ImageLabel) -> Result<(), EngineError> {
        let reference = image.to_string();
        let mut args = words(&["--remove-signatures"]);
        args.extend(access_flags(access, "src", &reference));
        let (from, to) = (
            format!("docker://{reference}"),
            format!("containers-storage:{reference}"),
        );
        access.transfer(|| self.copy(&args, &from, &to))
    }

    /// Copies the manifest list `list` from its registry, with every image it holds, under
    /// the policy: refused unless each image has a signature by the key for the list's tag.
    /// skopeo cannot copy a list into local storage, so the copy goes to an OCI folder of its
    /// own, removed again; it fetches the images' layers. No copy checks the list's own
    /// signature: see [`Signer::check_list_itself`].
    pub fn check_list(
        &self,
        access: &RegistryAccess,
        list: &ImageLabel,
    ) -> Result<(), EngineError> {
        let reference = list.to_string();
        let mut args = Manifest::List.copy_flags();
        args.push("--remove-signatures".to_owned());
        args.extend(access_flags(access, "src", &reference));
        let from = format!("docker://{reference}");
        access.transfer(|| {
            let dir = check_dir(&reference)?;
            let to = format!("oci:{}:checked", dir.path().display());
            self.copy(&args, &from, &to)
        })?;
        self.check_list_itself(access, list)
    }

    /// With a GPG key, one of the list's own signatures must verify for its tag: they come
    /// with a copy of the list alone into a folder (`dir:`, which keeps signatures as files),
    /// and `skopeo standalone-verify` checks each. skopeo verifies sigstore signatures only
    /// in a copy, which never checks a list's, so with a sigstore key the images' are all
    /// that is checked.
    fn check_list_itself(
        &self,
        access: &RegistryAccess,
        list: &ImageLabel,
    ) -> Result<(), EngineError> {
        let Signing::Gpg { fingerprint } = &self.signing else {
            return Ok(());
        };
        let reference = list.to_string();
        let mut args = Manifest::ListAlone.copy_flags();
        args.extend(access_flags(access, "src", &reference));
        let from = format!("docker://{reference}");
        let dir = check_dir(&reference)?;
        let copied = dir.path().join("list");
        access.transfer(|| {
            // A copy that failed may have left part of the folder.
            let _ = std::fs::remove_dir_all(&copied);
            self.copy(&args, &from, &format!("dir:{}", copied.display()))
        })?;
        let manifest = copied.join("manifest.json").display().to_string();
        let mut reason = "it has none".to_owned();
        for signature in signature_files(&copied) {
            let verify = [
                "standalone-verify",
                &manifest,
                &reference,
                fingerprint,
                &signature.display().to_string(),
            ];
            match self.skopeo.run(&words(&verify)) {
                Ok(_) => return Ok(()),
                Err(error) => reason = error.last_words(),
            }
        }
        Err(EngineError::ListUnsigned { reference, reason })
    }

    /// Signs a tiny image of a private folder: whatever keeps the key from signing here shows
    /// now, with skopeo's words.
    fn trial(&self) -> Result<(), EngineError> {
        let dir = self.policy.with_file_name("trial");
        write_trial_image(&dir.join("image")).map_err(|source| EngineError::Setup {
            what: "the image of the trial signature".into(),
            source,
        })?;
        let mut args = self.signing_flags();
        args.extend(["--sign-identity".to_owned(), TRIAL_IDENTITY.to_owned()]);
        let from = format!("dir:{}", dir.join("image").display());
        let to = format!("dir:{}", dir.join("signed").display());
        self.copy(&args, &from, &to).map_err(|error: EngineError| {
            signing_error(
                self.signing.key_name(),
                &format!("a trial signature failed: {}", error.last_words()),
            )
        })
    }

    fn copy(&self, flags: &[String], from: &str, to: &str) -> Result<(), EngineError> {
        self.copy_under(&self.policy, flags, from, to)
    }

    fn copy_under(
        &self,
        policy: &Path,
        flags: &[String],
        from: &str,
        to: &str,
    ) -> Result<(), EngineError> {
        let mut args = vec![
            format!("--policy={}", policy.display()),
            format!("--registries.d={}", self.registries_d.display()),
            "copy".to_owned(),
            "--quiet".to_owned(),
        ];
        args.extend_from_slice(flags);
        args.extend([from.to_owned(), to.to_owned()]);
        self.skopeo.run(&args).map(drop)
    }

    /// The key and, for sigstore, the file its passphrase is read from: never the
    /// passphrase itself.
    fn signing_flags(&self) -> Vec<String> {
        match &self.signing {
            Signing::Gpg { fingerprint } => vec!["--sign-by".to_owned(), fingerprint.clone()],
            Signing::Sigstore {
                private_key,
                passphrase_file,
                ..
            } => vec![
                "--sign-by-sigstore-private-key".to_owned(),
                private_key.display().to_string(),
                "--sign-passphrase-file".to_owned(),
                passphrase_file.display().to_string(),
            ],
        }
    }
}

/// What a copy takes of what a tag names: one image, a manifest list with the image of
/// each platform, or the list alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manifest {
    Image,
    List,
    ListAlone,
}

impl Manifest {
    /// The flags of a copy that takes what `self` says, rather than the image of the host's
    /// platform alone.
    fn copy_flags(self) -> Vec<String> {
        match self {
            Manifest::Image => Vec::new(),
            Manifest::List => words(&["--multi-arch", "all"]),
            Manifest::ListAlone => words(&["--multi-arch", "index-only"]),
        }
    }
}

/// A private folder for what a check copies of `reference`, removed when dropped.
fn check_dir(reference: &str) -> Result<TempDir, EngineError> {
    run_dir::bulk_tempdir("docker-pkg-list-check-").map_err(|source| EngineError::Setup {
        what: format!("a folder to check the signatures of {reference} in"),
        source,
    })
}

/// The `signature-N` files a `dir:` copy wrote, in the order of N.
fn signature_files(dir: &Path) -> Vec<PathBuf> {
    let mut numbered: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let n = name.to_str()?.strip_prefix("signature-")?.parse().ok()?;
            Some((n, entry.path()))
        })
        .collect();
    numbered.sort();
    numbered.into_iter().map(|(_, path)| path).collect()
}

/// skopeo, which every way of signing needs (`latest` is signed and the signatures are
/// checked through it).
pub fn find_skopeo(signing: &Signing) -> Result<PathBuf, EngineError> {
    find_program(Path::new("skopeo")).ok_or_else(|| {
        signing_error(
            signing.key_name(),
            "skopeo is not installed (install the `skopeo` package): it signs `latest` and \
             checks the signatures after publishing",
        )
    })
}

/// `image` as skopeo names it: `NAME@sha256:…` for a digest.
fn reference(image: &ImageLabel) -> String {
    if image.tag.starts_with("sha256:") {
        format!("{}@{}", image.name, image.tag)
    } else {
        image.to_string()
    }
}

/// The private auth file and cert dir for one side of a copy, and TLS verification off for
/// an insecure registry.
fn access_flags(access: &RegistryAccess, side: &str, reference: &str) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(file) = access.auth_file() {
        flags.push(format!("--{side}-authfile={}", file.display()));
    }
    if let Some(dir) = access.cert_dir() {
        flags.push(format!("--{side}-cert-dir={}", dir.display()));
    }
    if access.is_insecure(reference) {
        flags.push(format!("--{side}-tls-verify=false"));
    }
    flags
}

/// The configuration of the trial image: no layer.
const TRIAL_CONFIG: &str =
    r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
/// Its SHA-256, which names it and which the copy checks.
const TRIAL_CONFIG_DIGEST: &str =
    "c5b1d63604f273462ef36fadac3182d43ae6a6138731cf594b314835cf1c034f";

/// An image of no layer in skopeo's `dir:` format: its configuration and its manifest.
fn write_trial_image(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(TRIAL_CONFIG_DIGEST), TRIAL_CONFIG)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": TRIAL_CONFIG.len(),
            "digest": format!("sha256:{TRIAL_CONFIG_DIGEST}"),
        },
        "layers": [],
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string())?;
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Command;

    #[test]
    fn digests_are_named_as_skopeo_names_them() {
        let by_tag = ImageLabel::parse("r.org:5000/ns/app:1.0").unwrap();
        assert_eq!(reference(&by_tag), "r.org:5000/ns/app:1.0");
        let by_digest = by_tag.with_tag("sha256:abc");
        assert_eq!(reference(&by_digest), "r.org:5000/ns/app@sha256:abc");
    }

    #[test]
    fn signatures_are_taken_in_the_order_of_their_number() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "signature-10",
            "manifest.json",
            "signature-2",
            "signature-x",
            "version",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let found: Vec<PathBuf> = signature_files(dir.path());
        assert_eq!(
            found,
            [
                dir.path().join("signature-2"),
                dir.path().join("signature-10")
            ]
        );
        assert!(signature_files(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn the_trial_configuration_is_named_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        write_trial_image(dir.path()).unwrap();
        let sum = Command::new(find_program(Path::new("sha256sum")).unwrap())
            .args([dir.path().join(TRIAL_CONFIG_DIGEST).display().to_string()])
            .output()
            .unwrap();
        assert!(sum.starts_with(TRIAL_CONFIG_DIGEST), "{sum}");
    }
}

//! The docker CLI, for hosts that do have a Docker daemon.
//!
//! The daemon, not the CLI, talks to registries, so TLS is the daemon's business: config
//! `ca_bundle` and `insecure_registries` cannot be passed per call and are not (install the CA
//! as `/etc/docker/certs.d/HOST:PORT/ca.crt`, list insecure registries in the daemon's
//! `daemon.json`). The configured credentials go in a private client configuration passed as
//! `--config DIR`, which replaces `~/.docker` for that call. Nor can the daemon be kept from
//! pulling a missing base image: `--pull=false` only stops it refreshing one it has.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::access::RegistryAccess;
use crate::engine::containers_cli::words;
use crate::engine::size::parse_size;
use crate::engine::spelt_alike::{self, common_build_flags};
use crate::engine::tool::Tool;
use crate::engine::{BuildRequest, Engine, EngineError, LocalImage, signing_error};
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::registry::exported_image::ExportedImage;

/// The name docker gives to an untagged image's repository and tag.
const NONE: &str = "<none>";

/// docker, through its command line.
#[derive(Debug)]
pub struct Docker {
    tool: Tool,
    access: RegistryAccess,
}

impl Docker {
    pub fn new(tool: Tool, access: RegistryAccess) -> Docker {
        Docker { tool, access }
    }

    /// `--config DIR` before the command, when credentials are configured.
    fn with_login(&self, command: &[&str], reference: &str) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(dir) = self.access.auth_file().and_then(|file| file.parent()) {
            args.push(format!("--config={}", dir.display()));
        }
        args.extend(words(command));
        args.push(reference.to_owned());
        args
    }
}

impl Engine for Docker {
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, EngineError> {
        if request.platform.is_some() {
            return Err(multi_platform_refused());
        }
        let mut args = words(&["build", "--pull=false"]);
        if !request.use_cache {
            args.push("--no-cache".to_owned());
        }
        args.extend(common_build_flags(
            request,
            &request.context.join("Dockerfile"),
        ));
        self.tool.stream(&args, request.timeout, on_line)?;
        Ok(None)
    }

    /// Refused: see [`multi_platform_refused`].
    fn make_list(&self, _list: &ImageLabel, _images: &[String]) -> Result<(), EngineError> {
        Err(multi_platform_refused())
    }

    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError> {
        let args = words(&["images", "--no-trunc", "--format", "{{json .}}"]);
        self.tool.run_parsed(&args, parse_images)
    }

    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError> {
        spelt_alike::tag(&self.tool, image, target)
    }

    /// docker pushes only what it has by the name pushed: `destination` is tagged first.
    /// The digest comes from the last line of `push`, `TAG: digest: sha256:… size: N`.
    fn push_to(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        if image != destination {
            spelt_alike::tag(&self.tool, image, destination)?;
        }
        let args = self.with_login(&["push"], &destination.to_string());
        let output = self.access.transfer(|| self.tool.run(&args))?;
        Ok(pushed_digest(&output))
    }

    /// docker cannot write an image out for an upload: its push is the only way, tried
    /// again as [`push_to`](Engine::push_to) is. The daemon skips the layers the
    /// registry holds and mounts those another repository holds.
    fn push_fast(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        self.push_to(image, destination)
    }

    /// Refused: see [`multi_platform_refused`].
    fn push_list(
        &self,
        _list: &ImageLabel,
        _destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        Err(multi_platform_refused())
    }

    /// docker never signs (a configuration that asks it to is refused when it connects).
    fn sign_as(&self, _image: &ImageLabel, _identity: &ImageLabel) -> Result<(), EngineError> {
        Ok(())
    }

    /// docker never signs, and makes no lists.
    fn sign_list_as(&self, _list: &ImageLabel, _identity: &ImageLabel) -> Result<(), EngineError> {
        Ok(())
    }

    fn check_signature(&self, _image: &ImageLabel) -> Result<(), EngineError> {
        Err(cannot_check())
    }

    fn check_list_signature(&self, _list: &ImageLabel) -> Result<(), EngineError> {
        Err(cannot_check())
    }

    fn pull(&self, reference: &str) -> Result<(), EngineError> {
        let args = self.with_login(&["pull", "--quiet"], reference);
        self.access.transfer(|| self.tool.run(&args).map(drop))
    }

    fn remove(&self, references: &[String]) -> Result<(), EngineError> {
        spelt_alike::remove(&self.tool, references)
    }

    /// Refused: see [`multi_platform_refused`].
    fn pull_list(&self, _reference: &str, _platforms: &[Platform]) -> Result<(), EngineError> {
        Err(multi_platform_refused())
    }

    /// Refused: see [`multi_platform_refused`].
    fn holds_list(&self, _list: &str, _platforms: &[Platform]) -> Result<bool, EngineError> {
        Err(multi_platform_refused())
    }

    /// Refused: see [`multi_platform_refused`].
    fn remove_list(&self, _list: &ImageLabel) -> Result<(), EngineError> {
        Err(multi_platform_refused())
    }

    /// Refused: see [`multi_platform_refused`].
    fn list_instances(&self, _list: &str) -> Result<Vec<String>, EngineError> {
        Err(multi_platform_refused())
    }

    fn export(&self, _image: &ImageLabel) -> Result<Option<ExportedImage>, EngineError> {
        Ok(None)
    }

    /// The daemon's storage is shared by every run on this host that talks to it: a folder of
    /// the host's temporary folder serves them all.
    fn storage_run_dir(&self) -> Result<std::path::PathBuf, EngineError> {
        Ok(std::env::temp_dir().join("docker-pkg-docker"))
    }
}

/// The docker CLI builds several platforms only through buildx and its own builder, which
/// this engine does not drive yet.
fn multi_platform_refused() -> EngineError {
    EngineError::Unsupported {
        engine: "docker".to_owned(),
        what: "cannot build for several platforms here: set `platforms` with engine buildah \
               or podman, or leave it unset"
            .to_owned(),
    }
}

fn cannot_check() -> EngineError {
    signing_error(
        "--check-signatures",
        "the docker engine cannot check signatures: use engine buildah or podman",
    )
}

fn pushed_digest(output: &str) -> Option<String> {
    let (_, rest) = output.rsplit_once("digest: ")?;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_owned())
}

/// One line of `docker images --format '{{json .}}'`: one name of one image.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedName {
    #[serde(rename = "ID")]
    id: String,
    repository: String,
    tag: String,
    size: String,
}

/// The lines of `docker images`, gathered by image in the order they come.
fn parse_images(output: &str) -> Result<Vec<LocalImage>, String> {
    let mut images: Vec<LocalImage> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for line in output.lines().filter(|line| !line.trim().is_empty()) {
        let listed: ListedName = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let id = listed.id.trim_start_matches("sha256:").to_owned();
        let position = *index.entry(id.clone()).or_insert_with(|| {
            images.push(LocalImage {
                id,
                names: Vec::new(),
                size: parse_size(&listed.size).unwrap_or(0),
            });
            images.len() - 1
        });
        if listed.repository != NONE && listed.tag != NONE {
            let name = format!("{}:{}", listed.repository, listed.tag);
            images[position].names.push(name);
        }
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_pushes() {
        let output = "The push refers to repository [r.org/foo]\n5f70bf18a086: Pushed\n\
                      1.0: digest: sha256:4c1e size: 528\n";
        assert_eq!(pushed_digest(output).as_deref(), Some("sha256:4c1e"));
        assert_eq!(pushed_digest("nothing"), None);
    }

    #[test]
    fn listing() {
        let output = concat!(
            r#"{"Containers":"N/A","ID":"sha256:aa","Repository":"foo","Size":"2MB","Tag":"1.0"}"#,
            "\n",
            r#"{"ID":"sha256:bb","Repository":"<none>","Size":"5kB","Tag":"<none>"}"#,
            "\n",
            r#"{"ID":"sha256:aa","Repository":"r.org:5000/foo","Size":"2MB","Tag":"1.0"}"#,
            "\n"
        );
        assert_eq!(
            parse_images(output).unwrap(),
            [
                LocalImage {
                    id: "aa".into(),
                    names: vec!["foo:1.0".into(), "r.org:5000/foo:1.0".into()],
                    size: 2_000_000,
                },
                LocalImage {
                    id: "bb".into(),
                    names: vec![],
                    size: 5_000,
                },
            ]
        );
        assert!(parse_images("Cannot connect").is_err());
    }
}

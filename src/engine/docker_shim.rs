//! A `docker` for verify scripts written for Docker (`docker run --rm $1 …`). The images
//! buildah and podman build live in containers storage, where only podman can run them (a
//! Docker CLI, with or without a daemon, cannot see them), so with those engines the scripts'
//! `docker` is podman.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::engine::tool::Tool;
use crate::engine::{EngineError, EngineKind};

/// A private folder holding an executable `docker` that runs podman with its arguments.
pub struct DockerShim {
    dir: TempDir,
}

impl DockerShim {
    /// The shim for an engine of `kind` whose binary is `program`; none for the docker engine
    /// (its images are the daemon's) and none, with a warning, when podman is not installed.
    pub fn for_engine(
        kind: EngineKind,
        program: Option<&Path>,
    ) -> Result<Option<DockerShim>, EngineError> {
        let podman = match kind {
            EngineKind::Docker => return Ok(None),
            EngineKind::Podman => Tool::locate(EngineKind::Podman, program)?
                .program()
                .to_owned(),
            EngineKind::Buildah => match Tool::locate(EngineKind::Podman, None) {
                Ok(tool) => tool.program().to_owned(),
                Err(_) => {
                    log::warn!(
                        "podman is not installed: verify scripts that call `docker` cannot run \
                         the images buildah builds (install the `podman` package)"
                    );
                    return Ok(None);
                }
            },
        };
        DockerShim::forwarding_to(&podman)
            .map(Some)
            .map_err(|source| EngineError::Setup {
                what: "the docker command for verify scripts".into(),
                source,
            })
    }

    fn forwarding_to(podman: &Path) -> std::io::Result<DockerShim> {
        let dir = tempfile::Builder::new()
            .prefix("docker-pkg-docker-")
            .tempdir()?;
        let script = dir.path().join("docker");
        let quoted = podman.display().to_string().replace('\'', r"'\''");
        std::fs::write(&script, format!("#!/bin/sh\nexec '{quoted}' \"$@\"\n"))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        Ok(DockerShim { dir })
    }

    /// The folder to put first on `PATH`.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

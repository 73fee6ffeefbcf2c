//! A `docker` for verify scripts written for Docker (`docker run --rm $1 …`). The images
//! buildah and podman build live in containers storage, where only podman can run them (a
//! Docker CLI, with or without a daemon, cannot see them), so with those engines the scripts'
//! `docker` is podman.
//!
//! The containers it makes carry the run's id as a label, so that those an interrupted test
//! left behind are removed when the run ends, and those of a run that was killed by the next
//! run that verifies.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::engine::containers_cli::words;
use crate::engine::tool::Tool;
use crate::engine::{EngineError, EngineKind};
use crate::process::run_dir;

/// The label that marks the containers verify scripts make, with the run's id as its value.
const RUN_LABEL: &str = "io.docker-pkg.run";

/// The variable that tells a verify script which platform it tests (`linux/arm64`), set when
/// `platforms` is configured; the shim's `run` and `create` then take that platform's image.
pub const PLATFORM_VARIABLE: &str = "TEST_PLATFORM";

/// A private folder holding an executable `docker` that runs podman with its arguments.
pub struct DockerShim {
    dir: TempDir,
    podman: Tool,
    run: String,
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
            EngineKind::Podman => Tool::locate(EngineKind::Podman, program)?,
            EngineKind::Buildah => match Tool::locate(EngineKind::Podman, None) {
                Ok(tool) => tool,
                Err(_) => {
                    log::warn!(
                        "podman is not installed: verify scripts that call `docker` cannot run \
                         the images buildah builds (install the `podman` package)"
                    );
                    return Ok(None);
                }
            },
        };
        let shim = DockerShim::forwarding_to(podman).map_err(|source| EngineError::Setup {
            what: "the docker command for verify scripts".into(),
            source,
        })?;
        shim.remove_containers(run_dir::is_gone);
        Ok(Some(shim))
    }

    fn forwarding_to(podman: Tool) -> std::io::Result<DockerShim> {
        let run = run_dir::run_id().unwrap_or_else(|| format!("pid-{}", std::process::id()));
        // Out of the private folder of the run: the tests put it on their `PATH`, and nothing
        // they receive points to the auth file's folder.
        let dir = run_dir::bulk_tempdir("docker-pkg-docker-")?;
        let script = dir.path().join("docker");
        let quoted = podman
            .program()
            .display()
            .to_string()
            .replace('\'', r"'\''");
        let text = format!(
            "#!/bin/sh\n\
             case \"$1\" in\n\
             run|create) command=$1; shift; exec '{quoted}' \"$command\" --label {RUN_LABEL}={run} \
             ${{{PLATFORM_VARIABLE}:+--platform \"${PLATFORM_VARIABLE}\"}} \"$@\" ;;\n\
             esac\n\
             exec '{quoted}' \"$@\"\n"
        );
        std::fs::write(&script, text)?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        Ok(DockerShim { dir, podman, run })
    }

    /// Removes the containers of verify scripts whose run `gone` says is over.
    fn remove_containers(&self, gone: impl Fn(&str) -> bool) {
        let format = format!("{{{{.ID}}}} {{{{index .Labels \"{RUN_LABEL}\"}}}}");
        let filter = format!("label={RUN_LABEL}");
        let list = ["ps", "--all", "--filter", &filter, "--format", &format];
        let listed = match self.podman.run_cleanup(&words(&list)) {
            Ok(listed) => listed,
            Err(error) => {
                log::warn!("cannot list the containers of verify scripts: {error}");
                return;
            }
        };
        let ids: Vec<&str> = listed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .filter(|(_, run)| gone(run.trim()))
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let mut remove = words(&["rm", "--force"]);
        remove.extend(ids.iter().map(|id| (*id).to_owned()));
        match self.podman.run_cleanup(&remove) {
            Ok(_) => log::info!("Removed {} containers left by verify scripts", ids.len()),
            Err(error) => log::warn!("cannot remove containers left by verify scripts: {error}"),
        }
    }

    /// The folder to put first on `PATH`.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for DockerShim {
    /// What an interrupted or failed test left behind goes with the run.
    fn drop(&mut self) {
        let run = self.run.clone();
        self.remove_containers(|other| other == run);
    }
}

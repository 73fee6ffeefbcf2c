//! Verifying a built image: `verify_command` with `verify_args`, where `{path}` is the
//! image's folder and `{image}` its full label (by default `/bin/bash -c "{path}/test.sh
//! {image}"`). An image whose test file does not exist passes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::engine::{DockerShim, PLATFORM_VARIABLE};
use crate::label::ImageLabel;
use crate::platform::Platform;
use crate::process::{Command, ProcessError, Secrets, find_program};
use crate::regular_file::{FileError, regular_file};
use crate::run_dir;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("verify_command {0} not found")]
    CommandNotFound(String),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    File(#[from] FileError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Passed,
    /// An argument names a file under the image's folder that does not exist.
    Skipped {
        missing: PathBuf,
    },
}

/// Runs the tests of images.
pub struct Verifier {
    command: String,
    args: Vec<String>,
    env: Vec<(OsString, OsString)>,
    timeout: Option<Duration>,
    /// The registry password, masked in what the tests print.
    secrets: Secrets,
    /// Kept for as long as verify scripts may call `docker`.
    _docker: Option<DockerShim>,
}

impl Verifier {
    /// A verifier for `config`; `docker`, when given, comes first on the scripts' `PATH`.
    pub fn new(
        config: &Config,
        build_args: &[(String, String)],
        docker: Option<DockerShim>,
    ) -> Verifier {
        let mut env = passed_through();
        if let Some(tmpdir) = run_dir::tools_tmpdir() {
            env.retain(|(key, _)| key != "TMPDIR");
            env.push(("TMPDIR".into(), tmpdir.into()));
        }
        let mut path: Vec<PathBuf> = docker.iter().map(DockerShim::dir).collect();
        if let Some(inherited) = std::env::var_os("PATH") {
            path.extend(std::env::split_paths(&inherited));
        }
        if let Ok(joined) = std::env::join_paths(path) {
            env.push(("PATH".into(), joined));
        }
        env.extend(build_args.iter().map(|(k, v)| (k.into(), v.into())));
        Verifier {
            command: config.verify_command.clone(),
            args: config.verify_args.clone(),
            env,
            timeout: None,
            secrets: Secrets::new(config.credentials.iter().flat_map(|c| c.sensitive())),
            _docker: docker,
        }
    }

    /// Stops a test, and fails it, past `timeout`.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Verifier {
        self.timeout = timeout;
        self
    }

    /// Runs the test of the image in `dir`, labelled `label`; each line it prints goes to
    /// `on_line`. With a platform, `label` is a manifest list: the test finds the platform in
    /// [`PLATFORM_VARIABLE`], and its `docker run` runs that platform's image.
    pub fn verify(
        &self,
        dir: &Path,
        label: &ImageLabel,
        platform: Option<&Platform>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Verification, VerifyError> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let dir_text = dir.display().to_string();
        if let Some(missing) = self.missing_file(&dir_text)? {
            return Ok(Verification::Skipped { missing });
        }
        let program = find_program(Path::new(&self.command))
            .ok_or_else(|| VerifyError::CommandNotFound(self.command.clone()))?;
        let label = label.to_string();
        let args = self
            .args
            .iter()
            .map(|arg| arg.replace("{image}", &label).replace("{path}", &dir_text));
        Command::new(program)
            .args(args)
            .clear_env()
            .envs(self.env.iter().cloned())
            .envs(platform.map(|p| {
                (
                    OsString::from(PLATFORM_VARIABLE),
                    OsString::from(p.to_string()),
                )
            }))
            .timeout(self.timeout)
            .secrets(self.secrets.clone())
            .stream(on_line)?;
        Ok(Verification::Passed)
    }

    /// The first file an argument names under the image's folder (`{path}/test.sh`) that
    /// does not exist; a link to nothing or anything but a regular file there is an error.
    fn missing_file(&self, dir: &str) -> Result<Option<PathBuf>, FileError> {
        let files = self
            .args
            .iter()
            .flat_map(|arg| shlex::split(arg).unwrap_or_else(|| vec![arg.clone()]))
            .filter(|part| part.contains("{path}/"))
            .map(|part| PathBuf::from(part.replace("{path}", dir)));
        for file in files {
            if !regular_file(&file)? {
                return Ok(Some(file));
            }
        }
        Ok(None)
    }
}

/// What the container tools need from this process's environment: the rest is left out, as
/// 4.0.4 does.
fn passed_through() -> Vec<(OsString, OsString)> {
    const NAMES: [&str; 4] = ["HOME", "XDG_RUNTIME_DIR", "TMPDIR", "REGISTRY_AUTH_FILE"];
    const PREFIXES: [&str; 3] = ["CONTAINERS_", "BUILDAH_", "DOCKER_"];
    std::env::vars_os()
        .filter(|(key, _)| {
            let key = key.to_string_lossy();
            NAMES.contains(&key.as_ref()) || PREFIXES.iter().any(|p| key.starts_with(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(args: &[&str]) -> Verifier {
        let mut config = Config::from_values(crate::config::defaults()).unwrap();
        config.verify_args = args.iter().map(|a| a.to_string()).collect();
        Verifier::new(&config, &[], None)
    }

    fn label() -> ImageLabel {
        ImageLabel::parse("r.example.org/app:1.0").unwrap()
    }

    #[test]
    fn missing_test_file_passes() {
        let dir = tempfile::tempdir().unwrap();
        let verification = verifier(&["-c", "{path}/test.sh {image}"])
            .verify(dir.path(), &label(), None, &mut |_| {})
            .unwrap();
        assert_eq!(
            verification,
            Verification::Skipped {
                missing: dir.path().join("test.sh")
            }
        );
    }

    #[test]
    fn runs_the_test_with_path_and_image() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("test.sh"),
            "echo \"testing $1 in $(dirname $0)\"\n",
        )
        .unwrap();
        let mut lines = Vec::new();
        let verification = verifier(&["{path}/test.sh", "{image}"])
            .verify(dir.path(), &label(), None, &mut |line| {
                lines.push(line.to_owned())
            })
            .unwrap();
        assert_eq!(verification, Verification::Passed);
        assert_eq!(
            lines,
            [format!(
                "testing r.example.org/app:1.0 in {}",
                dir.path().display()
            )]
        );
    }

    #[test]
    fn a_failing_test_fails() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test.sh"), "echo broken >&2; exit 3\n").unwrap();
        let mut lines = Vec::new();
        let err = verifier(&["{path}/test.sh", "{image}"])
            .verify(dir.path(), &label(), None, &mut |line| {
                lines.push(line.to_owned())
            })
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("failed with exit status: 3: broken"),
            "{err}"
        );
        assert_eq!(lines, ["broken"]);
    }

    #[test]
    fn the_registry_password_is_masked_in_what_a_test_prints() {
        let dir = tempfile::tempdir().unwrap();
        let script = "echo \"login u:pass-w0rd-long\"; echo \"pass-w0rd-long\" >&2; exit 1\n";
        std::fs::write(dir.path().join("test.sh"), script).unwrap();
        let mut config = Config::from_values(crate::config::defaults()).unwrap();
        config.verify_args = vec!["{path}/test.sh".into()];
        config.credentials = Some(crate::credentials::Credentials {
            username: "u".into(),
            password: crate::credentials::Secret::new("pass-w0rd-long"),
        });
        let mut lines = Vec::new();
        let err = Verifier::new(&config, &[], None)
            .verify(dir.path(), &label(), None, &mut |line| {
                lines.push(line.to_owned())
            })
            .unwrap_err();
        assert_eq!(lines, ["login u:***", "***"]);
        assert!(!err.to_string().contains("pass-w0rd"), "{err}");
    }

    #[test]
    fn a_test_that_hangs_is_stopped_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test.sh"), "sleep 30\n").unwrap();
        let started = std::time::Instant::now();
        let err = verifier(&["{path}/test.sh", "{image}"])
            .with_timeout(Some(Duration::from_millis(300)))
            .verify(dir.path(), &label(), None, &mut |_| {})
            .unwrap_err();
        assert!(err.to_string().ends_with("timed out after 0.3s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

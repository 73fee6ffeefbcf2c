//! Verifying a built image: `verify_command` with `verify_args`, where `{path}` is the
//! image's folder and `{image}` its full label (by default `/bin/bash -c "{path}/test.sh
//! {image}"`, both quoted for the shell there). An image whose test file does not exist
//! passes. A test is code from the tree: it runs with an environment made for it, without
//! the registry login.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::engine::{DockerShim, PLATFORM_VARIABLE};
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::process::run_dir;
use crate::process::{Command, ProcessError, Secrets, find_program};
use crate::tree::confinement::{Confinement, OutsideLink};
use crate::tree::regular_file::{FileError, regular_file};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("verify_command {0} not found")]
    CommandNotFound(String),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Outside(#[from] OutsideLink),
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
    /// Where the test files may lead; anywhere when not set.
    confinement: Option<Confinement>,
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
        let mut env = passed_through(std::env::vars_os(), run_dir::private_folder().as_deref());
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
            secrets: config.secrets(),
            confinement: None,
            _docker: docker,
        }
    }

    /// Refuses a test file that leads out of `confinement` (the scan found none, but the
    /// tree may have changed since).
    pub fn confined_to(mut self, confinement: Confinement) -> Verifier {
        self.confinement = Some(confinement);
        self
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
        let args = substituted(&self.command, &self.args, &dir_text, &label.to_string());
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
    fn missing_file(&self, dir: &str) -> Result<Option<PathBuf>, VerifyError> {
        let files = self
            .args
            .iter()
            .flat_map(|arg| shlex::split(arg).unwrap_or_else(|| vec![arg.clone()]))
            .filter(|part| part.contains("{path}/"))
            .map(|part| PathBuf::from(part.replace("{path}", dir)));
        for file in files {
            if let Some(confinement) = &self.confinement {
                confinement.check(&file)?;
            }
            if !regular_file(&file)? {
                return Ok(Some(file));
            }
        }
        Ok(None)
    }
}

/// The shells whose `-c` takes a script, by the name of their binary.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "posh"];

/// `args` with `{path}` and `{image}` replaced: quoted for the shell in the script a shell
/// `command` runs with `-c`, so that a folder named `a;rm -rf ~` is one word there, and as
/// they are everywhere else (a program receives them whole).
fn substituted(command: &str, args: &[String], path: &str, image: &str) -> Vec<String> {
    let shell = Path::new(command)
        .file_name()
        .is_some_and(|name| SHELLS.contains(&name.to_string_lossy().as_ref()));
    let mut script_next = false;
    args.iter()
        .map(|arg| {
            let is_script = std::mem::replace(&mut script_next, shell && takes_script(arg));
            if is_script {
                arg.replace("{image}", &quoted(image))
                    .replace("{path}", &quoted(path))
            } else {
                arg.replace("{image}", image).replace("{path}", path)
            }
        })
        .collect()
}

/// Whether a shell's option `arg` is `-c`, alone or among others (`-ec`).
fn takes_script(arg: &str) -> bool {
    arg.strip_prefix('-')
        .is_some_and(|flags| !flags.starts_with('-') && flags.contains('c'))
}

/// `text` as one word of a shell: unchanged when it needs no quoting (`/srv/images/app`).
/// Paths and labels hold no NUL, the one character a shell word cannot.
fn quoted(text: &str) -> String {
    let text = text.replace('\0', "");
    match shlex::try_quote(&text) {
        Ok(quoted) => quoted.into_owned(),
        Err(_) => text,
    }
}

/// What a test receives from this process's environment besides `PATH` and the proxies: what
/// podman needs to run the images of local storage (the `docker` of test scripts), and no
/// login. 4.0.4 gives `PATH` and the proxies only; registry credentials (`DOCKER_PKG_*`,
/// `DOCKER_AUTH_CONFIG`, `REGISTRY_AUTH_FILE`) and anything in the run's private folder, which
/// holds the auth file, stay out: a test is code from the tree, which anyone may change.
fn passed_through(
    vars: impl Iterator<Item = (OsString, OsString)>,
    private: Option<&Path>,
) -> Vec<(OsString, OsString)> {
    const NAMES: [&str; 8] = [
        "HOME",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "TMPDIR",
        "BUILDAH_ISOLATION",
        "STORAGE_DRIVER",
        "STORAGE_OPTS",
    ];
    const PREFIX: &str = "CONTAINERS_";
    vars.filter(|(key, _)| {
        let key = key.to_string_lossy();
        NAMES.contains(&key.as_ref()) || key.starts_with(PREFIX)
    })
    .filter(|(_, value)| private.is_none_or(|private| !Path::new(value).starts_with(private)))
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
        config.credentials = Some(crate::registry::credentials::Credentials {
            username: "u".into(),
            password: crate::registry::credentials::Secret::new("pass-w0rd-long"),
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
    fn a_test_gets_no_login_and_nothing_in_the_private_folder() {
        let vars = [
            ("HOME", "/home/ci"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("CONTAINERS_STORAGE_CONF", "/etc/ci/storage.conf"),
            (
                "CONTAINERS_REGISTRIES_CONF",
                "/run/user/1000/docker-pkg-run-1/r.conf",
            ),
            ("BUILDAH_ISOLATION", "chroot"),
            ("TMPDIR", "/run/user/1000/docker-pkg-run-1/tmp"),
            ("DOCKER_PKG_PASSWORD", "secret"),
            ("DOCKER_PKG_USERNAME", "ci"),
            ("DOCKER_AUTH_CONFIG", "{}"),
            ("DOCKER_CONFIG", "/home/ci/.docker"),
            ("REGISTRY_AUTH_FILE", "/home/ci/auth.json"),
            ("CI_JOB_TOKEN", "token"),
        ];
        let given = passed_through(
            vars.iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
            Some(Path::new("/run/user/1000/docker-pkg-run-1")),
        );
        let names: Vec<String> = given
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "HOME",
                "XDG_RUNTIME_DIR",
                "CONTAINERS_STORAGE_CONF",
                "BUILDAH_ISOLATION"
            ]
        );
    }

    #[test]
    fn a_shell_script_gets_path_and_image_quoted() {
        let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let default = args(&["-c", "{path}/test.sh {image}"]);
        assert_eq!(
            substituted("/bin/bash", &default, "/srv/images/app", "r.org/app:1.0-1"),
            ["-c", "/srv/images/app/test.sh r.org/app:1.0-1"],
            "names that need no quoting are unchanged, as in 4.0.4"
        );
        assert_eq!(
            substituted("/bin/sh", &default, "/t/inj;echo X;#", "r.org/app:1.0"),
            ["-c", "'/t/inj;echo X;#'/test.sh r.org/app:1.0"]
        );
        assert_eq!(
            substituted("dash", &args(&["-ec", "{path}/t", "{path}"]), "/a b", "i"),
            ["-ec", "'/a b'/t", "/a b"],
            "only the script is quoted: the arguments after it are the script's own"
        );
        assert_eq!(
            substituted("/usr/bin/python3", &default, "/a b", "i"),
            ["-c", "/a b/test.sh i"],
            "no shell, no quoting"
        );
    }

    #[test]
    fn a_folder_name_runs_its_test_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        for name in [
            "inj;echo INJECTED-MARK;#",
            "a b $(echo INJECTED-MARK)",
            "q'\"`x`",
        ] {
            let dir = root.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("test.sh"), "echo \"ran $1\"; exit 1\n").unwrap();
            let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
            std::fs::set_permissions(dir.join("test.sh"), executable).unwrap();
            let mut lines = Vec::new();
            let err = verifier(&["-c", "{path}/test.sh {image}"])
                .verify(&dir, &label(), None, &mut |line| {
                    lines.push(line.to_owned())
                })
                .unwrap_err();
            assert_eq!(lines, ["ran r.example.org/app:1.0"], "{name}: {err}");
        }
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
        assert!(err.to_string().ends_with("timed out after 300ms"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

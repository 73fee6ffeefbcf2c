//! Runs the `docker-pkg` binary the way a user does, in a scratch directory, and checks what
//! it printed: `Test::new().args([..]).run().success().stdout_has("..")`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use tempfile::TempDir;

/// A scratch directory with an image tree and a config, and a command line to run there.
#[derive(Clone)]
pub struct Test {
    dir: Arc<TempDir>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// What runs `docker-pkg`, when not cargo's binary in this process's environment.
    launcher: Option<Vec<String>>,
}

impl Test {
    pub fn new() -> Test {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("xdg")).expect("an empty XDG_CONFIG_HOME");
        Test {
            dir: Arc::new(dir),
            args: Vec::new(),
            env: Vec::new(),
            launcher: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `relative` below the scratch directory, creating folders.
    pub fn file(self, relative: &str, text: &str) -> Test {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a folder")).expect("folders");
        std::fs::write(&path, text).expect("the file is written");
        self
    }

    /// Every file below `from` copied below `to` in the scratch directory, with its
    /// permissions (test scripts stay executable).
    pub fn copy_dir(mut self, from: &Path, to: &str) -> Test {
        for (relative, text) in files_below(from) {
            let target = format!("{to}/{relative}");
            self = self.file(&target, &text);
            let mode = std::fs::metadata(from.join(&relative))
                .expect("the file was just read")
                .permissions();
            std::fs::set_permissions(self.path().join(&target), mode).expect("permissions");
        }
        self
    }

    /// An image definition in `images/<dir>`: its changelog names it `name` at `version`;
    /// `depends` goes to its control file.
    pub fn image(
        self,
        dir: &str,
        name: &str,
        version: &str,
        depends: &[&str],
        template: &str,
    ) -> Test {
        let changelog = changelog_entry(name, version);
        let test = self
            .file(&format!("images/{dir}/changelog"), &changelog)
            .file(&format!("images/{dir}/Dockerfile.template"), template);
        if depends.is_empty() {
            test
        } else {
            let control = format!("Package: {name}\nDepends: {}\n", depends.join(", "));
            test.file(&format!("images/{dir}/control"), &control)
        }
    }

    pub fn config(self, yaml: &str) -> Test {
        self.file("config.yaml", yaml)
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn arg_path(mut self, path: &Path) -> Test {
        self.args.push(path.display().to_string());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// `env` for each pair: a container storage's variables, say.
    pub fn envs(self, pairs: impl IntoIterator<Item = (String, String)>) -> Test {
        pairs
            .into_iter()
            .fold(self, |test, (key, value)| test.env(&key, &value))
    }

    /// Runs `docker-pkg` through `command` (`setpriv --reuid=… BINARY`, say), which ends
    /// with the binary and gets no environment but what `env` gives.
    pub fn launcher(mut self, command: Vec<String>) -> Test {
        self.launcher = Some(command);
        self
    }

    /// Runs `docker-pkg` with the arguments given, in the scratch directory.
    pub fn run(&self) -> Output {
        self.spawn().wait()
    }

    /// Starts `docker-pkg` with the arguments given, in the scratch directory.
    pub fn spawn(&self) -> Running {
        let child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("docker-pkg starts");
        Running {
            child,
            dir: Arc::clone(&self.dir),
        }
    }

    fn command(&self) -> Command {
        let mut command = match &self.launcher {
            None => Command::new(env!("CARGO_BIN_EXE_docker-pkg")),
            Some(launcher) => {
                let mut command = Command::new(&launcher[0]);
                command.args(&launcher[1..]).env_clear();
                command
            }
        };
        command
            .args(&self.args)
            .current_dir(self.path())
            .env("XDG_CONFIG_HOME", self.path().join("xdg"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        command
    }
}

/// A run of `docker-pkg` under way.
pub struct Running {
    child: Child,
    dir: Arc<TempDir>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`libc`'s number) to docker-pkg alone, as a terminal's Ctrl-C or a
    /// CI runner's cancel does.
    pub fn signal(&self, signal: i32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// Waits until the run's log holds `text` at least `times` times: true then, false when
    /// the run ended first.
    pub fn wait_for_log(&mut self, text: &str, times: usize) -> bool {
        let log = self.dir.path().join("docker-pkg-build.log");
        loop {
            let seen = std::fs::read_to_string(&log).unwrap_or_default();
            if seen.matches(text).count() >= times {
                return true;
            }
            if self
                .child
                .try_wait()
                .expect("docker-pkg can be waited for")
                .is_some()
            {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Waits for the run to end.
    pub fn wait(self) -> Output {
        let output = self.child.wait_with_output().expect("docker-pkg ends");
        Output {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            dir: self.dir,
        }
    }
}

/// Every file below `root` with its text, by path relative to `root`.
pub fn files_below(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                files.insert(relative, std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    files
}

pub fn changelog_entry(name: &str, version: &str) -> String {
    format!(
        "{name} ({version}) wikimedia; urgency=medium\n\n  * Release.\n\n \
         -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 10:00:00 +0000\n"
    )
}

/// What a run printed, with assertions that show all of it when they fail.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Kept so that the files the run wrote outlive the `Test`.
    dir: Arc<TempDir>,
}

impl Output {
    pub fn code(self, expected: i32) -> Output {
        assert_eq!(
            self.code,
            Some(expected),
            "exit code\n{self:#?}\nend of the run's log:\n{}",
            self.log_tail()
        );
        self
    }

    /// The last lines of the log the run wrote in its folder, to show why it failed.
    fn log_tail(&self) -> String {
        const LINES: usize = 60;
        let log = self.dir.path().join("docker-pkg-build.log");
        let text = std::fs::read_to_string(&log).unwrap_or_else(|e| format!("({e})"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LINES)..].join("\n")
    }

    pub fn success(self) -> Output {
        self.code(0)
    }

    pub fn stdout_has(self, text: &str) -> Output {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n{self:#?}"
        );
        self
    }

    pub fn stderr_has(self, text: &str) -> Output {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{self:#?}"
        );
        self
    }

    pub fn stderr_lacks(self, text: &str) -> Output {
        assert!(
            !self.stderr.contains(text),
            "stderr has {text:?}\n{self:#?}"
        );
        self
    }

    /// Nothing that looks like a Rust panic or backtrace.
    pub fn no_panic(self) -> Output {
        self.stderr_lacks("panicked").stderr_lacks("RUST_BACKTRACE")
    }

    /// The scratch directory the run ran in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A JSON file the run wrote, relative to the scratch directory.
    pub fn json(&self, relative: &str) -> serde_json::Value {
        let text = self.read(relative);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{relative} is not JSON: {e}\n{text}"))
    }

    /// The text of a file the run wrote, relative to the scratch directory.
    pub fn read(&self, relative: &str) -> String {
        let path = self.dir.path().join(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{self:#?}", path.display()))
    }
}

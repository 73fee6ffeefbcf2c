//! Running one container tool: where its binary is, the environment its children get, and
//! errors that name the command (with secrets replaced by `***`) and end with what it printed.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use crate::engine::{EngineError, EngineKind};

/// How many of its last lines a failed command's error quotes.
const TAIL_LINES: usize = 15;

/// A container tool's binary, with the environment and the secrets of a run.
#[derive(Debug, Clone)]
pub struct Tool {
    program: PathBuf,
    env: Vec<(String, String)>,
    /// Strings that must never show in an error or a streamed line.
    secrets: Vec<String>,
}

impl Tool {
    /// The binary of `kind`: `program` when given (a bare name is looked for on `PATH`),
    /// else the first `buildah`, `podman` or `docker` on `PATH`.
    pub fn locate(kind: EngineKind, program: Option<&Path>) -> Result<Tool, EngineError> {
        let found = match program {
            Some(path) if path.components().count() > 1 => path.is_file().then(|| path.to_owned()),
            Some(name) => search_path(&name.to_string_lossy()),
            None => search_path(kind.name()),
        };
        let program = found.ok_or_else(|| EngineError::NotInstalled {
            program: program.map_or_else(|| kind.name().to_owned(), |p| p.display().to_string()),
            package: package_of(kind),
        })?;
        Ok(Tool {
            program,
            env: Vec::new(),
            secrets: Vec::new(),
        })
    }

    /// The binary that runs.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Adds variables to the environment every run of the tool gets.
    pub fn with_env(mut self, env: &[(String, String)]) -> Tool {
        self.env.extend_from_slice(env);
        self
    }

    /// The value of `name` in the tool's environment: its own variables, then this process's.
    pub fn env_var(&self, name: &str) -> Option<String> {
        let own = self.env.iter().rev().find(|(key, _)| key == name);
        own.map(|(_, value)| value.clone())
            .or_else(|| std::env::var(name).ok())
    }

    /// Strings to replace by `***` wherever the tool's output or command line is shown.
    pub fn with_secrets(mut self, secrets: Vec<String>) -> Tool {
        self.secrets
            .extend(secrets.into_iter().filter(|s| !s.is_empty()));
        self
    }

    /// Runs the tool to its end and gives its standard output.
    pub fn run(&self, args: &[String]) -> Result<String, EngineError> {
        let output = self
            .expression(args)
            .stdout_capture()
            .stderr_capture()
            .run()
            .map_err(|source| self.spawn_error(args, source))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let printed = if stderr.trim().is_empty() {
            &stdout
        } else {
            &*stderr
        };
        let tail: Vec<&str> = printed.lines().collect();
        Err(self.failure(
            args,
            output.status,
            &tail[tail.len().saturating_sub(TAIL_LINES)..],
        ))
    }

    /// Runs the tool and reads its standard output with `parse`; output that `parse` refuses
    /// is an error naming the command.
    pub fn run_parsed<T>(
        &self,
        args: &[String],
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, EngineError> {
        let output = self.run(args)?;
        parse(&output).map_err(|message| EngineError::Output {
            command: self.command_line(args),
            message,
        })
    }

    /// Runs the tool with standard error merged into standard output, handing each line to
    /// `on_line` as it comes.
    pub fn stream(
        &self,
        args: &[String],
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        let mut tail = VecDeque::with_capacity(TAIL_LINES);
        let status = stream_lines(self.expression(args), &mut |text| {
            let line = self.redact(text);
            on_line(&line);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        })
        .map_err(|source| self.spawn_error(args, source))?;
        match status {
            Some(status) if !status.success() => {
                let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
                Err(self.failure(args, status, &tail))
            }
            _ => Ok(()),
        }
    }

    /// The command line, quoted for a shell and with the secrets replaced.
    pub fn command_line(&self, args: &[String]) -> String {
        let program = self.program().display().to_string();
        self.redact(&quote_command(&program, args))
    }

    fn expression(&self, args: &[String]) -> duct::Expression {
        let mut expression = duct::cmd(&self.program, args).stdin_null().unchecked();
        for (name, value) in &self.env {
            expression = expression.env(name, value);
        }
        expression
    }

    fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), "***")
        })
    }

    fn spawn_error(&self, args: &[String], source: std::io::Error) -> EngineError {
        EngineError::Spawn {
            command: self.command_line(args),
            source,
        }
    }

    fn failure(
        &self,
        args: &[String],
        status: std::process::ExitStatus,
        tail: &[&str],
    ) -> EngineError {
        EngineError::Failed {
            command: self.command_line(args),
            status: status.to_string(),
            stderr_tail: self.redact(tail.join("\n").trim()),
        }
    }
}

/// Runs `expression` with standard error merged into standard output, handing each line (its
/// line ending removed) to `on_line` as it comes; the exit status, once the output has ended.
pub fn stream_lines(
    expression: duct::Expression,
    on_line: &mut dyn FnMut(&str),
) -> std::io::Result<Option<ExitStatus>> {
    let reader = expression.stderr_to_stdout().unchecked().reader()?;
    let mut lines = BufReader::new(&reader);
    let mut buffer = Vec::new();
    while lines.read_until(b'\n', &mut buffer)? > 0 {
        on_line(String::from_utf8_lossy(&buffer).trim_end_matches(['\n', '\r']));
        buffer.clear();
    }
    Ok(reader.try_wait()?.map(|output| output.status))
}

/// `program` and `args` as one line a shell would run as they are.
pub fn quote_command(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Debian package that installs the tool.
fn package_of(kind: EngineKind) -> &'static str {
    match kind {
        EngineKind::Buildah => "buildah",
        EngineKind::Podman => "podman",
        EngineKind::Docker => "docker.io",
    }
}

/// The first executable file called `name` in a directory of `PATH`.
pub fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `word` as a shell would need it: bare when it holds only safe characters.
fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=.,/:@%+".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Tool {
        Tool {
            program: PathBuf::from("/bin/sh"),
            env: vec![("GREETING".into(), "hi".into())],
            secrets: vec!["s3cret".into()],
        }
    }

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn output_and_environment() {
        let out = sh().run(&args(&["-c", "echo $GREETING"])).unwrap();
        assert_eq!(out, "hi\n");
    }

    #[test]
    fn output_that_cannot_be_read_names_the_command() {
        let number = |out: &str| out.trim().parse::<u32>().map_err(|e| e.to_string());
        assert_eq!(
            sh().run_parsed(&args(&["-c", "echo 42"]), number).unwrap(),
            42
        );
        let err = sh()
            .run_parsed(&args(&["-c", "echo forty-two"]), number)
            .unwrap_err();
        let EngineError::Output { command, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(command, "/bin/sh -c 'echo forty-two'");
        assert!(message.contains("invalid digit"), "{message}");
    }

    #[test]
    fn failures_quote_the_last_lines_without_secrets() {
        let script = "for i in $(seq 1 30); do echo line$i >&2; done; echo s3cret >&2; exit 3";
        let err = sh().run(&args(&["-c", script])).unwrap_err();
        let EngineError::Failed {
            command,
            status,
            stderr_tail,
        } = err
        else {
            panic!("{err:?}")
        };
        assert!(command.starts_with("/bin/sh -c 'for i in"), "{command}");
        assert!(status.contains('3'), "{status}");
        assert!(stderr_tail.ends_with("line30\n***"), "{stderr_tail}");
        assert!(!stderr_tail.contains("line16\n"), "{stderr_tail}");
    }

    #[test]
    fn streamed_lines_come_merged_and_redacted() {
        let mut seen = Vec::new();
        let script = "echo out; echo err >&2; echo s3cret";
        sh().stream(&args(&["-c", script]), &mut |line| {
            seen.push(line.to_owned())
        })
        .unwrap();
        assert_eq!(seen, ["out", "err", "***"]);
        let err = sh()
            .stream(&args(&["-c", "echo boom; exit 2"]), &mut |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[test]
    fn bare_names_are_looked_for_on_the_path() {
        let tool = Tool::locate(EngineKind::Buildah, Some(Path::new("sh"))).unwrap();
        assert!(tool.program.is_absolute(), "{tool:?}");
    }

    #[test]
    fn missing_tools_name_their_package() {
        let err = Tool::locate(EngineKind::Docker, Some(Path::new("/nonexistent/docker")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/docker") && err.contains("docker.io"),
            "{err}"
        );
    }
}

//! A container tool's binary, with the environment and the secrets of a run: every process the
//! engine starts is made here, and run by the process layer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{EngineError, EngineKind};
use crate::process::{Command, Secrets, find_program};

#[derive(Debug, Clone)]
pub struct Tool {
    program: PathBuf,
    env: Vec<(String, String)>,
    /// Strings that must never show in an error or a streamed line.
    secrets: Secrets,
}

impl Tool {
    /// The binary of `kind`: `program` when given (a bare name is looked for on `PATH`),
    /// else the first `buildah`, `podman` or `docker` on `PATH`.
    pub fn locate(kind: EngineKind, program: Option<&Path>) -> Result<Tool, EngineError> {
        let wanted = program.map_or_else(|| PathBuf::from(kind.name()), Path::to_owned);
        let program = find_program(&wanted).ok_or_else(|| EngineError::NotInstalled {
            program: wanted.display().to_string(),
            package: package_of(kind),
        })?;
        Ok(Tool::at(program))
    }

    /// The tool whose binary is `program`, already found.
    pub fn at(program: PathBuf) -> Tool {
        Tool {
            program,
            env: Vec::new(),
            secrets: Secrets::default(),
        }
    }

    /// The same environment and secrets, for another program.
    pub fn sibling(&self, program: PathBuf) -> Tool {
        Tool {
            program,
            ..self.clone()
        }
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

    /// Strings to mask wherever the tool's output or command line is shown.
    pub fn with_secrets(mut self, secrets: Secrets) -> Tool {
        self.secrets = secrets;
        self
    }

    /// The tool with `args`, ready to run.
    pub fn command(&self, args: &[String]) -> Command {
        Command::new(&self.program)
            .args(args.iter().cloned())
            .envs(self.env.iter().cloned())
            .secrets(self.secrets.clone())
    }

    /// Runs the tool to its end and gives its standard output.
    pub fn run(&self, args: &[String]) -> Result<String, EngineError> {
        Ok(self.command(args).output()?)
    }

    /// Runs the tool to its end, even while the run is being interrupted: to clean up after
    /// what was stopped.
    pub fn run_cleanup(&self, args: &[String]) -> Result<String, EngineError> {
        Ok(self.command(args).cleanup().output()?)
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
            command: self.command(args).line(),
            message,
        })
    }

    /// Runs the tool with standard error merged into standard output, handing each line to
    /// `on_line` as it comes; stops it, and fails, past `timeout`.
    pub fn stream(
        &self,
        args: &[String],
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        Ok(self.command(args).timeout(timeout).stream(on_line)?)
    }

    /// Streams a build as [`Tool::stream`] does, stopping it only through the processes its
    /// steps run: the tool fails the step whose process is stopped and removes its working
    /// container, which it cannot do when it is itself signalled outside a `RUN` step.
    pub fn stream_build(
        &self,
        args: &[String],
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        let command = self.command(args).timeout(timeout).spare_leader();
        Ok(command.stream(on_line)?)
    }
}

/// The Debian package that installs the tool.
fn package_of(kind: EngineKind) -> &'static str {
    match kind {
        EngineKind::Buildah => "buildah",
        EngineKind::Podman => "podman",
        EngineKind::Docker => "docker.io",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn sh() -> Tool {
        Tool::locate(EngineKind::Buildah, Some(Path::new("/bin/sh")))
            .unwrap()
            .with_env(&[("GREETING".into(), "hi".into())])
    }

    #[test]
    fn output_and_environment() {
        assert_eq!(sh().run(&args(&["-c", "echo $GREETING"])).unwrap(), "hi\n");
        assert_eq!(sh().env_var("GREETING").as_deref(), Some("hi"));
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

//! One program to run: its command line, its environment, its time limit, and how its output is
//! read. The child leads a process group of its own, registered while it runs, so that a
//! time-out or an interruption stops it with everything it started.

use std::ffi::OsString;
use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::error::ProcessError;
use crate::process::groups::{Leader, NUDGE_EVERY, Registered, is_stopping};
use crate::process::lines::for_each_line;
use crate::process::secrets::Secrets;
use crate::process::tail::Tail;

#[derive(Debug, Clone)]
pub struct Command {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(OsString, OsString)>,
    /// Start from an empty environment rather than this process's.
    clear_env: bool,
    secrets: Secrets,
    timeout: Option<Duration>,
    /// Runs during an interruption too: it cleans up after what was stopped.
    cleanup: bool,
    /// Whether the child itself is asked to stop, or only what it started.
    leader: Leader,
}

impl Command {
    pub fn new(program: impl Into<PathBuf>) -> Command {
        Command {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            clear_env: false,
            secrets: Secrets::default(),
            timeout: None,
            cleanup: false,
            leader: Leader::Asked,
        }
    }

    /// Lets the command run while the run is being interrupted: it cleans up after what was
    /// stopped.
    pub fn cleanup(mut self) -> Command {
        self.cleanup = true;
        self
    }

    /// Stops the child, on an interruption or a time-out, only through the processes it
    /// started: it ends once one of them fails, and cleans up then; it is killed only past
    /// the grace period, never asked (a signal would end it before it cleans up).
    pub fn spare_leader(mut self) -> Command {
        self.leader = Leader::Spared;
        self
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Command {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds variables to the child's environment.
    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Command
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The child gets only the variables given with [`Command::envs`].
    pub fn clear_env(mut self) -> Command {
        self.clear_env = true;
        self
    }

    /// Strings masked in the command line and in everything the child prints.
    pub fn secrets(mut self, secrets: Secrets) -> Command {
        self.secrets = secrets;
        self
    }

    /// Stops the child, and fails, when it runs longer than `timeout`.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Command {
        self.timeout = timeout;
        self
    }

    /// The command line as a shell would run it, secrets masked.
    pub fn line(&self) -> String {
        let program = self.program.display().to_string();
        self.secrets.mask(&quote_command(&program, &self.args))
    }

    /// Runs the child to its end and gives its standard output; a failure quotes the last
    /// lines of its standard error (of its standard output when it printed no error).
    pub fn output(&self) -> Result<String, ProcessError> {
        self.refuse_when_stopping()?;
        let handle = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .start()
            .map_err(|source| self.spawn_error(source))?;
        let group = Registered::new(leader(&handle.pids()), self.leader, !self.cleanup);
        let finished = match self.timeout {
            Some(limit) => handle.wait_timeout(limit),
            None => handle.wait().map(Some),
        }
        .map_err(|source| self.spawn_error(source))?;
        let Some(output) = finished else {
            let began = Instant::now();
            while !matches!(handle.wait_timeout(NUDGE_EVERY), Ok(Some(_))) {
                group.nudge(began.elapsed());
            }
            return Err(self.timed_out());
        };
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let printed = if stderr.trim().is_empty() {
            stdout.as_str()
        } else {
            &stderr
        };
        Err(self.failure(output.status, &Tail::of(&self.secrets.mask(printed))))
    }

    /// Runs the child with standard error merged into standard output, handing each line (cut
    /// when huge, secrets masked) to `on_line` as it comes.
    pub fn stream(&self, on_line: &mut dyn FnMut(&str)) -> Result<(), ProcessError> {
        self.refuse_when_stopping()?;
        let reader = self
            .expression()
            .stderr_to_stdout()
            .reader()
            .map_err(|source| self.spawn_error(source))?;
        let group = Registered::new(leader(&reader.pids()), self.leader, !self.cleanup);
        let timed_out = AtomicBool::new(false);
        let mut tail = Tail::default();
        let read = std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel::<()>();
            if let Some(limit) = self.timeout {
                let (group, timed_out) = (&group, &timed_out);
                scope.spawn(move || {
                    let still_running = Err(mpsc::RecvTimeoutError::Timeout);
                    if finished.recv_timeout(limit) == still_running {
                        timed_out.store(true, Ordering::SeqCst);
                        let began = Instant::now();
                        while finished.recv_timeout(NUDGE_EVERY) == still_running {
                            group.nudge(began.elapsed());
                        }
                    }
                });
            }
            let result = for_each_line(&mut BufReader::new(&reader), &mut |line| {
                let line = self.secrets.mask(line);
                on_line(&line);
                tail.push(&line);
            });
            drop(done);
            result
        });
        read.map_err(|source| self.spawn_error(source))?;
        if timed_out.load(Ordering::SeqCst) {
            return Err(self.timed_out());
        }
        let status = reader
            .try_wait()
            .map_err(|source| self.spawn_error(source))?
            .map(|output| output.status);
        match status {
            Some(status) if !status.success() => Err(self.failure(status, &tail)),
            _ => Ok(()),
        }
    }

    fn expression(&self) -> duct::Expression {
        let mut expression = duct::cmd(&self.program, &self.args)
            .stdin_null()
            .unchecked()
            .before_spawn(|command| {
                command.process_group(0);
                // A command started in the background of a shell (a CI job's script, say)
                // inherits SIGINT ignored, and so would each child: the stopping of a group
                // asks its processes with SIGINT first. SAFETY: signal(2) is
                // async-signal-safe, the only call made between fork and exec.
                unsafe {
                    std::os::unix::process::CommandExt::pre_exec(command, || {
                        libc::signal(libc::SIGINT, libc::SIG_DFL);
                        Ok(())
                    });
                }
                Ok(())
            });
        if self.clear_env {
            expression = expression.full_env(self.env.iter().cloned());
        } else {
            for (name, value) in &self.env {
                expression = expression.env(name, value);
            }
        }
        expression
    }

    fn refuse_when_stopping(&self) -> Result<(), ProcessError> {
        if is_stopping() && !self.cleanup {
            return Err(self.interrupted());
        }
        Ok(())
    }

    fn spawn_error(&self, source: std::io::Error) -> ProcessError {
        ProcessError::Spawn {
            command: self.line(),
            source,
        }
    }

    fn timed_out(&self) -> ProcessError {
        ProcessError::TimedOut {
            command: self.line(),
            after: self.timeout.unwrap_or_default(),
        }
    }

    fn interrupted(&self) -> ProcessError {
        ProcessError::Interrupted {
            command: self.line(),
        }
    }

    fn failure(&self, status: std::process::ExitStatus, tail: &Tail) -> ProcessError {
        if is_stopping() && !self.cleanup {
            return self.interrupted();
        }
        ProcessError::Failed {
            command: self.line(),
            status: status.into(),
            tail: tail.text(),
        }
    }
}

/// The group leader of a started expression: its only process.
fn leader(pids: &[u32]) -> u32 {
    pids.first().copied().unwrap_or_default()
}

/// `program` and `args` as one line a shell would run as they are.
fn quote_command(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
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
    use std::time::Instant;

    use super::*;

    fn sh(script: &str) -> Command {
        Command::new("/bin/sh")
            .args(["-c", script])
            .envs([("GREETING", "hi")])
            .secrets(Secrets::new(["s3cret-password".to_owned()]))
    }

    #[test]
    fn output_and_environment() {
        assert_eq!(sh("echo $GREETING").output().unwrap(), "hi\n");
        let only = Command::new("/bin/sh")
            .args(["-c", "echo \"[$GREETING][$HOME]\""])
            .envs([("GREETING", "hi")])
            .clear_env();
        assert_eq!(only.output().unwrap(), "[hi][]\n");
    }

    #[test]
    fn failures_quote_the_last_lines_without_secrets() {
        let script = "for i in $(seq 1 30); do echo line$i >&2; done; \
                      echo s3cret-password >&2; exit 3";
        let err = sh(script).output().unwrap_err();
        let ProcessError::Failed {
            command,
            status,
            tail,
        } = err
        else {
            panic!("{err:?}")
        };
        assert!(command.starts_with("/bin/sh -c 'for i in"), "{command}");
        assert_eq!(status.code, Some(3), "{status}");
        assert!(tail.ends_with("line30\n***"), "{tail}");
        assert!(!tail.contains("line16\n"), "{tail}");
    }

    #[test]
    fn streamed_lines_come_merged_and_masked() {
        let mut seen = Vec::new();
        sh("echo out; echo err >&2; echo s3cret-password")
            .stream(&mut |line| seen.push(line.to_owned()))
            .unwrap();
        assert_eq!(seen, ["out", "err", "***"]);
        let err = sh("echo boom; exit 2").stream(&mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }

    /// The child and what it started (a shell running `sleep`, in the same group) are
    /// stopped at the limit.
    #[test]
    fn time_outs_stop_the_whole_group() {
        let marker = tempfile::tempdir().unwrap();
        let pid_file = marker.path().join("pid");
        let script = format!("sh -c 'echo $$ > {}; sleep 30'", pid_file.display());
        for stream in [false, true] {
            let started = Instant::now();
            let command = sh(&script).timeout(Some(Duration::from_millis(300)));
            let err = if stream {
                command.stream(&mut |_| {}).unwrap_err()
            } else {
                command.output().unwrap_err()
            };
            assert!(matches!(err, ProcessError::TimedOut { .. }), "{err:?}");
            assert!(started.elapsed() < Duration::from_secs(10));
            let pid: i32 = std::fs::read_to_string(&pid_file)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let gone = (0..100).any(|_| {
                std::thread::sleep(Duration::from_millis(20));
                !running(pid)
            });
            assert!(gone, "the sleep of the group is still running");
        }
    }

    /// A command that leaves a process behind in the background, holding its output open,
    /// ends when the command does, and what it left is stopped.
    #[test]
    fn what_a_command_leaves_in_the_background_does_not_hold_it() {
        for stream in [false, true] {
            let (done, finished) = mpsc::channel();
            std::thread::spawn(move || {
                let command = sh("sleep 600 & echo $!");
                let mut lines = Vec::new();
                let printed = if stream {
                    command
                        .stream(&mut |line| lines.push(line.to_owned()))
                        .map(|()| lines.concat())
                } else {
                    command.output()
                };
                let _ = done.send(printed);
            });
            let printed = finished
                .recv_timeout(Duration::from_secs(60))
                .expect("the command still waits for its background process")
                .unwrap();
            let pid: i32 = printed.trim().parse().unwrap();
            let gone = (0..250).any(|_| {
                std::thread::sleep(Duration::from_millis(20));
                !running(pid)
            });
            assert!(gone, "the background sleep is still running");
        }
    }

    /// Whether `pid` is a live process (a zombie waiting for its parent is not).
    fn running(pid: i32) -> bool {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("State:"))
            .is_some_and(|l| !l.contains("Z (zombie)"))
    }

    #[test]
    fn a_program_that_cannot_start_is_named() {
        let err = Command::new("/nonexistent/tool").output().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot run `/nonexistent/tool`"),
            "{err}"
        );
    }
}

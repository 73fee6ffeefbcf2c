//! What SIGINT, SIGTERM and SIGHUP (Ctrl-C, a cancelled CI job, a closed terminal) do to a
//! run. The first signal begins an interruption: the progress line goes, nothing new starts,
//! every running child's process group is stopped by stages (its step processes asked with
//! SIGINT, then SIGTERM; a build tool itself is left to fail its step and clean up; SIGKILL
//! after a grace period: see `process::groups::nudge`), and
//! the command ends as soon as what ran has ended, its temporary files removed by their
//! owners, with a partial summary and exit code 128 + the signal. A command with nothing to
//! finish (render, graph) ends at once. A second signal ends the run at once: children are
//! killed, the folders holding secrets are removed, and the process exits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::process;
use crate::process::run_dir;
use crate::terminal::progress;

/// The first signal received, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// Folders holding secrets, removed first when the run ends at once.
static SECRET_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// How a command meets its first signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Stops its children, starts nothing new, and ends with what it did (build, prune).
    Finish,
    /// Has nothing to finish: ends at once (render, graph, lint).
    Exit,
}

/// Handles the three signals for the rest of the process, in a thread of its own.
pub fn install(mode: Mode) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                match RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst) {
                    Ok(_) if mode == Mode::Finish => begin(signal),
                    _ => end_now(signal),
                }
            }
        })?;
    Ok(())
}

/// The signal that interrupted the run, if one did.
pub fn received() -> Option<i32> {
    Some(RECEIVED.load(Ordering::SeqCst)).filter(|&signal| signal != 0)
}

/// The exit code of a run ended by `signal`, as a shell reports it.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// The name of `signal`.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

fn begin(signal: i32) {
    progress::hide();
    progress::eprint_line(&format!(
        "docker-pkg: {}: interrupting the run (a second signal ends it at once)",
        name(signal)
    ));
    // Stopping waits out a grace period: the thread that does it must not keep this one
    // from hearing a second signal.
    let _ = std::thread::Builder::new()
        .name("stopping".into())
        .spawn(|| process::stop_all(false));
}

fn end_now(signal: i32) -> ! {
    process::stop_all(true);
    remove_secret_dirs();
    run_dir::remove_now();
    progress::hide();
    eprintln!("docker-pkg: {}: interrupted", name(signal));
    std::process::exit(i32::from(exit_code(signal)))
}

fn secret_dirs() -> MutexGuard<'static, Vec<PathBuf>> {
    SECRET_DIRS.lock().unwrap_or_else(|e| e.into_inner())
}

fn remove_secret_dirs() {
    for dir in secret_dirs().drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A folder holding secrets (the auth file), removed at once should the run end at once;
/// registered for as long as this lives (its owner removes it otherwise).
#[derive(Debug)]
pub struct SecretDir(PathBuf);

impl SecretDir {
    pub fn register(dir: &Path) -> SecretDir {
        secret_dirs().push(dir.to_owned());
        SecretDir(dir.to_owned())
    }
}

impl Drop for SecretDir {
    fn drop(&mut self) {
        secret_dirs().retain(|dir| *dir != self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_as_a_shell_reports_them() {
        assert_eq!(exit_code(SIGINT), 130);
        assert_eq!(exit_code(SIGTERM), 143);
        assert_eq!(exit_code(SIGHUP), 129);
        assert_eq!(name(SIGTERM), "SIGTERM");
    }

    #[test]
    fn secret_dirs_are_registered_while_their_guard_lives() {
        let dir = tempfile::tempdir().unwrap();
        let guard = SecretDir::register(dir.path());
        assert!(secret_dirs().contains(&dir.path().to_owned()));
        drop(guard);
        assert!(!secret_dirs().contains(&dir.path().to_owned()));
    }
}

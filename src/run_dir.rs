//! The temporary files of a run, in a folder of its own (mode 0700) in the private root (see
//! `private_dir.rs`: the user's runtime folder when usable): the auth file, the build
//! contexts, the `docker` of verify scripts. What is as large as images (the images written
//! out for upload, the container tools' own temporary files: their `TMPDIR`) goes to a
//! folder of the same name in the system's temporary folder, on disk rather than the runtime
//! folder's small tmpfs. Both are removed when the run ends; and since a run killed with
//! SIGKILL cannot remove them, every run first removes the folders of runs that are gone.
//! The folders' name is the marker: `docker-pkg-run-PID-START`, where START is when that
//! process started, so that a folder is removed only when no process of that id and start
//! time is alive (a pid used again by another process does not count).

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;

use crate::private_dir::private_root;

const PREFIX: &str = "docker-pkg-run-";

/// The folder of this run for private files.
static CURRENT: OnceLock<PathBuf> = OnceLock::new();
/// The folder of this run for large files.
static BULK: OnceLock<PathBuf> = OnceLock::new();

/// The folder of this run, removed when dropped.
#[derive(Debug)]
pub struct RunDir;

impl RunDir {
    /// Makes the folders of this run, after removing those of runs that are gone.
    pub fn start() -> io::Result<RunDir> {
        let start = start_time(std::process::id()).unwrap_or_default();
        let name = format!("{PREFIX}{}-{start}", std::process::id());
        let private = make(&private_root(), &name)?;
        let _ = CURRENT.set(private);
        let bulk = make(&std::env::temp_dir(), &name)?;
        let _ = BULK.set(bulk);
        Ok(RunDir)
    }
}

/// The folder `name` in `root`, 0700, after removing those of runs gone from `root`.
fn make(root: &Path, name: &str) -> io::Result<PathBuf> {
    remove_abandoned(root);
    let path = root.join(name);
    std::fs::create_dir_all(root)?;
    std::fs::create_dir(&path).or_else(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => Ok(()),
        _ => Err(e),
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
    Ok(path)
}

impl Drop for RunDir {
    fn drop(&mut self) {
        remove_now();
    }
}

/// Removes the folders of this run at once (the run ends without unwinding).
pub fn remove_now() {
    for path in [CURRENT.get(), BULK.get()].into_iter().flatten() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// A new folder named `PREFIX…`, mode 0700, in the private folder of this run (in the
/// private root when no run folder was made), removed when dropped.
pub fn tempdir(prefix: &str) -> io::Result<TempDir> {
    tempdir_in(prefix, CURRENT.get().cloned().unwrap_or_else(private_root))
}

/// [`tempdir`] for files as large as images: in the folder of this run on disk.
pub fn bulk_tempdir(prefix: &str) -> io::Result<TempDir> {
    tempdir_in(
        prefix,
        BULK.get().cloned().unwrap_or_else(std::env::temp_dir),
    )
}

fn tempdir_in(prefix: &str, dir: PathBuf) -> io::Result<TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(dir)
}

/// The id of this run, the name of its folder: what marks what it leaves elsewhere (the
/// containers of verify scripts).
pub fn run_id() -> Option<String> {
    let name = CURRENT.get()?.file_name()?;
    Some(name.to_string_lossy().into_owned())
}

/// Whether the run of `id` is gone (no process of its id and start time is alive).
pub fn is_gone(id: &str) -> bool {
    owner(id).is_some_and(|(pid, start)| start_time(pid) != Some(start))
}

/// The `TMPDIR` of the tools this run starts, inside the folder of this run on disk.
pub fn tools_tmpdir() -> Option<PathBuf> {
    let dir = BULK.get()?.join("tmp");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Removes the folders below `root` of runs no longer alive.
fn remove_abandoned(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, start)) = owner(&name.to_string_lossy()) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && start_time(pid) != Some(start) {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => log::info!(
                    "Removed {}, left behind by a run that was killed",
                    entry.path().display()
                ),
                Err(e) => log::warn!(
                    "Cannot remove {}, left behind by a run that was killed: {e}",
                    entry.path().display()
                ),
            }
        }
    }
}

/// The process id and start time a run folder's name holds.
fn owner(name: &str) -> Option<(u32, u64)> {
    let (pid, start) = name.strip_prefix(PREFIX)?.split_once('-')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(pid) || !all_digits(start) {
        return None;
    }
    Some((pid.parse().ok()?, start.parse().ok()?))
}

/// When process `pid` started, in clock ticks since boot (field 22 of `/proc/PID/stat`);
/// `None` when there is no such process.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, field 2, may hold spaces and parentheses: count from its end.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_owners() {
        assert_eq!(owner("docker-pkg-run-12-345"), Some((12, 345)));
        assert_eq!(owner("docker-pkg-run-12-"), None);
        assert_eq!(owner("docker-pkg-run-x-1"), None);
        assert_eq!(owner("docker-pkg-registry-abc"), None);
        assert!(start_time(std::process::id()).is_some());
    }

    #[test]
    fn folders_of_runs_gone_are_removed_and_others_kept() {
        let root = tempfile::tempdir().unwrap();
        let mine = start_time(std::process::id()).unwrap();
        let gone = root
            .path()
            .join(format!("{PREFIX}{}-{}", std::process::id(), mine + 1));
        let alive = root
            .path()
            .join(format!("{PREFIX}{}-{mine}", std::process::id()));
        let other = root.path().join("docker-pkg-run-notes");
        for dir in [&gone, &alive, &other] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("auth.json"), "{}").unwrap();
        }
        remove_abandoned(root.path());
        assert!(!gone.exists());
        assert!(alive.exists() && other.exists());
    }
}

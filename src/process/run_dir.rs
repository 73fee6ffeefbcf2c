//! The temporary files of a run, in a folder of its own (mode 0700) in the private root (see
//! `private_dir.rs`: the user's runtime folder when usable): the auth file, the build
//! contexts. What is as large as images (the images written out for upload, the container
//! tools' own temporary files: their `TMPDIR`), and what tests are given (the `docker` of
//! verify scripts, their `TMPDIR`), goes to a folder of its own in the system's temporary
//! folder, on disk rather than the runtime folder's small tmpfs. Both are removed when the run ends; and since a run killed with
//! SIGKILL cannot remove them, every run first removes the folders of runs that are gone.
//!
//! A folder is made anew, with a random part in its name (`docker-pkg-run-PID-START-XXXXXX`,
//! START being when the process started), so that nobody can make it first in a shared
//! `/tmp`. The run holds a lock on a file in it for as long as it lives (the kernel lets go
//! when the process ends, however it ends): a folder of the user's whose lock nobody holds
//! is a killed run's. The process id and start time in the name are for the containers
//! verify scripts leave, which carry the run's name as a label.

use std::fs::{File, TryLockError};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;

use crate::process::private_dir::private_root;

const PREFIX: &str = "docker-pkg-run-";
/// The file of a run folder whose lock the run holds while it lives.
const LOCK_FILE: &str = ".alive";

/// The folder of this run for private files, and its lock.
static CURRENT: OnceLock<(PathBuf, File)> = OnceLock::new();
/// The folder of this run for large files, and its lock.
static BULK: OnceLock<(PathBuf, File)> = OnceLock::new();

/// The folders of this run, removed when dropped.
#[derive(Debug)]
pub struct RunDir;

impl RunDir {
    /// Makes the folders of this run, after removing those of runs that are gone.
    pub fn start() -> io::Result<RunDir> {
        let start = start_time(std::process::id()).unwrap_or_default();
        let name = format!("{PREFIX}{}-{start}-", std::process::id());
        let _ = CURRENT.set(make(&private_root(), &name)?);
        let _ = BULK.set(make(&std::env::temp_dir(), &name)?);
        Ok(RunDir)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        remove_now();
    }
}

/// A new folder `PREFIX…` in `root`, 0700, locked by this process, after removing the
/// folders of runs gone from `root`.
fn make(root: &Path, prefix: &str) -> io::Result<(PathBuf, File)> {
    remove_abandoned(root);
    std::fs::create_dir_all(root)?;
    let path = closed_tempdir(prefix, root)?.keep();
    let lock = File::create(path.join(LOCK_FILE))?;
    lock.lock()?;
    Ok((path, lock))
}

/// Removes the folders of this run at once (the run ends without unwinding).
pub fn remove_now() {
    for (path, _) in [CURRENT.get(), BULK.get()].into_iter().flatten() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// A new folder named `PREFIX…`, mode 0700, in the private folder of this run (in the
/// private root when no run folder was made), removed when dropped.
pub fn tempdir(prefix: &str) -> io::Result<TempDir> {
    closed_tempdir(prefix, &folder(&CURRENT).unwrap_or_else(private_root))
}

/// A new file named `PREFIX…`, mode 0600, in the private folder of this run (in the private
/// root when no run folder was made), removed when dropped.
pub fn tempfile(prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    let dir = folder(&CURRENT).unwrap_or_else(private_root);
    tempfile::Builder::new().prefix(prefix).tempfile_in(dir)
}

/// [`tempdir`] for files as large as images: in the folder of this run on disk.
pub fn bulk_tempdir(prefix: &str) -> io::Result<TempDir> {
    closed_tempdir(prefix, &folder(&BULK).unwrap_or_else(std::env::temp_dir))
}

fn folder(which: &OnceLock<(PathBuf, File)>) -> Option<PathBuf> {
    which.get().map(|(path, _)| path.clone())
}

/// A folder made anew (never one that was there), its mode 0700 from the start.
fn closed_tempdir(prefix: &str, dir: &Path) -> io::Result<TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(dir)
}

/// The id of this run, the name of its folder: what marks what it leaves elsewhere (the
/// containers of verify scripts).
pub fn run_id() -> Option<String> {
    let name = folder(&CURRENT)?
        .file_name()?
        .to_string_lossy()
        .into_owned();
    Some(name)
}

/// Whether the run of `id` is gone (no process of its id and start time is alive).
pub fn is_gone(id: &str) -> bool {
    owner(id).is_some_and(|(pid, start)| start_time(pid) != Some(start))
}

/// The folder of this run that holds the auth file: nothing a test receives may point there.
pub fn private_folder() -> Option<PathBuf> {
    folder(&CURRENT)
}

/// The `TMPDIR` of the tools this run starts, inside the folder of this run on disk.
pub fn tools_tmpdir() -> Option<PathBuf> {
    let dir = folder(&BULK)?.join("tmp");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Removes the folders below `root` of this user's runs that are no longer alive.
fn remove_abandoned(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if owner(&entry.file_name().to_string_lossy()).is_none() || !abandoned(&path) {
            continue;
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => log::info!(
                "Removed {}, left behind by a run that was killed",
                path.display()
            ),
            Err(e) => log::warn!(
                "Cannot remove {}, left behind by a run that was killed: {e}",
                path.display()
            ),
        }
    }
}

/// Whether `folder` is a run folder of this user that no living run holds: the process its
/// name names is gone, and nobody holds its lock. Both, because a run makes its lock file
/// before it locks it (a free lock alone may be a run starting), and because the name alone
/// says nothing of a run in another process namespace sharing the folder (its lock does).
fn abandoned(folder: &Path) -> bool {
    let Ok(metadata) = std::fs::symlink_metadata(folder) else {
        return false;
    };
    let mine = metadata.uid() == rustix::process::geteuid().as_raw();
    let owner_gone = folder
        .file_name()
        .is_some_and(|name| is_gone(&name.to_string_lossy()));
    if !metadata.is_dir() || !mine || !owner_gone {
        return false;
    }
    match File::open(folder.join(LOCK_FILE)) {
        Ok(lock) => match lock.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(_)) => false,
        },
        Err(_) => true,
    }
}

/// The process id and start time a run folder's name holds.
fn owner(name: &str) -> Option<(u32, u64)> {
    let mut parts = name.strip_prefix(PREFIX)?.splitn(3, '-');
    let (pid, start) = (parts.next()?, parts.next()?);
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
        assert_eq!(owner("docker-pkg-run-12-345-Xa9zQ1"), Some((12, 345)));
        assert_eq!(owner("docker-pkg-run-12-345"), Some((12, 345)));
        assert_eq!(owner("docker-pkg-run-12-"), None);
        assert_eq!(owner("docker-pkg-run-x-1"), None);
        assert_eq!(owner("docker-pkg-registry-abc"), None);
        assert!(start_time(std::process::id()).is_some());
    }

    #[test]
    fn folders_nobody_holds_are_removed_and_others_kept() {
        let root = tempfile::tempdir().unwrap();
        let (held, _lock) = make(root.path(), "docker-pkg-run-1-2-").unwrap();
        let released = {
            let (path, lock) = make(root.path(), "docker-pkg-run-1-2-").unwrap();
            drop(lock);
            path
        };
        let gone_before_its_lock = root.path().join("docker-pkg-run-999999999-1-abc");
        std::fs::create_dir(&gone_before_its_lock).unwrap();
        let starting = {
            let me = std::process::id();
            let name = format!("{PREFIX}{me}-{}-", start_time(me).unwrap());
            let path = closed_tempdir(&name, root.path()).unwrap().keep();
            File::create(path.join(LOCK_FILE)).unwrap();
            path
        };
        let other = root.path().join("docker-pkg-run-notes");
        std::fs::create_dir(&other).unwrap();
        let target = tempfile::tempdir().unwrap();
        let link = root.path().join("docker-pkg-run-1-2-link");
        std::os::unix::fs::symlink(target.path(), &link).unwrap();
        remove_abandoned(root.path());
        assert!(held.exists(), "a folder a run holds is kept");
        assert!(
            starting.exists(),
            "a living run's folder is kept before it locks it"
        );
        assert!(!released.exists() && !gone_before_its_lock.exists());
        assert!(other.exists() && link.exists() && target.path().exists());
    }

    #[test]
    fn a_folder_is_always_made_anew_and_closed() {
        let root = tempfile::tempdir().unwrap();
        let (first, _a) = make(root.path(), "docker-pkg-run-1-2-").unwrap();
        let (second, _b) = make(root.path(), "docker-pkg-run-1-2-").unwrap();
        assert_ne!(first, second);
        let mode = std::fs::metadata(&first).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}

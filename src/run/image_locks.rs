//! One lock per image label, shared by every run on the same local storage, so that two runs
//! that would build the same image take turns: the second waits, says so, and then finds the
//! image built (or published) by the first. Different images still build side by side.
//!
//! A lock is an advisory lock (`flock`) on a file named after the label, in a folder of the
//! storage's run root; the kernel releases it when its holder exits, however it exits. The
//! file holds when its last holder finished, so that a run can tell whether another one
//! worked on the image since it looked.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::label::ImageLabel;
use crate::process::sleep_unless_stopping;

/// The folder below the storage's run root that holds the lock files.
const LOCK_DIR: &str = "docker-pkg-locks";
/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot lock {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the run was interrupted while waiting for another run to finish {label}")]
    Interrupted { label: String },
}

/// The locks of one run.
#[derive(Debug)]
pub struct ImageLocks {
    dir: PathBuf,
    /// When this run looked at the registry and local storage.
    scanned: SystemTime,
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct ImageLock {
    file: File,
    /// Whether another run finished work on the image after this one scanned it.
    pub changed_since_scan: bool,
}

impl ImageLocks {
    /// Locks in `run_dir` (the storage's run root), for a run that scanned at `scanned`.
    pub fn new(run_dir: &Path, scanned: SystemTime) -> ImageLocks {
        ImageLocks {
            dir: run_dir.join(LOCK_DIR),
            scanned,
        }
    }

    /// Takes the lock of `label`, waiting while another run holds it; `waiting` is called
    /// once, when it has to wait.
    pub fn acquire(&self, label: &ImageLabel, waiting: &dyn Fn()) -> Result<ImageLock, LockError> {
        let path = self.dir.join(file_name(label));
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            if !told {
                waiting();
                told = true;
            }
            if !sleep_unless_stopping(POLL) {
                return Err(LockError::Interrupted {
                    label: label.to_string(),
                });
            }
        }
        let finished = last_finished(&mut file);
        Ok(ImageLock {
            file,
            changed_since_scan: finished.is_some_and(|at| at > self.scanned),
        })
    }
}

impl Drop for ImageLock {
    /// Notes when the work finished, for the next holder; the lock goes with the file.
    fn drop(&mut self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let _ = self.file.set_len(0);
        let _ = self.file.rewind();
        let _ = write!(self.file, "{now}");
    }
}

/// When the last holder of `file` finished, as it noted.
fn last_finished(file: &mut File) -> Option<SystemTime> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    let nanos: u64 = text.trim().parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// The label as a file name: every character but letters, digits, `.`, `_` and `-` becomes
/// `_` (a label's `/` and `:` cannot both be told apart in it, nor need they be).
fn file_name(label: &ImageLabel) -> String {
    let name: String = label
        .to_string()
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    format!("{name}.lock")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    fn label() -> ImageLabel {
        ImageLabel::parse("127.0.0.1:5000/ns/app:1.0").unwrap()
    }

    #[test]
    fn a_second_holder_waits_and_sees_the_work_of_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let scanned = SystemTime::now();
        let first = ImageLocks::new(dir.path(), scanned);
        let second = ImageLocks::new(dir.path(), scanned);
        let held = first
            .acquire(&label(), &|| panic!("nobody holds it"))
            .unwrap();
        assert!(!held.changed_since_scan);
        let waited = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                second
                    .acquire(&label(), &|| waited.store(true, Ordering::SeqCst))
                    .unwrap()
            });
            std::thread::sleep(Duration::from_millis(500));
            assert!(!waiter.is_finished(), "the lock was taken twice");
            drop(held);
            let lock = waiter.join().unwrap();
            assert!(lock.changed_since_scan);
        });
        assert!(waited.load(Ordering::SeqCst));
        assert!(
            dir.path()
                .join(LOCK_DIR)
                .join("127.0.0.1_5000_ns_app_1.0.lock")
                .is_file()
        );
    }

    #[test]
    fn different_images_do_not_wait() {
        let dir = tempfile::tempdir().unwrap();
        let locks = ImageLocks::new(dir.path(), SystemTime::now());
        let _app = locks.acquire(&label(), &|| panic!("no wait")).unwrap();
        let other = ImageLabel::parse("127.0.0.1:5000/ns/other:1.0").unwrap();
        locks.acquire(&other, &|| panic!("no wait")).unwrap();
    }
}

//! Where the temporary files that nobody else may read go (the auth file with the registry
//! password, the build contexts; see `run_dir.rs`):
//! `$XDG_RUNTIME_DIR` when it is set and usable: a folder of the user's own, closed to others,
//! on tmpfs, removed at logout; a shared `/tmp` lets others see names and, on a mistake,
//! contents. Else the system's temporary folder.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `$XDG_RUNTIME_DIR` when [`usable_runtime_dir`], else the system's temporary folder.
pub fn private_root() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| usable_runtime_dir(dir).is_ok())
        .unwrap_or_else(std::env::temp_dir)
}

/// What keeps a runtime folder from holding private files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeDirFlaw {
    #[error("is not an absolute path")]
    Relative,
    #[error("cannot be read: {0}")]
    Unreadable(String),
    #[error("is not a folder")]
    NotAFolder,
    #[error("belongs to uid {0}")]
    OwnedBy(u32),
    #[error("is open to others (mode {0:o})")]
    OpenToOthers(u32),
    #[error("is not writable")]
    ReadOnly,
}

impl RuntimeDirFlaw {
    /// Whether buildah and podman fail on it too: they need the folder, not its privacy.
    pub fn stops_the_tools(&self) -> bool {
        !matches!(self, RuntimeDirFlaw::OpenToOthers(_))
    }
}

/// Whether `dir` can hold this user's private files: an absolute path to a folder of the
/// effective user's, closed to group and others, writable.
pub fn usable_runtime_dir(dir: &Path) -> Result<(), RuntimeDirFlaw> {
    if !dir.is_absolute() {
        return Err(RuntimeDirFlaw::Relative);
    }
    let metadata = std::fs::metadata(dir).map_err(|e| RuntimeDirFlaw::Unreadable(e.to_string()))?;
    if !metadata.is_dir() {
        return Err(RuntimeDirFlaw::NotAFolder);
    }
    if metadata.uid() != rustix::process::geteuid().as_raw() {
        return Err(RuntimeDirFlaw::OwnedBy(metadata.uid()));
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(RuntimeDirFlaw::OpenToOthers(metadata.mode() & 0o777));
    }
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).map_err(|_| RuntimeDirFlaw::ReadOnly)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use tempfile::TempDir;

    use super::*;

    fn folder(mode: u32) -> TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    #[test]
    fn a_closed_folder_of_ones_own_is_usable() {
        assert_eq!(usable_runtime_dir(folder(0o700).path()), Ok(()));
    }

    #[test]
    fn a_folder_open_to_others_is_not() {
        let dir = folder(0o755);
        let flaw = usable_runtime_dir(dir.path()).unwrap_err();
        assert_eq!(flaw.to_string(), "is open to others (mode 755)");
        assert!(!flaw.stops_the_tools());
    }

    #[test]
    fn a_missing_or_relative_folder_is_not() {
        let dir = folder(0o700);
        assert!(usable_runtime_dir(&dir.path().join("gone")).is_err());
        assert_eq!(
            usable_runtime_dir(Path::new("run/user/1000")),
            Err(RuntimeDirFlaw::Relative)
        );
    }
}

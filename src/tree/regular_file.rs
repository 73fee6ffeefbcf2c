//! Files the tool reads from a definition folder (`Dockerfile.template`, `changelog`,
//! `control`, `test.sh`): symbolic links are followed, as 4.0.4 follows them, and anything
//! that is not a regular file where one is expected is an error naming it, rather than a
//! file silently passed over.

use std::fs::FileType;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {problem}", .path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub problem: String,
}

/// Whether `path` is there, as a regular file or a link to one; `false` when nothing is at
/// `path`. A dangling link, a loop of links or anything else than a regular file is an
/// error.
pub fn regular_file(path: &Path) -> Result<bool, FileError> {
    let error = |problem: String| FileError {
        path: path.to_owned(),
        problem,
    };
    let own = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(error(format!("cannot read it: {e}"))),
    };
    let target = if own.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(error("a symbolic link to nothing".into()));
            }
            Err(e) if e.raw_os_error() == Some(libc_eloop()) => {
                return Err(error("a loop of symbolic links".into()));
            }
            Err(e) => return Err(error(format!("cannot follow the link: {e}"))),
        }
    } else {
        own
    };
    match kind(target.file_type()) {
        None => Ok(true),
        Some(kind) => Err(error(format!("{kind}, not a regular file"))),
    }
}

/// What a file that is not regular is; `None` for a regular file.
fn kind(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        Some("a device")
    }
}

/// `ELOOP`, which `std::io::ErrorKind` does not name on stable Rust.
fn libc_eloop() -> i32 {
    rustix::io::Errno::LOOP.raw_os_error()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn files_links_and_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("file"), "x").unwrap();
        symlink("file", at("link")).unwrap();
        symlink("nowhere", at("dangling")).unwrap();
        symlink("loop-b", at("loop-a")).unwrap();
        symlink("loop-a", at("loop-b")).unwrap();
        std::fs::create_dir(at("dir")).unwrap();
        symlink("dir", at("link-to-dir")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            at("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(regular_file(&at("file")).unwrap());
        assert!(regular_file(&at("link")).unwrap());
        assert!(!regular_file(&at("absent")).unwrap());
        for (name, problem) in [
            ("dangling", "a symbolic link to nothing"),
            ("loop-a", "a loop of symbolic links"),
            ("dir", "a directory, not a regular file"),
            ("link-to-dir", "a directory, not a regular file"),
            ("fifo", "a FIFO, not a regular file"),
        ] {
            let err = regular_file(&at(name)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{}: {problem}", at(name).display())
            );
        }
    }
}

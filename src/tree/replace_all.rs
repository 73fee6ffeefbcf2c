//! Replacing several files all or none: each new text is written next to its file, a link to
//! each original is kept, then every file is replaced by a rename; a rename that fails puts
//! back the files already replaced. A file that cannot be linked to (an immutable one, say)
//! cannot be replaced either, so such a file stops everything before anything changed.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

#[derive(Debug, thiserror::Error)]
#[error("cannot replace {}: {source}", .path.display())]
pub struct ReplaceError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Gives each file its new text, keeping its permissions; on an error, no file changed. A
/// link is followed: the file it leads to is replaced.
pub fn replace_all(files: &[(PathBuf, String)]) -> Result<(), ReplaceError> {
    replace_all_with(files, |from, to| std::fs::rename(from, to))
}

/// [`replace_all`] with the rename given, so that a failing rename can be tested.
fn replace_all_with(
    files: &[(PathBuf, String)],
    rename: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> Result<(), ReplaceError> {
    let targets = files
        .iter()
        .map(|(path, _)| std::fs::canonicalize(path).map_err(|e| error(path, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let staged = files
        .iter()
        .zip(&targets)
        .map(|((_, text), target)| stage(target, text))
        .collect::<Result<Vec<_>, _>>()?;
    let backups = Backups::of(&targets)?;
    for (index, (file, target)) in staged.into_iter().zip(&targets).enumerate() {
        let (_, staged_path) = file.keep().map_err(|e| error(target, e.error))?;
        if let Err(e) = rename(&staged_path, target) {
            let _ = std::fs::remove_file(&staged_path);
            backups.restore(&targets[..index]);
            return Err(error(target, e));
        }
    }
    Ok(())
}

/// The new text of `target` in a temporary file next to it, with its permissions.
fn stage(target: &Path, text: &str) -> Result<NamedTempFile, ReplaceError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut file = NamedTempFile::new_in(dir).map_err(|e| error(target, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| error(target, e))?;
    let permissions = std::fs::metadata(target)
        .map_err(|e| error(target, e))?
        .permissions();
    file.as_file()
        .set_permissions(permissions)
        .map_err(|e| error(target, e))?;
    Ok(file)
}

/// A hard link to each original, removed when dropped.
struct Backups(Vec<PathBuf>);

impl Backups {
    fn of(targets: &[PathBuf]) -> Result<Backups, ReplaceError> {
        let mut backups = Backups(Vec::with_capacity(targets.len()));
        for target in targets {
            backups
                .0
                .push(link_beside(target).map_err(|e| error(target, e))?);
        }
        Ok(backups)
    }

    /// Puts the originals of `replaced` back.
    fn restore(&self, replaced: &[PathBuf]) {
        for (backup, target) in self.0.iter().zip(replaced) {
            if let Err(e) = std::fs::rename(backup, target) {
                log::error!(
                    "cannot put back {} (its original is {}): {e}",
                    target.display(),
                    backup.display()
                );
            }
        }
    }
}

impl Drop for Backups {
    fn drop(&mut self) {
        for backup in &self.0 {
            let _ = std::fs::remove_file(backup);
        }
    }
}

/// A hard link to `target` in its folder, under a name of this process's own.
fn link_beside(target: &Path) -> std::io::Result<PathBuf> {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let backup = target.with_file_name(format!(".{name}.docker-pkg-{}", std::process::id()));
    std::fs::hard_link(target, &backup)?;
    Ok(backup)
}

fn error(path: &Path, source: std::io::Error) -> ReplaceError {
    ReplaceError {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<(PathBuf, String)> {
        ["a", "b", "c"]
            .iter()
            .map(|name| {
                let path = dir.join(name);
                std::fs::write(&path, format!("old {name}")).unwrap();
                (path, format!("new {name}"))
            })
            .collect()
    }

    fn texts(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                format!(
                    "{name}={}",
                    std::fs::read_to_string(dir.join(name)).unwrap()
                )
            })
            .collect()
    }

    #[test]
    fn all_are_replaced_and_nothing_is_left_over() {
        let dir = tempfile::tempdir().unwrap();
        replace_all(&files(dir.path())).unwrap();
        assert_eq!(texts(dir.path()), ["a=new a", "b=new b", "c=new c"]);
    }

    #[test]
    fn a_failing_replacement_puts_back_those_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let files = files(dir.path());
        let third = files[2].0.clone();
        let err = replace_all_with(&files, |from, to| {
            if to == third {
                return Err(std::io::Error::other("no room"));
            }
            std::fs::rename(from, to)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot replace {}: no room", third.display())
        );
        assert_eq!(texts(dir.path()), ["a=old a", "b=old b", "c=old c"]);
    }

    #[test]
    fn a_link_is_replaced_through() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), "old").unwrap();
        std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
        replace_all(&[(dir.path().join("link"), "new".into())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("real")).unwrap(),
            "new"
        );
        assert!(dir.path().join("link").is_symlink());
    }
}

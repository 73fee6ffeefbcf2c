//! The folder an image is built from: a fresh temporary copy of its definition folder (minus
//! what `.dockerignore` leaves out) with the rendered `Dockerfile`, removed when dropped.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;
use walkdir::WalkDir;

use crate::dockerignore::{DOCKERIGNORE_FILE, DockerIgnore};
use crate::run_dir;

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{}: {message}", .path.display())]
    DockerIgnore { path: PathBuf, message: String },
    #[error("cannot prepare the build context from {}: {source}", .dir.display())]
    Copy { dir: PathBuf, source: io::Error },
}

pub struct BuildContext {
    root: TempDir,
}

impl BuildContext {
    /// Copies `image_dir` into a new temporary folder and writes `dockerfile` there.
    pub fn create(
        image_dir: &Path,
        name: &str,
        dockerfile: &str,
    ) -> Result<BuildContext, ContextError> {
        let ignore = read_dockerignore(image_dir)?;
        let copy_error = |source| ContextError::Copy {
            dir: image_dir.to_owned(),
            source,
        };
        let root = run_dir::tempdir(&format!("docker-pkg-{name}-")).map_err(copy_error)?;
        copy_tree(image_dir, root.path(), &ignore).map_err(copy_error)?;
        std::fs::write(root.path().join("Dockerfile"), dockerfile).map_err(copy_error)?;
        Ok(BuildContext { root })
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }
}

fn read_dockerignore(image_dir: &Path) -> Result<DockerIgnore, ContextError> {
    let path = image_dir.join(DOCKERIGNORE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => DockerIgnore::parse(&text)
            .map_err(|message| ContextError::DockerIgnore { path, message }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(DockerIgnore::default()),
        Err(source) => Err(ContextError::Copy {
            dir: image_dir.to_owned(),
            source,
        }),
    }
}

/// Copies `from` into `to`, following symbolic links as 4.0.4 does, keeping permissions.
fn copy_tree(from: &Path, to: &Path, ignore: &DockerIgnore) -> io::Result<()> {
    let mut walk = WalkDir::new(from)
        .follow_links(true)
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let is_dir = entry.file_type().is_dir();
        if ignore.excludes(relative) {
            if is_dir && !ignore.has_exceptions() {
                walk.skip_current_dir();
            }
            continue;
        }
        let target = to.join(relative);
        if is_dir {
            std::fs::create_dir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_all_but_the_ignored_and_writes_the_dockerfile() {
        let image = tempfile::tempdir().unwrap();
        let write = |relative: &str, text: &str| {
            let path = image.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Dockerfile.template", "FROM x");
        write("files/app.py", "print()");
        write("files/app.pyc", "junk");
        write("cache/big", "junk");
        write(".dockerignore", "**/*.pyc\ncache\n");
        let context = BuildContext::create(image.path(), "app", "FROM rendered").unwrap();
        let root = context.path().to_owned();
        assert_eq!(
            std::fs::read_to_string(root.join("Dockerfile")).unwrap(),
            "FROM rendered"
        );
        assert!(root.join("files/app.py").is_file());
        assert!(root.join("Dockerfile.template").is_file());
        assert!(!root.join("files/app.pyc").exists());
        assert!(!root.join("cache").exists());
        drop(context);
        assert!(!root.exists(), "the context is removed when dropped");
    }
}

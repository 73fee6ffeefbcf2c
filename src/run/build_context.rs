//! The folder an image is built from: a fresh temporary copy of its definition folder (minus
//! what `.dockerignore` leaves out) with the rendered `Dockerfile`, removed when dropped.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;
use walkdir::WalkDir;

use crate::process::run_dir;
use crate::tree::confinement::{Confinement, OutsideLink};
use crate::tree::dockerignore::{DOCKERIGNORE_FILE, DockerIgnore};

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{}: {message}", .path.display())]
    DockerIgnore { path: PathBuf, message: String },
    #[error("cannot prepare the build context from {}: {source}", .dir.display())]
    Copy { dir: PathBuf, source: io::Error },
    #[error(transparent)]
    Outside(#[from] OutsideLink),
}

pub struct BuildContext {
    root: TempDir,
}

impl BuildContext {
    /// Copies `image_dir` into a new temporary folder and writes `dockerfile` there; a link
    /// that leads out of `confinement` fails it.
    pub fn create(
        image_dir: &Path,
        name: &str,
        dockerfile: &str,
        confinement: &Confinement,
    ) -> Result<BuildContext, ContextError> {
        let ignore = read_dockerignore(image_dir)?;
        let copy_error = |source| ContextError::Copy {
            dir: image_dir.to_owned(),
            source,
        };
        let root = run_dir::tempdir(&format!("docker-pkg-{name}-")).map_err(copy_error)?;
        copy_tree(image_dir, root.path(), &ignore, confinement)?;
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

/// Copies `from` into `to`, following symbolic links as 4.0.4 does, keeping permissions;
/// a link is checked before it is followed, once the scan found none leading out, as the
/// tree may have changed since.
fn copy_tree(
    from: &Path,
    to: &Path,
    ignore: &DockerIgnore,
    confinement: &Confinement,
) -> Result<(), ContextError> {
    let copy_error = |source| ContextError::Copy {
        dir: from.to_owned(),
        source,
    };
    let mut walk = WalkDir::new(from)
        .follow_links(true)
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| copy_error(io::Error::other(e)))?;
        if entry.path_is_symlink() {
            confinement.check(entry.path())?;
        }
        let relative = entry
            .path()
            .strip_prefix(from)
            .map_err(|e| copy_error(io::Error::other(e)))?;
        let is_dir = entry.file_type().is_dir();
        if ignore.excludes(relative) {
            if is_dir && !ignore.has_exceptions() {
                walk.skip_current_dir();
            }
            continue;
        }
        copy_entry(entry.path(), &to.join(relative), is_dir).map_err(copy_error)?;
    }
    Ok(())
}

fn copy_entry(from: &Path, to: &Path, is_dir: bool) -> io::Result<()> {
    if is_dir {
        return std::fs::create_dir_all(to);
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to).map(drop)
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
        let confinement = Confinement::new(image.path(), &[]);
        let context =
            BuildContext::create(image.path(), "app", "FROM rendered", &confinement).unwrap();
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

    #[test]
    fn a_link_out_of_the_tree_fails_and_one_inside_is_followed() {
        let tree = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let image = tree.path().join("app");
        std::fs::create_dir(&image).unwrap();
        std::fs::write(tree.path().join("shared.sh"), "shared").unwrap();
        std::fs::write(outside.path().join("host"), "host").unwrap();
        std::os::unix::fs::symlink("../shared.sh", image.join("shared.sh")).unwrap();
        let confinement = Confinement::new(tree.path(), &[]);
        let context = BuildContext::create(&image, "app", "FROM x", &confinement).unwrap();
        let copied = std::fs::read_to_string(context.path().join("shared.sh")).unwrap();
        assert_eq!(copied, "shared");
        std::os::unix::fs::symlink(outside.path().join("host"), image.join("host")).unwrap();
        let error = BuildContext::create(&image, "app", "FROM x", &confinement)
            .err()
            .unwrap();
        assert!(matches!(error, ContextError::Outside(_)), "{error}");
        let allowed = Confinement::new(tree.path(), &[outside.path().to_owned()]);
        assert!(BuildContext::create(&image, "app", "FROM x", &allowed).is_ok());
    }
}

//! What a run reads from a tree stays in the tree. Symbolic links are followed, as 4.0.4
//! follows them and as real trees share files that way, as long as they resolve inside the
//! scanned folder or below a folder `allow_links_outside` lists: a link to `/etc/shadow`,
//! `/proc/self/environ` or `../../secrets` in an image folder would otherwise put a host file
//! into a published layer (Docker and buildah never read outside their context), or into a
//! template or a test.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A link that resolves outside the tree and every allowed folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} is a link to {}, outside the tree {} (add the folder to allow_links_outside to allow it)",
    .link.display(), .target.display(), .root.display()
)]
pub struct OutsideLink {
    pub link: PathBuf,
    pub target: PathBuf,
    pub root: PathBuf,
}

/// Where the files of a tree may resolve to: the tree, and the folders the configuration
/// allows.
#[derive(Debug, Clone)]
pub struct Confinement {
    root: PathBuf,
    allowed: Vec<PathBuf>,
}

impl Confinement {
    /// The confinement of the tree at `root`, with links into `allowed` permitted; each
    /// folder is taken with its own links resolved, where it exists.
    pub fn new(root: &Path, allowed: &[PathBuf]) -> Confinement {
        let resolved = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_owned());
        Confinement {
            root: resolved(&std::path::absolute(root).unwrap_or_else(|_| root.to_owned())),
            allowed: allowed.iter().map(|path| resolved(path)).collect(),
        }
    }

    /// An error when `path` resolves outside; nothing for a path that does not resolve
    /// (absent, a dangling link, a loop): reading it reports that.
    pub fn check(&self, path: &Path) -> Result<(), OutsideLink> {
        let Ok(target) = path.canonicalize() else {
            return Ok(());
        };
        if self.holds(&target) {
            return Ok(());
        }
        Err(OutsideLink {
            link: path.to_owned(),
            target,
            root: self.root.clone(),
        })
    }

    fn holds(&self, target: &Path) -> bool {
        target.starts_with(&self.root) || self.allowed.iter().any(|dir| target.starts_with(dir))
    }

    /// The links below `dir` (a folder of the tree, walked following the links that stay
    /// inside) that resolve outside, `.dockerignore`d or not: a template or a test may read
    /// any file of its folder.
    pub fn outside_links(&self, dir: &Path) -> Vec<OutsideLink> {
        let found = RefCell::new(Vec::new());
        let walk = WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                if !entry.path_is_symlink() {
                    return true;
                }
                match self.check(entry.path()) {
                    Ok(()) => true,
                    Err(outside) => {
                        found.borrow_mut().push(outside);
                        false
                    }
                }
            });
        // Errors (loops, unreadable folders) are those of copying the folder, said there.
        walk.for_each(drop);
        found.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_the_tree_or_allowed_pass_and_others_are_named() {
        let tree = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let allowed = tempfile::tempdir().unwrap();
        let image = tree.path().join("app");
        std::fs::create_dir_all(tree.path().join("shared/sub")).unwrap();
        std::fs::create_dir(&image).unwrap();
        std::fs::write(tree.path().join("shared/sub/common.sh"), "x").unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        std::fs::write(allowed.path().join("ok"), "x").unwrap();
        symlink("../shared", image.join("shared")).unwrap();
        symlink("../shared/sub/common.sh", image.join("common.sh")).unwrap();
        symlink(outside.path().join("secret"), image.join("absolute")).unwrap();
        symlink("../../../../../../../../../etc/hostname", image.join("up")).unwrap();
        symlink("/proc/self/environ", image.join("environ")).unwrap();
        symlink(outside.path(), image.join("folder")).unwrap();
        symlink(allowed.path().join("ok"), image.join("allowed")).unwrap();
        symlink("nowhere", image.join("dangling")).unwrap();
        let confinement = Confinement::new(tree.path(), &[allowed.path().to_owned()]);
        let links: Vec<String> = confinement
            .outside_links(&image)
            .iter()
            .map(|outside| outside.link.file_name().unwrap().to_string_lossy().into())
            .collect();
        assert_eq!(links, ["absolute", "environ", "folder", "up"]);
        let error = confinement.check(&image.join("absolute")).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} is a link to {}, outside the tree {} (add the folder to \
                 allow_links_outside to allow it)",
                image.join("absolute").display(),
                outside
                    .path()
                    .canonicalize()
                    .unwrap()
                    .join("secret")
                    .display(),
                tree.path().canonicalize().unwrap().display()
            )
        );
        assert!(confinement.check(&image.join("common.sh")).is_ok());
    }
}

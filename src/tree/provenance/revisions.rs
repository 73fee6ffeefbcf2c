//! Which git commit each image folder is at: the `HEAD` of the work tree holding it, with
//! `-dirty` when the folder has changes not committed (untracked files included), and the
//! folder's path in that work tree. Worked out with one `git status` per work tree, whatever
//! the number of images (trees have hundreds).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::process::{Command, find_program};

/// What git says of one image folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The commit, with `-dirty` when the folder has uncommitted changes; `None` before the
    /// first commit.
    pub commit: Option<String>,
    /// The folder relative to the work tree's top, `/`-separated (`""` for the top itself).
    pub path: String,
}

/// The revisions of a set of folders.
#[derive(Debug, Default)]
pub struct Revisions {
    by_dir: HashMap<PathBuf, Revision>,
}

/// What `git status` reported of one work tree.
struct Status {
    head: Option<String>,
    /// Changed paths, relative to the top; an untracked folder ends with `/`.
    changed: Vec<String>,
}

impl Revisions {
    /// The revision of each of `dirs` that is in a git work tree. A work tree git cannot read
    /// (git missing, a repository it refuses) is reported once, as a warning, and its folders
    /// get no revision.
    pub fn of(dirs: &[PathBuf]) -> Revisions {
        let mut trees: HashMap<PathBuf, Vec<(PathBuf, String)>> = HashMap::new();
        let mut tops = TopFinder::default();
        for dir in dirs {
            let Ok(absolute) = std::fs::canonicalize(dir) else {
                continue;
            };
            if let Some(top) = tops.top_of(&absolute) {
                let relative = relative_path(&absolute, &top);
                trees.entry(top).or_default().push((dir.clone(), relative));
            }
        }
        let mut by_dir = HashMap::new();
        for (top, folders) in trees {
            let paths: Vec<&str> = folders.iter().map(|(_, p)| p.as_str()).collect();
            let status = match status(&top, common_ancestor(&paths)) {
                Ok(status) => status,
                Err(reason) => {
                    log::warn!(
                        "{}: {reason}; its images get no revision label",
                        top.display()
                    );
                    continue;
                }
            };
            for (dir, path) in folders {
                let commit = status.head.as_ref().map(|head| {
                    let dirty = status.changed.iter().any(|c| is_within(c, &path));
                    if dirty {
                        format!("{head}-dirty")
                    } else {
                        head.clone()
                    }
                });
                by_dir.insert(dir, Revision { commit, path });
            }
        }
        Revisions { by_dir }
    }

    /// The revision of `dir`, one of the folders given, when it is in a work tree.
    pub fn get(&self, dir: &Path) -> Option<&Revision> {
        self.by_dir.get(dir)
    }
}

/// Finds the work tree of a folder as git does, by the nearest `.git` above it, remembering
/// each folder looked at.
#[derive(Default)]
struct TopFinder {
    known: HashMap<PathBuf, Option<PathBuf>>,
}

impl TopFinder {
    fn top_of(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.known.get(dir) {
            return known.clone();
        }
        let top = if dir.join(".git").exists() {
            Some(dir.to_owned())
        } else {
            dir.parent().and_then(|parent| self.top_of(parent))
        };
        self.known.insert(dir.to_owned(), top.clone());
        top
    }
}

/// `git status` of `top`, limited to `within` (relative to `top`; `""` for all of it).
fn status(top: &Path, within: &str) -> Result<Status, String> {
    let git = find_program(Path::new("git")).ok_or("git is not installed")?;
    let mut args = vec![
        "--no-optional-locks".to_owned(),
        "-C".to_owned(),
        top.display().to_string(),
        "status".to_owned(),
        "--porcelain=v2".to_owned(),
        "--branch".to_owned(),
        "-z".to_owned(),
        "--untracked-files=normal".to_owned(),
    ];
    if !within.is_empty() {
        args.extend(["--".to_owned(), format!(":(literal){within}")]);
    }
    let output = Command::new(git)
        .args(args)
        .output()
        .map_err(|e| e.last_words())?;
    Ok(parse_status(&output))
}

/// Reads `git status --porcelain=v2 --branch -z`.
fn parse_status(output: &str) -> Status {
    let mut status = Status {
        head: None,
        changed: Vec::new(),
    };
    let mut records = output.split('\0').filter(|r| !r.is_empty());
    while let Some(record) = records.next() {
        if let Some(oid) = record.strip_prefix("# branch.oid ") {
            status.head = (oid != "(initial)").then(|| oid.to_owned());
            continue;
        }
        // The path follows a fixed number of fields; a rename's original path comes next.
        let fields = match record.chars().next() {
            Some('1') => 8,
            Some('2') => 9,
            Some('u') => 10,
            Some('?') => 1,
            _ => continue,
        };
        if let Some(path) = record.splitn(fields + 1, ' ').nth(fields) {
            status.changed.push(path.to_owned());
        }
        if record.starts_with('2') {
            status.changed.extend(records.next().map(str::to_owned));
        }
    }
    status
}

/// Whether the changed path `changed` is in the folder `folder` (or is an untracked folder
/// holding it).
fn is_within(changed: &str, folder: &str) -> bool {
    if folder.is_empty() || changed == folder {
        return true;
    }
    let below = |outer: &str, inner: &str| {
        inner
            .strip_prefix(outer.trim_end_matches('/'))
            .is_some_and(|rest| rest.starts_with('/'))
    };
    below(folder, changed) || (changed.ends_with('/') && below(changed, folder))
}

/// `dir` relative to `top`, `/`-separated.
fn relative_path(dir: &Path, top: &Path) -> String {
    let relative = dir.strip_prefix(top).unwrap_or(Path::new(""));
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The longest folder path that holds every one of `paths`.
fn common_ancestor<'a>(paths: &[&'a str]) -> &'a str {
    let Some(first) = paths.first() else {
        return "";
    };
    let mut common = *first;
    for path in &paths[1..] {
        while !(common.is_empty() || *path == common || is_within(path, common)) {
            common = common.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_records() {
        let output = "# branch.oid 1234abcd\0# branch.head main\0\
            1 .M N... 100644 100644 100644 aa bb images/a/Dockerfile.template\0\
            2 R. N... 100644 100644 100644 aa bb R100 images/c/new name\0images/d/old\0\
            u UU N... 100644 100644 100644 100644 aa bb cc images/e/changelog\0\
            ? images/f/\0";
        let status = parse_status(output);
        assert_eq!(status.head.as_deref(), Some("1234abcd"));
        assert_eq!(
            status.changed,
            [
                "images/a/Dockerfile.template",
                "images/c/new name",
                "images/d/old",
                "images/e/changelog",
                "images/f/"
            ]
        );
        let initial = parse_status("# branch.oid (initial)\0# branch.head main\0");
        assert_eq!(initial.head, None);
    }

    #[test]
    fn paths_within_folders() {
        assert!(is_within("images/a/changelog", "images/a"));
        assert!(!is_within("images/ab/changelog", "images/a"));
        assert!(is_within("images/", "images/a"));
        assert!(!is_within("images/b/", "images/a"));
        assert!(is_within("anything", ""));
        assert!(is_within("images/a", "images/a"));
    }

    #[test]
    fn common_ancestors() {
        assert_eq!(common_ancestor(&["images/a", "images/b/c"]), "images");
        assert_eq!(common_ancestor(&["images/a"]), "images/a");
        assert_eq!(common_ancestor(&["images/a", "other"]), "");
        assert_eq!(common_ancestor(&["img/ab", "img/a"]), "img");
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let git = find_program(Path::new("git")).expect("git is installed");
        Command::new(git)
            .args(["-C", &dir.display().to_string()])
            .args(args.iter().copied())
            .envs([
                ("GIT_AUTHOR_NAME", "t"),
                ("GIT_AUTHOR_EMAIL", "t@example.org"),
                ("GIT_COMMITTER_NAME", "t"),
                ("GIT_COMMITTER_EMAIL", "t@example.org"),
            ])
            .output()
            .unwrap()
    }

    #[test]
    fn folders_of_a_work_tree() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        for image in ["images/a", "images/b", "outside/c"] {
            std::fs::create_dir_all(root.join(image)).unwrap();
            std::fs::write(root.join(image).join("changelog"), image).unwrap();
        }
        let dirs: Vec<PathBuf> = ["images/a", "images/b"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        git(root, &["init", "-q"]);
        let before = Revisions::of(&dirs);
        assert_eq!(before.get(&dirs[0]).unwrap().commit, None);
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "first"]);
        let head = git(root, &["rev-parse", "HEAD"]).trim().to_owned();
        std::fs::write(root.join("images/b/new-file"), "x").unwrap();
        std::fs::write(root.join("outside/c/changelog"), "changed").unwrap();
        let revisions = Revisions::of(&dirs);
        let a = revisions.get(&dirs[0]).unwrap();
        assert_eq!(a.commit.as_deref(), Some(head.as_str()));
        assert_eq!(a.path, "images/a");
        let b = revisions.get(&dirs[1]).unwrap();
        assert_eq!(b.commit, Some(format!("{head}-dirty")));
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(
            Revisions::of(&[elsewhere.path().to_owned()])
                .get(elsewhere.path())
                .is_none()
        );
    }
}

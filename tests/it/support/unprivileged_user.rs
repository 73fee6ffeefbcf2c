//! A user without root for the tests of rootless builds, as a CI runner has one: made (or
//! reused) by the test, which runs as root, with ranges in `/etc/subuid` and `/etc/subgid`.
//! Its containers storage is its default one (`~/.local/share/containers`), so one test at a
//! time may use it, across test binaries and runs: a lock file says whose turn it is. The
//! storage is wiped before each use and after; the user stays for the next run.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::run;

/// The user with subordinate ids.
const RUNNER: &str = "docker-pkg-ci";
/// A user every Debian system has, and that has no subordinate ids.
const NOBODY: &str = "nobody";
const SUBID_FILES: [&str; 2] = ["/etc/subuid", "/etc/subgid"];
/// Where `useradd` starts handing out subordinate ids, and how many it gives.
const FIRST_SUBORDINATE_ID: u64 = 100_000;
const RANGE_SIZE: u64 = 65_536;

pub struct UnprivilegedUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    /// Held while the user's storage is this test's.
    _turn: Option<File>,
}

impl UnprivilegedUser {
    /// The runner user with subordinate ids, made when missing, its storage empty and this
    /// test's until dropped.
    pub fn runner() -> UnprivilegedUser {
        let turn = take_turn();
        if !known("passwd", RUNNER) {
            let mut args = vec!["--create-home"];
            // A group left by a user removed without it is the user's group again.
            if known("group", RUNNER) {
                args.extend(["--gid", RUNNER]);
            } else {
                args.push("--user-group");
            }
            args.push(RUNNER);
            run("useradd", &args, &[]);
        }
        give_subordinate_ids(RUNNER);
        let user = UnprivilegedUser::named(RUNNER, Some(turn));
        user.wipe_storage();
        user
    }

    /// `nobody`, which has no subordinate ids (a test that needs it so checks).
    pub fn nobody() -> UnprivilegedUser {
        UnprivilegedUser::named(NOBODY, None)
    }

    fn named(name: &str, turn: Option<File>) -> UnprivilegedUser {
        let id = |flag: &str| -> u32 {
            let text = run("id", &[flag, name], &[]);
            text.trim().parse().expect("id prints a number")
        };
        let entry = run("getent", &["passwd", name], &[]);
        let home = entry.trim().split(':').nth(5).expect("a home in passwd");
        UnprivilegedUser {
            name: name.to_owned(),
            uid: id("-u"),
            gid: id("-g"),
            home: PathBuf::from(home),
            _turn: turn,
        }
    }

    /// The command line that runs `program` as this user, with its groups and nothing of
    /// root's environment.
    pub fn launcher(&self, program: &Path) -> Vec<String> {
        vec![
            "setpriv".into(),
            format!("--reuid={}", self.uid),
            format!("--regid={}", self.gid),
            "--init-groups".into(),
            "--".into(),
            program.display().to_string(),
        ]
    }

    /// What a login gives the user: `HOME`, `USER`, `LOGNAME`, and root's `PATH`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.home.display().to_string()),
            ("USER".into(), self.name.clone()),
            ("LOGNAME".into(), self.name.clone()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ]
    }

    /// Gives `path` and everything below it to this user.
    pub fn give(&self, path: &Path) {
        for entry in walkdir::WalkDir::new(path) {
            let entry = entry.expect("a readable folder");
            std::os::unix::fs::lchown(entry.path(), Some(self.uid), Some(self.gid))
                .unwrap_or_else(|e| panic!("cannot give {}: {e}", entry.path().display()));
        }
    }

    /// `program`, or a link to it in `dir` (given to this user) when the user cannot reach
    /// it where cargo put it (below a folder closed to others).
    pub fn reachable(&self, program: &Path, dir: &Path) -> PathBuf {
        let open = |path: &Path| {
            std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
        };
        if program.ancestors().all(open) {
            return program.to_owned();
        }
        let copy = dir.join("docker-pkg");
        if std::fs::hard_link(program, &copy).is_err() {
            std::fs::copy(program, &copy).expect("the binary copied");
        }
        copy
    }

    /// Whether `/etc/subuid` gives this user a range.
    pub fn has_subordinate_uids(&self) -> bool {
        let text = std::fs::read_to_string(SUBID_FILES[0]).unwrap_or_default();
        text.lines().any(|line| {
            let owner = line.split(':').next().unwrap_or("");
            owner == self.name || owner == self.uid.to_string()
        })
    }

    /// The user's default containers storage, with whatever the tools left next to it.
    fn wipe_storage(&self) {
        for dir in [
            ".local/share/containers",
            ".config/containers",
            ".cache/containers",
        ] {
            let path = self.home.join(dir);
            if path.exists() {
                std::fs::remove_dir_all(&path)
                    .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
            }
        }
    }
}

impl Drop for UnprivilegedUser {
    fn drop(&mut self) {
        if self._turn.is_some() {
            self.wipe_storage();
        }
    }
}

/// Waits for the runner user to be free: another test, here or in another run, may hold it.
fn take_turn() -> File {
    let path = std::env::temp_dir().join("rootless-tests.docker-pkg.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.lock().expect("the rootless tests' lock");
    file
}

/// Whether the system's `database` (`passwd`, `group`) has an entry `name`.
fn known(database: &str, name: &str) -> bool {
    std::process::Command::new("getent")
        .args([database, name])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Gives `user` a range in each subordinate id file that lacks one, past every range there.
fn give_subordinate_ids(user: &str) {
    let texts: Vec<String> = SUBID_FILES
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect();
    let has_range = |text: &str| text.lines().any(|l| l.starts_with(&format!("{user}:")));
    if texts.iter().all(|text| has_range(text)) {
        return;
    }
    for file in SUBID_FILES {
        File::options()
            .create(true)
            .append(true)
            .open(file)
            .unwrap_or_else(|e| panic!("cannot create {file}: {e}"));
    }
    let first = texts
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let mut fields = line.split(':').skip(1);
            let start: u64 = fields.next()?.parse().ok()?;
            let count: u64 = fields.next()?.parse().ok()?;
            Some(start + count)
        })
        .fold(FIRST_SUBORDINATE_ID, u64::max);
    let range = format!("{first}-{}", first + RANGE_SIZE - 1);
    run(
        "usermod",
        &["--add-subuids", &range, "--add-subgids", &range, user],
        &[],
    );
}

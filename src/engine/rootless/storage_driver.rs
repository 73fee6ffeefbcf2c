//! The containers storage a user gets without root, as containers/storage picks it: the
//! driver from `$STORAGE_DRIVER`, else from the first `storage.conf` found
//! (`$CONTAINERS_STORAGE_CONF`, the user's `~/.config/containers/storage.conf`, the system's
//! `/etc/containers/storage.conf` or `/usr/share/containers/storage.conf`; from the system's
//! only a driver that works without root), the folder from `rootless_storage_path` or the
//! user's data folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The driver everywhere usable: plain copies, no mounts.
const VFS: &str = "vfs";
/// Linux lets users mount overlay in their user namespace from 5.13 on.
const NATIVE_ROOTLESS_OVERLAY: (u32, u32) = (5, 13);

/// Where a `storage.conf` was found, which decides what of it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named by `$CONTAINERS_STORAGE_CONF`.
    Variable,
    /// The user's own, below `$XDG_CONFIG_HOME` or `~/.config`.
    User,
    /// The system's, under `/etc` or `/usr/share`.
    System,
}

/// A `storage.conf` and its text.
#[derive(Debug, Clone)]
pub struct StorageFile {
    pub path: PathBuf,
    pub origin: Origin,
    pub text: String,
}

/// What of the environment decides the storage.
#[derive(Debug, Clone, Default)]
pub struct StorageEnv {
    /// `$STORAGE_DRIVER`.
    pub driver: Option<String>,
    pub home: Option<PathBuf>,
    pub xdg_data_home: Option<PathBuf>,
    pub user: String,
    pub uid: u32,
}

/// The storage the tools will use, as far as it can be known without running them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoragePlan {
    /// `None`: the tools choose (overlay where the kernel allows it, else vfs).
    pub driver: Option<String>,
    /// Where the driver was named: `STORAGE_DRIVER` or a file.
    pub driver_from: String,
    pub mount_program: Option<PathBuf>,
    pub graph_root: GraphRoot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphRoot {
    /// The folder images are stored in.
    At(PathBuf),
    /// Nothing says where: why.
    Nowhere(String),
    /// A `graphroot` of `$CONTAINERS_STORAGE_CONF`, which versions of containers/storage
    /// read differently without root: not checked.
    Unchecked,
}

/// What the system says about the paths a plan names.
#[derive(Debug, Clone)]
pub struct StorageFacts {
    /// `major.minor` of the running kernel.
    pub kernel: Option<(u32, u32)>,
    pub mount_program_runs: bool,
    /// Whether the user may open `/dev/fuse`, which fuse-overlayfs needs.
    pub fuse_usable: bool,
    /// Whether the user may create or write the graph root.
    pub graph_root_writable: bool,
}

#[derive(Deserialize, Default)]
struct Conf {
    #[serde(default)]
    storage: Section,
}

#[derive(Deserialize, Default)]
struct Section {
    driver: Option<String>,
    graphroot: Option<String>,
    rootless_storage_path: Option<String>,
    #[serde(default)]
    options: Options,
}

#[derive(Deserialize, Default)]
struct Options {
    mount_program: Option<String>,
    #[serde(default)]
    overlay: Overlay,
}

#[derive(Deserialize, Default)]
struct Overlay {
    mount_program: Option<String>,
}

/// The storage that `env` and `file` give; an unreadable file is the problem.
pub fn plan(env: &StorageEnv, file: Option<&StorageFile>) -> Result<StoragePlan, String> {
    let conf: Conf = match file {
        Some(file) => toml::from_str(&file.text).map_err(|e| {
            let reason = e.message().to_owned();
            format!(
                "{}: not a valid storage.conf: {reason}",
                file.path.display()
            )
        })?,
        None => Conf::default(),
    };
    let section = conf.storage;
    let from_file = section.driver.clone().filter(|driver| {
        !driver.is_empty()
            && (file.is_some_and(|f| f.origin != Origin::System) || works_rootless(driver))
    });
    let (driver, driver_from) = match (&env.driver, from_file) {
        (Some(driver), _) if !driver.is_empty() => (Some(driver.clone()), "STORAGE_DRIVER".into()),
        (_, Some(driver)) => (Some(driver), display(file)),
        _ => (None, display(file)),
    };
    let mount_program = section
        .options
        .overlay
        .mount_program
        .clone()
        .or(section.options.mount_program.clone())
        .map(PathBuf::from);
    Ok(StoragePlan {
        driver,
        driver_from,
        mount_program,
        graph_root: graph_root(env, file.map(|f| f.origin), &section),
    })
}

fn display(file: Option<&StorageFile>) -> String {
    file.map_or_else(|| "the defaults".into(), |f| f.path.display().to_string())
}

/// Drivers that work in a user namespace (btrfs on a btrfs file system only).
fn works_rootless(driver: &str) -> bool {
    matches!(driver, "overlay" | "overlay2" | VFS | "btrfs")
}

fn graph_root(env: &StorageEnv, origin: Option<Origin>, section: &Section) -> GraphRoot {
    if let Some(path) = &section.rootless_storage_path {
        return GraphRoot::At(PathBuf::from(expand(path, env)));
    }
    match (origin, &section.graphroot) {
        (Some(Origin::User), Some(path)) => return GraphRoot::At(PathBuf::from(path)),
        (Some(Origin::Variable), Some(_)) => return GraphRoot::Unchecked,
        _ => {}
    }
    let data_home = env.xdg_data_home.clone().or_else(|| {
        let home = env.home.as_ref().filter(|home| home.as_os_str() != "/")?;
        Some(home.join(".local/share"))
    });
    match data_home {
        Some(dir) => GraphRoot::At(dir.join("containers/storage")),
        None => GraphRoot::Nowhere(format!(
            "neither XDG_DATA_HOME nor HOME is set for {}, so the containers storage has no \
             folder; set HOME to a folder of {}'s own",
            env.user, env.user
        )),
    }
}

/// `$HOME`, `$USER` and `$UID` in `rootless_storage_path`, as containers/storage expands them.
fn expand(path: &str, env: &StorageEnv) -> String {
    let home = env.home.as_deref().unwrap_or(Path::new("")).display();
    path.replace("$HOME", &home.to_string())
        .replace("$USER", &env.user)
        .replace("$UID", &env.uid.to_string())
}

/// What stops `plan` from working here.
pub fn problems(plan: &StoragePlan, facts: &StorageFacts) -> Vec<String> {
    let mut problems = Vec::new();
    problems.extend(driver_problem(plan, facts));
    match &plan.graph_root {
        GraphRoot::At(root) if !facts.graph_root_writable => problems.push(format!(
            "the containers storage would be in {}, which this user cannot create or write; \
             make it a folder of the user's own, or set rootless_storage_path in storage.conf",
            root.display()
        )),
        GraphRoot::Nowhere(why) => problems.push(why.clone()),
        _ => {}
    }
    problems
}

fn driver_problem(plan: &StoragePlan, facts: &StorageFacts) -> Option<String> {
    let driver = plan.driver.as_deref()?;
    let from = &plan.driver_from;
    if !works_rootless(driver) {
        return Some(format!(
            "storage driver {driver:?} (from {from}) does not work without root; use \
             driver = \"vfs\" (works everywhere) or \"overlay\""
        ));
    }
    if !driver.starts_with("overlay") {
        return None;
    }
    match &plan.mount_program {
        Some(program) => fuse_problem(program, from, facts),
        None => facts
            .kernel
            .filter(|&kernel| kernel < NATIVE_ROOTLESS_OVERLAY)
            .map(|(major, minor)| {
                format!(
                    "storage driver \"overlay\" (from {from}) without mount_program needs Linux \
                     5.13 or later to work without root, and this is {major}.{minor}; install \
                     fuse-overlayfs and set mount_program = \"/usr/bin/fuse-overlayfs\", or \
                     use driver = \"vfs\""
                )
            }),
    }
}

fn fuse_problem(program: &Path, from: &str, facts: &StorageFacts) -> Option<String> {
    let program = program.display();
    if !facts.mount_program_runs {
        Some(format!(
            "mount_program {program} (from {from}) is not installed; install fuse-overlayfs, \
             or remove mount_program, or use driver = \"vfs\""
        ))
    } else if !facts.fuse_usable {
        Some(format!(
            "mount_program {program} (from {from}) needs /dev/fuse, which this user cannot \
             open; as root: modprobe fuse && chmod 666 /dev/fuse, or use driver = \"vfs\""
        ))
    } else {
        None
    }
}

/// `major.minor` of a kernel release (`6.1.0-18-amd64`).
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> StorageEnv {
        StorageEnv {
            driver: None,
            home: Some(PathBuf::from("/home/ci")),
            xdg_data_home: None,
            user: "ci".into(),
            uid: 1001,
        }
    }

    fn file(origin: Origin, text: &str) -> StorageFile {
        StorageFile {
            path: PathBuf::from("/etc/containers/storage.conf"),
            origin,
            text: text.into(),
        }
    }

    fn facts() -> StorageFacts {
        StorageFacts {
            kernel: Some((6, 1)),
            mount_program_runs: true,
            fuse_usable: true,
            graph_root_writable: true,
        }
    }

    fn problems_of(
        env: &StorageEnv,
        file: Option<&StorageFile>,
        facts: &StorageFacts,
    ) -> Vec<String> {
        problems(&plan(env, file).unwrap(), facts)
    }

    #[test]
    fn without_any_file_the_tools_choose_in_the_users_data_folder() {
        let plan = plan(&env(), None).unwrap();
        assert_eq!(plan.driver, None);
        assert_eq!(
            plan.graph_root,
            GraphRoot::At("/home/ci/.local/share/containers/storage".into())
        );
        assert!(problems(&plan, &facts()).is_empty());
    }

    #[test]
    fn a_driver_that_needs_root_is_refused_from_the_users_file() {
        let user = file(Origin::User, "[storage]\ndriver = \"devmapper\"\n");
        let problems = problems_of(&env(), Some(&user), &facts());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "storage driver \"devmapper\" (from /etc/containers/storage.conf) does not \
                 work without root"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn the_systems_driver_that_needs_root_is_left_to_the_tools() {
        let system = file(Origin::System, "[storage]\ndriver = \"zfs\"\n");
        assert_eq!(plan(&env(), Some(&system)).unwrap().driver, None);
    }

    #[test]
    fn storage_driver_overrides_every_file() {
        let user = file(Origin::User, "[storage]\ndriver = \"vfs\"\n");
        let env = StorageEnv {
            driver: Some("aufs".into()),
            ..env()
        };
        let problems = problems_of(&env, Some(&user), &facts());
        assert!(
            problems[0].contains("(from STORAGE_DRIVER)"),
            "{problems:?}"
        );
    }

    #[test]
    fn native_overlay_needs_linux_5_13() {
        let conf = file(Origin::Variable, "[storage]\ndriver = \"overlay\"\n");
        let old = StorageFacts {
            kernel: Some((5, 10)),
            ..facts()
        };
        let problems = problems_of(&env(), Some(&conf), &old);
        assert!(problems[0].contains("this is 5.10"), "{problems:?}");
        assert!(problems_of(&env(), Some(&conf), &facts()).is_empty());
    }

    #[test]
    fn fuse_overlayfs_needs_its_program_and_dev_fuse() {
        let text = "[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\n\
                    mount_program = \"/usr/bin/fuse-overlayfs\"\n";
        let conf = file(Origin::System, text);
        let missing = StorageFacts {
            mount_program_runs: false,
            ..facts()
        };
        let problems = problems_of(&env(), Some(&conf), &missing);
        assert!(
            problems[0].starts_with("mount_program /usr/bin/fuse-overlayfs (from"),
            "{problems:?}"
        );
        let closed = StorageFacts {
            fuse_usable: false,
            ..facts()
        };
        let problems = problems_of(&env(), Some(&conf), &closed);
        assert!(problems[0].contains("/dev/fuse"), "{problems:?}");
    }

    #[test]
    fn rootless_storage_path_is_expanded() {
        let conf = file(
            Origin::System,
            "[storage]\nrootless_storage_path = \"/srv/$USER-$UID/storage\"\n",
        );
        let plan = plan(&env(), Some(&conf)).unwrap();
        assert_eq!(
            plan.graph_root,
            GraphRoot::At("/srv/ci-1001/storage".into())
        );
    }

    #[test]
    fn a_storage_folder_the_user_cannot_write_is_named() {
        let env = StorageEnv {
            home: Some("/nonexistent".into()),
            ..env()
        };
        let read_only = StorageFacts {
            graph_root_writable: false,
            ..facts()
        };
        let problems = problems_of(&env, None, &read_only);
        assert!(
            problems[0].starts_with(
                "the containers storage would be in \
                 /nonexistent/.local/share/containers/storage, which this user cannot"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn without_home_the_storage_has_no_folder() {
        let env = StorageEnv {
            home: None,
            ..env()
        };
        let problems = problems_of(&env, None, &facts());
        assert!(
            problems[0].starts_with("neither XDG_DATA_HOME nor HOME"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_malformed_file_is_named() {
        let broken = file(Origin::User, "[storage\n");
        let error = plan(&env(), Some(&broken)).unwrap_err();
        assert!(
            error.starts_with("/etc/containers/storage.conf: not a valid storage.conf"),
            "{error}"
        );
    }

    #[test]
    fn kernel_versions_are_read_from_the_release() {
        assert_eq!(kernel_version("6.1.0-18-amd64\n"), Some((6, 1)));
        assert_eq!(kernel_version("5.13-rc1"), Some((5, 13)));
        assert_eq!(kernel_version("garbage"), None);
    }
}

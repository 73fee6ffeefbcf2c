//! What the rootless checks look at, read from this machine in one go: files, the helpers on
//! `PATH`, the variables that move the containers storage, and the folders they name. The
//! checks themselves are plain functions over this.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::Access;

use super::id_mappers::{IdMapper, IdMappers, NEWGIDMAP, NEWUIDMAP};
use super::storage_driver::{self, Origin, StorageEnv, StorageFacts, StorageFile, StoragePlan};
use super::subordinate_ids::{SUBGID_FILE, SUBUID_FILE, SubordinateIds};
use super::user_namespaces::UserNamespaces;
use crate::process::find_program;
use crate::process::private_dir::{RuntimeDirFlaw, usable_runtime_dir};

const SYSTEM_STORAGE_FILES: [&str; 2] = [
    "/etc/containers/storage.conf",
    "/usr/share/containers/storage.conf",
];

/// The user this process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    /// From `/etc/passwd`, else `$USER`; `None` when neither says.
    pub name: Option<String>,
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} (uid {})", self.uid),
            None => write!(f, "uid {}", self.uid),
        }
    }
}

/// Everything the checks look at.
pub struct Host {
    pub user: User,
    pub user_namespaces: UserNamespaces,
    pub subordinate_ids: SubordinateIds,
    pub id_mappers: IdMappers,
    /// The storage and what the system says of its paths, or why its file cannot be read.
    pub storage: Result<(StoragePlan, StorageFacts), String>,
    /// `$XDG_RUNTIME_DIR`, when set, and what is wrong with it.
    pub runtime_dir: Option<(PathBuf, Result<(), RuntimeDirFlaw>)>,
}

impl Host {
    /// Reads what the checks need from this machine.
    pub fn read() -> Host {
        let uid = rustix::process::geteuid().as_raw();
        let user = User {
            uid,
            name: read("/etc/passwd")
                .and_then(|passwd| user_name(&passwd, uid))
                .or_else(|| std::env::var("USER").ok()),
        };
        Host {
            user_namespaces: UserNamespaces {
                max_user_namespaces: read("/proc/sys/user/max_user_namespaces"),
                unprivileged_userns_clone: read("/proc/sys/kernel/unprivileged_userns_clone"),
            },
            subordinate_ids: SubordinateIds {
                subuid: read(SUBUID_FILE),
                subgid: read(SUBGID_FILE),
                nsswitch: read("/etc/nsswitch.conf"),
            },
            id_mappers: IdMappers {
                newuidmap: id_mapper(NEWUIDMAP),
                newgidmap: id_mapper(NEWGIDMAP),
            },
            storage: storage(&user),
            runtime_dir: std::env::var_os("XDG_RUNTIME_DIR").map(|dir| {
                let dir = PathBuf::from(dir);
                let usable = usable_runtime_dir(&dir);
                (dir, usable)
            }),
            user,
        }
    }
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The name `/etc/passwd` gives `uid`.
pub fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

fn id_mapper(name: &str) -> Option<IdMapper> {
    let path = find_program(Path::new(name))?;
    let metadata = std::fs::metadata(&path).ok()?;
    Some(IdMapper {
        capabilities: rustix::fs::getxattr_query(&path, "security.capability").is_ok(),
        owner: metadata.uid(),
        mode: metadata.mode(),
        path,
    })
}

fn storage(user: &User) -> Result<(StoragePlan, StorageFacts), String> {
    let env = StorageEnv {
        driver: std::env::var("STORAGE_DRIVER").ok(),
        home: std::env::var_os("HOME").map(PathBuf::from),
        xdg_data_home: std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        user: user.name.clone().unwrap_or_else(|| user.uid.to_string()),
        uid: user.uid,
    };
    let plan = storage_driver::plan(&env, storage_file(&env).as_ref())?;
    let facts = StorageFacts {
        kernel: read("/proc/sys/kernel/osrelease")
            .and_then(|release| storage_driver::kernel_version(&release)),
        mount_program_runs: plan
            .mount_program
            .as_deref()
            .and_then(find_program)
            .is_some(),
        fuse_usable: rustix::fs::access("/dev/fuse", Access::READ_OK | Access::WRITE_OK).is_ok(),
        graph_root_writable: match &plan.graph_root {
            storage_driver::GraphRoot::At(root) => can_create(root),
            _ => true,
        },
    };
    Ok((plan, facts))
}

/// The `storage.conf` containers/storage reads for a user without root.
fn storage_file(env: &StorageEnv) -> Option<StorageFile> {
    let found = |path: PathBuf, origin| read(&path).map(|text| StorageFile { path, origin, text });
    if let Some(path) = std::env::var_os("CONTAINERS_STORAGE_CONF") {
        return found(PathBuf::from(path), Origin::Variable);
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|home| home.join(".config")));
    config_home
        .and_then(|dir| found(dir.join("containers/storage.conf"), Origin::User))
        .or_else(|| {
            SYSTEM_STORAGE_FILES
                .iter()
                .find_map(|path| found(PathBuf::from(path), Origin::System))
        })
}

/// Whether this user can write `path`, or create it in the nearest folder that exists.
fn can_create(path: &Path) -> bool {
    path.ancestors()
        .find(|dir| dir.exists())
        .is_some_and(|dir| rustix::fs::access(dir, Access::WRITE_OK).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nci:x:1001:1001::/home/ci:/bin/sh\n";
        assert_eq!(user_name(passwd, 1001).as_deref(), Some("ci"));
        assert_eq!(user_name(passwd, 1002), None);
    }

    #[test]
    fn users_are_shown_with_their_uid() {
        let named = User {
            uid: 1001,
            name: Some("ci".into()),
        };
        assert_eq!(named.to_string(), "ci (uid 1001)");
        assert_eq!(User { uid: 7, name: None }.to_string(), "uid 7");
    }

    #[test]
    fn a_folder_is_creatable_where_its_nearest_existing_parent_is_writable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(can_create(&dir.path().join("a/b/c")));
    }
}

//! What building without root needs, checked before anything starts: user namespaces,
//! subordinate ids for the user, `newuidmap`/`newgidmap`, a storage driver that works without
//! root, a runtime folder of the user's own. Each missing piece is named with its fix, rather
//! than left to fail inside the first image.

mod host;
mod id_mappers;
mod storage_driver;
mod subordinate_ids;
mod user_namespaces;

pub use host::User;

use host::Host;

use crate::engine::engine_kind::EngineKind;

/// What keeps this user from building without root: one line per missing piece.
#[derive(Debug, thiserror::Error)]
#[error("cannot build as {user} without root: {}", .problems.join("; "))]
pub struct RootlessError {
    pub user: User,
    pub problems: Vec<String>,
}

/// Checks, when this process is not root and `kind` is buildah or podman, that they can
/// build here. The docker CLI leaves that to its daemon.
pub fn check(kind: EngineKind) -> Result<(), RootlessError> {
    if kind == EngineKind::Docker || rustix::process::geteuid().is_root() {
        return Ok(());
    }
    let host = Host::read();
    let problems = problems(&host);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RootlessError {
            user: host.user,
            problems,
        })
    }
}

/// Everything `host` lacks to build without root, each with how to fix it.
fn problems(host: &Host) -> Vec<String> {
    let mut problems: Vec<String> = host.user_namespaces.problem().into_iter().collect();
    problems.extend(host.subordinate_ids.problem(&host.user));
    problems.extend(host.id_mappers.problems());
    match &host.storage {
        Ok((plan, facts)) => problems.extend(storage_driver::problems(plan, facts)),
        Err(unreadable) => problems.push(unreadable.clone()),
    }
    if let Some((dir, Err(flaw))) = &host.runtime_dir
        && flaw.stops_the_tools()
    {
        problems.push(format!(
            "XDG_RUNTIME_DIR {} {flaw}: buildah and podman keep their run-time files there; \
             point it at a folder of {}'s own (mode 0700) or unset it",
            dir.display(),
            host.user.name.as_deref().unwrap_or("the user")
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::id_mappers::{IdMapper, IdMappers};
    use super::storage_driver::{GraphRoot, StorageFacts, StoragePlan};
    use super::subordinate_ids::SubordinateIds;
    use super::user_namespaces::UserNamespaces;
    use super::*;
    use crate::process::private_dir::RuntimeDirFlaw;

    /// A machine where user `ci` can build without root.
    fn ready() -> Host {
        let mapper = |name: &str| IdMapper {
            path: PathBuf::from("/usr/bin").join(name),
            owner: 0,
            mode: 0o104755,
            capabilities: false,
        };
        Host {
            user: User {
                uid: 1001,
                name: Some("ci".into()),
            },
            user_namespaces: UserNamespaces {
                max_user_namespaces: Some("15000\n".into()),
                unprivileged_userns_clone: None,
            },
            subordinate_ids: SubordinateIds {
                subuid: Some("ci:100000:65536\n".into()),
                subgid: Some("ci:100000:65536\n".into()),
                nsswitch: None,
            },
            id_mappers: IdMappers {
                newuidmap: Some(mapper("newuidmap")),
                newgidmap: Some(mapper("newgidmap")),
            },
            storage: Ok((
                StoragePlan {
                    driver: None,
                    driver_from: "the defaults".into(),
                    mount_program: None,
                    graph_root: GraphRoot::At("/home/ci/.local/share/containers/storage".into()),
                },
                StorageFacts {
                    kernel: Some((6, 1)),
                    mount_program_runs: false,
                    fuse_usable: false,
                    graph_root_writable: true,
                },
            )),
            runtime_dir: Some(("/run/user/1001".into(), Ok(()))),
        }
    }

    #[test]
    fn a_ready_machine_has_no_problem() {
        assert_eq!(problems(&ready()), Vec::<String>::new());
    }

    #[test]
    fn a_user_without_subordinate_ids_gets_one_line() {
        let host = Host {
            subordinate_ids: SubordinateIds {
                subuid: Some(String::new()),
                subgid: Some(String::new()),
                nsswitch: None,
            },
            ..ready()
        };
        let problems = problems(&host);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("/etc/subuid and /etc/subgid have no entry for ci (uid 1001)"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_runtime_folder_of_another_user_is_named_but_an_open_one_is_not() {
        let foreign = Host {
            runtime_dir: Some(("/run/user/0".into(), Err(RuntimeDirFlaw::OwnedBy(0)))),
            ..ready()
        };
        assert_eq!(
            problems(&foreign),
            [
                "XDG_RUNTIME_DIR /run/user/0 belongs to uid 0: buildah and podman keep their \
              run-time files there; point it at a folder of ci's own (mode 0700) or unset it"
            ]
        );
        let open = Host {
            runtime_dir: Some(("/tmp/run".into(), Err(RuntimeDirFlaw::OpenToOthers(0o755)))),
            ..ready()
        };
        assert!(problems(&open).is_empty());
    }

    #[test]
    fn every_missing_piece_is_reported_at_once() {
        let host = Host {
            user_namespaces: UserNamespaces {
                max_user_namespaces: Some("0\n".into()),
                unprivileged_userns_clone: None,
            },
            id_mappers: IdMappers {
                newuidmap: None,
                newgidmap: None,
            },
            storage: Err("/home/ci/.config/containers/storage.conf: not valid".into()),
            ..ready()
        };
        assert_eq!(problems(&host).len(), 3);
    }
}

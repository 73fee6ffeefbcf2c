//! `newuidmap` and `newgidmap` (Debian's `uidmap` package): the helpers through which buildah
//! and podman map the subordinate ids into their user namespace. They must be setuid root
//! (Debian) or carry file capabilities (Fedora) to do so.

use std::path::PathBuf;

pub const NEWUIDMAP: &str = "newuidmap";
pub const NEWGIDMAP: &str = "newgidmap";

/// One helper as found on `PATH`.
#[derive(Debug, Clone)]
pub struct IdMapper {
    pub path: PathBuf,
    pub owner: u32,
    pub mode: u32,
    /// Whether the file carries capabilities (`security.capability`).
    pub capabilities: bool,
}

impl IdMapper {
    fn is_privileged(&self) -> bool {
        (self.owner == 0 && self.mode & 0o4000 != 0) || self.capabilities
    }
}

/// The helpers found (`None`: not on `PATH`).
pub struct IdMappers {
    pub newuidmap: Option<IdMapper>,
    pub newgidmap: Option<IdMapper>,
}

impl IdMappers {
    /// A problem for the helpers missing, and one for each that cannot do its work.
    pub fn problems(&self) -> Vec<String> {
        let found = [(NEWUIDMAP, &self.newuidmap), (NEWGIDMAP, &self.newgidmap)];
        let missing: Vec<&str> = found
            .iter()
            .filter(|(_, mapper)| mapper.is_none())
            .map(|(name, _)| *name)
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "{} not found on PATH: buildah and podman need {} to build without root; as \
                 root: apt-get install uidmap (Debian, Ubuntu) or dnf install shadow-utils \
                 (Fedora)",
                missing.join(" and "),
                if missing.len() == 1 { "it" } else { "them" }
            ));
        }
        problems.extend(
            found
                .iter()
                .filter_map(|(_, mapper)| mapper.as_ref())
                .filter(|mapper| !mapper.is_privileged())
                .map(unprivileged),
        );
        problems
    }
}

fn unprivileged(mapper: &IdMapper) -> String {
    let path = mapper.path.display();
    format!(
        "{path} is neither setuid root nor has file capabilities, so it cannot map \
         subordinate ids; as root: chown root {path} && chmod u+s {path}, or reinstall the \
         package that holds it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper(name: &str, owner: u32, mode: u32, capabilities: bool) -> Option<IdMapper> {
        Some(IdMapper {
            path: PathBuf::from("/usr/bin").join(name),
            owner,
            mode,
            capabilities,
        })
    }

    #[test]
    fn setuid_root_or_capabilities_will_do() {
        let mappers = IdMappers {
            newuidmap: mapper(NEWUIDMAP, 0, 0o104755, false),
            newgidmap: mapper(NEWGIDMAP, 0, 0o100755, true),
        };
        assert!(mappers.problems().is_empty());
    }

    #[test]
    fn missing_helpers_are_named_with_their_package() {
        let mappers = IdMappers {
            newuidmap: None,
            newgidmap: None,
        };
        let problems = mappers.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("newuidmap and newgidmap not found on PATH:"),
            "{problems:?}"
        );
        assert!(
            problems[0].contains("apt-get install uidmap"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_helper_without_privilege_is_named() {
        let mappers = IdMappers {
            newuidmap: mapper(NEWUIDMAP, 0, 0o100755, false),
            newgidmap: mapper(NEWGIDMAP, 1000, 0o104755, false),
        };
        let problems = mappers.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("/usr/bin/newuidmap is neither setuid root"));
        assert!(problems[1].starts_with("/usr/bin/newgidmap is neither setuid root"));
    }
}

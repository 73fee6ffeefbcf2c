//! `/etc/subuid` and `/etc/subgid`: the ranges of ids a user may map into a user namespace
//! with `newuidmap`/`newgidmap`. Without one, buildah and podman can map only the user's own
//! id, and any image file owned by another user cannot be stored.

use super::host::User;

pub const SUBUID_FILE: &str = "/etc/subuid";
pub const SUBGID_FILE: &str = "/etc/subgid";

/// Where `usermod --add-subuids` starts handing out ranges, as `useradd` does
/// (`SUB_UID_MIN` of login.defs).
const FIRST_SUBORDINATE_ID: u64 = 100_000;
/// Enough for every id an image may use up to `nobody` (65534), as `useradd` gives.
const RANGE_SIZE: u64 = 65_536;

/// What the two files hold (`None` for a file that does not exist), and `/etc/nsswitch.conf`.
pub struct SubordinateIds {
    pub subuid: Option<String>,
    pub subgid: Option<String>,
    pub nsswitch: Option<String>,
}

impl SubordinateIds {
    /// What is missing for `user`, and the command that adds it. Nothing when a `subid:`
    /// line of nsswitch.conf has the ranges come from a service (sss, say) rather than the
    /// files.
    pub fn problem(&self, user: &User) -> Option<String> {
        if self.nsswitch.as_deref().is_some_and(names_a_subid_service) {
            return None;
        }
        let missing: Vec<&str> = [(SUBUID_FILE, &self.subuid), (SUBGID_FILE, &self.subgid)]
            .into_iter()
            .filter(|(_, text)| !has_entry(text.as_deref().unwrap_or(""), user))
            .map(|(file, _)| file)
            .collect();
        if missing.is_empty() {
            return None;
        }
        Some(format!(
            "{} {} no entry for {user}: buildah and podman need subordinate ids to build \
             without root; as root: {}",
            missing.join(" and "),
            if missing.len() == 1 { "has" } else { "have" },
            self.fix(user)
        ))
    }

    /// `usermod` with a range that no entry of either file overlaps.
    fn fix(&self, user: &User) -> String {
        let texts = [&self.subuid, &self.subgid].map(|t| t.as_deref().unwrap_or(""));
        let (first, last) = free_range(&texts);
        let touch = if self.subuid.is_none() || self.subgid.is_none() {
            format!("touch {SUBUID_FILE} {SUBGID_FILE} && ")
        } else {
            String::new()
        };
        let name = user.name.clone().unwrap_or_else(|| user.uid.to_string());
        format!("{touch}usermod --add-subuids {first}-{last} --add-subgids {first}-{last} {name}")
    }
}

/// Whether `text` gives `user` a range: a line `NAME:START:COUNT` (or `UID:…`) with a
/// non-zero count.
pub fn has_entry(text: &str, user: &User) -> bool {
    entries(text).any(|(owner, _, count)| {
        count > 0 && (user.name.as_deref() == Some(owner) || owner == user.uid.to_string())
    })
}

/// The first range of [`RANGE_SIZE`] ids past every range of `texts`, as `(first, last)`.
pub fn free_range(texts: &[&str]) -> (u64, u64) {
    let first = texts
        .iter()
        .flat_map(|text| entries(text))
        .map(|(_, start, count)| start.saturating_add(count))
        .fold(FIRST_SUBORDINATE_ID, u64::max);
    (first, first + RANGE_SIZE - 1)
}

fn names_a_subid_service(nsswitch: &str) -> bool {
    nsswitch
        .lines()
        .any(|line| line.trim_start().starts_with("subid:"))
}

/// The well-formed entries of a subordinate id file.
fn entries(text: &str) -> impl Iterator<Item = (&str, u64, u64)> {
    text.lines().filter_map(|line| {
        let mut fields = line.trim().split(':');
        let owner = fields
            .next()
            .filter(|o| !o.is_empty() && !o.starts_with('#'))?;
        let start = fields.next()?.parse().ok()?;
        let count = fields.next()?.parse().ok()?;
        Some((owner, start, count))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci() -> User {
        User {
            uid: 1001,
            name: Some("ci".into()),
        }
    }

    fn ids(subuid: Option<&str>, subgid: Option<&str>) -> SubordinateIds {
        SubordinateIds {
            subuid: subuid.map(str::to_owned),
            subgid: subgid.map(str::to_owned),
            nsswitch: Some("passwd: files\n".into()),
        }
    }

    #[test]
    fn an_entry_by_name_or_by_uid_counts() {
        assert!(has_entry("other:100000:65536\nci:165536:65536\n", &ci()));
        assert!(has_entry("1001:165536:65536\n", &ci()));
        assert!(!has_entry("ci2:165536:65536\n# ci:1:1\n", &ci()));
        assert!(!has_entry("ci:165536:0\n", &ci()), "an empty range");
        assert!(!has_entry("ci:lots:65536\n", &ci()), "a malformed line");
    }

    #[test]
    fn both_files_with_an_entry_are_enough() {
        let line = Some("ci:100000:65536\n");
        assert_eq!(ids(line, line).problem(&ci()), None);
    }

    #[test]
    fn a_user_without_ranges_is_told_the_command_that_adds_them() {
        let taken = Some("alice:100000:65536\nbob:165536:65536\n");
        assert_eq!(
            ids(taken, taken).problem(&ci()).as_deref(),
            Some(
                "/etc/subuid and /etc/subgid have no entry for ci (uid 1001): buildah and \
                 podman need subordinate ids to build without root; as root: usermod \
                 --add-subuids 231072-296607 --add-subgids 231072-296607 ci"
            )
        );
    }

    #[test]
    fn only_the_file_without_an_entry_is_named() {
        let problem = ids(Some("ci:100000:65536\n"), Some("")).problem(&ci());
        let problem = problem.unwrap();
        assert!(
            problem.starts_with("/etc/subgid has no entry for ci (uid 1001):"),
            "{problem}"
        );
    }

    #[test]
    fn missing_files_are_created_first() {
        let problem = ids(None, None).problem(&ci()).unwrap();
        assert!(
            problem.ends_with(
                "as root: touch /etc/subuid /etc/subgid && usermod --add-subuids \
                 100000-165535 --add-subgids 100000-165535 ci"
            ),
            "{problem}"
        );
    }

    #[test]
    fn ranges_from_a_service_are_not_checked() {
        let mut sss = ids(Some(""), Some(""));
        sss.nsswitch = Some("passwd: files\nsubid: sss\n".into());
        assert_eq!(sss.problem(&ci()), None);
    }

    #[test]
    fn a_user_without_a_name_is_named_by_uid() {
        let nameless = User {
            uid: 1234,
            name: None,
        };
        assert!(has_entry("1234:100000:65536\n", &nameless));
        let problem = ids(Some(""), Some("")).problem(&nameless).unwrap();
        assert!(problem.contains("no entry for uid 1234:"), "{problem}");
        assert!(problem.ends_with("100000-165535 1234"), "{problem}");
    }
}

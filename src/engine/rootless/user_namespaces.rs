//! Whether the kernel lets a user make a user namespace, which every rootless build starts
//! with.

/// The kernel settings that can forbid it (`None`: the setting does not exist here).
pub struct UserNamespaces {
    /// `/proc/sys/user/max_user_namespaces`: 0 forbids them.
    pub max_user_namespaces: Option<String>,
    /// `/proc/sys/kernel/unprivileged_userns_clone` of older Debian kernels: 0 forbids them.
    pub unprivileged_userns_clone: Option<String>,
}

impl UserNamespaces {
    pub fn problem(&self) -> Option<String> {
        let off = |setting: &Option<String>| setting.as_deref().map(str::trim) == Some("0");
        if off(&self.max_user_namespaces) {
            Some(
                "user namespaces are off (/proc/sys/user/max_user_namespaces is 0); as root: \
                 sysctl -w user.max_user_namespaces=15000"
                    .into(),
            )
        } else if off(&self.unprivileged_userns_clone) {
            Some(
                "user namespaces are closed to users (/proc/sys/kernel/unprivileged_userns_clone \
                 is 0); as root: sysctl -w kernel.unprivileged_userns_clone=1"
                    .into(),
            )
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespaces(max: Option<&str>, clone: Option<&str>) -> UserNamespaces {
        UserNamespaces {
            max_user_namespaces: max.map(str::to_owned),
            unprivileged_userns_clone: clone.map(str::to_owned),
        }
    }

    #[test]
    fn open_namespaces_are_no_problem() {
        assert_eq!(namespaces(Some("96365\n"), None).problem(), None);
        assert_eq!(namespaces(Some("15000\n"), Some("1\n")).problem(), None);
    }

    #[test]
    fn either_setting_at_zero_is_named() {
        let max = namespaces(Some("0\n"), Some("1\n")).problem().unwrap();
        assert!(max.contains("max_user_namespaces is 0"), "{max}");
        let clone = namespaces(Some("15000\n"), Some("0\n")).problem().unwrap();
        assert!(clone.contains("unprivileged_userns_clone is 0"), "{clone}");
    }
}

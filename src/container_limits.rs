//! `container_limits: "memory=…,memswap=…,cpushares=…,cpusetcpus=…"`: resource limits for the
//! containers that run a build's steps.

/// The limits a build runs under; each engine maps them to its own flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerLimits {
    pub memory: Option<String>,
    pub memswap: Option<String>,
    pub cpushares: Option<String>,
    pub cpusetcpus: Option<String>,
}

impl ContainerLimits {
    /// Parses the comma-separated `key=value` list; any other key is an error.
    pub fn parse(text: &str) -> Result<ContainerLimits, String> {
        let mut limits = ContainerLimits::default();
        for setting in text.split(',') {
            let Some((key, value)) = setting.split_once('=').filter(|(_, v)| !v.contains('='))
            else {
                return Err(format!("`{setting}` should be of the form key=value"));
            };
            let slot = match key.trim() {
                "memory" => &mut limits.memory,
                "memswap" => &mut limits.memswap,
                "cpushares" => &mut limits.cpushares,
                "cpusetcpus" => &mut limits.cpusetcpus,
                other => {
                    return Err(format!(
                        "unknown limit `{other}`; the keys are memory, memswap, cpushares \
                         and cpusetcpus"
                    ));
                }
            };
            *slot = Some(value.trim().to_owned());
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys() {
        let limits = ContainerLimits::parse("memory=1g,memswap=2g,cpushares=512,cpusetcpus=0-1");
        assert_eq!(
            limits,
            Ok(ContainerLimits {
                memory: Some("1g".into()),
                memswap: Some("2g".into()),
                cpushares: Some("512".into()),
                cpusetcpus: Some("0-1".into()),
            })
        );
    }

    #[test]
    fn bad_settings() {
        let err = ContainerLimits::parse("memory=1g,cpus=2").unwrap_err();
        assert!(err.contains("unknown limit `cpus`"), "{err}");
        let err = ContainerLimits::parse("memory").unwrap_err();
        assert!(err.contains("key=value"), "{err}");
    }
}

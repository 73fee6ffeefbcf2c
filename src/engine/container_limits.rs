//! `container_limits: "memory=…,memswap=…,cpushares=…,cpusetcpus=…"`: resource limits for the
//! containers that run a build's steps, checked when the configuration is read rather than by
//! the engine in every build.

/// The limits a build runs under; each engine maps them to its own flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerLimits {
    pub memory: Option<String>,
    pub memswap: Option<String>,
    pub cpushares: Option<String>,
    pub cpusetcpus: Option<String>,
}

impl ContainerLimits {
    /// Parses the comma-separated `key=value` list; any other key, or a value the key cannot
    /// take, is an error.
    pub fn parse(text: &str) -> Result<ContainerLimits, String> {
        let mut limits = ContainerLimits::default();
        for setting in text.split(',') {
            let Some((key, value)) = setting.split_once('=').filter(|(_, v)| !v.contains('='))
            else {
                return Err(format!("`{setting}` should be of the form key=value"));
            };
            let value = value.trim();
            let (slot, valid, what) = match key.trim() {
                "memory" => (&mut limits.memory, is_size(value), MEMORY),
                "memswap" => (
                    &mut limits.memswap,
                    value == "-1" || is_size(value),
                    MEMSWAP,
                ),
                "cpushares" => (&mut limits.cpushares, is_number(value), CPUSHARES),
                "cpusetcpus" => (&mut limits.cpusetcpus, is_cpu_range(value), CPUSETCPUS),
                other => {
                    return Err(format!(
                        "unknown limit `{other}`; the keys are memory, memswap, cpushares \
                         and cpusetcpus"
                    ));
                }
            };
            if !valid {
                return Err(format!("`{setting}`: {what}"));
            }
            *slot = Some(value.to_owned());
        }
        Ok(limits)
    }
}

const MEMORY: &str = "memory takes a size in bytes, or with a unit: 512m, 2g";
const MEMSWAP: &str = "memswap takes a size in bytes, or with a unit (512m, 2g), or -1";
const CPUSHARES: &str = "cpushares takes a whole number (1024 is one CPU's share)";
const CPUSETCPUS: &str = "cpusetcpus takes a CPU number or a range: 0, 0-3";

/// `123`, `512m`, `2G`: what `docker build --memory` takes.
fn is_size(value: &str) -> bool {
    let digits = value.trim_end_matches(['b', 'k', 'm', 'g', 'B', 'K', 'M', 'G']);
    value.len() - digits.len() <= 1 && is_number(digits)
}

fn is_number(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

/// A CPU or a range of CPUs. A list (`0,1`) cannot be written: commas separate the settings.
fn is_cpu_range(value: &str) -> bool {
    match value.split_once('-') {
        Some((first, last)) => is_number(first) && is_number(last),
        None => is_number(value),
    }
}

impl<'de> serde::Deserialize<'de> for ContainerLimits {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ContainerLimits::parse(&text).map_err(serde::de::Error::custom)
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
        assert!(ContainerLimits::parse("memswap=-1,memory=1073741824").is_ok());
    }

    #[test]
    fn bad_settings() {
        let err = ContainerLimits::parse("memory=1g,cpus=2").unwrap_err();
        assert!(err.contains("unknown limit `cpus`"), "{err}");
        let err = ContainerLimits::parse("memory").unwrap_err();
        assert!(err.contains("key=value"), "{err}");
        for (setting, message) in [
            ("memory=abc", MEMORY),
            ("memory=1gb", MEMORY),
            ("memswap=-2", MEMSWAP),
            ("cpushares=half", CPUSHARES),
            ("cpusetcpus=a-b", CPUSETCPUS),
        ] {
            let err = ContainerLimits::parse(setting).unwrap_err();
            assert_eq!(err, format!("`{setting}`: {message}"));
        }
    }
}

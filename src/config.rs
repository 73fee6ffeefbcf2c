//! The configuration: defaults, then the user's file, then `-c FILE`.
//!
//! Every key, known or not, is kept in [`Config::values`] because the templates see the whole
//! configuration (users put `spark_version` and the like there). The keys the tool itself reads
//! are also parsed into typed fields, so that a wrong type is reported once, with its key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use crate::container_limits::ContainerLimits;
use crate::credentials::{Credentials, Secret};
use crate::engine_kind::EngineKind;
use crate::label::Repository;

/// The name of the user's own configuration file, below `$XDG_CONFIG_HOME` or `~/.config`.
pub const USER_CONFIG_NAME: &str = "docker-pkg.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Config file {0} does not exist")]
    Missing(PathBuf),
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid YAML: {source}")]
    Yaml {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error("config file {path} must hold a mapping of keys to values")]
    NotAMapping { path: PathBuf },
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub repository: Repository,
    /// Set only when both `username` and `password` are.
    pub credentials: Option<Credentials>,
    pub base_images: Vec<String>,
    pub http_proxy: Option<String>,
    pub fallback_author: String,
    pub fallback_email: String,
    pub distribution: String,
    pub update_id: String,
    pub ca_bundle: Option<PathBuf>,
    pub force_numeric_user: bool,
    /// User name to uid, as the text the templates print.
    pub known_uid_mappings: BTreeMap<String, String>,
    pub verify_command: String,
    pub verify_args: Vec<String>,
    pub container_limits: ContainerLimits,
    pub engine: EngineKind,
    pub engine_path: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub insecure_registries: Vec<String>,
    /// Every key of the merged configuration: the templates' context.
    pub values: Mapping,
}

impl Config {
    /// Reads the user's file (when present) and then `path`, over the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let mut values = defaults();
        if let Some(user_file) = user_config_path().filter(|p| p.is_file()) {
            values.extend(read_mapping(&user_file)?);
        }
        if !path.exists() {
            return Err(ConfigError::Missing(path.to_owned()));
        }
        values.extend(read_mapping(path)?);
        Config::from_values(values)
    }

    /// The configuration that `values` (defaults included) describe.
    pub fn from_values(mut values: Mapping) -> Result<Config, ConfigError> {
        let http_proxy: Option<String> = field(&values, "http_proxy")?;
        if http_proxy.is_some() && field::<Option<String>>(&values, "apt_only_proxy")?.is_none() {
            let proxy = values.get("http_proxy").cloned().unwrap_or_default();
            values.insert("apt_only_proxy".into(), proxy);
        }
        let username: Option<String> = field(&values, "username")?;
        let password: Option<String> = field(&values, "password")?;
        let credentials = match (username, password) {
            (Some(username), Some(password)) if !username.is_empty() && !password.is_empty() => {
                Some(Credentials {
                    username,
                    password: Secret::new(password),
                })
            }
            _ => None,
        };
        let container_limits = field::<Option<String>>(&values, "container_limits")?
            .map(|text| ContainerLimits::parse(&text))
            .transpose()
            .map_err(|message| invalid("container_limits", message))?
            .unwrap_or_default();
        let engine = match field::<Option<String>>(&values, "engine")? {
            Some(name) => name
                .parse()
                .map_err(|message: String| invalid("engine", message))?,
            None => EngineKind::default(),
        };
        let jobs: Option<usize> = field(&values, "jobs")?;
        // Read for its type only: scanning uses every core.
        field::<usize>(&values, "scan_workers")?;
        if jobs == Some(0) {
            return Err(invalid("jobs", "must be at least 1".into()));
        }
        Ok(Config {
            repository: Repository {
                registry: field::<Option<String>>(&values, "registry")?.unwrap_or_default(),
                namespace: field::<Option<String>>(&values, "namespace")?.unwrap_or_default(),
            },
            credentials,
            base_images: field::<Option<Vec<String>>>(&values, "base_images")?.unwrap_or_default(),
            http_proxy,
            fallback_author: field(&values, "fallback_author")?,
            fallback_email: field(&values, "fallback_email")?,
            distribution: field(&values, "distribution")?,
            update_id: field::<Option<String>>(&values, "update_id")?.unwrap_or_default(),
            ca_bundle: field(&values, "ca_bundle")?,
            force_numeric_user: yaml11_bool(&values, "force_numeric_user")?,
            known_uid_mappings: uid_mappings(&values)?,
            verify_command: field(&values, "verify_command")?,
            verify_args: field(&values, "verify_args")?,
            container_limits,
            engine,
            engine_path: field(&values, "engine_path")?,
            jobs,
            insecure_registries: field::<Option<Vec<String>>>(&values, "insecure_registries")?
                .unwrap_or_default(),
            values,
        })
    }
}

/// The defaults of docker-pkg 4.0.4, which the templates see too.
pub fn defaults() -> Mapping {
    let text = r#"
registry: ""
username: null
password: null
base_images: []
apt_options: ""
http_proxy: null
apt_only_proxy: null
namespace: ""
scan_workers: 8
fallback_author: "Author"
fallback_email: "email@domain"
distribution: "wikimedia"
update_id: "s"
ca_bundle: null
force_numeric_user: false
known_uid_mappings: {root: 0, www-data: 33, nobody: 65534}
verify_command: "/bin/bash"
verify_args: ["-c", "{path}/test.sh {image}"]
"#;
    serde_yaml::from_str(text).expect("the built-in defaults are valid YAML")
}

/// `$XDG_CONFIG_HOME/docker-pkg.yaml`, else `~/.config/docker-pkg.yaml`.
fn user_config_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join(USER_CONFIG_NAME))
}

fn read_mapping(path: &Path) -> Result<Mapping, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_yaml::from_str(&text).map_err(|source| ConfigError::Yaml {
        path: path.to_owned(),
        source,
    })?;
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Mapping(mapping) => Ok(mapping),
        _ => Err(ConfigError::NotAMapping {
            path: path.to_owned(),
        }),
    }
}

fn field<T: DeserializeOwned>(values: &Mapping, key: &str) -> Result<T, ConfigError> {
    let value = values.get(key).cloned().unwrap_or(Value::Null);
    serde_yaml::from_value(value).map_err(|e| invalid(key, e.to_string()))
}

/// A boolean as docker-pkg 4.0.4 reads it: its YAML parser (PyYAML, YAML 1.1) also takes
/// `yes`, `no`, `on` and `off`, in lower, title or upper case, which YAML 1.2 leaves as
/// strings. (PyYAML leaves `y` and `n` strings, which 4.0.4 then took as true, both of them:
/// refused here.) Absent or null is false.
fn yaml11_bool(values: &Mapping, key: &str) -> Result<bool, ConfigError> {
    match values.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(word)) => match word.as_str() {
            "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Ok(true),
            "no" | "No" | "NO" | "off" | "Off" | "OFF" => Ok(false),
            _ => Err(invalid(key, format!("`{word}` is not true or false"))),
        },
        Some(_) => Err(invalid(key, "must be true or false".into())),
    }
}

fn invalid(key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message,
    }
}

/// `known_uid_mappings`, with each uid as the text a template prints for it.
fn uid_mappings(values: &Mapping) -> Result<BTreeMap<String, String>, ConfigError> {
    let raw: Option<BTreeMap<String, Value>> = field(values, "known_uid_mappings")?;
    raw.unwrap_or_default()
        .into_iter()
        .map(|(user, uid)| match uid {
            Value::Number(n) => Ok((user, n.to_string())),
            Value::String(s) => Ok((user, s)),
            other => Err(invalid(
                "known_uid_mappings",
                format!("the uid of {user} must be a number, not {other:?}"),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Result<Config, ConfigError> {
        let mut values = defaults();
        values.extend(serde_yaml::from_str::<Mapping>(yaml).unwrap());
        Config::from_values(values)
    }

    #[test]
    fn defaults_as_4_0_4() {
        let c = config("{}").unwrap();
        assert_eq!(c.repository, Repository::default());
        assert_eq!(c.credentials, None);
        assert_eq!(c.known_uid_mappings["www-data"], "33");
        assert_eq!(c.verify_args, ["-c", "{path}/test.sh {image}"]);
        assert_eq!(c.engine, EngineKind::Buildah);
        assert_eq!(c.update_id, "s");
    }

    #[test]
    fn http_proxy_fills_apt_only_proxy() {
        let c = config("http_proxy: http://p:8080").unwrap();
        assert_eq!(
            c.values.get("apt_only_proxy"),
            Some(&Value::from("http://p:8080"))
        );
        let c = config("http_proxy: http://p:8080\napt_only_proxy: http://a").unwrap();
        assert_eq!(
            c.values.get("apt_only_proxy"),
            Some(&Value::from("http://a"))
        );
    }

    #[test]
    fn unknown_keys_are_kept() {
        let c = config("spark_version: 3.1.2").unwrap();
        assert_eq!(c.values.get("spark_version"), Some(&Value::from("3.1.2")));
    }

    #[test]
    fn credentials_need_both_parts() {
        assert!(config("username: u").unwrap().credentials.is_none());
        let c = config("username: u\npassword: p").unwrap();
        assert_eq!(c.credentials.unwrap().password.expose(), "p");
    }

    #[test]
    fn wrong_types_name_the_key() {
        let err = config("scan_workers: many").unwrap_err().to_string();
        assert!(err.starts_with("config key `scan_workers`:"), "{err}");
        let err = config("engine: dockerd").unwrap_err().to_string();
        assert!(err.contains("`engine`") && err.contains("dockerd"), "{err}");
    }

    #[test]
    fn booleans_read_as_yaml_1_1() {
        for (text, expected) in [("yes", true), ("On", true), ("NO", false), ("true", true)] {
            let c = config(&format!("force_numeric_user: {text}")).unwrap();
            assert_eq!(c.force_numeric_user, expected, "{text}");
        }
        assert!(!config("{}").unwrap().force_numeric_user);
        let err = config("force_numeric_user: maybe").unwrap_err().to_string();
        assert!(
            err.starts_with("config key `force_numeric_user`: `maybe`"),
            "{err}"
        );
        assert!(config("force_numeric_user: n").is_err());
        assert!(config("force_numeric_user: 1").is_err());
    }
}

//! The configuration: defaults, then the user's file, then `-c FILE`.
//!
//! Every key, known or not, is kept in [`Config::values`] because the templates see the whole
//! configuration (users put `spark_version` and the like there). The keys the tool itself reads
//! are also parsed into typed fields, so that a wrong type is reported once, with its key.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::container_limits::ContainerLimits;
use crate::credentials::{Credentials, Secret};
use crate::engine_kind::EngineKind;
use crate::label::Repository;
use crate::yaml::{self, Mapping, Value};

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
    Yaml { path: PathBuf, source: yaml::Error },
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
    /// User (any YAML key: `1000:` is the integer 1000) to uid, as the text templates print.
    pub known_uid_mappings: Mapping,
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
            let proxy = values.get("http_proxy").cloned().unwrap_or(Value::Null);
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
            force_numeric_user: field::<Option<bool>>(&values, "force_numeric_user")?
                .unwrap_or(false),
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
    yaml::load(text.as_bytes())
        .ok()
        .and_then(Value::into_mapping)
        .expect("the built-in defaults are a YAML mapping")
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
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value = yaml::load(&bytes).map_err(|source| ConfigError::Yaml {
        path: path.to_owned(),
        source,
    })?;
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Map(mapping) => Ok(mapping),
        _ => Err(ConfigError::NotAMapping {
            path: path.to_owned(),
        }),
    }
}

fn field<T: DeserializeOwned>(values: &Mapping, key: &str) -> Result<T, ConfigError> {
    let value = values.get(key).cloned().unwrap_or(Value::Null);
    yaml::from_value(value).map_err(|e| invalid(key, e.to_string()))
}

fn invalid(key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message,
    }
}

/// `known_uid_mappings`, with each uid as the text a template prints for it. The users stay
/// YAML keys, compared as Python compares them.
fn uid_mappings(values: &Mapping) -> Result<Mapping, ConfigError> {
    let invalid_uid = |user: &Value| {
        let message = match user.as_str() {
            Some(name) => format!("the uid of {name} must be a number"),
            None => "every uid must be a number".into(),
        };
        invalid("known_uid_mappings", message)
    };
    let raw = match values.get("known_uid_mappings") {
        None | Some(Value::Null) => return Ok(Mapping::new()),
        Some(Value::Map(raw)) => raw,
        Some(_) => {
            return Err(invalid(
                "known_uid_mappings",
                "must map users to uids".into(),
            ));
        }
    };
    raw.iter()
        .map(|(user, uid)| match uid {
            Value::Int(n) => Ok((user.clone(), Value::Str(n.to_string()))),
            Value::Str(s) => Ok((user.clone(), Value::Str(s.clone()))),
            _ => Err(invalid_uid(user)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Result<Config, ConfigError> {
        let mut values = defaults();
        values.extend(yaml::load(yaml.as_bytes()).unwrap().into_mapping().unwrap());
        Config::from_values(values)
    }

    #[test]
    fn defaults_as_4_0_4() {
        let c = config("{}").unwrap();
        assert_eq!(c.repository, Repository::default());
        assert_eq!(c.credentials, None);
        assert_eq!(
            c.known_uid_mappings.get("www-data"),
            Some(&Value::from("33"))
        );
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
        assert_eq!(
            err,
            "config key `force_numeric_user`: invalid type: string \"maybe\", expected a boolean"
        );
        assert!(config("force_numeric_user: n").is_err());
        assert!(config("force_numeric_user: 1").is_err());
    }

    #[test]
    fn every_value_reads_as_yaml_1_1() {
        let c = config(
            "mode: 0755
enabled: on
since: 2024-01-01
<<: {jobs: 3}",
        )
        .unwrap();
        assert_eq!(c.values.get("mode"), Some(&Value::from(493)));
        assert_eq!(c.values.get("enabled"), Some(&Value::Bool(true)));
        assert!(matches!(c.values.get("since"), Some(Value::Date(_))));
        assert_eq!(c.jobs, Some(3));
    }

    #[test]
    fn uid_mappings_keep_their_keys() {
        let c = config("known_uid_mappings: {1000: 1000, app: 0x3E8, jenkins: '0999'}").unwrap();
        let uids = &c.known_uid_mappings;
        assert_eq!(
            uids.get_value(&Value::from(1000)),
            Some(&Value::from("1000"))
        );
        assert_eq!(uids.get("1000"), None);
        assert_eq!(uids.get("app"), Some(&Value::from("1000")));
        assert_eq!(uids.get("jenkins"), Some(&Value::from("0999")));
        let err = config("known_uid_mappings: {app: [1]}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("the uid of app must be a number"), "{err}");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            "registry: r
namespace: a: b
",
        )
        .unwrap();
        let err = read_mapping(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "config file {} is not valid YAML: line 2:",
                path.display()
            )),
            "{err}"
        );
    }
}

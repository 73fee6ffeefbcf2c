//! One settings story: each layer owns its settings type (`EngineSettings`,
//! `RegistrySettings`, `JobSettings`, `ProvenanceSettings`, …), and this module reads the
//! configuration and `settings` assembles them.
//!
//! The configuration: defaults, then the user's file, then `-c FILE`.
//!
//! Every key, known or not, is kept in [`Config::values`] because the templates see the whole
//! configuration (users put `spark_version` and the like there). The keys the tool itself reads
//! are also parsed into typed fields, so that a wrong type is reported once, with its key.

pub(crate) mod settings;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use num_traits::ToPrimitive;
use regex::Regex;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

use crate::ci::JobSettings;
use crate::engine::container_limits::ContainerLimits;
use crate::engine::engine_kind::EngineKind;
use crate::engine::signing::Signing;
use crate::label::Repository;
use crate::label::platform::{self, Platform};
use crate::process::Secrets;
use crate::registry::credentials::{Credentials, Secret};
use crate::tree::provenance::{Labels, ProvenanceSettings};
use pyyaml_compat::{self as yaml, Mapping, Value};

/// The name of the user's own configuration file, below `$XDG_CONFIG_HOME` or `~/.config`.
pub const USER_CONFIG_NAME: &str = "docker-pkg.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Config file {0} does not exist")]
    Missing(PathBuf),
    #[error("config file {0} is not a regular file")]
    NotAFile(PathBuf),
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
    /// `password` as configured, a template variable even without a `username`.
    pub password: Option<Secret>,
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
    /// All of an image's own steps in one layer rather than one per `RUN`, `COPY` and `ADD`
    /// step (buildah and podman).
    pub squash_steps: bool,
    pub insecure_registries: Vec<String>,
    /// How long one image's build may take; no limit by default, as 4.0.4.
    pub build_timeout: Option<Duration>,
    /// How long one image's verification may take; no limit by default.
    pub verify_timeout: Option<Duration>,
    /// Where the log goes, instead of `./docker-pkg-build.log`.
    pub log_file: Option<PathBuf>,
    /// `source_url` and `labels`: what the labels of built images are made from.
    pub provenance: ProvenanceSettings,
    /// How pushed images are signed, if they are.
    pub signing: Option<Signing>,
    /// `platforms`, or `--platform`: what every image is built for; the host's platform alone
    /// when not set.
    pub platforms: Option<Vec<Platform>>,
    /// `gitlab_ci`: how the jobs of a pipeline made by `ci gitlab` run.
    pub gitlab_ci: JobSettings,
    /// Folders outside the tree that its symbolic links may lead to.
    pub allow_links_outside: Vec<PathBuf>,
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
        match std::fs::metadata(path) {
            Err(_) => return Err(ConfigError::Missing(path.to_owned())),
            Ok(metadata) if !metadata.is_file() => {
                return Err(ConfigError::NotAFile(path.to_owned()));
            }
            Ok(_) => {}
        }
        values.extend(read_mapping(path)?);
        let mut config = Config::from_values(values)?;
        if let Some(credentials) = credentials_from_environment(|name| std::env::var(name).ok()) {
            config.credentials = Some(credentials);
        }
        Ok(config)
    }

    /// The configuration that `values` (defaults included) describe; every key the tool
    /// reads is checked here, before anything runs.
    pub fn from_values(mut values: Mapping) -> Result<Config, ConfigError> {
        let keys: Keys =
            serde_path_to_error::deserialize(Value::Map(values.clone())).map_err(|error| {
                ConfigError::Invalid {
                    key: error.path().to_string(),
                    message: error.inner().to_string(),
                }
            })?;
        if keys.http_proxy.is_some() && keys.apt_only_proxy.is_none() {
            let proxy = values.get("http_proxy").cloned().unwrap_or(Value::Null);
            values.insert("apt_only_proxy".into(), proxy);
        }
        let signing = signing(&keys)?;
        let allow_links_outside = allowed_link_folders(keys.allow_links_outside)?;
        let password = keys
            .password
            .as_ref()
            .map(|text| Secret::new(text.0.clone()));
        let credentials = match (keys.username, keys.password) {
            (Some(Text(username)), Some(Text(password)))
                if !username.is_empty() && !password.is_empty() =>
            {
                Some(Credentials {
                    username,
                    password: Secret::new(password),
                })
            }
            _ => None,
        };
        Ok(Config {
            repository: Repository {
                registry: keys.registry.map(|r| r.0).unwrap_or_default(),
                namespace: keys.namespace.map(|n| n.0).unwrap_or_default(),
            },
            credentials,
            password,
            base_images: keys.base_images.unwrap_or_default(),
            http_proxy: keys.http_proxy.map(|t| t.0),
            fallback_author: keys.fallback_author.0,
            fallback_email: keys.fallback_email.0,
            distribution: keys.distribution.0,
            update_id: keys.update_id.map(|t| t.0).unwrap_or_default(),
            ca_bundle: keys.ca_bundle,
            force_numeric_user: keys.force_numeric_user.unwrap_or(false),
            known_uid_mappings: keys.known_uid_mappings.map(|m| m.0).unwrap_or_default(),
            verify_command: keys.verify_command,
            verify_args: keys.verify_args,
            container_limits: keys.container_limits.unwrap_or_default(),
            engine: keys.engine.unwrap_or_default(),
            engine_path: keys.engine_path,
            jobs: keys.jobs.map(NonZeroUsize::get),
            squash_steps: keys.squash_steps.unwrap_or(false),
            insecure_registries: keys.insecure_registries.unwrap_or_default(),
            build_timeout: keys.build_timeout.map(|t| t.0),
            verify_timeout: keys.verify_timeout.map(|t| t.0),
            log_file: keys.log_file,
            provenance: ProvenanceSettings {
                source_url: keys.source_url.map(|t| t.0),
                labels: keys.labels.unwrap_or_default(),
            },
            signing,
            gitlab_ci: keys.gitlab_ci.unwrap_or_default(),
            allow_links_outside,
            platforms: keys.platforms.map(|p| p.0),
            values,
        })
    }

    /// The platforms of the run: those configured, else the host's alone.
    pub fn run_platforms(&self) -> Vec<Platform> {
        self.platforms
            .clone()
            .unwrap_or_else(|| vec![Platform::host()])
    }
}

impl Config {
    /// What no message may show: the password of the credentials (the configured one or
    /// `$DOCKER_PKG_PASSWORD`) and its login token, and the configured `password`, which
    /// templates can quote.
    pub fn secrets(&self) -> Secrets {
        let configured = self.password.iter().map(|p| p.expose().to_owned());
        Secrets::new(
            self.credentials
                .iter()
                .flat_map(Credentials::sensitive)
                .chain(configured),
        )
    }
}

/// `allow_links_outside`: absolute folders, none of them the root (which would let a tree
/// read the whole host).
fn allowed_link_folders(folders: Option<Vec<PathBuf>>) -> Result<Vec<PathBuf>, ConfigError> {
    let folders = folders.unwrap_or_default();
    let invalid = |message: String| ConfigError::Invalid {
        key: "allow_links_outside".into(),
        message,
    };
    for folder in &folders {
        if !folder.is_absolute() {
            return Err(invalid(format!(
                "{} is not an absolute path",
                folder.display()
            )));
        }
        if folder.parent().is_none() {
            return Err(invalid(
                "/ would let links lead anywhere; list the folders they may lead to".into(),
            ));
        }
    }
    Ok(folders)
}

/// The variables that give the registry's credentials where no file may hold them: a CI
/// job's masked variables.
pub const USERNAME_VARIABLE: &str = "DOCKER_PKG_USERNAME";
pub const PASSWORD_VARIABLE: &str = "DOCKER_PKG_PASSWORD";

/// The credentials of [`USERNAME_VARIABLE`] and [`PASSWORD_VARIABLE`], when both are set and
/// not empty. They are no template variables: no Dockerfile can print them.
fn credentials_from_environment(var: impl Fn(&str) -> Option<String>) -> Option<Credentials> {
    let set = |name| var(name).filter(|value| !value.is_empty());
    Some(Credentials {
        username: set(USERNAME_VARIABLE)?,
        password: Secret::new(set(PASSWORD_VARIABLE)?),
    })
}

/// The keys the tool itself reads, each with its type and syntax; any other key is only a
/// template variable. A null value is the same as an absent key.
#[derive(Deserialize)]
struct Keys {
    registry: Option<RegistryAddress>,
    namespace: Option<Namespace>,
    username: Option<Text>,
    password: Option<Text>,
    base_images: Option<Vec<String>>,
    /// Only checked: the apt stanzas print the value as it is.
    #[serde(
        rename = "apt_options",
        default,
        deserialize_with = "checked::<_, Text>"
    )]
    _apt_options: (),
    http_proxy: Option<Text>,
    apt_only_proxy: Option<Text>,
    /// Only checked: scanning uses every core.
    #[serde(
        rename = "scan_workers",
        default,
        deserialize_with = "checked::<_, usize>"
    )]
    _scan_workers: (),
    fallback_author: Text,
    fallback_email: Text,
    distribution: Text,
    update_id: Option<Text>,
    ca_bundle: Option<PathBuf>,
    force_numeric_user: Option<bool>,
    known_uid_mappings: Option<UidMappings>,
    verify_command: String,
    verify_args: Vec<String>,
    #[serde(default)]
    container_limits: Option<ContainerLimits>,
    #[serde(default)]
    engine: Option<EngineKind>,
    #[serde(default)]
    engine_path: Option<PathBuf>,
    #[serde(default)]
    jobs: Option<NonZeroUsize>,
    #[serde(default)]
    squash_steps: Option<bool>,
    #[serde(default)]
    insecure_registries: Option<Vec<String>>,
    #[serde(default)]
    build_timeout: Option<Timeout>,
    #[serde(default)]
    verify_timeout: Option<Timeout>,
    #[serde(default)]
    log_file: Option<PathBuf>,
    #[serde(default)]
    allow_links_outside: Option<Vec<PathBuf>>,
    source_url: Option<Text>,
    #[serde(default)]
    labels: Option<Labels>,
    #[serde(default)]
    sign_by: Option<Fingerprint>,
    #[serde(default)]
    sigstore_private_key: Option<ReadableFile>,
    #[serde(default)]
    sigstore_passphrase_file: Option<ReadableFile>,
    #[serde(default)]
    sigstore_public_key: Option<ReadableFile>,
    #[serde(default)]
    gitlab_ci: Option<JobSettings>,
    #[serde(default)]
    platforms: Option<PlatformList>,
}

/// The way of signing the keys choose: `sign_by`, or `sigstore_private_key` with its
/// passphrase file and the public key that checks its signatures; not both.
fn signing(keys: &Keys) -> Result<Option<Signing>, ConfigError> {
    let invalid = |key: &str, message: &str| ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    };
    let sigstore = (
        &keys.sigstore_private_key,
        &keys.sigstore_passphrase_file,
        &keys.sigstore_public_key,
    );
    match (&keys.sign_by, sigstore) {
        (Some(_), (Some(_), _, _)) => Err(invalid(
            "sign_by",
            "sign with either sign_by (GPG) or sigstore_private_key, not both",
        )),
        (Some(Fingerprint(fingerprint)), (None, _, _)) => Ok(Some(Signing::Gpg {
            fingerprint: fingerprint.clone(),
        })),
        (None, (Some(private_key), Some(passphrase_file), Some(public_key))) => {
            Ok(Some(Signing::Sigstore {
                private_key: private_key.0.clone(),
                passphrase_file: passphrase_file.0.clone(),
                public_key: public_key.0.clone(),
            }))
        }
        (None, (Some(_), None, _)) => Err(invalid(
            "sigstore_passphrase_file",
            "is needed with sigstore_private_key (an empty file for a key without passphrase)",
        )),
        (None, (Some(_), _, None)) => Err(invalid(
            "sigstore_public_key",
            "is needed with sigstore_private_key: the signatures are checked with it after \
             publishing",
        )),
        (None, (None, passphrase, public)) => match (passphrase, public) {
            (None, None) => Ok(None),
            (Some(_), _) => Err(invalid(
                "sigstore_passphrase_file",
                "is only used with sigstore_private_key",
            )),
            (None, Some(_)) => Err(invalid(
                "sigstore_public_key",
                "is only used with sigstore_private_key",
            )),
        },
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

/// Checks that a value, when there is one, reads as a `T`.
fn checked<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<(), D::Error> {
    Option::<T>::deserialize(deserializer).map(drop)
}

/// A scalar read as text, as Python would format it into a string: `password: 123456` is
/// the password `123456`.
#[derive(Debug, Clone)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Str(text) => Ok(Text(text)),
            Value::Int(n) => Ok(Text(n.to_string())),
            Value::Float(_) | Value::Bool(_) | Value::Date(_) | Value::DateTime(_) => {
                Err(D::Error::custom("must be a string (put it in quotes)"))
            }
            _ => Err(D::Error::custom("must be a string")),
        }
    }
}

/// `sign_by`: the fingerprint of a GPG key, or its long key id: 40 or 16 hexadecimal digits,
/// spaces and a leading `0x` allowed (as `gpg --fingerprint` prints it).
#[derive(Debug, Clone)]
struct Fingerprint(String);

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?.0;
        let compact: String = text.split_whitespace().collect();
        let hex = compact
            .strip_prefix("0x")
            .or_else(|| compact.strip_prefix("0X"))
            .unwrap_or(&compact);
        let valid = matches!(hex.len(), 16 | 40 | 64) && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(D::Error::custom(format!(
                "`{text}` is not a GPG key fingerprint: 40 hexadecimal digits (`gpg \
                 --list-secret-keys --with-colons` prints it on its `fpr` line)"
            )));
        }
        Ok(Fingerprint(hex.to_ascii_uppercase()))
    }
}

/// `platforms`: a list of platforms, each named once.
#[derive(Debug, Clone)]
struct PlatformList(Vec<Platform>);

impl<'de> Deserialize<'de> for PlatformList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let texts = Vec::<Text>::deserialize(deserializer)?;
        platform::parse_list(texts.iter().map(|t| t.0.as_str()))
            .map(PlatformList)
            .map_err(D::Error::custom)
    }
}

/// A path to a file this process can read.
#[derive(Debug, Clone)]
struct ReadableFile(PathBuf);

impl<'de> Deserialize<'de> for ReadableFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = PathBuf::from(Text::deserialize(deserializer)?.0);
        match std::fs::File::open(&path) {
            Ok(file) if file.metadata().is_ok_and(|m| m.is_file()) => Ok(ReadableFile(path)),
            Ok(_) => Err(D::Error::custom(format!(
                "{} is not a regular file",
                path.display()
            ))),
            Err(e) => Err(D::Error::custom(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }
}

/// `registry`: `HOST[:PORT]`, optionally followed by a path, where the host is what container
/// tools take for a registry (a `.` or a port in it, or `localhost`): any other first part
/// would send the images to Docker Hub.
#[derive(Debug, Clone)]
struct RegistryAddress(String);

impl<'de> Deserialize<'de> for RegistryAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?.0;
        let trimmed = text.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok(RegistryAddress(String::new()));
        }
        let (host, path) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        if !is_registry_host(host) {
            return Err(D::Error::custom(format!(
                "`{text}` is not a registry address: write HOST, HOST:PORT or localhost, with \
                 a `.` in HOST (container tools read `{host}/…` as a Docker Hub namespace)"
            )));
        }
        if !path.is_empty() && !is_repository_path(path) {
            return Err(D::Error::custom(format!(
                "`{path}` in `{text}` is not a repository path: {PATH_RULE}"
            )));
        }
        Ok(RegistryAddress(text))
    }
}

/// `namespace`: a repository path, as image references allow it.
#[derive(Debug, Clone)]
struct Namespace(String);

impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?.0;
        let trimmed = text.trim_matches('/');
        if !trimmed.is_empty() && !is_repository_path(trimmed) {
            return Err(D::Error::custom(format!(
                "`{text}` is not a repository path: {PATH_RULE}"
            )));
        }
        Ok(Namespace(text))
    }
}

const PATH_RULE: &str = "lowercase letters and digits in `/`-separated parts, each part \
                         possibly joined by `.`, `_`, `__` or `-`";

fn is_registry_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    port_ok && name_ok && (name.contains('.') || port.is_some() || name == "localhost")
}

/// A path of repository name components, as image references allow them.
fn is_repository_path(path: &str) -> bool {
    static COMPONENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$").expect("the pattern is valid")
    });
    path.split('/')
        .all(|component| COMPONENT.is_match(component))
}

/// `known_uid_mappings`, each uid kept as the text a template prints for it (`0x3E8` is
/// `1000`); the users stay YAML keys, compared as Python compares them.
#[derive(Debug, Clone)]
struct UidMappings(Mapping);

impl<'de> Deserialize<'de> for UidMappings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Value::Map(raw) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("must map users to uids"));
        };
        let uid = |user: &Value, uid: &Value| match uid {
            Value::Int(n) if n.sign() != num_bigint::Sign::Minus => Ok(Value::Str(n.to_string())),
            Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Value::Str(s.clone()))
            }
            _ => {
                let user = match user {
                    Value::Str(name) => name.clone(),
                    Value::Int(n) => n.to_string(),
                    _ => "every user".to_owned(),
                };
                // 4.0.4 would print `USER 1000.0`, which no image can run as.
                let why = match uid {
                    Value::Float(f) => format!(": {f:?} is not a whole number"),
                    _ => String::new(),
                };
                Err(D::Error::custom(format!(
                    "the uid of {user} must be a number{why}"
                )))
            }
        };
        raw.iter()
            .map(|(user, value)| Ok((user.clone(), uid(user, value)?)))
            .collect::<Result<Mapping, D::Error>>()
            .map(UidMappings)
    }
}

/// `build_timeout`/`verify_timeout`: `90s`, `10m`, `1h 30m`, or a number of seconds.
#[derive(Debug, Clone, Copy)]
struct Timeout(Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let duration = match Value::deserialize(deserializer)? {
            Value::Int(n) => n.to_u64().map(Duration::from_secs),
            Value::Float(f) if f.is_finite() && f > 0.0 => Duration::try_from_secs_f64(f).ok(),
            Value::Str(text) => parse_duration(&text),
            _ => None,
        };
        match duration {
            Some(duration) if !duration.is_zero() => Ok(Timeout(duration)),
            _ => Err(D::Error::custom(
                "must be a duration such as `90s`, `10m` or `1h 30m`, or a number of seconds",
            )),
        }
    }
}

/// A duration as a user writes it (`2s`, `1h30m`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    humantime::parse_duration(text.trim()).ok()
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
    fn allow_links_outside_holds_absolute_folders() {
        let c = config("allow_links_outside: [/srv/shared, /opt/x]").unwrap();
        assert_eq!(
            c.allow_links_outside,
            [PathBuf::from("/srv/shared"), PathBuf::from("/opt/x")]
        );
        assert!(
            Config::from_values(defaults())
                .unwrap()
                .allow_links_outside
                .is_empty()
        );
        let relative = config("allow_links_outside: [shared]").unwrap_err();
        assert_eq!(
            relative.to_string(),
            "config key `allow_links_outside`: shared is not an absolute path"
        );
        assert!(config("allow_links_outside: [/]").is_err());
        assert!(config("allow_links_outside: /srv").is_err());
    }

    #[test]
    fn credentials_need_both_parts() {
        assert!(config("username: u").unwrap().credentials.is_none());
        let c = config("username: u\npassword: p").unwrap();
        assert_eq!(c.credentials.unwrap().password.expose(), "p");
    }

    #[test]
    fn credentials_from_the_environment_need_both_variables() {
        fn env<'a>(pairs: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
            move |name| {
                let found = pairs.iter().find(|(key, _)| *key == name);
                found.map(|(_, value)| (*value).to_owned())
            }
        }
        let both = [(USERNAME_VARIABLE, "ci"), (PASSWORD_VARIABLE, "s3cret")];
        let credentials = credentials_from_environment(env(&both)).unwrap();
        assert_eq!(credentials.username, "ci");
        assert_eq!(credentials.password.expose(), "s3cret");
        assert!(credentials_from_environment(env(&[(USERNAME_VARIABLE, "ci")])).is_none());
        let empty = [(USERNAME_VARIABLE, "ci"), (PASSWORD_VARIABLE, "")];
        assert!(credentials_from_environment(env(&empty)).is_none());
    }

    #[test]
    fn gitlab_ci_settings_are_checked_at_load() {
        let c = config("gitlab_ci: {tags: [buildah], retry: 1}").unwrap();
        assert_eq!(c.gitlab_ci.tags, Some(vec!["buildah".to_owned()]));
        let err = config("gitlab_ci: {retry: 5}").unwrap_err().to_string();
        assert!(
            err.starts_with("config key `gitlab_ci.retry`: GitLab retries"),
            "{err}"
        );
        let err = config("gitlab_ci: {runner: x}").unwrap_err().to_string();
        assert!(err.contains("unknown field `runner`"), "{err}");
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
        let err = config("known_uid_mappings: {x: 1000.0}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the uid of x must be a number: 1000.0 is not a whole number"),
            "{err}"
        );
    }

    #[test]
    fn every_key_with_a_syntax_is_checked_at_load() {
        for (yaml, key, message) in [
            (
                "registry: myregistry",
                "registry",
                "is not a registry address",
            ),
            (
                "registry: 'r.org:port'",
                "registry",
                "is not a registry address",
            ),
            (
                "registry: r.org/Team",
                "registry",
                "is not a repository path",
            ),
            (
                "namespace: My Team",
                "namespace",
                "is not a repository path",
            ),
            ("namespace: a//b", "namespace", "is not a repository path"),
            (
                "container_limits: memory=abc",
                "container_limits",
                "memory takes a size",
            ),
            ("apt_options: [a]", "apt_options", "must be a string"),
            (
                "known_uid_mappings: {nobody: abc}",
                "known_uid_mappings",
                "the uid of nobody",
            ),
            (
                "known_uid_mappings: [a]",
                "known_uid_mappings",
                "must map users to uids",
            ),
            (
                "verify_args: [-c, [x]]",
                "verify_args[1]",
                "expected a string",
            ),
            ("verify_args: -c", "verify_args", "expected a sequence"),
            ("jobs: 0", "jobs", "nonzero"),
            ("squash_steps: maybe", "squash_steps", "expected a boolean"),
            ("engine: dockerd", "engine", "unknown engine `dockerd`"),
            ("build_timeout: soon", "build_timeout", "must be a duration"),
            ("verify_timeout: 0", "verify_timeout", "must be a duration"),
            ("base_images: busybox", "base_images", "expected a sequence"),
            (
                "insecure_registries: [1.5]",
                "insecure_registries[0]",
                "expected a string",
            ),
        ] {
            let err = config(yaml).unwrap_err().to_string();
            let prefix = format!("config key `{key}`: ");
            assert!(
                err.starts_with(&prefix) && err.contains(message),
                "{yaml}: {err}"
            );
        }
    }

    #[test]
    fn good_values_of_checked_keys() {
        let c = config(
            "registry: docker-registry.wikimedia.org
namespace: releng/ci
container_limits: memory=2g,cpusetcpus=0-1
apt_options: -q
build_timeout: 1h 30m
verify_timeout: 90
password: 123456
username: ci",
        )
        .unwrap();
        assert_eq!(c.build_timeout, Some(Duration::from_secs(5400)));
        assert_eq!(c.verify_timeout, Some(Duration::from_secs(90)));
        assert_eq!(c.container_limits.memory.as_deref(), Some("2g"));
        assert_eq!(c.credentials.unwrap().password.expose(), "123456");
        for registry in [
            "localhost",
            "127.0.0.1:5000",
            "r.org/team",
            "localhost:5000/a/b",
        ] {
            assert!(
                config(&format!("registry: {registry}")).is_ok(),
                "{registry}"
            );
        }
    }

    #[test]
    fn the_config_file_must_be_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("config file {} is not a regular file", dir.path().display())
        );
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

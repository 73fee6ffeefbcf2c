//! How the jobs of a generated GitLab CI pipeline run: the `gitlab_ci:` key of the
//! configuration, and the `gitlab-ci.yaml` an image's folder may hold for its own job (a
//! bigger runner, a longer time-out). Every value is checked when it is read, so that the
//! pipeline GitLab receives is valid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

use pyyaml_compat::{self as yaml, Node, Value};

/// The file of an image's folder whose keys override `gitlab_ci:` for that image's job.
pub const IMAGE_SETTINGS_FILE: &str = "gitlab-ci.yaml";

/// The options of a job; each absent one leaves GitLab's default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// The shell command that runs docker-pkg in a job: `docker-pkg` (on the runner's `PATH`)
    /// by default.
    pub docker_pkg: Option<String>,
    /// The container image a job runs in (runners with the docker or kubernetes executor).
    pub image: Option<JobImage>,
    /// The runner tags a job needs.
    pub tags: Option<Vec<String>>,
    /// Variables set in a job, in the order written.
    pub variables: Option<Variables>,
    /// Lines run before docker-pkg.
    pub before_script: Option<Script>,
    pub retry: Option<Retry>,
    pub timeout: Option<Timeout>,
    pub interruptible: Option<bool>,
    pub resource_group: Option<ResourceGroup>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobSettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML: {source}")]
    Yaml { path: PathBuf, source: yaml::Error },
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

impl JobSettings {
    /// The settings of `image_dir`'s own file, when it has one.
    pub fn of_image(image_dir: &Path) -> Result<Option<JobSettings>, JobSettingsError> {
        let path = image_dir.join(IMAGE_SETTINGS_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(JobSettingsError::Read { path, source }),
        };
        let value = yaml::load(&bytes).map_err(|source| JobSettingsError::Yaml {
            path: path.clone(),
            source,
        })?;
        let value = match value {
            Value::Null => Value::Map(yaml::Mapping::new()),
            other => other,
        };
        serde_path_to_error::deserialize(value)
            .map(Some)
            .map_err(|error| JobSettingsError::Invalid {
                path,
                key: error.path().to_string(),
                message: error.inner().to_string(),
            })
    }

    /// These settings with `image`'s over them: its `variables` added to these (its own
    /// winning), any other key it sets replacing this one.
    pub fn with(&self, image: &JobSettings) -> JobSettings {
        let mut variables = self.variables.clone().unwrap_or_default();
        for (name, value) in image.variables.iter().flat_map(|v| &v.0) {
            variables.0.retain(|(existing, _)| existing != name);
            variables.0.push((name.clone(), value.clone()));
        }
        JobSettings {
            docker_pkg: image.docker_pkg.clone().or_else(|| self.docker_pkg.clone()),
            image: image.image.clone().or_else(|| self.image.clone()),
            tags: image.tags.clone().or_else(|| self.tags.clone()),
            variables: (!variables.0.is_empty()).then_some(variables),
            before_script: image
                .before_script
                .clone()
                .or_else(|| self.before_script.clone()),
            retry: image.retry.clone().or_else(|| self.retry.clone()),
            timeout: image.timeout.or(self.timeout),
            interruptible: image.interruptible.or(self.interruptible),
            resource_group: image
                .resource_group
                .clone()
                .or_else(|| self.resource_group.clone()),
        }
    }
}

/// `image:` as GitLab takes it: a name, or a mapping (`name`, `entrypoint`, `pull_policy`…),
/// written as given.
#[derive(Debug, Clone, PartialEq)]
pub struct JobImage(pub Node);

impl<'de> Deserialize<'de> for JobImage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Str(name) if !name.is_empty() => Ok(JobImage(Node::Str(name))),
            value @ Value::Map(_) => node(value).map(JobImage).map_err(D::Error::custom),
            _ => Err(D::Error::custom(
                "must be an image name, or a mapping with `name`",
            )),
        }
    }
}

/// `variables:`, each value as the text the job sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variables(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Value::Map(mapping) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("must map variable names to values"));
        };
        let mut variables = Vec::new();
        for (name, value) in mapping.iter() {
            let name = match name {
                Value::Str(name) if is_variable_name(name) => name.clone(),
                _ => {
                    let shown = name
                        .as_str()
                        .map_or_else(|| format!("{name:?}"), str::to_owned);
                    return Err(D::Error::custom(format!(
                        "`{shown}` is not a variable name (letters, digits and `_`)"
                    )));
                }
            };
            let text = match value {
                Value::Str(text) => text.clone(),
                Value::Int(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(D::Error::custom(format!(
                        "the value of {name} must be a string, a number or a boolean"
                    )));
                }
            };
            variables.push((name, text));
        }
        Ok(Variables(variables))
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Shell lines: one string, or a list of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Script(pub Vec<String>);

impl<'de> Deserialize<'de> for Script {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let lines = match Value::deserialize(deserializer)? {
            Value::Str(line) => vec![line],
            Value::Seq(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::Str(line) => Ok(line),
                    _ => Err(D::Error::custom("every line must be a string")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(D::Error::custom("must be a line or a list of lines")),
        };
        Ok(Script(lines))
    }
}

/// What GitLab's `retry:` may name in `when`.
const RETRY_WHEN: [&str; 13] = [
    "always",
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "runner_system_failure",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
];

/// `retry:` as GitLab takes it: at most 2 retries, `N` or `{max, when, exit_codes}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry(pub Node);

impl<'de> Deserialize<'de> for Retry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        retry(Value::deserialize(deserializer)?)
            .map(Retry)
            .map_err(D::Error::custom)
    }
}

fn retry(value: Value) -> Result<Node, String> {
    let max = |value: &Value| match value {
        Value::Int(n) if *n >= 0.into() && *n <= 2.into() => Ok(node(value.clone())?),
        _ => Err("GitLab retries a job 0, 1 or 2 times".to_owned()),
    };
    let Value::Map(mapping) = value else {
        return max(&value);
    };
    let mut entries = Vec::new();
    for (key, value) in mapping.iter() {
        let key = key.as_str().unwrap_or_default();
        let checked = match key {
            "max" => max(value)?,
            "when" => retry_when(value)?,
            "exit_codes" => exit_codes(value)?,
            _ => return Err(format!("unknown key `{key}`: max, when or exit_codes")),
        };
        entries.push((key.to_owned(), checked));
    }
    Ok(Node::Map(entries))
}

fn retry_when(value: &Value) -> Result<Node, String> {
    let known = |name: &Value| match name.as_str() {
        Some(name) if RETRY_WHEN.contains(&name) => Ok(Node::str(name)),
        _ => Err(format!(
            "`when` takes these failures: {}",
            RETRY_WHEN.join(", ")
        )),
    };
    match value {
        Value::Seq(items) => items
            .iter()
            .map(known)
            .collect::<Result<_, _>>()
            .map(Node::Seq),
        single => known(single),
    }
}

fn exit_codes(value: &Value) -> Result<Node, String> {
    let code = |value: &Value| match value {
        Value::Int(_) => node(value.clone()),
        _ => Err("`exit_codes` takes an exit code or a list of them".to_owned()),
    };
    match value {
        Value::Seq(items) if !items.is_empty() => items
            .iter()
            .map(code)
            .collect::<Result<_, _>>()
            .map(Node::Seq),
        single => code(single),
    }
}

/// `timeout:` a duration (`90m`, `1h 30m`, or seconds), written as GitLab reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl Timeout {
    /// `1h 30m`: a form GitLab's duration parser reads.
    pub fn text(&self) -> String {
        crate::process::humanize(self.0)
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let duration = match Value::deserialize(deserializer)? {
            Value::Int(n) => u64::try_from(n).ok().map(Duration::from_secs),
            Value::Str(text) => humantime::parse_duration(text.trim()).ok(),
            _ => None,
        };
        match duration {
            Some(d) if d.as_secs() > 0 && d.subsec_nanos() == 0 => Ok(Timeout(d)),
            _ => Err(D::Error::custom(
                "must be a duration in whole seconds, such as `90m` or `1h 30m`, or a number \
                 of seconds",
            )),
        }
    }
}

/// `resource_group:` `true` gives each image's job a group of its own
/// (`docker-pkg-NAME`: pipelines never build one image twice at once), a string names the
/// group (`{name}` standing for the image's name), `false` none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceGroup {
    None,
    Named(String),
}

impl ResourceGroup {
    /// The group of the job of the image called `image`, if it has one; characters GitLab
    /// refuses in a group's name become `-`.
    pub fn of(&self, image: &str) -> Option<String> {
        let ResourceGroup::Named(pattern) = self else {
            return None;
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-_/${}. ".contains(c);
        let name: String = pattern
            .replace("{name}", image)
            .chars()
            .map(|c| if allowed(c) { c } else { '-' })
            .collect();
        Some(name.trim_matches('/').to_owned())
    }
}

impl<'de> Deserialize<'de> for ResourceGroup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(true) => Ok(ResourceGroup::Named("docker-pkg-{name}".to_owned())),
            Value::Bool(false) => Ok(ResourceGroup::None),
            Value::Str(name) if !name.trim().is_empty() => Ok(ResourceGroup::Named(name)),
            _ => Err(D::Error::custom(
                "must be true (a group per image), false, or a group name (`{name}` is the \
                 image's name)",
            )),
        }
    }
}

/// A value of the configuration as it is written back: strings, integers, booleans, lists
/// and mappings with string keys.
fn node(value: Value) -> Result<Node, String> {
    match value {
        Value::Str(text) => Ok(Node::Str(text)),
        Value::Bool(b) => Ok(Node::Bool(b)),
        Value::Int(n) => i64::try_from(n)
            .map(Node::Int)
            .map_err(|_| "an integer too large".to_owned()),
        Value::Seq(items) => items
            .into_iter()
            .map(node)
            .collect::<Result<_, _>>()
            .map(Node::Seq),
        Value::Map(mapping) => mapping
            .iter()
            .map(|(key, value)| match key {
                Value::Str(key) => Ok((key.clone(), node(value.clone())?)),
                _ => Err(format!("the key {key:?} is not a string")),
            })
            .collect::<Result<_, _>>()
            .map(Node::Map),
        other => Err(format!(
            "{other:?} is not a string, a number, a boolean, a list or a mapping"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<JobSettings, String> {
        let value = yaml::load(text.as_bytes()).unwrap();
        serde_path_to_error::deserialize::<_, JobSettings>(value)
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn every_key() {
        let s = settings(
            "docker_pkg: /opt/bin/docker-pkg
image: {name: debian:bookworm, pull_policy: if-not-present}
tags: [buildah, amd64]
variables: {BUILDAH_ISOLATION: chroot, JOBS: 2, DEBUG: no}
before_script: export XDG_RUNTIME_DIR=/run/user/$(id -u)
retry: {max: 2, when: [runner_system_failure, stuck_or_timeout_failure], exit_codes: 137}
timeout: 90m
interruptible: yes
resource_group: true",
        )
        .unwrap();
        assert_eq!(s.docker_pkg.as_deref(), Some("/opt/bin/docker-pkg"));
        assert_eq!(
            s.variables.unwrap().0,
            [
                ("BUILDAH_ISOLATION".to_owned(), "chroot".to_owned()),
                ("JOBS".to_owned(), "2".to_owned()),
                ("DEBUG".to_owned(), "false".to_owned()),
            ]
        );
        assert_eq!(s.before_script.unwrap().0.len(), 1);
        assert_eq!(s.timeout.unwrap().text(), "1h 30m");
        assert_eq!(s.interruptible, Some(true));
        assert_eq!(
            s.resource_group.unwrap().of("g++"),
            Some("docker-pkg-g--".to_owned())
        );
        assert_eq!(
            s.retry.unwrap().0,
            Node::Map(vec![
                ("max".into(), Node::Int(2)),
                (
                    "when".into(),
                    Node::strs(["runner_system_failure", "stuck_or_timeout_failure"])
                ),
                ("exit_codes".into(), Node::Int(137)),
            ])
        );
    }

    #[test]
    fn wrong_values_name_their_key() {
        for (text, expected) in [
            ("retry: 3", "retry: GitLab retries a job 0, 1 or 2 times"),
            (
                "retry: {when: sometimes}",
                "retry: `when` takes these failures",
            ),
            ("retry: {max: 1, times: 2}", "retry: unknown key `times`"),
            ("timeout: soon", "timeout: must be a duration"),
            ("tags: buildah", "tags: invalid type"),
            (
                "variables: {1X: a}",
                "variables: `1X` is not a variable name",
            ),
            ("variables: {X: [a]}", "variables: the value of X must be"),
            ("image: ''", "image: must be an image name"),
            ("resource_group: 3", "resource_group: must be true"),
            (
                "before_script: [[a]]",
                "before_script: every line must be a string",
            ),
            ("runner: big", "runner: unknown field `runner`"),
        ] {
            let error = settings(text).unwrap_err();
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }

    #[test]
    fn an_image_overrides_keys_and_adds_variables() {
        let global = settings("tags: [small]\nvariables: {A: '1', B: '2'}\nretry: 1").unwrap();
        let image = settings("tags: [big]\nvariables: {B: '3', C: '4'}").unwrap();
        let merged = global.with(&image);
        assert_eq!(merged.tags, Some(vec!["big".to_owned()]));
        assert_eq!(merged.retry, global.retry);
        let names: Vec<String> = merged
            .variables
            .unwrap()
            .0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        assert_eq!(names, ["A=1", "B=3", "C=4"]);
    }

    #[test]
    fn an_image_file_is_optional_and_named_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(JobSettings::of_image(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join(IMAGE_SETTINGS_FILE), "tags: [gpu]\n").unwrap();
        let own = JobSettings::of_image(dir.path()).unwrap().unwrap();
        assert_eq!(own.tags, Some(vec!["gpu".to_owned()]));
        std::fs::write(dir.path().join(IMAGE_SETTINGS_FILE), "timeout: never\n").unwrap();
        let error = JobSettings::of_image(dir.path()).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "{}: key `timeout`: must be a duration",
                dir.path().join(IMAGE_SETTINGS_FILE).display()
            )),
            "{error}"
        );
    }
}

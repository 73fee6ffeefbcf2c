//! The filters docker-pkg adds to Jinja2: `image_tag`, `upstream_version`, `uid`,
//! `add_user`, `apt_install` and `apt_remove` (whose stanzas are in `apt.rs`), taking any
//! value as docker-pkg 4.0.4 does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use jinja2_compat::{Args, Environment, Error, ErrorKind, Value, py};

use super::apt::AptSettings;
use crate::label::{ImageLabel, Repository};

const FILTERS: &[&str] = &[
    "image_tag",
    "upstream_version",
    "uid",
    "add_user",
    "apt_install",
    "apt_remove",
];

type Result<T> = std::result::Result<T, Error>;

fn filter_error(message: String) -> Error {
    Error::new(ErrorKind::Filter, message)
}

/// What docker-pkg's filters know of the tree and the configuration.
#[derive(Debug, Default)]
pub struct DockerFilters {
    pub known: KnownImages,
    pub apt: AptSettings,
}

impl DockerFilters {
    /// Adds docker-pkg's filters to `env`, as docker-pkg 4.0.4 adds them to its Jinja2
    /// environment.
    pub fn add_to(self, env: &mut Environment) {
        let filters = Arc::new(self);
        for &name in FILTERS {
            let filters = filters.clone();
            env.add_filter(name, move |state, value, args| {
                let uids = state.variable("known_uid_mappings").unwrap_or(&Value::None);
                filters.call(name, value, args, uids)
            });
        }
    }

    /// The filter `name` (one of [`FILTERS`]) of `value`. `uids` is the configuration's
    /// `known_uid_mappings` as the template sees it.
    fn call(&self, name: &str, value: &Value, args: &Args, uids: &Value) -> Result<Value> {
        if !args.is_empty() {
            return Err(Error::type_error(format!(
                "{name}() takes 1 positional argument but {} were given",
                1 + args.positional.len() + args.keywords.len()
            )));
        }
        match name {
            "image_tag" => {
                text_of(value, name).and_then(|n| self.known.image_tag(&n).map(Value::from))
            }
            "upstream_version" => {
                text_of(value, name).and_then(|l| upstream_version(&l).map(Value::from))
            }
            "uid" => uid(value, uids),
            "add_user" => add_user(value, uids),
            "apt_install" => match value.as_str() {
                Some(packages) => Ok(Value::from(self.apt.install(packages))),
                None => Err(Error::new(
                    ErrorKind::Type,
                    format!("'{}' object has no attribute 'replace'", value.type_name()),
                )),
            },
            _ => py::str(value).map(|packages| Value::from(self.apt.remove(&packages))),
        }
    }
}

/// A string argument: docker-pkg's filters use string methods on it.
fn text_of(value: &Value, filter: &str) -> Result<String> {
    value.check()?;
    value.as_str().map(str::to_owned).ok_or_else(|| {
        Error::type_error(format!(
            "{filter}: expected a string, not {}",
            value.type_name()
        ))
    })
}

thread_local! {
    /// The names `image_tag` was asked for on this thread, while [`recording_image_tags`] runs.
    static ASKED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Runs `work` and gives what it returned with the names `image_tag` was asked for on this
/// thread meanwhile, in order: how the images a template names are found.
pub fn recording_image_tags<T>(work: impl FnOnce() -> T) -> (T, Vec<String>) {
    let outer = ASKED.replace(Some(Vec::new()));
    let result = work();
    let asked = ASKED.replace(outer).unwrap_or_default();
    (result, asked)
}

/// Every image a template may name: the scanned images and the configured base images.
#[derive(Debug, Default)]
pub struct KnownImages {
    repository: Repository,
    /// Full name (registry, namespace, name) → full label.
    by_name: HashMap<String, String>,
}

impl KnownImages {
    /// Scanned labels take precedence over base images of the same name; a base image without
    /// a tag cannot be named.
    pub fn new<'a>(
        repository: Repository,
        scanned: impl IntoIterator<Item = &'a ImageLabel>,
        base_images: &[String],
    ) -> KnownImages {
        let mut by_name = HashMap::new();
        for base in base_images.iter().filter_map(|b| ImageLabel::parse(b)) {
            by_name.insert(base.name.clone(), base.to_string());
        }
        for label in scanned {
            by_name.insert(label.name.clone(), label.to_string());
        }
        KnownImages {
            repository,
            by_name,
        }
    }

    /// `"name" | image_tag`: the full label of the known image this configuration names
    /// `name`.
    pub fn image_tag(&self, name: &str) -> Result<String> {
        ASKED.with_borrow_mut(|asked| asked.as_mut().map(|a| a.push(name.to_owned())));
        let full_name = self.repository.image_name(name);
        self.by_name.get(&full_name).cloned().ok_or_else(|| {
            filter_error(format!(
                "image_tag: unknown image {full_name} (it is neither a scanned image nor a \
                 tagged entry of base_images)"
            ))
        })
    }
}

/// `"name:tag" | upstream_version`: the Debian upstream version of the tag. Of a tag with more
/// than one `-`, only the first two `-`-separated parts count (`1.63.0-1-20241211` →
/// `1.63.0`); then the epoch and the Debian revision are dropped. The label must have one
/// colon, as 4.0.4 requires, or be `registry:port/name:tag`.
pub fn upstream_version(label: &str) -> Result<String> {
    let no_name = || {
        filter_error(format!(
            "upstream_version({label}) -> no image name found in input"
        ))
    };
    let (name, tag) = label.rsplit_once(':').ok_or_else(no_name)?;
    if name.contains(':')
        && !name
            .rsplit_once(':')
            .is_some_and(|(_, port_and_name)| port_and_name.contains('/'))
    {
        return Err(no_name());
    }
    if !tag.contains('-') {
        return Ok(tag.to_owned());
    }
    let version: String = tag.split('-').take(2).collect::<Vec<_>>().join("-");
    debian_upstream(&version).ok_or_else(|| {
        filter_error(format!(
            "upstream_version: `{version}` (from `{label}`) is not a Debian version"
        ))
    })
}

/// The upstream part of a Debian version, as python-debian's `BaseVersion` reads it.
fn debian_upstream(version: &str) -> Option<String> {
    let with_epoch = version
        .split_once(':')
        .filter(|(epoch, _)| !epoch.is_empty() && epoch.chars().all(|c| c.is_ascii_digit()))
        .map(|(_, rest)| rest);
    if let Some(upstream) = with_epoch.and_then(upstream_part) {
        return Some(upstream);
    }
    upstream_part(version).filter(|upstream| !upstream.contains(':'))
}

fn upstream_part(body: &str) -> Option<String> {
    let revision_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '~');
    let upstream = match body.rfind('-') {
        Some(at) if at > 0 && at + 1 < body.len() && body[at + 1..].chars().all(revision_char) => {
            &body[..at]
        }
        _ => body,
    };
    let valid = !upstream.is_empty()
        && upstream
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | ':' | '~' | '-'));
    valid.then(|| upstream.to_owned())
}

/// `user | uid`: the mapped uid as a string; any other value comes back as it is, with a
/// warning.
fn uid(user: &Value, uids: &Value) -> Result<Value> {
    match mapped(user, uids)? {
        Some(uid) => Ok(Value::from(py::str(&uid)?)),
        None => {
            log::warn!("UID mapping for user {} not found", py::str(user)?);
            Ok(user.clone())
        }
    }
}

fn mapped(user: &Value, uids: &Value) -> Result<Option<Value>> {
    if !py::contains(uids, user)? {
        return Ok(None);
    }
    py::subscript(uids, user).map(Some)
}

/// `user | add_user`: the commands that create a known user with its uid.
fn add_user(user: &Value, uids: &Value) -> Result<Value> {
    let uid = uid(user, uids)?;
    if py::equal(&uid, user)? {
        return Err(filter_error(format!(
            "add_user: no uid is known for user '{}' (add it to known_uid_mappings)",
            py::str(user)?
        )));
    }
    let (uid, user) = (py::str(&uid)?, py::str(user)?);
    Ok(Value::from(format!(
        "groupadd -o -g {uid} -r {user} && \
         useradd -l -o -r -m -d /var/lib/{user} -g {user} -u {uid} {user}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tag_of_scanned_and_base_images() {
        let repository = Repository {
            registry: "127.0.0.1:5000".into(),
            namespace: "ns".into(),
        };
        let scanned = repository.label("python3", "3.11-1");
        let known = KnownImages::new(
            repository,
            [&scanned],
            &[
                "127.0.0.1:5000/ns/bookworm:20240101".into(),
                "untagged".into(),
            ],
        );
        assert_eq!(
            known.image_tag("python3").unwrap(),
            "127.0.0.1:5000/ns/python3:3.11-1"
        );
        assert_eq!(
            known.image_tag("bookworm").unwrap(),
            "127.0.0.1:5000/ns/bookworm:20240101"
        );
        let err = known.image_tag("nodejs").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown image 127.0.0.1:5000/ns/nodejs"),
            "{err}"
        );
    }

    #[test]
    fn upstream_versions() {
        for (label, expected) in [
            ("foo:1.2.3", "1.2.3"),
            ("foo:1.0~rc1-2", "1.0~rc1"),
            ("foo:1.63.0-1-20241211", "1.63.0"),
            ("127.0.0.1:5000/foo:2.0-3", "2.0"),
            ("foo:", ""),
            (":1.0-1", "1.0"),
            ("foo:-", "-"),
            ("foo:1.0-", "1.0-"),
        ] {
            assert_eq!(upstream_version(label).unwrap(), expected, "{label}");
        }
        assert!(upstream_version("no-tag-here").is_err());
        assert!(upstream_version("foo:2:1.0-1").is_err());
    }

    #[test]
    fn uids_of_any_value() {
        let mappings = pyyaml_compat::load(b"www-data: 33").unwrap();
        let uids = Value::from_yaml(&mappings);
        assert_eq!(uid(&"www-data".into(), &uids).unwrap().as_str(), Some("33"));
        assert!(matches!(
            uid(&Value::int(33), &uids).unwrap(),
            Value::Int(_)
        ));
        assert!(uid(&Value::list(vec![]), &uids).is_err());
        let err = add_user(&"someone".into(), &uids).unwrap_err();
        assert!(
            err.message.contains("no uid is known for user 'someone'"),
            "{err}"
        );
        assert!(add_user(&Value::int(33), &uids).is_err());
    }
}

//! The filters docker-pkg adds to Jinja2: `image_tag`, `upstream_version`, `uid` and
//! `add_user` (`apt_install` and `apt_remove` are in `apt.rs`).

use std::collections::HashMap;

use minijinja::{Error, ErrorKind, Value};

use super::{context, python};
use crate::label::{ImageLabel, Repository};
use crate::yaml;

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
    pub fn image_tag(&self, name: &str) -> Result<String, Error> {
        let full_name = self.repository.image_name(name);
        self.by_name.get(&full_name).cloned().ok_or_else(|| {
            invalid(format!(
                "image_tag: unknown image {full_name} (it is neither a scanned image nor a \
                 tagged entry of base_images)"
            ))
        })
    }
}

/// `"name:tag" | upstream_version`: the Debian upstream version of the tag. Of a tag with more
/// than one `-`, only the first two `-`-separated parts count (`1.63.0-1-20241211` →
/// `1.63.0`); then the epoch and the Debian revision are dropped.
pub fn upstream_version(label: &str) -> Result<String, Error> {
    let tag = ImageLabel::parse(label).map(|l| l.tag).ok_or_else(|| {
        invalid(format!(
            "upstream_version: `{label}` is not of the form name:tag"
        ))
    })?;
    if !tag.contains('-') {
        return Ok(tag);
    }
    let version: String = tag.split('-').take(2).collect::<Vec<_>>().join("-");
    version
        .parse::<debversion::Version>()
        .map(|v| v.upstream_version)
        .map_err(|e| {
            invalid(format!(
                "upstream_version: `{version}` (from `{label}`) is not a Debian version: {e}"
            ))
        })
}

/// User names and their uids, as `known_uid_mappings` gives them: the users are YAML keys,
/// compared as Python compares them (`1000:` is the integer 1000, which `1000 | uid` finds),
/// the uids the text a template prints.
#[derive(Debug, Default)]
pub struct UidMappings(pub yaml::Mapping);

impl UidMappings {
    /// `user | uid`: the uid of a known user; an unknown user comes back as is, with a
    /// warning (and `force_numeric_user` will then refuse the Dockerfile).
    pub fn uid(&self, user: &Value) -> Value {
        let uid = context::to_yaml(user).and_then(|key| self.0.get_value(&key)?.as_str());
        match uid {
            Some(uid) => Value::from(uid),
            None => {
                log::warn!("UID mapping for user {} not found", python::str(user));
                user.clone()
            }
        }
    }

    /// `"user" | add_user`: the commands that create a known user with its uid.
    pub fn add_user(&self, user: &str) -> Result<String, Error> {
        let uid = self
            .0
            .get(user)
            .and_then(yaml::Value::as_str)
            .ok_or_else(|| {
                invalid(format!(
                    "add_user: no uid is known for user '{user}' (add it to known_uid_mappings)"
                ))
            })?;
        Ok(format!(
            "groupadd -o -g {uid} -r {user} && \
             useradd -l -o -r -m -d /var/lib/{user} -g {user} -u {uid} {user}"
        ))
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
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
        ] {
            assert_eq!(upstream_version(label).unwrap(), expected, "{label}");
        }
        assert!(upstream_version("no-tag-here").is_err());
    }

    #[test]
    fn uids() {
        let mappings = UidMappings(
            [
                (yaml::Value::from("www-data"), yaml::Value::from("33")),
                (yaml::Value::from(1000), yaml::Value::from("1000")),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(mappings.uid(&Value::from("www-data")), Value::from("33"));
        assert_eq!(
            mappings.uid(&Value::from("someone")),
            Value::from("someone")
        );
        assert_eq!(mappings.uid(&Value::from(1000)), Value::from("1000"));
        assert_eq!(
            mappings.uid(&Value::from("1000")),
            Value::from("1000").clone()
        );
        assert_eq!(mappings.uid(&Value::from(33)), Value::from(33));
        assert_eq!(
            mappings.add_user("www-data").unwrap(),
            "groupadd -o -g 33 -r www-data && useradd -l -o -r -m -d /var/lib/www-data -g \
             www-data -u 33 www-data"
        );
        let err = mappings.add_user("someone").unwrap_err();
        assert!(
            err.to_string()
                .contains("no uid is known for user 'someone'"),
            "{err}"
        );
    }
}

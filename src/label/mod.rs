//! Image references and what they are built for: labels (this module), `platform`s and
//! the `--select` patterns of `select`.
//!
//! The grammar of image references: labels `REGISTRY/NAMESPACE/NAME:TAG`, valid tags, which
//! part of a name is a registry address, and the tag suffixes of nightly and snapshot builds.

pub mod platform;
pub(crate) mod select;

use std::fmt;

use chrono::{DateTime, Local};

/// Where the images of a tree live: the registry (which may carry a port) and the namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repository {
    pub registry: String,
    pub namespace: String,
}

impl Repository {
    /// The full name of an image: registry, namespace and name joined by `/`, empty parts
    /// dropped.
    pub fn image_name(&self, short_name: &str) -> String {
        let mut name = String::with_capacity(
            self.registry.len() + self.namespace.len() + short_name.len() + 2,
        );
        for part in [&self.registry, &self.namespace] {
            let part = part.trim_end_matches('/');
            if !part.is_empty() {
                name.push_str(part);
                name.push('/');
            }
        }
        name.push_str(short_name);
        name
    }

    /// The label of an image of this repository.
    pub fn label(&self, short_name: &str, tag: &str) -> ImageLabel {
        ImageLabel {
            name: self.image_name(short_name),
            tag: tag.to_owned(),
        }
    }
}

/// A full image reference with its tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageLabel {
    /// Registry, namespace and name.
    pub name: String,
    pub tag: String,
}

impl ImageLabel {
    /// Splits `NAME:TAG` on the last `:` that is not part of a registry address, so that
    /// `127.0.0.1:5000/foo:1.0` gives `127.0.0.1:5000/foo` and `1.0`.
    pub fn parse(label: &str) -> Option<ImageLabel> {
        let (name, tag) = label.rsplit_once(':')?;
        if name.is_empty() || tag.is_empty() || tag.contains('/') {
            return None;
        }
        Some(ImageLabel {
            name: name.to_owned(),
            tag: tag.to_owned(),
        })
    }

    /// The same image under another tag.
    pub fn with_tag(&self, tag: &str) -> ImageLabel {
        ImageLabel {
            name: self.name.clone(),
            tag: tag.to_owned(),
        }
    }
}

impl fmt::Display for ImageLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Whether `tag` is a valid OCI tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The registry address (`host` or `host:port`) of `name`, or `None` for a name without one
/// (`foo`, `ns/foo`), which lives in local storage only. The rule every container tool
/// follows: the first `/`-separated part is a registry address when it holds a `.` or a `:`,
/// or is `localhost`.
pub fn registry_host(name: &str) -> Option<&str> {
    let (first, _) = name.split_once('/')?;
    let is_address = first.contains('.') || first.contains(':') || first == "localhost";
    is_address.then_some(first)
}

/// The repository path of `name` on its registry: `127.0.0.1:5000/ns/foo` gives `ns/foo`.
pub fn repository_path(name: &str) -> &str {
    match registry_host(name) {
        Some(host) => &name[host.len() + 1..],
        None => name,
    }
}

/// Whether two names denote the same image, as buildah and podman see them: a name without a
/// registry is the same as that name below `localhost/`.
pub fn same_name(a: &str, b: &str) -> bool {
    qualified(a) == qualified(b)
}

/// `name` with `localhost/` in front when it names no registry, the form in which buildah and
/// podman report local images.
pub fn qualified(name: &str) -> std::borrow::Cow<'_, str> {
    match registry_host(name) {
        Some(_) => name.into(),
        None => format!("localhost/{name}").into(),
    }
}

/// What is appended to every tag of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TagSuffix {
    #[default]
    None,
    /// `--nightly`: `-YYYYMMDD`.
    Nightly(String),
    /// `--snapshot`: `-YYYYMMDD-HHMMSS`.
    Snapshot(String),
    /// `--suffix-id ID`: the suffix another run decided (the one that generated a pipeline).
    Given(String),
}

impl TagSuffix {
    pub fn nightly(now: DateTime<Local>) -> TagSuffix {
        TagSuffix::Nightly(now.format("%Y%m%d").to_string())
    }

    pub fn snapshot(now: DateTime<Local>) -> TagSuffix {
        TagSuffix::Snapshot(now.format("%Y%m%d-%H%M%S").to_string())
    }

    /// The tag of an image whose changelog gives `version`.
    pub fn apply(&self, version: &str) -> String {
        match self {
            TagSuffix::None => version.to_owned(),
            TagSuffix::Nightly(id) | TagSuffix::Snapshot(id) | TagSuffix::Given(id) => {
                format!("{version}-{id}")
            }
        }
    }

    /// What follows the `-` appended to every tag, if anything is.
    pub fn id(&self) -> Option<&str> {
        match self {
            TagSuffix::None => None,
            TagSuffix::Nightly(id) | TagSuffix::Snapshot(id) | TagSuffix::Given(id) => Some(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(registry: &str, namespace: &str) -> Repository {
        Repository {
            registry: registry.into(),
            namespace: namespace.into(),
        }
    }

    #[test]
    fn empty_parts_are_dropped() {
        assert_eq!(repo("", "").label("foo", "1.0").to_string(), "foo:1.0");
        assert_eq!(repo("r.org", "").image_name("foo"), "r.org/foo");
        assert_eq!(repo("", "ns").image_name("foo"), "ns/foo");
        assert_eq!(repo("r.org/", "ns").image_name("foo"), "r.org/ns/foo");
    }

    #[test]
    fn registry_with_port() {
        let label = repo("127.0.0.1:5000", "ns").label("foo", "1.0-1");
        assert_eq!(label.to_string(), "127.0.0.1:5000/ns/foo:1.0-1");
        assert_eq!(ImageLabel::parse(&label.to_string()), Some(label));
        assert_eq!(ImageLabel::parse("127.0.0.1:5000/foo"), None);
    }

    #[test]
    fn oci_tags() {
        assert!(is_valid_tag("1.0-1"));
        assert!(is_valid_tag("0.1.9-u1-20260816"));
        assert!(is_valid_tag("_x"));
        assert!(!is_valid_tag("1:1.0"));
        assert!(!is_valid_tag("1.0~rc1"));
        assert!(!is_valid_tag("-1"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag(&"1".repeat(129)));
    }

    #[test]
    fn suffixes() {
        assert_eq!(TagSuffix::None.apply("1.0"), "1.0");
        assert_eq!(
            TagSuffix::Nightly("20261126".into()).apply("1.0"),
            "1.0-20261126"
        );
        let given = TagSuffix::Given("20261126-235959".into());
        assert_eq!(given.apply("1.0"), "1.0-20261126-235959");
        assert_eq!(given.id(), Some("20261126-235959"));
        assert_eq!(TagSuffix::None.id(), None);
    }

    #[test]
    fn hosts() {
        assert_eq!(registry_host("127.0.0.1:5000/foo"), Some("127.0.0.1:5000"));
        assert_eq!(
            registry_host("docker-registry.wikimedia.org/ns/foo"),
            Some("docker-registry.wikimedia.org")
        );
        assert_eq!(registry_host("localhost/foo"), Some("localhost"));
        assert_eq!(registry_host("ns/foo"), None);
        assert_eq!(registry_host("foo"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(repository_path("127.0.0.1:5000/ns/foo"), "ns/foo");
        assert_eq!(repository_path("ns/foo"), "ns/foo");
    }

    #[test]
    fn local_names() {
        assert!(same_name("foo:1.0", "localhost/foo:1.0"));
        assert!(same_name("ns/foo:1.0", "localhost/ns/foo:1.0"));
        assert!(!same_name("r.org/foo:1.0", "localhost/foo:1.0"));
    }
}

//! Which registry an image name points at, by the rule every container tool follows: the first
//! `/`-separated part is a registry address when it holds a `.` or a `:`, or is `localhost`.

/// The registry address (`host` or `host:port`) of `name`, or `None` for a name without one
/// (`foo`, `ns/foo`), which lives in local storage only.
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

#[cfg(test)]
mod tests {
    use super::*;

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

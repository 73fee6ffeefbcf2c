//! A private `registries.d` (where the containers tools store and find signatures) for the
//! copies that sign and check: the configuration the tools read here, but with each scope's
//! signatures read from where they are written. Simple-signing signatures of a manifest are
//! one list, which every signed copy rewrites whole (what the source had, plus its own): read
//! from a `lookaside` URL that a later step serves, the list would come back empty and the
//! version's signature would be lost when `latest`'s is added. With sigstore, attachments are
//! turned on for the registry, where those signatures live.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use pyyaml_compat as yaml;

/// The keys of a scope: where signatures are read, and where they are written when that is
/// elsewhere (each under its current and its former name).
const READ: [&str; 2] = ["lookaside", "sigstore"];
const WRITE: [&str; 2] = ["lookaside-staging", "sigstore-staging"];
const ATTACHMENTS: &str = "use-sigstore-attachments";

/// The folder whose `*.yaml` files the containers tools read when their `HOME` is `home`:
/// the user's when it exists, else the system's (as containers/image chooses it).
pub fn ambient_dir(home: Option<&str>) -> PathBuf {
    let user = home.map(|home| PathBuf::from(home).join(".config/containers/registries.d"));
    user.filter(|dir| dir.is_dir())
        .unwrap_or_else(|| PathBuf::from("/etc/containers/registries.d"))
}

/// Writes to `target` (a new folder) the configuration of the `*.yaml` files of `source`,
/// each scope reading signatures where it writes them; with `attachments_for`, sigstore
/// attachments on for that registry and every scope below it.
pub fn write_private(
    source: &Path,
    target: &Path,
    attachments_for: Option<&str>,
) -> Result<(), String> {
    let mut config = read_dir(source)?;
    for scope in scopes(&mut config) {
        read_where_written(scope);
    }
    if let Some(registry) = attachments_for {
        turn_on_attachments(&mut config, registry);
    }
    std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    // JSON is YAML: the tools read it as they read their own files.
    let text = serde_json::to_string_pretty(&Value::Object(config)).map_err(|e| e.to_string())?;
    let path = target.join("docker-pkg.yaml");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every `*.yaml` file of `dir` (none when it does not exist), merged.
fn read_dir(dir: &Path) -> Result<Map<String, Value>, String> {
    let mut config = Map::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(config);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let cannot = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", file.display());
        let bytes = std::fs::read(&file).map_err(|e| cannot(&e))?;
        let value = yaml::load(&bytes).map_err(|e| cannot(&e))?;
        match Value::deserialize(value).map_err(|e| cannot(&e))? {
            Value::Object(top) => merge(&mut config, top),
            Value::Null => {}
            _ => return Err(cannot(&"it does not hold a mapping")),
        }
    }
    Ok(config)
}

/// `default-docker` and each scope of `docker` of one file added to `config`.
fn merge(config: &mut Map<String, Value>, file: Map<String, Value>) {
    for (key, value) in file {
        match (config.get_mut(&key), value) {
            (Some(Value::Object(known)), Value::Object(more)) if key == "docker" => {
                known.extend(more);
            }
            (_, value) => {
                config.insert(key, value);
            }
        }
    }
}

/// `default-docker` and every scope of `docker`.
fn scopes(config: &mut Map<String, Value>) -> Vec<&mut Map<String, Value>> {
    let mut found = Vec::new();
    for (key, value) in config.iter_mut() {
        match (key.as_str(), value) {
            ("default-docker", Value::Object(scope)) => found.push(scope),
            ("docker", Value::Object(scopes)) => {
                found.extend(scopes.values_mut().filter_map(Value::as_object_mut));
            }
            _ => {}
        }
    }
    found
}

fn read_where_written(scope: &mut Map<String, Value>) {
    let Some(written) = WRITE.iter().find_map(|key| scope.get(*key).cloned()) else {
        return;
    };
    for key in READ {
        scope.remove(key);
    }
    scope.insert(READ[0].to_owned(), written);
}

/// Sigstore attachments on for `registry` (a scope of its own, made from `default-docker`
/// when it has none) and for every scope below it.
fn turn_on_attachments(config: &mut Map<String, Value>, registry: &str) {
    let default = config
        .get("default-docker")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let docker = config
        .entry("docker")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(docker) = docker else {
        return;
    };
    docker.entry(registry).or_insert(default);
    for (scope, settings) in docker.iter_mut() {
        let below = scope
            .strip_prefix(registry)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if let (true, Some(settings)) = (below, settings.as_object_mut()) {
            settings.insert(ATTACHMENTS.to_owned(), Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(files: &[(&str, &str)], attachments_for: Option<&str>) -> Value {
        let source = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(source.path().join(name), text).unwrap();
        }
        let target = tempfile::tempdir().unwrap();
        let private = target.path().join("registries.d");
        write_private(source.path(), &private, attachments_for).unwrap();
        let text = std::fs::read_to_string(private.join("docker-pkg.yaml")).unwrap();
        // What the tools read: the file is YAML as well as JSON.
        let value = yaml::load(text.as_bytes()).unwrap();
        Value::deserialize(value).unwrap()
    }

    #[test]
    fn signatures_are_read_where_they_are_written() {
        let config = written(
            &[
                (
                    "default.yaml",
                    "default-docker:\n  lookaside-staging: file:///var/lib/containers/sigstore\n",
                ),
                (
                    "r.yaml",
                    "docker:\n  r.org:5000:\n    lookaside: https://sigs.r.org\n    \
                     sigstore-staging: file:///srv/sigs\n  other.org:\n    \
                     lookaside: https://other.org/sigs\n",
                ),
                ("ignored.yml", "not: [read"),
            ],
            None,
        );
        assert_eq!(
            config,
            serde_json::json!({
                "default-docker": {
                    "lookaside-staging": "file:///var/lib/containers/sigstore",
                    "lookaside": "file:///var/lib/containers/sigstore"
                },
                "docker": {
                    "r.org:5000": {
                        "sigstore-staging": "file:///srv/sigs",
                        "lookaside": "file:///srv/sigs"
                    },
                    "other.org": {"lookaside": "https://other.org/sigs"}
                }
            })
        );
    }

    #[test]
    fn attachments_for_the_registry_and_below() {
        let config = written(
            &[(
                "a.yaml",
                "default-docker:\n  lookaside: file:///sigs\ndocker:\n  r.org/team:\n    \
                 lookaside: file:///team\n  r.organic:\n    lookaside: file:///x\n",
            )],
            Some("r.org"),
        );
        assert_eq!(
            config["docker"],
            serde_json::json!({
                "r.org/team": {"lookaside": "file:///team", "use-sigstore-attachments": true},
                "r.organic": {"lookaside": "file:///x"},
                "r.org": {"lookaside": "file:///sigs", "use-sigstore-attachments": true}
            })
        );
        let nothing = written(&[], Some("r.org"));
        assert_eq!(
            nothing,
            serde_json::json!({"docker": {"r.org": {"use-sigstore-attachments": true}}})
        );
    }
}

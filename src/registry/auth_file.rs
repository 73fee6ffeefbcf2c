//! Registry logins in the format buildah, podman, skopeo and the docker CLI share:
//! `{"auths": {"HOST": {"auth": base64("USER:PASSWORD")}}}`.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::registry::credentials::{Credentials, Secret};

/// The logins of one auth file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuthEntry {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    auth: String,
}

impl AuthFile {
    /// A file holding one login.
    pub fn single(host: &str, credentials: &Credentials) -> AuthFile {
        let entry = AuthEntry {
            auth: credentials.basic_token(),
        };
        AuthFile {
            auths: BTreeMap::from([(host.to_owned(), entry)]),
        }
    }

    /// Reads `path`; `None` when there is no such file.
    pub fn read(path: &Path) -> Result<Option<AuthFile>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| unreadable(&e))
    }

    /// Writes the file readable by its owner only: it holds passwords.
    pub fn write_private(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(&text)
    }

    /// The login for `name` (`HOST/PATH`): the entry of the longest key that is `name` or a
    /// prefix of it ending at a `/`, as containers/image picks. Legacy keys
    /// (`https://HOST/v1/`) count for their host.
    pub fn credentials_for(&self, name: &str) -> Option<Result<Credentials, String>> {
        self.auths
            .iter()
            .filter(|(_, entry)| !entry.auth.is_empty())
            .map(|(key, entry)| (normalised_key(key), entry))
            .filter(|(key, _)| {
                name == *key || name.strip_prefix(*key).is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(key, entry)| decode(key, &entry.auth))
    }
}

/// The key without a scheme; a key with a scheme is a docker legacy one, and counts for its
/// host only.
fn normalised_key(key: &str) -> &str {
    match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => key.trim_end_matches('/'),
    }
}

/// What is wrong with an auth file, without serde's words: they may quote a value, and the
/// values of an auth file are passwords.
fn unreadable(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io | Category::Eof => "it ends too early",
        Category::Syntax => "it is not JSON",
        Category::Data => {
            "it is JSON but not an auth file ({\"auths\": {HOST: {\"auth\": BASE64}}})"
        }
    };
    format!("{what}, at line {} column {}", error.line(), error.column())
}

fn decode(key: &str, auth: &str) -> Result<Credentials, String> {
    let bad = || format!("the login for {key} is not base64 of USER:PASSWORD");
    let bytes = STANDARD.decode(auth.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (username, password) = text.split_once(':').ok_or_else(bad)?;
    Ok(Credentials {
        username: username.to_owned(),
        password: Secret::new(password),
    })
}

/// Where the container tools look for logins when none is given, in their order:
/// `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json` (without it,
/// `/run/containers/UID/auth.json`), `~/.config/containers/auth.json`, `~/.docker/config.json`.
pub fn ambient_auth_files() -> Vec<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut files = Vec::new();
    files.extend(env("REGISTRY_AUTH_FILE"));
    match env("XDG_RUNTIME_DIR") {
        Some(dir) => files.push(dir.join("containers/auth.json")),
        None => files.extend(
            current_uid().map(|uid| PathBuf::from(format!("/run/containers/{uid}/auth.json"))),
        ),
    }
    if let Some(home) = env("HOME") {
        files.push(home.join(".config/containers/auth.json"));
        files.push(home.join(".docker/config.json"));
    }
    files
}

/// The uid this process runs as (not the owner of `/proc/self`, which is root's once the
/// process is not dumpable).
fn current_uid() -> Option<u32> {
    Some(rustix::process::getuid().as_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(json: &str) -> AuthFile {
        serde_json::from_str(json).unwrap()
    }

    fn user_of(file: &AuthFile, name: &str) -> Option<String> {
        file.credentials_for(name).map(|c| c.unwrap().username)
    }

    #[test]
    fn round_trip() {
        let credentials = Credentials {
            username: "u".into(),
            password: Secret::new("p:w"),
        };
        let text = serde_json::to_string(&AuthFile::single("r.org:5000", &credentials)).unwrap();
        assert_eq!(text, r#"{"auths":{"r.org:5000":{"auth":"dTpwOnc="}}}"#);
        let found = file(&text)
            .credentials_for("r.org:5000/ns/foo")
            .unwrap()
            .unwrap();
        assert_eq!(found, credentials);
    }

    #[test]
    fn most_specific_key_wins() {
        let f = file(
            r#"{"auths": {
                "r.org": {"auth": "aG9zdDpw"},
                "r.org/ns": {"auth": "bnM6cA=="},
                "https://legacy.org/v1/": {"auth": "bGVnYWN5OnA="},
                "other.org": {}
            }}"#,
        );
        assert_eq!(user_of(&f, "r.org/foo").as_deref(), Some("host"));
        assert_eq!(user_of(&f, "r.org/ns/foo").as_deref(), Some("ns"));
        assert_eq!(user_of(&f, "r.org/nsx/foo").as_deref(), Some("host"));
        assert_eq!(user_of(&f, "legacy.org/foo").as_deref(), Some("legacy"));
        assert_eq!(user_of(&f, "other.org/foo"), None);
        assert_eq!(user_of(&f, "r.orgx/foo"), None);
    }

    #[test]
    fn a_bad_file_is_described_without_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        for text in [
            r#"{"auths": {"r.org": {"auth": 123456789}}}"#,
            r#"{"auths": {"r.org": "s3cr3t-value"}}"#,
            r#"{"auths": {"r.org": {"auth": "s3cr3t-value"#,
        ] {
            std::fs::write(&path, text).unwrap();
            let error = AuthFile::read(&path).unwrap_err();
            assert!(error.contains("line 1 column"), "{error}");
            assert!(
                !error.contains("123456789") && !error.contains("s3cr3t"),
                "{error}"
            );
        }
    }

    #[test]
    fn bad_logins_are_errors() {
        let f = file(r#"{"auths": {"r.org": {"auth": "bm9jb2xvbg=="}}}"#);
        let err = f.credentials_for("r.org/foo").unwrap().unwrap_err();
        assert!(err.contains("r.org"), "{err}");
    }
}

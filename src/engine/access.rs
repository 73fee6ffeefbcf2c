//! The files through which the tools reach registries: a private auth file for the configured
//! credentials (so that no password is ever on a command line) and a private cert dir holding
//! the configured CA bundle. Both live in a temporary directory, readable by its owner only,
//! removed when the engine goes.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::engine::EngineError;
use crate::engine::transient::is_transient;
use crate::label::registry_host;
use crate::process::run_dir;
use crate::registry::RegistrySettings;
use crate::registry::auth_file::AuthFile;
use crate::registry::retry::{Failure, RetryPolicy};
use crate::terminal::interrupt::SecretDir;

/// The name docker wants for its client configuration inside `--config DIR`; the containers
/// tools read the same format from any path.
const AUTH_FILE_NAME: &str = "config.json";

/// Registry access for the tools of one engine.
#[derive(Debug)]
pub struct RegistryAccess {
    /// Holds the files below; removed on drop.
    _dir: Option<TempDir>,
    /// Removes the folder at once should the run end at once; declared after it, so that
    /// the folder is gone before it is no longer registered.
    _secret: Option<SecretDir>,
    auth_file: Option<PathBuf>,
    cert_dir: Option<PathBuf>,
    insecure_registries: Vec<String>,
    retry: RetryPolicy,
}

impl RegistryAccess {
    /// Writes the auth file when credentials are configured and the cert dir when a CA
    /// bundle is; with neither, nothing is written and the ambient login applies.
    pub fn prepare(settings: &RegistrySettings) -> Result<RegistryAccess, EngineError> {
        let login = settings.configured_login();
        let dir = match (login.is_some(), &settings.ca_bundle) {
            (false, None) => None,
            _ => Some(private_dir()?),
        };
        let root = dir.as_ref().map(TempDir::path);
        let auth_file = match (root, login) {
            (Some(root), Some((host, credentials))) => {
                let path = root.join(AUTH_FILE_NAME);
                AuthFile::single(host, credentials)
                    .write_private(&path)
                    .map_err(|source| setup("the registry auth file", source))?;
                Some(path)
            }
            _ => None,
        };
        let cert_dir = match (root, &settings.ca_bundle) {
            (Some(root), Some(bundle)) => Some(cert_dir(root, bundle)?),
            _ => None,
        };
        let secret = root.map(SecretDir::register);
        Ok(RegistryAccess {
            _dir: dir,
            _secret: secret,
            auth_file,
            cert_dir,
            insecure_registries: settings.insecure_registries.clone(),
            retry: settings.retry.clone(),
        })
    }

    /// The auth file holding the configured credentials, if any.
    pub fn auth_file(&self) -> Option<&Path> {
        self.auth_file.as_deref()
    }

    /// The directory holding the CA bundle as `ca.crt`, if one is configured.
    pub fn cert_dir(&self) -> Option<&Path> {
        self.cert_dir.as_deref()
    }

    /// Runs a push or a pull, again while it fails for a reason that may pass (see
    /// [`is_transient`]), waiting longer each time.
    pub fn transfer<T>(
        &self,
        mut run: impl FnMut() -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.retry
            .run_blocking(|| {
                run().map_err(|error| match is_transient(&error) {
                    true => Failure::transient(error),
                    false => Failure::permanent(error),
                })
            })
            .map_err(|gave_up| match gave_up.tries {
                1 => gave_up.error,
                tries => EngineError::Retried {
                    tries,
                    last: Box::new(gave_up.error),
                },
            })
    }

    /// Whether the configuration turns TLS verification off for the registry of `reference`.
    pub fn is_insecure(&self, reference: &str) -> bool {
        registry_host(reference)
            .is_some_and(|host| self.insecure_registries.iter().any(|h| h == host))
    }
}

fn private_dir() -> Result<TempDir, EngineError> {
    run_dir::tempdir("docker-pkg-registry-")
        .map_err(|source| setup("a private directory for registry access", source))
}

/// `ROOT/certs/ca.crt`, a copy of `bundle`: the tools read every `*.crt` of a cert dir.
fn cert_dir(root: &Path, bundle: &Path) -> Result<PathBuf, EngineError> {
    let dir = root.join("certs");
    let what = || format!("a cert dir for the CA bundle {}", bundle.display());
    std::fs::create_dir(&dir).map_err(|source| setup(&what(), source))?;
    std::fs::copy(bundle, dir.join("ca.crt")).map_err(|source| setup(&what(), source))?;
    Ok(dir)
}

fn setup(what: &str, source: std::io::Error) -> EngineError {
    EngineError::Setup {
        what: what.to_owned(),
        source,
    }
}

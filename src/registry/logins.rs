//! Which login the published check presents to a registry: the configured credentials for the
//! configured registry, else the ambient login the container tools would use.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::label::registry_host;
use crate::registry::RegistryError;
use crate::registry::auth_file::AuthFile;
use crate::registry::credentials::Credentials;
use crate::registry::settings::RegistrySettings;

/// The logins of a run; the auth files are read once, when a registry first asks.
#[derive(Debug)]
pub struct Logins {
    configured: Option<(String, Credentials)>,
    files: Vec<PathBuf>,
    loaded: OnceLock<Result<Vec<AuthFile>, RegistryError>>,
}

impl Logins {
    pub fn new(settings: &RegistrySettings) -> Logins {
        Logins {
            configured: settings
                .configured_login()
                .map(|(host, credentials)| (host.to_owned(), credentials.clone())),
            files: settings.ambient_auth_files.clone(),
            loaded: OnceLock::new(),
        }
    }

    /// The login for the image `name` (`HOST/PATH`), if any.
    pub fn for_name(&self, name: &str) -> Result<Option<Credentials>, RegistryError> {
        if let Some((host, credentials)) = &self.configured
            && registry_host(name) == Some(host.as_str())
        {
            return Ok(Some(credentials.clone()));
        }
        let files = self.loaded.get_or_init(|| self.read_files()).as_ref();
        let files = files.map_err(Clone::clone)?;
        for (file, path) in files.iter().zip(&self.files) {
            if let Some(found) = file.credentials_for(name) {
                return found.map(Some).map_err(|message| RegistryError::AuthFile {
                    path: path.clone(),
                    message,
                });
            }
        }
        Ok(None)
    }

    /// Every auth file, an absent one as an empty one so that files and paths stay in step.
    fn read_files(&self) -> Result<Vec<AuthFile>, RegistryError> {
        self.files
            .iter()
            .map(|path| {
                AuthFile::read(path)
                    .map(Option::unwrap_or_default)
                    .map_err(|message| RegistryError::AuthFile {
                        path: path.clone(),
                        message,
                    })
            })
            .collect()
    }
}

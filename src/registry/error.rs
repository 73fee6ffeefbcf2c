//! Why the published check could not tell whether an image is in its registry.

use std::path::PathBuf;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot reach registry {registry}: {message}")]
    Unreachable { registry: String, message: String },
    #[error(
        "registry {registry}: TLS certificate verification failed ({message}); set ca_bundle to \
         the CA that signed its certificate"
    )]
    Certificate { registry: String, message: String },
    #[error("registry {registry} refused the credentials: {message}")]
    Credentials { registry: String, message: String },
    #[error(
        "registry {registry} asks for credentials and none are set (config username and \
         password, or a login with `buildah login`)"
    )]
    LoginRequired { registry: String },
    #[error("registry {registry} answered {status} for {reference}")]
    Unexpected {
        registry: String,
        reference: String,
        status: u16,
    },
    #[error("cannot read the CA bundle {path}: {message}")]
    CaBundle { path: PathBuf, message: String },
    #[error("cannot read the auth file {path}: {message}")]
    AuthFile { path: PathBuf, message: String },
    #[error("{reference} names no registry")]
    NoRegistry { reference: String },
    #[error("cannot start the registry client: {0}")]
    Client(String),
}

impl RegistryError {
    /// Whether the error comes from the configuration or the environment (credentials, trust,
    /// auth files) rather than from one answer: every image would meet it alike.
    pub fn is_configuration(&self) -> bool {
        !matches!(
            self,
            RegistryError::Unreachable { .. }
                | RegistryError::Unexpected { .. }
                | RegistryError::NoRegistry { .. }
        )
    }
}

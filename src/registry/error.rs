//! Why the published check, or the tagging after a push, could not do what it asked of a
//! registry.

use std::path::PathBuf;

use crate::registry::retry::tries_text;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// No answer: the connection failed, was cut, or timed out, on every try.
    #[error("cannot reach registry {registry}: {request} failed ({}): {message}", tries_text(*tries))]
    Unreachable {
        registry: String,
        request: String,
        message: String,
        tries: u32,
    },
    /// An answer that is not the one the request needs (after every try, for 429 and 5xx).
    #[error("registry {registry} answered {status} to {request} ({})", tries_text(*tries))]
    Unexpected {
        registry: String,
        request: String,
        status: String,
        tries: u32,
    },
    /// An answer that cannot be used.
    #[error("registry {registry} sent {message} in answer to {request}")]
    BadAnswer {
        registry: String,
        request: String,
        message: String,
    },
    #[error("registry {registry}: TLS certificate verification failed: {message}")]
    Certificate { registry: String, message: String },
    #[error(
        "registry {registry}: TLS certificate verification failed: its certificate is issued \
         by {issuer}, a CA trusted neither by the system store nor by ca_bundle nor by a \
         certs.d directory; trust it with ca_bundle, as a .crt file in {}, or in the system \
         store (update-ca-certificates)",
        certs_d.display()
    )]
    UntrustedCertificate {
        registry: String,
        /// The issuer's distinguished name, as `CN=…,O=…`.
        issuer: String,
        /// The certs.d directory the container tools would read for this registry.
        certs_d: PathBuf,
    },
    #[error("registry {registry} refused the credentials: {message}")]
    Credentials { registry: String, message: String },
    #[error(
        "registry {registry} asks for credentials and none are set (config username and \
         password, or a login with `buildah login`)"
    )]
    LoginRequired { registry: String },
    #[error("cannot read the CA certificates {path}: {message}")]
    CaFile { path: PathBuf, message: String },
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
                | RegistryError::BadAnswer { .. }
                | RegistryError::NoRegistry { .. }
        )
    }
}

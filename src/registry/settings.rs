//! How to reach the registries: the logins and the TLS trust of a run.

use std::path::PathBuf;

use crate::credentials::Credentials;

/// The registry access of a run, shared by the engine and the published check.
#[derive(Debug, Clone, Default)]
pub struct RegistrySettings {
    /// The configured registry address (`host` or `host:port`); the credentials are for it.
    pub registry: Option<String>,
    /// Config `username`/`password`; without them the ambient logins apply.
    pub credentials: Option<Credentials>,
    /// Config `ca_bundle`: a CA file trusted, beside the system's, for registry TLS.
    pub ca_bundle: Option<PathBuf>,
    /// Config `insecure_registries`: the only addresses whose certificates go unchecked.
    pub insecure_registries: Vec<String>,
    /// The auth files searched for an ambient login, in order.
    pub ambient_auth_files: Vec<PathBuf>,
}

impl RegistrySettings {
    /// Whether TLS verification is off for `host`, because the configuration says so.
    pub fn is_insecure(&self, host: &str) -> bool {
        self.insecure_registries.iter().any(|h| h == host)
    }

    /// The configured credentials with the address they are for, when there are both.
    pub fn configured_login(&self) -> Option<(&str, &Credentials)> {
        Some((self.registry.as_deref()?, self.credentials.as_ref()?))
    }
}

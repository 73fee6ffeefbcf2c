//! How to reach the registries: the logins, the TLS trust and the patience of a run.

use std::path::PathBuf;
use std::time::Duration;

use crate::registry::credentials::Credentials;
use crate::registry::retry::RetryPolicy;
use crate::registry::trust::TrustSources;

/// How long one request to a registry may take, its answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The registry access of a run, shared by the engine and the published check.
#[derive(Debug, Clone)]
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
    /// Where the certificates the container tools trust are found, beside `ca_bundle`.
    pub trust: TrustSources,
    /// How each request to a registry is tried again when it fails for a moment.
    pub retry: RetryPolicy,
    /// How long one try of a request may take before it counts as failed.
    pub request_timeout: Duration,
}

impl Default for RegistrySettings {
    /// No registry, no login and no trust beyond what is set: nothing of the environment.
    fn default() -> RegistrySettings {
        RegistrySettings {
            registry: None,
            credentials: None,
            ca_bundle: None,
            insecure_registries: Vec::new(),
            ambient_auth_files: Vec::new(),
            trust: TrustSources::default(),
            retry: RetryPolicy::default(),
            request_timeout: REQUEST_TIMEOUT,
        }
    }
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

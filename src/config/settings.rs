//! What the engine and the registry client are made from, read from the configuration and
//! from the environment in this one place, so that neither of them knows `Config`.

use std::path::PathBuf;

use crate::config::Config;
use crate::engine::{self, EngineError, EngineSettings};
use crate::label::registry_host;
use crate::registry::auth_file::ambient_auth_files;
use crate::registry::{RegistrySettings, TrustSources};

/// The environment variable that names the engine's binary, over config `engine_path`.
pub const ENGINE_PATH_VARIABLE: &str = "DOCKER_PKG_ENGINE_PATH";

/// The engine `config` chooses; `$DOCKER_PKG_ENGINE_PATH`, when set, names its binary.
pub fn engine_settings(config: &Config) -> EngineSettings {
    let from_env = std::env::var_os(ENGINE_PATH_VARIABLE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    EngineSettings {
        kind: config.engine,
        program: from_env.or_else(|| config.engine_path.clone()),
        registry: registry_settings(config),
        extra_env: Vec::new(),
        signing: None,
    }
}

/// The engine of a run that publishes: it signs what it pushes when the configuration says
/// so, and a way of signing the engine cannot do is refused now, before anything runs.
pub fn publishing_engine_settings(config: &Config) -> Result<EngineSettings, EngineError> {
    engine::check_signing(config.engine, config.signing.as_ref())?;
    Ok(EngineSettings {
        signing: config.signing.clone(),
        ..engine_settings(config)
    })
}

/// The registry access `config` gives, with the ambient auth files and trusted certificates
/// of this environment.
pub fn registry_settings(config: &Config) -> RegistrySettings {
    RegistrySettings {
        registry: registry_host(&format!("{}/", config.repository.registry)).map(str::to_owned),
        credentials: config.credentials.clone(),
        ca_bundle: config.ca_bundle.clone(),
        insecure_registries: config.insecure_registries.clone(),
        ambient_auth_files: ambient_auth_files(),
        trust: TrustSources::ambient(),
        ..RegistrySettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::engine_kind::EngineKind;

    #[test]
    fn from_configuration() {
        let mut values = crate::config::defaults();
        let yaml = "engine: podman\nengine_path: /opt/podman\nregistry: 127.0.0.1:5000\n\
                    username: u\npassword: p\nca_bundle: /etc/ca.pem\n\
                    insecure_registries: [insecure.org:5000]";
        let mapping = pyyaml_compat::load(yaml.as_bytes()).unwrap().into_mapping();
        values.extend(mapping.unwrap());
        let settings = engine_settings(&Config::from_values(values).unwrap());
        assert_eq!(settings.kind, EngineKind::Podman);
        if std::env::var_os(ENGINE_PATH_VARIABLE).is_none() {
            assert_eq!(settings.program, Some(PathBuf::from("/opt/podman")));
        }
        let registry = &settings.registry;
        assert_eq!(registry.registry.as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(
            registry
                .configured_login()
                .map(|(_, c)| c.username.as_str()),
            Some("u")
        );
        assert_eq!(registry.ca_bundle, Some(PathBuf::from("/etc/ca.pem")));
        assert!(registry.is_insecure("insecure.org:5000") && !registry.is_insecure("r.org"));
        assert!(settings.extra_env.is_empty());
    }
}

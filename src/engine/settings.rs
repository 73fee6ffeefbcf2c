//! What an engine is made from: which tool, where its binary is, how it reaches registries,
//! and what its children's environment adds.

use std::path::PathBuf;

use crate::config::Config;
use crate::engine::EngineKind;
use crate::registry::RegistrySettings;

/// The environment variable that names the tool's binary, over config `engine_path`.
pub const ENGINE_PATH_VARIABLE: &str = "DOCKER_PKG_ENGINE_PATH";

#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    pub kind: EngineKind,
    /// The tool's binary, when not the one found on `PATH`.
    pub program: Option<PathBuf>,
    pub registry: RegistrySettings,
    /// Added to the environment of every process the engine starts (a private storage's
    /// `CONTAINERS_STORAGE_CONF`, say), without touching this process's own.
    pub extra_env: Vec<(String, String)>,
}

impl EngineSettings {
    /// The settings of `config`; `$DOCKER_PKG_ENGINE_PATH`, when set, names the binary.
    pub fn from_config(config: &Config) -> EngineSettings {
        let from_env = std::env::var_os(ENGINE_PATH_VARIABLE)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        EngineSettings {
            kind: config.engine,
            program: from_env.or_else(|| config.engine_path.clone()),
            registry: RegistrySettings::from_config(config),
            extra_env: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_configuration() {
        let mut values = crate::config::defaults();
        let yaml = "engine: podman\nengine_path: /opt/podman\nregistry: 127.0.0.1:5000\n\
                    username: u\npassword: p\nca_bundle: /etc/ca.pem\n\
                    insecure_registries: [insecure.org:5000]";
        values.extend(serde_yaml::from_str::<serde_yaml::Mapping>(yaml).unwrap());
        let settings = EngineSettings::from_config(&Config::from_values(values).unwrap());
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

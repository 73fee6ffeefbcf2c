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

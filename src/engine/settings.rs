//! What an engine is made from: which tool, where its binary is, how it reaches registries,
//! and what its children's environment adds.

use std::path::PathBuf;

use crate::engine::engine_kind::EngineKind;
use crate::engine::signing::Signing;
use crate::registry::RegistrySettings;

#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    pub kind: EngineKind,
    /// The tool's binary, when not the one found on `PATH`.
    pub program: Option<PathBuf>,
    pub registry: RegistrySettings,
    /// Added to the environment of every process the engine starts (a private storage's
    /// `CONTAINERS_STORAGE_CONF`, say), without touching this process's own.
    pub extra_env: Vec<(String, String)>,
    /// How pushed images are signed; `None` pushes them unsigned.
    pub signing: Option<Signing>,
}

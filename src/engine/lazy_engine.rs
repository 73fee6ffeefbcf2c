//! An engine connected on first use: a build with nothing to do needs none.

use std::sync::OnceLock;

use crate::engine::{Engine, EngineError, EngineSettings, connect};

pub struct LazyEngine {
    settings: EngineSettings,
    engine: OnceLock<Box<dyn Engine>>,
}

impl LazyEngine {
    pub fn new(settings: EngineSettings) -> LazyEngine {
        LazyEngine {
            settings,
            engine: OnceLock::new(),
        }
    }

    /// The engine, connected the first time it is asked for.
    pub fn get(&self) -> Result<&dyn Engine, EngineError> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine.as_ref());
        }
        let engine = connect(self.settings.clone())?;
        Ok(self.engine.get_or_init(|| engine).as_ref())
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }
}

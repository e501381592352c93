//! Settings from the engine: its config store (`wasi:config/store`, where
//! Spin serves its variables and `wasmtime serve -S config` its
//! `config-var`s), else the environment (`wasi:cli/environment`). Each is
//! read once per request, whole.

use std::collections::HashMap;

use crate::bindings::config_store as store;
use crate::log;
use crate::settings::{Setting, Source};

/// The engine's settings, as they were when the request arrived.
pub struct EngineSettings {
    config: HashMap<String, String>,
    environment: HashMap<String, String>,
}

impl EngineSettings {
    /// Reads the config store and the environment.
    pub fn read() -> Self {
        let config = store::get_all().unwrap_or_else(|e| {
            let (store::Error::Upstream(message) | store::Error::Io(message)) = e;
            log::once("config-store", || {
                format!("cannot read the config store ({message}); using the environment")
            });
            Vec::new()
        });
        Self {
            config: config.into_iter().collect(),
            environment: std::env::vars().collect(),
        }
    }
}

impl Source for EngineSettings {
    fn get(&self, setting: Setting) -> Option<String> {
        // A value in the config store wins, a blank one too: it unsets the
        // setting rather than falling back to the environment.
        self.config
            .get(&setting.config_key())
            .or_else(|| self.environment.get(setting.env))
            .cloned()
    }
}

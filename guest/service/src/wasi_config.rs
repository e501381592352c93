//! Settings from the engine: its config store (`wasi:config/store`, where
//! Spin serves its variables and `wasmtime serve -S config` its
//! `config-var`s), else the environment (`wasi:cli/environment`).

use crate::engine::config_store as store;
use crate::settings::{Setting, Source};
use crate::warn;

/// The engine's settings.
pub struct EngineSettings;

impl Source for EngineSettings {
    fn get(&self, setting: Setting) -> Option<String> {
        let key = setting.config_key();
        match store::get(&key) {
            Ok(Some(value)) if !value.trim().is_empty() => return Some(value),
            Ok(_) => {}
            Err(store::Error::Upstream(message) | store::Error::Io(message)) => warn(&format!(
                "cannot read {key} from the config store ({message}); using {setting} from the environment"
            )),
        }
        std::env::var(setting.env).ok()
    }
}

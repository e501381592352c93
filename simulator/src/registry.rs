//! The published journeys, looked up by resource id (`<id>@<version>` or `<id>@latest`)
//! or by scenario name.

use std::sync::Arc;

use crate::config::JourneyConfig;

/// The published journeys.
#[derive(Debug)]
pub struct Registry {
    journeys: Vec<Arc<JourneyConfig>>,
    default: Arc<JourneyConfig>,
}

impl Registry {
    /// Publishes `journeys`; `default` names the default one. `None` if it is not among them.
    pub fn new(journeys: &[JourneyConfig], default: &str) -> Option<Registry> {
        let journeys: Vec<Arc<JourneyConfig>> = journeys.iter().cloned().map(Arc::new).collect();
        let default = journeys.iter().find(|j| j.name == default)?.clone();
        Some(Registry { journeys, default })
    }

    /// The journey a `resourceId` names: `<resource id>@<its version>` or
    /// `<resource id>@latest`; anything else is unknown.
    pub fn resolve(&self, resource_id: &str) -> Option<Arc<JourneyConfig>> {
        let (id, version) = resource_id.rsplit_once('@')?;
        self.journeys
            .iter()
            .find(|j| j.resource_id == id && (version == "latest" || version == j.version))
            .cloned()
    }

    /// The journey of scenario `name`.
    pub fn by_name(&self, name: &str) -> Option<&JourneyConfig> {
        self.journeys
            .iter()
            .map(AsRef::as_ref)
            .find(|j| j.name == name)
    }

    /// The default journey.
    pub fn default_journey(&self) -> &JourneyConfig {
        &self.default
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::demo_journeys;

    #[test]
    fn resolves_pinned_and_latest_versions_only() {
        let registry = Registry::new(&demo_journeys(), "accept").unwrap();
        let accept = registry.by_name("accept").unwrap();
        let id = &accept.resource_id;
        assert_eq!(
            registry.resolve(&accept.pinned_resource_id()).unwrap().name,
            "accept"
        );
        assert_eq!(
            registry.resolve(&format!("{id}@latest")).unwrap().name,
            "accept"
        );
        assert!(registry.resolve(&format!("{id}@wrong")).is_none());
        assert!(registry.resolve(id).is_none());
        assert!(Registry::new(&demo_journeys(), "nope").is_none());
    }
}

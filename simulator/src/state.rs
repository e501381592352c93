//! What every handler shares: the configuration in force, the published journeys, the
//! live instances, the issued tokens, the fault knobs and the request log.

use crate::config::{Credentials, InteractionAuth, NotReadyAnswer, Outstanding, SimulatorConfig};
use crate::errors::ApiError;
use crate::faults::FaultHandle;
use crate::instances::{Instance, InstanceStore};
use crate::registry::Registry;
use crate::request_log::RequestLog;
use crate::tokens::TokenStore;

/// Everything the handlers share.
pub struct AppState {
    /// The accepted credentials.
    pub credentials: Credentials,
    /// Which tokens interaction calls accept.
    pub interaction_auth: InteractionAuth,
    /// What an interaction fetch answers while no interaction is ready.
    pub not_ready_answer: NotReadyAnswer,
    /// Whether `outstanding` shrinks.
    pub outstanding: Outstanding,
    /// The published journeys.
    pub registry: Registry,
    /// The live instances.
    pub instances: InstanceStore,
    /// The issued tokens.
    pub tokens: TokenStore,
    /// The fault knobs.
    pub faults: FaultHandle,
    /// The received requests.
    pub log: RequestLog,
}

impl AppState {
    /// The state of a fresh simulator of `config` publishing `registry`: no instances,
    /// no tokens, an empty request log.
    pub fn new(config: SimulatorConfig, registry: Registry) -> AppState {
        AppState {
            credentials: config.credentials,
            interaction_auth: config.interaction_auth,
            not_ready_answer: config.not_ready_answer,
            outstanding: config.outstanding,
            registry,
            instances: InstanceStore::default(),
            tokens: TokenStore::default(),
            faults: FaultHandle::new(config.faults),
            log: RequestLog::default(),
        }
    }

    /// Runs `action` on instance `id`; 404 `NOT_FOUND` when it is unknown, deleted or
    /// older than the retention TTL in force.
    pub fn with_instance<R>(
        &self,
        id: &str,
        action: impl FnOnce(&mut Instance) -> R,
    ) -> Result<R, ApiError> {
        self.instances
            .with(id, self.faults.instance_ttl(), action)
            .ok_or_else(|| ApiError::instance_not_found(id))
    }

    /// Forgets instance `id`; 404 `NOT_FOUND` as for [`AppState::with_instance`].
    pub fn remove_instance(&self, id: &str) -> Result<(), ApiError> {
        if self.instances.remove(id, self.faults.instance_ttl()) {
            Ok(())
        } else {
            Err(ApiError::instance_not_found(id))
        }
    }
}

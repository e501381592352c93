//! What the service uses of the engine that runs it: an HTTP client, time
//! and randomness, stores, and a place to keep a session for the
//! instance's next request. The WASI engine implements it for the
//! component; the tests implement it over the protocol core's fakes.

use gbg_go_core::http::{Clock, Transport};
use gbg_go_core::session::Session;
use gbg_go_core::types::ClientConfig;

use crate::settings::StoreChoice;
use crate::stores::Store;

/// The engine's services.
pub trait Engine {
    /// The HTTP client for GBG GO and the event receiver.
    type Transport: Transport;
    /// Time and randomness.
    type Clock: Clock;

    /// An HTTP client.
    fn transport(&self) -> Self::Transport;
    /// The clock.
    fn clock(&self) -> Self::Clock;
    /// The store `choice` names.
    fn store(&self, choice: &StoreChoice) -> Box<dyn Store>;

    /// The session this instance kept from an earlier request with the
    /// same client configuration and store, if any: an engine that serves
    /// several requests with one instance saves loading the token again.
    fn kept_session(
        &self,
        _client: &ClientConfig,
        _store: &StoreChoice,
    ) -> Option<Session<Self::Transport, Self::Clock>> {
        None
    }

    /// Keeps `kept` for this instance's next request; by default, not.
    fn keep_session(&self, _kept: Kept<Self::Transport, Self::Clock>) {}
}

/// A session with what it was opened for.
pub struct Kept<T: Transport, C: Clock> {
    /// The client configuration.
    pub client: ClientConfig,
    /// The store its tokens are shared through.
    pub store: StoreChoice,
    /// The session.
    pub session: Session<T, C>,
}

impl<T: Transport, C: Clock> Kept<T, C> {
    /// The session, if it was opened for `client` and `store`.
    pub fn for_settings(self, client: &ClientConfig, store: &StoreChoice) -> Option<Session<T, C>> {
        (self.client == *client && self.store == *store).then_some(self.session)
    }
}

//! What the service uses of the engine that runs it: an HTTP client, time
//! and randomness, and stores. The WASI engine implements it for the
//! component; the tests implement it over the protocol core's fakes.

use gbg_go_core::http::{Clock, Transport};

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
}

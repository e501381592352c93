//! The GBG GO v2 client as a WebAssembly component.
//!
//! The protocol (configuration, tokens, journeys, interactions, error
//! classification and retries) is plain Rust in the modules below and is
//! tested on the native target against a scripted transport. Only
//! [`wasi_transport`] and [`wasi_clock`] touch WASI; they and the export glue
//! are compiled for `wasm32` alone.

wit_bindgen::generate!({
    world: "gbg-go",
    path: "../wit",
    additional_derives: [PartialEq],
});

/// The contract's shared types (the world exports `gbg:go/types`).
pub use exports::gbg::go::types;

pub mod client;
pub mod config;
pub mod errors;
pub mod http;
pub mod interaction;
pub mod journey;
pub mod json;
pub mod retry;
pub mod secret;
pub mod token;
pub mod validate;
#[cfg(target_arch = "wasm32")]
pub mod wasi_clock;
#[cfg(target_arch = "wasm32")]
pub mod wasi_transport;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
mod component {
    //! The exported `client` resource, delegating to [`crate::client::Client`].

    use std::cell::RefCell;

    use crate::client::Client;
    use crate::export;
    use crate::exports::gbg::go::client::{Client as ClientHandle, Guest, GuestClient};
    use crate::types::{
        ClientConfig, Error, InteractionStep, JourneyState, StartRequest, StartedJourney,
        Submission, TokenInfo, WaitOptions,
    };
    use crate::wasi_clock::WasiClock;
    use crate::wasi_transport::WasiTransport;

    /// The component's export implementation.
    struct Component;

    /// One `client` resource: the protocol client behind a `RefCell`, because
    /// the exported methods take `&self` while the client caches tokens.
    struct Resource(RefCell<Client<WasiTransport, WasiClock>>);

    impl Guest for Component {
        type Client = Resource;
    }

    impl Resource {
        /// Runs `f` on the client. Calls cannot re-enter a component
        /// instance, so the client is never borrowed twice; should that ever
        /// happen, it is reported as an error rather than a trap.
        fn with<R>(
            &self,
            f: impl FnOnce(&mut Client<WasiTransport, WasiClock>) -> Result<R, Error>,
        ) -> Result<R, Error> {
            match self.0.try_borrow_mut() {
                Ok(mut client) => f(&mut client),
                Err(_) => Err(crate::errors::invalid_input(
                    "client",
                    "the client is already in use by another call",
                )),
            }
        }
    }

    impl GuestClient for Resource {
        fn open(config: ClientConfig) -> Result<ClientHandle, Error> {
            let client = Client::open(config, WasiTransport, WasiClock)?;
            Ok(ClientHandle::new(Resource(RefCell::new(client))))
        }

        fn authenticate(&self) -> Result<TokenInfo, Error> {
            self.with(Client::authenticate)
        }

        fn start_journey(&self, request: StartRequest) -> Result<StartedJourney, Error> {
            self.with(|c| c.start_journey(&request))
        }

        fn fetch_journey_state(
            &self,
            instance_id: String,
            filter_keys: Vec<String>,
        ) -> Result<JourneyState, Error> {
            self.with(|c| c.fetch_journey_state(&instance_id, &filter_keys))
        }

        fn wait_for_completion(
            &self,
            instance_id: String,
            options: WaitOptions,
        ) -> Result<JourneyState, Error> {
            self.with(|c| c.wait_for_completion(&instance_id, options))
        }

        fn delete_instance(&self, instance_id: String) -> Result<(), Error> {
            self.with(|c| c.delete_instance(&instance_id))
        }

        fn health(&self) -> Result<String, Error> {
            self.with(Client::health)
        }

        fn fetch_interaction(&self, instance_id: String) -> Result<InteractionStep, Error> {
            self.with(|c| c.fetch_interaction(&instance_id))
        }

        fn submit_interaction(&self, submission: Submission) -> Result<(), Error> {
            self.with(|c| c.submit_interaction(&submission))
        }
    }

    export!(Component with_types_in crate);
}

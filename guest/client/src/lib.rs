//! The GBG GO v2 client as a WebAssembly component: the `gbg:go/client`
//! and `gbg:go/interaction-planner` exports of the `gbg-go` world,
//! delegating every call to the protocol core ([`gbg_go_core::session::Session`],
//! [`gbg_go_core::planner`]) over the WASI transport and clock.
//!
//! Only `wasm32` builds hold anything; the protocol is tested natively in
//! `gbg-go-core`.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use gbg_go_core::describe::describe;
use gbg_go_core::errors::invalid_input;
use gbg_go_core::planner;
use gbg_go_core::session::Session;
use gbg_go_core::types::{
    AcceptedElement, ClientConfig, Error, InteractionStep, JourneyState, StartRequest,
    StartedJourney, Submission, TokenInfo, WaitOptions,
};
use gbg_go_core::wasi_clock::WasiClock;
use gbg_go_core::wasi_transport::WasiTransport;

use gbg_go_core::exports::gbg::go::client::{Client as ClientHandle, Guest, GuestClient};
use gbg_go_core::exports::gbg::go::interaction_planner::Guest as Planner;

/// The component's export implementation.
struct Component;

/// One `client` resource: the protocol client behind a `RefCell`, because
/// the exported methods take `&self` while the client caches tokens.
struct Resource(RefCell<Session<WasiTransport, WasiClock>>);

impl Guest for Component {
    type Client = Resource;

    fn describe_error(error: Error) -> String {
        describe(&error)
    }
}

impl Planner for Component {
    fn plan_submission(
        step: InteractionStep,
        answers: String,
        accepted: Vec<AcceptedElement>,
    ) -> Result<Option<Submission>, Error> {
        planner::plan_submission(&step, &answers, &accepted)
    }
}

impl Resource {
    /// Runs `f` on the client. Calls cannot re-enter a component instance,
    /// so the client is never borrowed twice; should that ever happen, it is
    /// reported as an error rather than a trap.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Session<WasiTransport, WasiClock>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        match self.0.try_borrow_mut() {
            Ok(mut client) => f(&mut client),
            Err(_) => Err(invalid_input(
                "client",
                "the client is already in use by another call",
            )),
        }
    }
}

impl GuestClient for Resource {
    fn open(config: ClientConfig) -> Result<ClientHandle, Error> {
        let client = Session::open(config, WasiTransport, WasiClock)?;
        Ok(ClientHandle::new(Resource(RefCell::new(client))))
    }

    fn authenticate(&self) -> Result<TokenInfo, Error> {
        self.with(Session::authenticate)
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
        self.with(Session::health)
    }

    fn fetch_interaction(&self, instance_id: String) -> Result<InteractionStep, Error> {
        self.with(|c| c.fetch_interaction(&instance_id))
    }

    fn submit_interaction(&self, submission: Submission) -> Result<(), Error> {
        self.with(|c| c.submit_interaction(&submission))
    }
}

gbg_go_core::export!(Component);

//! The reference wasmtime host for the GBG GO v2 client component.
//!
//! The client logic (authentication, token caching, journeys, retries) lives in
//! the WebAssembly component built from `guest/`; this crate embeds it and runs
//! it in a sandbox: the component may reach only the origins of its
//! configured API and token URLs, each request's timeouts are clamped, each
//! call has a time budget and each store a memory limit.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gbg_go_host::Error> {
//! use gbg_go_host::{ClientSettings, Delivery, Endpoint, Grant, Region, Runtime, Secret, StartRequest};
//!
//! let runtime = Runtime::new(Default::default())?;
//! let settings = ClientSettings::new(
//!     Endpoint::Region(Region::Eu),
//!     Grant::client_credentials("my-client-id", Secret::new("my-client-secret")),
//! );
//! let mut client = runtime.open(settings).await?;
//! let started = client
//!     .start_journey(&StartRequest {
//!         resource_id: "<resource id>@latest".into(),
//!         delivery: Delivery::Page,
//!         subject: None,
//!     })
//!     .await?;
//! println!("send the user to {:?}", started.instance_url);
//! # Ok(()) }
//! ```

mod bindings;
mod client;
mod component;
mod error;
mod hooks;
mod limits;
mod policy;
mod pool;
mod runtime;
mod settings;
mod state;

pub use bindings::exports::gbg::go::types::{
    AcceptedElement, ApiFailure, ApiProblem, Delivery, ElementInput, ElementRequirement,
    Error as ApiError, Interaction, InteractionAuth, InteractionStep, JourneyState, JourneyStatus,
    Participant, Region, RetryPolicy, StartRequest, StartedJourney, Submission, TokenInfo,
    TransportKind, WaitOptions,
};
pub use client::Client;
pub use component::{ComponentSource, GUEST_COMPONENT};

/// The journey service component built from `guest/service` (it exports
/// `wasi:http/incoming-handler`, for `wasmtime serve`, `jco serve` and
/// wasmCloud: the `service` world), embedded at build time with the
/// `service-component` feature. This library does not run it; the `gbg-go
/// component service` command writes it out.
#[cfg(feature = "service-component")]
pub const SERVICE_COMPONENT: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/gbg_go_service.wasm"));
/// The same service built for Spin 3 and later (the `service-spin` world:
/// Spin's drafts of `wasi:config` and `wasi:keyvalue`), written out by
/// `gbg-go component service-spin`.
#[cfg(feature = "service-component")]
pub const SERVICE_SPIN_COMPONENT: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/gbg_go_service_spin.wasm"));
pub use error::{Error, error_kind, status_text};
pub use gbg_go_contract::{self as contract, Secret};
pub use limits::SandboxLimits;
pub use policy::{EgressPolicy, PlainHttp, Timeouts};
pub use pool::ConnectionOptions;
pub use runtime::{Allocation, Runtime, RuntimeOptions};
pub use settings::{ClientSettings, Endpoint, Grant, is_documented_origin};

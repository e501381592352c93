//! A local simulator of the GBG GO v2 ("Captain") identity-verification API.
//!
//! It serves the OAuth token endpoint, the journey API under `/v2/captain/journey/...`,
//! hosted journey pages at `/journey/{instanceId}`, a set of configurable scenarios
//! (journeys that accept, reject, refer, fail, pause, complete slowly or on their own,
//! and an API journey with interactions) and fault knobs (latency, 429, 5xx, dropped
//! connections, token lifetime, instance retention). See the crate's README for the
//! scenarios, the knobs, the configuration format and where it differs from GBG's
//! OpenAPI file.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use gbg_go_simulator::{Simulator, SimulatorConfig};
//! let simulator = Simulator::start(SimulatorConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("API base {} token URL {}", simulator.base_url(), simulator.token_url());
//! simulator.shutdown().await;
//! # Ok(()) }
//! ```

mod api_call;
mod auth;
mod body;
mod clock;
mod config;
pub mod contract;
pub mod deviations;
mod devices;
mod domain_elements;
pub mod end_user;
mod errors;
mod faults;
mod hosted_page;
mod ids;
mod instances;
mod interactions;
mod journeys;
mod middleware;
mod module_results;
mod paths;
mod registry;
mod request_log;
pub mod scenarios;
mod schema;
mod server;
mod state;
mod state_document;
mod token_endpoint;
mod tokens;

pub use config::SCOPE;
pub use config::{
    Completion, ConfigError, Credentials, ElementConfig, ElementSpec, InteractionAuth,
    InteractionConfig, JourneyConfig, NotReadyAnswer, Outcome, Outstanding, PageConfig,
    SimulatorConfig,
};
pub use faults::{
    FaultHandle, Faults, RateLimitFault, ServerErrorFault, ServerErrorStatus, UnsupportedStatus,
};
pub use interactions::NOT_READY_CODE;
pub use paths::API_PREFIX;
pub use request_log::{LOG_CAPACITY, LoggedRequest, REDACTED};
pub use server::Simulator;

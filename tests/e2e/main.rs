//! End-to-end tests: the built component, loaded by real hosts, against the
//! GBG GO simulator over real loopback HTTP.

mod api_journey;
mod browser;
mod cli;
mod compile_cache;
mod conformance;
mod contract;
mod deploy;
mod engines;
mod faults;
mod hosted_journey;
mod hostile;
mod hostile_guests;
mod load;
mod runtimes;
#[path = "../../host/examples/hosted_journey.rs"]
#[allow(dead_code)] // its `main` is for people; the tests call its functions
mod rust_guide_example;
mod sandbox;
mod scenarios;
mod secrets;
mod service;
mod spin_guest;
mod support;
mod temporal;
mod trace;
mod wit_contract;

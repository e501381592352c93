//! End-to-end tests: the built component, loaded by real hosts, against the
//! GBG GO simulator over real loopback HTTP.

mod api_journey;
mod browser;
mod cli;
mod contract;
mod hosted_journey;
mod sandbox;
mod scenarios;
mod support;

//! HTTP tests of the GBG GO simulator over loopback.

mod support;

mod config;
mod faults;
mod hosted_page;
mod interactions;
mod journey_api;
mod openapi_conformance;
mod scenarios;
mod token_endpoint;

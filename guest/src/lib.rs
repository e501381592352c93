//! The GBG GO v2 client's protocol core, shared by the components built
//! from it (`guest/client`: the `gbg:go/client` export).
//!
//! The protocol (configuration, tokens, journeys, interactions, error
//! classification and retries) is plain Rust in the modules below and is
//! tested on the native target against a scripted transport. Only
//! [`wasi_transport`] and [`wasi_clock`] touch WASI; they are compiled for
//! `wasm32` alone.

// The contract's types. With the `client` feature they come with the
// `gbg:go/client` export glue of the `gbg-go` world (`guest/client` builds that
// component). Without it they come from a world that imports the types
// alone, so that another component built on this crate (the service) exports
// only what its own world says: wit-bindgen records each world in the module,
// and the component linker then requires every export the world names, while
// an import with no function in use is left out.
//
// wit-bindgen documents every item from the WIT but not the modules of the
// package's namespace (`gbg`, `gbg::go`), hence the `allow`.
#[cfg(feature = "client")]
#[allow(missing_docs)]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "gbg-go",
        path: "../wit",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "gbg_go_core::bindings",
    });
}
#[cfg(not(feature = "client"))]
#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        inline: "
            package gbg:go-protocol;
            world protocol { import gbg:go/types@0.3.0; }
        ",
        path: "../wit",
        world: "gbg:go-protocol/protocol",
        with: { "gbg:go/types@0.3.0": generate },
        additional_derives: [PartialEq],
    });
}

/// Whether this build carries the `gbg:go/client` export glue (the `client`
/// feature). A component that must not export the client asserts it is off.
pub const CLIENT_EXPORT: bool = cfg!(feature = "client");

/// The contract's shared types (`gbg:go/types`).
#[cfg(feature = "client")]
pub use bindings::exports::gbg::go::types;
/// The contract's shared types (`gbg:go/types`).
#[cfg(not(feature = "client"))]
pub use bindings::gbg::go::types;
/// The exports the client component implements (`gbg:go/client`,
/// `gbg:go/interaction-planner`).
#[cfg(feature = "client")]
pub use bindings::{export, exports};

pub mod config;
pub mod describe;
pub mod errors;
pub mod http;
pub mod interaction;
pub mod journey;
pub mod json;
pub mod planner;
pub mod redact;
pub mod retry;
pub mod seal;
pub mod session;
pub mod token;
pub mod token_store;
pub mod validate;
#[cfg(target_arch = "wasm32")]
pub mod wasi_clock;
#[cfg(target_arch = "wasm32")]
pub mod wasi_transport;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

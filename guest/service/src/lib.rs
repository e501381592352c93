//! The GBG GO journey service: the protocol core behind an HTTP API, as a
//! component that exports `wasi:http/incoming-handler` for the engines that
//! run such components (`wasmtime serve`, `jco serve`, Spin, wasmCloud).
//!
//! Everything but the WASI glue is plain Rust, tested on the native target
//! with the protocol core's fakes:
//!
//! - the request's way through: routing ([`routes`]), credentials before
//!   any body ([`auth`]), the routes' functions ([`api`], [`probes`],
//!   [`journeys`], [`interactions`], [`notifications`]);
//! - what they use: signed completion events ([`events`]), idempotent
//!   starts ([`idempotency`]), settings ([`settings`]), stores ([`stores`]),
//!   problem answers ([`problem`]), the JSON views ([`views`]) and the
//!   bounded log ([`log`]).
//!
//! The glue (`wasi_*`, compiled for `wasm32` only) reads requests and
//! settings from the engine ([`engine`]) and shares tokens through
//! `wasi:keyvalue` or a directory.

// The protocol core must come without its `gbg:go/client` export glue:
// that would make this component export the client too. Cargo unifies
// features across the packages of one build, so this crate is built in its
// own cargo invocation (see host/build.rs).
#[cfg(target_arch = "wasm32")]
const _: () = assert!(
    !gbg_go_core::CLIENT_EXPORT,
    "gbg-go-core was built with its `client` feature: build gbg-go-service in its own cargo invocation"
);

pub mod answers;
pub mod api;
pub mod auth;
pub mod call;
pub mod digest;
pub mod engine;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod interactions;
pub mod journeys;
pub mod log;
pub mod notifications;
pub mod probes;
pub mod problem;
pub mod routes;
pub mod settings;
pub mod stores;
pub mod views;
// The engine interfaces the `wasi` crate lacks: the config store and the
// key-value store (their WIT is in wit/deps), at the drafts of the world
// this build is for: `service` by default, `service-spin` with `spin`.
// wit/deps holds both drafts, so wit-bindgen names their modules by version;
// `config_store` and `keyvalue_store` are the ones this build imports.
#[cfg(target_arch = "wasm32")]
macro_rules! engine_bindings {
    ($imports:literal, $config:ident, $keyvalue:ident) => {
        mod bindings {
            wit_bindgen::generate!({
                inline: $imports,
                path: "../../wit",
                world: "gbg:go-service-engine/engine",
                generate_all,
            });
            pub use self::wasi::$config::store as config_store;
            pub use self::wasi::$keyvalue::store as keyvalue_store;
        }
    };
}
#[cfg(all(target_arch = "wasm32", not(feature = "spin")))]
engine_bindings!(
    "package gbg:go-service-engine;
    world engine {
        import wasi:config/store@0.2.0-rc.1;
        import wasi:keyvalue/store@0.2.0-draft;
    }",
    config0_2_0_rc_1,
    keyvalue0_2_0_draft
);
#[cfg(all(target_arch = "wasm32", feature = "spin"))]
engine_bindings!(
    "package gbg:go-service-engine;
    world engine {
        import wasi:config/store@0.2.0-draft-2024-09-27;
        import wasi:keyvalue/store@0.2.0-draft2;
    }",
    config0_2_0_draft_2024_09_27,
    keyvalue0_2_0_draft2
);

#[cfg(target_arch = "wasm32")]
mod wasi_config;
#[cfg(target_arch = "wasm32")]
mod wasi_handler;
#[cfg(target_arch = "wasm32")]
mod wasi_keyvalue;

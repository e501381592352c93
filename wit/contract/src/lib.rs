//! The facts of the GBG GO contract, defined once for every crate of the
//! project: the protocol core and the components built on it, the host
//! library, the command and the simulator.
//!
//! It sits at the bottom of the crate graph and depends on serde alone.
//! The Node and Python packages carry copies of the facts they need, which
//! the end-to-end tests pin to these.

pub mod defaults;
pub mod hosts;
pub mod identity;
pub mod secret;
pub mod settings;
pub mod spellings;
pub mod views;

pub use secret::Secret;

//! A component that computes forever, to show that the host's time budget
//! stops running WebAssembly code, not only calls that wait on the network.
//!
//! The core module is written by hand in `fixtures/spin-guest.wat`; this
//! module wraps it into a component that exports the same `gbg:go` world as
//! the real client, so a [`Runtime`](gbg_go_host::Runtime) loads it like any
//! other build of the component.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::{Resolve, WorldId};

const WAT: &str = include_str!("fixtures/spin-guest.wat");

/// The spinning component as a file (built once per test binary).
pub fn component() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spin-guest.wasm");
        crate::support::write_atomically(&path, &encode());
        path
    })
    .clone()
}

fn encode() -> Vec<u8> {
    let wit = crate::support::repository().join("wit");
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(&wit).expect("the contract parses");
    let world = resolve
        .select_world(&[package], Some("gbg-go"))
        .expect("the contract has the gbg-go world");
    wrap(
        wat::parse_str(WAT).expect("the spin module assembles"),
        &resolve,
        world,
    )
}

/// Wraps a hand-written core module into a component of `world`.
pub fn wrap(mut module: Vec<u8>, resolve: &Resolve, world: WorldId) -> Vec<u8> {
    embed_component_metadata(&mut module, resolve, world, StringEncoding::UTF8)
        .expect("embedding the component type");
    ComponentEncoder::default()
        .module(&module)
        .expect("the module fits the world")
        .validate(true)
        .encode()
        .expect("the component encodes")
}

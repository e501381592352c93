//! Builds the guest component for `wasm32-wasip2` so the host can embed it.
//!
//! The guest is built by a nested `cargo build` into its own target directory
//! (beside the outer one) so the two builds never wait on each other's lock.
//! Set `GBG_GO_GUEST_WASM` to embed a prebuilt component instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let embedded = out_dir.join("gbg_go_guest.wasm");

    println!("cargo:rerun-if-env-changed=GBG_GO_GUEST_WASM");
    if let Some(prebuilt) = env::var_os("GBG_GO_GUEST_WASM") {
        println!("cargo:rerun-if-changed={}", Path::new(&prebuilt).display());
        copy(Path::new(&prebuilt), &embedded);
        return;
    }
    for input in ["guest/src", "guest/Cargo.toml", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    let target_dir = guest_target_dir(&out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .args(["build", "--locked", "-p", "gbg-go-guest"])
        .args(["--target", "wasm32-wasip2", "--profile", "guest"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings must not leak into the guest's.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_PROFILE_RELEASE_DEBUG",
    ] {
        build.env_remove(var);
    }
    let status = build
        .status()
        .expect("failed to run cargo to build the guest component");
    assert!(
        status.success(),
        "building the guest component failed (is the wasm32-wasip2 target installed? \
         `rustup target add wasm32-wasip2`)"
    );
    copy(
        &target_dir.join("wasm32-wasip2/guest/gbg_go_guest.wasm"),
        &embedded,
    );
}

/// `<target>/guest-build`, where `<target>` is the outer build's target directory
/// (`OUT_DIR` is `<target>/<profile>/build/<pkg>-<hash>/out`).
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let target = out_dir
        .ancestors()
        .nth(4)
        .expect("OUT_DIR has the documented depth");
    target.join("guest-build")
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} failed: {e}", from.display()));
}

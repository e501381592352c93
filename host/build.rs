//! Builds the client component for `wasm32-wasip2` so the host can embed it,
//! and with the `service-component` feature the journey service component
//! too, in two builds: for `wasmtime serve`, `jco serve` and wasmCloud, and
//! for Spin.
//!
//! Each component is built by a nested `cargo build` into a target directory
//! beside the outer one (`<target>/guest-build`), so the outer and inner
//! builds never wait on each other's lock. Each build takes one
//! invocation, one after the other: cargo unifies features across the
//! packages of one build, and the service must get the protocol core
//! without the client's export glue. A missing
//! `wasm32-wasip2` target is added through rustup first; this runs at the
//! start of the build, so a machine where that is impossible learns the fix
//! within seconds, not after compiling wasmtime. Set `GBG_GO_COMPONENT`
//! (`GBG_GO_SERVICE_WASM`, `GBG_GO_SERVICE_SPIN_WASM`) to embed a prebuilt
//! client (service) instead, as the npm and Python packages' builds take it.
//!
//! The client's SHA-256 is computed here too, once, so that naming its
//! compile-cache entry costs nothing at start-up.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

/// The target the components are built for.
const WASM_TARGET: &str = "wasm32-wasip2";

/// A component this crate embeds.
struct Guest {
    /// The cargo package that builds it.
    package: &'static str,
    /// The package's features for this build.
    features: &'static str,
    /// The file the package builds.
    file: &'static str,
    /// The name it is embedded under.
    embedded: &'static str,
    /// The variable that names a prebuilt file instead.
    prebuilt: &'static str,
}

const CLIENT: Guest = Guest {
    package: "gbg-go-client",
    features: "",
    file: "gbg_go_client.wasm",
    embedded: "gbg_go_client.wasm",
    prebuilt: "GBG_GO_COMPONENT",
};

const SERVICE: Guest = Guest {
    package: "gbg-go-service",
    features: "",
    file: "gbg_go_service.wasm",
    embedded: "gbg_go_service.wasm",
    prebuilt: "GBG_GO_SERVICE_WASM",
};

/// The service built against the config and key-value drafts Spin serves.
const SERVICE_SPIN: Guest = Guest {
    package: "gbg-go-service",
    features: "spin",
    file: "gbg_go_service.wasm",
    embedded: "gbg_go_service_spin.wasm",
    prebuilt: "GBG_GO_SERVICE_SPIN_WASM",
};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    embed(&CLIENT, workspace, &out_dir);
    write_digest(&out_dir.join(CLIENT.embedded));
    if env::var_os("CARGO_FEATURE_SERVICE_COMPONENT").is_some() {
        embed(&SERVICE, workspace, &out_dir);
        embed(&SERVICE_SPIN, workspace, &out_dir);
    }
}

/// Writes the SHA-256 of the component `embedded` beside it
/// (`<name>.sha256`, 32 bytes), which names its compile-cache entry.
fn write_digest(embedded: &Path) {
    let bytes = std::fs::read(embedded).expect("reading the embedded component");
    let digest = sha2::Sha256::digest(&bytes);
    std::fs::write(embedded.with_extension("sha256"), digest).expect("writing its digest");
}

/// Builds `guest` (or takes its prebuilt file) and copies it into `out_dir`.
fn embed(guest: &Guest, workspace: &Path, out_dir: &Path) {
    let embedded = &out_dir.join(guest.embedded);
    println!("cargo:rerun-if-env-changed={}", guest.prebuilt);
    if let Some(prebuilt) = env::var_os(guest.prebuilt) {
        println!("cargo:rerun-if-changed={}", Path::new(&prebuilt).display());
        copy(Path::new(&prebuilt), embedded);
        return;
    }
    for input in ["guest", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    ensure_wasm_target();
    let target_dir = guest_target_dir(embedded);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .args(["build", "--locked", "-p", guest.package])
        .args(["--features", guest.features])
        .args(["--target", WASM_TARGET, "--profile", "guest"])
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
        .unwrap_or_else(|e| panic!("failed to run cargo to build {}: {e}", guest.package));
    assert!(status.success(), "building {} failed", guest.package);
    copy(
        &target_dir.join(WASM_TARGET).join("guest").join(guest.file),
        embedded,
    );
}

/// Makes sure the Rust standard library for [`WASM_TARGET`] is installed,
/// adding it through rustup (for the toolchain this build runs on) when it is
/// missing. `rust-toolchain.toml` lists the target, but rustup adds targets
/// only when it installs a toolchain, not to one that is already there.
fn ensure_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    if target_installed(&rustc) {
        return;
    }
    let fix = format!("rustup target add {WASM_TARGET}");
    println!("cargo:warning=the {WASM_TARGET} target is missing; running `{fix}`");
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", WASM_TARGET]);
    if let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    let added = rustup.status().is_ok_and(|status| status.success());
    if !added || !target_installed(&rustc) {
        panic!(
            "the Rust standard library for {WASM_TARGET} is not installed and rustup could not \
             add it. Install it with `{fix}` (or your distribution's package for that target), \
             then build again."
        );
    }
}

/// Whether `rustc`'s sysroot holds the standard library for [`WASM_TARGET`].
fn target_installed(rustc: &OsString) -> bool {
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout);
    Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir()
}

/// `<target>/guest-build`, where `<target>` is the outer build's target directory
/// (`embedded` is `<target>/<profile>/build/<pkg>-<hash>/out/<file>`).
fn guest_target_dir(embedded: &Path) -> PathBuf {
    let target = embedded
        .ancestors()
        .nth(5)
        .expect("OUT_DIR has the documented depth");
    target.join("guest-build")
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} failed: {e}", from.display()));
}

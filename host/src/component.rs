//! Where the component comes from, and the on-disk cache of its compiled form
//! so that a second process start does not compile it again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::Error;

/// The guest component built from `guest/`, embedded at build time.
pub const GUEST_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gbg_go_client.wasm"));

/// The component a [`Runtime`](crate::Runtime) runs.
#[derive(Debug, Clone, Default)]
pub enum ComponentSource {
    /// [`GUEST_COMPONENT`], the build embedded in this binary.
    #[default]
    Embedded,
    /// A `.wasm` component file, for example another build of the guest.
    File(PathBuf),
}

impl ComponentSource {
    fn bytes(&self) -> Result<std::borrow::Cow<'static, [u8]>, Error> {
        match self {
            ComponentSource::Embedded => Ok(GUEST_COMPONENT.into()),
            ComponentSource::File(path) => std::fs::read(path)
                .map(Into::into)
                .map_err(|e| Error::Load(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

/// Compiles the component, or loads its compiled form from `cache_dir`.
///
/// Cache entries are named by a hash of the component's bytes and of the
/// engine's compatibility settings; an entry that fails to load is replaced.
pub(crate) fn load(
    engine: &Engine,
    source: &ComponentSource,
    cache_dir: Option<&Path>,
) -> Result<Component, Error> {
    let wasm = source.bytes()?;
    let Some(dir) = cache_dir else {
        return compile(engine, &wasm);
    };
    let entry = dir.join(format!("{:016x}.cwasm", cache_key(engine, &wasm)));
    if entry.is_file() {
        // SAFETY: the file was written by `Engine::precompile_component` of an
        // engine with the same compatibility hash (it is in the file name),
        // into a cache directory owned by this user.
        match unsafe { Component::deserialize_file(engine, &entry) } {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(entry = %entry.display(), error = %e, "discarding unusable cache entry")
            }
        }
    }
    let compiled = engine
        .precompile_component(&wasm)
        .map_err(|e| Error::Load(format!("compiling the component failed: {e:#}")))?;
    if let Err(e) = store_entry(dir, &entry, &compiled) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot write the compile cache");
    }
    // SAFETY: `compiled` was produced by this engine just now.
    unsafe { Component::deserialize(engine, &compiled) }
        .map_err(|e| Error::Load(format!("loading the compiled component failed: {e:#}")))
}

fn compile(engine: &Engine, wasm: &[u8]) -> Result<Component, Error> {
    Component::new(engine, wasm)
        .map_err(|e| Error::Load(format!("compiling the component failed: {e:#}")))
}

fn cache_key(engine: &Engine, wasm: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    wasm.hash(&mut hasher);
    hasher.finish()
}

/// Writes atomically: a reader never sees a half-written entry.
fn store_entry(dir: &Path, entry: &Path, compiled: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = entry.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, compiled)?;
    std::fs::rename(&partial, entry)
}

/// The per-user cache directory: `$GBG_GO_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/gbg-go`, else `$HOME/.cache/gbg-go`.
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("GBG_GO_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("gbg-go")))
        .or_else(|| env("HOME").map(|d| d.join(".cache/gbg-go")))
}

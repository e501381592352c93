//! Where the component comes from, and the on-disk cache of its compiled form
//! so that a second process start does not compile it again.
//!
//! A cache entry is native code that runs in the process holding the
//! credentials, so it is trusted only as far as it can be checked: the
//! folder must be a real folder of this user that nobody else can write
//! (it is created `0700`), the entry a regular file of this user that nobody
//! else can write, and its tag must match. The tag is an HMAC-SHA256, keyed
//! by a secret kept outside the cache folder, of the entry's name and of the
//! identity the kernel gives the file it wrote (device, inode, size,
//! modification and change times, owner), kept beside it in `<entry>.tag`.
//! The content is hashed once, when it is compiled and written; a start then
//! checks a few dozen bytes of metadata instead of hashing megabytes of code,
//! and any replacement or rewrite of the entry changes its inode or its
//! change time, which no user can set back. An entry that fails a check is
//! compiled again and replaced, with a warning. Entries and tags are written
//! to a new temporary file in the checked folder, never through a link, and
//! renamed into place.
//!
//! A checked entry is mapped, not read and copied: through the descriptor
//! that was checked, so that it is that very file whatever its name points
//! to by then. Entries are only ever replaced by a rename, so a process
//! keeps the file it mapped while others write new ones.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use gbg_go_contract::settings;
use ring::{digest, hmac};
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

/// The SHA-256 of [`GUEST_COMPONENT`], computed when it was embedded.
const GUEST_DIGEST: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/gbg_go_client.sha256"));

impl ComponentSource {
    /// The SHA-256 of `wasm`, this source's bytes: the embedded build's was
    /// computed at build time.
    fn digest(&self, wasm: &[u8]) -> Vec<u8> {
        match self {
            ComponentSource::Embedded => GUEST_DIGEST.to_vec(),
            ComponentSource::File(_) => digest::digest(&digest::SHA256, wasm).as_ref().to_vec(),
        }
    }

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
/// Entries are named by a SHA-256 of the component's digest, the engine's
/// compatibility settings and this crate's version.
pub(crate) fn load(
    engine: &Engine,
    source: &ComponentSource,
    cache_dir: Option<&Path>,
) -> Result<Component, Error> {
    let wasm = source.bytes()?;
    let Some(dir) = cache_dir else {
        return compile(engine, &wasm);
    };
    let cache = match Cache::open(dir) {
        Ok(cache) => cache,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "compile cache not used");
            return compile(engine, &wasm);
        }
    };
    let name = entry_name(engine, &source.digest(&wasm));
    match cache.read(&name) {
        Ok(Some(entry)) => {
            // SAFETY: `entry` is what `Engine::precompile_component` of an
            // engine with the same compatibility hash (it is in the name)
            // wrote: its tag, keyed by a secret outside the cache, matches
            // the file a process of this user wrote it to, and only this user
            // can change it.
            match unsafe { entry.into_component(engine) } {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!(entry = %name, error = %e, "discarding unusable cache entry")
                }
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(
            entry = %cache.dir.join(&name).display(),
            error = %e,
            "compile cache entry not trusted; compiling again"
        ),
    }
    let compiled = engine
        .precompile_component(&wasm)
        .map_err(|e| Error::Load(format!("compiling the component failed: {e:#}")))?;
    if let Err(e) = cache.write(&name, &compiled) {
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

/// `<sha-256>.cwasm`, of the engine's compatibility hash, this crate's
/// version and the component's digest.
fn entry_name(engine: &Engine, component_digest: &[u8]) -> String {
    let mut sha = Sha256(digest::Context::new(&digest::SHA256));
    engine.precompile_compatibility_hash().hash(&mut sha);
    sha.write(env!("CARGO_PKG_VERSION").as_bytes());
    sha.write(component_digest);
    let hex: String = sha
        .0
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}.cwasm")
}

/// Feeds what a [`Hash`] writes into a SHA-256.
struct Sha256(digest::Context);

impl Hasher for Sha256 {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only the digest is used")
    }
}

/// The per-user cache directory: `$GBG_GO_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/gbg-go`, else `$HOME/.cache/gbg-go`.
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    env_dir(settings::CACHE_DIR.env)
        .or_else(|| env_dir("XDG_CACHE_HOME").map(|d| d.join("gbg-go")))
        .or_else(|| env_dir("HOME").map(|d| d.join(".cache/gbg-go")))
}

/// The secret that keys cache entries' tags, outside any cache folder:
/// `$XDG_STATE_HOME/gbg-go/compile-cache.key`, else
/// `$HOME/.local/state/gbg-go/compile-cache.key`.
fn key_file() -> Option<PathBuf> {
    env_dir("XDG_STATE_HOME")
        .map(|d| d.join("gbg-go"))
        .or_else(|| env_dir("HOME").map(|d| d.join(".local/state/gbg-go")))
        .map(|d| d.join("compile-cache.key"))
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A checked cache folder and the key of its entries' tags.
struct Cache {
    dir: PathBuf,
    key: hmac::Key,
}

impl Cache {
    fn open(dir: &Path) -> std::io::Result<Self> {
        let key_file = key_file().ok_or_else(|| {
            std::io::Error::other("no place for its key: neither XDG_STATE_HOME nor HOME is set")
        })?;
        if key_file.starts_with(dir) {
            return Err(std::io::Error::other(format!(
                "its key {} would be inside it",
                key_file.display()
            )));
        }
        let key = private::key(&key_file)?;
        private::folder(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    /// The compiled component under `name`, checked and open; `None` when
    /// there is none, an error saying why when there is one that cannot be
    /// trusted.
    fn read(&self, name: &str) -> Result<Option<private::Opened>, String> {
        let Some(entry) = private::open(&self.dir.join(name))? else {
            return Ok(None);
        };
        let tag = private::open(&self.dir.join(tag_name(name)))?
            .ok_or("the entry has no tag")?
            .into_bytes()
            .map_err(|e| e.to_string())?;
        hmac::verify(&self.key, &tagged(name, &entry.identity), &tag)
            .map_err(|_| "the entry's tag does not match the file".to_owned())?;
        Ok(Some(entry))
    }

    /// Stores `compiled` under `name` and tags the file it was written to,
    /// each atomically.
    fn write(&self, name: &str, compiled: &[u8]) -> std::io::Result<()> {
        let identity = private::write(&self.dir, name, compiled)?;
        let tag = hmac::sign(&self.key, &tagged(name, &identity));
        private::write(&self.dir, &tag_name(name), tag.as_ref()).map(drop)
    }
}

/// The file that holds the tag of entry `name`.
fn tag_name(name: &str) -> String {
    format!("{name}.tag")
}

/// What an entry's tag covers: its name, so that a valid entry cannot be
/// moved under another component's name, and the identity of its file.
fn tagged(name: &str, identity: &[u8]) -> Vec<u8> {
    [name.as_bytes(), b"\0", identity].concat()
}

/// Files and folders only this user can change, opened without following
/// links.
#[cfg(unix)]
mod private {
    use std::fs::{DirBuilder, File, Metadata, OpenOptions, Permissions};
    use std::io::{self, ErrorKind, Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    use wasmtime::Engine;
    use wasmtime::component::Component;

    use ring::rand::{SecureRandom, SystemRandom};

    /// Bytes of the tag key.
    const KEY_BYTES: usize = 32;

    /// Creates `dir` (and missing parents) `0700`, or checks it: a real
    /// folder of this user that nobody else can write. A folder of this user
    /// that others can read is made private.
    pub(super) fn folder(dir: &Path) -> io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let metadata = dir.symlink_metadata()?;
        if !metadata.is_dir() {
            return Err(refused(dir, "is not a folder (a symbolic link?)"));
        }
        owned_and_unwritable(dir, &metadata)?;
        if metadata.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// A file of this user that nobody else can write, opened without
    /// following links, and the identity the kernel gives it.
    pub(super) struct Opened {
        file: File,
        /// Device, inode, size, modification and change times (seconds and
        /// nanoseconds) and owner, as one byte string.
        pub(super) identity: Vec<u8>,
    }

    impl Opened {
        /// The file's content.
        pub(super) fn into_bytes(mut self) -> io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            self.file.read_to_end(&mut bytes)?;
            Ok(bytes)
        }

        /// The compiled component in this file, mapped through `/dev/fd`
        /// (this descriptor's file, not whatever its path names now); read
        /// and copied where `/dev/fd` cannot be opened or mapped.
        ///
        /// # Safety
        ///
        /// The file must hold what `engine`'s `precompile_component` wrote,
        /// and must not be written while the component lives.
        pub(super) unsafe fn into_component(self, engine: &Engine) -> wasmtime::Result<Component> {
            let this_file = Path::new("/dev/fd").join(self.file.as_raw_fd().to_string());
            // SAFETY: the caller's contract.
            match unsafe { Component::deserialize_file(engine, &this_file) } {
                // Only a failure to reach the file is worth a second way in;
                // an entry wasmtime refuses would be refused again.
                // SAFETY: the caller's contract.
                Err(error) if error.root_cause().is::<io::Error>() => unsafe {
                    Component::deserialize(engine, self.into_bytes()?)
                },
                loaded => loaded,
            }
        }
    }

    /// `path`, if it exists and is a regular file of this user that nobody
    /// else can write; an error naming the defect if not.
    pub(super) fn open(path: &Path) -> Result<Option<Opened>, String> {
        let file = match open_nofollow(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let metadata = file.metadata().map_err(|e| e.to_string())?;
        if !metadata.is_file() {
            return Err(format!("{} is not a regular file", path.display()));
        }
        owned_and_unwritable(path, &metadata).map_err(|e| e.to_string())?;
        Ok(Some(Opened {
            file,
            identity: identity(&metadata),
        }))
    }

    /// What identifies the file behind `metadata` until it is replaced or
    /// written: a rewrite changes its change time, which only the kernel
    /// sets, and a replacement its inode.
    fn identity(metadata: &Metadata) -> Vec<u8> {
        [
            metadata.dev(),
            metadata.ino(),
            metadata.size(),
            metadata.mtime() as u64,
            metadata.mtime_nsec() as u64,
            metadata.ctime() as u64,
            metadata.ctime_nsec() as u64,
            u64::from(metadata.uid()),
        ]
        .iter()
        .flat_map(|field| field.to_le_bytes())
        .collect()
    }

    /// Writes `bytes` to a new `0600` file in `dir` and renames it to
    /// `name`, replacing whatever was there (a link included) atomically;
    /// returns the identity of the file now under `name`.
    pub(super) fn write(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let (partial, file) = partial_file(dir, name, bytes)?;
        let renamed = std::fs::rename(&partial, dir.join(name));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        renamed?;
        // After the rename, which may itself change the change time.
        Ok(identity(&file.metadata()?))
    }

    /// The tag key in `path`, made (32 random bytes, `0600`, in a `0700`
    /// folder) if there is none yet; a process racing to make it finds the
    /// winner's whole. An existing key must be a regular file of this user
    /// that nobody else can read.
    pub(super) fn key(path: &Path) -> io::Result<Vec<u8>> {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(refused(path, "is not a file name"));
        };
        folder(dir)?;
        match existing_key(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            found => return found,
        }
        let mut key = vec![0; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| io::Error::other("no system randomness"))?;
        let (partial, _) = partial_file(dir, &name.to_string_lossy(), &key)?;
        // A hard link, unlike a rename, never replaces a key made meanwhile.
        let linked = std::fs::hard_link(&partial, path);
        let _ = std::fs::remove_file(&partial);
        match linked {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => existing_key(path),
            Err(e) => Err(e),
        }
    }

    fn existing_key(path: &Path) -> io::Result<Vec<u8>> {
        let mut file = open_nofollow(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() || metadata.mode() & 0o077 != 0 {
            return Err(refused(path, "is not a private regular file"));
        }
        owned_and_unwritable(path, &metadata)?;
        let mut key = Vec::with_capacity(KEY_BYTES);
        file.read_to_end(&mut key)?;
        if key.len() != KEY_BYTES {
            return Err(refused(path, "does not hold a key"));
        }
        Ok(key)
    }

    /// A new `0600` file in `dir` holding `bytes`, under a random name made
    /// from `name`, created without following links; its path, and the file
    /// still open.
    fn partial_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<(PathBuf, File)> {
        let mut random = [0u8; 8];
        SystemRandom::new()
            .fill(&mut random)
            .map_err(|_| io::Error::other("no system randomness"))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let partial = dir.join(format!(".{name}.{suffix}.partial"));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&partial)
            .and_then(|mut file| {
                file.write_all(bytes)?;
                file.sync_all()?;
                Ok(file)
            });
        match written {
            Ok(file) => Ok((partial, file)),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    }

    fn open_nofollow(path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    }

    fn owned_and_unwritable(path: &Path, metadata: &Metadata) -> io::Result<()> {
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let user = unsafe { libc::geteuid() };
        if metadata.uid() != user {
            return Err(refused(path, "belongs to another user"));
        }
        if metadata.mode() & 0o022 != 0 {
            return Err(refused(path, "is writable by other users"));
        }
        Ok(())
    }

    fn refused(path: &Path, why: &str) -> io::Error {
        io::Error::other(format!("{} {why}", path.display()))
    }
}

/// Without Unix ownership and `O_NOFOLLOW` an entry cannot be checked, so
/// there is no cache: the component is compiled on every start.
#[cfg(not(unix))]
mod private {
    use std::io;
    use std::path::Path;

    fn unsupported() -> io::Error {
        io::Error::other("the compile cache needs a Unix file system")
    }

    pub(super) fn folder(_: &Path) -> io::Result<()> {
        Err(unsupported())
    }

    pub(super) struct Opened {
        pub(super) identity: Vec<u8>,
    }

    impl Opened {
        pub(super) fn into_bytes(self) -> io::Result<Vec<u8>> {
            Err(unsupported())
        }

        pub(super) unsafe fn into_component(
            self,
            _: &wasmtime::Engine,
        ) -> wasmtime::Result<wasmtime::component::Component> {
            Err(unsupported().into())
        }
    }

    pub(super) fn open(_: &Path) -> Result<Option<Opened>, String> {
        Err(unsupported().to_string())
    }

    pub(super) fn write(_: &Path, _: &str, _: &[u8]) -> io::Result<Vec<u8>> {
        Err(unsupported())
    }

    pub(super) fn key(_: &Path) -> io::Result<Vec<u8>> {
        Err(unsupported())
    }
}

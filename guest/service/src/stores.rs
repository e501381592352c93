//! Where the service keeps what outlives a request: customer tokens (sealed
//! by the protocol core) and idempotency records (sealed by
//! [`crate::idempotency`]). [`Store`] adds what records need to the core's
//! [`TokenStore`]; the stores that are plain Rust are here: files in a
//! directory, and the instance's own memory. (The `wasi:keyvalue` store is
//! in `wasi_keyvalue`.)

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::PathBuf;

use gbg_go_core::token_store::TokenStore;

use crate::log;

/// A store of named byte values shared by the instances of one deployment.
pub trait Store: TokenStore {
    /// Stores `value` under `name` unless `name` holds a value already, and
    /// says whether it did; `Err` (with the reason) when the store failed.
    /// Atomic where the store has an operation for it (files, the
    /// instance's memory); elsewhere two instances inserting at the same
    /// moment may both succeed.
    fn insert_new(&mut self, name: &str, value: &[u8]) -> Result<bool, String>;
    /// Removes the value under `name`, if any.
    fn remove(&mut self, name: &str);
}

/// Files in a directory, one per entry, written aside and then renamed or
/// linked into place, so that concurrent instances never read half a
/// value. Under `wasmtime serve --dir HOST::GUEST` every instance on the
/// machine sees the same files. WASI has no file modes: files get the
/// engine's umask (`umask 077` makes them `0600`).
pub struct DirStore {
    dir: PathBuf,
    /// Makes this instance's temporary file names its own.
    tag: u64,
}

impl DirStore {
    /// A store in `dir`; `tag` (a random number) names this instance's
    /// temporary files.
    pub fn new(dir: impl Into<PathBuf>, tag: u64) -> Self {
        Self {
            dir: dir.into(),
            tag,
        }
    }

    /// Writes `value` aside, hands the file to `place`, and removes the
    /// aside file whatever happened.
    fn place<R>(
        &self,
        name: &str,
        value: &[u8],
        place: impl FnOnce(&PathBuf, PathBuf) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        let aside = self.dir.join(format!(".{name}.{:016x}.tmp", self.tag));
        let placed =
            std::fs::write(&aside, value).and_then(|()| place(&aside, self.dir.join(name)));
        // Gone already after a rename.
        let _ = std::fs::remove_file(&aside);
        placed
    }
}

impl TokenStore for DirStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        match std::fs::read(self.dir.join(name)) {
            Ok(value) => Some(value),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => {
                log::once("store-read", || {
                    format!("cannot read an entry in {}: {e}", self.dir.display())
                });
                None
            }
        }
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        if let Err(e) = self.place(name, value, |aside, to| std::fs::rename(aside, to)) {
            log::once("store-write", || {
                format!("cannot write an entry in {}: {e}", self.dir.display())
            });
        }
    }
}

impl Store for DirStore {
    fn insert_new(&mut self, name: &str, value: &[u8]) -> Result<bool, String> {
        // A hard link fails if the name exists: one instance wins.
        match self.place(name, value, |aside, to| std::fs::hard_link(aside, to)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(format!("cannot write in {}: {e}", self.dir.display())),
        }
    }

    fn remove(&mut self, name: &str) {
        match std::fs::remove_file(self.dir.join(name)) {
            Err(e) if e.kind() != ErrorKind::NotFound => log::once("store-write", || {
                format!("cannot remove an entry in {}: {e}", self.dir.display())
            }),
            _ => {}
        }
    }
}

thread_local! {
    static INSTANCE_ENTRIES: RefCell<HashMap<String, Vec<u8>>> = RefCell::default();
}

/// The instance's memory: shared by the requests one instance serves (all
/// of them under `jco serve`'s default, up to `--max-instance-reuse-count`
/// under `wasmtime serve`), gone with the instance.
pub struct InstanceStore;

impl TokenStore for InstanceStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        INSTANCE_ENTRIES.with(|entries| entries.borrow().get(name).cloned())
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        INSTANCE_ENTRIES.with(|entries| {
            entries.borrow_mut().insert(name.to_owned(), value.to_vec());
        });
    }
}

impl Store for InstanceStore {
    fn insert_new(&mut self, name: &str, value: &[u8]) -> Result<bool, String> {
        Ok(INSTANCE_ENTRIES.with(|entries| {
            let mut entries = entries.borrow_mut();
            if entries.contains_key(name) {
                return false;
            }
            entries.insert(name.to_owned(), value.to_vec());
            true
        }))
    }

    fn remove(&mut self, name: &str) {
        INSTANCE_ENTRIES.with(|entries| entries.borrow_mut().remove(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gbg-go-dir-store-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &PathBuf) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_directory_shares_values_between_stores() {
        let dir = folder("share");
        let mut first = DirStore::new(&dir, 1);
        let mut second = DirStore::new(&dir, 2);
        assert_eq!(first.get("entry"), None);
        first.set("entry", b"one");
        assert_eq!(second.get("entry").as_deref(), Some(&b"one"[..]));
        second.set("entry", b"two");
        assert_eq!(first.get("entry").as_deref(), Some(&b"two"[..]));
        assert_eq!(names(&dir), ["entry"], "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_first_insert_of_a_name_wins() {
        let dir = folder("insert");
        let mut first = DirStore::new(&dir, 1);
        let mut second = DirStore::new(&dir, 2);
        assert_eq!(first.insert_new("record", b"one"), Ok(true));
        assert_eq!(second.insert_new("record", b"two"), Ok(false));
        assert_eq!(second.get("record").as_deref(), Some(&b"one"[..]));
        assert_eq!(names(&dir), ["record"], "no temporary file is left behind");
        second.remove("record");
        second.remove("record");
        assert_eq!(second.insert_new("record", b"two"), Ok(true));
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(InstanceStore.insert_new("record", b"one"), Ok(true));
        assert_eq!(InstanceStore.insert_new("record", b"two"), Ok(false));
        InstanceStore.remove("record");
        assert_eq!(InstanceStore.get("record"), None);
    }

    #[test]
    fn a_missing_directory_is_no_value_and_no_failure() {
        let mut store = DirStore::new("/nonexistent/gbg-go", 1);
        store.set("entry", b"one");
        assert_eq!(store.get("entry"), None);
        assert!(store.insert_new("entry", b"one").is_err());
    }

    #[test]
    fn the_instance_store_lives_as_long_as_the_instance() {
        InstanceStore.set("entry", b"one");
        assert_eq!(InstanceStore.get("entry").as_deref(), Some(&b"one"[..]));
    }
}

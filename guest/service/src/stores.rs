//! The token stores that are plain Rust: files in a directory, and the
//! instance's own memory. (The `wasi:keyvalue` store is in
//! `wasi_keyvalue`.) Every value they hold is sealed by the protocol core.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::PathBuf;

use gbg_go_core::token_store::TokenStore;

use crate::warn;

/// Files in a directory, one per entry, replaced atomically (written
/// aside, then renamed), so that concurrent instances never read half a
/// value. Under `wasmtime serve --dir HOST::GUEST` every instance on the
/// machine sees the same files.
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
}

impl TokenStore for DirStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        match std::fs::read(self.dir.join(name)) {
            Ok(value) => Some(value),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => {
                warn(&format!(
                    "cannot read a shared token from {}: {e}",
                    self.dir.display()
                ));
                None
            }
        }
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        let aside = self.dir.join(format!(".{name}.{:016x}.tmp", self.tag));
        let written = std::fs::write(&aside, value)
            .and_then(|()| std::fs::rename(&aside, self.dir.join(name)));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&aside);
            warn(&format!(
                "cannot share a token in {}: {e}",
                self.dir.display()
            ));
        }
    }
}

thread_local! {
    static INSTANCE_TOKENS: RefCell<HashMap<String, Vec<u8>>> = RefCell::default();
}

/// The instance's memory: shared by the requests one instance serves (all
/// of them under `jco serve`'s default), gone with the instance.
pub struct InstanceStore;

impl TokenStore for InstanceStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        INSTANCE_TOKENS.with(|tokens| tokens.borrow().get(name).cloned())
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        INSTANCE_TOKENS.with(|tokens| {
            tokens.borrow_mut().insert(name.to_owned(), value.to_vec());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_shares_values_between_stores() {
        let dir = std::env::temp_dir().join(format!("gbg-go-dir-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut first = DirStore::new(&dir, 1);
        let mut second = DirStore::new(&dir, 2);
        assert_eq!(first.get("entry"), None);
        first.set("entry", b"one");
        assert_eq!(second.get("entry").as_deref(), Some(&b"one"[..]));
        second.set("entry", b"two");
        assert_eq!(first.get("entry").as_deref(), Some(&b"two"[..]));
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["entry"], "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_no_token_and_no_failure() {
        let mut store = DirStore::new("/nonexistent/gbg-go", 1);
        store.set("entry", b"one");
        assert_eq!(store.get("entry"), None);
    }

    #[test]
    fn the_instance_store_lives_as_long_as_the_instance() {
        InstanceStore.set("entry", b"one");
        assert_eq!(InstanceStore.get("entry").as_deref(), Some(&b"one"[..]));
    }
}

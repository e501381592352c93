//! [`Store`] over a `wasi:keyvalue` bucket: shared by every instance the
//! engine connects to the same bucket (on Spin and wasmCloud, across
//! machines when the bucket is backed by a shared database).

use gbg_go_core::token_store::TokenStore;

use crate::bindings::keyvalue_store::{self as store, Bucket, Error};
use crate::log;
use crate::stores::Store;

/// One open bucket.
pub struct KeyValueStore {
    bucket: Bucket,
    name: String,
}

impl KeyValueStore {
    /// Opens the bucket `name`; the error says why the engine refused.
    pub fn open(name: &str) -> Result<Self, String> {
        store::open(name)
            .map(|bucket| Self {
                bucket,
                name: name.to_owned(),
            })
            .map_err(|e| reason(&e))
    }

    fn failed(&self, kind: &'static str, what: &str, error: &Error) {
        log::once(kind, || {
            format!(
                "cannot {what} the bucket {:?}: {}",
                self.name,
                reason(error)
            )
        });
    }
}

impl TokenStore for KeyValueStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        self.bucket.get(name).unwrap_or_else(|e| {
            self.failed("store-read", "read an entry of", &e);
            None
        })
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        if let Err(e) = self.bucket.set(name, value) {
            self.failed("store-write", "write an entry in", &e);
        }
    }
}

impl Store for KeyValueStore {
    /// `exists`, then `set`: `wasi:keyvalue/store` has no atomic insert.
    fn insert_new(&mut self, name: &str, value: &[u8]) -> Result<bool, String> {
        let exists = self.bucket.exists(name).map_err(|e| reason(&e))?;
        if exists {
            return Ok(false);
        }
        self.bucket.set(name, value).map_err(|e| reason(&e))?;
        Ok(true)
    }

    fn remove(&mut self, name: &str) {
        if let Err(e) = self.bucket.delete(name) {
            self.failed("store-write", "remove an entry from", &e);
        }
    }
}

fn reason(error: &Error) -> String {
    match error {
        Error::NoSuchStore => "the engine has no such bucket".to_owned(),
        Error::AccessDenied => "the engine denied access to it".to_owned(),
        Error::Other(message) => message.clone(),
    }
}

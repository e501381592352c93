//! [`TokenStore`] over a `wasi:keyvalue` bucket: shared by every instance
//! the engine connects to the same bucket (on Spin and wasmCloud, across
//! machines when the bucket is backed by a shared database).

use gbg_go_core::token_store::TokenStore;

use crate::engine::keyvalue_store::{self as store, Bucket, Error};
use crate::warn;

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
}

impl TokenStore for KeyValueStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        self.bucket.get(name).unwrap_or_else(|e| {
            warn(&format!(
                "cannot read a shared token from the bucket {:?}: {}",
                self.name,
                reason(&e)
            ));
            None
        })
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        if let Err(e) = self.bucket.set(name, value) {
            warn(&format!(
                "cannot share a token in the bucket {:?}: {}",
                self.name,
                reason(&e)
            ));
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

//! Values sealed for a store that others may read: ChaCha20-Poly1305 with
//! a fresh random nonce, bound to the name the value is stored under, so
//! that a value moved to another name does not open. Customer tokens
//! ([`crate::token_store`]) and the journey service's idempotency records
//! are kept so.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce};

use crate::http::Clock;

/// The first byte of every sealed value: the format version.
pub const SEALED_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// A sealing key.
pub struct Seal(ChaCha20Poly1305);

impl Seal {
    /// The seal of the 32-byte `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        Self(ChaCha20Poly1305::new(Key::from_slice(key)))
    }

    /// `plain`, sealed for the entry `name`, with a nonce drawn from
    /// `clock`: the version, the nonce, then the ciphertext and its tag.
    pub fn seal(&self, name: &str, plain: &[u8], clock: &impl Clock) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..8].copy_from_slice(&clock.random_u64().to_le_bytes());
        nonce[8..].copy_from_slice(&clock.random_u64().to_le_bytes()[..4]);
        let ciphertext = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: name.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 seals values of any size a store holds");
        [&[SEALED_VERSION][..], &nonce, &ciphertext].concat()
    }

    /// The plain value of `sealed`, if it was sealed with this key for
    /// `name` and is intact.
    pub fn open(&self, name: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        if version != SEALED_VERSION || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeClock;

    #[test]
    fn a_value_opens_under_its_key_and_name_only() {
        let clock = FakeClock::default();
        let seal = Seal::new(&[7; 32]);
        let sealed = seal.seal("entry", b"value", &clock);
        assert_eq!(sealed[0], SEALED_VERSION);
        assert_eq!(seal.open("entry", &sealed).as_deref(), Some(&b"value"[..]));
        assert_eq!(seal.open("other", &sealed), None);
        assert_eq!(Seal::new(&[8; 32]).open("entry", &sealed), None);
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(seal.open("entry", &flipped), None);
        for bad in [&b""[..], &[SEALED_VERSION], &[2; 40]] {
            assert_eq!(seal.open("entry", bad), None);
        }
    }
}

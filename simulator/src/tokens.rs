//! The tokens the simulator issued: customer access tokens, connect tokens and end-user
//! tokens, with their expiry.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a token lets its bearer do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A customer access token from the token endpoint.
    Customer,
    /// A connect token from `journey/device/start`, for one instance.
    Connect {
        /// The instance it was issued for.
        instance_id: String,
    },
    /// An end-user token from `journey/device/connect`, for one instance.
    EndUser {
        /// The instance it was issued for.
        instance_id: String,
    },
}

/// What the store knows about a presented token.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Issued and not expired.
    Valid(TokenKind),
    /// Issued, but expired (or expired by [`TokenStore::expire_all`]).
    Expired,
    /// Never issued here.
    Unknown,
}

#[derive(Debug)]
struct Issued {
    kind: TokenKind,
    expires_at: Instant,
}

/// The issued tokens. Expired tokens are forgotten once the store grows large.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<String, Issued>>,
}

/// Above this many tokens, expired ones are forgotten on the next issue.
const PRUNE_ABOVE: usize = 10_000;

impl TokenStore {
    fn tokens(&self) -> MutexGuard<'_, HashMap<String, Issued>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers `token` as a `kind` token valid for `lifetime` from now.
    pub fn remember(&self, token: &str, kind: TokenKind, lifetime: Duration) {
        let now = Instant::now();
        let mut tokens = self.tokens();
        if tokens.len() > PRUNE_ABOVE {
            tokens.retain(|_, issued| issued.expires_at > now);
        }
        let expires_at = now.checked_add(lifetime).unwrap_or(now);
        tokens.insert(token.to_owned(), Issued { kind, expires_at });
    }

    /// What `token` is.
    pub fn lookup(&self, token: &str) -> Lookup {
        match self.tokens().get(token) {
            Some(issued) if Instant::now() < issued.expires_at => {
                Lookup::Valid(issued.kind.clone())
            }
            Some(_) => Lookup::Expired,
            None => Lookup::Unknown,
        }
    }

    /// Every token issued and still remembered, expired or not.
    pub fn issued(&self) -> Vec<String> {
        self.tokens().keys().cloned().collect()
    }

    /// Makes every issued token expired now.
    pub fn expire_all(&self) {
        let now = Instant::now();
        for issued in self.tokens().values_mut() {
            issued.expires_at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_valid_until_expired() {
        let store = TokenStore::default();
        store.remember("a", TokenKind::Customer, Duration::from_secs(60));
        store.remember("b", TokenKind::Customer, Duration::ZERO);
        assert_eq!(store.lookup("a"), Lookup::Valid(TokenKind::Customer));
        assert_eq!(store.lookup("b"), Lookup::Expired);
        assert_eq!(store.lookup("c"), Lookup::Unknown);
        store.expire_all();
        assert_eq!(store.lookup("a"), Lookup::Expired);
    }
}

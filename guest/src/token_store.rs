//! Sharing customer access tokens between client instances: the
//! [`TokenStore`] seam, the entry a credential set's token is kept under,
//! and the sealed form it is kept in.
//!
//! Engines that serve HTTP components create an instance per request, so a
//! token cached in an instance's memory dies with it. A [`TokenStore`] (for
//! example a `wasi:keyvalue` bucket) outlives the instances; the client
//! consults it before fetching a token and updates it after.
//!
//! Whoever can read the store must not learn or use a token from it: each
//! entry's name is a keyed digest of the credential set (token URL, grant,
//! client id, scope, username), and its value is sealed with
//! ChaCha20-Poly1305. Both keys are derived (HKDF-SHA256) from the client
//! secret and password, so only holders of those credentials, who could
//! fetch a token anyway, can find or open an entry, and a rotated secret
//! never finds the old token.

use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Settings;
use crate::http::Clock;
use crate::seal::Seal;
use gbg_go_contract::Secret;

/// The prefix of every entry name; the version changes with the format.
pub const ENTRY_PREFIX: &str = "gbg-go-token-v1-";

/// A key-value store shared by client instances, such as a `wasi:keyvalue`
/// bucket or a directory. It holds opaque bytes under plain names.
///
/// A store that fails reports the failure its own way (a log line) and
/// answers `None`: a missing token costs one token request, never a call.
pub trait TokenStore {
    /// The value stored under `name`, if any.
    fn get(&mut self, name: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `name`, replacing any earlier value.
    fn set(&mut self, name: &str, value: &[u8]);
}

/// A customer token as kept in a store: everything a new instance needs to
/// use it until its refresh margin.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token.
    pub access_token: String,
    /// `token_type`, normally `Bearer`.
    pub token_type: String,
    /// The lifetime the endpoint granted, in seconds.
    pub expires_in_s: u64,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &Secret::new(""))
            .field("token_type", &self.token_type)
            .field("expires_in_s", &self.expires_in_s)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// A [`TokenStore`] bound to one credential set: the entry it uses and the
/// key its value is sealed with.
pub struct SharedTokens {
    store: Box<dyn TokenStore>,
    entry: String,
    seal: Seal,
}

impl SharedTokens {
    /// Binds `store` to the credential set of `settings`.
    pub fn new(store: Box<dyn TokenStore>, settings: &Settings) -> Self {
        let (secrets, identity) = credential_set(settings);
        let keys = Hkdf::<Sha256>::new(None, &secrets);
        let mut name = [0u8; 16];
        keys.expand_multi_info(&[b"gbg-go token entry v1\0", &identity], &mut name)
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        let mut key = [0u8; 32];
        keys.expand(b"gbg-go token seal v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            store,
            entry: format!("{ENTRY_PREFIX}{}", hex(&name)),
            seal: Seal::new(&key),
        }
    }

    /// The name of this credential set's entry.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The stored token, if there is one that opens with this credential
    /// set's key and parses; anything else is no token.
    pub fn load(&mut self) -> Option<StoredToken> {
        let sealed = self.store.get(&self.entry)?;
        let plain = self.seal.open(&self.entry, &sealed)?;
        serde_json::from_slice(&plain).ok()
    }

    /// Seals `token` under this credential set's entry, with a nonce drawn
    /// from `clock`.
    pub fn save(&mut self, token: &StoredToken, clock: &impl Clock) {
        let plain = serde_json::to_vec(token).expect("a stored token serialises");
        let sealed = self.seal.seal(&self.entry, &plain, clock);
        self.store.set(&self.entry, &sealed);
    }
}

/// The secret input key material and the public identity of a credential
/// set, each field ended by a NUL so that no two sets run together.
fn credential_set(settings: &Settings) -> (Vec<u8>, Vec<u8>) {
    let mut secrets = Vec::new();
    let mut identity = Vec::new();
    let field = |to: &mut Vec<u8>, value: &str| {
        to.extend_from_slice(value.as_bytes());
        to.push(0);
    };
    let grant = settings.credentials.fields();
    field(&mut identity, settings.token_url.as_str());
    field(&mut identity, grant.grant_type);
    field(&mut identity, grant.client_id);
    field(&mut identity, grant.scope.unwrap_or(""));
    field(&mut secrets, grant.client_secret.expose());
    if let Some((username, password)) = grant.user {
        field(&mut identity, username);
        field(&mut secrets, password.expose());
    }
    (secrets, identity)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CLIENT_SECRET, FakeClock, MemoryStore, config};
    use crate::types::{ClientConfig, ClientCredentialsGrant, Grant, PasswordGrant};

    fn token() -> StoredToken {
        StoredToken {
            access_token: "at-SECRET-1".into(),
            token_type: "Bearer".into(),
            expires_in_s: 3600,
            expires_at_ms: 1_700_003_600_000,
        }
    }

    fn shared(memory: &MemoryStore, change: impl FnOnce(&mut ClientConfig)) -> SharedTokens {
        let mut c = config("https://api.test/v2/captain");
        change(&mut c);
        SharedTokens::new(Box::new(memory.clone()), &Settings::from_config(c).unwrap())
    }

    fn client_credentials(id: &str, secret: &str, scope: Option<&str>) -> Grant {
        Grant::ClientCredentials(ClientCredentialsGrant {
            client_id: id.into(),
            client_secret: secret.into(),
            scope: scope.map(str::to_owned),
        })
    }

    #[test]
    fn a_saved_token_loads_in_another_instance() {
        let memory = MemoryStore::default();
        let clock = FakeClock::default();
        shared(&memory, |_| {}).save(&token(), &clock);
        assert_eq!(shared(&memory, |_| {}).load(), Some(token()));
    }

    #[test]
    fn the_store_sees_neither_token_nor_secret() {
        let memory = MemoryStore::default();
        let mut tokens = shared(&memory, |_| {});
        tokens.save(&token(), &FakeClock::default());
        let contents = memory.entries();
        let (name, value) = contents.iter().next().unwrap();
        assert!(name.starts_with(ENTRY_PREFIX), "{name}");
        for text in [name.as_bytes(), value.as_slice()] {
            let text = String::from_utf8_lossy(text);
            for secret in ["SECRET", CLIENT_SECRET, "client-id", "Bearer", "3600"] {
                assert!(!text.contains(secret), "{secret} readable in the store");
            }
        }
    }

    #[test]
    fn each_credential_set_has_its_own_entry() {
        let memory = MemoryStore::default();
        let entry = |change: &dyn Fn(&mut ClientConfig)| shared(&memory, change).entry().to_owned();
        let password = |username: &str, password: &str| {
            Grant::Password(PasswordGrant {
                client_id: "client-id".into(),
                client_secret: CLIENT_SECRET.into(),
                username: username.into(),
                password: password.into(),
                scope: None,
            })
        };
        let entries = [
            entry(&|_| {}),
            entry(&|c| c.token_url = Some("https://other.test/as/token.oauth2".into())),
            entry(&|c| c.grant = client_credentials("other-id", CLIENT_SECRET, None)),
            entry(&|c| c.grant = client_credentials("client-id", CLIENT_SECRET, Some("x"))),
            entry(&|c| c.grant = client_credentials("client-id", "rotated-secret", None)),
            entry(&|c| c.grant = password("a@example.com", "password-one")),
            entry(&|c| c.grant = password("b@example.com", "password-one")),
            entry(&|c| c.grant = password("a@example.com", "rotated-secret")),
            // Fields that run together must not collide.
            entry(&|c| c.grant = client_credentials("client-idx", CLIENT_SECRET, None)),
        ];
        let distinct: std::collections::HashSet<&String> = entries.iter().collect();
        assert_eq!(distinct.len(), entries.len(), "{entries:?}");
        assert_eq!(entry(&|_| {}), entries[0], "the same set, the same entry");
    }

    #[test]
    fn a_rotated_secret_does_not_open_the_old_token() {
        let memory = MemoryStore::default();
        let clock = FakeClock::default();
        shared(&memory, |_| {}).save(&token(), &clock);
        let mut rotated = shared(&memory, |c| {
            c.grant = client_credentials("client-id", "rotated-secret", None);
        });
        // Even when pointed at the old entry, the new key cannot open it.
        let old = shared(&memory, |_| {}).entry().to_owned();
        rotated.entry = old;
        assert_eq!(rotated.load(), None);
    }

    #[test]
    fn tampered_or_foreign_values_are_no_token() {
        let mut memory = MemoryStore::default();
        let clock = FakeClock::default();
        let mut tokens = shared(&memory, |_| {});
        tokens.save(&token(), &clock);
        let entry = tokens.entry().to_owned();
        let original = memory.entries()[&entry].clone();
        let last = original.len() - 1;
        for bad in [
            Vec::new(),
            vec![crate::seal::SEALED_VERSION],
            vec![2; original.len()],
            b"{\"access_token\":\"x\"}".to_vec(),
            {
                let mut flipped = original.clone();
                flipped[last] ^= 1;
                flipped
            },
        ] {
            memory.set(&entry, &bad);
            assert_eq!(tokens.load(), None);
        }
    }

    #[test]
    fn stored_token_debug_hides_the_token() {
        assert!(!format!("{:?}", token()).contains("SECRET"));
    }
}

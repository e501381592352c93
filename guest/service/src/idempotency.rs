//! `Idempotency-Key` on `POST /journeys`, as in the IETF draft
//! `draft-ietf-httpapi-idempotency-key-header`: GBG GO's start is not
//! idempotent, so a caller whose start timed out retries with the same key
//! and gets the first answer instead of a second journey, which GBG bills.
//!
//! - The first request with a key claims it in the store
//!   (`GBG_GO_TOKEN_STORE`) with an in-flight record, starts the journey and
//!   records the answer. Only a started journey is recorded: a failed start
//!   releases the key, so the caller may try again.
//! - A repeat with the same key and body gets the recorded answer (with
//!   `Idempotent-Replayed: true`) and starts nothing; the same key with
//!   another body is `422`; a repeat while the first is in flight is `409`.
//! - Records expire after 24 h. An in-flight record whose request never
//!   finished (its instance was stopped) is taken over after the longest a
//!   call may run.
//! - Whoever reads the store learns neither the keys nor the answers:
//!   record names are keyed digests of the key, and values are sealed with
//!   ChaCha20-Poly1305, both keyed from the service key.

use gbg_go_contract::Secret;
use gbg_go_contract::defaults::{CALL_BUDGET_MS, IDEMPOTENCY_TTL_MS};
use gbg_go_contract::settings::TOKEN_STORE;
use gbg_go_core::http::Clock;
use gbg_go_core::seal::Seal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::Response;
use crate::digest::{hex, hmac_sha256};
use crate::http::IncomingRequest;
use crate::problem::Problem;
use crate::stores::Store;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The answer header that marks a recorded answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;
/// What every record's name starts with; the version changes with the
/// format.
pub const RECORD_PREFIX: &str = "gbg-go-idempotency-v1-";

/// The request's idempotency key, if it carries one: an sf-string
/// (`"..."`) or the bare text, of 1 to [`MAX_KEY_CHARS`] printable ASCII
/// characters; `400` otherwise.
pub fn key(request: &IncomingRequest) -> Result<Option<String>, Problem> {
    let Some(value) = request.header(HEADER) else {
        return Ok(None);
    };
    let value = value.trim();
    let key = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value);
    if key.is_empty()
        || key.len() > MAX_KEY_CHARS
        || !key.bytes().all(|b| (b' '..=b'~').contains(&b))
    {
        return Err(Problem::malformed(
            Some("Idempotency-Key".into()),
            format!(
                "the Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable ASCII characters, \
                 for example a UUID"
            ),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's to answer: record the answer with
    /// [`Records::complete`] or give the key back with [`Records::release`].
    Claimed(Ticket),
    /// An earlier request with the same key and body was answered this way.
    Replay(Response),
}

/// A claimed key.
#[derive(Debug)]
pub struct Ticket {
    name: String,
    fingerprint: String,
    at_ms: u64,
}

/// A record as sealed in the store.
#[derive(Serialize, Deserialize)]
struct Record {
    /// The SHA-256 of the request body, hexadecimal.
    fingerprint: String,
    /// When the key was claimed (Unix milliseconds).
    at_ms: u64,
    /// The answer; `None` while the first request is in flight.
    answer: Option<Answer>,
}

/// A recorded answer.
#[derive(Serialize, Deserialize)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Record {
    /// Whether the record no longer counts at `now_ms`: an answer after
    /// 24 h, an in-flight claim after the longest a call may run.
    fn expired(&self, now_ms: u64) -> bool {
        let lifetime = match self.answer {
            Some(_) => IDEMPOTENCY_TTL_MS,
            None => CALL_BUDGET_MS,
        };
        now_ms >= self.at_ms.saturating_add(lifetime)
    }
}

/// The idempotency records of one deployment: its store, and the keys
/// derived from its service key.
pub struct Records {
    store: Box<dyn Store>,
    name_key: [u8; 32],
    seal: Seal,
}

impl Records {
    /// The records in `store`, keyed from `service_key`.
    pub fn new(store: Box<dyn Store>, service_key: &Secret) -> Self {
        let secret = service_key.expose().as_bytes();
        Self {
            store,
            name_key: hmac_sha256(secret, &[b"gbg-go idempotency name v1"]),
            seal: Seal::new(&hmac_sha256(secret, &[b"gbg-go idempotency seal v1"])),
        }
    }

    /// Claims `key` for a request with `body`: the ticket, the recorded
    /// answer of an earlier request with the same body, or the problem:
    /// `422` for another body, `409` while the first is in flight, `503`
    /// when the store fails.
    pub fn claim(&mut self, key: &str, body: &[u8], clock: &impl Clock) -> Result<Claim, Problem> {
        let name = format!(
            "{RECORD_PREFIX}{}",
            hex(&hmac_sha256(&self.name_key, &[key.as_bytes()])[..16])
        );
        let fingerprint = hex(&Sha256::digest(body));
        let now = clock.now_unix_ms();
        // Twice: once more after taking over an expired record.
        for _ in 0..2 {
            let pending = Record {
                fingerprint: fingerprint.clone(),
                at_ms: now,
                answer: None,
            };
            let sealed = self.seal(&name, &pending, clock);
            match self.store.insert_new(&name, &sealed) {
                Ok(true) => {
                    return Ok(Claim::Claimed(Ticket {
                        name,
                        fingerprint,
                        at_ms: now,
                    }));
                }
                Ok(false) => {}
                Err(reason) => return Err(unavailable(&reason)),
            }
            match self.store.get(&name).and_then(|s| self.open(&name, &s)) {
                Some(record) if !record.expired(now) => {
                    if record.fingerprint != fingerprint {
                        return Err(mismatch());
                    }
                    return match record.answer {
                        Some(answer) => Ok(Claim::Replay(replay(answer))),
                        None => Err(in_flight()),
                    };
                }
                // Expired, abandoned, sealed under another service key, or
                // gone meanwhile: taken over.
                _ => self.store.remove(&name),
            }
        }
        Err(in_flight())
    }

    /// Records `response` as the answer to the claimed key.
    pub fn complete(&mut self, ticket: Ticket, response: &Response, clock: &impl Clock) {
        let record = Record {
            fingerprint: ticket.fingerprint,
            at_ms: ticket.at_ms,
            answer: Some(Answer {
                status: response.status,
                headers: response.headers.clone(),
                body: String::from_utf8_lossy(&response.body).into_owned(),
            }),
        };
        let sealed = self.seal(&ticket.name, &record, clock);
        self.store.set(&ticket.name, &sealed);
    }

    /// Gives the claimed key back, for the caller to try again.
    pub fn release(&mut self, ticket: Ticket) {
        self.store.remove(&ticket.name);
    }

    fn seal(&self, name: &str, record: &Record, clock: &impl Clock) -> Vec<u8> {
        let plain = serde_json::to_vec(record).expect("a record serialises");
        self.seal.seal(name, &plain, clock)
    }

    fn open(&self, name: &str, sealed: &[u8]) -> Option<Record> {
        serde_json::from_slice(&self.seal.open(name, sealed)?).ok()
    }
}

fn replay(answer: Answer) -> Response {
    let mut headers = answer.headers;
    headers.push((REPLAYED_HEADER.to_owned(), "true".to_owned()));
    Response {
        status: answer.status,
        headers,
        body: answer.body.into_bytes(),
    }
}

fn mismatch() -> Problem {
    Problem::new(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        "this Idempotency-Key was used within the last 24 h for a request with another body",
    )
    .field("Idempotency-Key")
}

fn in_flight() -> Problem {
    Problem::new(
        409,
        "idempotency-conflict",
        "A request with this Idempotency-Key is in progress",
        "a request with this Idempotency-Key is still being answered: retry once it is",
    )
    .field("Idempotency-Key")
}

fn unavailable(reason: &str) -> Problem {
    Problem::new(
        503,
        "store-unavailable",
        "The idempotency record cannot be kept",
        format!(
            "the Idempotency-Key cannot be recorded, so no journey was started: {reason} \
             ({TOKEN_STORE})"
        ),
    )
    .field(TOKEN_STORE.env)
}

#[cfg(test)]
mod tests {
    use gbg_go_core::testing::FakeClock;

    use gbg_go_core::token_store::TokenStore;

    use super::*;
    use crate::answers::json;
    use crate::stores::InstanceStore;

    fn records_under(service_key: &str) -> Records {
        Records::new(Box::new(InstanceStore), &Secret::new(service_key))
    }

    fn claim(
        records: &mut Records,
        key: &str,
        body: &str,
        clock: &FakeClock,
    ) -> Result<Claim, Problem> {
        records.claim(key, body.as_bytes(), clock)
    }

    /// What a claim of `key` for `body` comes to: `claimed`, `replay` or
    /// the problem's kind.
    fn outcome(records: &mut Records, key: &str, body: &str, clock: &FakeClock) -> &'static str {
        match claim(records, key, body, clock) {
            Ok(Claim::Claimed(_)) => "claimed",
            Ok(Claim::Replay(_)) => "replay",
            Err(problem) => problem.kind,
        }
    }

    const SERVICE_KEY: &str = "service-key-SECRET-1";

    #[test]
    fn a_key_is_answered_once_and_replayed_after() {
        let clock = FakeClock::default();
        let mut records = records_under(SERVICE_KEY);
        let Ok(Claim::Claimed(ticket)) = claim(&mut records, "k-1", "{}", &clock) else {
            panic!("the first request claims the key");
        };
        assert_eq!(
            outcome(&mut records, "k-1", "{}", &clock),
            "idempotency-conflict"
        );
        assert_eq!(
            outcome(&mut records, "k-1", "{ }", &clock),
            "idempotency-key-reused"
        );
        let answer = json(201, &serde_json::json!({"instance_id": "abc"}));
        records.complete(ticket, &answer, &clock);
        let Ok(Claim::Replay(replayed)) = claim(&mut records, "k-1", "{}", &clock) else {
            panic!("a repeat gets the recorded answer");
        };
        assert_eq!((replayed.status, &replayed.body), (201, &answer.body));
        assert_eq!(replayed.header(REPLAYED_HEADER), Some("true"));
        assert_eq!(
            outcome(&mut records, "k-1", "{ }", &clock),
            "idempotency-key-reused"
        );
        assert_eq!(outcome(&mut records, "k-2", "{}", &clock), "claimed");

        clock.advance(IDEMPOTENCY_TTL_MS);
        assert_eq!(
            outcome(&mut records, "k-1", "{ }", &clock),
            "claimed",
            "expired"
        );
    }

    #[test]
    fn a_released_or_abandoned_key_is_free_again() {
        let clock = FakeClock::default();
        let mut records = records_under(SERVICE_KEY);
        let Ok(Claim::Claimed(ticket)) = claim(&mut records, "k-3", "{}", &clock) else {
            panic!("claimed");
        };
        records.release(ticket);
        assert_eq!(outcome(&mut records, "k-3", "{}", &clock), "claimed");
        clock.advance(CALL_BUDGET_MS - 1);
        assert_eq!(
            outcome(&mut records, "k-3", "{}", &clock),
            "idempotency-conflict"
        );
        clock.advance(1);
        assert_eq!(
            outcome(&mut records, "k-3", "{}", &clock),
            "claimed",
            "abandoned"
        );
    }

    #[test]
    fn the_store_sees_neither_key_nor_answer() {
        let clock = FakeClock::default();
        let mut records = records_under(SERVICE_KEY);
        let Ok(Claim::Claimed(ticket)) = claim(&mut records, "order-4711", "{}", &clock) else {
            panic!("claimed");
        };
        let name = ticket.name.clone();
        assert!(
            name.starts_with(RECORD_PREFIX) && !name.contains("4711"),
            "{name}"
        );
        records.complete(
            ticket,
            &json(201, &serde_json::json!({"instance_id": "Xy7"})),
            &clock,
        );
        let sealed = InstanceStore.get(&name).unwrap();
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("Xy7") && !text.contains("201"), "{text}");
        // Under another service key the record does not open, and is taken
        // over.
        let mut rotated = records_under("service-key-SECRET-2");
        assert_eq!(
            outcome(&mut rotated, "order-4711", "{ }", &clock),
            "claimed"
        );
    }

    #[test]
    fn keys_are_sf_strings_or_bare_text() {
        let request = |value: &str| IncomingRequest::new("POST", "/journeys", &[(HEADER, value)]);
        assert_eq!(
            key(&request(r#""8e03978e-40d5""#)),
            Ok(Some("8e03978e-40d5".into()))
        );
        assert_eq!(key(&request("abc 1")), Ok(Some("abc 1".into())));
        assert_eq!(
            key(&IncomingRequest::new("POST", "/journeys", &[])),
            Ok(None)
        );
        for bad in [String::new(), r#""""#.into(), "é".into(), "k".repeat(256)] {
            let problem = key(&request(&bad)).unwrap_err();
            assert_eq!(
                (problem.status, problem.field.as_deref()),
                (400, Some("Idempotency-Key"))
            );
        }
    }
}

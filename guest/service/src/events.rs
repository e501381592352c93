//! Completion events: when GBG's Webhook module says a journey moved, the
//! service tells the integrator in a Standard Webhooks message, a JSON
//! event signed with the integrator's secret and POSTed to
//! `GBG_GO_EVENTS_URL`.
//!
//! - The event carries the journey's instance, status, times and GBG's
//!   decision (`context.result`), and no personal data unless
//!   `GBG_GO_EVENTS_INCLUDE_STATE=true` puts the whole state in.
//! - Its id is the same for one instance in one status, so a receiver can
//!   drop the duplicates a retried notification causes.
//! - Every attempt is signed anew: `webhook-id`, `webhook-timestamp` (Unix
//!   seconds) and `webhook-signature: v1,<base64 of HMAC-SHA256 over
//!   "id.timestamp.body">`, so any Standard Webhooks verifier (the
//!   `standardwebhooks` packages of PyPI and npm, `svix`) checks it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gbg_go_contract::defaults::{EVENT_TIMEOUT_MS, MIN_EVENT_KEY_BYTES};
use gbg_go_contract::identity::USER_AGENT;
use gbg_go_contract::spellings::event_type;
use gbg_go_contract::views::{self, Document, EventData};
use gbg_go_core::describe::describe;
use gbg_go_core::http::{Limits, Method, Request, Transport};
use gbg_go_core::types::{Error, JourneyState};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::digest::{hex, hmac_sha256};
use crate::problem::Problem;

/// The largest answer body read from the receiver, which is ignored.
const MAX_RECEIVER_ANSWER_BYTES: u32 = 64 * 1024;

/// Where events go and how they are signed (`GBG_GO_EVENTS_*`).
#[derive(Clone, PartialEq)]
pub struct Events {
    /// The receiver.
    pub url: Url,
    /// The signing key.
    pub key: SigningKey,
    /// Whether each event carries the whole state document.
    pub include_state: bool,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("url", &self.url.as_str())
            .field("include_state", &self.include_state)
            .finish_non_exhaustive()
    }
}

/// A Standard Webhooks signing key. Its `Debug` output shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// The key of a `whsec_<base64>` secret (the prefix may be left out, as
    /// the verifiers allow); refused when it is not base64 or holds fewer
    /// than [`MIN_EVENT_KEY_BYTES`] bytes.
    pub fn parse(secret: &str) -> Result<Self, String> {
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD.decode(encoded).map_err(|_| {
            "must be whsec_ followed by base64 (make one with `echo whsec_$(openssl rand \
             -base64 32)`)"
                .to_owned()
        })?;
        if key.len() < MIN_EVENT_KEY_BYTES {
            return Err(format!(
                "holds fewer than {MIN_EVENT_KEY_BYTES} bytes of key (make one with `echo \
                 whsec_$(openssl rand -base64 32)`)"
            ));
        }
        Ok(Self(key))
    }

    /// The `webhook-signature` of message `id` sent at `timestamp_s` (Unix
    /// seconds) with `body`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp_s: u64, body: &[u8]) -> String {
        let timestamp = timestamp_s.to_string();
        let mac = hmac_sha256(
            &self.0,
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
        );
        format!("v1,{}", STANDARD.encode(mac))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(gbg_go_contract::secret::REDACTED)
    }
}

/// An event ready to send: its id and its JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The Standard Webhooks message id (`webhook-id`).
    pub id: String,
    /// The JSON payload.
    pub body: Vec<u8>,
}

impl Event {
    /// The event for `state`, made at `now_ms` (Unix milliseconds), with the
    /// whole state document only if `include_state`.
    pub fn of(state: &JourneyState, now_ms: u64, include_state: bool) -> Self {
        let timestamp = rfc3339(now_ms);
        let document: Option<serde_json::Value> = serde_json::from_str(&state.document).ok();
        let decision = document
            .as_ref()
            .and_then(|document| document.pointer("/context/result"))
            .cloned();
        let view = views::Event {
            kind: event_type(&state.status_text),
            timestamp: &timestamp,
            data: EventData {
                instance_id: &state.instance_id,
                status: &state.status_text,
                created_at: state.created_at.as_deref(),
                completed_at: state.completed_at.as_deref(),
                decision,
                state: include_state.then_some(Document(&state.document)),
            },
        };
        Self {
            id: event_id(&state.instance_id, &state.status_text),
            body: views::to_value(&view).to_string().into_bytes(),
        }
    }
}

/// The id of the event for `instance_id` in `status`: the same for every
/// notification of that status, different for any other.
pub fn event_id(instance_id: &str, status: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"gbg-go event v1\0")
        .chain_update(instance_id)
        .chain_update(b"\0")
        .chain_update(status)
        .finalize();
    format!("evt_{}", hex(&digest[..16]))
}

/// Sends `event` to the receiver, signed at `now_ms`: `Ok` once the
/// receiver answered 2xx; else the `502` problem saying why, so that GBG's
/// sender retries its notification.
pub fn deliver<T: Transport>(
    transport: &T,
    events: &Events,
    event: &Event,
    now_ms: u64,
) -> Result<(), Problem> {
    let timestamp_s = now_ms / 1000;
    let request = Request {
        method: Method::Post,
        url: events.url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), USER_AGENT.into()),
            ("webhook-id".into(), event.id.clone()),
            ("webhook-timestamp".into(), timestamp_s.to_string()),
            (
                "webhook-signature".into(),
                events.key.sign(&event.id, timestamp_s, &event.body),
            ),
        ],
        body: event.body.clone(),
    };
    let limits = Limits {
        timeout_ms: EVENT_TIMEOUT_MS,
        max_response_bytes: MAX_RECEIVER_ANSWER_BYTES,
    };
    let origin = events.url.origin().ascii_serialization();
    match transport.send(&request, &limits) {
        Ok(answer) if answer.is_success() => Ok(()),
        Ok(answer) => Err(Problem::new(
            502,
            "event-refused",
            "The event receiver refused the event",
            format!(
                "the event receiver at {origin} answered {} to event {}",
                answer.status, event.id
            ),
        )),
        Err(error) => Err(Problem::new(
            502,
            "event-undelivered",
            "The event receiver could not be reached",
            format!(
                "event {} did not reach the receiver at {origin}: {}",
                event.id,
                describe(&Error::from(error))
            ),
        )),
    }
}

/// `unix_ms` as RFC 3339 in UTC, e.g. `2026-03-16T23:56:04.097Z`.
fn rfc3339(unix_ms: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use gbg_go_core::types::JourneyStatus;
    use serde_json::{Value, json};

    use super::*;

    fn state(status: JourneyStatus, text: &str, document: &str) -> JourneyState {
        JourneyState {
            instance_id: "abc".into(),
            status,
            status_text: text.into(),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            completed_at: Some("2026-01-01T00:05:00Z".into()),
            document: document.into(),
        }
    }

    const DOCUMENT: &str = r#"{"status":"Completed","context":{"subject":{"identity":{"firstName":"Ann"}},"result":{"status":"completed","outcome":"Decision: Accept"}}}"#;

    #[test]
    fn the_event_carries_the_decision_and_no_personal_data() {
        let event = Event::of(
            &state(JourneyStatus::Completed, "Completed", DOCUMENT),
            1_773_705_364_097,
            false,
        );
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(
            body,
            json!({
                "type": "journey.completed",
                "timestamp": "2026-03-16T23:56:04.097Z",
                "data": {
                    "instance_id": "abc",
                    "status": "Completed",
                    "created_at": "2026-01-01T00:00:00Z",
                    "completed_at": "2026-01-01T00:05:00Z",
                    "decision": {"status": "completed", "outcome": "Decision: Accept"},
                },
            })
        );
        assert!(!String::from_utf8_lossy(&event.body).contains("Ann"));

        let with_state = Event::of(
            &state(JourneyStatus::Completed, "Completed", DOCUMENT),
            0,
            true,
        );
        let body: Value = serde_json::from_slice(&with_state.body).unwrap();
        assert_eq!(
            body["data"]["state"]["context"]["subject"]["identity"]["firstName"],
            "Ann"
        );
    }

    #[test]
    fn types_follow_the_status_and_ids_are_stable_per_status() {
        for (status, text, kind) in [
            (JourneyStatus::Failed, "Failed", "journey.failed"),
            (JourneyStatus::Paused, "Paused", "journey.paused"),
            (
                JourneyStatus::InProgress,
                "InProgress",
                "journey.in_progress",
            ),
            (
                JourneyStatus::Other("Expired".into()),
                "Expired",
                "journey.updated",
            ),
        ] {
            let event = Event::of(&state(status, text, "{}"), 0, false);
            let body: Value = serde_json::from_slice(&event.body).unwrap();
            assert_eq!(body["type"], kind);
            assert_eq!(body["data"]["status"], text);
            assert_eq!(body["data"]["decision"], Value::Null);
        }
        let id = |instance, status| event_id(instance, status);
        assert_eq!(id("abc", "Completed"), id("abc", "Completed"));
        assert_ne!(id("abc", "Completed"), id("abc", "Paused"));
        assert_ne!(id("abc", "Completed"), id("abd", "Completed"));
        assert!(id("abc", "Completed").starts_with("evt_"));
        assert_eq!(id("abc", "Completed").len(), 36);
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification's reference
        // libraries (their signature test vector).
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(
            SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Ok(key.clone())
        );
        assert!(SigningKey::parse("whsec_c2hvcnQ=").is_err());
        assert!(SigningKey::parse("whsec_not base64!").is_err());
        assert_eq!(format!("{key:?}"), "[redacted]");
    }
}

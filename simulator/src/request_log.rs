//! The record of every request the simulator received, for test assertions. Secrets
//! (the `Authorization` value, cookies, client secrets, passwords, tokens) are redacted.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::body::is_form;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header names whose values are never recorded.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Body field names (JSON or form) whose values are never recorded.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "password",
    "access_token",
    "connectToken",
    "endUserToken",
];

/// Longest non-JSON, non-form body text recorded, in characters.
const MAX_TEXT_BODY: usize = 4096;

/// One received request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// The `X-Request-ID` the simulator answered with.
    pub request_id: String,
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/v2/captain/journey/start`.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Every header in order, names lower-case; secret values are `[redacted]`.
    pub headers: Vec<(String, String)>,
    /// The body: the JSON value for JSON, an object of fields for a form, the text
    /// (cut at 4096 characters) otherwise, `null` when empty. Secret fields are
    /// `[redacted]`.
    pub body: Value,
    /// The status answered; `None` while in flight or when the connection was dropped.
    pub status: Option<u16>,
    /// The answer's body, recorded like [`body`](LoggedRequest::body) (JSON as JSON,
    /// secrets `[redacted]`); `null` while in flight, when empty, when the connection was
    /// dropped, or for an answer streamed without a known length.
    pub response: Value,
}

impl LoggedRequest {
    /// The value of header `name` (case-insensitive), as recorded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// How many requests the log keeps; older ones are forgotten first, so a long-running
/// simulator does not grow without bound.
pub const LOG_CAPACITY: usize = 10_000;

/// The most recent [`LOG_CAPACITY`] requests, in the order they arrived.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    fn entries(&self) -> MutexGuard<'_, VecDeque<LoggedRequest>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends `entry`, forgetting the oldest entry when full.
    pub fn push(&self, entry: LoggedRequest) {
        let mut entries = self.entries();
        if entries.len() == LOG_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Records the status and the answer's body of the request `request_id`.
    pub fn answered(&self, request_id: &str, status: Option<u16>, response: Value) {
        let mut entries = self.entries();
        if let Some(entry) = entries
            .iter_mut()
            .rev()
            .find(|e| e.request_id == request_id)
        {
            entry.status = status;
            entry.response = response;
        }
    }

    /// A copy of every entry kept.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries().iter().cloned().collect()
    }
}

/// The headers as recorded.
pub fn headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// The body as recorded (see [`LoggedRequest::body`]).
pub fn body(headers: &HeaderMap, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
        redact(&mut value);
        return value;
    }
    if is_form(headers)
        && let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
    {
        let mut object: Map<String, Value> = fields
            .into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect();
        redact_fields(&mut object);
        return Value::Object(object);
    }
    Value::String(
        String::from_utf8_lossy(bytes)
            .chars()
            .take(MAX_TEXT_BODY)
            .collect(),
    )
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(object) => {
            redact_fields(object);
            object.values_mut().for_each(redact);
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn redact_fields(object: &mut Map<String, Value>) {
    for (key, value) in object.iter_mut() {
        if SECRET_FIELDS.contains(&key.as_str()) {
            *value = Value::String(REDACTED.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn the_log_keeps_the_most_recent_entries() {
        let log = RequestLog::default();
        let entry = |n: usize| LoggedRequest {
            request_id: n.to_string(),
            method: "GET".to_owned(),
            path: "/".to_owned(),
            query: None,
            headers: Vec::new(),
            body: Value::Null,
            status: None,
            response: Value::Null,
        };
        for n in 0..=LOG_CAPACITY {
            log.push(entry(n));
        }
        log.answered("5", Some(200), serde_json::json!({"ok": true}));
        let kept = log.snapshot();
        assert_eq!(kept.len(), LOG_CAPACITY);
        assert_eq!(kept[0].request_id, "1");
        assert_eq!(kept[4].status, Some(200));
        assert_eq!(kept[4].response["ok"], true);
    }

    #[test]
    fn secrets_are_redacted_in_headers_forms_and_json() {
        let mut map = HeaderMap::new();
        map.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(headers(&map)[0].1, REDACTED);
        let form = body(&map, b"client_id=a&client_secret=s&password=p");
        assert_eq!(form["client_id"], "a");
        assert_eq!(form["client_secret"], REDACTED);
        assert_eq!(form["password"], REDACTED);
        let json = body(
            &map,
            br#"{"connectToken":"t","deviceInfo":{"deviceId":"d"}}"#,
        );
        assert_eq!(json["connectToken"], REDACTED);
        assert_eq!(json["deviceInfo"]["deviceId"], "d");
    }
}

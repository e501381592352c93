//! Construction of the WIT `error` variant: non-2xx answers, invalid answers,
//! refused input, and the scrubbing of secrets from error text.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::http::Response;
use crate::types::{
    ApiFailure, ApiProblem, Error, InvalidInput, InvalidResponse, JourneyStatus, RateLimited,
};

/// The longest server-provided message kept in an [`ApiFailure`].
const MAX_MESSAGE_CHARS: usize = 1000;

/// `error::invalid-input` for `field`.
pub fn invalid_input(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput(InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    })
}

/// `error::invalid-response` for `response`.
pub fn invalid_response(response: &Response, reason: impl Into<String>) -> Error {
    Error::InvalidResponse(InvalidResponse {
        status: response.status,
        request_id: response.request_id(),
        reason: reason.into(),
    })
}

/// Classifies a non-2xx answer. `now_unix_ms` resolves an HTTP-date
/// `Retry-After`.
pub fn classify(response: &Response, now_unix_ms: u64) -> Error {
    if (300..400).contains(&response.status) {
        let reason = match response.header("location") {
            Some(location) => format!("redirect to {} not followed", without_query(location)),
            None => "redirect not followed".to_owned(),
        };
        return invalid_response(response, reason);
    }
    let retry_after_ms = retry_after_ms(response, now_unix_ms);
    for_status(response.status, api_failure(response), retry_after_ms).unwrap_or_else(|| {
        invalid_response(response, format!("unexpected status {}", response.status))
    })
}

/// The error for a 4xx or 5xx `status` (also used for the `code` of an
/// in-body interaction error); `None` for any other status.
pub fn for_status(status: u16, failure: ApiFailure, retry_after_ms: Option<u64>) -> Option<Error> {
    Some(match status {
        401 => Error::Unauthorized(failure),
        403 => Error::Forbidden(failure),
        404 | 410 => Error::NotFound(failure),
        429 => Error::RateLimited(RateLimited {
            retry_after_ms,
            failure,
        }),
        400..=499 => Error::BadRequest(failure),
        500..=599 => Error::ServerError(failure),
        _ => return None,
    })
}

/// The `api-failure` an error carries, for the variants that answer one
/// (4xx and 5xx answers, rate limits).
pub fn failure_of(error: &Error) -> Option<&ApiFailure> {
    match error {
        Error::BadRequest(f)
        | Error::Unauthorized(f)
        | Error::Forbidden(f)
        | Error::NotFound(f)
        | Error::ServerError(f) => Some(f),
        Error::RateLimited(r) => Some(&r.failure),
        _ => None,
    }
}

/// The `api-failure` of an error answer: status, request id, GBG's
/// `errors[]` entries and a summary message. The raw body is never copied.
pub fn api_failure(response: &Response) -> ApiFailure {
    let body = serde_json::from_slice::<Value>(&response.body).ok();
    let object = body.as_ref().and_then(Value::as_object);
    ApiFailure {
        status: response.status,
        request_id: response.request_id(),
        problems: object.map(problems).unwrap_or_default(),
        message: object.and_then(summary),
    }
}

fn problems(body: &Map<String, Value>) -> Vec<ApiProblem> {
    let Some(entries) = body.get("errors").and_then(Value::as_array) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(Value::as_object)
        .map(|entry| ApiProblem {
            code: text_of(entry.get("code")),
            name: text_of(entry.get("name")),
            location: text_of(entry.get("location")),
            problem: text_of(entry.get("problem")),
            action: text_of(entry.get("action")),
        })
        .collect()
}

/// A string field as is, a number as its decimal text, anything else empty.
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn summary(body: &Map<String, Value>) -> Option<String> {
    ["message", "error_description", "error"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .filter(|text| !text.trim().is_empty())
        .map(|text| text.chars().take(MAX_MESSAGE_CHARS).collect())
}

/// The `Retry-After` header in milliseconds: delta-seconds, or an HTTP-date
/// relative to `now_unix_ms` (a past date is 0).
pub fn retry_after_ms(response: &Response, now_unix_ms: u64) -> Option<u64> {
    let value = response.header("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(seconds.saturating_mul(1000));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let at_ms = date
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    let at_ms = u64::try_from(at_ms).unwrap_or(u64::MAX);
    Some(at_ms.saturating_sub(now_unix_ms))
}

fn without_query(location: &str) -> &str {
    location.split(['?', '#']).next().unwrap_or_default()
}

/// Replaces every occurrence of each non-empty secret in every text of
/// `error` with `[redacted]`, so that a server echoing a credential cannot
/// leak it through an error.
pub fn redact(mut error: Error, secrets: &[&str]) -> Error {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    if secrets.is_empty() {
        return error;
    }
    for_each_text(&mut error, &mut |text| {
        for secret in &secrets {
            if text.contains(secret) {
                *text = text.replace(secret, "[redacted]");
            }
        }
    });
    error
}

fn for_each_text(error: &mut Error, f: &mut impl FnMut(&mut String)) {
    let failure_texts = |failure: &mut ApiFailure, f: &mut dyn FnMut(&mut String)| {
        failure.request_id.iter_mut().for_each(&mut *f);
        failure.message.iter_mut().for_each(&mut *f);
        for p in &mut failure.problems {
            for text in [
                &mut p.code,
                &mut p.name,
                &mut p.location,
                &mut p.problem,
                &mut p.action,
            ] {
                f(text);
            }
        }
    };
    match error {
        Error::InvalidInput(e) => {
            f(&mut e.field);
            f(&mut e.reason);
        }
        Error::BadRequest(a)
        | Error::Unauthorized(a)
        | Error::Forbidden(a)
        | Error::NotFound(a)
        | Error::ServerError(a) => failure_texts(a, f),
        Error::RateLimited(r) => failure_texts(&mut r.failure, f),
        Error::Transport(t) => {
            f(&mut t.authority);
            f(&mut t.message);
        }
        Error::InvalidResponse(r) => {
            r.request_id.iter_mut().for_each(&mut *f);
            f(&mut r.reason);
        }
        Error::Timeout(t) => {
            f(&mut t.instance_id);
            if let Some(JourneyStatus::Other(text)) = &mut t.last_status {
                f(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{api_failure_of, response};
    use crate::types::{TransportError, TransportKind};

    #[test]
    fn statuses_map_to_variants() {
        type Check = fn(&Error) -> bool;
        let cases: &[(u16, Check)] = &[
            (400, |e| matches!(e, Error::BadRequest(_))),
            (405, |e| matches!(e, Error::BadRequest(_))),
            (409, |e| matches!(e, Error::BadRequest(_))),
            (422, |e| matches!(e, Error::BadRequest(_))),
            (418, |e| matches!(e, Error::BadRequest(_))),
            (401, |e| matches!(e, Error::Unauthorized(_))),
            (403, |e| matches!(e, Error::Forbidden(_))),
            (404, |e| matches!(e, Error::NotFound(_))),
            (410, |e| matches!(e, Error::NotFound(_))),
            (429, |e| matches!(e, Error::RateLimited(_))),
            (500, |e| matches!(e, Error::ServerError(_))),
            (503, |e| matches!(e, Error::ServerError(_))),
            (599, |e| matches!(e, Error::ServerError(_))),
            (302, |e| matches!(e, Error::InvalidResponse(_))),
            (600, |e| matches!(e, Error::InvalidResponse(_))),
            (100, |e| matches!(e, Error::InvalidResponse(_))),
        ];
        for (status, check) in cases {
            let error = classify(&response(*status, &[], ""), 0);
            assert!(check(&error), "{status}: {error:?}");
        }
    }

    #[test]
    fn gbg_envelope_is_kept_entry_by_entry() {
        let body = r#"{"errors":[
            {"code":"4002","name":"MISSING_FIELD","location":"Body","problem":"p1","action":"a1"},
            {"code":4003,"name":"OTHER"},
            "not an object"
        ]}"#;
        let error = classify(&response(400, &[("x-REQUEST-id", "req-7")], body), 0);
        let failure = api_failure_of(&error);
        assert_eq!(failure.status, 400);
        assert_eq!(failure.request_id.as_deref(), Some("req-7"));
        assert_eq!(failure.problems.len(), 2);
        assert_eq!(
            failure.problems[0],
            ApiProblem {
                code: "4002".into(),
                name: "MISSING_FIELD".into(),
                location: "Body".into(),
                problem: "p1".into(),
                action: "a1".into(),
            }
        );
        assert_eq!(failure.problems[1].code, "4003");
        assert_eq!(failure.problems[1].location, "");
        assert_eq!(failure.message, None);
    }

    #[test]
    fn message_comes_from_message_or_oauth_fields() {
        let oauth = r#"{"error":"invalid_client","error_description":"Bad client"}"#;
        let error = classify(&response(401, &[], oauth), 0);
        assert_eq!(
            api_failure_of(&error).message.as_deref(),
            Some("Bad client")
        );
        let bare = r#"{"error":"invalid_grant"}"#;
        let error = classify(&response(400, &[], bare), 0);
        assert_eq!(
            api_failure_of(&error).message.as_deref(),
            Some("invalid_grant")
        );
        let message = r#"{"message":"Internal","error":"x"}"#;
        let error = classify(&response(500, &[], message), 0);
        assert_eq!(api_failure_of(&error).message.as_deref(), Some("Internal"));
    }

    #[test]
    fn non_json_error_bodies_are_not_copied() {
        let html = "<html><body>secret-ish page</body></html>";
        let error = classify(&response(502, &[], html), 0);
        let failure = api_failure_of(&error);
        assert!(failure.problems.is_empty());
        assert_eq!(failure.message, None);
        assert!(!format!("{error:?}").contains("secret-ish"));
    }

    #[test]
    fn retry_after_delta_seconds_and_http_date() {
        let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
        let delta = response(429, &[("Retry-After", " 3 ")], "");
        assert_eq!(retry_after_ms(&delta, now), Some(3000));
        let date = response(429, &[("retry-after", "Wed, 21 Oct 2015 07:28:05 GMT")], "");
        assert_eq!(retry_after_ms(&date, now), Some(5000));
        let past = response(429, &[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")], "");
        assert_eq!(retry_after_ms(&past, now), Some(0));
        let junk = response(429, &[("retry-after", "soon")], "");
        assert_eq!(retry_after_ms(&junk, now), None);
        let huge = response(429, &[("retry-after", "99999999999999999999999")], "");
        assert_eq!(retry_after_ms(&huge, now), Some(u64::MAX));
        match classify(&delta, now) {
            Error::RateLimited(r) => assert_eq!(r.retry_after_ms, Some(3000)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redirects_are_not_followed_and_drop_the_query() {
        let error = classify(
            &response(
                302,
                &[("Location", "https://elsewhere.example/login?code=abc")],
                "",
            ),
            0,
        );
        match error {
            Error::InvalidResponse(r) => {
                assert_eq!(r.status, 302);
                assert_eq!(
                    r.reason,
                    "redirect to https://elsewhere.example/login not followed"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_body_codes_map_like_statuses() {
        let failure = |status| ApiFailure {
            status,
            request_id: None,
            problems: Vec::new(),
            message: None,
        };
        assert!(matches!(
            for_status(500, failure(500), None),
            Some(Error::ServerError(_))
        ));
        assert!(matches!(
            for_status(409, failure(409), None),
            Some(Error::BadRequest(_))
        ));
        assert_eq!(for_status(200, failure(200), None), None);
    }

    #[test]
    fn redact_replaces_secrets_everywhere() {
        let error = Error::Transport(TransportError {
            kind: TransportKind::Other,
            authority: "host".into(),
            message: "echo tok-1 and pw-2".into(),
        });
        let redacted = redact(error, &["tok-1", "pw-2", ""]);
        let text = format!("{redacted:?}");
        assert!(!text.contains("tok-1") && !text.contains("pw-2"), "{text}");
        assert!(text.contains("[redacted]"));

        let mut failure = ApiFailure {
            status: 400,
            request_id: Some("r".into()),
            problems: vec![ApiProblem {
                code: String::new(),
                name: String::new(),
                location: String::new(),
                problem: "bad tok-1".into(),
                action: String::new(),
            }],
            message: Some("tok-1".into()),
        };
        let redacted = redact(Error::BadRequest(failure.clone()), &["tok-1"]);
        failure.problems[0].problem = "bad [redacted]".into();
        failure.message = Some("[redacted]".into());
        assert_eq!(redacted, Error::BadRequest(failure));
    }
}

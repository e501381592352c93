//! Construction of the WIT `error` variant: non-2xx answers, invalid answers
//! and refused input. Secrets are scrubbed from the result by
//! [`crate::redact`].

use std::time::{Duration, UNIX_EPOCH};

use gbg_go_contract::spellings::ErrorKind;
use serde_json::{Map, Value};

use crate::http::Response;
use crate::types::{ApiFailure, ApiProblem, Error, InvalidInput, InvalidResponse, RateLimited};

/// Who answered a request, which decides how much of an error answer's text
/// is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answerer {
    /// A GBG GO API endpoint: GBG's `errors[]` entries and message are kept
    /// (secrets redacted).
    Api,
    /// The OAuth token endpoint. It has just received the client secret and
    /// password in its form body, and its free text (`error_description`,
    /// messages, a redirect's path) may echo them in a spelling no redaction
    /// knows, so none of that text is kept: only the status, the OAuth
    /// `error` code when it is a registered one (a closed set of words that
    /// can carry nothing the client sent), and a request id shaped like an id.
    TokenEndpoint,
}

/// The registered OAuth error codes (RFC 6749 §4.1.2.1 and §5.2, RFC 6750
/// §3.1) a token endpoint error is reported with.
const OAUTH_ERROR_CODES: [&str; 11] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
];

/// The longest request id kept from a token endpoint.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// The kind of `error`: its WIT case.
pub fn kind(error: &Error) -> ErrorKind {
    match error {
        Error::InvalidInput(_) => ErrorKind::InvalidInput,
        Error::BadRequest(_) => ErrorKind::BadRequest,
        Error::Unauthorized(_) => ErrorKind::Unauthorized,
        Error::Forbidden(_) => ErrorKind::Forbidden,
        Error::NotFound(_) => ErrorKind::NotFound,
        Error::RateLimited(_) => ErrorKind::RateLimited,
        Error::ServerError(_) => ErrorKind::ServerError,
        Error::Transport(_) => ErrorKind::Transport,
        Error::InvalidResponse(_) => ErrorKind::InvalidResponse,
        Error::Timeout(_) => ErrorKind::Timeout,
    }
}

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

/// Classifies a non-2xx answer from `answerer`. `now_unix_ms` resolves an
/// HTTP-date `Retry-After`.
pub fn classify(response: &Response, now_unix_ms: u64, answerer: Answerer) -> Error {
    if (300..400).contains(&response.status) {
        let (location, request_id) = match answerer {
            Answerer::Api => (
                response
                    .header("location")
                    .map(|l| without_query(l).to_owned()),
                response.request_id(),
            ),
            Answerer::TokenEndpoint => (
                response.header("location").and_then(origin),
                token_endpoint_request_id(response),
            ),
        };
        let reason = match location {
            Some(location) => format!("redirect to {location} not followed"),
            None => "redirect not followed".to_owned(),
        };
        return Error::InvalidResponse(InvalidResponse {
            status: response.status,
            request_id,
            reason,
        });
    }
    let failure = match answerer {
        Answerer::Api => api_failure(response),
        Answerer::TokenEndpoint => token_endpoint_failure(response),
    };
    let retry_after_ms = retry_after_ms(response, now_unix_ms);
    for_status(response.status, failure, retry_after_ms).unwrap_or_else(|| {
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

/// The message of an API error answer, whole: it is shortened only after
/// secrets are redacted from it.
fn summary(body: &Map<String, Value>) -> Option<String> {
    ["message", "error_description", "error"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

/// The `api-failure` of a token endpoint's error answer: the status, the
/// registered OAuth `error` code as the message, and an id-shaped request
/// id; no free text (see [`Answerer::TokenEndpoint`]).
fn token_endpoint_failure(response: &Response) -> ApiFailure {
    let body = serde_json::from_slice::<Value>(&response.body).ok();
    let code = body
        .as_ref()
        .and_then(|body| body.get("error"))
        .and_then(Value::as_str)
        .and_then(|code| OAUTH_ERROR_CODES.into_iter().find(|known| *known == code));
    ApiFailure {
        status: response.status,
        request_id: token_endpoint_request_id(response),
        problems: Vec::new(),
        message: code.map(str::to_owned),
    }
}

/// The request id of a token endpoint's answer when it looks like an id:
/// letters, digits and `-._:`, at most [`MAX_REQUEST_ID_CHARS`].
fn token_endpoint_request_id(response: &Response) -> Option<String> {
    response.request_id().filter(|id| {
        (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
    })
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

/// `scheme://host[:port]` of an absolute `location`.
fn origin(location: &str) -> Option<String> {
    let origin = url::Url::parse(location).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{api_failure_of, problem, response};

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
            let error = classify(&response(*status, &[], ""), 0, Answerer::Api);
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
        let error = classify(
            &response(400, &[("x-REQUEST-id", "req-7")], body),
            0,
            Answerer::Api,
        );
        let failure = api_failure_of(&error);
        assert_eq!(failure.status, 400);
        assert_eq!(failure.request_id.as_deref(), Some("req-7"));
        assert_eq!(failure.problems.len(), 2);
        assert_eq!(
            failure.problems[0],
            problem("4002", "MISSING_FIELD", "Body", "p1", "a1")
        );
        assert_eq!(failure.problems[1].code, "4003");
        assert_eq!(failure.problems[1].location, "");
        assert_eq!(failure.message, None);
    }

    #[test]
    fn message_comes_from_message_or_oauth_fields() {
        let oauth = r#"{"error":"invalid_client","error_description":"Bad client"}"#;
        let error = classify(&response(401, &[], oauth), 0, Answerer::Api);
        assert_eq!(
            api_failure_of(&error).message.as_deref(),
            Some("Bad client")
        );
        let bare = r#"{"error":"invalid_grant"}"#;
        let error = classify(&response(400, &[], bare), 0, Answerer::Api);
        assert_eq!(
            api_failure_of(&error).message.as_deref(),
            Some("invalid_grant")
        );
        let message = r#"{"message":"Internal","error":"x"}"#;
        let error = classify(&response(500, &[], message), 0, Answerer::Api);
        assert_eq!(api_failure_of(&error).message.as_deref(), Some("Internal"));
    }

    #[test]
    fn non_json_error_bodies_are_not_copied() {
        let html = "<html><body>secret-ish page</body></html>";
        let error = classify(&response(502, &[], html), 0, Answerer::Api);
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
        match classify(&delta, now, Answerer::Api) {
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
            Answerer::Api,
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
    fn token_endpoint_errors_keep_only_the_registered_code_and_an_id() {
        let echo = r#"{"error":"invalid_client","error_description":"client_secret=s3c%2Br",
            "message":"s3c+r","errors":[{"code":"1","problem":"s3c+r"}]}"#;
        let answer = response(401, &[("X-Request-ID", "3f2a-9b:01.x_y")], echo);
        let failure = api_failure_of(&classify(&answer, 0, Answerer::TokenEndpoint)).clone();
        assert_eq!(
            failure,
            ApiFailure {
                status: 401,
                request_id: Some("3f2a-9b:01.x_y".into()),
                problems: Vec::new(),
                message: Some("invalid_client".into()),
            }
        );
        for (body, id) in [
            (r#"{"error":"client_secret=s3c%2Br"}"#, "id with spaces"),
            (r#"{"error_description":"no code"}"#, "id&secret=x"),
            ("not json", ""),
        ] {
            let answer = response(400, &[("x-request-id", id)], body);
            let failure = api_failure_of(&classify(&answer, 0, Answerer::TokenEndpoint)).clone();
            assert_eq!(
                (failure.message, failure.request_id),
                (None, None),
                "{body}"
            );
        }
        let long_id = "a".repeat(MAX_REQUEST_ID_CHARS + 1);
        let answer = response(500, &[("x-request-id", &long_id)], "");
        let failure = api_failure_of(&classify(&answer, 0, Answerer::TokenEndpoint)).clone();
        assert_eq!(failure.request_id, None);
    }

    #[test]
    fn token_endpoint_redirects_name_only_the_origin() {
        let redirect = |location: &str| {
            let answer = response(302, &[("Location", location)], "");
            match classify(&answer, 0, Answerer::TokenEndpoint) {
                Error::InvalidResponse(r) => r.reason,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            redirect("https://Login.Example:8443/echo/s3c+r?x=1"),
            "redirect to https://login.example:8443 not followed"
        );
        assert_eq!(redirect("/relative/s3c+r"), "redirect not followed");
    }
}

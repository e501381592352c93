//! Error answers as `application/problem+json` (RFC 9457): `type`, `title`,
//! `status` and `detail`, plus the `kind` of failure, GBG's `problems[]`
//! and its `request_id` when GBG GO answered, and the `field` at fault for
//! bad input. No detail ever holds a credential: the protocol core scrubs
//! them from its errors, and the service's own details name settings, never
//! their values.

use std::fmt;

use gbg_go_contract::settings::Setting;
use gbg_go_core::describe::describe;
use gbg_go_core::errors::{self, failure_of};
use gbg_go_core::types::{Error, TransportKind};
use serde::Serialize;
use serde_json::json;

use crate::answers::{Response, answer};

/// A setting that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (config key {}) {}",
            self.setting,
            self.setting.config_key(),
            self.reason
        )
    }
}

/// The media type of a problem.
pub const CONTENT_TYPE: &str = "application/problem+json";
/// What a problem's `type` URI starts with; its `kind` follows.
pub const TYPE_PREFIX: &str = "urn:gbg-go:problem:";
/// The `Retry-After` of a `429` when GBG GO named no wait, in seconds.
pub const DEFAULT_RETRY_AFTER_S: u64 = 1;

/// One problem answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// The kind, for programs: a `gbg:go/types.error` case such as
    /// `not-found`, or one of the service's own (`unauthenticated`, ...);
    /// the `type` URI is [`TYPE_PREFIX`] followed by it.
    pub kind: &'static str,
    /// What kind of problem this is, for people.
    pub title: &'static str,
    /// This occurrence, for people: a sentence naming the cause.
    pub detail: String,
    /// The request field or setting at fault, for bad input.
    pub field: Option<String>,
    /// What GBG GO answered, when it did.
    pub gbg: Option<Box<GbgAnswer>>,
    /// Headers the answer carries besides the content type.
    pub headers: Vec<(&'static str, String)>,
}

/// What GBG GO said in a failed answer.
#[derive(Clone, Debug, PartialEq)]
pub struct GbgAnswer {
    /// GBG's `errors[]` entries.
    pub problems: Vec<GbgProblem>,
    /// GBG's `X-Request-ID`.
    pub request_id: Option<String>,
}

/// One entry of GBG's `errors[]` envelope.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GbgProblem {
    /// GBG error code, e.g. `4002`.
    pub code: String,
    /// Machine identifier, e.g. `MISSING_FIELD`.
    pub name: String,
    /// `Body`, `Authorization`, `Path` or `Service`.
    pub location: String,
    /// What went wrong.
    pub problem: String,
    /// What to do about it.
    pub action: String,
}

impl Problem {
    /// A problem of `kind` with `status`, `title` and `detail`.
    pub fn new(
        status: u16,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            field: None,
            gbg: None,
            headers: Vec::new(),
        }
    }

    /// Names the request field or setting at fault.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Adds a header to the answer.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `400`: the request body or a parameter is not what the route takes.
    pub fn malformed(field: Option<String>, detail: impl Into<String>) -> Self {
        let problem = Self::new(400, "malformed-request", "Malformed request", detail);
        match field {
            Some(field) => problem.field(field),
            None => problem,
        }
    }

    /// `503`: a setting the route needs is missing or wrong.
    pub fn not_configured(error: &ConfigError) -> Self {
        Self::new(
            503,
            "not-configured",
            "The service is not configured",
            error.to_string(),
        )
        .field(error.setting.env)
    }

    /// `413`: the body is over `limit` ([`crate::http::MAX_BODY_BYTES`]).
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            413,
            "too-large",
            "Request body too large",
            format!("the request body exceeds {limit} bytes"),
        )
    }

    /// `408`: the body did not all arrive within `timeout_ms` of the request.
    pub fn too_slow(timeout_ms: u64) -> Self {
        Self::new(
            408,
            "request-timeout",
            "Request body too slow",
            format!(
                "the request body did not arrive within {timeout_ms} ms (GBG_GO_BODY_TIMEOUT_MS)"
            ),
        )
    }

    /// The answer for a failed GBG GO call.
    pub fn from_error(error: &Error) -> Self {
        let (status, title) = match error {
            Error::InvalidInput(_) => (400, "Invalid input"),
            Error::BadRequest(_) => (400, "GBG GO rejected the request"),
            Error::Unauthorized(_) => (502, "GBG GO refused the service's credentials"),
            Error::Forbidden(_) => (502, "The service's credentials may not use this resource"),
            Error::NotFound(_) => (404, "Unknown or expired journey instance or resource"),
            Error::RateLimited(_) => (429, "GBG GO is rate limiting the service"),
            Error::ServerError(_) => (502, "GBG GO failed"),
            Error::Transport(t) if t.kind == TransportKind::Timeout => {
                (504, "GBG GO did not answer in time")
            }
            Error::Transport(_) => (502, "GBG GO could not be reached"),
            Error::InvalidResponse(_) => (502, "Unexpected answer from GBG GO"),
            Error::Timeout(_) => (504, "The journey did not finish in time"),
        };
        let kind = errors::kind(error).as_str();
        let mut problem = Self::new(status, kind, title, describe(error));
        match error {
            Error::InvalidInput(input) => problem.field = Some(input.field.clone()),
            Error::RateLimited(limited) => {
                let seconds = limited
                    .retry_after_ms
                    .map_or(DEFAULT_RETRY_AFTER_S, |ms| ms.div_ceil(1000).max(1));
                problem = problem.header("retry-after", seconds.to_string());
            }
            _ => {}
        }
        problem.gbg = gbg_answer(error).map(Box::new);
        problem
    }

    /// The HTTP answer.
    pub fn into_response(self) -> Response {
        let (problems, request_id) = match self.gbg {
            Some(gbg) => (gbg.problems, gbg.request_id),
            None => (Vec::new(), None),
        };
        let mut body = json!({
            "type": format!("{TYPE_PREFIX}{}", self.kind),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "kind": self.kind,
            "problems": problems,
            "request_id": request_id,
        });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        let mut response = answer(self.status, CONTENT_TYPE, body.to_string().into_bytes());
        response.headers.extend(
            self.headers
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        response
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        Self::from_error(&error)
    }
}

/// GBG's problems and request id in a failed answer.
fn gbg_answer(error: &Error) -> Option<GbgAnswer> {
    if let Error::InvalidResponse(invalid) = error {
        return Some(GbgAnswer {
            problems: Vec::new(),
            request_id: invalid.request_id.clone(),
        });
    }
    let failure = failure_of(error)?;
    Some(GbgAnswer {
        problems: failure
            .problems
            .iter()
            .map(|p| GbgProblem {
                code: p.code.clone(),
                name: p.name.clone(),
                location: p.location.clone(),
                problem: p.problem.clone(),
                action: p.action.clone(),
            })
            .collect(),
        request_id: failure.request_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use gbg_go_core::testing::missing_resource_id;
    use gbg_go_core::types::{
        ApiFailure, InvalidInput, InvalidResponse, RateLimited, TransportError, WaitTimeout,
    };

    use super::*;

    fn failure(status: u16) -> ApiFailure {
        missing_resource_id(status, "req-9")
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport(TransportError {
            kind,
            authority: "api.test:443".into(),
            message: "m".into(),
        })
    }

    #[test]
    fn errors_map_to_statuses_and_kinds() {
        let cases = [
            (
                Error::InvalidInput(InvalidInput {
                    field: "subject".into(),
                    reason: "must be a JSON object".into(),
                }),
                400,
                "invalid-input",
            ),
            (Error::BadRequest(failure(400)), 400, "bad-request"),
            (Error::Unauthorized(failure(401)), 502, "unauthorized"),
            (Error::Forbidden(failure(403)), 502, "forbidden"),
            (Error::NotFound(failure(404)), 404, "not-found"),
            (Error::ServerError(failure(503)), 502, "server-error"),
            (transport(TransportKind::Timeout), 504, "transport"),
            (
                transport(TransportKind::ConnectionRefused),
                502,
                "transport",
            ),
            (transport(TransportKind::Denied), 502, "transport"),
            (
                Error::InvalidResponse(InvalidResponse {
                    status: 200,
                    request_id: Some("req-2".into()),
                    reason: "body is not JSON".into(),
                }),
                502,
                "invalid-response",
            ),
            (
                Error::Timeout(WaitTimeout {
                    instance_id: "i".into(),
                    last_status: None,
                    waited_ms: 5,
                }),
                504,
                "timeout",
            ),
        ];
        for (error, status, kind) in cases {
            let problem = Problem::from_error(&error);
            assert_eq!((problem.status, problem.kind), (status, kind), "{error:?}");
            assert_eq!(problem.detail, describe(&error));
        }
    }

    #[test]
    fn gbg_failures_carry_problems_and_request_id() {
        let response = Problem::from_error(&Error::BadRequest(failure(400))).into_response();
        assert_eq!(response.status, 400);
        assert_eq!(response.header("content-type"), Some(CONTENT_TYPE));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["type"], "urn:gbg-go:problem:bad-request");
        assert_eq!(body["title"], "GBG GO rejected the request");
        assert_eq!(body["status"], 400);
        assert_eq!(body["kind"], "bad-request");
        assert_eq!(body["request_id"], "req-9");
        assert_eq!(body["problems"][0]["code"], "4002");
        assert_eq!(body["problems"][0]["name"], "MISSING_FIELD");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("resourceId is required")
        );
        assert!(body.get("field").is_none());
    }

    #[test]
    fn a_429_always_says_when_to_retry() {
        let limited = |retry_after_ms| {
            Problem::from_error(&Error::RateLimited(RateLimited {
                retry_after_ms,
                failure: failure(429),
            }))
            .into_response()
        };
        assert_eq!(limited(Some(2_500)).header("retry-after"), Some("3"));
        assert_eq!(limited(Some(0)).header("retry-after"), Some("1"));
        assert_eq!(limited(None).header("retry-after"), Some("1"));
        assert_eq!(limited(None).status, 429);
    }

    #[test]
    fn bad_input_names_the_field() {
        let problem = Problem::from_error(&Error::InvalidInput(InvalidInput {
            field: "instance-id".into(),
            reason: "may only contain letters, digits, '_' and '-'".into(),
        }));
        assert_eq!(problem.field.as_deref(), Some("instance-id"));
        let body: serde_json::Value =
            serde_json::from_slice(&problem.into_response().body).unwrap();
        assert_eq!(body["field"], "instance-id");
    }
}

//! Errors of the host library, each naming its cause.

use std::fmt::{self, Display};
use std::time::Duration;

use crate::bindings::exports::gbg::go::types::{
    ApiFailure, Error as ApiError, JourneyStatus, TransportKind,
};

/// Everything that can go wrong running the component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component answered with a typed error.
    #[error("{}", Describe(.0))]
    Api(ApiError),
    /// The component could not be read, compiled or instantiated.
    #[error("cannot load the component: {0}")]
    Load(String),
    /// A call ran past the host's time budget and was stopped.
    #[error("the component exceeded its time budget of {0:?} and was stopped")]
    BudgetExceeded(Duration),
    /// The component trapped, for example because it exceeded its memory limit.
    #[error("the component failed: {0}")]
    Trap(String),
    /// An earlier call was stopped or trapped; the client's state is lost.
    #[error(
        "this client can no longer be used because an earlier call was stopped; open a new one"
    )]
    Poisoned,
}

impl Error {
    /// The component's typed error, when that is what this is.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

/// Renders a component error as a sentence naming its cause.
struct Describe<'a>(&'a ApiError);

impl Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ApiError::InvalidInput(i) => write!(f, "invalid {}: {}", i.field, i.reason),
            ApiError::BadRequest(a) => write!(f, "GBG GO rejected the request{}", Failure(a)),
            ApiError::Unauthorized(a) => {
                write!(
                    f,
                    "GBG GO refused the credentials or access token{}",
                    Failure(a)
                )
            }
            ApiError::Forbidden(a) => {
                write!(
                    f,
                    "these credentials may not use this resource{}",
                    Failure(a)
                )
            }
            ApiError::NotFound(a) => write!(
                f,
                "not found: unknown or expired journey resource or instance{}",
                Failure(a)
            ),
            ApiError::RateLimited(r) => {
                write!(
                    f,
                    "GBG GO is rate limiting this client{}",
                    Failure(&r.failure)
                )?;
                match r.retry_after_ms {
                    Some(ms) => write!(f, "; retry after {:.1} s", ms as f64 / 1000.0),
                    None => Ok(()),
                }
            }
            ApiError::ServerError(a) => write!(f, "GBG GO had a server error{}", Failure(a)),
            ApiError::Transport(t) if t.kind == TransportKind::Denied => write!(
                f,
                "the host's egress policy denied a request to {}",
                t.authority
            ),
            ApiError::Transport(t) => write!(
                f,
                "cannot exchange a request with {}: {}: {}",
                t.authority,
                transport_kind(t.kind),
                t.message
            ),
            ApiError::InvalidResponse(r) => {
                write!(
                    f,
                    "unexpected answer from GBG GO (HTTP {}): {}",
                    r.status, r.reason
                )?;
                request_id(f, r.request_id.as_deref())
            }
            ApiError::Timeout(w) => {
                write!(
                    f,
                    "journey {} did not finish within {:.1} s",
                    w.instance_id,
                    w.waited_ms as f64 / 1000.0
                )?;
                match &w.last_status {
                    Some(status) => write!(f, " (last status {})", status_text(status)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// ` (HTTP 400: 4002 MISSING_FIELD at Body: problem; action) (request id X)`
struct Failure<'a>(&'a ApiFailure);

impl Display for Failure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failure = self.0;
        write!(f, " (HTTP {}", failure.status)?;
        for p in &failure.problems {
            write!(
                f,
                "; {} {} at {}: {}",
                p.code, p.name, p.location, p.problem
            )?;
            if !p.action.is_empty() {
                write!(f, " ({})", p.action)?;
            }
        }
        if let Some(message) = &failure.message {
            write!(f, "; {message}")?;
        }
        f.write_str(")")?;
        request_id(f, failure.request_id.as_deref())
    }
}

fn request_id(f: &mut fmt::Formatter<'_>, id: Option<&str>) -> fmt::Result {
    match id {
        Some(id) => write!(f, " [request id {id}]"),
        None => Ok(()),
    }
}

fn transport_kind(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Dns => "name lookup failed",
        TransportKind::ConnectionRefused => "connection refused",
        TransportKind::ConnectionReset => "connection closed before the answer was complete",
        TransportKind::Timeout => "timed out",
        TransportKind::Denied => "denied by the host",
        TransportKind::Tls => "TLS failure",
        TransportKind::Protocol => "HTTP protocol error",
        TransportKind::Other => "transport failure",
    }
}

/// A status as the service spells it (`InProgress`, `Completed`, ...).
pub fn status_text(status: &JourneyStatus) -> &str {
    match status {
        JourneyStatus::InProgress => "InProgress",
        JourneyStatus::Completed => "Completed",
        JourneyStatus::Failed => "Failed",
        JourneyStatus::Paused => "Paused",
        JourneyStatus::Other(text) => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::exports::gbg::go::types::{ApiProblem, TransportError};

    #[test]
    fn messages_name_the_cause() {
        let bad = Error::Api(ApiError::BadRequest(ApiFailure {
            status: 400,
            request_id: Some("req-1".into()),
            problems: vec![ApiProblem {
                code: "4002".into(),
                name: "MISSING_FIELD".into(),
                location: "Body".into(),
                problem: "resourceId is required".into(),
                action: "Provide resourceId".into(),
            }],
            message: None,
        }));
        assert_eq!(
            bad.to_string(),
            "GBG GO rejected the request (HTTP 400; 4002 MISSING_FIELD at Body: resourceId is required (Provide resourceId)) [request id req-1]"
        );
        let denied = Error::Api(ApiError::Transport(TransportError {
            kind: TransportKind::Denied,
            authority: "evil.example:443".into(),
            message: String::new(),
        }));
        assert_eq!(
            denied.to_string(),
            "the host's egress policy denied a request to evil.example:443"
        );
    }
}

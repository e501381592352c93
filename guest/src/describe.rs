//! The sentence that names an error's cause: the message every host and
//! wrapper shows (`describe-error` in the WIT), defined once here.

use std::fmt::{self, Display};

use gbg_go_contract::spellings;

use crate::types::{ApiFailure, Error, JourneyStatus, TransportKind};

/// One sentence naming the cause of `error`.
pub fn describe(error: &Error) -> String {
    Describe(error).to_string()
}

/// A status as the service spells it (`InProgress`, `Completed`, ...).
pub fn status_text(status: &JourneyStatus) -> &str {
    match status {
        JourneyStatus::InProgress => spellings::IN_PROGRESS,
        JourneyStatus::Completed => spellings::COMPLETED,
        JourneyStatus::Failed => spellings::FAILED,
        JourneyStatus::Paused => spellings::PAUSED,
        JourneyStatus::Other(text) => text,
    }
}

struct Describe<'a>(&'a Error);

impl Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::InvalidInput(i) => write!(f, "invalid {}: {}", i.field, i.reason),
            Error::BadRequest(a) => write!(f, "GBG GO rejected the request{}", Details(a)),
            Error::Unauthorized(a) => write!(
                f,
                "GBG GO refused the credentials or access token{}",
                Details(a)
            ),
            Error::Forbidden(a) => write!(
                f,
                "these credentials may not use this resource{}",
                Details(a)
            ),
            Error::NotFound(a) => write!(
                f,
                "not found: unknown or expired journey resource or instance{}",
                Details(a)
            ),
            Error::RateLimited(r) => {
                write!(
                    f,
                    "GBG GO is rate limiting this client{}",
                    Details(&r.failure)
                )?;
                match r.retry_after_ms {
                    Some(ms) => write!(f, "; retry after {:.1} s", ms as f64 / 1000.0),
                    None => Ok(()),
                }
            }
            Error::ServerError(a) => write!(f, "GBG GO had a server error{}", Details(a)),
            Error::Transport(t) if t.kind == TransportKind::Denied => write!(
                f,
                "the host's egress policy denied a request to {}",
                t.authority
            ),
            Error::Transport(t) => {
                write!(
                    f,
                    "cannot exchange a request with {}: {}",
                    t.authority,
                    transport_kind(t.kind)
                )?;
                match t.message.as_str() {
                    "" => Ok(()),
                    cause => write!(f, " ({cause})"),
                }
            }
            Error::InvalidResponse(r) => {
                write!(
                    f,
                    "unexpected answer from GBG GO (HTTP {}): {}",
                    r.status, r.reason
                )?;
                request_id(f, r.request_id.as_deref())
            }
            Error::Timeout(w) => {
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

/// ` (HTTP 400; 4002 MISSING_FIELD at Body: problem (action); message) [request id X]`
struct Details<'a>(&'a ApiFailure);

impl Display for Details<'_> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::missing_resource_id;
    use crate::types::{RateLimited, TransportError, WaitTimeout};

    #[test]
    fn sentences_name_the_cause() {
        let bad = Error::BadRequest(missing_resource_id(400, "req-1"));
        assert_eq!(
            describe(&bad),
            "GBG GO rejected the request (HTTP 400; 4002 MISSING_FIELD at Body: resourceId is required (Provide resourceId)) [request id req-1]"
        );
        let denied = Error::Transport(TransportError {
            kind: TransportKind::Denied,
            authority: "evil.example:443".into(),
            message: String::new(),
        });
        assert_eq!(
            describe(&denied),
            "the host's egress policy denied a request to evil.example:443"
        );
    }

    #[test]
    fn transport_failures_name_the_host_and_the_cause() {
        let failure = |kind, message: &str| {
            Error::Transport(TransportError {
                kind,
                authority: "api.example:443".into(),
                message: message.into(),
            })
        };
        assert_eq!(
            describe(&failure(TransportKind::Dns, "address not available")),
            "cannot exchange a request with api.example:443: name lookup failed (address not available)"
        );
        assert_eq!(
            describe(&failure(TransportKind::ConnectionRefused, "")),
            "cannot exchange a request with api.example:443: connection refused"
        );
    }

    #[test]
    fn rate_limits_and_timeouts_say_what_was_learnt() {
        let limited = Error::RateLimited(RateLimited {
            retry_after_ms: Some(2_500),
            failure: ApiFailure {
                status: 429,
                request_id: None,
                problems: Vec::new(),
                message: None,
            },
        });
        assert_eq!(
            describe(&limited),
            "GBG GO is rate limiting this client (HTTP 429); retry after 2.5 s"
        );
        let timeout = Error::Timeout(WaitTimeout {
            instance_id: "i-1".into(),
            last_status: Some(JourneyStatus::InProgress),
            waited_ms: 1_200,
        });
        assert_eq!(
            describe(&timeout),
            "journey i-1 did not finish within 1.2 s (last status InProgress)"
        );
    }
}

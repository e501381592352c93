//! When to retry a failed exchange, and how long to wait first.

use crate::types::{Error, RetryPolicy, TransportKind};

/// Whether repeating a request could apply it twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating is harmless (reads, deletes, token and device requests).
    Idempotent,
    /// Repeating could apply the request twice (`journey/start`,
    /// `journey/interaction/submit`); retried only when the server certainly
    /// did not process it.
    NonIdempotent,
}

/// A failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedAttempt {
    /// The classified error.
    pub error: Error,
    /// The answer's `Retry-After`, in milliseconds, if it had one.
    pub retry_after_ms: Option<u64>,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this many milliseconds, then try again.
    Retry(u64),
    /// Return the error.
    GiveUp,
}

/// Whether `error` may be retried for a call of the given idempotency.
pub fn is_retryable(error: &Error, idempotency: Idempotency) -> bool {
    let certainly_unprocessed = match error {
        Error::Transport(t) => matches!(
            t.kind,
            TransportKind::Dns | TransportKind::ConnectionRefused
        ),
        Error::RateLimited(_) => true,
        Error::ServerError(f) => f.status == 503,
        _ => false,
    };
    let transient = match error {
        Error::Transport(t) => matches!(
            t.kind,
            TransportKind::ConnectionRefused
                | TransportKind::ConnectionReset
                | TransportKind::Timeout
                | TransportKind::Dns
        ),
        Error::RateLimited(_) => true,
        Error::ServerError(f) => matches!(f.status, 500 | 502 | 503 | 504),
        _ => false,
    };
    match idempotency {
        Idempotency::Idempotent => transient,
        Idempotency::NonIdempotent => certainly_unprocessed,
    }
}

/// The backoff before retry number `retry` (1 for the first retry):
/// exponential from the initial backoff, capped at the maximum, with full
/// jitter (uniform in `0..=cap`) drawn from `random`.
pub fn backoff_ms(policy: &RetryPolicy, retry: u32, random: u64) -> u64 {
    let doubling = 1u64
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u64::MAX);
    let cap = u64::from(policy.initial_backoff_ms)
        .saturating_mul(doubling)
        .min(u64::from(policy.max_backoff_ms));
    match cap.checked_add(1) {
        Some(span) => random % span,
        None => random,
    }
}

/// Decides after `attempts` attempts have failed, the last with `failure`,
/// with `remaining_ms` left of the call's budget (or deadline). A
/// `Retry-After` is waited exactly, unless it exceeds the maximum backoff or
/// the remaining budget: then the error is returned.
pub fn decide(
    policy: &RetryPolicy,
    failure: &FailedAttempt,
    idempotency: Idempotency,
    attempts: u32,
    remaining_ms: u64,
    random: u64,
) -> Decision {
    if attempts >= policy.max_attempts || !is_retryable(&failure.error, idempotency) {
        return Decision::GiveUp;
    }
    let wait = match failure.retry_after_ms {
        Some(after) if after > u64::from(policy.max_backoff_ms) => return Decision::GiveUp,
        Some(after) => after,
        None => backoff_ms(policy, attempts, random),
    };
    if wait >= remaining_ms {
        Decision::GiveUp
    } else {
        Decision::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ApiFailure, RateLimited, TransportError};

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        initial_backoff_ms: 250,
        max_backoff_ms: 5_000,
        max_elapsed_ms: 30_000,
    };

    fn transport(kind: TransportKind) -> Error {
        Error::Transport(TransportError {
            kind,
            authority: "h".into(),
            message: String::new(),
        })
    }

    fn failure(status: u16) -> ApiFailure {
        ApiFailure {
            status,
            request_id: None,
            problems: Vec::new(),
            message: None,
        }
    }

    fn http(status: u16) -> Error {
        crate::errors::for_status(status, failure(status), None).unwrap()
    }

    #[test]
    fn retryable_errors_for_idempotent_calls() {
        use Idempotency::Idempotent;
        for kind in [
            TransportKind::ConnectionRefused,
            TransportKind::ConnectionReset,
            TransportKind::Timeout,
            TransportKind::Dns,
        ] {
            assert!(is_retryable(&transport(kind), Idempotent), "{kind:?}");
        }
        for kind in [
            TransportKind::Denied,
            TransportKind::Tls,
            TransportKind::Protocol,
            TransportKind::Other,
        ] {
            assert!(!is_retryable(&transport(kind), Idempotent), "{kind:?}");
        }
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable(&http(status), Idempotent), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 501, 505] {
            assert!(!is_retryable(&http(status), Idempotent), "{status}");
        }
        let invalid = crate::errors::invalid_input("x", "y");
        assert!(!is_retryable(&invalid, Idempotent));
    }

    #[test]
    fn non_idempotent_calls_retry_only_unprocessed_requests() {
        use Idempotency::NonIdempotent;
        assert!(is_retryable(&transport(TransportKind::Dns), NonIdempotent));
        assert!(is_retryable(
            &transport(TransportKind::ConnectionRefused),
            NonIdempotent
        ));
        assert!(is_retryable(&http(429), NonIdempotent));
        assert!(is_retryable(&http(503), NonIdempotent));
        assert!(!is_retryable(
            &transport(TransportKind::Timeout),
            NonIdempotent
        ));
        assert!(!is_retryable(
            &transport(TransportKind::ConnectionReset),
            NonIdempotent
        ));
        for status in [500, 502, 504] {
            assert!(!is_retryable(&http(status), NonIdempotent), "{status}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let max_of = |retry| {
            (0..=5_000u64)
                .map(|r| backoff_ms(&POLICY, retry, r))
                .max()
                .unwrap()
        };
        assert_eq!(max_of(1), 250);
        assert_eq!(max_of(2), 500);
        assert_eq!(max_of(3), 1_000);
        assert_eq!(max_of(6), 5_000);
        assert_eq!(max_of(200), 5_000);
        assert_eq!(backoff_ms(&POLICY, 1, 0), 0);
        assert!(backoff_ms(&POLICY, 1, u64::MAX) <= 250);
    }

    fn fail(error: Error, retry_after_ms: Option<u64>) -> FailedAttempt {
        FailedAttempt {
            error,
            retry_after_ms,
        }
    }

    #[test]
    fn decisions() {
        use Idempotency::Idempotent;
        let server = fail(http(500), None);
        assert_eq!(
            decide(&POLICY, &server, Idempotent, 1, 30_000, 250),
            Decision::Retry(250)
        );
        assert_eq!(
            decide(&POLICY, &server, Idempotent, 4, 30_000, 0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&POLICY, &server, Idempotent, 1, 100, 250),
            Decision::GiveUp
        );
        let not_found = fail(http(404), None);
        assert_eq!(
            decide(&POLICY, &not_found, Idempotent, 1, 30_000, 0),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_is_waited_exactly_or_ends_the_call() {
        use Idempotency::Idempotent;
        let limited = |after| {
            fail(
                Error::RateLimited(RateLimited {
                    retry_after_ms: Some(after),
                    failure: failure(429),
                }),
                Some(after),
            )
        };
        assert_eq!(
            decide(&POLICY, &limited(2_000), Idempotent, 1, 30_000, 7),
            Decision::Retry(2_000)
        );
        assert_eq!(
            decide(&POLICY, &limited(5_001), Idempotent, 1, 30_000, 7),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&POLICY, &limited(2_000), Idempotent, 1, 1_999, 7),
            Decision::GiveUp
        );
    }
}

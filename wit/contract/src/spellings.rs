//! How the contract spells journey statuses and error kinds, in JSON
//! output, problem answers, exit codes and every package's error classes.

/// `InProgress`: the journey is still running or waiting for the user.
pub const IN_PROGRESS: &str = "InProgress";
/// `Completed`: the journey ended; results are in the state document.
pub const COMPLETED: &str = "Completed";
/// `Failed`: the journey ended in failure.
pub const FAILED: &str = "Failed";
/// `Paused`: the journey is halted, for example for a manual review.
pub const PAUSED: &str = "Paused";

/// The `type` of the journey service's event for a journey whose status is
/// spelled `status`: `journey.completed`, `journey.failed`,
/// `journey.paused`, `journey.in_progress`, or `journey.updated` for any
/// other status (which the event's `data.status` spells).
pub fn event_type(status: &str) -> &'static str {
    match status {
        COMPLETED => "journey.completed",
        FAILED => "journey.failed",
        PAUSED => "journey.paused",
        IN_PROGRESS => "journey.in_progress",
        _ => "journey.updated",
    }
}

/// The cases of the WIT `error` variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument or configuration value was refused; nothing was sent.
    InvalidInput,
    /// HTTP 400 (or another 4xx): the request was rejected.
    BadRequest,
    /// HTTP 401: the credentials were refused.
    Unauthorized,
    /// HTTP 403: the credentials may not use this resource.
    Forbidden,
    /// HTTP 404: unknown or expired journey resource or instance.
    NotFound,
    /// HTTP 429, after the retry budget was spent.
    RateLimited,
    /// HTTP 5xx, after the retry budget was spent.
    ServerError,
    /// The request could not be exchanged.
    Transport,
    /// The answer did not have the documented shape.
    InvalidResponse,
    /// A wait reached its deadline first.
    Timeout,
}

impl ErrorKind {
    /// Every kind, in the WIT's order.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::InvalidInput,
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::ServerError,
        ErrorKind::Transport,
        ErrorKind::InvalidResponse,
        ErrorKind::Timeout,
    ];

    /// The WIT case name, e.g. `rate-limited`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not-found",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::ServerError => "server-error",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidResponse => "invalid-response",
            ErrorKind::Timeout => "timeout",
        }
    }

    /// Whether the same call, made again later and unchanged, may succeed:
    /// true for rate limits, server and transport failures and malformed
    /// answers; false for refusals, which only a change can cure, and for a
    /// wait whose deadline passed.
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::ServerError
                | ErrorKind::Transport
                | ErrorKind::InvalidResponse
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_spelled_as_the_wit_cases() {
        let names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        let wit = include_str!("../../gbg-go.wit");
        let cases = wit
            .split_once("variant error {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .expect("the WIT has the error variant")
            .0;
        let declared: Vec<_> = cases
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("//") && !line.is_empty())
            .filter_map(|line| line.split('(').next())
            .collect();
        assert_eq!(names, declared);
    }
}

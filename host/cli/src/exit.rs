//! Exit statuses and the failures that lead to them.

use std::process::ExitCode;

use gbg_go_host::{ApiError, Error, JourneyStatus};

/// The exit statuses `gbg-go` uses; scripts may rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command succeeded; for `wait`/`run`, the journey completed.
    Ok = 0,
    /// The host itself failed (component load, trap, time budget).
    Internal = 1,
    /// Bad flags, configuration or input.
    Usage = 2,
    /// The journey ended `Failed`.
    JourneyFailed = 3,
    /// Credentials or token refused (401) or not permitted (403).
    Auth = 4,
    /// The journey did not complete: still running at the deadline, or
    /// `Paused`, or another status.
    NotCompleted = 5,
    /// Unknown or expired journey resource or instance (404).
    NotFound = 6,
    /// The service or the network failed (5xx, 429, transport, bad answers).
    Unavailable = 7,
    /// GBG GO rejected the request (400 and other 4xx).
    Rejected = 8,
}

impl Exit {
    /// The status for a journey that ended (or stopped) in `status`.
    pub fn for_status(status: &JourneyStatus) -> Exit {
        match status {
            JourneyStatus::Completed => Exit::Ok,
            JourneyStatus::Failed => Exit::JourneyFailed,
            _ => Exit::NotCompleted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A command's failure: what to say and how to exit.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// The message naming the cause.
    pub message: String,
    /// A short machine-readable kind for `--json` output.
    pub kind: &'static str,
}

impl Failure {
    /// A failure that exits with `exit`, tagged `kind` in JSON output.
    fn new(exit: Exit, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            kind,
        }
    }

    /// A usage or configuration error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "usage", message)
    }

    /// A journey that did not reach its end in time.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(Exit::NotCompleted, "timeout", message)
    }

    /// A journey that stopped advancing.
    pub fn stalled(message: impl Into<String>) -> Self {
        Self::new(Exit::NotCompleted, "stalled", message)
    }

    /// A failure of the host itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Exit::Internal, "internal", message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let (exit, kind) = match &error {
            Error::Api { error, .. } => match error {
                ApiError::InvalidInput(_) => (Exit::Usage, "invalid-input"),
                ApiError::BadRequest(_) => (Exit::Rejected, "bad-request"),
                ApiError::Unauthorized(_) => (Exit::Auth, "unauthorized"),
                ApiError::Forbidden(_) => (Exit::Auth, "forbidden"),
                ApiError::NotFound(_) => (Exit::NotFound, "not-found"),
                ApiError::RateLimited(_) => (Exit::Unavailable, "rate-limited"),
                ApiError::ServerError(_) => (Exit::Unavailable, "server-error"),
                ApiError::Transport(_) => (Exit::Unavailable, "transport"),
                ApiError::InvalidResponse(_) => (Exit::Unavailable, "invalid-response"),
                ApiError::Timeout(_) => (Exit::NotCompleted, "timeout"),
            },
            Error::Load(_) => (Exit::Internal, "load"),
            Error::BudgetExceeded(_) => (Exit::Internal, "budget-exceeded"),
            Error::Trap(_) => (Exit::Internal, "trap"),
            Error::Poisoned => (Exit::Internal, "poisoned"),
        };
        Self::new(exit, kind, error.to_string())
    }
}

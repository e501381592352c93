//! Exit statuses and the failures that lead to them.

use std::process::ExitCode;

use gbg_go_host::contract::spellings::ErrorKind;
use gbg_go_host::{Error, JourneyStatus, error_kind};

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

impl Exit {
    /// The status for a call that failed with the component's error `kind`.
    fn for_error(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidInput => Exit::Usage,
            ErrorKind::BadRequest => Exit::Rejected,
            ErrorKind::Unauthorized | ErrorKind::Forbidden => Exit::Auth,
            ErrorKind::NotFound => Exit::NotFound,
            ErrorKind::RateLimited
            | ErrorKind::ServerError
            | ErrorKind::Transport
            | ErrorKind::InvalidResponse => Exit::Unavailable,
            ErrorKind::Timeout => Exit::NotCompleted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Why a command failed: what to say and how to exit.
#[derive(Debug)]
pub struct CommandError {
    /// The exit status.
    pub exit: Exit,
    /// The message naming the cause.
    pub message: String,
    /// A short machine-readable kind for `--json` output.
    pub kind: &'static str,
}

impl CommandError {
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

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        let (exit, kind) = match &error {
            Error::Api { error, .. } => {
                let kind = error_kind(error);
                (Exit::for_error(kind), kind.as_str())
            }
            Error::Load(_) => (Exit::Internal, "load"),
            Error::BudgetExceeded(_) => (Exit::Internal, "budget-exceeded"),
            Error::Trap(_) => (Exit::Internal, "trap"),
            Error::Poisoned => (Exit::Internal, "poisoned"),
        };
        Self::new(exit, kind, error.to_string())
    }
}

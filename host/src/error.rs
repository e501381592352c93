//! Errors of the host library, each naming its cause.

use std::time::Duration;

use gbg_go_contract::spellings::{self, ErrorKind};

use crate::bindings::exports::gbg::go::types::{Error as ApiError, JourneyStatus};

/// Everything that can go wrong running the component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component answered with its typed error. `message` is the
    /// component's own sentence for it (`describe-error`), which every runtime
    /// shows, so that they all word it alike.
    #[error("{message}")]
    Api {
        /// The error, as the component returned it.
        error: ApiError,
        /// One sentence naming the cause.
        message: String,
    },
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
            Error::Api { error, .. } => Some(error),
            _ => None,
        }
    }
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

/// The kind of the component's typed error.
pub fn error_kind(error: &ApiError) -> ErrorKind {
    match error {
        ApiError::InvalidInput(_) => ErrorKind::InvalidInput,
        ApiError::BadRequest(_) => ErrorKind::BadRequest,
        ApiError::Unauthorized(_) => ErrorKind::Unauthorized,
        ApiError::Forbidden(_) => ErrorKind::Forbidden,
        ApiError::NotFound(_) => ErrorKind::NotFound,
        ApiError::RateLimited(_) => ErrorKind::RateLimited,
        ApiError::ServerError(_) => ErrorKind::ServerError,
        ApiError::Transport(_) => ErrorKind::Transport,
        ApiError::InvalidResponse(_) => ErrorKind::InvalidResponse,
        ApiError::Timeout(_) => ErrorKind::Timeout,
    }
}

//! Server errors: what the client sent wrong (an [`ApiError`] with a code it can match on),
//! or a fault of ours (logged in full, answered as `internal` without details). How an
//! error is answered over HTTP is the server binary's business.

use rounds_protocol::{ApiError, ErrorCode};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Client(ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
    /// Refused for now (too many requests, too busy): answered with `Retry-After`.
    #[error("{0}")]
    RetryLater(ApiError, std::time::Duration),
}

impl Error {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Client(ApiError::new(code, message))
    }

    /// `code` (`rate_limited` or `unavailable`) with a `Retry-After` of `after`, at
    /// least a second.
    pub fn retry_later(
        code: ErrorCode,
        message: impl Into<String>,
        after: std::time::Duration,
    ) -> Self {
        Error::RetryLater(ApiError::new(code, message), after)
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Client(e) | Error::RetryLater(e, _) => e.code,
            Error::Db(e) => e.code(),
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The answer sent: a client error as it is; a server fault without its details.
    pub fn to_api(&self) -> ApiError {
        match self {
            Error::Client(e) | Error::RetryLater(e, _) => e.clone(),
            other => match other.code() {
                ErrorCode::Unavailable => {
                    ApiError::new(ErrorCode::Unavailable, "the server is busy; retry shortly")
                }
                _ => ApiError::new(ErrorCode::Internal, "internal server error"),
            },
        }
    }
}

/// A wait to announce (`Retry-After`), in whole seconds, rounded up, never 0.
pub fn retry_after_secs(after: std::time::Duration) -> u64 {
    (after.as_secs() + u64::from(after.subsec_nanos() > 0)).max(1)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Server errors: what the client sent wrong (an [`ApiError`] with a code it can match on),
//! or a fault of ours (logged in full, answered as `internal` without details).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
}

impl Error {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Client(ApiError::new(code, message))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Client(e) => e.code,
            Error::Db(e) => e.code(),
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The answer sent: a client error as it is; a server fault without its details.
    pub fn to_api(&self) -> ApiError {
        match self {
            Error::Client(e) => e.clone(),
            other => match other.code() {
                ErrorCode::Unavailable => {
                    ApiError::new(ErrorCode::Unavailable, "the server is busy; retry shortly")
                }
                _ => ApiError::new(ErrorCode::Internal, "internal server error"),
            },
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if !matches!(self, Error::Client(_)) {
            tracing::error!(error = %self, "request failed");
        }
        api_response(self.to_api())
    }
}

pub fn api_response(e: ApiError) -> Response {
    let status =
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(e)).into_response()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

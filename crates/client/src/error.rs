//! Client errors, each with the protocol code the UI shows its own words for.

use rounds_protocol::{ApiError, ErrorCode};
use rounds_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error.
    #[error("{0}")]
    Api(ApiError),
    /// The server could not be reached, or the answer was cut off.
    #[error("could not reach the server: {0}")]
    Network(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The device is not signed in.
    #[error("not signed in")]
    SignedOut,
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Api(e) => e.code,
            ClientError::Network(_) => ErrorCode::Network,
            ClientError::Store(e) => e.code(),
            ClientError::SignedOut => ErrorCode::Unauthenticated,
        }
    }

    /// Worth trying again later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        self.code().is_retryable()
    }
}

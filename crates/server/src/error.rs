//! How a rules [`Error`] is answered over HTTP: its code's status and an [`ApiError`]
//! body, with `Retry-After` when retrying later helps. Rules know nothing of HTTP, so the
//! answer is given here, through [`Failure`].

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rounds_protocol::{ApiError, ErrorCode};

pub use rounds_server_rules::error::Error;

/// A rules [`Error`] on its way out as an HTTP answer.
#[derive(Debug)]
pub struct Failure(pub Error);

impl<E: Into<Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.into())
    }
}

/// What a handler returns.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let Failure(error) = self;
        if let Error::RetryLater(e, after) = error {
            let mut r = api_response(e);
            r.headers_mut()
                .insert(RETRY_AFTER, retry_after_value(after));
            return r;
        }
        if !matches!(error, Error::Client(_)) {
            tracing::error!(%error, "request failed");
        }
        let busy = error.code() == ErrorCode::Unavailable;
        let mut r = api_response(error.to_api());
        if busy {
            r.headers_mut().insert(
                RETRY_AFTER,
                retry_after_value(std::time::Duration::from_secs(1)),
            );
        }
        r
    }
}

/// Whole seconds, rounded up, never 0.
pub fn retry_after_value(after: std::time::Duration) -> HeaderValue {
    HeaderValue::from(rounds_server_rules::error::retry_after_secs(after))
}

pub fn api_response(e: ApiError) -> Response {
    let status =
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(e)).into_response()
}

//! Error codes: what went wrong, as a stable code the UI and the client match on, and a
//! human message for logs and people. Internal details are logged, never sent.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every error a Rounds API can answer with. The serialised names are part of the
/// protocol; an unrecognised name from a newer peer deserialises as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    // Authentication and authorisation.
    /// E-mail or password wrong. Deliberately does not say which.
    InvalidCredentials,
    /// Token missing, malformed or expired: sign in again.
    Unauthenticated,
    /// The device was revoked or its user deactivated.
    DeviceRevoked,
    /// Signed in, but this is not yours to see or change.
    Forbidden,

    // Input.
    /// The request body is not valid JSON or not the expected shape.
    MalformedRequest,
    /// A field failed validation (the message names it).
    InvalidInput,
    /// Body or batch larger than the server accepts.
    PayloadTooLarge,
    /// The thing asked for does not exist (or is not visible to the caller).
    NotFound,
    /// The request conflicts with the current state (e.g. an e-mail already in use).
    Conflict,

    // Sync.
    /// The client's protocol or schema version is below the server's minimum.
    UpgradeRequired,
    /// A mutation sequence number skips ahead of what the server has applied.
    SequenceGap,
    /// The pull cursor is older than the compacted changelog: resync the bucket.
    CursorExpired,
    /// The device (or its user) has more set aside on the server, waiting for review,
    /// than it may keep: nothing of the push was applied, and it stays on the device
    /// until a manager has reviewed what is set aside.
    QuotaExceeded,

    // Server and network.
    /// Too many requests; retry later.
    RateLimited,
    /// The server is temporarily unable to serve; retry with backoff.
    Unavailable,
    /// A fault on the server side; nothing the client sent caused it.
    Internal,
    /// The server could not be reached (set by the client, never sent by a server).
    Network,

    // Device.
    /// The device's own storage refused the write (disk full, read-only).
    StorageFull,
    /// The local database is corrupt or not a Rounds database.
    StorageCorrupt,

    /// A code this build does not know yet (sent by a newer peer).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Worth retrying the same request later, unchanged.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited
                | ErrorCode::Unavailable
                | ErrorCode::Internal
                | ErrorCode::Network
        )
    }

    /// The wire name, as serialised (stored with what a server set aside, and logged).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::DeviceRevoked => "device_revoked",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::SequenceGap => "sequence_gap",
            ErrorCode::CursorExpired => "cursor_expired",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::Network => "network",
            ErrorCode::StorageFull => "storage_full",
            ErrorCode::StorageCorrupt => "storage_corrupt",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The HTTP status a server answers this code with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => 401,
            ErrorCode::DeviceRevoked | ErrorCode::Forbidden => 403,
            ErrorCode::MalformedRequest | ErrorCode::InvalidInput | ErrorCode::SequenceGap => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::CursorExpired => 410,
            ErrorCode::UpgradeRequired => 426,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable | ErrorCode::Network => 503,
            ErrorCode::StorageFull | ErrorCode::QuotaExceeded => 507,
            ErrorCode::Internal | ErrorCode::StorageCorrupt | ErrorCode::Unknown => 500,
        }
    }
}

/// The body of every error answer, and of every error crossing the IPC boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    /// For people and logs; the UI chooses its own words by `code`.
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_is_pinned() {
        let e = ApiError::new(ErrorCode::DeviceRevoked, "this device was signed out");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"device_revoked","message":"this device was signed out"}"#
        );
    }

    #[test]
    fn every_code_round_trips_with_a_stable_name() {
        let pinned = [
            (ErrorCode::InvalidCredentials, "invalid_credentials"),
            (ErrorCode::Unauthenticated, "unauthenticated"),
            (ErrorCode::DeviceRevoked, "device_revoked"),
            (ErrorCode::Forbidden, "forbidden"),
            (ErrorCode::MalformedRequest, "malformed_request"),
            (ErrorCode::InvalidInput, "invalid_input"),
            (ErrorCode::PayloadTooLarge, "payload_too_large"),
            (ErrorCode::NotFound, "not_found"),
            (ErrorCode::Conflict, "conflict"),
            (ErrorCode::UpgradeRequired, "upgrade_required"),
            (ErrorCode::SequenceGap, "sequence_gap"),
            (ErrorCode::CursorExpired, "cursor_expired"),
            (ErrorCode::QuotaExceeded, "quota_exceeded"),
            (ErrorCode::RateLimited, "rate_limited"),
            (ErrorCode::Unavailable, "unavailable"),
            (ErrorCode::Internal, "internal"),
            (ErrorCode::Network, "network"),
            (ErrorCode::StorageFull, "storage_full"),
            (ErrorCode::StorageCorrupt, "storage_corrupt"),
            (ErrorCode::Unknown, "unknown"),
        ];
        for (code, name) in pinned {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(code.as_str(), name, "as_str is the serialised name");
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn a_newer_peers_code_reads_as_unknown() {
        let e: ApiError =
            serde_json::from_str(r#"{"code":"a_code_from_the_future","message":"x"}"#).unwrap();
        assert_eq!(e.code, ErrorCode::Unknown);
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(ErrorCode::Unavailable.is_retryable());
        assert!(!ErrorCode::Forbidden.is_retryable());
        assert!(!ErrorCode::MalformedRequest.is_retryable());
    }
}

//! Store errors: what went wrong in words a person can act on, and the protocol code the
//! UI matches on.

use std::path::PathBuf;

use rounds_protocol::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is not a Rounds database (not an SQLite file); it was left untouched")]
    NotADatabase(PathBuf),
    #[error("{0} is an SQLite database of another application; it was left untouched")]
    Foreign(PathBuf),
    #[error("the database is corrupt: {0}")]
    Corrupt(String),
    #[error(
        "the database was written by a newer Rounds (schema {found}, this build knows {known})"
    )]
    TooNew { found: u32, known: u32 },
    #[error("the device's storage is full; free some space and try again (nothing was saved)")]
    Full,
    #[error("could not write to the device's storage: {0} (nothing was saved)")]
    Io(String),
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored data could not be read: {0}")]
    Decode(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// The code the UI shows its own words for.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Full | StoreError::Io(_) => ErrorCode::StorageFull,
            StoreError::NotADatabase(_)
            | StoreError::Foreign(_)
            | StoreError::Corrupt(_)
            | StoreError::TooNew { .. }
            | StoreError::Decode(_) => ErrorCode::StorageCorrupt,
            StoreError::Invalid(_) => ErrorCode::InvalidInput,
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Sqlite(_) => ErrorCode::Internal,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => match f.code {
                C::DiskFull => StoreError::Full,
                C::SystemIoFailure | C::CannotOpen => {
                    StoreError::Io(msg.clone().unwrap_or_else(|| f.to_string()))
                }
                C::DatabaseCorrupt => {
                    StoreError::Corrupt(msg.clone().unwrap_or_else(|| f.to_string()))
                }
                C::NotADatabase => StoreError::Corrupt("not a database file".into()),
                _ => StoreError::Sqlite(e),
            },
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

//! Column encodings shared by the table modules: ids as 16-byte blobs, instants as Unix
//! milliseconds, enums as their snake_case wire names.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Decode(format!("instant {ms}")))
}

/// An enum's wire name, e.g. `Priority::High` → `high`.
pub fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

pub fn parse_name<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Decode(format!("unknown value {s:?}")))
}

pub fn date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|s| {
        s.parse()
            .map_err(|_| StoreError::Decode(format!("date {s:?}")))
    })
    .transpose()
}

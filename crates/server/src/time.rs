//! Instants as fixed-width UTC text, so the databases compare them as strings.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The one place the server reads the clock for stored timestamps.
pub fn now_text() -> String {
    text(Utc::now())
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

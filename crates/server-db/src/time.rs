//! The server's clock, and instants as fixed-width UTC text, so the databases compare
//! them as strings.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// Where the server reads "now". The real clock in production; a test starts it at the
/// instant it needs ("the 1st of March, 09:00 in Denver") and it runs on at the real pace,
/// so a test passes on whatever day it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now and runs on from there.
    #[allow(clippy::disallowed_methods)] // The clock itself reads the system time.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            offset: at - Utc::now(),
        }
    }

    #[allow(clippy::disallowed_methods)] // The one place the server reads the system time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

pub fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Stored timestamps of the server's own housekeeping (migrations), on the system clock.
pub fn now_text() -> String {
    text(Clock::system().now())
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

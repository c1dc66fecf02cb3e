//! Appointments: a visit fixed at a date and a time ("Acme, Thursday 10:30"). The week
//! and the day are planned around them; a cancelled one stays, marked, so every device
//! learns it was cancelled.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, AppointmentId, RepId};

/// At most this many characters in an appointment's note.
pub const MAX_NOTE_CHARS: usize = 500;
/// An appointment is at most this many days after it was made.
pub const MAX_DAYS_AHEAD: i64 = 2 * 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub account: AccountId,
    /// The rep who will be there.
    pub rep: RepId,
    /// The rep's local date and start time (minutes from midnight): a meeting at 10:30
    /// is at 10:30 wherever the rep's clock is.
    pub on: NaiveDate,
    pub at_min: u16,
    pub minutes: u16,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Appointment {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Minutes from midnight it ends.
    pub fn end_min(&self) -> u32 {
        u32::from(self.at_min) + u32::from(self.minutes)
    }
}

/// Why a start and a length are not an appointment, if they are not: it must start and
/// end on its day, and last 1 to [`crate::hours::MAX_VISIT_MINUTES`] minutes.
pub fn check_time(at_min: u16, minutes: u16) -> Result<(), String> {
    crate::hours::visit_minutes(minutes)?;
    if u32::from(at_min) + u32::from(minutes) > 24 * 60 {
        return Err(format!(
            "it starts at {} and lasts {minutes} minutes: past midnight",
            crate::hours::clock(at_min)
        ));
    }
    Ok(())
}

//! The planned week as an iCalendar file the rep saves from the app, offline: the same
//! events, with the same ids, as the server's feed, so a calendar app that imports a
//! newer file updates the visits it has instead of adding copies.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rounds_core::calendar::local_date;
use rounds_protocol::records::{AccountRecord, AppointmentRecord};
use rounds_protocol::week::{PlannedVisit, PlannedWeek};
use rounds_protocol::{AccountId, ErrorCode};

use super::{IpcError, PLANNED_WEEK_KEY, Rep, store_err};

/// Appointments this far ahead go in the file (the longest horizon the week plans).
const AHEAD_DAYS: u64 = 28;

/// A file for a calendar app: its suggested name and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFile {
    pub name: String,
    pub text: String,
}

impl Rep {
    /// The week the rep was last shown (kept by `plan_and_remember_week`) from today on,
    /// and their appointments of the next four weeks, cancelled ones marked so a calendar
    /// that imported them before drops them.
    pub fn week_calendar(&self, now: DateTime<Utc>) -> Result<CalendarFile, IpcError> {
        let tz = self.profile.tz();
        let today = local_date(tz, now);
        let read = self.store.read();
        let week = read
            .settings()
            .get::<PlannedWeek>(PLANNED_WEEK_KEY)
            .map_err(store_err)?
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::NotFound,
                    "no week planned on this device yet: open the Week first",
                )
            })?;
        let account = |id: AccountId| -> Result<Option<AccountRecord>, IpcError> {
            Ok(read
                .accounts()
                .get(id)
                .map_err(store_err)?
                .map(|v| AccountRecord::from(&v.account)))
        };
        let mut booked = Vec::new();
        for v in read
            .appointments()
            .between_with_cancelled(today, today + Days::new(AHEAD_DAYS))
            .map_err(store_err)?
        {
            if let Some(a) = account(v.appointment.account)? {
                booked.push((AppointmentRecord::from(&v.appointment), a));
            }
        }
        // An appointment in the plan is in the file already, as itself.
        let mut planned: Vec<(NaiveDate, PlannedVisit, AccountRecord)> = Vec::new();
        for d in week.days.iter().filter(|d| d.date >= today) {
            for v in d.visits.iter().filter(|v| !v.appointment) {
                if let Some(a) = account(v.account_id)? {
                    planned.push((d.date, v.clone(), a));
                }
            }
        }
        let user = &self.profile.user;
        Ok(CalendarFile {
            name: format!("rounds-week-{today}.ics"),
            text: rounds_protocol::calendar::render(
                (user.id, &user.name),
                tz.name(),
                &booked,
                &planned,
                now,
            ),
        })
    }
}

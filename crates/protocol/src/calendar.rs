//! A rep's visits as an iCalendar file: the server's feed and the app's export write
//! the same events with the same ids.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};

use crate::UserId;
use crate::records::{AccountRecord, AppointmentRecord};
use crate::week::PlannedVisit;

/// The calendar text, at the rep's local times in their zone: one event per
/// appointment (cancelled ones marked, so subscribed calendars drop them), and one
/// tentative event per planned visit. A planned visit's id is its rep, day and account,
/// so a re-plan that keeps it updates it in place, and one that drops it removes it.
pub fn render(
    (rep, rep_name): (UserId, &str),
    zone: &str,
    booked: &[(AppointmentRecord, AccountRecord)],
    planned: &[(NaiveDate, PlannedVisit, AccountRecord)],
    now: DateTime<Utc>,
) -> String {
    let mut cal = Calendar::new();
    cal.name(&format!("Rounds: {rep_name}'s visits"));
    let event = |on: NaiveDate, start: u16, minutes: u16, account: &AccountRecord| {
        let at = |minute: u32| CalendarDateTime::WithTimezone {
            date_time: on.and_hms_opt(0, 0, 0).unwrap_or_default()
                + chrono::Duration::minutes(i64::from(minute)),
            tzid: zone.to_owned(),
        };
        let address: Vec<&str> = [
            account.street.as_str(),
            account.city.as_str(),
            account.region.as_str(),
            account.postal_code.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
        let mut e = Event::new();
        e.timestamp(now)
            .starts(at(u32::from(start)))
            .ends(at(u32::from(start) + u32::from(minutes)));
        if !address.is_empty() {
            e.location(&address.join(", "));
        }
        e
    };
    for (a, account) in booked {
        let mut e = event(a.on, a.at_min, a.minutes, account);
        e.uid(&format!("{}@rounds", a.id))
            .summary(&format!("Visit: {}", account.name))
            .status(if a.cancelled_at.is_some() {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        if let Some(note) = &a.note {
            e.description(note);
        }
        cal.push(e.done());
    }
    for (on, v, account) in planned {
        let mut e = event(*on, v.begin_min, v.minutes, account);
        e.uid(&format!("plan-{rep}-{}-{on}@rounds", v.account_id))
            .summary(&format!("Planned visit: {}", account.name))
            .status(EventStatus::Tentative)
            .description("Planned in Rounds; it moves when you plan your week again.");
        cal.push(e.done());
    }
    cal.done().to_string()
}

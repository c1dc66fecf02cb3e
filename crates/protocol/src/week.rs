//! `PUT /sync/planned-week`: the weeks a rep's device planned, as the rep last saw it,
//! so their manager can read it. A snapshot the device derives from synced data and
//! replaces whole with a newer one; it is not in the outbox's exactly-once log, since
//! losing one is harmless: the next plan is sent after the next sync.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::AccountId;

/// At most this many days in one plan (the planner's longest horizon is four weeks).
pub const MAX_PLANNED_DAYS: usize = 28;
/// At most this many visits on one day, and calls or e-mails on one day.
pub const MAX_PLANNED_PER_DAY: usize = 200;
/// At most this many owed visits listed as fitting on no day (a device sends the first
/// ones, the most urgent, so a plan stays well inside the server's body limit).
pub const MAX_NOT_PLANNED: usize = 1_000;
/// At most this many characters in the summary, or in one reason.
pub const MAX_PLAN_TEXT: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedWeek {
    /// When the device planned it (its clock); a plan older than the one the server
    /// holds is ignored.
    pub planned_at: DateTime<Utc>,
    /// In the rep's words: "Delivers 46 of 48 owed visits; …".
    pub summary: String,
    pub days: Vec<PlannedDay>,
    /// Owed visits that fit on no day, with why.
    #[serde(default)]
    pub not_planned: Vec<PlannedMiss>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedDay {
    /// The rep's local date.
    pub date: NaiveDate,
    /// The rep's hours that day, minutes from midnight.
    pub start_min: u16,
    pub end_min: u16,
    pub visits: Vec<PlannedVisit>,
    #[serde(default)]
    pub calls: Vec<AccountId>,
    #[serde(default)]
    pub emails: Vec<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedVisit {
    pub account_id: AccountId,
    /// Minutes from midnight the visit starts, and how long it lasts.
    pub begin_min: u16,
    pub minutes: u16,
    /// Fixed at this time (an appointment), not chosen by the planner.
    #[serde(default)]
    pub appointment: bool,
    /// The rep put it on this day.
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedMiss {
    pub account_id: AccountId,
    pub reason: String,
}

impl PlannedWeek {
    /// Whether the plan is one a device could have made: within the limits above, days
    /// in order, hours within the day, no visit past midnight. The reason when not.
    pub fn check(&self) -> Result<(), String> {
        let long = |s: &str| s.chars().count() > MAX_PLAN_TEXT;
        if self.days.len() > MAX_PLANNED_DAYS {
            return Err(format!("more than {MAX_PLANNED_DAYS} days"));
        }
        if self.not_planned.len() > MAX_NOT_PLANNED {
            return Err(format!("more than {MAX_NOT_PLANNED} visits not planned"));
        }
        if long(&self.summary) || self.not_planned.iter().any(|m| long(&m.reason)) {
            return Err(format!("a text longer than {MAX_PLAN_TEXT} characters"));
        }
        if self.days.windows(2).any(|w| w[0].date >= w[1].date) {
            return Err("the days are not in order".into());
        }
        for d in &self.days {
            if d.start_min > d.end_min || d.end_min > 24 * 60 {
                return Err(format!("{}: the day's hours are not a day", d.date));
            }
            if [d.visits.len(), d.calls.len(), d.emails.len()]
                .iter()
                .any(|&n| n > MAX_PLANNED_PER_DAY)
            {
                return Err(format!("{}: more than {MAX_PLANNED_PER_DAY} a day", d.date));
            }
            if d.visits
                .iter()
                .any(|v| u32::from(v.begin_min) + u32::from(v.minutes) > 24 * 60)
            {
                return Err(format!("{}: a visit runs past midnight", d.date));
            }
        }
        Ok(())
    }
}

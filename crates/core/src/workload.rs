//! Workload: what an account asks of its rep in a month under the rotation plan —
//! its touches times their minutes, plus the drive to each visit — in workdays, the number
//! a manager balances territories on.

use crate::calendar::Period;
use crate::plan::BucketRule;

/// A rep's usual workday, unless they set their own hours.
pub const WORKDAY_MINUTES: u32 = 8 * 60;
/// A visit's length when neither the account nor its plan bucket says.
pub const VISIT_MINUTES: u32 = 30;
/// A call and an e-mail, as the estimate counts them.
pub const CALL_MINUTES: u32 = 10;
pub const EMAIL_MINUTES: u32 = 5;
/// Driving, for estimates: roads are this much longer than the straight line, driven at
/// this speed.
pub const ROAD_FACTOR: f64 = 1.3;
pub const DRIVE_KMH: f64 = 40.0;
/// The drive counted for one visit, at least and at most (a neighbour across the street
/// still costs parking; a lone account is one leg of a longer trip, not a day's drive).
pub const MIN_DRIVE_MINUTES: f64 = 5.0;
pub const MAX_DRIVE_MINUTES: f64 = 90.0;

/// What an account asks for in an average month.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Monthly {
    pub visits: f64,
    pub calls: f64,
    pub emails: f64,
    /// Minutes at the account and on the phone and in e-mail.
    pub service_minutes: f64,
    pub drive_minutes: f64,
}

impl Monthly {
    pub fn minutes(&self) -> f64 {
        self.service_minutes + self.drive_minutes
    }

    /// In workdays of [`WORKDAY_MINUTES`].
    pub fn workdays(&self) -> f64 {
        self.minutes() / f64::from(WORKDAY_MINUTES)
    }
}

/// Periods of `period` in an average month.
fn per_month(period: Period) -> f64 {
    match period {
        Period::Week => 52.0 / 12.0,
        Period::Month => 1.0,
        Period::Quarter => 1.0 / 3.0,
    }
}

/// The minutes of driving a straight-line distance of `km` takes, by the estimate.
pub fn drive_minutes(km: f64) -> f64 {
    km.max(0.0) * ROAD_FACTOR / DRIVE_KMH * 60.0
}

/// What an account under `rule` asks for in a month. `visit_minutes`: the account's own
/// visit length, if it has one; `drive_km`: the straight-line distance a visit to it adds
/// (e.g. to its nearest other account), counted between [`MIN_DRIVE_MINUTES`] and
/// [`MAX_DRIVE_MINUTES`] a visit.
pub fn monthly(rule: &BucketRule, visit_minutes: Option<u16>, drive_km: f64) -> Monthly {
    let k = per_month(rule.period);
    let t = rule.touches;
    let (visits, calls, emails) = (
        f64::from(t.visits) * k,
        f64::from(t.calls) * k,
        f64::from(t.emails) * k,
    );
    let visit = visit_minutes
        .or(rule.visit_minutes)
        .map_or(VISIT_MINUTES, u32::from);
    let drive = drive_minutes(drive_km).clamp(MIN_DRIVE_MINUTES, MAX_DRIVE_MINUTES);
    Monthly {
        visits,
        calls,
        emails,
        service_minutes: visits * f64::from(visit)
            + calls * f64::from(CALL_MINUTES)
            + emails * f64::from(EMAIL_MINUTES),
        drive_minutes: visits * drive,
    }
}

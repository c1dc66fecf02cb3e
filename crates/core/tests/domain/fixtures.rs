//! Small builders so each test states only what matters to it.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rounds_core::{
    Account, AccountId, Activity, ActivityId, ActivityKind, Address, BucketRule, Currency, Money,
    Period, PlanId, PlanVersion, Priority, RepId, RotationPlan, Stage, StageDates, Touches, Tz,
};
use uuid::Uuid;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Noon local time on a day in `tz`, as the instant the rep would log.
pub fn local_noon(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn ny() -> Tz {
    "America/New_York".parse().unwrap()
}

pub fn rule(period: Period, v: u32, c: u32, e: u32) -> BucketRule {
    BucketRule {
        period,
        touches: Touches::new(v, c, e),
        visit_minutes: None,
    }
}

/// The seeds' plan: high = 2 visits, 2 calls, 4 e-mails a month; medium = 1 call a week;
/// low = 1 visit a quarter.
pub fn seeds_plan() -> RotationPlan {
    RotationPlan::single(
        PlanId::from_uuid(Uuid::from_u128(1)),
        "Standard rotation",
        d(2020, 1, 1),
        [
            (Priority::High, rule(Period::Month, 2, 2, 4)),
            (Priority::Medium, rule(Period::Week, 0, 1, 0)),
            (Priority::Low, rule(Period::Quarter, 1, 0, 0)),
        ],
    )
    .unwrap()
}

pub fn plan_versions(versions: Vec<(NaiveDate, BucketRule)>) -> RotationPlan {
    RotationPlan::new(
        PlanId::from_uuid(Uuid::from_u128(1)),
        "Changed".into(),
        versions
            .into_iter()
            .map(|(from, r)| PlanVersion {
                effective_from: from,
                rules: [(Priority::High, r)].into(),
            })
            .collect(),
    )
    .unwrap()
}

pub fn account(n: u128, priority: Priority) -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(n)),
        name: format!("Account {n}"),
        address: Address::default(),
        location: None,
        stage: Stage::Customer,
        stage_dates: StageDates::default(),
        priority,
        kare: None,
        revenue: Money::zero(Currency::USD),
        expenses: Money::zero(Currency::USD),
        phone: None,
        email: None,
        industry: None,
        territory: None,
        hours: None,
        visit_minutes: None,
        created_at: utc("2019-06-01T00:00:00Z"),
        closed_on: Default::default(),
        preferred_hours: None,
        potential: None,
        potential_estimate: None,
        location_source: None,
    }
}

pub fn activity(n: u128, account: &Account, kind: ActivityKind, at: DateTime<Utc>) -> Activity {
    Activity {
        id: ActivityId::from_uuid(Uuid::from_u128(1_000_000 + n)),
        account_id: account.id,
        rep_id: RepId::from_uuid(Uuid::from_u128(7)),
        contact_id: None,
        kind,
        occurred_at: at,
        duration_min: None,
        outcome: None,
        note: None,
        fix: None,
    }
}

/// Activities of the given kinds, one per listed local day, at local noon in `tz`.
pub fn touches(account: &Account, tz: Tz, list: &[(ActivityKind, NaiveDate)]) -> Vec<Activity> {
    list.iter()
        .enumerate()
        .map(|(i, (kind, day))| activity(i as u128, account, *kind, local_noon(tz, *day)))
        .collect()
}

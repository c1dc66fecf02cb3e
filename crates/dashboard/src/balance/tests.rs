//! The balance rule and its figures, as table tests.

use rounds_core::Stage;

use super::*;
use crate::scope::{Person, TerritoryRow};
use chrono::{TimeZone, Utc};
use rounds_core::{AccountId, Address, BucketRule, PlanId, StageDates, Touches};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn tid(n: u128) -> TerritoryId {
    TerritoryId::from_uuid(Uuid::from_u128(n))
}

fn uid(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(n))
}

/// Territories 1..=n, territory i worked by rep i (when in `reps`).
fn team(n: u128, reps: &[u128]) -> Team {
    Team {
        reps: reps
            .iter()
            .map(|r| Person {
                id: uid(*r),
                name: format!("Rep {r}"),
                email: format!("r{r}@example.com"),
                tz: chrono_tz::UTC,
                manager: None,
            })
            .collect(),
        territories: (1..=n)
            .map(|i| TerritoryRow {
                id: tid(i),
                name: format!("T{i}"),
                rep: reps.contains(&i).then(|| uid(i)),
                region: None,
            })
            .collect(),
        all: false,
        left_out: Vec::new(),
        managers: Vec::new(),
        narrowed: None,
    }
}

fn account(n: u128, t: u128, priority: Priority, stage: Stage, revenue: i64) -> Account {
    Account {
        id: AccountId::from_uuid(Uuid::from_u128(1000 + n)),
        name: format!("A{n}"),
        address: Address::default(),
        location: None,
        stage,
        stage_dates: StageDates::default(),
        priority,
        kare: None,
        revenue: Money::from_major(revenue, Currency::USD).unwrap(),
        expenses: Money::zero(Currency::USD),
        phone: None,
        email: None,
        industry: None,
        territory: Some(tid(t)),
        hours: None,
        visit_minutes: None,
        created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        closed_on: Default::default(),
        preferred_hours: None,
        potential: None,
        potential_estimate: None,
        location_source: None,
    }
}

/// High: 8 a month (96 a year); medium: 1 a week (52); low: 3 a quarter (12).
fn plan() -> RotationPlan {
    let rule = |period, v, c, e| BucketRule {
        period,
        touches: Touches::new(v, c, e),
        visit_minutes: None,
    };
    RotationPlan::single(
        PlanId::from_uuid(Uuid::from_u128(9)),
        "p",
        d(2026, 1, 1),
        [
            (Priority::High, rule(Period::Month, 2, 2, 4)),
            (Priority::Medium, rule(Period::Week, 0, 1, 0)),
            (Priority::Low, rule(Period::Quarter, 1, 1, 1)),
        ],
    )
    .unwrap()
}

struct Case {
    name: &'static str,
    territories: u128,
    /// (territory, priority, stage, revenue)
    accounts: Vec<(u128, Priority, Stage, i64)>,
    /// Per territory: touches a year and the flag.
    expect: Vec<(u64, Flag)>,
}

#[test]
fn workload_potential_and_flags_by_territory() {
    use Priority::*;
    use rounds_core::Stage::*;
    let cases = [
        Case {
            name: "even: two territories with the same mix are balanced",
            territories: 2,
            accounts: vec![(1, High, Customer, 10), (2, High, Customer, 10)],
            expect: vec![(96, Flag::Balanced), (96, Flag::Balanced)],
        },
        Case {
            name: "each bucket's period is brought to a year",
            territories: 3,
            accounts: vec![
                (1, High, Customer, 1),
                (2, Medium, Customer, 1),
                (3, Low, Customer, 1),
            ],
            // mean 160/3 = 53.3: 96 is 180 %, 52 is 97.5 %, 12 is 22.5 %.
            expect: vec![
                (96, Flag::UnderServed),
                (52, Flag::Balanced),
                (12, Flag::OverServed),
            ],
        },
        Case {
            name: "exactly 125 % and 75 % of the mean are still balanced",
            territories: 2,
            // 5 high = 480 a year, 3 high = 288; mean 384: 125 % and 75 %.
            accounts: [1, 1, 1, 1, 1, 2, 2, 2]
                .iter()
                .map(|t| (*t, High, Customer, 1))
                .collect(),
            expect: vec![(480, Flag::Balanced), (288, Flag::Balanced)],
        },
        Case {
            name: "lost accounts still count in the workload",
            territories: 2,
            accounts: vec![(1, High, Lost, 50), (2, High, Customer, 10)],
            expect: vec![(96, Flag::Balanced), (96, Flag::Balanced)],
        },
        Case {
            name: "an empty territory is over-served",
            territories: 2,
            accounts: vec![(1, Low, Customer, 1)],
            expect: vec![(12, Flag::UnderServed), (0, Flag::OverServed)],
        },
    ];
    for c in cases {
        let accounts: Vec<Account> = c
            .accounts
            .iter()
            .enumerate()
            .map(|(i, (t, p, s, r))| account(i as u128, *t, *p, *s, *r))
            .collect();
        let v = compute(
            &team(c.territories, &[]),
            &accounts,
            Some(&plan()),
            d(2026, 3, 18),
        );
        let got: Vec<(u64, Flag)> = v
            .territories
            .rows
            .iter()
            .map(|r| (r.touches_per_year, r.flag))
            .collect();
        assert_eq!(got, c.expect, "{}", c.name);
    }
}

#[test]
fn potential_leaves_out_lost_accounts_and_compares_with_the_mean() {
    use Priority::*;
    let usd = |major| Some(Money::from_major(major, Currency::USD).unwrap());
    // Potential is the figure set, else the rep's estimate; never revenue.
    let accounts = vec![
        Account {
            potential: usd(30_000),
            potential_estimate: usd(1),
            ..account(1, 1, High, Stage::Customer, 5_000)
        },
        Account {
            potential: usd(99_000),
            ..account(2, 1, High, Stage::Lost, 99_000)
        },
        Account {
            potential_estimate: usd(10_000),
            ..account(3, 2, High, Stage::Opportunity, 70_000)
        },
    ];
    let v = compute(&team(2, &[1, 2]), &accounts, Some(&plan()), d(2026, 3, 18));
    assert_eq!(v.without_potential, 0);
    let t = &v.territories;
    assert_eq!(t.rows[0].potential.to_string(), "USD 30,000.00");
    assert_eq!(t.rows[1].potential.to_string(), "USD 10,000.00");
    assert_eq!(t.mean_potential.to_string(), "USD 20,000.00");
    assert_eq!(t.rows[0].potential_vs_mean.to_string(), "150.0 %");
    assert_eq!(t.rows[0].accounts_vs_mean.to_string(), "133.3 %");
    // 192 vs 96 a year: mean 144, 133 % and 67 %.
    assert_eq!(
        (t.rows[0].flag, t.rows[1].flag),
        (Flag::UnderServed, Flag::OverServed)
    );
    assert_eq!(tenths(t.rows[0].per_month()), "16.0");
    assert_eq!(tenths(t.mean_per_month), "12.0");
    assert_eq!(v.reps.rows[0].label, "Rep 1");
    assert_eq!(
        v.reps.rows[0].touches_per_year, 192,
        "the rep's territory sums"
    );
}

#[test]
fn without_a_plan_nothing_is_flagged() {
    let accounts = vec![account(1, 1, Priority::High, Stage::Customer, 1)];
    let v = compute(&team(2, &[]), &accounts, None, d(2026, 3, 18));
    assert!(v.no_plan);
    assert!(v.territories.rows.iter().all(|r| r.flag == Flag::Balanced));
    assert_eq!(v.territories.rows[0].workload_vs_mean.to_string(), "—");
}

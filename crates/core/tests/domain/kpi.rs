//! The seeds' worked examples, reproduced from account data, not from typed-in counts.

use rounds_core::kpi::{
    average_deal_size, kare_segments, rank_by_net_profit, touches_per_rep_week, weekly_rate,
};
use rounds_core::{
    Account, ActivityKind, Currency, DateRange, Funnel, Kare, Money, Priority, Ratio, RepId, Stage,
};
use rstest::rstest;
use uuid::Uuid;

use crate::fixtures::*;

fn usd(major: i64) -> Money {
    Money::from_major(major, Currency::USD).unwrap()
}

fn q1() -> DateRange {
    DateRange::new(d(2026, 1, 1), d(2026, 3, 31))
}

/// A territory's accounts: `leads` entered as leads in Q1, the first `opps` of them became
/// opportunities, the first `won` of those were won; plus noise outside the range.
fn territory(leads: u128, opps: u128, won: u128) -> Vec<Account> {
    let mut out = Vec::new();
    for i in 0..leads {
        let mut a = account(i + 1, Priority::Medium);
        a.stage = Stage::Lead;
        a.stage_dates.lead = Some(d(2026, 1, 5));
        if i < opps {
            a.stage = Stage::Opportunity;
            a.stage_dates.opportunity = Some(d(2026, 2, 2));
        }
        if i < won {
            a.stage = Stage::Customer;
            a.stage_dates.won = Some(d(2026, 3, 2));
        }
        out.push(a);
    }
    // Last year's lead and win: outside the range, must not count.
    let mut old = account(999, Priority::Low);
    old.stage_dates.lead = Some(d(2025, 11, 3));
    old.stage_dates.won = Some(d(2025, 12, 1));
    out.push(old);
    out
}

#[rstest]
#[case::dorne(18, 5, 3, "16.7 %")]
#[case::the_westerlands(23, 8, 4, "17.4 %")]
#[case::the_vale(22, 6, 2, "9.1 %")]
#[case::the_north(32, 11, 5, "15.6 %")]
fn conversion_rate_matches_the_seeds(
    #[case] leads: u128,
    #[case] opps: u128,
    #[case] won: u128,
    #[case] rate: &str,
) {
    let accounts = territory(leads, opps, won);
    let f = Funnel::over(&accounts, q1());
    assert_eq!(
        (f.leads, f.opportunities, f.new_accounts),
        (leads as u64, opps as u64, won as u64)
    );
    assert_eq!(f.conversion_rate().to_string(), rate);
}

#[test]
fn opportunity_to_win_and_empty_funnels() {
    let f = Funnel {
        leads: 18,
        opportunities: 5,
        new_accounts: 3,
    };
    assert_eq!(f.opportunity_to_win().to_string(), "60.0 %");
    assert_eq!(
        Funnel::default().conversion_rate().to_string(),
        "—",
        "no leads is no data, not 0 %"
    );
    assert_eq!(Ratio::new(1, 3).per_mille(), Some(333));
    assert_eq!(Ratio::new(2, 3).per_mille(), Some(667));
}

fn dorne_accounts() -> Vec<Account> {
    [
        ("Dorne 1", 39_000, 17_000),
        ("Dorne 2", 42_000, 28_000),
        ("Dorne 3", 47_000, 28_000),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (name, rev, exp))| {
        let mut a = account(i as u128 + 1, Priority::High);
        a.name = name.into();
        a.revenue = usd(rev);
        a.expenses = usd(exp);
        a
    })
    .collect()
}

#[test]
fn net_profit_and_ranking_match_the_seeds() {
    let accounts = dorne_accounts();
    let nets: Vec<Money> = accounts.iter().map(|a| a.net_profit().unwrap()).collect();
    assert_eq!(nets, [usd(22_000), usd(14_000), usd(19_000)]);
    let ranked: Vec<(&str, Money)> = rank_by_net_profit(&accounts)
        .unwrap()
        .into_iter()
        .map(|(a, m)| (a.name.as_str(), m))
        .collect();
    assert_eq!(
        ranked,
        [
            ("Dorne 1", usd(22_000)),
            ("Dorne 3", usd(19_000)),
            ("Dorne 2", usd(14_000))
        ]
    );
}

#[test]
fn ranking_refuses_mixed_currencies() {
    let mut accounts = dorne_accounts();
    accounts[1].revenue = Money::from_major(42_000, Currency::EUR).unwrap();
    accounts[1].expenses = Money::from_major(28_000, Currency::EUR).unwrap();
    assert!(rank_by_net_profit(&accounts).is_err());
}

#[test]
fn kare_segments_count_and_value() {
    let mut accounts = dorne_accounts();
    accounts[0].kare = Some(Kare::Keep);
    accounts[1].kare = Some(Kare::Keep);
    accounts[2].kare = Some(Kare::Expand);
    let seg = kare_segments(&accounts, Currency::USD).unwrap();
    assert_eq!(seg[&Kare::Keep].accounts, 2);
    assert_eq!(seg[&Kare::Keep].revenue, usd(81_000));
    assert_eq!(seg[&Kare::Keep].net_profit, usd(36_000));
    assert_eq!(seg[&Kare::Expand].net_profit, usd(19_000));
    assert_eq!(
        seg[&Kare::Attain].accounts,
        0,
        "empty segments are shown too"
    );
}

#[test]
fn average_deal_size_of_accounts_won_in_range() {
    let mut accounts = dorne_accounts();
    accounts[0].stage_dates.won = Some(d(2026, 2, 1));
    accounts[1].stage_dates.won = Some(d(2026, 3, 1));
    accounts[2].stage_dates.won = Some(d(2025, 3, 1)); // last year
    assert_eq!(
        average_deal_size(&accounts, q1(), Currency::USD).unwrap(),
        Some(usd(40_500))
    );
    let none = DateRange::new(d(2024, 1, 1), d(2024, 12, 31));
    assert_eq!(
        average_deal_size(&accounts, none, Currency::USD).unwrap(),
        None
    );
}

#[test]
fn calls_and_visits_per_rep_per_week() {
    let tz = ny();
    let a = account(1, Priority::High);
    let mut acts = touches(
        &a,
        tz,
        &[
            (ActivityKind::Visit, d(2026, 3, 2)),
            (ActivityKind::Call, d(2026, 3, 3)),
            (ActivityKind::Call, d(2026, 3, 8)), // Sunday: same ISO week
            (ActivityKind::Email, d(2026, 3, 4)),
            (ActivityKind::Visit, d(2026, 3, 9)), // next week
        ],
    );
    let other = RepId::from_uuid(Uuid::from_u128(8));
    acts[4].rep_id = other;
    let weeks = touches_per_rep_week(&acts, tz);
    assert_eq!(weeks.len(), 2);
    let rep = acts[0].rep_id;
    let w10 = weeks.iter().find(|((r, _), _)| *r == rep).unwrap().1;
    assert_eq!((w10.calls, w10.visits), (2, 1));
    let rates = weekly_rate(&weeks, 2);
    assert_eq!(
        rates[&rep].0.tenths(),
        Some(10),
        "2 calls over 2 weeks = 1.0 a week"
    );
    assert_eq!(
        rates[&other].1.tenths(),
        Some(5),
        "1 visit over 2 weeks = 0.5 a week"
    );
}

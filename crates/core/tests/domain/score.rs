//! The priority score: the formula as named tables (the seeds' Dorne accounts among them)
//! and its properties over random accounts and touches.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rounds_core::score::{self, lookback_start};
use rounds_core::{
    Account, ActivityKind, Currency, FactorKind, Money, Priority, PriorityScore, Stage, Touched,
};
use rstest::rstest;

use crate::fixtures::*;

fn usd(major: i64) -> Money {
    Money::from_major(major, Currency::USD).unwrap()
}

fn today() -> NaiveDate {
    d(2026, 3, 18)
}

fn acct(stage: Stage, revenue: i64, expenses: i64) -> Account {
    let mut a = account(1, Priority::Medium);
    a.stage = stage;
    a.revenue = usd(revenue);
    a.expenses = usd(expenses);
    a
}

fn ago(days: u64) -> NaiveDate {
    today() - Days::new(days)
}

fn points(s: &PriorityScore) -> [u32; 5] {
    FactorKind::ALL.map(|k| s.points(k))
}

#[rstest]
// stage, revenue, net, recency, engagement
#[case::dorne_1(Stage::Customer, 39_000, 17_000, Some(3), 4, [14, 11, 8, 15, 12], 60)]
#[case::dorne_2(Stage::Customer, 42_000, 28_000, Some(3), 4, [14, 12, 5, 15, 12], 58)]
#[case::dorne_3(Stage::Customer, 47_000, 28_000, Some(3), 4, [14, 14, 7, 15, 12], 62)]
#[case::hot_opportunity(Stage::Opportunity, 250_000, 100_000, Some(0), 7, [20, 30, 20, 15, 15], 100)]
#[case::cold_lead(Stage::Lead, 0, 0, None, 0, [8, 0, 0, 0, 0], 8)]
#[case::loses_money(Stage::Customer, 20_000, 35_000, Some(6), 1, [14, 6, 0, 14, 3], 37)]
#[case::lost(Stage::Lost, 10_000, 2_000, Some(89), 0, [0, 3, 3, 1, 0], 7)]
fn the_formula(
    #[case] stage: Stage,
    #[case] revenue: i64,
    #[case] expenses: i64,
    #[case] last_days_ago: Option<u64>,
    #[case] recent: u32,
    #[case] expected: [u32; 5],
    #[case] total: u32,
) {
    let touched = Touched {
        last: last_days_ago.map(ago),
        recent,
    };
    let s = score::score(&acct(stage, revenue, expenses), touched, today());
    assert_eq!(points(&s), expected, "{s:#?}");
    assert_eq!(s.total, total);
    assert_eq!(s.to_string(), format!("{total} / 100"));
}

#[rstest]
#[case::today(Some(0), 15, "last touched today")]
#[case::yesterday(Some(1), 15, "last touched yesterday")]
#[case::five_days(Some(5), 15, "5 days ago")]
#[case::six_days(Some(6), 14, "6 days ago")]
#[case::a_month(Some(30), 10, "30 days ago")]
#[case::last_counting_day(Some(89), 1, "89 days ago")]
#[case::too_old(Some(90), 0, "no touch in the last 90 days")]
#[case::never(None, 0, "no touch in the last 90 days")]
fn recency_steps_down_every_six_days(
    #[case] days: Option<u64>,
    #[case] points: u32,
    #[case] words: &str,
) {
    let s = score::score(
        &acct(Stage::Customer, 0, 0),
        Touched {
            last: days.map(ago),
            recent: 0,
        },
        today(),
    );
    let f = &s.factors[FactorKind::Recency as usize];
    assert_eq!(f.kind, FactorKind::Recency);
    assert_eq!(f.points, points);
    assert!(f.why.contains(words), "{:?} should say {words:?}", f.why);
}

#[test]
fn every_factor_explains_itself_in_words() {
    let s = score::score(
        &acct(Stage::Customer, 39_000, 17_000),
        Touched {
            last: Some(ago(12)),
            recent: 2,
        },
        today(),
    );
    let why: Vec<&str> = s.factors.iter().map(|f| f.why.as_str()).collect();
    assert_eq!(
        why,
        [
            "customer: revenue to keep",
            "revenue USD 39,000.00: full 30 points at USD 100,000.00",
            "net profit USD 22,000.00 (revenue − expenses): full 20 points at USD 50,000.00",
            "last touched 12 days ago: one point less for every 6 days",
            "2 touches in the last 30 days: 3 points each",
        ]
    );
}

#[test]
fn amounts_count_in_whole_units_of_the_accounts_currency() {
    let yen = Currency::parse("JPY").unwrap();
    let mut a = acct(Stage::Customer, 0, 0);
    a.revenue = Money::from_major(50_000, yen).unwrap();
    a.expenses = Money::zero(yen);
    let s = score::score(&a, Touched::default(), today());
    assert_eq!(s.points(FactorKind::Revenue), 15, "50,000 of 100,000 units");
    assert_eq!(s.points(FactorKind::NetProfit), 20);

    a.expenses = Money::zero(Currency::USD);
    let s = score::score(&a, Touched::default(), today());
    assert_eq!(
        s.points(FactorKind::NetProfit),
        0,
        "mixed currencies: no net profit"
    );
    assert!(s.factors[2].why.contains("different currencies"));
}

#[test]
fn touches_are_read_by_local_date_in_the_windows() {
    let a = account(1, Priority::High);
    let tz = ny();
    let acts = touches(
        &a,
        tz,
        &[
            (ActivityKind::Visit, ago(29)), // first day of the 30-day window
            (ActivityKind::Call, ago(30)),  // just outside it, still counts for recency
            (ActivityKind::Email, ago(2)),
            (ActivityKind::Note, ago(0)), // a note is not a touch
            (ActivityKind::Call, d(2026, 3, 19)), // after today: ignored
            (ActivityKind::Visit, ago(91)), // beyond the lookback
        ],
    );
    let t = Touched::from_activities(&acts, tz, today());
    assert_eq!(
        t,
        Touched {
            last: Some(ago(2)),
            recent: 2
        }
    );

    // Late evening in New York is the next day in UTC: the local day counts.
    let late = rounds_core::Activity {
        occurred_at: utc("2026-03-19T03:30:00Z"),
        ..acts[0].clone()
    };
    let t = Touched::from_activities([&late], tz, today());
    assert_eq!(t.last, Some(today()), "23:30 on the 18th in New York");
    assert_eq!(lookback_start(today()), ago(90));
}

#[test]
fn ties_rank_by_name_then_id() {
    let s = score::score(&acct(Stage::Lead, 0, 0), Touched::default(), today());
    let (a, b) = (account(1, Priority::Low), account(2, Priority::Low));
    let mut list = [(&s, "Birch", b.id), (&s, "Acme", b.id), (&s, "Acme", a.id)];
    list.sort_by(|x, y| score::compare(*x, *y));
    assert_eq!(
        list.map(|x| (x.1, x.2)),
        [("Acme", a.id), ("Acme", b.id), ("Birch", b.id)]
    );
    let better = score::score(&acct(Stage::Opportunity, 0, 0), Touched::default(), today());
    assert_eq!(
        score::compare((&better, "Zed", b.id), (&s, "Acme", a.id)),
        std::cmp::Ordering::Less,
        "a higher total ranks first whatever the name"
    );
}

fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        Just(Stage::Lead),
        Just(Stage::Opportunity),
        Just(Stage::Customer),
        Just(Stage::Lost)
    ]
}

fn touched() -> impl Strategy<Value = Touched> {
    (proptest::option::of(0u64..200), 0u32..20).prop_map(|(last, recent)| Touched {
        last: last.map(ago),
        recent,
    })
}

proptest! {
    #[test]
    fn the_total_is_the_sum_of_bounded_factors(
        stage in stage(),
        revenue in -1_000_000_000i64..1_000_000_000_000,
        expenses in -1_000_000_000i64..1_000_000_000_000,
        t in touched(),
    ) {
        let mut a = acct(stage, 0, 0);
        a.revenue = Money::new(revenue, Currency::USD);
        a.expenses = Money::new(expenses, Currency::USD);
        let s = score::score(&a, t, today());
        prop_assert_eq!(s.total, s.factors.iter().map(|f| f.points).sum::<u32>());
        prop_assert!(s.total <= 100);
        prop_assert_eq!(s.factors.iter().map(|f| f.kind).collect::<Vec<_>>(), FactorKind::ALL.to_vec());
        for f in &s.factors {
            prop_assert!(f.points <= f.kind.max(), "{:?}", f);
            prop_assert!(!f.why.is_empty());
        }
    }

    #[test]
    fn more_revenue_never_lowers_the_score(
        stage in stage(),
        revenue in -10_000_000i64..100_000_000_000,
        more in 0i64..100_000_000_000,
        expenses in 0i64..100_000_000_000,
        t in touched(),
    ) {
        let mut a = acct(stage, 0, 0);
        a.expenses = Money::new(expenses, Currency::USD);
        a.revenue = Money::new(revenue, Currency::USD);
        let before = score::score(&a, t, today());
        a.revenue = Money::new(revenue + more, Currency::USD);
        let after = score::score(&a, t, today());
        prop_assert!(after.total >= before.total);
        prop_assert!(after.points(FactorKind::Revenue) >= before.points(FactorKind::Revenue));
        prop_assert!(after.points(FactorKind::NetProfit) >= before.points(FactorKind::NetProfit));
    }

    #[test]
    fn a_more_recent_touch_never_lowers_recency(
        older in 0u64..200,
        newer_by in 0u64..200,
        recent in 0u32..20,
    ) {
        let newer = older.saturating_sub(newer_by);
        let a = acct(Stage::Customer, 1_000, 0);
        let at = |days| score::score(&a, Touched { last: Some(ago(days)), recent }, today());
        prop_assert!(at(newer).points(FactorKind::Recency) >= at(older).points(FactorKind::Recency));
        let never = score::score(&a, Touched { last: None, recent }, today());
        prop_assert!(at(older).points(FactorKind::Recency) >= never.points(FactorKind::Recency));
    }

    #[test]
    fn another_touch_never_lowers_the_score(
        days in proptest::collection::vec(0u64..120, 0..12),
        extra in 0u64..120,
    ) {
        let a = acct(Stage::Customer, 30_000, 10_000);
        let before = Touched::from_dates(days.iter().map(|d| ago(*d)), today());
        let after = Touched::from_dates(days.iter().chain([&extra]).map(|d| ago(*d)), today());
        prop_assert!(after.recent >= before.recent);
        prop_assert!(
            score::score(&a, after, today()).total >= score::score(&a, before, today()).total
        );
    }
}

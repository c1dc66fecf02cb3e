//! Funnel figures counted from dated stage changes.

use proptest::prelude::*;
use rounds_core::stage::lost_reasons;
use rounds_core::{AccountId, DateRange, Stage, StageChange, StageFlow};
use rstest::rstest;
use uuid::Uuid;

use crate::fixtures::d;
use Stage::*;

fn q1() -> DateRange {
    DateRange::new(d(2026, 1, 1), d(2026, 3, 31))
}

fn change(n: u128, from: Option<Stage>, to: Stage, on: (i32, u32, u32)) -> StageChange {
    StageChange {
        account: AccountId::from_uuid(Uuid::from_u128(n)),
        territory: None,
        from,
        to,
        on: d(on.0, on.1, on.2),
        reason: None,
        by: None,
    }
}

fn lost(n: u128, reason: Option<&str>, on: (i32, u32, u32)) -> StageChange {
    StageChange {
        reason: reason.map(str::to_owned),
        ..change(n, Some(Opportunity), Lost, on)
    }
}

#[rstest]
// Created as a lead in the range: a lead.
#[case(change(1, None, Lead, (2026, 1, 5)), (1, 0, 0, 0))]
#[case(change(1, Some(Lead), Opportunity, (2026, 2, 1)), (0, 1, 0, 0))]
#[case(change(1, Some(Opportunity), Customer, (2026, 3, 31)), (0, 0, 1, 0))]
#[case(change(1, Some(Opportunity), Lost, (2026, 1, 1)), (0, 0, 0, 1))]
// A customer lost later is a loss too.
#[case(change(1, Some(Customer), Lost, (2026, 2, 1)), (0, 0, 0, 1))]
// Outside the range: not counted.
#[case(change(1, Some(Lead), Opportunity, (2025, 12, 31)), (0, 0, 0, 0))]
#[case(change(1, Some(Opportunity), Customer, (2026, 4, 1)), (0, 0, 0, 0))]
// No move at all (the same stage again): not counted.
#[case(change(1, Some(Lost), Lost, (2026, 2, 1)), (0, 0, 0, 0))]
fn a_change_counts_where_it_went_on_its_day(
    #[case] c: StageChange,
    #[case] want: (u64, u64, u64, u64),
) {
    let f = StageFlow::over([&c], q1());
    assert_eq!((f.leads, f.to_opportunity, f.won, f.lost), want);
}

#[test]
fn an_account_won_then_lost_counts_in_both_periods() {
    let history = [
        change(1, None, Lead, (2026, 1, 5)),
        change(1, Some(Lead), Opportunity, (2026, 2, 2)),
        change(1, Some(Opportunity), Customer, (2026, 3, 2)),
        change(1, Some(Customer), Lost, (2026, 6, 1)),
    ];
    let q1 = StageFlow::over(&history, q1());
    assert_eq!((q1.leads, q1.to_opportunity, q1.won, q1.lost), (1, 1, 1, 0));
    assert_eq!(q1.win_rate().to_string(), "100.0 %");
    let q2 = StageFlow::over(&history, DateRange::new(d(2026, 4, 1), d(2026, 6, 30)));
    assert_eq!((q2.won, q2.lost), (0, 1));
    assert_eq!(q2.win_rate().to_string(), "0.0 %");
}

#[test]
fn win_rate_is_won_over_decided_and_a_dash_without_decisions() {
    let three_won_one_lost = [
        change(1, Some(Opportunity), Customer, (2026, 1, 5)),
        change(2, Some(Opportunity), Customer, (2026, 1, 6)),
        change(3, Some(Lead), Customer, (2026, 1, 7)),
        lost(4, Some("Price"), (2026, 1, 8)),
    ];
    assert_eq!(
        StageFlow::over(&three_won_one_lost, q1())
            .win_rate()
            .to_string(),
        "75.0 %"
    );
    let only_leads = [change(1, None, Lead, (2026, 1, 5))];
    assert_eq!(
        StageFlow::over(&only_leads, q1()).win_rate().to_string(),
        "—"
    );
}

#[test]
fn lost_reasons_are_tallied_case_blind_most_frequent_first() {
    let changes = [
        lost(1, Some("Went with a cheaper supplier"), (2026, 1, 5)),
        lost(2, Some("Price"), (2026, 1, 6)),
        lost(3, Some(" price "), (2026, 1, 7)),
        lost(4, Some("PRICE"), (2026, 2, 7)),
        lost(5, None, (2026, 2, 8)),
        lost(6, Some("   "), (2026, 2, 9)),
        // Outside the range, and a move that is no loss: not counted.
        lost(7, Some("Closed down"), (2025, 12, 1)),
        change(8, Some(Lead), Opportunity, (2026, 1, 5)),
    ];
    assert_eq!(
        lost_reasons(&changes, q1()),
        vec![
            (Some("Price".to_owned()), 3),
            // Blank reasons are no reason.
            (None, 2),
            (Some("Went with a cheaper supplier".to_owned()), 1),
        ]
    );
}

fn any_stage() -> impl Strategy<Value = Stage> {
    prop_oneof![Just(Lead), Just(Opportunity), Just(Customer), Just(Lost)]
}

fn any_change() -> impl Strategy<Value = StageChange> {
    (
        0u128..20,
        proptest::option::of(any_stage()),
        any_stage(),
        0u32..400,
        proptest::option::of("[a-c ]{0,4}"),
    )
        .prop_map(|(n, from, to, day, reason)| {
            StageChange {
                reason,
                ..change(n, from, to, (2025, 12, 1))
            }
            .with_day(day)
        })
}

trait WithDay {
    fn with_day(self, offset: u32) -> Self;
}

impl WithDay for StageChange {
    fn with_day(mut self, offset: u32) -> Self {
        self.on = d(2025, 12, 1) + chrono::Days::new(u64::from(offset));
        self
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Splitting a range in two splits every count in two: no change is counted twice or
    /// dropped at the seam.
    #[test]
    fn counts_add_up_over_adjacent_ranges(changes in proptest::collection::vec(any_change(), 0..60), cut in 0u32..400) {
        let start = d(2025, 12, 1);
        let end = start + chrono::Days::new(400);
        let seam = start + chrono::Days::new(u64::from(cut));
        let whole = StageFlow::over(&changes, DateRange::new(start, end));
        let a = StageFlow::over(&changes, DateRange::new(start, seam));
        let b = StageFlow::over(&changes, DateRange::new(seam + chrono::Days::new(1), end));
        prop_assert_eq!(whole.leads, a.leads + b.leads);
        prop_assert_eq!(whole.to_opportunity, a.to_opportunity + b.to_opportunity);
        prop_assert_eq!(whole.won, a.won + b.won);
        prop_assert_eq!(whole.lost, a.lost + b.lost);
        // Every loss has a line in the reasons, and only losses do.
        let reasons: u64 = lost_reasons(&changes, DateRange::new(start, end)).iter().map(|r| r.1).sum();
        prop_assert_eq!(reasons, whole.lost);
    }
}

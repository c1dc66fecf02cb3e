//! Next steps: where a follow-up stands on a day, and what Today lists.

use chrono::{DateTime, Days, TimeZone, Utc};
use proptest::prelude::*;
use rounds_core::follow_up::{Standing, due};
use rounds_core::{AccountId, ActivityId, FollowUp, FollowUpId, RepId, TouchKind};
use rstest::rstest;
use uuid::Uuid;

use crate::fixtures::d;

fn made() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn follow_up(n: u128, due_on: (i32, u32, u32), done: bool) -> FollowUp {
    FollowUp {
        id: FollowUpId::from_uuid(Uuid::from_u128(n)),
        account: AccountId::from_uuid(Uuid::from_u128(100 + n)),
        rep: RepId::from_uuid(Uuid::from_u128(7)),
        kind: TouchKind::Call,
        due: d(due_on.0, due_on.1, due_on.2),
        note: Some("call back about the samples".into()),
        created_at: made(),
        done: done.then(|| {
            (
                made(),
                Some(ActivityId::from_uuid(Uuid::from_u128(900 + n))),
            )
        }),
    }
}

#[rstest]
#[case((2026, 3, 10), false, Standing::DueToday)]
#[case((2026, 3, 9), false, Standing::Overdue(1))]
#[case((2026, 2, 28), false, Standing::Overdue(10))]
#[case((2026, 3, 11), false, Standing::Upcoming(1))]
#[case((2026, 3, 17), false, Standing::Upcoming(7))]
// Done is done, however late or early.
#[case((2026, 3, 1), true, Standing::Done)]
#[case((2026, 3, 20), true, Standing::Done)]
fn a_follow_up_stands_by_its_due_day(
    #[case] due_on: (i32, u32, u32),
    #[case] done: bool,
    #[case] want: Standing,
) {
    let today = d(2026, 3, 10);
    let f = follow_up(1, due_on, done);
    assert_eq!(f.standing(today), want);
    assert_eq!(
        f.is_due(today),
        matches!(want, Standing::DueToday | Standing::Overdue(_))
    );
}

#[test]
fn today_lists_open_due_ones_most_overdue_first() {
    let all = [
        follow_up(1, (2026, 3, 10), false),
        follow_up(2, (2026, 3, 5), false),
        follow_up(3, (2026, 3, 11), false),
        follow_up(4, (2026, 3, 1), true),
        follow_up(5, (2026, 3, 8), false),
    ];
    let ids: Vec<u128> = due(&all, d(2026, 3, 10))
        .iter()
        .map(|f| f.id.as_uuid().as_u128())
        .collect();
    assert_eq!(ids, [2, 5, 1], "tomorrow's and the done one are not listed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Today lists exactly the open follow-ups due on or before it, each once, in due order.
    #[test]
    fn today_lists_exactly_the_open_due_ones(
        specs in proptest::collection::vec((0u64..40, any::<bool>()), 0..40),
        today in 0u64..40,
    ) {
        let start = d(2026, 3, 1);
        let all: Vec<FollowUp> = specs
            .iter()
            .enumerate()
            .map(|(i, (offset, done))| {
                let mut f = follow_up(i as u128, (2026, 3, 1), *done);
                f.due = start + Days::new(*offset);
                f
            })
            .collect();
        let today = start + Days::new(today);
        let listed = due(&all, today);
        let want = all.iter().filter(|f| f.done.is_none() && f.due <= today).count();
        prop_assert_eq!(listed.len(), want);
        prop_assert!(listed.windows(2).all(|w| w[0].due <= w[1].due));
        prop_assert!(listed.iter().all(|f| f.done.is_none() && f.due <= today));
    }
}

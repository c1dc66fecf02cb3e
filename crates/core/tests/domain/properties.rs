//! Properties of the cadence engine over random plans, accounts, activities, zones and
//! calendars.

use chrono::{Days, Duration, NaiveDate};
use proptest::prelude::*;
use rounds_core::{
    Activity, ActivityKind, BucketRule, Period, Priority, RotationPlan, TouchKind, Touches, Tz,
    WorkCalendar, account_cadence,
};

use crate::fixtures::*;

const ZONES: [&str; 6] = [
    "UTC",
    "America/New_York",
    "America/Santiago",
    "Europe/London",
    "Pacific/Auckland",
    "Asia/Kolkata",
];

#[derive(Debug, Clone)]
struct Case {
    plan: RotationPlan,
    priority: Priority,
    created_offset: i64,
    today: NaiveDate,
    tz: Tz,
    holidays: Vec<NaiveDate>,
    log: Vec<(ActivityKind, i64, u32)>,
}

fn period() -> impl Strategy<Value = Period> {
    prop_oneof![
        Just(Period::Week),
        Just(Period::Month),
        Just(Period::Quarter)
    ]
}

fn bucket_rule() -> impl Strategy<Value = BucketRule> {
    (period(), 0u32..=5, 0u32..=5, 0u32..=5).prop_map(|(period, v, c, e)| BucketRule {
        period,
        touches: Touches::new(v, c, e),
        visit_minutes: None,
    })
}

fn kind() -> impl Strategy<Value = ActivityKind> {
    prop_oneof![
        Just(ActivityKind::Visit),
        Just(ActivityKind::Call),
        Just(ActivityKind::Email),
        Just(ActivityKind::Note)
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            0i64..3_650,
            bucket_rule(),
            proptest::option::of((1i64..200, bucket_rule())),
        ),
        prop_oneof![
            Just(Priority::High),
            Just(Priority::Medium),
            Just(Priority::Low)
        ],
        -200i64..60,
        0usize..ZONES.len(),
        proptest::collection::vec(-100i64..100, 0..6),
        proptest::collection::vec((kind(), -120i64..30, 0u32..1_440), 0..25),
    )
        .prop_map(
            |((day, first, second), priority, created_offset, zone, holidays, log)| {
                let today = d(2024, 1, 1) + Days::new(day as u64);
                let mut versions = vec![(today - Days::new(400), first)];
                if let Some((back, r)) = second {
                    versions.push((today - Days::new(back as u64), r));
                }
                let plan = RotationPlan::new(
                    rounds_core::PlanId::from_uuid(uuid::Uuid::from_u128(1)),
                    "p".into(),
                    versions
                        .into_iter()
                        .map(|(from, r)| rounds_core::PlanVersion {
                            effective_from: from,
                            rules: [(priority, r)].into(),
                        })
                        .collect(),
                )
                .unwrap();
                Case {
                    plan,
                    priority,
                    created_offset,
                    today,
                    tz: ZONES[zone].parse().unwrap(),
                    holidays: holidays.into_iter().map(|o| offset(today, o)).collect(),
                    log,
                }
            },
        )
}

fn offset(day: NaiveDate, by: i64) -> NaiveDate {
    day.checked_add_signed(Duration::days(by)).unwrap()
}

fn build(c: &Case) -> (rounds_core::Account, Vec<Activity>, WorkCalendar) {
    let mut a = account(1, c.priority);
    a.created_at = local_noon(c.tz, offset(c.today, c.created_offset));
    let acts = c
        .log
        .iter()
        .enumerate()
        .map(|(i, (kind, off, minute))| {
            let at = local_noon(c.tz, offset(c.today, *off)) - Duration::hours(12)
                + Duration::minutes(i64::from(*minute));
            activity(i as u128, &a, *kind, at)
        })
        .collect();
    (a, acts, WorkCalendar::with_holidays(c.holidays.clone()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn owed_is_what_planned_exceeds_done(c in case()) {
        let (a, acts, cal) = build(&c);
        let r = account_cadence(&c.plan, &a, &acts, c.today, c.tz, &cal);
        for k in &r.kinds {
            prop_assert!(k.owed <= k.planned);
            prop_assert!(k.done + k.owed >= k.planned, "done + owed >= planned: {k:?}");
            prop_assert_eq!(k.owed == 0, k.next_due.is_none());
        }
    }

    #[test]
    fn next_due_is_never_before_the_period_start(c in case()) {
        let (a, acts, cal) = build(&c);
        let r = account_cadence(&c.plan, &a, &acts, c.today, c.tz, &cal);
        if let Some((_, range)) = r.period {
            prop_assert!(range.contains(c.today));
            for k in &r.kinds {
                if let Some(due) = k.next_due {
                    prop_assert!(due >= range.start && due <= range.end, "{due} outside {range:?}");
                    prop_assert!(cal.is_workday(due), "due on a day off: {due}");
                }
            }
        }
    }

    #[test]
    fn one_more_touch_never_increases_what_is_owed(c in case(), extra in kind(), back in -120i64..30) {
        let (a, mut acts, cal) = build(&c);
        let before = account_cadence(&c.plan, &a, &acts, c.today, c.tz, &cal);
        acts.push(activity(9_999, &a, extra, local_noon(c.tz, offset(c.today, back))));
        let after = account_cadence(&c.plan, &a, &acts, c.today, c.tz, &cal);
        for kind in TouchKind::ALL {
            prop_assert!(after.kind(kind).owed <= before.kind(kind).owed);
            prop_assert_eq!(after.kind(kind).planned, before.kind(kind).planned);
        }
    }

    #[test]
    fn activity_order_does_not_matter(c in case(), seed in any::<u64>()) {
        let (a, acts, cal) = build(&c);
        let mut shuffled = acts.clone();
        // A seeded Fisher-Yates; proptest shrinks the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let x = account_cadence(&c.plan, &a, &acts, c.today, c.tz, &cal);
        let y = account_cadence(&c.plan, &a, &shuffled, c.today, c.tz, &cal);
        prop_assert_eq!(x, y);
    }
}

//! Compliance roll-up: done versus planned per rep, territory, bucket and kind.

use rounds_core::ActivityKind::{Call, Visit};
use rounds_core::{
    CadenceEngine, Compliance, Priority, RepId, TerritoryId, TouchKind, WorkCalendar,
};
use uuid::Uuid;

use crate::fixtures::*;

#[test]
fn roll_up_credits_at_most_the_plan_per_account() {
    let tz = ny();
    let plan = seeds_plan();
    let cal = WorkCalendar::default();
    // The close of March: the period's final numbers.
    let engine = CadenceEngine::new(&plan, d(2026, 3, 31), tz, &cal);
    let rep_a = Some(RepId::from_uuid(Uuid::from_u128(100)));
    let rep_b = Some(RepId::from_uuid(Uuid::from_u128(101)));
    let north = Some(TerritoryId::from_uuid(Uuid::from_u128(200)));
    let vale = Some(TerritoryId::from_uuid(Uuid::from_u128(201)));

    let a1 = account(1, Priority::High);
    let a2 = account(2, Priority::High);
    let b1 = account(3, Priority::High);
    // a1: 3 visits (one extra), a2: none; b1: 1 visit, 2 calls.
    let l1 = touches(
        &a1,
        tz,
        &[
            (Visit, d(2026, 3, 2)),
            (Visit, d(2026, 3, 3)),
            (Visit, d(2026, 3, 4)),
        ],
    );
    let l3 = touches(
        &b1,
        tz,
        &[
            (Visit, d(2026, 3, 2)),
            (Call, d(2026, 3, 2)),
            (Call, d(2026, 3, 3)),
        ],
    );
    let c1 = engine.evaluate(&a1, &l1);
    let c2 = engine.evaluate(&a2, &[] as &[rounds_core::Activity]);
    let c3 = engine.evaluate(&b1, &l3);
    let roll = Compliance::roll_up([(rep_a, north, &c1), (rep_a, north, &c2), (rep_b, vale, &c3)]);

    let visits_by_rep = roll.by(|k| (k.rep, k.kind));
    let a_visits = visits_by_rep[&(rep_a, TouchKind::Visit)];
    assert_eq!(
        (a_visits.planned, a_visits.done, a_visits.credited),
        (4, 3, 2)
    );
    assert_eq!(
        a_visits.compliance().to_string(),
        "50.0 %",
        "the extra visit to a1 does not cover a2"
    );

    let by_territory = roll.by(|k| k.territory);
    let vale_total = by_territory[&vale];
    // b1: visits 1/2, calls 2/2, e-mails 0/4.
    assert_eq!((vale_total.planned, vale_total.credited), (8, 3));

    let all = roll.by(|_| ());
    assert_eq!(all[&()].planned, 3 * 8);
    let by_bucket = roll.by(|k| k.priority);
    assert_eq!(by_bucket.len(), 1);
}

//! Workload: a bucket's touches in an average month, in minutes and workdays.

use rounds_core::Period;
use rounds_core::plan::{BucketRule, Touches};
use rounds_core::workload::{MAX_DRIVE_MINUTES, MIN_DRIVE_MINUTES, drive_minutes, monthly};

fn rule(period: Period, visits: u32, calls: u32, emails: u32, visit: Option<u16>) -> BucketRule {
    BucketRule {
        period,
        touches: Touches::new(visits, calls, emails),
        visit_minutes: visit,
    }
}

#[test]
fn a_months_touches_in_minutes_and_workdays() {
    // (rule, account's visit length, km to its neighbour) → (visits, minutes, workdays)
    let cases = [
        // High: 2 visits of 30 min + 2 calls of 10 + 4 e-mails of 5 = 100 min, plus
        // 2 drives of 10 km (19.5 min each).
        (rule(Period::Month, 2, 2, 4, None), None, 10.0, 2.0, 139.0),
        // The account's own visit length wins over its bucket's.
        (
            rule(Period::Month, 1, 0, 0, Some(60)),
            Some(90),
            0.0,
            1.0,
            95.0,
        ),
        (rule(Period::Month, 1, 0, 0, Some(60)), None, 0.0, 1.0, 65.0),
        // A weekly visit is 52/12 a month; a quarterly call a third of one.
        (
            rule(Period::Week, 1, 0, 0, None),
            None,
            0.0,
            52.0 / 12.0,
            52.0 / 12.0 * 35.0,
        ),
        (rule(Period::Quarter, 0, 3, 0, None), None, 100.0, 0.0, 10.0),
        // The drive is capped: a lone account is one leg of a trip.
        (
            rule(Period::Month, 1, 0, 0, None),
            None,
            1_000.0,
            1.0,
            30.0 + MAX_DRIVE_MINUTES,
        ),
        (rule(Period::Month, 0, 0, 0, None), None, 5.0, 0.0, 0.0),
    ];
    for (r, visit, km, visits, minutes) in cases {
        let m = monthly(&r, visit, km);
        assert!((m.visits - visits).abs() < 1e-9, "{r:?}: {m:?}");
        assert!((m.minutes() - minutes).abs() < 1e-9, "{r:?} {km} km: {m:?}");
        assert!((m.workdays() - minutes / 480.0).abs() < 1e-12);
    }
}

#[test]
fn driving_is_the_road_distance_at_town_speed() {
    assert!(
        (drive_minutes(40.0) - 78.0).abs() < 1e-9,
        "40 km x 1.3 at 40 km/h"
    );
    assert_eq!(drive_minutes(-3.0), 0.0);
    let m = monthly(&rule(Period::Month, 1, 0, 0, None), None, 0.0);
    assert_eq!(
        m.drive_minutes, MIN_DRIVE_MINUTES,
        "next door still costs parking"
    );
}

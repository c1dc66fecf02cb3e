use std::time::Duration;

use proptest::prelude::*;
use rounds_route::{
    DayRules, End, LatLon, Options, Position, Problem, RouteError, Stops, fit_day, reorder_from,
    route_length,
};

use crate::{latlon_stops, points};

fn minutes(m: u64) -> Duration {
    Duration::from_secs(60 * m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fit_the_day_never_exceeds_the_workday(
        n in 2usize..60, seed in any::<u64>(), hours in 1u64..10, visit in 5u64..60,
        kind in 0u8..3,
    ) {
        let stops = latlon_stops(&points(n, seed));
        let end = match kind { 0 => End::Start, 1 => End::Free, _ => End::Stop(n - 1) };
        let p = Problem::new(stops.clone(), 0, end).unwrap();
        let mut visits = vec![minutes(visit); n];
        visits[0] = Duration::ZERO;
        let rules = DayRules {
            workday: minutes(60 * hours),
            visit: visits.clone(),
            urgency: (0..n as u32).map(|i| (i * 7919) % 5).collect(),
        };
        let opts = Options { max_kicks: Some(200), ..Options::default() };
        match fit_day(&p, &rules, &opts) {
            Ok(plan) => {
                prop_assert!(plan.busy <= rules.workday, "busy {:?} > workday", plan.busy);
                let drive = opts.drive_time_of(plan.route.total_m);
                let visiting: Duration = plan.route.order.iter().map(|&s| visits[s]).sum();
                prop_assert_eq!(plan.busy, drive + visiting);
                let mut all: Vec<usize> = plan.route.order.clone();
                all.extend(plan.dropped.iter().map(|d| d.stop));
                all.sort_unstable();
                prop_assert_eq!(all, (0..n).collect::<Vec<_>>(), "kept + dropped = every stop");
                prop_assert_eq!(plan.route.order[0], 0);
                if let End::Stop(e) = p.end() {
                    prop_assert_eq!(*plan.route.order.last().unwrap(), e);
                }
            }
            Err(RouteError::WorkdayTooShort { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

#[test]
fn the_least_urgent_stops_are_dropped_first() {
    // Ten stops on a line 1 km apart; 30 min visits; a 3 h day fits ~5.
    let stops = Stops::LatLon(
        (0..10)
            .map(|i| LatLon::new(0.0, f64::from(i) * 0.009).unwrap())
            .collect(),
    );
    let p = Problem::new(stops, 0, End::Start).unwrap();
    let mut visit = vec![minutes(30); 10];
    visit[0] = Duration::ZERO;
    let urgency = vec![9, 1, 5, 1, 5, 1, 5, 1, 5, 1];
    let rules = DayRules {
        workday: minutes(180),
        visit,
        urgency: urgency.clone(),
    };
    let plan = fit_day(&p, &rules, &Options::default()).unwrap();
    assert!(plan.busy <= rules.workday);
    assert!(!plan.dropped.is_empty());
    let kept_min = plan
        .route
        .order
        .iter()
        .skip(1)
        .map(|&s| urgency[s])
        .min()
        .unwrap();
    for d in &plan.dropped {
        assert!(
            d.urgency <= kept_min,
            "dropped {d:?} while a less urgent stop stayed"
        );
    }
}

#[test]
fn a_day_too_short_for_the_fixed_stops_is_an_error() {
    let stops = Stops::LatLon(vec![
        LatLon::new(0.0, 0.0).unwrap(),
        LatLon::new(0.0, 1.0).unwrap(),
    ]);
    let p = Problem::new(stops, 0, End::Stop(1)).unwrap();
    let rules = DayRules {
        workday: minutes(10),
        visit: vec![Duration::ZERO; 2],
        urgency: vec![0; 2],
    };
    assert!(matches!(
        fit_day(&p, &rules, &Options::default()),
        Err(RouteError::WorkdayTooShort { .. })
    ));
}

#[test]
fn everything_fits_in_a_long_day() {
    let stops = latlon_stops(&points(30, 1));
    let p = Problem::new(stops, 0, End::Start).unwrap();
    let rules = DayRules {
        workday: minutes(24 * 60),
        visit: vec![minutes(1); 30],
        urgency: vec![1; 30],
    };
    let plan = fit_day(&p, &rules, &Options::default()).unwrap();
    assert!(plan.dropped.is_empty());
    assert_eq!(plan.route.order.len(), 30);
}

#[test]
fn reorder_from_a_stop_covers_exactly_the_remaining_stops() {
    let stops = latlon_stops(&points(40, 2));
    let remaining: Vec<usize> = (10..40).collect();
    let r = reorder_from(
        &stops,
        Position::Stop(5),
        &remaining,
        End::Stop(0),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.order[0], 5);
    assert_eq!(*r.order.last().unwrap(), 0);
    let mut mid = r.order[1..r.order.len() - 1].to_vec();
    mid.sort_unstable();
    assert_eq!(mid, remaining);
    assert_eq!(r.total_m, route_length(&stops, &r.order, End::Free));
}

#[test]
fn reorder_from_coordinates_counts_the_first_leg_from_here() {
    let stops = latlon_stops(&points(20, 4));
    let here = LatLon::new(41.8, -87.9).unwrap();
    let remaining = [3, 7, 11, 15, 19];
    let r = reorder_from(
        &stops,
        Position::At(here),
        &remaining,
        End::Free,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.order.len(), remaining.len());
    assert_eq!(
        r.legs_m.len(),
        remaining.len(),
        "one leg from here, then one per stop after the first"
    );
    let Stops::LatLon(pts) = &stops else {
        unreachable!()
    };
    assert_eq!(r.legs_m[0], here.distance_m(pts[r.order[0]]));
}

#[test]
fn reorder_rejects_bad_stop_lists() {
    let stops = latlon_stops(&points(5, 4));
    let o = Options::default();
    assert_eq!(
        reorder_from(&stops, Position::Stop(0), &[1, 1], End::Free, &o).unwrap_err(),
        RouteError::DuplicateStop(1)
    );
    assert!(matches!(
        reorder_from(&stops, Position::Stop(0), &[9], End::Free, &o),
        Err(RouteError::StopOutOfRange { index: 9, .. })
    ));
}

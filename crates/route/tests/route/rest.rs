//! A rest (lunch) taken where the rep is: in the wait before a shop opens when it can
//! be, never overlapping a visit or a drive, inside its window, and paid for by the
//! least urgent visit when the day has no room for it.

use proptest::prelude::*;
use rounds_route::{
    End, FIXED, Rest, RestTaken, Schedule, TimedOptions, TimedProblem, Window, WindowDrop,
    fit_windows, fit_windows_with_rest,
};

use crate::points;

/// Every leg takes `leg`; each stop's service and window as given.
pub fn uniform(leg: i64, stops: &[(i64, (i64, i64))], end: End) -> TimedProblem {
    let n = stops.len();
    let travel = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 0 } else { leg }).collect())
        .collect();
    TimedProblem::new(
        travel,
        stops.iter().map(|s| s.0).collect(),
        stops.iter().map(|s| Window::new(s.1.0, s.1.1)).collect(),
        0,
        end,
    )
    .unwrap()
}

fn lunch(earliest: i64, latest: i64, length: i64) -> Rest {
    Rest {
        window: Window::new(earliest, latest),
        length,
    }
}

#[test]
fn a_rest_is_taken_in_the_wait_before_a_shop_opens() {
    // Home, a shop opening at 300 (reached at 100), another open all day.
    let plain = uniform(
        100,
        &[(0, (0, 10_000)), (30, (300, 400)), (30, (0, 10_000))],
        End::Start,
    );
    let with = plain.clone().with_rest(lunch(100, 250, 60)).unwrap();
    let (a, b) = (plain.schedule(&[0, 1, 2]), with.schedule(&[0, 1, 2]));
    assert_eq!(a.rest, None);
    assert_eq!(
        b.rest,
        Some(RestTaken {
            after: 1,
            begin: 100,
            end: 160
        })
    );
    assert_eq!(b.finish, a.finish, "the wait held the whole rest");
    assert_eq!(b.visits[1].begin, 300);
    assert!(b.is_feasible());
}

#[test]
fn a_rest_with_no_wait_to_use_moves_the_rest_of_the_day_by_its_length() {
    let plain = uniform(
        100,
        &[(0, (0, 10_000)), (30, (0, 10_000)), (30, (0, 10_000))],
        End::Start,
    );
    let with = plain.clone().with_rest(lunch(150, 1_000, 60)).unwrap();
    let (a, b) = (plain.schedule(&[0, 1, 2]), with.schedule(&[0, 1, 2]));
    assert_eq!(b.finish, a.finish + 60, "{b:?}");
    let r = b.rest.expect("the day spans lunch");
    assert!(r.begin >= 150 && r.end - r.begin == 60, "{r:?}");
    // Taken where the day loses no more than its length: not by idling until 150.
    assert_eq!(b.travel, a.travel);
}

#[test]
fn a_day_over_before_the_rest_window_or_begun_after_it_takes_none() {
    let p = uniform(100, &[(0, (0, 10_000)), (30, (0, 10_000))], End::Start);
    let early = p.clone().with_rest(lunch(500, 600, 30)).unwrap();
    assert_eq!(early.schedule(&[0, 1]).rest, None, "home by 230");
    let late = uniform(100, &[(0, (700, 10_000)), (30, (0, 10_000))], End::Start)
        .with_rest(lunch(500, 600, 30))
        .unwrap();
    assert_eq!(late.schedule(&[0, 1]).rest, None, "out at 700");
}

#[test]
fn a_fixed_end_takes_the_rest_before_arriving_there_for_the_night() {
    // Start, one shop, the hotel; the only gap after the hotel would be after the day.
    let p = uniform(
        100,
        &[(0, (0, 10_000)), (30, (0, 10_000)), (0, (0, 10_000))],
        End::Stop(2),
    )
    .with_rest(lunch(0, 10_000, 45))
    .unwrap();
    let s = p.schedule(&[0, 1, 2]);
    let r = s.rest.unwrap();
    assert!(r.after <= 2, "{r:?}");
    // Out at 0, 100 to the shop, 30 there, 100 to the hotel, 45 of rest.
    assert_eq!(s.finish, 100 + 30 + 100 + 45);
}

#[test]
fn a_day_with_no_room_for_the_rest_leaves_out_its_least_urgent_visit() {
    // Back home by 750: two 200-long visits fit (home at 700) but not with a 100 lunch.
    let p = uniform(
        100,
        &[(0, (0, 750)), (200, (0, 1_000)), (200, (0, 1_000))],
        End::Start,
    );
    let plain = fit_windows(&p, &[0, 1, 5], &TimedOptions::default()).unwrap();
    assert!(plain.dropped.is_empty());
    let day = fit_windows(
        &p.with_rest(lunch(0, 1_000, 100)).unwrap(),
        &[0, 1, 5],
        &TimedOptions::default(),
    )
    .unwrap();
    assert_eq!(day.schedule.order(), vec![0, 2]);
    assert_eq!(day.dropped.len(), 1);
    assert_eq!(
        (day.dropped[0].stop, day.dropped[0].reason),
        (1, WindowDrop::Crowded)
    );
    assert!(day.schedule.is_feasible());
    assert!(day.schedule.rest.is_some());
}

#[test]
fn a_rest_yields_to_a_fixed_appointment_and_says_so() {
    // An appointment fixed at 100 lasting 300 over the whole rest window.
    let p = uniform(
        100,
        &[(0, (0, 10_000)), (300, (100, 100)), (30, (0, 10_000))],
        End::Start,
    );
    let rest = Some(lunch(150, 300, 30));
    let (day, skipped) =
        fit_windows_with_rest(&p, rest, &[0, FIXED, 1], &TimedOptions::default()).unwrap();
    assert!(skipped);
    assert!(day.dropped.is_empty(), "{:?}", day.dropped);
    assert_eq!(day.schedule.rest, None);
    // The same stop not fixed: it gives way to the rest instead.
    let (day, skipped) =
        fit_windows_with_rest(&p, rest, &[0, 5, 1], &TimedOptions::default()).unwrap();
    assert!(!skipped);
    assert_eq!(day.dropped[0].stop, 1);
    assert!(day.schedule.rest.is_some());
}

#[test]
fn a_bad_rest_is_refused() {
    let p = uniform(100, &[(0, (0, 10_000)), (30, (0, 10_000))], End::Start);
    assert!(p.clone().with_rest(lunch(600, 500, 30)).is_err());
    assert!(p.clone().with_rest(lunch(0, 500, -1)).is_err());
}

/// The rules written out apart from the library: each visit inside its window, the
/// gap holding the rest long enough for the drive and the rest, the rest inside its
/// window and between the two visits.
fn rest_kept(
    p: &TimedProblem,
    windows: &[(i64, i64)],
    rest: Rest,
    s: &Schedule,
) -> Result<(), String> {
    for v in &s.visits[1..] {
        let (e, l) = windows[v.stop];
        if v.begin < e || v.begin > l {
            return Err(format!("visit {v:?} outside {e}..{l}"));
        }
    }
    for (k, w) in s.visits.windows(2).enumerate() {
        let leg = p.travel(w[0].stop, w[1].stop);
        let need = leg
            + s.rest
                .filter(|r| r.after == k + 1)
                .map_or(0, |_| rest.length);
        if w[1].begin - w[0].depart < need {
            return Err(format!("gap {} too short for {need}", k + 1));
        }
    }
    match s.rest {
        Some(r) => {
            if r.begin < rest.window.earliest || r.begin > rest.window.latest {
                return Err(format!("rest {r:?} outside its window"));
            }
            if r.end - r.begin != rest.length || r.begin < s.visits[r.after - 1].depart {
                return Err(format!("rest {r:?} overlaps the visit before it"));
            }
            if let Some(next) = s.visits.get(r.after) {
                if r.end > next.begin {
                    return Err(format!("rest {r:?} overlaps the visit after it"));
                }
            } else if r.end > s.finish {
                return Err(format!("rest {r:?} after the day"));
            }
        }
        None => {
            let leave = s.visits[0].depart;
            if s.finish > rest.window.earliest && leave <= rest.window.latest {
                return Err("the day spans the rest's window but takes none".into());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the windows and the rest: the day kept keeps every window and the
    /// rest's, and accounts for every stop.
    #[test]
    fn a_fitted_day_with_a_rest_keeps_it_and_every_window(
        seed in 1u64..u64::MAX,
        n in 2usize..16,
        width in 50i64..600,
        rest_at in 0i64..2_000,
        rest_width in 0i64..400,
        length in 0i64..120,
    ) {
        let pts = points(n, seed);
        let travel: Vec<Vec<i64>> = pts
            .iter()
            .map(|a| pts.iter().map(|b| (a.0 - b.0).hypot(a.1 - b.1).round() as i64 / 4).collect())
            .collect();
        let mut x = seed;
        let mut windows = vec![(0, 4_000)];
        let mut urgency = vec![0u32];
        for _ in 1..n {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let open = ((x >> 33) % 2_500) as i64;
            windows.push((open, open + width));
            urgency.push(((x >> 20) % 4) as u32);
        }
        let rest = lunch(rest_at, rest_at + rest_width, length);
        let p = TimedProblem::new(
            travel,
            (0..n).map(|i| if i == 0 { 0 } else { 30 }).collect(),
            windows.iter().map(|&(a, b)| Window::new(a, b)).collect(),
            0,
            End::Start,
        )
        .unwrap()
        .with_rest(rest)
        .unwrap();
        // Home alone is never late here: the day is feasible to start with.
        let day = fit_windows(&p, &urgency, &TimedOptions { seed, max_kicks: Some(40) }).unwrap();
        prop_assert!(day.schedule.is_feasible(), "late: {:?}", day.schedule.late);
        if let Err(e) = rest_kept(&p, &windows, rest, &day.schedule) {
            return Err(TestCaseError::fail(e));
        }
        let mut all: Vec<usize> = day.schedule.order().into_iter().chain(day.dropped.iter().map(|d| d.stop)).collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}

//! Time windows: the schedule's rules, exact answers on small instances,
//! planted feasible instances, honest reports when a window cannot be kept.

use proptest::prelude::*;
use rounds_route::{
    End, RouteError, TimedOptions, TimedProblem, Window, WindowDrop, fit_windows, solve_windows,
    solve_windows_until,
};

use crate::points;

/// The benchmark's schedule rules, written out independently of the library:
/// leave the start at its earliest time, wait when early, a visit starting
/// after its latest time is late; a round trip must be back by the start's
/// latest time. Returns (travel, late stops).
fn check(p: &Instance, order: &[usize], end: End) -> (i64, Vec<usize>) {
    let mut t = p.windows[order[0]].0;
    let mut travel = 0;
    let mut late = Vec::new();
    for w in order.windows(2) {
        let (i, j) = (w[0], w[1]);
        travel += p.travel[i][j];
        t = (t + p.service[i] + p.travel[i][j]).max(p.windows[j].0);
        if t > p.windows[j].1 {
            late.push(j);
        }
    }
    if end == End::Start && order.len() > 1 {
        let last = order[order.len() - 1];
        travel += p.travel[last][order[0]];
        if t + p.service[last] + p.travel[last][order[0]] > p.windows[order[0]].1 {
            late.push(order[0]);
        }
    }
    (travel, late)
}

#[derive(Debug, Clone)]
struct Instance {
    travel: Vec<Vec<i64>>,
    service: Vec<i64>,
    windows: Vec<(i64, i64)>,
}

impl Instance {
    fn problem(&self, end: End) -> TimedProblem {
        TimedProblem::new(
            self.travel.clone(),
            self.service.clone(),
            self.windows
                .iter()
                .map(|&(a, b)| Window::new(a, b))
                .collect(),
            0,
            end,
        )
        .expect("a generated instance is valid")
    }
}

/// Random points with an asymmetric twist (uphill costs more), service
/// times, and windows planted around a random tour: each stop's window holds
/// the time that tour reaches it, widened by up to `slack` on each side, so
/// the instance is feasible and that tour proves it.
fn planted(n: usize, seed: u64, slack: i64) -> (Instance, Vec<usize>) {
    let pts = points(n, seed);
    let travel: Vec<Vec<i64>> = pts
        .iter()
        .map(|a| {
            pts.iter()
                .map(|b| {
                    let d = (a.0 - b.0).hypot(a.1 - b.1);
                    let climb = if b.1 > a.1 { (b.1 - a.1) / 10.0 } else { 0.0 };
                    (d + climb).round() as i64
                })
                .collect()
        })
        .collect();
    let mut x = seed | 1;
    let mut next = |m: i64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m as u64) as i64
    };
    let service: Vec<i64> = (0..n).map(|i| if i == 0 { 0 } else { next(20) }).collect();
    let mut tour: Vec<usize> = (1..n).collect();
    for i in (1..tour.len()).rev() {
        tour.swap(i, next(i as i64 + 1) as usize);
    }
    tour.insert(0, 0);
    let mut windows = vec![(0, 0); n];
    let mut t = 0;
    for w in tour.windows(2) {
        t += service[w[0]] + travel[w[0]][w[1]];
        windows[w[1]] = ((t - next(slack + 1)).max(0), t + next(slack + 1));
    }
    let back = t + service[tour[n - 1]] + travel[tour[n - 1]][0];
    windows[0] = (0, back + next(slack + 1));
    (
        Instance {
            travel,
            service,
            windows,
        },
        tour,
    )
}

/// Least travel over every order that keeps every window (None: no order).
fn brute_force(p: &Instance, end: End) -> Option<i64> {
    fn go(
        p: &Instance,
        end: End,
        order: &mut Vec<usize>,
        left: &mut Vec<usize>,
        best: &mut Option<i64>,
    ) {
        if left.is_empty() {
            let (travel, late) = check(p, order, end);
            if late.is_empty() && best.is_none_or(|b| travel < b) {
                *best = Some(travel);
            }
            return;
        }
        for k in 0..left.len() {
            let v = left.remove(k);
            order.push(v);
            go(p, end, order, left, best);
            order.pop();
            left.insert(k, v);
        }
    }
    let mut best = None;
    go(
        p,
        end,
        &mut vec![0],
        &mut (1..p.travel.len()).collect(),
        &mut best,
    );
    best
}

#[test]
fn the_schedule_waits_when_early_and_names_every_late_visit() {
    // 0 → 1 → 2 → 0, symmetric legs of 10; stop 1 opens at 15 (wait 5),
    // service 5; stop 2 closes at 25 but is reached at 30; back at 40 > 35.
    let p = TimedProblem::new(
        vec![vec![0, 10, 10], vec![10, 0, 10], vec![10, 10, 0]],
        vec![0, 5, 0],
        vec![Window::new(0, 35), Window::new(15, 20), Window::new(0, 25)],
        0,
        End::Start,
    )
    .unwrap();
    let s = p.schedule(&[0, 1, 2]);
    let times: Vec<(usize, i64, i64, i64)> = s
        .visits
        .iter()
        .map(|v| (v.stop, v.arrive, v.begin, v.depart))
        .collect();
    assert_eq!(times, vec![(0, 0, 0, 0), (1, 10, 15, 20), (2, 30, 30, 30)]);
    assert_eq!(s.travel, 30);
    assert_eq!(s.finish, 40);
    let late: Vec<(usize, i64)> = s.late.iter().map(|l| (l.stop, l.by)).collect();
    assert_eq!(late, vec![(2, 5), (0, 5)]);
    assert!(!s.is_feasible());

    // The other way round keeps every window: 2 at 10, 1 at 20, back at 35.
    let s = p.schedule(&[0, 2, 1]);
    assert!(s.is_feasible(), "{s:?}");
    assert_eq!(s.finish, 35);
    assert_eq!(
        solve_windows(&p, &TimedOptions::default()).order(),
        vec![0, 2, 1]
    );
}

#[test]
fn a_fixed_end_is_last_and_a_free_end_drives_no_return_leg() {
    let (inst, _) = planted(9, 7, 30);
    let fixed = solve_windows(&inst.problem(End::Stop(4)), &TimedOptions::default());
    assert_eq!(fixed.order().first(), Some(&0));
    assert_eq!(fixed.order().last(), Some(&4));
    assert_eq!(fixed.order().len(), 9);
    let free = solve_windows(&inst.problem(End::Free), &TimedOptions::default());
    let order = free.order();
    let legs: i64 = order.windows(2).map(|w| inst.travel[w[0]][w[1]]).sum();
    assert_eq!(free.travel, legs, "no return leg on a free end");
    assert!(free.is_feasible());
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let ok_travel = || vec![vec![0, 1], vec![1, 0]];
    let ok_windows = || vec![Window::new(0, 10), Window::new(0, 10)];
    let cases: Vec<(&str, Result<TimedProblem, RouteError>, RouteError)> = vec![
        (
            "no stops",
            TimedProblem::new(vec![], vec![], vec![], 0, End::Start),
            RouteError::NoStops,
        ),
        (
            "ragged matrix",
            TimedProblem::new(
                vec![vec![0, 1], vec![1]],
                vec![0, 0],
                ok_windows(),
                0,
                End::Start,
            ),
            RouteError::MatrixNotSquare {
                row: 1,
                len: 1,
                expected: 2,
            },
        ),
        (
            "negative travel",
            TimedProblem::new(
                vec![vec![0, -1], vec![1, 0]],
                vec![0, 0],
                ok_windows(),
                0,
                End::Start,
            ),
            RouteError::TimeOutOfRange {
                what: "travel time",
                index: 0,
                value: -1,
            },
        ),
        (
            "window closes before it opens",
            TimedProblem::new(
                ok_travel(),
                vec![0, 0],
                vec![Window::new(0, 10), Window::new(9, 3)],
                0,
                End::Start,
            ),
            RouteError::EmptyWindow {
                index: 1,
                earliest: 9,
                latest: 3,
            },
        ),
        (
            "one service time short",
            TimedProblem::new(ok_travel(), vec![0], ok_windows(), 0, End::Start),
            RouteError::LengthMismatch {
                what: "service",
                len: 1,
                expected: 2,
            },
        ),
        (
            "start out of range",
            TimedProblem::new(ok_travel(), vec![0, 0], ok_windows(), 2, End::Start),
            RouteError::StopOutOfRange { index: 2, len: 2 },
        ),
        (
            "absurd time",
            TimedProblem::new(
                ok_travel(),
                vec![0, 0],
                vec![Window::new(0, i64::MAX), Window::new(0, 10)],
                0,
                End::Start,
            ),
            RouteError::TimeOutOfRange {
                what: "window bound",
                index: 0,
                value: i64::MAX,
            },
        ),
    ];
    for (what, got, want) in cases {
        assert_eq!(got, Err(want), "{what}");
    }
}

#[test]
fn a_window_no_order_can_keep_is_reported_not_hidden() {
    // Stop 2 closes at 5 but is 50 away: whatever the order, it is late.
    let p = TimedProblem::new(
        vec![vec![0, 10, 50], vec![10, 0, 45], vec![50, 45, 0]],
        vec![0, 0, 0],
        vec![
            Window::new(0, 1000),
            Window::new(0, 1000),
            Window::new(0, 5),
        ],
        0,
        End::Start,
    )
    .unwrap();
    let s = solve_windows(&p, &TimedOptions::default());
    assert!(!s.is_feasible());
    assert_eq!(s.late.len(), 1);
    assert_eq!(
        (s.late[0].stop, s.late[0].by),
        (2, 45),
        "reached at 50 at best"
    );
}

#[test]
fn a_stop_callback_ends_the_search_with_a_complete_order() {
    let (inst, _) = planted(80, 3, 40);
    let mut calls = 0;
    let s = solve_windows_until(&inst.problem(End::Start), &TimedOptions::default(), || {
        calls += 1;
        calls > 3
    });
    let mut order = s.order();
    order.sort_unstable();
    assert_eq!(order, (0..80).collect::<Vec<_>>());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Up to 7 customers the answer is the optimum the brute force finds.
    #[test]
    fn small_instances_are_solved_exactly(seed in 1u64..u64::MAX, n in 3usize..=8, slack in 0i64..200, end in 0u8..2) {
        let end = if end == 0 { End::Start } else { End::Free };
        let (inst, _) = planted(n, seed, slack);
        let best = brute_force(&inst, end).expect("the planted tour is feasible");
        let s = solve_windows(&inst.problem(end), &TimedOptions { seed, max_kicks: Some(200) });
        let (travel, late) = check(&inst, &s.order(), end);
        prop_assert!(late.is_empty(), "late: {late:?}");
        prop_assert!(s.is_feasible());
        prop_assert_eq!(s.travel, travel);
        prop_assert_eq!(travel, best);
    }

    /// Whatever the windows, feasible or not, the answer is a complete order
    /// and its report agrees with an independent check: a route is never
    /// called feasible when a visit is late, nor late when it is not.
    #[test]
    fn the_report_agrees_with_an_independent_check(seed in 1u64..u64::MAX, n in 2usize..40, width in 0i64..400) {
        let (mut inst, _) = planted(n, seed, 0);
        // Windows of random width at random places: often impossible.
        let mut x = seed;
        for w in inst.windows.iter_mut().skip(1) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let open = ((x >> 33) % 3000) as i64;
            *w = (open, open + width);
        }
        let s = solve_windows(&inst.problem(End::Start), &TimedOptions { seed, max_kicks: Some(30) });
        let order = s.order();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
        let (travel, late) = check(&inst, &order, End::Start);
        prop_assert_eq!(s.travel, travel);
        let reported: Vec<usize> = s.late.iter().map(|l| l.stop).collect();
        prop_assert_eq!(reported, late);
    }

    /// A larger planted instance: a feasible order exists, so one is found,
    /// and it drives no more than the tour that proves feasibility.
    #[test]
    fn planted_instances_are_solved_feasibly(seed in 1u64..u64::MAX, slack in 0i64..120) {
        let (inst, tour) = planted(50, seed, slack);
        let s = solve_windows(&inst.problem(End::Start), &TimedOptions { seed, max_kicks: Some(150) });
        let (planted_travel, planted_late) = check(&inst, &tour, End::Start);
        prop_assert!(planted_late.is_empty());
        prop_assert!(s.is_feasible(), "late: {:?}", s.late);
        prop_assert!(s.travel <= planted_travel, "{} > {}", s.travel, planted_travel);
    }
}

#[test]
fn the_same_seed_gives_the_same_route() {
    let (inst, _) = planted(50, 11, 60);
    let opts = TimedOptions {
        seed: 5,
        max_kicks: Some(100),
    };
    let a = solve_windows(&inst.problem(End::Start), &opts);
    let b = solve_windows(&inst.problem(End::Start), &opts);
    assert_eq!(a, b);
}

/// Five stops on a line, 10 apart; the rep leaves 0 at 0 and must be back by 200.
fn line(windows: &[(i64, i64)], service: i64) -> TimedProblem {
    let n = windows.len();
    let travel = (0..n)
        .map(|i| (0..n).map(|j| 10 * (i as i64 - j as i64).abs()).collect())
        .collect();
    let mut svc = vec![service; n];
    svc[0] = 0;
    TimedProblem::new(
        travel,
        svc,
        windows.iter().map(|&(a, b)| Window::new(a, b)).collect(),
        0,
        End::Start,
    )
    .unwrap()
}

/// What, windows, urgency, the stops kept, the stops left out and why.
type Case = (
    &'static str,
    Vec<(i64, i64)>,
    Vec<u32>,
    Vec<usize>,
    Vec<(usize, WindowDrop)>,
);

#[test]
fn a_day_keeps_the_urgent_visits_and_says_why_the_others_went() {
    let open = (0, 200);
    let cases: Vec<Case> = vec![
        (
            "everything fits",
            vec![(0, 200), open, open, open, open],
            vec![0, 1, 1, 1, 1],
            vec![0, 1, 2, 3, 4],
            vec![],
        ),
        (
            "closed by the time the rep can get there",
            vec![(0, 200), open, open, open, (0, 35)],
            vec![0, 1, 1, 1, 9],
            vec![0, 1, 2, 3],
            vec![(4, WindowDrop::OutOfReach)],
        ),
        (
            "two appointments at the same time: the more urgent one stays",
            vec![(0, 200), open, (50, 50), open, (50, 50)],
            vec![0, 1, 2, 1, 5],
            vec![0, 1, 3, 4],
            vec![(2, WindowDrop::Crowded)],
        ),
        (
            // 1, 3 and 4 together need 140; of two urgent ones that can stay,
            // 4 frees the most time, and the less urgent 2 then fits (120).
            "a day too full for every urgent visit keeps as many as fit, then fills up",
            vec![(0, 130), open, open, open, open],
            vec![0, 3, 1, 3, 3],
            vec![0, 1, 2, 3],
            vec![(4, WindowDrop::Crowded)],
        ),
    ];
    for (what, windows, urgency, mut kept_want, dropped_want) in cases {
        let p = line(&windows, 20);
        let day = fit_windows(&p, &urgency, &TimedOptions::default()).unwrap();
        assert!(
            day.schedule.is_feasible(),
            "{what}: {:?}",
            day.schedule.late
        );
        let mut kept = day.schedule.order();
        kept.sort_unstable();
        kept_want.sort_unstable();
        assert_eq!(kept, kept_want, "{what}");
        let dropped: Vec<(usize, WindowDrop)> =
            day.dropped.iter().map(|d| (d.stop, d.reason)).collect();
        assert_eq!(dropped, dropped_want, "{what}");
    }
}

#[test]
fn a_day_whose_start_and_end_alone_overrun_is_an_error() {
    // The fixed end (stop 1) closes before the rep can drive there.
    let p = TimedProblem::new(
        vec![vec![0, 50], vec![50, 0]],
        vec![0, 0],
        vec![Window::new(0, 100), Window::new(0, 20)],
        0,
        End::Stop(1),
    )
    .unwrap();
    assert_eq!(
        fit_windows(&p, &[0, 0], &TimedOptions::default()),
        Err(RouteError::DayTooShort { late_by: 30 })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the windows: the day kept is feasible, every stop is either
    /// kept or left out once, and "out of reach" is true of each stop it is
    /// said of (and of none kept).
    #[test]
    fn a_fitted_day_keeps_every_window_and_accounts_for_every_stop(seed in 1u64..u64::MAX, n in 2usize..25, width in 0i64..600) {
        let (mut inst, _) = planted(n, seed, 0);
        let mut x = seed;
        let mut urgency = vec![0u32; n];
        for (w, u) in inst.windows.iter_mut().zip(urgency.iter_mut()).skip(1) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let open = ((x >> 33) % 2500) as i64;
            *w = (open, open + width);
            *u = ((x >> 20) % 4) as u32;
        }
        inst.windows[0] = (0, 4000);
        let day = fit_windows(&inst.problem(End::Start), &urgency, &TimedOptions { seed, max_kicks: Some(40) }).unwrap();
        let order = day.schedule.order();
        let (_, late) = check(&inst, &order, End::Start);
        prop_assert!(late.is_empty(), "late: {late:?}");
        let mut all: Vec<usize> = order.iter().copied().chain(day.dropped.iter().map(|d| d.stop)).collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
        for d in &day.dropped {
            let (_, alone) = check(&inst, &[0, d.stop], End::Start);
            prop_assert_eq!(d.reason == WindowDrop::OutOfReach, !alone.is_empty(), "stop {}", d.stop);
        }
    }
}

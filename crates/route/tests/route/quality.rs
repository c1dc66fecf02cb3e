use rounds_route::{End, LatLon, Options, Problem, Stops, route_length, solve, solve_until};

use crate::{euclid_stops, points};

/// Exact optimum by Held–Karp, independent of the engine's own DP.
fn held_karp(stops: &Stops, start: usize, end: End) -> u64 {
    let n = stops.len();
    let fixed = match end {
        End::Stop(e) => Some(e),
        _ => None,
    };
    let nodes: Vec<usize> = (0..n).filter(|&v| v != start && Some(v) != fixed).collect();
    let m = nodes.len();
    let mut dp = vec![u64::MAX; (1 << m) * m];
    for j in 0..m {
        dp[(1 << j) * m + j] = stops.distance(start, nodes[j]);
    }
    for mask in 1usize..1 << m {
        for j in 0..m {
            let cur = dp[mask * m + j];
            if cur == u64::MAX {
                continue;
            }
            for k in 0..m {
                if mask & (1 << k) == 0 {
                    let at = (mask | 1 << k) * m + k;
                    dp[at] = dp[at].min(cur + stops.distance(nodes[j], nodes[k]));
                }
            }
        }
    }
    let full = (1 << m) - 1;
    (0..m)
        .map(|j| {
            dp[full * m + j]
                + match end {
                    End::Start => stops.distance(nodes[j], start),
                    End::Stop(e) => stops.distance(nodes[j], e),
                    End::Free => 0,
                }
        })
        .min()
        .unwrap_or(0)
}

#[test]
fn local_search_finds_the_optimum_just_above_the_exact_size_limit() {
    // 13–15 stops go through the heuristic, not the engine's exact DP.
    for (i, n) in [13usize, 14, 15].into_iter().enumerate() {
        for (k, end) in [End::Start, End::Free, End::Stop(n - 1)]
            .into_iter()
            .enumerate()
        {
            let stops = euclid_stops(&points(n, 100 + (i * 3 + k) as u64));
            let r = solve(
                &Problem::new(stops.clone(), 0, end).unwrap(),
                &Options::default(),
            )
            .unwrap();
            assert_eq!(
                r.total_m,
                held_karp(&stops, 0, end),
                "n = {n}, end = {end:?}"
            );
        }
    }
}

#[test]
fn points_on_a_circle_are_toured_in_circle_order() {
    let n = 200;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            // Shuffle the indices so input order gives nothing away.
            let a = ((i * 73) % n) as f64 * std::f64::consts::TAU / n as f64;
            (10_000.0 * a.cos(), 10_000.0 * a.sin())
        })
        .collect();
    let stops = euclid_stops(&pts);
    let r = solve(
        &Problem::new(stops.clone(), 0, End::Start).unwrap(),
        &Options::default(),
    )
    .unwrap();
    let mut by_angle: Vec<usize> = (0..n).collect();
    by_angle.sort_by(|&a, &b| {
        pts[a]
            .1
            .atan2(pts[a].0)
            .total_cmp(&pts[b].1.atan2(pts[b].0))
    });
    assert_eq!(
        r.total_m,
        route_length(&stops, &by_angle, End::Start),
        "convex points: the hull is optimal"
    );
}

#[test]
fn same_seed_same_route() {
    let stops = euclid_stops(&points(150, 9));
    let p = Problem::new(stops, 0, End::Free).unwrap();
    let o = Options {
        seed: 42,
        max_kicks: Some(2_000),
        ..Options::default()
    };
    assert_eq!(solve(&p, &o).unwrap(), solve(&p, &o).unwrap());
}

#[test]
fn stopping_at_once_still_returns_a_valid_route() {
    let stops = euclid_stops(&points(300, 3));
    let p = Problem::new(stops, 7, End::Stop(8)).unwrap();
    let r = solve_until(&p, &Options::default(), || true).unwrap();
    assert_eq!(r.order.len(), 300);
    assert_eq!((r.order[0], r.order[299]), (7, 8));
}

#[test]
fn iterated_search_beats_a_plain_descent_on_200_stops() {
    let stops = euclid_stops(&points(200, 5));
    let p = Problem::new(stops, 0, End::Start).unwrap();
    let descent = solve(
        &p,
        &Options {
            max_kicks: Some(0),
            ..Options::default()
        },
    )
    .unwrap();
    let ils = solve(&p, &Options::default()).unwrap();
    assert!(
        ils.total_m < descent.total_m,
        "kicks must improve a local optimum of 200 random stops"
    );
}

#[test]
fn large_coordinate_problems_run_without_a_dense_matrix() {
    // Above the dense limit costs are computed on the fly.
    let pts = points(2600, 11);
    let stops = Stops::LatLon(
        pts.iter()
            .map(|p| LatLon::new(p.0 / 20.0, p.1 / 20.0).unwrap())
            .collect(),
    );
    let p = Problem::new(stops, 0, End::Free).unwrap();
    let r = solve(
        &p,
        &Options {
            max_kicks: Some(100),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(r.order.len(), 2600);
}

use proptest::prelude::*;
use rounds_route::{End, Options, Problem, Stops, route_length, solve};

use crate::{euclid_stops, latlon_stops, points};

fn end_of(kind: u8, n: usize, pick: usize) -> End {
    match kind % 3 {
        0 => End::Start,
        1 => End::Free,
        _ => End::Stop(pick % n),
    }
}

/// Nearest neighbour as the engine builds it: lowest index wins ties, a
/// fixed end is appended last.
fn nearest_neighbour(stops: &Stops, start: usize, end: End) -> Vec<usize> {
    let n = stops.len();
    let fixed = match end {
        End::Stop(e) if e != start => Some(e),
        _ => None,
    };
    let mut used = vec![false; n];
    used[start] = true;
    if let Some(e) = fixed {
        used[e] = true;
    }
    let mut order = vec![start];
    let mut cur = start;
    while let Some(next) = (0..n)
        .filter(|&v| !used[v])
        .min_by_key(|&v| (stops.distance(cur, v), v))
    {
        used[next] = true;
        order.push(next);
        cur = next;
    }
    order.extend(fixed);
    order
}

fn brute_force(stops: &Stops, start: usize, end: End) -> u64 {
    let n = stops.len();
    let fixed = match end {
        End::Stop(e) if e != start => Some(e),
        _ => None,
    };
    let mut rest: Vec<usize> = (0..n).filter(|&v| v != start && Some(v) != fixed).collect();
    let closed = if matches!(end, End::Stop(e) if e == start) {
        End::Start
    } else {
        end
    };
    let mut best = u64::MAX;
    permute(&mut rest, 0, &mut |p| {
        let mut order = vec![start];
        order.extend_from_slice(p);
        order.extend(fixed);
        best = best.min(route_length(stops, &order, closed));
    });
    best
}

fn permute(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
    if k == v.len() {
        f(v);
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permute(v, k + 1, f);
        v.swap(k, i);
    }
}

fn quick() -> Options {
    Options {
        max_kicks: Some(300),
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn order_is_a_permutation_from_the_start_to_a_fixed_end(
        n in 1usize..80, seed in any::<u64>(), start in any::<usize>(), kind in any::<u8>(),
        pick in any::<usize>(), coords in any::<bool>(),
    ) {
        let pts = points(n, seed);
        let stops = if coords { latlon_stops(&pts) } else { euclid_stops(&pts) };
        let start = start % n;
        let end = end_of(kind, n, pick);
        let p = Problem::new(stops.clone(), start, end).unwrap();
        let r = solve(&p, &quick()).unwrap();
        let mut sorted = r.order.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "every stop exactly once");
        prop_assert_eq!(r.order[0], start);
        if let End::Stop(e) = p.end() {
            prop_assert_eq!(*r.order.last().unwrap(), e, "the route must finish at the fixed end");
        }
        prop_assert_eq!(r.total_m, r.legs_m.iter().sum::<u64>());
        prop_assert_eq!(r.total_m, route_length(&stops, &r.order, p.end()));
    }

    #[test]
    fn never_longer_than_the_nearest_neighbour_start(
        n in 1usize..120, seed in any::<u64>(), kind in any::<u8>(), pick in any::<usize>(),
    ) {
        let stops = euclid_stops(&points(n, seed));
        let p = Problem::new(stops.clone(), 0, end_of(kind, n, pick)).unwrap();
        let nn = nearest_neighbour(&stops, 0, p.end());
        let r = solve(&p, &Options { max_kicks: Some(50), ..Options::default() }).unwrap();
        prop_assert!(r.total_m <= route_length(&stops, &nn, p.end()));
    }

    #[test]
    fn small_instances_are_solved_to_the_brute_force_optimum(
        n in 1usize..=9, seed in any::<u64>(), kind in any::<u8>(), pick in any::<usize>(),
        start in any::<usize>(),
    ) {
        let stops = euclid_stops(&points(n, seed));
        let p = Problem::new(stops.clone(), start % n, end_of(kind, n, pick)).unwrap();
        let r = solve(&p, &quick()).unwrap();
        prop_assert_eq!(r.total_m, brute_force(&stops, start % n, p.end()));
    }
}

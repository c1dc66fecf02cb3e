//! Solve time for a fixed kick budget at n = 50, 200 and 1,000 (closed tour
//! on random coordinates around a city; deterministic inputs), and with time
//! windows at n = 50 and 200 (a day of visits, each with a two-hour window
//! around the time a random tour reaches it).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rounds_route::{
    End, LatLon, Options, Problem, Stops, TimedOptions, TimedProblem, Window, solve, solve_windows,
};

fn city(n: usize) -> Stops {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    Stops::LatLon(
        (0..n)
            .map(|_| LatLon::new(41.6 + next() * 0.5, -88.2 + next() * 0.6).expect("in range"))
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve");
    group.sample_size(10);
    for n in [50usize, 200, 1000] {
        let problem = Problem::new(city(n), 0, End::Start).expect("valid problem");
        // 20 kicks per stop: the app's quick re-plan, not a long search.
        let options = Options {
            max_kicks: Some(20 * n as u64),
            ..Options::default()
        };
        group.bench_with_input(BenchmarkId::from_parameter(n), &problem, |b, p| {
            b.iter(|| solve(black_box(p), &options).expect("solves"))
        });
    }
    group.finish();
}

/// Drive seconds at 30 km/h between the city's points; windows of two hours
/// around a random tour's arrival times, 20-minute visits.
fn day_with_windows(n: usize) -> TimedProblem {
    let Stops::LatLon(pts) = city(n) else {
        unreachable!("city gives coordinates")
    };
    let secs = |a: LatLon, b: LatLon| (a.distance_m(b) as f64 / (30.0 / 3.6)) as i64;
    let travel: Vec<Vec<i64>> = pts
        .iter()
        .map(|&a| pts.iter().map(|&b| secs(a, b)).collect())
        .collect();
    let service: Vec<i64> = (0..n).map(|i| if i == 0 { 0 } else { 1200 }).collect();
    let mut windows = vec![Window::new(0, 0); n];
    let mut t = 0;
    for i in 1..n {
        t += service[i - 1] + travel[i - 1][i];
        windows[i] = Window::new((t - 3600).max(0), t + 3600);
    }
    windows[0] = Window::new(0, t + service[n - 1] + travel[n - 1][0] + 3600);
    TimedProblem::new(travel, service, windows, 0, End::Start).expect("valid problem")
}

fn bench_windows(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve_windows");
    group.sample_size(10);
    for n in [50usize, 200] {
        let problem = day_with_windows(n);
        let options = TimedOptions {
            seed: 1,
            max_kicks: Some(5 * n as u64),
        };
        group.bench_with_input(BenchmarkId::from_parameter(n), &problem, |b, p| {
            b.iter(|| solve_windows(black_box(p), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, bench, bench_windows);
criterion_main!(benches);

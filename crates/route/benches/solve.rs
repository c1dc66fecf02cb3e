//! Solve time for a fixed kick budget at n = 50, 200 and 1,000 (closed tour
//! on random coordinates around a city; deterministic inputs).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rounds_route::{End, LatLon, Options, Problem, Stops, solve};

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

criterion_group!(benches, bench);
criterion_main!(benches);

//! Integration tests for rounds-route: one binary, one module per concern.

mod bench_protocol;
mod day;
mod degenerate;
mod preferred;
mod properties;
mod quality;
mod rest;
mod windows;

use rounds_route::{DistanceMatrix, LatLon, Stops};

/// Deterministic pseudo-random points (no test reads files).
pub fn points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| (next() * 1000.0, next() * 1000.0)).collect()
}

/// Euclidean distances rounded to integers, as a validated matrix.
pub fn euclid_stops(pts: &[(f64, f64)]) -> Stops {
    let rows: Vec<Vec<u64>> = pts
        .iter()
        .map(|a| {
            pts.iter()
                .map(|b| ((a.0 - b.0).hypot(a.1 - b.1) + 0.5).floor() as u64)
                .collect()
        })
        .collect();
    Stops::Matrix(DistanceMatrix::from_rows(&rows).expect("a Euclidean matrix is valid"))
}

/// Points around Chicago as coordinates.
pub fn latlon_stops(pts: &[(f64, f64)]) -> Stops {
    Stops::LatLon(
        pts.iter()
            .map(|p| LatLon::new(41.7 + p.0 / 2500.0, -88.0 + p.1 / 2000.0).expect("in range"))
            .collect(),
    )
}

//! The alignment benchmark: 50,000 generated accounts at the real ZIP centroids of Texas
//! (2,670 postal codes, GeoNames CC BY 4.0; see `assets/data/README.md`) into 20
//! territories. Prints, for a proposal from scratch and for one from an alignment 25 % off,
//! the time, the balance, contiguity, compactness and the accounts moved, beside a
//! k-means-on-coordinates baseline computed in the same run.
//!
//! `cargo run --release -p rounds-territory --bin align-bench`

use std::time::Instant;

use rounds_territory::{Figures, Neighbours, Place, Problem, SplitMix, Unit, figures, propose};

const ZIPS: &str = include_str!("../../../../assets/data/us-zipcodes.csv");
const ACCOUNTS: usize = 50_000;
const TERRITORIES: usize = 20;

/// Texas' ZIP codes and 50,000 accounts spread over them (more where places are dense),
/// each with a cadence by priority and a potential.
fn texas(rng: &mut SplitMix) -> Vec<Unit> {
    let places: Vec<Place> = ZIPS
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            if f.get(4) != Some(&"TX") {
                return None;
            }
            Some(Place::new(f[1].parse().ok()?, f[2].parse().ok()?))
        })
        .collect();
    // Some postal codes hold many accounts, most a few: a heavy-tailed weight each.
    let weights: Vec<f64> = places
        .iter()
        .map(|_| (-rng.unit().max(1e-9).ln()).powi(2))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut count = vec![0u32; places.len()];
    let mut minutes = vec![0.0f64; places.len()];
    let mut visits = vec![0.0f64; places.len()];
    let mut potential = vec![0.0f64; places.len()];
    for _ in 0..ACCOUNTS {
        let target = rng.unit() * total;
        let mut acc = 0.0;
        let u = weights
            .iter()
            .position(|w| {
                acc += w;
                acc >= target
            })
            .unwrap_or(places.len() - 1);
        count[u] += 1;
        // High, medium, low: 2 visits, 2 calls, 4 e-mails a month; 1, 1, 2; 0.5, 1, 1.
        let r = rng.unit();
        let (v, c, e) = if r < 0.2 {
            (2.0, 2.0, 4.0)
        } else if r < 0.5 {
            (1.0, 1.0, 2.0)
        } else {
            (0.5, 1.0, 1.0)
        };
        minutes[u] += v * 45.0 + c * 10.0 + e * 5.0;
        visits[u] += v;
        // Log-normal potential around 20,000 a year.
        let g =
            (-2.0 * rng.unit().max(1e-12).ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos();
        potential[u] += 20_000.0 * (0.8 * g).exp();
    }
    places
        .iter()
        .enumerate()
        .map(|(u, &place)| {
            // The drive to a visit: longer where a postal code holds few accounts.
            let drive = 12.0 + 30.0 / f64::from(count[u].max(1)).sqrt();
            Unit {
                place,
                workload: (minutes[u] + visits[u] * drive) / 480.0,
                potential: potential[u],
                accounts: count[u],
                today: None,
                locked: false,
            }
        })
        .collect()
}

/// k-means (Lloyd, k-means++ start) on the units' places weighted by their accounts: the
/// baseline a manager could get from a spreadsheet and a clustering tool.
fn kmeans(units: &[Unit], k: usize, rng: &mut SplitMix) -> Vec<usize> {
    let xy: Vec<(f64, f64)> = units
        .iter()
        .map(|u| {
            (
                u.place.lon * 111.32 * 31f64.to_radians().cos(),
                u.place.lat * 110.57,
            )
        })
        .collect();
    let w: Vec<f64> = units.iter().map(|u| f64::from(u.accounts) + 1.0).collect();
    let d2 = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2);
    let mut centres = vec![xy[(rng.next_u64() % xy.len() as u64) as usize]];
    while centres.len() < k {
        let score: Vec<f64> = xy
            .iter()
            .zip(&w)
            .map(|(&p, &wi)| {
                wi * centres
                    .iter()
                    .map(|&c| d2(p, c))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let target = rng.unit() * score.iter().sum::<f64>();
        let mut acc = 0.0;
        let i = score.iter().position(|s| {
            acc += s;
            acc >= target
        });
        centres.push(xy[i.unwrap_or(0)]);
    }
    let mut of = vec![0; units.len()];
    for _ in 0..100 {
        for (i, &p) in xy.iter().enumerate() {
            of[i] = (0..k)
                .min_by(|&a, &b| d2(p, centres[a]).total_cmp(&d2(p, centres[b])))
                .unwrap_or(0);
        }
        let mut sums = vec![(0.0, 0.0, 0.0); k];
        for (i, &p) in xy.iter().enumerate() {
            let s = &mut sums[of[i]];
            s.0 += w[i] * p.0;
            s.1 += w[i] * p.1;
            s.2 += w[i];
        }
        for (c, s) in centres.iter_mut().zip(&sums) {
            if s.2 > 0.0 {
                *c = (s.0 / s.2, s.1 / s.2);
            }
        }
    }
    of
}

/// Renames `of`'s territories to today's where they overlap most (greedily, largest
/// overlap in accounts first), so its disruption is counted fairly.
fn matched_to_today(units: &[Unit], of: &[usize], k: usize) -> Vec<usize> {
    let mut overlap = vec![vec![0u64; k]; k];
    for (u, unit) in units.iter().enumerate() {
        if let Some(t) = unit.today {
            overlap[of[u]][t] += u64::from(unit.accounts);
        }
    }
    let mut pairs: Vec<(u64, usize, usize)> = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .map(|(a, b)| (overlap[a][b], a, b))
        .collect();
    pairs.sort_by(|x, y| y.cmp(x));
    let (mut name, mut taken) = (vec![usize::MAX; k], vec![false; k]);
    for (_, a, b) in pairs {
        if name[a] == usize::MAX && !taken[b] {
            name[a] = b;
            taken[b] = true;
        }
    }
    of.iter().map(|&a| name[a]).collect()
}

fn line(label: &str, ms: f64, f: &Figures, accounts: u64) {
    let contiguous = f.territories.iter().filter(|t| t.contiguous).count();
    println!(
        "  {label:<26} {ms:>8.0} ms  workload ±{:>5.1} %  potential ±{:>5.1} %  contiguous {contiguous:>2}/{}  radius {:>5.1} km  moved {:>6} accounts ({:>4.1} %)",
        f.workload_spread * 100.0,
        f.potential_spread * 100.0,
        f.territories.len(),
        f.radius_km,
        f.moved_accounts,
        f.moved_accounts as f64 * 100.0 / accounts.max(1) as f64,
    );
}

fn main() {
    let mut rng = SplitMix(2026);
    let mut units = texas(&mut rng);
    let accounts: u64 = units.iter().map(|u| u64::from(u.accounts)).sum();
    let started = Instant::now();
    let neighbours = Neighbours::delaunay(&units.iter().map(|u| u.place).collect::<Vec<_>>());
    let graph_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "Texas: {} postal codes, {accounts} accounts, {TERRITORIES} territories; neighbour graph {graph_ms:.0} ms",
        units.len()
    );

    println!("From scratch:");
    let started = Instant::now();
    let base = kmeans(&units, TERRITORIES, &mut SplitMix(7));
    let kmeans_ms = started.elapsed().as_secs_f64() * 1e3;
    line(
        "k-means (baseline)",
        kmeans_ms,
        &figures(&units, &neighbours, &base, TERRITORIES),
        accounts,
    );
    let mut problem = Problem::new(&units, &neighbours, TERRITORIES);
    problem.from_today = false;
    let started = Instant::now();
    let scratch = propose(&problem).expect("a proposal");
    let scratch_ms = started.elapsed().as_secs_f64() * 1e3;
    line("Rounds", scratch_ms, &scratch.figures, accounts);
    println!(
        "  Rounds / k-means time: {:.1}x; {} moves",
        scratch_ms / kmeans_ms.max(1e-3),
        scratch.moves
    );
    let again = propose(&problem).expect("a proposal");
    println!(
        "  the same problem again gives the same proposal: {}",
        again.territory_of == scratch.territory_of
    );

    // An alignment about 25 % off: drawn for a market that has since moved. It balances
    // the accounts' workload and potential scaled from 0.775 in the west to 1.225 east,
    // so by the real figures its eastern territories are too small and its western ones
    // too big.
    let (west, east) = units
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(w, e), u| {
            (w.min(u.place.lon), e.max(u.place.lon))
        });
    let tilt = |u: &Unit| 0.775 + 0.45 * (u.place.lon - west) / (east - west);
    let tilted: Vec<Unit> = units
        .iter()
        .map(|u| Unit {
            workload: u.workload * tilt(u),
            potential: u.potential * tilt(u),
            ..u.clone()
        })
        .collect();
    let mut problem = Problem::new(&tilted, &neighbours, TERRITORIES);
    problem.from_today = false;
    problem.seed = 99;
    let old = propose(&problem).expect("the old alignment");
    for (u, unit) in units.iter_mut().enumerate() {
        unit.today = Some(old.territory_of[u]);
    }
    let today = figures(&units, &neighbours, &old.territory_of, TERRITORIES);
    println!("From an alignment 25 % off:");
    line("today", 0.0, &today, accounts);
    let started = Instant::now();
    let base = matched_to_today(
        &units,
        &kmeans(&units, TERRITORIES, &mut SplitMix(7)),
        TERRITORIES,
    );
    let kmeans_ms = started.elapsed().as_secs_f64() * 1e3;
    let base_figures = figures(&units, &neighbours, &base, TERRITORIES);
    line("k-means (baseline)", kmeans_ms, &base_figures, accounts);
    let problem = Problem::new(&units, &neighbours, TERRITORIES);
    let started = Instant::now();
    let rebalanced = propose(&problem).expect("a proposal");
    let ms = started.elapsed().as_secs_f64() * 1e3;
    line("Rounds", ms, &rebalanced.figures, accounts);
    println!(
        "  Rounds moves {:.2}x the accounts k-means does; time {:.1}x k-means'",
        rebalanced.figures.moved_accounts as f64 / base_figures.moved_accounts.max(1) as f64,
        ms / kmeans_ms.max(1e-3)
    );
    // Drawing the proposal on the map: each territory as its postal codes' cells.
    let sites: Vec<(Place, usize)> = units
        .iter()
        .zip(&rebalanced.territory_of)
        .map(|(u, &t)| (u.place, t))
        .collect();
    let started = Instant::now();
    let pieces = rounds_territory::unit_areas(&sites, TERRITORIES);
    let cells_ms = started.elapsed().as_secs_f64() * 1e3;
    let corners: usize = pieces
        .iter()
        .map(|p| p.outline.len() + p.holes.iter().map(Vec::len).sum::<usize>())
        .sum();
    println!(
        "Areas of the proposal (cells of {} postal codes): {} pieces, {corners} corners, {cells_ms:.0} ms ({:.1}x the neighbour graph)",
        sites.len(),
        pieces.len(),
        cells_ms / graph_ms.max(1e-3)
    );
}

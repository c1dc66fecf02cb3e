//! `route-bench`: the benchmark harnesses' solver protocol.
//!
//! Reads one JSON instance on stdin and writes `{"order": [...], "solve_ms": N}`.
//! - TSP: metric euclid | ceil | att | geo | haversine | matrix, start,
//!   end = start | stop | null, time_limit_ms. Distances are the harness's
//!   integer metrics, computed here exactly as its README defines them.
//! - TSP with time windows (the instance has `windows`): an integer travel
//!   `matrix` (asymmetric allowed), `service` and `windows` per node, start,
//!   end, time_limit_ms; least total travel, every visit inside its window.
//!
//! Flags: `--time-scale X` multiplies the instance's time limit (so one
//! harness run can give OR-Tools the full limit and this solver a fraction),
//! `--seed N`, `--kicks N` (a fixed kick budget: reproducible runs).
#![allow(clippy::disallowed_methods)] // The binary owns the clock; the library never reads it.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use rounds_route::{
    DistanceMatrix, End, Options, Problem, Stops, TimedOptions, TimedProblem, Window, solve_until,
    solve_windows_until,
};
use serde_json::Value;

type BoxError = Box<dyn std::error::Error>;

fn main() {
    let t0 = Instant::now();
    if let Err(e) = run(t0) {
        eprintln!("route-bench: {e}");
        std::process::exit(1);
    }
}

fn run(t0: Instant) -> Result<(), BoxError> {
    let mut scale = 1.0f64;
    let mut seed = 1u64;
    let mut kicks = u64::MAX;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--time-scale" => scale = args.next().ok_or("--time-scale needs a value")?.parse()?,
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.parse()?,
            "--kicks" => kicks = args.next().ok_or("--kicks needs a value")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let inst: Value = serde_json::from_str(&input)?;

    let limit_ms = inst
        .get("time_limit_ms")
        .and_then(Value::as_f64)
        .unwrap_or(1000.0)
        * scale;
    // Stop early enough to print and exit inside the limit even when the
    // machine is busy: 30 ms plus 3 % of the budget.
    let margin_ms = 30.0 + 0.03 * limit_ms;
    let deadline = t0 + Duration::from_secs_f64((limit_ms - margin_ms).max(1.0) / 1000.0);

    let start = as_index(inst.get("start"), "start")?.unwrap_or(0);
    let end = match as_index(inst.get("end"), "end")? {
        None => End::Free,
        Some(e) if e == start => End::Start,
        Some(e) => End::Stop(e),
    };
    let mut calls = 0u32;
    let should_stop = || {
        // Reading the clock costs ~20 ns; every 4th call is plenty.
        calls = calls.wrapping_add(1);
        calls.is_multiple_of(4) && Instant::now() >= deadline
    };
    let order = if inst.get("windows").is_some() {
        let problem = timed_problem(&inst, start, end)?;
        let options = TimedOptions {
            seed,
            max_kicks: Some(kicks),
        };
        solve_windows_until(&problem, &options, should_stop).order()
    } else {
        let matrix = build_matrix(&inst)?;
        let n = matrix.len();
        let problem = Problem::new(Stops::Matrix(matrix), start, end)?;
        let options = Options {
            seed,
            max_kicks: Some(kicks),
            ..Options::default()
        };
        let route = solve_until(&problem, &options, should_stop)?;
        debug_assert_eq!(route.order.len(), n);
        route.order
    };

    let out = serde_json::json!({
        "order": order,
        "solve_ms": t0.elapsed().as_millis() as u64,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{out}")?;
    stdout.flush()?;
    Ok(())
}

fn as_index(v: Option<&Value>, what: &str) -> Result<Option<usize>, BoxError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Ok(Some(
            v.as_u64()
                .ok_or_else(|| format!("{what} must be an index"))? as usize,
        )),
    }
}

fn int_array(v: &Value, what: &str) -> Result<Vec<i64>, BoxError> {
    v.as_array()
        .ok_or_else(|| format!("{what} is not an array"))?
        .iter()
        .map(|x| {
            x.as_i64()
                .ok_or_else(|| format!("{what} holds a value that is not an integer").into())
        })
        .collect()
}

fn timed_problem(inst: &Value, start: usize, end: End) -> Result<TimedProblem, BoxError> {
    let field = |k: &str| inst.get(k).ok_or_else(|| format!("missing {k}"));
    let matrix = field("matrix")?
        .as_array()
        .ok_or("matrix is not an array")?
        .iter()
        .map(|r| int_array(r, "a matrix row"))
        .collect::<Result<Vec<_>, _>>()?;
    let service = int_array(field("service")?, "service")?;
    let windows = field("windows")?
        .as_array()
        .ok_or("windows is not an array")?
        .iter()
        .map(|w| match int_array(w, "a window")?.as_slice() {
            [a, b] => Ok(Window::new(*a, *b)),
            _ => Err("a window must be [earliest, latest]".into()),
        })
        .collect::<Result<Vec<_>, BoxError>>()?;
    Ok(TimedProblem::new(matrix, service, windows, start, end)?)
}

fn build_matrix(inst: &Value) -> Result<DistanceMatrix, BoxError> {
    let metric = inst
        .get("metric")
        .and_then(Value::as_str)
        .ok_or("missing metric")?;
    if metric == "matrix" {
        let rows = inst
            .get("matrix")
            .and_then(Value::as_array)
            .ok_or("missing matrix")?;
        let rows: Vec<Vec<u64>> = rows
            .iter()
            .map(|r| {
                r.as_array()
                    .ok_or("matrix row is not an array")?
                    .iter()
                    .map(|x| {
                        x.as_u64()
                            .ok_or("matrix entry is not a non-negative integer")
                    })
                    .collect::<Result<Vec<u64>, _>>()
            })
            .collect::<Result<_, _>>()?;
        return Ok(DistanceMatrix::from_rows(&rows)?);
    }
    let pts: Vec<(f64, f64)> = inst
        .get("points")
        .and_then(Value::as_array)
        .ok_or("missing points")?
        .iter()
        .map(|p| {
            let x = p.get(0).and_then(Value::as_f64);
            let y = p.get(1).and_then(Value::as_f64);
            x.zip(y).ok_or("a point must be [x, y]")
        })
        .collect::<Result<_, _>>()?;
    let f: fn((f64, f64), (f64, f64)) -> u64 = match metric {
        "euclid" => euclid,
        "ceil" => ceil,
        "att" => att,
        "geo" => geo,
        "haversine" => haversine,
        other => return Err(format!("unknown metric {other}").into()),
    };
    let n = pts.len();
    let mut d = vec![0u64; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let v = f(pts[i], pts[j]);
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
    Ok(DistanceMatrix::from_flat(n, d)?)
}

fn nint(x: f64) -> f64 {
    (x + 0.5).floor()
}

fn sq(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (a.0 - b.0, a.1 - b.1);
    dx * dx + dy * dy
}

fn euclid(a: (f64, f64), b: (f64, f64)) -> u64 {
    nint(sq(a, b).sqrt()) as u64
}

fn ceil(a: (f64, f64), b: (f64, f64)) -> u64 {
    sq(a, b).sqrt().ceil() as u64
}

fn att(a: (f64, f64), b: (f64, f64)) -> u64 {
    let r = (sq(a, b) / 10.0).sqrt();
    let t = nint(r);
    (if t < r { t + 1.0 } else { t }) as u64
}

/// TSPLIB GEO fixes PI at 3.141592, not the true constant.
#[allow(clippy::approx_constant)]
const GEO_PI: f64 = 3.141592;

fn geo_rad(v: f64) -> f64 {
    let deg = v.trunc();
    GEO_PI * (deg + 5.0 * (v - deg) / 3.0) / 180.0
}

fn geo(a: (f64, f64), b: (f64, f64)) -> u64 {
    let (lat_i, lon_i) = (geo_rad(a.0), geo_rad(a.1));
    let (lat_j, lon_j) = (geo_rad(b.0), geo_rad(b.1));
    let q1 = (lon_i - lon_j).cos();
    let q2 = (lat_i - lat_j).cos();
    let q3 = (lat_i + lat_j).cos();
    let c = (0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)).clamp(-1.0, 1.0);
    (6378.388 * c.acos() + 1.0) as u64
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> u64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((lo2 - lo1) / 2.0).sin();
    let h = s1 * s1 + la1.cos() * la2.cos() * (s2 * s2);
    nint(2.0 * R * h.sqrt().min(1.0).asin()) as u64
}

#[cfg(test)]
mod tests {
    use super::{att, ceil, euclid, geo, haversine};

    #[test]
    fn metrics_round_exactly_as_the_harness_defines_them() {
        assert_eq!(euclid((0.0, 0.0), (3.0, 4.0)), 5);
        assert_eq!(euclid((0.0, 0.0), (0.5, 0.0)), 1, "nint rounds half up");
        assert_eq!(ceil((0.0, 0.0), (1.0, 1.0)), 2);
        // r = sqrt(100 / 10) = 3.16…, nint 3 < r, so 4.
        assert_eq!(att((0.0, 0.0), (10.0, 0.0)), 4);
        // TSPLIB GEO truncates and adds 1: two equal points are 1 km apart.
        assert_eq!(geo((10.3, 20.4), (10.3, 20.4)), 1);
        // One degree of longitude on the equator, whole metres.
        assert_eq!(haversine((0.0, 0.0), (0.0, 1.0)), 111_195);
    }
}

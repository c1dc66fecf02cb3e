use std::time::Duration;

use crate::RouteError;
use crate::engine::{RealCost, Tail};
use crate::geo::LatLon;

/// Largest distance accepted in a matrix: keeps every sum the search forms
/// (n · max, plus penalties) well inside `i64`.
pub const MAX_DISTANCE: u64 = 1_000_000_000_000;

/// A full, symmetric integer distance matrix (metres, or any unit the caller
/// uses consistently). Validated on construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistanceMatrix {
    n: usize,
    d: Vec<u64>,
}

impl DistanceMatrix {
    /// From rows; must be square, symmetric, zero on the diagonal and each
    /// entry at most [`MAX_DISTANCE`]. Road distances are not symmetric: give
    /// their symmetric part (e.g. the mean of both directions).
    pub fn from_rows(rows: &[Vec<u64>]) -> Result<Self, RouteError> {
        let n = rows.len();
        let mut d = Vec::with_capacity(n * n);
        for (row, r) in rows.iter().enumerate() {
            if r.len() != n {
                return Err(RouteError::MatrixNotSquare {
                    row,
                    len: r.len(),
                    expected: n,
                });
            }
            d.extend_from_slice(r);
        }
        Self::from_flat(n, d)
    }

    /// From a row-major `n × n` vector.
    pub fn from_flat(n: usize, d: Vec<u64>) -> Result<Self, RouteError> {
        if d.len() != n * n {
            return Err(RouteError::MatrixNotSquare {
                row: 0,
                len: d.len(),
                expected: n * n,
            });
        }
        for i in 0..n {
            if d[i * n + i] != 0 {
                return Err(RouteError::MatrixNonZeroDiagonal(i));
            }
            for j in i + 1..n {
                let (dij, dji) = (d[i * n + j], d[j * n + i]);
                if dij != dji {
                    return Err(RouteError::MatrixNotSymmetric { i, j, dij, dji });
                }
                if dij > MAX_DISTANCE {
                    return Err(RouteError::DistanceTooLarge {
                        i,
                        j,
                        value: dij,
                        max: MAX_DISTANCE,
                    });
                }
            }
        }
        Ok(Self { n, d })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn get(&self, i: usize, j: usize) -> u64 {
        self.d[i * self.n + j]
    }
}

/// The stops of a day: coordinates (great-circle metres) or a matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum Stops {
    LatLon(Vec<LatLon>),
    Matrix(DistanceMatrix),
}

impl Stops {
    pub fn len(&self) -> usize {
        match self {
            Stops::LatLon(p) => p.len(),
            Stops::Matrix(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distance between two stops, metres for coordinates.
    pub fn distance(&self, i: usize, j: usize) -> u64 {
        match self {
            Stops::LatLon(p) => p[i].distance_m(p[j]),
            Stops::Matrix(m) => m.get(i, j),
        }
    }

    pub(crate) fn check(&self, index: usize) -> Result<usize, RouteError> {
        if index < self.len() {
            Ok(index)
        } else {
            Err(RouteError::StopOutOfRange {
                index,
                len: self.len(),
            })
        }
    }
}

/// Where the route finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Round trip back to the start (the rep goes home).
    Start,
    /// Finish at this stop (the office, a hotel).
    Stop(usize),
    /// Finish wherever is shortest; no return leg.
    Free,
}

/// A validated routing problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    stops: Stops,
    start: usize,
    end: End,
}

impl Problem {
    /// `End::Stop(start)` is the same as `End::Start`.
    pub fn new(stops: Stops, start: usize, end: End) -> Result<Self, RouteError> {
        if stops.is_empty() {
            return Err(RouteError::NoStops);
        }
        stops.check(start)?;
        let end = match end {
            End::Stop(e) if e == start => End::Start,
            End::Stop(e) => End::Stop(stops.check(e)?),
            other => other,
        };
        Ok(Self { stops, start, end })
    }

    pub fn stops(&self) -> &Stops {
        &self.stops
    }

    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> End {
        self.end
    }
}

/// Seed, effort and the speed used for the drive-time estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Same seed, same input, same kick budget → same route.
    pub seed: u64,
    /// Kicks of the iterated local search; `None` scales with the number of
    /// stops (50 per stop, at most 20,000: about 1 s for 1,000 stops on a
    /// laptop). A `should_stop` callback can end the search earlier.
    pub max_kicks: Option<u64>,
    /// Average speed for [`Route::straight_line_drive_time`], km/h.
    pub average_speed_kmh: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 0,
            max_kicks: None,
            average_speed_kmh: 30.0,
        }
    }
}

impl Options {
    pub(crate) fn kicks(&self, n: usize) -> u64 {
        self.max_kicks
            .unwrap_or_else(|| (100 * n as u64).min(200_000))
    }

    pub(crate) fn speed(&self) -> Result<f64, RouteError> {
        let v = self.average_speed_kmh;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(RouteError::InvalidSpeed(v))
        }
    }

    /// The straight-line drive estimate for a distance at `average_speed_kmh`.
    pub fn drive_time_of(&self, metres: u64) -> Duration {
        let mps = self.average_speed_kmh / 3.6;
        // Saturates rather than panicking for absurd speeds.
        Duration::try_from_secs_f64(metres as f64 / mps).unwrap_or(Duration::MAX)
    }
}

/// An ordered route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Stop indices in visiting order; the first is the start (for
    /// [`crate::reorder_from`] from coordinates, the first stop driven to).
    pub order: Vec<usize>,
    /// Each leg driven, in order, including the return leg of a round trip
    /// and, from coordinates, the first leg from the current position.
    pub legs_m: Vec<u64>,
    /// Sum of `legs_m`.
    pub total_m: u64,
    /// `total_m` at the configured average speed: a straight-line estimate,
    /// not a road-network drive time.
    pub straight_line_drive_time: Duration,
}

/// A node of a sub-problem: a stop, or an ad-hoc position (current place).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Node {
    Stop(usize),
    At(LatLon),
}

/// The stops a solve sees, as indices into the caller's stops.
#[derive(Debug)]
pub(crate) struct View<'a> {
    pub(crate) stops: &'a Stops,
    pub(crate) nodes: Vec<Node>,
}

impl View<'_> {
    fn point(&self, v: usize) -> Option<LatLon> {
        match (self.nodes[v], self.stops) {
            (Node::At(p), _) => Some(p),
            (Node::Stop(i), Stops::LatLon(ps)) => Some(ps[i]),
            (Node::Stop(_), Stops::Matrix(_)) => None,
        }
    }

    pub(crate) fn metres(&self, a: usize, b: usize) -> u64 {
        if a == b {
            return 0;
        }
        match (self.nodes[a], self.nodes[b]) {
            (Node::Stop(i), Node::Stop(j)) => self.stops.distance(i, j),
            _ => match (self.point(a), self.point(b)) {
                (Some(p), Some(q)) => p.distance_m(q),
                // Unreachable: `At` is only built for coordinate stops.
                _ => 0,
            },
        }
    }

    /// Build the route for an order of view nodes.
    pub(crate) fn route(&self, order: &[usize], tail: Tail, opts: &Options) -> Route {
        let mut legs_m: Vec<u64> = order.windows(2).map(|w| self.metres(w[0], w[1])).collect();
        if tail == Tail::Closed && order.len() > 1 {
            legs_m.push(self.metres(order[order.len() - 1], order[0]));
        }
        let mut stops = Vec::with_capacity(order.len());
        for &v in order {
            match self.nodes[v] {
                Node::Stop(i) => stops.push(i),
                Node::At(_) => {}
            }
        }
        let total_m = legs_m.iter().sum();
        Route {
            order: stops,
            legs_m,
            total_m,
            straight_line_drive_time: opts.drive_time_of(total_m),
        }
    }
}

impl RealCost for View<'_> {
    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn d(&self, a: usize, b: usize) -> i64 {
        self.metres(a, b) as i64
    }
}

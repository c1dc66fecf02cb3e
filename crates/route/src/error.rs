use thiserror::Error;

/// Why a route could not be planned. Every user-input problem is reported
/// here; the library does not panic on bad input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RouteError {
    #[error("latitude {lat} / longitude {lon} is not a valid coordinate")]
    InvalidCoordinate { lat: f64, lon: f64 },
    #[error("distance matrix row {row} has {len} entries, expected {expected}")]
    MatrixNotSquare {
        row: usize,
        len: usize,
        expected: usize,
    },
    #[error("distance matrix is not symmetric: d({i},{j}) = {dij} but d({j},{i}) = {dji}")]
    MatrixNotSymmetric {
        i: usize,
        j: usize,
        dij: u64,
        dji: u64,
    },
    #[error("distance matrix has a non-zero diagonal at {0}")]
    MatrixNonZeroDiagonal(usize),
    #[error("distance {value} at ({i},{j}) exceeds the supported maximum {max}")]
    DistanceTooLarge {
        i: usize,
        j: usize,
        value: u64,
        max: u64,
    },
    #[error("stop index {index} is out of range for {len} stops")]
    StopOutOfRange { index: usize, len: usize },
    #[error("stop {0} appears twice in the remaining stops")]
    DuplicateStop(usize),
    #[error("a problem needs at least one stop (the start)")]
    NoStops,
    #[error("{what} has {len} entries, expected one per stop ({expected})")]
    LengthMismatch {
        what: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("average speed must be a positive number of km/h, got {0}")]
    InvalidSpeed(f64),
    #[error("the start and end alone need {needed_s} s, more than the {workday_s} s workday")]
    WorkdayTooShort { needed_s: u64, workday_s: u64 },
    #[error("{what} {value} at stop {index} is outside 0..=1e12")]
    TimeOutOfRange {
        what: &'static str,
        index: usize,
        value: i64,
    },
    #[error("the window of stop {index} closes ({latest}) before it opens ({earliest})")]
    EmptyWindow {
        index: usize,
        earliest: i64,
        latest: i64,
    },
    #[error("the day's start and end alone already overrun the day, by {late_by}")]
    DayTooShort { late_by: i64 },
    #[error("a position given as coordinates needs stops given as coordinates")]
    PositionNeedsCoordinates,
}

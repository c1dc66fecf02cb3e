//! Route ordering for a rep's day, on the device: no I/O, no clock, no stop
//! cap. Builds for `wasm32-unknown-unknown`.
//!
//! - [`solve`] / [`solve_until`]: order stops given as coordinates
//!   (great-circle metres) or a distance matrix, from a start to the start
//!   (round trip), a fixed end, or a free end.
//! - [`fit_day`]: choose the stops that fit a workday (least urgent dropped
//!   first) and order them.
//! - [`reorder_from`]: re-plan the rest of the day from where the rep is.
//! - [`solve_windows`] / [`solve_windows_until`]: order stops with service
//!   times and time windows (opening hours, appointments), least travel
//!   time; the answer's schedule names every stop it could not keep.
//! - [`fit_windows`]: the most urgent stops a day can keep in their windows,
//!   timed, and why each other one was left out.
//!
//! The search is deterministic for a seed and a kick budget. Wall-clock
//! budgets are the caller's: pass a `should_stop` callback (the library never
//! reads a clock; `Instant::now` panics on wasm32). The best route so far is
//! returned when it says stop.
//!
//! ```
//! use rounds_route::{End, LatLon, Options, Problem, Stops, solve};
//! let stops = Stops::LatLon(vec![
//!     LatLon::new(41.88, -87.63)?,
//!     LatLon::new(41.97, -87.75)?,
//!     LatLon::new(41.75, -88.15)?,
//! ]);
//! let route = solve(&Problem::new(stops, 0, End::Start)?, &Options::default())?;
//! assert_eq!(route.order[0], 0);
//! assert_eq!(route.legs_m.len(), 3);
//! # Ok::<(), rounds_route::RouteError>(())
//! ```

mod day;
mod engine;
mod error;
mod geo;
mod model;
mod rng;
mod search;
mod timed_day;
mod tour;
mod windows;

pub use day::{
    DayPlan, DayRules, DropReason, Dropped, Position, fit_day, fit_day_until, reorder_from,
};
pub use error::RouteError;
pub use geo::{EARTH_RADIUS_M, LatLon};
pub use model::{DistanceMatrix, End, MAX_DISTANCE, Options, Problem, Route, Stops};
pub use timed_day::{
    FIXED, TimedDay, TimedDrop, WindowDrop, fit_windows, fit_windows_preferring, fit_windows_until,
    fit_windows_with_rest,
};
pub use windows::{
    Late, MAX_TIME, Rest, RestTaken, Schedule, TimedOptions, TimedProblem, Visit, Window,
    solve_windows, solve_windows_until,
};

use engine::{Effort, Tail};
use model::{Node, View};

/// Order the stops with the default kick budget of `options`.
pub fn solve(problem: &Problem, options: &Options) -> Result<Route, RouteError> {
    solve_until(problem, options, || false)
}

/// Order the stops, stopping early (with the best route so far) as soon as
/// `should_stop` returns true. It is called often (about every kick), so keep
/// it cheap.
pub fn solve_until(
    problem: &Problem,
    options: &Options,
    mut should_stop: impl FnMut() -> bool,
) -> Result<Route, RouteError> {
    options.speed()?;
    let view = View {
        stops: problem.stops(),
        nodes: (0..problem.stops().len()).map(Node::Stop).collect(),
    };
    let tail = tail_of(problem.end());
    let order = engine::order(
        &view,
        problem.start(),
        tail,
        None,
        Effort {
            seed: options.seed,
            max_kicks: options.kicks(view.nodes.len()),
            stop: &mut should_stop,
        },
    );
    Ok(view.route(&order, tail, options))
}

/// Length of the order as [`Route::total_m`] would count it (the return leg
/// only for a round trip).
pub fn route_length(stops: &Stops, order: &[usize], end: End) -> u64 {
    let mut s: u64 = order.windows(2).map(|w| stops.distance(w[0], w[1])).sum();
    if end == End::Start && order.len() > 1 {
        s += stops.distance(order[order.len() - 1], order[0]);
    }
    s
}

fn tail_of(end: End) -> Tail {
    match end {
        End::Start => Tail::Closed,
        End::Stop(e) => Tail::Fixed(e),
        End::Free => Tail::Free,
    }
}

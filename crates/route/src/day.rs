//! Fit the day (which stops fit a workday) and reorder from the current
//! position. Both are thin layers over the same engine.

use std::time::Duration;

use crate::engine::{self, Effort, Tail};
use crate::model::{Node, View};
use crate::{End, LatLon, Options, Problem, Route, RouteError, Stops, tail_of};

/// What a workday allows. `visit` and `urgency` have one entry per stop
/// (give the start and end a zero visit). Higher urgency is kept first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRules {
    pub workday: Duration,
    pub visit: Vec<Duration>,
    pub urgency: Vec<u32>,
}

/// Why a stop was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Keeping it would make the day longer than the workday, and every stop
    /// still in the plan is at least as urgent.
    DoesNotFit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub stop: usize,
    pub urgency: u32,
    pub reason: DropReason,
}

/// The stops that fit, ordered, and the ones that did not.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    pub route: Route,
    /// Least urgent first.
    pub dropped: Vec<Dropped>,
    /// Straight-line drive estimate plus visits; never above the workday.
    pub busy: Duration,
}

/// Where the rep is now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    /// At one of the stops.
    Stop(usize),
    /// Somewhere else (needs stops given as coordinates).
    At(LatLon),
}

/// [`fit_day_until`] without an external stop signal.
pub fn fit_day(
    problem: &Problem,
    rules: &DayRules,
    options: &Options,
) -> Result<DayPlan, RouteError> {
    fit_day_until(problem, rules, options, || false)
}

/// Drop the least urgent stops until the day fits (ties: the one that saves
/// the most time), order the rest, then put back any dropped stop that fits
/// after re-optimising (most urgent first).
pub fn fit_day_until(
    problem: &Problem,
    rules: &DayRules,
    options: &Options,
    mut should_stop: impl FnMut() -> bool,
) -> Result<DayPlan, RouteError> {
    options.speed()?;
    let stops = problem.stops();
    let n = stops.len();
    for (what, len) in [
        ("visit", rules.visit.len()),
        ("urgency", rules.urgency.len()),
    ] {
        if len != n {
            return Err(RouteError::LengthMismatch {
                what,
                len,
                expected: n,
            });
        }
    }
    let tail = tail_of(problem.end());
    let all = View {
        stops,
        nodes: (0..n).map(Node::Stop).collect(),
    };
    let kicks = options.kicks(n);
    let mut order = engine::order(
        &all,
        problem.start(),
        tail,
        None,
        Effort {
            seed: options.seed,
            max_kicks: kicks,
            stop: &mut should_stop,
        },
    );
    let fixed = |s: usize| s == problem.start() || End::Stop(s) == problem.end();
    let busy = |order: &[usize]| -> Duration {
        let m = engine::path_len(&all, order, tail) as u64;
        options.drive_time_of(m) + order.iter().map(|&s| rules.visit[s]).sum::<Duration>()
    };

    let mut dropped: Vec<Dropped> = Vec::new();
    while busy(&order) > rules.workday {
        let cost = |k: usize| -> Duration {
            let s = order[k];
            let prev = order[k - 1];
            let next = order.get(k + 1).copied().or(if tail == Tail::Closed {
                Some(order[0])
            } else {
                None
            });
            let saved = match next {
                Some(nx) => {
                    (all.metres(prev, s) + all.metres(s, nx)).saturating_sub(all.metres(prev, nx))
                }
                None => all.metres(prev, s),
            };
            options.drive_time_of(saved) + rules.visit[s]
        };
        let victim = (1..order.len())
            .filter(|&k| !fixed(order[k]))
            .min_by(|&a, &b| {
                let (ua, ub) = (rules.urgency[order[a]], rules.urgency[order[b]]);
                ua.cmp(&ub)
                    .then_with(|| cost(b).cmp(&cost(a)))
                    .then(a.cmp(&b))
            });
        let Some(k) = victim else {
            return Err(RouteError::WorkdayTooShort {
                needed_s: busy(&order).as_secs(),
                workday_s: rules.workday.as_secs(),
            });
        };
        let s = order.remove(k);
        dropped.push(Dropped {
            stop: s,
            urgency: rules.urgency[s],
            reason: DropReason::DoesNotFit,
        });
    }

    if !dropped.is_empty() {
        order = reoptimise(&all, &order, tail, options, kicks, &mut should_stop);
        // Put back what now fits, most urgent first.
        let mut k = dropped.len();
        while k > 0 {
            k -= 1;
            let s = dropped[k].stop;
            if let Some(at) = cheapest_insertion(&all, &order, s, tail) {
                order.insert(at, s);
                if busy(&order) <= rules.workday {
                    dropped.remove(k);
                    continue;
                }
                order.remove(at);
            }
        }
    }
    let busy = busy(&order);
    Ok(DayPlan {
        route: all.route(&order, tail, options),
        dropped,
        busy,
    })
}

/// Re-run the engine on a subset, warm-started from its current order (so
/// the result is never longer).
fn reoptimise(
    all: &View<'_>,
    order: &[usize],
    tail: Tail,
    options: &Options,
    kicks: u64,
    stop: &mut dyn FnMut() -> bool,
) -> Vec<usize> {
    let sub = View {
        stops: all.stops,
        nodes: order.iter().map(|&s| Node::Stop(s)).collect(),
    };
    let m = order.len();
    let sub_tail = match tail {
        Tail::Fixed(_) => Tail::Fixed(m - 1),
        t => t,
    };
    let local = engine::order(
        &sub,
        0,
        sub_tail,
        Some((0..m).collect()),
        Effort {
            seed: options.seed,
            max_kicks: kicks,
            stop,
        },
    );
    local.into_iter().map(|v| order[v]).collect()
}

/// Position to insert `s` at least extra distance; never before the start or
/// after a fixed end.
fn cheapest_insertion(all: &View<'_>, order: &[usize], s: usize, tail: Tail) -> Option<usize> {
    let last_slot = match tail {
        Tail::Fixed(_) => order.len() - 1,
        _ => order.len(),
    };
    (1..=last_slot)
        .map(|at| {
            let prev = order[at - 1];
            let extra = match order.get(at).copied().or(if tail == Tail::Closed {
                Some(order[0])
            } else {
                None
            }) {
                Some(nx) => {
                    (all.metres(prev, s) + all.metres(s, nx)).saturating_sub(all.metres(prev, nx))
                }
                None => all.metres(prev, s),
            };
            (extra, at)
        })
        .min()
        .map(|(_, at)| at)
}

/// [`reorder_from_until`] without an external stop signal.
pub fn reorder_from(
    stops: &Stops,
    from: Position,
    remaining: &[usize],
    end: End,
    options: &Options,
) -> Result<Route, RouteError> {
    reorder_from_until(stops, from, remaining, end, options, || false)
}

/// Re-plan the rest of the day: from `from` through every stop in
/// `remaining`, then to `end` (`End::Start` returns to `from`). The route's
/// order holds stop indices only; from coordinates its first leg is the
/// drive from the current position.
pub fn reorder_from_until(
    stops: &Stops,
    from: Position,
    remaining: &[usize],
    end: End,
    options: &Options,
    mut should_stop: impl FnMut() -> bool,
) -> Result<Route, RouteError> {
    options.speed()?;
    let first = match from {
        Position::Stop(i) => Node::Stop(stops.check(i)?),
        Position::At(p) => match stops {
            Stops::LatLon(_) => Node::At(p),
            Stops::Matrix(_) => return Err(RouteError::PositionNeedsCoordinates),
        },
    };
    let end_stop = match end {
        End::Stop(e) => Some(stops.check(e)?),
        _ => None,
    };
    let mut seen = vec![false; stops.len()];
    let mut nodes = vec![first];
    if let Node::Stop(i) = first {
        seen[i] = true;
    }
    for &s in remaining {
        stops.check(s)?;
        if std::mem::replace(&mut seen[s], true) {
            if Node::Stop(s) == first {
                continue;
            }
            return Err(RouteError::DuplicateStop(s));
        }
        if Some(s) != end_stop {
            nodes.push(Node::Stop(s));
        }
    }
    let tail = match end_stop {
        Some(e) if Node::Stop(e) == first => Tail::Closed,
        Some(e) => {
            nodes.push(Node::Stop(e));
            Tail::Fixed(nodes.len() - 1)
        }
        None if end == End::Start => Tail::Closed,
        None => Tail::Free,
    };
    let view = View { stops, nodes };
    let order = engine::order(
        &view,
        0,
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

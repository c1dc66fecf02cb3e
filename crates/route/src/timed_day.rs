//! A day with time windows: keep the most urgent visits that can all be
//! made inside their windows, order them, and say why each other one was
//! left out.

use crate::RouteError;
use crate::model::End;
use crate::windows::{Rest, Schedule, TimedOptions, TimedProblem, Window, solve_from};

/// Why a stop was left out of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowDrop {
    /// Even driven to first, straight from the start, its visit cannot
    /// start before its window closes, or the rep could not then finish the
    /// day in time.
    OutOfReach,
    /// It can be reached alone, but not together with the visits kept, each
    /// of which is at least as urgent.
    Crowded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedDrop {
    pub stop: usize,
    pub urgency: u32,
    pub reason: WindowDrop,
}

/// The visits kept, ordered and timed (every window kept), and the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedDay {
    pub schedule: Schedule,
    /// In the order they were left out: out of reach first, then the least
    /// urgent.
    pub dropped: Vec<TimedDrop>,
}

/// Urgency of a fixed commitment (an appointment): a rest yields to it.
pub const FIXED: u32 = u32::MAX;

/// [`fit_windows`] with a rest to take, which yields to fixed commitments: when the
/// rest would leave out a stop of urgency [`FIXED`] that the day keeps without it, the
/// day goes without the rest. The flag says so.
pub fn fit_windows_with_rest(
    problem: &TimedProblem,
    rest: Option<Rest>,
    urgency: &[u32],
    options: &TimedOptions,
) -> Result<(TimedDay, bool), RouteError> {
    let Some(rest) = rest else {
        return Ok((fit_windows(problem, urgency, options)?, false));
    };
    let with = fit_windows(&problem.clone().with_rest(rest)?, urgency, options)?;
    let loses_fixed = |d: &TimedDay| d.dropped.iter().any(|x| x.urgency == FIXED);
    if !loses_fixed(&with) {
        return Ok((with, false));
    }
    let without = fit_windows(problem, urgency, options)?;
    Ok(if loses_fixed(&without) {
        (with, false)
    } else {
        (without, true)
    })
}

/// [`fit_windows_with_rest`] with preferred windows, kept where they can be: each stop
/// with one (`preferred[i]`, overlapping its own window) is first held to it; the
/// stops that day then leaves out get their whole window back and the day is fitted
/// again, and of the two the one leaving out less urgency is kept. The flag is
/// [`fit_windows_with_rest`]'s.
pub fn fit_windows_preferring(
    problem: &TimedProblem,
    preferred: &[Option<Window>],
    rest: Option<Rest>,
    urgency: &[u32],
    options: &TimedOptions,
) -> Result<(TimedDay, bool), RouteError> {
    if preferred.len() != problem.len() {
        return Err(RouteError::LengthMismatch {
            what: "preferred",
            len: preferred.len(),
            expected: problem.len(),
        });
    }
    let mut held = problem.clone();
    let narrowed: Vec<bool> = preferred
        .iter()
        .enumerate()
        .map(|(i, p)| p.is_some_and(|w| held.narrow(i, w)))
        .collect();
    let first = fit_windows_with_rest(&held, rest, urgency, options)?;
    let widen: Vec<usize> = first
        .0
        .dropped
        .iter()
        .map(|d| d.stop)
        .filter(|&s| narrowed[s])
        .collect();
    if widen.is_empty() {
        return Ok(first);
    }
    let mut wider = held;
    for &s in &widen {
        wider.set_window(s, problem.window(s));
    }
    let second = fit_windows_with_rest(&wider, rest, urgency, options)?;
    let lost = |d: &TimedDay| -> u64 { d.dropped.iter().map(|x| u64::from(x.urgency) + 1).sum() };
    Ok(if lost(&second.0) <= lost(&first.0) {
        second
    } else {
        first
    })
}

/// [`fit_windows_until`] without an external stop signal.
pub fn fit_windows(
    problem: &TimedProblem,
    urgency: &[u32],
    options: &TimedOptions,
) -> Result<TimedDay, RouteError> {
    fit_windows_until(problem, urgency, options, || false)
}

/// Leave out what cannot be reached in its window, then, while the best
/// order found still makes a visit late, leave out the least urgent stop
/// whose absence shortens the lateness (ties: the one that shortens it
/// most, then the one that frees the most time); finally put back, most urgent first, every stop left out for
/// crowding that fits again. `urgency` has one entry per stop (the start's
/// and a fixed end's are ignored).
///
/// The schedule returned keeps every window, unless the start and end alone
/// cannot (the start's window closes before the end can be reached), which
/// is an error.
pub fn fit_windows_until(
    problem: &TimedProblem,
    urgency: &[u32],
    options: &TimedOptions,
    mut should_stop: impl FnMut() -> bool,
) -> Result<TimedDay, RouteError> {
    let n = problem.len();
    if urgency.len() != n {
        return Err(RouteError::LengthMismatch {
            what: "urgency",
            len: urgency.len(),
            expected: n,
        });
    }
    let start = problem.start();
    let fixed = match problem.end() {
        End::Stop(e) => Some(e),
        _ => None,
    };
    let frame = |middle: &[usize]| {
        let mut o = vec![start];
        o.extend_from_slice(middle);
        o.extend(fixed);
        o
    };
    let bare = problem.schedule(&frame(&[]));
    if !bare.is_feasible() {
        return Err(RouteError::DayTooShort {
            late_by: bare.late.iter().map(|l| l.by).sum(),
        });
    }

    let mut dropped = Vec::new();
    let mut kept = Vec::new();
    for s in (0..n).filter(|&s| s != start && Some(s) != fixed) {
        if problem.schedule(&frame(&[s])).is_feasible() {
            kept.push(s);
        } else {
            dropped.push(TimedDrop {
                stop: s,
                urgency: urgency[s],
                reason: WindowDrop::OutOfReach,
            });
        }
    }
    let reachable = dropped.len();

    let kicks = options.kicks(n);
    // Each stop left out is followed by a short search from the order before
    // it (a full one per stop would make a crowded day cost seconds); the
    // day kept gets the full search at the end.
    let short = (kicks / 10).max(10);
    let mut best = solve_subset(problem, &kept, options.seed, kicks, None, &mut should_stop);
    while !best.is_feasible() {
        let order = best.order();
        let measure = |o: &[usize]| {
            let s = problem.schedule(o);
            (s.late.iter().map(|l| l.by).sum::<i64>(), s.finish)
        };
        let (late_now, finish_now) = measure(&order);
        let victim = (1..order.len())
            .filter(|&k| Some(order[k]) != fixed)
            .filter_map(|k| {
                let mut without = order.clone();
                without.remove(k);
                let (late, finish) = measure(&without);
                let saved = late_now - late;
                (saved > 0).then_some((
                    urgency[order[k]],
                    -saved,
                    late - late_now + finish - finish_now,
                    k,
                ))
            })
            .min();
        // A late visit's own absence always removes its lateness, so some
        // stop qualifies; the guard only keeps a bug from looping forever.
        let Some((_, _, _, k)) = victim else { break };
        let s = order[k];
        kept.retain(|&x| x != s);
        dropped.push(TimedDrop {
            stop: s,
            urgency: urgency[s],
            reason: WindowDrop::Crowded,
        });
        let mut warm = order;
        warm.remove(k);
        best = solve_subset(
            problem,
            &kept,
            options.seed,
            short,
            Some(&warm),
            &mut should_stop,
        );
    }

    // Put back what fits now, most urgent first: at the place in the order
    // where it adds the least travel and every visit stays in its window.
    let mut crowded: Vec<usize> = (reachable..dropped.len()).collect();
    crowded.sort_by_key(|&k| std::cmp::Reverse((dropped[k].urgency, std::cmp::Reverse(k))));
    let mut back = Vec::new();
    let mut order = best.order();
    for k in crowded {
        let s = dropped[k].stop;
        let last = order.len() - usize::from(fixed.is_some());
        let slot = (1..=last)
            .filter_map(|at| {
                let mut with = order.clone();
                with.insert(at, s);
                let sched = problem.schedule(&with);
                sched.is_feasible().then_some((sched.travel, at))
            })
            .min();
        if let Some((_, at)) = slot {
            order.insert(at, s);
            kept.push(s);
            back.push(k);
        }
    }
    // Only a day that lost a stop to crowding has an order worth polishing.
    if dropped.len() > reachable {
        let polished = solve_subset(
            problem,
            &kept,
            options.seed,
            kicks,
            Some(&order),
            &mut should_stop,
        );
        best = if polished.is_feasible() {
            polished
        } else {
            problem.schedule(&order)
        };
    }
    let dropped = dropped
        .into_iter()
        .enumerate()
        .filter(|(k, _)| !back.contains(k))
        .map(|(_, d)| d)
        .collect();
    Ok(TimedDay {
        schedule: best,
        dropped,
    })
}

/// Solve on the start, `stops` and a fixed end only, in the caller's indices;
/// `warm` is an order of those stops to start from.
fn solve_subset(
    problem: &TimedProblem,
    stops: &[usize],
    seed: u64,
    kicks: u64,
    warm: Option<&[usize]>,
    stop: &mut dyn FnMut() -> bool,
) -> Schedule {
    let mut nodes = vec![problem.start()];
    nodes.extend_from_slice(stops);
    let end = match problem.end() {
        End::Stop(e) => {
            nodes.push(e);
            End::Stop(nodes.len() - 1)
        }
        other => other,
    };
    let sub = problem.subset(&nodes, end);
    let local_warm: Option<Vec<usize>> = warm.map(|w| {
        w.iter()
            .filter_map(|v| nodes.iter().position(|x| x == v))
            .collect()
    });
    let local = solve_from(&sub, seed, kicks, local_warm.as_deref(), stop);
    let order: Vec<usize> = local.order().into_iter().map(|v| nodes[v]).collect();
    problem.schedule(&order)
}

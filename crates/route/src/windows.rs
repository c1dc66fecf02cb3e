//! Route ordering with time windows (TSPTW): each stop has a window on the
//! start of its visit and a service time; arriving early means waiting,
//! arriving late is not allowed; the route must be back (or at its end) by the
//! end's latest time. The objective is total travel time.
//!
//! The search works on any order, feasible or not, by charging *time warp*:
//! when a visit would start after its latest time, the schedule travels back
//! in time to that latest time and the route pays the amount it warped
//! (Vidal et al., "A hybrid genetic algorithm with adaptive diversity
//! management…", 2013). Any order then has a cost, travel + penalty x warp,
//! and the penalty adapts so the search spends its time near the feasible
//! region. Moves are evaluated in O(1) by concatenating precomputed segment
//! summaries. A route is reported feasible only when its own forward schedule
//! keeps every window; otherwise the late stops are named.

use crate::RouteError;
use crate::model::{End, MAX_DISTANCE};
use crate::rng::Rng;

/// Largest time value (window bound, service, travel) accepted: keeps every
/// sum the search forms inside `i64`.
pub const MAX_TIME: i64 = MAX_DISTANCE as i64;

/// A window on the start of a visit, in the problem's time unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub earliest: i64,
    pub latest: i64,
}

impl Window {
    pub fn new(earliest: i64, latest: i64) -> Self {
        Self { earliest, latest }
    }
}

/// A validated problem: travel times (asymmetric allowed), service times,
/// windows, a start and where the route ends. For the start, `earliest` is
/// when the route leaves; for a round trip the start's `latest` is when it
/// must be back.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedProblem {
    n: usize,
    travel: Vec<i64>,
    service: Vec<i64>,
    windows: Vec<Window>,
    start: usize,
    end: End,
    rest: Option<Rest>,
}

/// A rest the rep takes where they are (lunch): no travel, `length` long, started inside
/// `window`. The search orders the stops without it; every schedule of the problem then
/// takes it at the gap between two visits where it makes the least lateness, then the
/// earliest finish (the waiting before a shop opens is used when it can be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rest {
    pub window: Window,
    pub length: i64,
}

/// When a schedule takes its rest: between `visits[after - 1]` and `visits[after]` (or
/// after the last visit, before the way back, when `after == visits.len()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestTaken {
    pub after: usize,
    pub begin: i64,
    pub end: i64,
}

/// Where an evaluation inserts the rest: before `visits[gap]`, either right after the
/// previous visit (at its place) or on arriving at the next one (at that place).
#[derive(Debug, Clone, Copy)]
struct RestAt {
    gap: usize,
    on_arrival: bool,
    rest: Rest,
}

impl TimedProblem {
    /// `travel` is row-major `n x n` with a zero diagonal; every value and
    /// window bound must lie in `0..=MAX_TIME`, and every window must have
    /// `earliest <= latest`.
    pub fn new(
        travel: Vec<Vec<i64>>,
        service: Vec<i64>,
        windows: Vec<Window>,
        start: usize,
        end: End,
    ) -> Result<Self, RouteError> {
        let n = travel.len();
        if n == 0 {
            return Err(RouteError::NoStops);
        }
        let mut flat = Vec::with_capacity(n * n);
        for (row, r) in travel.iter().enumerate() {
            if r.len() != n {
                return Err(RouteError::MatrixNotSquare {
                    row,
                    len: r.len(),
                    expected: n,
                });
            }
            for (col, &v) in r.iter().enumerate() {
                if row == col && v != 0 {
                    return Err(RouteError::MatrixNonZeroDiagonal(row));
                }
                if !(0..=MAX_TIME).contains(&v) {
                    return Err(RouteError::TimeOutOfRange {
                        what: "travel time",
                        index: row,
                        value: v,
                    });
                }
            }
            flat.extend_from_slice(r);
        }
        for (what, len) in [("service", service.len()), ("windows", windows.len())] {
            if len != n {
                return Err(RouteError::LengthMismatch {
                    what,
                    len,
                    expected: n,
                });
            }
        }
        for (i, &s) in service.iter().enumerate() {
            if !(0..=MAX_TIME).contains(&s) {
                return Err(RouteError::TimeOutOfRange {
                    what: "service time",
                    index: i,
                    value: s,
                });
            }
        }
        for (i, w) in windows.iter().enumerate() {
            for v in [w.earliest, w.latest] {
                if !(0..=MAX_TIME).contains(&v) {
                    return Err(RouteError::TimeOutOfRange {
                        what: "window bound",
                        index: i,
                        value: v,
                    });
                }
            }
            if w.earliest > w.latest {
                return Err(RouteError::EmptyWindow {
                    index: i,
                    earliest: w.earliest,
                    latest: w.latest,
                });
            }
        }
        let check = |i: usize| {
            if i < n {
                Ok(i)
            } else {
                Err(RouteError::StopOutOfRange { index: i, len: n })
            }
        };
        let start = check(start)?;
        let end = match end {
            End::Stop(e) if e == start => End::Start,
            End::Stop(e) => End::Stop(check(e)?),
            other => other,
        };
        Ok(Self {
            n,
            travel: flat,
            service,
            windows,
            start,
            end,
            rest: None,
        })
    }

    /// The problem with a rest to take (see [`Rest`]).
    pub fn with_rest(mut self, rest: Rest) -> Result<Self, RouteError> {
        for (what, v) in [
            ("rest length", rest.length),
            ("rest window bound", rest.window.earliest),
            ("rest window bound", rest.window.latest),
        ] {
            if !(0..=MAX_TIME).contains(&v) {
                return Err(RouteError::TimeOutOfRange {
                    what,
                    index: 0,
                    value: v,
                });
            }
        }
        if rest.window.earliest > rest.window.latest {
            return Err(RouteError::EmptyWindow {
                index: self.n,
                earliest: rest.window.earliest,
                latest: rest.window.latest,
            });
        }
        self.rest = Some(rest);
        Ok(self)
    }

    pub(crate) fn window(&self, i: usize) -> Window {
        self.windows[i]
    }

    /// Stop `i`'s window set back to one it had (already validated).
    pub(crate) fn set_window(&mut self, i: usize, w: Window) {
        self.windows[i] = w;
    }

    /// Narrows stop `i`'s window to its overlap with `w`; without one it stays as it
    /// is (`false`).
    pub(crate) fn narrow(&mut self, i: usize, w: Window) -> bool {
        let old = self.windows[i];
        let (earliest, latest) = (old.earliest.max(w.earliest), old.latest.min(w.latest));
        if earliest > latest {
            return false;
        }
        self.windows[i] = Window::new(earliest, latest);
        true
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn travel(&self, i: usize, j: usize) -> i64 {
        self.travel[i * self.n + j]
    }

    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> End {
        self.end
    }

    /// The problem on `nodes` only (`nodes[0]` is the new start), already
    /// validated as part of this one.
    pub(crate) fn subset(&self, nodes: &[usize], end: End) -> TimedProblem {
        let travel = nodes
            .iter()
            .flat_map(|&i| nodes.iter().map(move |&j| self.travel(i, j)))
            .collect();
        TimedProblem {
            n: nodes.len(),
            travel,
            service: nodes.iter().map(|&i| self.service[i]).collect(),
            windows: nodes.iter().map(|&i| self.windows[i]).collect(),
            start: 0,
            end,
            rest: self.rest,
        }
    }

    /// The schedule of an order (the start first; a fixed end last; the
    /// return to the start of a round trip is implicit), computed forward:
    /// leave the start at its earliest time, wait when early, and note every
    /// visit that starts after its latest time (the schedule goes on from the
    /// late start, as a rep who is late would). With a rest, it is taken where it
    /// makes the least lateness, then the earliest finish; a rest started after its
    /// latest time counts as late at the stop where it is taken. A day that ends
    /// before the rest's window opens, or starts after it closes, takes none.
    pub fn schedule(&self, order: &[usize]) -> Schedule {
        let plain = self.forward(order, None);
        let Some(rest) = self.rest else {
            return plain;
        };
        if plain.finish <= rest.window.earliest || plain.visits[0].depart > rest.window.latest {
            return plain;
        }
        let m = order.len();
        // A fixed end is where the day is over: the rest comes before it.
        let last_gap = match self.end {
            End::Stop(_) if m > 1 => m - 1,
            _ => m,
        };
        let lateness = |s: &Schedule| s.late.iter().map(|l| l.by).sum::<i64>();
        (1..=last_gap)
            .flat_map(|gap| {
                [false, true]
                    .into_iter()
                    // Arriving somewhere exists only before a visit.
                    .filter(move |&on_arrival| !on_arrival || gap < m)
                    .map(move |on_arrival| RestAt {
                        gap,
                        on_arrival,
                        rest,
                    })
            })
            .map(|at| self.forward(order, Some(at)))
            .min_by_key(|s| (lateness(s), s.finish))
            .unwrap_or(plain)
    }

    /// The forward schedule of `order`, with the rest inserted at `rest` if given.
    fn forward(&self, order: &[usize], rest: Option<RestAt>) -> Schedule {
        let mut visits = Vec::with_capacity(order.len());
        let mut late = Vec::new();
        let mut taken = None;
        let mut travel = 0;
        let t = self.windows[order[0]].earliest;
        let mut depart = t + self.service[order[0]];
        visits.push(Visit {
            stop: order[0],
            arrive: t,
            begin: t,
            depart,
        });
        for (k, w) in order.windows(2).enumerate() {
            let (i, j) = (w[0], w[1]);
            let here = rest.filter(|r| r.gap == k + 1);
            if let Some(r) = here.filter(|r| !r.on_arrival) {
                depart = take(r, depart, i, &mut late, &mut taken);
            }
            let leg = self.travel(i, j);
            travel += leg;
            let arrive = depart + leg;
            let ready = match here.filter(|r| r.on_arrival) {
                Some(r) => take(r, arrive, j, &mut late, &mut taken),
                None => arrive,
            };
            let begin = ready.max(self.windows[j].earliest);
            if begin > self.windows[j].latest {
                late.push(Late {
                    stop: j,
                    by: begin - self.windows[j].latest,
                });
            }
            depart = begin + self.service[j];
            visits.push(Visit {
                stop: j,
                arrive,
                begin,
                depart,
            });
        }
        let last = order[order.len() - 1];
        if let Some(r) = rest.filter(|r| r.gap == order.len()) {
            depart = take(r, depart, last, &mut late, &mut taken);
        }
        let finish = match self.end {
            End::Start if order.len() > 1 => {
                let leg = self.travel(last, self.start);
                travel += leg;
                let back = depart + leg;
                if back > self.windows[self.start].latest {
                    late.push(Late {
                        stop: self.start,
                        by: back - self.windows[self.start].latest,
                    });
                }
                back
            }
            _ => depart,
        };
        Schedule {
            visits,
            travel,
            finish,
            late,
            rest: taken,
        }
    }
}

/// The rest taken at `stop` from `from` on (or when its window opens): when it ends.
fn take(
    at: RestAt,
    from: i64,
    stop: usize,
    late: &mut Vec<Late>,
    taken: &mut Option<RestTaken>,
) -> i64 {
    let begin = from.max(at.rest.window.earliest);
    if begin > at.rest.window.latest {
        late.push(Late {
            stop,
            by: begin - at.rest.window.latest,
        });
    }
    let end = begin + at.rest.length;
    *taken = Some(RestTaken {
        after: at.gap,
        begin,
        end,
    });
    end
}

/// One visit of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub stop: usize,
    pub arrive: i64,
    /// Start of the visit: `max(arrive, earliest)`.
    pub begin: i64,
    pub depart: i64,
}

/// A stop whose visit starts after its latest time (for a round trip's
/// start: the return), and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    pub stop: usize,
    pub by: i64,
}

/// An order's forward schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub visits: Vec<Visit>,
    /// Total travel, the return leg of a round trip included.
    pub travel: i64,
    /// Back at the start (round trip), or done at the last stop.
    pub finish: i64,
    /// Empty exactly when every window is kept.
    pub late: Vec<Late>,
    /// The problem's rest, when this day takes one.
    pub rest: Option<RestTaken>,
}

impl Schedule {
    pub fn is_feasible(&self) -> bool {
        self.late.is_empty()
    }

    /// The order visited, the start first.
    pub fn order(&self) -> Vec<usize> {
        self.visits.iter().map(|v| v.stop).collect()
    }
}

/// Search effort: same seed, same input, same kick budget → same route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimedOptions {
    pub seed: u64,
    /// Kicks of the iterated local search; `None`: 10 per stop, at least 100
    /// and at most 1,000. A caller with a time budget passes a `should_stop`
    /// callback instead.
    pub max_kicks: Option<u64>,
}

impl TimedOptions {
    pub(crate) fn kicks(&self, n: usize) -> u64 {
        self.max_kicks
            .unwrap_or_else(|| (10 * n as u64).clamp(100, 1000))
    }
}

/// Order the stops with the default kick budget.
pub fn solve_windows(problem: &TimedProblem, options: &TimedOptions) -> Schedule {
    solve_windows_until(problem, options, || false)
}

/// Order the stops, stopping early (with the best route so far) as soon as
/// `should_stop` returns true; it is called about once per kick. The answer
/// is the shortest feasible order found or, when none was found, the order
/// with the least lateness; its schedule says which.
pub fn solve_windows_until(
    problem: &TimedProblem,
    options: &TimedOptions,
    mut should_stop: impl FnMut() -> bool,
) -> Schedule {
    solve_from(
        problem,
        options.seed,
        options.kicks(problem.n),
        None,
        &mut should_stop,
    )
}

/// The search from `initial` (an order of every stop, the start first and a
/// fixed end last) instead of earliest deadline first: a re-plan after a
/// small change starts where the last one ended and needs few kicks.
pub(crate) fn solve_from(
    problem: &TimedProblem,
    seed: u64,
    kicks: u64,
    initial: Option<&[usize]>,
    stop: &mut dyn FnMut() -> bool,
) -> Schedule {
    let search = Search::new(problem);
    let initial: Option<Vec<u32>> = initial.map(|o| {
        o.iter()
            .filter(|&&v| v != problem.start && End::Stop(v) != problem.end)
            .map(|&v| v as u32)
            .collect()
    });
    let seq = search.run(seed, kicks, initial, stop);
    let mut order = Vec::with_capacity(problem.n);
    order.push(problem.start);
    order.extend(seq.iter().map(|&v| v as usize));
    if let End::Stop(e) = problem.end {
        order.push(e);
    }
    problem.schedule(&order)
}

/// Summary of a segment of consecutive visits (Vidal et al. 2013): its
/// duration, the time warp inside it, and the earliest and latest times its
/// first visit can start without adding waiting or warp.
#[derive(Debug, Clone, Copy, Default)]
struct Seg {
    first: u32,
    last: u32,
    duration: i64,
    warp: i64,
    earliest: i64,
    latest: i64,
    travel: i64,
}

/// Cost of a whole route at a warp penalty. i128: penalty x warp may exceed i64.
fn cost(s: &Seg, penalty: i64) -> i128 {
    s.travel as i128 + penalty as i128 * s.warp as i128
}

/// Bounds of the free end's window: wide enough never to bind, small enough
/// that no sum overflows.
const OPEN: i64 = MAX_TIME * 4;

/// The search's view: nodes `0..n` are the problem's, node `n` is the end
/// (a copy of the start for a round trip, of the fixed end, or a free end
/// reached at no cost). Customers are every node but the start and the end.
struct Search<'a> {
    p: &'a TimedProblem,
    /// `n + 1` nodes, the end's travel column included.
    travel: Vec<i64>,
    nodes: Vec<Seg>,
    customers: Vec<u32>,
    /// For each node, the other customers by travel from it (granular moves).
    near: Vec<Vec<u32>>,
}

/// Candidate insertion neighbours per customer.
const NEAR: usize = 40;
/// Late-acceptance history length.
const HISTORY: usize = 40;

impl<'a> Search<'a> {
    fn new(p: &'a TimedProblem) -> Self {
        let n = p.n;
        let w = n + 1;
        let mut travel = vec![0i64; w * w];
        for i in 0..n {
            for j in 0..n {
                travel[i * w + j] = p.travel(i, j);
            }
            travel[i * w + n] = match p.end {
                End::Start => p.travel(i, p.start),
                End::Stop(e) => p.travel(i, e),
                End::Free => 0,
            };
        }
        let mut nodes: Vec<Seg> = (0..n)
            .map(|i| Seg {
                first: i as u32,
                last: i as u32,
                duration: p.service[i],
                warp: 0,
                earliest: p.windows[i].earliest,
                latest: p.windows[i].latest,
                travel: 0,
            })
            .collect();
        // Leaving the start at its earliest time is always best (waiting is
        // free), so its window is that instant.
        nodes[p.start].latest = p.windows[p.start].earliest;
        let end_window = match p.end {
            End::Start => p.windows[p.start],
            End::Stop(e) => p.windows[e],
            End::Free => Window::new(-OPEN, OPEN),
        };
        nodes.push(Seg {
            first: n as u32,
            last: n as u32,
            duration: 0,
            warp: 0,
            earliest: end_window.earliest,
            latest: end_window.latest,
            travel: 0,
        });
        let fixed = match p.end {
            End::Stop(e) => Some(e),
            _ => None,
        };
        let customers: Vec<u32> = (0..n)
            .filter(|&i| i != p.start && Some(i) != fixed)
            .map(|i| i as u32)
            .collect();
        let mut near = vec![Vec::new(); n];
        for &c in &customers {
            let c = c as usize;
            let mut others: Vec<u32> = customers
                .iter()
                .copied()
                .filter(|&o| o as usize != c)
                .collect();
            // Close in both directions and in time: a neighbour whose window
            // is far from this one's is rarely visited next to it.
            let key = |o: u32| {
                let o = o as usize;
                let d = travel[c * w + o].min(travel[o * w + c]);
                let (a, b) = (p.windows[c], p.windows[o]);
                let gap = (a.earliest - b.latest).max(b.earliest - a.latest).max(0);
                d + gap
            };
            others.sort_by_key(|&o| (key(o), o));
            others.truncate(NEAR);
            near[c] = others;
        }
        Self {
            p,
            travel,
            nodes,
            customers,
            near,
        }
    }

    #[inline]
    fn d(&self, a: u32, b: u32) -> i64 {
        self.travel[a as usize * (self.p.n + 1) + b as usize]
    }

    #[inline]
    fn cat(&self, a: &Seg, b: &Seg) -> Seg {
        let t = self.d(a.last, b.first);
        let delta = a.duration - a.warp + t;
        let wait = (b.earliest - delta - a.latest).max(0);
        let warp = (a.earliest + delta - b.latest).max(0);
        Seg {
            first: a.first,
            last: b.last,
            duration: a.duration + b.duration + t + wait,
            warp: a.warp + b.warp + warp,
            earliest: (b.earliest - delta).max(a.earliest) - wait,
            latest: (b.latest - delta).min(a.latest) + warp,
            travel: a.travel + b.travel + t,
        }
    }

    /// Earliest-deadline-first: a good start when windows are tight, and
    /// the local search mends the travel when they are wide.
    fn initial(&self) -> Vec<u32> {
        let mut seq = self.customers.clone();
        seq.sort_by_key(|&c| {
            let w = self.p.windows[c as usize];
            (w.latest, w.earliest, c)
        });
        seq
    }

    fn run(
        &self,
        seed: u64,
        kicks: u64,
        initial: Option<Vec<u32>>,
        stop: &mut dyn FnMut() -> bool,
    ) -> Vec<u32> {
        let c = self.customers.len();
        if c <= 1 {
            return self.customers.clone();
        }
        let mut rng = Rng::new(seed);
        let mut penalty = self.initial_penalty();
        let mut tables = Tables::new(c + 2);
        let mut cur = match initial {
            Some(seq) if seq.len() == c => seq,
            _ => self.initial(),
        };
        let mut cur_seg = self.local_search(&mut cur, penalty, &mut tables, stop);
        let mut best = cur.clone();
        let mut best_seg = cur_seg;
        let mut history = [cost(&cur_seg, penalty); HISTORY];
        let mut feasible_runs = 0u32;
        let mut runs = 0u32;
        let mut trial = cur.clone();
        for kick in 0..kicks {
            if stop() {
                break;
            }
            trial.clear();
            trial.extend_from_slice(&cur);
            self.perturb(&mut trial, &mut rng);
            let seg = self.local_search(&mut trial, penalty, &mut tables, stop);
            runs += 1;
            if seg.warp == 0 {
                feasible_runs += 1;
            }
            if better(&seg, &best_seg) {
                best.clear();
                best.extend_from_slice(&trial);
                best_seg = seg;
            }
            let slot = kick as usize % HISTORY;
            let c_new = cost(&seg, penalty);
            if c_new <= cost(&cur_seg, penalty) || c_new < history[slot] {
                std::mem::swap(&mut cur, &mut trial);
                cur_seg = seg;
            }
            history[slot] = cost(&cur_seg, penalty);
            // Keep about half of the local optima feasible: a search that never
            // leaves the feasible region gets stuck, one that never returns
            // finds nothing to keep.
            if runs == 50 {
                let share = f64::from(feasible_runs) / f64::from(runs);
                if share < 0.4 {
                    penalty = (penalty.saturating_mul(3) / 2).min(MAX_TIME);
                } else if share > 0.6 {
                    penalty = (penalty * 2 / 3).max(1);
                }
                runs = 0;
                feasible_runs = 0;
                history = [cost(&cur_seg, penalty); HISTORY];
            }
        }
        best
    }

    /// A warp penalty that starts high enough that a minute late outweighs
    /// most detours: the largest single leg.
    fn initial_penalty(&self) -> i64 {
        self.travel.iter().copied().max().unwrap_or(1).max(1)
    }

    /// Relocate a few random short segments to random places; now and then a
    /// double bridge, which local moves cannot undo.
    fn perturb(&self, seq: &mut Vec<u32>, rng: &mut Rng) {
        let c = seq.len();
        if c >= 8 && rng.below(4) == 0 {
            let mut cuts = [
                1 + rng.below(c - 1),
                1 + rng.below(c - 1),
                1 + rng.below(c - 1),
            ];
            cuts.sort_unstable();
            if cuts[0] < cuts[1] && cuts[1] < cuts[2] {
                let (a, b, cc) = (cuts[0], cuts[1], cuts[2]);
                let mut out = Vec::with_capacity(c);
                out.extend_from_slice(&seq[..a]);
                out.extend_from_slice(&seq[b..cc]);
                out.extend_from_slice(&seq[a..b]);
                out.extend_from_slice(&seq[cc..]);
                *seq = out;
                return;
            }
        }
        let moves = 1 + rng.below(3);
        for _ in 0..moves {
            let len = (1 + rng.below(3)).min(c - 1);
            let from = rng.below(c - len + 1);
            let seg: Vec<u32> = seq.drain(from..from + len).collect();
            // Mostly near where it was: far jumps are rarely kept.
            let span = (c - len).max(1);
            let to = if rng.below(2) == 0 {
                rng.below(span + 1)
            } else {
                let r = 10.min(span);
                (from + rng.below(2 * r + 1)).saturating_sub(r).min(span)
            };
            for (k, v) in seg.into_iter().enumerate() {
                seq.insert(to + k, v);
            }
        }
    }

    /// Best-improvement descent over relocation of segments of 1–3 stops
    /// (either way round) next to a near stop, 2-opt reversal and exchange of
    /// two stops. Returns the summary of the whole route. A descent from a
    /// poor order can take many steps, so `stop` is asked at each one.
    fn local_search(
        &self,
        seq: &mut [u32],
        penalty: i64,
        t: &mut Tables,
        stop: &mut dyn FnMut() -> bool,
    ) -> Seg {
        let c = seq.len();
        let m = c + 2;
        t.route.clear();
        t.route.push(self.p.start as u32);
        t.route.extend_from_slice(seq);
        t.route.push(self.p.n as u32);
        t.build(self);
        let mut pos = vec![0usize; self.p.n + 1];
        loop {
            let cur = t.seg(Part::fwd(0, m - 1));
            let cur_cost = cost(&cur, penalty);
            for (k, &v) in t.route.iter().enumerate() {
                pos[v as usize] = k;
            }
            // Best improvement: a first-improvement descent takes hundreds of
            // tiny steps to mend a kick, each paying an O(n²) table rebuild.
            let mut best: Option<(i128, Move)> = None;
            // A route costs at least its travel, which two running sums give
            // in O(1): only a move whose travel beats the best cost so far is
            // scheduled (which reads the big tables).
            let mut consider = |parts: &[Part], mv: Move| {
                let bound = best.map_or(cur_cost, |b| b.0);
                if i128::from(t.chain_travel(self, parts)) >= bound {
                    return;
                }
                let mut s = t.seg(parts[0]);
                for &part in &parts[1..] {
                    s = self.cat(&s, &t.seg(part));
                }
                let value = cost(&s, penalty);
                if value < bound {
                    best = Some((value, mv));
                }
            };
            for i in 1..=c {
                // Relocate route[i..=j] next to one of the first's neighbours.
                let first = t.route[i];
                for len in 1..=3usize {
                    let j = i + len - 1;
                    if j > c {
                        break;
                    }
                    for &nb in &self.near[first as usize] {
                        let q = pos[nb as usize];
                        if (i..=j).contains(&q) {
                            continue;
                        }
                        // Insert after the neighbour, and before it.
                        for k in [q, q - 1] {
                            if k + 1 >= i && k <= j {
                                continue;
                            }
                            for rev in [false, true] {
                                if rev && len == 1 {
                                    continue;
                                }
                                let moved = Part { i, j, rev };
                                let parts = if k > j {
                                    [
                                        Part::fwd(0, i - 1),
                                        Part::fwd(j + 1, k),
                                        moved,
                                        Part::fwd(k + 1, m - 1),
                                    ]
                                } else {
                                    [
                                        Part::fwd(0, k),
                                        moved,
                                        Part::fwd(k + 1, i - 1),
                                        Part::fwd(j + 1, m - 1),
                                    ]
                                };
                                consider(&parts, Move::Relocate { i, j, k, rev });
                            }
                        }
                    }
                }
                // 2-opt and exchange that bring the stop next to one of its
                // neighbours (granular, as for relocation).
                for &nb in &self.near[first as usize] {
                    let q = pos[nb as usize];
                    if q > i + 1 {
                        // i+1..=q reversed: route[i] is followed by nb.
                        consider(
                            &[
                                Part::fwd(0, i),
                                Part {
                                    i: i + 1,
                                    j: q,
                                    rev: true,
                                },
                                Part::fwd(q + 1, m - 1),
                            ],
                            Move::Reverse { i: i + 1, j: q },
                        );
                    }
                    if q + 1 < i {
                        // q..=i-1 reversed: nb comes just before route[i].
                        consider(
                            &[
                                Part::fwd(0, q - 1),
                                Part {
                                    i: q,
                                    j: i - 1,
                                    rev: true,
                                },
                                Part::fwd(i, m - 1),
                            ],
                            Move::Reverse { i: q, j: i - 1 },
                        );
                    }
                    // Exchange route[i] with the stop just after or before nb.
                    for other in [q + 1, q.wrapping_sub(1)] {
                        if other == 0 || other > c || other == i {
                            continue;
                        }
                        let (a, b) = (i.min(other), i.max(other));
                        let parts: &[Part] = if b == a + 1 {
                            &[
                                Part::fwd(0, a - 1),
                                Part {
                                    i: a,
                                    j: b,
                                    rev: true,
                                },
                                Part::fwd(b + 1, m - 1),
                            ]
                        } else {
                            &[
                                Part::fwd(0, a - 1),
                                Part::fwd(b, b),
                                Part::fwd(a + 1, b - 1),
                                Part::fwd(a, a),
                                Part::fwd(b + 1, m - 1),
                            ]
                        };
                        consider(parts, Move::Swap { i: a, j: b });
                    }
                }
            }
            let Some((_, mv)) = best else {
                seq.copy_from_slice(&t.route[1..=c]);
                return cur;
            };
            mv.apply(&mut t.route);
            t.build(self);
            if stop() {
                seq.copy_from_slice(&t.route[1..=c]);
                return t.seg(Part::fwd(0, m - 1));
            }
        }
    }
}

/// A move of the local search, in route positions.
#[derive(Debug, Clone, Copy)]
enum Move {
    /// Put `i..=j` (reversed if `rev`) after position `k`.
    Relocate {
        i: usize,
        j: usize,
        k: usize,
        rev: bool,
    },
    Reverse {
        i: usize,
        j: usize,
    },
    Swap {
        i: usize,
        j: usize,
    },
}

impl Move {
    fn apply(self, route: &mut Vec<u32>) {
        match self {
            Move::Relocate { i, j, k, rev } => {
                let mut seg: Vec<u32> = route.drain(i..=j).collect();
                if rev {
                    seg.reverse();
                }
                // After the drain, position k moved left by the segment's length
                // when it was after the segment.
                let at = if k > j { k - (j - i + 1) + 1 } else { k + 1 };
                route.splice(at..at, seg);
            }
            Move::Reverse { i, j } => route[i..=j].reverse(),
            Move::Swap { i, j } => route.swap(i, j),
        }
    }
}

/// The better of two routes: feasible first, then less travel; among
/// infeasible ones less warp, then less travel.
fn better(a: &Seg, b: &Seg) -> bool {
    match (a.warp == 0, b.warp == 0) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => a.travel < b.travel,
        (false, false) => (a.warp, a.travel) < (b.warp, b.travel),
    }
}

/// A run of route positions `i..=j`, forward or reversed (`j, j-1, …, i`).
#[derive(Debug, Clone, Copy)]
struct Part {
    i: usize,
    j: usize,
    rev: bool,
}

impl Part {
    fn fwd(i: usize, j: usize) -> Self {
        Part { i, j, rev: false }
    }
}

/// Summaries of every segment of the current route, forward and reversed,
/// with running sums of travel for the O(1) bound.
struct Tables {
    m: usize,
    route: Vec<u32>,
    fwd: Vec<Seg>,
    rev: Vec<Seg>,
    /// `cum[k]`: travel from position 0 to k; `rcum[k]`: the same legs driven
    /// backwards (they differ when travel is asymmetric).
    cum: Vec<i64>,
    rcum: Vec<i64>,
    /// Whole prefixes and suffixes, kept apart from `fwd` so the scans read
    /// them from a short array instead of one column of a large table.
    prefix: Vec<Seg>,
    suffix: Vec<Seg>,
}

impl Tables {
    fn new(m: usize) -> Self {
        let empty = Seg::default();
        Self {
            m,
            route: Vec::with_capacity(m),
            fwd: vec![empty; m * m],
            rev: vec![empty; m * m],
            cum: vec![0; m],
            rcum: vec![0; m],
            prefix: vec![empty; m],
            suffix: vec![empty; m],
        }
    }

    fn build(&mut self, s: &Search<'_>) {
        let m = self.m;
        let route = &self.route;
        for i in 0..m {
            let mut f = s.nodes[route[i] as usize];
            self.fwd[i * m + i] = f;
            self.rev[i * m + i] = f;
            for (j, &v) in route.iter().enumerate().skip(i + 1) {
                f = s.cat(&f, &s.nodes[v as usize]);
                self.fwd[i * m + j] = f;
            }
            self.suffix[i] = f;
            self.prefix[i] = self.fwd[i];
        }
        // Reversed segments of customers only (positions 1..m-1).
        for j in 1..m - 1 {
            let mut r = s.nodes[route[j] as usize];
            for i in (1..j).rev() {
                r = s.cat(&r, &s.nodes[route[i] as usize]);
                self.rev[i * m + j] = r;
            }
        }
        for k in 1..m {
            self.cum[k] = self.cum[k - 1] + s.d(route[k - 1], route[k]);
            self.rcum[k] = self.rcum[k - 1] + s.d(route[k], route[k - 1]);
        }
    }

    #[inline]
    fn seg(&self, p: Part) -> Seg {
        if p.rev {
            self.rev[p.i * self.m + p.j]
        } else if p.i == 0 {
            self.prefix[p.j]
        } else if p.j == self.m - 1 {
            self.suffix[p.i]
        } else {
            self.fwd[p.i * self.m + p.j]
        }
    }

    /// Travel of the parts driven one after the other.
    #[inline]
    fn chain_travel(&self, s: &Search<'_>, parts: &[Part]) -> i64 {
        let ends = |p: &Part| {
            let (a, b) = (self.route[p.i], self.route[p.j]);
            if p.rev { (b, a) } else { (a, b) }
        };
        let inner = |p: &Part| {
            if p.rev {
                self.rcum[p.j] - self.rcum[p.i]
            } else {
                self.cum[p.j] - self.cum[p.i]
            }
        };
        let mut t = inner(&parts[0]);
        let mut last = ends(&parts[0]).1;
        for p in &parts[1..] {
            let (first, l) = ends(p);
            t += s.d(last, first) + inner(p);
            last = l;
        }
        t
    }
}

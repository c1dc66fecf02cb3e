//! Plan the rest of a period on the device: for each workday left, the visits
//! owed under the call plan, ordered and timed inside every account's opening
//! hours, around fixed appointments; the calls and e-mails spread over the
//! days; and every owed visit that does not fit, with the reason. Pure: no
//! I/O, no clock, builds for `wasm32-unknown-unknown`.
//!
//! The rules, each tested:
//! - **Spacing**: an account owed k visits over D days gets its i-th visit in
//!   the i-th k-th of the days, so two visits do not land in one week while
//!   others are empty; only when no day in its share can take it does a
//!   visit move outside it.
//! - **Overdue first**: a visit already late goes on the earliest day that
//!   can take it.
//! - **Clustering**: any other visit goes to the day in its share where it
//!   adds the least driving, next to the accounts already planned there.
//! - **Appointments** stay at their day and time; a **pinned** visit stays on
//!   its day; a visit of the previous plan stays on its day when that day
//!   still allows it, so a re-plan after one change moves little.
//! - Each day is ordered by the time-window route engine, which never
//!   returns a late visit; what a day cannot keep tries the other days, and
//!   is otherwise listed as not planned, with why.

use rounds_route::{
    End, FIXED, Rest, RouteError, TimedOptions, TimedProblem, Window, WindowDrop,
    fit_windows_preferring,
};

/// A workday of the plan. Times are seconds from that day's midnight;
/// places are indices into [`PlanInput::travel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkDay {
    pub start: i64,
    pub end: i64,
    /// Where the day starts (home, a hotel) and ends.
    pub from: usize,
    pub to: usize,
    /// A break (lunch) taken wherever the rep is, inside its window. It yields to
    /// appointments: a day whose appointments leave it no room goes without.
    pub rest: Option<Rest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub place: usize,
    pub visit_secs: i64,
    /// Per plan day, when a visit may start; `None`: closed that day. Empty:
    /// open whenever the rep works.
    pub open: Vec<Option<Window>>,
    /// Per plan day, when its buyer likes a visit to start, inside `open`; kept when
    /// the day allows, else given up for its hours. Empty: no preference.
    pub preferred: Vec<Option<Window>>,
}

/// What the call plan says an account is still owed this period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub account: usize,
    pub visits: u32,
    pub calls: u32,
    pub emails: u32,
    /// A touch of it is already late.
    pub overdue: bool,
    /// Higher is more important (the account's priority).
    pub urgency: u32,
    /// The last plan day (inclusive) its visits count for, when its period
    /// ends inside the plan; `None`: the plan's last day.
    pub due_by: Option<usize>,
}

/// A visit fixed at a day and a time (seconds from midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appointment {
    pub account: usize,
    pub day: usize,
    pub at: i64,
}

/// The rep put a visit of this account on this day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub account: usize,
    pub day: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanInput {
    /// Drive seconds between places (asymmetric allowed).
    pub travel: Vec<Vec<i64>>,
    pub days: Vec<WorkDay>,
    pub accounts: Vec<Account>,
    pub owed: Vec<Owed>,
    pub appointments: Vec<Appointment>,
    pub pins: Vec<Pin>,
    /// The previous plan's visits as (account, day): kept where still valid.
    pub previous: Vec<(usize, usize)>,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    Owed,
    Appointment,
    Pinned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub account: usize,
    pub kind: StopKind,
    pub arrive: i64,
    /// When the visit starts (inside the account's hours).
    pub begin: i64,
    pub depart: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayPlan {
    pub stops: Vec<Stop>,
    pub calls: Vec<usize>,
    pub emails: Vec<usize>,
    pub drive_secs: i64,
    /// Back at the day's end place.
    pub finish: i64,
    /// The break, `(begin, end)`, and how many stops come before it.
    pub rest: Option<Taken>,
    /// The day has a break, but its appointments leave no room for it.
    pub no_rest: bool,
}

/// When a day's break is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// Stops of [`DayPlan::stops`] before it.
    pub after_stops: usize,
    pub begin: i64,
    pub end: i64,
}

/// Why a visit is not in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The account is closed on every day left.
    Closed,
    /// Its hours cannot be reached on any open day and still finish the day.
    OutOfReach,
    /// Every day it could go on is full.
    NoRoom,
    /// An appointment at a time another appointment (or the day) leaves no
    /// room for.
    Clash,
}

impl Reason {
    /// In the rep's words, e.g. "no room on the days it could go".
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Closed => "closed on every day left",
            Reason::OutOfReach => "its hours cannot be reached",
            Reason::NoRoom => "no room on the days it could go",
            Reason::Clash => "clashes with another appointment",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPlanned {
    pub account: usize,
    pub kind: StopKind,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub days: Vec<DayPlan>,
    pub not_planned: Vec<NotPlanned>,
    /// Visits the call plan owes over the horizon, and how many the plan makes.
    pub owed_visits: u32,
    pub planned_owed_visits: u32,
}

impl Plan {
    /// In the rep's words: "Delivers 46 of 48 owed visits; 2 at risk: Acme
    /// (closed on every day left), Bolt (no room)."
    pub fn summary(&self, name: impl Fn(usize) -> String) -> String {
        let mut s = format!(
            "Delivers {} of {} owed visits",
            self.planned_owed_visits, self.owed_visits
        );
        if !self.not_planned.is_empty() {
            let why: Vec<String> = self
                .not_planned
                .iter()
                .map(|n| format!("{} ({})", name(n.account), n.reason.describe()))
                .collect();
            s.push_str(&format!("; {} at risk: {}", why.len(), why.join(", ")));
        }
        s.push('.');
        s
    }

    pub fn drive_secs(&self) -> i64 {
        self.days.iter().map(|d| d.drive_secs).sum()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("{what} {index} is out of range ({len})")]
    OutOfRange {
        what: &'static str,
        index: usize,
        len: usize,
    },
    #[error("account {account} has opening hours for {len} days, the plan has {days}")]
    OpeningDays {
        account: usize,
        len: usize,
        days: usize,
    },
    #[error(transparent)]
    Route(#[from] RouteError),
}

/// One visit to place.
#[derive(Debug, Clone, Copy)]
struct Task {
    account: usize,
    kind: StopKind,
    /// The days of its share, `lo..hi`.
    lo: usize,
    hi: usize,
    /// A fixed day (appointment, pin).
    day: Option<usize>,
    at: Option<i64>,
    overdue: bool,
    urgency: u32,
}

impl Task {
    /// For the route engine: appointments and pins are kept first.
    fn weight(&self) -> u32 {
        match self.kind {
            StopKind::Appointment => FIXED,
            StopKind::Pinned => u32::MAX - 1,
            StopKind::Owed => self.urgency.min(1 << 20) * 2 + u32::from(self.overdue),
        }
    }
}

/// Plan the days. Deterministic for a seed.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    validate(input)?;
    let n_days = input.days.len();
    let tasks = tasks(input);
    let owed_visits = input.owed.iter().map(|o| o.visits).sum();
    let planner = Planner { input };

    let mut days: Vec<Vec<Task>> = vec![Vec::new(); n_days];
    let mut not_planned = Vec::new();
    let mut free: Vec<Task> = Vec::new();
    // Fixed days first; then what the previous plan had on a day that still
    // allows it.
    // The day the planner chooses for a task, or the task listed with why not.
    let place =
        |task: Task, days: &mut Vec<Vec<Task>>, not_planned: &mut Vec<NotPlanned>| match planner
            .choose_day(&task, days, None)
        {
            Ok(d) => days[d].push(task),
            Err(reason) => not_planned.push(NotPlanned {
                account: task.account,
                kind: task.kind,
                reason,
            }),
        };
    for task in tasks {
        if task.day.is_some() {
            place(task, &mut days, &mut not_planned);
        } else {
            free.push(task);
        }
    }
    free.sort_by_key(|t| {
        (
            t.hi,
            !t.overdue,
            std::cmp::Reverse(t.urgency),
            t.account,
            t.lo,
        )
    });
    let mut rest = Vec::new();
    for task in free {
        match planner.previous_day(&task, &days) {
            Some(d) => days[d].push(task),
            None => rest.push(task),
        }
    }
    // Then day by day: what must go today (its share ends, or it is
    // overdue), then the nearest visits whose share has begun, up to an even
    // share of the work left.
    for (d, today) in days.iter_mut().enumerate() {
        let mut eligible: Vec<Task> = Vec::new();
        rest.retain(|t| {
            let take = t.lo <= d && planner.open(t.account, d).is_some();
            if take {
                eligible.push(*t);
            }
            !take
        });
        let must = |t: &Task| t.hi <= d + 1 || (t.overdue && t.lo == 0);
        // Even shares are of visit time: the drive depends on the day's
        // shape, and the day's length caps it separately.
        let visit_left: i64 = eligible
            .iter()
            .chain(rest.iter())
            .map(|t| input.accounts[t.account].visit_secs)
            .sum();
        let days_left = (n_days - d) as i64;
        let target = (visit_left + days_left - 1) / days_left;
        eligible.sort_by_key(|t| (!must(t), t.hi, std::cmp::Reverse(t.urgency), t.account));
        let mut later = Vec::new();
        for t in eligible.iter().copied().filter(|t| must(t)) {
            if planner.fits(&t, d, today) {
                today.push(t);
            } else {
                later.push(t);
            }
        }
        let mut pool: Vec<Task> = eligible.into_iter().filter(|t| !must(t)).collect();
        loop {
            let booked: i64 = today
                .iter()
                .map(|t| input.accounts[t.account].visit_secs)
                .sum();
            if booked >= target {
                break;
            }
            // The nearest to what the day holds (the earliest deadline seeds
            // an empty day).
            let next = if today.is_empty() {
                (!pool.is_empty()).then_some(0)
            } else {
                (0..pool.len()).min_by_key(|&i| {
                    let place = input.accounts[pool[i].account].place;
                    (planner.extra(place, d, today), pool[i].hi, pool[i].account)
                })
            };
            let Some(i) = next else { break };
            let t = pool.remove(i);
            if planner.fits(&t, d, today) {
                today.push(t);
            } else {
                later.push(t);
                break;
            }
        }
        later.extend(pool);
        rest.extend(later);
    }
    // What no day took: the nearest day to its share with room, or why not.
    for task in rest {
        place(task, &mut days, &mut not_planned);
    }

    // Order each day; what a day cannot keep tries the others.
    let mut plans: Vec<DayPlan> = Vec::with_capacity(n_days);
    let mut homeless: Vec<(Task, usize, Reason)> = Vec::new();
    for (d, today) in days.iter_mut().enumerate() {
        let (plan, dropped) = planner.route_day(d, today)?;
        today.retain(|t| !dropped.iter().any(|(x, _)| same(x, t)));
        plans.push(plan);
        homeless.extend(dropped.into_iter().map(|(t, why)| (t, d, why)));
    }
    for (task, from, first_reason) in homeless {
        let mut placed = false;
        // The day that just dropped it would drop it again.
        let mut tried = vec![false; n_days];
        tried[from] = true;
        // A few other days, the best first: each try orders a whole day.
        for _ in 0..3 {
            let Ok(d) = planner.choose_day(&task, &days, Some(&tried)) else {
                break;
            };
            tried[d] = true;
            let mut with = days[d].clone();
            with.push(task);
            let (plan, dropped) = planner.route_day(d, &with)?;
            if dropped.is_empty() {
                days[d] = with;
                plans[d] = plan;
                placed = true;
                break;
            }
        }
        if !placed {
            not_planned.push(NotPlanned {
                account: task.account,
                kind: task.kind,
                reason: first_reason,
            });
        }
    }

    let mut out = plans;
    spread_remote(input, &mut out);
    // Each account's planned visits count up to what it owes: a pinned or
    // booked visit beyond that is the rep's choice, not the call plan's.
    let mut made = vec![0u32; input.accounts.len()];
    for stop in out.iter().flat_map(|d| &d.stops) {
        made[stop.account] += 1;
    }
    let planned_owed_visits = input
        .owed
        .iter()
        .map(|o| o.visits.min(std::mem::take(&mut made[o.account])))
        .sum();
    Ok(Plan {
        days: out,
        not_planned,
        owed_visits,
        planned_owed_visits,
    })
}

fn same(a: &Task, b: &Task) -> bool {
    a.account == b.account && a.kind == b.kind && a.lo == b.lo && a.at == b.at && a.day == b.day
}

fn validate(input: &PlanInput) -> Result<(), PlanError> {
    let places = input.travel.len();
    let n_days = input.days.len();
    let n_acc = input.accounts.len();
    let check = |what, index: usize, len: usize| {
        if index < len {
            Ok(())
        } else {
            Err(PlanError::OutOfRange { what, index, len })
        }
    };
    for d in &input.days {
        check("place", d.from, places)?;
        check("place", d.to, places)?;
    }
    for (i, a) in input.accounts.iter().enumerate() {
        check("place", a.place, places)?;
        for len in [a.open.len(), a.preferred.len()] {
            if len != 0 && len != n_days {
                return Err(PlanError::OpeningDays {
                    account: i,
                    len,
                    days: n_days,
                });
            }
        }
    }
    for o in &input.owed {
        check("account", o.account, n_acc)?;
        if let Some(d) = o.due_by {
            check("day", d, n_days)?;
        }
    }
    for a in &input.appointments {
        check("account", a.account, n_acc)?;
        check("day", a.day, n_days)?;
    }
    for p in &input.pins {
        check("account", p.account, n_acc)?;
        check("day", p.day, n_days)?;
    }
    // The matrix itself is checked by the route engine, per day.
    if input.travel.iter().any(|r| r.len() != places) {
        return Err(RouteError::MatrixNotSquare {
            row: input
                .travel
                .iter()
                .position(|r| r.len() != places)
                .unwrap_or(0),
            len: 0,
            expected: places,
        }
        .into());
    }
    Ok(())
}

/// The visits to place: appointments, then each owed visit in its share of
/// the days (an appointment or a pin at an owed account is one of its
/// visits).
fn tasks(input: &PlanInput) -> Vec<Task> {
    let n_days = input.days.len();
    let mut out = Vec::new();
    let urgency = |account: usize| {
        input
            .owed
            .iter()
            .find(|o| o.account == account)
            .map_or((0, false), |o| (o.urgency, o.overdue))
    };
    for a in &input.appointments {
        let (u, overdue) = urgency(a.account);
        out.push(Task {
            account: a.account,
            kind: StopKind::Appointment,
            lo: a.day,
            hi: a.day + 1,
            day: Some(a.day),
            at: Some(a.at),
            overdue,
            urgency: u,
        });
    }
    for o in &input.owed {
        let booked = input
            .appointments
            .iter()
            .filter(|a| a.account == o.account)
            .count() as u32;
        let k = o.visits.saturating_sub(booked);
        let mut pins: Vec<usize> = input
            .pins
            .iter()
            .filter(|p| p.account == o.account)
            .map(|p| p.day)
            .collect();
        pins.sort_unstable();
        // The shares divide the days up to the end of the account's period.
        let span = o.due_by.map_or(n_days, |d| (d + 1).min(n_days));
        for t in 0..k as usize {
            let k = k as usize;
            let lo = t * span / k;
            let hi = ((t + 1) * span / k).max(lo + 1).min(span.max(1));
            // A pin takes the visit whose share holds it, or else the first.
            let pin = pins
                .iter()
                .position(|&d| (lo..hi).contains(&d))
                .or(if t + 1 == k && !pins.is_empty() {
                    Some(0)
                } else {
                    None
                })
                .map(|i| pins.remove(i));
            out.push(Task {
                account: o.account,
                kind: if pin.is_some() {
                    StopKind::Pinned
                } else {
                    StopKind::Owed
                },
                lo,
                hi,
                day: pin,
                at: None,
                overdue: o.overdue && t == 0,
                urgency: o.urgency,
            });
        }
        // Pins beyond what is owed are visits the rep wants anyway.
        for d in pins {
            out.push(Task {
                account: o.account,
                kind: StopKind::Pinned,
                lo: d,
                hi: d + 1,
                day: Some(d),
                at: None,
                overdue: false,
                urgency: o.urgency,
            });
        }
    }
    // Pins at accounts that owe nothing this period.
    for p in &input.pins {
        if !input.owed.iter().any(|o| o.account == p.account) {
            out.push(Task {
                account: p.account,
                kind: StopKind::Pinned,
                lo: p.day,
                hi: p.day + 1,
                day: Some(p.day),
                at: None,
                overdue: false,
                urgency: 0,
            });
        }
    }
    out
}

/// Share of a day a plan may fill by its estimate: the estimate is rough and
/// windows add waiting.
const FILL: f64 = 0.9;

struct Planner<'a> {
    input: &'a PlanInput,
}

impl Planner<'_> {
    fn d(&self, a: usize, b: usize) -> i64 {
        self.input.travel[a][b]
    }

    fn open(&self, account: usize, day: usize) -> Option<Window> {
        let a = &self.input.accounts[account];
        let w = self.input.days[day];
        let hours = if a.open.is_empty() {
            Some(Window::new(w.start, w.end))
        } else {
            a.open[day]
        }?;
        let lo = hours.earliest.max(w.start);
        let hi = hours.latest.min(w.end - a.visit_secs);
        (lo <= hi).then(|| Window::new(lo, hi))
    }

    /// Extra driving a visit adds to a day, estimated: the detour from the
    /// day's start and end, or the drive from the nearest place planned (a
    /// route through a cluster drives about one such leg per visit).
    fn extra(&self, place: usize, day: usize, planned: &[Task]) -> i64 {
        let w = self.input.days[day];
        let mut best = self.d(w.from, place) + self.d(place, w.to) - self.d(w.from, w.to);
        for t in planned {
            let q = self.input.accounts[t.account].place;
            best = best.min(self.d(q, place).min(self.d(place, q)));
        }
        best.max(0)
    }

    fn load(&self, day: usize, planned: &[Task]) -> i64 {
        let mut places: Vec<Task> = Vec::with_capacity(planned.len());
        let mut load = 0;
        for t in planned {
            let a = &self.input.accounts[t.account];
            load += a.visit_secs + self.extra(a.place, day, &places);
            places.push(*t);
        }
        load
    }

    /// The previous plan's day of this account, while it is open, in the
    /// task's share and free of the account: the day's own ordering finds out
    /// if it no longer fits.
    fn previous_day(&self, task: &Task, days: &[Vec<Task>]) -> Option<usize> {
        self.input.previous.iter().find_map(|&(a, d)| {
            (a == task.account
                && d < days.len()
                && (task.lo..task.hi).contains(&d)
                && self.open(a, d).is_some()
                && !days[d].iter().any(|t| t.account == a))
            .then_some(d)
        })
    }

    /// Whether the day takes one more visit by its estimated work, and does
    /// not hold the account yet.
    fn fits(&self, task: &Task, day: usize, planned: &[Task]) -> bool {
        let w = self.input.days[day];
        // The break is time out of the day's work.
        let length = w.end - w.start - w.rest.map_or(0, |r| r.length);
        let cap = (length as f64 * FILL) as i64;
        let a = &self.input.accounts[task.account];
        !planned.iter().any(|t| t.account == task.account)
            && self.load(day, planned) + a.visit_secs + self.extra(a.place, day, planned) <= cap
    }

    /// The day a task goes on, or why there is none. `tried` days are out.
    fn choose_day(
        &self,
        task: &Task,
        days: &[Vec<Task>],
        tried: Option<&[bool]>,
    ) -> Result<usize, Reason> {
        let n_days = days.len();
        let account = &self.input.accounts[task.account];
        let usable = |d: usize| tried.is_none_or(|t| !t[d]);
        if let Some(d) = task.day {
            if !usable(d) {
                return Err(Reason::NoRoom);
            }
            // A booked time stands even on a day the hours say closed.
            return if task.at.is_some() || self.open(task.account, d).is_some() {
                Ok(d)
            } else {
                Err(Reason::Closed)
            };
        }
        let open_days: Vec<usize> = (0..n_days)
            .filter(|&d| self.open(task.account, d).is_some())
            .collect();
        if open_days.is_empty() {
            return Err(Reason::Closed);
        }
        let fits = |d: usize| self.fits(task, d, &days[d]);
        let candidates: Vec<usize> = open_days
            .iter()
            .copied()
            .filter(|&d| usable(d) && fits(d))
            .collect();
        // Days in its share first (off by 0), then the nearest to it; an overdue
        // visit takes the earliest, any other the one it adds least driving to.
        candidates
            .iter()
            .copied()
            .min_by_key(|&d| {
                let extra = self.extra(account.place, d, &days[d]);
                let off = if d < task.lo {
                    task.lo - d
                } else {
                    d.saturating_sub(task.hi - 1)
                };
                if task.overdue {
                    (off, d as i64, extra)
                } else {
                    (off, extra, d as i64)
                }
            })
            .ok_or(Reason::NoRoom)
    }

    /// Order one day's visits; the ones it cannot keep come back with why.
    fn route_day(
        &self,
        day: usize,
        tasks: &[Task],
    ) -> Result<(DayPlan, Vec<(Task, Reason)>), PlanError> {
        let w = self.input.days[day];
        let closed = w.from == w.to;
        let mut places = vec![w.from];
        let mut windows = vec![Window::new(w.start, w.end)];
        let mut service = vec![0];
        let mut urgency = vec![0];
        let mut preferred = vec![None];
        let mut kept_tasks = Vec::new();
        let mut dropped = Vec::new();
        for t in tasks {
            let a = &self.input.accounts[t.account];
            let window = match t.at {
                Some(at) if at >= w.start && at + a.visit_secs <= w.end => {
                    Some(Window::new(at, at))
                }
                Some(_) => None,
                None => self.open(t.account, day),
            };
            let Some(window) = window else {
                let why = if t.at.is_some() {
                    Reason::Clash
                } else {
                    Reason::Closed
                };
                dropped.push((*t, why));
                continue;
            };
            places.push(a.place);
            windows.push(window);
            service.push(a.visit_secs);
            urgency.push(t.weight());
            preferred.push(match t.at {
                Some(_) => None,
                None => a.preferred.get(day).copied().flatten(),
            });
            kept_tasks.push(*t);
        }
        if !closed {
            places.push(w.to);
            windows.push(Window::new(w.start, w.end));
            service.push(0);
            urgency.push(0);
            preferred.push(None);
        }
        let travel: Vec<Vec<i64>> = places
            .iter()
            .map(|&a| {
                places
                    .iter()
                    .map(|&b| if a == b { 0 } else { self.d(a, b) })
                    .collect()
            })
            .collect();
        let end = if closed {
            End::Start
        } else {
            End::Stop(places.len() - 1)
        };
        let problem = TimedProblem::new(travel, service, windows, 0, end)?;
        let options = TimedOptions {
            seed: self.input.seed,
            max_kicks: None,
        };
        // Only an appointment has the highest urgency, so the break yields to them alone.
        let (fitted, no_rest) =
            fit_windows_preferring(&problem, &preferred, w.rest, &urgency, &options)?;
        for d in &fitted.dropped {
            let t = kept_tasks[d.stop - 1];
            let why = match (t.kind, d.reason) {
                (StopKind::Appointment, _) => Reason::Clash,
                (_, WindowDrop::OutOfReach) => Reason::OutOfReach,
                (_, WindowDrop::Crowded) => Reason::NoRoom,
            };
            dropped.push((t, why));
        }
        let s = &fitted.schedule;
        let is_stop = |stop: usize| stop != 0 && (closed || stop != places.len() - 1);
        let rest = s.rest.map(|r| Taken {
            after_stops: s.visits[..r.after]
                .iter()
                .filter(|v| is_stop(v.stop))
                .count(),
            begin: r.begin,
            end: r.end,
        });
        let stops = s
            .visits
            .iter()
            .filter(|v| is_stop(v.stop))
            .map(|v| {
                let t = kept_tasks[v.stop - 1];
                Stop {
                    account: t.account,
                    kind: t.kind,
                    arrive: v.arrive,
                    begin: v.begin,
                    depart: v.depart,
                }
            })
            .collect();
        Ok((
            DayPlan {
                stops,
                calls: Vec::new(),
                emails: Vec::new(),
                drive_secs: s.travel,
                finish: s.finish,
                rest,
                no_rest,
            },
            dropped,
        ))
    }
}

/// Calls and e-mails: each account's i-th of k in the i-th k-th of the days,
/// on the day of that share with the fewest so far (a day the account is
/// visited is skipped when another will do: the visit covers the talk).
fn spread_remote(input: &PlanInput, days: &mut [DayPlan]) {
    let n = days.len();
    if n == 0 {
        return;
    }
    let mut owed: Vec<&Owed> = input.owed.iter().collect();
    owed.sort_by_key(|o| (std::cmp::Reverse(o.urgency), o.account));
    for o in owed {
        for (k, is_call) in [(o.calls, true), (o.emails, false)] {
            for t in 0..k as usize {
                let k = k as usize;
                let lo = t * n / k;
                let hi = ((t + 1) * n / k).max(lo + 1).min(n);
                let load = |d: &DayPlan| {
                    if is_call {
                        d.calls.len()
                    } else {
                        d.emails.len()
                    }
                };
                let best = (lo..hi)
                    .min_by_key(|&d| {
                        let visited = days[d].stops.iter().any(|s| s.account == o.account);
                        (visited, load(&days[d]), d)
                    })
                    .unwrap_or(lo);
                if is_call {
                    days[best].calls.push(o.account);
                } else {
                    days[best].emails.push(o.account);
                }
            }
        }
    }
}

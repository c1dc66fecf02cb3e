//! `plan-bench`: plans 4 weeks for a generated territory and prints the
//! figures: time to plan, time to re-plan after one change, visits
//! delivered and drive time, against a baseline measured in the same run
//! (the one-day planner applied day by day: each day takes the most urgent
//! visits still owed that fit it, with no thought for the days after).
//!
//! `plan-bench [--accounts N] [--days D] [--seed S]` (defaults 500, 20, 1).
#![allow(clippy::disallowed_methods)] // The binary owns the clock; the library never reads it.

use std::time::Instant;

use rounds_plan::{Account, Owed, Pin, PlanInput, WorkDay, plan};
use rounds_route::{End, Rest, TimedOptions, TimedProblem, Window, fit_windows};

fn main() {
    let mut accounts = 500usize;
    let mut days = 20usize;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| fail(&format!("{a} needs a number")))
        };
        match a.as_str() {
            "--accounts" => accounts = value() as usize,
            "--days" => days = value() as usize,
            "--seed" => seed = value(),
            other => fail(&format!("unknown argument {other}")),
        }
    }
    let input = territory(accounts, days, seed);
    let owed: u32 = input.owed.iter().map(|o| o.visits).sum();

    let t0 = Instant::now();
    let first = plan(&input).unwrap_or_else(|e| fail(&e.to_string()));
    let plan_ms = t0.elapsed().as_secs_f64() * 1000.0;

    // One change: the rep pins an account to the third day.
    let mut changed = input.clone();
    changed.previous = first
        .days
        .iter()
        .enumerate()
        .flat_map(|(d, day)| day.stops.iter().map(move |s| (s.account, d)))
        .collect();
    let moved = first.days[0].stops.first().map_or(0, |s| s.account);
    changed.pins.push(Pin {
        account: moved,
        day: 2.min(days - 1),
    });
    let t1 = Instant::now();
    let second = plan(&changed).unwrap_or_else(|e| fail(&e.to_string()));
    let replan_ms = t1.elapsed().as_secs_f64() * 1000.0;
    let days_changed = (0..days)
        .filter(|&d| {
            let a: Vec<usize> = sorted(first.days[d].stops.iter().map(|s| s.account));
            let b: Vec<usize> = sorted(second.days[d].stops.iter().map(|s| s.account));
            a != b
        })
        .count();

    // The same days with a 30-minute lunch started between 12:00 and 13:30.
    let mut lunch = input.clone();
    for d in &mut lunch.days {
        d.rest = Some(Rest {
            window: Window::new(h(12.0), h(13.5)),
            length: h(0.5),
        });
    }
    let t3 = Instant::now();
    let with_lunch = plan(&lunch).unwrap_or_else(|e| fail(&e.to_string()));
    let lunch_ms = t3.elapsed().as_secs_f64() * 1000.0;

    let t2 = Instant::now();
    let (base_visits, base_drive) = baseline(&input);
    let base_ms = t2.elapsed().as_secs_f64() * 1000.0;

    println!("territory: {accounts} accounts, {days} workdays, {owed} visits owed");
    println!(
        "period plan:  {:>4} visits planned, drive {:>6.1} h, planned in {plan_ms:>7.0} ms",
        first.planned_owed_visits,
        first.drive_secs() as f64 / 3600.0
    );
    println!(
        "baseline:     {:>4} visits planned, drive {:>6.1} h, planned in {base_ms:>7.0} ms",
        base_visits,
        base_drive as f64 / 3600.0
    );
    println!(
        "drive per visit, baseline / plan: {:.2}",
        (base_drive as f64 / base_visits.max(1) as f64)
            / (first.drive_secs() as f64 / first.planned_owed_visits.max(1) as f64)
    );
    println!(
        "with lunch:   {:>4} visits planned, drive {:>6.1} h, planned in {lunch_ms:>7.0} ms ({:.2}x the time without)",
        with_lunch.planned_owed_visits,
        with_lunch.drive_secs() as f64 / 3600.0,
        lunch_ms / plan_ms.max(1e-9)
    );
    println!(
        "re-plan after pinning one visit: {replan_ms:.0} ms, {days_changed} of {days} days changed"
    );
    println!("{}", first.summary(|a| format!("account {a}")));
}

/// Hours as seconds.
fn h(hours: f64) -> i64 {
    (hours * 3600.0) as i64
}

fn sorted(it: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v
}

fn fail(msg: &str) -> ! {
    eprintln!("plan-bench: {msg}");
    std::process::exit(2)
}

/// Accounts spread over a 60 x 40 km territory around the rep's home (place
/// 0); drive time at 40 km/h over 1.3x the straight line. Hours: most 9–17,
/// some mornings only, some closed on Fridays. Priorities A (5 %: 2 visits),
/// B (25 %: 1 visit and 2 calls), C (calls and e-mails only); some overdue:
/// about 9 visits a workday.
fn territory(accounts: usize, days: usize, seed: u64) -> PlanInput {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut pts = vec![(0.0, 0.0)];
    for _ in 0..accounts {
        pts.push(((next() - 0.5) * 60_000.0, (next() - 0.5) * 40_000.0));
    }
    let travel: Vec<Vec<i64>> = pts
        .iter()
        .map(|a| {
            pts.iter()
                .map(|b| ((a.0 - b.0).hypot(a.1 - b.1) * 1.3 / (40_000.0 / 3600.0)) as i64)
                .collect()
        })
        .collect();
    let mut list = Vec::new();
    let mut owed = Vec::new();
    for i in 0..accounts {
        let kind = next();
        let open: Vec<Option<Window>> = (0..days)
            .map(|d| {
                if kind < 0.1 && d % 5 == 4 {
                    None
                } else if kind < 0.3 {
                    Some(Window::new(h(8.0), h(12.0)))
                } else {
                    Some(Window::new(h(9.0), h(17.0)))
                }
            })
            .collect();
        list.push(Account {
            place: i + 1,
            visit_secs: h(0.5),
            open,
            preferred: Vec::new(),
        });
        let p = next();
        let (visits, calls, emails, urgency) = if p < 0.05 {
            (2, 2, 4, 3)
        } else if p < 0.3 {
            (1, 2, 0, 2)
        } else {
            (0, 1, 2, 1)
        };
        owed.push(Owed {
            account: i,
            visits,
            calls,
            emails,
            overdue: next() < 0.1,
            urgency,
            due_by: None,
        });
    }
    PlanInput {
        travel,
        days: (0..days)
            .map(|_| WorkDay {
                start: h(8.0),
                end: h(17.5),
                from: 0,
                to: 0,
                rest: None,
            })
            .collect(),
        accounts: list,
        owed,
        appointments: Vec::new(),
        pins: Vec::new(),
        previous: Vec::new(),
        seed,
    }
}

/// The one-day planner, day by day: the 40 most pressing visits still owed
/// (overdue, then priority) are offered to the day's fit; what it keeps is
/// done, the rest waits for the next day.
fn baseline(input: &PlanInput) -> (u32, i64) {
    let mut left: Vec<(usize, u32)> = input
        .owed
        .iter()
        .filter(|o| o.visits > 0)
        .map(|o| (o.account, o.visits))
        .collect();
    let mut visits = 0;
    let mut drive = 0;
    for (d, day) in input.days.iter().enumerate() {
        left.sort_by_key(|&(a, k)| {
            let o = input.owed.iter().find(|o| o.account == a).expect("owed");
            (std::cmp::Reverse((o.overdue, o.urgency, k)), a)
        });
        let offered: Vec<usize> = left
            .iter()
            .filter(|&&(a, _)| input.accounts[a].open[d].is_some())
            .take(40)
            .map(|&(a, _)| a)
            .collect();
        let mut places = vec![day.from];
        let mut windows = vec![Window::new(day.start, day.end)];
        let mut service = vec![0];
        let mut urgency = vec![0];
        for &a in &offered {
            let acc = &input.accounts[a];
            let w = acc.open[d].expect("open");
            places.push(acc.place);
            windows.push(Window::new(
                w.earliest.max(day.start),
                w.latest.min(day.end - acc.visit_secs),
            ));
            service.push(acc.visit_secs);
            urgency.push(input.owed[a].urgency);
        }
        let travel = places
            .iter()
            .map(|&a| places.iter().map(|&b| input.travel[a][b]).collect())
            .collect();
        let problem = TimedProblem::new(travel, service, windows, 0, End::Start)
            .unwrap_or_else(|e| fail(&e.to_string()));
        let options = TimedOptions {
            seed: input.seed,
            max_kicks: None,
        };
        let fitted =
            fit_windows(&problem, &urgency, &options).unwrap_or_else(|e| fail(&e.to_string()));
        drive += fitted.schedule.travel;
        for v in fitted.schedule.visits.iter().skip(1) {
            let a = offered[v.stop - 1];
            visits += 1;
            if let Some(e) = left.iter_mut().find(|e| e.0 == a) {
                e.1 -= 1;
            }
        }
        left.retain(|e| e.1 > 0);
    }
    (visits, drive)
}

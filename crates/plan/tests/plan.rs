//! The period planner's rules, one table or case each, and the properties
//! every plan keeps.

use proptest::prelude::*;
use rounds_plan::{
    Account, Appointment, Owed, Pin, Plan, PlanInput, Reason, StopKind, WorkDay, plan,
};
use rounds_route::{Rest, Window};

const H: i64 = 3600;

/// Places on a line, 600 s apart; place 0 is home. Days 8:00–17:00 from home.
fn input(places: usize, days: usize) -> PlanInput {
    PlanInput {
        travel: (0..places)
            .map(|i| {
                (0..places)
                    .map(|j| 600 * (i as i64 - j as i64).abs())
                    .collect()
            })
            .collect(),
        days: (0..days)
            .map(|_| WorkDay {
                start: 8 * H,
                end: 17 * H,
                from: 0,
                to: 0,
                rest: None,
            })
            .collect(),
        ..PlanInput::default()
    }
}

fn account(place: usize) -> Account {
    Account {
        place,
        visit_secs: H / 2,
        open: Vec::new(),
        preferred: Vec::new(),
    }
}

fn owed(account: usize, visits: u32) -> Owed {
    Owed {
        account,
        visits,
        calls: 0,
        emails: 0,
        overdue: false,
        urgency: 1,
        due_by: None,
    }
}

/// The days each account is visited on.
fn days_of(p: &Plan, account: usize) -> Vec<usize> {
    p.days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.stops.iter().any(|s| s.account == account))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn two_visits_are_spaced_through_the_period() {
    let mut i = input(3, 10);
    i.accounts = vec![account(1), account(2)];
    i.owed = vec![owed(0, 2), owed(1, 1)];
    let p = plan(&i).unwrap();
    let d = days_of(&p, 0);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0] < 5 && d[1] >= 5, "one in each half: {d:?}");
    assert_eq!((p.planned_owed_visits, p.owed_visits), (3, 3));
}

#[test]
fn a_period_that_ends_early_keeps_its_visits_before_its_end() {
    let mut i = input(3, 10);
    i.accounts = vec![account(1), account(2)];
    i.owed = vec![
        Owed {
            due_by: Some(3),
            ..owed(0, 2)
        },
        owed(1, 1),
    ];
    let p = plan(&i).unwrap();
    let d = days_of(&p, 0);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0] < 2 && (2..=3).contains(&d[1]),
        "spaced inside days 0–3: {d:?}"
    );
}

#[test]
fn an_overdue_visit_goes_on_the_first_day() {
    let mut i = input(4, 5);
    i.accounts = vec![account(1), account(2), account(3)];
    i.owed = vec![
        owed(0, 1),
        owed(1, 1),
        Owed {
            overdue: true,
            ..owed(2, 1)
        },
    ];
    let p = plan(&i).unwrap();
    assert_eq!(days_of(&p, 2), vec![0]);
}

#[test]
fn opening_hours_are_kept_and_a_closed_account_is_reported() {
    let mut i = input(3, 5);
    // Open only on the fifth day (a Friday), 14:00–15:00; never open at all.
    let friday: Vec<Option<Window>> = (0..5)
        .map(|d| (d == 4).then(|| Window::new(14 * H, 15 * H)))
        .collect();
    i.accounts = vec![
        Account {
            open: friday,
            ..account(1)
        },
        Account {
            open: vec![None; 5],
            ..account(2)
        },
    ];
    i.owed = vec![owed(0, 1), owed(1, 1)];
    let p = plan(&i).unwrap();
    let stop = p.days[4].stops[0];
    assert_eq!(stop.account, 0);
    assert!((14 * H..=15 * H).contains(&stop.begin), "{stop:?}");
    assert_eq!(p.not_planned.len(), 1);
    assert_eq!(
        (p.not_planned[0].account, p.not_planned[0].reason),
        (1, Reason::Closed)
    );
    let names = ["Acme", "Bolt"];
    assert_eq!(
        p.summary(|a| names[a].to_owned()),
        "Delivers 1 of 2 owed visits; 1 at risk: Bolt (closed on every day left)."
    );
}

#[test]
fn appointments_keep_their_time_and_count_as_the_visit_owed() {
    let mut i = input(3, 3);
    i.accounts = vec![account(1), account(2)];
    i.owed = vec![owed(0, 1), owed(1, 1)];
    i.appointments = vec![Appointment {
        account: 0,
        day: 1,
        at: 10 * H + H / 2,
    }];
    let p = plan(&i).unwrap();
    assert_eq!(days_of(&p, 0), vec![1], "one visit: the appointment");
    let s = p.days[1].stops.iter().find(|s| s.account == 0).unwrap();
    assert_eq!((s.kind, s.begin), (StopKind::Appointment, 10 * H + H / 2));
    assert_eq!((p.planned_owed_visits, p.owed_visits), (2, 2));
}

/// A 30-minute lunch started between 12:00 and 13:30.
fn lunch() -> Option<Rest> {
    Some(Rest {
        window: Window::new(12 * H, 13 * H + H / 2),
        length: H / 2,
    })
}

/// The break inside its window, clear of every visit, with the stops it says before it.
fn rest_is_clear(day: &rounds_plan::DayPlan, rest: Rest) -> Result<(), String> {
    let Some(r) = day.rest else {
        return Err(format!("no break in {day:?}"));
    };
    if r.begin < rest.window.earliest
        || r.begin > rest.window.latest
        || r.end - r.begin != rest.length
    {
        return Err(format!("break {r:?} outside {rest:?}"));
    }
    let (before, after) = day.stops.split_at(r.after_stops);
    if before.iter().any(|s| s.depart > r.begin) || after.iter().any(|s| s.begin < r.end) {
        return Err(format!("break {r:?} overlaps a visit: {:?}", day.stops));
    }
    Ok(())
}

#[test]
fn a_lunch_break_is_planned_between_visits_and_costs_its_length() {
    let mut i = input(9, 1);
    i.accounts = (1..9).map(account).collect();
    i.owed = (0..8).map(|a| owed(a, 1)).collect();
    let without = plan(&i).unwrap();
    i.days[0].rest = lunch();
    let with = plan(&i).unwrap();
    rest_is_clear(&with.days[0], lunch().unwrap()).unwrap();
    assert!(!with.days[0].no_rest);
    assert_eq!(with.days[0].stops.len(), without.days[0].stops.len());
    // Visits from 8:00 with no wait: the break moves the rest of the day by its length.
    assert_eq!(with.days[0].finish, without.days[0].finish + H / 2);
}

#[test]
fn a_day_full_without_lunch_leaves_a_visit_out_with_it() {
    // Eight hours of visits and 40 minutes of driving in a nine-hour day: a lunch does not fit.
    let mut i = input(3, 1);
    i.accounts = vec![
        Account {
            visit_secs: 4 * H,
            ..account(1)
        },
        Account {
            visit_secs: 4 * H,
            ..account(2)
        },
    ];
    i.owed = vec![owed(0, 1), owed(1, 1)];
    // Put there by the rep: past the planner's estimate of a day's work.
    i.pins = vec![Pin { account: 0, day: 0 }, Pin { account: 1, day: 0 }];
    let p = plan(&i).unwrap();
    assert_eq!(p.days[0].stops.len(), 2, "{p:?}");
    i.days[0].rest = lunch();
    let p = plan(&i).unwrap();
    assert_eq!(p.days[0].stops.len(), 1, "{:?}", p.days);
    rest_is_clear(&p.days[0], lunch().unwrap()).unwrap();
    assert_eq!(p.not_planned.len(), 1);
    assert_eq!(p.not_planned[0].reason, Reason::NoRoom);
}

#[test]
fn an_appointment_over_lunch_is_kept_and_the_day_goes_without() {
    let mut i = input(3, 1);
    i.accounts = vec![
        Account {
            visit_secs: 3 * H,
            ..account(1)
        },
        account(2),
    ];
    i.owed = vec![owed(0, 1), owed(1, 1)];
    i.appointments = vec![Appointment {
        account: 0,
        day: 0,
        at: 11 * H,
    }];
    i.days[0].rest = lunch();
    let p = plan(&i).unwrap();
    let s = p.days[0]
        .stops
        .iter()
        .find(|s| s.account == 0)
        .expect("the appointment is kept");
    assert_eq!((s.kind, s.begin), (StopKind::Appointment, 11 * H));
    assert_eq!(p.days[0].rest, None);
    assert!(p.days[0].no_rest);
}

#[test]
fn a_preferred_hour_is_kept_when_the_day_allows_and_no_visit_is_lost_for_it() {
    // Three shops whose buyers all like 15:00-15:30; an hour-long visit each.
    let mut i = input(4, 1);
    i.accounts = (1..4)
        .map(|p| Account {
            visit_secs: H,
            preferred: vec![Some(Window::new(15 * H, 15 * H + H / 2))],
            ..account(p)
        })
        .collect();
    i.owed = (0..3).map(|a| owed(a, 1)).collect();
    let p = plan(&i).unwrap();
    assert_eq!(p.planned_owed_visits, 3, "{p:?}");
    let begins: Vec<i64> = p.days[0].stops.iter().map(|s| s.begin).collect();
    let kept = begins
        .iter()
        .filter(|&&b| (15 * H..=15 * H + H / 2).contains(&b))
        .count();
    assert_eq!(
        kept, 1,
        "one gets its half hour, the others another time: {begins:?}"
    );
    // Alone, it is kept.
    i.owed.truncate(1);
    let p = plan(&i).unwrap();
    assert_eq!(p.days[0].stops[0].begin, 15 * H);
}

#[test]
fn two_appointments_at_once_far_apart_clash() {
    let mut i = input(12, 2);
    i.accounts = vec![account(1), account(11)];
    i.appointments = vec![
        Appointment {
            account: 0,
            day: 0,
            at: 10 * H,
        },
        Appointment {
            account: 1,
            day: 0,
            at: 10 * H,
        },
    ];
    let p = plan(&i).unwrap();
    assert_eq!(p.days[0].stops.len(), 1);
    assert_eq!(p.not_planned.len(), 1);
    assert_eq!(p.not_planned[0].reason, Reason::Clash);
}

#[test]
fn a_pinned_visit_stays_on_its_day() {
    let mut i = input(3, 10);
    i.accounts = vec![account(1), account(2)];
    i.owed = vec![owed(0, 1), owed(1, 0)];
    i.pins = vec![Pin { account: 0, day: 7 }, Pin { account: 1, day: 3 }];
    let p = plan(&i).unwrap();
    assert_eq!(days_of(&p, 0), vec![7]);
    assert_eq!(days_of(&p, 1), vec![3], "a pin plans a visit nothing owes");
    assert_eq!(p.planned_owed_visits, 1, "only the owed one counts");
}

#[test]
fn days_are_made_of_neighbours() {
    // Two towns 2 h apart, four accounts each, two days: each day one town.
    let mut i = input(1, 2);
    let town = |x: i64| [x, x + 1, x + 2, x + 3];
    let xs: Vec<i64> = std::iter::once(0)
        .chain(town(100))
        .chain(town(112))
        .collect();
    i.travel = xs
        .iter()
        .map(|a| xs.iter().map(|b| 60 * (a - b).abs()).collect())
        .collect();
    i.accounts = (1..=8).map(account).collect();
    i.owed = (0..8).map(|a| owed(a, 1)).collect();
    let p = plan(&i).unwrap();
    let mut towns: Vec<Vec<usize>> = p
        .days
        .iter()
        .map(|d| {
            let mut a: Vec<usize> = d.stops.iter().map(|s| s.account / 4).collect();
            a.dedup();
            a
        })
        .collect();
    towns.sort();
    assert_eq!(towns, vec![vec![0], vec![1]], "{p:?}");
}

#[test]
fn re_planning_from_a_plan_keeps_its_days() {
    let mut i = input(9, 10);
    i.accounts = (1..=8).map(account).collect();
    i.owed = (0..8).map(|a| owed(a, 1 + (a % 2) as u32)).collect();
    let first = plan(&i).unwrap();
    i.previous = first
        .days
        .iter()
        .enumerate()
        .flat_map(|(d, day)| day.stops.iter().map(move |s| (s.account, d)))
        .collect();
    let again = plan(&i).unwrap();
    for a in 0..8 {
        assert_eq!(days_of(&again, a), days_of(&first, a), "account {a}");
    }
}

#[test]
fn calls_and_emails_are_spread_over_the_days() {
    let mut i = input(2, 4);
    i.accounts = vec![account(1)];
    i.owed = vec![Owed {
        calls: 4,
        emails: 2,
        ..owed(0, 0)
    }];
    let p = plan(&i).unwrap();
    let calls: Vec<usize> = p.days.iter().map(|d| d.calls.len()).collect();
    let emails: Vec<usize> = p.days.iter().map(|d| d.emails.len()).collect();
    assert_eq!(calls, vec![1, 1, 1, 1]);
    assert_eq!(emails.iter().sum::<usize>(), 2);
    assert!(
        emails[..2].iter().sum::<usize>() == 1,
        "one in each half: {emails:?}"
    );
}

#[test]
fn bad_input_is_refused() {
    let mut i = input(2, 2);
    i.accounts = vec![account(5)];
    assert!(
        plan(&i).is_err(),
        "an account at a place that does not exist"
    );
    let mut i = input(2, 2);
    i.accounts = vec![Account {
        open: vec![None],
        ..account(1)
    }];
    assert!(plan(&i).is_err(), "hours for 1 day of 2");
    let mut i = input(2, 2);
    i.accounts = vec![account(1)];
    i.appointments = vec![Appointment {
        account: 0,
        day: 5,
        at: 0,
    }];
    assert!(plan(&i).is_err(), "an appointment on a day past the plan");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random territories: no visit outside its account's hours or the day,
    /// appointments at their times, every owed visit planned or listed with
    /// a reason, and the same input gives the same plan.
    #[test]
    fn every_plan_keeps_the_rules(seed in 0u64..u64::MAX, n in 1usize..30, days in 1usize..8) {
        let mut x = seed | 1;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut i = input(n + 1, days);
        i.seed = seed;
        i.accounts = (1..=n)
            .map(|p| {
                let kind = next(3);
                Account {
                    place: p,
                    visit_secs: 600 + 300 * next(6) as i64,
                    open: (0..days)
                        .map(|_| match kind {
                            0 => Some(Window::new(9 * H, 12 * H)),
                            1 if next(3) == 0 => None,
                            _ => Some(Window::new(8 * H, 17 * H)),
                        })
                        .collect(),
                        preferred: Vec::new(),
                }
            })
            .collect();
        i.owed = (0..n)
            .map(|a| Owed { overdue: next(5) == 0, urgency: next(4) as u32, ..owed(a, next(3) as u32) })
            .collect();
        if n > 1 {
            i.appointments = vec![Appointment { account: 0, day: 0, at: 11 * H }];
        }
        let with_lunch = next(2) == 0;
        if with_lunch {
            for d in &mut i.days {
                d.rest = lunch();
            }
        }
        let p = plan(&i).unwrap();
        for day in p.days.iter().filter(|_| with_lunch) {
            match (day.rest, day.no_rest) {
                (Some(_), false) => {
                    if let Err(e) = rest_is_clear(day, lunch().unwrap()) {
                        return Err(TestCaseError::fail(e));
                    }
                }
                // Over before lunch: nothing, or visits done by noon.
                (None, false) => prop_assert!(day.finish <= 12 * H, "{day:?}"),
                (None, true) => prop_assert!(day.stops.iter().any(|s| s.kind == StopKind::Appointment)),
                (Some(_), true) => prop_assert!(false, "a break on a day without one"),
            }
        }
        prop_assert_eq!(&p, &plan(&i).unwrap());
        for (d, day) in p.days.iter().enumerate() {
            for s in &day.stops {
                let a = &i.accounts[s.account];
                prop_assert!(s.begin >= 8 * H && s.depart <= 17 * H, "{s:?}");
                // A booked appointment is kept even when the account's hours
                // say closed: the customer agreed to it.
                if s.kind == StopKind::Appointment {
                    prop_assert_eq!(s.begin, 11 * H);
                } else if let Some(w) = a.open[d] {
                    prop_assert!(w.earliest <= s.begin && s.begin <= w.latest, "{s:?} {w:?}");
                } else {
                    prop_assert!(false, "visit on a closed day: {s:?}");
                }
            }
            prop_assert!(day.finish <= 17 * H);
        }
        for o in &i.owed {
            let planned = p.days.iter().flat_map(|d| &d.stops).filter(|s| s.account == o.account).count() as u32;
            let listed = p.not_planned.iter().filter(|m| m.account == o.account).count() as u32;
            prop_assert!(planned + listed >= o.visits, "account {}: {planned} planned, {listed} listed, {} owed", o.account, o.visits);
        }
        prop_assert_eq!(
            p.planned_owed_visits + p.not_planned.iter().filter(|m| m.kind != StopKind::Appointment || i.owed.iter().any(|o| o.account == m.account && o.visits > 0)).count() as u32,
            p.owed_visits
        );
    }
}

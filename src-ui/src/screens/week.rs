//! Week: the next two weeks' workdays, each with its visits in order and at their
//! times, the calls and e-mails of the day, and what fits on no day. Planned on the
//! device, offline.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::AccountId;
use rounds_protocol::ipc::{
    Horizon, IpcError, LunchSlot, PinToDay, PlanWeek, RouteCandidate, WeekDay, WeekPlan,
};

use crate::map::{MapStop, PathMap};
use crate::parts::fetched;
use crate::state::{Fetch, Screen, ctx};
use crate::{format, ipc, words};

#[component]
pub fn Week() -> impl IntoView {
    let ctx = ctx();
    let f: Fetch<WeekPlan> = Fetch::new();
    let horizon = RwSignal::new(Horizon::TwoWeeks);
    let load = move || {
        f.run(ipc::plan_week(PlanWeek {
            horizon: horizon.get_untracked(),
        }))
    };
    load();
    Effect::watch(move || ctx.refresh.get(), move |_, _, _| load(), false);
    let reload = Callback::new(move |_| load());
    let body = fetched(f, reload, move |w| {
        view! { <Loaded week=w reload=reload /> }.into_any()
    });
    view! {
        <section id="week" class="screen" class:loading=move || f.loading()>
            <div class="screen-head">
                <div>
                    <h1>{move || match horizon.get() {
                        Horizon::TwoWeeks => "The next two weeks",
                        Horizon::MonthEnd => "The rest of the month",
                        Horizon::FourWeeks => "The next four weeks",
                    }}</h1>
                    <p class="muted">
                        "Owed visits spread through their period, overdue first, each day's visits close together. Straight-line drive estimates."
                    </p>
                    <label class="label" for="week-horizon">"Plan"</label>
                    <select id="week-horizon" on:change=move |ev| {
                        horizon.set(match event_target_value(&ev).as_str() {
                            "month_end" => Horizon::MonthEnd,
                            "four_weeks" => Horizon::FourWeeks,
                            _ => Horizon::TwoWeeks,
                        });
                        load();
                    }>
                        <option value="two_weeks" selected=true>"the next two weeks"</option>
                        <option value="month_end">"to the end of the month"</option>
                        <option value="four_weeks">"the next four weeks"</option>
                    </select>
                </div>
            </div>
            {body}
        </section>
    }
}

#[component]
fn Loaded(week: WeekPlan, reload: Callback<()>) -> impl IntoView {
    // A visit moves to a workday only: a day off is in the plan for its appointments.
    let dates: Vec<NaiveDate> = week
        .days
        .iter()
        .filter(|d| !d.day_off)
        .map(|d| d.date)
        .collect();
    let days = week
        .days
        .into_iter()
        .map(|d| view! { <Day day=d dates=dates.clone() reload=reload /> })
        .collect_view();
    view! {
        <p class="week-summary" id="week-summary">{week.summary}</p>
        <SaveCalendar />
        <ol class="week-days">{days}</ol>
        <Missing id="week-not-planned" title="Fits on no day" items=week.not_planned />
        <Missing id="week-unplaced" title="No location: cannot be planned" items=week.unplaced />
    }
}

/// Saves the plan and the appointments ahead as a file a calendar app opens; offline.
#[component]
fn SaveCalendar() -> impl IntoView {
    let note = RwSignal::new(None::<Result<String, IpcError>>);
    let busy = RwSignal::new(false);
    let save = move |_| {
        busy.set(true);
        spawn_local(async move {
            let out = ipc::save_week_calendar().await;
            busy.set(false);
            note.set(Some(out));
        });
    };
    view! {
        <div class="week-calendar">
            <button id="week-save-calendar" class="button secondary" on:click=save disabled=move || busy.get()>
                "Save to a calendar file"
            </button>
            {move || note.get().map(|n| match n {
                Ok(path) => view! {
                    <p id="week-calendar-note" class="form-ok" role="status">
                        "Saved as " <span class="path">{path}</span>
                        ". Open it with your calendar app; planned visits come in as tentative. To follow every re-plan, subscribe to the address on the Sync screen instead."
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{words::error(&e)}</p> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn Day(day: WeekDay, dates: Vec<NaiveDate>, reload: Callback<()>) -> impl IntoView {
    let home = day.base;
    let end = day.end.or(day.base);
    let ctx = ctx();
    let empty = day.stops.is_empty();
    // The day's visits with a pin, in order, for its map (drawn only when asked for).
    let on_map: Vec<MapStop> = day
        .stops
        .iter()
        .filter_map(|s| {
            Some(MapStop {
                at: s.location?,
                name: s.name.clone(),
                class: if s.overdue {
                    "st-overdue"
                } else {
                    "st-on-track"
                },
            })
        })
        .collect();
    let show_map = RwSignal::new(false);
    let map = move || {
        show_map.get().then(|| {
            let online = web_sys::window().is_some_and(|w| w.navigator().on_line());
            view! {
                <PathMap stops=on_map.clone() home=home.map(|h| (h, "Where the day starts".to_owned()))
                    end=end.map(|e| (e, "Where the day ends".to_owned()))
                    label="Map of the day's visits" online=online />
            }
        })
    };
    let head = if day.day_off {
        format!(
            "{} · day off · {} · drive {} · done by {}",
            format::long_date(day.date),
            format::plural(day.stops.len() as u64, "appointment", "appointments"),
            format::minutes(day.drive_min),
            format::clock(day.finish_min),
        )
    } else {
        format!(
            "{} · {}–{} · {} · drive {} · done by {}",
            format::long_date(day.date),
            format::clock(day.start_min),
            format::clock(day.end_min),
            format::plural(day.stops.len() as u64, "visit", "visits"),
            format::minutes(day.drive_min),
            format::clock(day.finish_min),
        )
    };
    let lunch = day.lunch;
    let no_lunch = day.no_lunch;
    let mut stops: Vec<AnyView> = day
        .stops
        .into_iter()
        .map(|s| {
            let id = s.account_id;
            view! {
                <li class="week-stop" data-account=id.to_string()>
                    <span class="week-time">{format::clock(s.begin_min)}</span>
                    <button class="link" on:click=move |_| ctx.go(Screen::Account(id))>
                        {s.name}
                    </button>
                    <span class="muted">{s.city}</span>
                    {s.appointment.then(|| view! { <span class="chip week-appointment">"Appointment"</span> })}
                    {s.hours.map(|h| view! { <span class="week-hours muted">{format!("open {h}")}</span> })}
                    {s.pinned.then(|| view! { <span class="chip week-pinned">"Pinned"</span> })}
                    {(!s.appointment).then(|| view! { <MoveTo account=id on=day.date dates=dates.clone() pinned=s.pinned reload=reload /> })}
                    {s
                        .overdue
                        .then(|| {
                            view! {
                                <span class="status-tag st-overdue">
                                    <span class="dot" aria-hidden="true"></span>
                                    "Overdue"
                                </span>
                            }
                        })}
                </li>
            }
            .into_any()
        })
        .collect();
    if let Some(l) = lunch {
        let at = (l.after_stops as usize).min(stops.len());
        stops.insert(at, view! { <LunchRow lunch=l /> }.into_any());
    }
    let remote = |label: &'static str, names: Vec<String>| {
        (!names.is_empty()).then(|| {
            view! { <p class="week-remote muted">{format!("{label}: {}", names.join(", "))}</p> }
        })
    };
    view! {
        <li class="week-day card" class:day-off=day.day_off data-date=day.date.to_string()>
            <h2 class="week-day-head">{head}</h2>
            {empty.then(|| view! { <p class="muted">"No visits planned."</p> })}
            <ul class="week-stops">{stops}</ul>
            {no_lunch.then(|| view! { <p class="week-no-lunch muted">"No lunch break: the appointments fill its time."</p> })}
            {(!empty).then(|| view! {
                <button class="button secondary week-map-toggle" type="button"
                    aria-expanded=move || show_map.get().to_string()
                    on:click=move |_| show_map.update(|s| *s = !*s)>
                    {move || if show_map.get() { "Hide the map" } else { "Show on the map" }}
                </button>
            })}
            {map}
            {remote("Calls", day.calls)}
            {remote("E-mails", day.emails)}
        </li>
    }
}

/// The day's lunch break, in the list between the visits around it.
#[component]
fn LunchRow(lunch: LunchSlot) -> impl IntoView {
    view! {
        <li class="week-lunch">
            <span class="week-time">{format::clock(lunch.begin_min)}</span>
            <span>{format!("Lunch until {}", format::clock(lunch.end_min))}</span>
        </li>
    }
}

/// "Move to…": puts the visit on another day of the plan (kept on this device), or lets
/// the planner choose again.
#[component]
fn MoveTo(
    account: AccountId,
    on: NaiveDate,
    dates: Vec<NaiveDate>,
    pinned: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<IpcError>);
    let pick = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        // Back to "Move to…": the list is drawn again after the move, and a reused
        // control must not show the day picked here.
        event_target::<web_sys::HtmlSelectElement>(&ev).set_value("");
        let date = match v.as_str() {
            "" => return,
            "planner" => None,
            d => match d.parse::<NaiveDate>() {
                Ok(d) => Some(d),
                Err(_) => return,
            },
        };
        spawn_local(async move {
            match ipc::pin_to_day(PinToDay {
                account_id: account,
                date,
            })
            .await
            {
                Ok(()) => reload.run(()),
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let options = dates
        .into_iter()
        .filter(|d| *d != on)
        .map(|d| view! { <option value=d.to_string()>{format::long_date(d)}</option> })
        .collect_view();
    view! {
        <select class="week-move" aria-label="Move to another day" on:change=pick>
            <option value="" selected=true>"Move to…"</option>
            {options}
            {pinned.then(|| view! { <option value="planner">"Let the planner choose"</option> })}
        </select>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
    }
}

#[component]
fn Missing(id: &'static str, title: &'static str, items: Vec<RouteCandidate>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        let rows = items
            .into_iter()
            .map(|c| view! { <li>{c.name}" — "<span class="muted">{c.reason}</span></li> })
            .collect_view();
        view! {
            <section id=id class="card">
                <h2>{title}</h2>
                <ul>{rows}</ul>
            </section>
        }
    })
}

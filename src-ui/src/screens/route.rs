//! Route: today's visits ordered into a drive, on a map and as a list the rep can edit.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::AccountId;
use rounds_protocol::ipc::{
    AccountList, AccountQuery, DayRoute, LunchSlot, RouteCandidate, RouteStop,
};

use crate::map::RouteMap;
use crate::parts::{StatusTag, fetched};
use crate::state::{Ctx, Fetch, RouteEdits, Screen, ctx};
use crate::{format, geo, ipc, words};

const LOCATE_MS: u32 = 5_000;

/// Re-plans with the session's edits.
pub(crate) fn plan(ctx: Ctx) {
    let req = ctx.route_edits.get_untracked().plan();
    ctx.route.run(ipc::plan_day(req));
}

/// Applies an edit and re-plans.
fn edit(ctx: Ctx, change: impl FnOnce(&mut RouteEdits)) {
    ctx.route_edits.update(change);
    plan(ctx);
}

#[component]
pub fn Route() -> impl IntoView {
    let ctx = ctx();
    let f = ctx.route;
    plan(ctx);
    Effect::watch(move || ctx.refresh.get(), move |_, _, _| plan(ctx), false);
    let body = fetched(f, Callback::new(move |_| plan(ctx)), |r| {
        view! { <Loaded route=r /> }.into_any()
    });
    view! {
        <section id="route" class="screen" class:loading=move || f.loading()>
            <div class="screen-head">
                <div>
                    <h1>"Today's route"</h1>
                    <p class="muted">"Straight-line distances; drive times are estimates."</p>
                </div>
            </div>
            <FromHere />
            {body}
        </section>
    }
}

/// "Reorder from where I am", and the way back to starting from home.
#[component]
fn FromHere() -> impl IntoView {
    let ctx = ctx();
    let locating = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let locate = move |_| {
        if locating.get_untracked() {
            return;
        }
        locating.set(true);
        failed.set(false);
        spawn_local(async move {
            let here = geo::position(LOCATE_MS)
                .await
                .as_ref()
                .and_then(geo::lat_lon);
            locating.set(false);
            match here {
                Some(p) => edit(ctx, |e| e.from = Some(p)),
                None => failed.set(true),
            }
        });
    };
    let from_here = move || ctx.route_edits.with(|e| e.from.is_some());
    view! {
        <div class="toolbar">
            <button class="button secondary" disabled=move || locating.get() on:click=locate>
                {move || if locating.get() { "Finding you…" } else { "Reorder from where I am" }}
            </button>
            {move || {
                from_here()
                    .then(|| {
                        view! {
                            <button class="button link" on:click=move |_| edit(ctx, |e| e.from = None)>
                                "Start from home"
                            </button>
                        }
                    })
            }}
        </div>
        {move || {
            failed
                .get()
                .then(|| {
                    view! {
                        <p class="notice" role="alert">
                            "Could not get your location. The route is unchanged."
                        </p>
                    }
                })
        }}
    }
}

#[component]
fn Loaded(route: DayRoute) -> impl IntoView {
    let online = web_sys::window().is_some_and(|w| w.navigator().on_line());
    let on_route: Vec<AccountId> = route.stops.iter().map(|s| s.account_id).collect();
    let total = format!(
        "{} · {} · busy {} of a {} day",
        format::plural(route.stops.len() as u64, "stop", "stops"),
        format::km(route.total_m as f64),
        format::minutes(route.busy_min),
        format::minutes(route.workday_min),
    );
    let over = route.busy_min > route.workday_min;
    let back = (route.return_leg_m > 0 && route.start.is_some()).then(|| {
        view! {
            <p class="leg-back muted">
                "Back to the start: " {format::km(route.return_leg_m as f64)}
            </p>
        }
    });
    let stops = if route.stops.is_empty() {
        view! {
            <div class="empty">
                <h2>"No visits to route today"</h2>
                <p>"Add a stop below to plan a drive anyway."</p>
            </div>
        }
        .into_any()
    } else {
        let mut rows: Vec<AnyView> = route
            .stops
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, s)| view! { <Stop number=i + 1 stop=s /> }.into_any())
            .collect();
        if let Some(l) = route.lunch {
            let at = (l.after_stops as usize).min(rows.len());
            rows.insert(at, view! { <Lunch lunch=l /> }.into_any());
        }
        view! { <ol class="route-stops">{rows}</ol> }.into_any()
    };
    let no_lunch = route.no_lunch.then(|| {
        view! { <p class="notice route-no-lunch">"No lunch break today: the appointments fill its time."</p> }
    });
    let start = route.start.as_ref().map(|s| {
        view! { <p class="route-start muted">"Starting from " {s.label.clone()}</p> }
    });
    let left_out = route.left_out.clone();
    let unplaced = route.unplaced.clone();
    view! {
        <div class="card map-card">
            {(!route.stops.is_empty()).then(|| view! { <RouteMap route=route.clone() online=online /> })}
            <p id="route-total" class:over=over>{total}</p>
            {over.then(|| view! { <p class="notice">"This is more than your workday."</p> })}
        </div>
        {start}
        {stops}
        {no_lunch}
        {back}
        <LeftOut items=left_out />
        <Unplaced items=unplaced />
        <Dropped />
        <AddStop on_route=on_route />
    }
}

/// The lunch break, between the stops around it.
#[component]
fn Lunch(lunch: LunchSlot) -> impl IntoView {
    view! {
        <li class="route-lunch">
            <span class="stop-time">{format::clock(lunch.begin_min)}</span>
            {format!("Lunch until {}, wherever you are", format::clock(lunch.end_min))}
        </li>
    }
}

#[component]
fn Stop(number: usize, stop: RouteStop) -> impl IntoView {
    let ctx = ctx();
    let id = stop.account_id;
    let name = stop.name.clone();
    let pinned = stop.pinned;
    // With no start point the day begins at the first stop: there is no drive to it.
    let leg = if number == 1 && stop.leg_m == 0 {
        "Start of the day".to_owned()
    } else {
        format!(
            "{} · {}",
            format::km(stop.leg_m as f64),
            format::minutes(stop.leg_min)
        )
    };
    view! {
        <li class=format!("route-stop {}", words::status_class(stop.status)) data-account=id.to_string()>
            <span class="stop-number" aria-label=format!("Stop {number}")>{number.to_string()}</span>
            <div class="stop-main">
                <span class="stop-time">{format::clock(stop.begin_min)}</span>
                <button class="stop-name link" on:click=move |_| ctx.go(Screen::Account(id))>
                    {stop.name}
                </button>
                <span class="row-sub">{stop.city}</span>
                {stop.hours.map(|h| view! { <span class="row-sub stop-hours">{format!("Open {h}")}</span> })}
                <span class="leg">{leg}</span>
                <span class="stop-meta">
                    <StatusTag status=stop.status />
                    {(stop.visit_min > 0)
                        .then(|| format!(" · {} visit", format::minutes(stop.visit_min)))}
                    {pinned.then(|| view! { <span class="pinned-tag">"Pinned"</span> })}
                    {stop.appointment.then(|| view! { <span class="pinned-tag">"Appointment"</span> })}
                    {stop.approximate.then(|| view! {
                        <span class="approximate-tag" title="Placed at the middle of its postal code: the drive is a guess">"≈ ZIP only"</span>
                    })}
                </span>
            </div>
            <div class="stop-actions">
                <button
                    class="button small secondary"
                    aria-pressed=if pinned { "true" } else { "false" }
                    on:click=move |_| edit(ctx, |e| e.toggle_pin(id))
                >
                    {if pinned { "Unpin" } else { "Pin" }}
                </button>
                <button
                    class="button small secondary"
                    on:click=move |_| {
                        let name = name.clone();
                        edit(ctx, |e| e.drop_stop(id, name))
                    }
                >
                    "Drop"
                </button>
            </div>
        </li>
    }
}

#[component]
fn LeftOut(items: Vec<RouteCandidate>) -> impl IntoView {
    let ctx = ctx();
    (!items.is_empty()).then(|| {
        view! {
            <section class="route-extra">
                <h2>"Left out"</h2>
                <p class="muted">"Owed visits that do not fit in the workday."</p>
                <ul class="plain-list">
                    {items
                        .into_iter()
                        .map(|c| {
                            let id = c.account_id;
                            view! {
                                <li class="candidate">
                                    <div>
                                        <span class="candidate-name">{c.name}</span>
                                        <span class="muted">{c.reason}</span>
                                    </div>
                                    <button
                                        class="button small secondary"
                                        on:click=move |_| edit(ctx, |e| e.toggle_pin(id))
                                    >
                                        "Keep anyway"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Unplaced(items: Vec<RouteCandidate>) -> impl IntoView {
    let ctx = ctx();
    (!items.is_empty()).then(|| {
        view! {
            <section class="route-extra">
                <h2>"No location"</h2>
                <p class="muted">"These accounts have no map position, so they cannot be routed."</p>
                <ul class="plain-list">
                    {items
                        .into_iter()
                        .map(|c| {
                            let id = c.account_id;
                            view! {
                                <li class="candidate">
                                    <div>
                                        <button class="candidate-name link" on:click=move |_| ctx.go(Screen::Account(id))>
                                            {c.name}
                                        </button>
                                        <span class="muted">{c.reason}</span>
                                    </div>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// Stops the rep dropped this session, to put back.
#[component]
fn Dropped() -> impl IntoView {
    let ctx = ctx();
    move || {
        let dropped = ctx.route_edits.with(|e| e.dropped.clone());
        (!dropped.is_empty()).then(|| {
            view! {
                <section class="route-extra">
                    <h2>"Dropped today"</h2>
                    <ul class="plain-list">
                        {dropped
                            .into_iter()
                            .map(|(id, name)| {
                                let again = name.clone();
                                view! {
                                    <li class="candidate">
                                        <span class="candidate-name">{name}</span>
                                        <button
                                            class="button small secondary"
                                            on:click=move |_| {
                                                let again = again.clone();
                                                edit(ctx, |e| e.add_stop(id, again))
                                            }
                                        >
                                            "Put back"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

/// "Add a stop": accounts not on the route, searchable.
#[component]
fn AddStop(on_route: Vec<AccountId>) -> impl IntoView {
    let ctx = ctx();
    let open = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let found: Fetch<AccountList> = Fetch::new();
    let search = move || {
        let ticket = found.begin();
        set_timeout(
            move || {
                if found.is_current(ticket) {
                    let query = AccountQuery {
                        text: text.get_untracked(),
                        ..AccountQuery::default()
                    };
                    found.run_ticket(ticket, ipc::accounts(query));
                }
            },
            Duration::from_millis(150),
        );
    };
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() && found.data.with_untracked(Option::is_none) {
            search();
        }
    };
    let list = move || {
        let on_route = on_route.clone();
        fetched(
            found,
            Callback::new(move |_| search()),
            move |list: AccountList| {
                let rows = list
                    .items
                    .into_iter()
                    .filter(|a| !on_route.contains(&a.id))
                    .map(|a| {
                        let (id, name) = (a.id, a.name.clone());
                        view! {
                            <li>
                                <button
                                    class="pick-row"
                                    on:click=move |_| {
                                        let name = name.clone();
                                        edit(ctx, |e| e.add_stop(id, name))
                                    }
                                >
                                    <span class="row-name">{a.name}</span>
                                    <span class="row-sub">{a.city}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect::<Vec<_>>();
                if rows.is_empty() {
                    view! { <p class="empty">"No accounts to add"</p> }.into_any()
                } else {
                    view! { <ul class="pick-list">{rows}</ul> }.into_any()
                }
            },
        )
    };
    view! {
        <section class="route-extra add-stop">
            <button class="button secondary wide" aria-expanded=move || open.get().to_string() on:click=toggle>
                "Add a stop"
            </button>
            {move || {
                open.get()
                    .then(|| {
                        view! {
                            <div class="picker" class:loading=move || found.loading()>
                                <input
                                    type="search"
                                    aria-label="Find an account to add"
                                    placeholder="Find an account"
                                    prop:value=move || text.get()
                                    on:input=move |ev| {
                                        text.set(event_target_value(&ev));
                                        search();
                                    }
                                />
                                {list()}
                            </div>
                        }
                    })
            }}
        </section>
    }
}

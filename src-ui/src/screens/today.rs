//! Today: what is due, most urgent first, and the way into planning the day.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::ipc::{TodayItem, TodayView};

use super::follow_ups::FollowUpRow;
use crate::parts::{PriorityBadge, fetched};
use crate::state::{Screen, ctx};
use crate::{format, ipc, words};

#[component]
pub fn Today() -> impl IntoView {
    let ctx = ctx();
    let f = ctx.today;
    // Today's part of the plan is today's route, planned as the Route screen plans it.
    let load = move || {
        f.run(ipc::today());
        super::route::plan(ctx);
    };
    load();
    Effect::watch(move || ctx.refresh.get(), move |_, _, _| load(), false);

    let body = fetched(f, Callback::new(move |_| load()), |t| {
        view! { <Loaded today=t /> }.into_any()
    });
    view! {
        <section id="today" class="screen" class:loading=move || f.loading()>
            {body}
        </section>
    }
}

#[component]
fn Loaded(today: TodayView) -> impl IntoView {
    let ctx = ctx();
    let due = today.items.len() as u64;
    let reload = Callback::new(move |_| ctx.today.run(ipc::today()));
    let follow_ups = (!today.follow_ups.is_empty()).then(|| {
        view! {
            <section class="card" id="today-follow-ups">
                <h2>"Follow-ups due"</h2>
                <ul class="plain-list follow-ups">
                    {today
                        .follow_ups
                        .into_iter()
                        .map(|item| view! { <FollowUpRow item=item linked=true done=reload /> })
                        .collect_view()}
                </ul>
            </section>
        }
    });
    let head = view! {
        <div class="screen-head">
            <div>
                <h1>{format::long_date(today.date)}</h1>
                <p class="muted">
                    {if today.accounts_total == 0 {
                        "No territory on this device yet".to_owned()
                    } else {
                        format!("{} due today", format::plural(due, "account", "accounts"))
                    }}
                </p>
            </div>
            <button id="plan-day" class="button primary" on:click=move |_| ctx.go(Screen::Route)>
                "Plan my day"
            </button>
        </div>
    };
    let list = if today.accounts_total == 0 {
        view! { <NotSynced /> }.into_any()
    } else if today.items.is_empty() {
        view! {
            <div class="empty" id="nothing-due">
                <h2>"Nothing due today"</h2>
                <p>{words::next_due(today.next)}</p>
                <p class="muted">"Every account's next touches are under Accounts."</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <ul class="card-list">
                {today.items.into_iter().map(|item| view! { <Item item=item /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {head}
        <TodaysVisits />
        {follow_ups}
        {list}
    }
}

/// Today's part of the plan: the visits in their order, at their times, with the hours
/// they keep ("10:30 Acme — open 10:00-16:00"); "Plan my day" opens the whole route.
#[component]
fn TodaysVisits() -> impl IntoView {
    let ctx = ctx();
    move || {
        let route = ctx.route.data.get()?;
        if route.stops.is_empty() {
            return None;
        }
        let stops = route
            .stops
            .into_iter()
            .map(|s| {
                let id = s.account_id;
                view! {
                    <li class="today-visit" data-account=id.to_string()>
                        <span class="week-time">{format::clock(s.begin_min)}</span>
                        <button class="link" on:click=move |_| ctx.go(Screen::Account(id))>{s.name}</button>
                        {s.appointment.then(|| view! { <span class="chip week-appointment">"Appointment"</span> })}
                        {s.hours.map(|h| view! { <span class="week-hours muted">{format!("open {h}")}</span> })}
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <section class="card" id="today-visits">
                <h2>"Today's visits"</h2>
                <ol class="plain-list">{stops}</ol>
            </section>
        })
    }
}

#[component]
fn Item(item: TodayItem) -> impl IntoView {
    let ctx = ctx();
    let id = item.account_id;
    let chips = item
        .owed
        .iter()
        .filter(|o| o.owed > 0)
        .map(|o| {
            view! {
                <span class=format!("chip {}", words::status_class(o.status)) title=words::status(o.status)>
                    {words::touches(o.kind, o.owed)}
                </span>
            }
        })
        .collect_view();
    view! {
        <li>
            <button
                class=format!("today-item row-card {}", words::status_class(item.status))
                data-account-id=id.to_string()
                on:click=move |_| ctx.go(Screen::Account(id))
            >
                <span class="row-head">
                    <span class="row-name">{item.name}</span>
                    <PriorityBadge priority=item.priority />
                </span>
                <span class="row-sub">{item.city}</span>
                <span class="reason">{item.reason}</span>
                <span class="chips">{chips}</span>
            </button>
        </li>
    }
}

/// Before the first sync: say so and offer to sync now.
#[component]
fn NotSynced() -> impl IntoView {
    let ctx = ctx();
    let asked = RwSignal::new(false);
    let sync_now = move |_| {
        asked.set(true);
        spawn_local(async move {
            let _ = ipc::sync_now().await;
            ctx.poll_now.set(true);
        });
    };
    let syncing = move || ctx.sync.with(|s| s.as_ref().is_some_and(|s| s.syncing));
    view! {
        <div class="empty">
            <h2>"Your territory has not synced yet"</h2>
            <p>"Your accounts arrive with the first sync. It needs a connection."</p>
            <button class="button primary" on:click=sync_now>
                {move || if syncing() { "Syncing…" } else { "Sync now" }}
            </button>
            {move || {
                ctx.sync
                    .with(|s| s.as_ref().and_then(|s| s.last_error))
                    .filter(|_| asked.get() && !syncing())
                    .map(|code| view! { <p class="form-error">{words::sync_error(code)}</p> })
            }}
        </div>
    }
}

//! Accounts: search as you type, filters and "nearby", all answered from the device.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::{Kare, Priority};
use rounds_protocol::ipc::{AccountList, AccountOrder, AccountQuery, AccountSummary};

use crate::parts::{PriorityBadge, fetched};
use crate::state::{Ctx, Screen, ctx};
use crate::{format, geo, ipc, words};

const DEBOUNCE: Duration = Duration::from_millis(150);
const NEARBY_M: f64 = 25_000.0;
const LOCATE_MS: u32 = 5_000;

/// Runs the current query after a short pause; a newer keystroke cancels it.
fn search(ctx: Ctx) {
    let f = ctx.accounts;
    let ticket = f.begin();
    set_timeout(
        move || {
            if f.is_current(ticket) {
                f.run_ticket(ticket, ipc::accounts(ctx.query.get_untracked()));
            }
        },
        DEBOUNCE,
    );
}

fn set_query(ctx: Ctx, change: impl FnOnce(&mut AccountQuery)) {
    ctx.query.update(change);
    search(ctx);
}

#[component]
pub fn Accounts() -> impl IntoView {
    let ctx = ctx();
    let f = ctx.accounts;
    f.run(ipc::accounts(ctx.query.get_untracked()));
    Effect::watch(move || ctx.refresh.get(), move |_, _, _| search(ctx), false);
    let body = fetched(f, Callback::new(move |_| search(ctx)), |list| {
        view! { <Results list=list /> }.into_any()
    });
    view! {
        <section id="accounts" class="screen" class:loading=move || f.loading()>
            <h1 class="visually-hidden">"Accounts"</h1>
            <div class="search-bar">
                <input
                    id="search"
                    type="search"
                    aria-label="Search accounts"
                    placeholder="Search accounts, contacts, notes"
                    autocomplete="off"
                    enterkeyhint="search"
                    prop:value=move || ctx.query.with(|q| q.text.clone())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        set_query(ctx, |q| q.text = text);
                    }
                />
            </div>
            <Filters />
            <button id="new-lead-button" class="button secondary new-lead" on:click=move |_| ctx.go(Screen::NewLead)>
                "+ New lead here"
            </button>
            {body}
        </section>
    }
}

/// One `<select>` over a fixed list of choices, "any" first.
fn choice<T: Copy + PartialEq + Send + Sync + 'static>(
    label: &'static str,
    any: &'static str,
    all: &'static [T],
    word: fn(T) -> &'static str,
    get: fn(&AccountQuery) -> Option<T>,
    set: fn(&mut AccountQuery, Option<T>),
) -> impl IntoView {
    let ctx = ctx();
    let current = move || ctx.query.with(get);
    view! {
        <label class="filter">
            <span class="visually-hidden">{label}</span>
            <select
                class:set=move || current().is_some()
                on:change=move |ev| {
                    let value = event_target_value(&ev).parse::<usize>().ok();
                    let picked = value.and_then(|i| all.get(i).copied());
                    set_query(ctx, |q| set(q, picked));
                }
            >
                <option value="" prop:selected=move || current().is_none()>{any}</option>
                {all
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = *v;
                        view! {
                            <option value=i.to_string() prop:selected=move || current() == Some(v)>
                                {word(v)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn Filters() -> impl IntoView {
    let ctx = ctx();
    let locating = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let nearby = move || ctx.query.with(|q| q.near.is_some());
    let toggle_nearby = move |_| {
        failed.set(false);
        if nearby() {
            set_query(ctx, |q| {
                q.near = None;
                q.radius_m = None;
            });
            return;
        }
        if locating.get_untracked() {
            return;
        }
        locating.set(true);
        spawn_local(async move {
            let here = geo::position(LOCATE_MS)
                .await
                .as_ref()
                .and_then(geo::lat_lon);
            locating.set(false);
            match here {
                Some(p) => set_query(ctx, |q| {
                    q.near = Some(p);
                    q.radius_m = Some(NEARBY_M);
                }),
                None => failed.set(true),
            }
        });
    };
    let by_priority = move || ctx.query.with(|q| q.order == AccountOrder::Priority);
    view! {
        <div class="filters">
            <label class="filter">
                <span class="visually-hidden">"Order"</span>
                <select
                    id="order"
                    class:set=by_priority
                    on:change=move |ev| {
                        let order = if event_target_value(&ev) == "priority" {
                            AccountOrder::Priority
                        } else {
                            AccountOrder::Natural
                        };
                        set_query(ctx, |q| q.order = order);
                    }
                >
                    // "Natural" is best match while searching, nearest first nearby.
                    <option value="natural" prop:selected=move || !by_priority()>
                        {move || {
                            ctx.query
                                .with(|q| {
                                    if !q.text.trim().is_empty() {
                                        "Best match"
                                    } else if q.near.is_some() {
                                        "Nearest"
                                    } else {
                                        "A–Z"
                                    }
                                })
                        }}
                    </option>
                    <option value="priority" prop:selected=by_priority>
                        "Priority score"
                    </option>
                </select>
            </label>
            {choice(
                "Priority",
                "Any priority",
                &Priority::ALL,
                words::priority,
                |q| q.priority,
                |q, v| q.priority = v,
            )}
            {choice(
                "Due",
                "Due or not",
                &words::DUE_FILTERS,
                words::due_filter,
                |q| q.due,
                |q, v| q.due = v,
            )}
            {choice(
                "K.A.R.E.",
                "Any K.A.R.E.",
                &Kare::ALL,
                words::kare,
                |q| q.kare,
                |q, v| q.kare = v,
            )}
            {choice(
                "Stage",
                "Any stage",
                &words::STAGES,
                words::stage,
                |q| q.stage,
                |q, v| q.stage = v,
            )}
            <button
                class="chip-toggle"
                class:set=nearby
                aria-pressed=move || nearby().to_string()
                disabled=move || locating.get()
                on:click=toggle_nearby
            >
                {move || if locating.get() { "Finding you…" } else { "Nearby" }}
            </button>
        </div>
        {move || {
            failed
                .get()
                .then(|| {
                    view! {
                        <p class="notice" role="alert">
                            "Could not get your location"
                        </p>
                    }
                })
        }}
    }
}

#[component]
fn Results(list: AccountList) -> impl IntoView {
    if list.items.is_empty() {
        return view! {
            <div class="empty">
                <h2>"No accounts match"</h2>
                <p>"Try fewer words or clear a filter."</p>
            </div>
        }
        .into_any();
    }
    let shown = list.items.len() as u64;
    let count = if list.total > shown {
        format!("Showing {shown} of {}", list.total)
    } else {
        format::plural(list.total.max(shown), "account", "accounts")
    };
    view! {
        <p class="count muted" role="status">{count}</p>
        <ul class="card-list">
            {list.items.into_iter().map(|a| view! { <Row account=a /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Row(account: AccountSummary) -> impl IntoView {
    let ctx = ctx();
    let id = account.id;
    let sub = match account.distance_m {
        Some(m) => format!("{} · {} away", account.city, format::km(m)),
        None => account.city.clone(),
    };
    let snippet = account.snippet.map(|s| {
        let parts = format::snippet_parts(&s)
            .into_iter()
            .map(|(text, hit)| {
                if hit {
                    view! { <mark>{text}</mark> }.into_any()
                } else {
                    text.into_any()
                }
            })
            .collect_view();
        view! { <span class="snippet">{parts}</span> }
    });
    // The factors only when ranked by them; the score itself always.
    let factors = ctx
        .query
        .with_untracked(|q| q.order == AccountOrder::Priority)
        .then(|| {
            let parts = account
                .score_factors
                .iter()
                .map(|f| {
                    view! {
                        <span class="factor" title=f.why.clone()>
                            {format!("{} {}/{}", f.label, f.points, f.max)}
                        </span>
                    }
                })
                .collect_view();
            view! { <span class="factors">{parts}</span> }
        });
    let score = account.score;
    view! {
        <li>
            <button
                class=format!("account-row row-card {}", words::status_class(account.status))
                data-account-id=id.to_string()
                on:click=move |_| ctx.go(Screen::Account(id))
            >
                <span class="row-head">
                    <span class="account-name row-name">{account.name}</span>
                    <span class="row-badges">
                        <span
                            class="badge quiet score"
                            aria-label=format!("Priority score {score} of 100")
                        >
                            {format!("{score} pts")}
                        </span>
                        <PriorityBadge priority=account.priority />
                    </span>
                </span>
                <span class="row-sub">{sub}</span>
                <span class="reason">{account.reason}</span>
                {factors}
                {snippet}
                {account
                    .pending
                    .then(|| view! { <span class="pending-tag">"Waiting to sync"</span> })}
            </button>
        </li>
    }
}

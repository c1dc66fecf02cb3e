//! Next steps ("call back Tuesday"): made on an account, listed there and in Today on
//! the day they fall due, and done with one tap, which logs the touch they promised.

use chrono::{Days, NaiveDate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::TouchKind;
use rounds_protocol::AccountId;
use rounds_protocol::ipc::{AccountDetail, AddFollowUp, CompleteFollowUp, FollowUpItem, IpcError};

use crate::parts::text_field;
use crate::state::{Fetch, Kept, Screen, ctx};
use crate::{format, geo, ipc, words};

const LOCATE_MS: u32 = 8_000;

/// "Due today", "2 days late", "due Tue 8 December".
fn when(item: &FollowUpItem) -> String {
    match item.days_late {
        0 => "due today".to_owned(),
        1 => "1 day late".to_owned(),
        d if d > 1 => format!("{d} days late"),
        _ => format!("due {}", format::long_date(item.due)),
    }
}

/// "Call back", "Visit", "E-mail": what the follow-up promises.
fn promise(kind: TouchKind) -> &'static str {
    match kind {
        TouchKind::Visit => "Visit",
        TouchKind::Call => "Call back",
        TouchKind::Email => "E-mail",
    }
}

/// One follow-up with its Done button. `account` links to the account (Today's list).
#[component]
pub fn FollowUpRow(item: FollowUpItem, linked: bool, done: Callback<()>) -> impl IntoView {
    let ctx = ctx();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<IpcError>);
    let id = item.id;
    let kind = item.kind;
    let account = item.account_id;
    let complete = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let fix = if kind == TouchKind::Visit {
                geo::position(LOCATE_MS).await
            } else {
                None
            };
            let answer = ipc::complete_follow_up(CompleteFollowUp { id, fix }).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(logged) => {
                    ctx.poll_now.set(true);
                    done.run(());
                    if let Some(url) = logged.open {
                        let _ = ipc::open_url(url).await;
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let late = item.days_late > 0 && !item.done;
    let title = if linked {
        view! {
            <button class="button link follow-up-account" on:click=move |_| ctx.go(Screen::Account(account))>
                {item.account_name.clone()}
            </button>
        }
        .into_any()
    } else {
        view! { <span class="follow-up-what">{promise(kind)}</span> }.into_any()
    };
    view! {
        <li class="follow-up" class:late=late class:done=item.done class:pending=item.pending data-follow-up=id.to_string()>
            <span class="follow-up-head">
                {title}
                {linked.then(|| view! { <span class="chip">{promise(kind)}</span> })}
                <span class="muted follow-up-when">
                    {if item.done { "done".to_owned() } else { when(&item) }}
                </span>
                {item.pending.then(|| view! { <span class="pending-tag">"waiting to sync"</span> })}
            </span>
            {item.note.clone().map(|n| view! { <span class="follow-up-note">{n}</span> })}
            {(!item.done).then(|| view! {
                <button class="button secondary follow-up-done" disabled=move || busy.get() on:click=complete>
                    {move || if busy.get() { "Logging…" } else { "Done" }}
                </button>
            })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
        </li>
    }
}

/// The form's values, as typed.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    kind: TouchKind,
    due: String,
    note: String,
}

/// The form's state, kept while the account is drawn again under it.
#[derive(Clone, Copy)]
struct Form {
    open: RwSignal<bool>,
    draft: RwSignal<Draft>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<IpcError>>,
    missing: RwSignal<Option<&'static str>>,
}

/// An account's follow-ups, and the form that adds one.
#[component]
pub fn FollowUps(
    account: AccountId,
    items: Vec<FollowUpItem>,
    today: Option<NaiveDate>,
    f: Fetch<AccountDetail>,
) -> impl IntoView {
    let ctx = ctx();
    let tomorrow = today.and_then(|d| d.checked_add_days(Days::new(1)));
    let start = Draft {
        kind: TouchKind::Call,
        due: tomorrow.map(|d| d.to_string()).unwrap_or_default(),
        note: String::new(),
    };
    let Form {
        open,
        draft,
        busy,
        error,
        missing,
    } = Kept::get(|| Form {
        open: RwSignal::new(false),
        draft: RwSignal::new(start.clone()),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        missing: RwSignal::new(None),
    });
    let reload = Callback::new(move |_| f.run(ipc::account(account)));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let d = draft.get_untracked();
        let Ok(due) = d.due.parse::<NaiveDate>() else {
            missing.set(Some("Pick the day it is due."));
            return;
        };
        if today.is_some_and(|t| due < t) {
            missing.set(Some("Pick today or a later day."));
            return;
        }
        missing.set(None);
        busy.set(true);
        error.set(None);
        let note = Some(d.note.trim().to_owned()).filter(|n| !n.is_empty());
        spawn_local(async move {
            let answer = ipc::add_follow_up(AddFollowUp {
                account_id: account,
                kind: d.kind,
                due,
                note,
            })
            .await;
            let _ = busy.try_set(false);
            match answer {
                Ok(_) => {
                    let _ = open.try_set(false);
                    ctx.poll_now.set(true);
                    f.run(ipc::account(account));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    // Quick picks: later today, tomorrow, in 3 days, in a week.
    let picks = today.map(|t| {
        [
            (0, "Today"),
            (1, "Tomorrow"),
            (3, "In 3 days"),
            (7, "Next week"),
        ]
        .into_iter()
        .filter_map(|(n, label)| t.checked_add_days(Days::new(n)).map(|d| (d, label)))
        .map(|(d, label)| {
            view! {
                <button
                    type="button"
                    data-days=(d - t).num_days().to_string()
                    class="chip pick"
                    class:selected=move || draft.with(|x| x.due == d.to_string())
                    on:click=move |_| draft.update(|x| x.due = d.to_string())
                >
                    {label}
                </button>
            }
        })
        .collect_view()
    });
    let form = move || {
        open.get().then(|| {
            view! {
                <form id="follow-up-form" class="edit-form" on:submit=save novalidate=true>
                    <label for="follow-up-kind">"Next step"</label>
                    <select
                        id="follow-up-kind"
                        on:change=move |ev| {
                            let picked = event_target_value(&ev).parse::<usize>().ok();
                            if let Some(k) = picked.and_then(|i| TouchKind::ALL.get(i).copied()) {
                                draft.update(|d| d.kind = k);
                            }
                        }
                    >
                        {TouchKind::ALL
                            .iter()
                            .enumerate()
                            .map(|(i, k)| {
                                let k = *k;
                                view! {
                                    <option value=i.to_string() prop:selected=move || draft.with(|d| d.kind == k)>
                                        {promise(k)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <label for="follow-up-due">"Due"</label>
                    <div class="picks">{picks.clone()}</div>
                    <input
                        id="follow-up-due"
                        type="date"
                        prop:value=move || draft.with(|d| d.due.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.due = v);
                        }
                    />
                    {text_field(draft, "follow-up-note", "What about (optional)", "text", |d| d.note.clone(), |d, v| d.note = v)}
                    {move || missing.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
                    <div class="form-actions">
                        <button id="follow-up-save" class="button primary" type="submit" disabled=move || busy.get()>
                            "Save"
                        </button>
                        <button class="button secondary" type="button" on:click=move |_| open.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </form>
            }
        })
    };
    let list = if items.is_empty() {
        view! { <p class="muted">"No next step planned."</p> }.into_any()
    } else {
        view! {
            <ul class="plain-list follow-ups">
                {items
                    .into_iter()
                    .map(|item| view! { <FollowUpRow item=item linked=false done=reload /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" id="follow-ups">
            <div class="card-head">
                <h2>"Next steps"</h2>
                <button
                    id="add-follow-up"
                    class="button secondary"
                    on:click=move |_| {
                        draft.set(start.clone());
                        missing.set(None);
                        open.update(|o| *o = !*o);
                    }
                >
                    "+ Next step"
                </button>
            </div>
            {list}
            {form}
        </section>
    }
}

//! Appointments: a visit fixed at a date and a time ("Thursday 10:30"), made on the
//! account's page. The week and today's route are planned around them.

use chrono::{Days, NaiveDate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::ipc::{
    AccountDetail, AppointmentItem, CancelAppointment, IpcError, SaveAppointment,
};
use rounds_protocol::{AccountId, AppointmentId};

use crate::parts::text_field;
use crate::state::{Fetch, Kept, ctx};
use crate::{format, ipc, words};

/// The form's values, as typed.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    on: String,
    at: String,
    minutes: String,
    note: String,
}

/// The form's state, kept while the account is drawn again under it.
#[derive(Clone, Copy)]
struct Form {
    open: RwSignal<bool>,
    draft: RwSignal<Draft>,
    /// The appointment being changed; `None` while booking a new one.
    editing: RwSignal<Option<AppointmentId>>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<IpcError>>,
    missing: RwSignal<Option<&'static str>>,
}

#[component]
fn AppointmentRow(
    item: AppointmentItem,
    account: AccountId,
    f: Fetch<AccountDetail>,
    edit: Callback<AppointmentItem>,
) -> impl IntoView {
    let ctx = ctx();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<IpcError>);
    let id = item.id;
    let cancel = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let answer = ipc::cancel_appointment(CancelAppointment { id }).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(()) => {
                    ctx.poll_now.set(true);
                    f.run(ipc::account(account));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let to_edit = item.clone();
    let when = format!(
        "{} · {}–{}",
        format::long_date(item.on),
        format::clock(u32::from(item.at_min)),
        format::clock(u32::from(item.at_min) + u32::from(item.minutes)),
    );
    view! {
        <li class="appointment" class:done=item.cancelled class:pending=item.pending data-appointment=id.to_string()>
            <span class="follow-up-head">
                <span class="follow-up-what">{when}</span>
                {item.cancelled.then(|| view! { <span class="muted">"cancelled"</span> })}
                {item.pending.then(|| view! { <span class="pending-tag">"waiting to sync"</span> })}
            </span>
            {item.note.clone().map(|n| view! { <span class="follow-up-note">{n}</span> })}
            {(!item.cancelled).then(|| view! {
                <div class="row-actions">
                    <button class="button secondary appointment-change" disabled=move || busy.get()
                        on:click=move |_| edit.run(to_edit.clone())>
                        "Change"
                    </button>
                    <button class="button secondary appointment-cancel" disabled=move || busy.get() on:click=cancel>
                        "Cancel it"
                    </button>
                </div>
            })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
        </li>
    }
}

/// An account's appointments from today on, and the form that makes one.
#[component]
pub fn Appointments(
    account: AccountId,
    items: Vec<AppointmentItem>,
    today: Option<NaiveDate>,
    visit_minutes: u16,
    f: Fetch<AccountDetail>,
) -> impl IntoView {
    let ctx = ctx();
    let start = Draft {
        on: today
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        at: "10:00".into(),
        minutes: visit_minutes.to_string(),
        note: String::new(),
    };
    let Form {
        open,
        draft,
        editing,
        busy,
        error,
        missing,
    } = Kept::get(|| Form {
        open: RwSignal::new(false),
        draft: RwSignal::new(start.clone()),
        editing: RwSignal::new(None),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        missing: RwSignal::new(None),
    });
    let edit = Callback::new(move |item: AppointmentItem| {
        draft.set(Draft {
            on: item.on.to_string(),
            at: format::clock(u32::from(item.at_min)),
            minutes: item.minutes.to_string(),
            note: item.note.unwrap_or_default(),
        });
        editing.set(Some(item.id));
        missing.set(None);
        error.set(None);
        open.set(true);
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let d = draft.get_untracked();
        let Ok(on) = d.on.parse::<NaiveDate>() else {
            missing.set(Some("Pick the day."));
            return;
        };
        if today.is_some_and(|t| on < t) {
            missing.set(Some("Pick today or a later day."));
            return;
        }
        let Some(at_min) = format::minute_of(&d.at) else {
            missing.set(Some("Write the time as HH:MM, e.g. 10:30."));
            return;
        };
        let Some(minutes) = d
            .minutes
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|m| rounds_core::appointment::check_time(at_min, *m).is_ok())
        else {
            missing.set(Some("It lasts 1 to 600 minutes and ends by midnight."));
            return;
        };
        missing.set(None);
        busy.set(true);
        error.set(None);
        let note = Some(d.note.trim().to_owned()).filter(|n| !n.is_empty());
        spawn_local(async move {
            let answer = ipc::save_appointment(SaveAppointment {
                id: editing.get_untracked(),
                account_id: account,
                on,
                at_min,
                minutes,
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
    let form = move || {
        open.get().then(|| {
            view! {
                <form id="appointment-form" class="edit-form" on:submit=save novalidate=true>
                    <p class="label">
                        {move || if editing.with(Option::is_some) { "Change the appointment" } else { "New appointment" }}
                    </p>
                    <label for="appointment-on">"Day"</label>
                    <input
                        id="appointment-on"
                        type="date"
                        prop:value=move || draft.with(|d| d.on.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.on = v);
                        }
                    />
                    {text_field(draft, "appointment-at", "Time (HH:MM)", "text", |d| d.at.clone(), |d, v| d.at = v)}
                    {text_field(draft, "appointment-minutes", "Minutes", "text", |d| d.minutes.clone(), |d, v| d.minutes = v)}
                    {text_field(draft, "appointment-note", "What about (optional)", "text", |d| d.note.clone(), |d, v| d.note = v)}
                    {move || missing.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
                    <div class="form-actions">
                        <button id="appointment-save" class="button primary" type="submit" disabled=move || busy.get()>
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
        view! { <p class="muted">"No appointment booked."</p> }.into_any()
    } else {
        view! {
            <ul class="plain-list follow-ups">
                {items
                    .into_iter()
                    .map(|item| view! { <AppointmentRow item=item account=account f=f edit=edit /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" id="appointments">
            <div class="card-head">
                <h2>"Appointments"</h2>
                <button
                    id="add-appointment"
                    class="button secondary"
                    on:click=move |_| {
                        // From a change, the button starts a new one; otherwise it toggles.
                        let was_editing = editing.get_untracked().is_some();
                        draft.set(start.clone());
                        editing.set(None);
                        missing.set(None);
                        open.update(|o| *o = was_editing || !*o);
                    }
                >
                    "+ Appointment"
                </button>
            </div>
            {list}
            {form}
        </section>
    }
}

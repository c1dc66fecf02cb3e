//! One account: quick actions, contacts, cadence, money and history.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::{ActivityKind, LocationSource, Outcome, Stage, VisitState};
use rounds_protocol::ipc::{
    AccountDetail, AmendActivity, CheckOut, IpcError, LogActivity, Owed, TimelineItem,
};
use rounds_protocol::{AccountId, ActivityId};

use super::account_edit::EditDetails;
use super::appointments::Appointments;
use super::contacts::Contacts;
use super::follow_ups::FollowUps;
use super::photos::{self, Photos};
use crate::parts::{ExternalLink, PriorityBadge, StatusTag, fetched, open};
use crate::state::{Fetch, Kept, ctx};
use crate::{format, geo, ipc, words};

const LOCATE_MS: u32 = 5_000;

/// The activity the optional "how did it go" sheet is about.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SheetFor {
    activity: ActivityId,
    kind: ActivityKind,
}

#[component]
pub fn Account(id: AccountId) -> impl IntoView {
    let ctx = ctx();
    // The forms below are drawn again with each fetch; what the rep has open stays open.
    Kept::provide();
    let f: Fetch<AccountDetail> = Fetch::new();
    let load = move || f.run(ipc::account(id));
    load();
    Effect::watch(move || ctx.refresh.get(), move |_, _, _| load(), false);
    let sheet = RwSignal::new(None::<SheetFor>);
    let body = fetched(f, Callback::new(move |_| load()), move |d| {
        view! { <Loaded detail=d f=f sheet=sheet /> }.into_any()
    });
    view! {
        <section id="account" class="screen" class:loading=move || f.loading()>
            <button id="back" class="button link back" on:click=move |_| ctx.go(ctx.back.get_untracked())>
                "‹ Back"
            </button>
            {body}
            {move || {
                sheet
                    .get()
                    .map(|s| {
                        view! { <Sheet about=s sheet=sheet f=f account=id /> }
                    })
            }}
        </section>
    }
}

#[component]
fn Loaded(
    detail: AccountDetail,
    f: Fetch<AccountDetail>,
    sheet: RwSignal<Option<SheetFor>>,
) -> impl IntoView {
    let badges = view! {
        <div class="badges">
            <PriorityBadge priority=detail.priority />
            <span class="badge">{words::stage(detail.stage)}</span>
            {detail.kare.map(|k| view! { <span class="badge">"K.A.R.E.: " {words::kare(k)}</span> })}
            {detail.industry.clone().map(|i| view! { <span class="badge quiet">{i}</span> })}
        </div>
    };
    let pending = (!detail.pending_fields.is_empty()).then(|| {
        let fields: Vec<String> = detail
            .pending_fields
            .iter()
            .map(|f| words::field(f))
            .collect();
        view! {
            <p class="pending-tag block">"Changes waiting to sync: " {fields.join(", ")}</p>
        }
    });
    let direct = {
        let phone = detail.phone.clone().map(|p| {
            view! { <ExternalLink href=rounds_core::tel_uri(&p)>{p}</ExternalLink> }
        });
        let email = detail.email.clone().map(|e| {
            view! { <ExternalLink href=rounds_core::mailto_uri(&e)>{e}</ExternalLink> }
        });
        view! { <p class="direct">{phone} {email}</p> }
    };
    let hours = detail.hours.clone().map(|all| {
        let today = detail.hours_today.clone().unwrap_or_default();
        let visit = detail
            .visit_minutes
            .map(|m| format!(" · visits take {m} min"))
            .unwrap_or_default();
        view! {
            <p id="account-hours" class="hours">
                <span class="hours-today">"Today: " {today}</span>
                <span class="muted">" · " {all} {visit}</span>
            </p>
        }
    });
    // Only the closed dates still ahead matter to the rep.
    let closed = detail
        .closed_on
        .as_deref()
        .and_then(|c| rounds_core::calendar::parse_days_off(c).ok())
        .map(|mut days| match detail.today {
            Some(today) => days.split_off(&today),
            None => days,
        })
        .and_then(|ahead| rounds_core::calendar::dates_line(&ahead))
        .map(|ahead| view! { <p id="account-closed" class="hours muted">"Closed on " {ahead}</p> });
    let preferred = detail.preferred_hours.clone().map(|p| {
        view! { <p id="account-preferred" class="hours muted">"Visits preferred " {p}</p> }
    });
    // Only a rough place is worth a word: the rep can fix it at the door.
    let rough = match (detail.location, detail.location_source) {
        (None, _) => Some("No pin yet: tap “The entrance is here” at the door."),
        (Some(_), Some(LocationSource::PostalCode)) => Some(
            "Pin at the middle of its postal code: drives to it are a guess and check-ins cannot be verified. Tap “The entrance is here” at the door.",
        ),
        _ => None,
    }
    .map(|t| view! { <p id="account-pin-note" class="hours muted">{t}</p> });
    view! {
        <header class="account-head">
            <h1 class="account-name">{detail.name.clone()}</h1>
            <address class="muted">
                {detail.address.iter().map(|l| view! { <span class="line">{l.clone()}</span> }).collect_view()}
            </address>
            {direct}
            {hours}
            {closed}
            {preferred}
            {rough}
            {badges}
            <p class="reason">{detail.reason.clone()}</p>
            {pending}
        </header>
        <QuickActions detail=detail.clone() f=f sheet=sheet />
        <EditDetails detail=detail.clone() f=f />
        <Appointments
            account=detail.id
            items=detail.appointments.clone()
            today=detail.today
            visit_minutes=detail.planned_visit_minutes.or(detail.visit_minutes).unwrap_or(30)
            f=f
        />
        <FollowUps account=detail.id items=detail.follow_ups.clone() today=detail.today f=f />
        <Contacts account=detail.id contacts=detail.contacts.clone() f=f />
        <Photos account=detail.id items=detail.photos.clone() f=f />
        <Cadence cadence=detail.cadence.clone() lost=detail.stage == Stage::Lost />
        <section class="card">
            <h2>"This year"</h2>
            <dl class="money">
                <div><dt>"Revenue"</dt><dd>{detail.revenue.clone()}</dd></div>
                <div><dt>"Expenses"</dt><dd>{detail.expenses.clone()}</dd></div>
                <div class="net"><dt>"Net profit"</dt><dd>{detail.net_profit.clone()}</dd></div>
                <div id="potential">
                    <dt>"Potential"</dt>
                    <dd>{detail.potential.clone().unwrap_or_else(|| "not set".into())}</dd>
                </div>
                <div id="potential-estimate">
                    <dt>"Your estimate"</dt>
                    <dd>{detail.potential_estimate.clone().unwrap_or_else(|| "none yet".into())}</dd>
                </div>
            </dl>
        </section>
        <Timeline account=detail.id items=detail.timeline f=f />
    }
}

/// Call, E-mail, Navigate, Check in: one tap each.
#[component]
fn QuickActions(
    detail: AccountDetail,
    f: Fetch<AccountDetail>,
    sheet: RwSignal<Option<SheetFor>>,
) -> impl IntoView {
    let ctx = ctx();
    let acting = RwSignal::new(None::<ActivityKind>);
    let failed = RwSignal::new(None::<IpcError>);
    let id = detail.id;
    let contact = detail
        .contacts
        .iter()
        .find(|c| c.primary)
        .or(detail.contacts.first())
        .map(|c| c.id);
    let log = move |kind: ActivityKind| {
        if acting.get_untracked().is_some() {
            return;
        }
        acting.set(Some(kind));
        failed.set(None);
        spawn_local(async move {
            let fix = if kind == ActivityKind::Visit {
                geo::position(LOCATE_MS).await
            } else {
                None
            };
            let req = LogActivity {
                account_id: id,
                kind,
                contact_id: contact.filter(|_| kind != ActivityKind::Visit),
                fix,
                outcome: None,
                note: None,
            };
            let answer = ipc::log_activity(req).await;
            acting.set(None);
            match answer {
                Ok(logged) => {
                    shown_at_once(f, &logged.activity_id, kind, logged.check_in);
                    sheet.set(Some(SheetFor {
                        activity: logged.activity_id,
                        kind,
                    }));
                    ctx.poll_now.set(true);
                    // Quietly: the entry above stays until the fresh answer replaces it.
                    f.run(ipc::account(id));
                    if let Some(url) = logged.open {
                        let _ = ipc::open_url(url).await;
                    }
                }
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let maps = detail.location.map(|p| {
        format!(
            "https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=16/{lat:.6}/{lon:.6}",
            lat = p.lat(),
            lon = p.lon()
        )
    });
    let has_place = maps.is_some();
    // One logging button: its id, icon, label, and label while it works.
    let button = move |id: &'static str, kind: ActivityKind, label: &'static str, working| {
        view! {
            <button
                id=id
                class="qa"
                disabled=move || acting.get().is_some()
                on:click=move |_| log(kind)
            >
                <span class=format!("qa-icon icon-{}", &id[3..]) aria-hidden="true"></span>
                {move || if acting.get() == Some(kind) { working } else { label }}
            </button>
        }
    };
    view! {
        <div class="quick-actions" role="group" aria-label="Quick actions">
            {button("qa-call", ActivityKind::Call, "Call", "Logging…")}
            {button("qa-email", ActivityKind::Email, "Email", "Logging…")}
            <button
                id="qa-navigate"
                class="qa"
                disabled=!has_place
                title=(!has_place).then_some("This account has no location")
                on:click=move |_| {
                    if let Some(url) = maps.clone() {
                        open(url);
                    }
                }
            >
                <span class="qa-icon icon-navigate" aria-hidden="true"></span>
                "Navigate"
            </button>
            {button("qa-checkin", ActivityKind::Visit, "Check in", "Checking in…")}
        </div>
        {move || {
            failed
                .get()
                .map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })
        }}
    }
}

/// Puts a just-logged activity on the timeline before the reload answers.
fn shown_at_once(
    f: Fetch<AccountDetail>,
    id: &ActivityId,
    kind: ActivityKind,
    check_in: Option<rounds_core::CheckIn>,
) {
    f.data.update(|d| {
        if let Some(d) = d
            && !d.timeline.iter().any(|t| t.id == *id)
        {
            d.timeline.insert(
                0,
                TimelineItem {
                    id: *id,
                    kind,
                    occurred_at: format::now(),
                    outcome: None,
                    note: None,
                    check_in,
                    pending: true,
                    voided: false,
                    visit: (kind == ActivityKind::Visit).then_some(VisitState::Open),
                },
            );
        }
    });
}

/// "How did it go?": an outcome and a note, both optional.
#[component]
fn Sheet(
    about: SheetFor,
    sheet: RwSignal<Option<SheetFor>>,
    f: Fetch<AccountDetail>,
    account: AccountId,
) -> impl IntoView {
    // A photo of the visit, kept at once (the note and outcome are saved separately).
    let photo_kept = RwSignal::new(false);
    // Signals only, no callback: this may run after the screen is gone.
    let close = move |saved: bool| {
        sheet.set(None);
        if saved || photo_kept.get_untracked() {
            f.run(ipc::account(account));
        }
    };
    let outcome = RwSignal::new(None::<Outcome>);
    let note = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let failed = RwSignal::new(None::<IpcError>);
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = panel.get() {
            let _ = el.focus();
        }
    });
    let save = move |_| {
        let text = note.get_untracked().trim().to_owned();
        let req = AmendActivity {
            activity_id: about.activity,
            outcome: outcome.get_untracked(),
            note: (!text.is_empty()).then_some(text),
        };
        if req.outcome.is_none() && req.note.is_none() {
            close(false);
            return;
        }
        saving.set(true);
        failed.set(None);
        spawn_local(async move {
            let answer = ipc::amend_activity(req).await;
            saving.set(false);
            match answer {
                Ok(()) => close(true),
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let on_photo = move |ev: leptos::ev::Event| {
        let Some(file) = photos::picked_file(&ev) else {
            return;
        };
        saving.set(true);
        failed.set(None);
        spawn_local(async move {
            let answer = photos::attach_file(file, account, Some(about.activity), None).await;
            let _ = saving.try_set(false);
            match answer {
                Ok(_) => {
                    let _ = photo_kept.try_set(true);
                }
                Err(e) => {
                    let _ = failed.try_set(Some(e));
                }
            }
        });
    };
    let undo = move |_| {
        saving.set(true);
        failed.set(None);
        spawn_local(async move {
            let answer = ipc::undo_activity(about.activity).await;
            saving.set(false);
            match answer {
                Ok(()) => close(true),
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let choices = words::OUTCOMES
        .into_iter()
        .filter(|o| {
            about.kind != ActivityKind::Visit
                || !matches!(o, Outcome::LeftMessage | Outcome::NoAnswer)
        })
        .map(|o| {
            let picked = move || outcome.get() == Some(o);
            view! {
                <button
                    type="button"
                    class="chip-toggle"
                    class:set=picked
                    aria-pressed=move || picked().to_string()
                    on:click=move |_| outcome.update(|c| *c = if *c == Some(o) { None } else { Some(o) })
                >
                    {words::outcome(o)}
                </button>
            }
        })
        .collect_view();
    let title = match about.kind {
        ActivityKind::Visit => "Visit logged",
        ActivityKind::Call => "Call logged",
        ActivityKind::Email => "E-mail logged",
        ActivityKind::Note => "Note logged",
    };
    view! {
        <div class="sheet-backdrop" on:click=move |_| close(false)></div>
        <div
            id="sheet"
            class="sheet"
            role="dialog"
            aria-modal="true"
            aria-labelledby="sheet-title"
            tabindex="-1"
            node_ref=panel
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    close(false);
                }
            }
        >
            <h2 id="sheet-title">{title}</h2>
            <p class="muted">"How did it go? Optional — it is already saved."</p>
            <div class="outcomes" role="group" aria-label="Outcome">{choices}</div>
            <label for="sheet-note">"Note"</label>
            <textarea
                id="sheet-note"
                rows="3"
                placeholder="Anything to remember"
                prop:value=move || note.get()
                on:input=move |ev| note.set(event_target_value(&ev))
            ></textarea>
            {(about.kind == ActivityKind::Visit).then(|| view! {
                <label class="button secondary file-button sheet-photo">
                    {move || if photo_kept.get() { "Add another photo" } else { "Add a photo of the visit" }}
                    <input
                        id="sheet-photo"
                        type="file"
                        accept="image/jpeg,image/png,image/webp"
                        capture="environment"
                        disabled=move || saving.get()
                        on:change=on_photo
                    />
                </label>
                {move || photo_kept.get().then(|| view! { <p class="muted photo-kept" role="status">"Photo kept with the visit."</p> })}
            })}
            {move || failed.get().map(|e| view! { <p class="form-error" role="alert">{photos::refusal(&e)}</p> })}
            <div class="sheet-actions">
                <button id="sheet-undo" type="button" class="button link undo" disabled=move || saving.get() on:click=undo>
                    "Undo — logged by mistake"
                </button>
                <button id="sheet-skip" type="button" class="button secondary" on:click=move |_| close(false)>
                    "Skip"
                </button>
                <button id="sheet-save" type="button" class="button primary" disabled=move || saving.get() on:click=save>
                    {move || if saving.get() { "Saving…" } else { "Save" }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn Cadence(cadence: Vec<Owed>, lost: bool) -> impl IntoView {
    let rows = cadence
        .into_iter()
        .filter(|o| o.planned > 0)
        .map(|o| {
            view! {
                <li class=format!("cadence-row {}", words::status_class(o.status))>
                    <span class="cadence-kind">{words::touch_title(o.kind)}</span>
                    <span>{format!("{} of {} done", o.done, o.planned)}</span>
                    <StatusTag status=o.status />
                    <span class="muted">
                        {o.next_due.map(|d| format!("Next due {}", format::short_date(d)))}
                    </span>
                </li>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <section class="card">
            <h2>"Call plan this period"</h2>
            {if lost {
                view! { <p class="muted" id="cadence-lost">"Lost: out of the call plan. Move its stage on to plan touches again."</p> }.into_any()
            } else if rows.is_empty() {
                view! { <p class="muted">"Nothing planned for this account."</p> }.into_any()
            } else {
                view! { <ul class="plain-list">{rows}</ul> }.into_any()
            }}
        </section>
    }
}

#[component]
fn Timeline(
    account: AccountId,
    items: Vec<TimelineItem>,
    f: Fetch<AccountDetail>,
) -> impl IntoView {
    let ctx = ctx();
    let zone = ctx.profile().map(|p| p.time_zone);
    let leaving = RwSignal::new(false);
    let check_out = move |activity_id: ActivityId| {
        if leaving.get_untracked() {
            return;
        }
        leaving.set(true);
        spawn_local(async move {
            let _ = ipc::check_out(CheckOut {
                account_id: account,
                activity_id,
            })
            .await;
            let _ = leaving.try_set(false);
            ctx.poll_now.set(true);
            f.run(ipc::account(account));
        });
    };
    let rows = items
        .into_iter()
        .map(|t| {
            let when = format::date_time(t.occurred_at, zone.as_deref());
            let class = format!(
                "timeline-item{}{}",
                if t.pending { " pending" } else { "" },
                if t.voided { " voided" } else { "" }
            );
            let check_in = t
                .check_in
                .filter(|_| t.kind == ActivityKind::Visit)
                .map(|c| view! { <span class="check-in">{words::check_in(c)}</span> });
            let id = t.id;
            let visit = t.visit.map(|v| match v {
                VisitState::Open => view! {
                    <span class="visit-state open">"Under way"</span>
                    <button
                        class="button secondary check-out"
                        disabled=move || leaving.get()
                        on:click=move |_| check_out(id)
                    >
                        "Check out"
                    </button>
                }
                .into_any(),
                VisitState::Closed { minutes } => view! {
                    <span class="visit-state">{format!("Stayed {}", format::minutes(minutes))}</span>
                }
                .into_any(),
                VisitState::ClosedItself { minutes } => view! {
                    <span class="visit-state forgotten">
                        {format!("No check-out: closed itself after {}", format::minutes(minutes))}
                    </span>
                }
                .into_any(),
            });
            view! {
                <li class=class>
                    <div class="timeline-head">
                        <span class="timeline-kind">{words::activity(t.kind)}</span>
                        <time datetime=t.occurred_at.to_rfc3339()>{when}</time>
                    </div>
                    {t.outcome.map(|o| view! { <span class="outcome">{words::outcome(o)}</span> })}
                    {check_in}
                    {visit}
                    {t.note.map(|n| view! { <p class="note">{n}</p> })}
                    {t.pending.then(|| view! { <span class="pending-tag">"Waiting to sync"</span> })}
                    {t.voided.then(|| view! { <span class="void-tag">"Voided"</span> })}
                </li>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <section class="card">
            <h2>"History"</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"Nothing logged yet."</p> }.into_any()
            } else {
                view! { <ol class="timeline">{rows}</ol> }.into_any()
            }}
        </section>
    }
}

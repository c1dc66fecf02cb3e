//! The rep's changes to an account: its details, its stage in the funnel, and its pin
//! ("The entrance is here"). Each changed field is queued on the device at once and shown
//! as waiting to sync until the server has it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::{LatLon, Stage};
use rounds_protocol::ipc::{AccountDetail, EditAccount, IpcError};
use rounds_protocol::sync::{AccountEdit, LatLonRecord};

use crate::map::PinPicker;
use crate::parts::text_field;
use crate::state::{Fetch, Kept, ctx};
use crate::{geo, ipc, words};

const LOCATE_MS: u32 = 8_000;
const STAGES: [Stage; 4] = [
    Stage::Lead,
    Stage::Opportunity,
    Stage::Customer,
    Stage::Lost,
];

/// The form's values, as typed.
#[derive(Debug, Clone, PartialEq, Default)]
struct Draft {
    name: String,
    phone: String,
    email: String,
    street: String,
    city: String,
    postal_code: String,
    industry: String,
    /// Opening hours as written (`Mo-Fr 08:00-17:00`).
    hours: String,
    /// Minutes a visit takes, empty for the rep's usual.
    visit_minutes: String,
    /// Dates it is closed (`2026-12-24, 2026-12-28 – 2027-01-01`).
    closed_on: String,
    /// When its buyer likes visits (`Tu,Th 09:00-11:00`).
    preferred_hours: String,
    /// The rep's estimate of what it could buy in a year, in its currency.
    potential_estimate: String,
    /// The account's currency, what the estimate is read in.
    currency: String,
    stage: Option<Stage>,
    /// Why it was lost, asked for when the stage moves to lost.
    lost_reason: String,
}

impl Draft {
    fn of(d: &AccountDetail) -> Self {
        Draft {
            name: d.name.clone(),
            phone: d.phone.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            street: d.street.clone(),
            city: d.city.clone(),
            postal_code: d.postal_code.clone(),
            industry: d.industry.clone().unwrap_or_default(),
            hours: d.hours.clone().unwrap_or_default(),
            visit_minutes: d.visit_minutes.map(|m| m.to_string()).unwrap_or_default(),
            closed_on: d.closed_on.clone().unwrap_or_default(),
            preferred_hours: d.preferred_hours.clone().unwrap_or_default(),
            potential_estimate: d.potential_estimate_plain.clone().unwrap_or_default(),
            currency: d.currency.clone(),
            stage: Some(d.stage),
            lost_reason: String::new(),
        }
    }

    /// One edit per field that differs from `before`.
    fn edits(&self, before: &Draft) -> Vec<AccountEdit> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut out = Vec::new();
        if self.name.trim() != before.name.trim() {
            out.push(AccountEdit::Name(self.name.trim().to_owned()));
        }
        if self.phone.trim() != before.phone.trim() {
            out.push(AccountEdit::Phone(opt(&self.phone)));
        }
        if self.email.trim() != before.email.trim() {
            out.push(AccountEdit::Email(opt(&self.email)));
        }
        if self.street.trim() != before.street.trim() {
            out.push(AccountEdit::Street(self.street.trim().to_owned()));
        }
        if self.city.trim() != before.city.trim() {
            out.push(AccountEdit::City(self.city.trim().to_owned()));
        }
        if self.postal_code.trim() != before.postal_code.trim() {
            out.push(AccountEdit::PostalCode(self.postal_code.trim().to_owned()));
        }
        if self.industry.trim() != before.industry.trim() {
            out.push(AccountEdit::Industry(opt(&self.industry)));
        }
        if self.hours.trim() != before.hours.trim() {
            out.push(AccountEdit::Hours(opt(&self.hours)));
        }
        if self.visit_minutes.trim() != before.visit_minutes.trim() {
            // Not a number is caught by `visit_minutes_error` before anything is sent.
            out.push(AccountEdit::VisitMinutes(
                self.visit_minutes.trim().parse().ok(),
            ));
        }
        if self.closed_on.trim() != before.closed_on.trim() {
            // Unreadable dates are caught by `closed_on_error` before anything is sent.
            out.push(AccountEdit::ClosedOn(opt(&self.closed_on)));
        }
        if self.preferred_hours.trim() != before.preferred_hours.trim() {
            // Unreadable hours are caught by `preferred_hours_error` before anything is sent.
            out.push(AccountEdit::PreferredHours(opt(&self.preferred_hours)));
        }
        if self.potential_estimate.trim() != before.potential_estimate.trim() {
            // Not an amount is caught by `potential_estimate_error` before anything is sent.
            out.push(AccountEdit::PotentialEstimate(
                self.potential_estimate_minor().ok().flatten(),
            ));
        }
        if let Some(s) = self.stage
            && Some(s) != before.stage
        {
            out.push(AccountEdit::Stage(s));
        }
        out
    }

    /// What is wrong with the visit length as typed, if anything.
    fn visit_minutes_error(&self) -> Option<&'static str> {
        let m = self.visit_minutes.trim();
        let valid = m
            .parse::<u16>()
            .is_ok_and(|m| rounds_core::hours::visit_minutes(m).is_ok());
        (!m.is_empty() && !valid)
            .then_some("A visit lasts 1 to 600 minutes; leave it empty for your usual visit.")
    }

    /// The estimate as typed, in minor units; `None` when empty.
    fn potential_estimate_minor(&self) -> Result<Option<i64>, ()> {
        let typed = self.potential_estimate.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        let currency = rounds_core::Currency::parse(&self.currency).map_err(drop)?;
        match rounds_core::Money::parse(typed, currency) {
            Ok(m) if m.minor >= 0 => Ok(Some(m.minor)),
            _ => Err(()),
        }
    }

    /// What is wrong with the potential estimate as typed, if anything.
    fn potential_estimate_error(&self) -> Option<&'static str> {
        self.potential_estimate_minor().is_err().then_some(
            "Write the yearly potential as an amount, e.g. 120,000; leave it empty if you cannot say.",
        )
    }

    /// What is wrong with the preferred hours as typed, if anything.
    fn preferred_hours_error(&self) -> Option<&'static str> {
        rounds_core::hours::canonical(Some(&self.preferred_hours))
            .is_err()
            .then_some("Write the preferred hours like opening hours, e.g. Tu,Th 09:00-11:00.")
    }

    /// What is wrong with the closed dates as typed, if anything.
    fn closed_on_error(&self) -> Option<&'static str> {
        rounds_core::calendar::canonical_dates(Some(&self.closed_on))
            .is_err()
            .then_some(
                "Write closed dates like 2026-12-24, or 2026-12-28 – 2027-01-01 for a stretch (a year at most).",
            )
    }

    /// Whether the form moves the stage to lost (and so asks why).
    fn losing(&self, before: &Draft) -> bool {
        self.stage == Some(Stage::Lost) && before.stage != Some(Stage::Lost)
    }

    fn lost_reason(&self, before: &Draft) -> Option<String> {
        self.losing(before)
            .then(|| self.lost_reason.trim().to_owned())
            .filter(|r| !r.is_empty())
    }
}

/// The forms' state, kept while the account is drawn again under it.
#[derive(Clone, Copy)]
struct Form {
    open: RwSignal<bool>,
    draft: RwSignal<Draft>,
    /// The account's values when the form opened: what an edit is measured against.
    before: RwSignal<Draft>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<IpcError>>,
    // What the form itself finds missing, before anything is sent.
    missing: RwSignal<Option<&'static str>>,
    note: RwSignal<Option<&'static str>>,
    picking: RwSignal<Option<LatLon>>,
}

/// "Edit details", "The entrance is here" and "Place on the map", below the account's
/// header.
#[component]
pub fn EditDetails(detail: AccountDetail, f: Fetch<AccountDetail>) -> impl IntoView {
    let ctx = ctx();
    let id = detail.id;
    let now = Draft::of(&detail);
    let Form {
        open,
        draft,
        before,
        busy,
        error,
        missing,
        note,
        picking,
    } = Kept::get(|| Form {
        open: RwSignal::new(false),
        draft: RwSignal::new(now.clone()),
        before: RwSignal::new(now.clone()),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        missing: RwSignal::new(None),
        note: RwSignal::new(None),
        picking: RwSignal::new(None),
    });
    let send = move |edits: Vec<AccountEdit>, lost_reason: Option<String>, done: &'static str| {
        if edits.is_empty() {
            open.set(false);
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let answer = ipc::edit_account(EditAccount {
                account_id: id,
                edits,
                lost_reason,
            })
            .await;
            let _ = busy.try_set(false);
            match answer {
                Ok(()) => {
                    let _ = open.try_set(false);
                    let _ = note.try_set(Some(done));
                    ctx.poll_now.set(true);
                    f.run(ipc::account(id));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let d = draft.get_untracked();
        let before = before.get_untracked();
        if d.losing(&before) && d.lost_reason(&before).is_none() {
            missing.set(Some("Say why the account was lost."));
            return;
        }
        if let Some(m) = d
            .visit_minutes_error()
            .or_else(|| d.closed_on_error())
            .or_else(|| d.preferred_hours_error())
            .or_else(|| d.potential_estimate_error())
        {
            missing.set(Some(m));
            return;
        }
        missing.set(None);
        send(
            d.edits(&before),
            d.lost_reason(&before),
            "Saved on this device",
        )
    };
    let pin_here = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        note.set(Some("Finding where you are…"));
        spawn_local(async move {
            match geo::position(LOCATE_MS).await {
                Some(fix) => send(
                    vec![AccountEdit::Location(Some(LatLonRecord {
                        lat: fix.lat,
                        lon: fix.lon,
                    }))],
                    None,
                    "Pin moved to where you stand",
                ),
                None => {
                    let _ = busy.try_set(false);
                    let _ =
                        note.try_set(Some("No location from this device: the pin was not moved"));
                }
            }
        });
    };
    // "Place on the map": where the map opens (`picking`, kept), while it is open.
    let current = detail.location;
    let around = detail.around.clone();
    let opens_at = current.or_else(|| {
        let pins: Vec<LatLon> = around.iter().map(|p| p.location).collect();
        LatLon::middle(&pins)
    });
    let place_on_map = move |_| {
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        if let Some(start) = opens_at {
            picking.set(Some(start));
            return;
        }
        note.set(Some("Finding where you are…"));
        spawn_local(async move {
            let start = geo::position(LOCATE_MS)
                .await
                .and_then(|f| LatLon::new(f.lat, f.lon).ok());
            let _ = note.try_set(start.is_none().then_some(
                "No pin, no pinned account in its city and no location from this device: use \"The entrance is here\" at the door",
            ));
            let _ = picking.try_set(start);
        });
    };
    let picker = move || {
        let online = web_sys::window().is_some_and(|w| w.navigator().on_line());
        picking.get().map(|start| {
            view! {
                <PinPicker
                    start=start
                    current=current
                    around=around.clone()
                    online=online
                    on_pick=Callback::new(move |(p, _): (LatLon, f64)| {
                        picking.set(None);
                        send(
                            vec![AccountEdit::Location(Some(LatLonRecord { lat: p.lat(), lon: p.lon() }))],
                            None,
                            "Pin moved on the map",
                        );
                    })
                    on_cancel=Callback::new(move |_| picking.set(None))
                />
            }
        })
    };
    let form = move || {
        open.get().then(|| {
            view! {
                <form id="edit-form" class="card edit-form" on:submit=save novalidate=true>
                    <h2>"Edit details"</h2>
                    {text_field(draft, "edit-name", "Name", "text", |d| d.name.clone(), |d, v| d.name = v)}
                    {text_field(draft, "edit-phone", "Phone", "tel", |d| d.phone.clone(), |d, v| d.phone = v)}
                    {text_field(draft, "edit-email", "E-mail", "email", |d| d.email.clone(), |d, v| d.email = v)}
                    {text_field(draft, "edit-street", "Street", "text", |d| d.street.clone(), |d, v| d.street = v)}
                    {text_field(draft, "edit-city", "City", "text", |d| d.city.clone(), |d, v| d.city = v)}
                    {text_field(draft, "edit-postal", "Postal code", "text", |d| d.postal_code.clone(), |d, v| d.postal_code = v)}
                    {text_field(draft, "edit-industry", "Industry", "text", |d| d.industry.clone(), |d, v| d.industry = v)}
                    {text_field(draft, "edit-hours", "Opening hours (e.g. Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00)", "text", |d| d.hours.clone(), |d, v| d.hours = v)}
                    {text_field(draft, "edit-visit-minutes", "Visit minutes (empty: your usual)", "text", |d| d.visit_minutes.clone(), |d, v| d.visit_minutes = v)}
                    {text_field(draft, "edit-closed-on", "Closed on (e.g. 2026-12-24, 2026-12-28 – 2027-01-01)", "text", |d| d.closed_on.clone(), |d, v| d.closed_on = v)}
                    {text_field(draft, "edit-preferred-hours", "Visits preferred (a visit starts then when possible, e.g. Tu,Th 09:00-11:00)", "text", |d| d.preferred_hours.clone(), |d, v| d.preferred_hours = v)}
                    {text_field(draft, "edit-potential-estimate", "Your estimate of its yearly potential (what it could buy from us)", "text", |d| d.potential_estimate.clone(), |d, v| d.potential_estimate = v)}
                    <label for="edit-stage">"Stage"</label>
                    <select
                        id="edit-stage"
                        on:change=move |ev| {
                            let picked = event_target_value(&ev).parse::<usize>().ok();
                            draft.update(|d| d.stage = picked.and_then(|i| STAGES.get(i).copied()));
                        }
                    >
                        {STAGES
                            .iter()
                            .enumerate()
                            .map(|(i, s)| {
                                let s = *s;
                                view! {
                                    <option value=i.to_string() prop:selected=move || draft.with(|d| d.stage == Some(s))>
                                        {words::stage(s)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {
                        move || {
                            draft
                                .with(|d| before.with(|b| d.losing(b)))
                                .then(|| {
                                    text_field(
                                        draft,
                                        "edit-lost-reason",
                                        "Why was it lost?",
                                        "text",
                                        |d| d.lost_reason.clone(),
                                        |d, v| d.lost_reason = v,
                                    )
                                })
                        }
                    }
                    {move || missing.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{words::error(&e)}</p> })}
                    <div class="form-actions">
                        <button id="edit-save" class="button primary" type="submit" disabled=move || busy.get()>
                            "Save"
                        </button>
                        <button
                            class="button secondary"
                            type="button"
                            on:click=move |_| {
                                open.set(false);
                                error.set(None);
                                missing.set(None);
                            }
                        >
                            "Cancel"
                        </button>
                    </div>
                </form>
            }
            })
    };
    view! {
        <div class="edit-actions">
            <button
                id="edit-details"
                class="button secondary"
                on:click={
                    move |_| {
                        // Changes are what differs from the account as the form opened,
                        // so a sync landing meanwhile is not undone.
                        draft.set(now.clone());
                        before.set(now.clone());
                        note.set(None);
                        open.update(|o| *o = !*o);
                    }
                }
            >
                "Edit details"
            </button>
            <button id="pin-here" class="button secondary" disabled=move || busy.get() on:click=pin_here>
                "The entrance is here"
            </button>
            <button id="pin-on-map" class="button secondary" disabled=move || busy.get() on:click=place_on_map>
                "Place on the map"
            </button>
        </div>
        {move || note.get().map(|n| view! { <p id="edit-note" class="muted" role="status">{n}</p> })}
        {picker}
        {form}
    }
}

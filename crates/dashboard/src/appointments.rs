//! An account's appointments on its page, and the form a manager books one with (for the
//! rep who holds the account; it reaches their devices with the next sync).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_core::hours::clock;
use rounds_protocol::records::AppointmentRecord;
use rounds_protocol::{AccountId, AppointmentId};
use rounds_server_rules::appointments::{self, Booking};
use rounds_server_rules::state::AppState;
use rounds_server_rules::{Error, scope};
use serde::Deserialize;

use super::layout::{field, text_input};
use super::{Answer, Csrf, CsrfForm, Refusal, Viewer, see_other};

/// The list and the booking form, below the account's details.
pub fn section(
    viewer: &Viewer,
    team: &scope::Team,
    account: AccountId,
    items: &[AppointmentRecord],
) -> Markup {
    let rep = |a: &AppointmentRecord| {
        team.rep(a.rep_id)
            .map_or_else(|| "a former rep".to_owned(), |p| p.name.clone())
    };
    html! {
        h2 id="appointments" { "Appointments" }
        @if items.is_empty() {
            p.muted { "None booked." }
        } @else {
            table {
                thead { tr { th { "Day" } th { "Time" } th { "Rep" } th { "Note" } th { "" } } }
                tbody {
                    @for a in items {
                        tr class=[a.cancelled_at.map(|_| "muted")] {
                            td { (a.on.format("%a %-d %b %Y")) }
                            td { (clock(a.at_min)) "–" (clock(a.at_min + a.minutes)) }
                            td { (rep(a)) }
                            td { (a.note.clone().unwrap_or_default()) }
                            td {
                                @if a.cancelled_at.is_some() { "cancelled" }
                                @else {
                                    form.inline method="post" action=(format!("/dashboard/accounts/{account}/appointments/{}/cancel", a.id)) {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        button.secondary type="submit" data-action="cancel" aria-label=(format!("Cancel the visit of {}", a.on.format("%-d %b"))) { "Cancel" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.edit method="post" action=(format!("/dashboard/accounts/{account}/appointments")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            div.fields {
                (field("Day", "on", text_input("on", "", "date", false), None))
                (field("Time (HH:MM)", "at", text_input("at", "10:00", "time", false), None))
                (field("Minutes", "minutes", text_input("minutes", "45", "text", false), None))
                (field("Note", "note", text_input("note", "", "text", false), None))
            }
            div.actions { button type="submit" { "Book for the account's rep" } }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub note: String,
}

fn refused(why: &str) -> Refusal {
    Refusal::page(StatusCode::BAD_REQUEST, "Not booked", why)
}

/// `HH:MM` (a browser's time field) as minutes from midnight.
fn minute_of(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub async fn book(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Csrf(viewer, f): Csrf<BookForm>,
) -> Answer {
    let Ok(account) = id.parse::<AccountId>() else {
        return Err(super::accounts::not_found());
    };
    let Ok(on) = f.on.trim().parse() else {
        return Err(refused("Pick the day."));
    };
    let Some(at_min) = minute_of(&f.at) else {
        return Err(refused("Write the time as HH:MM, e.g. 10:30."));
    };
    let Ok(minutes) = f.minutes.trim().parse::<u16>() else {
        return Err(refused("Write how many minutes it lasts, e.g. 45."));
    };
    let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
    let now = s.settings.clock.now();
    let v = viewer.clone();
    let out =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            super::reach(&team).account(tx, account)?;
            appointments::book(
                tx,
                Booking {
                    account,
                    on,
                    at_min,
                    minutes,
                    note: note.clone(),
                },
                v.id,
                now,
            )
        })
        .await;
    back_to_account(out, account, "booked=1", "Not booked")
}

/// The account's page again, saying what was done (`done`, a query), or the refusal a
/// rule gave under `title`; an account out of reach is as if it did not exist.
fn back_to_account<T>(
    out: Result<T, Error>,
    account: AccountId,
    done: &str,
    title: &'static str,
) -> Answer {
    match out {
        Ok(_) => Ok(see_other(&format!(
            "/dashboard/accounts/{account}?{done}#appointments"
        ))),
        Err(Error::Client(e)) if e.code == rounds_protocol::ErrorCode::NotFound => {
            Err(super::accounts::not_found())
        }
        Err(Error::Client(e)) => Err(Refusal::page(StatusCode::BAD_REQUEST, title, e.message)),
        Err(e) => Err(e.into()),
    }
}

/// Cancels one of the account's appointments for its rep (kept in the list, marked);
/// the rep's devices drop it from their plans with the next sync.
pub async fn cancel(
    State(s): State<AppState>,
    Path((id, appointment)): Path<(String, String)>,
    Csrf(viewer, _f): Csrf<CsrfForm>,
) -> Answer {
    let (Ok(account), Ok(appointment)) = (
        id.parse::<AccountId>(),
        appointment.parse::<AppointmentId>(),
    ) else {
        return Err(super::accounts::not_found());
    };
    let now = s.settings.clock.now();
    let v = viewer.clone();
    let out =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            super::reach(&team).account(tx, account)?;
            appointments::cancel(tx, account, appointment, v.id, now)
        })
        .await;
    back_to_account(out, account, "cancelled=1", "Not cancelled")
}

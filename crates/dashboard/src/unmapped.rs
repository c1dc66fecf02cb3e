//! `/dashboard/unmapped`, "Not on the map": the team's accounts without a location, each
//! with why (no postal code, a country the offline table does not cover, a ZIP it does
//! not know) and a form to fix it where it stands — a postal code, placed at its middle
//! at once, or coordinates, placed by hand. A fix is a manager's edit like any other
//! (merged field by field); a rep's pin set later still wins.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_core::{Account, LatLon, LocationSource};
use rounds_protocol::AccountId;
use rounds_protocol::records::AccountRecord;
use rounds_server_rules::state::AppState;
use rounds_server_rules::{Error, places};
use serde::Deserialize;

use super::accounts::{MAX_ROWS, territory_label};
use super::scope::{self, Team};
use super::{Answer, Csrf, Viewer, html_response, page, see_other};
use crate::fields::FieldChange;
use crate::manage;

#[derive(Debug, Default, Deserialize)]
pub struct UnmappedQuery {
    /// After a fix: the account placed.
    placed: Option<AccountId>,
    /// After placing every account whose postal code is known: how many.
    placed_all: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PlaceAllForm {}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// The street-level geocoder, as the page reports it.
struct Street {
    /// Whether one is set (`geocoder_url`).
    on: bool,
    /// The team's accounts it would look up: a street, and no better place than a ZIP.
    waiting: usize,
    /// Address texts found, unknown to it, and still failing (the whole organisation's).
    lookups: (i64, i64, i64),
}

fn street(s: &AppState, accounts: &[Account], lookups: (i64, i64, i64)) -> Street {
    Street {
        on: !s.settings.geocoder_url.trim().is_empty(),
        waiting: accounts
            .iter()
            .filter(|a| places::wants_address(&AccountRecord::from(*a)).is_some())
            .count(),
        lookups,
    }
}

/// A row's fix that could not be made, shown beside it.
struct Refused {
    id: AccountId,
    form: PlaceForm,
    message: String,
}

pub async fn list(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<UnmappedQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let v = viewer.clone();
    let state = s.clone();
    let (team, accounts, street) =
        s.db.read(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let accounts = scope::accounts(tx, &mut team)?;
            let street = street(&state, &accounts, places::lookups(tx)?);
            Ok::<_, Error>((team, accounts, street))
        })
        .await?;
    let placed = q.placed.and_then(|id| accounts.iter().find(|a| a.id == id));
    Ok(html_response(
        StatusCode::OK,
        render(
            &viewer,
            &team,
            &accounts,
            &street,
            Done {
                placed,
                placed_all: q.placed_all,
            },
            None,
        ),
    ))
}

/// Places every account of the team that has no location and a postal code the table
/// knows (accounts from before offline placing, or whose location was cleared), as
/// one manager's edit each, in one transaction.
pub async fn place_all(State(s): State<AppState>, Csrf(viewer, _): Csrf<PlaceAllForm>) -> Answer {
    let now = s.settings.clock.now();
    let placed =
        s.db.write(move |tx| {
            let mut team = scope::team(tx, &viewer)?;
            let reach = super::reach(&team);
            let mut placed = 0;
            for a in scope::accounts(tx, &mut team)? {
                if a.location.is_some() {
                    continue;
                }
                let current = AccountRecord::from(&a);
                let mut rec = current.clone();
                if places::by_postal_code(&mut rec, None).is_none() {
                    let changes = FieldChange::diff(&current, &rec);
                    manage::edit_account(tx, &reach, a.id, &changes, viewer.id, now)?;
                    placed += 1;
                }
            }
            Ok::<_, Error>(placed)
        })
        .await?;
    Ok(see_other(&format!(
        "/dashboard/unmapped?placed_all={placed}"
    )))
}

/// What the page was asked to do before it was shown.
#[derive(Default)]
struct Done<'a> {
    placed: Option<&'a Account>,
    placed_all: Option<usize>,
}

/// What a fix asks for: coordinates when both are given, else the postal code's middle.
fn wanted(current: &AccountRecord, f: &PlaceForm) -> Result<AccountRecord, String> {
    let mut rec = current.clone();
    match (f.lat.trim(), f.lon.trim()) {
        ("", "") => {
            rec.postal_code = f.postal_code.trim().to_owned();
            rec.country = f.country.trim().to_owned();
            if let Some(miss) = places::by_postal_code(&mut rec, None) {
                return Err(format!("Not placed: {miss}."));
            }
        }
        (la, lo) => {
            let coord = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
            let at = coord(la)
                .zip(coord(lo))
                .ok_or("Latitude and longitude come together, as decimal degrees (e.g. 39.7392 and -104.9903).")?;
            LatLon::new(at.0, at.1).map_err(|e| format!("Not placed: {e}."))?;
            (rec.lat, rec.lon) = (Some(at.0), Some(at.1));
            rec.location_source = Some(LocationSource::Hand);
        }
    }
    Ok(rec)
}

pub async fn place(
    State(s): State<AppState>,
    Path(id): Path<AccountId>,
    Csrf(viewer, f): Csrf<PlaceForm>,
) -> Answer {
    let v = viewer.clone();
    let now = s.settings.clock.now();
    let state = s.clone();
    let out =
        s.db.write(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let reach = super::reach(&team);
            let current = reach.account(tx, id)?;
            match wanted(&current, &f) {
                Ok(rec) => {
                    let changes = FieldChange::diff(&current, &rec);
                    manage::edit_account(tx, &reach, id, &changes, v.id, now)?;
                    Ok::<_, Error>(Ok(()))
                }
                Err(message) => {
                    let accounts = scope::accounts(tx, &mut team)?;
                    let street = street(&state, &accounts, places::lookups(tx)?);
                    Ok(Err((
                        team,
                        accounts,
                        street,
                        Refused {
                            id,
                            form: f.clone(),
                            message,
                        },
                    )))
                }
            }
        })
        .await;
    let out = match out {
        Ok(out) => out,
        // Unknown and not-yours read the same.
        Err(Error::Client(e)) if e.code == rounds_protocol::ErrorCode::NotFound => {
            return Err(super::accounts::not_found());
        }
        Err(e) => return Err(e.into()),
    };
    match out {
        Ok(()) => Ok(see_other(&format!("/dashboard/unmapped?placed={id}"))),
        Err((team, accounts, street, refused)) => Ok(html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render(
                &viewer,
                &team,
                &accounts,
                &street,
                Done::default(),
                Some(&refused),
            ),
        )),
    }
}

fn render(
    viewer: &Viewer,
    team: &Team,
    accounts: &[Account],
    street: &Street,
    done: Done<'_>,
    refused: Option<&Refused>,
) -> Markup {
    let mut off: Vec<AccountRecord> = accounts
        .iter()
        .filter(|a| a.location.is_none())
        .map(AccountRecord::from)
        .collect();
    off.sort_by_key(|a| (a.name.to_lowercase(), a.id));
    let shown = off.len().min(MAX_ROWS);
    let placeable = off.iter().filter(|a| placeable_by_postal_code(a)).count();
    let body = html! {
        h1 { "Not on the map" }
        p.muted {
            "Accounts with no location cannot be drawn, routed or balanced by distance. "
            "A US ZIP code places an account at the middle of its ZIP at once, with no network; "
            "coordinates place it exactly. A rep's pin set at the account later wins over either."
        }
        @if let Some(n) = done.placed_all {
            p.ok-note role="status" {
                "Placed " (n) " account" @if n != 1 { "s" } " at the middle of their postal code. Devices get them on their next sync."
            }
        }
        @if let Some(a) = done.placed {
            p.ok-note role="status" {
                "Placed: " a href=(format!("/dashboard/accounts/{}", a.id)) { (a.name) }
                (a.location_source.map_or(String::new(), |s| format!(" ({})", s.label())))
                ". Devices get it on their next sync."
            }
        }
        @if let Some(r) = refused {
            p.alert role="alert" { "Nothing was saved: " (r.message) }
        }
        @if off.is_empty() {
            p #unmapped-none { "Every account of your team is on the map." }
        } @else {
            p #unmapped-count {
                (off.len()) " account" @if off.len() != 1 { "s are" } @else { " is" } " not on the map"
                @if shown < off.len() { "; the first " (shown) " by name are listed" }
                "."
            }
            @if placeable > 0 {
                form.place-all method="post" action="/dashboard/unmapped" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    div.actions {
                        button #place-all type="submit" {
                            "Place the " (placeable) " whose postal code is known"
                        }
                    }
                }
            }
            div.table-wrap tabindex="0" role="region" aria-label="Accounts not on the map" {
                table #unmapped {
                    thead { tr { th { "Account" } th { "Address" } th { "Territory" } th { "Why" } th { "Place it" } } }
                    tbody {
                        @for a in &off[..shown] {
                            (row(viewer, team, a, refused.filter(|r| r.id == a.id)))
                        }
                    }
                }
            }
        }
        h2 { "Street addresses" }
        p #street-geocoder {
            @if street.on {
                "Accounts placed only by their ZIP, and those with no place, are looked up by their street address in the background (the server's geocoder setting). "
                (street.waiting) " of your team's account" @if street.waiting != 1 { "s wait" } @else { " waits" } " for it; so far "
                (street.lookups.0) " address" @if street.lookups.0 != 1 { "es" } " found, "
                (street.lookups.1) " not known to it"
                @if street.lookups.2 > 0 { ", " (street.lookups.2) " to try again" }
                "."
            } @else {
                "No street-level geocoder is set, so no address leaves this server: accounts stay at their ZIP's middle until a rep sets the pin at the door. "
                "An administrator can name a Nominatim- or Photon-compatible service in the server's settings (geocoder_url)."
            }
        }
        p.muted.attribution {
            "ZIP code places: postal code data © "
            a href="https://www.geonames.org" { "GeoNames" } ", CC BY 4.0."
        }
    };
    page("Not on the map", Some((viewer, "/dashboard/map")), body)
}

/// Whether the offline table places this account by its postal code.
fn placeable_by_postal_code(a: &AccountRecord) -> bool {
    let mut probe = a.clone();
    places::by_postal_code(&mut probe, None).is_none()
}

fn row(viewer: &Viewer, team: &Team, a: &AccountRecord, refused: Option<&Refused>) -> Markup {
    let address = [&a.street, &a.city, &a.region, &a.postal_code, &a.country]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let (postal_code, country, lat, lon) = match refused {
        Some(r) => (
            r.form.postal_code.as_str(),
            r.form.country.as_str(),
            r.form.lat.as_str(),
            r.form.lon.as_str(),
        ),
        None => (a.postal_code.as_str(), a.country.as_str(), "", ""),
    };
    html! {
        tr data-account=(a.id) {
            td { a href=(format!("/dashboard/accounts/{}", a.id)) { (a.name) } }
            td { (address) }
            td { (territory_label(team, a.territory_id)) }
            td.why { (places::why_not_placed(a).unwrap_or_default()) }
            td {
                form.place method="post" action=(format!("/dashboard/unmapped/{}", a.id)) {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    label { span { "Postal code" } input name="postal_code" value=(postal_code) autocomplete="off"; }
                    label { span { "Country" } input name="country" value=(country) autocomplete="off"; }
                    label { span { "or latitude" } input name="lat" value=(lat) inputmode="decimal"; }
                    label { span { "longitude" } input name="lon" value=(lon) inputmode="decimal"; }
                    @if let Some(r) = refused {
                        span.error role="alert" { (r.message) }
                    }
                    button type="submit" { "Place" }
                }
            }
        }
    }
}

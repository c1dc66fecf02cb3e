//! `/dashboard/accounts`: the team's accounts with territory and rep, filtered by
//! territory, rep and text; many moved to another territory at once. And
//! `/dashboard/accounts/{id}`: one account's edit form (validated like a device's edit,
//! merged field by field like one) and its own move form.
//!
//! Over 600 lines on purpose: the list, the bulk move and the edit form share the
//! filters, the field table and the territory choices.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_core::{Kare, Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};
use serde::Deserialize;

use super::layout::{field, option, stage_label, text_input};
use super::scope::{self, Team};
use super::{Answer, Csrf, Refusal, Viewer, html_response, page, see_other};
use crate::fields::FieldChange;
use crate::manage;
use rounds_server_rules::account_list::{self, AccountsPage, Key, ListFilter, Start};
use rounds_server_rules::photos::{self, PhotoRow};
use rounds_server_rules::state::AppState;
use rounds_server_rules::{Error, Result};
use rounds_server_rules::{appointments, units};

/// At most this many rows on a page that does not page (the unmapped accounts).
pub const MAX_ROWS: usize = 500;

/// Accounts to a page of the list, which pages by name; the CSV export has them all.
pub const PAGE: usize = 100;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AccountsQuery {
    pub territory: Option<String>,
    pub rep: Option<String>,
    pub q: Option<String>,
    /// After a move: how many moved.
    pub moved: Option<usize>,
    /// The export's shape: a CRM's (`salesforce`, `hubspot`, `pipedrive`), else Rounds'.
    pub shape: Option<String>,
    /// The page after this key (`account_list::Key`), from a "Next" link.
    pub after: Option<String>,
    /// The page before this key, from a "Previous" link.
    pub before: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What the list's filters ask the database for.
pub fn list_filter(q: &AccountsQuery) -> ListFilter {
    ListFilter {
        territory: some(&q.territory).map(str::to_owned),
        rep: some(&q.rep).map(str::to_owned),
        text: some(&q.q).map(str::to_owned),
    }
}

/// Where the page the query asks for starts; a damaged page link is refused.
pub fn start_of(q: &AccountsQuery) -> Result<Start> {
    Ok(match (some(&q.after), some(&q.before)) {
        (Some(k), _) => Start::After(Key::parse(k)?),
        (_, Some(k)) => Start::Before(Key::parse(k)?),
        _ => Start::First,
    })
}

/// The team's accounts as stored (records, so the export can write every field), by name.
pub fn records(accounts: &[rounds_core::Account]) -> Vec<AccountRecord> {
    let mut out: Vec<AccountRecord> = accounts.iter().map(AccountRecord::from).collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    out
}

/// The accounts the query selects.
pub fn filter(team: &Team, all: Vec<AccountRecord>, q: &AccountsQuery) -> Vec<AccountRecord> {
    let territory = some(&q.territory);
    let rep = some(&q.rep);
    let text = some(&q.q).map(str::to_lowercase);
    all.into_iter()
        .filter(|a| territory.is_none_or(|t| a.territory_id.is_some_and(|x| x.to_string() == t)))
        .filter(|a| {
            rep.is_none_or(|r| {
                team.territory(a.territory_id)
                    .and_then(|t| t.rep)
                    .is_some_and(|x| x.to_string() == r)
            })
        })
        .filter(|a| {
            text.as_deref().is_none_or(|t| {
                [
                    Some(&a.name),
                    Some(&a.city),
                    Some(&a.street),
                    a.email.as_ref(),
                    a.phone.as_ref(),
                    a.industry.as_ref(),
                ]
                .into_iter()
                .flatten()
                .any(|v| v.to_lowercase().contains(t))
            })
        })
        .collect()
}

pub fn territory_label(team: &Team, t: Option<TerritoryId>) -> String {
    team.territory(t)
        .map_or_else(|| "—".to_owned(), |t| t.name.clone())
}

pub fn rep_label(team: &Team, t: Option<TerritoryId>) -> String {
    team.territory(t)
        .and_then(|t| t.rep)
        .and_then(|r| team.rep(r))
        .map_or_else(|| "unassigned".to_owned(), |p| p.name.clone())
}

pub(crate) fn priority_label(p: Priority) -> &'static str {
    match p {
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

fn kare_label(k: Kare) -> &'static str {
    match k {
        Kare::Keep => "Keep",
        Kare::Attain => "Attain",
        Kare::Recapture => "Recapture",
        Kare::Expand => "Expand",
    }
}

/// An enum's wire name (`lead`, `high`, …), the value its forms and the CSV use.
fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn query_string(q: &AccountsQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("territory", &q.territory), ("rep", &q.rep), ("q", &q.q)] {
        if let Some(v) = some(v) {
            parts.push(format!("{k}={}", super::activity::encode(v)));
        }
    }
    parts.join("&")
}

pub(crate) fn territory_select(
    team: &Team,
    name: &str,
    current: &str,
    any: Option<&str>,
) -> Markup {
    html! {
        select id=(name) name=(name) {
            @if let Some(any) = any { (option("", any, current)) }
            @for t in &team.territories {
                @let label = match t.rep.and_then(|r| team.rep(r)) {
                    Some(p) => format!("{} ({})", t.name, p.name),
                    None => format!("{} (no rep)", t.name),
                };
                (option(&t.id.to_string(), &label, current))
            }
        }
    }
}

/// The filters the Accounts list and the map share (territory, rep, text), sent to `action`.
pub(crate) fn filters(team: &Team, q: &AccountsQuery, action: &str) -> Markup {
    let territory = q.territory.clone().unwrap_or_default();
    let rep = q.rep.clone().unwrap_or_default();
    html! {
        form.filters method="get" action=(action) {
            label { "Territory" (territory_select(team, "territory", &territory, Some("All territories"))) }
            label { "Rep" select name="rep" {
                (option("", "All reps", &rep))
                @for p in &team.reps { (option(&p.id.to_string(), &p.name, &rep)) }
            } }
            label { "Search" input type="search" name="q" value=(q.q.clone().unwrap_or_default()) placeholder="Name, city, e-mail…"; }
            button type="submit" { "Filter" }
            a href=(action) { "Clear" }
        }
    }
}

pub fn render_list(
    viewer: &Viewer,
    team: &Team,
    q: &AccountsQuery,
    page_: &AccountsPage,
    total: i64,
) -> Markup {
    let qs = query_string(q);
    let link = |k: Option<(&str, &Key)>| {
        let mut parts = vec![qs.clone()];
        if let Some((name, key)) = k {
            parts.push(format!(
                "{name}={}",
                super::activity::encode(&key.to_param())
            ));
        }
        parts.retain(|p| !p.is_empty());
        format!("/dashboard/accounts?{}", parts.join("&"))
    };
    let rows = &page_.records;
    let body = html! {
        h1 { "Accounts" }
        (super::layout::left_out(&page_.left_out))
        @if let Some(n) = q.moved {
            p.ok-note role="status" { "Moved " (n) " account" @if n != 1 { "s" } "." }
        }
        (filters(team, q, "/dashboard/accounts"))
        p.muted {
            (total) " account" @if total != 1 { "s" }
            @if total > rows.len() as i64 { ", " (PAGE) " to a page by name" }
            " · "
            a.download href=(format!("/dashboard/accounts.csv?{qs}")) download { "Download CSV" }
            " (the import format: edit it and import it back) · in a CRM's shape: "
            @for (i, (shape, label)) in [("salesforce", "Salesforce"), ("hubspot", "HubSpot"), ("pipedrive", "Pipedrive")].iter().enumerate() {
                @if i > 0 { ", " }
                a.download href=(format!("/dashboard/accounts.csv?{qs}{}shape={shape}", if qs.is_empty() { "" } else { "&" })) download { (label) }
            }
        }
        @if rows.is_empty() {
            p.muted { "No account matches." }
        } @else {
            form method="post" action="/dashboard/accounts/move" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="back" value=(format!("/dashboard/accounts?{qs}"));
                div.actions {
                    label { "Move the selected accounts to"
                        (territory_select(team, "to", "", Some("Choose a territory…"))) }
                    button type="submit" { "Move" }
                }
                div.table-wrap tabindex="0" { table.cards.accounts {
                    thead { tr {
                        th { span.visually-hidden { "Select" } } th { "Account" } th { "Territory" } th { "Rep" }
                        th { "Stage" } th { "Priority" } th { "City" }
                    } }
                    tbody {
                        @for a in rows {
                            tr data-account=(a.id) {
                                td.check { input type="checkbox" name="ids" value=(a.id) aria-label=(format!("Select {}", a.name)); }
                                td.title { a href=(format!("/dashboard/accounts/{}", a.id)) { (a.name) } }
                                td data-label="Territory" { (territory_label(team, a.territory_id)) }
                                td data-label="Rep" { (rep_label(team, a.territory_id)) }
                                td data-label="Stage" { (stage_label(a.stage)) }
                                td data-label="Priority" { (priority_label(a.priority)) }
                                td data-label="City" { (a.city) }
                            }
                        }
                    }
                } }
            }
        }
        nav.pager aria-label="Pages" {
            @if let Some(k) = &page_.previous {
                a href=(link(None)) { "⇤ First" }
                a href=(link(Some(("before", k)))) rel="prev" { "← Previous" }
            }
            @if let Some(k) = &page_.next {
                a href=(link(Some(("after", k)))) rel="next" { "Next →" }
            }
        }
    };
    page("Accounts", Some((viewer, "/dashboard/accounts")), body)
}

/// The team, how many accounts the filters select, and the page asked for: one read.
pub async fn list(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<AccountsQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let start = start_of(&q)?;
    let (v, f) = (viewer.clone(), list_filter(&q));
    let out =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let total = account_list::count(tx, &team, &f)?;
            let page = account_list::page(tx, &team, &f, &start, PAGE)?;
            Ok::<_, Error>((team, total, page))
        })
        .await;
    match out {
        Ok((team, total, page)) => Ok(html_response(
            StatusCode::OK,
            render_list(&viewer, &team, &q, &page, total),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The Accounts list's "move the ticked accounts" form.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    /// One per ticked checkbox.
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    to: String,
    /// The list (with its filters) to go back to.
    #[serde(default)]
    back: String,
}

pub async fn move_selected(State(s): State<AppState>, Csrf(viewer, f): Csrf<MoveForm>) -> Answer {
    let ids: std::result::Result<Vec<AccountId>, _> =
        f.ids.iter().map(|v| v.parse::<AccountId>()).collect();
    let Ok(ids) = ids else {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "Not possible",
            "An account id is not valid.",
        ));
    };
    if ids.is_empty() {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "Nothing selected",
            "Tick the accounts to move, then choose where they go.",
        ));
    }
    let Ok(to) = f.to.parse::<TerritoryId>() else {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "No territory chosen",
            "Choose the territory the accounts move to.",
        ));
    };
    let back = f.back;
    // Only back to a dashboard page: the form's own value, never elsewhere.
    let back = if back.starts_with("/dashboard/") && !back.contains("//") {
        back
    } else {
        "/dashboard/accounts?".to_owned()
    };
    let v = viewer.clone();
    let moved =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            manage::move_accounts(tx, &super::reach(&team), &ids, to, s.settings.clock.now())
        })
        .await;
    match moved {
        Ok(n) => {
            let sep = if back.contains('?') { "&" } else { "?" };
            let sep = if back.ends_with('?') { "" } else { sep };
            Ok(see_other(&format!("{back}{sep}moved={n}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The edit form's fields, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub csrf: String,
    /// The record as the form showed it (JSON): only fields changed from it are saved,
    /// so a field a device changed meanwhile is not overwritten by a stale form.
    #[serde(default)]
    pub base: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub kare: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub revenue: String,
    #[serde(default)]
    pub expenses: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub visit_minutes: String,
    #[serde(default)]
    pub closed_on: String,
    #[serde(default)]
    pub preferred_hours: String,
    /// What it could buy in a year; empty: not known.
    #[serde(default)]
    pub potential: String,
}

impl EditForm {
    pub fn of(rec: &AccountRecord) -> EditForm {
        EditForm {
            csrf: String::new(),
            base: serde_json::to_string(rec).unwrap_or_default(),
            name: rec.name.clone(),
            street: rec.street.clone(),
            city: rec.city.clone(),
            region: rec.region.clone(),
            postal_code: rec.postal_code.clone(),
            country: rec.country.clone(),
            phone: rec.phone.clone().unwrap_or_default(),
            email: rec.email.clone().unwrap_or_default(),
            industry: rec.industry.clone().unwrap_or_default(),
            stage: wire(&rec.stage),
            kare: rec.kare.as_ref().map(wire).unwrap_or_default(),
            priority: wire(&rec.priority),
            revenue: rounds_server_rules::import::plain_amount(rec.revenue_minor, &rec.currency),
            expenses: rounds_server_rules::import::plain_amount(rec.expenses_minor, &rec.currency),
            lat: rec.lat.map(|v| v.to_string()).unwrap_or_default(),
            lon: rec.lon.map(|v| v.to_string()).unwrap_or_default(),
            hours: rec.hours.clone().unwrap_or_default(),
            visit_minutes: rec.visit_minutes.map(|m| m.to_string()).unwrap_or_default(),
            closed_on: rec.closed_on.clone().unwrap_or_default(),
            preferred_hours: rec.preferred_hours.clone().unwrap_or_default(),
            potential: rec
                .potential_minor
                .map(|m| rounds_server_rules::import::plain_amount(m, &rec.currency))
                .unwrap_or_default(),
        }
    }
}

/// Field name → what is wrong with it.
pub type FieldErrors = BTreeMap<&'static str, String>;

fn enum_of<T: serde::de::DeserializeOwned>(v: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(v.trim().to_owned())).ok()
}

/// The record the form asks for (`base` with the typed values), or every field's error.
/// The rules are the push's ([`FieldChange::validate`]) plus the domain's own check.
pub fn parse_form(
    base: &AccountRecord,
    f: &EditForm,
) -> std::result::Result<AccountRecord, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut rec = base.clone();
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    // Address lines as typed (like a device's edit), so a stored value with a stray
    // space does not count as changed.
    rec.name = f.name.trim().to_owned();
    rec.street = f.street.clone();
    rec.city = f.city.clone();
    rec.region = f.region.clone();
    rec.postal_code = f.postal_code.clone();
    rec.country = f.country.clone();
    rec.phone = opt(&f.phone);
    rec.email = opt(&f.email);
    rec.industry = opt(&f.industry);
    match enum_of(&f.stage) {
        Some(s) => rec.stage = s,
        None => {
            errors.insert("stage", "Choose a stage.".into());
        }
    }
    match enum_of(&f.priority) {
        Some(p) => rec.priority = p,
        None => {
            errors.insert("priority", "Choose a priority bucket.".into());
        }
    }
    rec.kare = if f.kare.trim().is_empty() {
        None
    } else {
        match enum_of(&f.kare) {
            Some(k) => Some(k),
            None => {
                errors.insert("kare", "Choose a K.A.R.E. category or none.".into());
                rec.kare
            }
        }
    };
    let currency = rounds_core::Currency::parse(&base.currency);
    let amount = |text: &str| -> Result<Option<i64>, String> {
        match (&currency, text.trim()) {
            (_, "") => Ok(None),
            (Ok(c), t) => rounds_core::Money::parse(t, *c)
                .map(|m| Some(m.minor))
                .map_err(|_| format!("An amount in {}, like 39000 or 39,000.50.", base.currency)),
            (Err(e), _) => Err(e.to_string()),
        }
    };
    for (name, text, slot) in [
        ("revenue", &f.revenue, &mut rec.revenue_minor),
        ("expenses", &f.expenses, &mut rec.expenses_minor),
    ] {
        match amount(text) {
            Ok(v) => *slot = v.unwrap_or(0),
            Err(e) => {
                errors.insert(name, e);
            }
        }
    }
    match amount(&f.potential) {
        Ok(v) => rec.potential_minor = v,
        Err(e) => {
            errors.insert("potential", e);
        }
    }
    // Written forms: stored in their one shape, or refused with how to write them.
    let mut written = |field: &'static str, r: Result<Option<String>, String>, example: &str| {
        r.map_err(|e| {
            errors.insert(field, format!("{}. For example: {example}", capitalise(&e)));
        })
        .ok()
    };
    if let Some(h) = written(
        "hours",
        rounds_core::hours::canonical(Some(&f.hours)).map_err(|e| e.to_string()),
        "Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00",
    ) {
        rec.hours = h;
    }
    if let Some(c) = written(
        "closed_on",
        rounds_core::calendar::canonical_dates(Some(&f.closed_on)).map_err(|e| e.to_string()),
        "2026-12-24, 2026-12-28 – 2027-01-01",
    ) {
        rec.closed_on = c;
    }
    if let Some(h) = written(
        "preferred_hours",
        rounds_core::hours::canonical(Some(&f.preferred_hours)).map_err(|e| e.to_string()),
        "Tu,Th 09:00-11:00",
    ) {
        rec.preferred_hours = h;
    }
    match f.visit_minutes.trim() {
        "" => rec.visit_minutes = None,
        m => match m.parse::<u16>() {
            Ok(m) => rec.visit_minutes = Some(m),
            Err(_) => {
                errors.insert(
                    "visit_minutes",
                    "A whole number of minutes, like 45.".into(),
                );
            }
        },
    }
    let coord = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    match (f.lat.trim(), f.lon.trim()) {
        ("", "") => {
            rec.lat = None;
            rec.lon = None;
        }
        (la, lo) => match (coord(la), coord(lo)) {
            (Some(la), Some(lo)) => {
                rec.lat = Some(la);
                rec.lon = Some(lo);
            }
            _ => {
                errors.insert(
                    "location",
                    "Latitude and longitude come together, as decimal degrees (e.g. 39.7392 and -104.9903).".into(),
                );
            }
        },
    }
    if (rec.lat, rec.lon) != (base.lat, base.lon) {
        rec.location_source = rec.lat.map(|_| rounds_core::LocationSource::Hand);
    } else {
        // A new address moves a pin that only came from the old one.
        rounds_server_rules::places::by_postal_code(&mut rec, Some(base));
    }
    for c in FieldChange::all(&rec) {
        let name = c.field();
        if errors.contains_key(name) {
            continue;
        }
        if let Err(e) = c.validate() {
            errors.insert(name, capitalise(&e));
        }
    }
    if errors.is_empty()
        && let Err(e) = rounds_core::Account::try_from(&rec)
    {
        errors.insert(e.field, capitalise(&e.reason));
    }
    if errors.is_empty() {
        Ok(rec)
    } else {
        Err(errors)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    /// After a save: the fields saved (comma-separated), or empty for none.
    pub saved: Option<String>,
    pub moved: Option<usize>,
    /// After booking an appointment.
    pub booked: Option<u8>,
    /// After cancelling one.
    pub cancelled: Option<u8>,
}

fn enum_select<T: serde::Serialize + Copy>(
    name: &str,
    values: &[T],
    label: fn(T) -> &'static str,
    current: &str,
    none: Option<&str>,
) -> Markup {
    html! {
        select id=(name) name=(name) {
            @if let Some(n) = none { (option("", n, current)) }
            @for v in values { (option(&wire(v), label(*v), current)) }
        }
    }
}

/// What the account's page shows besides its fields.
#[derive(Debug)]
pub struct Around {
    pub photos: Vec<PhotoRow>,
    pub appointments: Vec<rounds_protocol::records::AppointmentRecord>,
    /// Where its territory came from.
    pub source: units::Source,
}

/// Where the account's territory came from, in words.
fn source_text(team: &Team, rec: &AccountRecord, source: &units::Source) -> String {
    let code = rec.postal_code.trim();
    match source {
        units::Source::PostalCode => {
            format!("In this territory by its postal code, {code}.")
        }
        units::Source::ByHandElsewhere(t) => format!(
            "Put in this territory by hand; its postal code, {code}, belongs to {}.",
            territory_label(team, Some(*t))
        ),
        units::Source::ByHand => {
            "Put in this territory by hand (its postal code belongs to no territory yet)."
                .to_owned()
        }
        units::Source::None => "In no territory.".to_owned(),
    }
}

pub fn render_edit(
    viewer: &Viewer,
    team: &Team,
    rec: &AccountRecord,
    around: &Around,
    f: &EditForm,
    errors: &FieldErrors,
    q: &EditQuery,
) -> Markup {
    let e = |n: &str| errors.get(n);
    let t = |label: &str, name: &'static str, value: &str, kind: &str| {
        field(
            label,
            name,
            text_input(name, value, kind, errors.contains_key(name)),
            e(name),
        )
    };
    let path = format!("/dashboard/accounts/{}", rec.id);
    let body = html! {
        p { a href="/dashboard/accounts" { "← Accounts" } }
        h1 { (rec.name) }
        p.muted { (territory_label(team, rec.territory_id)) " · " (rep_label(team, rec.territory_id)) }
        @if let Some(saved) = &q.saved {
            p.ok-note role="status" {
                @if saved.is_empty() { "Nothing changed." }
                @else { "Saved: " (saved.replace(',', ", ")) ". Devices get it on their next sync." }
            }
        }
        @if q.booked.is_some() {
            p.ok-note role="status" { "Booked. The rep's devices get it on their next sync." }
        }
        @if q.cancelled.is_some() {
            p.ok-note role="status" { "Cancelled. The rep's devices take it off their plans on their next sync." }
        }
        @match q.moved {
            Some(0) => p.ok-note role="status" { "It is already in that territory." },
            Some(_) => p.ok-note role="status" { "Moved. The old rep's devices drop it and the new rep's get it, with its history, on their next sync." },
            None => {},
        }
        @if !errors.is_empty() {
            p.alert role="alert" { "Nothing was saved: " (errors.len()) " field" @if errors.len() != 1 { "s need" } @else { " needs" } " fixing (marked below)." }
        }
        form.edit method="post" action=(path) novalidate {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="base" value=(f.base);
            div.fields {
                (t("Name", "name", &f.name, "text"))
                (t("Industry", "industry", &f.industry, "text"))
                (t("Phone", "phone", &f.phone, "tel"))
                (t("E-mail", "email", &f.email, "email"))
                (t("Street", "street", &f.street, "text"))
                (t("City", "city", &f.city, "text"))
                (t("Region", "region", &f.region, "text"))
                (t("Postal code", "postal_code", &f.postal_code, "text"))
                (t("Country", "country", &f.country, "text"))
                (field("Stage", "stage", enum_select("stage", &[Stage::Lead, Stage::Opportunity, Stage::Customer, Stage::Lost], stage_label, &f.stage, None), e("stage")))
                (field("K.A.R.E.", "kare", enum_select("kare", &[Kare::Keep, Kare::Attain, Kare::Recapture, Kare::Expand], kare_label, &f.kare, Some("—")), e("kare")))
                (field("Priority bucket", "priority", enum_select("priority", &[Priority::High, Priority::Medium, Priority::Low], priority_label, &f.priority, None), e("priority")))
                (t(&format!("Revenue ({})", rec.currency), "revenue", &f.revenue, "text"))
                (t(&format!("Expenses ({})", rec.currency), "expenses", &f.expenses, "text"))
                (t(&format!("Potential per year ({}; empty: not known)", rec.currency), "potential", &f.potential, "text"))
                (potential_estimate(rec))
                (t("Latitude", "lat", &f.lat, "text"))
                (field("Longitude", "lon", text_input("lon", &f.lon, "text", errors.contains_key("location")), e("location")))
                (location_note(rec))
                (t("Opening hours (e.g. Mo-Fr 08:00-17:00; Sa 09:00-12:00)", "hours", &f.hours, "text"))
                (t("Visit minutes (empty: the rep's usual)", "visit_minutes", &f.visit_minutes, "text"))
                (t("Closed on (e.g. 2026-12-24, 2026-12-28 – 2027-01-01)", "closed_on", &f.closed_on, "text"))
                (t("Visits preferred (e.g. Tu,Th 09:00-11:00; planned there when possible)", "preferred_hours", &f.preferred_hours, "text"))
            }
            div.actions { button type="submit" { "Save" } }
        }
        h2 { "Move to another territory" }
        p #territory-source { (source_text(team, rec, &around.source)) }
        form.edit method="post" action="/dashboard/accounts/move" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="ids" value=(rec.id);
            input type="hidden" name="back" value=(path);
            div.actions {
                label { "Territory" (territory_select(team, "to", &rec.territory_id.map(|t| t.to_string()).unwrap_or_default(), None)) }
                button type="submit" { "Move" }
            }
            p.muted { "Its contacts and whole history go with it; the assignment history keeps who held it when." }
        }
        (super::appointments::section(viewer, team, rec.id, &around.appointments))
        (super::photos::section(team, &around.photos))
    };
    page(&rec.name, Some((viewer, "/dashboard/accounts")), body)
}

/// Where the location came from and what it is good for.
fn location_note(rec: &AccountRecord) -> Markup {
    html! {
        p #location-source .muted {
            @match (rec.lat.is_some(), rec.location_source) {
                (false, _) => {
                    "Not on the map: "
                    (rounds_server_rules::places::why_not_placed(rec).unwrap_or_default())
                    ". A US ZIP code places it at once."
                }
                (true, None) => "Location: where it came from was not recorded.",
                (true, Some(s)) => {
                    "Location: " (s.label()) ", within about "
                    (if s.precision_m() >= 1_000 { format!("{} km", s.precision_m() / 1_000) } else { format!("{} m", s.precision_m()) })
                    "."
                    @if !s.proves_visits() { " A check-in cannot be verified against it." }
                }
            }
        }
    }
}

/// The rep's own estimate beside the manager's figure: read here, typed on the device.
fn potential_estimate(rec: &AccountRecord) -> Markup {
    let estimate = rounds_core::Currency::parse(&rec.currency)
        .ok()
        .zip(rec.potential_estimate_minor)
        .map(|(c, m)| rounds_core::Money::new(m, c).to_string());
    html! {
        div.field #potential-estimate {
            span.label { "The rep's estimate" }
            @match estimate {
                Some(e) => {
                    p.value { (e)
                        @if rec.potential_minor.is_none() {
                            span.muted { " — planning uses it until a potential is set here" }
                        }
                    }
                }
                None => p.value.muted { "none (the rep can estimate it on the device)" },
            }
        }
    }
}

fn path_account(id: &str) -> Option<AccountId> {
    id.parse().ok()
}

pub(crate) fn not_found() -> Refusal {
    Refusal::page(
        StatusCode::NOT_FOUND,
        "No such account",
        "No account you manage has this address.",
    )
}

pub async fn edit_form(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    q: Result<Query<EditQuery>, QueryRejection>,
) -> Answer {
    let Some(id) = path_account(&id) else {
        return Err(not_found());
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let v = viewer.clone();
    let out =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let rec = super::reach(&team).account(tx, id)?;
            let around = Around {
                photos: photos::of_account(tx, id)?,
                appointments: appointments::of_account(tx, id)?,
                source: units::source(tx, rec.territory_id, &rec.country, &rec.postal_code)?,
            };
            Ok::<_, Error>(render_edit(
                &v,
                &team,
                &rec,
                &around,
                &EditForm::of(&rec),
                &FieldErrors::new(),
                &q,
            ))
        })
        .await;
    match out {
        Ok(m) => Ok(html_response(StatusCode::OK, m)),
        Err(Error::Client(e)) if e.code == rounds_protocol::ErrorCode::NotFound => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

enum Saved {
    Done(Vec<&'static str>),
    Invalid(Markup),
}

pub async fn edit_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Csrf(viewer, f): Csrf<EditForm>,
) -> Answer {
    let Some(id) = path_account(&id) else {
        return Err(not_found());
    };
    let v = viewer.clone();
    let out =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            let reach = super::reach(&team);
            let current = reach.account(tx, id)?;
            // The form's starting point; the stored record when it is missing or forged.
            let base = serde_json::from_str::<AccountRecord>(&f.base)
                .ok()
                .filter(|b| b.id == id && b.currency == current.currency)
                .unwrap_or_else(|| current.clone());
            match parse_form(&base, &f) {
                Err(errors) => Ok::<_, Error>(Saved::Invalid(render_edit(
                    &v,
                    &team,
                    &current,
                    &Around {
                        photos: photos::of_account(tx, id)?,
                        appointments: appointments::of_account(tx, id)?,
                        source: units::source(
                            tx,
                            current.territory_id,
                            &current.country,
                            &current.postal_code,
                        )?,
                    },
                    &f,
                    &errors,
                    &EditQuery::default(),
                ))),
                Ok(wanted) => {
                    let changes = FieldChange::diff(&base, &wanted);
                    let out = manage::edit_account(
                        tx,
                        &reach,
                        id,
                        &changes,
                        v.id,
                        s.settings.clock.now(),
                    )?;
                    Ok(Saved::Done(out.applied))
                }
            }
        })
        .await;
    match out {
        Ok(Saved::Done(fields)) => Ok(see_other(&format!(
            "/dashboard/accounts/{id}?saved={}",
            fields.join(",")
        ))),
        Ok(Saved::Invalid(m)) => Ok(html_response(StatusCode::UNPROCESSABLE_ENTITY, m)),
        Err(Error::Client(e)) if e.code == rounds_protocol::ErrorCode::NotFound => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

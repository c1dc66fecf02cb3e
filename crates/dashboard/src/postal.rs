//! Postal codes of the team: `/dashboard/postal-codes/{code}?country=` for one, and
//! `/dashboard/postal-codes?code=…&code=…` for several (a selection made on the map) —
//! the territory each belongs to and their accounts — and moving them to another
//! territory: a preview of what moves first, then the move (the accounts through the
//! manager's move path, and the codes themselves, so accounts imported there later land
//! in the new territory).

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_core::Account;
use rounds_protocol::TerritoryId;
use rounds_server_rules::state::AppState;
use rounds_server_rules::units::{self, MAX_CODES};
use rounds_server_rules::{Error, scope};
use serde::Deserialize;

use super::accounts::{rep_label, territory_label, territory_select};
use super::scope::Team;
use super::{Answer, Csrf, Refusal, Viewer, html_response, page, see_other};

/// How many moving accounts the preview names; the rest are counted.
const LISTED: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct PostalQuery {
    #[serde(default)]
    code: Vec<String>,
    #[serde(default)]
    country: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    moved: Option<usize>,
}

/// One postal code as the page shows it.
struct Unit {
    code: String,
    /// The territory it belongs to, if any.
    owner: Option<TerritoryId>,
    accounts: usize,
}

/// What the page shows: the codes, their accounts (by name) and the fingerprint of those.
struct Selection {
    country: String,
    units: Vec<Unit>,
    here: Vec<Account>,
    seen: String,
}

impl Selection {
    fn codes(&self) -> Vec<&str> {
        self.units.iter().map(|u| u.code.as_str()).collect()
    }

    fn title(&self) -> String {
        match self.codes().as_slice() {
            [one] => format!("Postal code {one}"),
            many if many.len() <= 6 => format!("Postal codes {}", many.join(", ")),
            many => format!("{} postal codes", many.len()),
        }
    }
}

/// The page of `codes` (of `country`), with `extra` query pairs.
fn address(country: &str, codes: &[String], extra: &str) -> String {
    match codes {
        [one] => format!(
            "/dashboard/postal-codes/{}?country={}{extra}",
            encode(one),
            encode(country)
        ),
        many => format!(
            "/dashboard/postal-codes?country={}{}{extra}",
            encode(country),
            many.iter()
                .map(|c| format!("&code={}", encode(c)))
                .collect::<String>()
        ),
    }
}

fn refused(message: &str) -> Refusal {
    Refusal::page(StatusCode::BAD_REQUEST, "Not possible", message)
}

fn country_or_us(country: &str) -> String {
    let c = country.trim().to_uppercase();
    if c.is_empty() { "US".into() } else { c }
}

fn encode(s: &str) -> String {
    super::activity::encode(s)
}

/// The codes as units key them, each once, in the order given; refused when none or
/// too many.
fn codes_of(country: &str, typed: &[String]) -> Result<Vec<String>, Refusal> {
    let mut codes: Vec<String> = Vec::new();
    for c in typed {
        if let Some((_, k)) = units::key(country, c)
            && !codes.contains(&k)
        {
            codes.push(k);
        }
    }
    if codes.is_empty() {
        return Err(refused("A postal code is needed."));
    }
    if codes.len() > MAX_CODES {
        return Err(refused(&format!(
            "{} postal codes were chosen; one move takes at most {MAX_CODES}. Choose fewer.",
            codes.len()
        )));
    }
    Ok(codes)
}

fn render(
    viewer: &Viewer,
    team: &Team,
    sel: &Selection,
    to: Option<TerritoryId>,
    moved: Option<usize>,
) -> Markup {
    let moving: Vec<&Account> = to.map_or_else(Vec::new, |to| {
        sel.here
            .iter()
            .filter(|a| a.territory != Some(to))
            .collect()
    });
    let codes = sel.codes();
    let one = codes.len() == 1;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let body = html! {
        h1 { (sel.title()) }
        @if let Some(n) = moved {
            p.ok-note role="status" { "Moved: " (plural(n, "account")) ". Their reps' devices follow at their next sync." }
        }
        // The preview first: a long list of codes must not push the confirmation out of sight.
        @if let Some(to) = to {
            section #postal-preview {
                p {
                    "Moving " @if one { (codes[0]) } @else { (plural(codes.len(), "postal code")) }
                    " to " b { (territory_label(team, Some(to))) } " moves " (plural(moving.len(), "account")) ":"
                }
                @if !moving.is_empty() {
                    ul {
                        @for a in moving.iter().take(LISTED) { li { (a.name) " — from " (territory_label(team, a.territory)) } }
                        @if moving.len() > LISTED { li.muted { "and " (moving.len() - LISTED) " more (all are in the list below)" } }
                    }
                }
                form method="post" action=(if one { format!("/dashboard/postal-codes/{}", encode(codes[0])) } else { "/dashboard/postal-codes".to_owned() }) {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="country" value=(sel.country);
                    input type="hidden" name="to" value=(to);
                    input type="hidden" name="seen" value=(sel.seen);
                    @for c in &codes { input type="hidden" name="code" value=(c); }
                    button type="submit" {
                        "Move " @if one { (codes[0]) } @else { (plural(codes.len(), "postal code")) }
                        " to " (territory_label(team, Some(to)))
                    }
                }
            }
        }
        @if one {
            p #postal-owner {
                @match sel.units[0].owner {
                    Some(t) => { "It belongs to " b { (territory_label(team, Some(t))) } ": accounts imported here land in it." }
                    None => { "It belongs to no territory yet; its accounts are where a person put them." }
                }
            }
        } @else {
            div.table-wrap tabindex="0" { table.cards.postal-codes {
                thead { tr { th { "Postal code" } th { "Belongs to" } th.num { "Accounts" } } }
                tbody { @for u in &sel.units { tr data-code=(u.code) {
                    td.title { a href=(format!("/dashboard/postal-codes/{}?country={}", encode(&u.code), encode(&sel.country))) { (u.code) } }
                    td data-label="Belongs to" { @match u.owner { Some(t) => (territory_label(team, Some(t))), None => span.muted { "no territory" } } }
                    td.num data-label="Accounts" { (u.accounts) }
                } } }
            } }
        }
        @if sel.here.is_empty() {
            p.muted { "None of your team's accounts is at " @if one { "this postal code" } @else { "these postal codes" } "." }
        } @else {
            h2 { "Accounts here (" (sel.here.len()) ")" }
            div.table-wrap tabindex="0" { table.cards.postal {
                thead { tr { th { "Account" } @if !one { th { "Postal code" } } th { "Territory" } th { "Rep" } } }
                tbody { @for a in &sel.here { tr data-account=(a.id) {
                    td.title { a href=(format!("/dashboard/accounts/{}", a.id)) { (a.name) } }
                    @if !one { td data-label="Postal code" { (a.address.postal_code) } }
                    td data-label="Territory" { (territory_label(team, a.territory)) }
                    td data-label="Rep" { (rep_label(team, a.territory)) }
                } } }
            } }
        }
        h2 { "Move " @if one { "it" } @else { "them" } " to another territory" }
        form.filters method="get" action=(if one { format!("/dashboard/postal-codes/{}", encode(codes[0])) } else { "/dashboard/postal-codes".to_owned() }) {
            input type="hidden" name="country" value=(sel.country);
            @if !one { @for c in &codes { input type="hidden" name="code" value=(c); } }
            label { "Territory" (territory_select(team, "to", &to.map(|t| t.to_string()).unwrap_or_default(), Some("Choose a territory…"))) }
            button type="submit" { "Preview" }
        }
    };
    page(&sel.title(), Some((viewer, "/dashboard/map")), body)
}

/// One postal code, by its address.
pub async fn show(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let mut q = query(raw)?;
    q.code = vec![code];
    answer(s, viewer, q).await
}

/// Several postal codes, named in the query (`code=` once each).
pub async fn show_many(
    State(s): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Answer {
    answer(s, viewer, query(raw)?).await
}

fn query(raw: Option<String>) -> Result<PostalQuery, Refusal> {
    serde_html_form::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| refused("The page's address is not readable."))
}

async fn answer(s: AppState, viewer: Viewer, q: PostalQuery) -> Answer {
    let country = country_or_us(&q.country);
    let codes = codes_of(&country, &q.code)?;
    let to = match q.to.trim() {
        "" => None,
        t => Some(
            t.parse::<TerritoryId>()
                .map_err(|_| refused("The territory is not valid."))?,
        ),
    };
    let v = viewer.clone();
    let c = country.clone();
    let (team, sel) =
        s.db.read(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let all = scope::accounts(tx, &mut team)?;
            let here: Vec<Account> = units::accounts_at_any(&all, &c, &codes)
                .into_iter()
                .cloned()
                .collect();
            // Owners in one read, accounts counted in one pass: a selection may hold
            // two thousand codes.
            let owners = units::all(tx)?;
            let mut counts: HashMap<String, usize> = HashMap::new();
            for a in &here {
                if let Some((_, k)) = units::key(&a.address.country, &a.address.postal_code) {
                    *counts.entry(k).or_default() += 1;
                }
            }
            let list: Vec<Unit> = codes
                .into_iter()
                .map(|code| Unit {
                    owner: owners.get(&(c.clone(), code.clone())).copied(),
                    accounts: counts.get(&code).copied().unwrap_or(0),
                    code,
                })
                .collect();
            let seen = units::fingerprint(&here);
            Ok::<_, Error>((
                team,
                Selection {
                    country: c,
                    units: list,
                    here,
                    seen,
                },
            ))
        })
        .await?;
    if let Some(t) = to
        && team.territory(Some(t)).is_none()
    {
        return Err(Refusal::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "That territory is not among the ones you manage.",
        ));
    }
    Ok(html_response(
        StatusCode::OK,
        render(&viewer, &team, &sel, to, q.moved),
    ))
}

/// The confirmation: the codes, their country, the territory, and the fingerprint of the
/// accounts the preview listed.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    code: Vec<String>,
    #[serde(default)]
    country: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    seen: String,
}

/// Moving one postal code, from its own page.
pub async fn reassign(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Csrf(viewer, mut f): Csrf<MoveForm>,
) -> Answer {
    f.code = vec![code];
    move_codes(s, viewer, f).await
}

/// Moving several, from a selection.
pub async fn reassign_many(State(s): State<AppState>, Csrf(viewer, f): Csrf<MoveForm>) -> Answer {
    move_codes(s, viewer, f).await
}

async fn move_codes(s: AppState, viewer: Viewer, f: MoveForm) -> Answer {
    let country = country_or_us(&f.country);
    let codes = codes_of(&country, &f.code)?;
    let to: TerritoryId =
        f.to.trim()
            .parse()
            .map_err(|_| refused("Choose the territory the postal codes move to."))?;
    let now = s.settings.clock.now();
    let (c, k, v) = (country.clone(), codes.clone(), viewer.clone());
    let moved =
        s.db.write(move |tx| units::reassign(tx, &v, &c, &k, to, &f.seen, now))
            .await?;
    Ok(see_other(&address(
        &country,
        &codes,
        &format!("&moved={moved}"),
    )))
}

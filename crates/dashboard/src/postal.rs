//! `/dashboard/postal-codes/{code}?country=`: one postal code of the team — the territory
//! it belongs to and its accounts — and moving it to another territory: a preview of what
//! moves first, then the move (its accounts through the manager's move path, and the code
//! itself, so accounts imported there later land in the new territory).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_protocol::{AccountId, TerritoryId};
use rounds_server_rules::state::AppState;
use rounds_server_rules::units;
use rounds_server_rules::{Error, scope};
use serde::Deserialize;

use super::accounts::{rep_label, territory_label, territory_select};
use super::scope::Team;
use super::{Answer, Csrf, Refusal, Viewer, html_response, page, see_other};

#[derive(Debug, Default, Deserialize)]
pub struct PostalQuery {
    #[serde(default)]
    country: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    moved: Option<usize>,
}

/// The postal code as the page shows it.
struct Unit {
    code: String,
    country: String,
    /// The territory it belongs to, if any.
    owner: Option<TerritoryId>,
    here: Vec<Here>,
}

/// One account at the postal code, as the page lists it.
struct Here {
    id: AccountId,
    name: String,
    territory: Option<TerritoryId>,
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

fn render(
    viewer: &Viewer,
    team: &Team,
    unit: &Unit,
    to: Option<TerritoryId>,
    moved: Option<usize>,
) -> Markup {
    let (code, country, owner, here) = (
        unit.code.as_str(),
        unit.country.as_str(),
        unit.owner,
        &unit.here,
    );
    let moving: Vec<&Here> = to.map_or_else(Vec::new, |to| {
        here.iter().filter(|h| h.territory != Some(to)).collect()
    });
    let body = html! {
        h1 { "Postal code " (code) }
        @if let Some(n) = moved {
            p.ok-note role="status" { "Moved: " (n) " account" @if n != 1 { "s" } ". Their reps' devices follow at their next sync." }
        }
        p #postal-owner {
            @match owner {
                Some(t) => { "It belongs to " b { (territory_label(team, Some(t))) } ": accounts imported here land in it." }
                None => { "It belongs to no territory yet; its accounts are where a person put them." }
            }
        }
        @if here.is_empty() {
            p.muted { "None of your team's accounts is at this postal code." }
        } @else {
            div.table-wrap tabindex="0" { table.cards.postal {
                thead { tr { th { "Account" } th { "Territory" } th { "Rep" } } }
                tbody { @for h in here { tr data-account=(h.id) {
                    td.title { a href=(format!("/dashboard/accounts/{}", h.id)) { (h.name) } }
                    td data-label="Territory" { (territory_label(team, h.territory)) }
                    td data-label="Rep" { (rep_label(team, h.territory)) }
                } } }
            } }
        }
        h2 { "Move it to another territory" }
        form.filters method="get" action=(format!("/dashboard/postal-codes/{}", encode(code))) {
            input type="hidden" name="country" value=(country);
            label { "Territory" (territory_select(team, "to", &to.map(|t| t.to_string()).unwrap_or_default(), Some("Choose a territory…"))) }
            button type="submit" { "Preview" }
        }
        @if let Some(to) = to {
            section #postal-preview {
                p {
                    "Moving " (code) " to " b { (territory_label(team, Some(to))) } " moves "
                    (moving.len()) " account" @if moving.len() != 1 { "s" } ":"
                }
                @if !moving.is_empty() {
                    ul { @for h in &moving { li { (h.name) " — from " (territory_label(team, h.territory)) } } }
                }
                form method="post" action=(format!("/dashboard/postal-codes/{}", encode(code))) {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="country" value=(country);
                    input type="hidden" name="to" value=(to);
                    @for h in here { input type="hidden" name="ids" value=(h.id); }
                    button type="submit" { "Move " (code) " to " (territory_label(team, Some(to))) }
                }
            }
        }
    };
    page(
        &format!("Postal code {code}"),
        Some((viewer, "/dashboard/map")),
        body,
    )
}

pub async fn show(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let q: PostalQuery = serde_html_form::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| refused("The page's address is not readable."))?;
    let country = country_or_us(&q.country);
    let Some((_, code)) = units::key(&country, &code) else {
        return Err(refused("A postal code is needed."));
    };
    let to = match q.to.trim() {
        "" => None,
        t => Some(
            t.parse::<TerritoryId>()
                .map_err(|_| refused("The territory is not valid."))?,
        ),
    };
    let v = viewer.clone();
    let (c, k) = (country.clone(), code.clone());
    let (team, owner, here) =
        s.db.read(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let all = scope::accounts(tx, &mut team)?;
            let owner = units::territory_of(tx, &c, &k)?;
            let here: Vec<Here> = units::accounts_at(&all, &c, &k)
                .into_iter()
                .map(|a| Here {
                    id: a.id,
                    name: a.name.clone(),
                    territory: a.territory,
                })
                .collect();
            Ok::<_, Error>((team, owner, here))
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
        render(
            &viewer,
            &team,
            &Unit {
                code,
                country,
                owner,
                here,
            },
            to,
            q.moved,
        ),
    ))
}

/// The confirmation: the country, the territory, and the accounts the preview listed.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    country: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    ids: Vec<String>,
}

pub async fn reassign(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Csrf(viewer, f): Csrf<MoveForm>,
) -> Answer {
    let country = country_or_us(&f.country);
    let to: TerritoryId =
        f.to.trim()
            .parse()
            .map_err(|_| refused("Choose the territory the postal code moves to."))?;
    let ids: Vec<AccountId> = f
        .ids
        .iter()
        .map(|i| i.parse())
        .collect::<Result<_, _>>()
        .map_err(|_| refused("An account id is not valid."))?;
    let now = s.settings.clock.now();
    let (c, k, v) = (country.clone(), code.clone(), viewer.clone());
    let moved =
        s.db.write(move |tx| units::reassign(tx, &v, &c, &k, to, &ids, now))
            .await?;
    let code = units::key(&country, &code).map_or(code, |(_, k)| k);
    Ok(see_other(&format!(
        "/dashboard/postal-codes/{}?country={}&moved={moved}",
        encode(&code),
        encode(&country)
    )))
}

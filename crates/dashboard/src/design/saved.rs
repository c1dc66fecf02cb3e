//! Saved scenarios on the design page: a proposal kept under a name (`POST
//! /dashboard/design/scenarios`), compared beside today and the proposals (`s=<id>` in the
//! page's query, up to three), published like a proposal, and deleted (`POST
//! /dashboard/design/scenarios/{id}/delete`). Each manager sees only their own.

use axum::extract::{Path, State};
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_protocol::TerritoryId;
use rounds_server_rules::design::{self, Scope};
use rounds_server_rules::scenarios::{self, Settings, Summary};
use rounds_server_rules::state::AppState;
use serde::Deserialize;

use super::super::scope::Team;
use super::super::{Answer, Csrf, Viewer, see_other};
use super::publish::{back_to, proposal_of};
use super::{PublishForm, weight_text};

/// How many saved scenarios the page compares at once.
pub const SHOWN: usize = 3;

/// A saved scenario as a column of the comparison.
pub use scenarios::Compared as Col;

/// The saved scenarios a query asks for: the last [`SHOWN`] distinct ones that look like
/// ids (a stale or mistyped one is simply not shown).
pub fn wanted(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().rev().map(|s| s.trim()) {
        let looks_like_id = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if looks_like_id && !out.iter().any(|o| o == id) && out.len() < SHOWN {
            out.push(id.to_owned());
        }
    }
    out.reverse();
    out
}

/// A saved column's actions: publish it.
pub fn actions(viewer: &Viewer, c: &Col, back: &str) -> Markup {
    html! {
        form method="post" action="/dashboard/design/publish" data-saved="1" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="scenario" value=(c.summary.id);
            input type="hidden" name="digest" value=(c.digest);
            input type="hidden" name="back" value=(back);
            button type="submit" { "Publish “" (c.summary.name) "”" }
            " "
            a href=(format!("/dashboard/map?scenario={}&{back}", c.summary.id)) { "See it on the map" }
        }
        span.muted {
            "Saved " (c.summary.saved_at.format("%-d %b %Y"))
            @if c.unknown > 0 {
                "; " (c.unknown) " account" @if c.unknown != 1 { "s" } " added since go with their postal code, or stay"
            }
        }
    }
}

/// The scope query that opens a saved scenario on the page.
fn open_query(s: &Summary) -> String {
    let mut parts: Vec<String> = s
        .settings
        .territories
        .iter()
        .map(|t| format!("t={t}"))
        .collect();
    if s.settings.keep_customers {
        parts.push("keep_customers=1".into());
    }
    parts.push(format!("s={}", s.id));
    parts.join("&")
}

fn territories_text(team: &Team, ids: &[TerritoryId]) -> String {
    let mut names: Vec<String> = ids
        .iter()
        .map(|id| {
            team.territory(Some(*id)).map_or_else(
                || "a territory no longer yours".to_owned(),
                |t| t.name.clone(),
            )
        })
        .collect();
    names.sort();
    names.join(", ")
}

/// The list of the manager's saved scenarios.
pub fn list(viewer: &Viewer, kept: &[Summary], team: &Team, shown: &[Col], back: &str) -> Markup {
    html! {
        section.saved-scenarios aria-labelledby="saved-scenarios" {
            h2 id="saved-scenarios" { "Saved scenarios" }
            @if kept.is_empty() {
                p.muted { "None yet. Name a proposal under the comparison and save it to come back to it, compare it with later proposals, or publish it another day." }
            } @else {
                div.table-wrap.plain tabindex="0" { table.saved {
                    thead { tr { th { "Name" } th { "Territories" } th { "Weights (workload, potential, compactness, disruption; tolerance)" } th.num { "Moved when saved" } th { "Saved" } th { "" } } }
                    tbody {
                        @for s in kept {
                            @let on = shown.iter().any(|c| c.summary.id == s.id);
                            tr data-scenario=(s.id) {
                                td.title { (s.name) }
                                td { (territories_text(team, &s.settings.territories)) }
                                td { (s.settings.weights.iter().map(|w| weight_text(*w)).collect::<Vec<_>>().join(", ")) "; ±" (weight_text(s.settings.tolerance * 100.0)) " %" }
                                td.num { (s.moved) " of " (s.accounts) }
                                td { (s.saved_at.format("%-d %b %Y %H:%M UTC")) }
                                td {
                                    @if on { span.muted { "Compared above" } } @else { a href=(format!("/dashboard/design?{}", open_query(s))) { "Compare" } }
                                    form.inline method="post" action=(format!("/dashboard/design/scenarios/{}/delete", s.id)) {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="back" value=(back);
                                        button.secondary type="submit" aria-label=(format!("Delete “{}”", s.name)) { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// Keeps a proposal under the name typed, then shows it beside the proposals.
pub async fn save(State(s): State<AppState>, Csrf(viewer, f): Csrf<PublishForm>) -> Answer {
    let (scope, weights, tolerance) = proposal_of(&f)?;
    let name = scenarios::name(&f.name)?;
    let now = s.settings.clock.now();
    let today: NaiveDate = local_date(viewer.tz, now);
    let v = viewer.clone();
    let digest = f.digest.clone();
    let id =
        s.db.write(move |tx| {
            let loaded = design::load(tx, &v, &scope, today)?;
            // Kept with the territories named, so "all of them" stays what it was.
            let scope = Scope {
                territories: loaded.territories.iter().map(|t| t.id).collect(),
                ..scope
            };
            let settings = Settings::new(&scope, weights, tolerance);
            scenarios::save(tx, v.id, &loaded, &settings, &digest, &name, now)
        })
        .await?;
    Ok(see_other(&back_to(&f.back, &format!("s={id}&saved=1"))))
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    back: String,
}

pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Csrf(viewer, f): Csrf<DeleteForm>,
) -> Answer {
    let owner = viewer.id;
    s.db.write(move |tx| scenarios::delete(tx, owner, &id))
        .await?;
    Ok(see_other(&back_to(&f.back, "deleted=1")))
}

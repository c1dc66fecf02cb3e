//! `/dashboard/teams`: the teams under a director (every team, for an admin), each with
//! its manager, reps and territories. Choosing one narrows every page and export of this
//! session to that team; "All teams" rolls them up again.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use maud::html;
use rounds_core::Role;
use rounds_protocol::UserId;
use serde::Deserialize;

use super::scope::{self, Team};
use super::{
    Answer, Csrf, Refusal, SESSION_COOKIE, Viewer, cookie, html_response, page, see_other,
};
use rounds_server_rules::sessions;
use rounds_server_rules::state::AppState;

fn for_directors() -> Refusal {
    Refusal::page(
        StatusCode::NOT_FOUND,
        "No teams here",
        "Teams are chosen by directors and administrators; a manager sees their own team.",
    )
}

/// Everyone the viewer sees, whatever team the session looks at.
async fn whole(s: &AppState, viewer: &Viewer) -> Result<Team, Refusal> {
    if !matches!(viewer.role, Role::Director | Role::Admin) {
        return Err(for_directors());
    }
    let mut v = viewer.0.clone();
    v.team = None;
    Ok(s.db.read(move |tx| scope::team(tx, &v)).await?)
}

pub async fn list(State(s): State<AppState>, viewer: Viewer) -> Answer {
    let team = whole(&s, &viewer).await?;
    let chosen = viewer.team.as_ref().map(|(id, _)| *id);
    let choose = |id: Option<UserId>, label: &str| {
        html! {
            form.inline method="post" action="/dashboard/teams" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="team" value=(id.map(|i| i.to_string()).unwrap_or_default());
                button type="submit" { (label) }
            }
        }
    };
    let body = html! {
        h1 { "Teams" }
        p.muted {
            "Look at one team and every page and export shows only its reps and territories, "
            "until you choose all teams again."
        }
        @if team.managers.is_empty() {
            p.muted { "No manager reports to you yet." }
        } @else {
            div.table-wrap tabindex="0" { table.cards.teams {
                thead { tr { th { "Team" } th { "Reps" } th { "Territories" } th { span.visually-hidden { "Choose" } } } }
                tbody {
                    tr data-team="" {
                        td.title { "All teams" }
                        td data-label="Reps" { (team.reps.len()) }
                        td data-label="Territories" { (team.territories.len()) }
                        td { @if chosen.is_none() { strong { "Looking at these" } } @else { (choose(None, "Look at all teams")) } }
                    }
                    @for m in &team.managers {
                        @let reps: Vec<UserId> = team.reps.iter().filter(|p| p.manager == Some(m.id)).map(|p| p.id).collect();
                        tr data-team=(m.id) {
                            td.title { (m.name) "'s team" }
                            td data-label="Reps" { (reps.len()) }
                            td data-label="Territories" {
                                (team.territories.iter().filter(|t| t.rep.is_some_and(|r| reps.contains(&r))).count())
                            }
                            td { @if chosen == Some(m.id) { strong { "Looking at this" } } @else { (choose(Some(m.id), "Look at this team")) } }
                        }
                    }
                }
            } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        page("Teams", Some((&viewer, "/dashboard/teams")), body),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    /// A manager's id; empty: all teams.
    #[serde(default)]
    team: String,
}

pub async fn choose(
    State(s): State<AppState>,
    headers: HeaderMap,
    Csrf(viewer, f): Csrf<ChooseForm>,
) -> Answer {
    let all = whole(&s, &viewer).await?;
    let team = match f.team.trim() {
        "" => None,
        id => Some(
            all.managers
                .iter()
                .find(|m| m.id.to_string() == id)
                .map(|m| m.id)
                .ok_or_else(|| {
                    Refusal::page(
                        StatusCode::NOT_FOUND,
                        "No such team",
                        "That team does not exist or is not under you.",
                    )
                })?,
        ),
    };
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    sessions::choose_team(&s.db, &token, team)
        .await
        .map_err(Refusal::from)?;
    Ok(see_other("/dashboard/teams"))
}

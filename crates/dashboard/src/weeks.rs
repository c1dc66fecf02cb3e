//! The weeks reps planned on their devices, read-only: what each day holds, in order
//! and at its times, what fits on no day, as the rep last saw it.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rounds_core::hours::clock;
use rounds_protocol::week::PlannedWeek;
use rounds_protocol::{AccountId, UserId};
use rounds_server_rules::planned_weeks;
use rounds_server_rules::scope::{self, Person, Team};
use rounds_server_rules::state::AppState;
use serde::Deserialize;
use std::collections::HashMap;

use super::layout::option;
use super::{Answer, Viewer, html_response, page};

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    pub rep: Option<String>,
}

/// What the page shows: the team, the rep chosen, and that rep's latest plan with the
/// names of the accounts in it the team still holds.
struct Shown {
    team: Team,
    rep: Option<UserId>,
    week: Option<(PlannedWeek, DateTime<Utc>)>,
    names: HashMap<AccountId, (String, String)>,
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<WeekQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let asked: Option<UserId> = q.rep.as_deref().and_then(|r| r.parse().ok());
    let v = viewer.0.clone();
    let shown =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            // Only a rep of the viewer's team; otherwise the first of them.
            let rep = asked
                .filter(|id| team.rep(*id).is_some())
                .or_else(|| team.reps.first().map(|p| p.id));
            let week = match rep {
                Some(r) => planned_weeks::of_rep(tx, r)?,
                None => None,
            };
            let ids: Vec<AccountId> = week.as_ref().map_or_else(Vec::new, |(w, _)| {
                w.days
                    .iter()
                    .flat_map(|d| {
                        d.visits
                            .iter()
                            .map(|v| v.account_id)
                            .chain(d.calls.iter().copied())
                            .chain(d.emails.iter().copied())
                    })
                    .chain(w.not_planned.iter().map(|m| m.account_id))
                    .collect()
            });
            let names = planned_weeks::team_accounts(tx, &team, &ids)?;
            Ok::<_, rounds_server_rules::Error>(Shown {
                team,
                rep,
                week,
                names,
            })
        })
        .await?;
    Ok(html_response(StatusCode::OK, render(&viewer, &shown)))
}

fn render(viewer: &Viewer, s: &Shown) -> Markup {
    let current = s.rep.map(|r| r.to_string()).unwrap_or_default();
    let person = s.rep.and_then(|r| s.team.rep(r));
    let body = html! {
        h1 { "Planned weeks" }
        p.muted { "What each rep's device planned for the coming workdays, as the rep last saw it. Read-only: the rep plans on the device, offline; it arrives here with the device's next sync." }
        @if s.team.reps.is_empty() {
            p { "No reps in your team yet." }
        } @else {
            form.filters method="get" action="/dashboard/weeks" {
                label { "Rep" select name="rep" {
                    @for p in &s.team.reps { (option(&p.id.to_string(), &p.name, &current)) }
                } }
                button type="submit" { "Show" }
            }
            @match (&s.week, person) {
                (Some((week, received)), Some(p)) => (week_view(week, *received, p, &s.names)),
                (None, Some(p)) => p id="no-plan" { (p.name) " has not planned a week on a synced device yet. It arrives after the device's next sync once they open Week." },
                _ => {},
            }
        }
    };
    page("Planned weeks", Some((viewer, "/dashboard/weeks")), body)
}

fn week_view(
    week: &PlannedWeek,
    received: DateTime<Utc>,
    rep: &Person,
    names: &HashMap<AccountId, (String, String)>,
) -> Markup {
    let local = |t: DateTime<Utc>| t.with_timezone(&rep.tz).format("%a %-d %b %H:%M");
    let name = |id: &AccountId| {
        names.get(id).map_or_else(
            || "an account no longer in your team".to_owned(),
            |n| n.0.clone(),
        )
    };
    let names_of = |ids: &[AccountId]| ids.iter().map(name).collect::<Vec<_>>().join(", ");
    html! {
        p.muted {
            "Planned " (local(week.planned_at)) " · received " (local(received))
            " (" (rep.tz.name()) ")"
        }
        p id="week-summary" { strong { (week.summary) } }
        @for d in &week.days {
            section.planned-day data-date=(d.date.to_string()) {
                h2 {
                    (d.date.format("%A %-d %B")) " · " (clock(d.start_min)) "–" (clock(d.end_min))
                    " · " (d.visits.len()) @if d.visits.len() == 1 { " visit" } @else { " visits" }
                }
                @if d.visits.is_empty() {
                    p.muted { "No visits planned." }
                } @else {
                    table {
                        thead { tr { th { "Time" } th { "Account" } th { "City" } th { "" } } }
                        tbody {
                            @for v in &d.visits {
                                tr {
                                    td { (clock(v.begin_min)) "–" (clock(v.begin_min.saturating_add(v.minutes))) }
                                    @match names.get(&v.account_id) {
                                        Some((n, city)) => {
                                            td { a href=(format!("/dashboard/accounts/{}", v.account_id)) { (n) } }
                                            td { (city) }
                                        }
                                        None => { td.muted { "an account no longer in your team" } td {} }
                                    }
                                    td {
                                        @if v.appointment { span.chip { "Appointment" } }
                                        @if v.pinned { span.chip { "Put on this day by the rep" } }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !d.calls.is_empty() { p.muted { "Calls: " (names_of(&d.calls)) } }
                @if !d.emails.is_empty() { p.muted { "E-mails: " (names_of(&d.emails)) } }
            }
        }
        @if !week.not_planned.is_empty() {
            h2 { "Fits on no day" }
            ul id="not-planned" {
                @for m in &week.not_planned { li { (name(&m.account_id)) ": " (m.reason) } }
            }
        }
    }
}

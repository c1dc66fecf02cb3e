//! `/dashboard/plans`: the call-rotation plan's targets per priority bucket — the period,
//! how many visits, calls and e-mails in it, and its visits' default length. Saving adds a plan version from today
//! (the viewer's day), so what was owed before stays; devices get it on their next sync.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::{Period, Priority, Role};
use rounds_protocol::records::{PlanRecord, PlanRuleRecord};
use serde::Deserialize;

use super::layout::option;
use super::{Answer, Csrf, Refusal, Viewer, html_response, page, see_other};
use crate::manage;
use rounds_server_rules::Error;
use rounds_server_rules::state::AppState;

const BUCKETS: [(Priority, &str); 3] = [
    (Priority::High, "High"),
    (Priority::Medium, "Medium"),
    (Priority::Low, "Low"),
];
const KINDS: [(&str, &str); 3] = [
    ("visits", "Visits"),
    ("calls", "Calls"),
    ("emails", "E-mails"),
];
const PERIODS: [(&str, &str); 3] = [("week", "Week"), ("month", "Month"), ("quarter", "Quarter")];

/// The form's cells as typed: `high_period`, `high_visits`, … (a flat map, so a browser
/// without JavaScript posts it as is).
pub type Cells = BTreeMap<String, String>;

/// Cell name → what is wrong with it.
pub type CellErrors = BTreeMap<String, String>;

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The cells of the version in force on `day` (the latest when none is yet).
pub fn cells_of(plan: Option<&PlanRecord>, day: NaiveDate) -> Cells {
    let mut cells = Cells::new();
    let version = plan.and_then(|p| {
        p.versions
            .iter()
            .rfind(|v| v.effective_from <= day)
            .or(p.versions.last())
    });
    for (priority, _) in BUCKETS {
        let key = wire(&priority);
        let rule = version.and_then(|v| v.rules.iter().find(|r| r.priority == priority));
        cells.insert(
            format!("{key}_period"),
            rule.map_or("month".into(), |r| wire(&r.period)),
        );
        for (kind, _) in KINDS {
            let n = rule.map_or(0, |r| match kind {
                "visits" => r.visits,
                "calls" => r.calls,
                _ => r.emails,
            });
            cells.insert(format!("{key}_{kind}"), n.to_string());
        }
        cells.insert(
            format!("{key}_minutes"),
            rule.and_then(|r| r.visit_minutes)
                .map(|m| m.to_string())
                .unwrap_or_default(),
        );
    }
    cells
}

/// The rules the cells ask for, or each bad cell's error.
pub fn parse_cells(cells: &Cells) -> Result<Vec<PlanRuleRecord>, CellErrors> {
    let mut errors = CellErrors::new();
    let mut rules = Vec::new();
    for (priority, _) in BUCKETS {
        let key = wire(&priority);
        let get = |k: &str| cells.get(&format!("{key}_{k}")).map_or("", |s| s.trim());
        let period: Option<Period> =
            serde_json::from_value(serde_json::Value::String(get("period").to_owned())).ok();
        let max = match period {
            Some(Period::Week) => 5,
            Some(Period::Quarter) => 60,
            _ => 20,
        };
        if period.is_none() {
            errors.insert(format!("{key}_period"), "Choose a period.".into());
        }
        let mut n = [0u32; 3];
        for (i, (kind, _)) in KINDS.iter().enumerate() {
            match get(kind).parse::<u32>() {
                Ok(v) if v <= max => n[i] = v,
                Ok(_) => {
                    errors.insert(
                        format!("{key}_{kind}"),
                        format!("At most {max} (one a workday)."),
                    );
                }
                Err(_) => {
                    errors.insert(format!("{key}_{kind}"), "A whole number, 0 or more.".into());
                }
            }
        }
        // Blank: the reps' own default length.
        let minutes = match get("minutes") {
            "" => Ok(None),
            m => m
                .parse::<u16>()
                .ok()
                .and_then(|m| rounds_core::hours::visit_minutes(m).ok())
                .map(Some)
                .ok_or(()),
        };
        if minutes.is_err() {
            errors.insert(
                format!("{key}_minutes"),
                format!(
                    "Minutes, 1 to {}, or blank for each rep's own.",
                    rounds_core::hours::MAX_VISIT_MINUTES
                ),
            );
        }
        if let (Some(period), Ok(visit_minutes)) = (period, minutes) {
            rules.push(PlanRuleRecord {
                priority,
                period,
                visits: n[0],
                calls: n[1],
                emails: n[2],
                visit_minutes,
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PlansQuery {
    pub saved: Option<String>,
}

pub fn render(
    viewer: &Viewer,
    plan: Option<&PlanRecord>,
    cells: &Cells,
    errors: &CellErrors,
    problem: Option<&str>,
    saved: bool,
    today: NaiveDate,
) -> Markup {
    let cell = |k: &str| cells.get(k).cloned().unwrap_or_default();
    let admin = viewer.role == Role::Admin;
    let body = html! {
        h1 { "Call-rotation plan" }
        p.muted { "For each priority bucket: the period, how many touches of each kind an account gets in it, and how long its visits take when the account has no length of its own (blank: each rep's own). "
            "A change applies from today (" (today.format("%-d %B %Y")) "); what was owed before stays as it was." }
        @if !admin {
            p #plan-owner role="note" { "This plan is the whole organisation's: every team's reps work to it, so an administrator changes it. Ask yours for a change." }
        }
        @if saved { p.ok-note role="status" { "Saved. Devices get the new targets on their next sync." } }
        @if let Some(p) = problem { p.alert role="alert" { (p) } }
        @if !errors.is_empty() { p.alert role="alert" { "Nothing was saved: fix the marked targets." } }
        form.edit method="post" action="/dashboard/plans" novalidate {
            input type="hidden" name="csrf" value=(viewer.csrf);
            fieldset.plain disabled[!admin] {
            div.table-wrap tabindex="0" { table.cards.plan {
                thead { tr { th { "Bucket" } th { "Period" } @for (_, l) in KINDS { th { (l) } } th { "Visit length (min)" } } }
                tbody {
                    @for (priority, label) in BUCKETS {
                        @let key = wire(&priority);
                        tr data-bucket=(key) {
                            td.title { (label) " priority" }
                            @let pk = format!("{key}_period");
                            td data-label="Period" {
                                select name=(pk) aria-label=(format!("{label}: period")) {
                                    @for (v, l) in PERIODS { (option(v, l, &cell(&pk))) }
                                }
                                @if let Some(e) = errors.get(&pk) { p.field-error role="alert" { (e) } }
                            }
                            @for (kind, kl) in KINDS {
                                @let k = format!("{key}_{kind}");
                                td data-label=(kl) {
                                    @if errors.contains_key(&k) {
                                        input type="number" min="0" max="60" inputmode="numeric" name=(k) value=(cell(&k))
                                            aria-label=(format!("{label}: {kl}")) aria-invalid="true";
                                    } @else {
                                        input type="number" min="0" max="60" inputmode="numeric" name=(k) value=(cell(&k))
                                            aria-label=(format!("{label}: {kl}"));
                                    }
                                    @if let Some(e) = errors.get(&k) { p.field-error role="alert" { (e) } }
                                }
                            }
                            @let mk = format!("{key}_minutes");
                            td data-label="Visit length (min)" {
                                input type="number" min="1" max="600" inputmode="numeric" name=(mk) value=(cell(&mk))
                                    aria-label=(format!("{label}: visit length in minutes"))
                                    aria-invalid=[errors.contains_key(&mk).then_some("true")];
                                @if let Some(e) = errors.get(&mk) { p.field-error role="alert" { (e) } }
                            }
                        }
                    }
                }
            } }
            @if admin { div.actions { button type="submit" { "Save targets" } } }
            }
        }
        @if let Some(p) = plan {
            h2 { "History" }
            ul {
                @for v in p.versions.iter().rev() {
                    li { "From " (v.effective_from.format("%-d %B %Y")) ": "
                        @for (i, r) in v.rules.iter().enumerate() {
                            @if i > 0 { "; " }
                            (wire(&r.priority)) " — " (r.visits) " visits, " (r.calls) " calls, " (r.emails) " e-mails a " (wire(&r.period))
                            @if let Some(m) = r.visit_minutes { ", visits of " (m) " min" }
                        }
                    }
                }
            }
        }
    };
    page("Plans", Some((viewer, "/dashboard/plans")), body)
}

pub async fn form(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<PlansQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let today = local_date(viewer.tz, s.settings.clock.now());
    let v = viewer.clone();
    let out =
        s.db.read(move |tx| {
            let plan = manage::plan(tx)?;
            let cells = cells_of(plan.as_ref(), today);
            Ok::<_, Error>(render(
                &v,
                plan.as_ref(),
                &cells,
                &CellErrors::new(),
                None,
                q.saved.is_some(),
                today,
            ))
        })
        .await;
    Ok(html_response(StatusCode::OK, out?))
}

pub async fn submit(State(s): State<AppState>, Csrf(viewer, mut cells): Csrf<Cells>) -> Answer {
    // Checked by the extractor; not a cell.
    cells.remove("csrf");
    if viewer.role != Role::Admin {
        return Err(Refusal::page(
            StatusCode::FORBIDDEN,
            "Not yours to change",
            "The rotation plan is the whole organisation's: an administrator changes it.",
        ));
    }
    let today = local_date(viewer.tz, s.settings.clock.now());
    let rules = match parse_cells(&cells) {
        Ok(r) => r,
        Err(errors) => {
            let v = viewer.clone();
            let plan = s.db.read(|tx| manage::plan(tx)).await;
            return match plan {
                Ok(plan) => Ok(html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&v, plan.as_ref(), &cells, &errors, None, false, today),
                )),
                Err(e) => Err(e.into()),
            };
        }
    };
    let out =
        s.db.write(move |tx| manage::save_plan(tx, &rules, today))
            .await;
    match out {
        Ok(_) => Ok(see_other("/dashboard/plans?saved=1")),
        Err(Error::Client(e)) => {
            let plan = s.db.read(|tx| manage::plan(tx)).await;
            match plan {
                Ok(plan) => Ok(html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(
                        &viewer,
                        plan.as_ref(),
                        &cells,
                        &CellErrors::new(),
                        Some(&format!("Nothing was saved: {}.", e.message)),
                        false,
                        today,
                    ),
                )),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

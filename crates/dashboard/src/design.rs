//! `/dashboard/design`: territory design. The manager chooses territories and up to three
//! scenarios (weights for workload, potential, compactness and disruption, and how far
//! from the mean a territory may be); the page shows
//! today's alignment beside a proposal for each, in the same figures, and each proposal
//! can be published: its accounts move through the same path as a manager's move.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::{Currency, Money};
use rounds_protocol::TerritoryId;
use rounds_server_rules::Error;
use rounds_server_rules::design::{self, Loaded, Scope};
use rounds_server_rules::scenarios::{self, Chosen};
use rounds_server_rules::state::AppState;
use rounds_territory::{AlignError, Column, Weights};
use serde::Deserialize;

mod publish;
mod saved;

use super::accounts::territory_label;
use super::{Answer, Refusal, Viewer, html_response, page};

/// The scenarios a page compares, with the weights they start with.
const SCENARIOS: [(&str, Weights); 3] = [
    (
        "A",
        Weights {
            workload: 1.0,
            potential: 1.0,
            compactness: 1.0,
            disruption: 1.0,
        },
    ),
    (
        "B",
        Weights {
            workload: 1.0,
            potential: 0.0,
            compactness: 1.0,
            disruption: 1.0,
        },
    ),
    (
        "C",
        Weights {
            workload: 1.0,
            potential: 1.0,
            compactness: 0.5,
            disruption: 10.0,
        },
    ),
];

/// At most this many moved accounts are listed under the comparison for each proposal.
const MAX_LISTED: usize = 200;

/// The largest weight the form takes.
const MAX_WEIGHT: f64 = 100.0;
/// The tolerance a scenario starts with, and the range it may be set in (per cent).
const TOLERANCE: f64 = 5.0;
const TOLERANCE_RANGE: std::ops::RangeInclusive<f64> = 1.0..=50.0;

/// The page's query: `t` repeated (the territories; none: all), a scenario's four weights
/// as `<letter>_<aim>`, `compare` once asked, `published` after a publish.
#[derive(Debug, Default, Deserialize)]
pub struct DesignQuery {
    #[serde(default)]
    t: Vec<String>,
    /// Saved scenarios to compare (their ids).
    #[serde(default)]
    s: Vec<String>,
    /// Every other field: the scenarios' weights, `keep_customers`, `proposal`, `published`.
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

fn parse_weight(v: &str) -> Option<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|w| w.is_finite() && (0.0..=MAX_WEIGHT).contains(w))
}

fn weight_text(w: f64) -> String {
    let s = format!("{w:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A scenario's weights from the query, or its defaults; `Err` names a bad field.
fn scenario_weights(
    q: &std::collections::BTreeMap<String, String>,
    letter: &str,
    default: Weights,
) -> Result<Weights, String> {
    let field = |aim: &str, d: f64| -> Result<f64, String> {
        let name = format!("{}_{aim}", letter.to_lowercase());
        match q.get(&name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(d),
            Some(v) => parse_weight(v).ok_or(format!(
                "Scenario {letter}'s {aim} weight must be a number from 0 to {MAX_WEIGHT}, not “{v}”."
            )),
        }
    };
    Ok(Weights {
        workload: field("workload", default.workload)?,
        potential: field("potential", default.potential)?,
        compactness: field("compactness", default.compactness)?,
        disruption: field("disruption", default.disruption)?,
    })
}

fn parse_tolerance(v: &str) -> Option<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|t| TOLERANCE_RANGE.contains(t))
}

/// A scenario's tolerance in per cent from the query, or the default.
fn scenario_tolerance(
    q: &std::collections::BTreeMap<String, String>,
    letter: &str,
) -> Result<f64, String> {
    let name = format!("{}_tolerance", letter.to_lowercase());
    match q.get(&name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(TOLERANCE),
        Some(v) => parse_tolerance(v).ok_or(format!(
            "Scenario {letter}'s tolerance must be a number of per cent from {} to {}, not “{v}”.",
            TOLERANCE_RANGE.start(),
            TOLERANCE_RANGE.end()
        )),
    }
}

fn chosen(ids: &[String]) -> Result<Vec<TerritoryId>, Refusal> {
    ids.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<TerritoryId>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            Refusal::page(
                StatusCode::BAD_REQUEST,
                "Not possible",
                "A territory id is not valid.",
            )
        })
}

fn money(amount: f64, currency: Currency) -> String {
    let scale = 10i64.pow(currency.exponent());
    Money::new((amount.round() as i64).saturating_mul(scale), currency).to_string()
}

fn percent(spread: f64) -> String {
    format!("±{:.1} %", spread * 100.0)
}

/// One proposal on the page: its letter, weights, and the proposal or why there is none.
struct Shown {
    letter: &'static str,
    weights: Weights,
    /// Per cent.
    tolerance: f64,
    result: Result<(Column, String), AlignError>,
}

fn query_of(scope: &Scope, scenarios: &[Shown], saved: &[saved::Col]) -> String {
    let mut parts: Vec<String> = scope.territories.iter().map(|t| format!("t={t}")).collect();
    parts.extend(saved.iter().map(|c| format!("s={}", c.summary.id)));
    if scope.keep_customers {
        parts.push("keep_customers=1".into());
    }
    for s in scenarios {
        let l = s.letter.to_lowercase();
        let w = s.weights;
        for (aim, v) in [
            ("workload", w.workload),
            ("potential", w.potential),
            ("compactness", w.compactness),
            ("disruption", w.disruption),
        ] {
            parts.push(format!("{l}_{aim}={}", weight_text(v)));
        }
        parts.push(format!("{l}_tolerance={}", weight_text(s.tolerance)));
    }
    parts.join("&")
}

fn cell(c: &Column, t: usize, currency: Currency, label: &str) -> Markup {
    let s = &c.territories[t];
    html! {
        td.num data-territory=(t) data-label=(label) {
            span.days { (format!("{:.1}", s.workload)) " days" } br;
            span.muted.drive { "of which driving " (format!("{:.1}", s.drive)) } br;
            span.muted { (money(s.potential, currency)) } br;
            span.muted { (s.accounts) " accounts" }
            @if !s.contiguous { br; span.badge.void { "in pieces" } }
        }
    }
}

fn summary(c: &Column) -> [String; 4] {
    [
        percent(c.workload_spread),
        percent(c.potential_spread),
        format!("{:.1} km", c.radius_km),
        c.moved.to_string(),
    ]
}

/// The hidden fields that name a proposal in a form: the territories, its weights, the
/// fingerprint of what was shown, and the page to go back to.
fn proposal_fields(viewer: &Viewer, scope: &Scope, s: &Shown, digest: &str, back: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(viewer.csrf);
        @for id in &scope.territories { input type="hidden" name="t" value=(id); }
        @if scope.keep_customers { input type="hidden" name="keep_customers" value="1"; }
        input type="hidden" name="workload" value=(weight_text(s.weights.workload));
        input type="hidden" name="potential" value=(weight_text(s.weights.potential));
        input type="hidden" name="compactness" value=(weight_text(s.weights.compactness));
        input type="hidden" name="disruption" value=(weight_text(s.weights.disruption));
        input type="hidden" name="tolerance" value=(weight_text(s.tolerance));
        input type="hidden" name="digest" value=(digest);
        input type="hidden" name="back" value=(back);
    }
}

/// A proposal's actions: publish it, see it on the map, keep it under a name.
fn proposal_actions(
    viewer: &Viewer,
    scope: &Scope,
    s: &Shown,
    c: &Column,
    digest: &str,
    back: &str,
) -> Markup {
    html! {
        form method="post" action="/dashboard/design/publish" {
            (proposal_fields(viewer, scope, s, digest, back))
            button type="submit" { "Publish " (s.letter) }
            " "
            a href=(format!("/dashboard/map?proposal={}&{back}", s.letter.to_lowercase())) { "See " (s.letter) " on the map" }
            @if c.moved == 0 { br; span.muted { "Moves no account; its postal codes are recorded." } }
        }
        form.save-scenario method="post" action="/dashboard/design/scenarios" {
            (proposal_fields(viewer, scope, s, digest, back))
            label {
                span.visually-hidden { "Name for proposal " (s.letter) }
                input type="text" name="name" required maxlength=(scenarios::MAX_NAME) placeholder=(format!("Name for {}", s.letter));
            }
            " "
            button.secondary type="submit" { "Save " (s.letter) }
        }
    }
}

/// One column of the comparison after today's.
struct Col<'a> {
    head: String,
    result: Result<(&'a Column, &'a str), String>,
    actions: Markup,
}

/// What the page says at its top after a form was sent.
#[derive(Debug, Default)]
struct Flash {
    published: Option<usize>,
    saved: bool,
    deleted: bool,
}

fn render(
    viewer: &Viewer,
    loaded: &Loaded,
    scope: &Scope,
    scenarios: &[Shown],
    saved: &[saved::Col],
    kept: &[scenarios::Summary],
    flash: &Flash,
) -> Markup {
    let ids = &scope.territories;
    let today = loaded.design.today();
    let currency = loaded.currency;
    let back = query_of(scope, scenarios, saved);
    let cols: Vec<Col> = scenarios
        .iter()
        .map(|s| Col {
            head: format!("Proposal {}", s.letter),
            result: s
                .result
                .as_ref()
                .map(|(c, d)| (c, d.as_str()))
                .map_err(|e| e.to_string()),
            actions: match &s.result {
                Ok((c, digest)) => proposal_actions(viewer, scope, s, c, digest, &back),
                Err(e) => html! { span.muted { (e.to_string()) } },
            },
        })
        .chain(saved.iter().map(|c| Col {
            head: format!("“{}”", c.summary.name),
            result: Ok((&c.column, c.digest.as_str())),
            actions: saved::actions(viewer, c, &back),
        }))
        .collect();
    let body = html! {
        h1 { "Territory design" }
        (super::layout::left_out(&loaded.team.left_out))
        @if let Some(n) = flash.published {
            p.ok-note role="status" { "Published: " (n) " account" @if n != 1 { "s" } " moved. Their reps' devices follow at their next sync." }
        }
        @if flash.saved {
            p.ok-note role="status" { "Saved. It is kept under “Saved scenarios” below, and shown beside the proposals." }
        }
        @if flash.deleted {
            p.ok-note role="status" { "The scenario was deleted." }
        }
        p.muted {
            "Proposals group accounts by postal code and keep every territory in one piece. "
            b { "Workload" } " is what the rotation plan asks of the accounts in a month, with the drive to each visit, in workdays; "
            b { "potential" } " is what the accounts not lost could buy in a year (below); "
            b { "compactness" } " is how far, on average, a territory's accounts are from its centre; "
            b { "disruption" } " is how many accounts change territory. A weight of 0 turns an aim off."
        }
        (super::layout::potential_note(currency, rounds_core::potential::without_potential(
            loaded.all.iter().filter(|a| loaded.territories.iter().any(|t| a.territory == Some(t.id))),
            currency,
        )))
        form.design method="get" action="/dashboard/design" {
            fieldset {
                legend { "Territories" }
                @for t in &loaded.team.territories {
                    @let on = ids.is_empty() || ids.contains(&t.id);
                    label.check {
                        @if on { input type="checkbox" name="t" value=(t.id) checked; } @else { input type="checkbox" name="t" value=(t.id); }
                        " " (t.name)
                    }
                }
                p {
                    label.check {
                        @if scope.keep_customers { input type="checkbox" name="keep_customers" value="1" checked; } @else { input type="checkbox" name="keep_customers" value="1"; }
                        " Keep customers with their rep (their postal codes stay where they are)"
                    }
                }
            }
            fieldset {
                legend { "Scenarios" }
                div.table-wrap.plain tabindex="0" { table.weights {
                    thead { tr { th { "" } th { "Workload" } th { "Potential" } th { "Compactness" } th { "Disruption" } th { "Tolerance (±%)" } } }
                    tbody {
                        @for s in scenarios {
                            @let l = s.letter.to_lowercase();
                            tr {
                                th { (s.letter) }
                                @for (aim, v) in [("workload", s.weights.workload), ("potential", s.weights.potential), ("compactness", s.weights.compactness), ("disruption", s.weights.disruption)] {
                                    td { input type="number" min="0" max="100" step="0.1" name=(format!("{l}_{aim}")) value=(weight_text(v)) aria-label=(format!("Scenario {} {aim} weight", s.letter)); }
                                }
                                td { input type="number" min=(TOLERANCE_RANGE.start()) max=(TOLERANCE_RANGE.end()) step="0.5" name=(format!("{l}_tolerance")) value=(weight_text(s.tolerance)) aria-label=(format!("Scenario {} tolerance in per cent", s.letter)); }
                            }
                        }
                    }
                } }
            }
            button type="submit" { "Compare" }
        }
        @if loaded.territories.len() < 2 {
            p.muted { "Choose at least two territories to compare proposals." }
        } @else {
            div.table-wrap tabindex="0" { table.cards.design {
                thead { tr {
                    th { "Territory" } th.num { "Today" }
                    @for c in &cols { th.num { (c.head) } }
                } }
                tbody {
                    @for (i, t) in loaded.territories.iter().enumerate() {
                        tr {
                            td.title { (t.name) }
                            (cell(&today, i, currency, "Today"))
                            @for col in &cols {
                                @match &col.result {
                                    Ok((c, _)) => (cell(c, i, currency, &col.head)),
                                    Err(_) => td.num data-label=(col.head) { "—" },
                                }
                            }
                        }
                    }
                }
                tfoot {
                    @for (row, label) in ["Workload spread", "Potential spread", "Compactness (mean distance from centre)", "Accounts changing territory"].iter().enumerate() {
                        tr {
                            th { (label) }
                            td.num data-label="Today" { (summary(&today)[row]) }
                            @for col in &cols {
                                @match &col.result {
                                    Ok((c, _)) => td.num data-label=(col.head) data-summary=(row) { (summary(c)[row]) },
                                    Err(_) => td.num data-label=(col.head) { "—" },
                                }
                            }
                        }
                    }
                    tr {
                        th { "" } td {}
                        @for c in &cols { td.num data-label=(c.head) { (c.actions) } }
                    }
                }
            } }
            @for col in &cols {
                @if let Ok((c, _)) = &col.result {
                    @let changes = loaded.changes(c);
                    @if !changes.is_empty() {
                        details.moves {
                            summary { (col.head) " moves " (changes.len()) " account" @if changes.len() != 1 { "s" } }
                            ul {
                                @for (name, from, to) in changes.iter().take(MAX_LISTED) {
                                    li { (name) ": " (territory_label(&loaded.team, *from)) " → " (territory_label(&loaded.team, Some(*to))) }
                                }
                                @if changes.len() > MAX_LISTED {
                                    li.muted { "… and " (changes.len() - MAX_LISTED) " more" }
                                }
                            }
                        }
                    }
                }
            }
        }
        (saved::list(viewer, kept, &loaded.team, saved, &back))
    };
    page(
        "Territory design",
        Some((viewer, "/dashboard/design")),
        body,
    )
}

/// A proposal named in a query.
#[derive(Debug, Clone)]
pub struct Named {
    pub letter: &'static str,
    pub scope: Scope,
    pub weights: Weights,
    /// A fraction.
    pub tolerance: f64,
}

/// Whether a query or form asks to keep customers with their rep.
fn keeps_customers(fields: &std::collections::BTreeMap<String, String>) -> bool {
    fields
        .get("keep_customers")
        .is_some_and(|v| v == "1" || v == "on")
}

/// The proposal a query names for the map (`proposal=<letter>` with the design page's
/// fields); `None` when it names none.
pub fn proposal_in(raw: &str) -> Result<Option<Named>, Refusal> {
    let q: DesignQuery = serde_html_form::from_str(raw)
        .map_err(|_| bad("The page's address is not readable.".into()))?;
    let Some(letter) = q.fields.get("proposal").map(|l| l.trim().to_uppercase()) else {
        return Ok(None);
    };
    let Some((letter, default)) = SCENARIOS.iter().find(|(l, _)| *l == letter) else {
        return Err(bad(format!("There is no proposal “{letter}”.")));
    };
    let weights = scenario_weights(&q.fields, letter, *default).map_err(bad)?;
    let tolerance = scenario_tolerance(&q.fields, letter).map_err(bad)?;
    Ok(Some(Named {
        letter,
        scope: Scope {
            territories: chosen(&q.t)?,
            keep_customers: keeps_customers(&q.fields),
        },
        weights,
        tolerance: tolerance / 100.0,
    }))
}

/// What a map query asks to show instead of today's alignment: a proposal
/// (`proposal=<letter>` with the design page's fields) or a saved scenario
/// (`scenario=<id>`); `None` when it asks for neither.
pub fn on_map(raw: &str) -> Result<Option<Chosen>, Refusal> {
    let q: DesignQuery = serde_html_form::from_str(raw)
        .map_err(|_| bad("The page's address is not readable.".into()))?;
    if let Some(id) = q
        .fields
        .get("scenario")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        return Ok(Some(Chosen::Saved(id.to_owned())));
    }
    Ok(proposal_in(raw)?.map(|n| Chosen::Fresh {
        scope: n.scope,
        weights: n.weights,
        tolerance: n.tolerance,
    }))
}

fn bad(message: String) -> Refusal {
    Refusal::page(StatusCode::BAD_REQUEST, "Not possible", message)
}

pub async fn handler(State(s): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> Answer {
    let q: DesignQuery = serde_html_form::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| bad("The page's address is not readable.".into()))?;
    let flash = Flash {
        published: q.fields.get("published").and_then(|v| v.parse().ok()),
        saved: q.fields.contains_key("saved"),
        deleted: q.fields.contains_key("deleted"),
    };
    let wanted = saved::wanted(&q.s);
    let scope = Scope {
        territories: chosen(&q.t)?,
        keep_customers: keeps_customers(&q.fields),
    };
    let mut settings = Vec::new();
    for (letter, default) in SCENARIOS {
        settings.push((
            letter,
            scenario_weights(&q.fields, letter, default).map_err(bad)?,
            scenario_tolerance(&q.fields, letter).map_err(bad)?,
        ));
    }
    let today = local_date(viewer.tz, s.settings.clock.now());
    let v = viewer.clone();
    let asked = scope.clone();
    let (loaded, scenarios, saved, kept) =
        s.db.read(move |tx| {
            let loaded = design::load(tx, &v, &asked, today)?;
            let kept = scenarios::list(tx, v.id)?;
            let saved = scenarios::compared(tx, v.id, &loaded, &wanted)?;
            let scenarios: Vec<Shown> = settings
                .into_iter()
                .map(|(letter, weights, tolerance)| Shown {
                    letter,
                    weights,
                    tolerance,
                    result: loaded.propose(weights, tolerance / 100.0).map(|c| {
                        let d = loaded.digest(&c);
                        (c, d)
                    }),
                })
                .collect();
            Ok::<_, Error>((loaded, scenarios, saved, kept))
        })
        .await?;
    let ids: Vec<TerritoryId> = loaded.territories.iter().map(|t| t.id).collect();
    let scope = Scope {
        territories: if ids.len() == loaded.team.territories.len() {
            Vec::new()
        } else {
            ids
        },
        ..scope
    };
    Ok(html_response(
        StatusCode::OK,
        render(&viewer, &loaded, &scope, &scenarios, &saved, &kept, &flash),
    ))
}

pub use publish::{PublishForm, publish};
pub use saved::{delete as delete_scenario, save as save_scenario};

//! `/dashboard/priority`: the team's accounts ranked by rounds-core's priority score, each
//! with its five factors (points and the reason in words), 50 to a page. `?sort=` ranks
//! by one factor instead (ties by the score's own order), `?territory=<id>` narrows to
//! one territory. Touches are read on each account's local dates in its rep's zone (the
//! viewer's when the territory has no rep), as the rep's app does.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::score::{self, FactorKind, PriorityScore, Touched};
use rounds_core::{Account, Logged, Stage, Tz};
use rounds_protocol::{AccountId, TerritoryId};
use serde::Deserialize;

use super::layout::{option, stage_label};
use super::scope::{self, Team};
use super::{Answer, Viewer, html_response, page};
use rounds_server_rules::state::AppState;

pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct PriorityQuery {
    pub territory: Option<String>,
    pub sort: Option<String>,
    pub page: Option<usize>,
}

/// What the list is ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Total,
    Factor(FactorKind),
    Name,
}

impl SortBy {
    pub fn parse(s: Option<&str>) -> Self {
        match s.unwrap_or("") {
            "stage" => SortBy::Factor(FactorKind::Stage),
            "revenue" => SortBy::Factor(FactorKind::Revenue),
            "net" => SortBy::Factor(FactorKind::NetProfit),
            "recency" => SortBy::Factor(FactorKind::Recency),
            "engagement" => SortBy::Factor(FactorKind::Engagement),
            "name" => SortBy::Name,
            _ => SortBy::Total,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SortBy::Total => "score",
            SortBy::Name => "name",
            SortBy::Factor(k) => factor_key(k),
        }
    }
}

fn factor_key(k: FactorKind) -> &'static str {
    match k {
        FactorKind::Stage => "stage",
        FactorKind::Revenue => "revenue",
        FactorKind::NetProfit => "net",
        FactorKind::Recency => "recency",
        FactorKind::Engagement => "engagement",
    }
}

#[derive(Debug, Clone)]
pub struct PriorityRow {
    pub id: AccountId,
    pub name: String,
    pub territory: String,
    pub rep: String,
    pub stage: Stage,
    pub score: PriorityScore,
}

#[derive(Debug, Clone)]
pub struct PriorityView {
    /// Every visible account, ranked.
    pub rows: Vec<PriorityRow>,
    pub sort: SortBy,
}

/// Every account's score and the ranking: a pure function of the team's data and today
/// (`today_in` gives today's date in a zone).
pub fn compute<L: Logged>(
    team: &Team,
    accounts: &[Account],
    activities: &[L],
    only: Option<TerritoryId>,
    sort: SortBy,
    today_in: impl Fn(Tz) -> NaiveDate,
    viewer_tz: Tz,
) -> PriorityView {
    let mut by_account: HashMap<AccountId, Vec<&L>> = HashMap::new();
    for a in activities {
        by_account.entry(a.account_id()).or_default().push(a);
    }
    let mut rows: Vec<PriorityRow> = accounts
        .iter()
        .filter(|a| only.is_none() || a.territory == only)
        .map(|a| {
            let territory = team.territory(a.territory);
            let rep = territory.and_then(|t| t.rep).and_then(|r| team.rep(r));
            let tz = rep.map_or(viewer_tz, |p| p.tz);
            let today = today_in(tz);
            let touched = Touched::from_activities(
                by_account.get(&a.id).into_iter().flatten().copied(),
                tz,
                today,
            );
            PriorityRow {
                id: a.id,
                name: a.name.clone(),
                territory: territory.map_or_else(|| "—".to_owned(), |t| t.name.clone()),
                rep: rep.map_or_else(|| "unassigned".to_owned(), |p| p.name.clone()),
                stage: a.stage,
                score: score::score(a, touched, today),
            }
        })
        .collect();
    let ranked = |a: &PriorityRow, b: &PriorityRow| {
        score::compare((&a.score, &a.name, a.id), (&b.score, &b.name, b.id))
    };
    match sort {
        SortBy::Total => rows.sort_by(ranked),
        SortBy::Factor(k) => rows.sort_by(|a, b| {
            b.score
                .points(k)
                .cmp(&a.score.points(k))
                .then_with(|| ranked(a, b))
        }),
        SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
    }
    PriorityView { rows, sort }
}

fn factor_class(k: FactorKind) -> &'static str {
    match k {
        FactorKind::Stage => "f-stage",
        FactorKind::Revenue => "f-revenue",
        FactorKind::NetProfit => "f-net",
        FactorKind::Recency => "f-recency",
        FactorKind::Engagement => "f-engagement",
    }
}

/// The score as one bar of five segments, one per factor, on a 0–100 scale.
fn stacked_bar(s: &PriorityScore) -> Markup {
    let segments: Vec<(u32, &score::Factor)> = s
        .factors
        .iter()
        .scan(0u32, |x, f| {
            let at = *x;
            *x += f.points;
            Some((at, f))
        })
        .filter(|(_, f)| f.points > 0)
        .collect();
    html! {
        svg.meter viewBox="0 0 100 10" preserveAspectRatio="none" role="img"
            aria-label=(format!("score {} of 100", s.total)) {
            rect.track x="0" y="0" width="100" height="10" {}
            @for (x, f) in &segments {
                rect class=(factor_class(f.kind)) x=(x) y="0" width=(f.points) height="10" {}
            }
        }
    }
}

fn href(q: &PriorityQuery, sort: &str, page: usize) -> String {
    let mut parts = Vec::new();
    if let Some(t) = q.territory.as_deref().filter(|t| !t.is_empty()) {
        parts.push(format!("territory={t}"));
    }
    if sort != "score" {
        parts.push(format!("sort={sort}"));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/dashboard/priority".to_owned()
    } else {
        format!("/dashboard/priority?{}", parts.join("&"))
    }
}

pub fn render(viewer: &Viewer, team: &Team, q: &PriorityQuery, v: &PriorityView) -> Markup {
    let current = q.territory.clone().unwrap_or_default();
    let pages = v.rows.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    let first = (page_no - 1) * PAGE_SIZE;
    let shown = &v.rows[first.min(v.rows.len())..(first + PAGE_SIZE).min(v.rows.len())];
    let sort_key = v.sort.key();
    let head = |key: &'static str, label: &'static str, num: bool| {
        html! {
            th class=[num.then_some("num")] aria-sort=(if key == sort_key { "descending" } else { "none" }) {
                @if key == sort_key { (label) " ▾" } @else { a href=(href(q, key, 1)) { (label) } }
            }
        }
    };
    let body = html! {
        h1 { "Account priority" }
        (super::layout::left_out(&team.left_out))
        form.filters method="get" action="/dashboard/priority" {
            label { "Territory" select name="territory" {
                (option("", "All territories", &current))
                @for t in &team.territories { (option(&t.id.to_string(), &t.name, &current)) }
            } }
            label { "Rank by" select name="sort" {
                @for (key, label) in [("score", "Score"), ("stage", "Stage"), ("revenue", "Revenue"),
                    ("net", "Net profit"), ("recency", "Recency"), ("engagement", "Engagement"), ("name", "Name")] {
                    (option(key, label, sort_key))
                }
            } }
            button type="submit" { "Show" }
        }
        p.download {
            a href=(format!("/dashboard/priority.csv?{}", serde_html_form::to_string([("territory", current.as_str()), ("sort", sort_key)]).unwrap_or_default())) download { "Download CSV" }
        }
        details.formula {
            summary { "How the score is made (0–100)" }
            ul {
                li { strong { "Stage" } " 0–20: opportunity 20, customer 14, lead 8, lost 0." }
                li { strong { "Revenue" } " 0–30: 30 × revenue ÷ 100,000, capped." }
                li { strong { "Net profit" } " 0–20: 20 × (revenue − expenses) ÷ 50,000, capped; nothing when the account loses money." }
                li { strong { "Recency" } " 0–15: 15 for a touch in the last 6 days, one point less for every 6 days since, 0 after 90 days." }
                li { strong { "Engagement" } " 0–15: 3 per visit, call or e-mail in the last 30 days." }
            }
            p.muted { "The rep's app ranks their accounts with the same formula. What is owed or overdue is on the compliance page." }
        }
        p.legend {
            @for k in FactorKind::ALL { span class=(format!("swatch {}", factor_class(k))) {} " " (k.label()) " " }
        }
        @if v.rows.is_empty() {
            p.muted { "No accounts in this team yet." }
        } @else {
            p.muted { (v.rows.len()) " accounts; " (first + 1) "–" (first + shown.len()) " shown." }
            div.table-wrap tabindex="0" { table.cards.priority {
                thead { tr {
                    th.num { "#" } (head("name", "Account", false)) th { "Territory" }
                    (head("score", "Score", true))
                    @for k in FactorKind::ALL { (head(factor_key(k), k.label(), true)) }
                    th { "Why" }
                } }
                tbody { @for (i, r) in shown.iter().enumerate() {
                    tr data-account=(r.id) data-score=(r.score.total) {
                        td.num data-label="#" { (first + i + 1) }
                        td.title { (r.name) }
                        td data-label="Territory" { (r.territory) " · " (r.rep) }
                        td.num.total data-label="Score" { (stacked_bar(&r.score)) " " strong { (r.score.total) } }
                        @for f in &r.score.factors {
                            td.num data-label=(f.kind.label()) data-factor=(factor_key(f.kind)) { (f.points) span.muted { "/" (f.kind.max()) } }
                        }
                        td data-label="Why" { details {
                            summary { (stage_label(r.stage)) ", " (r.score.total) " points" }
                            ul.why { @for f in &r.score.factors {
                                li { strong { (f.kind.label()) " " (f.points) ": " } (f.why) }
                            } }
                        } }
                    }
                } }
            } }
            nav.pager aria-label="Pages" {
                @if page_no > 1 { a href=(href(q, sort_key, page_no - 1)) rel="prev" { "← Higher" } }
                span.muted { "Page " (page_no) " of " (pages) }
                @if page_no < pages { a href=(href(q, sort_key, page_no + 1)) rel="next" { "Lower →" } }
            }
        }
    };
    page("Priority", Some((viewer, "/dashboard/priority")), body)
}

/// How far back the scores look at `now`: the recency look-back from the earliest
/// today of any zone, less a day (a zone ahead of UTC).
pub fn history_since(now: DateTime<Utc>) -> DateTime<Utc> {
    let earliest_today = now.date_naive() - Days::new(1);
    (score::lookback_start(earliest_today) - Days::new(1))
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// The ranking for the viewer: `None` when the territory asked for is not the team's.
/// Shared by the page and its CSV download.
pub async fn load(
    s: &AppState,
    viewer: &Viewer,
    q: &PriorityQuery,
) -> rounds_server_rules::Result<Option<(Team, PriorityView)>> {
    let only = scope::territory_param(q.territory.as_deref());
    let sort = SortBy::parse(q.sort.as_deref());
    let now = s.settings.clock.now();
    let Some(d) = scope::team_data(&s.db, viewer, only, history_since(now)).await? else {
        return Ok(None);
    };
    let view = compute(
        &d.team,
        &d.accounts,
        &d.activities,
        only,
        sort,
        |tz| local_date(tz, now),
        viewer.tz,
    );
    Ok(Some((d.team, view)))
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<PriorityQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let (team, view) = load(&s, &viewer, &q)
        .await?
        .ok_or_else(super::territory_not_found)?;
    Ok(html_response(
        StatusCode::OK,
        render(&viewer, &team, &q, &view),
    ))
}

//! `/dashboard/performance`: per territory the funnel (leads → opportunities → new
//! accounts) with conversion rate and opportunity-to-win ratio, and average deal size;
//! accounts ranked by net profit; K.A.R.E. segments; calls and visits per rep per week.
//!
//! The funnel and deal size cover all time unless `?from=YYYY-MM-DD&to=YYYY-MM-DD` narrow
//! them; `?territory=<id>` narrows the page to one territory. The weekly rates cover the
//! last 12 complete ISO weeks in each rep's zone.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::kpi::{
    average_deal_size, kare_segments, rank_by_net_profit, touches_per_rep_week, weekly_rate,
};
use rounds_core::stage::lost_reasons;
use rounds_core::{
    Account, Currency, DateRange, Funnel, Kare, Logged, Money, Ratio, Segment, StageChange,
    StageFlow, Tz,
};
use rounds_protocol::{TerritoryId, UserId};
use serde::Deserialize;

use super::layout::{option, tenths};
use super::scope::{self, Team};
use super::{Answer, Viewer, html_response, page};
use rounds_server_rules::feed::{self, Origin};
use rounds_server_rules::stage;
use rounds_server_rules::state::AppState;

/// Accounts shown in the net-profit ranking.
pub const RANKED: usize = 20;
/// Weeks the calls-and-visits rates average over.
pub const WEEKS: u64 = 12;

#[derive(Debug, Default, Deserialize)]
pub struct PerformanceQuery {
    pub territory: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TerritoryKpis {
    pub id: TerritoryId,
    pub name: String,
    pub rep: String,
    pub funnel: Funnel,
    /// Moves counted from the dated stage changes in the territory.
    pub flow: StageFlow,
    pub deal_size: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct RepRates {
    pub name: String,
    pub calls: Ratio,
    pub visits: Ratio,
    /// Accounts the rep added in the field over the same weeks.
    pub added: u64,
    /// Contacts the rep added from the device over the same weeks.
    pub contacts_added: u64,
    /// Calls and visits of each of the weeks, oldest first.
    pub weeks: Vec<(u64, u64)>,
}

#[derive(Debug, Clone)]
pub struct PerformanceView {
    pub range: Option<DateRange>,
    pub currency: Currency,
    /// Accounts left out of money figures for being in another currency.
    pub other_currency: usize,
    pub territories: Vec<TerritoryKpis>,
    pub total: Funnel,
    pub total_flow: StageFlow,
    /// Why accounts were lost in the range, most frequent first (`None`: no reason given).
    pub lost_reasons: Vec<(Option<String>, u64)>,
    /// Each rep's own moves in the range, by name.
    pub rep_flow: Vec<(String, StageFlow)>,
    pub total_deal_size: Option<Money>,
    pub ranking: Vec<(String, String, Money, Money, Money)>,
    pub ranked_of: usize,
    pub kare: BTreeMap<Kare, Segment>,
    pub reps: Vec<RepRates>,
    pub weeks: DateRange,
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

/// Who added something from a device, and when.
pub type Added = [(UserId, DateTime<Utc>)];

/// The page's figures: a pure function of the team's data and today. `added` holds who
/// added an account in the field, and when; `contacts_added` the same for contacts.
#[allow(clippy::too_many_arguments)]
pub fn compute<L: Logged>(
    team: &Team,
    accounts: &[Account],
    activities: &[L],
    added: &Added,
    contacts_added: &Added,
    stages: &[StageChange],
    only: Option<TerritoryId>,
    range: Option<DateRange>,
    today_in: impl Fn(Tz) -> NaiveDate,
    viewer_tz: Tz,
) -> PerformanceView {
    let window = range.unwrap_or(DateRange::new(NaiveDate::MIN, NaiveDate::MAX));
    let accounts: Vec<&Account> = accounts
        .iter()
        .filter(|a| only.is_none() || a.territory == only)
        .collect();
    // Money figures in the organisation's main currency; others are counted, not mixed.
    let mut counts: BTreeMap<Currency, usize> = BTreeMap::new();
    for a in &accounts {
        *counts.entry(a.revenue.currency).or_default() += 1;
    }
    let currency = counts
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map_or(Currency::USD, |(c, _)| *c);
    let same: Vec<&Account> = accounts
        .iter()
        .copied()
        .filter(|a| a.revenue.currency == currency && a.expenses.currency == currency)
        .collect();
    let other_currency = accounts.len() - same.len();

    let territories: Vec<TerritoryKpis> = team
        .territories
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.id))
        .map(|t| {
            let mine: Vec<&Account> = accounts
                .iter()
                .copied()
                .filter(|a| a.territory == Some(t.id))
                .collect();
            let money: Vec<&Account> = mine
                .iter()
                .copied()
                .filter(|a| a.revenue.currency == currency)
                .collect();
            TerritoryKpis {
                id: t.id,
                name: t.name.clone(),
                rep: t
                    .rep
                    .and_then(|r| team.rep(r))
                    .map_or_else(|| "unassigned".to_owned(), |p| p.name.clone()),
                funnel: Funnel::over(mine.iter().copied(), window),
                flow: StageFlow::over(stages.iter().filter(|c| c.territory == Some(t.id)), window),
                deal_size: average_deal_size(money.iter().copied(), window, currency)
                    .ok()
                    .flatten(),
            }
        })
        .collect();
    let total = Funnel::over(accounts.iter().copied(), window);
    let in_view = |c: &&StageChange| only.is_none() || c.territory == only;
    let total_flow = StageFlow::over(stages.iter().filter(in_view), window);
    let lost_reasons = lost_reasons(stages.iter().filter(in_view), window);
    let rep_flow = team
        .reps
        .iter()
        .filter(|p| only.is_none() || team.territory(only).is_some_and(|t| t.rep == Some(p.id)))
        .map(|p| {
            let mine = stages.iter().filter(|c| c.by == Some(p.id));
            (p.name.clone(), StageFlow::over(mine, window))
        })
        .collect();
    let total_deal_size = average_deal_size(same.iter().copied(), window, currency)
        .ok()
        .flatten();

    let ranked = rank_by_net_profit(same.iter().copied()).unwrap_or_default();
    let ranked_of = ranked.len();
    let ranking = ranked
        .into_iter()
        .take(RANKED)
        .map(|(a, net)| {
            (
                a.name.clone(),
                team.territory(a.territory)
                    .map_or_else(|| "—".to_owned(), |t| t.name.clone()),
                a.revenue,
                a.expenses,
                net,
            )
        })
        .collect();
    let kare = kare_segments(same.iter().copied(), currency).unwrap_or_default();

    // The last WEEKS complete ISO weeks, per rep in their own zone.
    let this_monday = |d: NaiveDate| d - Days::new(u64::from(d.weekday().num_days_from_monday()));
    let viewer_start = this_monday(today_in(viewer_tz)) - Days::new(7 * WEEKS);
    let weeks = DateRange::new(viewer_start, viewer_start + Days::new(7 * WEEKS - 1));
    let visible: std::collections::HashSet<_> = accounts.iter().map(|a| a.id).collect();
    let reps = team
        .reps
        .iter()
        .filter(|p| only.is_none() || team.territory(only).is_some_and(|t| t.rep == Some(p.id)))
        .map(|p| {
            let start = this_monday(today_in(p.tz)) - Days::new(7 * WEEKS);
            let span = DateRange::new(start, start + Days::new(7 * WEEKS - 1));
            let mine: Vec<&L> = activities
                .iter()
                .filter(|a| a.rep_id() == p.id && visible.contains(&a.account_id()))
                .filter(|a| span.contains(local_date(p.tz, a.occurred_at())))
                .collect();
            let per_week = touches_per_rep_week(mine.iter().copied(), p.tz);
            let rate = weekly_rate(&per_week, WEEKS);
            let (calls, visits) = rate
                .get(&p.id)
                .copied()
                .unwrap_or((Ratio::new(0, WEEKS), Ratio::new(0, WEEKS)));
            let weeks = (0..WEEKS)
                .map(|i| {
                    let w = (start + Days::new(7 * i)).iso_week();
                    per_week
                        .get(&(p.id, w))
                        .map_or((0, 0), |t| (t.calls, t.visits))
                })
                .collect();
            let count = |list: &Added| {
                list.iter()
                    .filter(|(by, at)| *by == p.id && span.contains(local_date(p.tz, *at)))
                    .count() as u64
            };
            RepRates {
                name: p.name.clone(),
                calls,
                visits,
                added: count(added),
                contacts_added: count(contacts_added),
                weeks,
            }
        })
        .collect();
    PerformanceView {
        range,
        currency,
        other_currency,
        territories,
        total,
        total_flow,
        lost_reasons,
        rep_flow,
        total_deal_size,
        ranking,
        ranked_of,
        kare,
        reps,
        weeks,
    }
}

/// Grouped horizontal bars: leads, opportunities, new accounts per territory.
fn funnel_chart(ts: &[TerritoryKpis]) -> Markup {
    let max = ts.iter().map(|t| t.funnel.leads.max(1)).max().unwrap_or(1) as f64;
    let (label_w, bar_w, row_h) = (130.0, 330.0, 46.0);
    let height = 20.0 + row_h * ts.len() as f64;
    let w = |n: u64| format!("{:.1}", n as f64 / max * bar_w);
    html! {
        svg.chart viewBox=(format!("0 0 640 {height}")) role="img"
            aria-label="Funnel per territory: leads, opportunities and new accounts" {
            title { "Funnel per territory" }
            @for (i, t) in ts.iter().enumerate() {
                @let y = 10.0 + row_h * i as f64;
                text x="4" y=(format!("{:.1}", y + 24.0)) { (t.name) }
                rect.leads x=(label_w) y=(format!("{y:.1}")) width=(w(t.funnel.leads)) height="12" {}
                rect.opps x=(label_w) y=(format!("{:.1}", y + 13.0)) width=(w(t.funnel.opportunities)) height="12" {}
                rect.won x=(label_w) y=(format!("{:.1}", y + 26.0)) width=(w(t.funnel.new_accounts)) height="12" {}
                text x=(format!("{:.1}", label_w + bar_w + 6.0)) y=(format!("{:.1}", y + 24.0)) {
                    (t.funnel.leads) "/" (t.funnel.opportunities) "/" (t.funnel.new_accounts) " · " (t.funnel.conversion_rate())
                }
            }
        }
    }
}

/// Net profit bars for the ranked accounts.
fn profit_chart(rows: &[(String, String, Money, Money, Money)]) -> Markup {
    let max = rows
        .iter()
        .map(|r| r.4.minor.unsigned_abs())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (label_w, bar_w, row_h) = (170.0, 250.0, 18.0);
    let height = 10.0 + row_h * rows.len() as f64;
    html! {
        svg.chart viewBox=(format!("0 0 520 {height}")) role="img" aria-label="Net profit per account" {
            title { "Net profit per account" }
            @for (i, r) in rows.iter().enumerate() {
                @let y = 5.0 + row_h * i as f64;
                text x="4" y=(format!("{:.1}", y + 11.0)) { (r.0) }
                rect class=(if r.4.minor < 0 { "loss" } else { "profit" }) x=(label_w) y=(format!("{y:.1}"))
                    width=(format!("{:.1}", r.4.minor.unsigned_abs() as f64 / max * bar_w)) height="13" {}
            }
        }
    }
}

pub fn kare_name(k: Kare) -> &'static str {
    match k {
        Kare::Keep => "Keep",
        Kare::Attain => "Attain",
        Kare::Recapture => "Recapture",
        Kare::Expand => "Expand",
    }
}

pub fn render(viewer: &Viewer, team: &Team, q: &PerformanceQuery, v: &PerformanceView) -> Markup {
    let current = q.territory.clone().unwrap_or_default();
    let money = |m: Option<Money>| m.map_or_else(|| "—".to_owned(), |m| m.to_string());
    let body = html! {
        h1 { "Territory performance" }
        (super::layout::left_out(&team.left_out))
        form.filters method="get" action="/dashboard/performance" {
            label { "Territory" select name="territory" {
                (option("", "All territories", &current))
                @for t in &team.territories { (option(&t.id.to_string(), &t.name, &current)) }
            } }
            label { "From" input type="date" name="from" value=(q.from.clone().unwrap_or_default()); }
            label { "To" input type="date" name="to" value=(q.to.clone().unwrap_or_default()); }
            button type="submit" { "Show" }
            a href="/dashboard/performance" { "Clear" }
        }
        p.muted {
            @match v.range {
                Some(r) => { "Funnel and deal size from " (r.start) " to " (r.end) "." }
                None => { "Funnel and deal size over all time (by the date each account entered each stage)." }
            }
            @if v.other_currency > 0 { " " (v.other_currency) " accounts in other currencies are left out of money figures." }
        }
        p.download {
            "Download CSV: "
            @for (table, label) in [("territories", "funnel per territory"), ("ranking", "net profit ranking"), ("kare", "K.A.R.E. segments"), ("reps", "calls and visits per rep")] {
                a href=(format!("/dashboard/performance.csv?table={table}&{}", filters(q))) download { (label) }
                " "
            }
        }
        h2 { "Funnel per territory" }
        div.table-wrap tabindex="0" { table.cards {
            thead { tr { th { "Territory" } th { "Rep" } th.num { "Leads" } th.num { "Opportunities" }
                th.num { "New accounts" } th.num { "Conversion" } th.num { "Opp → win" } th.num { "Avg deal size" } } }
            tbody {
                @for t in &v.territories {
                    tr data-territory=(t.name) {
                        td.title { a href=(format!("/dashboard/performance?territory={}", t.id)) { (t.name) } }
                        td data-label="Rep" { (t.rep) }
                        td.num data-label="Leads" { (t.funnel.leads) }
                        td.num data-label="Opportunities" { (t.funnel.opportunities) }
                        td.num data-label="New accounts" { (t.funnel.new_accounts) }
                        td.num.conversion data-label="Conversion" { (t.funnel.conversion_rate()) }
                        td.num data-label="Opp → win" { (t.funnel.opportunity_to_win()) }
                        td.num data-label="Avg deal size" { (money(t.deal_size)) }
                    }
                }
                tr { th.title { "All" } td {}
                    td.num data-label="Leads" { (v.total.leads) }
                    td.num data-label="Opportunities" { (v.total.opportunities) }
                    td.num data-label="New accounts" { (v.total.new_accounts) }
                    td.num data-label="Conversion" { (v.total.conversion_rate()) }
                    td.num data-label="Opp → win" { (v.total.opportunity_to_win()) }
                    td.num data-label="Avg deal size" { (money(v.total_deal_size)) } }
            }
        } }
        h2 { "Stage changes per territory" }
        p.muted { "Counted from each dated move along the funnel (an account won and later lost counts as won on its day and lost on its day). Win rate = won ÷ (won + lost)." }
        div.table-wrap tabindex="0" { table.cards.stage-flow {
            thead { tr { th { "Territory" } th.num { "New leads" } th.num { "To opportunity" } th.num { "Won" } th.num { "Lost" } th.num { "Win rate" } } }
            tbody {
                @for t in &v.territories {
                    tr data-territory=(t.name) {
                        td.title { (t.name) }
                        td.num data-label="New leads" { (t.flow.leads) }
                        td.num data-label="To opportunity" { (t.flow.to_opportunity) }
                        td.num data-label="Won" { (t.flow.won) }
                        td.num data-label="Lost" { (t.flow.lost) }
                        td.num.win-rate data-label="Win rate" { (t.flow.win_rate()) }
                    }
                }
                tr { th.title { "All" }
                    td.num data-label="New leads" { (v.total_flow.leads) }
                    td.num data-label="To opportunity" { (v.total_flow.to_opportunity) }
                    td.num data-label="Won" { (v.total_flow.won) }
                    td.num data-label="Lost" { (v.total_flow.lost) }
                    td.num data-label="Win rate" { (v.total_flow.win_rate()) } }
            }
        } }
        h3 { "Deals per rep" }
        p.muted { "The moves each rep made on their device, by the day they made them." }
        div.table-wrap tabindex="0" { table.rep-flow {
            thead { tr { th { "Rep" } th.num { "To opportunity" } th.num { "Won" } th.num { "Lost" } th.num { "Win rate" } } }
            tbody { @for (name, f) in &v.rep_flow { tr data-rep=(name) {
                td { (name) } td.num { (f.to_opportunity) } td.num { (f.won) } td.num { (f.lost) }
                td.num.win-rate { (f.win_rate()) }
            } } }
        } }
        @if !v.lost_reasons.is_empty() {
            h3 { "Why accounts were lost" }
            div.table-wrap tabindex="0" { table.lost-reasons {
                thead { tr { th { "Reason" } th.num { "Accounts" } } }
                tbody { @for (why, n) in &v.lost_reasons { tr {
                    td { @match why { Some(w) => { (w) } None => { span.muted { "no reason given" } } } }
                    td.num { (n) }
                } } }
            } }
        }
        @if !v.territories.is_empty() {
            p.legend {
                span.swatch.leads {} " Leads " span.swatch.opps {} " Opportunities "
                span.swatch.won {} " New accounts"
            }
            (funnel_chart(&v.territories))
        }
        div.grid {
            div {
                h2 { "Net profit ranking" }
                p.muted { "Top " (v.ranking.len()) " of " (v.ranked_of) " accounts (revenue − expenses, " (v.currency) ")." }
                div.table-wrap tabindex="0" { table.cards {
                    thead { tr { th.num { "#" } th { "Account" } th { "Territory" } th.num { "Revenue" } th.num { "Expenses" } th.num { "Net profit" } } }
                    tbody { @for (i, r) in v.ranking.iter().enumerate() { tr data-account=(r.0) {
                        td.num data-label="#" { (i + 1) } td.title { (r.0) } td data-label="Territory" { (r.1) }
                        td.num data-label="Revenue" { (r.2) } td.num data-label="Expenses" { (r.3) }
                        td.num.net data-label="Net profit" { (r.4) }
                    } } }
                } }
                @if !v.ranking.is_empty() { (profit_chart(&v.ranking)) }
            }
            div {
                h2 { "K.A.R.E. segments" }
                div.table-wrap tabindex="0" { table {
                    thead { tr { th { "Segment" } th.num { "Accounts" } th.num { "Revenue" } th.num { "Net profit" } } }
                    tbody { @for (k, s) in &v.kare { tr {
                        td { (kare_name(*k)) } td.num { (s.accounts) } td.num { (s.revenue) } td.num { (s.net_profit) }
                    } } }
                } }
                h2 { "Calls and visits per rep per week; leads and contacts added" }
                p.muted { "Average over the " (WEEKS) " complete weeks " (v.weeks.start) " – " (v.weeks.end) " (each rep's own weeks)." }
                div.table-wrap tabindex="0" { table {
                    thead { tr { th { "Rep" } th.num { "Calls / week" } th.num { "Visits / week" } th.num { "Leads added" } th.num { "Contacts added" } th { "Weekly calls · visits" } } }
                    tbody { @for r in &v.reps { tr data-rep=(r.name) {
                        td { (r.name) } td.num { (tenths(r.calls)) } td.num { (tenths(r.visits)) } td.num { (r.added) } td.num { (r.contacts_added) }
                        td.muted { @for (i, (c, vi)) in r.weeks.iter().enumerate() { @if i > 0 { " " } (c) "·" (vi) } }
                    } } }
                } }
            }
        }
    };
    page(
        "Performance",
        Some((viewer, "/dashboard/performance")),
        body,
    )
}

/// How far back the page looks at `now`: the reps' last WEEKS complete weeks end before
/// their today; two more weeks cover every zone.
pub fn history_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::weeks(WEEKS as i64 + 2)
}

/// The page's figures for the viewer: `None` when the territory asked for is not the
/// team's. Shared by the page and its CSV downloads.
pub async fn load(
    s: &AppState,
    viewer: &Viewer,
    q: &PerformanceQuery,
) -> rounds_server_rules::Result<Option<(Team, PerformanceView)>> {
    let only = scope::territory_param(q.territory.as_deref());
    let range = match (date(&q.from), date(&q.to)) {
        (None, None) => None,
        (from, to) => Some(DateRange::new(
            from.unwrap_or(NaiveDate::MIN),
            to.unwrap_or(NaiveDate::MAX),
        )),
    };
    let now = s.settings.clock.now();
    let since = history_since(now);
    let Some(d) = scope::team_data(&s.db, viewer, only, since).await? else {
        return Ok(None);
    };
    let team = d.team.clone();
    let (added, contacts_added, stages) =
        s.db.read(move |tx| {
            Ok::<_, crate::Error>((
                feed::added_since(tx, &team, Origin::Account, since)?,
                feed::added_since(tx, &team, Origin::Contact, since)?,
                stage::of_team(tx, &team)?,
            ))
        })
        .await?;
    let view = compute(
        &d.team,
        &d.accounts,
        &d.activities,
        &added,
        &contacts_added,
        &stages,
        only,
        range,
        |tz| local_date(tz, now),
        viewer.tz,
    );
    Ok(Some((d.team, view)))
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<PerformanceQuery>, QueryRejection>,
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

/// The query string that keeps the page's filters, for its download links.
pub fn filters(q: &PerformanceQuery) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("territory", &q.territory),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    serde_html_form::to_string(pairs).unwrap_or_default()
}

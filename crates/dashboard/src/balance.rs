//! `/dashboard/balance`: is the work fairly spread? Per territory and per rep: accounts,
//! potential, and the planned workload, each against the team mean.
//!
//! * **Potential** is what the accounts not lost could buy in a year, in the team's main
//!   currency (`rounds_core::potential`: the figure set on each account, else its rep's
//!   estimate; accounts in another currency are counted and left out).
//! * **Planned workload** is touches a month from the rotation plan in force today: for
//!   each bucket, (visits + calls + e-mails) of its rule × the accounts in that bucket,
//!   brought to a month (a weekly rule × 52 ÷ 12, a quarterly one ÷ 3). Lost accounts
//!   count too: the plan still asks for their touches.
//! * **The rule**: a row whose workload is above 125 % of the mean of its table is
//!   *under-served* (more planned than one rep can give as much attention as the others);
//!   below 75 % it is *over-served* (room to take accounts from busier ones). In between
//!   it is balanced. The page says so in words, not only in colour.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::potential::{main_currency, potential, without_potential};
use rounds_core::{Account, Currency, Money, Period, Priority, Ratio, RotationPlan};
use rounds_protocol::{TerritoryId, UserId};

use super::layout::tenths;
use super::scope::{self, Team};
use super::{Answer, Viewer, html_response, page};
use rounds_server_rules::state::AppState;

/// Above this share of the mean workload (per cent) a row is under-served.
pub const HEAVY_PCT: u64 = 125;
/// Below this share of the mean workload (per cent) a row is over-served.
pub const LIGHT_PCT: u64 = 75;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Workload above [`HEAVY_PCT`] of the mean.
    UnderServed,
    Balanced,
    /// Workload below [`LIGHT_PCT`] of the mean.
    OverServed,
}

impl Flag {
    pub fn words(self) -> &'static str {
        match self {
            Flag::UnderServed => "Under-served: more work planned than the team's mean",
            Flag::Balanced => "Balanced",
            Flag::OverServed => "Over-served: less work planned than the team's mean",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Flag::UnderServed => "under",
            Flag::Balanced => "balanced",
            Flag::OverServed => "over",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BalanceRow {
    pub label: String,
    /// The rep (territory rows) or the territories (rep rows).
    pub detail: String,
    pub accounts: u64,
    pub potential: Money,
    /// Planned touches a year (exact; the page shows them per month).
    pub touches_per_year: u64,
    /// Workload over the table's mean; `den == 0` when nothing is planned anywhere.
    pub workload_vs_mean: Ratio,
    pub potential_vs_mean: Ratio,
    pub accounts_vs_mean: Ratio,
    pub flag: Flag,
}

impl BalanceRow {
    /// Touches a month, exact.
    pub fn per_month(&self) -> Ratio {
        Ratio::new(self.touches_per_year, 12)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BalanceTable {
    pub rows: Vec<BalanceRow>,
    pub mean_per_month: Ratio,
    pub mean_accounts: Ratio,
    pub mean_potential: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BalanceView {
    /// The team's accounts that could not be read, left out (see `Team::left_out`).
    pub left_out: Vec<String>,
    pub territories: BalanceTable,
    pub reps: BalanceTable,
    pub currency: Currency,
    pub other_currency: usize,
    /// Accounts in no territory (an admin's view): in nobody's workload.
    pub unplaced: usize,
    /// Accounts in the team's territories with no potential figure (counted as none).
    pub without_potential: usize,
    pub no_plan: bool,
}

/// Planned touches a year for one account of `priority` under the plan on `today`.
fn yearly_touches(plan: Option<&RotationPlan>, priority: Priority, today: NaiveDate) -> u64 {
    let Some(rule) = plan.and_then(|p| p.rule_on(priority, today)) else {
        return 0;
    };
    let t = rule.touches;
    let per_period = u64::from(t.visits) + u64::from(t.calls) + u64::from(t.emails);
    per_period
        * match rule.period {
            Period::Week => 52,
            Period::Month => 12,
            Period::Quarter => 4,
        }
}

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    accounts: u64,
    potential: i64,
    touches: u64,
}

/// `value / mean` where mean = sum / n, as an exact ratio.
fn vs_mean(value: u64, sum: u64, n: u64) -> Ratio {
    Ratio::new(value * n, sum)
}

fn flag(r: Ratio) -> Flag {
    if r.den == 0 {
        Flag::Balanced
    } else if r.num * 100 > HEAVY_PCT * r.den {
        Flag::UnderServed
    } else if r.num * 100 < LIGHT_PCT * r.den {
        Flag::OverServed
    } else {
        Flag::Balanced
    }
}

fn table(rows: Vec<(String, String, Totals)>, currency: Currency) -> BalanceTable {
    let n = rows.len() as u64;
    let sum_accounts: u64 = rows.iter().map(|r| r.2.accounts).sum();
    let sum_touches: u64 = rows.iter().map(|r| r.2.touches).sum();
    let sum_potential: i64 = rows.iter().map(|r| r.2.potential.max(0)).sum();
    let rows = rows
        .into_iter()
        .map(|(label, detail, t)| {
            let workload_vs_mean = vs_mean(t.touches, sum_touches, n);
            BalanceRow {
                label,
                detail,
                accounts: t.accounts,
                potential: Money::new(t.potential, currency),
                touches_per_year: t.touches,
                workload_vs_mean,
                potential_vs_mean: vs_mean(
                    t.potential.max(0).unsigned_abs(),
                    sum_potential.unsigned_abs(),
                    n,
                ),
                accounts_vs_mean: vs_mean(t.accounts, sum_accounts, n),
                flag: flag(workload_vs_mean),
            }
        })
        .collect();
    BalanceTable {
        rows,
        mean_per_month: Ratio::new(sum_touches, 12 * n.max(1)),
        mean_accounts: Ratio::new(sum_accounts, n),
        mean_potential: Money::new(if n == 0 { 0 } else { sum_potential / n as i64 }, currency),
    }
}

/// The page's figures: a pure function of the team, its accounts, the plan and today.
pub fn compute(
    team: &Team,
    accounts: &[Account],
    plan: Option<&RotationPlan>,
    today: NaiveDate,
) -> BalanceView {
    let currency = main_currency(accounts);
    let mut per_territory: BTreeMap<TerritoryId, Totals> = BTreeMap::new();
    let mut placed: BTreeMap<TerritoryId, Vec<&Account>> = BTreeMap::new();
    let (mut other_currency, mut unplaced) = (0, 0);
    for a in accounts {
        let Some(t) = a.territory.filter(|t| team.territory(Some(*t)).is_some()) else {
            unplaced += 1;
            continue;
        };
        let e = per_territory.entry(t).or_default();
        e.accounts += 1;
        e.touches += yearly_touches(plan, a.priority, today);
        if a.revenue.currency != currency {
            other_currency += 1;
        }
        placed.entry(t).or_default().push(a);
    }
    let without_potential = without_potential(placed.values().flatten().copied(), currency);
    for (t, mine) in placed {
        per_territory.entry(t).or_default().potential = potential(mine, currency);
    }
    let rep_name = |r: Option<UserId>| {
        r.and_then(|r| team.rep(r))
            .map_or_else(|| "unassigned".to_owned(), |p| p.name.clone())
    };
    let territories = team
        .territories
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                rep_name(t.rep),
                per_territory.get(&t.id).copied().unwrap_or_default(),
            )
        })
        .collect();
    let reps = team
        .reps
        .iter()
        .map(|p| {
            let mine: Vec<_> = team
                .territories
                .iter()
                .filter(|t| t.rep == Some(p.id))
                .collect();
            let mut sum = Totals::default();
            for t in &mine {
                let x = per_territory.get(&t.id).copied().unwrap_or_default();
                sum.accounts += x.accounts;
                sum.potential = sum.potential.saturating_add(x.potential);
                sum.touches += x.touches;
            }
            let names = if mine.is_empty() {
                "no territory".to_owned()
            } else {
                mine.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            (p.name.clone(), names, sum)
        })
        .collect();
    BalanceView {
        left_out: team.left_out.clone(),
        territories: table(territories, currency),
        reps: table(reps, currency),
        currency,
        other_currency,
        unplaced,
        without_potential,
        no_plan: plan.is_none(),
    }
}

/// Workload bars with the mean and the 75 % / 125 % marks.
fn chart(t: &BalanceTable, what: &str) -> Markup {
    let per_month = |r: Ratio| r.num as f64 / r.den.max(1) as f64;
    let mean = per_month(t.mean_per_month);
    let max = t
        .rows
        .iter()
        .map(|r| per_month(r.per_month()))
        .fold(mean * 1.3, f64::max)
        .max(1.0);
    let (label_w, bar_w, row_h) = (150.0, 330.0, 22.0);
    let height = 34.0 + row_h * t.rows.len() as f64;
    let x = |v: f64| label_w + v / max * bar_w;
    html! {
        svg.chart viewBox=(format!("0 0 640 {height:.0}")) role="img"
            aria-label=(format!("Planned touches a month per {what}, against the team mean")) {
            title { "Planned touches a month per " (what) }
            @for (i, r) in t.rows.iter().enumerate() {
                @let y = 8.0 + row_h * i as f64;
                text x="4" y=(format!("{:.1}", y + 12.0)) { (r.label) }
                rect class=(format!("bar {}", r.flag.class())) x=(label_w) y=(format!("{y:.1}"))
                    width=(format!("{:.1}", per_month(r.per_month()) / max * bar_w)) height="15" {}
                text x=(format!("{:.1}", label_w + bar_w + 8.0)) y=(format!("{:.1}", y + 12.0)) {
                    (tenths(r.per_month())) " · " (r.workload_vs_mean)
                }
            }
            @let bottom = 8.0 + row_h * t.rows.len() as f64;
            @for (v, class, label) in [(mean * 0.75, "mark", "75 %"), (mean, "mean", "mean"), (mean * 1.25, "mark", "125 %")] {
                line class=(class) x1=(format!("{:.1}", x(v))) x2=(format!("{:.1}", x(v))) y1="4" y2=(format!("{bottom:.1}")) {}
                text.axis x=(format!("{:.1}", x(v))) y=(format!("{:.1}", bottom + 14.0)) text-anchor="middle" { (label) }
            }
        }
    }
}

fn balance_table(title: &str, what: &str, detail: &str, t: &BalanceTable) -> Markup {
    html! {
        h2 { (title) }
        p.muted {
            "Team mean: " (tenths(t.mean_per_month)) " touches a month, "
            (tenths(t.mean_accounts)) " accounts, " (t.mean_potential) " potential."
        }
        div.table-wrap tabindex="0" { table.cards.balance data-group=(what) {
            thead { tr {
                th { (what) } th { (detail) } th.num { "Accounts" } th.num { "vs mean" }
                th.num { "Potential" } th.num { "vs mean" } th.num { "Touches / month" } th.num { "vs mean" } th { "Balance" }
            } }
            tbody { @for r in &t.rows {
                tr data-row=(r.label) data-flag=(r.flag.class()) {
                    td.title { (r.label) }
                    td data-label=(detail) { (r.detail) }
                    td.num data-label="Accounts" { (r.accounts) }
                    td.num data-label="Accounts vs mean" { (r.accounts_vs_mean) }
                    td.num data-label="Potential" { (r.potential) }
                    td.num data-label="Potential vs mean" { (r.potential_vs_mean) }
                    td.num.workload data-label="Touches / month" { (tenths(r.per_month())) }
                    td.num data-label="Workload vs mean" { (r.workload_vs_mean) }
                    td data-label="Balance" { span class=(format!("badge flag {}", r.flag.class())) { (r.flag.words()) } }
                }
            } }
        } }
        @if !t.rows.is_empty() { (chart(t, what)) }
    }
}

pub fn render(viewer: &Viewer, v: &BalanceView, today: NaiveDate) -> Markup {
    let body = html! {
        h1 { "Territory balance" }
        (super::layout::left_out(&v.left_out))
        p.download { a href="/dashboard/balance.csv" download { "Download CSV" } }
        p.muted {
            "Planned workload is the rotation plan in force on " (today.format("%-d %B %Y"))
            " × the accounts in each bucket, in touches a month (weekly rules × 52 ÷ 12, quarterly ÷ 3)."
        }
        (super::layout::potential_note(v.currency, v.without_potential))
        p.rule {
            strong { "The rule: " }
            "above " (HEAVY_PCT) " % of the mean workload a row is " strong { "under-served" }
            " (more planned than its rep can give the attention the others get: move accounts away); below "
            (LIGHT_PCT) " % it is " strong { "over-served" } " (room to take accounts from busier rows)."
        }
        @if v.no_plan { p.alert { "No call-rotation plan is set up, so no workload is planned." } }
        @if v.other_currency > 0 { p.muted { (v.other_currency) " accounts in other currencies are left out of potential." } }
        @if v.unplaced > 0 { p.muted { (v.unplaced) " accounts in no territory are in nobody's workload." } }
        p.legend {
            span.swatch.under {} " Under-served " span.swatch.balanced {} " Balanced " span.swatch.over {} " Over-served"
        }
        (balance_table("By territory", "Territory", "Rep", &v.territories))
        (balance_table("By rep", "Rep", "Territories", &v.reps))
    };
    page("Balance", Some((viewer, "/dashboard/balance")), body)
}

/// The balance for the viewer, shared by the page and its CSV download.
pub async fn load(
    s: &AppState,
    viewer: &Viewer,
) -> rounds_server_rules::Result<(BalanceView, NaiveDate)> {
    let today = local_date(viewer.tz, s.settings.clock.now());
    let v = viewer.clone();
    s.db.read(move |tx| {
        let mut team = scope::team(tx, &v)?;
        let accounts = scope::accounts(tx, &mut team)?;
        let plan = scope::plan(tx)?;
        Ok::<_, crate::Error>((compute(&team, &accounts, plan.as_ref(), today), today))
    })
    .await
}

pub async fn handler(State(s): State<AppState>, viewer: Viewer) -> Answer {
    match load(&s, &viewer).await {
        Ok((view, today)) => Ok(html_response(StatusCode::OK, render(&viewer, &view, today))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;

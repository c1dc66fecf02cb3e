//! `/dashboard/quotas`: a manager's top-down revenue target for a month or a quarter,
//! split by territory (and so by rep), and progress against it.
//!
//! * **The split.** Each territory of the team gets a share; the shares must add up to
//!   the target exactly. A share left blank gets part of what the typed shares leave,
//!   in proportion to the territory's potential (what its accounts not lost could buy in
//!   a year: `rounds_core::potential`; equal parts when no blank territory has any), rounded to whole currency units by the
//!   largest remainder so the parts add up. Nothing is saved when anything is wrong: the
//!   form comes back with what was typed and every problem in words.
//! * **Progress** is won revenue: the revenue of the team's accounts won (by the date they
//!   became customers) within the period, counted in the territory they are in now.
//! * **Storage**: `quotas` and `quota_shares` (migration 0004), one quota per manager and
//!   period, replaced as a whole in one transaction.
//!
//! Over 600 lines on purpose: the split's checks, the progress view and the form that
//! shows both change together.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::potential::{for_days, main_currency, potential, without_potential};
use rounds_core::{Account, Currency, Money, Period, Ratio};
use rounds_protocol::{TerritoryId, UserId};
use serde::Deserialize;

use super::layout::{option, ratio_bar};
use super::scope::{self, Team};
use super::{Answer, Csrf, Refusal, Viewer, html_response, page, see_other};
use rounds_server_rules::Result;
pub use rounds_server_rules::quotas::{Quota, QuotaPeriod, load, save};
use rounds_server_rules::state::AppState;

const NOT_OURS: &str =
    "A share names a territory that is not your team's; reload the page and try again.";

/// A territory the target is shared among.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: TerritoryId,
    pub name: String,
    pub rep: Option<UserId>,
    /// The region it is grouped in, by name.
    pub region: Option<String>,
    /// Minor units.
    pub potential: i64,
}

/// What the form sent, as typed.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub target: String,
    pub shares: BTreeMap<TerritoryId, String>,
    /// Each region's share by its name ("" for the territories in none); only when the
    /// team's territories are grouped into regions.
    pub regions: BTreeMap<String, String>,
}

pub use split::validate;

/// One row of progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub label: String,
    pub detail: String,
    pub share: Option<Money>,
    pub won: Money,
    /// Won over share; no data without a share.
    pub progress: Ratio,
    /// The part of the yearly potential that falls in the period.
    pub potential: Money,
    /// Share over that potential: above 100 % the split asks more than the potential
    /// allows. No data without a share or a potential.
    pub of_potential: Ratio,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaView {
    /// The team's accounts that could not be read, left out (see `Team::left_out`).
    pub left_out: Vec<String>,
    pub period: QuotaPeriod,
    pub currency: Currency,
    pub slots: Vec<Slot>,
    pub quota: Option<Quota>,
    /// By region, when the territories are grouped into regions.
    pub regions: Vec<ProgressRow>,
    pub territories: Vec<ProgressRow>,
    pub reps: Vec<ProgressRow>,
    pub team_won: Money,
    pub team_progress: Ratio,
    pub elapsed: Ratio,
    /// The saved shares no longer add up to the target over today's territories.
    pub stale: bool,
    /// Accounts in the team's territories with no potential figure (counted as none).
    pub without_potential: usize,
}

/// The territories with their potential, in the team's order.
pub fn slots(team: &Team, accounts: &[Account], currency: Currency) -> Vec<Slot> {
    team.territories
        .iter()
        .map(|t| Slot {
            id: t.id,
            name: t.name.clone(),
            rep: t.rep,
            region: t.region.clone(),
            potential: potential(
                accounts.iter().filter(|a| a.territory == Some(t.id)),
                currency,
            ),
        })
        .collect()
}

fn progress(won: Money, share: Option<Money>) -> Ratio {
    match share {
        Some(s) if s.minor > 0 => {
            Ratio::new(won.minor.max(0).unsigned_abs(), s.minor.unsigned_abs())
        }
        _ => Ratio::new(0, 0),
    }
}

/// The page's figures: a pure function of the team, its accounts, the saved quota and today.
pub fn compute(
    team: &Team,
    accounts: &[Account],
    quota: Option<Quota>,
    period: QuotaPeriod,
    today: NaiveDate,
) -> QuotaView {
    let currency = quota
        .as_ref()
        .map_or_else(|| main_currency(accounts), |q| q.target.currency);
    let slots = slots(team, accounts, currency);
    let mut won: BTreeMap<TerritoryId, i64> = BTreeMap::new();
    for a in accounts {
        if let (Some(t), Some(day)) = (a.territory, a.stage_dates.won)
            && period.range.contains(day)
            && a.revenue.currency == currency
        {
            *won.entry(t).or_default() += a.revenue.minor;
        }
    }
    let money = |m: i64| Money::new(m, currency);
    let days = (period.range.end - period.range.start).num_days() + 1;
    let in_period = |yearly: i64| money(for_days(yearly, days));
    let share_of = |t: TerritoryId| quota.as_ref().and_then(|q| q.shares.get(&t).copied());
    let rep_name = |r: Option<UserId>| {
        r.and_then(|r| team.rep(r))
            .map_or_else(|| "unassigned".to_owned(), |p| p.name.clone())
    };
    let territories: Vec<ProgressRow> = slots
        .iter()
        .map(|s| {
            let w = money(won.get(&s.id).copied().unwrap_or(0));
            ProgressRow {
                label: s.name.clone(),
                detail: rep_name(s.rep),
                share: share_of(s.id),
                won: w,
                progress: progress(w, share_of(s.id)),
                potential: in_period(s.potential),
                of_potential: progress(
                    share_of(s.id).unwrap_or(money(0)),
                    Some(in_period(s.potential)),
                ),
            }
        })
        .collect();
    // A row for a group of territories (a region's, a rep's): their shares, won revenue
    // and potential summed.
    let group_row = |label: String, mine: &[&Slot]| {
        let w = money(
            mine.iter()
                .map(|s| won.get(&s.id).copied().unwrap_or(0))
                .sum(),
        );
        let share = quota.as_ref().map(|_| {
            money(
                mine.iter()
                    .filter_map(|s| share_of(s.id))
                    .map(|m| m.minor)
                    .sum(),
            )
        });
        let potential = in_period(mine.iter().map(|s| s.potential).sum());
        ProgressRow {
            label,
            detail: mine
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            share,
            won: w,
            progress: progress(w, share),
            potential,
            of_potential: progress(share.unwrap_or(money(0)), Some(potential)),
        }
    };
    let regions = if split::by_region(&slots) {
        split::groups(&slots)
            .into_iter()
            .map(|(name, members)| {
                let mine: Vec<&Slot> = members.iter().map(|i| &slots[*i]).collect();
                group_row(split::region_label(&name).to_owned(), &mine)
            })
            .collect()
    } else {
        Vec::new()
    };
    let reps = team
        .reps
        .iter()
        .map(|p| {
            let mine: Vec<&Slot> = slots.iter().filter(|s| s.rep == Some(p.id)).collect();
            group_row(p.name.clone(), &mine)
        })
        .collect();
    let team_won = money(
        slots
            .iter()
            .map(|s| won.get(&s.id).copied().unwrap_or(0))
            .sum(),
    );
    let stale = quota.as_ref().is_some_and(|q| {
        slots
            .iter()
            .map(|s| q.shares.get(&s.id).map_or(0, |m| m.minor))
            .sum::<i64>()
            != q.target.minor
    });
    QuotaView {
        without_potential: without_potential(
            accounts
                .iter()
                .filter(|a| team.territory(a.territory).is_some()),
            currency,
        ),
        left_out: team.left_out.clone(),
        period,
        currency,
        team_progress: progress(team_won, quota.as_ref().map(|q| q.target)),
        slots,
        quota,
        regions,
        territories,
        reps,
        team_won,
        elapsed: period.elapsed(today),
        stale,
    }
}

/// An amount as typed in a form: `120,000.00` (no currency code).
fn amount_text(m: Money) -> String {
    m.to_string().replacen(&format!("{} ", m.currency), "", 1)
}

/// Won against share, with a tick at the share the period's elapsed time asks for.
fn chart(rows: &[ProgressRow], elapsed: Ratio) -> Markup {
    let max = rows
        .iter()
        .map(|r| r.share.map_or(0, |s| s.minor).max(r.won.minor))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let pace = elapsed.num as f64 / elapsed.den.max(1) as f64;
    let (label_w, bar_w, row_h) = (150.0, 330.0, 24.0);
    let height = 10.0 + row_h * rows.len() as f64;
    let w = |m: i64| format!("{:.1}", m.max(0) as f64 / max * bar_w);
    html! {
        svg.chart viewBox=(format!("0 0 640 {height:.0}")) role="img"
            aria-label="Won revenue against each share of the quota" {
            title { "Won revenue against each share" }
            @for (i, r) in rows.iter().enumerate() {
                @let y = 6.0 + row_h * i as f64;
                text x="4" y=(format!("{:.1}", y + 12.0)) { (r.label) }
                @if let Some(s) = r.share {
                    rect.share x=(label_w) y=(format!("{y:.1}")) width=(w(s.minor)) height="16" {}
                    line.pace x1=(format!("{:.1}", label_w + s.minor.max(0) as f64 / max * bar_w * pace))
                        x2=(format!("{:.1}", label_w + s.minor.max(0) as f64 / max * bar_w * pace))
                        y1=(format!("{:.1}", y - 2.0)) y2=(format!("{:.1}", y + 18.0)) {}
                }
                rect.won x=(label_w) y=(format!("{:.1}", y + 4.0)) width=(w(r.won.minor)) height="8" {}
                text x=(format!("{:.1}", label_w + bar_w + 8.0)) y=(format!("{:.1}", y + 12.0)) { (r.progress) }
            }
        }
    }
}

fn progress_table(title: &str, what: &str, detail: &str, rows: &[ProgressRow]) -> Markup {
    let money = |m: Option<Money>| m.map_or_else(|| "—".to_owned(), |m| m.to_string());
    html! {
        h2 { (title) }
        div.table-wrap tabindex="0" { table.cards.quota data-group=(what) {
            thead { tr { th { (what) } th { (detail) } th.num { "Share" } th.num { "Potential" } th.num { "Share ÷ potential" } th.num { "Won" } th { "Progress" } } }
            tbody { @for r in rows { tr data-row=(r.label) {
                td.title { (r.label) }
                td data-label=(detail) { (r.detail) }
                td.num.share data-label="Share" { (money(r.share)) }
                td.num.potential data-label="Potential" { (r.potential) }
                td.num.of-potential data-label="Share ÷ potential" {
                    @if r.share.is_some() && r.of_potential.per_mille().is_some() {
                        (r.of_potential)
                        @if r.of_potential.per_mille().is_some_and(|p| p > 1000) { " " span.badge.void { "over potential" } }
                    } @else { "—" }
                }
                td.num.won data-label="Won" { (r.won) }
                td.progress data-label="Progress" { (ratio_bar(r.progress)) " " (r.progress) }
            } } }
        } }
    }
}

/// What the form shows: the saved quota, or what was just typed (with problems).
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub typed: Option<Typed>,
    pub errors: Vec<String>,
    /// Shares computed for a preview, not saved.
    pub preview: bool,
    pub saved: bool,
    pub regions_saved: bool,
}

pub fn render(viewer: &Viewer, v: &QuotaView, form: &FormState, today: NaiveDate) -> Markup {
    let key = v.period.key();
    let target_value = match &form.typed {
        Some(t) => t.target.clone(),
        None => v
            .quota
            .as_ref()
            .map(|q| amount_text(q.target))
            .unwrap_or_default(),
    };
    let share_value = |id: TerritoryId| match &form.typed {
        Some(t) => t.shares.get(&id).cloned().unwrap_or_default(),
        None => v
            .quota
            .as_ref()
            .and_then(|q| q.shares.get(&id))
            .map(|m| amount_text(*m))
            .unwrap_or_default(),
    };
    let region_value = |name: &str, members: &[usize]| match &form.typed {
        Some(t) => t.regions.get(name).cloned().unwrap_or_default(),
        None => v
            .quota
            .as_ref()
            .map(|q| {
                let sum = members
                    .iter()
                    .filter_map(|i| q.shares.get(&v.slots[*i].id))
                    .map(|m| m.minor)
                    .sum();
                amount_text(Money::new(sum, q.target.currency))
            })
            .unwrap_or_default(),
    };
    let mut periods: Vec<QuotaPeriod> = Vec::new();
    for kind in [Period::Quarter, Period::Month] {
        let mut at = kind.bounds(today).start;
        for _ in 0..2 {
            at = kind.previous(at).start;
        }
        for _ in 0..5 {
            periods.push(QuotaPeriod::containing(kind, at));
            at = kind.bounds(at).end.succ_opt().unwrap_or(at);
        }
    }
    if !periods.contains(&v.period) {
        periods.insert(0, v.period); // asked for by its address
    }
    let body = html! {
        h1 { "Quotas — " (v.period.label()) }
        (super::layout::left_out(&v.left_out))
        form.filters method="get" action="/dashboard/quotas" {
            label { "Period" select name="period" {
                @for p in &periods { (option(&p.key(), &p.label(), &key)) }
            } }
            button type="submit" { "Show" }
        }
        @if form.saved { p.notice role="status" { "Saved: the target and its split for " (v.period.label()) "." } }
        @if form.regions_saved { p.notice role="status" { "Regions saved. Check the split: a saved target keeps its territories' shares." } }
        @if !form.errors.is_empty() {
            div.alert role="alert" {
                strong { "Nothing was saved. " }
                "Please fix, then " a href="#split" { "save again" } ":"
                ul.errors { @for e in &form.errors { li { (e) } } }
            }
        }
        @if form.preview { p.notice role="status" { "Preview: blank shares filled by potential. Not saved yet — check the split and save." } }
        @if v.stale {
            p.alert role="alert" { "The saved shares no longer add up to the target (the team's territories changed). Edit them and save again." }
        }
        @match &v.quota {
            Some(q) => {
                p.summary {
                    strong { "Team: " } (v.team_won) " won of " (q.target) " — " (v.team_progress) " "
                    (ratio_bar(v.team_progress))
                }
            }
            None => { p.muted { "No target set for " (v.period.label()) " yet. Won so far: " (v.team_won) "." } }
        }
        p.muted {
            (v.elapsed) " of the period (" (v.period.range.start) " – " (v.period.range.end) ") has gone by; "
            "the tick on each bar marks that share of it. Won revenue counts accounts won in the period, in the territory they are in now."
        }
        @if v.quota.is_some() {
            p.legend { span.swatch.share {} " Share " span.swatch.won {} " Won " span.swatch.pace {} " Pace" }
            (chart(&v.territories, v.elapsed))
        }
        @if !v.regions.is_empty() {
            (progress_table("By region", "Region", "Territories", &v.regions))
        }
        (progress_table("By territory", "Territory", "Rep", &v.territories))
        (progress_table("By rep", "Rep", "Territories", &v.reps))
        h2 #split { "Set the target and its split" }
        form.quota method="post" action="/dashboard/quotas" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="period" value=(key);
            label { "Team target for " (v.period.label()) " (" (v.currency) ")"
                input type="text" inputmode="decimal" name="target" value=(target_value) placeholder="250,000" required; }
            p.muted {
                "Leave a share blank to give it part of what the other shares leave, in proportion to potential. The shares must add up to the target."
                @if !v.regions.is_empty() { " The target rolls down: the regions' shares add up to the target, and each region's territories add up to its share." }
            }
            (super::layout::potential_note(v.currency, v.without_potential))
            div.table-wrap tabindex="0" { table.cards.shares {
                thead { tr { th { "Territory" } th { "Rep" } th.num { "Potential" } th { "Share" } } }
                tbody {
                    @for (region, members) in split::groups(&v.slots) {
                        @if !v.regions.is_empty() {
                            @let label = split::region_label(&region);
                            tr.region data-row=(label) {
                                td.title { (label) }
                                td data-label="Territories" { (members.len()) " territor" @if members.len() == 1 { "y" } @else { "ies" } }
                                td.num data-label="Potential" { (Money::new(members.iter().map(|i| v.slots[*i].potential).sum(), v.currency)) }
                                td data-label="Region's share" {
                                    input type="text" inputmode="decimal" name=(format!("rshare_{region}"))
                                        value=(region_value(&region, &members)) aria-label=(format!("Share of the region {label}"));
                                }
                            }
                        }
                        @for s in members.iter().map(|i| &v.slots[*i]) { tr data-row=(s.name) {
                            td.title { (s.name) }
                            td data-label="Rep" { (rep_label(v, s)) }
                            td.num data-label="Potential" { (Money::new(s.potential, v.currency)) }
                            td data-label="Share" {
                                input type="text" inputmode="decimal" name=(format!("share_{}", s.id))
                                    value=(share_value(s.id)) aria-label=(format!("Share of {}", s.name));
                            }
                        } }
                    }
                }
            } }
            div.actions {
                button type="submit" name="action" value="save" { "Save" }
                " "
                button.secondary type="submit" name="action" value="preview" { "Preview the split" }
            }
        }
        (regions::form(viewer, &v.slots, &v.period))
    };
    page("Quotas", Some((viewer, "/dashboard/quotas")), body)
}

fn rep_label(v: &QuotaView, s: &Slot) -> String {
    v.territories
        .iter()
        .find(|r| r.label == s.name)
        .map_or_else(|| "unassigned".to_owned(), |r| r.detail.clone())
}

#[derive(Debug, Default, Deserialize)]
pub struct QuotaQuery {
    pub period: Option<String>,
    pub saved: Option<String>,
    pub regions: Option<String>,
}

fn period_or_current(p: Option<&str>, today: NaiveDate) -> Option<QuotaPeriod> {
    match p.filter(|p| !p.is_empty()) {
        None => Some(QuotaPeriod::containing(Period::Quarter, today)),
        Some(p) => QuotaPeriod::parse(p),
    }
}

fn bad_period() -> Refusal {
    Refusal::page(
        StatusCode::BAD_REQUEST,
        "No such period",
        "Pick a month as YYYY-MM or a quarter as YYYY-Q1 … YYYY-Q4.",
    )
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<QuotaQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let today = local_date(viewer.tz, s.settings.clock.now());
    let Some(period) = period_or_current(q.period.as_deref(), today) else {
        return Err(bad_period());
    };
    let form = FormState {
        saved: q.saved.is_some(),
        regions_saved: q.regions.is_some(),
        ..FormState::default()
    };
    let v = viewer.clone();
    let out =
        s.db.read(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let accounts = scope::accounts(tx, &mut team)?;
            let quota = load(tx, v.id, &period)?;
            let view = compute(&team, &accounts, quota, period, today);
            Ok::<_, crate::Error>(render(&v, &view, &form, today))
        })
        .await;
    Ok(html_response(StatusCode::OK, out?))
}

/// The quota form. Its share fields are named after the territories shown
/// (`share_<territory id>`), so they arrive as a map.
#[derive(Debug, Deserialize)]
pub struct QuotaForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    target: String,
    /// `preview` checks and shows; anything else saves.
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub async fn submit(State(s): State<AppState>, Csrf(viewer, f): Csrf<QuotaForm>) -> Answer {
    let today = local_date(viewer.tz, s.settings.clock.now());
    let Some(period) = QuotaPeriod::parse(&f.period) else {
        return Err(bad_period());
    };
    let mut typed = Typed {
        target: f.target,
        ..Typed::default()
    };
    let mut unknown = false;
    for (k, v) in &f.rest {
        if let Some(region) = k.strip_prefix("rshare_") {
            typed.regions.insert(region.to_owned(), v.clone());
        } else if let Some(id) = k.strip_prefix("share_") {
            match id.parse::<TerritoryId>() {
                Ok(id) => {
                    typed.shares.insert(id, v.clone());
                }
                Err(_) => unknown = true,
            }
        }
    }
    let preview = f.action == "preview";
    let v = viewer.clone();
    // Validated against the team as it is now and saved in the same transaction, so
    // what was checked is what is written.
    let checked =
        s.db.write(move |tx| {
            let mut team = scope::team(tx, &v)?;
            let accounts = scope::accounts(tx, &mut team)?;
            let saved = load(tx, v.id, &period)?;
            let currency = saved
                .as_ref()
                .map_or_else(|| main_currency(&accounts), |q| q.target.currency);
            let slots = slots(&team, &accounts, currency);
            let result = if unknown {
                Err(vec![NOT_OURS.to_owned()])
            } else {
                validate(&typed, &slots, currency)
            };
            Ok::<_, crate::Error>(match result {
                Ok(quota) if !preview => {
                    save(tx, v.id, &period, &quota)?;
                    None
                }
                Ok(quota) => {
                    let regions = if split::by_region(&slots) {
                        split::groups(&slots)
                            .into_iter()
                            .map(|(name, members)| {
                                let sum = members
                                    .iter()
                                    .filter_map(|i| quota.shares.get(&slots[*i].id))
                                    .map(|m| m.minor)
                                    .sum();
                                (name, amount_text(Money::new(sum, currency)))
                            })
                            .collect()
                    } else {
                        BTreeMap::new()
                    };
                    let shown = Typed {
                        target: amount_text(quota.target),
                        shares: quota
                            .shares
                            .iter()
                            .map(|(t, m)| (*t, amount_text(*m)))
                            .collect(),
                        regions,
                    };
                    let form = FormState {
                        typed: Some(shown),
                        preview: true,
                        ..FormState::default()
                    };
                    Some((
                        StatusCode::OK,
                        compute(&team, &accounts, saved, period, today),
                        form,
                    ))
                }
                Err(errors) => {
                    let form = FormState {
                        typed: Some(typed.clone()),
                        errors,
                        ..FormState::default()
                    };
                    Some((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        compute(&team, &accounts, saved, period, today),
                        form,
                    ))
                }
            })
        })
        .await;
    match checked {
        Ok(Some((status, view, form))) => {
            Ok(html_response(status, render(&viewer, &view, &form, today)))
        }
        Ok(None) => Ok(see_other(&format!(
            "/dashboard/quotas?period={}&saved=1",
            period.key()
        ))),
        Err(e) => Err(e.into()),
    }
}

mod regions;
mod split;

pub use regions::assign as assign_regions;

#[cfg(test)]
mod tests;

//! `/dashboard/compliance`: touches done versus planned for a month (`?period=YYYY-MM`,
//! the current month by default), per rep, territory, bucket and kind, and the accounts
//! furthest behind. Computed with rounds-core's cadence engine and compliance roll-up:
//! the current month as of today, a past month as of its last day (activities after that
//! day are not counted), each account in its rep's time zone.

use std::collections::{BTreeMap, HashMap};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::{
    Account, AccountCadence, CadenceEngine, Compliance, DateRange, Logged, Period, Priority,
    RotationPlan, Tally, TouchKind, Tz, WorkCalendar,
};
use rounds_protocol::{TerritoryId, UserId};
use serde::Deserialize;

use super::layout::ratio_bar;
use super::scope::{self, Team};
use super::{Answer, Refusal, Viewer, html_response, page};
use rounds_server_rules::history;
use rounds_server_rules::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ComplianceQuery {
    pub period: Option<String>,
}

/// A calendar month, `YYYY-MM`.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// One account among the furthest behind.
#[derive(Debug, Clone)]
pub struct Behind {
    pub account: String,
    pub territory: String,
    pub rep: String,
    /// Touches still owed per kind (visits, calls, e-mails).
    pub owed: [u32; 3],
    pub reason: String,
}

impl Behind {
    pub fn total(&self) -> u32 {
        self.owed.iter().sum()
    }
}

#[derive(Debug, Clone)]
pub struct ComplianceView {
    pub month: DateRange,
    pub current: bool,
    pub roll_up: Compliance,
    /// Each bucket's period as evaluated (the plan may count some per quarter).
    pub bucket_periods: BTreeMap<Priority, (Period, DateRange)>,
    pub behind: Vec<Behind>,
    pub no_plan: bool,
}

/// The roll-up for the month starting `month_start`. `today_in` gives today's date in a
/// zone; each account is evaluated in its rep's zone (the viewer's when unassigned) on
/// the earlier of that day and the month's last day.
pub fn compute<L: Logged>(
    team: &Team,
    viewer_tz: Tz,
    accounts: &[Account],
    activities: &[L],
    plan: Option<&RotationPlan>,
    month_start: NaiveDate,
    today_in: impl Fn(Tz) -> NaiveDate,
) -> ComplianceView {
    let month = Period::Month.bounds(month_start);
    let current = month.contains(today_in(viewer_tz));
    let mut view = ComplianceView {
        month,
        current,
        roll_up: Compliance::default(),
        bucket_periods: BTreeMap::new(),
        behind: Vec::new(),
        no_plan: plan.is_none(),
    };
    let Some(plan) = plan else { return view };
    let calendar = WorkCalendar::default();
    let mut by_account: HashMap<_, Vec<&L>> = HashMap::new();
    for a in activities {
        by_account.entry(a.account_id()).or_default().push(a);
    }
    let mut engines: HashMap<(String, NaiveDate), CadenceEngine<'_>> = HashMap::new();
    let mut evaluated: Vec<(
        Option<UserId>,
        Option<TerritoryId>,
        &Account,
        AccountCadence,
    )> = Vec::new();
    for account in accounts {
        let territory = team.territory(account.territory);
        let rep = territory.and_then(|t| t.rep);
        let tz = rep.and_then(|r| team.rep(r)).map_or(viewer_tz, |p| p.tz);
        let day = today_in(tz).min(month.end);
        if day < month.start {
            continue; // a month still to come: nothing to count yet
        }
        let engine = engines
            .entry((tz.name().to_owned(), day))
            .or_insert_with(|| CadenceEngine::new(plan, day, tz, &calendar));
        let acts: Vec<&L> = by_account
            .get(&account.id)
            .map(|v| {
                v.iter()
                    .filter(|a| local_date(tz, a.occurred_at()) <= day)
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let c = engine.evaluate(account, &acts);
        if let Some(p) = c.period {
            view.bucket_periods.entry(c.priority).or_insert(p);
        }
        evaluated.push((rep, account.territory, account, c));
    }
    view.roll_up = Compliance::roll_up(evaluated.iter().map(|(r, t, _, c)| (*r, *t, c)));
    let mut behind: Vec<(u64, Behind)> = evaluated
        .iter()
        .map(|(rep, territory, account, c)| {
            let owed = TouchKind::ALL.map(|k| {
                let kc = c.kind(k);
                kc.planned - kc.done.min(kc.planned)
            });
            (
                c.urgency,
                Behind {
                    account: account.name.clone(),
                    territory: team
                        .territory(*territory)
                        .map_or_else(|| "—".to_owned(), |t| t.name.clone()),
                    rep: rep
                        .and_then(|r| team.rep(r))
                        .map_or_else(|| "unassigned".to_owned(), |p| p.name.clone()),
                    owed,
                    reason: c.reason.to_string(),
                },
            )
        })
        .filter(|(_, b)| b.total() > 0)
        .collect();
    behind.sort_by(|(ua, a), (ub, b)| {
        b.total()
            .cmp(&a.total())
            .then(ub.cmp(ua))
            .then_with(|| a.account.cmp(&b.account))
    });
    view.behind = behind.into_iter().take(10).map(|(_, b)| b).collect();
    view
}

pub fn bucket_label(p: Priority) -> &'static str {
    match p {
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

pub fn kind_label(k: TouchKind) -> &'static str {
    match k {
        TouchKind::Visit => "Visits",
        TouchKind::Call => "Calls",
        TouchKind::Email => "E-mails",
    }
}

fn tally_table(title: &str, group: &str, rows: &[(String, Tally)]) -> Markup {
    html! {
        h2 { (title) }
        div.table-wrap tabindex="0" { table.cards data-group=(group) {
            thead { tr {
                th { (group) } th.num { "Done" } th.num { "Planned" } th.num { "Credited" }
                th { "Compliance" }
            } }
            tbody {
                @for (label, t) in rows {
                    tr data-row=(label) {
                        td.title { (label) }
                        td.num.done data-label="Done" { (t.done) }
                        td.num.planned data-label="Planned" { (t.planned) }
                        td.num.credited data-label="Credited" { (t.credited) }
                        td data-label="Compliance" { (ratio_bar(t.compliance())) " " (t.compliance()) }
                    }
                }
            }
        } }
    }
}

pub fn render(viewer: &Viewer, team: &Team, view: &ComplianceView, today: NaiveDate) -> Markup {
    let r = &view.roll_up;
    let name_rep = |id: Option<UserId>| {
        id.and_then(|id| team.rep(id))
            .map_or_else(|| "Unassigned".to_owned(), |p| p.name.clone())
    };
    let by_rep: Vec<(String, Tally)> = r
        .by(|k| k.rep)
        .into_iter()
        .map(|(k, t)| (name_rep(k), t))
        .collect();
    let by_territory: Vec<(String, Tally)> = r
        .by(|k| k.territory)
        .into_iter()
        .map(|(k, t)| {
            (
                team.territory(k)
                    .map_or_else(|| "No territory".to_owned(), |t| t.name.clone()),
                t,
            )
        })
        .collect();
    let by_bucket: Vec<(String, Tally)> = r
        .by(|k| k.priority)
        .into_iter()
        .map(|(p, t)| {
            let label = match view.bucket_periods.get(&p) {
                Some((period, range)) => format!(
                    "{} (per {}: {} – {})",
                    bucket_label(p),
                    period.noun(),
                    range.start.format("%-d %b"),
                    range.end.format("%-d %b %Y")
                ),
                None => bucket_label(p).to_owned(),
            };
            (label, t)
        })
        .collect();
    let by_kind: Vec<(String, Tally)> = r
        .by(|k| k.kind)
        .into_iter()
        .map(|(k, t)| (kind_label(k).to_owned(), t))
        .collect();
    let total = r.by(|_| ()).remove(&()).unwrap_or_default();
    let this = today.with_day(1).unwrap_or(today);
    let months: Vec<NaiveDate> = (0..12u32)
        .filter_map(|i| this.checked_sub_months(Months::new(i)))
        .collect();
    let selected = view.month.start.format("%Y-%m").to_string();
    let body = html! {
        h1 { "Cadence compliance — " (view.month.start.format("%B %Y")) }
        (super::layout::left_out(&team.left_out))
        form.filters method="get" action="/dashboard/compliance" {
            label { "Period" select name="period" {
                @for m in &months {
                    @let v = m.format("%Y-%m").to_string();
                    (super::layout::option(&v, &m.format("%B %Y").to_string(), &selected))
                }
            } }
            button type="submit" { "Show" }
            a.download href=(format!("/dashboard/compliance.csv?period={selected}")) download { "Download CSV" }
        }
        p.muted {
            @if view.current { "This month so far (as of today, in each rep's time zone)." }
            @else { "Final figures as of " (view.month.end.format("%-d %B %Y")) "." }
            " Credited counts at most the planned touches per account, so extra touches on one account cannot hide missed ones elsewhere."
        }
        @if view.no_plan {
            p.alert { "No call-rotation plan is set up, so nothing is planned." }
        } @else {
            p { strong { "Team: " } (total.done) " done, " (total.credited) " of " (total.planned) " planned credited — " (total.compliance()) " " (ratio_bar(total.compliance())) }
            div.grid {
                div { (tally_table("By rep", "Rep", &by_rep)) }
                div { (tally_table("By territory", "Territory", &by_territory)) }
                div { (tally_table("By bucket", "Bucket", &by_bucket)) }
                div { (tally_table("By kind", "Kind", &by_kind)) }
            }
            h2 { "Furthest behind" }
            @if view.behind.is_empty() {
                p.muted { "Every account is on plan." }
            } @else {
                div.table-wrap tabindex="0" { table.cards {
                    thead { tr { th { "Account" } th { "Territory" } th { "Rep" } th.num { "Owed" }
                        th.num { "Visits" } th.num { "Calls" } th.num { "E-mails" } th { "Why" } } }
                    tbody { @for b in &view.behind { tr {
                        td.title { (b.account) } td data-label="Territory" { (b.territory) }
                        td data-label="Rep" { (b.rep) } td.num data-label="Owed" { (b.total()) }
                        td.num data-label="Visits" { (b.owed[0]) } td.num data-label="Calls" { (b.owed[1]) }
                        td.num data-label="E-mails" { (b.owed[2]) }
                        td data-label="Why" { (b.reason) }
                    } } }
                } }
            }
        }
    };
    page("Compliance", Some((viewer, "/dashboard/compliance")), body)
}

/// The month the query asks for (this month by default), or the refusal of one that is
/// not a month or is still to come.
pub fn chosen_month(q: &ComplianceQuery, today: NaiveDate) -> Result<NaiveDate, Refusal> {
    match q.period.as_deref().filter(|p| !p.is_empty()) {
        None => Ok(today.with_day(1).unwrap_or(today)),
        Some(p) => parse_month(p).filter(|m| *m <= today).ok_or_else(|| {
            Refusal::page(
                StatusCode::BAD_REQUEST,
                "No such period",
                "Pick a month up to this one, as YYYY-MM.",
            )
        }),
    }
}

/// How far back the month starting `month_start` looks: to the start of the longest
/// period the plan may count in (the quarter), less a week (a weekly period may start in
/// the month before) and a day (a zone ahead of UTC). Touches before their period count
/// for nothing on this page.
pub fn history_since(month_start: NaiveDate) -> DateTime<Utc> {
    let start = Period::Quarter.bounds(month_start).start - Days::new(8);
    start.and_time(NaiveTime::MIN).and_utc()
}

/// The viewer's team and its compliance for `month`, read in one transaction; the page
/// and the CSV export both render from it.
pub async fn load(
    s: &AppState,
    viewer: &Viewer,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> rounds_server_rules::Result<(Team, ComplianceView)> {
    let v = viewer.clone();
    s.db.read(move |tx| {
        let mut team = scope::team(tx, &v)?;
        let accounts = scope::accounts(tx, &mut team)?;
        let since = history_since(month);
        let activities = history::heads_since(tx, &team, &accounts, since)?;
        let plan = scope::plan(tx)?;
        let view = compute(
            &team,
            v.tz,
            &accounts,
            &activities,
            plan.as_ref(),
            month,
            |tz| local_date(tz, now),
        );
        Ok((team, view))
    })
    .await
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<ComplianceQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let now = s.settings.clock.now();
    let today = local_date(viewer.tz, now);
    let month = chosen_month(&q, today)?;
    let (team, view) = load(&s, &viewer, month, now).await?;
    Ok(html_response(
        StatusCode::OK,
        render(&viewer, &team, &view, today),
    ))
}

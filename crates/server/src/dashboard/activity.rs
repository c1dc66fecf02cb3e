//! `/dashboard/activity`: the team's synced activities, newest first, 50 to a page,
//! filtered by rep, kind and day range (days in the viewer's zone), each with its
//! check-in verification against the account's location.

use std::collections::{HashMap, HashSet};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::start_of_day;
use rounds_core::{Account, Activity, ActivityKind, CheckIn, CorrectionKind, LocationFix, Outcome};
use rounds_protocol::records::{AccountRecord, ActivityRecord, CorrectionRecord};
use rounds_protocol::{AccountId, ActivityId};
use serde::Deserialize;

use super::layout::option;
use super::scope::{self, Team};
use super::{Viewer, fault, html_response, page};
use crate::db::{Sql, Val, placeholders};
use crate::http::AppState;
use crate::time;
use rounds_server_rules::Result;

pub const PAGE_SIZE: usize = 50;
pub const MAX_PAGE: usize = 10_000;
pub use rounds_core::activity::CHECK_IN_RADIUS_M;

#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    pub rep: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<usize>,
}

/// One row of the feed, ready to show.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub activity: Activity,
    pub local_time: String,
    pub rep: String,
    pub account: String,
    pub check_in: CheckIn,
    pub void: bool,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub rows: Vec<FeedRow>,
    pub page: usize,
    pub more: bool,
}

fn kind_of(s: &str) -> Option<ActivityKind> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

pub fn kind_name(k: ActivityKind) -> &'static str {
    match k {
        ActivityKind::Visit => "Visit",
        ActivityKind::Call => "Call",
        ActivityKind::Email => "E-mail",
        ActivityKind::Note => "Note",
    }
}

pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Reached => "Reached",
        Outcome::LeftMessage => "Left message",
        Outcome::NoAnswer => "No answer",
        Outcome::MeetingBooked => "Meeting booked",
        Outcome::OrderTaken => "Order taken",
        Outcome::NotInterested => "Not interested",
        Outcome::FollowUpNeeded => "Follow-up needed",
    }
}

fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

/// The page of the feed the query asks for, within the viewer's team.
pub fn feed(tx: &mut dyn Sql, viewer: &Viewer, team: &Team, q: &FeedQuery) -> Result<Feed> {
    feed_sized(tx, viewer, team, q, PAGE_SIZE)
}

/// As [`feed`], `size` rows to a page (the CSV export takes one large page).
pub fn feed_sized(
    tx: &mut dyn Sql,
    viewer: &Viewer,
    team: &Team,
    q: &FeedQuery,
    size: usize,
) -> Result<Feed> {
    // Deep pages are slow pages; past this, narrow the filters instead.
    let page = q.page.unwrap_or(1).clamp(1, MAX_PAGE);
    if team.reps.is_empty() {
        return Ok(Feed {
            rows: Vec::new(),
            page,
            more: false,
        });
    }
    let mut sql = String::from("SELECT data FROM activities WHERE status = 'ok'");
    let mut params: Vec<Val> = Vec::new();
    if !team.all {
        let ids = team.rep_ids();
        sql += &format!(" AND rep_id IN ({})", placeholders(1, ids.len()));
        params.extend(ids);
    }
    if let Some(rep) = q.rep.as_deref().filter(|s| !s.is_empty()) {
        params.push(Val::from(rep));
        sql += &format!(" AND rep_id = ${}", params.len());
    }
    if let Some(kind) = q.kind.as_deref().and_then(kind_of) {
        // Rows keep their wire JSON; a key/value pair with bare quotes can only be the
        // activity's own `kind` (quotes inside strings are escaped).
        let json = serde_json::to_string(&kind).unwrap_or_default();
        params.push(Val::from(format!("%\"kind\":{json}%")));
        sql += &format!(" AND data LIKE ${}", params.len());
    }
    if let Some(from) = date(&q.from) {
        params.push(Val::from(time::text(start_of_day(viewer.tz, from))));
        sql += &format!(" AND occurred_at >= ${}", params.len());
    }
    if let Some(to) = date(&q.to).and_then(|d| d.succ_opt()) {
        params.push(Val::from(time::text(start_of_day(viewer.tz, to))));
        sql += &format!(" AND occurred_at < ${}", params.len());
    }
    sql += &format!(
        " ORDER BY occurred_at DESC, id DESC LIMIT {} OFFSET {}",
        size + 1,
        (page - 1) * size
    );
    let mut acts = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: ActivityRecord = r.json(0)?;
        if let Ok(a) = Activity::try_from(&rec) {
            acts.push(a);
        }
    }
    let more = acts.len() > size;
    acts.truncate(size);

    let accounts = accounts_by_id(tx, acts.iter().map(|a| a.account_id))?;
    let void = voided(tx, acts.iter().map(|a| a.id))?;
    let rows = acts
        .into_iter()
        .map(|a| {
            let person = team.rep(a.rep_id);
            let tz = person.map_or(viewer.tz, |p| p.tz);
            let account = accounts.get(&a.account_id);
            let check_in = if a.kind == ActivityKind::Visit {
                LocationFix::verify(
                    a.fix.as_ref(),
                    account.and_then(|x| x.location.as_ref()),
                    CHECK_IN_RADIUS_M,
                )
            } else {
                CheckIn::NoFix
            };
            FeedRow {
                local_time: a
                    .occurred_at
                    .with_timezone(&tz)
                    .format("%a %Y-%m-%d %H:%M %Z")
                    .to_string(),
                rep: person.map_or_else(|| a.rep_id.to_string(), |p| p.name.clone()),
                account: account.map_or_else(|| "(unknown account)".to_owned(), |x| x.name.clone()),
                check_in,
                void: void.contains(&a.id),
                activity: a,
            }
        })
        .collect();
    Ok(Feed { rows, page, more })
}

fn accounts_by_id(
    tx: &mut dyn Sql,
    ids: impl Iterator<Item = AccountId>,
) -> Result<HashMap<AccountId, Account>> {
    let ids: Vec<Val> = ids
        .collect::<HashSet<_>>()
        .into_iter()
        .map(Val::from)
        .collect();
    let mut out = HashMap::new();
    // In chunks: PostgreSQL takes at most 32,767 parameters a statement.
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = tx.query(
            &format!(
                "SELECT data FROM accounts WHERE id IN ({})",
                placeholders(1, chunk.len())
            ),
            chunk,
        )?;
        for r in rows {
            let rec: AccountRecord = r.json(0)?;
            if let Ok(a) = Account::try_from(&rec) {
                out.insert(a.id, a);
            }
        }
    }
    Ok(out)
}

/// Ids per `IN (…)` list: well under PostgreSQL's 32,767 parameters a statement.
const IN_CHUNK: usize = 1_000;

/// Which of these activities a later correction voided (they stay in the feed, marked).
fn voided(tx: &mut dyn Sql, ids: impl Iterator<Item = ActivityId>) -> Result<HashSet<ActivityId>> {
    let ids: Vec<Val> = ids.map(Val::from).collect();
    let mut out = HashSet::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = tx.query(
            &format!(
                "SELECT data FROM corrections WHERE status = 'ok' AND target_id IN ({})",
                placeholders(1, chunk.len())
            ),
            chunk,
        )?;
        for r in rows {
            let rec: CorrectionRecord = r.json(0)?;
            let c = rounds_core::Correction::from(&rec);
            if matches!(c.change, CorrectionKind::Void { .. }) {
                out.insert(c.target);
            }
        }
    }
    Ok(out)
}

fn badge(c: CheckIn, kind: ActivityKind) -> Markup {
    if kind != ActivityKind::Visit {
        return html! { span.muted { "—" } };
    }
    match c {
        CheckIn::Inside => {
            html! { span.badge.inside title="The check-in fix is within the account's radius" { "✓ inside" } }
        }
        CheckIn::Outside => {
            html! { span.badge.outside title="The check-in fix is outside the account's radius" { "✗ outside" } }
        }
        CheckIn::NoFix => {
            html! { span.badge.no-fix title="No usable location fix, or the account has no location" { "no fix" } }
        }
    }
}

pub fn query_string(q: &FeedQuery, page: usize) -> String {
    let mut parts: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("rep", &q.rep),
        ("kind", &q.kind),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push((k, v.to_owned()));
        }
    }
    parts.push(("page", page.to_string()));
    parts
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn render(viewer: &Viewer, team: &Team, q: &FeedQuery, feed: &Feed) -> Markup {
    let rep = q.rep.clone().unwrap_or_default();
    let kind = q.kind.clone().unwrap_or_default();
    let body = html! {
        h1 { "Team activity" }
        form.filters method="get" action="/dashboard/activity" {
            label { "Rep" select name="rep" {
                (option("", "All reps", &rep))
                @for p in &team.reps { (option(&p.id.to_string(), &p.name, &rep)) }
            } }
            label { "Kind" select name="kind" {
                (option("", "All kinds", &kind))
                @for (v, l) in [("visit", "Visits"), ("call", "Calls"), ("email", "E-mails"), ("note", "Notes")] {
                    (option(v, l, &kind))
                }
            } }
            label { "From" input type="date" name="from" value=(q.from.clone().unwrap_or_default()); }
            label { "To" input type="date" name="to" value=(q.to.clone().unwrap_or_default()); }
            button type="submit" { "Filter" }
            a href="/dashboard/activity" { "Clear" }
            a.download href=(format!("/dashboard/activity.csv?{}", query_string(q, 1))) download { "Download CSV" }
        }
        @if feed.rows.is_empty() {
            p.muted { "No synced activity matches." }
        } @else {
            div.table-wrap { table.feed {
                thead { tr {
                    th { "When (rep's time)" } th { "Rep" } th { "Account" } th { "Kind" }
                    th { "Outcome" } th { "Note" } th { "Check-in" }
                } }
                tbody {
                    @for r in &feed.rows {
                        tr data-rep=(r.activity.rep_id) data-kind=(kind_name(r.activity.kind)) {
                            td.num data-label="When" { (r.local_time) }
                            td data-label="Rep" { (r.rep) }
                            td data-label="Account" { (r.account) }
                            td data-label="Kind" { (kind_name(r.activity.kind))
                                @if r.void { " " span.badge.void title="Voided by a later correction" { "void" } } }
                            td data-label="Outcome" { (r.activity.outcome.map_or("—", outcome_name)) }
                            td.note data-label="Note" { (r.activity.note.as_deref().map(|n| excerpt(n, 120)).unwrap_or_default()) }
                            td data-label="Check-in" { (badge(r.check_in, r.activity.kind)) }
                        }
                    }
                }
            } }
        }
        nav.pager aria-label="Pages" {
            @if feed.page > 1 {
                a href=(format!("/dashboard/activity?{}", query_string(q, feed.page - 1))) rel="prev" { "← Newer" }
            }
            span.muted { "Page " (feed.page) }
            @if feed.more {
                a href=(format!("/dashboard/activity?{}", query_string(q, feed.page + 1))) rel="next" { "Older →" }
            }
        }
        p.muted { "Check-in: a visit's location fix, widened by its accuracy, within "
            (CHECK_IN_RADIUS_M) " m of the account. Days in your time zone (" (viewer.tz.name()) ")." }
    };
    page("Activity", Some((viewer, "/dashboard/activity")), body)
}

pub async fn handler(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<FeedQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let v = viewer.clone();
    let out =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let feed = feed(tx, &v, &team, &q)?;
            Ok::<_, crate::Error>(render(&v, &team, &q, &feed))
        })
        .await;
    match out {
        Ok(m) => html_response(StatusCode::OK, m),
        Err(e) => fault(e),
    }
}

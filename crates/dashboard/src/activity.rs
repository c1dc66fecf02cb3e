//! `/dashboard/activity`: the team's synced activities, newest first, 50 to a page,
//! filtered by rep, kind and day range (days in the viewer's zone), each with its
//! check-in verification against the account's location.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use maud::{Markup, html};
use rounds_core::calendar::start_of_day;
use rounds_core::{Activity, ActivityKind, CheckIn, LocationFix, Outcome};
use serde::Deserialize;

use super::layout::{option, stage_label};
use super::scope::{self, Team};
use super::{Answer, Viewer, html_response, page};
use rounds_server_rules::Result;
use rounds_server_rules::feed::{self, FeedFilter, FeedPage, Key, Start};
use rounds_server_rules::state::AppState;

pub const PAGE_SIZE: usize = 50;
pub use rounds_core::activity::CHECK_IN_RADIUS_M;

#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    pub rep: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A page link's key: the page after (older than) or before (newer than) that row.
    pub older: Option<String>,
    pub newer: Option<String>,
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
    /// The link keys of the next older and newer pages, when there are such pages.
    pub older: Option<String>,
    pub newer: Option<String>,
    /// Accounts the reps added in the field under the same filters (first page only).
    pub added: Vec<AddedRow>,
    /// Pins the reps moved, under the same filters (first page only).
    pub pins: Vec<PinRow>,
    /// Stage changes reps made on their devices (first page only).
    pub stages: Vec<StageRow>,
    /// Photos reps took (first page only).
    pub photos: Vec<PhotoFeedRow>,
}

/// A photo from the field, ready to show.
#[derive(Debug, Clone)]
pub struct PhotoFeedRow {
    pub rep_id: rounds_protocol::UserId,
    pub local_time: String,
    pub rep: String,
    pub account: String,
    pub account_id: rounds_protocol::AccountId,
    pub photo_id: rounds_protocol::PhotoId,
    pub caption: Option<String>,
    pub received: bool,
}

/// A pin a rep moved, ready to show.
#[derive(Debug, Clone)]
pub struct PinRow {
    pub rep_id: rounds_protocol::UserId,
    pub local_time: String,
    pub rep: String,
    pub account: String,
    /// How far it moved; `None` when the account had no pin before (or has none now).
    pub moved_m: Option<f64>,
}

/// A stage change from the field, ready to show.
#[derive(Debug, Clone)]
pub struct StageRow {
    pub rep_id: rounds_protocol::UserId,
    pub on: NaiveDate,
    pub rep: String,
    pub account: String,
    pub from: Option<rounds_core::Stage>,
    pub to: rounds_core::Stage,
    pub reason: Option<String>,
}

/// A new account from the field, ready to show.
#[derive(Debug, Clone)]
pub struct AddedRow {
    pub rep_id: rounds_protocol::UserId,
    pub local_time: String,
    pub rep: String,
    pub name: String,
    pub city: String,
    pub pinned: bool,
}

/// New accounts shown above the feed.
pub const ADDED_SHOWN: usize = 20;

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

/// The filters the query asks for, days in the viewer's zone.
pub fn filter_of(viewer: &Viewer, q: &FeedQuery) -> FeedFilter {
    FeedFilter {
        rep: q.rep.clone().filter(|s| !s.is_empty()),
        kind: q.kind.as_deref().and_then(kind_of),
        from: date(&q.from).map(|d| start_of_day(viewer.tz, d)),
        before: date(&q.to)
            .and_then(|d| d.succ_opt())
            .map(|d| start_of_day(viewer.tz, d)),
    }
}

/// Where the page the query asks for starts; a damaged page link is refused.
pub fn start_of(q: &FeedQuery) -> Result<Start> {
    Ok(match (q.older.as_deref(), q.newer.as_deref()) {
        (Some(k), _) if !k.is_empty() => Start::OlderThan(Key::parse(k)?),
        (_, Some(k)) if !k.is_empty() => Start::NewerThan(Key::parse(k)?),
        _ => Start::Newest,
    })
}

/// The activities alone, a page from `start` (the CSV export's pieces): read in one
/// snapshot with the team, shaped after it.
pub async fn rows(
    s: &AppState,
    viewer: &Viewer,
    filter: FeedFilter,
    start: Start,
    size: usize,
) -> Result<(Feed, Option<Key>)> {
    let v = viewer.0.clone();
    let (team, found) =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let found = feed::page(tx, &team, &filter, &start, size)?;
            Ok::<_, crate::Error>((team, found))
        })
        .await?;
    let next = found.older.clone();
    Ok((shape(viewer, &team, found), next))
}

/// The viewer's team and the page of its feed the query asks for, `size` rows to a page,
/// with what reps did in the field besides on the newest page: read in one snapshot,
/// shaped after it.
pub async fn load(
    s: &AppState,
    viewer: &Viewer,
    q: &FeedQuery,
    size: usize,
) -> Result<(Team, Feed)> {
    let start = start_of(q)?;
    let filter = filter_of(viewer, q);
    let v = viewer.0.clone();
    let (team, found, added, pins, stages, snaps) =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let found = feed::page(tx, &team, &filter, &start, size)?;
            let (added, pins, stages, snaps) = if found.newer.is_none() {
                (
                    feed::added_accounts(tx, &team, &filter, ADDED_SHOWN)?,
                    feed::pin_moves(tx, &team, &filter, ADDED_SHOWN)?,
                    feed::stage_moves(tx, &team, &filter, ADDED_SHOWN)?,
                    feed::photos_taken(tx, &team, &filter, ADDED_SHOWN)?,
                )
            } else {
                (Vec::new(), Vec::new(), Vec::new(), Vec::new())
            };
            Ok::<_, crate::Error>((team, found, added, pins, stages, snaps))
        })
        .await?;
    let mut feed = shape(viewer, &team, found);
    let when = |by, at: chrono::DateTime<chrono::Utc>| {
        let person = team.rep(by);
        let tz = person.map_or(viewer.tz, |p| p.tz);
        (
            at.with_timezone(&tz)
                .format("%a %Y-%m-%d %H:%M %Z")
                .to_string(),
            person.map_or_else(|| by.to_string(), |p| p.name.clone()),
        )
    };
    feed.pins = pins
        .into_iter()
        .map(|p| {
            let (local_time, rep) = when(p.by, p.at);
            let place = |l: Option<rounds_protocol::sync::LatLonRecord>| {
                l.and_then(|l| rounds_core::LatLon::new(l.lat, l.lon).ok())
            };
            PinRow {
                rep_id: p.by,
                local_time,
                rep,
                account: p.account.name,
                moved_m: place(p.from)
                    .zip(place(p.to))
                    .map(|(a, b)| a.distance_m(&b)),
            }
        })
        .collect();
    feed.stages = stages
        .into_iter()
        .map(|m| StageRow {
            rep_id: m.by,
            on: m.on,
            rep: team
                .rep(m.by)
                .map_or_else(|| m.by.to_string(), |p| p.name.clone()),
            account: m.account.name,
            from: m.from,
            to: m.to,
            reason: m.reason,
        })
        .collect();
    feed.photos = snaps
        .into_iter()
        .map(|p| {
            let (local_time, rep) = when(p.photo.rep_id, p.at);
            PhotoFeedRow {
                rep_id: p.photo.rep_id,
                local_time,
                rep,
                account: p.account,
                account_id: p.photo.account_id,
                photo_id: p.photo.id,
                caption: p.photo.caption,
                received: p.photo.received,
            }
        })
        .collect();
    feed.added = added
        .into_iter()
        .map(|a| {
            let (local_time, rep) = when(a.by, a.at);
            AddedRow {
                rep_id: a.by,
                local_time,
                rep,
                name: a.account.name,
                city: a.account.address.city,
                pinned: a.account.location.is_some(),
            }
        })
        .collect();
    Ok((team, feed))
}

/// The feed's rows, ready to show.
fn shape(viewer: &Viewer, team: &Team, found: FeedPage) -> Feed {
    let FeedPage {
        activities: acts,
        accounts,
        voided: void,
        older,
        newer,
    } = found;
    let rows = acts
        .into_iter()
        .map(|a| {
            let person = team.rep(a.rep_id);
            let tz = person.map_or(viewer.tz, |p| p.tz);
            let account = accounts.get(&a.account_id);
            let check_in = if a.kind == ActivityKind::Visit {
                LocationFix::verify(
                    a.fix.as_ref(),
                    account.and_then(|x| x.check_in_location()),
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
    Feed {
        rows,
        older: older.map(|k| k.to_param()),
        newer: newer.map(|k| k.to_param()),
        added: Vec::new(),
        pins: Vec::new(),
        stages: Vec::new(),
        photos: Vec::new(),
    }
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

/// The feed's filters as a query string, with a page link's key (`("older", key)`).
pub fn query_string(q: &FeedQuery, at: Option<(&str, &str)>) -> String {
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
    if let Some((k, v)) = at {
        parts.push((k, v.to_owned()));
    }
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
            a.download href=(format!("/dashboard/activity.csv?{}", query_string(q, None))) download { "Download CSV" }
        }
        @if !feed.added.is_empty() {
            section.added-accounts {
                h2 { "New accounts from the field" }
                div.table-wrap tabindex="0" { table.new-accounts {
                    thead { tr { th { "Added (rep's time)" } th { "Rep" } th { "Account" } th { "City" } th { "Pin" } } }
                    tbody {
                        @for r in &feed.added {
                            tr data-rep=(r.rep_id) {
                                td.num data-label="Added" { (r.local_time) }
                                td data-label="Rep" { (r.rep) }
                                td data-label="Account" { (r.name) " " span.badge title="Added by the rep on their device" { "new lead" } }
                                td data-label="City" { (r.city) }
                                td data-label="Pin" { @if r.pinned { "✓" } @else { span.muted { "none" } } }
                            }
                        }
                    }
                } }
            }
        }
        @if !feed.pins.is_empty() {
            section.pin-moves {
                h2 { "Pins moved by reps" }
                div.table-wrap tabindex="0" { table.pin-moves {
                    thead { tr { th { "Moved (rep's time)" } th { "Rep" } th { "Account" } th { "Moved by" } } }
                    tbody {
                        @for r in &feed.pins {
                            tr data-rep=(r.rep_id) {
                                td.num data-label="Moved" { (r.local_time) }
                                td data-label="Rep" { (r.rep) }
                                td data-label="Account" { (r.account) }
                                td.num data-label="Moved by" {
                                    @match r.moved_m {
                                        Some(m) if m < 1_000.0 => { (format!("{m:.0} m")) }
                                        Some(m) => { (format!("{:.1} km", m / 1_000.0)) }
                                        None => { span.muted { "placed (no pin before)" } }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        @if !feed.stages.is_empty() {
            section.stage-moves {
                h2 { "Stage changes by reps" }
                div.table-wrap tabindex="0" { table.stage-moves {
                    thead { tr { th { "Day" } th { "Rep" } th { "Account" } th { "Move" } th { "Why lost" } } }
                    tbody {
                        @for r in &feed.stages {
                            tr data-rep=(r.rep_id) {
                                td.num data-label="Day" { (r.on.format("%a %Y-%m-%d")) }
                                td data-label="Rep" { (r.rep) }
                                td data-label="Account" { (r.account) }
                                td data-label="Move" {
                                    @if let Some(from) = r.from { (stage_label(from)) " → " }
                                    strong { (stage_label(r.to)) }
                                }
                                td data-label="Why lost" { @if let Some(why) = &r.reason { (why) } }
                            }
                        }
                    }
                } }
            }
        }
        @if !feed.photos.is_empty() {
            section.photo-feed {
                h2 { "Photos from reps" }
                ul.photos {
                    @for p in &feed.photos {
                        li data-rep=(p.rep_id) {
                            @if p.received {
                                a href=(format!("/dashboard/accounts/{}", p.account_id)) {
                                    img src=(format!("/dashboard/photos/{}", p.photo_id)) alt=(p.caption.as_deref().unwrap_or("Photo")) loading="lazy" width="240";
                                }
                            } @else {
                                span.pending role="img" aria-label="Still uploading" { "Uploading from the device…" }
                            }
                            p {
                                a href=(format!("/dashboard/accounts/{}", p.account_id)) { (p.account) }
                                @if let Some(c) = &p.caption { " — " (c) }
                                br;
                                span.muted { (p.rep) " · " (p.local_time) }
                            }
                        }
                    }
                }
            }
        }
        @if !feed.added.is_empty() || !feed.pins.is_empty() || !feed.stages.is_empty() || !feed.photos.is_empty() { h2 { "Activities" } }
        @if feed.rows.is_empty() {
            p.muted { "No synced activity matches." }
        } @else {
            div.table-wrap tabindex="0" { table.feed {
                thead { tr {
                    th { "When (rep's time)" } th { "Rep" } th { "Account" } th { "Kind" }
                    th { "Outcome" } th { "Note" } th { "Check-in" }
                } }
                tbody {
                    @for r in &feed.rows {
                        tr data-rep=(r.activity.rep_id) data-activity=(r.activity.id) data-kind=(kind_name(r.activity.kind)) {
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
            @if let Some(k) = &feed.newer {
                a href=(format!("/dashboard/activity?{}", query_string(q, None))) { "⇤ Newest" }
                a href=(format!("/dashboard/activity?{}", query_string(q, Some(("newer", k))))) rel="prev" { "← Newer" }
            }
            @if let Some(k) = &feed.older {
                a href=(format!("/dashboard/activity?{}", query_string(q, Some(("older", k))))) rel="next" { "Older →" }
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
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    match load(&s, &viewer, &q, PAGE_SIZE).await {
        Ok((team, feed)) => Ok(html_response(
            StatusCode::OK,
            render(&viewer, &team, &q, &feed),
        )),
        Err(e) => Err(e.into()),
    }
}

//! The team's synced activities, newest first, a page at a time: what the dashboard's
//! feed and its CSV export show.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rounds_core::{Account, Activity, ActivityKind, CorrectionKind, Stage};
use rounds_protocol::records::{AccountRecord, ActivityRecord, CorrectionRecord};
use rounds_protocol::sync::LatLonRecord;
use rounds_protocol::{AccountId, ActivityId, UserId};

use rounds_protocol::ErrorCode;

use crate::db::{Sql, Val, placeholders};
use crate::scope::Team;
use crate::time;
use crate::{Error, Result};

/// Which activities: all of the team's, narrowed by each filter given.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    /// A rep's id, as the page's filter names it.
    pub rep: Option<String>,
    pub kind: Option<ActivityKind>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub before: Option<DateTime<Utc>>,
}

/// A row's place in the feed's order: when it occurred (as stored), then its id. Pages
/// start past a key rather than at an offset, so a deep page costs what the first does
/// and a row synced meanwhile neither repeats nor hides one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    occurred_at: String,
    id: String,
}

impl Key {
    /// As a page link carries it: `<occurred_at>~<id>`.
    pub fn to_param(&self) -> String {
        format!("{}~{}", self.occurred_at, self.id)
    }

    /// From a page link; a key that is not a time and an activity id is refused.
    pub fn parse(param: &str) -> Result<Key> {
        let bad = || {
            Error::client(
                ErrorCode::InvalidInput,
                "This page link is damaged: open the activity feed from its first page.",
            )
        };
        let (at, id) = param.split_once('~').ok_or_else(bad)?;
        let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?;
        let id: ActivityId = id.parse().map_err(|_| bad())?;
        Ok(Key {
            occurred_at: time::text(at.with_timezone(&Utc)),
            id: id.to_string(),
        })
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Start {
    /// The newest activities.
    #[default]
    Newest,
    /// Those just older than a row shown (the "Older" link).
    OlderThan(Key),
    /// Those just newer than a row shown (the "Newer" link).
    NewerThan(Key),
}

/// One page of activities, with what showing them needs.
#[derive(Debug, Default)]
pub struct FeedPage {
    pub activities: Vec<Activity>,
    /// Their accounts, by id.
    pub accounts: HashMap<AccountId, Account>,
    /// Which of them a later correction voided (they stay in the feed, marked).
    pub voided: HashSet<ActivityId>,
    /// Where the next older page starts (its last row's key), when older rows follow.
    pub older: Option<Key>,
    /// Where the next newer page starts (its first row's key), when newer rows come
    /// before this page.
    pub newer: Option<Key>,
}

/// A page of the team's activities under `f` from `start`, `size` to a page, newest
/// first. A "newer" page that reaches the newest is the newest page itself.
pub fn page(
    tx: &mut dyn Sql,
    team: &Team,
    f: &FeedFilter,
    start: &Start,
    size: usize,
) -> Result<FeedPage> {
    if team.reps.is_empty() {
        return Ok(FeedPage::default());
    }
    let mut sql = String::from("SELECT data, occurred_at, id FROM activities WHERE status = 'ok'");
    let mut params: Vec<Val> = Vec::new();
    if !team.all {
        let ids = team.rep_ids();
        sql += &format!(" AND rep_id IN ({})", placeholders(1, ids.len()));
        params.extend(ids);
    }
    if let Some(rep) = f.rep.as_deref() {
        params.push(Val::from(rep));
        sql += &format!(" AND rep_id = ${}", params.len());
    }
    if let Some(kind) = f.kind {
        // Rows keep their wire JSON; a key/value pair with bare quotes can only be the
        // activity's own `kind` (quotes inside strings are escaped).
        let json = serde_json::to_string(&kind).unwrap_or_default();
        params.push(Val::from(format!("%\"kind\":{json}%")));
        sql += &format!(" AND data LIKE ${}", params.len());
    }
    if let Some(from) = f.from {
        params.push(Val::from(time::text(from)));
        sql += &format!(" AND occurred_at >= ${}", params.len());
    }
    if let Some(before) = f.before {
        params.push(Val::from(time::text(before)));
        sql += &format!(" AND occurred_at < ${}", params.len());
    }
    let (past, order) = match start {
        Start::Newest => (None, "DESC"),
        Start::OlderThan(k) => (Some((k, '<')), "DESC"),
        Start::NewerThan(k) => (Some((k, '>')), "ASC"),
    };
    if let Some((k, op)) = past {
        params.push(Val::from(k.occurred_at.as_str()));
        params.push(Val::from(k.id.as_str()));
        let (at, id) = (params.len() - 1, params.len());
        // A row value, so both backends read the index on (status, occurred_at, id) from
        // the key on, in order, and stop at the page's end.
        sql += &format!(" AND (occurred_at, id) {op} (${at}, ${id})");
    }
    sql += &format!(
        " ORDER BY occurred_at {order}, id {order} LIMIT {}",
        size + 1
    );
    let mut rows = Vec::new();
    for r in tx.query(&sql, &params)? {
        let key = Key {
            occurred_at: r.text(1)?,
            id: r.text(2)?,
        };
        rows.push((r.json::<ActivityRecord>(0)?, key));
    }
    let beyond = rows.len() > size;
    rows.truncate(size);
    let (more, newer) = match start {
        Start::Newest => (beyond, false),
        Start::OlderThan(_) => (beyond, true),
        Start::NewerThan(_) if !beyond => return page(tx, team, f, &Start::Newest, size),
        Start::NewerThan(_) => {
            rows.reverse();
            (true, true)
        }
    };
    let older = rows.last().filter(|_| more).map(|(_, k)| k.clone());
    let newer = rows.first().filter(|_| newer).map(|(_, k)| k.clone());
    let acts: Vec<Activity> = rows
        .iter()
        .filter_map(|(rec, _)| Activity::try_from(rec).ok())
        .collect();

    let accounts = accounts_by_id(tx, acts.iter().map(|a| a.account_id))?;
    let voided = voided(tx, acts.iter().map(|a| a.id))?;
    Ok(FeedPage {
        activities: acts,
        accounts,
        voided,
        older,
        newer,
    })
}

/// An account a rep added from a device.
#[derive(Debug, Clone)]
pub struct Added {
    pub account: Account,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// The accounts the team's reps added in the field under `f`'s rep and days, newest
/// first, at most `limit`.
pub fn added_accounts(
    tx: &mut dyn Sql,
    team: &Team,
    f: &FeedFilter,
    limit: usize,
) -> Result<Vec<Added>> {
    let Some((filter, params)) = by_team(team, f, "o.user_id", "o.created_at") else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT o.user_id, o.created_at, a.data FROM account_origins o JOIN accounts a ON a.id = o.account_id
         WHERE {filter} ORDER BY o.created_at DESC, o.account_id DESC LIMIT {limit}"
    );
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: AccountRecord = r.json("data")?;
        if let (Ok(account), Some(at)) =
            (Account::try_from(&rec), time::parse(&r.text("created_at")?))
        {
            out.push(Added {
                account,
                by: r.parse("user_id")?,
                at,
            });
        }
    }
    Ok(out)
}

/// A pin a rep moved from a device.
#[derive(Debug, Clone)]
pub struct PinMove {
    pub account: Account,
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub from: Option<LatLonRecord>,
    pub to: Option<LatLonRecord>,
}

/// The pins the team's reps moved under `f`'s rep and days, newest first, at most
/// `limit`.
pub fn pin_moves(
    tx: &mut dyn Sql,
    team: &Team,
    f: &FeedFilter,
    limit: usize,
) -> Result<Vec<PinMove>> {
    let Some((filter, params)) = by_team(team, f, "p.user_id", "p.moved_at") else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT p.user_id, p.moved_at, p.data AS moved, a.data FROM pin_moves p JOIN accounts a ON a.id = p.account_id
         WHERE {filter} ORDER BY p.moved_at DESC, p.id DESC LIMIT {limit}"
    );
    #[derive(serde::Deserialize)]
    struct Moved {
        from: Option<LatLonRecord>,
        to: Option<LatLonRecord>,
    }
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: AccountRecord = r.json("data")?;
        let moved: Moved = r.json("moved")?;
        if let (Ok(account), Some(at)) =
            (Account::try_from(&rec), time::parse(&r.text("moved_at")?))
        {
            out.push(PinMove {
                account,
                by: r.parse("user_id")?,
                at,
                from: moved.from,
                to: moved.to,
            });
        }
    }
    Ok(out)
}

/// A stage change a rep made on a device.
#[derive(Debug, Clone)]
pub struct StageMove {
    pub account: Account,
    pub by: UserId,
    /// When the server learned of it.
    pub at: DateTime<Utc>,
    /// The day it happened.
    pub on: chrono::NaiveDate,
    pub from: Option<Stage>,
    pub to: Stage,
    pub reason: Option<String>,
}

/// The stage changes the team's reps made on their devices, under `f`'s rep and days
/// (by when they reached the server), newest first, at most `limit`.
pub fn stage_moves(
    tx: &mut dyn Sql,
    team: &Team,
    f: &FeedFilter,
    limit: usize,
) -> Result<Vec<StageMove>> {
    let Some((filter, params)) = by_team(team, f, "s.user_id", "s.recorded_at") else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT s.user_id, s.recorded_at, s.changed_on, s.from_stage, s.to_stage, s.reason, a.data
         FROM stage_changes s JOIN accounts a ON a.id = s.account_id
         WHERE s.device_id IS NOT NULL AND {filter} ORDER BY s.recorded_at DESC, s.id DESC LIMIT {limit}"
    );
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: AccountRecord = r.json("data")?;
        let (Ok(account), Some(at), Some(to), Ok(on)) = (
            Account::try_from(&rec),
            time::parse(&r.text("recorded_at")?),
            Stage::from_name(&r.text("to_stage")?),
            r.text("changed_on")?.parse(),
        ) else {
            continue;
        };
        out.push(StageMove {
            account,
            by: r.parse("user_id")?,
            at,
            on,
            from: r
                .opt_text("from_stage")?
                .as_deref()
                .and_then(Stage::from_name),
            to,
            reason: r.opt_text("reason")?,
        });
    }
    Ok(out)
}

/// A photo a rep took, with the name of the account it shows.
#[derive(Debug, Clone)]
pub struct Snap {
    pub photo: crate::photos::PhotoRow,
    pub account: String,
    /// When the server learned of it.
    pub at: DateTime<Utc>,
}

/// The photos the team's reps took, under `f`'s rep and days (by when they reached the
/// server), newest first, at most `limit`.
pub fn photos_taken(
    tx: &mut dyn Sql,
    team: &Team,
    f: &FeedFilter,
    limit: usize,
) -> Result<Vec<Snap>> {
    let Some((filter, params)) = by_team(team, f, "p.rep_id", "p.recorded_at") else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT p.id, p.account_id, p.activity_id, p.rep_id, p.sha256, p.bytes, p.content_type, p.caption,
                p.taken_at, p.received_at, p.recorded_at, a.data
         FROM photos p JOIN accounts a ON a.id = p.account_id
         WHERE {filter} ORDER BY p.recorded_at DESC, p.id DESC LIMIT {limit}"
    );
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let Some(at) = time::parse(&r.text("recorded_at")?) else {
            continue;
        };
        let rec: AccountRecord = r.json("data")?;
        out.push(Snap {
            photo: crate::db::FromRow::from_row(&r)?,
            account: rec.name,
            at,
        });
    }
    Ok(out)
}

/// The condition and parameters that keep the rows of the team's reps, narrowed by the
/// feed's rep and days (`who` and `when` name the columns); `None` for a team without
/// reps.
fn by_team(team: &Team, f: &FeedFilter, who: &str, when: &str) -> Option<(String, Vec<Val>)> {
    if team.reps.is_empty() {
        return None;
    }
    let mut params = team.rep_ids();
    let mut sql = format!("{who} IN ({})", placeholders(1, params.len()));
    if let Some(rep) = f.rep.as_deref() {
        params.push(Val::from(rep));
        sql += &format!(" AND {who} = ${}", params.len());
    }
    if let Some(from) = f.from {
        params.push(Val::from(time::text(from)));
        sql += &format!(" AND {when} >= ${}", params.len());
    }
    if let Some(before) = f.before {
        params.push(Val::from(time::text(before)));
        sql += &format!(" AND {when} < ${}", params.len());
    }
    Some((sql, params))
}

/// What a rep added from a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Account,
    Contact,
}

/// Who of the team added an account (or a contact) from a device, and when, since
/// `since`.
pub fn added_since(
    tx: &mut dyn Sql,
    team: &Team,
    what: Origin,
    since: DateTime<Utc>,
) -> Result<Vec<(UserId, DateTime<Utc>)>> {
    if team.reps.is_empty() {
        return Ok(Vec::new());
    }
    let table = match what {
        Origin::Account => "account_origins",
        Origin::Contact => "contact_origins",
    };
    let mut params = team.rep_ids();
    let sql = format!(
        "SELECT user_id, created_at FROM {table} WHERE user_id IN ({}) AND created_at >= ${}",
        placeholders(1, params.len()),
        params.len() + 1
    );
    params.push(Val::from(time::text(since)));
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        if let Some(at) = time::parse(&r.text("created_at")?) {
            out.push((r.parse("user_id")?, at));
        }
    }
    Ok(out)
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

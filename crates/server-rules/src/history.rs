//! A team's activity history, with accepted corrections folded in (voided activities left
//! out): all of it, or the part a page needs, read by time. The compliance, priority and
//! performance pages look back a quarter, ninety days or fourteen weeks, and read that
//! much rather than every activity ever logged; and they read only each activity's head
//! (account, rep, kind, time) from an index ([`heads_since`]), not its stored JSON.
//!
//! Exactness: an amendment can move an activity's time, so every corrected activity is
//! read too (corrections are few), whole, and corrected. A page that looks only at
//! activities from `since` on sees exactly what it would see in the whole history.

use chrono::{DateTime, Utc};
use rounds_core::{Account, Activity, ActivityHead, ActivityId, Correction, apply_corrections};
use rounds_protocol::records::{ActivityRecord, CorrectionRecord};
use std::collections::HashSet;

use crate::Result;
use crate::db::{Db, DbError, Sql, Val, placeholders};
use crate::scope::Team;
use crate::time;

/// Accepted corrections of the organisation, by the activities they correct.
const CORRECTED: &str = "SELECT target_id FROM corrections WHERE status = 'ok'";

/// The columns `cols` of the team's accepted rows `r` of `from` (activities or
/// corrections, or what names them `r`) where `cond` holds, `params` numbered first.
/// `None` for a team with no territory.
fn of_team(
    team: &Team,
    from: &str,
    cols: &str,
    cond: &str,
    params: Vec<Val>,
) -> Option<(String, Vec<Val>)> {
    let (in_team, params) = in_team(team, params)?;
    let join = if team.all {
        ""
    } else {
        " JOIN accounts c ON c.id = r.account_id"
    };
    Some((
        format!("SELECT {cols} FROM {from}{join} WHERE r.status = 'ok' AND {cond}{in_team}"),
        params,
    ))
}

/// The condition on the accounts `c` that keeps the team's, its territories' ids
/// numbered after `params`: nothing for the whole organisation, `None` for a team with
/// no territory.
fn in_team(team: &Team, mut params: Vec<Val>) -> Option<(String, Vec<Val>)> {
    if team.all {
        return Some((String::new(), params));
    }
    if team.territories.is_empty() {
        return None;
    }
    let mut ids = team.territory_ids();
    let inl = placeholders(params.len() + 1, ids.len());
    params.append(&mut ids);
    Some((format!(" AND c.territory_id IN ({inl})"), params))
}

/// The team's accepted activities on `accounts` where any of `conds` holds (each a
/// query of its own over `from`, so each can use its index; a row met twice counts
/// once), as stored.
fn read_stored(
    tx: &mut dyn Sql,
    team: &Team,
    wanted: &HashSet<rounds_core::AccountId>,
    from: &str,
    conds: Vec<(String, Vec<Val>)>,
) -> Result<Vec<Activity>> {
    let mut seen = HashSet::new();
    let mut activities = Vec::new();
    for (cond, params) in conds {
        let Some((sql, params)) = of_team(team, from, "r.data", &cond, params) else {
            return Ok(Vec::new());
        };
        tx.query_each(&sql, &params, &mut |r| {
            let rec: ActivityRecord = r.json(0)?;
            if let Ok(a) = Activity::try_from(&rec)
                && wanted.contains(&a.account_id)
                && seen.insert(a.id)
            {
                activities.push(a);
            }
            Ok(())
        })?;
    }
    Ok(activities)
}

/// The same, corrected.
fn read(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
    conds: Vec<(String, Vec<Val>)>,
) -> Result<Vec<Activity>> {
    let wanted: HashSet<_> = accounts.iter().map(|a| a.id).collect();
    let activities = read_stored(tx, team, &wanted, "activities r", conds)?;
    corrected(tx, team, activities)
}

fn corrected(tx: &mut dyn Sql, team: &Team, activities: Vec<Activity>) -> Result<Vec<Activity>> {
    let corrections = corrections_of(tx, team)?;
    Ok(if corrections.is_empty() {
        activities
    } else {
        apply_corrections(&activities, &corrections)
    })
}

/// The accepted corrections on the team's accounts.
fn corrections_of(tx: &mut dyn Sql, team: &Team) -> Result<Vec<Correction>> {
    let Some((sql, params)) = of_team(team, "corrections r", "r.data", "1 = 1", Vec::new()) else {
        return Ok(Vec::new());
    };
    let mut corrections = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: CorrectionRecord = r.json(0)?;
        corrections.push(Correction::from(&rec));
    }
    Ok(corrections)
}

/// Every accepted activity on `accounts`, corrected: the whole history.
pub fn all_activities(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
) -> Result<Vec<Activity>> {
    read(tx, team, accounts, vec![("1 = 1".into(), Vec::new())])
}

/// The accepted activities on `accounts` that may have happened at or after `since`,
/// corrected: every one stored at or after it and every corrected one. Some may end up
/// before `since` (amended back); callers count by date, so those are real activities
/// counted where they belong. The pages read [`heads_since`]; this read, what they read
/// before, stays as the history bench's baseline.
pub fn activities_since(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
    since: DateTime<Utc>,
) -> Result<Vec<Activity>> {
    read(
        tx,
        team,
        accounts,
        vec![
            (
                "r.occurred_at >= $1".into(),
                vec![Val::from(time::text(since))],
            ),
            (format!("r.id IN ({CORRECTED})"), Vec::new()),
        ],
    )
}

/// The heads of the accepted activities on `accounts` that may have happened at or after
/// `since`, corrected: what [`activities_since`] gives, without notes, outcomes, lengths
/// and fixes (which no page that reads heads shows). The corrected ones are read whole
/// and corrected; the rest come from the `activities_heads` index alone (a covering read,
/// account by account), and rows the kind backfill has not reached yet from their JSON.
/// A head's time is the stored column's (to the microsecond), which dates it on the same
/// local day.
pub fn heads_since(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
    since: DateTime<Utc>,
) -> Result<Vec<ActivityHead>> {
    let wanted: HashSet<_> = accounts.iter().map(|a| a.id).collect();
    // Driven from the corrections (few), not by testing every activity against them.
    let stored = read_stored(
        tx,
        team,
        &wanted,
        "(SELECT DISTINCT target_id FROM corrections WHERE status = 'ok') k
         CROSS JOIN activities r",
        vec![("r.id = k.target_id".into(), Vec::new())],
    )?;
    let read_whole: HashSet<ActivityId> = stored.iter().map(|a| a.id).collect();
    let mut heads: Vec<ActivityHead> = corrected(tx, team, stored)?
        .iter()
        .map(ActivityHead::from)
        .collect();
    let since = vec![Val::from(time::text(since))];
    let Some((sql, params)) = by_account(
        team,
        "r.id, r.account_id, r.rep_id, r.kind, r.occurred_at",
        "r.occurred_at >= $1 AND r.kind IS NOT NULL",
        since.clone(),
    ) else {
        return Ok(Vec::new());
    };
    // Streamed: a director's quarter is a few hundred thousand rows, kept only as heads.
    tx.query_each(&sql, &params, &mut |r| {
        let head = ActivityHead {
            id: r.parse("id")?,
            account_id: r.parse("account_id")?,
            rep_id: r.parse("rep_id")?,
            kind: r.parse("kind")?,
            occurred_at: r.parse("occurred_at")?,
        };
        if !read_whole.contains(&head.id) && wanted.contains(&head.account_id) {
            heads.push(head);
        }
        Ok(())
    })?;
    // Rows the backfill has not reached (or whose record is not valid), by their own
    // index: few once it ran.
    let Some((sql, params)) = of_team(
        team,
        "activities r",
        "r.data",
        "r.kind IS NULL AND r.occurred_at >= $1",
        since,
    ) else {
        return Ok(heads);
    };
    tx.query_each(&sql, &params, &mut |r| {
        let rec: ActivityRecord = r.json(0)?;
        if let Ok(a) = Activity::try_from(&rec)
            && !read_whole.contains(&a.id)
            && wanted.contains(&a.account_id)
        {
            heads.push(ActivityHead::from(&a));
        }
        Ok(())
    })?;
    Ok(heads)
}

/// The columns `cols` of the team's accepted activities `r` where `cond` holds, read
/// account by account (`CROSS JOIN` keeps the accounts the outer loop on SQLite), so the
/// database walks each account's range of `activities_heads`, not a time range of the
/// whole organisation's rows.
fn by_account(team: &Team, cols: &str, cond: &str, params: Vec<Val>) -> Option<(String, Vec<Val>)> {
    let (in_team, params) = in_team(team, params)?;
    Some((
        format!(
            "SELECT {cols} FROM accounts c CROSS JOIN activities r
             WHERE r.account_id = c.id AND r.status = 'ok' AND {cond}{in_team}"
        ),
        params,
    ))
}

/// The `kind` column of a stored activity: its kind when the record is valid (as every
/// accepted one is), else nothing, so a page reads such a row from its JSON, as before.
pub fn stored_kind(a: &ActivityRecord) -> Option<&'static str> {
    Activity::try_from(a).ok().map(|_| a.kind.as_str())
}

/// Rows the kind backfill reads and writes in one transaction.
pub const KIND_BATCH: usize = 1000;

/// Fills `kind` on rows stored before it existed, [`KIND_BATCH`] rows a write transaction,
/// walking them by id once (rows whose record is not valid keep none). Runs while the
/// server serves: readers fall back to a row's JSON until it is filled. The number of rows
/// filled.
pub async fn backfill_kinds(db: &Db) -> std::result::Result<u64, DbError> {
    let mut after = String::new();
    let mut filled = 0;
    loop {
        let from = after.clone();
        let (n, last) = db
            .write(move |tx| {
                let rows = tx.query(
                    &format!(
                        "SELECT id, data FROM activities WHERE kind IS NULL AND id > $1
                         ORDER BY id LIMIT {KIND_BATCH}"
                    ),
                    crate::params![&from],
                )?;
                let mut by_kind: Vec<(&'static str, Vec<Val>)> = Vec::new();
                for r in &rows {
                    let rec: ActivityRecord = r.json("data")?;
                    let Some(kind) = stored_kind(&rec) else {
                        continue;
                    };
                    match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                        Some((_, ids)) => ids.push(Val::from(rec.id)),
                        None => by_kind.push((kind, vec![Val::from(rec.id)])),
                    }
                }
                let mut n = 0;
                for (kind, mut ids) in by_kind {
                    let inl = placeholders(2, ids.len());
                    let mut params = vec![Val::from(kind)];
                    params.append(&mut ids);
                    n += tx.exec(
                        &format!(
                            "UPDATE activities SET kind = $1 WHERE kind IS NULL AND id IN ({inl})"
                        ),
                        &params,
                    )?;
                }
                let last = match rows.last() {
                    Some(r) => Some(r.text("id")?),
                    None => None,
                };
                Ok::<_, DbError>((n, last.filter(|_| rows.len() == KIND_BATCH)))
            })
            .await?;
        filled += n;
        match last {
            Some(id) => after = id,
            None => return Ok(filled),
        }
        // Pushes and other writers go between batches.
        tokio::task::yield_now().await;
    }
}

//! The weeks reps' devices planned, kept for their managers to read (one a rep, the
//! latest made). See `rounds_protocol::week` for why this is a snapshot and not a
//! synced record.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::week::PlannedWeek;
use rounds_protocol::{AccountId, ErrorCode, TerritoryId, UserId};

use crate::db::{Sql, Tx, Val, placeholders};
use crate::error::{Error, Result};
use crate::scope::Team;
use crate::{params, time};

/// Keeps `week` as `rep`'s plan unless the one held was made later. A plan dated more
/// than a day ahead of the server's clock is refused: it would hide every later one.
/// Answers whether it was kept.
pub fn save(tx: &mut Tx<'_>, rep: UserId, week: &PlannedWeek, now: DateTime<Utc>) -> Result<bool> {
    week.check()
        .map_err(|why| Error::client(ErrorCode::InvalidInput, format!("planned week: {why}")))?;
    if week.planned_at > now + Duration::days(1) {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "planned week: made in the future by the device's clock",
        ));
    }
    let data = serde_json::to_string(week).map_err(|e| Error::Internal(e.to_string()))?;
    let changed = tx.exec(
        "INSERT INTO planned_weeks (rep_id, planned_at, received_at, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (rep_id) DO UPDATE SET planned_at = excluded.planned_at,
             received_at = excluded.received_at, data = excluded.data
         WHERE planned_weeks.planned_at < excluded.planned_at",
        params![rep, time::text(week.planned_at), time::text(now), data],
    )?;
    Ok(changed > 0)
}

/// `rep`'s latest plan and when the server received it.
pub fn of_rep(tx: &mut dyn Sql, rep: UserId) -> Result<Option<(PlannedWeek, DateTime<Utc>)>> {
    let Some(row) = tx.query_opt(
        "SELECT data, received_at FROM planned_weeks WHERE rep_id = $1",
        params![rep],
    )?
    else {
        return Ok(None);
    };
    let week: PlannedWeek = row.json("data")?;
    let received: DateTime<Utc> = row.parse("received_at")?;
    Ok(Some((week, received)))
}

/// The name and city of each of `ids` the team holds now; an account moved out of the
/// team since the plan was made is left out (the page says so instead of naming it).
pub fn team_accounts(
    tx: &mut dyn Sql,
    team: &Team,
    ids: &[AccountId],
) -> Result<HashMap<AccountId, (String, String)>> {
    let held: HashSet<TerritoryId> = team.territories.iter().map(|t| t.id).collect();
    Ok(accounts_of(tx, ids)?
        .into_iter()
        .filter(|(territory, _)| match territory {
            Some(t) => held.contains(t),
            None => team.all,
        })
        .map(|(_, rec)| (rec.id, (rec.name, rec.city)))
        .collect())
}

/// Of `ids`, the accounts in a territory `rep` holds now, by id.
pub fn held_accounts(
    tx: &mut dyn Sql,
    rep: UserId,
    ids: &[AccountId],
) -> Result<HashMap<AccountId, AccountRecord>> {
    let held: HashSet<TerritoryId> = tx
        .query("SELECT id FROM territories WHERE rep_id = $1", params![rep])?
        .iter()
        .map(|r| r.parse("id"))
        .collect::<std::result::Result<_, _>>()?;
    Ok(accounts_of(tx, ids)?
        .into_iter()
        .filter(|(territory, _)| territory.is_some_and(|t| held.contains(&t)))
        .map(|(_, rec)| (rec.id, rec))
        .collect())
}

/// The accounts of `ids` that exist, with their territory. Unreadable data is left out
/// here as everywhere (the pages count it).
fn accounts_of(
    tx: &mut dyn Sql,
    ids: &[AccountId],
) -> Result<Vec<(Option<TerritoryId>, AccountRecord)>> {
    let mut out = Vec::new();
    // In chunks, so the statement's parameters stay few on any backend.
    for chunk in ids.chunks(500) {
        let rows = tx.query(
            &format!(
                "SELECT territory_id, data FROM accounts WHERE id IN ({})",
                placeholders(1, chunk.len())
            ),
            &chunk.iter().map(|id| Val::from(*id)).collect::<Vec<_>>(),
        )?;
        for r in rows {
            if let Ok(rec) = r.json::<AccountRecord>("data") {
                out.push((r.opt_parse("territory_id")?, rec));
            }
        }
    }
    Ok(out)
}

//! The part of a team's activity history a page needs, read by time: the compliance,
//! priority and performance pages look back a quarter, a year or twelve weeks, and read
//! that much rather than every activity ever logged.
//!
//! Exactness: an amendment can move an activity's time, so every corrected activity is
//! read too (corrections are few), and the corrections are folded in as
//! [`scope::activities_of`] does. A page that looks only at activities from `since` on
//! sees exactly what it would see in the whole history.

use chrono::{DateTime, Utc};
use rounds_core::{Account, Activity, apply_corrections};
use rounds_protocol::records::ActivityRecord;
use std::collections::HashSet;

use crate::Result;
use crate::db::{Sql, Val, placeholders};
use crate::scope::{self, Team};
use crate::time;

/// Accepted corrections of the organisation, by the activities they correct.
const CORRECTED: &str = "SELECT target_id FROM corrections WHERE status = 'ok'";

/// `select` from the team's accepted activities (`a`) where `cond` holds, with
/// `params` numbered after the team's own. `None` for a team with no territory.
fn of_team(team: &Team, select: &str, cond: &str, params: Vec<Val>) -> Option<(String, Vec<Val>)> {
    if team.all {
        return Some((
            format!("{select} FROM activities a WHERE a.status = 'ok' AND {cond}"),
            params,
        ));
    }
    if team.territories.is_empty() {
        return None;
    }
    let mut ids = team.territory_ids();
    let inl = placeholders(params.len() + 1, ids.len());
    let mut all = params;
    all.append(&mut ids);
    Some((
        format!(
            "{select} FROM activities a JOIN accounts c ON c.id = a.account_id
             WHERE a.status = 'ok' AND {cond} AND c.territory_id IN ({inl})"
        ),
        all,
    ))
}

/// The accepted activities on `accounts` that may have happened at or after `since`,
/// corrections folded in (voided ones left out): every one stored at or after it and
/// every corrected one. Some may end up before `since` (amended back); callers count
/// by date, so those are real activities counted where they belong.
pub fn activities_since(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
    since: DateTime<Utc>,
) -> Result<Vec<Activity>> {
    let wanted: HashSet<_> = accounts.iter().map(|a| a.id).collect();
    let Some((sql, params)) = of_team(
        team,
        "SELECT a.data",
        &format!("(a.occurred_at >= $1 OR a.id IN ({CORRECTED}))"),
        vec![Val::from(time::text(since))],
    ) else {
        return Ok(Vec::new());
    };
    let mut activities = Vec::new();
    for r in tx.query(&sql, &params)? {
        let rec: ActivityRecord = r.json(0)?;
        if let Ok(a) = Activity::try_from(&rec)
            && wanted.contains(&a.account_id)
        {
            activities.push(a);
        }
    }
    let corrections = scope::corrections_of(tx, team)?;
    Ok(if corrections.is_empty() {
        activities
    } else {
        apply_corrections(&activities, &corrections)
    })
}

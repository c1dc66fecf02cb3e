//! A team's activity history, with accepted corrections folded in (voided activities left
//! out): all of it, or the part a page needs, read by time. The compliance, priority and
//! performance pages look back a quarter, ninety days or fourteen weeks, and read that
//! much rather than every activity ever logged.
//!
//! Exactness: an amendment can move an activity's time, so every corrected activity is
//! read too (corrections are few). A page that looks only at activities from `since` on
//! sees exactly what it would see in the whole history.

use chrono::{DateTime, Utc};
use rounds_core::{Account, Activity, Correction, apply_corrections};
use rounds_protocol::records::{ActivityRecord, CorrectionRecord};
use std::collections::HashSet;

use crate::Result;
use crate::db::{Sql, Val, placeholders};
use crate::scope::Team;
use crate::time;

/// Accepted corrections of the organisation, by the activities they correct.
const CORRECTED: &str = "SELECT target_id FROM corrections WHERE status = 'ok'";

/// The `data` of the team's accepted rows of `table` (activities or corrections, as `r`)
/// where `cond` holds, `params` numbered first. `None` for a team with no territory.
fn of_team(team: &Team, table: &str, cond: &str, params: Vec<Val>) -> Option<(String, Vec<Val>)> {
    if team.all {
        return Some((
            format!("SELECT r.data FROM {table} r WHERE r.status = 'ok' AND {cond}"),
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
            "SELECT r.data FROM {table} r JOIN accounts c ON c.id = r.account_id
             WHERE r.status = 'ok' AND {cond} AND c.territory_id IN ({inl})"
        ),
        all,
    ))
}

/// The team's accepted activities on `accounts` where any of `conds` holds (each a
/// query of its own, so each can use its index; a row met twice counts once), corrected.
fn read(
    tx: &mut dyn Sql,
    team: &Team,
    accounts: &[Account],
    conds: Vec<(String, Vec<Val>)>,
) -> Result<Vec<Activity>> {
    let wanted: HashSet<_> = accounts.iter().map(|a| a.id).collect();
    let mut seen = HashSet::new();
    let mut activities = Vec::new();
    for (cond, params) in conds {
        let Some((sql, params)) = of_team(team, "activities", &cond, params) else {
            return Ok(Vec::new());
        };
        for r in tx.query(&sql, &params)? {
            let rec: ActivityRecord = r.json(0)?;
            if let Ok(a) = Activity::try_from(&rec)
                && wanted.contains(&a.account_id)
                && seen.insert(a.id)
            {
                activities.push(a);
            }
        }
    }
    let corrections = corrections_of(tx, team)?;
    Ok(if corrections.is_empty() {
        activities
    } else {
        apply_corrections(&activities, &corrections)
    })
}

/// The accepted corrections on the team's accounts.
fn corrections_of(tx: &mut dyn Sql, team: &Team) -> Result<Vec<Correction>> {
    let Some((sql, params)) = of_team(team, "corrections", "1 = 1", Vec::new()) else {
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
/// counted where they belong.
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

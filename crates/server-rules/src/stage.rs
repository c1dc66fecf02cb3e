//! Moves along the funnel, kept as dated facts: written wherever a stage changes (a
//! device's change, a person's edit, a new account's history) and read by the feed and
//! Performance.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::{Stage, StageChange, StageDates};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, DeviceId, TerritoryId, UserId};
use uuid::Uuid;

use crate::Result;
use crate::db::{Sql, placeholders};
use crate::scope::Team;
use crate::{params, time};

/// One move to record.
#[derive(Debug, Clone)]
pub struct Fact {
    /// The fact's key: a device's change is keyed by its mutation, so it is kept once.
    pub id: Uuid,
    pub account: AccountId,
    pub territory: Option<TerritoryId>,
    pub from: Option<Stage>,
    pub to: Stage,
    pub reason: Option<String>,
    pub by: Option<UserId>,
    pub device: Option<DeviceId>,
    pub on: NaiveDate,
}

/// Keeps `f` (once: a second fact with the same id is ignored).
pub fn record(tx: &mut dyn Sql, f: &Fact, now: DateTime<Utc>) -> Result<()> {
    tx.exec(
        "INSERT INTO stage_changes (id, account_id, territory_id, from_stage, to_stage, reason, user_id, device_id, changed_on, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
        params![
            f.id,
            f.account,
            f.territory,
            f.from.map(Stage::as_str),
            f.to.as_str(),
            f.reason.clone(),
            f.by,
            f.device,
            f.on.to_string(),
            time::text(now)
        ],
    )?;
    Ok(())
}

/// A new account's history as facts: one per stage it says it entered, on that day.
pub fn record_history(tx: &mut dyn Sql, rec: &AccountRecord, now: DateTime<Utc>) -> Result<()> {
    let dates = StageDates {
        lead: rec.lead_on,
        opportunity: rec.opportunity_on,
        won: rec.won_on,
        lost: rec.lost_on,
    };
    for (to, on) in [
        (Stage::Lead, dates.lead),
        (Stage::Opportunity, dates.opportunity),
        (Stage::Customer, dates.won),
        (Stage::Lost, dates.lost),
    ] {
        if let Some(on) = on {
            // Keyed by account and stage: a re-created account adds nothing.
            let id = Uuid::new_v5(rec.id.as_uuid(), to.as_str().as_bytes());
            let fact = Fact {
                id,
                account: rec.id,
                territory: rec.territory_id,
                from: None,
                to,
                reason: None,
                by: None,
                device: None,
                on,
            };
            record(tx, &fact, now)?;
        }
    }
    Ok(())
}

/// Every stage change in the team's territories (all of them for an admin), oldest
/// first.
pub fn of_team(tx: &mut dyn Sql, team: &Team) -> Result<Vec<StageChange>> {
    let (filter, params) = if team.all {
        ("1 = 1".to_owned(), Vec::new())
    } else {
        let ids = team.territory_ids();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        (
            format!("territory_id IN ({})", placeholders(1, ids.len())),
            ids,
        )
    };
    let rows = tx.query(
        &format!(
            "SELECT account_id, territory_id, from_stage, to_stage, reason, user_id, changed_on FROM stage_changes
             WHERE {filter} ORDER BY changed_on, recorded_at, id"
        ),
        &params,
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(to), Ok(on)) = (
            Stage::from_name(&r.text("to_stage")?),
            r.text("changed_on")?.parse::<NaiveDate>(),
        ) else {
            continue;
        };
        out.push(StageChange {
            account: r.parse("account_id")?,
            territory: r.opt_parse("territory_id")?,
            from: r
                .opt_text("from_stage")?
                .as_deref()
                .and_then(Stage::from_name),
            to,
            on,
            reason: r.opt_text("reason")?,
            by: r.opt_parse("user_id")?,
        });
    }
    Ok(out)
}

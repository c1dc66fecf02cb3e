//! `activities` and `corrections` (synced, immutable facts), read together with the rep's
//! own not-yet-synced ones from the outbox.

use std::collections::HashSet;

use rounds_core::{Activity, Correction, CorrectionKind, apply_corrections};
use rounds_protocol::records::{ActivityRecord, CorrectionRecord, FixRecord};
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, ActivityId, ContactId, RepId};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use crate::codec::{from_ms, ms, name, parse_name};
use crate::error::{Result, StoreError};

/// Outbox states whose activity the rep must still see: not yet sent, on its way, or
/// accepted but not yet pulled back (quarantined ones are kept on the server too).
pub(crate) const OVERLAY_STATES: &str = "('pending', 'in_flight', 'acked', 'quarantined')";

pub(crate) fn to_domain(rec: &ActivityRecord) -> Result<Activity> {
    Activity::try_from(rec).map_err(|e| StoreError::Decode(format!("activity {}: {e}", rec.id)))
}

pub(crate) const COLUMNS: &str = "id, account_id, rep_id, contact_id, kind, occurred_at, duration_min, \
    outcome, note, fix_lat, fix_lon, fix_accuracy_m";

pub(crate) fn record(r: &rusqlite::Row<'_>) -> Result<ActivityRecord> {
    let outcome: Option<String> = r.get(7)?;
    let fix = match (
        r.get::<_, Option<f64>>(9)?,
        r.get::<_, Option<f64>>(10)?,
        r.get::<_, Option<f64>>(11)?,
    ) {
        (Some(lat), Some(lon), Some(accuracy_m)) => Some(FixRecord {
            lat,
            lon,
            accuracy_m,
        }),
        _ => None,
    };
    Ok(ActivityRecord {
        id: ActivityId::from_uuid(r.get(0)?),
        account_id: AccountId::from_uuid(r.get(1)?),
        rep_id: RepId::from_uuid(r.get(2)?),
        contact_id: r.get::<_, Option<Uuid>>(3)?.map(ContactId::from_uuid),
        kind: parse_name(&r.get::<_, String>(4)?)?,
        occurred_at: from_ms(r.get(5)?)?,
        duration_min: r.get(6)?,
        outcome: outcome.map(|o| parse_name(&o)).transpose()?,
        note: r.get(8)?,
        fix,
    })
}

/// One line of an account's history.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub activity: Activity,
    /// Logged on this device and not yet pulled back from the server.
    pub pending: bool,
    /// Voided by a later correction: shown struck through, not counted.
    pub voided: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct ActivitiesRead<'a> {
    conn: &'a Connection,
}

impl<'a> ActivitiesRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    pub fn count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM activities", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Is this activity in the synced table (i.e. has it come back from the server)?
    pub fn is_synced(&self, id: ActivityId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM activities WHERE id = ?1")?
            .exists([id.as_uuid()])?)
    }

    /// The account's history, newest first, with amendments applied and voided entries
    /// marked.
    pub fn timeline(&self, account: AccountId) -> Result<Vec<TimelineEntry>> {
        let mut entries: Vec<(ActivityRecord, bool)> = Vec::new();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activities WHERE account_id = ?1"
        ))?;
        let mut rows = stmt.query([account.as_uuid()])?;
        while let Some(r) = rows.next()? {
            entries.push((record(r)?, false));
        }
        let synced: HashSet<ActivityId> = entries.iter().map(|(a, _)| a.id).collect();
        for body in pending_bodies(self.conn, "log_activity", Some(account))? {
            if let MutationBody::LogActivity { activity } = body
                && !synced.contains(&activity.id)
            {
                entries.push((activity, true));
            }
        }
        let corrections = self.corrections_for(account)?;
        let voided: HashSet<ActivityId> = corrections
            .iter()
            .filter(|c| matches!(c.change, CorrectionKind::Void { .. }))
            .map(|c| c.target)
            .collect();
        let activities: Vec<Activity> = entries
            .iter()
            .map(|(rec, _)| to_domain(rec))
            .collect::<Result<_>>()?;
        let pending: HashSet<ActivityId> = entries
            .iter()
            .filter(|(_, p)| *p)
            .map(|(a, _)| a.id)
            .collect();
        // Amendments apply to the survivors; voided ones are kept, marked, unamended.
        let amended = apply_corrections(&activities, &corrections);
        let mut out: Vec<TimelineEntry> = activities
            .into_iter()
            .map(|a| {
                let is_voided = voided.contains(&a.id);
                let activity = if is_voided {
                    a
                } else {
                    amended.iter().find(|x| x.id == a.id).cloned().unwrap_or(a)
                };
                TimelineEntry {
                    pending: pending.contains(&activity.id),
                    voided: is_voided,
                    activity,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.activity
                .occurred_at
                .cmp(&a.activity.occurred_at)
                .then_with(|| b.activity.id.cmp(&a.activity.id))
        });
        Ok(out)
    }

    /// Synced and pending corrections of the account's activities.
    pub(crate) fn corrections_for(&self, account: AccountId) -> Result<Vec<Correction>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.data FROM corrections c JOIN activities a ON a.id = c.target
             WHERE a.account_id = ?1",
        )?;
        let mut seen = HashSet::new();
        for data in stmt.query_map([account.as_uuid()], |r| r.get::<_, String>(0))? {
            let rec: CorrectionRecord = serde_json::from_str(&data?)?;
            seen.insert(rec.id);
            out.push(Correction::from(&rec));
        }
        for body in pending_bodies(self.conn, "correct_activity", Some(account))? {
            if let MutationBody::CorrectActivity { correction } = body
                && seen.insert(correction.id)
            {
                out.push(Correction::from(&correction));
            }
        }
        Ok(out)
    }
}

/// Bodies of outbox rows of one kind still in the overlay, optionally for one account.
pub(crate) fn pending_bodies(
    conn: &Connection,
    kind: &str,
    account: Option<AccountId>,
) -> Result<Vec<MutationBody>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT payload FROM outbox WHERE kind = ?1 AND state IN {OVERLAY_STATES}
           AND (?2 IS NULL OR account_id = ?2) ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![kind, account.map(|a| *a.as_uuid())], |r| {
        r.get::<_, String>(0)
    })?;
    rows.map(|p| Ok(serde_json::from_str(&p?)?)).collect()
}

pub(crate) struct ActivitiesWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl ActivitiesWrite<'_> {
    pub fn put(&self, bucket: i64, r: &ActivityRecord) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO activities(bucket, {COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                bucket,
                r.id.as_uuid(),
                r.account_id.as_uuid(),
                r.rep_id.as_uuid(),
                r.contact_id.map(|c| *c.as_uuid()),
                name(&r.kind),
                ms(r.occurred_at),
                r.duration_min,
                r.outcome.as_ref().map(name),
                r.note,
                r.fix.as_ref().map(|f| f.lat),
                r.fix.as_ref().map(|f| f.lon),
                r.fix.as_ref().map(|f| f.accuracy_m),
            ])?;
        Ok(())
    }

    pub fn put_correction(&self, bucket: i64, r: &CorrectionRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO corrections(id, bucket, target, data) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.target.as_uuid(),
                serde_json::to_string(r)?
            ])?;
        Ok(())
    }

    pub fn delete(&self, id: &Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM activities WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    pub fn delete_correction(&self, id: &Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM corrections WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

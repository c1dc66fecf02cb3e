//! `follow_ups` (synced): the next steps the rep promised, read with the rep's saves not
//! yet back from the server applied. Doing one logs the touch and closes the follow-up in
//! one transaction, so neither is queued without the other.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::{FollowUp, TouchKind};
use rounds_protocol::records::FollowUpRecord;
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, FollowUpId, RepId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::log::{LoggedActivity, NewActivity, enqueue, log_in, new_id, require_account};
use crate::{Store, Writer};

/// A follow-up as the rep sees it, and whether a save of it waits to sync.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpView {
    pub follow_up: FollowUp,
    pub pending: bool,
}

/// What the rep fills in for a next step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFollowUp {
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub kind: TouchKind,
    pub due: NaiveDate,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct FollowUpsRead<'a> {
    conn: &'a Connection,
}

impl<'a> FollowUpsRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// The account's follow-ups, open ones first by due day, then done ones, newest first.
    pub fn of_account(&self, account: AccountId) -> Result<Vec<FollowUpView>> {
        let mut all = self.merged(Some(account))?;
        all.sort_by(|a, b| {
            let (x, y) = (&a.follow_up, &b.follow_up);
            x.done
                .is_some()
                .cmp(&y.done.is_some())
                .then_with(|| match (x.done, y.done) {
                    (Some(d), Some(e)) => e.0.cmp(&d.0),
                    _ => x.due.cmp(&y.due),
                })
                .then(x.id.cmp(&y.id))
        });
        Ok(all)
    }

    /// The open follow-ups due on `today` or before, on accounts the device holds, the
    /// most overdue first.
    pub fn due(&self, today: NaiveDate) -> Result<Vec<FollowUpView>> {
        let all = self.merged(None)?;
        let order: Vec<FollowUpId> =
            rounds_core::follow_up::due(all.iter().map(|v| &v.follow_up), today)
                .into_iter()
                .map(|f| f.id)
                .collect();
        let held = |a: &AccountId| -> Result<bool> {
            Ok(self
                .conn
                .prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?
                .exists([a.as_uuid()])?)
        };
        let mut out = Vec::with_capacity(order.len());
        for id in order {
            if let Some(v) = all.iter().find(|v| v.follow_up.id == id)
                && held(&v.follow_up.account)?
            {
                out.push(v.clone());
            }
        }
        Ok(out)
    }

    /// One follow-up by id, as the rep sees it.
    pub fn get(&self, id: FollowUpId) -> Result<Option<FollowUpView>> {
        Ok(self
            .merged(None)?
            .into_iter()
            .find(|v| v.follow_up.id == id))
    }

    /// Synced rows (of one account, or all) with the pending saves laid over them.
    fn merged(&self, account: Option<AccountId>) -> Result<Vec<FollowUpView>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM follow_ups WHERE ?1 IS NULL OR account_id = ?1")?;
        let key = account.map(|a| *a.as_uuid());
        let mut all: Vec<(FollowUpRecord, bool)> = stmt
            .query_map([key], |r| r.get::<_, String>(0))?
            .map(|r| Ok((serde_json::from_str(&r?)?, false)))
            .collect::<Result<_>>()?;
        for saved in pending(self.conn, account)? {
            match all.iter_mut().find(|(f, _)| f.id == saved.id) {
                Some(slot) => *slot = (saved, true),
                None => all.push((saved, true)),
            }
        }
        all.into_iter()
            .map(|(rec, pending)| {
                let follow_up = FollowUp::try_from(&rec)
                    .map_err(|e| StoreError::Decode(format!("follow-up {}: {e}", rec.id)))?;
                Ok(FollowUpView { follow_up, pending })
            })
            .collect()
    }
}

/// The rep's follow-up saves a pull has not confirmed yet, oldest first (as the account
/// edits' overlay).
fn pending(conn: &Connection, account: Option<AccountId>) -> Result<Vec<FollowUpRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM outbox
         WHERE kind = 'save_follow_up' AND (?1 IS NULL OR account_id = ?1)
           AND (state IN ('pending', 'in_flight')
                OR (state = 'acked' AND settled_at >
                    coalesce((SELECT max(updated_at) FROM pull_cursors), 0)))
         ORDER BY seq",
    )?;
    let key = account.map(|a| *a.as_uuid());
    let rows = stmt.query_map([key], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for payload in rows {
        if let MutationBody::SaveFollowUp { follow_up } = serde_json::from_str(&payload?)? {
            out.push(follow_up);
        }
    }
    Ok(out)
}

pub(crate) struct FollowUpsWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl FollowUpsWrite<'_> {
    pub fn put(&self, bucket: i64, r: &FollowUpRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO follow_ups(id, bucket, account_id, data) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.account_id.as_uuid(),
                serde_json::to_string(r)?
            ])?;
        Ok(())
    }

    pub fn delete(&self, id: &Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM follow_ups WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

/// Queues `rec` as the whole follow-up, checked the way the server will check it.
fn queue(w: &Writer<'_>, device: Uuid, rec: FollowUpRecord, now: DateTime<Utc>) -> Result<u64> {
    FollowUp::try_from(&rec).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let account = rec.account_id;
    let id = *rec.id.as_uuid();
    let body = MutationBody::SaveFollowUp { follow_up: rec };
    let (seq, _) = enqueue(w, device, &body, "save_follow_up", &id, Some(account), now)?;
    Ok(seq)
}

/// The follow-up as the rep sees it now, inside a transaction.
fn current(w: &Writer<'_>, id: FollowUpId) -> Result<FollowUpRecord> {
    let view = FollowUpsRead::new(w.tx).get(id)?;
    let synced: Option<String> =
        w.tx.query_row(
            "SELECT data FROM follow_ups WHERE id = ?1",
            [id.as_uuid()],
            |r| r.get(0),
        )
        .optional()?;
    match (view, synced) {
        (Some(v), _) => Ok(FollowUpRecord::from(&v.follow_up)),
        (None, Some(data)) => Ok(serde_json::from_str(&data)?),
        (None, None) => Err(StoreError::NotFound(format!("follow-up {id}"))),
    }
}

impl Store {
    /// A new next step on an account the device holds: queued and shown at once.
    pub fn add_follow_up(&mut self, new: NewFollowUp, now: DateTime<Utc>) -> Result<FollowUpId> {
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            require_account(w, new.account_id)?;
            let rec = FollowUpRecord {
                id: FollowUpId::from_uuid(new_id(now)),
                account_id: new.account_id,
                rep_id: new.rep_id,
                kind: new.kind,
                due_on: new.due,
                note: new
                    .note
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                created_at: now,
                done_at: None,
                done_by: None,
            };
            let id = rec.id;
            queue(w, device, rec, now)?;
            Ok(id)
        })
    }

    /// Done: logs `touch` (the follow-up's kind, on its account) and closes the
    /// follow-up with it, both queued in one transaction. Doing a done one again is
    /// refused, so a double tap logs one touch.
    pub fn complete_follow_up(
        &mut self,
        id: FollowUpId,
        touch: NewActivity,
        now: DateTime<Utc>,
    ) -> Result<LoggedActivity> {
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            let mut rec = current(w, id)?;
            if rec.done_at.is_some() {
                return Err(StoreError::Invalid("this follow-up is already done".into()));
            }
            if touch.account_id != rec.account_id {
                return Err(StoreError::Invalid(
                    "the touch is on another account than the follow-up".into(),
                ));
            }
            let logged = log_in(w, device, touch, now)?;
            rec.done_at = Some(now);
            rec.done_by = Some(logged.activity.id);
            queue(w, device, rec, now)?;
            Ok(logged)
        })
    }
}

//! `appointments` (synced): visits fixed at a date and a time, read with the rep's saves
//! not yet back from the server applied. A cancelled one is kept, marked, so the
//! cancellation reaches every device.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::Appointment;
use rounds_protocol::records::AppointmentRecord;
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, AppointmentId, RepId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::log::{enqueue, new_id, require_account};
use crate::{Store, Writer};

/// An appointment as the rep sees it, and whether a save of it waits to sync.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentView {
    pub appointment: Appointment,
    pub pending: bool,
}

/// What the rep fills in for an appointment; `id` names one to move.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentInput {
    pub id: Option<AppointmentId>,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub on: NaiveDate,
    pub at_min: u16,
    pub minutes: u16,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct AppointmentsRead<'a> {
    conn: &'a Connection,
}

impl<'a> AppointmentsRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// The account's appointments, by date and time.
    pub fn of_account(&self, account: AccountId) -> Result<Vec<AppointmentView>> {
        let mut all = self.merged(Some(account))?;
        sort(&mut all);
        Ok(all)
    }

    /// Appointments not cancelled, on `from` to `to` (inclusive), on accounts the device
    /// holds, by date and time.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AppointmentView>> {
        self.in_range(from, to, false)
    }

    /// [`Self::between`], cancelled ones included (a calendar file marks them, so a
    /// calendar that took them from an earlier file drops them).
    pub fn between_with_cancelled(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AppointmentView>> {
        self.in_range(from, to, true)
    }

    fn in_range(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        cancelled: bool,
    ) -> Result<Vec<AppointmentView>> {
        let mut out = Vec::new();
        for v in self.merged(None)? {
            let a = &v.appointment;
            let held = self
                .conn
                .prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?
                .exists([a.account.as_uuid()])?;
            if (cancelled || !a.is_cancelled()) && (from..=to).contains(&a.on) && held {
                out.push(v);
            }
        }
        sort(&mut out);
        Ok(out)
    }

    pub fn get(&self, id: AppointmentId) -> Result<Option<AppointmentView>> {
        Ok(self
            .merged(None)?
            .into_iter()
            .find(|v| v.appointment.id == id))
    }

    /// Synced rows (of one account, or all) with the pending saves laid over them.
    fn merged(&self, account: Option<AccountId>) -> Result<Vec<AppointmentView>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM appointments WHERE ?1 IS NULL OR account_id = ?1")?;
        let key = account.map(|a| *a.as_uuid());
        let mut all: Vec<(AppointmentRecord, bool)> = stmt
            .query_map([key], |r| r.get::<_, String>(0))?
            .map(|r| Ok((serde_json::from_str(&r?)?, false)))
            .collect::<Result<_>>()?;
        for saved in pending(self.conn, account)? {
            match all.iter_mut().find(|(a, _)| a.id == saved.id) {
                Some(slot) => *slot = (saved, true),
                None => all.push((saved, true)),
            }
        }
        all.into_iter()
            .map(|(rec, pending)| {
                let appointment = Appointment::try_from(&rec)
                    .map_err(|e| StoreError::Decode(format!("appointment {}: {e}", rec.id)))?;
                Ok(AppointmentView {
                    appointment,
                    pending,
                })
            })
            .collect()
    }
}

fn sort(all: &mut [AppointmentView]) {
    all.sort_by_key(|v| {
        let a = &v.appointment;
        (a.on, a.at_min, a.id)
    });
}

/// The rep's saves a pull has not confirmed yet, oldest first (as the account edits'
/// overlay).
fn pending(conn: &Connection, account: Option<AccountId>) -> Result<Vec<AppointmentRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM outbox
         WHERE kind = 'save_appointment' AND (?1 IS NULL OR account_id = ?1)
           AND (state IN ('pending', 'in_flight')
                OR (state = 'acked' AND settled_at >
                    coalesce((SELECT max(updated_at) FROM pull_cursors), 0)))
         ORDER BY seq",
    )?;
    let key = account.map(|a| *a.as_uuid());
    let rows = stmt.query_map([key], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for payload in rows {
        if let MutationBody::SaveAppointment { appointment } = serde_json::from_str(&payload?)? {
            out.push(appointment);
        }
    }
    Ok(out)
}

pub(crate) struct AppointmentsWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl AppointmentsWrite<'_> {
    pub fn put(&self, bucket: i64, r: &AppointmentRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO appointments(id, bucket, account_id, data) VALUES (?1, ?2, ?3, ?4)",
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
            .prepare_cached("DELETE FROM appointments WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

/// Queues `rec` as the whole appointment, checked the way the server will check it.
fn queue(w: &Writer<'_>, device: Uuid, rec: AppointmentRecord, now: DateTime<Utc>) -> Result<()> {
    Appointment::try_from(&rec).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let account = rec.account_id;
    let id = *rec.id.as_uuid();
    let body = MutationBody::SaveAppointment { appointment: rec };
    enqueue(
        w,
        device,
        &body,
        "save_appointment",
        &id,
        Some(account),
        now,
    )?;
    Ok(())
}

/// The appointment as the rep sees it now, inside a transaction.
fn current(w: &Writer<'_>, id: AppointmentId) -> Result<AppointmentRecord> {
    if let Some(v) = AppointmentsRead::new(w.tx).get(id)? {
        return Ok(AppointmentRecord::from(&v.appointment));
    }
    let synced: Option<String> =
        w.tx.query_row(
            "SELECT data FROM appointments WHERE id = ?1",
            [id.as_uuid()],
            |r| r.get(0),
        )
        .optional()?;
    match synced {
        Some(data) => Ok(serde_json::from_str(&data)?),
        None => Err(StoreError::NotFound(format!("appointment {id}"))),
    }
}

impl Store {
    /// A new appointment, or a move of one, on an account the device holds: queued and
    /// shown at once.
    pub fn save_appointment(
        &mut self,
        input: AppointmentInput,
        now: DateTime<Utc>,
    ) -> Result<AppointmentId> {
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            require_account(w, input.account_id)?;
            let note = input
                .note
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty());
            let rec = match input.id {
                Some(id) => {
                    let before = current(w, id)?;
                    if before.account_id != input.account_id {
                        return Err(StoreError::NotFound(format!(
                            "appointment {id} on this account"
                        )));
                    }
                    AppointmentRecord {
                        on: input.on,
                        at_min: input.at_min,
                        minutes: input.minutes,
                        note,
                        cancelled_at: None,
                        ..before
                    }
                }
                None => AppointmentRecord {
                    id: AppointmentId::from_uuid(new_id(now)),
                    account_id: input.account_id,
                    rep_id: input.rep_id,
                    on: input.on,
                    at_min: input.at_min,
                    minutes: input.minutes,
                    note,
                    created_at: now,
                    cancelled_at: None,
                },
            };
            let id = rec.id;
            queue(w, device, rec, now)?;
            Ok(id)
        })
    }

    /// Cancels an appointment: kept, marked, so every device learns it. Cancelling a
    /// cancelled one changes nothing.
    pub fn cancel_appointment(&mut self, id: AppointmentId, now: DateTime<Utc>) -> Result<()> {
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            let mut rec = current(w, id)?;
            if rec.cancelled_at.is_some() {
                return Ok(());
            }
            rec.cancelled_at = Some(now);
            queue(w, device, rec, now)
        })
    }
}

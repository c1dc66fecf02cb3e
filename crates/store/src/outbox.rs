//! `outbox`: local changes in device sequence order, each waiting for or holding its
//! server receipt. A row leaves the pending states only with a receipt.

use chrono::{DateTime, Utc};
use rounds_protocol::sync::{Mutation, MutationStatus, PushResponse};
use rounds_protocol::{ErrorCode, Hlc, MutationId};
use rusqlite::{Connection, Transaction, params};

use crate::codec::{from_ms, ms};
use crate::error::{Result, StoreError};
use crate::{Store, issues};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    InFlight,
    Acked,
    Rejected,
    Quarantined,
    Superseded,
}

impl OutboxState {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => OutboxState::Pending,
            "in_flight" => OutboxState::InFlight,
            "acked" => OutboxState::Acked,
            "rejected" => OutboxState::Rejected,
            "quarantined" => OutboxState::Quarantined,
            "superseded" => OutboxState::Superseded,
            other => return Err(StoreError::Decode(format!("outbox state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub mutation: Mutation,
    pub kind: String,
    pub state: OutboxState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "seq, mutation_id, hlc, payload_version, payload, kind, state, attempts, last_error, created_at";

fn entry(r: &rusqlite::Row<'_>) -> Result<OutboxEntry> {
    let hlc: String = r.get(2)?;
    let payload: String = r.get(4)?;
    Ok(OutboxEntry {
        mutation: Mutation {
            seq: r.get::<_, i64>(0)? as u64,
            id: MutationId::from_uuid(r.get(1)?),
            hlc: hlc
                .parse::<Hlc>()
                .map_err(|e| StoreError::Decode(e.to_string()))?,
            payload_version: r.get(3)?,
            body: serde_json::from_str(&payload)?,
        },
        kind: r.get(5)?,
        state: OutboxState::parse(&r.get::<_, String>(6)?)?,
        attempts: r.get(7)?,
        last_error: r.get(8)?,
        created_at: from_ms(r.get(9)?)?,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct OutboxRead<'a> {
    conn: &'a Connection,
}

impl<'a> OutboxRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// The next mutations to push, in sequence order: at most `limit` and about
    /// `max_bytes` of JSON (always at least one, so an oversized one is still tried).
    pub fn next_batch(&self, limit: usize, max_bytes: usize) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state IN ('pending', 'in_flight') ORDER BY seq LIMIT ?1"
        ))?;
        let mut rows = stmt.query([limit as i64])?;
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(r) = rows.next()? {
            let e = entry(r)?;
            let size = e.mutation.body.to_string().len() + 200;
            if !out.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            out.push(e);
        }
        Ok(out)
    }

    /// Mutations not yet settled by a server receipt.
    pub fn pending_count(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn get(&self, seq: u64) -> Result<Option<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE seq = ?1"))?;
        let mut rows = stmt.query([seq as i64])?;
        rows.next()?.map(entry).transpose()
    }

    /// Every row, in sequence order (for diagnostics and tests).
    pub fn all(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(entry(r)?);
        }
        Ok(out)
    }
}

/// A mutation about to join the outbox.
pub(crate) struct NewRow<'a> {
    pub mutation_id: MutationId,
    pub kind: &'a str,
    pub entity_id: &'a uuid::Uuid,
    pub account_id: Option<&'a uuid::Uuid>,
    pub payload: &'a str,
    pub payload_version: u32,
    pub hlc: Hlc,
    pub now: DateTime<Utc>,
}

/// Appends a row; its sequence number is the next one, never reused.
pub(crate) fn insert(tx: &Transaction<'_>, row: NewRow<'_>) -> Result<u64> {
    tx.prepare_cached(
        "INSERT INTO outbox(mutation_id, kind, entity_id, account_id, payload, payload_version, hlc, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        row.mutation_id.as_uuid(),
        row.kind,
        row.entity_id,
        row.account_id,
        row.payload,
        row.payload_version,
        row.hlc.to_string(),
        ms(row.now)
    ])?;
    Ok(tx.last_insert_rowid() as u64)
}

impl Store {
    /// Marks mutations as sent (one more attempt each). A crash after this leaves them in
    /// flight; they are sent again, and the server answers a replay from its ledger.
    pub fn mark_in_flight(&mut self, seqs: &[u64]) -> Result<()> {
        self.write(|w| {
            let mut stmt = w.tx.prepare_cached(
                "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1
                 WHERE seq = ?1 AND state IN ('pending', 'in_flight')",
            )?;
            for seq in seqs {
                stmt.execute([*seq as i64])?;
            }
            Ok(())
        })
    }

    /// A push failed without receipts (network, 5xx): back to pending with the reason.
    pub fn record_push_failure(&mut self, seqs: &[u64], error: &str) -> Result<()> {
        self.write(|w| {
            let mut stmt = w.tx.prepare_cached(
                "UPDATE outbox SET state = 'pending', last_error = ?2
                 WHERE seq = ?1 AND state = 'in_flight'",
            )?;
            for seq in seqs {
                stmt.execute(params![*seq as i64, error])?;
            }
            Ok(())
        })
    }

    /// Records the server's receipts in one transaction. Rejected, quarantined and
    /// superseded mutations are also kept as sync issues for the rep to see. Results for
    /// mutations this device does not have (or has already settled) are ignored.
    pub fn record_receipts(&mut self, response: &PushResponse, now: DateTime<Utc>) -> Result<u64> {
        self.write(|w| {
            let mut settled = 0;
            for r in &response.results {
                // A gap answer is not a receipt: the server did not apply the mutation
                // and wants the missing ones first. It stays queued.
                if let MutationStatus::Rejected {
                    code: ErrorCode::SequenceGap,
                    reason,
                } = &r.status
                {
                    w.tx.prepare_cached(
                        "UPDATE outbox SET state = 'pending', last_error = ?3
                         WHERE seq = ?1 AND mutation_id = ?2 AND state IN ('pending', 'in_flight')",
                    )?
                    .execute(params![r.seq as i64, r.id.as_uuid(), reason])?;
                    continue;
                }
                let (state, result) = match &r.status {
                    MutationStatus::Applied => ("acked", None),
                    MutationStatus::Superseded { .. } => ("superseded", Some(&r.status)),
                    MutationStatus::Rejected { .. } => ("rejected", Some(&r.status)),
                    MutationStatus::Quarantined { .. } => ("quarantined", Some(&r.status)),
                };
                let result_json = serde_json::to_string(&r.status)?;
                let changed = w
                    .tx
                    .prepare_cached(
                        "UPDATE outbox SET state = ?3, result = ?4, settled_at = ?5, last_error = NULL
                         WHERE seq = ?1 AND mutation_id = ?2 AND state IN ('pending', 'in_flight')",
                    )?
                    .execute(params![r.seq as i64, r.id.as_uuid(), state, result_json, ms(now)])?;
                if changed == 1 {
                    settled += 1;
                    if let Some(status) = result {
                        issues::record(w.tx, r.seq, status, now)?;
                    }
                    if matches!(state, "rejected" | "quarantined") {
                        crate::capture::drop_refused(w, r.seq)?;
                    }
                }
            }
            Ok(settled)
        })
    }

    /// The server, restored from a backup, has applied only up to `server_last` of this
    /// device's mutations, fewer than it once acknowledged. Every row after that goes
    /// back in the queue — the receipts it lost first — renumbered from
    /// `server_last + 1` in their order, so the server's ledger takes them without a gap
    /// (receipts pruned since leave holes the server would otherwise wait on forever).
    /// Returns how many acknowledged rows were put back. Call it only with the
    /// `last_applied_seq` of an answer from a server whose epoch changed, with nothing in
    /// flight: with a stale number it would resend what the server has.
    pub fn requeue_lost(&mut self, server_last: u64) -> Result<u64> {
        let last = server_last as i64;
        self.write(|w| {
            let rows: Vec<(i64, String)> =
                w.tx.prepare("SELECT seq, state FROM outbox WHERE seq > ?1 ORDER BY seq")?
                    .query_map([last], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
            let lost = rows
                .iter()
                .filter(|(_, state)| state != "pending" && state != "in_flight")
                .count() as u64;
            // The server answers the rows again; an old issue could name the wrong seq.
            w.tx.execute("DELETE FROM sync_issues WHERE seq > ?1", [last])?;
            for (k, (old, _)) in rows.iter().enumerate() {
                let new = last + 1 + k as i64;
                if new != *old {
                    // Ascending order: every smaller target is already moved, so `new` is free.
                    w.tx.execute("UPDATE outbox SET seq = ?2 WHERE seq = ?1", [old, &new])?;
                }
            }
            w.tx.execute(
                "UPDATE outbox SET state = 'pending', result = NULL, settled_at = NULL,
                        last_error = 'sent again: the server was restored from a backup'
                 WHERE seq > ?1 AND state NOT IN ('pending', 'in_flight')",
                [last],
            )?;
            // New rows continue right after the renumbered ones.
            w.tx.execute(
                "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox'",
                [last + rows.len() as i64],
            )?;
            Ok(lost)
        })
    }

    /// Drops receipts of settled mutations older than `before`. Activity receipts are
    /// kept only while their activity has not come back from the server, or for as long
    /// as the caller keeps them (30 days, so a restored server can be refilled).
    pub fn prune_receipts(&mut self, before: DateTime<Utc>) -> Result<u64> {
        self.write(|w| {
            Ok(w.tx.execute(
                "DELETE FROM outbox WHERE state NOT IN ('pending', 'in_flight') AND settled_at < ?1
                   AND (kind != 'log_activity' OR entity_id IN (SELECT id FROM activities))",
                [ms(before)],
            )? as u64)
        })
    }
}

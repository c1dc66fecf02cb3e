//! `sync_issues`: what the server rejected, quarantined or kept as a conflict, with the
//! reason, kept until the rep dismisses it.

use chrono::{DateTime, Utc};
use rounds_protocol::sync::{MutationBody, MutationStatus};
use rounds_protocol::{AccountId, MutationId};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use crate::Store;
use crate::codec::{from_ms, ms};
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Rejected,
    Quarantined,
    /// A field edit that lost to a later one; the server kept it as a conflict.
    Superseded,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncIssue {
    pub seq: u64,
    pub mutation_id: MutationId,
    pub kind: IssueKind,
    pub code: Option<String>,
    pub reason: String,
    /// What the rep did, as it was sent; `None` when the stored body no longer reads (a
    /// damaged or newer-format change, which the server keeps as it came).
    pub mutation: Option<MutationBody>,
    pub account_id: Option<AccountId>,
    pub at: DateTime<Utc>,
}

pub(crate) fn record(
    tx: &Transaction<'_>,
    seq: u64,
    status: &MutationStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let (kind, code, reason) = match status {
        MutationStatus::Applied => return Ok(()),
        MutationStatus::Rejected { code, reason } => {
            ("rejected", Some(crate::codec::name(code)), reason.clone())
        }
        MutationStatus::Quarantined { reason } => ("quarantined", None, reason.clone()),
        MutationStatus::Superseded { winner } => (
            "superseded",
            None,
            format!("a later change (at {}) won", winner.wall_ms),
        ),
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO sync_issues(seq, mutation_id, kind, code, reason, mutation, account_id, created_at)
         SELECT seq, mutation_id, ?2, ?3, ?4, payload, account_id, ?5 FROM outbox WHERE seq = ?1",
    )?
    .execute(params![seq as i64, kind, code, reason, ms(now)])?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub struct IssuesRead<'a> {
    conn: &'a Connection,
}

impl<'a> IssuesRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// Issues not dismissed, newest first.
    pub fn open(&self) -> Result<Vec<SyncIssue>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, mutation_id, kind, code, reason, mutation, account_id, created_at
             FROM sync_issues WHERE dismissed = 0 ORDER BY seq DESC",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind = match r.get::<_, String>(2)?.as_str() {
                "rejected" => IssueKind::Rejected,
                "quarantined" => IssueKind::Quarantined,
                "superseded" => IssueKind::Superseded,
                other => return Err(StoreError::Decode(format!("issue kind {other:?}"))),
            };
            out.push(SyncIssue {
                seq: r.get::<_, i64>(0)? as u64,
                mutation_id: MutationId::from_uuid(r.get(1)?),
                kind,
                code: r.get(3)?,
                reason: r.get(4)?,
                mutation: serde_json::from_str(&r.get::<_, String>(5)?).ok(),
                account_id: r.get::<_, Option<Uuid>>(6)?.map(AccountId::from_uuid),
                at: from_ms(r.get(7)?)?,
            });
        }
        Ok(out)
    }
}

impl Store {
    pub fn dismiss_issue(&mut self, seq: u64) -> Result<()> {
        self.write(|w| {
            w.tx.execute(
                "UPDATE sync_issues SET dismissed = 1 WHERE seq = ?1",
                [seq as i64],
            )?;
            Ok(())
        })
    }
}

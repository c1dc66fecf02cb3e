//! Applying pulled pages: the only code that writes the synced tables.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rounds_protocol::Hlc;
use rounds_protocol::sync::{Op, PullResponse, Row, Table};
use rusqlite::OptionalExtension;

use crate::accounts::AccountsWrite;
use crate::activities::ActivitiesWrite;
use crate::appointments::AppointmentsWrite;
use crate::contacts::ContactsWrite;
use crate::error::Result;
use crate::follow_ups::FollowUpsWrite;
use crate::photos::PhotosWrite;
use crate::plans::PlansWrite;
use crate::territories::TerritoriesWrite;
use crate::{APPLY_BATCH, Store, Writer, capture, cursors, meta, schema, search};

/// What applying a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    pub ops: usize,
    pub batches: usize,
    /// The longest a single write transaction held the write lock.
    pub longest_batch: Duration,
}

const SYNCED_TABLES: [&str; 9] = [
    "territories",
    "plans",
    "accounts",
    "contacts",
    "activities",
    "corrections",
    "follow_ups",
    "synced_photos",
    "appointments",
];

impl Store {
    /// Applies one pulled page in transactions of at most [`APPLY_BATCH`] operations; the
    /// page's cursor, the server epoch and clock are stored with the last batch, so a kill
    /// midway re-pulls the page (puts are idempotent) instead of skipping it.
    pub fn apply_pull(&mut self, page: &PullResponse, now: DateTime<Utc>) -> Result<ApplyStats> {
        let mut stats = ApplyStats::default();
        let chunks: Vec<&[Op]> = if page.ops.is_empty() {
            vec![&[]]
        } else {
            page.ops.chunks(APPLY_BATCH).collect()
        };
        let last = chunks.len() - 1;
        // Pulled rows are server truth and can be pulled again: if a power cut undoes the
        // last applied batch, its cursor goes with it (same transaction) and the next pull
        // refetches it. So pulls skip the per-commit fsync of FULL (WAL stays consistent
        // either way); the rep's own writes keep FULL.
        // Checkpointing after every 1,000-row batch would copy the same hot index pages
        // back into the database again and again; let the WAL grow to ~40 MB first.
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 10_000)?;
        // A first pull, or a rebuild, is a snapshot: drop the per-account index for it.
        let snapshot = page.reset || cursors::get(&self.conn)?.is_none();
        let applied = self.apply_chunks(page, chunks, last, now, snapshot, &mut stats);
        self.conn.pragma_update(None, "wal_autocheckpoint", 1_000)?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        applied?;
        Ok(stats)
    }

    fn apply_chunks(
        &mut self,
        page: &PullResponse,
        chunks: Vec<&[Op]>,
        last: usize,
        now: DateTime<Utc>,
        snapshot: bool,
        stats: &mut ApplyStats,
    ) -> Result<()> {
        for (i, chunk) in chunks.into_iter().enumerate() {
            let started = Instant::now();
            self.write(|w| {
                if i == 0 && page.reset {
                    wipe_synced(w)?;
                }
                if i == 0 && snapshot {
                    w.tx.execute_batch("DROP INDEX IF EXISTS activities_account")?;
                }
                let mut buckets = Buckets(HashMap::new());
                for op in chunk {
                    apply_op(w, &mut buckets, op)?;
                }
                if i == last {
                    if !page.has_more {
                        w.tx.execute_batch(schema::ACTIVITIES_ACCOUNT_INDEX)?;
                    }
                    cursors::set(w.tx, &page.cursor, page.checkpoint, now)?;
                    meta::set(w.tx, meta::SERVER_EPOCH, &page.epoch)?;
                    let hlc = Hlc::observe(meta::last_hlc(w.tx)?, page.server_hlc);
                    meta::set(w.tx, meta::LAST_HLC, &hlc.to_string())?;
                }
                Ok(())
            })?;
            stats.ops += chunk.len();
            stats.batches += 1;
            stats.longest_batch = stats.longest_batch.max(started.elapsed());
        }
        Ok(())
    }

    /// Drops one bucket's synced rows (never the outbox), e.g. to rebuild it.
    pub fn wipe_bucket(&mut self, bucket: &str) -> Result<()> {
        self.write(|w| wipe_bucket(w, bucket))
    }

    /// Drops every synced row and the cursor; the outbox stays. The next pull starts over.
    pub fn reset_synced(&mut self) -> Result<()> {
        self.write(wipe_synced)
    }
}

fn wipe_bucket(w: &Writer<'_>, bucket: &str) -> Result<()> {
    let id: Option<i64> =
        w.tx.query_row("SELECT id FROM buckets WHERE name = ?1", [bucket], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(id) = id else { return Ok(()) };
    search::unindex_bucket(w.tx, id)?;
    for table in SYNCED_TABLES {
        w.tx.execute(&format!("DELETE FROM {table} WHERE bucket = ?1"), [id])?;
    }
    capture::restore_local(w)
}

/// Bucket names to their numbers, made on first sight.
struct Buckets(HashMap<String, i64>);

impl Buckets {
    fn id(&mut self, w: &Writer<'_>, name: &str) -> Result<i64> {
        if let Some(id) = self.0.get(name) {
            return Ok(*id);
        }
        let id = w
            .tx
            .prepare_cached(
                "INSERT INTO buckets(name) VALUES (?1) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id",
            )?
            .query_row([name], |r| r.get(0))?;
        self.0.insert(name.to_owned(), id);
        Ok(id)
    }
}

fn wipe_synced(w: &Writer<'_>) -> Result<()> {
    for table in SYNCED_TABLES {
        w.tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    search::unindex_synced(w.tx)?;
    cursors::clear(w.tx)?;
    capture::restore_local(w)
}

fn apply_op(w: &Writer<'_>, buckets: &mut Buckets, op: &Op) -> Result<()> {
    match op {
        Op::Put { bucket, row } => put(w, buckets.id(w, &bucket.0)?, row),
        Op::Delete { table, id, .. } => {
            search::unindex(w.tx, id)?;
            match table {
                Table::Account => AccountsWrite { tx: w.tx }.delete(id),
                Table::Contact => ContactsWrite { tx: w.tx }.delete(id),
                Table::Activity => ActivitiesWrite { tx: w.tx }.delete(id),
                Table::Correction => ActivitiesWrite { tx: w.tx }.delete_correction(id),
                Table::FollowUp => FollowUpsWrite { tx: w.tx }.delete(id),
                Table::Appointment => AppointmentsWrite { tx: w.tx }.delete(id),
                Table::Photo => PhotosWrite { tx: w.tx }.delete(id),
                Table::Territory => {
                    w.tx.execute("DELETE FROM territories WHERE id = ?1", [id])?;
                    Ok(())
                }
                Table::Plan => {
                    w.tx.execute("DELETE FROM plans WHERE id = ?1", [id])?;
                    Ok(())
                }
            }
        }
        Op::ResetBucket { bucket } | Op::RemoveBucket { bucket } => wipe_bucket(w, &bucket.0),
    }
}

fn put(w: &Writer<'_>, bucket: i64, row: &Row) -> Result<()> {
    match row {
        Row::Territory(r) => TerritoriesWrite { tx: w.tx }.put(bucket, r),
        Row::Plan(r) => PlansWrite { tx: w.tx }.put(bucket, r),
        Row::Account(r) => {
            AccountsWrite { tx: w.tx }.put(bucket, r)?;
            search::index_account(w.tx, r)
        }
        Row::Contact(r) => {
            ContactsWrite { tx: w.tx }.put(bucket, r)?;
            search::index_contact(w.tx, r)
        }
        Row::Activity(r) => {
            ActivitiesWrite { tx: w.tx }.put(bucket, r)?;
            match &r.note {
                Some(note) => {
                    search::index(w.tx, r.id.as_uuid(), "note", r.account_id.as_uuid(), note)
                }
                None => search::unindex(w.tx, r.id.as_uuid()),
            }
        }
        Row::Correction(r) => ActivitiesWrite { tx: w.tx }.put_correction(bucket, r),
        Row::FollowUp(r) => FollowUpsWrite { tx: w.tx }.put(bucket, r),
        Row::Appointment(r) => AppointmentsWrite { tx: w.tx }.put(bucket, r),
        Row::Photo(r) => PhotosWrite { tx: w.tx }.put(bucket, r),
    }
}

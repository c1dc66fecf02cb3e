//! Synced rows that no longer read (a scribbled page, a row written by a buggy build):
//! found bucket by bucket, so the sync engine can have just those buckets sent again.
//! The outbox is never part of this; it holds the rep's own work.

use std::collections::BTreeSet;

use rounds_core::{Activity, RotationPlan};
use rounds_protocol::TerritoryId;
use rounds_protocol::records::{CorrectionRecord, PlanRecord};
use rusqlite::Connection;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::{accounts, activities, contacts};

/// Decodes one row as the reads would; `Err` means the row is damaged.
type Check = fn(&rusqlite::Row<'_>) -> Result<()>;

/// (table, its columns as the check reads them, the check). The bucket is selected last.
const TABLES: [(&str, &str, Check); 6] = [
    ("territories", "id, name, rep_id", |r| {
        TerritoryId::from_uuid(r.get(0)?);
        r.get::<_, String>(1)?;
        r.get::<_, Option<Uuid>>(2)?;
        Ok(())
    }),
    ("plans", "data", |r| {
        let rec: PlanRecord = serde_json::from_str(&r.get::<_, String>(0)?)?;
        RotationPlan::try_from(&rec).map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(())
    }),
    ("accounts", accounts::COLUMNS, |r| {
        let rec = accounts::record(r)?;
        rounds_core::Account::try_from(&rec).map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(())
    }),
    ("contacts", contacts::COLUMNS, |r| {
        contacts::to_domain(&contacts::record(r)?)?;
        Ok(())
    }),
    ("activities", activities::COLUMNS, |r| {
        Activity::try_from(&activities::record(r)?)
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(())
    }),
    ("corrections", "data", |r| {
        serde_json::from_str::<CorrectionRecord>(&r.get::<_, String>(0)?)?;
        Ok(())
    }),
];

/// The buckets holding at least one synced row that does not read, by name.
pub(crate) fn damaged_buckets(conn: &Connection) -> Result<Vec<String>> {
    let mut damaged = BTreeSet::new();
    for (table, columns, check) in TABLES {
        let ncols = columns.split(',').count();
        let mut stmt = conn.prepare(&format!("SELECT {columns}, bucket FROM {table}"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if check(r).is_err() {
                damaged.insert(r.get::<_, i64>(ncols)?);
            }
        }
    }
    let mut names = Vec::new();
    for id in damaged {
        let name: Option<String> = conn
            .query_row("SELECT name FROM buckets WHERE id = ?1", [id], |r| r.get(0))
            .ok();
        names.extend(name);
    }
    Ok(names)
}

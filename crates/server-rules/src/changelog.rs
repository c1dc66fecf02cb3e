//! The changelog: every change to a synced row, by bucket, in server-seq order. Pull reads
//! it; the manager's and the push's transactions write it next to the change itself.

use rounds_protocol::TerritoryId;
use rounds_protocol::sync::{BucketId, Row, Table};
use uuid::Uuid;

use crate::db::{DbError, Sql, Tx};
use crate::params;

pub const TABLES: [Table; 9] = [
    Table::Territory,
    Table::Plan,
    Table::Account,
    Table::Contact,
    Table::Activity,
    Table::Correction,
    Table::FollowUp,
    Table::Photo,
    Table::Appointment,
];

pub fn table_name(t: Table) -> &'static str {
    match t {
        Table::Territory => "territory",
        Table::Plan => "plan",
        Table::Account => "account",
        Table::Contact => "contact",
        Table::Activity => "activity",
        Table::Correction => "correction",
        Table::FollowUp => "follow_up",
        Table::Photo => "photo",
        Table::Appointment => "appointment",
    }
}

pub fn parse_table(s: &str) -> Option<Table> {
    TABLES.into_iter().find(|t| table_name(*t) == s)
}

pub fn territory_bucket(t: Option<TerritoryId>) -> Option<BucketId> {
    t.map(BucketId::territory)
}

/// Records a row's new state in its bucket.
pub fn put(tx: &mut Tx<'_>, bucket: &BucketId, row: &Row) -> Result<i64, DbError> {
    let seq = tx.next_seq()?;
    let data = serde_json::to_string(row).map_err(|e| DbError::Other(e.to_string()))?;
    tx.log_change(
        params![
            seq,
            bucket.0.as_str(),
            table_name(row.table()),
            row.id(),
            "put",
            data
        ]
        .to_vec(),
    );
    Ok(seq)
}

/// Records that a row left its bucket (deleted, or moved to another bucket).
pub fn delete(tx: &mut Tx<'_>, bucket: &BucketId, table: Table, id: Uuid) -> Result<i64, DbError> {
    let seq = tx.next_seq()?;
    tx.log_change(
        params![
            seq,
            bucket.0.as_str(),
            table_name(table),
            id,
            "delete",
            Option::<String>::None
        ]
        .to_vec(),
    );
    Ok(seq)
}

/// Entries at or below this seq may be gone; a cursor behind it resnapshots.
pub fn floor(tx: &mut dyn Sql) -> Result<i64, DbError> {
    let v = tx
        .query_one("SELECT value FROM meta WHERE key = 'changelog_floor'", &[])?
        .text(0)?;
    v.parse()
        .map_err(|_| DbError::Decode(format!("changelog_floor {v:?}")))
}

/// Drops changelog entries a later entry for the same row in the same bucket supersedes.
/// Safe for every cursor: replaying from any position ends in the same state, because the
/// later entry (the row's newer state, or its removal) is still there. Returns how many
/// entries went.
pub fn compact(tx: &mut Tx<'_>) -> Result<u64, DbError> {
    tx.exec(
        "DELETE FROM changelog WHERE EXISTS (
             SELECT 1 FROM changelog later
             WHERE later.bucket = changelog.bucket AND later.tbl = changelog.tbl
               AND later.row_id = changelog.row_id AND later.seq > changelog.seq)",
        &[],
    )
}

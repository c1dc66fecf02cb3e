//! `pull_cursors`: where the device's pull stands. Written only in the transaction that
//! applies the rows the cursor covers: a cursor ahead of its rows would skip changes
//! forever.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::codec::ms;
use crate::error::Result;

const MAIN: &str = "main";

pub(crate) fn get(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT cursor FROM pull_cursors WHERE name = ?1",
            [MAIN],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn set(
    tx: &Transaction<'_>,
    cursor: &str,
    checkpoint: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO pull_cursors(name, cursor, checkpoint, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor,
             checkpoint = excluded.checkpoint, updated_at = excluded.updated_at",
    )?
    .execute(params![MAIN, cursor, checkpoint as i64, ms(now)])?;
    Ok(())
}

pub(crate) fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM pull_cursors", [])?;
    Ok(())
}

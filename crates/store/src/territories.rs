//! `territories`: the territories this device holds (synced).

use rounds_core::Territory;
use rounds_protocol::records::TerritoryRecord;
use rounds_protocol::{RepId, TerritoryId};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use crate::error::Result;

#[derive(Debug, Clone, Copy)]
pub struct TerritoriesRead<'a> {
    conn: &'a Connection,
}

impl<'a> TerritoriesRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    pub fn list(&self) -> Result<Vec<Territory>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, rep_id FROM territories ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(Territory {
                id: TerritoryId::from_uuid(r.get(0)?),
                name: r.get(1)?,
                rep: r.get::<_, Option<Uuid>>(2)?.map(RepId::from_uuid),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(crate) struct TerritoriesWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl TerritoriesWrite<'_> {
    pub fn put(&self, bucket: i64, r: &TerritoryRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO territories(id, bucket, name, rep_id) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.name,
                r.rep_id.map(|x| *x.as_uuid())
            ])?;
        Ok(())
    }
}

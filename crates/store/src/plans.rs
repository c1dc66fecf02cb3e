//! `plans`: the call-rotation plans (synced, org-wide), stored as their wire JSON.

use rounds_core::RotationPlan;
use rounds_protocol::records::PlanRecord;
use rusqlite::{Connection, Transaction, params};

use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct PlansRead<'a> {
    conn: &'a Connection,
}

impl<'a> PlansRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// Every plan, by name. The org normally has one; the first is the one in force.
    pub fn list(&self) -> Result<Vec<RotationPlan>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM plans ORDER BY name, id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|data| {
            let rec: PlanRecord = serde_json::from_str(&data?)?;
            RotationPlan::try_from(&rec).map_err(|e| StoreError::Decode(e.to_string()))
        })
        .collect()
    }
}

pub(crate) struct PlansWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl PlansWrite<'_> {
    pub fn put(&self, bucket: i64, r: &PlanRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO plans(id, bucket, name, data) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.name,
                serde_json::to_string(r)?
            ])?;
        Ok(())
    }
}

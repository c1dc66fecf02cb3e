//! `meta`: the device id, the last hybrid-clock value, the server epoch.

use rounds_protocol::{DeviceId, Hlc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};

pub const DEVICE_ID: &str = "device_id";
pub const LAST_HLC: &str = "last_hlc";
pub const SERVER_EPOCH: &str = "server_epoch";

fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The device id, minted on first open (UUIDv7, the one place the store asks the clock).
pub fn ensure_device_id(conn: &Connection) -> Result<DeviceId> {
    if let Some(s) = get(conn, DEVICE_ID)? {
        return s
            .parse()
            .map_err(|_| StoreError::Decode(format!("device id {s:?}")));
    }
    let id = DeviceId::from_uuid(Uuid::now_v7());
    set(conn, DEVICE_ID, &id.to_string())?;
    Ok(id)
}

pub fn last_hlc(conn: &Connection) -> Result<Hlc> {
    match get(conn, LAST_HLC)? {
        Some(s) => s
            .parse()
            .map_err(|_| StoreError::Decode(format!("hlc {s:?}"))),
        None => Ok(Hlc::ZERO),
    }
}

/// Read access to `meta`.
#[derive(Debug, Clone, Copy)]
pub struct MetaRead<'a> {
    conn: &'a Connection,
}

impl<'a> MetaRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    pub fn last_hlc(&self) -> Result<Hlc> {
        last_hlc(self.conn)
    }

    pub fn server_epoch(&self) -> Result<Option<String>> {
        get(self.conn, SERVER_EPOCH)
    }
}

//! `settings`: the app's local preferences (server URL, time zone, workday, home), as
//! JSON values by key. Secrets such as the device token do not belong here.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Store;
use crate::error::Result;

#[derive(Debug, Clone, Copy)]
pub struct SettingsRead<'a> {
    conn: &'a Connection,
}

impl<'a> SettingsRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        // A value saved as JSON null (a home cleared) reads as no value.
        Ok(raw
            .map(|s| serde_json::from_str::<Option<T>>(&s))
            .transpose()?
            .flatten())
    }
}

impl Store {
    /// Several settings in one transaction: a form saves all of them or none.
    pub fn set_settings(&mut self, values: &[(&str, serde_json::Value)]) -> Result<()> {
        self.write(|w| {
            for (key, value) in values {
                w.tx.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, serde_json::to_string(value)?],
                )?;
            }
            Ok(())
        })
    }

    pub fn set_setting<T: Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value)?;
        self.write(|w| {
            w.tx.execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, json],
            )?;
            Ok(())
        })
    }
}

//! `contacts` (synced).

use rounds_core::Contact;
use rounds_protocol::records::ContactRecord;
use rounds_protocol::{AccountId, ContactId};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct ContactsRead<'a> {
    conn: &'a Connection,
}

impl<'a> ContactsRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    /// The account's contacts, primary first.
    pub fn of_account(&self, account: AccountId) -> Result<Vec<Contact>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM contacts WHERE account_id = ?1 ORDER BY is_primary DESC, name"
        ))?;
        let rows = stmt.query_map([account.as_uuid()], record)?;
        rows.map(|rec| to_domain(&rec?)).collect()
    }
}

pub(crate) const COLUMNS: &str = "id, account_id, name, title, phone, email, is_primary";

pub(crate) fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContactRecord> {
    Ok(ContactRecord {
        id: ContactId::from_uuid(r.get(0)?),
        account_id: AccountId::from_uuid(r.get(1)?),
        name: r.get(2)?,
        title: r.get(3)?,
        phone: r.get(4)?,
        email: r.get(5)?,
        primary: r.get(6)?,
    })
}

pub(crate) fn to_domain(rec: &ContactRecord) -> Result<Contact> {
    Contact::try_from(rec).map_err(|e| StoreError::Decode(format!("contact {}: {e}", rec.id)))
}

pub(crate) struct ContactsWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl ContactsWrite<'_> {
    pub fn put(&self, bucket: i64, r: &ContactRecord) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO contacts(id, bucket, account_id, name, title, phone, email, is_primary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                r.id.as_uuid(),
                bucket,
                r.account_id.as_uuid(),
                r.name,
                r.title,
                r.phone,
                r.email,
                r.primary
            ])?;
        Ok(())
    }

    pub fn delete(&self, id: &Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM contacts WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

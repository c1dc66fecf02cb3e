//! `contacts` (synced).

use rounds_core::Contact;
use rounds_protocol::records::ContactRecord;
use rounds_protocol::sync::MutationBody;
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

    /// The account's contacts, primary first, with the rep's saves not yet back from
    /// the server applied.
    pub fn of_account(&self, account: AccountId) -> Result<Vec<Contact>> {
        Ok(self
            .with_pending(account)?
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }

    /// As [`ContactsRead::of_account`], each with whether a save of it is waiting to
    /// sync.
    pub fn with_pending(&self, account: AccountId) -> Result<Vec<(Contact, bool)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM contacts WHERE account_id = ?1"
        ))?;
        let mut all: Vec<(ContactRecord, bool)> = stmt
            .query_map([account.as_uuid()], record)?
            .map(|r| r.map(|r| (r, false)))
            .collect::<rusqlite::Result<_>>()?;
        for saved in pending(self.conn, account)? {
            if saved.primary {
                for (c, _) in &mut all {
                    c.primary = false;
                }
            }
            match all.iter_mut().find(|(c, _)| c.id == saved.id) {
                Some(slot) => *slot = (saved, true),
                None => all.push((saved, true)),
            }
        }
        all.sort_by(|(a, _), (b, _)| b.primary.cmp(&a.primary).then(a.name.cmp(&b.name)));
        all.into_iter()
            .map(|(rec, pending)| to_domain(&rec).map(|c| (c, pending)))
            .collect()
    }
}

/// The rep's contact saves on `account` that a pull has not confirmed yet, in the order
/// they were made (as the account edits' overlay).
fn pending(conn: &Connection, account: AccountId) -> Result<Vec<ContactRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM outbox
         WHERE kind = 'save_contact' AND account_id = ?1
           AND (state IN ('pending', 'in_flight')
                OR (state = 'acked' AND settled_at >
                    coalesce((SELECT max(updated_at) FROM pull_cursors), 0)))
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([account.as_uuid()], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for payload in rows {
        if let MutationBody::SaveContact { contact } = serde_json::from_str(&payload?)? {
            out.push(contact);
        }
    }
    Ok(out)
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

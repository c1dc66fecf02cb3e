//! What the rep adds in the field: a new account ("New lead here"), checked first against
//! the accounts already on the device, and the people they meet (contacts).
//!
//! A new account is written to `accounts` at once, under the device's own bucket
//! [`DEVICE_BUCKET`], so every read (lists, search, Today, the route) sees it with no
//! overlay; its outbox row carries it to the server. When the server's copy arrives in a
//! pull it replaces the row (same id) and the account joins its territory's bucket. A
//! wipe of synced rows puts back every create the server has not confirmed yet, and a
//! create the server set aside leaves the device's lists (the rep sees it as a sync issue).

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::duplicate::{Match, Place, likely_duplicates};
use rounds_core::{LatLon, LocationSource, Priority, Stage};
use rounds_protocol::records::{AccountRecord, ContactRecord};
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, ContactId, TerritoryId};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use crate::accounts::AccountsWrite;
use crate::error::{Result, StoreError};
use crate::log::{enqueue, new_id};
use crate::{AccountView, Reader, Store, Writer, search};

/// The bucket of accounts made on this device and not yet confirmed by a pull.
pub const DEVICE_BUCKET: &str = "device";

const MAX_FIELD_BYTES: usize = 500;

/// What the rep typed for a new account; everything but the name may be left empty.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub industry: Option<String>,
    /// Where it is: the device's fix at the door, a point placed on the map, or the
    /// middle of its postal code.
    pub location: Option<LatLon>,
    /// Which of those `location` is.
    pub location_source: Option<LocationSource>,
    /// The call-rotation bucket it starts in.
    pub priority: Priority,
    /// The territory it belongs to: one the rep works.
    pub territory: TerritoryId,
    /// The currency of the territory's figures (the account's revenue starts at zero).
    pub currency: String,
}

impl NewAccount {
    /// Just a name, in `territory`: no details, no pin, the low-priority bucket.
    pub fn named(name: &str, territory: TerritoryId, currency: &str) -> Self {
        NewAccount {
            name: name.to_owned(),
            phone: None,
            email: None,
            street: String::new(),
            city: String::new(),
            region: String::new(),
            postal_code: String::new(),
            country: String::new(),
            industry: None,
            location: None,
            location_source: None,
            priority: Priority::Low,
            territory,
            currency: currency.to_owned(),
        }
    }
}

/// An account that may already be the one being added, as the rep is asked about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookalike {
    pub account: AccountView,
    pub found: Match,
}

impl Store {
    /// Adds a lead: the account row and its outbox row in one transaction. `today` is
    /// the rep's local date, the day the account entered the funnel.
    pub fn create_account(
        &mut self,
        new: NewAccount,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<AccountView> {
        let typed = record(new, today, now)?;
        let account = rounds_core::Account::try_from(&typed)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        // What the domain made of the input (a phone number normalised, say) is what the
        // device keeps and the server gets.
        let record = AccountRecord::from(&account);
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            let known: bool =
                w.tx.prepare_cached("SELECT 1 FROM territories WHERE id = ?1")?
                    .exists([record.territory_id.map(|t| *t.as_uuid())])?;
            if !known {
                return Err(StoreError::NotFound(
                    "the territory is not on this device".into(),
                ));
            }
            put_local(w, &record)?;
            let body = MutationBody::CreateAccount {
                account: record.clone(),
            };
            enqueue(
                w,
                device,
                &body,
                "create_account",
                record.id.as_uuid(),
                Some(record.id),
                now,
            )?;
            Ok(())
        })?;
        Ok(AccountView {
            account,
            pending_fields: vec!["created"],
        })
    }
}

/// A contact as the rep typed it: a new one (no id) or a change of one on the device.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactInput {
    pub id: Option<ContactId>,
    pub account_id: AccountId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub primary: bool,
}

impl Store {
    /// Adds or changes a contact: the whole contact queued as one save, shown at once
    /// (the contacts' overlay), last writer wins on the server. Answers its id.
    pub fn save_contact(&mut self, input: ContactInput, now: DateTime<Utc>) -> Result<ContactId> {
        let optional = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let record = ContactRecord {
            id: input
                .id
                .unwrap_or_else(|| ContactId::from_uuid(new_id(now))),
            account_id: input.account_id,
            name: input.name.trim().to_owned(),
            title: optional(input.title),
            phone: optional(input.phone),
            email: optional(input.email),
            primary: input.primary,
        };
        let contact = rounds_core::Contact::try_from(&record)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let record = ContactRecord::from(&contact);
        if self.read().accounts().get(record.account_id)?.is_none() {
            return Err(StoreError::NotFound(format!(
                "account {}",
                record.account_id
            )));
        }
        if let Some(id) = input.id {
            let known = self
                .read()
                .contacts()
                .of_account(record.account_id)?
                .iter()
                .any(|c| c.id == id);
            if !known {
                return Err(StoreError::NotFound(format!(
                    "contact {id} on this account"
                )));
            }
        }
        let device = *self.device_id.as_uuid();
        self.write(|w| {
            search::index_contact(w.tx, &record)?;
            let body = MutationBody::SaveContact {
                contact: record.clone(),
            };
            enqueue(
                w,
                device,
                &body,
                "save_contact",
                record.id.as_uuid(),
                Some(record.account_id),
                now,
            )?;
            Ok(record.id)
        })
    }
}

impl Reader<'_> {
    /// The accounts on the device that may be the shop the rep is about to add: same
    /// phone, similar name not far away, or a pin on the same spot. Most alike first.
    pub fn lookalikes(
        &self,
        name: &str,
        phone: Option<&str>,
        at: Option<LatLon>,
    ) -> Result<Vec<Lookalike>> {
        let known: Vec<Known> = self
            .conn
            .prepare_cached("SELECT id, name, phone, lat, lon FROM accounts")?
            .query_map([], |r| {
                let (lat, lon): (Option<f64>, Option<f64>) = (r.get(3)?, r.get(4)?);
                Ok(Known {
                    id: AccountId::from_uuid(r.get(0)?),
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    at: lat
                        .zip(lon)
                        .and_then(|(lat, lon)| LatLon::new(lat, lon).ok()),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let existing = known.iter().map(|k| {
            (
                k.id,
                Place {
                    name: &k.name,
                    phone: k.phone.as_deref(),
                    at: k.at,
                },
            )
        });
        let found = likely_duplicates(&Place { name, phone, at }, existing);
        let accounts = self.accounts();
        let mut out = Vec::with_capacity(found.len());
        for m in found {
            if let Some(account) = accounts.get(m.account)? {
                out.push(Lookalike { account, found: m });
            }
        }
        Ok(out)
    }
}

/// An account on the device as the duplicate finder reads it.
struct Known {
    id: AccountId,
    name: String,
    phone: Option<String>,
    at: Option<LatLon>,
}

fn record(new: NewAccount, today: NaiveDate, now: DateTime<Utc>) -> Result<AccountRecord> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(StoreError::Invalid("the account needs a name".into()));
    }
    let text = |s: String| s.trim().to_owned();
    let optional = |s: Option<String>| s.map(text).filter(|s| !s.is_empty());
    let record = AccountRecord {
        id: AccountId::from_uuid(new_id(now)),
        name,
        street: text(new.street),
        city: text(new.city),
        region: text(new.region),
        postal_code: text(new.postal_code),
        country: text(new.country),
        lat: new.location.map(|l| l.lat()),
        lon: new.location.map(|l| l.lon()),
        stage: Stage::Lead,
        priority: new.priority,
        kare: None,
        currency: new.currency,
        revenue_minor: 0,
        expenses_minor: 0,
        phone: optional(new.phone),
        email: optional(new.email),
        industry: optional(new.industry),
        territory_id: Some(new.territory),
        created_at: now,
        lead_on: Some(today),
        opportunity_on: None,
        won_on: None,
        lost_on: None,
        hours: None,
        visit_minutes: None,
        closed_on: None,
        preferred_hours: None,
        potential_minor: None,
        potential_estimate_minor: None,
        location_source: new.location_source.filter(|_| new.location.is_some()),
    };
    let long = [
        Some(&record.name),
        Some(&record.street),
        Some(&record.city),
        Some(&record.region),
        Some(&record.postal_code),
        Some(&record.country),
        record.industry.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.len() > MAX_FIELD_BYTES);
    if long {
        return Err(StoreError::Invalid(format!(
            "a field is longer than {MAX_FIELD_BYTES} bytes"
        )));
    }
    Ok(record)
}

/// Writes a device-made account under [`DEVICE_BUCKET`], searchable like any other.
fn put_local(w: &Writer<'_>, r: &AccountRecord) -> Result<()> {
    let bucket: i64 = w
        .tx
        .prepare_cached(
            "INSERT INTO buckets(name) VALUES (?1) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id",
        )?
        .query_row([DEVICE_BUCKET], |r| r.get(0))?;
    AccountsWrite { tx: w.tx }.put(bucket, r)?;
    search::index_account(w.tx, r)
}

/// After synced rows were wiped: puts back the accounts made here that the server has
/// not confirmed by a pull yet (queued, in flight, or acknowledged since the last pull).
pub(crate) fn restore_local(w: &Writer<'_>) -> Result<()> {
    let payloads: Vec<String> =
        w.tx.prepare_cached(
            "SELECT payload FROM outbox
             WHERE kind = 'create_account'
               AND entity_id NOT IN (SELECT id FROM accounts)
               AND (state IN ('pending', 'in_flight')
                    OR (state = 'acked' AND settled_at >
                        coalesce((SELECT max(updated_at) FROM pull_cursors), 0)))
             ORDER BY seq",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for payload in payloads {
        if let MutationBody::CreateAccount { account } = serde_json::from_str(&payload)? {
            put_local(w, &account)?;
        }
    }
    Ok(())
}

/// A create the server refused or set aside: the account leaves the device's lists
/// (while it is still only in the device's bucket), a new contact its search. The
/// outbox row and the sync issue keep what the rep entered.
pub(crate) fn drop_refused(w: &Writer<'_>, seq: u64) -> Result<()> {
    let id: Option<Uuid> =
        w.tx.prepare_cached(
            "SELECT a.id FROM accounts a JOIN outbox o ON o.entity_id = a.id
             WHERE o.seq = ?1 AND o.kind = 'create_account'
               AND a.bucket = (SELECT id FROM buckets WHERE name = ?2)",
        )?
        .query_row(params![seq as i64, DEVICE_BUCKET], |r| r.get(0))
        .optional()?;
    if let Some(id) = id {
        search::unindex(w.tx, &id)?;
        w.tx.execute("DELETE FROM accounts WHERE id = ?1", [id])?;
    }
    // A new contact the server set aside: its search entry goes too.
    let contact: Option<Uuid> =
        w.tx.prepare_cached(
            "SELECT entity_id FROM outbox WHERE seq = ?1 AND kind = 'save_contact'
               AND entity_id NOT IN (SELECT id FROM contacts)",
        )?
        .query_row(params![seq as i64], |r| r.get(0))
        .optional()?;
    if let Some(id) = contact {
        search::unindex(w.tx, &id)?;
    }
    Ok(())
}

//! `accounts` (synced), read with the rep's pending field edits overlaid.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rounds_core::calendar::parse_days_off;
use rounds_core::{Account, LatLon, LocationSource, OpeningHours, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::{AccountEdit, MutationBody};
use rounds_protocol::{AccountId, TerritoryId};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

use crate::codec::{date, from_ms, ms, name, parse_name};
use crate::error::{Result, StoreError};

pub(crate) const COLUMNS: &str = "id, name, street, city, region, postal_code, country, lat, lon, stage, \
    priority, kare, currency, revenue_minor, expenses_minor, phone, email, industry, \
    territory_id, created_at, lead_on, opportunity_on, won_on, lost_on, hours, visit_minutes, closed_on, preferred_hours, \
    potential_minor, potential_estimate_minor, location_source";

pub(crate) fn record(r: &Row<'_>) -> Result<AccountRecord> {
    let kare: Option<String> = r.get(11)?;
    Ok(AccountRecord {
        id: AccountId::from_uuid(r.get(0)?),
        name: r.get(1)?,
        street: r.get(2)?,
        city: r.get(3)?,
        region: r.get(4)?,
        postal_code: r.get(5)?,
        country: r.get(6)?,
        lat: r.get(7)?,
        lon: r.get(8)?,
        stage: parse_name(&r.get::<_, String>(9)?)?,
        priority: parse_name(&r.get::<_, String>(10)?)?,
        kare: kare.map(|k| parse_name(&k)).transpose()?,
        currency: r.get(12)?,
        revenue_minor: r.get(13)?,
        expenses_minor: r.get(14)?,
        phone: r.get(15)?,
        email: r.get(16)?,
        industry: r.get(17)?,
        territory_id: r.get::<_, Option<Uuid>>(18)?.map(TerritoryId::from_uuid),
        created_at: from_ms(r.get(19)?)?,
        lead_on: date(r.get(20)?)?,
        opportunity_on: date(r.get(21)?)?,
        won_on: date(r.get(22)?)?,
        lost_on: date(r.get(23)?)?,
        hours: r.get(24)?,
        visit_minutes: r.get(25)?,
        closed_on: r.get(26)?,
        preferred_hours: r.get(27)?,
        potential_minor: r.get(28)?,
        potential_estimate_minor: r.get(29)?,
        // A name this build does not know reads as not recorded.
        location_source: r
            .get::<_, Option<String>>(30)?
            .as_deref()
            .and_then(LocationSource::from_name),
    })
}

fn hours(text: Option<&str>) -> Option<OpeningHours> {
    text.and_then(|t| OpeningHours::parse(t).ok())
}

fn closed_on(text: Option<&str>) -> BTreeSet<NaiveDate> {
    text.and_then(|t| parse_days_off(t).ok())
        .unwrap_or_default()
}

/// An account as the rep sees it: server truth with their pending edits applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountView {
    pub account: Account,
    /// Fields changed on this device and not yet confirmed by a pull.
    pub pending_fields: Vec<&'static str>,
}

pub(crate) fn apply_edit(rec: &mut AccountRecord, edit: &AccountEdit) {
    match edit {
        AccountEdit::Name(v) => rec.name = v.clone(),
        AccountEdit::Phone(v) => rec.phone = v.clone(),
        AccountEdit::Email(v) => rec.email = v.clone(),
        AccountEdit::Street(v) => rec.street = v.clone(),
        AccountEdit::City(v) => rec.city = v.clone(),
        AccountEdit::Region(v) => rec.region = v.clone(),
        AccountEdit::PostalCode(v) => rec.postal_code = v.clone(),
        AccountEdit::Country(v) => rec.country = v.clone(),
        AccountEdit::Location(v) => {
            rec.lat = v.map(|l| l.lat);
            rec.lon = v.map(|l| l.lon);
            rec.location_source = v.map(|_| LocationSource::Device);
        }
        AccountEdit::Industry(v) => rec.industry = v.clone(),
        AccountEdit::Stage(v) => rec.stage = *v,
        AccountEdit::Kare(v) => rec.kare = *v,
        AccountEdit::Hours(v) => rec.hours = v.clone(),
        AccountEdit::VisitMinutes(v) => rec.visit_minutes = *v,
        AccountEdit::ClosedOn(v) => rec.closed_on = v.clone(),
        AccountEdit::PreferredHours(v) => rec.preferred_hours = v.clone(),
        AccountEdit::PotentialEstimate(v) => rec.potential_estimate_minor = *v,
    }
}

/// Pending edits by account, in the order they were made. Acknowledged edits stay in the
/// overlay until a pull after their receipt has brought the server's row.
fn overlay(
    conn: &Connection,
    account: Option<AccountId>,
) -> Result<HashMap<AccountId, Vec<AccountEdit>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM outbox
         WHERE kind IN ('edit_account', 'change_stage')
           AND (?1 IS NULL OR entity_id = ?1)
           AND (state IN ('pending', 'in_flight')
                OR (state = 'acked' AND settled_at >
                    coalesce((SELECT max(updated_at) FROM pull_cursors), 0)))
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([account.map(|a| *a.as_uuid())], |r| r.get::<_, String>(0))?;
    let mut out: HashMap<AccountId, Vec<AccountEdit>> = HashMap::new();
    for payload in rows {
        match serde_json::from_str(&payload?)? {
            MutationBody::EditAccount { account_id, edit } => {
                out.entry(account_id).or_default().push(edit);
            }
            MutationBody::ChangeStage { account_id, to, .. } => {
                out.entry(account_id)
                    .or_default()
                    .push(AccountEdit::Stage(to));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn view(mut rec: AccountRecord, edits: Option<&Vec<AccountEdit>>) -> Result<AccountView> {
    let mut pending_fields = Vec::new();
    for e in edits.into_iter().flatten() {
        apply_edit(&mut rec, e);
        if !pending_fields.contains(&e.field()) {
            pending_fields.push(e.field());
        }
    }
    let account = Account::try_from(&rec)
        .map_err(|e| StoreError::Decode(format!("account {}: {e}", rec.id)))?;
    Ok(AccountView {
        account,
        pending_fields,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct AccountsRead<'a> {
    conn: &'a Connection,
}

impl<'a> AccountsRead<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        Self { conn }
    }

    pub fn get(&self, id: AccountId) -> Result<Option<AccountView>> {
        let rec = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
            .query_row([id.as_uuid()], |r| Ok(record(r)))
            .optional()?
            .transpose()?;
        let Some(rec) = rec else { return Ok(None) };
        let edits = overlay(self.conn, Some(id))?;
        let mut v = view(rec, edits.get(&id))?;
        // Made on this device and not yet back from the server.
        let local = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM accounts a JOIN buckets b ON b.id = a.bucket
                 WHERE a.id = ?1 AND b.name = ?2",
            )?
            .exists(rusqlite::params![
                id.as_uuid(),
                crate::capture::DEVICE_BUCKET
            ])?;
        if local {
            v.pending_fields.insert(0, "created");
        }
        Ok(Some(v))
    }

    /// Every account the device holds, by name, with pending edits applied.
    pub fn all(&self) -> Result<Vec<AccountView>> {
        self.scan("ORDER BY name, id")
    }

    /// The slim rows of the Today path, pending edits of their fields applied.
    pub(crate) fn today_rows(&self) -> Result<Vec<crate::today::TodayAccount>> {
        let edits = overlay(self.conn, None)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, city, priority, created_at, lat, lon, stage, hours, visit_minutes,
                    closed_on, preferred_hours, location_source
             FROM accounts",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id = AccountId::from_uuid(r.get(0)?);
            let mut row = crate::today::TodayAccount {
                id,
                name: r.get(1)?,
                city: r.get(2)?,
                priority: parse_name(r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?)?,
                created_at: from_ms(r.get(4)?)?,
                location: match (r.get::<_, Option<f64>>(5)?, r.get::<_, Option<f64>>(6)?) {
                    (Some(lat), Some(lon)) => LatLon::new(lat, lon).ok(),
                    _ => None,
                },
                lost: r.get_ref(7)?.as_str().map_err(rusqlite::Error::from)? == "lost",
                // Hours the server checked; a damaged value is reported by the damage
                // scan of whole rows, and here plans as hours not known.
                hours: hours(r.get::<_, Option<String>>(8)?.as_deref()),
                visit_minutes: r.get(9)?,
                closed_on: closed_on(r.get::<_, Option<String>>(10)?.as_deref()),
                preferred_hours: hours(r.get::<_, Option<String>>(11)?.as_deref()),
                approximate: r.get::<_, Option<String>>(12)?.as_deref()
                    == Some(LocationSource::PostalCode.name()),
            };
            for e in edits.get(&id).into_iter().flatten() {
                match e {
                    AccountEdit::Name(n) => row.name = n.clone(),
                    AccountEdit::Stage(s) => row.lost = *s == Stage::Lost,
                    AccountEdit::City(c) => row.city = c.clone(),
                    AccountEdit::Location(l) => {
                        row.location = l.and_then(|l| LatLon::new(l.lat, l.lon).ok());
                        // The rep's own pin.
                        row.approximate = false;
                    }
                    AccountEdit::Hours(h) => row.hours = hours(h.as_deref()),
                    AccountEdit::VisitMinutes(m) => row.visit_minutes = *m,
                    AccountEdit::ClosedOn(c) => row.closed_on = closed_on(c.as_deref()),
                    AccountEdit::PreferredHours(h) => row.preferred_hours = hours(h.as_deref()),
                    _ => {}
                }
            }
            out.push(row);
        }
        Ok(out)
    }

    fn scan(&self, order: &str) -> Result<Vec<AccountView>> {
        let edits = overlay(self.conn, None)?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts {order}"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let rec = record(r)?;
            let e = edits.get(&rec.id);
            out.push(view(rec, e)?);
        }
        Ok(out)
    }

    /// The currency the territory's accounts are kept in (the first found), if any.
    pub fn currency_in(&self, territory: TerritoryId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT currency FROM accounts WHERE territory_id = ?1 LIMIT 1")?
            .query_row([territory.as_uuid()], |r| r.get(0))
            .optional()?)
    }

    pub fn count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Accounts within `radius_m` of `at`, nearest first, with their distance in metres.
    pub fn nearby(
        &self,
        at: LatLon,
        radius_m: f64,
        limit: usize,
    ) -> Result<Vec<(AccountView, f64)>> {
        // A bounding box in degrees narrows the scan; the exact great-circle test follows.
        let dlat = (radius_m / 111_000.0).min(180.0);
        let coslat = at.lat().to_radians().cos().max(0.01);
        let dlon = (radius_m / (111_000.0 * coslat)).min(360.0);
        let (lat_lo, lat_hi) = (at.lat() - dlat, at.lat() + dlat);
        let (lon_lo, lon_hi) = (at.lon() - dlon, at.lon() + dlon);
        // Across the antimeridian the longitude band wraps: test both sides.
        let wrap = lon_lo < -180.0 || lon_hi > 180.0 || dlon >= 180.0;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM accounts
             WHERE lat BETWEEN ?1 AND ?2 AND lat IS NOT NULL
               AND (?5 OR lon BETWEEN ?3 AND ?4)"
        ))?;
        let mut rows = stmt.query(params![lat_lo, lat_hi, lon_lo, lon_hi, wrap])?;
        let mut hits = Vec::new();
        while let Some(r) = rows.next()? {
            let rec = record(r)?;
            if let (Some(lat), Some(lon)) = (rec.lat, rec.lon)
                && let Ok(p) = LatLon::new(lat, lon)
            {
                let d = at.distance_m(&p);
                if d <= radius_m {
                    hits.push((rec, d));
                }
            }
        }
        hits.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)));
        hits.truncate(limit);
        let edits = overlay(self.conn, None)?;
        hits.into_iter()
            .map(|(rec, d)| {
                let e = edits.get(&rec.id);
                Ok((view(rec, e)?, d))
            })
            .collect()
    }
}

pub(crate) struct AccountsWrite<'a> {
    pub(crate) tx: &'a Transaction<'a>,
}

impl AccountsWrite<'_> {
    pub fn put(&self, bucket: i64, r: &AccountRecord) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO accounts(bucket, {COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)"
            ))?
            .execute(params![
                bucket,
                r.id.as_uuid(),
                r.name,
                r.street,
                r.city,
                r.region,
                r.postal_code,
                r.country,
                r.lat,
                r.lon,
                name(&r.stage),
                name(&r.priority),
                r.kare.as_ref().map(name),
                r.currency,
                r.revenue_minor,
                r.expenses_minor,
                r.phone,
                r.email,
                r.industry,
                r.territory_id.map(|t| *t.as_uuid()),
                ms(r.created_at),
                r.lead_on.map(|d| d.to_string()),
                r.opportunity_on.map(|d| d.to_string()),
                r.won_on.map(|d| d.to_string()),
                r.lost_on.map(|d| d.to_string()),
                r.hours,
                r.visit_minutes,
                r.closed_on,
                r.preferred_hours,
                r.potential_minor,
                r.potential_estimate_minor,
                r.location_source.map(LocationSource::name),
            ])?;
        Ok(())
    }

    pub fn delete(&self, id: &Uuid) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM accounts WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }
}

//! Per-field last-writer-wins for accounts, one rule for every writer: a device's push, a
//! manager's edit on the dashboard, a CSV import, an accepted review item. Each field has
//! a clock (`field_clocks`); an older value loses, and a value that loses — or is
//! overwritten by another writer — is kept in `conflicts` for the manager.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::{LocationSource, Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::{AccountEdit, LatLonRecord};
use rounds_protocol::{AccountId, Hlc, UserId};
use uuid::Uuid;

use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::{params, time};

/// A change of one account field: one a device may send, or a manager-owned one (devices
/// never send those, but the same clocks order them).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    Shared(AccountEdit),
    Priority(Priority),
    /// Minor units, in the account's currency.
    Revenue(i64),
    Expenses(i64),
    /// What it could buy in a year (minor units); `None` clears it.
    Potential(Option<i64>),
    /// Where it is and where that came from, set on the server (a manager's hand, an
    /// import, a geocode). Same field and clock as a device's `Location` edit, which
    /// reads as placed by the device.
    Place {
        at: Option<LatLonRecord>,
        source: Option<LocationSource>,
    },
}

/// The outcome of merging one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    Applied,
    /// A later value holds the field; this one is kept as a conflict.
    Superseded {
        winner: Hlc,
    },
}

/// Who wrote a value, as `field_clocks.device_id` and the conflicts keep it: a device id,
/// or `user:<id>` for a person on the server.
pub fn user_writer(user: UserId) -> String {
    format!("user:{user}")
}

fn text_ok(v: &str, max: usize) -> std::result::Result<(), String> {
    if v.len() > max {
        Err(format!("longer than {max} bytes"))
    } else {
        Ok(())
    }
}

impl FieldChange {
    /// The field's stable name, the key of its clock.
    pub fn field(&self) -> &'static str {
        match self {
            FieldChange::Shared(e) => e.field(),
            FieldChange::Priority(_) => "priority",
            FieldChange::Revenue(_) => "revenue",
            FieldChange::Expenses(_) => "expenses",
            FieldChange::Potential(_) => "potential",
            FieldChange::Place { .. } => "location",
        }
    }

    /// The value alone, as JSON (what conflicts and rejected edits keep).
    pub fn value_json(&self) -> String {
        let v = match self {
            FieldChange::Shared(e) => serde_json::to_value(e)
                .ok()
                .and_then(|v| v.get("value").cloned())
                .unwrap_or(serde_json::Value::Null),
            FieldChange::Priority(p) => serde_json::to_value(p).unwrap_or_default(),
            FieldChange::Revenue(m) | FieldChange::Expenses(m) => serde_json::Value::from(*m),
            FieldChange::Potential(m) => serde_json::Value::from(*m),
            // The shape of a device's location edit, so stored values read back alike.
            FieldChange::Place { at, .. } => serde_json::to_value(at).unwrap_or_default(),
        };
        v.to_string()
    }

    /// A change back from a stored field name and JSON value (a review item).
    pub fn from_stored(field: &str, value: &str) -> Option<FieldChange> {
        let value: serde_json::Value = serde_json::from_str(value).ok()?;
        match field {
            "priority" => serde_json::from_value(value)
                .ok()
                .map(FieldChange::Priority),
            "revenue" => value.as_i64().map(FieldChange::Revenue),
            "expenses" => value.as_i64().map(FieldChange::Expenses),
            "potential" => serde_json::from_value(value)
                .ok()
                .map(FieldChange::Potential),
            _ => serde_json::from_value(serde_json::json!({ "field": field, "value": value }))
                .ok()
                .map(FieldChange::Shared),
        }
    }

    /// The account's current value of this change's field, as a change.
    pub fn current(&self, rec: &AccountRecord) -> FieldChange {
        use AccountEdit as E;
        match self {
            FieldChange::Priority(_) => FieldChange::Priority(rec.priority),
            FieldChange::Revenue(_) => FieldChange::Revenue(rec.revenue_minor),
            FieldChange::Expenses(_) => FieldChange::Expenses(rec.expenses_minor),
            FieldChange::Potential(_) => FieldChange::Potential(rec.potential_minor),
            FieldChange::Place { .. } => FieldChange::Place {
                at: location_of(rec),
                source: rec.location_source,
            },
            FieldChange::Shared(edit) => FieldChange::Shared(match edit {
                E::Name(_) => E::Name(rec.name.clone()),
                E::Phone(_) => E::Phone(rec.phone.clone()),
                E::Email(_) => E::Email(rec.email.clone()),
                E::Street(_) => E::Street(rec.street.clone()),
                E::City(_) => E::City(rec.city.clone()),
                E::Region(_) => E::Region(rec.region.clone()),
                E::PostalCode(_) => E::PostalCode(rec.postal_code.clone()),
                E::Country(_) => E::Country(rec.country.clone()),
                E::Location(_) => E::Location(location_of(rec)),
                E::Industry(_) => E::Industry(rec.industry.clone()),
                E::Stage(_) => E::Stage(rec.stage),
                E::Kare(_) => E::Kare(rec.kare),
                E::Hours(_) => E::Hours(rec.hours.clone()),
                E::VisitMinutes(_) => E::VisitMinutes(rec.visit_minutes),
                E::ClosedOn(_) => E::ClosedOn(rec.closed_on.clone()),
                E::PreferredHours(_) => E::PreferredHours(rec.preferred_hours.clone()),
                E::PotentialEstimate(_) => E::PotentialEstimate(rec.potential_estimate_minor),
            }),
        }
    }

    /// The value rules of a push, for every writer.
    pub fn validate(&self) -> std::result::Result<(), String> {
        use AccountEdit as E;
        let edit = match self {
            FieldChange::Priority(_) | FieldChange::Potential(None) => return Ok(()),
            FieldChange::Revenue(m)
            | FieldChange::Expenses(m)
            | FieldChange::Potential(Some(m))
            | FieldChange::Shared(E::PotentialEstimate(Some(m))) => {
                return if *m < 0 {
                    Err("must not be negative".into())
                } else {
                    Ok(())
                };
            }
            FieldChange::Place { at: None, .. } => return Ok(()),
            FieldChange::Place { at: Some(l), .. } => {
                return rounds_core::LatLon::new(l.lat, l.lon)
                    .map(drop)
                    .map_err(|e| e.to_string());
            }
            FieldChange::Shared(e) => e,
        };
        match edit {
            E::Name(n) => rounds_core::value::required_text("name", n, 200)
                .map(drop)
                .map_err(|e| e.to_string()),
            E::Phone(Some(p)) if !p.trim().is_empty() => rounds_core::Phone::parse(p)
                .map(drop)
                .map_err(|e| e.to_string()),
            E::Email(Some(e)) if !e.trim().is_empty() => rounds_core::Email::parse(e)
                .map(drop)
                .map_err(|e| e.to_string()),
            E::Street(s) | E::City(s) | E::Region(s) | E::Country(s) => text_ok(s, 200),
            E::PostalCode(s) => text_ok(s, 20),
            E::Industry(Some(s)) => text_ok(s, 100),
            E::Location(Some(l)) => rounds_core::LatLon::new(l.lat, l.lon)
                .map(drop)
                .map_err(|e| e.to_string()),
            E::Hours(h) => rounds_core::hours::canonical(h.as_deref())
                .map(drop)
                .map_err(|e| e.to_string()),
            E::VisitMinutes(Some(m)) => rounds_core::hours::visit_minutes(*m).map(drop),
            E::ClosedOn(c) => rounds_core::calendar::canonical_dates(c.as_deref())
                .map(drop)
                .map_err(|e| e.to_string()),
            E::PreferredHours(h) => rounds_core::hours::canonical(h.as_deref())
                .map(drop)
                .map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }

    /// Sets the field on `rec`; `day` dates a stage entry.
    pub fn apply(&self, rec: &mut AccountRecord, day: NaiveDate) {
        use AccountEdit as E;
        let blank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let edit = match self {
            FieldChange::Priority(p) => return rec.priority = *p,
            FieldChange::Revenue(m) => return rec.revenue_minor = *m,
            FieldChange::Expenses(m) => return rec.expenses_minor = *m,
            FieldChange::Potential(m) => return rec.potential_minor = *m,
            FieldChange::Place { at, source } => {
                rec.lat = at.map(|l| l.lat);
                rec.lon = at.map(|l| l.lon);
                rec.location_source = source.filter(|_| at.is_some());
                return;
            }
            FieldChange::Shared(e) => e,
        };
        match edit {
            E::Name(v) => rec.name = v.trim().to_owned(),
            E::Phone(v) => rec.phone = blank(v),
            E::Email(v) => rec.email = blank(v),
            E::Street(v) => rec.street = v.clone(),
            E::City(v) => rec.city = v.clone(),
            E::Region(v) => rec.region = v.clone(),
            E::PostalCode(v) => rec.postal_code = v.clone(),
            E::Country(v) => rec.country = v.clone(),
            E::Location(v) => {
                rec.lat = v.map(|l| l.lat);
                rec.lon = v.map(|l| l.lon);
                rec.location_source = v.map(|_| LocationSource::Device);
            }
            E::Industry(v) => rec.industry = blank(v),
            E::Stage(s) => {
                rec.stage = *s;
                // The funnel counts stage entry dates; keep the first one.
                let slot = match s {
                    Stage::Lead => &mut rec.lead_on,
                    Stage::Opportunity => &mut rec.opportunity_on,
                    Stage::Customer => &mut rec.won_on,
                    Stage::Lost => &mut rec.lost_on,
                };
                slot.get_or_insert(day);
            }
            E::Kare(k) => rec.kare = *k,
            // Validated before: only the written form changes.
            E::Hours(h) => {
                rec.hours =
                    rounds_core::hours::canonical(h.as_deref()).unwrap_or_else(|_| h.clone())
            }
            E::VisitMinutes(m) => rec.visit_minutes = *m,
            E::ClosedOn(c) => {
                rec.closed_on = rounds_core::calendar::canonical_dates(c.as_deref())
                    .unwrap_or_else(|_| c.clone())
            }
            E::PreferredHours(h) => {
                rec.preferred_hours =
                    rounds_core::hours::canonical(h.as_deref()).unwrap_or_else(|_| h.clone())
            }
            E::PotentialEstimate(m) => rec.potential_estimate_minor = *m,
        }
    }

    /// Every editable field of `rec`, as changes setting it to its value.
    pub fn all(rec: &AccountRecord) -> Vec<FieldChange> {
        use AccountEdit as E;
        vec![
            FieldChange::Shared(E::Name(rec.name.clone())),
            FieldChange::Shared(E::Street(rec.street.clone())),
            FieldChange::Shared(E::City(rec.city.clone())),
            FieldChange::Shared(E::Region(rec.region.clone())),
            FieldChange::Shared(E::PostalCode(rec.postal_code.clone())),
            FieldChange::Shared(E::Country(rec.country.clone())),
            FieldChange::Place {
                at: location_of(rec),
                source: rec.location_source,
            },
            FieldChange::Shared(E::Phone(rec.phone.clone())),
            FieldChange::Shared(E::Email(rec.email.clone())),
            FieldChange::Shared(E::Industry(rec.industry.clone())),
            FieldChange::Shared(E::Stage(rec.stage)),
            FieldChange::Shared(E::Kare(rec.kare)),
            FieldChange::Shared(E::Hours(rec.hours.clone())),
            FieldChange::Shared(E::VisitMinutes(rec.visit_minutes)),
            FieldChange::Shared(E::ClosedOn(rec.closed_on.clone())),
            FieldChange::Shared(E::PreferredHours(rec.preferred_hours.clone())),
            FieldChange::Shared(E::PotentialEstimate(rec.potential_estimate_minor)),
            FieldChange::Priority(rec.priority),
            FieldChange::Revenue(rec.revenue_minor),
            FieldChange::Expenses(rec.expenses_minor),
            FieldChange::Potential(rec.potential_minor),
        ]
    }

    /// Every editable field where `new` differs from `old`, as changes to `old`.
    pub fn diff(old: &AccountRecord, new: &AccountRecord) -> Vec<FieldChange> {
        FieldChange::all(new)
            .into_iter()
            .filter(|c| c.current(old) != *c)
            .collect()
    }
}

fn location_of(rec: &AccountRecord) -> Option<LatLonRecord> {
    match (rec.lat, rec.lon) {
        (Some(lat), Some(lon)) => Some(LatLonRecord { lat, lon }),
        _ => None,
    }
}

/// A server clock for a person's edit of `account`: later than every clock its fields
/// hold now, so the edit wins over what the manager saw, while a device edit made later
/// still wins over it.
pub fn server_stamp(
    tx: &mut dyn Sql,
    account: AccountId,
    node: Uuid,
    now: DateTime<Utc>,
) -> Result<Hlc> {
    let mut seen = Hlc::ZERO;
    for r in tx.query(
        "SELECT hlc FROM field_clocks WHERE account_id = $1",
        params![account],
    )? {
        seen = seen.max(r.parse(0)?);
    }
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    Ok(Hlc::tick(seen, now_ms, node))
}

/// Merges one validated change into `rec` (the caller saves it when any applied).
pub fn merge(
    tx: &mut Tx<'_>,
    rec: &mut AccountRecord,
    change: &FieldChange,
    hlc: Hlc,
    writer: &str,
    now: DateTime<Utc>,
) -> Result<Merge> {
    let id = rec.id;
    let field = change.field();
    let clock = tx.query_opt(
        "SELECT hlc, device_id FROM field_clocks WHERE account_id = $1 AND field = $2",
        params![id, field],
    )?;
    let clock: Option<(Hlc, Option<String>)> = clock
        .map(|r| Ok::<_, Error>((r.parse("hlc")?, r.opt_text("device_id")?)))
        .transpose()?;
    let old_value = change.current(rec).value_json();
    let conflict = |tx: &mut Tx<'_>,
                    win: (Hlc, String, Option<String>),
                    lose: (Hlc, String, Option<String>)|
     -> Result<()> {
        tx.exec(
            "INSERT INTO conflicts (id, account_id, field, winner_hlc, winner_value, winner_device, loser_hlc, loser_value, loser_device, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![Uuid::now_v7(), id, field, win.0, win.1, win.2, lose.0, lose.1, lose.2, time::text(now)],
        )?;
        Ok(())
    };
    let me = Some(writer.to_owned());
    // A geocode is a guess: a rep's pin outranks it whatever the clocks say (the pin may
    // have been set offline before the guess was made).
    let pin_over_guess = matches!(change, FieldChange::Shared(AccountEdit::Location(Some(_))))
        && rec
            .location_source
            .is_some_and(LocationSource::geocode_may_replace);
    if let Some((winner, winner_device)) = &clock
        && hlc <= *winner
        && !pin_over_guess
    {
        conflict(
            tx,
            (*winner, old_value, winner_device.clone()),
            (hlc, change.value_json(), me),
        )?;
        return Ok(Merge::Superseded { winner: *winner });
    }
    if let Some((loser, loser_device)) = clock
        && loser_device != me
        && !pin_over_guess
    {
        // Another writer's value loses to this later one: kept, whatever the arrival order.
        conflict(
            tx,
            (hlc, change.value_json(), me.clone()),
            (loser, old_value, loser_device),
        )?;
    }
    let day = DateTime::<Utc>::from_timestamp_millis(i64::try_from(hlc.wall_ms).unwrap_or(0))
        .unwrap_or(now)
        .date_naive();
    change.apply(rec, day);
    tx.exec(
        "INSERT INTO field_clocks (account_id, field, hlc, device_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, field) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id",
        params![id, field, hlc, me],
    )?;
    Ok(Merge::Applied)
}

/// What a person's edit did, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditOutcome {
    pub applied: Vec<&'static str>,
    pub superseded: Vec<&'static str>,
}

/// A person's edit of several fields of one account (the dashboard, an import, an
/// accepted review item): validated, stamped with one server clock, merged field by field
/// like a device's edit, saved and logged once. `by` is `None` for the command line.
pub fn edit_account(
    tx: &mut Tx<'_>,
    id: AccountId,
    changes: &[FieldChange],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<EditOutcome> {
    use rounds_protocol::ErrorCode;
    for c in changes {
        if let Err(reason) = c.validate() {
            return Err(Error::client(
                ErrorCode::InvalidInput,
                format!("{}: {reason}", c.field()),
            ));
        }
    }
    let Some(mut rec) = crate::org::account(tx, id)? else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no account {id}"),
        ));
    };
    let mut out = EditOutcome::default();
    if changes.is_empty() {
        return Ok(out);
    }
    let node = by.map_or(Uuid::nil(), |u| *u.as_uuid());
    let writer = by.map_or_else(|| "server".to_owned(), user_writer);
    let hlc = server_stamp(tx, id, node, now)?;
    let from = rec.stage;
    for c in changes {
        match merge(tx, &mut rec, c, hlc, &writer, now)? {
            Merge::Applied => out.applied.push(c.field()),
            Merge::Superseded { .. } => out.superseded.push(c.field()),
        }
    }
    if !out.applied.is_empty() {
        crate::org::save_account(tx, &rec)?;
    }
    if rec.stage != from {
        let fact = crate::stage::Fact {
            id: Uuid::now_v7(),
            account: id,
            territory: rec.territory_id,
            from: Some(from),
            to: rec.stage,
            reason: None,
            by,
            device: None,
            on: now.date_naive(),
        };
        crate::stage::record(tx, &fact, now)?;
    }
    Ok(out)
}

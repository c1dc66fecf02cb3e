//! Appointments made on the server (a manager booking a visit for the rep who holds the
//! account), and an account's appointments for its page. A device's saves arrive by
//! push (`save_appointment` in `push.rs`); both end in the same table and bucket.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_protocol::records::AppointmentRecord;
use rounds_protocol::sync::Row;
use rounds_protocol::{AccountId, AppointmentId, ErrorCode, Hlc, UserId};
use uuid::Uuid;

use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::{changelog, org, params};

/// An account's appointments, by date and time (cancelled ones included, marked).
pub fn of_account(tx: &mut dyn Sql, account: AccountId) -> Result<Vec<AppointmentRecord>> {
    tx.query(
        "SELECT data FROM appointments WHERE account_id = $1 ORDER BY on_day, at_min, id",
        params![account],
    )?
    .into_iter()
    .map(|r| r.json("data").map_err(Error::from))
    .collect()
}

/// What a person books: a visit at the rep's local date and start minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub account: AccountId,
    pub on: NaiveDate,
    pub at_min: u16,
    pub minutes: u16,
    pub note: Option<String>,
}

/// Books a visit for the rep who holds the account's territory now; it reaches their
/// devices with the next pull. The caller has checked `by` may touch the account.
pub fn book(
    tx: &mut Tx<'_>,
    b: Booking,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<AppointmentRecord> {
    let Some(account) = org::account(tx, b.account)? else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no account {}", b.account),
        ));
    };
    let rep = match account.territory_id {
        Some(t) => org::territory_rep(tx, t)?.flatten(),
        None => None,
    }
    .ok_or_else(|| {
        Error::client(
            ErrorCode::InvalidInput,
            "no rep holds this account's territory: assign one first",
        )
    })?;
    let rec = AppointmentRecord {
        id: AppointmentId::from_uuid(Uuid::now_v7()),
        account_id: b.account,
        rep_id: rep,
        on: b.on,
        at_min: b.at_min,
        minutes: b.minutes,
        note: b
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        created_at: now,
        cancelled_at: None,
    };
    rounds_core::Appointment::try_from(&rec)
        .map_err(|e| Error::client(ErrorCode::InvalidInput, e.to_string()))?;
    // A day before the UTC date has passed in every zone.
    if rec.on < now.date_naive() - chrono::Days::new(1) {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "the day has passed: pick today or a later day",
        ));
    }
    let hlc = Hlc::tick(
        Hlc::ZERO,
        u64::try_from(now.timestamp_millis()).unwrap_or(0),
        *by.as_uuid(),
    );
    let data = serde_json::to_string(&rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO appointments (id, account_id, rep_id, on_day, at_min, cancelled_at, data, hlc, device_id)
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, NULL)",
        params![
            rec.id,
            rec.account_id,
            rec.rep_id,
            rec.on.to_string(),
            i64::from(rec.at_min),
            data,
            hlc
        ],
    )?;
    if let Some(b) = changelog::territory_bucket(account.territory_id) {
        changelog::put(tx, &b, &Row::Appointment(rec.clone()))?;
    }
    Ok(rec)
}

/// Cancels an appointment of `account` (kept, marked cancelled, as a device's cancel
/// is); it reaches the rep's devices with the next pull. Its clock ticks past the
/// stored one, so a device's earlier save of it does not undo the cancel. Cancelling
/// twice changes nothing. The caller has checked `by` may touch the account.
pub fn cancel(
    tx: &mut Tx<'_>,
    account: AccountId,
    id: AppointmentId,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<AppointmentRecord> {
    let Some(row) = tx.query_opt(
        "SELECT data, hlc FROM appointments WHERE id = $1 AND account_id = $2",
        params![id, account],
    )?
    else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no appointment {id} at this account"),
        ));
    };
    let mut rec: AppointmentRecord = row.json("data")?;
    if rec.cancelled_at.is_some() {
        return Ok(rec);
    }
    let stored: Hlc = row.parse("hlc")?;
    let hlc = Hlc::tick(
        stored,
        u64::try_from(now.timestamp_millis()).unwrap_or(0),
        *by.as_uuid(),
    );
    rec.cancelled_at = Some(now);
    let data = serde_json::to_string(&rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "UPDATE appointments SET cancelled_at = $2, data = $3, hlc = $4, device_id = NULL
         WHERE id = $1",
        params![id, crate::time::text(now), data, hlc],
    )?;
    let territory = org::account(tx, account)?.and_then(|a| a.territory_id);
    if let Some(b) = changelog::territory_bucket(territory) {
        changelog::put(tx, &b, &Row::Appointment(rec.clone()))?;
    }
    Ok(rec)
}

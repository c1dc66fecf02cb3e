//! Two copies of one shop. A rep's new account that looks like one already in its
//! territory is put before the manager in Review; merging moves the new copy's contacts,
//! activities, corrections, follow-ups and photos onto the other account and takes the copy out
//! of its territory, so every device drops it and nothing of it is lost.

use chrono::{DateTime, Utc};
use rounds_core::duplicate::{Place, Why, likely_duplicates};
use rounds_protocol::records::{
    AccountRecord, ActivityRecord, AppointmentRecord, ContactRecord, FollowUpRecord,
};
use rounds_protocol::sync::Row;
use rounds_protocol::{AccountId, ErrorCode, UserId};
use uuid::Uuid;

use crate::changelog::{self, territory_bucket};
use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::{org, params, time};

fn place(rec: &AccountRecord) -> Place<'_> {
    Place {
        name: &rec.name,
        phone: rec.phone.as_deref(),
        at: rec
            .lat
            .zip(rec.lon)
            .and_then(|(lat, lon)| rounds_core::LatLon::new(lat, lon).ok()),
    }
}

fn words(why: &[Why], distance_m: Option<f64>) -> String {
    let mut parts: Vec<String> = why
        .iter()
        .map(|w| match w {
            Why::SamePhone => "the same phone".to_owned(),
            Why::SimilarName => "a similar name".to_owned(),
            Why::Nearby => match distance_m {
                Some(m) => format!("{m:.0} m away"),
                None => "nearby".to_owned(),
            },
        })
        .collect();
    parts.dedup();
    parts.join(", ")
}

/// Flags `rec` (just created from a device) when an account already in its territory
/// looks like the same shop: the most alike one is offered for a merge in Review.
pub fn flag_lookalike(tx: &mut dyn Sql, rec: &AccountRecord, now: DateTime<Utc>) -> Result<()> {
    let Some(territory) = rec.territory_id else {
        return Ok(());
    };
    let rows = tx.query(
        "SELECT a.data FROM accounts a WHERE a.territory_id = $1 AND a.id <> $2
           AND NOT EXISTS (SELECT 1 FROM account_merges m WHERE m.account_id = a.id)",
        params![territory, rec.id],
    )?;
    let others: Vec<AccountRecord> = rows
        .iter()
        .filter_map(|r| r.json::<AccountRecord>("data").ok())
        .collect();
    let found = likely_duplicates(&place(rec), others.iter().map(|o| (o.id, place(o))));
    let Some(best) = found.first() else {
        return Ok(());
    };
    let Some(other) = others.iter().find(|o| o.id == best.account) else {
        return Ok(());
    };
    let why = format!(
        "looks like {}: {}",
        other.name,
        words(&best.why, best.distance_m)
    );
    tx.exec(
        "INSERT INTO duplicate_accounts (id, account_id, other_id, why, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![Uuid::now_v7(), rec.id, other.id, why, time::text(now)],
    )?;
    Ok(())
}

fn refused(message: impl Into<String>) -> Error {
    Error::client(ErrorCode::Conflict, message)
}

fn merged(tx: &mut dyn Sql, id: AccountId) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM account_merges WHERE account_id = $1",
            params![id],
        )?
        .is_some())
}

/// Merges `from` into `into`: contacts (a second primary becomes plain), activities,
/// corrections, follow-ups and photos move, devices holding `into`'s territory receive them
/// there, and `from` leaves its territory (its row and its history facts stay, with
/// where it went in `account_merges`).
pub fn merge(
    tx: &mut Tx<'_>,
    from: AccountId,
    into: AccountId,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    if from == into {
        return Err(refused("an account cannot be merged into itself"));
    }
    let (Some(_), Some(target)) = (org::account(tx, from)?, org::account(tx, into)?) else {
        return Err(Error::client(
            ErrorCode::NotFound,
            "one of the two accounts is not on the server",
        ));
    };
    if merged(tx, from)? || merged(tx, into)? {
        return Err(refused("one of the two accounts was already merged"));
    }
    let bucket = territory_bucket(target.territory_id);
    let has_primary = tx
        .query(
            "SELECT data FROM contacts WHERE account_id = $1",
            params![into],
        )?
        .iter()
        .filter_map(|r| r.json::<ContactRecord>("data").ok())
        .any(|c| c.primary);
    for r in tx.query(
        "SELECT data FROM contacts WHERE account_id = $1",
        params![from],
    )? {
        let mut c: ContactRecord = r.json("data")?;
        c.account_id = into;
        c.primary &= !has_primary;
        let data = serde_json::to_string(&c).map_err(|e| Error::Internal(e.to_string()))?;
        tx.exec(
            "UPDATE contacts SET account_id = $2, data = $3 WHERE id = $1",
            params![c.id, into, data],
        )?;
        if let Some(b) = &bucket {
            changelog::put(tx, b, &Row::Contact(c))?;
        }
    }
    for r in tx.query(
        "SELECT data, status FROM activities WHERE account_id = $1",
        params![from],
    )? {
        let mut a: ActivityRecord = r.json("data")?;
        a.account_id = into;
        let data = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
        tx.exec(
            "UPDATE activities SET account_id = $2, territory_id = $3, data = $4 WHERE id = $1",
            params![a.id, into, target.territory_id, data],
        )?;
        if r.text("status")? == "ok"
            && let Some(b) = &bucket
        {
            changelog::put(tx, b, &Row::Activity(a))?;
        }
    }
    let corrections = tx.query(
        "SELECT data FROM corrections WHERE account_id = $1 AND status = 'ok'",
        params![from],
    )?;
    tx.exec(
        "UPDATE corrections SET account_id = $2 WHERE account_id = $1",
        params![from, into],
    )?;
    // A CRM record imported as the duplicate is the kept account from now on.
    tx.exec(
        "UPDATE import_sources SET account_id = $2 WHERE account_id = $1",
        params![from, into],
    )?;
    for r in corrections {
        if let Some(b) = &bucket {
            changelog::put(tx, b, &Row::Correction(r.json("data")?))?;
        }
    }
    for r in tx.query(
        "SELECT data FROM follow_ups WHERE account_id = $1",
        params![from],
    )? {
        let mut f: FollowUpRecord = r.json("data")?;
        f.account_id = into;
        let data = serde_json::to_string(&f).map_err(|e| Error::Internal(e.to_string()))?;
        tx.exec(
            "UPDATE follow_ups SET account_id = $2, data = $3 WHERE id = $1",
            params![f.id, into, data],
        )?;
        if let Some(b) = &bucket {
            changelog::put(tx, b, &Row::FollowUp(f))?;
        }
    }
    for r in tx.query(
        "SELECT data FROM appointments WHERE account_id = $1",
        params![from],
    )? {
        let mut a: AppointmentRecord = r.json("data")?;
        a.account_id = into;
        let data = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
        tx.exec(
            "UPDATE appointments SET account_id = $2, data = $3 WHERE id = $1",
            params![a.id, into, data],
        )?;
        if let Some(b) = &bucket {
            changelog::put(tx, b, &Row::Appointment(a))?;
        }
    }
    let photos = crate::photos::of_account(tx, from)?;
    tx.exec(
        "UPDATE photos SET account_id = $2 WHERE account_id = $1",
        params![from, into],
    )?;
    for p in photos {
        if let Some(b) = &bucket {
            let mut rec = p.record();
            rec.account_id = into;
            changelog::put(tx, b, &Row::Photo(rec))?;
        }
    }
    // Out of its territory: every device holding it drops it (what travelled with it has
    // moved already).
    org::assign_account(tx, from, None, now)?;
    tx.exec(
        "INSERT INTO account_merges (account_id, into_id, merged_by, merged_at) VALUES ($1, $2, $3, $4)",
        params![from, into, by, time::text(now)],
    )?;
    Ok(())
}

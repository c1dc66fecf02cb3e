//! A rep's appointments, and the visits their device last planned, as an iCalendar
//! feed: a secret address their calendar app subscribes to, so the visits they booked
//! and planned show where they look every morning.
//! The address is the only key (calendar apps send no credentials); only its SHA-256 is
//! kept, and making a new one ends the old.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rounds_protocol::records::{AccountRecord, AppointmentRecord};
use rounds_protocol::week::PlannedVisit;
use rounds_protocol::{AccountId, UserId};

use crate::auth::{new_token, token_hash};
use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::{params, time};

/// Appointments this many days old still show (a calendar keeps the recent past).
pub const PAST_DAYS: u64 = 30;

/// Makes the user's feed address anew (the old one stops working); answers the secret
/// that names it: the feed is at `/calendar/<secret>.ics`.
pub fn new_feed(tx: &mut Tx<'_>, user: UserId, now: DateTime<Utc>) -> Result<String> {
    let secret = new_token()?;
    tx.exec(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,
             created_at = excluded.created_at",
        params![user, token_hash(&secret), time::text(now)],
    )?;
    Ok(secret)
}

/// The feed a secret names, as iCalendar text; `None` for a secret that names none (a
/// replaced address, a guess) or a deactivated user.
pub fn feed(tx: &mut dyn Sql, secret: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    let Some(row) = tx.query_opt(
        "SELECT u.id, u.name, u.time_zone FROM calendar_feeds f JOIN users u ON u.id = f.user_id
         WHERE f.token_hash = $1 AND u.active = 1",
        params![token_hash(secret)],
    )?
    else {
        return Ok(None);
    };
    let user: UserId = row.parse("id")?;
    let name = row.text("name")?;
    let zone = row.text("time_zone")?;
    let tz: chrono_tz::Tz = zone
        .parse()
        .map_err(|_| Error::Internal(format!("user {user} has no valid time zone")))?;
    let from = rounds_core::calendar::local_date(tz, now)
        .checked_sub_days(Days::new(PAST_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let mut booked = Vec::new();
    for r in tx.query(
        "SELECT p.data, a.data AS account FROM appointments p
         JOIN accounts a ON a.id = p.account_id
         WHERE p.rep_id = $1 AND p.on_day >= $2 ORDER BY p.on_day, p.at_min, p.id",
        params![user, from.to_string()],
    )? {
        booked.push((
            r.json::<AppointmentRecord>("data")?,
            r.json::<AccountRecord>("account")?,
        ));
    }
    // The planned visits from today on; an appointment in the plan is one already. Only
    // accounts the rep holds now are named: the plan is the device's word, and an
    // account moved away since stays with its new rep.
    let today = rounds_core::calendar::local_date(tz, now);
    let mut planned = Vec::new();
    if let Some((week, _)) = crate::planned_weeks::of_rep(tx, user)? {
        let visits: Vec<(NaiveDate, PlannedVisit)> = week
            .days
            .iter()
            .filter(|d| d.date >= today)
            .flat_map(|d| {
                d.visits
                    .iter()
                    .filter(|v| !v.appointment)
                    .map(move |v| (d.date, v.clone()))
            })
            .collect();
        let ids: Vec<AccountId> = visits.iter().map(|(_, v)| v.account_id).collect();
        let held = crate::planned_weeks::held_accounts(tx, user, &ids)?;
        planned.extend(visits.into_iter().filter_map(|(on, v)| {
            let account = held.get(&v.account_id)?.clone();
            Some((on, v, account))
        }));
    }
    Ok(Some(rounds_protocol::calendar::render(
        (user, &name),
        &zone,
        &booked,
        &planned,
        now,
    )))
}

//! Where an account is when no one has said: its postal code's middle, found offline
//! (see `rounds-geocode`), then, when an external geocoder is set, its street address
//! (looked up in the background; each address text sent once, its answer kept in
//! `geocodes`). A location a rep, a manager or a file gave always wins.

use chrono::{DateTime, Duration, Utc};
use rounds_core::LocationSource;
use rounds_protocol::AccountId;
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::LatLonRecord;

use crate::db::{Sql, Tx};
use crate::error::Result;
use crate::fields::FieldChange;
use crate::{params, time};

pub use rounds_geocode::Miss;

fn address(r: &AccountRecord) -> [&str; 5] {
    [&r.street, &r.city, &r.region, &r.postal_code, &r.country]
}

/// Places `rec` by its postal code when it is new (`before` is `None`) or its address
/// changed since `before`, and nothing better holds its location: it has none, or only a
/// geocode. A geocode of an old address that the new one cannot replace is cleared, not
/// left where it is wrong. An unchanged address is left alone, so an export imports back
/// unchanged. Returns why the account could not be placed, when that was tried.
pub fn by_postal_code(rec: &mut AccountRecord, before: Option<&AccountRecord>) -> Option<Miss> {
    let located = rec.lat.is_some() && rec.lon.is_some();
    let replaceable = !located
        || rec
            .location_source
            .is_some_and(LocationSource::geocode_may_replace);
    if !replaceable || before.is_some_and(|b| address(b) == address(rec)) {
        return None;
    }
    match rounds_geocode::locate(&rec.country, &rec.postal_code) {
        Ok(place) => {
            rec.lat = Some(place.lat);
            rec.lon = Some(place.lon);
            rec.location_source = Some(LocationSource::PostalCode);
            None
        }
        Err(miss) => {
            rec.lat = None;
            rec.lon = None;
            rec.location_source = None;
            Some(miss)
        }
    }
}

/// Why an account without a location cannot be placed by its postal code, as a
/// manager is told; `None` when it has a location.
pub fn why_not_placed(rec: &AccountRecord) -> Option<String> {
    if rec.lat.is_some() && rec.lon.is_some() {
        return None;
    }
    Some(
        match rounds_geocode::locate(&rec.country, &rec.postal_code) {
            Err(miss) => capitalised(&miss.to_string()),
            // Placeable now (the table knows it); it came in before placing existed or its
            // location was cleared by hand.
            Ok(_) => "Its postal code is known: place it here".to_owned(),
        },
    )
}

/// The text an account's address is looked up by: its parts, trimmed, joined by ", ";
/// `None` without a street (a postal code alone is placed offline).
pub fn address_text(rec: &AccountRecord) -> Option<String> {
    if rec.street.trim().is_empty() {
        return None;
    }
    let parts: Vec<String> = [
        &rec.street,
        &rec.city,
        &rec.region,
        &rec.postal_code,
        &rec.country,
    ]
    .into_iter()
    .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
    .filter(|p| !p.is_empty())
    .collect();
    Some(parts.join(", "))
}

/// The address `rec` waits to be placed at: it has a street, and no location or only
/// its postal code's middle.
pub fn wants_address(rec: &AccountRecord) -> Option<String> {
    let located = rec.lat.is_some() && rec.lon.is_some();
    match (located, rec.location_source) {
        (false, _) | (true, Some(LocationSource::PostalCode)) => address_text(rec),
        _ => None,
    }
}

/// What the geocoder said about an address text before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cached {
    Found {
        lat: f64,
        lon: f64,
    },
    /// It knows no such place: not asked again.
    Nowhere,
    /// Asking failed; ask again from then.
    RetryAt(DateTime<Utc>),
}

/// An answer of the geocoder, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found { lat: f64, lon: f64 },
    Nowhere,
    Failed(String),
}

pub fn cached(tx: &mut dyn Sql, query: &str) -> Result<Option<Cached>> {
    let Some(r) = tx.query_opt(
        "SELECT status, lat, lon, next_try_at FROM geocodes WHERE query = $1",
        params![query.to_owned()],
    )?
    else {
        return Ok(None);
    };
    let coord = |v: Option<String>| v.and_then(|v| v.parse::<f64>().ok());
    Ok(Some(match r.text("status")?.as_str() {
        "found" => match (coord(r.opt_text("lat")?), coord(r.opt_text("lon")?)) {
            (Some(lat), Some(lon)) => Cached::Found { lat, lon },
            _ => Cached::Nowhere,
        },
        "none" => Cached::Nowhere,
        _ => Cached::RetryAt(
            r.opt_text("next_try_at")?
                .and_then(|t| time::parse(&t))
                .unwrap_or(DateTime::UNIX_EPOCH),
        ),
    }))
}

/// How long before a failed lookup is tried again: `base` after the first failure,
/// doubling each time, a day at most.
pub fn retry_after(attempts: i64, base: Duration) -> Duration {
    (base * (1i32 << attempts.clamp(1, 16).saturating_sub(1))).min(Duration::days(1))
}

/// Keeps what the geocoder said about `query`.
pub fn remember(
    tx: &mut Tx<'_>,
    query: &str,
    answer: &Lookup,
    retry_base: Duration,
    now: DateTime<Utc>,
) -> Result<()> {
    let attempts = tx
        .query_opt(
            "SELECT attempts FROM geocodes WHERE query = $1",
            params![query.to_owned()],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0)
        + 1;
    let (status, lat, lon, error, next) = match answer {
        Lookup::Found { lat, lon } => (
            "found",
            Some(lat.to_string()),
            Some(lon.to_string()),
            None,
            None,
        ),
        Lookup::Nowhere => ("none", None, None, None, None),
        Lookup::Failed(e) => (
            "failed",
            None,
            None,
            Some(e.chars().take(300).collect::<String>()),
            Some(time::text(now + retry_after(attempts, retry_base))),
        ),
    };
    tx.exec(
        "INSERT INTO geocodes (query, status, lat, lon, attempts, last_error, next_try_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (query) DO UPDATE SET status = excluded.status, lat = excluded.lat,
             lon = excluded.lon, attempts = excluded.attempts, last_error = excluded.last_error,
             next_try_at = excluded.next_try_at, updated_at = excluded.updated_at",
        params![query.to_owned(), status, lat, lon, attempts, error, next, time::text(now)],
    )?;
    Ok(())
}

/// How many address texts the geocoder found, did not know, and is still failing on.
pub fn lookups(tx: &mut dyn Sql) -> Result<(i64, i64, i64)> {
    let mut out = (0, 0, 0);
    for r in tx.query(
        "SELECT status, COUNT(*) AS n FROM geocodes GROUP BY status",
        &[],
    )? {
        let n = r.int("n")?;
        match r.text("status")?.as_str() {
            "found" => out.0 = n,
            "none" => out.1 = n,
            _ => out.2 = n,
        }
    }
    Ok(out)
}

/// An account waiting to be placed at its address.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub account: AccountId,
    pub query: String,
}

/// Up to `limit` accounts after `after` (by id) and those among them waiting to be placed
/// at their address; the last id read, to go on from (`None`: the end was reached).
pub fn awaiting(
    tx: &mut dyn Sql,
    after: Option<AccountId>,
    limit: usize,
) -> Result<(Vec<Waiting>, Option<AccountId>)> {
    let rows = match after {
        Some(a) => tx.query(
            "SELECT id, data FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
            params![a, limit as i64],
        )?,
        None => tx.query(
            "SELECT id, data FROM accounts ORDER BY id LIMIT $1",
            params![limit as i64],
        )?,
    };
    let last = if rows.len() < limit {
        None
    } else {
        rows.last()
            .map(|r| r.parse::<AccountId>("id"))
            .transpose()?
    };
    let mut out = Vec::new();
    for r in &rows {
        // A row that does not read is the damage scan's to report, not this one's.
        let Ok(rec) = r.json::<AccountRecord>("data") else {
            continue;
        };
        if let Some(query) = wants_address(&rec) {
            out.push(Waiting {
                account: rec.id,
                query,
            });
        }
    }
    Ok((out, last))
}

/// Places account `id` at the geocode of `query`, as the server's edit, if it still waits
/// for that same address (a rep may have set a pin, or the address changed, meanwhile).
pub fn place_at_address(
    tx: &mut Tx<'_>,
    id: AccountId,
    query: &str,
    lat: f64,
    lon: f64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(rec) = crate::org::account(tx, id)? else {
        return Ok(false);
    };
    if wants_address(&rec).as_deref() != Some(query) || rounds_core::LatLon::new(lat, lon).is_err()
    {
        return Ok(false);
    }
    let place = FieldChange::Place {
        at: Some(LatLonRecord { lat, lon }),
        source: Some(LocationSource::Address),
    };
    let out = crate::fields::edit_account(tx, id, &[place], None, now)?;
    Ok(!out.applied.is_empty())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rounds_core::Stage;
    use rounds_protocol::AccountId;

    /// A corner shop's record (also the account list's tests' fixture).
    pub(crate) fn account(
        postal_code: &str,
        at: Option<(f64, f64)>,
        source: Option<LocationSource>,
    ) -> AccountRecord {
        AccountRecord {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            name: "Corner Shop".into(),
            street: "1 Main St".into(),
            city: String::new(),
            region: String::new(),
            postal_code: postal_code.into(),
            country: "US".into(),
            lat: at.map(|a| a.0),
            lon: at.map(|a| a.1),
            stage: Stage::Lead,
            priority: rounds_core::Priority::Medium,
            kare: None,
            currency: "USD".into(),
            revenue_minor: 0,
            expenses_minor: 0,
            phone: None,
            email: None,
            industry: None,
            territory_id: None,
            created_at: DateTime::UNIX_EPOCH,
            lead_on: None,
            opportunity_on: None,
            won_on: None,
            lost_on: None,
            hours: None,
            visit_minutes: None,
            closed_on: None,
            preferred_hours: None,
            potential_minor: None,
            potential_estimate_minor: None,
            location_source: source,
        }
    }

    const PIN: (f64, f64) = (39.75, -104.99);

    #[test]
    fn a_new_account_lands_at_its_zip() {
        let mut a = account("80202", None, None);
        assert_eq!(by_postal_code(&mut a, None), None);
        assert_eq!(a.location_source, Some(LocationSource::PostalCode));
        assert!((a.lat.unwrap() - 39.75).abs() < 0.1, "{:?}", a.lat);
    }

    #[test]
    fn a_pin_given_by_a_person_is_never_replaced() {
        for source in [
            Some(LocationSource::Device),
            Some(LocationSource::Hand),
            Some(LocationSource::Imported),
            None,
        ] {
            let before = account("80202", Some(PIN), source);
            let mut after = account("30303", Some(PIN), source);
            assert_eq!(by_postal_code(&mut after, Some(&before)), None);
            assert_eq!(
                (after.lat, after.lon),
                (Some(PIN.0), Some(PIN.1)),
                "{source:?}"
            );
            assert_eq!(after.location_source, source);
        }
    }

    #[test]
    fn a_geocode_follows_its_address() {
        let mut first = account("80202", None, None);
        by_postal_code(&mut first, None);
        let mut moved = first.clone();
        moved.postal_code = "30303".into();
        assert_eq!(by_postal_code(&mut moved, Some(&first)), None);
        assert!(
            (moved.lat.unwrap() - 33.75).abs() < 0.1,
            "Atlanta: {:?}",
            moved.lat
        );
        // Unchanged address: left alone (no work, same answer).
        let mut again = moved.clone();
        assert_eq!(by_postal_code(&mut again, Some(&moved)), None);
        assert_eq!(again, moved);
    }

    #[test]
    fn failed_lookups_wait_longer_each_time_up_to_a_day() {
        let base = Duration::minutes(1);
        let waits: Vec<i64> = (1..=13)
            .map(|a| retry_after(a, base).num_minutes())
            .collect();
        assert_eq!(&waits[..5], &[1, 2, 4, 8, 16]);
        assert_eq!(waits[12], 24 * 60, "a day at most");
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn only_accounts_with_a_street_and_no_better_place_wait_for_an_address() {
        let mut a = account("80202", None, None);
        a.city = "Denver".into();
        a.region = "CO".into();
        assert_eq!(
            wants_address(&a).as_deref(),
            Some("1 Main St, Denver, CO, 80202, US")
        );
        by_postal_code(&mut a, None);
        assert!(
            wants_address(&a).is_some(),
            "a postal code's middle is refined"
        );
        for better in [
            LocationSource::Address,
            LocationSource::Device,
            LocationSource::Hand,
            LocationSource::Imported,
        ] {
            let b = account("80202", Some(PIN), Some(better));
            assert_eq!(wants_address(&b), None, "{better:?}");
        }
        let mut no_street = account("80202", None, None);
        no_street.street = "  ".into();
        assert_eq!(wants_address(&no_street), None);
    }

    #[test]
    fn an_unchanged_address_is_left_alone() {
        let before = account("80202", None, None);
        let mut same = before.clone();
        assert_eq!(by_postal_code(&mut same, Some(&before)), None);
        assert_eq!(same, before, "not placed: nothing asked for it");
        assert_eq!(
            why_not_placed(&same).as_deref(),
            Some("Its postal code is known: place it here")
        );
    }

    #[test]
    fn a_stale_geocode_is_cleared_with_the_reason() {
        let mut first = account("80202", None, None);
        by_postal_code(&mut first, None);
        let mut abroad = first.clone();
        abroad.country = "DE".into();
        abroad.postal_code = "10115".into();
        let miss = by_postal_code(&mut abroad, Some(&first));
        assert_eq!(miss, Some(Miss::CountryNotCovered("DE".into())));
        assert_eq!((abroad.lat, abroad.location_source), (None, None));
        assert_eq!(
            why_not_placed(&abroad).as_deref(),
            Some("Postal codes of DE are not known offline (only the United States)")
        );
    }

    #[test]
    fn why_not_placed_is_said_only_for_accounts_off_the_map() {
        assert_eq!(why_not_placed(&account("", Some(PIN), None)), None);
        assert_eq!(
            why_not_placed(&account("", None, None)).as_deref(),
            Some("No postal code")
        );
        assert_eq!(
            why_not_placed(&account("00000", None, None)).as_deref(),
            Some("ZIP code 00000 is not in the table (retired, or a P.O.-box-only code)")
        );
    }
}

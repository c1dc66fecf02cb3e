//! Territories made of postal codes: which territory each postal code belongs to (set when
//! a territory design is published), the rule that places a new account by its postal
//! code, and where an account's territory came from.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rounds_protocol::TerritoryId;

use crate::db::{Sql, Tx};
use crate::error::Result;
use crate::{params, time};

/// A postal code as units are keyed: the country and the code, upper case, no spaces.
/// `None` when the code is empty.
pub fn key(country: &str, postal_code: &str) -> Option<(String, String)> {
    let code: String = postal_code
        .split_whitespace()
        .collect::<String>()
        .to_uppercase();
    (!code.is_empty()).then(|| (country.trim().to_uppercase(), code))
}

/// Every postal code that belongs to a territory.
pub fn all(tx: &mut dyn Sql) -> Result<HashMap<(String, String), TerritoryId>> {
    tx.query(
        "SELECT country, postal_code, territory_id FROM territory_units",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok((
            (r.text("country")?, r.text("postal_code")?),
            r.parse("territory_id")?,
        ))
    })
    .collect()
}

/// The territory `country`'s `postal_code` belongs to, if any.
pub fn territory_of(
    tx: &mut dyn Sql,
    country: &str,
    postal_code: &str,
) -> Result<Option<TerritoryId>> {
    let Some((country, code)) = key(country, postal_code) else {
        return Ok(None);
    };
    tx.query_opt(
        "SELECT territory_id FROM territory_units WHERE country = $1 AND postal_code = $2",
        params![country, code],
    )?
    .map(|r| r.parse("territory_id"))
    .transpose()
    .map_err(Into::into)
}

/// Puts each postal code in its territory (replacing where it was).
pub fn assign(
    tx: &mut Tx<'_>,
    units: &HashMap<(String, String), TerritoryId>,
    now: DateTime<Utc>,
) -> Result<()> {
    for ((country, code), territory) in units {
        tx.exec(
            "INSERT INTO territory_units (country, postal_code, territory_id, assigned_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (country, postal_code) DO UPDATE SET
                 territory_id = excluded.territory_id, assigned_at = excluded.assigned_at",
            params![
                country.clone(),
                code.clone(),
                territory.to_string(),
                time::text(now)
            ],
        )?;
    }
    Ok(())
}

/// How far a postal code with no account may be from the nearest published one to be
/// given to its territory: about a suburb's width, so a territory takes the codes between
/// and around its accounts, not the open country beyond them.
pub const FILL_KM: f64 = 12.0;

/// Gives each US postal code with no account near the codes just published
/// (`published`, a design's codes and their territories) to the territory of the nearest
/// published code within [`FILL_KM`] (their ZIP centroids; see `rounds_geocode`), so an
/// account added there later lands in it. A code that belongs to a territory outside
/// `design` is left where it is. The codes given, with their territory.
pub fn fill(
    tx: &mut Tx<'_>,
    design: &[TerritoryId],
    published: &HashMap<(String, String), TerritoryId>,
    now: DateTime<Utc>,
) -> Result<HashMap<(String, String), TerritoryId>> {
    // The published codes that are US ZIP codes, at their centroids, in a stable order.
    let mut sites: Vec<(String, rounds_geocode::Place, TerritoryId)> = published
        .iter()
        .filter(|((country, _), _)| rounds_geocode::is_us(country))
        .filter_map(|((country, code), t)| {
            rounds_geocode::locate(country, code)
                .ok()
                .map(|p| (country.clone(), p, *t))
        })
        .collect();
    sites.sort_by(|a, b| {
        (a.1.lat, a.1.lon)
            .partial_cmp(&(b.1.lat, b.1.lon))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if sites.is_empty() {
        return Ok(HashMap::new());
    }
    let taken: std::collections::HashSet<String> = published
        .keys()
        .filter_map(|(_, code)| rounds_geocode::us_zip(code))
        .collect();
    let owners = all(tx)?;
    let margin = 0.2; // degrees: more than FILL_KM in every direction
    let (mut s, mut w, mut n, mut e) = (90.0f64, 180.0f64, -90.0f64, -180.0f64);
    for (_, p, _) in &sites {
        (s, w, n, e) = (s.min(p.lat), w.min(p.lon), n.max(p.lat), e.max(p.lon));
    }
    let candidates: Vec<(String, rounds_geocode::Place)> =
        rounds_geocode::us_codes_within(s - margin, w - margin, n + margin, e + margin)
            .into_iter()
            .filter(|(zip, _)| !taken.contains(zip))
            .collect();
    let place = |p: &rounds_geocode::Place| rounds_territory::Place::new(p.lat, p.lon);
    let nearest = rounds_territory::nearest_within(
        &sites.iter().map(|(_, p, _)| place(p)).collect::<Vec<_>>(),
        &candidates.iter().map(|(_, p)| place(p)).collect::<Vec<_>>(),
        FILL_KM,
    );
    let mut given = HashMap::new();
    for ((zip, _), near) in candidates.into_iter().zip(nearest) {
        let Some(i) = near else { continue };
        let (country, _, territory) = &sites[i];
        let Some(unit) = key(country, &zip) else {
            continue;
        };
        let free = owners.get(&unit).is_none_or(|t| design.contains(t));
        if free {
            given.insert(unit, *territory);
        }
    }
    assign(tx, &given, now)?;
    Ok(given)
}

/// A postal code a territory took with no account: its key, latitude, longitude and
/// territory.
pub type EmptyCode = ((String, String), f64, f64, TerritoryId);

/// The postal codes of `territories` not among `used` (the codes of the accounts, as
/// [`key`] makes them): the land a territory took between its accounts (see [`fill`]),
/// placed at their ZIP centroids: (the code's key, latitude, longitude, territory), in
/// code order. Codes not known offline are left out.
pub fn empty_codes(
    tx: &mut dyn Sql,
    territories: &[TerritoryId],
    used: &std::collections::HashSet<(String, String)>,
) -> Result<Vec<EmptyCode>> {
    let mut rows: Vec<((String, String), TerritoryId)> = all(tx)?
        .into_iter()
        .filter(|(k, t)| territories.contains(t) && !used.contains(k))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows
        .into_iter()
        .filter_map(|((country, code), t)| {
            rounds_geocode::locate(&country, &code)
                .ok()
                .map(|p| ((country, code), p.lat, p.lon, t))
        })
        .collect())
}

/// Where an account's territory came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Its postal code belongs to the territory it is in.
    PostalCode,
    /// It is where a person put it; its postal code belongs to another territory.
    ByHandElsewhere(TerritoryId),
    /// It is where a person put it; its postal code belongs to no territory.
    ByHand,
    /// It is in no territory.
    None,
}

/// Where `territory` (an account's, with its address) came from.
pub fn source(
    tx: &mut dyn Sql,
    territory: Option<TerritoryId>,
    country: &str,
    postal_code: &str,
) -> Result<Source> {
    let Some(territory) = territory else {
        return Ok(Source::None);
    };
    Ok(match territory_of(tx, country, postal_code)? {
        Some(t) if t == territory => Source::PostalCode,
        Some(t) => Source::ByHandElsewhere(t),
        None => Source::ByHand,
    })
}

/// The most postal codes one move takes (a lasso over a few metros); more is refused.
pub const MAX_CODES: usize = 2_000;

/// The accounts of `team` at any of `codes` (see [`key`]; all in `country`), by name.
pub fn accounts_at_any<'a>(
    accounts: &'a [rounds_core::Account],
    country: &str,
    codes: &[String],
) -> Vec<&'a rounds_core::Account> {
    let wanted: std::collections::HashSet<(String, String)> =
        codes.iter().filter_map(|c| key(country, c)).collect();
    let mut out: Vec<&rounds_core::Account> = accounts
        .iter()
        .filter(|a| {
            key(&a.address.country, &a.address.postal_code).is_some_and(|k| wanted.contains(&k))
        })
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    out
}

/// A short fingerprint of accounts and their territories: equal when a preview and its
/// confirmation saw the same accounts where they were.
pub fn fingerprint<'a>(accounts: impl IntoIterator<Item = &'a rounds_core::Account>) -> String {
    let mut pairs: Vec<(String, String)> = accounts
        .into_iter()
        .map(|a| {
            (
                a.id.to_string(),
                a.territory.map(|t| t.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    pairs.sort();
    crate::design::short_digest(pairs.iter().map(|(a, t)| (a.as_str(), t.as_str())))
}

/// Moves postal codes (of one country) to territory `to`: the team's accounts there
/// (which must be as the manager saw them in the preview, `seen` being their
/// [`fingerprint`]) move through the manager's move path, and the codes belong to `to`
/// from now on. All or nothing. The number of accounts moved.
pub fn reassign(
    tx: &mut Tx<'_>,
    viewer: &crate::sessions::SignedIn,
    country: &str,
    codes: &[String],
    to: TerritoryId,
    seen: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let invalid = |m: &str| crate::Error::client(rounds_protocol::ErrorCode::InvalidInput, m);
    let units: Vec<(String, String)> = codes.iter().filter_map(|c| key(country, c)).collect();
    if units.is_empty() {
        return Err(invalid("a postal code is needed"));
    }
    if units.len() > MAX_CODES {
        return Err(invalid("too many postal codes in one move"));
    }
    let mut team = crate::scope::team(tx, viewer)?;
    let all = crate::scope::accounts(tx, &mut team)?;
    let here = accounts_at_any(&all, country, codes);
    if fingerprint(here.iter().copied()) != seen {
        return Err(crate::Error::client(
            rounds_protocol::ErrorCode::Conflict,
            "the accounts at these postal codes changed since the preview; look at it again",
        ));
    }
    let ids: Vec<rounds_protocol::AccountId> = here.iter().map(|a| a.id).collect();
    let reach = crate::scope::reach(&team);
    let moved = crate::manage::move_accounts(tx, &reach, &ids, to, now)?;
    assign(tx, &units.into_iter().map(|u| (u, to)).collect(), now)?;
    Ok(moved)
}

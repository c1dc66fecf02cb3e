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

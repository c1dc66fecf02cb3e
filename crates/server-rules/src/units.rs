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

/// The accounts of `team` at one postal code (see [`key`]), by name.
pub fn accounts_at<'a>(
    accounts: &'a [rounds_core::Account],
    country: &str,
    postal_code: &str,
) -> Vec<&'a rounds_core::Account> {
    let Some(wanted) = key(country, postal_code) else {
        return Vec::new();
    };
    let mut out: Vec<&rounds_core::Account> = accounts
        .iter()
        .filter(|a| key(&a.address.country, &a.address.postal_code).as_ref() == Some(&wanted))
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    out
}

/// Moves a postal code to territory `to`: the team's accounts there (which must be exactly
/// `expected`, the ones the manager was shown) move through the manager's move path, and
/// the code belongs to `to` from now on. The number of accounts moved.
pub fn reassign(
    tx: &mut Tx<'_>,
    viewer: &crate::sessions::SignedIn,
    country: &str,
    postal_code: &str,
    to: TerritoryId,
    expected: &[rounds_protocol::AccountId],
    now: DateTime<Utc>,
) -> Result<usize> {
    let Some(unit) = key(country, postal_code) else {
        return Err(crate::Error::client(
            rounds_protocol::ErrorCode::InvalidInput,
            "a postal code is needed",
        ));
    };
    let mut team = crate::scope::team(tx, viewer)?;
    let all = crate::scope::accounts(tx, &mut team)?;
    let mut here: Vec<rounds_protocol::AccountId> = accounts_at(&all, country, postal_code)
        .iter()
        .map(|a| a.id)
        .collect();
    let mut shown = expected.to_vec();
    here.sort();
    shown.sort();
    if here != shown {
        return Err(crate::Error::client(
            rounds_protocol::ErrorCode::Conflict,
            "the accounts at this postal code changed since the preview; look at it again",
        ));
    }
    let reach = crate::scope::reach(&team);
    let moved = crate::manage::move_accounts(tx, &reach, &here, to, now)?;
    assign(tx, &HashMap::from([(unit, to)]), now)?;
    Ok(moved)
}

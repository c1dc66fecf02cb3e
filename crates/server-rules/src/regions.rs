//! Regions: territories grouped under a name, so a target set at the top rolls down
//! region → territory → rep (the quota page). A region is known by its name, the same
//! for every manager whatever its case; it is made when a first territory is put in it,
//! and removed when its last one leaves.

use chrono::{DateTime, Utc};
use rounds_protocol::{ErrorCode, TerritoryId};

use crate::db::{Sql, Tx};
use crate::manage::Reach;
use crate::{Error, Result, params, time};

/// The longest region name, in characters.
pub const MAX_NAME: usize = 60;

/// A region name as kept: trimmed, inner runs of white space made one space; `None` for a
/// blank one (no region); refused when longer than [`MAX_NAME`].
pub fn name(typed: &str) -> Result<Option<String>> {
    let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_NAME {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!("a region's name has at most {MAX_NAME} characters: “{name}”"),
        ));
    }
    Ok((!name.is_empty()).then_some(name))
}

/// Puts each territory of `changes` in the region named (made if new; `None`: in none),
/// all or nothing. Every territory must be within `reach`.
pub fn assign(
    tx: &mut Tx<'_>,
    reach: &Reach,
    changes: &[(TerritoryId, Option<String>)],
    now: DateTime<Utc>,
) -> Result<()> {
    for (territory, region) in changes {
        if !reach.allows(Some(*territory)) {
            return Err(Error::client(
                ErrorCode::NotFound,
                "no such territory among the ones you manage",
            ));
        }
        let known = tx.query_opt(
            "SELECT id FROM territories WHERE id = $1",
            params![*territory],
        )?;
        if known.is_none() {
            return Err(Error::client(ErrorCode::NotFound, "no such territory"));
        }
        tx.exec(
            "DELETE FROM territory_regions WHERE territory_id = $1",
            params![*territory],
        )?;
        let Some(region) = region else { continue };
        let region = name(region)?.unwrap_or_default();
        if region.is_empty() {
            continue;
        }
        // Compared here, not in SQL: SQLite's LOWER folds ASCII only.
        let mut existing = None;
        for r in tx.query("SELECT id, name FROM regions", &[])? {
            if r.text("name")?.to_lowercase() == region.to_lowercase() {
                existing = Some(r.text("id")?);
            }
        }
        let id = match existing {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                tx.exec(
                    "INSERT INTO regions (id, name, created_at) VALUES ($1, $2, $3)",
                    params![id.clone(), region, time::text(now)],
                )?;
                id
            }
        };
        tx.exec(
            "INSERT INTO territory_regions (territory_id, region_id) VALUES ($1, $2)",
            params![*territory, id],
        )?;
    }
    tx.exec(
        "DELETE FROM regions WHERE id NOT IN (SELECT region_id FROM territory_regions)",
        &[],
    )?;
    Ok(())
}

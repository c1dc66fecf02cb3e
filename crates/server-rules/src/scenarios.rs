//! Saved territory-design scenarios: a manager keeps a proposal under a name, to compare
//! it with today and with other proposals on a later visit, and to publish it then.
//!
//! A scenario keeps its alignment account by account, not only the weights it was made
//! with: the proposal is recomputed from accounts that change, so the weights alone would
//! not bring back what the manager saw. Reopened, it is read against today's accounts
//! (see `rounds_territory::Design::aligned`): an account added since goes with its postal
//! code, else stays where it is; publishing it goes through the same checked path as a
//! fresh proposal.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rounds_protocol::{AccountId, ErrorCode, TerritoryId, UserId};
use rounds_territory::{Column, Weights};
use serde::{Deserialize, Serialize};

use crate::db::{Sql, Tx};
use crate::design::{Loaded, Scope};
use crate::{Error, Result, params, time};

/// How many scenarios one manager keeps; the oldest must go before another is saved.
pub const MAX_SAVED: usize = 20;
/// The longest name, in characters.
pub const MAX_NAME: usize = 80;

/// What a scenario was proposed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub territories: Vec<TerritoryId>,
    pub keep_customers: bool,
    /// Workload, potential, compactness, disruption.
    pub weights: [f64; 4],
    /// A fraction.
    pub tolerance: f64,
}

impl Settings {
    pub fn new(scope: &Scope, weights: Weights, tolerance: f64) -> Settings {
        Settings {
            territories: scope.territories.clone(),
            keep_customers: scope.keep_customers,
            weights: [
                weights.workload,
                weights.potential,
                weights.compactness,
                weights.disruption,
            ],
            tolerance,
        }
    }

    pub fn scope(&self) -> Scope {
        Scope {
            territories: self.territories.clone(),
            keep_customers: self.keep_customers,
        }
    }

    pub fn weights(&self) -> Weights {
        let [workload, potential, compactness, disruption] = self.weights;
        Weights {
            workload,
            potential,
            compactness,
            disruption,
        }
    }
}

/// A saved scenario as a list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub name: String,
    pub settings: Settings,
    /// Accounts in it, and accounts it moved, when it was saved.
    pub accounts: u64,
    pub moved: u64,
    pub saved_at: DateTime<Utc>,
}

/// A saved scenario with its alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub summary: Summary,
    /// Each account's territory in it.
    pub alignment: HashMap<AccountId, TerritoryId>,
}

fn not_found() -> Error {
    Error::client(
        ErrorCode::NotFound,
        "no such saved scenario; it may have been deleted",
    )
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// A name as it is kept: trimmed, inner runs of white space made one space; refused when
/// empty or longer than [`MAX_NAME`].
pub fn name(typed: &str) -> Result<String> {
    let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "give the scenario a name",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!("a scenario's name has at most {MAX_NAME} characters"),
        ));
    }
    Ok(name)
}

/// Keeps the proposal `settings` make of `loaded` under `name` for `owner`, replacing a
/// scenario of theirs of the same name. `digest` must be that of the proposal the manager
/// saw (see [`Loaded::digest`]). The scenario's id.
pub fn save(
    tx: &mut Tx<'_>,
    owner: UserId,
    loaded: &Loaded,
    settings: &Settings,
    digest: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let column = &loaded
        .propose(settings.weights(), settings.tolerance)
        .map_err(|e| Error::client(ErrorCode::InvalidInput, e.to_string()))?;
    if loaded.digest(column) != digest {
        return Err(Error::client(
            ErrorCode::Conflict,
            "the accounts changed since this proposal was shown; look at it again before saving",
        ));
    }
    let name = self::name(name)?;
    let mut by_territory: BTreeMap<TerritoryId, Vec<AccountId>> = BTreeMap::new();
    for (a, t) in loaded.accounts.iter().zip(&column.territory_of) {
        if let Some(t) = t {
            by_territory
                .entry(loaded.territories[*t].id)
                .or_default()
                .push(*a);
        }
    }
    let alignment = serde_json::to_string(&by_territory).map_err(internal)?;
    let settings_json = serde_json::to_string(settings).map_err(internal)?;
    let existing = tx.query_opt(
        "SELECT id FROM design_scenarios WHERE owner_id = $1 AND name = $2",
        params![owner, name.clone()],
    )?;
    let id = match existing {
        Some(r) => {
            let id = r.text("id")?;
            tx.exec(
                "UPDATE design_scenarios SET settings = $2, alignment = $3, accounts = $4,
                     moved = $5, saved_at = $6 WHERE id = $1",
                params![
                    id.clone(),
                    settings_json,
                    alignment,
                    column.territory_of.len() as i64,
                    column.moved as i64,
                    time::text(now)
                ],
            )?;
            id
        }
        None => {
            let kept = tx
                .query_one(
                    "SELECT COUNT(*) AS n FROM design_scenarios WHERE owner_id = $1",
                    params![owner],
                )?
                .int("n")?;
            if kept >= MAX_SAVED as i64 {
                return Err(Error::client(
                    ErrorCode::Conflict,
                    format!(
                        "you keep {MAX_SAVED} scenarios already; delete one before saving another"
                    ),
                ));
            }
            let id = uuid::Uuid::now_v7().to_string();
            tx.exec(
                "INSERT INTO design_scenarios
                     (id, owner_id, name, settings, alignment, accounts, moved, saved_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    id.clone(),
                    owner,
                    name,
                    settings_json,
                    alignment,
                    column.territory_of.len() as i64,
                    column.moved as i64,
                    time::text(now)
                ],
            )?;
            id
        }
    };
    Ok(id)
}

fn summary(r: &crate::db::Row) -> Result<Summary> {
    Ok(Summary {
        id: r.text("id")?,
        name: r.text("name")?,
        settings: serde_json::from_str(&r.text("settings")?).map_err(internal)?,
        accounts: r.int("accounts")?.max(0) as u64,
        moved: r.int("moved")?.max(0) as u64,
        saved_at: time::parse(&r.text("saved_at")?).unwrap_or(DateTime::UNIX_EPOCH),
    })
}

/// `owner`'s scenarios, the latest saved first.
pub fn list(tx: &mut dyn Sql, owner: UserId) -> Result<Vec<Summary>> {
    tx.query(
        "SELECT id, name, settings, accounts, moved, saved_at FROM design_scenarios
         WHERE owner_id = $1 ORDER BY saved_at DESC, name",
        params![owner],
    )?
    .iter()
    .map(summary)
    .collect()
}

/// `owner`'s scenario `id`; not found for anyone else's.
pub fn get(tx: &mut dyn Sql, owner: UserId, id: &str) -> Result<Saved> {
    let r = tx
        .query_opt(
            "SELECT id, name, settings, accounts, moved, saved_at, alignment FROM design_scenarios
             WHERE id = $1 AND owner_id = $2",
            params![id, owner],
        )?
        .ok_or_else(not_found)?;
    let by_territory: BTreeMap<TerritoryId, Vec<AccountId>> =
        serde_json::from_str(&r.text("alignment")?).map_err(internal)?;
    Ok(Saved {
        summary: summary(&r)?,
        alignment: by_territory
            .into_iter()
            .flat_map(|(t, ids)| ids.into_iter().map(move |a| (a, t)))
            .collect(),
    })
}

/// Deletes `owner`'s scenario `id`; not found for anyone else's.
pub fn delete(tx: &mut Tx<'_>, owner: UserId, id: &str) -> Result<()> {
    let n = tx.exec(
        "DELETE FROM design_scenarios WHERE id = $1 AND owner_id = $2",
        params![id, owner],
    )?;
    if n == 0 {
        return Err(not_found());
    }
    Ok(())
}

impl Saved {
    /// The scenario as a column of `loaded`: each account where the scenario put it, if
    /// that territory is still in the design (see `rounds_territory::Design::aligned`).
    pub fn column(&self, loaded: &Loaded) -> Column {
        let index: HashMap<TerritoryId, usize> = loaded
            .territories
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id, i))
            .collect();
        let known: Vec<Option<usize>> = loaded
            .accounts
            .iter()
            .map(|a| self.alignment.get(a).and_then(|t| index.get(t).copied()))
            .collect();
        loaded.design.aligned(&known)
    }

    /// How many of the design's accounts the scenario does not know (added since, or
    /// moved in from a territory outside it).
    pub fn unknown(&self, loaded: &Loaded) -> usize {
        loaded
            .accounts
            .iter()
            .filter(|a| !self.alignment.contains_key(a))
            .count()
    }
}

/// A saved scenario read against today's accounts, as a column of the comparison.
#[derive(Debug, Clone)]
pub struct Compared {
    pub summary: Summary,
    /// Accounts of the design the scenario does not know (added since it was saved).
    pub unknown: usize,
    pub column: Column,
    /// The fingerprint a publish form carries (see [`Loaded::digest`]).
    pub digest: String,
}

/// Whether a scenario was made over the territories `loaded` designs.
fn same_territories(settings: &Settings, loaded: &Loaded) -> bool {
    let mut theirs: Vec<TerritoryId> = settings.territories.clone();
    let mut ours: Vec<TerritoryId> = loaded.territories.iter().map(|t| t.id).collect();
    theirs.sort();
    ours.sort();
    theirs == ours
}

/// `owner`'s scenarios among `wanted` that were made over the territories of `loaded`,
/// read against its accounts; one deleted since is left out.
pub fn compared(
    tx: &mut dyn Sql,
    owner: UserId,
    loaded: &Loaded,
    wanted: &[String],
) -> Result<Vec<Compared>> {
    let mut out = Vec::new();
    for id in wanted {
        let kept = match get(tx, owner, id) {
            Ok(k) => k,
            Err(Error::Client(_)) => continue,
            Err(e) => return Err(e),
        };
        if !same_territories(&kept.summary.settings, loaded) {
            continue;
        }
        let column = kept.column(loaded);
        out.push(Compared {
            digest: loaded.digest(&column),
            unknown: kept.unknown(loaded),
            summary: kept.summary,
            column,
        });
    }
    Ok(out)
}

/// A proposal to show or publish: made now with weights, or saved.
#[derive(Debug, Clone)]
pub enum Chosen {
    Fresh {
        scope: Scope,
        weights: Weights,
        /// A fraction.
        tolerance: f64,
    },
    /// The id of one of the viewer's saved scenarios.
    Saved(String),
}

/// The design `chosen` is made over as of `today`, and its column.
pub fn column_of(
    tx: &mut dyn Sql,
    viewer: &crate::sessions::SignedIn,
    chosen: &Chosen,
    today: chrono::NaiveDate,
) -> Result<(Loaded, Column)> {
    match chosen {
        Chosen::Fresh {
            scope,
            weights,
            tolerance,
        } => {
            let loaded = crate::design::load(tx, viewer, scope, today)?;
            let column = loaded
                .propose(*weights, *tolerance)
                .map_err(|e| Error::client(ErrorCode::InvalidInput, e.to_string()))?;
            Ok((loaded, column))
        }
        Chosen::Saved(id) => {
            let kept = get(tx, viewer.id, id)?;
            let loaded = crate::design::load(tx, viewer, &kept.summary.settings.scope(), today)?;
            let column = kept.column(&loaded);
            Ok((loaded, column))
        }
    }
}

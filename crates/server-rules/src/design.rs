//! Territory design for a manager: today's alignment of the territories they choose, and
//! proposals made over their accounts' postal codes (see `rounds-territory`), compared in
//! the same figures; publishing one moves its accounts through the same path as a
//! manager's move, so devices lose and gain accounts exactly once.
//!
//! Workload is what the rotation plan asks of each account in a month, with the drive to
//! it from its nearest other account (`rounds_core::workload`); potential is what the
//! accounts not lost could buy in a year, in the team's main currency
//! (`rounds_core::potential`: the figure set on each, else its rep's estimate).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::potential::{self, main_currency};
use rounds_core::workload::monthly;
use rounds_core::{Account, Currency};
use rounds_protocol::{AccountId, ErrorCode, TerritoryId};
use rounds_territory::{AlignError, Column, Design, DesignAccount, Place, Weights, nearest_km};
use sha2::{Digest, Sha256};

use crate::db::{Sql, Tx};
use crate::scope::{self as team_scope, Team, TerritoryRow};
use crate::sessions::SignedIn as Viewer;
use crate::{Error, Result};
use crate::{manage, units};

/// The accounts of the chosen territories, made into a design.
#[derive(Debug)]
pub struct Loaded {
    pub team: Team,
    /// Every account of the team (the design's are those in `territories`).
    pub all: Vec<Account>,
    /// The territories being designed, in the order of the design's indices.
    pub territories: Vec<TerritoryRow>,
    /// The design's accounts, in the order of its columns' `territory_of`.
    pub accounts: Vec<AccountId>,
    /// Their names, in the same order.
    pub names: Vec<String>,
    /// Each account's postal code as units are keyed (see [`units::key`]).
    pub postal_codes: Vec<Option<(String, String)>>,
    pub design: Design,
    /// The currency potential is summed in.
    pub currency: Currency,
}

/// The team's territories named in `chosen` (all of the team's when empty); an id not on
/// the team is refused.
fn territories(team: &Team, chosen: &[TerritoryId]) -> Result<Vec<TerritoryRow>> {
    if chosen.is_empty() {
        return Ok(team.territories.clone());
    }
    let mut out = Vec::new();
    for id in chosen {
        let Some(t) = team.territory(Some(*id)) else {
            return Err(Error::client(
                ErrorCode::NotFound,
                "no such territory among the ones you manage",
            ));
        };
        if !out.iter().any(|o: &TerritoryRow| o.id == t.id) {
            out.push(t.clone());
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// What each account asks for and could bring, as the design takes it.
fn design_accounts(
    accounts: &[&Account],
    index: &BTreeMap<TerritoryId, usize>,
    plan: Option<&rounds_core::RotationPlan>,
    currency: Currency,
    today: NaiveDate,
) -> Vec<DesignAccount> {
    let places: Vec<Place> = accounts
        .iter()
        .map(|a| {
            a.location.map_or(Place::new(f64::NAN, f64::NAN), |l| {
                Place::new(l.lat(), l.lon())
            })
        })
        .collect();
    let nearest = nearest_km(&places);
    accounts
        .iter()
        .zip(places)
        .zip(nearest)
        .map(|((a, place), km)| {
            let load = plan
                .and_then(|p| p.rule_on(a.priority, today))
                .map(|rule| monthly(rule, a.visit_minutes, km.unwrap_or(0.0)))
                .unwrap_or_default();
            let workday = f64::from(rounds_core::workload::WORKDAY_MINUTES);
            DesignAccount {
                place: place.is_valid().then_some(place),
                postal_code: a.address.postal_code.clone(),
                workload: load.workdays(),
                drive: load.drive_minutes / workday,
                potential: potential::of_account(a, currency) as f64
                    / 10f64.powi(currency.exponent() as i32),
                today: a.territory.and_then(|t| index.get(&t).copied()),
                locked: false,
            }
        })
        .collect()
}

/// What a design is made of: the territories (the team's; all when empty), and whether
/// customers stay with their rep (their postal codes are locked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub territories: Vec<TerritoryId>,
    pub keep_customers: bool,
}

/// Loads the design of `scope` as of `today`.
pub fn load(tx: &mut dyn Sql, viewer: &Viewer, scope: &Scope, today: NaiveDate) -> Result<Loaded> {
    let chosen = &scope.territories;
    let mut team = team_scope::team(tx, viewer)?;
    let all = team_scope::accounts(tx, &mut team)?;
    let plan = team_scope::plan(tx)?;
    let territories = territories(&team, chosen)?;
    let index: BTreeMap<TerritoryId, usize> = territories
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id, i))
        .collect();
    let mine: Vec<&Account> = all
        .iter()
        .filter(|a| a.territory.is_some_and(|t| index.contains_key(&t)))
        .collect();
    let currency = main_currency(mine.iter().copied());
    let mut accounts = design_accounts(&mine, &index, plan.as_ref(), currency, today);
    if scope.keep_customers {
        for (d, a) in accounts.iter_mut().zip(&mine) {
            d.locked = a.stage == rounds_core::Stage::Customer;
        }
    }
    Ok(Loaded {
        accounts: mine.iter().map(|a| a.id).collect(),
        names: mine.iter().map(|a| a.name.clone()).collect(),
        postal_codes: mine
            .iter()
            .map(|a| units::key(&a.address.country, &a.address.postal_code))
            .collect(),
        design: Design::new(accounts, territories.len()),
        territories,
        team,
        currency,
        all,
    })
}

impl Loaded {
    /// A proposal (see [`Design::propose`]).
    pub fn propose(
        &self,
        weights: Weights,
        tolerance: f64,
    ) -> std::result::Result<Column, AlignError> {
        self.design.propose(weights, tolerance)
    }

    /// What a column changes, for the manager to read: (account name, its territory today,
    /// its territory in the column), by name.
    pub fn changes(&self, column: &Column) -> Vec<(String, Option<TerritoryId>, TerritoryId)> {
        let today = self.design.today_territories();
        let mut out: Vec<_> = self
            .names
            .iter()
            .zip(column.territory_of.iter().zip(&today))
            .filter(|(_, (to, from))| to != from)
            .filter_map(|(name, (to, from))| {
                to.map(|t| {
                    (
                        name.clone(),
                        from.map(|f| self.territories[f].id),
                        self.territories[t].id,
                    )
                })
            })
            .collect();
        out.sort_by_key(|a| a.0.to_lowercase());
        out
    }

    /// The moves a column makes: (account, its new territory), for accounts whose
    /// territory changes.
    pub fn moves(&self, column: &Column) -> Vec<(AccountId, TerritoryId)> {
        let today = self.design.today_territories();
        self.accounts
            .iter()
            .zip(column.territory_of.iter().zip(&today))
            .filter(|(_, (to, from))| to != from)
            .filter_map(|(a, (to, _))| to.map(|t| (*a, self.territories[t].id)))
            .collect()
    }

    /// A short fingerprint of a column's moves: a published proposal must be the one the
    /// manager looked at, not one recomputed on accounts that changed since.
    pub fn digest(&self, column: &Column) -> String {
        let moves: Vec<(String, String)> = self
            .moves(column)
            .into_iter()
            .map(|(a, t)| (a.to_string(), t.to_string()))
            .collect();
        short_digest(moves.iter().map(|(a, t)| (a.as_str(), t.as_str())))
    }
}

/// Sixteen hex digits of SHA-256 over `pairs` in the given order: a fingerprint a form
/// carries from its preview to its confirmation (not a secret).
pub fn short_digest<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (a, t) in pairs {
        h.update(a);
        h.update(b":");
        h.update(t);
        h.update(b";");
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Publishes `column` of `loaded` if its moves still have fingerprint `digest`: every
/// account moves to its proposed territory through [`manage::move_accounts`], all or
/// nothing, and each postal code of a placed account now belongs to its territory (so a
/// new account imported there lands in it), and so do the codes with no account around
/// them (see [`units::fill`]). The number of accounts moved.
pub fn publish(
    tx: &mut Tx<'_>,
    loaded: &Loaded,
    column: &Column,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    if loaded.digest(column) != digest {
        return Err(Error::client(
            ErrorCode::Conflict,
            "the accounts changed since this proposal was shown; look at it again before publishing",
        ));
    }
    let mut by_target: BTreeMap<TerritoryId, Vec<AccountId>> = BTreeMap::new();
    for (a, t) in loaded.moves(column) {
        by_target.entry(t).or_default().push(a);
    }
    let reach = team_scope::reach(&loaded.team);
    let mut moved = 0;
    for (to, ids) in by_target {
        moved += manage::move_accounts(tx, &reach, &ids, to, now)?;
    }
    let mut codes = HashMap::new();
    for (i, (key, t)) in loaded
        .postal_codes
        .iter()
        .zip(&column.territory_of)
        .enumerate()
    {
        if let (Some(key), Some(t), true) = (key, t, loaded.design.placed(i)) {
            codes.insert(key.clone(), loaded.territories[*t].id);
        }
    }
    units::assign(tx, &codes, now)?;
    let design: Vec<TerritoryId> = loaded.territories.iter().map(|t| t.id).collect();
    units::fill(tx, &design, &codes, now)?;
    Ok(moved)
}

//! Territory design from accounts: their postal codes become units, proposals are made
//! over those units, and every alignment (today's, each proposal) is shown in the
//! figures a manager compares — per territory and for the whole.

use std::collections::BTreeMap;

use crate::figures::spread;
use crate::{AlignError, Neighbours, Place, Problem, Unit, Weights, figures, propose};

/// One account, as the design sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignAccount {
    /// Where it is; an account with no place cannot be placed in a unit and stays where
    /// it is.
    pub place: Option<Place>,
    /// Its postal code; accounts sharing one form one unit. Empty: a unit of its own.
    pub postal_code: String,
    /// Workdays a month it asks for, drive included.
    pub workload: f64,
    /// The part of `workload` that is driving.
    pub drive: f64,
    pub potential: f64,
    /// Its territory today (an index among the design's territories), if any.
    pub today: Option<usize>,
    /// Stays in today's territory: its postal code's unit is locked (see [`Unit::locked`]).
    pub locked: bool,
}

/// A territory in one column of the comparison.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Share {
    pub accounts: u64,
    pub workload: f64,
    pub drive: f64,
    pub potential: f64,
    pub radius_km: f64,
    pub contiguous: bool,
}

/// One alignment of the accounts: today's or a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Each account's territory (its index), or `None` for one with none.
    pub territory_of: Vec<Option<usize>>,
    pub territories: Vec<Share>,
    pub workload_spread: f64,
    pub potential_spread: f64,
    pub radius_km: f64,
    /// Accounts whose territory differs from today's.
    pub moved: u64,
}

/// The units made from the accounts, ready for proposals.
#[derive(Debug, Clone)]
pub struct Design {
    accounts: Vec<DesignAccount>,
    territories: usize,
    units: Vec<Unit>,
    neighbours: Neighbours,
    /// Each account's unit, if placed.
    unit_of: Vec<Option<usize>>,
}

fn normalised(code: &str) -> String {
    code.split_whitespace().collect::<String>().to_uppercase()
}

impl Design {
    /// Units from `accounts`: one per postal code among the placed accounts (an account
    /// with none is a unit of its own), at the mean of its accounts' places, in today's
    /// territory of most of its accounts' workload; locked when one of its accounts is.
    pub fn new(accounts: Vec<DesignAccount>, territories: usize) -> Design {
        let mut by_code: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, a) in accounts.iter().enumerate() {
            if a.place.is_some_and(Place::is_valid) {
                let code = normalised(&a.postal_code);
                let key = if code.is_empty() {
                    format!("\u{0}{i}")
                } else {
                    code
                };
                by_code.entry(key).or_default().push(i);
            }
        }
        let mut unit_of = vec![None; accounts.len()];
        let mut units = Vec::with_capacity(by_code.len());
        for members in by_code.values() {
            let n = members.len() as f64;
            let place = |f: fn(Place) -> f64| {
                members
                    .iter()
                    .filter_map(|&i| accounts[i].place.map(f))
                    .sum::<f64>()
                    / n
            };
            let mut today: BTreeMap<usize, f64> = BTreeMap::new();
            for &i in members {
                if let Some(t) = accounts[i].today {
                    *today.entry(t).or_default() += accounts[i].workload.max(1e-9);
                }
                unit_of[i] = Some(units.len());
            }
            units.push(Unit {
                place: Place::new(place(|p| p.lat), place(|p| p.lon)),
                workload: members.iter().map(|&i| accounts[i].workload).sum(),
                potential: members.iter().map(|&i| accounts[i].potential).sum(),
                accounts: members.len() as u32,
                today: today
                    .into_iter()
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                    .map(|(t, _)| t),
                locked: members
                    .iter()
                    .any(|&i| accounts[i].locked && accounts[i].today.is_some()),
            });
        }
        let neighbours = Neighbours::delaunay(&units.iter().map(|u| u.place).collect::<Vec<_>>());
        Design {
            accounts,
            territories,
            units,
            neighbours,
            unit_of,
        }
    }

    pub fn units(&self) -> usize {
        self.units.len()
    }

    /// Whether account `i` is placed in a unit (it has a valid place); an unplaced account
    /// stays where it is in every proposal.
    pub fn placed(&self, i: usize) -> bool {
        self.unit_of.get(i).is_some_and(Option::is_some)
    }

    /// Today's alignment.
    pub fn today(&self) -> Column {
        let of = self.today_territories();
        let units: Vec<usize> = self.units.iter().map(|u| u.today.unwrap_or(0)).collect();
        self.column(of, &units)
    }

    /// Each account's territory today (its index), without the figures [`Self::today`]
    /// computes.
    pub fn today_territories(&self) -> Vec<Option<usize>> {
        self.accounts.iter().map(|a| a.today).collect()
    }

    /// A proposal with `weights`, from today's alignment, aiming for every territory within
    /// `tolerance` (a fraction) of the mean workload and potential.
    pub fn propose(&self, weights: Weights, tolerance: f64) -> Result<Column, AlignError> {
        let mut problem = Problem::new(&self.units, &self.neighbours, self.territories);
        problem.weights = weights;
        problem.tolerance = tolerance;
        let proposal = propose(&problem)?;
        let of = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| match self.unit_of[i] {
                Some(u) => Some(proposal.territory_of[u]),
                None => a.today,
            })
            .collect();
        Ok(self.column(of, &proposal.territory_of))
    }

    /// An alignment given account by account (a saved scenario, say), in the same figures
    /// as a proposal. `known[i]` is account `i`'s territory in it, or `None` where it
    /// says nothing (an account added since): such an account goes with its unit — the
    /// territory of most of the unit's known workload — else stays where it is today.
    /// A unit's territory is that of most of its accounts' workload.
    pub fn aligned(&self, known: &[Option<usize>]) -> Column {
        let known = |i: usize| {
            known
                .get(i)
                .copied()
                .flatten()
                .filter(|&t| t < self.territories)
        };
        let mut votes: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); self.units.len()];
        for (i, a) in self.accounts.iter().enumerate() {
            if let (Some(u), Some(t)) = (self.unit_of[i], known(i)) {
                *votes[u].entry(t).or_default() += a.workload.max(1e-9);
            }
        }
        let most = |v: &BTreeMap<usize, f64>| {
            v.iter()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(t, _)| *t)
        };
        let said: Vec<Option<usize>> = votes.iter().map(most).collect();
        let of: Vec<Option<usize>> = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                known(i)
                    .or_else(|| self.unit_of[i].and_then(|u| said[u]))
                    .or(a.today)
            })
            .collect();
        let mut final_votes: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); self.units.len()];
        for (i, a) in self.accounts.iter().enumerate() {
            if let (Some(u), Some(t)) = (self.unit_of[i], of[i]) {
                *final_votes[u].entry(t).or_default() += a.workload.max(1e-9);
            }
        }
        let units: Vec<usize> = final_votes
            .iter()
            .zip(&self.units)
            .map(|(v, u)| most(v).or(u.today).unwrap_or(0))
            .collect();
        self.column(of, &units)
    }

    fn column(&self, of: Vec<Option<usize>>, unit_territory: &[usize]) -> Column {
        let mut territories = vec![Share::default(); self.territories];
        let mut moved = 0;
        for (a, t) in self.accounts.iter().zip(&of) {
            if let Some(t) = *t {
                let s = &mut territories[t];
                s.accounts += 1;
                s.workload += a.workload;
                s.drive += a.drive;
                s.potential += a.potential;
            }
            if *t != a.today && a.today.is_some() {
                moved += 1;
            }
        }
        let shape = (!self.units.is_empty()).then(|| {
            figures(
                &self.units,
                &self.neighbours,
                unit_territory,
                self.territories,
            )
        });
        for (t, s) in territories.iter_mut().enumerate() {
            let f = shape.as_ref().map(|f| &f.territories[t]);
            s.radius_km = f.map_or(0.0, |f| f.radius_km);
            s.contiguous = f.is_none_or(|f| f.contiguous);
        }
        Column {
            territory_of: of,
            workload_spread: spread(territories.iter().map(|s| s.workload)),
            potential_spread: spread(territories.iter().map(|s| s.potential)),
            radius_km: shape.as_ref().map_or(0.0, |f| f.radius_km),
            territories,
            moved,
        }
    }
}

/// For each place, the straight-line distance in km to the nearest other place (a
/// Delaunay neighbour, so found without comparing every pair); `None` for an invalid
/// place or when there is no other.
pub fn nearest_km(places: &[Place]) -> Vec<Option<f64>> {
    let graph = Neighbours::delaunay(places);
    let xy = crate::plane(places);
    (0..places.len())
        .map(|i| {
            graph
                .of(i)
                .iter()
                .map(|&j| (xy[i].0 - xy[j].0).hypot(xy[i].1 - xy[j].1))
                .reduce(f64::min)
        })
        .collect()
}

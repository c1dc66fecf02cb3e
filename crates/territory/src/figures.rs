//! What an alignment looks like, in the numbers a manager compares scenarios by.

use crate::align::Unit;
use crate::{Neighbours, plane};

/// One territory of an alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryFigures {
    pub units: usize,
    pub accounts: u64,
    /// Workdays a month its accounts' cadence and the drive to them ask for.
    pub workload: f64,
    pub potential: f64,
    /// Compactness: how far, on average, its accounts are from its centre, in km (the
    /// root mean square, each unit weighted by its accounts plus one so that empty units
    /// count for their area). Smaller is more compact.
    pub radius_km: f64,
    /// Whether its units form one connected piece in the neighbour graph.
    pub contiguous: bool,
}

/// An alignment's figures, and how it compares with today's.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub territories: Vec<TerritoryFigures>,
    /// The largest deviation of a territory's workload from the mean, as a fraction
    /// (0.05: every territory within ±5 %).
    pub workload_spread: f64,
    pub potential_spread: f64,
    /// The mean of the territories' `radius_km`.
    pub radius_km: f64,
    /// Disruption: accounts whose territory differs from today's (units with no
    /// territory today do not count), and the units they are in.
    pub moved_accounts: u64,
    pub moved_units: usize,
}

impl Figures {
    pub fn contiguous(&self) -> bool {
        self.territories.iter().all(|t| t.contiguous)
    }
}

/// The mass a unit counts for in compactness.
pub(crate) fn mass(u: &Unit) -> f64 {
    1.0 + f64::from(u.accounts)
}

/// The largest relative deviation from the mean (0 when the mean is 0).
pub(crate) fn spread(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count().max(1) as f64;
    let mean = values.clone().sum::<f64>() / n;
    if mean <= 0.0 {
        return 0.0;
    }
    values.map(|v| (v / mean - 1.0).abs()).fold(0.0, f64::max)
}

/// The figures of `territory_of` (a territory index below `territories` for each unit).
///
/// # Panics
/// When `territory_of` or `neighbours` do not have one entry per unit, or an index is not
/// below `territories`.
pub fn figures(
    units: &[Unit],
    neighbours: &Neighbours,
    territory_of: &[usize],
    territories: usize,
) -> Figures {
    assert_eq!(units.len(), territory_of.len(), "one territory per unit");
    assert_eq!(units.len(), neighbours.len(), "neighbours for every unit");
    let xy = plane(&units.iter().map(|u| u.place).collect::<Vec<_>>());
    let mut ts = vec![
        TerritoryFigures {
            units: 0,
            accounts: 0,
            workload: 0.0,
            potential: 0.0,
            radius_km: 0.0,
            contiguous: true,
        };
        territories
    ];
    let mut moments = vec![[0.0f64; 4]; territories];
    let (mut moved_accounts, mut moved_units) = (0, 0);
    for (i, u) in units.iter().enumerate() {
        let t = territory_of[i];
        assert!(
            t < territories,
            "unit {i} in territory {t} of {territories}"
        );
        let f = &mut ts[t];
        f.units += 1;
        f.accounts += u64::from(u.accounts);
        f.workload += u.workload;
        f.potential += u.potential;
        let m = mass(u);
        let (x, y) = xy[i];
        let s = &mut moments[t];
        s[0] += m;
        s[1] += m * x;
        s[2] += m * y;
        s[3] += m * (x * x + y * y);
        if u.today.is_some_and(|today| today != t) {
            moved_accounts += u64::from(u.accounts);
            moved_units += 1;
        }
    }
    for (t, f) in ts.iter_mut().enumerate() {
        let [m, sx, sy, sq] = moments[t];
        if m > 0.0 {
            let inertia = (sq - (sx * sx + sy * sy) / m).max(0.0);
            f.radius_km = (inertia / m).sqrt();
        }
        f.contiguous = f.units <= 1 || neighbours.components(|u| territory_of[u] == t).len() == 1;
    }
    let n = ts.len().max(1) as f64;
    Figures {
        workload_spread: spread(ts.iter().map(|t| t.workload)),
        potential_spread: spread(ts.iter().map(|t| t.potential)),
        radius_km: ts.iter().map(|t| t.radius_km).sum::<f64>() / n,
        territories: ts,
        moved_accounts,
        moved_units,
    }
}

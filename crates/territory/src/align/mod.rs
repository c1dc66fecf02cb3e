//! Proposing an alignment: units (postal codes) into territories.
//!
//! Every territory is one connected piece of the neighbour graph. Among such alignments
//! the proposal lowers, by local search, a cost that adds, for each territory:
//!
//! * **balance**: the squared relative deviation of its workload and of its potential from
//!   the mean, each times its weight, plus a steep extra beyond the tolerance (±5 % by
//!   default), so the search first brings every territory within it;
//! * **compactness**: its moment of inertia (each unit weighted by its accounts plus one)
//!   over the whole region's, times the number of territories, so that k equal discs
//!   cost about 1;
//!
//! and, for the alignment as a whole, **disruption**: the share of all accounts whose
//! territory differs from today's, times its weight.
//!
//! From today's alignment the search starts there, so it moves only what the cost asks
//! for; from scratch it starts from regions grown around well-spread seeds. A move takes
//! one unit across a border to a neighbouring territory and is kept when the cost falls
//! and the territory it leaves stays connected. Deterministic: the same problem gives the
//! same proposal.

use std::fmt;

use crate::rng::SplitMix;
use crate::{Figures, Neighbours, Place, figures};

mod search;
mod start;

use search::Search;

/// A unit of territory: a postal code and what is in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Its centroid.
    pub place: Place,
    /// Workdays a month its accounts ask for (cadence touches times their minutes, plus
    /// the drive to them).
    pub workload: f64,
    /// What its accounts could buy in a year.
    pub potential: f64,
    pub accounts: u32,
    /// Its territory today (an index below the problem's `territories`), if any.
    pub today: Option<usize>,
    /// Stays in today's territory whatever the proposal.
    pub locked: bool,
}

/// How much each aim counts. Zero turns an aim off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub workload: f64,
    pub potential: f64,
    pub compactness: f64,
    pub disruption: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            workload: 1.0,
            potential: 1.0,
            compactness: 1.0,
            disruption: 1.0,
        }
    }
}

/// What to propose.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    pub units: &'a [Unit],
    pub neighbours: &'a Neighbours,
    pub territories: usize,
    pub weights: Weights,
    /// Start from today's alignment (each unit's `today`) rather than from scratch.
    pub from_today: bool,
    /// The deviation from the mean, as a fraction, beyond which balance costs steeply.
    pub tolerance: f64,
    /// Chooses the seeds when starting from scratch.
    pub seed: u64,
}

impl<'a> Problem<'a> {
    /// `territories` from `units`, from today's alignment, with the default weights and
    /// a ±5 % tolerance.
    pub fn new(units: &'a [Unit], neighbours: &'a Neighbours, territories: usize) -> Self {
        Problem {
            units,
            neighbours,
            territories,
            weights: Weights::default(),
            from_today: true,
            tolerance: 0.05,
            seed: 1,
        }
    }
}

/// A proposed alignment and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Each unit's territory.
    pub territory_of: Vec<usize>,
    pub figures: Figures,
    /// Moves the search made after the start.
    pub moves: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlignError {
    NoTerritories,
    TooFewUnits {
        units: usize,
        territories: usize,
    },
    NeighboursMismatch {
        units: usize,
        neighbours: usize,
    },
    /// An alignment to weigh does not give one territory for each unit.
    AlignmentMismatch {
        units: usize,
        given: usize,
    },
    BadUnit {
        unit: usize,
        why: &'static str,
    },
    BadWeights,
    /// The units do not form one connected region, so not every territory can be one.
    Disconnected {
        pieces: usize,
    },
}

impl fmt::Display for AlignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlignError::NoTerritories => f.write_str("no territories to propose"),
            AlignError::TooFewUnits { units, territories } => write!(
                f,
                "{units} postal codes cannot make {territories} territories"
            ),
            AlignError::NeighboursMismatch { units, neighbours } => {
                write!(f, "{units} units but neighbours for {neighbours}")
            }
            AlignError::AlignmentMismatch { units, given } => {
                write!(f, "{units} units but territories for {given}")
            }
            AlignError::BadUnit { unit, why } => write!(f, "unit {unit}: {why}"),
            AlignError::BadWeights => {
                f.write_str("weights and tolerance must be finite and not negative")
            }
            AlignError::Disconnected { pieces } => write!(
                f,
                "the postal codes form {pieces} separate regions; every territory must be one piece"
            ),
        }
    }
}

impl std::error::Error for AlignError {}

/// Beyond the knee, balance costs this many times more.
pub(crate) const STEEP: f64 = 100.0;

/// Where the steep part begins, as a share of the tolerance.
pub(crate) const KNEE: f64 = 0.8;

/// Annealing proposals per unit: enough to reach the tolerance on 2,000 postal codes in
/// well under the 10 s a manager waits (see `align-bench`).
pub(crate) const ANNEALING_PER_UNIT: usize = 400;

fn check(p: &Problem<'_>) -> Result<(), AlignError> {
    let (n, k) = (p.units.len(), p.territories);
    if k == 0 {
        return Err(AlignError::NoTerritories);
    }
    if n < k {
        return Err(AlignError::TooFewUnits {
            units: n,
            territories: k,
        });
    }
    if p.neighbours.len() != n {
        return Err(AlignError::NeighboursMismatch {
            units: n,
            neighbours: p.neighbours.len(),
        });
    }
    let w = p.weights;
    if [
        w.workload,
        w.potential,
        w.compactness,
        w.disruption,
        p.tolerance,
    ]
    .iter()
    .any(|x| !x.is_finite() || *x < 0.0)
    {
        return Err(AlignError::BadWeights);
    }
    for (i, u) in p.units.iter().enumerate() {
        let bad = |why| Err(AlignError::BadUnit { unit: i, why });
        if !u.place.is_valid() {
            return bad("its place is not a valid latitude and longitude");
        }
        if !(u.workload.is_finite() && u.workload >= 0.0) {
            return bad("its workload is not a number of days");
        }
        if !(u.potential.is_finite() && u.potential >= 0.0) {
            return bad("its potential is not an amount");
        }
        if u.today.is_some_and(|t| t >= k) {
            return bad("its territory today is not one of the territories");
        }
        if u.locked && u.today.is_none() {
            return bad("it is locked but has no territory today");
        }
    }
    let pieces = p.neighbours.components(|_| true).len();
    if pieces > 1 {
        return Err(AlignError::Disconnected { pieces });
    }
    Ok(())
}

/// The cost the proposal lowers (see the module's opening), of any complete alignment of
/// `problem.units`: what "better" means when two alignments are compared.
pub fn objective(problem: &Problem<'_>, territory_of: &[usize]) -> Result<f64, AlignError> {
    check(problem)?;
    if territory_of.len() != problem.units.len() {
        return Err(AlignError::AlignmentMismatch {
            units: problem.units.len(),
            given: territory_of.len(),
        });
    }
    let mut s = Search::new(problem);
    for (u, &t) in territory_of.iter().enumerate() {
        if t >= problem.territories {
            return Err(AlignError::BadUnit {
                unit: u,
                why: "its territory is not one of the territories",
            });
        }
        s.assign(u, t);
    }
    Ok(s.total())
}

/// Proposes an alignment of `problem.units` into `problem.territories` territories.
pub fn propose(problem: &Problem<'_>) -> Result<Proposal, AlignError> {
    check(problem)?;
    let mut s = Search::new(problem);
    if problem.from_today {
        s.start_from_today();
    } else {
        s.seed();
        s.grow();
    }
    let mut moves = s.improve();
    // Annealing may end above where descent stopped (it wanders uphill on purpose); then
    // the descent's alignment stands, so a proposal never costs more than its start.
    let (kept, kept_sums, kept_cost) = (s.of.clone(), s.sums.clone(), s.total());
    let mut rng = SplitMix(problem.seed ^ 0x5EED);
    let mut more = s.anneal(&mut rng, ANNEALING_PER_UNIT * problem.units.len());
    more += s.improve();
    if s.total() > kept_cost {
        s.of = kept;
        s.sums = kept_sums;
    } else {
        moves += more;
    }
    let figures = figures(
        problem.units,
        problem.neighbours,
        &s.of,
        problem.territories,
    );
    Ok(Proposal {
        territory_of: s.of,
        figures,
        moves,
    })
}

//! Territory geometry and design.
//!
//! * [`unit_areas`]: the area a territory covers on the map, the union of its units'
//!   cells (the land nearer to each postal code's centroid than to any other's).
//! * [`Neighbours`]: which units (postal codes) touch, from the Delaunay triangulation of
//!   their centroids: the graph in which a territory must be contiguous.
//! * [`Design`]: accounts grouped into units by postal code, and today's alignment and
//!   proposals compared in a manager's figures.
//! * [`propose`]: an alignment of units into territories that is contiguous, compact,
//!   balanced on workload and potential, and moves few accounts from today's; and
//!   [`figures`], what any alignment (today's, a proposal, a baseline) looks like.
//! * [`nearest_within`]: the nearest unit to a postal code with no account, within a
//!   distance: how a territory takes the land between its accounts.
//!
//! Pure (no I/O, no clock) and deterministic, and builds for wasm32, so the dashboard and
//! later the device compute the same answers.

mod align;
mod cells;
mod design;
mod figures;
mod fill;
mod graph;
mod rng;

pub use align::{AlignError, Problem, Proposal, Unit, Weights, objective, propose};
pub use cells::{MIN_GAP_KM, Piece, areas_with_boundaries, unit_areas};
pub use design::{Column, Design, DesignAccount, Share, nearest_km};
pub use figures::{Figures, TerritoryFigures, figures};
pub use fill::nearest_within;
/// A postal code's real boundary, as [`areas_with_boundaries`] takes it.
pub use geo::MultiPolygon;
pub use graph::Neighbours;
pub use rng::SplitMix;

/// A place on the map, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
}

impl Place {
    pub fn new(lat: f64, lon: f64) -> Self {
        Place { lat, lon }
    }

    pub fn is_valid(self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// Places projected onto a flat plane in kilometres, centred on their mean latitude:
/// close enough over a country for distances within a territory.
pub(crate) fn plane(places: &[Place]) -> Vec<(f64, f64)> {
    let valid = places.iter().filter(|p| p.is_valid());
    let n = valid.clone().count().max(1) as f64;
    let lat0 = valid.map(|p| p.lat).sum::<f64>() / n;
    let kx = 111.32 * lat0.to_radians().cos();
    places
        .iter()
        .map(|p| (p.lon * kx, p.lat * 110.57))
        .collect()
}

//! Territory geometry: the area a territory covers on the map.
//!
//! Today a territory's area is drawn from where its accounts are: the convex hull of
//! their places. Pure (no I/O) and wasm-buildable, so the dashboard and, later, the
//! device draw the same areas.

use geo::{Area, ConvexHull, MultiPoint, Point};

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

    fn is_valid(self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// The area `places` cover: their convex hull as a ring of its corners, counter-clockwise
/// (longitude east, latitude north), the first corner not repeated at the end. `None` when
/// they cover no area: fewer than three valid places, or all on one line. Invalid places
/// (not finite, out of range) are left out. Longitudes are taken as they are, so a
/// territory across the antimeridian is drawn the long way round.
pub fn covering_area(places: &[Place]) -> Option<Vec<Place>> {
    let points: MultiPoint<f64> = places
        .iter()
        .filter(|p| p.is_valid())
        .map(|p| Point::new(p.lon, p.lat))
        .collect();
    if points.0.len() < 3 {
        return None;
    }
    let hull = points.convex_hull();
    if hull.unsigned_area() <= f64::EPSILON {
        return None;
    }
    let ring = &hull.exterior().0;
    // geo closes the ring (last = first); the map library closes it itself.
    let corners = &ring[..ring.len().saturating_sub(1)];
    Some(corners.iter().map(|c| Place::new(c.y, c.x)).collect())
}

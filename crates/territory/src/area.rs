//! The area a territory covers: the convex hull of its places.

use geo::{Area, ConvexHull, MultiPoint, Point};

use crate::Place;

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

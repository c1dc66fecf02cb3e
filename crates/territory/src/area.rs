//! The area a territory covers: the convex hull of its places, one for each group of
//! places far from the others.

use geo::{Area, ConvexHull, MultiPoint, Point};

use crate::{Neighbours, Place, plane};

/// Places further apart than this are never in one piece (unless the typical gap between
/// neighbouring places is larger: see [`covering_areas`]).
pub const MIN_GAP_KM: f64 = 50.0;

/// The areas `places` cover, one hull for each group of places (see [`covering_area`]):
/// two places are in one group when a chain of neighbouring places links them with no
/// step longer than the gap — four times the median distance between neighbours, and at
/// least [`MIN_GAP_KM`]. So a territory with accounts in two cities is drawn as two areas,
/// not as one sliver across the land between. Groups that cover no area are left out.
pub fn covering_areas(places: &[Place]) -> Vec<Vec<Place>> {
    let valid: Vec<Place> = places.iter().copied().filter(|p| p.is_valid()).collect();
    let graph = Neighbours::delaunay(&valid);
    let xy = plane(&valid);
    let length = |a: usize, b: usize| (xy[a].0 - xy[b].0).hypot(xy[a].1 - xy[b].1);
    let mut edges: Vec<f64> = (0..valid.len())
        .flat_map(|a| {
            graph
                .of(a)
                .iter()
                .filter(move |&&b| b > a)
                .map(move |&b| (a, b))
        })
        .map(|(a, b)| length(a, b))
        .collect();
    edges.sort_by(f64::total_cmp);
    let median = edges.get(edges.len() / 2).copied().unwrap_or(0.0);
    let gap = (4.0 * median).max(MIN_GAP_KM);
    let near = Neighbours::from_lists(
        (0..valid.len())
            .map(|a| {
                graph
                    .of(a)
                    .iter()
                    .copied()
                    .filter(|&b| length(a, b) <= gap)
                    .collect()
            })
            .collect(),
    );
    near.components(|_| true)
        .into_iter()
        .filter_map(|group| covering_area(&group.iter().map(|&i| valid[i]).collect::<Vec<_>>()))
        .collect()
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

//! The area drawn for a territory: table cases, and properties over random places.

use geo::{Coord, LineString, Polygon, Relate};
use proptest::prelude::*;
use rounds_territory::{Place, covering_area};

fn places(v: &[(f64, f64)]) -> Vec<Place> {
    v.iter().map(|&(lat, lon)| Place::new(lat, lon)).collect()
}

/// Twice the signed area (shoelace, lon as x): positive when counter-clockwise.
fn signed_area2(ring: &[Place]) -> f64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            a.lon * b.lat - b.lon * a.lat
        })
        .sum()
}

#[test]
fn the_area_is_the_hull_of_the_places() {
    // A square of four shops with one inside: the inner one is not a corner.
    let area = covering_area(&places(&[
        (39.0, -105.0),
        (39.0, -104.0),
        (40.0, -104.0),
        (40.0, -105.0),
        (39.5, -104.5),
    ]))
    .expect("an area");
    assert_eq!(area.len(), 4, "{area:?}");
    assert!(!area.contains(&Place::new(39.5, -104.5)));
    assert!(signed_area2(&area) > 0.0, "counter-clockwise: {area:?}");
    assert_ne!(area.first(), area.last(), "the ring is not closed by hand");
}

#[test]
fn no_area_without_three_places_off_one_line() {
    let cases: [(&str, Vec<(f64, f64)>); 5] = [
        ("none", vec![]),
        ("one", vec![(39.0, -105.0)]),
        ("two", vec![(39.0, -105.0), (40.0, -104.0)]),
        (
            "one line",
            vec![(39.0, -105.0), (39.5, -104.5), (40.0, -104.0)],
        ),
        (
            "one place three times",
            vec![(39.0, -105.0), (39.0, -105.0), (39.0, -105.0)],
        ),
    ];
    for (name, v) in cases {
        assert_eq!(covering_area(&places(&v)), None, "{name}");
    }
}

#[test]
fn invalid_places_are_left_out() {
    let area = covering_area(&places(&[
        (39.0, -105.0),
        (39.0, -104.0),
        (40.0, -104.0),
        (f64::NAN, -104.0),
        (91.0, 0.0),
        (39.0, f64::INFINITY),
        (0.0, -181.0),
    ]))
    .expect("the three valid places");
    assert_eq!(area.len(), 3);
    assert!(
        area.iter()
            .all(|p| p.lat.is_finite() && p.lon.abs() <= 180.0)
    );
}

fn polygon(ring: &[Place]) -> Polygon<f64> {
    let coords: Vec<Coord<f64>> = ring.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect();
    Polygon::new(LineString::from(coords), vec![])
}

proptest! {
    /// Every place is inside the area or on its edge; every corner is one of the places;
    /// the ring turns counter-clockwise.
    #[test]
    fn the_area_covers_every_place_and_only_uses_places_as_corners(
        v in prop::collection::vec((25.0f64..49.0, -124.0f64..-67.0), 0..60)
    ) {
        let ps = places(&v);
        if let Some(area) = covering_area(&ps) {
            prop_assert!(area.len() >= 3);
            prop_assert!(signed_area2(&area) > 0.0);
            for corner in &area {
                prop_assert!(ps.contains(corner), "{corner:?} is not a place");
            }
            let shape = polygon(&area);
            for p in &ps {
                let point = geo::Point::new(p.lon, p.lat);
                prop_assert!(shape.relate(&point).is_intersects(), "{p:?} is outside {area:?}");
            }
        } else {
            // No area: fewer than three distinct places, or all on one line.
            let distinct: Vec<_> = ps.iter().fold(Vec::new(), |mut acc: Vec<Place>, p| {
                if !acc.contains(p) { acc.push(*p); }
                acc
            });
            let flat = distinct.len() < 3 || distinct.windows(3).all(|w| {
                let (a, b, c) = (w[0], w[1], w[2]);
                ((b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon)).abs() < 1e-9
            });
            prop_assert!(flat, "no area for {ps:?}");
        }
    }
}

#[test]
fn places_in_two_cities_are_two_areas() {
    // A square of shops around Denver and one around Dallas, 1,000 km apart.
    let mut v = Vec::new();
    for (lat, lon) in [(39.7, -105.0), (32.8, -96.8)] {
        for (dy, dx) in [(0.0, 0.0), (0.1, 0.0), (0.1, 0.1), (0.0, 0.1), (0.05, 0.05)] {
            v.push((lat + dy, lon + dx));
        }
    }
    let areas = rounds_territory::covering_areas(&places(&v));
    assert_eq!(areas.len(), 2, "{areas:?}");
    assert!(areas.iter().all(|a| a.len() == 4));
    // One city alone is one area, the same as its hull.
    let one = rounds_territory::covering_areas(&places(&v[..5]));
    assert_eq!(one, vec![covering_area(&places(&v[..5])).unwrap()]);
    // A lone shop far away covers no area of its own and does not stretch the city's.
    let mut stray = v[..5].to_vec();
    stray.push((35.0, -100.0));
    assert_eq!(rounds_territory::covering_areas(&places(&stray)), one);
}

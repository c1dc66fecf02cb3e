//! Territories drawn from their units' cells: table cases, and properties over random
//! units.

use geo::{Area, BooleanOps, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use proptest::prelude::*;
use rounds_territory::{Piece, Place, unit_areas};

fn polygon(piece: &Piece) -> Polygon<f64> {
    let ring =
        |r: &[Place]| LineString::new(r.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect());
    Polygon::new(
        ring(&piece.outline),
        piece.holes.iter().map(|h| ring(h)).collect(),
    )
}

/// The pieces of territory `t`, as one shape.
fn territory(pieces: &[Piece], t: usize) -> MultiPolygon<f64> {
    MultiPolygon::new(
        pieces
            .iter()
            .filter(|p| p.territory == t)
            .map(polygon)
            .collect(),
    )
}

fn holds(pieces: &[Piece], t: usize, p: Place) -> bool {
    territory(pieces, t).contains(&Point::new(p.lon, p.lat))
}

#[test]
fn neighbouring_units_share_a_border_and_hold_their_own_centroids() {
    // Five postal codes on a line 5 km apart in Colorado: two in territory 0, three in 1.
    let units: Vec<(Place, usize)> = (0..5)
        .map(|i| {
            (
                Place::new(39.7, -105.0 + 0.058 * i as f64),
                usize::from(i >= 2),
            )
        })
        .collect();
    let pieces = unit_areas(&units, 2);
    assert_eq!(
        pieces.iter().map(|p| p.territory).collect::<Vec<_>>(),
        [0, 1],
        "one piece each, in territory order"
    );
    for &(place, t) in &units {
        assert!(holds(&pieces, t, place), "{place:?} in its territory {t}");
        assert!(!holds(&pieces, 1 - t, place), "{place:?} not in {}", 1 - t);
    }
    // The border runs halfway between the second and third codes.
    let mid = Place::new(39.7, -105.0 + 0.058 * 1.5);
    let west = Place::new(mid.lat, mid.lon - 0.002);
    let east = Place::new(mid.lat, mid.lon + 0.002);
    assert!(holds(&pieces, 0, west) && holds(&pieces, 1, east));
    let overlap = territory(&pieces, 0).intersection(&territory(&pieces, 1));
    assert!(overlap.unsigned_area() < 1e-9, "no land is in both");
}

#[test]
fn a_territory_in_two_cities_is_two_pieces() {
    // Three codes around Denver and three around Dallas, all in one territory.
    let around = |lat: f64, lon: f64| {
        [(0.0, 0.0), (0.05, 0.0), (0.0, 0.05)].map(|(a, b)| (Place::new(lat + a, lon + b), 0))
    };
    let units: Vec<(Place, usize)> = around(39.7, -105.0)
        .into_iter()
        .chain(around(32.8, -96.8))
        .collect();
    let pieces = unit_areas(&units, 1);
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert!(pieces.iter().all(|p| p.holes.is_empty()));
}

#[test]
fn codes_at_one_centroid_share_a_cell_given_to_most_of_them() {
    let here = Place::new(40.0, -100.0);
    let units = vec![
        (here, 1),
        (here, 0),
        (here, 1),
        (Place::new(40.0, -99.8), 0),
        (Place::new(40.2, -100.0), 0),
    ];
    let pieces = unit_areas(&units, 2);
    assert!(holds(&pieces, 1, here), "two of three codes there are in 1");
    assert!(!holds(&pieces, 0, here));
}

#[test]
fn nothing_to_draw_without_valid_units() {
    assert!(unit_areas(&[], 3).is_empty());
    let bad = [
        (Place::new(f64::NAN, 0.0), 0),
        (Place::new(95.0, 10.0), 0),
        (Place::new(10.0, 10.0), 7), // no such territory
    ];
    assert!(unit_areas(&bad, 2).is_empty());
    // One unit alone is a disc around it.
    let one = unit_areas(&[(Place::new(10.0, 10.0), 0)], 1);
    assert_eq!(one.len(), 1);
    assert!(holds(&one, 0, Place::new(10.0, 10.0)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Over random units in a 100 km box: every unit's centroid is in its own territory's
    /// area (unless it shares its place with units of another) and in no other's, and no
    /// land belongs to two territories (beyond the union's rounding: a millionth of the
    /// area drawn, where a missing border would be whole cells).
    #[test]
    fn every_unit_is_inside_its_territory_and_territories_do_not_overlap(
        units in prop::collection::vec(((0.0f64..0.9, 0.0f64..1.2), 0usize..3), 1..60),
    ) {
        let units: Vec<(Place, usize)> = units
            .into_iter()
            .map(|((a, b), t)| (Place::new(39.0 + a, -105.0 + b), t))
            .collect();
        let pieces = unit_areas(&units, 3);
        for &(place, t) in &units {
            let shared = units.iter().any(|&(q, u)| q == place && u != t);
            if !shared {
                prop_assert!(holds(&pieces, t, place), "{:?} in {}", place, t);
            }
        }
        let total: f64 = pieces.iter().map(|p| polygon(p).unsigned_area()).sum();
        for a in 0..3 {
            for b in (a + 1)..3 {
                let overlap = territory(&pieces, a).intersection(&territory(&pieces, b));
                prop_assert!(overlap.unsigned_area() <= 1e-6 * total, "{} and {}: {} of {}", a, b, overlap.unsigned_area(), total);
            }
        }
    }
}

/// Whether a place is in a piece: inside its outline and in none of its holes.
fn in_piece(p: &Piece, lat: f64, lon: f64) -> bool {
    let inside = |ring: &[Place]| {
        let mut yes = false;
        let mut j = ring.len() - 1;
        for i in 0..ring.len() {
            let (a, b) = (ring[i], ring[j]);
            if (a.lat > lat) != (b.lat > lat)
                && lon < (b.lon - a.lon) * (lat - a.lat) / (b.lat - a.lat) + a.lon
            {
                yes = !yes;
            }
            j = i;
        }
        yes
    };
    inside(&p.outline) && !p.holes.iter().any(|h| inside(h))
}

fn square(lat: f64, lon: f64, half: f64) -> MultiPolygon<f64> {
    let c = |y: f64, x: f64| Coord { x, y };
    MultiPolygon::new(vec![Polygon::new(
        LineString::new(vec![
            c(lat - half, lon - half),
            c(lat - half, lon + half),
            c(lat + half, lon + half),
            c(lat + half, lon - half),
            c(lat - half, lon - half),
        ]),
        Vec::new(),
    )])
}

#[test]
fn a_real_boundary_wins_over_a_drawn_cell() {
    use rounds_territory::{areas_with_boundaries, unit_areas};
    let units = [(Place::new(40.0, -105.0), 0), (Place::new(40.0, -104.0), 1)];
    assert_eq!(areas_with_boundaries(&units, &[], 2), unit_areas(&units, 2));
    // A shape off the Earth is left out.
    assert_eq!(
        areas_with_boundaries(&units, &[(square(100.0, -105.0, 0.1), 1)], 2),
        unit_areas(&units, 2)
    );
    // Territory 1's boundary takes the land around territory 0's unit: there the real
    // line is drawn, and territory 0's cell gives way.
    let drawn = areas_with_boundaries(&units, &[(square(40.0, -105.0, 0.1), 1)], 2);
    let owners = |lat, lon| {
        drawn
            .iter()
            .filter(|p| in_piece(p, lat, lon))
            .map(|p| p.territory)
            .collect::<Vec<_>>()
    };
    assert_eq!(owners(40.0, -105.0), vec![1], "{drawn:?}");
    assert_eq!(owners(40.0, -105.3), vec![0], "the rest of the cell stays");
    assert_eq!(owners(40.0, -104.0), vec![1]);
    assert!(drawn.windows(2).all(|w| w[0].territory <= w[1].territory));
}

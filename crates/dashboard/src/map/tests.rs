//! The map's assets, policy, areas and figures.
use std::collections::HashMap;
use std::sync::Arc;

use rounds_territory::{MultiPolygon, unit_areas};

use super::areas::areas_of;
use super::*;

#[test]
fn every_asset_the_page_names_is_served() {
    for path in [
        format!("{LEAFLET}/leaflet.js"),
        format!("{LEAFLET}/leaflet.css"),
        format!("{CLUSTER}/supercluster.js"),
        format!("{CLUSTER}/LICENSE"),
        format!("{CLUSTER}/LICENSE.kdbush"),
        "map.js".to_owned(),
    ] {
        assert_eq!(asset(&path).status(), StatusCode::OK, "{path}");
    }
    assert_eq!(asset("../Cargo.toml").status(), StatusCode::NOT_FOUND);
    assert_eq!(asset("leaflet-1.9.4/").status(), StatusCode::NOT_FOUND);
}

#[test]
fn the_policy_lets_in_only_the_tile_server() {
    assert!(csp(None).contains("img-src 'self' data:;"));
    assert!(
        csp(Some("https://tile.openstreetmap.org"))
            .contains("img-src 'self' data: https://tile.openstreetmap.org;")
    );
    assert!(csp(None).contains("script-src 'self';"));
}

/// Whether `(lat, lon)` is inside a ring (even–odd rule).
fn inside(ring: &[[f64; 2]], lat: f64, lon: f64) -> bool {
    let mut yes = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a[0] > lat) != (b[0] > lat) && lon < (b[1] - a[1]) * (lat - a[0]) / (b[0] - a[0]) + a[1]
        {
            yes = !yes;
        }
        j = i;
    }
    yes
}

#[test]
fn a_territory_is_drawn_over_the_postal_codes_it_took_with_no_account() {
    use rounds_core::{Account, Address, Currency, LatLon, Money, Priority, Stage};
    use rounds_protocol::{AccountId, UserId};
    use scope::TerritoryRow;
    let tid = |n: u128| TerritoryId::from_uuid(uuid::Uuid::from_u128(n));
    let team = Team {
        reps: Vec::new(),
        territories: [1, 2]
            .map(|n| TerritoryRow {
                id: tid(n),
                name: format!("T{n}"),
                rep: None::<UserId>,
                region: None,
            })
            .to_vec(),
        all: false,
        left_out: Vec::new(),
        managers: Vec::new(),
        narrowed: None,
    };
    // Two accounts a degree apart, each in its own territory and postal code.
    let account = |n: u128, lat: f64, lon: f64| Account {
        id: AccountId::from_uuid(uuid::Uuid::from_u128(100 + n)),
        name: format!("A{n}"),
        address: Address {
            postal_code: format!("1000{n}"),
            country: "US".into(),
            ..Address::default()
        },
        location: Some(LatLon::new(lat, lon).unwrap()),
        stage: Stage::Lead,
        stage_dates: Default::default(),
        priority: Priority::High,
        kare: None,
        revenue: Money::zero(Currency::USD),
        expenses: Money::zero(Currency::USD),
        phone: None,
        email: None,
        industry: None,
        territory: Some(tid(n)),
        hours: None,
        visit_minutes: None,
        created_at: chrono::DateTime::UNIX_EPOCH,
        closed_on: Default::default(),
        preferred_hours: None,
        potential: None,
        potential_estimate: None,
        location_source: None,
    };
    let all = accounts::records(&[account(1, 40.0, -105.0), account(2, 40.0, -104.0)]);
    // A code territory 1 took, well west of its account: beyond the margin drawn
    // around an account, so only the code itself can put it in the area.
    let (lat, lon) = (40.0, -106.5);
    let covers = |data: &MapData| {
        data.areas
            .iter()
            .filter(|a| a.territory == 0)
            .any(|a| inside(&a.rings[0], lat, lon))
    };
    assert!(!covers(&compute(&team, &all, &all, &Land::default())));
    let code = |c: &str| ("US".to_owned(), c.to_owned());
    let land = Land {
        empty: vec![
            (code("20001"), lat, lon, tid(1)),
            (code("20002"), 40.0, -120.0, tid(9)),
        ],
        shapes: HashMap::new(),
    };
    let data = compute(&team, &all, &all, &land);
    assert!(covers(&data), "{:?}", data.areas);
    assert_eq!(data.pins.len(), 2, "a code with no account has no pin");

    // With a real boundary for the first account's code, its territory is drawn along
    // it, and no longer as a cell around the account.
    let square = {
        use geo::{Coord, LineString, Polygon};
        let c = |y: f64, x: f64| Coord { x, y };
        MultiPolygon::new(vec![Polygon::new(
            LineString::new(vec![
                c(39.9, -105.1),
                c(39.9, -104.9),
                c(40.1, -104.9),
                c(40.1, -105.1),
                c(39.9, -105.1),
            ]),
            Vec::new(),
        )])
    };
    let land = Land {
        empty: Vec::new(),
        shapes: HashMap::from([(code("10001"), square)]),
    };
    let data = compute(&team, &all, &all, &land);
    let territory_0: Vec<&Area> = data.areas.iter().filter(|a| a.territory == 0).collect();
    assert_eq!(territory_0.len(), 1, "{territory_0:?}");
    assert!(inside(&territory_0[0].rings[0], 40.0, -105.0));
    assert!(
        !inside(&territory_0[0].rings[0], 40.0, -105.3),
        "beyond the line"
    );
}

#[test]
fn areas_are_remembered_only_for_the_same_units() {
    let units = |lon: f64| {
        (0..4)
            .map(|i| {
                (
                    Place::new(39.0 + 0.05 * f64::from(i), lon),
                    (i % 2) as usize,
                )
            })
            .collect::<Vec<_>>()
    };
    let first = areas_of(units(-105.0), 2);
    let again = areas_of(units(-105.0), 2);
    assert!(Arc::ptr_eq(&first, &again), "the same units: remembered");
    let moved = areas_of(units(-104.0), 2);
    assert!(!Arc::ptr_eq(&first, &moved), "other units: drawn again");
    assert_eq!(*moved, unit_areas(&units(-104.0), 2));
    let fewer = areas_of(units(-105.0), 3);
    assert!(
        !Arc::ptr_eq(&first, &fewer),
        "another number of territories"
    );
}

//! The dashboard's map over HTTP: the page (what it loads, its policy, what it says without
//! JavaScript) and its data (every located account of the team once, areas that hold
//! their territory's pins, filters as on the Accounts page), checked against the stored
//! accounts read here independently.

use std::collections::BTreeMap;

use rounds_protocol::records::AccountRecord;
use rounds_server::db::Sql;
use serde_json::Value;

use crate::dashboard::{Browser, DANA, MANAGER, demo_server, territory_id};
use crate::support::*;

on_both_backends!(
    the_map_shows_every_located_account_of_the_team_once,
    the_map_page_loads_its_scripts_from_the_server_and_says_what_to_do_without_them,
    the_map_is_for_managers_only,
    postal_code_boundaries_are_imported_by_an_admin_and_drawn,
);

/// The stored accounts, read straight from the table: (record, territory name).
async fn stored(server: &TestServer) -> Vec<(AccountRecord, String)> {
    server
        .db
        .read(|tx| {
            let rows = tx.query(
                "SELECT a.data, t.name FROM accounts a JOIN territories t ON t.id = a.territory_id",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    let rec: AccountRecord =
                        serde_json::from_str(&r.text(0)?).expect("a stored account");
                    Ok((rec, r.text(1)?))
                })
                .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
        })
        .await
        .expect("accounts")
}

async fn map_json(b: &mut Browser, query: &str) -> Value {
    let p = b.get(&format!("/dashboard/map.json{query}")).await;
    assert_eq!(p.status, 200, "map.json{query}: {}", p.body);
    serde_json::from_str(&p.body).expect("JSON")
}

/// Whether `(lat, lon)` is inside an area: its outline and holes as `[lat, lon]` rings,
/// by the even-odd rule (a point in a hole is outside).
fn inside(rings: &[Value], lat: f64, lon: f64) -> bool {
    let mut hit = false;
    for ring in rings {
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect();
        for i in 0..pts.len() {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            if (a.0 > lat) != (b.0 > lat) && lon < (b.1 - a.1) * (lat - a.0) / (b.0 - a.0) + a.1 {
                hit = !hit;
            }
        }
    }
    hit
}

async fn the_map_shows_every_located_account_of_the_team_once(backend: Backend) {
    let server = demo_server(backend).await;
    // One account loses its location: it is counted, not drawn.
    let unplaced = server
        .db
        .write(|tx| {
            let r = tx.query_one("SELECT id, data FROM accounts ORDER BY id", &[])?;
            let mut rec: AccountRecord = serde_json::from_str(&r.text(1)?).expect("account");
            rec.lat = None;
            rec.lon = None;
            tx.exec(
                "UPDATE accounts SET data = $1 WHERE id = $2",
                rounds_server::params![serde_json::to_string(&rec).unwrap(), r.text(0)?],
            )?;
            Ok::<_, rounds_server::Error>(rec.id)
        })
        .await
        .expect("unplace one account");
    let accounts = stored(&server).await;
    let located: BTreeMap<String, (f64, f64, String)> = accounts
        .iter()
        .filter_map(|(a, t)| Some((a.id.to_string(), (a.lat?, a.lon?, t.clone()))))
        .collect();
    assert!(!located.contains_key(&unplaced.to_string()));
    let unlocated = accounts.len() - located.len();

    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let map = map_json(&mut b, "").await;
    let pins = map["pins"].as_array().expect("pins");
    assert_eq!(pins.len(), located.len(), "every located account, once");
    assert_eq!(map["not_on_map"], unlocated as u64, "the rest are counted");
    assert!(
        pins.iter().all(|p| p[0] != unplaced.to_string()),
        "the unplaced account has no pin"
    );
    let territories = map["colour_by"]["territory"].as_array().expect("groups");
    for p in pins {
        let (lat, lon, territory) = &located[p[0].as_str().unwrap()];
        assert!((p[2].as_f64().unwrap() - lat).abs() < 1e-5, "{p}");
        assert!((p[3].as_f64().unwrap() - lon).abs() < 1e-5, "{p}");
        let t = p[5].as_u64().unwrap() as usize;
        assert_eq!(territories[t]["label"], territory.as_str(), "{p}");
    }
    // The legend counts what is drawn, however it is coloured.
    for by in ["territory", "rep", "priority", "stage"] {
        let total: u64 = map["colour_by"][by]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["count"].as_u64().unwrap())
            .sum();
        assert_eq!(total as usize, pins.len(), "{by}");
    }
    // Every territory has its area (one piece each: a metro, the cells of its postal
    // codes), and its pins are in it.
    let areas = map["areas"].as_array().expect("areas");
    assert_eq!(
        areas.len(),
        3,
        "the demo's three metros; the worked example's are not placed"
    );
    for p in pins {
        let t = p[5].as_u64().unwrap();
        let (lat, lon) = (p[2].as_f64().unwrap(), p[3].as_f64().unwrap());
        assert!(
            areas
                .iter()
                .filter(|a| a["territory"].as_u64() == Some(t))
                .any(|a| inside(a["rings"].as_array().unwrap(), lat, lon)),
            "{p} outside its territory's areas"
        );
    }

    // Filtered like the Accounts page: one territory, then one account by name.
    let denver = territory_id(&server, "Denver Metro").await;
    let only = map_json(&mut b, &format!("?territory={denver}")).await;
    let denver_pins = located.values().filter(|v| v.2 == "Denver Metro").count();
    assert_eq!(only["pins"].as_array().unwrap().len(), denver_pins);
    assert_eq!(
        only["areas"].as_array().unwrap().len(),
        1,
        "Denver's area only"
    );
    let (some, _) = accounts
        .iter()
        .find(|(a, _)| a.id != unplaced)
        .expect("an account");
    let one = map_json(&mut b, &format!("?q={}", some.name.replace(' ', "+"))).await;
    assert!(
        one["pins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p[0] == some.id.to_string() && p[1] == some.name.as_str()),
        "{one}"
    );
}

async fn the_map_page_loads_its_scripts_from_the_server_and_says_what_to_do_without_them(
    backend: Backend,
) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let page = b.get("/dashboard/map?rep=").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains(r#"id="map""#), "{body}");
    assert!(body.contains(r#"<noscript>"#) && body.contains(r#"href="/dashboard/accounts?""#));
    assert!(body.contains(r#"data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png""#));
    let csp = page.header("content-security-policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        csp.contains("img-src 'self' data: https://tile.openstreetmap.org;"),
        "{csp}"
    );
    // Everything the page loads comes from this server, and is there.
    let mut loaded = 0;
    for attr in [r#"src=""#, r#"href=""#] {
        for piece in body.split(attr).skip(1) {
            let url = &piece[..piece.find('"').unwrap()];
            if url.starts_with("/static/") {
                let (status, kind, bytes) = b.get_bytes(url).await;
                assert_eq!(status, 200, "{url}");
                assert!(!bytes.is_empty() && !kind.is_empty(), "{url}");
                loaded += 1;
            }
            assert!(!url.starts_with("http"), "{url} is not served here");
        }
    }
    assert_eq!(loaded, 5, "app.css, Leaflet's stylesheet, three scripts");
    let (status, _, licence) = b.get_bytes("/static/vendor/leaflet-1.9.4/LICENSE").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&licence).contains("BSD 2-Clause License"));
    let (status, _, licence) = b
        .get_bytes("/static/vendor/supercluster-9.1.0/LICENSE")
        .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&licence).contains("ISC License"));
    assert_eq!(b.get_bytes("/static/vendor/../Cargo.toml").await.0, 404);
}

async fn the_map_is_for_managers_only(backend: Backend) {
    let server = demo_server(backend).await;
    let mut nobody = Browser::new(&server.base);
    for path in ["/dashboard/map", "/dashboard/map.json"] {
        let p = nobody.get(path).await;
        assert_eq!(p.status, 303, "{path}");
        assert_eq!(p.location.as_deref(), Some("/login"), "{path}");
    }
    let mut rep = Browser::new(&server.base);
    let p = rep.sign_in_as(DANA).await;
    assert_ne!(p.status, 303, "a rep does not get into the dashboard");
    let p = rep.get("/dashboard/map.json").await;
    assert_ne!(p.status, 200);
    assert!(!p.body.contains("\"pins\""));
}

/// A square GeoJSON polygon around a place, `half` degrees each way.
fn square(lat: f64, lon: f64, half: f64) -> String {
    let c = |y: f64, x: f64| format!("[{x},{y}]");
    format!(
        r#"{{"type":"Polygon","coordinates":[[{},{},{},{},{}]]}}"#,
        c(lat - half, lon - half),
        c(lat - half, lon + half),
        c(lat + half, lon + half),
        c(lat + half, lon - half),
        c(lat - half, lon - half)
    )
}

/// An administrator imports postal codes' boundaries from GeoJSON (features that cannot
/// be read are named and left out; a file that is not GeoJSON is refused); a manager may
/// not import them but sees the map draw their territory along them.
async fn postal_code_boundaries_are_imported_by_an_admin_and_drawn(backend: Backend) {
    let server = demo_server(backend).await;
    let all = stored(&server).await;
    let (denver, _) = all
        .iter()
        .find(|(a, t)| t == "Denver Metro" && a.lat.is_some() && !a.postal_code.is_empty())
        .expect("a located Denver account");
    let (lat, lon) = (denver.lat.unwrap(), denver.lon.unwrap());
    // The code's shape, drawn a degree west of its accounts: land no cell around them reaches.
    let (far_lat, far_lon) = (lat, lon - 1.0);
    let mut manager = Browser::signed_in(&server.base, MANAGER).await;
    let before = map_json(&mut manager, "").await;
    let index = before["colour_by"]["territory"]
        .as_array()
        .unwrap()
        .iter()
        .position(|g| g["label"] == "Denver Metro")
        .expect("Denver's colour");
    let denver_covers = |map: &Value| {
        map["areas"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["territory"].as_u64() == Some(index as u64))
            .any(|a| inside(a["rings"].as_array().unwrap(), far_lat, far_lon))
    };
    assert!(!denver_covers(&before), "not before the import");

    let page = manager.page("/dashboard/boundaries").await;
    assert!(
        page.contains("No postal code has a boundary yet")
            && page.contains("An administrator imports them")
    );
    let csrf = crate::dashboard::csrf_of(&page);
    let file = format!(
        r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{"ZCTA5CE20":"{code}"}},"geometry":{shape}}},
            {{"type":"Feature","properties":{{"ZCTA5CE20":"80203"}},"geometry":{bad}}},
            {{"type":"Feature","properties":{{"NAME":"somewhere"}},"geometry":{shape}}}
        ]}}"#,
        code = denver.postal_code,
        shape = square(far_lat, far_lon, 0.1),
        bad = square(40.0, 200.0, 0.1),
    );
    let denied = manager
        .post_file(
            "/dashboard/boundaries",
            &[("csrf", &csrf), ("country", "US")],
            ("file", "zcta.geojson", &file),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM unit_boundaries").await,
        0
    );

    let mut admin = Browser::signed_in(&server.base, "admin@demo.rounds.app").await;
    let page = admin.page("/dashboard/boundaries").await;
    let csrf = crate::dashboard::csrf_of(&page);
    let refused = admin
        .post_file(
            "/dashboard/boundaries",
            &[("csrf", &csrf), ("country", "US")],
            ("file", "a.csv", "name,zip\nA,80202\n"),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Nothing was imported")
            && refused
                .body
                .contains("The file is not a GeoJSON FeatureCollection"),
        "{}",
        refused.body
    );

    let imported = admin
        .post_file(
            "/dashboard/boundaries",
            &[("csrf", &csrf), ("country", "US")],
            ("file", "zcta.geojson", &file),
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(
        imported
            .body
            .contains("Imported the boundaries of 1 postal code (codes read from “ZCTA5CE20”)"),
        "{}",
        imported.body
    );
    assert!(imported.body.contains("2 features were left out"));
    assert!(
        imported
            .body
            .contains("Feature 2 (80203): a corner is not a longitude and latitude")
    );
    assert!(
        imported
            .body
            .contains("Feature 3: no postal code in “ZCTA5CE20”")
    );
    assert!(imported.body.contains("1 postal code has a boundary"));
    assert_eq!(
        server.count("SELECT COUNT(*) FROM unit_boundaries").await,
        1
    );

    let after = map_json(&mut manager, "").await;
    assert!(
        denver_covers(&after),
        "Denver is drawn along its code's boundary"
    );
    assert_eq!(after["pins"], before["pins"], "the pins do not move");
}

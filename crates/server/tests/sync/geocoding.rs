//! The optional address geocoder against a stand-in: a small HTTP server in the test that
//! speaks Nominatim's search API shape (`/search?q=…&format=jsonv2&limit=1`, an array of
//! places with `lat` and `lon` as strings). It is not Nominatim; it answers three
//! addresses as a real instance would, one of them only after failing once. On both
//! backends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rounds_core::LocationSource;
use rounds_protocol::records::AccountRecord;

use crate::manage::{all_accounts, import_as, manager};
use crate::support::*;

on_both_backends!(
    threads = 4;
    street_addresses_are_looked_up_once_each_and_never_replace_a_better_place,
);

type Asked = Arc<Mutex<HashMap<String, usize>>>;

async fn search(State(asked): State<Asked>, Query(q): Query<HashMap<String, String>>) -> Response {
    let text = q.get("q").cloned().unwrap_or_default();
    let n = {
        let mut asked = asked.lock().unwrap();
        let n = asked.entry(text.clone()).or_default();
        *n += 1;
        *n
    };
    assert_eq!(q.get("format").map(String::as_str), Some("jsonv2"));
    let place = |lat: &str, lon: &str| {
        axum::Json(serde_json::json!([{ "lat": lat, "lon": lon, "display_name": text }]))
            .into_response()
    };
    if text.starts_with("1600 Glenarm Pl") {
        place("39.7441", "-104.9897")
    } else if text.starts_with("9 Flaky St") {
        if n == 1 {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        } else {
            place("39.7301", "-104.9702")
        }
    } else {
        axum::Json(serde_json::json!([])).into_response()
    }
}

/// A stand-in geocoder on a port of its own; what it was asked, by text.
async fn stand_in() -> (String, Asked) {
    let asked: Asked = Arc::default();
    let app = axum::Router::new()
        .route("/search", axum::routing::get(search))
        .with_state(asked.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

async fn street_addresses_are_looked_up_once_each_and_never_replace_a_better_place(
    backend: Backend,
) {
    let (url, asked) = stand_in().await;
    let (mut settings, dir) = fresh_settings(backend);
    settings.geocoder_url = url;
    settings.geocoder_per_second = 200.0;
    settings.geocoder_pass_secs = 1;
    settings.geocoder_retry_secs = 1;
    let server = TestServer::start_with(settings, dir).await;
    let _org = seed(&server).await;
    let maria = manager(&server).await;
    let file = "name,street,city,region,postal_code,country,territory,lat,lon\n\
        Glenarm One,1600 Glenarm Pl,Denver,CO,80202,US,North,,\n\
        Glenarm Two,1600 Glenarm Pl,Denver,CO,80202,US,North,,\n\
        Nowhere Shop,1 Nowhere Rd,Denver,CO,80202,US,North,,\n\
        Flaky Deli,9 Flaky St,Denver,CO,80203,US,North,,\n\
        Given Pin,1600 Glenarm Pl,Denver,CO,80202,US,North,39.75,-104.99\n\
        No Street,,Denver,CO,80202,US,North,,\n";
    let report = import_as(&server, &maria, file).await;
    assert!(report.ready(), "{report:?}");

    let by_name =
        |all: &[AccountRecord], name: &str| all.iter().find(|a| a.name == name).cloned().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let all = loop {
        let all = all_accounts(&server).await;
        let done = ["Glenarm One", "Glenarm Two", "Flaky Deli"]
            .iter()
            .all(|n| by_name(&all, n).location_source == Some(LocationSource::Address));
        if done {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "placed by address within 30 s: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let one = by_name(&all, "Glenarm One");
    assert_eq!((one.lat, one.lon), (Some(39.7441), Some(-104.9897)));
    assert_eq!(by_name(&all, "Glenarm Two").lat, Some(39.7441));
    assert_eq!(
        by_name(&all, "Flaky Deli").lat,
        Some(39.7301),
        "after one failure"
    );
    // Not found: the postal code's middle stays.
    let nowhere = by_name(&all, "Nowhere Shop");
    assert_eq!(nowhere.location_source, Some(LocationSource::PostalCode));
    // Coordinates given in the file are never replaced; no street, nothing to ask.
    let given = by_name(&all, "Given Pin");
    assert_eq!(
        (given.lat, given.location_source),
        (Some(39.75), Some(LocationSource::Imported))
    );
    assert_eq!(
        by_name(&all, "No Street").location_source,
        Some(LocationSource::PostalCode)
    );

    // A few more passes, then: each address text was sent once (the flaky one twice).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let asked = asked.lock().unwrap().clone();
    assert_eq!(
        asked.get("1600 Glenarm Pl, Denver, CO, 80202, US"),
        Some(&1),
        "{asked:?}"
    );
    assert_eq!(
        asked.get("1 Nowhere Rd, Denver, CO, 80202, US"),
        Some(&1),
        "{asked:?}"
    );
    assert_eq!(
        asked.get("9 Flaky St, Denver, CO, 80203, US"),
        Some(&2),
        "{asked:?}"
    );
    assert_eq!(asked.len(), 3, "nothing else left the server: {asked:?}");

    // The manager sees what the geocoder did and what waits for it.
    let mut b = crate::dashboard::Browser::signed_in(&server.base, "maria@example.com").await;
    let page = b.get("/dashboard/unmapped").await;
    assert!(
        page.body.contains("1 of your team&#39;s account waits")
            || page.body.contains("1 of your team's account waits"),
        "Nowhere Shop waits: {}",
        page.body
    );
    assert!(
        page.body.contains("2 addresses found, 1 not known to it"),
        "{}",
        page.body
    );
    // The seeded accounts had coordinates of their own: never sent.
}

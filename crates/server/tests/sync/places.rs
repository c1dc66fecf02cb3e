//! Every account on the map: an import places accounts by their US ZIP code with no
//! network, says why the others cannot be, keeps where each location came from, and
//! never lets a lookup replace a rep's pin or a manager's; the "Not on the map" page
//! fixes the rest in place. On both backends.

use chrono::Utc;
use rounds_core::LocationSource;
use rounds_protocol::sync::{AccountEdit, LatLonRecord};
use rounds_server::import::{self, Action};

use crate::dashboard::{Browser, csrf_of};
use crate::manage::{all_accounts, import_as, manager, stored};
use crate::support::*;

on_both_backends!(
    threads = 4;
    an_import_places_accounts_by_their_zip_and_keeps_where_each_location_came_from,
    accounts_not_on_the_map_are_listed_with_why_and_placed_in_place,
);

fn near(at: (Option<f64>, Option<f64>), lat: f64, lon: f64) -> bool {
    matches!(at, (Some(a), Some(o)) if (a - lat).abs() < 0.1 && (o - lon).abs() < 0.1)
}

async fn an_import_places_accounts_by_their_zip_and_keeps_where_each_location_came_from(
    backend: Backend,
) {
    let (server, _org) = start(backend).await;
    let maria = manager(&server).await;
    let import = |csv: String| {
        let (server, maria) = (&server, &maria);
        async move { import_as(server, maria, &csv).await }
    };
    // A HubSpot export: no coordinates at all, a ZIP that lost its leading zero in
    // Excel, a German address, and one row that brings its own coordinates.
    let file = "Record ID,Company name,Postal Code,Country/Region,Territory,lat,lon\n\
        1,Zip Placed,80202,United States,North,,\n\
        2,Excel Zeros,2134,,North,,\n\
        3,Abroad,10115,DE,North,,\n\
        4,Own Pin,80202,US,North,39.7000,-104.9000\n\
        5,Guess Then Pin,80205,US,North,,\n";
    let report = import(file.to_owned()).await;
    assert_eq!(report.invalid(), 0, "{report:?}");
    assert_eq!(report.placement(), (3, 1), "{report:?}");
    let abroad = report.rows.iter().find(|r| r.name == "Abroad").unwrap();
    assert_eq!(
        abroad.placed.unplaced.as_deref(),
        Some("postal codes of DE are not known offline (only the United States)")
    );
    let all = all_accounts(&server).await;
    let by_name = |name: &str| all.iter().find(|a| a.name == name).cloned().unwrap();
    let zip = by_name("Zip Placed");
    assert!(
        near((zip.lat, zip.lon), 39.75, -104.99),
        "Denver 80202: {zip:?}"
    );
    assert_eq!(zip.location_source, Some(LocationSource::PostalCode));
    let zeros = by_name("Excel Zeros");
    assert!(
        near((zeros.lat, zeros.lon), 42.35, -71.13),
        "Allston 02134: {zeros:?}"
    );
    let abroad = by_name("Abroad");
    assert_eq!((abroad.lat, abroad.location_source), (None, None));
    let own = by_name("Own Pin");
    assert_eq!((own.lat, own.lon), (Some(39.7), Some(-104.9)));
    assert_eq!(own.location_source, Some(LocationSource::Imported));

    // The next export moves Zip Placed to Atlanta: its geocode follows the address.
    let next = file.replace("1,Zip Placed,80202,", "1,Zip Placed,30303,");
    let report = import(next.clone()).await;
    let row = report.rows.iter().find(|r| r.name == "Zip Placed").unwrap();
    assert_eq!(
        row.action,
        Some(Action::Update(vec!["postal_code", "location"])),
        "{report:?}"
    );
    let zip = stored(&server, zip.id).await;
    assert!(near((zip.lat, zip.lon), 33.75, -84.39), "Atlanta: {zip:?}");
    for r in &report.rows {
        if r.name != "Zip Placed" {
            assert_eq!(r.action, Some(Action::Unchanged), "{r:?}");
        }
    }

    // Ana sets the pin at the door; the export after that names another ZIP, and the
    // rep's pin stays where she set it.
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.sync().await;
    let door = LatLonRecord {
        lat: 33.7601,
        lon: -84.3902,
    };
    ana.edit(zip.id, AccountEdit::Location(Some(door)));
    ana.sync().await;
    let pinned = stored(&server, zip.id).await;
    assert_eq!((pinned.lat, pinned.lon), (Some(door.lat), Some(door.lon)));
    assert_eq!(pinned.location_source, Some(LocationSource::Device));
    let report = import(next.replace(",30303,", ",75201,")).await;
    let row = report.rows.iter().find(|r| r.name == "Zip Placed").unwrap();
    assert_eq!(row.action, Some(Action::Update(vec!["postal_code"])));
    let kept = stored(&server, zip.id).await;
    assert_eq!(
        (kept.lat, kept.lon, kept.location_source),
        (Some(door.lat), Some(door.lon), Some(LocationSource::Device)),
        "a lookup never replaces the rep's pin"
    );

    // A pin set offline before a manager's import re-placed the account by ZIP still
    // wins when it arrives after: a geocode is a guess, whatever the clocks say.
    let guess = by_name("Guess Then Pin");
    let offline_pin = LatLonRecord {
        lat: 39.7402,
        lon: -104.9511,
    };
    ana.edit(guess.id, AccountEdit::Location(Some(offline_pin)));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    import(next.replace("5,Guess Then Pin,80205,", "5,Guess Then Pin,80206,")).await;
    let guessed = stored(&server, guess.id).await;
    assert_eq!(guessed.postal_code, "80206");
    assert_eq!(guessed.location_source, Some(LocationSource::PostalCode));
    ana.sync().await;
    let after = stored(&server, guess.id).await;
    assert_eq!(
        (after.lat, after.location_source),
        (Some(offline_pin.lat), Some(LocationSource::Device)),
        "the rep's pin, made before the guess, outranks it"
    );
    let conflicts = server
        .count("SELECT COUNT(*) FROM conflicts WHERE field = 'location'")
        .await;
    assert_eq!(
        conflicts, 0,
        "a guess replaced by a pin is no conflict for the manager"
    );

    // A device's new ZIP for an account placed only by its ZIP moves it too.
    ana.edit(zeros.id, AccountEdit::PostalCode("80203".into()));
    ana.sync().await;
    let moved = stored(&server, zeros.id).await;
    assert!(
        near((moved.lat, moved.lon), 39.73, -104.98),
        "Denver 80203: {moved:?}"
    );
    assert_eq!(moved.location_source, Some(LocationSource::PostalCode));
    assert!(
        ana.rows.values().any(|r| matches!(
            r,
            rounds_protocol::sync::Row::Account(a)
                if a.id == zeros.id && a.location_source == Some(LocationSource::PostalCode)
        )),
        "the device receives the new place and where it came from"
    );

    // The export names every source and imports back unchanged.
    let mine = all_accounts(&server).await;
    let bytes = import::export_accounts(&mine, &|_| "North".to_owned()).expect("export");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(
        text.starts_with("id,name,street,city,region,postal_code,country,lat,lon,location_source,")
    );
    for source in ["postal_code", "device", "imported"] {
        assert!(text.contains(&format!(",{source},")), "{source} in {text}");
    }
}

async fn accounts_not_on_the_map_are_listed_with_why_and_placed_in_place(backend: Backend) {
    let (server, org) = start(backend).await;
    let maria = manager(&server).await;
    let file = "name,postal_code,country,territory\n\
        Far Away,10115,DE,North\n\
        No Code,,,North\n\
        Retired Zip,00000,US,North\n";
    let report = import_as(&server, &maria, file).await;
    assert_eq!(report.placement(), (0, 3));
    // An account from before offline placing: a known ZIP, no location.
    let mut legacy = account(
        rounds_protocol::AccountId::from_uuid(uuid::Uuid::now_v7()),
        "Legacy Shop",
        org.north,
        Utc::now(),
    );
    (legacy.lat, legacy.lon, legacy.postal_code) = (None, None, "80202".into());
    let rec = legacy.clone();
    server
        .db
        .write(move |tx| rounds_server::org::create_account(tx, &rec, Utc::now()))
        .await
        .expect("stored");
    let all = all_accounts(&server).await;
    let id_of = |name: &str| all.iter().find(|a| a.name == name).unwrap().id;

    let mut browser = Browser::signed_in(&server.base, "maria@example.com").await;
    let page = browser.get("/dashboard/unmapped").await;
    assert_eq!(page.status, 200);
    for (name, why) in [
        ("Far Away", "Postal codes of DE are not known offline"),
        ("No Code", "No postal code"),
        ("Retired Zip", "ZIP code 00000 is not in the table"),
        ("Legacy Shop", "Its postal code is known: place it here"),
    ] {
        let row = page
            .body
            .split("<tr data-account=")
            .find(|r| r.contains(name))
            .unwrap_or_else(|| panic!("{name} is listed: {}", page.body));
        assert!(row.contains(why), "{name}: {why} in {row}");
    }
    let csrf = csrf_of(&page.body);
    assert!(page.body.contains("Place the 1 whose postal code is known"));
    assert!(
        page.body
            .contains("No street-level geocoder is set, so no address leaves this server"),
        "{}",
        page.body
    );
    let all_placed = browser
        .post("/dashboard/unmapped", &[("csrf", &csrf)])
        .await;
    assert_eq!(
        all_placed.location.as_deref(),
        Some("/dashboard/unmapped?placed_all=1")
    );
    let legacy = stored(&server, legacy.id).await;
    assert!(near((legacy.lat, legacy.lon), 39.75, -104.99), "{legacy:?}");
    assert_eq!(legacy.location_source, Some(LocationSource::PostalCode));

    // A bad fix saves nothing and says why, beside the row.
    let retired = id_of("Retired Zip");
    let path = format!("/dashboard/unmapped/{retired}");
    let refused = browser
        .post(
            &path,
            &[("csrf", &csrf), ("postal_code", "99999"), ("country", "US")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("ZIP code 99999 is not in the table"),
        "{}",
        refused.body
    );
    let bad = browser
        .post(&path, &[("csrf", &csrf), ("lat", "91"), ("lon", "10")])
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        stored(&server, retired).await.postal_code,
        "00000",
        "nothing saved"
    );

    // A real ZIP places it at once; coordinates place another by hand.
    let placed = browser
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("postal_code", "80202-1234"),
                ("country", "US"),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let rec = stored(&server, retired).await;
    assert_eq!(rec.postal_code, "80202-1234");
    assert!(near((rec.lat, rec.lon), 39.75, -104.99), "{rec:?}");
    assert_eq!(rec.location_source, Some(LocationSource::PostalCode));
    let far = id_of("Far Away");
    let placed = browser
        .post(
            &format!("/dashboard/unmapped/{far}"),
            &[("csrf", &csrf), ("lat", "52.5321"), ("lon", "13.3849")],
        )
        .await;
    assert_eq!(placed.status, 303);
    let rec = stored(&server, far).await;
    assert_eq!(
        (rec.lat, rec.lon, rec.location_source, rec.country.as_str()),
        (
            Some(52.5321),
            Some(13.3849),
            Some(LocationSource::Hand),
            "DE"
        )
    );
    let after = browser.get(placed.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Placed: "), "{}", after.body);
    assert!(after.body.contains("No Code"));
    assert!(
        !after.body.contains("Far Away</a></td>"),
        "placed accounts leave the list"
    );

    // The account page says where its location came from.
    let page = browser.get(&format!("/dashboard/accounts/{retired}")).await;
    assert!(
        page.body.contains("Location: middle of its postal code, within about 5 km. A check-in cannot be verified against it."),
        "{}",
        page.body
    );
    // Another team's account cannot be placed from here.
    let (_, theirs) = crate::manage::elsewhere(&server).await;
    let page = browser
        .post(
            &format!("/dashboard/unmapped/{theirs}"),
            &[("csrf", &csrf), ("postal_code", "80202"), ("country", "US")],
        )
        .await;
    assert_eq!(page.status, 404);
}

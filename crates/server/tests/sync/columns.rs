//! A file whose columns the importer cannot guess: the manager chooses how each is read
//! before the preview, a wrong choice is refused with why, and the choice is kept for
//! the next file with the same headers. Over HTTP, on both backends.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rounds_core::LocationSource;

use crate::dashboard::{Browser, csrf_of};
use crate::manage::all_accounts;
use crate::support::*;

on_both_backends!(
    threads = 4;
    a_manager_chooses_how_columns_are_read_and_the_next_file_is_read_the_same_way,
);

/// The value of the first hidden input named `name`.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"name="{name}" value=""#))
        .unwrap_or_else(|| panic!("a hidden {name}"));
    let rest = &html[at + name.len() + r#"name="" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn a_manager_chooses_how_columns_are_read_and_the_next_file_is_read_the_same_way(
    backend: Backend,
) {
    let (server, org) = start(backend).await;
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let csrf = csrf_of(&maria.get("/dashboard/import").await.body);
    let file = "Shop,Zip Code,Rep Email,Notes\nAcme Hardware,80202,ana@example.com,call first\n";
    let preview = maria
        .post("/dashboard/import", &[("csrf", &csrf), ("csv", file)])
        .await;
    assert_eq!(
        preview.status, 422,
        "no name column is guessed: {}",
        preview.body
    );
    assert!(preview.body.contains(r#"id="import-remap""#));
    assert!(
        preview.body.contains("Acme Hardware"),
        "the first value beside its column"
    );
    let csv = B64.encode(file);

    // A column chosen twice is refused with why, and nothing can be confirmed.
    let twice = maria
        .post(
            "/dashboard/import/remap",
            &[
                ("csrf", &csrf),
                ("csv", &csv),
                ("col", "name"),
                ("col", "name"),
                ("col", ""),
                ("col", ""),
            ],
        )
        .await;
    assert_eq!(twice.status, 422);
    assert!(
        twice
            .body
            .contains("name is chosen for both “Shop” and “Zip Code”"),
        "{}",
        twice.body
    );
    assert!(!twice.body.contains("/dashboard/import/confirm"));
    let unknown = maria
        .post(
            "/dashboard/import/remap",
            &[
                ("csrf", &csrf),
                ("csv", &csv),
                ("col", "name"),
                ("col", "password"),
                ("col", ""),
                ("col", ""),
            ],
        )
        .await;
    assert!(
        unknown
            .body
            .contains("“Zip Code” is set to read as “password”, which is not a column")
    );

    // Shop → name, Zip Code → postal code, Rep Email → the owner's territory, Notes not read.
    let chosen = maria
        .post(
            "/dashboard/import/remap",
            &[
                ("csrf", &csrf),
                ("csv", &csv),
                ("col", "name"),
                ("col", "postal_code"),
                ("col", "owner"),
                ("col", ""),
            ],
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert!(chosen.body.contains("Columns read as you chose"));
    assert!(
        chosen
            .body
            .contains("1 placed on the map by their postal code")
    );
    let key = hidden(&chosen.body, "key");
    let done = maria
        .post(
            "/dashboard/import/confirm",
            &[
                ("csrf", &csrf),
                ("csv", &csv),
                ("key", &key),
                ("chosen", "1"),
                ("col", "name"),
                ("col", "postal_code"),
                ("col", "owner"),
                ("col", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("1 account created"), "{}", done.body);
    let acme = all_accounts(&server)
        .await
        .into_iter()
        .find(|a| a.name == "Acme Hardware")
        .expect("imported");
    assert_eq!(acme.territory_id, Some(org.north), "Ana's territory");
    assert_eq!(acme.postal_code, "80202");
    assert_eq!(acme.location_source, Some(LocationSource::PostalCode));

    // The next export, its columns in another order, is read the same way at once.
    let next = "Notes,Rep Email,Zip Code,Shop\nopen late,ana@example.com,80203,Beta Supply\n";
    let preview = maria
        .post("/dashboard/import", &[("csrf", &csrf), ("csv", next)])
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview
            .body
            .contains("Columns read as chosen for a file with the same headers on"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("1 new"));
}

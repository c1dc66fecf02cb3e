//! A file whose columns the importer cannot guess: the manager chooses how each is read
//! before the preview, a wrong choice is refused with why, and the choice is kept for
//! the next file with the same headers. A large file is kept on the server and previewed
//! a page at a time. Over HTTP, on both backends.

use rounds_core::LocationSource;

use crate::dashboard::{Browser, csrf_of};
use crate::manage::all_accounts;
use crate::support::*;

on_both_backends!(
    threads = 4;
    a_manager_chooses_how_columns_are_read_and_the_next_file_is_read_the_same_way,
    a_large_file_is_previewed_a_page_at_a_time_and_only_by_its_uploader,
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
    let csv = hidden(&preview.body, "upload");

    // A column chosen twice is refused with why, and nothing can be confirmed.
    let twice = maria
        .post(
            "/dashboard/import/remap",
            &[
                ("csrf", &csrf),
                ("upload", &csv),
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
                ("upload", &csv),
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
                ("upload", &csv),
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
                ("upload", &csv),
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

async fn a_large_file_is_previewed_a_page_at_a_time_and_only_by_its_uploader(backend: Backend) {
    let (server, _org) = start(backend).await;
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let csrf = csrf_of(&maria.get("/dashboard/import").await.body);
    let mut file = String::from("name,postal_code,territory\n");
    for i in 0..1_200 {
        // Every 97th row names a territory that does not exist.
        let t = if i % 97 == 5 { "Nowhere" } else { "North" };
        file.push_str(&format!("Shop {i},80202,{t}\n"));
    }
    let first = maria
        .post("/dashboard/import", &[("csrf", &csrf), ("csv", &file)])
        .await;
    assert_eq!(first.status, 422, "13 rows name no territory");
    assert!(
        first.body.contains("Rows 1–500 of 1200 · page 1 of 3"),
        "{}",
        &first.body[..2000]
    );
    assert_eq!(
        first.body.matches(" data-line=").count(),
        500,
        "one page of rows"
    );
    let upload = hidden(&first.body, "upload");
    let third = maria
        .get(&format!("/dashboard/import/{upload}?page=3"))
        .await;
    assert!(third.body.contains("Rows 1001–1200 of 1200"));
    assert!(third.body.contains(r#"data-line="1201""#), "the last line");
    let problems = maria
        .get(&format!("/dashboard/import/{upload}?show=problems"))
        .await;
    assert_eq!(problems.body.matches(r#"data-valid="false""#).count(), 13);
    assert_eq!(problems.body.matches(r#"data-valid="true""#).count(), 0);
    assert!(problems.body.contains("Show every row"));
    // A page past the end shows the last one.
    let past = maria
        .get(&format!("/dashboard/import/{upload}?page=99"))
        .await;
    assert!(past.body.contains("page 3 of 3"));

    // Another manager cannot see it, let alone import it; a made-up id is not found.
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    server
        .db
        .write(move |tx| {
            rounds_server::org::add_user(
                tx,
                &rounds_server::org::NewUser {
                    email: "other@example.com".into(),
                    name: "Other".into(),
                    role: rounds_core::Role::Manager,
                    password_hash: hash.clone(),
                    manager: None,
                    time_zone: "UTC".into(),
                },
                chrono::Utc::now(),
            )
        })
        .await
        .expect("another manager");
    let mut stranger = Browser::signed_in(&server.base, "other@example.com").await;
    assert_eq!(
        stranger
            .get(&format!("/dashboard/import/{upload}"))
            .await
            .status,
        404
    );
    let s_csrf = csrf_of(&stranger.get("/dashboard/import").await.body);
    let refused = stranger
        .post(
            "/dashboard/import/confirm",
            &[("csrf", &s_csrf), ("upload", &upload), ("key", "k1")],
        )
        .await;
    assert_eq!(refused.status, 404);
    let made_up = uuid::Uuid::now_v7();
    assert_eq!(
        maria
            .get(&format!("/dashboard/import/{made_up}"))
            .await
            .status,
        404
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM accounts WHERE data LIKE '%Shop 1%'")
            .await,
        0
    );
}

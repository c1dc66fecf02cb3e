//! An import from a script, without the browser: `POST /manage/import/{kind}` with the
//! CSV as the body, checked only, then imported with `confirm=true` (once per key), and
//! the same refusals as the dashboard. On both backends.

use rounds_core::LocationSource;

use crate::manage::all_accounts;
use crate::support::*;

on_both_backends!(
    threads = 4;
    a_script_checks_then_imports_a_crm_export_once,
);

async fn post_csv(
    base: &str,
    token: Option<&str>,
    path: &str,
    csv: &str,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn a_script_checks_then_imports_a_crm_export_once(backend: Backend) {
    let (server, org) = start(backend).await;
    let maria = login(&server.base, "maria@example.com", PASSWORD)
        .await
        .expect("a manager signs in")
        .token;
    let base = server.base.clone();
    let before = all_accounts(&server).await.len();
    let file = "Record ID,Company name,Postal Code,Company owner\n\
        7001,Lakeside Dental,80202,ana@example.com\n\
        7002,Old Town Vet,02134,ben@example.com\n";

    let (status, checked) = post_csv(&base, Some(&maria), "/manage/import/accounts", file).await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["new"], 2);
    assert_eq!(checked["placed_by_postal_code"], 2);
    assert_eq!(checked["imported"], false);
    assert_eq!(all_accounts(&server).await.len(), before, "only checked");

    let path = "/manage/import/accounts?confirm=true&key=nightly-2026-12-05";
    let (status, done) = post_csv(&base, Some(&maria), path, file).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (done["imported"].clone(), done["applied"].clone()),
        (true.into(), 2.into())
    );
    let (status, again) = post_csv(&base, Some(&maria), path, file).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["imported"], true,
        "the same key: answered, not imported again"
    );
    let all = all_accounts(&server).await;
    assert_eq!(all.len(), before + 2);
    let vet = all.iter().find(|a| a.name == "Old Town Vet").unwrap();
    assert_eq!(vet.territory_id, Some(org.south), "Ben's");
    assert_eq!(vet.location_source, Some(LocationSource::PostalCode));

    // A bad row: 422, why, and nothing imported.
    let bad = "name,territory,email\nGood Co,North,\nBad Co,North,not-an-email\n";
    let (status, refused) = post_csv(
        &base,
        Some(&maria),
        "/manage/import/accounts?confirm=true",
        bad,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["imported"], false);
    assert_eq!(refused["errors"][0]["line"], 3);
    assert!(
        refused["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("email"),
        "{refused}"
    );
    assert!(
        !all_accounts(&server)
            .await
            .iter()
            .any(|a| a.name == "Good Co")
    );

    // Contacts the same way.
    let people =
        "First Name,Last Name,Email,Company\nNoor,Haddad,noor@example.com,Lakeside Dental\n";
    let (status, c) = post_csv(
        &base,
        Some(&maria),
        "/manage/import/contacts?confirm=true",
        people,
    )
    .await;
    assert_eq!((status, c["applied"].clone()), (200, 1.into()), "{c}");

    // Who may: not a rep, not without a token; only accounts or contacts.
    let ana = login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect("rep")
        .token;
    assert_eq!(
        post_csv(&base, Some(&ana), "/manage/import/accounts", file)
            .await
            .0,
        403
    );
    assert_eq!(
        post_csv(&base, None, "/manage/import/accounts", file)
            .await
            .0,
        401
    );
    assert_eq!(
        post_csv(&base, Some(&maria), "/manage/import/widgets", file)
            .await
            .0,
        400
    );

    // The document describes it, for a script's client.
    let doc: serde_json::Value = reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["paths"]["/manage/import/{kind}"]["post"].is_object(),
        "in /openapi.json"
    );
}

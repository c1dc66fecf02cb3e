//! The dashboard's account list and its exports past a page: every account of the team
//! once, by name, through "Next" and back through "Previous"; filters answered by the
//! database (text in any case, `%` and `_` meaning themselves); the export streaming
//! every account across its pieces; and the keys of older rows filled in by the backfill.
//! On both backends.

use rounds_protocol::{AccountId, TerritoryId};
use rounds_server::account_list;
use rounds_server::db::{Sql, Val};
use rounds_server::org;
use uuid::Uuid;

use crate::dashboard::{Browser, DANA, MANAGER, attr_values, demo_server, link, user_id};
use crate::support::*;

on_both_backends!(
    threads = 2;
    the_account_list_and_its_export_page_through_every_account_once,
);

/// More accounts than one export piece, so every seam is crossed.
const ADDED: usize = rounds_server::dashboard::export::ACCOUNT_PIECE + 150;

/// The manager's accounts as the database orders them: the territories of the reps they
/// manage and those nobody works.
async fn managers_accounts(server: &TestServer) -> Vec<(String, String)> {
    server
        .db
        .read(|tx| {
            let rows = tx.query(
                "SELECT a.id, a.data FROM accounts a
                 JOIN territories t ON t.id = a.territory_id
                 LEFT JOIN users u ON u.id = t.rep_id
                 WHERE t.rep_id IS NULL OR u.manager_id = (SELECT id FROM users WHERE email = $1)
                 ORDER BY a.name_key, a.id",
                &[Val::from(MANAGER)],
            )?;
            rows.iter()
                .map(|r| {
                    let rec: rounds_protocol::records::AccountRecord = r.json(1)?;
                    Ok((r.text(0)?, rec.name))
                })
                .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
        })
        .await
        .unwrap()
}

/// Every page from `first`, following "Next": the bodies and the account ids in order.
async fn walk(b: &mut Browser, first: &str) -> (Vec<String>, Vec<String>) {
    let (mut bodies, mut seen) = (Vec::new(), Vec::new());
    let mut at = first.to_owned();
    loop {
        let body = b.page(&at).await;
        seen.extend(attr_values(&body, "data-account"));
        let next = link(&body, "next");
        bodies.push(body);
        match next {
            Some(n) => at = n,
            None => return (bodies, seen),
        }
    }
}

async fn the_account_list_and_its_export_page_through_every_account_once(backend: Backend) {
    let server = demo_server(backend).await;
    let dana = user_id(&server, DANA).await;
    let territory: TerritoryId = server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT id FROM territories WHERE rep_id = $1",
                &[Val::from(dana.to_string())],
            )?
            .parse(0)
        })
        .await
        .unwrap();
    // Names that sort and search awkwardly beside many plain ones: two that differ only
    // in case (the id breaks the tie), `%` and `_`, and letters beyond ASCII.
    let special = [
        "zeta",
        "Zeta",
        "100% Juice",
        "under_score Deli",
        "ÉCLAIR Bakery",
    ];
    let names: Vec<String> = special
        .iter()
        .map(|s| s.to_string())
        .chain((0..ADDED).map(|i| format!("Shop {:04}", (i * 7919) % ADDED)))
        .collect();
    let ids: Vec<AccountId> = server
        .db
        .write(move |tx| {
            let mut ids = Vec::new();
            for name in &names {
                let rec = account(
                    AccountId::from_uuid(Uuid::now_v7()),
                    name,
                    territory,
                    test_now(),
                );
                org::create_account(tx, &rec, test_now())?;
                ids.push(rec.id);
            }
            Ok::<_, rounds_server::Error>(ids)
        })
        .await
        .unwrap();
    let expected = managers_accounts(&server).await;
    let expected_ids: Vec<String> = expected.iter().map(|(id, _)| id.clone()).collect();
    if backend == Backend::Sqlite {
        // SQLite compares text by its bytes: the order is Rust's, by lowercased name.
        let mut by_rust = expected.clone();
        by_rust.sort_by(|a, b| {
            a.1.to_lowercase()
                .cmp(&b.1.to_lowercase())
                .then(a.0.cmp(&b.0))
        });
        assert_eq!(by_rust, expected, "by lowercased name, then id");
    }

    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let (bodies, seen) = walk(&mut b, "/dashboard/accounts").await;
    assert_eq!(seen, expected_ids, "every account once, by name");
    assert_eq!(
        bodies.len(),
        expected
            .len()
            .div_ceil(rounds_server::dashboard::accounts::PAGE)
    );
    assert!(
        bodies[0].contains(&format!("{} accounts", expected.len())),
        "the total is counted"
    );

    // Back from the last page: each "Previous" page is the page before it; the first has
    // no "Previous".
    let mut back = bodies.last().unwrap().clone();
    for earlier in bodies.iter().rev().skip(1) {
        back = b.page(&link(&back, "prev").expect("a previous page")).await;
        assert_eq!(
            attr_values(&back, "data-account"),
            attr_values(earlier, "data-account")
        );
    }
    assert!(link(&back, "prev").is_none(), "nothing before the first");

    // Filters, answered by the database.
    let only = |q: &str| format!("/dashboard/accounts?q={q}");
    let id = |i: usize| ids[i].to_string();
    for (q, want) in [
        ("100%25", vec![id(2)]),
        ("_", vec![id(3)]),
        ("%C3%A9clair", vec![id(4)]),
        ("UNDER_SCORE+deli", vec![id(3)]),
    ] {
        let body = b.page(&only(q)).await;
        assert_eq!(attr_values(&body, "data-account"), want, "q={q}");
        assert!(body.contains("1 account "), "q={q}: one counted");
    }
    let mut zetas = vec![id(0), id(1)];
    zetas.sort();
    let body = b.page(&only("ZETA")).await;
    assert_eq!(
        attr_values(&body, "data-account"),
        zetas,
        "same name: by id"
    );
    let (_, danas) = walk(&mut b, &format!("/dashboard/accounts?rep={dana}")).await;
    let dana_count = server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT COUNT(*) FROM accounts WHERE territory_id = $1",
                &[Val::from(territory)],
            )?
            .int(0)
        })
        .await
        .unwrap();
    assert_eq!(danas.len() as i64, dana_count, "Dana's accounts");
    assert!(danas.len() > ADDED);
    let none = b.page("/dashboard/accounts?territory=nowhere").await;
    assert!(none.contains("No account matches.") && none.contains("0 accounts"));
    let damaged = b.get("/dashboard/accounts?after=yesterday~x").await;
    assert_eq!(damaged.status, 400, "{}", damaged.body);
    assert!(damaged.body.contains("This page link is damaged"));

    // The export streams every account once, in the list's order, across its pieces.
    let (status, _, bytes) = b.get_bytes("/dashboard/accounts.csv").await;
    assert_eq!(status, 200);
    let mut csv = csv::Reader::from_reader(&bytes[..]);
    let at = csv
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "id")
        .expect("an id column");
    let exported: Vec<String> = csv.records().map(|r| r.unwrap()[at].to_owned()).collect();
    assert_eq!(exported, expected_ids, "the export: every account once");
    let (_, _, bytes) = b
        .get_bytes(&format!("/dashboard/accounts.csv?rep={dana}&shape=hubspot"))
        .await;
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches("Record ID,").count(), 1, "one header");
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count() as i64,
        dana_count
    );

    // Rows from before the keys: the backfill keys them all again, a batch at a time, and
    // the list reads as before.
    let total = server.count("SELECT COUNT(*) FROM accounts").await;
    server
        .db
        .write(|tx| {
            tx.exec(
                "UPDATE accounts SET name_key = NULL, search_text = NULL",
                &[],
            )
        })
        .await
        .unwrap();
    let keyed = account_list::backfill(&server.db).await.unwrap();
    assert_eq!(keyed as i64, total);
    assert!(total as usize > account_list::BACKFILL_BATCH);
    assert_eq!(account_list::backfill(&server.db).await.unwrap(), 0);
    let (_, again) = walk(&mut b, "/dashboard/accounts").await;
    assert_eq!(again, expected_ids, "the same pages after the backfill");
    let body = b.page(&only("%C3%A9clair")).await;
    assert_eq!(attr_values(&body, "data-account"), vec![id(4)]);
}

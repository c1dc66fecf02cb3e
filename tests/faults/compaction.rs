//! A device whose cursor is older than the compacted changelog (S16): while it was away
//! its accounts moved out and back, another of its rep's devices renamed one three times,
//! and the server compacted the changelog. Its next sync must leave it holding exactly the
//! server's territory, with the server's values.

use std::collections::BTreeMap;

use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::AccountEdit;

use crate::support::*;

/// The accounts of Dana's territory on the server: id → name.
async fn on_server(server: &Server, territory: String) -> BTreeMap<String, String> {
    server
        .db()
        .await
        .read(move |tx| {
            use rounds_server::db::Sql;
            let mut out = BTreeMap::new();
            for r in tx.query(
                "SELECT id, data FROM accounts WHERE territory_id = $1",
                rounds_server::params![territory],
            )? {
                let rec: AccountRecord = r.json(1)?;
                out.insert(r.text(0)?, rec.name);
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

fn on_device(d: &Device) -> BTreeMap<String, String> {
    d.store
        .read()
        .accounts()
        .all()
        .unwrap()
        .into_iter()
        .map(|v| (v.account.id.to_string(), v.account.name.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s16_a_cursor_older_than_the_compacted_changelog_still_converges() {
    let server = Server::demo().await;
    let mut away = Device::sign_in(&server, DANA).await;
    let mut other = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, "marcus@demo.rounds.app").await;
    away.sync().await.unwrap();
    other.sync().await.unwrap();
    marcus.sync().await.unwrap();
    let dana_territory = away.store.read().territories().list().unwrap()[0].id;
    let marcus_territory = marcus.store.read().territories().list().unwrap()[0].id;
    let accounts = away.store.read().accounts().all().unwrap();
    let (gone, back, renamed) = (
        accounts[0].account.id,
        accounts[1].account.id,
        accounts[2].account.id,
    );

    // While `away` is offline: one account leaves, one leaves and comes back, one is
    // renamed three times from Dana's other device.
    server.move_account(gone, marcus_territory).await;
    server.move_account(back, marcus_territory).await;
    server.move_account(back, dana_territory).await;
    for name in ["Renamed once", "Renamed twice", "Renamed thrice"] {
        other
            .store
            .edit_account(renamed, AccountEdit::Name(name.into()), now())
            .unwrap();
        other.sync().await.unwrap();
    }
    let removed = server
        .db()
        .await
        .write(rounds_server::changelog::compact)
        .await
        .unwrap();
    assert!(
        removed >= 3,
        "the superseded entries went ({removed}), so `away`'s cursor points into a compacted log"
    );

    away.sync().await.unwrap();
    let expected = on_server(&server, dana_territory.to_string()).await;
    assert_eq!(on_device(&away), expected, "exactly the server's territory");
    assert!(!expected.contains_key(&gone.to_string()));
    assert!(expected.contains_key(&back.to_string()));
    assert_eq!(expected[&renamed.to_string()], "Renamed thrice");
    other.sync().await.unwrap();
    assert_eq!(
        on_device(&other),
        expected,
        "and the same as the other device"
    );
    println!("s16: {removed} changelog entries compacted away under an old cursor; converged");
}

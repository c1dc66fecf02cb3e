//! A corrupted synced row (S17): rows of the device's copy that no longer read are found
//! when the app starts, and their bucket is sent again from a snapshot; the rep's own
//! unsent work is untouched and still reaches the server once.

use rounds_client::{SyncEngine, system_clock};

use crate::oracle::Oracle;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s17_a_corrupted_synced_row_is_found_and_its_bucket_sent_again() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let mut oracle = Oracle::default();
    let visit = dana.log_visit("logged offline, before the damage");
    oracle.saved(&dana, visit.clone());
    let accounts_before = dana.store.read().accounts().count().unwrap();

    // Damage two synced rows behind the store's back: an account's stage and an
    // activity's kind hold values no build ever wrote.
    {
        let conn = rusqlite::Connection::open(dana.db_path()).unwrap();
        let changed = conn
            .execute(
                "UPDATE accounts SET stage = 'scribbled' WHERE id = (SELECT min(id) FROM accounts)",
                [],
            )
            .unwrap()
            + conn
                .execute(
                    "UPDATE activities SET kind = '\u{fffd}' WHERE id = (SELECT min(id) FROM activities)",
                    [],
                )
                .unwrap();
        assert_eq!(changed, 2, "two rows damaged");
    }
    let damaged = dana.store.read().damaged_buckets().unwrap();
    assert_eq!(
        damaged.len(),
        1,
        "both rows are in Dana's territory: {damaged:?}"
    );
    assert!(
        dana.store.read().accounts().all().is_err(),
        "the damage shows: the account list no longer reads"
    );

    // The app starts again: its first sync finds the damage and has the bucket resent.
    dana.engine = SyncEngine::new(dana.engine.api().clone(), system_clock());
    dana.sync().await.expect("the sync that repairs the bucket");
    assert!(
        dana.store.read().damaged_buckets().unwrap().is_empty(),
        "nothing damaged is left"
    );
    assert_eq!(
        dana.store.read().accounts().count().unwrap(),
        accounts_before,
        "the territory is whole again"
    );
    let mut fresh = Device::sign_in(&server, DANA).await;
    fresh.sync().await.unwrap();
    let all = |d: &Device| {
        let mut v: Vec<_> = d
            .store
            .read()
            .accounts()
            .all()
            .unwrap()
            .into_iter()
            .map(|a| a.account)
            .collect();
        v.sort_by_key(|a| a.id);
        v
    };
    assert_eq!(
        all(&dana),
        all(&fresh),
        "as a fresh device of Dana's has it"
    );
    assert!(dana.shows(&visit, false), "the offline visit went through");
    oracle.check(&server, &[&dana]).await;
}

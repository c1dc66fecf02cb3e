//! Applying pulled pages.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rounds_protocol::sync::{Op, Table};
use rounds_store::{APPLY_BATCH, Store};

use crate::fixtures::*;

#[test]
fn a_snapshot_lands_with_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = loaded(&dir, 20);
    let r = store.read();
    assert_eq!(r.accounts().count().unwrap(), 20);
    assert_eq!(r.activities().count().unwrap(), 120);
    assert_eq!(r.contacts().of_account(account_id(3)).unwrap().len(), 2);
    assert_eq!(r.cursor().unwrap().as_deref(), Some("c1"));
    assert_eq!(r.meta().server_epoch().unwrap().as_deref(), Some("epoch-1"));
    assert_eq!(r.plans().list().unwrap().len(), 1);
    assert_eq!(r.territories().list().unwrap()[0].name, "Chicago North");
}

#[test]
fn deletes_and_bucket_removal() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 5);
    let gone = contact(1, 0);
    store
        .apply_pull(
            &page(
                vec![Op::Delete {
                    bucket: bucket(),
                    table: Table::Contact,
                    id: *gone.id.as_uuid(),
                }],
                "c2",
            ),
            now(),
        )
        .unwrap();
    assert_eq!(
        store
            .read()
            .contacts()
            .of_account(account_id(1))
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .read()
            .search(&gone.name, 10)
            .unwrap()
            .iter()
            .all(|h| h.account.account.id != account_id(1)
                || h.matched != rounds_store::SearchHitKind::Contact)
    );

    store
        .apply_pull(
            &page(vec![Op::RemoveBucket { bucket: bucket() }], "c3"),
            now(),
        )
        .unwrap();
    let r = store.read();
    assert_eq!(r.accounts().count().unwrap(), 0);
    assert_eq!(r.activities().count().unwrap(), 0);
    assert!(
        r.search("harbor", 5).unwrap().is_empty(),
        "the search index forgets a lost bucket"
    );
    assert_eq!(r.plans().list().unwrap().len(), 1, "other buckets stay");
    assert_eq!(r.cursor().unwrap().as_deref(), Some("c3"));
}

#[test]
fn an_epoch_reset_rebuilds_synced_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 5);
    let mut p = page(snapshot_ops(2, 0, 0), "fresh");
    p.reset = true;
    p.epoch = "epoch-2".into();
    store.apply_pull(&p, now()).unwrap();
    assert_eq!(store.read().accounts().count().unwrap(), 2);
    assert_eq!(
        store.read().meta().server_epoch().unwrap().as_deref(),
        Some("epoch-2")
    );
}

#[test]
fn large_pages_apply_in_bounded_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("rounds.db")).unwrap();
    let ops = snapshot_ops(500, 1, 4); // 3 + 500 * 6 = 3,003 ops
    let stats = store.apply_pull(&page(ops, "c"), now()).unwrap();
    assert_eq!(stats.ops, 3_003);
    assert_eq!(stats.batches, 3_003usize.div_ceil(APPLY_BATCH));
}

#[test]
fn a_reader_is_never_blocked_longer_than_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    drop(loaded(&dir, 200));
    let barrier = Arc::new(Barrier::new(2));

    let writer = {
        let path = path.clone();
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            let mut store = Store::open(&path).unwrap();
            let mut ops = snapshot_ops(3_000, 1, 3);
            ops.retain(|op| !matches!(op, Op::ResetBucket { .. }));
            barrier.wait();
            store.apply_pull(&page(ops, "big"), now()).unwrap()
        })
    };

    let reader = Store::open(&path).unwrap();
    barrier.wait();
    let mut longest = Duration::ZERO;
    let mut reads = 0;
    while !writer.is_finished() {
        let t = Instant::now();
        let n = reader.read().search("harbor", 10).unwrap().len();
        reader
            .read()
            .accounts()
            .get(account_id(7))
            .unwrap()
            .unwrap();
        assert!(n > 0);
        longest = longest.max(t.elapsed());
        reads += 1;
    }
    let stats = writer.join().unwrap();
    assert!(stats.batches >= 10, "the page spans many batches");
    assert!(reads > 0);
    assert!(
        // Slack for the scheduler of a busy 2-core machine, not for any lock.
        longest <= stats.longest_batch + Duration::from_millis(250),
        "a read took {longest:?}, longer than the longest write batch {:?}",
        stats.longest_batch
    );
}

fn has_account_index(dir: &tempfile::TempDir) -> bool {
    rusqlite::Connection::open(dir.path().join("rounds.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'activities_account'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

#[test]
fn the_per_account_index_is_rebuilt_after_an_initial_sync_even_a_cut_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("rounds.db")).unwrap();
    let mut first = page(snapshot_ops(10, 1, 3), "p1");
    first.has_more = true;
    store.apply_pull(&first, now()).unwrap();
    assert!(
        !has_account_index(&dir),
        "dropped while the snapshot streams in"
    );
    // The app is killed here; the next open restores the index.
    drop(store);
    let mut store = Store::open(dir.path().join("rounds.db")).unwrap();
    assert!(has_account_index(&dir));
    store.apply_pull(&page(vec![], "p2"), now()).unwrap();
    assert!(has_account_index(&dir));
    assert_eq!(
        store
            .read()
            .activities()
            .timeline(account_id(3))
            .unwrap()
            .len(),
        3
    );
}

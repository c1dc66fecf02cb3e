//! Opening: migrations from every earlier schema, and files that are not ours.

use rounds_store::schema::{self, LATEST};
use rounds_store::{Store, StoreError};

use crate::fixtures::*;

#[test]
fn every_earlier_schema_version_migrates_with_its_data() {
    for version in 1..LATEST {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // A database as an older build left it, with a row in it.
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
                .unwrap();
            schema::migrate_to(&mut conn, version).unwrap();
            let a = account(1);
            conn.execute(
                "INSERT INTO buckets(id, name) VALUES (1, 'territory/x')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO accounts(id, bucket, name, street, city, region, postal_code, country,
                   stage, priority, currency, revenue_minor, expenses_minor, created_at)
                 VALUES (?1, 1, ?2, ?3, ?4, 'IL', '60601', 'US', 'customer', 'high', 'USD', 0, 0, 0)",
                rusqlite::params![a.id.as_uuid(), a.name, a.street, a.city],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO pull_cursors(name, cursor, checkpoint, updated_at) VALUES ('main', 'c-old', 1, 0)",
                [],
            )
            .unwrap();
            let v: u32 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(v, version);
        }
        let store = Store::open(&path).unwrap_or_else(|e| panic!("migrating from v{version}: {e}"));
        let v: u32 = rusqlite::Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        assert_eq!(
            store.read().accounts().count().unwrap(),
            1,
            "data survives v{version} -> v{LATEST}"
        );
        if version < 2 {
            let hits = store.read().search("lakeview", 5).unwrap();
            assert_eq!(
                hits.len(),
                1,
                "rows from before the search index are searchable after it"
            );
        }
        // Follow-ups (3), photos (5), accounts' hours (6) and closed dates (7) were sent
        // to no device before: every earlier version syncs its buckets again to receive
        // them.
        assert_eq!(
            store.read().cursor().unwrap(),
            None,
            "a device from v{version} syncs its buckets again"
        );
        store.integrity_check().unwrap();
    }
}

#[test]
fn a_garbage_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase(_)), "got {err:?}");
    assert!(err.to_string().contains("left untouched"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file is never overwritten"
    );
    assert!(!dir.path().join("rounds.db-wal").exists());
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE photos(id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos(path) VALUES ('a.jpg');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Foreign(_)), "got {err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_corrupt_page_is_reported_not_papered_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    drop(loaded(&dir, 50));
    // Scribble over the middle of the file, past the header.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8192] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = Store::open(&path).and_then(|s| s.integrity_check().map(|_| s));
    match outcome {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("expected a corruption error, got {other:?}"),
    }
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", LATEST + 1)
        .unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
}

#[test]
fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("rounds.db")).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("rounds.db")).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "journal mode persists in the file");
}

#[test]
fn the_device_id_is_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open(dir.path().join("rounds.db"))
        .unwrap()
        .device_id();
    let b = Store::open(dir.path().join("rounds.db"))
        .unwrap()
        .device_id();
    assert_eq!(a, b);
}

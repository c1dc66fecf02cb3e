//! Search, nearby and the Today inputs.

use chrono::Duration;
use rounds_core::LatLon;
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::{Op, Row};
use rounds_store::SearchHitKind;

use crate::fixtures::*;

#[test]
fn search_finds_accounts_by_name_prefix_contact_and_note() {
    let dir = tempfile::tempdir().unwrap();
    let store = loaded(&dir, 40);
    let r = store.read();

    let hits = r.search("lakev", 50).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.account.account.name.starts_with("Lakeview")),
        "prefix as you type"
    );

    let c = contact(13, 1);
    let hits = r.search(&c.name, 5).unwrap();
    assert_eq!(
        hits[0].account.account.id,
        account_id(13),
        "a contact's full name ranks its account first"
    );
    assert_eq!(hits[0].matched, SearchHitKind::Contact);

    let hits = r.search("spring order 21-5", 5).unwrap();
    assert_eq!(hits[0].account.account.id, account_id(21));
    assert_eq!(hits[0].matched, SearchHitKind::Note);

    assert!(
        r.search("chloe", 5)
            .unwrap()
            .iter()
            .any(|h| h.matched == SearchHitKind::Contact),
        "diacritics folded"
    );
    assert!(
        r.search("\"); DROP TABLE accounts; --", 5)
            .unwrap()
            .is_empty(),
        "hostile input is just text"
    );
    assert!(r.search("   ", 5).unwrap().is_empty());
}

#[test]
fn nearby_is_nearest_first_within_the_radius() {
    let dir = tempfile::tempdir().unwrap();
    let store = loaded(&dir, 60);
    let here = LatLon::new(41.7, -87.8).unwrap();
    let near = store.read().accounts().nearby(here, 5_000.0, 100).unwrap();
    assert!(!near.is_empty());
    assert!(near.iter().all(|(_, d)| *d <= 5_000.0));
    assert!(near.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
    // Compare with a brute-force scan of all accounts.
    let all = store.read().accounts().all().unwrap();
    let expected = all
        .iter()
        .filter(|v| {
            v.account
                .location
                .is_some_and(|p| p.distance_m(&here) <= 5_000.0)
        })
        .count();
    assert_eq!(near.len(), expected);
}

#[test]
fn nearby_across_the_antimeridian() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 2);
    let mut fiji_east = account(100);
    fiji_east.lat = Some(-17.0);
    fiji_east.lon = Some(179.99);
    let mut fiji_west: AccountRecord = account(101);
    fiji_west.lat = Some(-17.0);
    fiji_west.lon = Some(-179.99);
    store
        .apply_pull(
            &page(
                vec![
                    Op::Put {
                        bucket: bucket(),
                        row: Row::Account(fiji_east),
                    },
                    Op::Put {
                        bucket: bucket(),
                        row: Row::Account(fiji_west),
                    },
                ],
                "c2",
            ),
            now(),
        )
        .unwrap();
    let here = LatLon::new(-17.0, 179.995).unwrap();
    let near = store.read().accounts().nearby(here, 10_000.0, 10).unwrap();
    assert_eq!(
        near.len(),
        2,
        "both sides of the date line are within 10 km"
    );
}

#[test]
fn today_inputs_hold_recent_activities_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let store = loaded(&dir, 30);
    let since = now() - Duration::days(60);
    let inputs = store.read().today_inputs(since).unwrap();
    assert_eq!(inputs.accounts.len(), 30);
    assert_eq!(inputs.plans.len(), 1);
    for (account, acts) in inputs.pairs() {
        assert!(
            acts.iter()
                .all(|a| a.account_id == account.id && a.occurred_at >= since)
        );
    }
    let total = inputs.activity_count();
    let expected = (0..30)
        .flat_map(|i| (0..6).map(move |k| activity(i, k)))
        .filter(|a| a.occurred_at >= since)
        .count();
    assert_eq!(total, expected);
}

#[test]
fn today_rows_carry_pending_name_and_pin_edits() {
    use rounds_protocol::sync::{AccountEdit, LatLonRecord};
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 5);
    store
        .edit_account(
            account_id(2),
            AccountEdit::Name("Harbor Foods (new owner)".into()),
            now(),
        )
        .unwrap();
    store
        .edit_account(
            account_id(2),
            AccountEdit::Location(Some(LatLonRecord {
                lat: 41.9,
                lon: -87.7,
            })),
            now(),
        )
        .unwrap();
    let inputs = store
        .read()
        .today_inputs(now() - Duration::days(60))
        .unwrap();
    let row = inputs
        .accounts
        .iter()
        .find(|a| a.id == account_id(2))
        .unwrap();
    assert_eq!(row.name, "Harbor Foods (new owner)");
    assert_eq!(row.location, Some(LatLon::new(41.9, -87.7).unwrap()));
    assert_eq!(row.priority, account(2).priority);
}

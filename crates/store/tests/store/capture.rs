//! New accounts made on the device: saved with their outbox row, seen by every read at
//! once, kept through wipes until the server's copy arrives, and found as look-alikes.

use chrono::{Duration, NaiveDate};
use rounds_core::duplicate::Why;
use rounds_core::{LatLon, Priority, Stage};
use rounds_protocol::sync::{MutationBody, MutationResult, MutationStatus, Op, PushResponse, Row};
use rounds_protocol::{ErrorCode, Hlc, TerritoryId};
use rounds_store::{ContactInput, NewAccount, Store, StoreError};
use uuid::Uuid;

use crate::fixtures::*;

fn today() -> NaiveDate {
    now().date_naive()
}

fn lead(name: &str) -> NewAccount {
    NewAccount {
        phone: Some("(773) 555-0199".into()),
        street: "12 Clark St".into(),
        city: "Chicago".into(),
        location: Some(LatLon::new(41.95, -87.66).unwrap()),
        priority: Priority::Medium,
        ..NewAccount::named(name, territory_id(), "USD")
    }
}

pub fn settle(store: &mut Store, seq: u64, status: MutationStatus) {
    let e = store.read().outbox().get(seq).unwrap().unwrap();
    store
        .record_receipts(
            &PushResponse {
                epoch: "epoch-1".into(),
                last_applied_seq: seq,
                server_hlc: Hlc::ZERO,
                results: vec![MutationResult {
                    seq,
                    id: e.mutation.id,
                    status,
                }],
            },
            now(),
        )
        .unwrap();
}

#[test]
fn a_new_lead_is_queued_and_seen_by_every_read_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 5);
    let view = store
        .create_account(lead("Corner Hardware"), today(), now())
        .unwrap();
    let a = &view.account;
    assert_eq!(a.stage, Stage::Lead);
    assert_eq!(
        a.stage_dates.lead,
        Some(today()),
        "entered the funnel today"
    );
    assert_eq!(a.territory, Some(territory_id()));
    assert_eq!(a.revenue.minor, 0);

    let r = store.read();
    let entry = r.outbox().get(1).unwrap().unwrap();
    match entry.mutation.parse_body().unwrap() {
        MutationBody::CreateAccount { account } => {
            assert_eq!(account.id, a.id);
            assert_eq!(account.name, "Corner Hardware");
            assert_eq!(account.lat, Some(41.95));
        }
        other => panic!("queued {other:?}"),
    }
    assert_eq!(r.accounts().get(a.id).unwrap().unwrap().account, *a);
    assert_eq!(r.accounts().count().unwrap(), 6);
    assert!(
        r.search("corner hard", 5)
            .unwrap()
            .iter()
            .any(|h| h.account.account.id == a.id),
        "searchable at once"
    );
    let inputs = r.today_inputs(now() - Duration::days(120)).unwrap();
    assert!(
        inputs.accounts.iter().any(|t| t.id == a.id),
        "due under the plan at once"
    );
}

#[test]
fn bad_leads_are_refused_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 2);
    let cases = [
        (
            "no name",
            NewAccount {
                name: "   ".into(),
                ..lead("x")
            },
        ),
        (
            "a bad e-mail",
            NewAccount {
                email: Some("not an address".into()),
                ..lead("Shop")
            },
        ),
        (
            "a name of 1,000 bytes",
            NewAccount {
                name: "x".repeat(1_000),
                ..lead("x")
            },
        ),
    ];
    for (what, new) in cases {
        let err = store.create_account(new, today(), now()).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{what}: {err:?}");
    }
    let elsewhere = NewAccount {
        territory: TerritoryId::from_uuid(Uuid::from_u128(0xBAD)),
        ..lead("Shop")
    };
    assert!(matches!(
        store.create_account(elsewhere, today(), now()),
        Err(StoreError::NotFound(_))
    ));
    let r = store.read();
    assert_eq!(r.outbox().pending_count().unwrap(), 0);
    assert_eq!(r.accounts().count().unwrap(), 2);
}

#[test]
fn a_wipe_keeps_unconfirmed_leads_and_the_servers_copy_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let id = store
        .create_account(lead("Corner Hardware"), today(), now())
        .unwrap()
        .account
        .id;

    // The server was restored: every synced row goes, the queued lead stays.
    store.reset_synced().unwrap();
    assert!(store.read().accounts().get(id).unwrap().is_some());
    // A rebuild of the territory's bucket keeps it too.
    store.wipe_bucket(&bucket().0).unwrap();
    assert!(store.read().accounts().get(id).unwrap().is_some());

    // Acknowledged, then pulled: the server's row takes its place, in the territory.
    settle(&mut store, 1, MutationStatus::Applied);
    let Some(MutationBody::CreateAccount {
        account: mut server,
    }) = store
        .read()
        .outbox()
        .get(1)
        .unwrap()
        .and_then(|e| e.mutation.parse_body().ok())
    else {
        panic!("the receipt is kept")
    };
    server.name = "Corner Hardware & Paint".into();
    let mut ops = snapshot_ops(3, 0, 0);
    ops.push(Op::Put {
        bucket: bucket(),
        row: Row::Account(server),
    });
    store
        .apply_pull(&page(ops, "c2"), now() + Duration::minutes(1))
        .unwrap();
    let r = store.read();
    assert_eq!(
        r.accounts().get(id).unwrap().unwrap().account.name,
        "Corner Hardware & Paint"
    );
    assert_eq!(r.accounts().count().unwrap(), 4, "one account, not two");
    // Once the server's copy is here, a rebuild of the bucket does not bring back a copy.
    store.wipe_bucket(&bucket().0).unwrap();
    assert!(store.read().accounts().get(id).unwrap().is_none());
}

#[test]
fn a_lead_the_server_set_aside_leaves_the_lists_and_stays_an_issue() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let id = store
        .create_account(lead("Corner Hardware"), today(), now())
        .unwrap()
        .account
        .id;
    settle(
        &mut store,
        1,
        MutationStatus::Quarantined {
            reason: "the territory is not yours now".into(),
        },
    );
    let r = store.read();
    assert!(r.accounts().get(id).unwrap().is_none());
    assert!(r.search("corner", 5).unwrap().is_empty());
    let issues = r.issues().open().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    // A rejected one (with a reason code) goes the same way.
    let other = store
        .create_account(lead("Other Shop"), today(), now())
        .unwrap()
        .account
        .id;
    settle(
        &mut store,
        2,
        MutationStatus::Rejected {
            code: ErrorCode::InvalidInput,
            reason: "invalid".into(),
        },
    );
    assert!(store.read().accounts().get(other).unwrap().is_none());

    store.reset_synced().unwrap();
    for gone in [id, other] {
        assert!(
            store.read().accounts().get(gone).unwrap().is_none(),
            "a set-aside lead does not come back after a wipe"
        );
    }
}

#[test]
fn lookalikes_name_the_shop_already_on_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let store = loaded(&dir, 20);
    let existing = account(3);
    let at = LatLon::new(existing.lat.unwrap() + 0.0005, existing.lon.unwrap()).unwrap();
    let found = store
        .read()
        .lookalikes(&existing.name.to_uppercase(), None, Some(at))
        .unwrap();
    let first = found.first().expect("a look-alike");
    assert_eq!(first.account.account.id, existing.id);
    assert!(first.found.why.contains(&Why::SimilarName));
    assert!(first.found.why.contains(&Why::Nearby));
    let d = first.found.distance_m.unwrap();
    assert!((50.0..60.0).contains(&d), "about 56 m: {d}");

    let nothing = store
        .read()
        .lookalikes("Zebra Tyres", None, Some(LatLon::new(10.0, 10.0).unwrap()))
        .unwrap();
    assert!(nothing.is_empty(), "{nothing:?}");
}

fn buyer(account: rounds_protocol::AccountId, name: &str) -> ContactInput {
    ContactInput {
        id: None,
        account_id: account,
        name: name.into(),
        title: Some("Buyer".into()),
        phone: Some("(312) 555-0177".into()),
        email: None,
        primary: false,
    }
}

#[test]
fn a_contact_added_or_changed_shows_at_once_marked_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let a = account_id(1);
    let before = store.read().contacts().of_account(a).unwrap().len();
    let id = store
        .save_contact(
            ContactInput {
                primary: true,
                ..buyer(a, "Noor Haddad")
            },
            now(),
        )
        .unwrap();
    let r = store.read();
    let shown = r.contacts().with_pending(a).unwrap();
    assert_eq!(shown.len(), before + 1);
    let (first, pending) = &shown[0];
    assert_eq!(
        (first.id, *pending),
        (id, true),
        "the new primary comes first"
    );
    assert_eq!(
        shown.iter().filter(|(c, _)| c.primary).count(),
        1,
        "one primary: the synced one is plain now"
    );
    assert!(
        r.search("noor", 5)
            .unwrap()
            .iter()
            .any(|h| h.account.account.id == a),
        "searchable at once"
    );
    match r
        .outbox()
        .get(1)
        .unwrap()
        .unwrap()
        .mutation
        .parse_body()
        .unwrap()
    {
        MutationBody::SaveContact { contact } => assert_eq!(contact.id, id),
        other => panic!("queued {other:?}"),
    }

    // A change of a synced contact replaces it in the list, still one row.
    let synced = contact(1, 1);
    store
        .save_contact(
            ContactInput {
                id: Some(synced.id),
                title: Some("Owner".into()),
                ..buyer(a, &synced.name)
            },
            now(),
        )
        .unwrap();
    let shown = store.read().contacts().with_pending(a).unwrap();
    assert_eq!(shown.len(), before + 1);
    let (changed, pending) = shown.iter().find(|(c, _)| c.id == synced.id).unwrap();
    assert_eq!(changed.title.as_deref(), Some("Owner"));
    assert!(*pending);

    // A wipe of synced rows keeps the queued saves in view.
    store.wipe_bucket(&bucket().0).unwrap();
    let kept = store.read().contacts().of_account(a).unwrap();
    assert!(kept.iter().any(|c| c.id == id));
}

#[test]
fn bad_contacts_are_refused_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 2);
    let cases = [
        ("no name", buyer(account_id(1), "  ")),
        (
            "a bad e-mail",
            ContactInput {
                email: Some("not an address".into()),
                ..buyer(account_id(1), "Ana")
            },
        ),
    ];
    for (what, input) in cases {
        let err = store.save_contact(input, now()).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{what}: {err:?}");
    }
    for (what, input) in [
        ("an unknown account", buyer(account_id(99), "Ana")),
        (
            "another account's contact",
            ContactInput {
                id: Some(contact(0, 0).id),
                ..buyer(account_id(1), "Ana")
            },
        ),
    ] {
        let err = store.save_contact(input, now()).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{what}: {err:?}");
    }
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);
}

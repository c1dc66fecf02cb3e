//! A manager moves an account to another rep while its rep is offline with a visit and an
//! edit on it: nothing is lost, the edit comes back refused and is shown as such, the
//! account leaves the old device and arrives on the new one with its history.

use chrono::Duration;
use rounds_core::ActivityKind;
use rounds_protocol::sync::AccountEdit;
use rounds_store::{IssueKind, NewActivity};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassignment_while_the_rep_is_offline_loses_nothing() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, "marcus@demo.rounds.app").await;
    dana.sync().await.unwrap();
    marcus.sync().await.unwrap();
    let marcus_territory = marcus.store.read().territories().list().unwrap()[0].id;
    let dana_rep = dana.store.read().territories().list().unwrap()[0]
        .rep
        .unwrap();
    let x = dana.store.read().accounts().all().unwrap()[0].account.id;

    // Offline, Dana visits X and fixes its phone number.
    let visit = dana
        .store
        .log_activity(
            NewActivity {
                account_id: x,
                rep_id: dana_rep,
                contact_id: None,
                kind: ActivityKind::Visit,
                occurred_at: now() - Duration::minutes(30),
                duration_min: Some(20),
                outcome: None,
                note: Some("Visited before the handover".into()),
                fix: None,
            },
            now(),
        )
        .unwrap();
    dana.store
        .edit_account(x, AccountEdit::Phone(Some("(303) 555-0142".into())), now())
        .unwrap();

    // Meanwhile the manager moves X to Marcus.
    server.move_account(x, marcus_territory).await;

    // Dana comes back online.
    dana.sync().await.unwrap();
    assert_eq!(
        dana.store.read().outbox().pending_count().unwrap(),
        0,
        "every change got a receipt"
    );
    assert!(
        dana.store.read().accounts().get(x).unwrap().is_none(),
        "X left Dana's device"
    );
    let issues = dana.store.read().issues().open().unwrap();
    let refused = issues
        .iter()
        .find(|i| i.account_id == Some(x))
        .expect("the refused edit is shown to Dana");
    assert_eq!(refused.kind, IssueKind::Rejected);
    assert_eq!(
        server.copies_of(&visit).await,
        1,
        "Dana's visit is on the server"
    );

    // Marcus has X, with Dana's visit in its history.
    marcus.sync().await.unwrap();
    assert!(marcus.store.read().accounts().get(x).unwrap().is_some());
    let timeline = marcus.store.read().activities().timeline(x).unwrap();
    assert!(timeline.iter().any(|e| e.activity.id == visit.activity.id));
}

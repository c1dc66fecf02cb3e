//! Next steps on the device: shown at once, due in Today on their day, done with the
//! touch they promised in one transaction, replaced by the server's copy on a pull.

use chrono::{Days, NaiveDate};
use rounds_core::TouchKind;
use rounds_protocol::FollowUpId;
use rounds_protocol::records::FollowUpRecord;
use rounds_protocol::sync::MutationStatus;
use rounds_protocol::sync::{MutationBody, Op, Row};
use rounds_store::{NewFollowUp, StoreError};
use uuid::Uuid;

use crate::fixtures::*;

fn today() -> NaiveDate {
    now().date_naive()
}

fn next_step(i: usize, due: NaiveDate) -> NewFollowUp {
    NewFollowUp {
        account_id: account_id(i),
        rep_id: rep(),
        kind: TouchKind::Call,
        due,
        note: Some("  call back about the spring order ".into()),
    }
}

#[test]
fn a_next_step_is_shown_at_once_and_due_in_today_on_its_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let tomorrow = today() + Days::new(1);
    let later = store.add_follow_up(next_step(1, tomorrow), now()).unwrap();
    let overdue = store
        .add_follow_up(next_step(2, today() - Days::new(2)), now())
        .unwrap();
    let on_account = store.read().follow_ups().of_account(account_id(1)).unwrap();
    assert_eq!(on_account.len(), 1);
    assert!(on_account[0].pending, "waiting to sync");
    assert_eq!(
        on_account[0].follow_up.note.as_deref(),
        Some("call back about the spring order"),
        "the note is kept trimmed"
    );
    let due: Vec<FollowUpId> = store
        .read()
        .follow_ups()
        .due(today())
        .unwrap()
        .iter()
        .map(|v| v.follow_up.id)
        .collect();
    assert_eq!(due, [overdue], "tomorrow's is not due today");
    let due: Vec<FollowUpId> = store
        .read()
        .follow_ups()
        .due(tomorrow)
        .unwrap()
        .iter()
        .map(|v| v.follow_up.id)
        .collect();
    assert_eq!(due, [overdue, later], "most overdue first");
}

#[test]
fn bad_next_steps_are_refused_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let unknown = NewFollowUp {
        account_id: account_id(99),
        ..next_step(1, today())
    };
    assert!(matches!(
        store.add_follow_up(unknown, now()),
        Err(StoreError::NotFound(_))
    ));
    let essay = NewFollowUp {
        note: Some("x".repeat(rounds_core::follow_up::MAX_NOTE_CHARS + 1)),
        ..next_step(1, today())
    };
    assert!(matches!(
        store.add_follow_up(essay, now()),
        Err(StoreError::Invalid(_))
    ));
    let years_away = next_step(1, today() + Days::new(3 * 365));
    assert!(matches!(
        store.add_follow_up(years_away, now()),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);
}

#[test]
fn done_logs_the_touch_and_closes_the_follow_up_together_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    let id = store.add_follow_up(next_step(1, today()), now()).unwrap();
    let logged = store.complete_follow_up(id, call(1), now()).unwrap();

    let v = store.read().follow_ups().get(id).unwrap().unwrap();
    assert_eq!(v.follow_up.done, Some((now(), Some(logged.activity.id))));
    assert!(store.read().follow_ups().due(today()).unwrap().is_empty());
    let timeline = store.read().activities().timeline(account_id(1)).unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.activity.id == logged.activity.id && e.pending)
    );
    let kinds: Vec<String> = store
        .read()
        .outbox()
        .all()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["save_follow_up", "log_activity", "save_follow_up"]);

    // A second tap: refused, nothing more logged or queued.
    assert!(matches!(
        store.complete_follow_up(id, call(1), now()),
        Err(StoreError::Invalid(_))
    ));
    // A touch on another account does not close it.
    let other = store.add_follow_up(next_step(2, today()), now()).unwrap();
    assert!(store.complete_follow_up(other, call(1), now()).is_err());
    assert_eq!(store.read().outbox().all().unwrap().len(), 4);
}

#[test]
fn a_pull_brings_follow_ups_of_other_devices_and_the_servers_copy_settles_ours() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    // Made on the rep's other device, arriving by pull.
    let theirs = FollowUpRecord {
        id: FollowUpId::from_uuid(Uuid::from_u128(0xF0)),
        account_id: account_id(2),
        rep_id: rep(),
        kind: TouchKind::Visit,
        due_on: today(),
        note: None,
        created_at: now(),
        done_at: None,
        done_by: None,
    };
    store
        .apply_pull(
            &page(
                vec![Op::Put {
                    bucket: bucket(),
                    row: Row::FollowUp(theirs.clone()),
                }],
                "c2",
            ),
            now(),
        )
        .unwrap();
    let due = store.read().follow_ups().due(today()).unwrap();
    assert_eq!(due.len(), 1);
    assert!(!due[0].pending);
    assert_eq!(due[0].follow_up.kind, TouchKind::Visit);

    // Ours, once the server's copy is pulled after the push, is no longer pending.
    let ours = store.add_follow_up(next_step(1, today()), now()).unwrap();
    let e = store.read().outbox().all().unwrap().remove(0);
    let MutationBody::SaveFollowUp { follow_up } = e.mutation.parse_body().unwrap() else {
        panic!("a follow-up save");
    };
    assert_eq!(follow_up.id, ours);
    let seq = e.mutation.seq;
    crate::capture::settle(&mut store, seq, MutationStatus::Applied);
    store
        .apply_pull(
            &page(
                vec![Op::Put {
                    bucket: bucket(),
                    row: Row::FollowUp(follow_up),
                }],
                "c3",
            ),
            now() + chrono::Duration::seconds(1),
        )
        .unwrap();
    let v = store.read().follow_ups().get(ours).unwrap().unwrap();
    assert!(!v.pending, "settled by the server's copy");

    // Losing the territory takes its follow-ups with it.
    store.wipe_bucket(&bucket().0).unwrap();
    assert!(store.read().follow_ups().due(today()).unwrap().is_empty());
}

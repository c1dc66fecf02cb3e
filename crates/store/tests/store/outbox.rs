//! The outbox API the sync engine drives.

use rounds_core::ActivityKind;
use rounds_protocol::sync::{MutationResult, MutationStatus, PushResponse};
use rounds_protocol::{ErrorCode, Hlc, MutationId};
use rounds_store::{IssueKind, NewActivity, OutboxState, Store};

use crate::fixtures::*;

fn log(store: &mut Store, n: usize) {
    for i in 0..n {
        store
            .log_activity(
                NewActivity {
                    account_id: account_id(i % 3),
                    rep_id: rep(),
                    contact_id: None,
                    kind: ActivityKind::Call,
                    occurred_at: now(),
                    duration_min: None,
                    outcome: None,
                    note: None,
                    fix: None,
                },
                now(),
            )
            .unwrap();
    }
}

fn response(results: Vec<MutationResult>) -> PushResponse {
    PushResponse {
        epoch: "epoch-1".into(),
        last_applied_seq: results.iter().map(|r| r.seq).max().unwrap_or(0),
        server_hlc: Hlc::ZERO,
        results,
    }
}

#[test]
fn batches_come_in_sequence_order_within_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    log(&mut store, 7);
    let batch = store.read().outbox().next_batch(5, 1 << 20).unwrap();
    let seqs: Vec<u64> = batch.iter().map(|e| e.mutation.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    let small = store.read().outbox().next_batch(100, 10).unwrap();
    assert_eq!(
        small.len(),
        1,
        "a byte limit below one mutation still sends one"
    );
}

#[test]
fn receipts_settle_rows_and_keep_refusals_as_issues() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    log(&mut store, 4);
    let batch = store.read().outbox().next_batch(10, 1 << 20).unwrap();
    let seqs: Vec<u64> = batch.iter().map(|e| e.mutation.seq).collect();
    store.mark_in_flight(&seqs).unwrap();
    assert_eq!(
        store.read().outbox().get(1).unwrap().unwrap().state,
        OutboxState::InFlight
    );
    assert_eq!(
        store.read().outbox().pending_count().unwrap(),
        4,
        "in flight is still unsettled"
    );

    let ids: Vec<MutationId> = batch.iter().map(|e| e.mutation.id).collect();
    let statuses = [
        MutationStatus::Applied,
        MutationStatus::Rejected {
            code: ErrorCode::Forbidden,
            reason: "account moved".into(),
        },
        MutationStatus::Quarantined {
            reason: "not in your territory".into(),
        },
        MutationStatus::Superseded { winner: Hlc::ZERO },
    ];
    let results = seqs
        .iter()
        .zip(&ids)
        .zip(statuses)
        .map(|((s, id), status)| MutationResult {
            seq: *s,
            id: *id,
            status,
        })
        .collect();
    let settled = store.record_receipts(&response(results), now()).unwrap();
    assert_eq!(settled, 4);
    assert_eq!(store.read().outbox().pending_count().unwrap(), 0);
    let states: Vec<OutboxState> = store
        .read()
        .outbox()
        .all()
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [
            OutboxState::Acked,
            OutboxState::Rejected,
            OutboxState::Quarantined,
            OutboxState::Superseded
        ]
    );
    let issues = store.read().issues().open().unwrap();
    let kinds: Vec<IssueKind> = issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            IssueKind::Superseded,
            IssueKind::Quarantined,
            IssueKind::Rejected
        ]
    );
    assert_eq!(issues[2].code.as_deref(), Some("forbidden"));
    assert_eq!(issues[2].reason, "account moved");
    store.dismiss_issue(issues[0].seq).unwrap();
    assert_eq!(store.read().issues().open().unwrap().len(), 2);
}

#[test]
fn a_failed_push_returns_rows_to_pending_and_stray_receipts_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    log(&mut store, 2);
    store.mark_in_flight(&[1, 2]).unwrap();
    store
        .record_push_failure(&[1, 2], "connection reset")
        .unwrap();
    let e = store.read().outbox().get(1).unwrap().unwrap();
    assert_eq!(
        (e.state, e.attempts, e.last_error.as_deref()),
        (OutboxState::Pending, 1, Some("connection reset"))
    );

    // A receipt for a seq we do not have, and one with the wrong mutation id.
    let stray = vec![
        MutationResult {
            seq: 99,
            id: MutationId::from_uuid(uuid::Uuid::from_u128(1)),
            status: MutationStatus::Applied,
        },
        MutationResult {
            seq: 1,
            id: MutationId::from_uuid(uuid::Uuid::from_u128(2)),
            status: MutationStatus::Applied,
        },
    ];
    assert_eq!(store.record_receipts(&response(stray), now()).unwrap(), 0);
    assert_eq!(
        store.read().outbox().pending_count().unwrap(),
        2,
        "nothing settles without its own receipt"
    );
}

#[test]
fn receipts_of_activities_are_kept_until_the_server_copy_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    log(&mut store, 1);
    let e = store.read().outbox().get(1).unwrap().unwrap();
    store
        .record_receipts(
            &response(vec![MutationResult {
                seq: 1,
                id: e.mutation.id,
                status: MutationStatus::Applied,
            }]),
            now(),
        )
        .unwrap();
    let later = now() + chrono::Duration::days(31);
    assert_eq!(
        store.prune_receipts(later).unwrap(),
        0,
        "the activity has not come back yet"
    );
    let timeline = store.read().activities().timeline(account_id(0)).unwrap();
    assert!(
        timeline.iter().any(|t| t.pending),
        "still shown while the server copy is on its way"
    );
}

#[test]
fn a_sequence_gap_answer_is_not_a_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = loaded(&dir, 3);
    log(&mut store, 2);
    store.mark_in_flight(&[1, 2]).unwrap();
    let e = store.read().outbox().get(2).unwrap().unwrap();
    let gap = MutationStatus::Rejected {
        code: ErrorCode::SequenceGap,
        reason: "send 1 first".into(),
    };
    let settled = store
        .record_receipts(
            &response(vec![MutationResult {
                seq: 2,
                id: e.mutation.id,
                status: gap,
            }]),
            now(),
        )
        .unwrap();
    assert_eq!(settled, 0);
    let e = store.read().outbox().get(2).unwrap().unwrap();
    assert_eq!(
        e.state,
        OutboxState::Pending,
        "still queued, to be sent again"
    );
    assert!(
        store.read().issues().open().unwrap().is_empty(),
        "not shown as a refusal"
    );
}

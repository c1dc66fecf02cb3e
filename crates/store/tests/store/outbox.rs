//! The outbox API the sync engine drives.

use rounds_protocol::sync::{MutationResult, MutationStatus, PushResponse};
use rounds_protocol::{ErrorCode, Hlc, MutationId};
use rounds_store::{IssueKind, OutboxState, Store};

use crate::fixtures::*;

fn log(store: &mut Store, n: usize) {
    for i in 0..n {
        store.log_activity(call(i % 3), now()).unwrap();
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

/// Settles rows 1..=upto as applied, as a server's receipts would.
fn ack(store: &mut Store, upto: u64) {
    let batch = store.read().outbox().next_batch(1_000, 1 << 24).unwrap();
    let acked: Vec<_> = batch
        .iter()
        .filter(|e| e.mutation.seq <= upto)
        .map(|e| MutationResult {
            seq: e.mutation.seq,
            id: e.mutation.id,
            status: MutationStatus::Applied,
        })
        .collect();
    let seqs: Vec<u64> = acked.iter().map(|r| r.seq).collect();
    store.mark_in_flight(&seqs).unwrap();
    store.record_receipts(&response(acked), now()).unwrap();
}

fn seqs_and_states(store: &Store) -> Vec<(u64, OutboxState)> {
    let r = store.read();
    (1..=20)
        .filter_map(|s| r.outbox().get(s).unwrap())
        .map(|e| (e.mutation.seq, e.state))
        .collect()
}

#[test]
fn a_restored_server_gets_back_what_it_lost_in_order_and_without_gaps() {
    use OutboxState::{Acked, Pending};
    // (rows logged, acknowledged up to, receipts pruned up to, the restored server's
    //  last seq, rows put back, the outbox after, the next new row's seq)
    type Case = (u64, u64, u64, u64, u64, Vec<(u64, OutboxState)>, u64);
    let cases: Vec<(&str, Case)> = vec![
        (
            "nothing lost: the server has every receipt",
            (
                7,
                5,
                0,
                5,
                0,
                vec![
                    (1, Acked),
                    (2, Acked),
                    (3, Acked),
                    (4, Acked),
                    (5, Acked),
                    (6, Pending),
                    (7, Pending),
                ],
                8,
            ),
        ),
        (
            "the last two receipts lost: back in the queue ahead of the pending ones",
            (
                6,
                5,
                0,
                3,
                2,
                vec![
                    (1, Acked),
                    (2, Acked),
                    (3, Acked),
                    (4, Pending),
                    (5, Pending),
                    (6, Pending),
                ],
                7,
            ),
        ),
        (
            "receipts pruned after the backup: the rest close the gap",
            (
                6,
                5,
                3,
                1,
                2,
                vec![(2, Pending), (3, Pending), (4, Pending)],
                5,
            ),
        ),
        (
            "everything since the backup pruned: new rows follow the server",
            (3, 3, 3, 1, 0, vec![], 2),
        ),
    ];
    for (name, (logged, acked, pruned, server_last, back, after, next)) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut store = loaded(&dir, 3);
        // Edits, whose receipts may be pruned (an activity's waits for its server copy).
        for i in 0..logged {
            store
                .edit_account(
                    account_id(0),
                    rounds_protocol::sync::AccountEdit::Phone(Some(format!(
                        "(303) 555-{:04}",
                        1000 + i
                    ))),
                    now(),
                )
                .unwrap();
        }
        ack(&mut store, acked);
        // Receipts pruned up to `pruned` (by seq: they were all settled at one instant).
        rusqlite::Connection::open(dir.path().join("rounds.db"))
            .unwrap()
            .execute("DELETE FROM outbox WHERE seq <= ?1", [pruned as i64])
            .unwrap();
        assert_eq!(
            store.requeue_lost(server_last).unwrap(),
            back,
            "{name}: rows put back"
        );
        assert_eq!(seqs_and_states(&store), after, "{name}: the outbox after");
        let logged_next = store
            .edit_account(
                account_id(1),
                rounds_protocol::sync::AccountEdit::Phone(None),
                now(),
            )
            .unwrap();
        assert_eq!(logged_next, next, "{name}: the next row's seq");
        assert!(
            store
                .read()
                .outbox()
                .next_batch(1_000, 1 << 24)
                .unwrap()
                .iter()
                .map(|e| e.mutation.seq)
                .eq(server_last + 1..=next),
            "{name}: the queue runs from the server's next seq without a gap"
        );
    }
}

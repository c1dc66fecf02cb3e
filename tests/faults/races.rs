//! Reassignment racing a push (S14): the manager moves an account at the moment its old
//! rep's device pushes a visit and an edit on it.

use std::time::Duration;

use rounds_protocol::sync::AccountEdit;

use crate::oracle::Oracle;
use crate::scale;
use crate::support::*;

on_both_backends!(s14_reassignment_racing_a_push);

async fn s14_reassignment_racing_a_push(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let races = scale(6, 25);
    let mut dana = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, "marcus@demo.rounds.app").await;
    dana.sync().await.unwrap();
    marcus.sync().await.unwrap();
    let to = marcus.store.read().territories().list().unwrap()[0].id;
    let accounts: Vec<_> = dana.account_ids().into_iter().take(races).collect();
    assert_eq!(accounts.len(), races, "Dana has enough accounts to move");
    let manager = server.manager_token().await;
    let mut oracle = Oracle::default();
    let (mut edits_applied, mut edits_refused) = (0, 0);
    for (i, &x) in accounts.iter().enumerate() {
        let visit = dana.log_visit_on(x, &format!("race {i}"));
        oracle.saved(&dana, visit.clone());
        let phone = format!("(303) 555-{:04}", 1000 + i);
        let seq = dana
            .store
            .edit_account(x, AccountEdit::Phone(Some(phone.clone())), now())
            .unwrap();
        oracle.edited(&dana, seq, x);
        // The move and the push start together, one of them a little later: the offset
        // sweeps the race from "the move well first" to "the push well first".
        let step = Duration::from_millis(2);
        let (move_after, push_after) = if 2 * i < races {
            (Duration::ZERO, step * (races / 2 - i) as u32)
        } else {
            (step * (i - races / 2) as u32, Duration::ZERO)
        };
        let (pushed, ()) = tokio::join!(
            async {
                tokio::time::sleep(push_after).await;
                dana.sync().await
            },
            async {
                tokio::time::sleep(move_after).await;
                server.move_account_as(&manager, x, to).await;
            }
        );
        pushed.expect("the push is answered either way");
        dana.sync().await.unwrap();
        marcus.sync().await.unwrap();

        assert!(
            dana.store.read().accounts().get(x).unwrap().is_none(),
            "race {i}: the account left Dana's device"
        );
        let on_marcus = marcus.store.read().accounts().get(x).unwrap();
        assert!(on_marcus.is_some(), "race {i}: the account is Marcus's");
        assert!(
            marcus.shows(&visit, false),
            "race {i}: Marcus sees Dana's visit, whichever came first"
        );
        let refused = server
            .count(
                "SELECT count(*) FROM rejected_edits WHERE account_id = $1",
                vec![x.to_string().into()],
            )
            .await;
        let applied = on_marcus.unwrap().account.phone.map(|p| p.to_string()) == Some(phone);
        assert!(
            (refused == 1) != applied,
            "race {i}: Dana's edit is either applied (she still held the account) or kept as a refused edit, exactly one: refused {refused}, applied {applied}"
        );
        if applied {
            edits_applied += 1;
        } else {
            edits_refused += 1;
        }
    }
    println!(
        "s14: {races} races of a move against a push: the edit landed first {edits_applied} times, the move first {edits_refused} times"
    );
    oracle.check(&server, &[&dana, &marcus]).await;
}

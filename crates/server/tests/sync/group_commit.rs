//! The group commit: writes waiting at the same moment share one transaction, and one
//! write's failure — even one the database reports only after that write has returned —
//! never costs another write its effects or its answer.

use std::time::Duration;

use rounds_server::db::{DbError, Sql};
use rounds_server::params;

use crate::support::*;

on_both_backends!(
    threads = 4;
    one_failing_write_in_a_group_leaves_the_others_committed,
    pushes_of_one_device_in_one_group_apply_once,
    a_push_after_a_move_in_the_same_group_sees_the_move,
);

/// Holds the group-commit writer for `ms`, so writes sent meanwhile queue up and run
/// together as the next group.
fn hold_writer(db: &rounds_server::Db, ms: u64) -> tokio::task::JoinHandle<()> {
    let db = db.clone();
    tokio::spawn(async move {
        db.write(move |_| {
            std::thread::sleep(Duration::from_millis(ms));
            Ok::<_, DbError>(())
        })
        .await
        .expect("the holding write");
    })
}

/// What each write of the group does.
fn write_number(tx: &mut rounds_server::db::Tx<'_>, i: usize) -> Result<(), DbError> {
    let key = format!("group-{i}");
    match i {
        // Queued behind the next statement on PostgreSQL, so its failure (the key exists)
        // is reported after this write has returned Ok.
        4 => tx.exec_later(
            "INSERT INTO meta (key, value) VALUES ('epoch', 'clobbered')",
            &[],
        ),
        // Writes, then fails by itself: its row must be undone.
        8 => {
            tx.exec(
                "INSERT INTO meta (key, value) VALUES ($1, 'half done')",
                params![key],
            )?;
            Err(DbError::Other("the write's own failure".into()))
        }
        _ => tx.exec_later(
            "INSERT INTO meta (key, value) VALUES ($1, 'done')",
            params![key],
        ),
    }
}

async fn one_failing_write_in_a_group_leaves_the_others_committed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let epoch = server.db.epoch().await.expect("epoch");
    let gate = hold_writer(&server.db, 300);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let writes: Vec<_> = (0..12)
        .map(|i| {
            let db = server.db.clone();
            tokio::spawn(async move { db.write(move |tx| write_number(tx, i)).await })
        })
        .collect();
    gate.await.expect("gate");
    for (i, w) in writes.into_iter().enumerate() {
        let out = w.await.expect("write task");
        match i {
            4 | 8 => assert!(out.is_err(), "write {i} failed and must be told so"),
            _ => assert!(out.is_ok(), "write {i} is not to blame: {out:?}"),
        }
    }
    let rows = server
        .db
        .read(|tx| {
            tx.query(
                "SELECT key, value FROM meta WHERE key LIKE 'group-%' ORDER BY key",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect::<Result<Vec<_>, DbError>>()
        })
        .await
        .expect("read back");
    let mut want: Vec<(String, String)> = (0..12)
        .filter(|i| ![4, 8].contains(i))
        .map(|i| (format!("group-{i}"), "done".to_owned()))
        .collect();
    want.sort();
    assert_eq!(
        rows, want,
        "every other write committed, nothing of the failed ones"
    );
    assert_eq!(
        server.db.epoch().await.expect("epoch"),
        epoch,
        "the failed insert changed nothing"
    );
}

/// Three copies of one batch and the batch after it, all from one device and all in one
/// group: the later ones must see what the first wrote (its ledger), not what the group
/// read before it began.
async fn pushes_of_one_device_in_one_group_apply_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    for i in 0..10 {
        ana.log(
            org.north_accounts[i % 3],
            chrono::Utc::now(),
            &format!("visit {i}"),
        );
    }
    ben.log(org.south_accounts[0], chrono::Utc::now(), "ben's visit");
    let first = ana.request(ana.outbox[..5].to_vec());
    let second = ana.request(ana.outbox[5..].to_vec());
    let gate = hold_writer(&server.db, 400);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Sent at once with another device's push; whatever order they reach the writer in,
    // they wait for it together and run as one group.
    let (a, b, c, d, ben_push) = tokio::join!(
        ana.push_request(&first),
        ana.push_request(&first),
        ana.push_request(&first),
        ana.push_request(&second),
        ben.push(),
    );
    gate.await.expect("gate");
    for answer in [a, b, c, d] {
        answer.expect("every push is answered");
    }
    assert!(
        ben_push.is_ok(),
        "another device's push in the group: {ben_push:?}"
    );
    // Whatever order they reached the writer in, sending the rest again finishes the job.
    let res = ana.push().await.expect("the rest");
    assert_eq!(res.last_applied_seq, 10);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM activities").await,
        11,
        "ten of Ana's and one of Ben's, each exactly once"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM mutations").await,
        11,
        "one ledger row per mutation"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM changelog WHERE tbl = 'activity'")
            .await,
        11,
        "and each logged once"
    );
}

/// A manager's move and then a push on the moved account, in one group: the push must
/// see the account in its new territory (the move runs first), so the new rep receives
/// the activity.
async fn a_push_after_a_move_in_the_same_group_sees_the_move(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    ben.pull(None).await.expect("ben's first pull");
    let moved = org.north_accounts[0];
    let visit = ana.log(
        moved,
        chrono::Utc::now() - chrono::Duration::minutes(5),
        "before the move",
    );
    let gate = hold_writer(&server.db, 300);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mover = tokio::spawn({
        let db = server.db.clone();
        let south = org.south;
        async move {
            db.write(move |tx| {
                rounds_server::org::assign_account(tx, moved, Some(south), chrono::Utc::now())
            })
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let res = ana.push().await.expect("push");
    gate.await.expect("gate");
    mover.await.expect("move task").expect("moved");
    assert_eq!(
        res.results[0].status,
        rounds_protocol::sync::MutationStatus::Applied,
        "Ana held the account when she visited"
    );
    ben.pull(None).await.expect("ben's pull");
    assert!(
        ben.activities().iter().any(|a| a.id == visit.id),
        "Ben, who holds the account now, receives Ana's visit on it"
    );
}

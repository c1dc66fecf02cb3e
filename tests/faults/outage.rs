//! A 503 and then silence (S9): the outbox drains on the runner's own timer, with no new
//! local write, and again after the app restarts. Poison mutations (S10): the queue
//! drains past them and the server keeps them as sent.

use std::time::Duration;

use rounds_client::{Runner, SyncEngine, system_clock};

use crate::oracle::Oracle;
use crate::proxy::{Fault, Proxy};
use crate::seed;
use crate::support::*;

/// Waits until the runner reports an empty outbox after a successful sync.
async fn drained(runner: &Runner, within: Duration) -> bool {
    let mut status = runner.status();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        {
            let s = status.borrow_and_update();
            if s.pending == 0 && !s.syncing && s.last_success.is_some() && s.last_error.is_none() {
                return true;
            }
        }
        if tokio::time::timeout_at(deadline, status.changed())
            .await
            .is_err()
        {
            return false;
        }
    }
}

fn runner_for(d: &Device) -> Runner {
    Runner::spawn(
        d.open_again(),
        SyncEngine::new(d.engine.api().clone(), system_clock()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_one_503_then_silence_the_outbox_still_drains() {
    let server = Server::demo().await;
    let proxy = Proxy::start(&server.base(), seed("s9")).await;
    let mut dana = Device::sign_in_at(&proxy.base(), DANA).await;
    dana.sync().await.unwrap();
    let mut oracle = Oracle::default();

    // One visit, then the app starts its background sync: the first push meets a 503,
    // and nothing else happens on the device.
    let first = dana.log_visit("logged just before the outage");
    oracle.saved(&dana, first);
    proxy.only("/sync/push");
    proxy.script([Fault::Unavailable]);
    let runner = runner_for(&dana);
    assert!(
        drained(&runner, Duration::from_secs(30)).await,
        "the runner retried on its own timer and drained the outbox"
    );
    assert_eq!(proxy.made(|f| *f == Fault::Unavailable), 1);

    // The server goes quiet (every push refused) while a second visit is logged; the app
    // is closed before the server is back, and opened again later.
    proxy.set_down(true);
    let second = dana.log_visit("logged during the outage");
    oracle.saved(&dana, second);
    runner.trigger(rounds_client::planner::Trigger::LocalWrite);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        dana.store.read().outbox().pending_count().unwrap(),
        1,
        "still waiting while the server is away"
    );
    runner.stop().await;
    proxy.set_down(false);
    let restarted = runner_for(&dana);
    assert!(
        drained(&restarted, Duration::from_secs(30)).await,
        "after a restart the outbox drains with no new write"
    );
    restarted.stop().await;
    dana.sync().await.unwrap();
    oracle.check(&server, &[&dana]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_poison_mutations_are_kept_as_sent_and_the_queue_drains() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();

    // Three visits; two of them are damaged on disk before they are sent (a body that
    // no longer parses, a payload version from the future).
    let unreadable = dana.log_visit("to be damaged");
    let future = dana.log_visit("from a newer app");
    let good = dana.log_visit("fine");
    {
        let conn = rusqlite::Connection::open(dana.db_path()).unwrap();
        conn.execute(
            "UPDATE outbox SET payload = '{\"type\":\"log_activity\",\"activity\":{\"id\":42}}' WHERE seq = ?1",
            [unreadable.seq as i64],
        )
        .unwrap();
        conn.execute(
            "UPDATE outbox SET payload_version = 99 WHERE seq = ?1",
            [future.seq as i64],
        )
        .unwrap();
    }
    dana.sync().await.expect("the sync goes through the poison");
    assert_eq!(
        dana.store.read().outbox().pending_count().unwrap(),
        0,
        "the queue drained"
    );
    assert_eq!(server.copies_of(&good).await, 1, "the good visit arrived");
    let device = dana.store.device_id().to_string();
    let kept = server
        .count(
            "SELECT count(*) FROM mutations WHERE device_id = $1 AND status = 'quarantined'",
            vec![device.clone().into()],
        )
        .await;
    assert_eq!(kept, 2, "both poison mutations are set aside, not dropped");
    let raw = server
        .count(
            "SELECT count(*) FROM mutations WHERE device_id = $1 AND payload LIKE '%\"id\":42%'",
            vec![device.into()],
        )
        .await;
    assert_eq!(raw, 1, "the unreadable body is kept exactly as sent");
    let issues = dana.store.read().issues().open().unwrap();
    assert_eq!(issues.len(), 2, "the rep is told about both: {issues:?}");
    assert_eq!(
        issues.iter().filter(|i| i.mutation.is_none()).count(),
        1,
        "the damaged one is listed even though its body no longer reads"
    );
}

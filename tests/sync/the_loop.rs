//! Offline logging, exactly-once delivery, and territory scoping.

use chrono::Duration;
use rounds_protocol::ErrorCode;
use rounds_protocol::sync::{Mutation, MutationStatus, PushRequest};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_logged_offline_reaches_the_server_exactly_once() {
    let mut server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    let first = dana.sync().await.expect("initial sync");
    assert!(first.ops > 0, "the initial sync brought the territory");
    let held = dana.store.read().accounts().count().unwrap();
    assert_eq!(held, 30, "Dana's whole territory is on the device");

    // No signal: the server is down while Dana logs a visit.
    server.stop().await;
    let logged = dana.log_visit("Reordered 40 cases, wants the spring catalogue");
    let err = dana.sync().await.expect_err("no server to reach");
    assert_eq!(err.code(), ErrorCode::Network);
    let pending = dana.store.read().outbox().pending_count().unwrap();
    assert_eq!(pending, 1, "kept, waiting");
    assert!(dana.shows(&logged, true), "shown at once, marked pending");

    // Signal again.
    server.restart().await;
    let report = dana.sync().await.expect("sync after the server is back");
    assert_eq!(report.settled, 1);
    assert_eq!(dana.store.read().outbox().pending_count().unwrap(), 0);
    assert_eq!(
        server.copies_of(&logged).await,
        1,
        "the visit is on the server"
    );

    // The answer to that push is lost and the device sends it again: still once.
    let replay = dana
        .store
        .read()
        .outbox()
        .get(logged.seq)
        .unwrap()
        .unwrap()
        .mutation;
    let res = replay_push(&dana, replay).await;
    assert_eq!(
        res,
        MutationStatus::Applied,
        "a replay gets the stored answer"
    );
    dana.sync().await.unwrap();
    assert_eq!(server.copies_of(&logged).await, 1, "never twice");

    // And it came back down as server truth: on the timeline once, no longer pending.
    let timeline = dana
        .store
        .read()
        .activities()
        .timeline(logged.activity.account_id)
        .unwrap();
    let mine: Vec<_> = timeline
        .iter()
        .filter(|e| e.activity.id == logged.activity.id)
        .collect();
    assert_eq!(mine.len(), 1);
    assert!(!mine[0].pending);
    assert_eq!(
        mine[0].activity.note.as_deref(),
        Some("Reordered 40 cases, wants the spring catalogue")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_holds_its_own_territory_and_nothing_else() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let accounts = dana.store.read().accounts().all().unwrap();
    let territories = dana.store.read().territories().list().unwrap();
    assert_eq!(territories.len(), 1, "one territory: {territories:?}");
    assert!(
        accounts
            .iter()
            .all(|a| a.account.territory == Some(territories[0].id))
    );
    let total = server.count("SELECT count(*) FROM accounts", vec![]).await;
    assert_eq!(total, 90, "the server has three territories of 30");
    assert_eq!(accounts.len(), 30);
    // Every activity on the device is on one of Dana's accounts.
    let ids: std::collections::HashSet<_> = accounts.iter().map(|a| a.account.id).collect();
    let inputs = dana
        .store
        .read()
        .today_inputs(now() - Duration::days(400))
        .unwrap();
    assert!(
        inputs.pairs().all(
            |(a, acts)| ids.contains(&a.id) && acts.iter().all(|x| ids.contains(&x.account_id))
        )
    );
    assert!(
        dana.store.read().activities().count().unwrap() > 0,
        "six months of history came along"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_of_one_rep_see_each_others_work() {
    let server = Server::demo().await;
    let mut phone = Device::sign_in(&server, DANA).await;
    let mut laptop = Device::sign_in(&server, DANA).await;
    phone.sync().await.unwrap();
    laptop.sync().await.unwrap();
    let logged = phone.log_visit("Logged on the phone");
    phone.sync().await.unwrap();
    laptop.sync().await.unwrap();
    assert!(
        laptop.shows(&logged, false),
        "the laptop has the phone's visit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_sync_drains_the_outbox_after_an_outage_without_a_new_write() {
    let mut server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let runner = rounds_client::Runner::spawn(dana.open_again(), dana.engine.clone());
    let mut status = runner.status();
    status.wait_for(|s| s.last_success.is_some()).await.unwrap();

    server.stop().await;
    let logged = dana.log_visit("Logged during the outage");
    runner.trigger(rounds_client::planner::Trigger::LocalWrite);
    let failed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        status.wait_for(|s| s.last_error.is_some()),
    )
    .await
    .expect("the runner tried and failed")
    .unwrap()
    .clone();
    assert_eq!(failed.last_error.unwrap().0, ErrorCode::Network);
    assert_eq!(failed.pending, 1);

    // The server comes back; nobody writes or taps anything.
    server.restart().await;
    let drained = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        status.wait_for(|s| s.pending == 0 && s.last_error.is_none() && !s.syncing),
    )
    .await
    .expect("the outbox drained on the runner's own retry")
    .unwrap()
    .clone();
    assert!(drained.last_success.is_some());
    assert_eq!(server.copies_of(&logged).await, 1);
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_on_the_same_install_keeps_its_queue_flowing() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    dana.log_visit("first");
    dana.log_visit("second");
    dana.sync().await.unwrap();
    // Signed out and in again (a new token), then more work: numbering continues at 3.
    let device = dana.store.device_id();
    let login = dana
        .engine
        .api()
        .login(&login_request(DANA, Some(device)))
        .await
        .unwrap();
    assert_eq!(login.device_id, device, "the same device on the server");
    dana.engine.api_mut().set_token(Some(login.token));
    let third = dana.log_visit("third");
    assert_eq!(third.seq, 3);
    let report = dana
        .sync()
        .await
        .expect("no sequence gap after signing in again");
    assert_eq!(report.settled, 1);

    // Someone else cannot take over this install's device.
    let err = dana
        .engine
        .api()
        .login(&login_request("marcus@demo.rounds.app", Some(device)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

/// Sends one mutation again, as a retry after a lost answer would, and returns its status.
async fn replay_push(device: &Device, m: Mutation) -> MutationStatus {
    let req = PushRequest {
        protocol_version: rounds_protocol::PROTOCOL_VERSION,
        schema_version: rounds_protocol::SCHEMA_VERSION,
        device_id: device.store.device_id(),
        mutations: vec![m],
    };
    let res = device.engine.api().push(&req).await.unwrap();
    res.results[0].status.clone()
}

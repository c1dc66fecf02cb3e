//! The stories the sync contract promises, each run on both backends.

use chrono::{Duration, Utc};
use rounds_protocol::ErrorCode;
use rounds_protocol::sync::{AccountEdit, MutationStatus, Op, PullResponse, Table};

use crate::support::*;

on_both_backends!(
    threads = 4;
    activities_logged_offline_reach_the_server_once,
    a_device_receives_only_its_own_territory,
    two_devices_of_one_rep_converge,
    concurrent_edits_of_one_field_keep_the_loser_as_a_conflict,
    reassignment_while_offline_loses_nothing,
    a_lost_response_is_answered_from_the_ledger,
    duplicate_concurrent_pushes_apply_once,
    a_poison_mutation_is_consumed_and_the_queue_drains,
    a_sequence_gap_stops_the_batch,
    a_rep_asking_for_another_territory_is_refused,
    a_clock_far_ahead_is_not_believed,
    pull_pages_resume_and_complete,
    a_revoked_or_deactivated_device_gets_a_clear_answer,
    an_old_app_must_upgrade_to_pull_but_can_still_push,
    compaction_keeps_every_cursor_converging,
);

async fn activities_logged_offline_reach_the_server_once(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("first sync");
    // Offline: three visits logged, nothing sent.
    let now = Utc::now();
    let logged: Vec<_> = org
        .north_accounts
        .iter()
        .map(|a| ana.log(*a, now, "offline visit"))
        .collect();
    assert_eq!(
        server.count("SELECT COUNT(*) FROM activities").await,
        0,
        "nothing reaches the server while offline"
    );

    let res = ana.push().await.expect("push");
    assert!(
        res.results
            .iter()
            .all(|r| r.status == MutationStatus::Applied),
        "every offline activity is applied: {res:?}"
    );
    assert_eq!(res.last_applied_seq, 3);
    assert!(
        ana.outbox.is_empty(),
        "acknowledged mutations leave the outbox"
    );
    ana.pull(None).await.expect("pull");
    let mut got: Vec<_> = ana.activities().into_iter().map(|a| a.id).collect();
    got.sort();
    let mut want: Vec<_> = logged.iter().map(|a| a.id).collect();
    want.sort();
    assert_eq!(
        got, want,
        "the device's synced rows hold exactly its three activities"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM activities").await,
        3,
        "each activity exists exactly once"
    );
}

async fn a_device_receives_only_its_own_territory(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("pull");
    let mut accounts: Vec<_> = ana.accounts().into_iter().map(|a| a.id).collect();
    accounts.sort();
    assert_eq!(
        accounts, org.north_accounts,
        "Ana gets North's accounts and nothing else"
    );
    assert!(
        ana.rows
            .keys()
            .all(|k| k.0 == "org" || k.0 == bucket(org.north)),
        "no row outside org and North: {:?}",
        ana.buckets()
    );
    assert_eq!(
        ana.rows.keys().filter(|k| k.1 == Table::Contact).count(),
        3,
        "North's contacts arrive"
    );
    assert_eq!(
        ana.rows.keys().filter(|k| k.1 == Table::Territory).count(),
        1,
        "the territory row arrives"
    );
    let last = ana.last_pull.clone().expect("a page");
    assert!(
        !last.has_more && last.checkpoint > 0,
        "a complete pull ends with a checkpoint"
    );
}

async fn two_devices_of_one_rep_converge(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    assert_ne!(phone.id, laptop.id, "each sign-in registers its own device");
    phone.pull(None).await.expect("pull");
    laptop.pull(None).await.expect("pull");
    let a = org.north_accounts[0];
    phone.log(a, Utc::now(), "from the phone");
    phone.edit(a, AccountEdit::Phone(Some("+1 555 0100".into())));
    laptop.log(a, Utc::now(), "from the laptop");
    laptop.edit(a, AccountEdit::Industry(Some("Dental".into())));
    phone.sync().await;
    laptop.sync().await;
    phone.pull(None).await.expect("pull");
    assert_eq!(
        phone.activities().len(),
        2,
        "the phone sees the laptop's activity too"
    );
    assert_eq!(
        laptop.activities().len(),
        2,
        "the laptop sees the phone's activity too"
    );
    for d in [&phone, &laptop] {
        let acc = d.account(a).expect("account present");
        assert_eq!(
            acc.phone.as_deref(),
            Some("+1 555 0100"),
            "edits of different fields both survive"
        );
        assert_eq!(
            acc.industry.as_deref(),
            Some("Dental"),
            "edits of different fields both survive"
        );
    }
    assert_eq!(phone.next_seq, 3, "each device numbers its own mutations");
    assert_eq!(
        laptop.last_pull.as_ref().map(|p| p.last_applied_seq),
        Some(2)
    );
}

async fn concurrent_edits_of_one_field_keep_the_loser_as_a_conflict(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut phone = Device::sign_in(&server.base, "ana@example.com").await;
    let mut laptop = Device::sign_in(&server.base, "ana@example.com").await;
    let a = org.north_accounts[1];
    // The phone edits first (earlier clock) but is the last to reach the server.
    phone.edit(a, edit_name("Acme (phone)"));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    laptop.edit(a, edit_name("Acme (laptop)"));
    let r = laptop.push().await.expect("push");
    assert_eq!(r.results[0].status, MutationStatus::Applied);
    let r = phone.push().await.expect("push");
    assert!(
        matches!(r.results[0].status, MutationStatus::Superseded { .. }),
        "the older edit loses: {r:?}"
    );
    phone.pull(None).await.expect("pull");
    assert_eq!(
        phone.account(a).expect("account").name,
        "Acme (laptop)",
        "last writer by HLC wins, whatever the arrival order"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM conflicts").await,
        1,
        "the losing value is kept as a conflict"
    );

    // The other delivery order converges to the same value, with the loser kept too.
    let b = org.north_accounts[2];
    phone.edit(b, edit_name("Beta (phone)"));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    laptop.edit(b, edit_name("Beta (laptop)"));
    phone.push().await.expect("push");
    laptop.push().await.expect("push");
    phone.pull(None).await.expect("pull");
    assert_eq!(phone.account(b).expect("account").name, "Beta (laptop)");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM conflicts").await,
        2,
        "an overwritten value of another device is kept as a conflict"
    );
}

async fn reassignment_while_offline_loses_nothing(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    ana.pull(None).await.expect("pull");
    ben.pull(None).await.expect("pull");
    let x = org.north_accounts[0];
    // Ana, offline, visits X and fixes its name.
    let visit = ana.log(
        x,
        Utc::now() - Duration::minutes(10),
        "visited before the move",
    );
    ana.edit(x, edit_name("Renamed offline"));
    // Meanwhile the manager moves X to South (Ben).
    let (status, body) = maria
        .post(
            &format!("/manage/accounts/{x}/territory"),
            serde_json::json!({ "territory_id": org.south }),
        )
        .await;
    assert_eq!(status, 204, "the manager moves the account: {body}");

    let res = ana.push().await.expect("push");
    assert_eq!(
        res.results[0].status,
        MutationStatus::Applied,
        "Ana held X when she visited: the activity is accepted"
    );
    assert!(
        matches!(
            &res.results[1].status,
            MutationStatus::Rejected {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "the edit on an account Ana no longer holds is rejected: {:?}",
        res.results[1]
    );
    ana.pull(None).await.expect("pull");
    assert!(ana.account(x).is_none(), "X is gone from Ana's device");
    assert!(
        ana.activities().iter().all(|a| a.account_id != x),
        "so is its history"
    );
    ben.pull(None).await.expect("pull");
    let moved = ben.account(x).expect("X arrives on Ben's device");
    assert_eq!(moved.territory_id, Some(org.south));
    assert_ne!(
        moved.name, "Renamed offline",
        "the rejected edit was not applied"
    );
    assert!(
        ben.activities().iter().any(|a| a.id == visit.id),
        "Ben gets X with Ana's visit in its history"
    );
    let (status, review) = maria.get("/manage/review").await;
    assert_eq!(status, 200);
    let edits = review["rejected_edits"].as_array().expect("rejected edits");
    assert_eq!(
        edits.len(),
        1,
        "the rejected edit is kept for the manager: {review}"
    );
    assert_eq!(edits[0]["value"], "Renamed offline", "with the rep's value");

    // An activity that happened after the move is not Ana's: quarantined, never dropped.
    let late = ana.log(x, Utc::now(), "after the move");
    let res = ana.push().await.expect("push");
    assert!(
        matches!(res.results[0].status, MutationStatus::Quarantined { .. }),
        "{res:?}"
    );
    let (_, review) = maria.get("/manage/review").await;
    let q = review["quarantined_activities"]
        .as_array()
        .expect("quarantined");
    assert!(
        q.iter().any(|a| a["id"] == late.id.to_string()),
        "the quarantined activity is on the server: {review}"
    );
    // The history answers who held X when.
    let (before, after) = server
        .db
        .read(move |tx| {
            use rounds_server::db::Sql;
            let created = tx
                .query_one(
                    "SELECT MIN(from_seq) FROM assignments WHERE account_id = $1",
                    rounds_server::params![x],
                )?
                .int(0)?;
            let first = rounds_server::org::holder_at_seq(tx, x, created)?;
            let head = tx.head_seq()?;
            let now = rounds_server::org::holder_at_seq(tx, x, head)?;
            Ok::<_, rounds_server::Error>((first, now))
        })
        .await
        .expect("history");
    assert_eq!(
        (before, after),
        (Some(org.ana), Some(org.ben)),
        "the assignment history knows who held X"
    );
}

async fn a_lost_response_is_answered_from_the_ledger(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.log(org.north_accounts[0], Utc::now(), "once");
    ana.edit(org.north_accounts[0], edit_name("Once"));
    let req = ana.request(ana.outbox.clone());
    let first = ana.push_request(&req).await.expect("push");
    // The response was lost: the device sends the same batch again.
    let again = ana.push_request(&req).await.expect("retry");
    assert_eq!(
        first.results, again.results,
        "a retried batch gets the stored results"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM activities").await,
        1,
        "the activity exists once"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM mutations").await,
        2,
        "each mutation is in the ledger once"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM conflicts").await,
        0,
        "the replayed edit did not race itself"
    );
}

async fn duplicate_concurrent_pushes_apply_once(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    for i in 0..20 {
        ana.log(org.north_accounts[i % 3], Utc::now(), &format!("visit {i}"));
    }
    let req = ana.request(ana.outbox.clone());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (http, base, token, req) = (
            ana.http.clone(),
            ana.base.clone(),
            ana.token.clone(),
            req.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/sync/push"))
                .bearer_auth(token)
                .json(&req)
                .send()
                .await
                .expect("push")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200, "every duplicate is answered");
    }
    assert_eq!(
        server.count("SELECT COUNT(*) FROM activities").await,
        20,
        "twenty activities, each exactly once"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM changelog WHERE tbl = 'activity'")
            .await,
        20,
        "and logged once"
    );
    let res = ana.push_request(&req).await.expect("push");
    assert_eq!(res.last_applied_seq, 20);
    assert!(
        res.results
            .iter()
            .all(|r| r.status == MutationStatus::Applied)
    );
}

async fn a_poison_mutation_is_consumed_and_the_queue_drains(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    ana.log(org.north_accounts[0], Utc::now(), "before");
    ana.queue_raw(
        1,
        serde_json::json!({"type": "explode", "words": "the rep's words"}),
    );
    ana.queue_raw(
        99,
        serde_json::json!({"type": "log_activity", "from": "the future"}),
    );
    ana.edit(org.north_accounts[0], edit_name(""));
    ana.log(org.north_accounts[0], Utc::now(), "after");
    let res = ana.push().await.expect("push");
    let kinds: Vec<_> = res
        .results
        .iter()
        .map(|r| match &r.status {
            MutationStatus::Applied => "applied",
            MutationStatus::Quarantined { .. } => "quarantined",
            MutationStatus::Rejected { .. } => "rejected",
            MutationStatus::Superseded { .. } => "superseded",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "applied",
            "quarantined",
            "quarantined",
            "rejected",
            "applied"
        ],
        "{res:?}"
    );
    assert!(
        ana.outbox.is_empty(),
        "the queue drains past the poison mutations"
    );
    assert_eq!(res.last_applied_seq, 5);
    let (_, review) = maria.get("/manage/review").await;
    let q = review["quarantined_mutations"].as_array().expect("list");
    assert!(
        q.iter().any(|m| m["payload"]["words"] == "the rep's words"),
        "the unreadable mutation is kept with its raw payload: {review}"
    );
    assert!(
        matches!(
            &res.results[3].status,
            MutationStatus::Rejected {
                code: ErrorCode::InvalidInput,
                ..
            }
        ),
        "an invalid value is rejected with invalid_input"
    );
}

async fn a_sequence_gap_stops_the_batch(backend: Backend) {
    let (server, org) = start(backend).await;
    let ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut d = ana;
    let m1 = d.queue(&rounds_protocol::sync::MutationBody::LogActivity {
        activity: d.activity(org.north_accounts[0], Utc::now(), "one"),
    });
    let _lost = d.queue(&rounds_protocol::sync::MutationBody::LogActivity {
        activity: d.activity(org.north_accounts[0], Utc::now(), "two"),
    });
    let m3 = d.queue(&rounds_protocol::sync::MutationBody::LogActivity {
        activity: d.activity(org.north_accounts[0], Utc::now(), "three"),
    });
    let res = d
        .push_request(&d.request(vec![m1, m3]))
        .await
        .expect("push");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
    assert!(
        matches!(
            &res.results[1].status,
            MutationStatus::Rejected {
                code: ErrorCode::SequenceGap,
                ..
            }
        ),
        "a gap stops the batch: {res:?}"
    );
    assert_eq!(res.last_applied_seq, 1, "nothing after the gap is applied");
    assert_eq!(server.count("SELECT COUNT(*) FROM activities").await, 1);
}

async fn a_rep_asking_for_another_territory_is_refused(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("pull");
    // Her cursor, edited to claim South's bucket from seq 0: not a cursor the server
    // made, so she starts over, and nothing of South comes with it.
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (body, tag) = ana
        .cursor
        .as_deref()
        .and_then(|c| c.split_once('.'))
        .expect("a signed cursor");
    let mut cur: rounds_server::pull::Cursor =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).expect("base64")).expect("json");
    cur.b.insert(bucket(org.south), 0);
    let forged = format!(
        "{}.{tag}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cur).expect("json"))
    );
    let page = ana.pull_page(Some(&forged), None).await.expect("pull");
    assert!(page.reset, "a forged cursor starts the device over");
    assert!(
        page.ops
            .iter()
            .all(|op| !matches!(op, Op::Put { bucket, .. } if bucket.0 == bucket_of(&org))),
        "and sends none of South's rows: {:?}",
        page.ops
    );
    // Even one signed with the server's own key (as if made when she held South) only
    // tells her to drop it.
    use rounds_server::db::Sql as _;
    let key = server
        .db
        .read(|tx| {
            tx.query_one("SELECT value FROM meta WHERE key = 'cursor_key'", &[])
                .and_then(|r| r.text(0))
        })
        .await
        .expect("the cursor key");
    let signed = cur.encode(key.as_bytes(), ana.id);
    let page = ana.pull_page(Some(&signed), None).await.expect("pull");
    assert!(
        page.ops
            .iter()
            .any(|op| matches!(op, Op::RemoveBucket { bucket } if bucket.0 == bucket_of(&org))),
        "the server tells the device to drop a bucket it may not hold: {:?}",
        page.ops
    );
    assert!(
        page.ops
            .iter()
            .all(|op| !matches!(op, Op::Put { bucket, .. } if bucket.0 == bucket_of(&org))),
        "and sends none of its rows"
    );
    // Asking for South's bucket to be sent again changes nothing; her own is resent.
    let cursor = ana.cursor.clone();
    let south = bucket(org.south);
    for (asked, resent) in [(bucket(org.south), false), (bucket(org.north), true)] {
        let res = ana
            .http
            .get(format!("{}/sync/pull", ana.base))
            .bearer_auth(&ana.token)
            .query(&[
                ("cursor", cursor.as_deref().expect("cursor")),
                ("resnapshot", &asked),
            ])
            .send()
            .await
            .expect("pull");
        let page: PullResponse = res.json().await.expect("a page");
        assert!(
            page.ops.iter().all(|op| match op {
                Op::Put { bucket: b, .. } | Op::ResetBucket { bucket: b } => b.0 != south,
                _ => true,
            }),
            "no row of South for asking: {:?}",
            page.ops
        );
        assert_eq!(
            page.ops
                .iter()
                .any(|op| matches!(op, Op::ResetBucket { bucket: b } if b.0 == asked)),
            resent,
            "{asked} sent again: {resent}"
        );
    }
    // Edits and activities on South's accounts.
    let y = org.south_accounts[0];
    ana.edit(y, edit_name("Mine now"));
    ana.log(y, Utc::now(), "not my account");
    let res = ana.push().await.expect("push");
    assert!(
        matches!(&res.results[0].status, MutationStatus::Rejected { code: ErrorCode::Forbidden, reason } if !reason.contains("South")),
        "an edit on another territory's account is refused without revealing it: {res:?}"
    );
    assert!(
        matches!(res.results[1].status, MutationStatus::Quarantined { .. }),
        "an activity on it is quarantined"
    );
    // Manager endpoints.
    let (status, body) = ana
        .post(
            &format!("/manage/accounts/{y}/territory"),
            serde_json::json!({"territory_id": org.north}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "a rep cannot move accounts"
    );
    let (status, _) = ana.get("/manage/review").await;
    assert_eq!(status, 403, "a rep cannot read the review queue");
}

fn bucket_of(org: &Org) -> String {
    bucket(org.south)
}

async fn pull_pages_resume_and_complete(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    for i in 0..12 {
        ana.log(org.north_accounts[i % 3], Utc::now(), &format!("v{i}"));
    }
    ana.push().await.expect("push");
    let pages = ana.pull(Some(4)).await.expect("paged pull");
    assert!(pages.len() > 3, "small pages: {}", pages.len());
    assert!(
        pages.iter().all(|p| p.ops.len() <= 4),
        "no page exceeds the limit"
    );
    assert_eq!(ana.activities().len(), 12, "paging loses nothing");
    // New changes after the checkpoint arrive incrementally.
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    let (s, _) = maria
        .post(
            &format!("/manage/territories/{}/rep", org.north),
            serde_json::json!({"rep_id": org.ana}),
        )
        .await;
    assert_eq!(s, 204);
    let pages = ana.pull(None).await.expect("pull");
    let ops: usize = pages.iter().map(|p| p.ops.len()).sum();
    assert_eq!(
        ops, 1,
        "only the changed territory row comes down, not a new snapshot"
    );
    // Giving North to Ben removes it from Ana's device.
    let (s, _) = maria
        .post(
            &format!("/manage/territories/{}/rep", org.north),
            serde_json::json!({"rep_id": org.ben}),
        )
        .await;
    assert_eq!(s, 204);
    ana.pull(None).await.expect("pull");
    assert!(
        ana.accounts().is_empty(),
        "a lost bucket is removed: {:?}",
        ana.buckets()
    );
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    ben.pull(None).await.expect("pull");
    assert_eq!(ben.accounts().len(), 5, "Ben now holds North and South");
    assert_eq!(ben.activities().len(), 12, "with North's history");
}

async fn a_revoked_or_deactivated_device_gets_a_clear_answer(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    ana.log(org.north_accounts[0], Utc::now(), "x");
    let (s, _) = maria
        .post(
            &format!("/manage/devices/{}/revoke", ana.id),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let err = ana.push().await.expect_err("a revoked device cannot push");
    assert_eq!((err.0, err.1.code), (403, ErrorCode::DeviceRevoked));
    let err = ana.pull(None).await.expect_err("nor pull");
    assert_eq!((err.0, err.1.code), (403, ErrorCode::DeviceRevoked));
    assert_eq!(server.count("SELECT COUNT(*) FROM activities").await, 0);

    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    server
        .db
        .write(|tx| rounds_server::org::deactivate_user(tx, "ben@example.com", Utc::now()))
        .await
        .expect("deactivate");
    let err = ben
        .pull(None)
        .await
        .expect_err("a deactivated user's device gets no data");
    assert_eq!(err.1.code, ErrorCode::DeviceRevoked);
    let err = login(&server.base, "ben@example.com", PASSWORD)
        .await
        .expect_err("nor a new sign-in");
    assert_eq!(err.1.code, ErrorCode::DeviceRevoked);
    let err = login(&server.base, "ana@example.com", "wrong")
        .await
        .expect_err("a wrong password");
    assert_eq!((err.0, err.1.code), (401, ErrorCode::InvalidCredentials));
}

async fn an_old_app_must_upgrade_to_pull_but_can_still_push(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.log(org.north_accounts[0], Utc::now(), "from an old app");
    let mut req = ana.request(ana.outbox.clone());
    req.protocol_version = 0;
    let res = ana
        .push_request(&req)
        .await
        .expect("an old app's push is accepted");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
    let err = ana
        .pull_page(None, None)
        .await
        .expect_err("but its pull is refused");
    assert_eq!((err.0, err.1.code), (426, ErrorCode::UpgradeRequired));
}

async fn compaction_keeps_every_cursor_converging(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut early = Device::sign_in(&server.base, "ana@example.com").await;
    early.pull(None).await.expect("pull");
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let a = org.north_accounts[0];
    for name in ["One", "Two", "Three"] {
        ana.edit(a, edit_name(name));
        ana.push().await.expect("push");
    }
    ana.log(a, Utc::now(), "kept");
    ana.push().await.expect("push");
    let before = server.count("SELECT COUNT(*) FROM changelog").await;
    let removed = server
        .db
        .write(rounds_server::changelog::compact)
        .await
        .expect("compact");
    assert!(removed >= 2, "superseded account states go: {removed}");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM changelog").await,
        before - removed as i64
    );
    // A device whose cursor predates the compaction still converges.
    early.pull(None).await.expect("pull");
    assert_eq!(early.account(a).expect("account").name, "Three");
    assert_eq!(early.activities().len(), 1);
    let mut fresh = Device::sign_in(&server.base, "ana@example.com").await;
    fresh.pull(None).await.expect("pull");
    assert_eq!(
        fresh.account(a),
        early.account(a),
        "old and new devices agree"
    );
}

/// Found by the API fuzz: a device clock years ahead had its edit win over every later
/// one (and the server echo that clock to every device), and an activity dated in the
/// year 262142 was stored as a normal visit.
async fn a_clock_far_ahead_is_not_believed(backend: Backend) {
    let (server, org) = start(backend).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let x = org.north_accounts[0];
    let far = Utc::now() + Duration::days(365 * 1000);
    ana.edit(x, edit_name("From the far future"));
    ana.outbox.last_mut().expect("queued").hlc.wall_ms = far.timestamp_millis() as u64;
    let mut visit = ana.activity(x, Utc::now(), "dated by a broken clock");
    visit.occurred_at = far;
    ana.queue(&rounds_protocol::sync::MutationBody::LogActivity {
        activity: visit.clone(),
    });
    let res = ana.push().await.expect("push");
    assert!(
        matches!(&res.results[0].status, MutationStatus::Rejected { code: ErrorCode::InvalidInput, reason } if reason.contains("clock")),
        "the edit is refused, saying why: {:?}",
        res.results[0]
    );
    assert!(
        matches!(&res.results[1].status, MutationStatus::Quarantined { reason } if reason.contains("clock")),
        "the activity is kept, set aside for review: {:?}",
        res.results[1]
    );
    assert!(
        res.server_hlc.wall_ms < (Utc::now() + Duration::days(1)).timestamp_millis() as u64,
        "the server's clock is not dragged ahead"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM rejected_edits WHERE code = 'invalid_input'")
            .await,
        1,
        "the refused edit is kept"
    );
    // A later edit with a true clock applies.
    ana.edit(x, edit_name("Set right"));
    let res = ana.push().await.expect("push");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
}

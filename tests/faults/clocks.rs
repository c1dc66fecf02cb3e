//! Field edits under bad clocks and every delivery order (S11, S12): however the edits
//! arrive and whatever the devices' clocks say, every device and the server end with one
//! value, and every other value is kept (as a conflict or a rejected edit), never lost.

use chrono::{DateTime, Duration, Utc};
use rounds_protocol::AccountId;
use rounds_protocol::records::AccountRecord;
use rounds_protocol::sync::AccountEdit;

use crate::support::*;

fn phone_on(d: &Device, x: AccountId) -> Option<String> {
    let view = d.store.read().accounts().get(x).unwrap().expect("held");
    AccountRecord::from(&view.account).phone
}

/// The account's phone on the server, and every phone value the server kept aside.
async fn server_side(server: &Server, x: AccountId) -> (Option<String>, Vec<String>) {
    let db = server.db().await;
    let id = x.to_string();
    db.read(move |tx| {
        use rounds_server::db::Sql;
        let data = tx.query_one(
            "SELECT data FROM accounts WHERE id = $1",
            rounds_server::params![id.clone()],
        )?;
        let rec: AccountRecord = data.json(0)?;
        let mut kept = Vec::new();
        for r in tx.query(
            "SELECT loser_value FROM conflicts WHERE account_id = $1 AND field = 'phone'
             UNION ALL SELECT value FROM rejected_edits WHERE account_id = $1 AND field = 'phone'",
            rounds_server::params![id],
        )? {
            if let Some(v) = r.opt_text(0)? {
                kept.push(v);
            }
        }
        Ok::<_, rounds_server::db::DbError>((rec.phone, kept))
    })
    .await
    .unwrap()
}

/// Every device syncs until what the others pushed has reached it.
async fn settle(devices: &mut [Device]) {
    for _ in 0..2 {
        for d in devices.iter_mut() {
            d.sync().await.expect("sync");
        }
    }
}

/// Checks convergence: one value everywhere, every other edit kept on the server.
async fn converged(server: &Server, devices: &[Device], x: AccountId, edits: &[String]) -> String {
    let (on_server, kept) = server_side(server, x).await;
    let winner = on_server.clone().expect("a phone on the server");
    for d in devices {
        assert_eq!(
            phone_on(d, x),
            on_server,
            "every device shows the server's value"
        );
    }
    for e in edits {
        assert!(
            *e == winner || kept.iter().any(|k| k.contains(e.as_str())),
            "{e} is the value or kept aside (kept: {kept:?})"
        );
    }
    winner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_concurrent_edits_in_every_delivery_order_converge_to_one_value() {
    // Three devices of one rep edit the same field offline; their pushes reach the server
    // in each of the 6 orders, each on a fresh server.
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut winners = Vec::new();
    for order in orders {
        let server = Server::demo().await;
        let mut devices = Vec::new();
        for _ in 0..3 {
            let mut d = Device::sign_in(&server, DANA).await;
            d.sync().await.unwrap();
            devices.push(d);
        }
        let x = devices[0].store.read().accounts().all().unwrap()[0]
            .account
            .id;
        let base = Utc::now();
        let edits: Vec<String> = (0..3).map(|i| format!("(303) 555-01{i}{i}")).collect();
        // Device i edits at base + i seconds: device 2's edit is the latest.
        for (i, d) in devices.iter_mut().enumerate() {
            d.store
                .edit_account(
                    x,
                    AccountEdit::Phone(Some(edits[i].clone())),
                    base + Duration::seconds(i as i64),
                )
                .unwrap();
        }
        for i in order {
            devices[i].sync().await.unwrap();
        }
        settle(&mut devices).await;
        winners.push(converged(&server, &devices, x, &edits).await);
    }
    assert!(
        winners.iter().all(|w| *w == winners[0]),
        "the same value wins whatever the order: {winners:?}"
    );
    assert_eq!(winners[0], "(303) 555-0122", "the latest edit wins");
    println!(
        "s11: 3 concurrent edits delivered in all 6 orders converged to {}",
        winners[0]
    );
}

/// S11 as a property: any number of devices (2–5) edit one field at distinct moments and
/// their pushes reach the server in any order; the latest edit is the value everywhere and
/// every other is kept. One server, a fresh account per case.
#[test]
fn s11_any_edits_in_any_delivery_order_converge_to_the_latest() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, devices) = rt.block_on(async {
        let server = Server::demo().await;
        let mut devices = Vec::new();
        for _ in 0..5 {
            let mut d = Device::sign_in(&server, DANA).await;
            d.sync().await.unwrap();
            devices.push(d);
        }
        (server, devices)
    });
    let accounts: Vec<AccountId> = devices[0].account_ids();
    // (when each device edits, as a rank; the order their pushes arrive in)
    let cases = (2usize..=5).prop_flat_map(|n| {
        let ranks: Vec<usize> = (0..n).collect();
        (
            Just(ranks.clone()).prop_shuffle(),
            Just(ranks).prop_shuffle(),
        )
    });
    let mut runner = TestRunner::new(Config {
        cases: crate::scale(8, 64) as u32,
        ..Config::default()
    });
    // The runner takes a `Fn`: what changes from case to case lives in cells.
    let case = std::cell::Cell::new(0usize);
    let start = std::cell::Cell::new(Utc::now());
    let devices = std::cell::RefCell::new(devices);
    runner
        .run(&cases, |(when, arrival)| {
            case.set(case.get() + 1);
            let x = accounts[case.get() % accounts.len()];
            // Later than every earlier case's edits, so each case has its own latest.
            start.set(start.get() + Duration::minutes(1));
            let edits: Vec<String> = (0..when.len())
                .map(|i| format!("(303) 555-{:02}{i}{i}", case.get() % 100))
                .collect();
            let mut devices = devices.borrow_mut();
            for (i, d) in devices.iter_mut().take(when.len()).enumerate() {
                d.store
                    .edit_account(
                        x,
                        AccountEdit::Phone(Some(edits[i].clone())),
                        start.get() + Duration::seconds(when[i] as i64),
                    )
                    .unwrap();
            }
            let latest = (0..when.len()).max_by_key(|&i| when[i]).unwrap();
            let winner = rt.block_on(async {
                for &i in &arrival {
                    devices[i].sync().await.unwrap();
                }
                settle(&mut devices).await;
                converged(&server, &devices, x, &edits).await
            });
            prop_assert_eq!(&winner, &edits[latest], "the latest edit wins");
            Ok(())
        })
        .unwrap();
    let case = case.get();
    println!(
        "s11: {case} random sets of 2–5 edits in random delivery orders converged to the latest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s12_clocks_a_day_ahead_a_day_behind_frozen_and_jumping_back_converge() {
    let server = Server::demo().await;
    let mut devices = Vec::new();
    for _ in 0..4 {
        let mut d = Device::sign_in(&server, DANA).await;
        d.sync().await.unwrap();
        devices.push(d);
    }
    let x = devices[0].store.read().accounts().all().unwrap()[0]
        .account
        .id;
    let now = Utc::now();
    let frozen: DateTime<Utc> = now - Duration::hours(3);
    // (device, its clock at the moment of the edit)
    let plan: Vec<(usize, DateTime<Utc>)> = vec![
        (0, now + Duration::days(1)), // a day ahead
        (1, now - Duration::days(1)), // a day behind
        (2, frozen),                  // frozen …
        (2, frozen),                  // … still frozen
        (3, now),                     // then jumps back
        (3, now - Duration::hours(2)),
    ];
    let mut edits = Vec::new();
    for (step, (i, clock)) in plan.into_iter().enumerate() {
        let value = format!("(720) 555-01{step:02}");
        devices[i]
            .store
            .edit_account(x, AccountEdit::Phone(Some(value.clone())), clock)
            .unwrap();
        edits.push(value);
        // Each edit reaches the server before the next is made: real time order.
        devices[i].sync().await.unwrap();
    }
    settle(&mut devices).await;
    // Edits overwritten by a later edit of the same device are not conflicts; only the
    // last edit of each device must be the value or kept aside.
    let last_of_each = vec![
        edits[0].clone(),
        edits[1].clone(),
        edits[3].clone(),
        edits[5].clone(),
    ];
    let winner = converged(&server, &devices, x, &last_of_each).await;
    println!("s12: 6 edits from skewed, frozen and jumping clocks converged to {winner}");
}

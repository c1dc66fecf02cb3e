//! Many devices with random disconnects (S20): nine devices of three reps sync at once
//! through a link that drops, cuts and refuses requests both ways, while the manager
//! moves accounts between them. Once the link calms down they all converge: nothing
//! lost, and each holds exactly what a fresh device of its rep gets.

use std::collections::BTreeSet;

use crate::oracle::Oracle;
use crate::proxy::{Fault, Proxy};
use crate::support::*;
use crate::{scale, seed};

const REPS: [&str; 3] = [DANA, "marcus@demo.rounds.app", "priya@demo.rounds.app"];

/// What a device holds: its accounts and the activities on them.
fn holdings(d: &Device) -> (BTreeSet<String>, BTreeSet<String>) {
    let r = d.store.read();
    let accounts: BTreeSet<String> = r
        .accounts()
        .all()
        .unwrap()
        .into_iter()
        .map(|a| a.account.id.to_string())
        .collect();
    let mut activities = BTreeSet::new();
    for a in &accounts {
        for e in r.activities().timeline(a.parse().unwrap()).unwrap() {
            activities.insert(e.activity.id.to_string());
        }
    }
    (accounts, activities)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s20_many_devices_with_random_disconnects_converge() {
    let rounds = scale(12, 150);
    let server = Server::demo().await;
    let proxy = Proxy::start(&server.base(), seed("s20")).await;
    let mut devices = Vec::new();
    for email in REPS.iter().cycle().take(9) {
        let mut d = Device::sign_in_at(&proxy.base(), email).await;
        d.sync().await.unwrap();
        devices.push((email.to_string(), d));
    }
    let territories: Vec<_> = devices[..3]
        .iter()
        .map(|(_, d)| d.store.read().territories().list().unwrap()[0].id)
        .collect();
    let manager = server.manager_token().await;
    proxy.only("/sync/");
    proxy.odds(&[
        (Fault::DropRequest, 0.1),
        (Fault::DropResponse, 0.1),
        (Fault::Truncate, 0.05),
        (Fault::Unavailable, 0.05),
        (Fault::DuplicateConcurrent, 0.05),
    ]);
    let mut oracle = Oracle::default();
    let mut failed = 0;
    for round in 0..rounds {
        for (i, (_, d)) in devices.iter_mut().enumerate() {
            if (round + i) % 2 == 0 && !d.store.read().accounts().all().unwrap().is_empty() {
                let l = d.log_visit(&format!("round {round}"));
                oracle.saved(d, l);
            }
        }
        // Every few rounds the manager hands one of a rep's accounts to the next rep.
        if round % 3 == 1 {
            let (_, from) = &devices[round % 3];
            if let Some(a) = from.store.read().accounts().all().unwrap().last() {
                server
                    .move_account_as(&manager, a.account.id, territories[(round + 1) % 3])
                    .await;
            }
        }
        let results =
            futures_util::future::join_all(devices.iter_mut().map(|(_, d)| d.sync())).await;
        failed += results.iter().filter(|r| r.is_err()).count();
    }
    proxy.calm();
    for _ in 0..2 {
        for (_, d) in devices.iter_mut() {
            d.sync().await.expect("a sync on a calm link");
        }
    }
    println!(
        "s20: 9 devices × {rounds} rounds, {failed} syncs cut off by {} faults, {} visits saved",
        proxy.total_faults(),
        oracle.count()
    );
    let refs: Vec<&Device> = devices.iter().map(|(_, d)| d).collect();
    oracle.check(&server, &refs).await;
    for email in REPS {
        let mut fresh = Device::sign_in(&server, email).await;
        fresh.sync().await.unwrap();
        let want = holdings(&fresh);
        for (e, d) in &devices {
            if e == email {
                assert!(
                    holdings(d) == want,
                    "a device of {email} holds what a fresh one gets"
                );
            }
        }
    }
}

//! Lost, duplicated and reordered pushes (S1–S3), and a reassignment while offline through
//! a lossy link (S13: one account moved by its manager; S13b: its postal code moved to
//! another territory, as territory design does).

use rounds_core::Stage;
use rounds_protocol::sync::AccountEdit;

use crate::oracle::Oracle;
use crate::proxy::{Fault, Proxy};
use crate::support::*;
use crate::{scale, seed};

on_both_backends!(
    s1_lost_responses_after_the_server_committed,
    s2_duplicate_and_concurrent_retries_from_two_devices_of_one_rep,
    s3_an_old_batch_arriving_after_a_newer_one,
    s13_reassignment_while_offline_through_a_link_dropping_a_fifth,
    s13b_postal_code_moved_while_offline_through_a_link_dropping_a_fifth,
    s23_new_leads_through_lost_duplicated_and_cut_pushes,
    s24_photos_through_lost_duplicated_and_cut_uploads,
);

/// Logs a visit and syncs until `enough` faults of the kind have been made, then syncs
/// with the faults off until the outbox is empty.
async fn log_through_faults(
    proxy: &Proxy,
    devices: &mut [Device],
    oracle: &mut Oracle,
    enough: impl Fn(&Proxy) -> bool,
) -> usize {
    let mut rounds = 0;
    while !enough(proxy) {
        rounds += 1;
        assert!(rounds < 100_000, "the proxy never made enough faults");
        for d in devices.iter_mut() {
            let logged = d.log_visit(&format!("visit {rounds}"));
            oracle.saved(d, logged);
        }
        // The devices sync at once; failures are the point here, the oracle judges the
        // end state.
        let _ = futures_util::future::join_all(devices.iter_mut().map(|d| d.sync())).await;
    }
    proxy.calm();
    for d in devices.iter_mut() {
        d.sync().await.expect("a sync with the faults off");
        d.sync()
            .await
            .expect("and another, to pull what others pushed");
    }
    rounds
}

async fn s1_lost_responses_after_the_server_committed(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let want = scale(40, 1_000);
    let proxy = Proxy::start(&server.base(), seed("s1")).await;
    let mut dana = vec![Device::sign_in_at(&proxy.base(), DANA).await];
    dana[0].sync().await.unwrap();
    proxy.only("/sync/push");
    proxy.odds(&[(Fault::DropResponse, 0.6), (Fault::Truncate, 0.2)]);
    let mut oracle = Oracle::default();
    let rounds =
        log_through_faults(&proxy, &mut dana, &mut oracle, |p| p.total_faults() >= want).await;
    println!(
        "s1: {} lost responses ({} cut to nothing, {} truncated) over {rounds} pushes of {} visits",
        proxy.total_faults(),
        proxy.made(|f| *f == Fault::DropResponse),
        proxy.made(|f| *f == Fault::Truncate),
        oracle.count()
    );
    oracle.check(&server, &[&dana[0]]).await;
}

async fn s2_duplicate_and_concurrent_retries_from_two_devices_of_one_rep(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let want = scale(40, 1_000);
    let proxy = Proxy::start(&server.base(), seed("s2")).await;
    let mut devices = vec![
        Device::sign_in_at(&proxy.base(), DANA).await,
        Device::sign_in_at(&proxy.base(), DANA).await,
    ];
    for d in &mut devices {
        d.sync().await.unwrap();
    }
    proxy.only("/sync/push");
    proxy.odds(&[
        (Fault::Duplicate, 0.3),
        (Fault::DuplicateConcurrent, 0.3),
        (Fault::DropResponse, 0.2),
    ]);
    let mut oracle = Oracle::default();
    let rounds = log_through_faults(&proxy, &mut devices, &mut oracle, |p| {
        p.total_faults() >= want
    })
    .await;
    println!(
        "s2: {} duplicated serially, {} duplicated concurrently, {} lost answers over {rounds} rounds of 2 devices ({} requests reached the server)",
        proxy.made(|f| *f == Fault::Duplicate),
        proxy.made(|f| *f == Fault::DuplicateConcurrent),
        proxy.made(|f| *f == Fault::DropResponse),
        proxy.forwarded(),
    );
    oracle.check(&server, &[&devices[0], &devices[1]]).await;
}

async fn s3_an_old_batch_arriving_after_a_newer_one(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let want = scale(30, 500);
    let proxy = Proxy::start(&server.base(), seed("s3")).await;
    let mut dana = vec![Device::sign_in_at(&proxy.base(), DANA).await];
    dana[0].sync().await.unwrap();
    proxy.only("/sync/push");
    proxy.odds(&[
        (Fault::Reorder, 0.4),
        (Fault::Delay(std::time::Duration::from_millis(5)), 0.2),
    ]);
    let mut oracle = Oracle::default();
    let rounds = log_through_faults(&proxy, &mut dana, &mut oracle, |p| {
        p.made(|f| *f == Fault::Reorder) >= want
    })
    .await;
    proxy.release_held().await;
    dana[0].sync().await.unwrap();
    println!(
        "s3: {} batches held back and delivered after a newer one, {} delayed, over {rounds} pushes",
        proxy.made(|f| *f == Fault::Reorder),
        proxy.made(|f| matches!(f, Fault::Delay(_))),
    );
    oracle.check(&server, &[&dana[0]]).await;
}

async fn s13_reassignment_while_offline_through_a_link_dropping_a_fifth(backend: Backend) {
    handovers_while_offline(backend, Handover::Account).await;
}

async fn s13b_postal_code_moved_while_offline_through_a_link_dropping_a_fifth(backend: Backend) {
    handovers_while_offline(backend, Handover::PostalCode).await;
}

/// How an account leaves Dana for Marcus while she is offline.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Handover {
    /// Her manager moves the account.
    Account,
    /// Her manager moves the account's postal code (with every account there).
    PostalCode,
}

async fn handovers_while_offline(backend: Backend, how: Handover) {
    let name = match how {
        Handover::Account => "s13",
        Handover::PostalCode => "s13b",
    };
    let server = Server::demo_on_backend(backend).await;
    let proxy = Proxy::start(&server.base(), seed(name)).await;
    let mut dana = Device::sign_in_at(&proxy.base(), DANA).await;
    let mut marcus = Device::sign_in_at(&proxy.base(), "marcus@demo.rounds.app").await;
    dana.sync().await.unwrap();
    marcus.sync().await.unwrap();
    let marcus_territory = marcus.store.read().territories().list().unwrap()[0].id;
    let handovers = scale(3, 20);
    let mut oracle = Oracle::default();
    let mut attempts = 0;
    for round in 0..handovers {
        let x = dana.store.read().accounts().all().unwrap()[0].account.id;
        // Offline, Dana visits X (log_visit uses her first account) and edits its phone.
        let visit = dana.log_visit(&format!("before handover {round}"));
        assert_eq!(visit.activity.account_id, x);
        oracle.saved(&dana, visit.clone());
        let seq = dana
            .store
            .edit_account(
                x,
                AccountEdit::Phone(Some(format!("(303) 555-{:04}", 100 + round))),
                now(),
            )
            .unwrap();
        oracle.edited(&dana, seq, x);

        proxy.calm();
        match how {
            Handover::Account => server.move_account(x, marcus_territory).await,
            Handover::PostalCode => {
                let moved = server.move_postal_code(x, marcus_territory).await;
                assert!(moved.contains(&x), "X is at its postal code");
            }
        }

        // Back online through a link that loses a fifth of all requests and answers.
        proxy.odds(&[(Fault::DropRequest, 0.1), (Fault::DropResponse, 0.1)]);
        for d in [&mut dana, &mut marcus] {
            loop {
                attempts += 1;
                assert!(
                    attempts < 500 * handovers,
                    "a 20 % lossy link should let a sync through"
                );
                if d.sync().await.is_ok() {
                    break;
                }
            }
        }
        proxy.calm();
        dana.sync().await.unwrap();
        marcus.sync().await.unwrap();

        assert!(
            dana.store.read().accounts().get(x).unwrap().is_none(),
            "X left Dana's device"
        );
        assert!(
            marcus.store.read().accounts().get(x).unwrap().is_some(),
            "X is on Marcus's device"
        );
        assert!(
            marcus
                .store
                .read()
                .activities()
                .timeline(x)
                .unwrap()
                .iter()
                .any(|e| e.activity.id == visit.activity.id),
            "with Dana's visit in its history"
        );
        let refused = server
            .count(
                "SELECT count(*) FROM rejected_edits WHERE account_id = $1",
                vec![x.to_string().into()],
            )
            .await;
        assert_eq!(refused, 1, "the edit is kept as a rejected edit, once");
    }
    println!(
        "{name}: {handovers} handovers while offline; {} requests dropped, {} answers dropped, {attempts} sync attempts",
        proxy.made(|f| *f == Fault::DropRequest),
        proxy.made(|f| *f == Fault::DropResponse)
    );
    oracle.check(&server, &[&dana, &marcus]).await;
}

/// New leads, each with a buyer and a first visit, made on two devices of one rep while pushes lose
/// their answers, arrive twice (one after the other and at once) and are cut short. Each
/// lead must end on the server once, as the device made it, and on both devices once.
async fn s23_new_leads_through_lost_duplicated_and_cut_pushes(backend: Backend) {
    let server = Server::demo_on_backend(backend).await;
    let want = scale(30, 600);
    let proxy = Proxy::start(&server.base(), seed("s23")).await;
    let mut devices = vec![
        Device::sign_in_at(&proxy.base(), DANA).await,
        Device::sign_in_at(&proxy.base(), DANA).await,
    ];
    for d in &mut devices {
        d.sync().await.unwrap();
    }
    proxy.only("/sync/push");
    proxy.odds(&[
        (Fault::DropResponse, 0.25),
        (Fault::Truncate, 0.1),
        (Fault::Duplicate, 0.15),
        (Fault::DuplicateConcurrent, 0.15),
    ]);
    let mut oracle = Oracle::default();
    let worked = devices[0].account_ids();
    // Each device's follow-up from the round before, to be done this round.
    let mut promised: [Option<(rounds_protocol::FollowUpId, rounds_protocol::AccountId)>; 2] =
        [None, None];
    let mut rounds = 0;
    while proxy.total_faults() < want {
        rounds += 1;
        assert!(rounds < 100_000, "the proxy never made enough faults");
        for (i, d) in devices.iter_mut().enumerate() {
            let lead = d.add_lead(&format!("Field Lead {rounds}-{i}"));
            oracle.created(&lead);
            oracle.contact_saved(d.add_contact(lead.account.id, &format!("Buyer {rounds}-{i}")));
            let visit = d.log_visit_on(lead.account.id, "first visit at the door");
            oracle.saved(d, visit);
            // A next step promised at the door; the one from the round before is done.
            let next = d.add_follow_up(lead.account.id, &format!("call back {rounds}-{i}"));
            oracle.follow_up_made(next);
            if let Some((prev, account)) = promised[i].replace((next, lead.account.id)) {
                let call = d.complete_follow_up(prev, account);
                oracle.saved(d, call);
                oracle.follow_up_done(prev);
            }
            // Both devices move the same accounts along the funnel: some moves are
            // outranked by the other device's, and every one must stay a fact.
            // (Only accounts from before the run: the new leads are checked as made.)
            let account = worked[rounds % worked.len()];
            let (to, why) = [
                (Stage::Opportunity, None),
                (Stage::Customer, None),
                (Stage::Lost, Some("Closed for good")),
            ][(rounds + i) % 3];
            if let Some((seq, id)) = d.move_stage(account, to, why) {
                oracle.stage_moved(d, seq, id, account);
            }
        }
        let _ = futures_util::future::join_all(devices.iter_mut().map(|d| d.sync())).await;
    }
    proxy.calm();
    for _ in 0..2 {
        for d in devices.iter_mut() {
            d.sync().await.expect("a sync with the faults off");
        }
    }
    let (follow_ups, done) = oracle.follow_ups_count();
    println!(
        "s23: {} leads with their buyers and visits, {} stage moves, {follow_ups} follow-ups ({done} done), through {} faults ({} lost answers, {} cut, {} duplicated) over {rounds} rounds of 2 devices",
        oracle.created_count(),
        oracle.moves_count(),
        proxy.total_faults(),
        proxy.made(|f| *f == Fault::DropResponse),
        proxy.made(|f| *f == Fault::Truncate),
        proxy.made(|f| matches!(f, Fault::Duplicate | Fault::DuplicateConcurrent)),
    );
    oracle.check(&server, &[&devices[0], &devices[1]]).await;
}

/// A JPEG's signature, then 200–300 kB that differ with `n` and `k` (two chunks or more).
fn picture(n: usize, k: usize) -> Vec<u8> {
    let len = 200_000 + (n * 7_919 + k * 104_729) % 100_000;
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend((0..len).map(|i| ((i * 31 + n * 7 + k * 13) % 251) as u8));
    b
}

/// Every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn s24_photos_through_lost_duplicated_and_cut_uploads(backend: Backend) {
    use sha2::Digest as _;

    let server = Server::demo_on_backend(backend).await;
    let want = scale(20, 400);
    let proxy = Proxy::start(&server.base(), seed("s24")).await;
    let mut devices = vec![
        Device::sign_in_at(&proxy.base(), DANA).await,
        Device::sign_in_at(&proxy.base(), DANA).await,
    ];
    for d in &mut devices {
        d.sync().await.unwrap();
    }
    proxy.only("/sync/blobs");
    proxy.odds(&[
        (Fault::DropRequest, 0.1),
        (Fault::DropResponse, 0.2),
        (Fault::Truncate, 0.1),
        (Fault::Duplicate, 0.15),
        (Fault::DuplicateConcurrent, 0.15),
    ]);
    let accounts = devices[0].account_ids();
    let mut taken: Vec<(rounds_protocol::PhotoId, Vec<u8>)> = Vec::new();
    let mut rounds = 0;
    while proxy.total_faults() < want {
        rounds += 1;
        assert!(rounds < 10_000, "the proxy never made enough faults");
        for (i, d) in devices.iter_mut().enumerate() {
            // Every third round both devices attach the same picture: stored once.
            let bytes = picture(rounds, if rounds % 3 == 0 { 0 } else { i + 1 });
            let id = d.attach_photo(accounts[(rounds + i) % accounts.len()], bytes.clone());
            taken.push((id, bytes));
        }
        let _ = futures_util::future::join_all(devices.iter_mut().map(|d| d.sync())).await;
    }
    proxy.calm();
    for d in devices.iter_mut() {
        d.sync().await.expect("a sync with the faults off");
    }

    // Every photo once on the server, its bytes arrived; every device's copy settled.
    let photos = server
        .count("SELECT count(*) FROM photos", Vec::new())
        .await;
    assert_eq!(photos as usize, taken.len(), "each photo recorded once");
    let waiting = server
        .count(
            "SELECT count(*) FROM photos WHERE received_at IS NULL",
            Vec::new(),
        )
        .await;
    assert_eq!(waiting, 0, "every photo's bytes arrived");
    for d in &devices {
        assert!(
            d.store.read().photos().waiting().unwrap().is_empty(),
            "nothing left to upload"
        );
    }
    // One file per distinct picture, byte for byte under its hash; no partial copy left.
    let root = server.settings.blob_dir();
    let mut distinct = std::collections::BTreeMap::new();
    for (_, bytes) in &taken {
        let hash = rounds_core::ContentHash::from_digest(sha2::Sha256::digest(bytes).into());
        distinct.insert(hash.to_string(), bytes.clone());
    }
    let whole = files_under(&root.join("sha256"));
    assert_eq!(whole.len(), distinct.len(), "one file per picture");
    for (hash, bytes) in &distinct {
        let path = root.join("sha256").join(&hash[..2]).join(hash);
        assert_eq!(
            &std::fs::read(&path).unwrap(),
            bytes,
            "{hash} byte for byte"
        );
    }
    assert!(
        files_under(&root.join("partial")).is_empty(),
        "no partial copy left"
    );
    println!(
        "s24: {} photos ({} distinct pictures) through {} faults ({} lost answers, {} cut, {} duplicated, {} never sent) over {rounds} rounds of 2 devices",
        taken.len(),
        distinct.len(),
        proxy.total_faults(),
        proxy.made(|f| *f == Fault::DropResponse),
        proxy.made(|f| *f == Fault::Truncate),
        proxy.made(|f| matches!(f, Fault::Duplicate | Fault::DuplicateConcurrent)),
        proxy.made(|f| *f == Fault::DropRequest),
    );

    // Every device of the rep's keeps every picture, the other device's too, and so does
    // a third one signed in now: fetched through lost, cut and duplicated answers, each
    // kept byte for byte under its hash or fetched again.
    let before = proxy.total_faults();
    proxy.only("/sync/photos");
    proxy.odds(&[
        (Fault::DropRequest, 0.1),
        (Fault::DropResponse, 0.2),
        (Fault::Truncate, 0.2),
        (Fault::Duplicate, 0.1),
    ]);
    devices.push(Device::sign_in_at(&proxy.base(), DANA).await);
    let all_kept = |d: &Device| {
        let synced = d.store.read().photos().synced_files().unwrap();
        synced.len() == taken.len() && synced.iter().all(|(_, h, _)| d.store.has_photo_file(h))
    };
    let mut syncs = 0;
    while !devices.iter().all(all_kept) {
        syncs += 1;
        assert!(syncs < 1_000, "the pictures never all arrived");
        let _ = futures_util::future::join_all(devices.iter_mut().map(|d| d.sync())).await;
    }
    for d in &devices {
        for (hash, bytes) in &distinct {
            assert_eq!(
                &d.store.photo_bytes(&hash.parse().unwrap()).unwrap(),
                bytes,
                "{hash} byte for byte on every device"
            );
        }
        let files = std::fs::read_dir(d.store.photos_dir()).unwrap().count();
        assert_eq!(
            files,
            distinct.len(),
            "one file per picture, no partial one"
        );
    }
    println!(
        "s24: {} pictures on each of 3 devices through {} faults on the fetches, in {syncs} rounds",
        distinct.len(),
        proxy.total_faults() - before,
    );
}

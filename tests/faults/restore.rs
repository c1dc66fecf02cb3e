//! The server restored from a backup (S8): it comes back with a new epoch and without
//! what it acknowledged after the backup. Every device puts those mutations back in its
//! queue and sends them again, so every acknowledged activity is on the server again,
//! exactly once.

use crate::oracle::Oracle;
use crate::scale;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_a_server_restored_from_a_backup_gets_back_every_acknowledged_activity() {
    let per_phase = scale(5, 50);
    let mut server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    let mut dana_laptop = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, "marcus@demo.rounds.app").await;
    for d in [&mut dana, &mut dana_laptop, &mut marcus] {
        d.sync().await.unwrap();
    }
    let mut oracle = Oracle::default();
    let log = |d: &mut Device, phase: &str, oracle: &mut Oracle| {
        for i in 0..per_phase {
            let l = d.log_visit(&format!("{phase} {i}"));
            oracle.saved(d, l);
        }
    };

    // Acknowledged before the backup: in the copy.
    for d in [&mut dana, &mut marcus] {
        log(d, "before the backup", &mut oracle);
        d.sync().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    server.backup_to(&copy).await;

    // Acknowledged after it: the restored server will not have these.
    for d in [&mut dana, &mut marcus] {
        log(d, "after the backup", &mut oracle);
        d.sync().await.unwrap();
    }
    let acknowledged = server
        .count("SELECT count(*) FROM activities", vec![])
        .await;
    // Logged while the server is down for the restore: still pending.
    log(&mut dana, "during the restore", &mut oracle);

    server.restore_from(&copy).await;
    let lost = acknowledged
        - server
            .count("SELECT count(*) FROM activities", vec![])
            .await;
    assert_eq!(
        lost,
        2 * per_phase as i64,
        "the copy lacks what came after the backup"
    );

    // Dana has pending work (her push meets the new epoch first); Marcus has none (his
    // pull meets it); the laptop only pulls.
    for d in [&mut dana, &mut marcus, &mut dana_laptop] {
        d.sync().await.expect("a sync against the restored server");
    }
    for d in [&mut dana, &mut marcus, &mut dana_laptop] {
        d.sync()
            .await
            .expect("and one more, to take in the others' resent work");
    }
    println!(
        "s8: {} activities saved, {lost} lost by the restore and sent again",
        oracle.count()
    );
    oracle.check(&server, &[&dana, &marcus, &dana_laptop]).await;
}

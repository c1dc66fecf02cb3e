//! A large initial sync killed midway (SIGKILL, the app swiped away) resumes where it
//! stopped and ends with exactly the server's territory: the cursor never runs ahead of
//! the rows it covers.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rounds_client::{Progress, ServerApi, SyncEngine, system_clock};
use rounds_store::Store;

use crate::support::*;

const BASE_ENV: &str = "ROUNDS_TEST_CHILD_SERVER";
const TOKEN_ENV: &str = "ROUNDS_TEST_CHILD_TOKEN";
const DB_ENV: &str = "ROUNDS_TEST_CHILD_DB";

/// Syncs the device database named in the environment, printing each applied page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process entry point, run by the resume test"]
async fn child_initial_sync() {
    let (base, token, db) = (
        std::env::var(BASE_ENV).unwrap(),
        std::env::var(TOKEN_ENV).unwrap(),
        std::env::var(DB_ENV).unwrap(),
    );
    let mut store = Store::open(db).unwrap();
    let mut engine = SyncEngine::new(ServerApi::new(&base, Some(token)).unwrap(), system_clock());
    engine
        .sync_once(&mut store, |p| {
            if let Progress::Pulled { page, .. } = p {
                println!("page {page}");
            }
        })
        .await
        .unwrap();
    println!("done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_killed_midway_resumes_and_completes() {
    // 600 accounts a territory: Dana's ~13,000 activities come in ~14 pages.
    let server = Server::demo_sized(600).await;
    let dana = Device::sign_in(&server, DANA).await;
    let path = dana.db_path();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "resume::child_initial_sync",
            "--nocapture",
        ])
        .env(BASE_ENV, server.base())
        .env(TOKEN_ENV, &dana.token)
        .env(DB_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Kill it once a few pages are in.
    let mut seen = 0;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        assert_ne!(line, "done", "the sync finished before it could be killed");
        if line.starts_with("page ") {
            seen += 1;
            if seen == 4 {
                break;
            }
        }
    }
    assert_eq!(seen, 4, "the child applied pages before the kill");
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();

    // What the kill left: intact, with a cursor and part of the territory.
    let mut store = Store::open(&path).unwrap();
    store.integrity_check().unwrap();
    let partial = store.read().activities().count().unwrap();
    assert!(
        store.read().cursor().unwrap().is_some(),
        "the cursor of the applied pages was kept"
    );

    // Resume from there.
    let mut engine = SyncEngine::new(
        ServerApi::new(&server.base(), Some(dana.token.clone())).unwrap(),
        system_clock(),
    );
    let report = engine.sync_once(&mut store, |_| {}).await.unwrap();
    assert!(report.pages >= 1);
    let resumed = (
        store.read().accounts().count().unwrap(),
        store.read().activities().count().unwrap(),
    );
    assert!(resumed.1 > partial, "the resume brought the rest");

    // Exactly what a device that was never interrupted gets.
    let mut fresh = Device::sign_in(&server, DANA).await;
    fresh.sync().await.unwrap();
    let expected = (
        fresh.store.read().accounts().count().unwrap(),
        fresh.store.read().activities().count().unwrap(),
    );
    assert_eq!(resumed, expected, "(accounts, activities) after resuming");
    assert_eq!(resumed.0, 600);
}

//! Initial sync of a large territory, end to end: the real server (SQLite, release build)
//! seeded with demo territories of 5,000 accounts and ~100,000 activities each, and a
//! device that signs in and syncs into its own SQLite store, as the app does on first run.
//! Beside it, in the same run, the floor: fetching the same pages without storing them.
//!
//! `cargo bench -p rounds-tests --bench initial_sync` (ROUNDS_BENCH_ACCOUNTS to change the
//! territory size).

use std::time::Instant;

use chrono::NaiveDate;
use rounds_client::{ServerApi, SyncEngine, system_clock};
use rounds_demo::{DemoOptions, seed};
use rounds_protocol::auth::LoginRequest;
use rounds_server::Settings;
use rounds_store::Store;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let accounts: usize = std::env::var("ROUNDS_BENCH_ACCOUNTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::for_tests(&dir.path().join("server.db").display().to_string());
    let db = rounds_server::open_db(&settings).await.unwrap();
    let t = Instant::now();
    let summary = seed(
        &db,
        &settings,
        &DemoOptions {
            seed: 11,
            today: NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
            accounts_per_territory: accounts,
            password: "bench".into(),
            worked_example: false,
            history_days: rounds_demo::HISTORY_DAYS,
            company: None,
        },
        &mut |_, _, _| {},
    )
    .await
    .unwrap();
    println!(
        "server seeded in {:.1} s: {} territories, {} accounts, {} contacts, {} activities",
        t.elapsed().as_secs_f64(),
        summary.territories,
        summary.accounts,
        summary.contacts,
        summary.activities
    );
    drop(db);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let s = settings.clone();
    tokio::spawn(async move {
        rounds_server::serve(s, listener, std::future::pending())
            .await
            .unwrap();
    });

    let device_dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(device_dir.path().join("device.db")).unwrap();
    let mut api = ServerApi::new(&base, None).unwrap();
    let login = api
        .login(&LoginRequest {
            email: "dana@demo.rounds.app".into(),
            password: "bench".into(),
            device_name: "bench".into(),
            platform: "bench".into(),
            device_id: Some(store.device_id()),
        })
        .await
        .unwrap();
    api.set_token(Some(login.token.clone()));

    // The floor: the same pages fetched and decoded, nothing stored.
    let t = Instant::now();
    let (mut cursor, mut pages, mut ops) = (None::<String>, 0u32, 0usize);
    loop {
        let page = api.pull(cursor.as_deref()).await.unwrap();
        pages += 1;
        ops += page.ops.len();
        cursor = Some(page.cursor.clone());
        if !page.has_more {
            break;
        }
    }
    let fetch_s = t.elapsed().as_secs_f64();

    let mut engine = SyncEngine::new(api, system_clock());
    let t = Instant::now();
    let report = engine.sync_once(&mut store, |_| {}).await.unwrap();
    let sync_s = t.elapsed().as_secs_f64();
    let r = store.read();
    println!(
        "device holds {} accounts, {} activities\n",
        r.accounts().count().unwrap(),
        r.activities().count().unwrap()
    );
    println!("| measure | Rounds | target | baseline (same run) | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| initial sync, {accounts} accounts ({} ops, {} pages) | {sync_s:.2} s ({:.0} ops/s) | < 10 s | fetch the same {pages} pages without storing: {fetch_s:.2} s | {:.2}× |",
        report.ops,
        report.pages,
        report.ops as f64 / sync_s,
        sync_s / fetch_s
    );
    assert_eq!(
        report.ops, ops,
        "the sync applied every operation the server sent"
    );
}

//! Processes killed with SIGKILL: the app in the middle of logging, pushing or pulling
//! (S4–S6), and the server in the middle of a batch (S7). The killed side is this test
//! binary itself, run again as a child process through an ignored `child_*` entry point.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use rounds_client::{ServerApi, SyncEngine, system_clock};
use rounds_protocol::records::ActivityRecord;
use rounds_store::{LoggedActivity, Store};

use crate::oracle::Oracle;
use crate::support::*;
use crate::{scale, seed};

const DB_ENV: &str = "ROUNDS_FAULTS_CHILD_DB";
const BASE_ENV: &str = "ROUNDS_FAULTS_CHILD_BASE";
const TOKEN_ENV: &str = "ROUNDS_FAULTS_CHILD_TOKEN";
const ADDR_ENV: &str = "ROUNDS_FAULTS_CHILD_ADDR";
const SCHEMA_ENV: &str = "ROUNDS_FAULTS_CHILD_SCHEMA";

on_both_backends!(s7_the_server_killed_inside_a_batch);

/// The app: logs a visit and syncs, over and over, saying what it is doing. A line
/// `saved <record> <seq> <mutation id>` is printed only once the local save returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process entry point, run by the crash tests"]
async fn child_app() {
    let mut store = Store::open(std::env::var(DB_ENV).unwrap()).unwrap();
    let api = ServerApi::new(
        &std::env::var(BASE_ENV).unwrap(),
        Some(std::env::var(TOKEN_ENV).unwrap()),
    )
    .unwrap();
    let mut engine = SyncEngine::new(api, system_clock());
    let account = store.read().accounts().all().unwrap()[0].account.id;
    let rep = store.read().territories().list().unwrap()[0].rep.unwrap();
    for i in 0.. {
        let logged = match store.log_activity(
            rounds_store::NewActivity {
                account_id: account,
                rep_id: rep,
                contact_id: None,
                kind: rounds_core::ActivityKind::Visit,
                occurred_at: now() - chrono::Duration::minutes(5),
                duration_min: Some(30),
                outcome: None,
                note: Some(format!("visit {i} of a process about to be killed")),
                fix: None,
            },
            now(),
        ) {
            Ok(logged) => logged,
            Err(e) => {
                // A full disk: said plainly, and the app carries on (and syncs).
                println!("refused {e}");
                let _ = engine.sync_once(&mut store, |_| {}).await;
                continue;
            }
        };
        println!(
            "saved {} {} {}",
            serde_json::to_string(&ActivityRecord::from(&logged.activity)).unwrap(),
            logged.seq,
            logged.mutation_id
        );
        println!("sync");
        let _ = engine.sync_once(&mut store, |_| {}).await;
        println!("synced");
    }
}

/// The app starting on an older device file: opening it runs the migrations.
#[test]
#[ignore = "child process entry point, run by the crash tests"]
fn child_open() {
    println!("opening");
    Store::open(std::env::var(DB_ENV).unwrap()).unwrap();
    println!("opened");
}

/// The server, on the database file and address in the environment, until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process entry point, run by the crash tests"]
async fn child_server() {
    let mut settings = rounds_server::Settings::for_tests(&std::env::var(DB_ENV).unwrap());
    settings.database_schema = std::env::var(SCHEMA_ENV).ok();
    let addr: std::net::SocketAddr = std::env::var(ADDR_ENV).unwrap().parse().unwrap();
    // The killed server's port may still be closing.
    let mut listener = None;
    for _ in 0..100 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => {
                listener = Some(l);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let listener = listener.expect("the port comes free");
    println!("listening");
    rounds_server::serve(settings, listener, std::future::pending())
        .await
        .unwrap();
}

/// This test binary again, running one ignored entry point with `env`.
fn spawn_child(entry: &str, env: &[(&str, String)]) -> (Child, Receiver<String>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", entry, "--nocapture"]);
    spawn(cmd, env)
}

/// As [`spawn_child`], with files limited to `blocks` of 512 bytes: past that a write
/// fails as on a full disk (SIGXFSZ ignored, so it is an error, not a kill).
fn spawn_child_on_small_disk(
    entry: &str,
    env: &[(&str, String)],
    blocks: u64,
) -> (Child, Receiver<String>) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} && exec \"$0\" --ignored --exact {entry} --nocapture"
        ))
        .arg(std::env::current_exe().unwrap());
    spawn(cmd, env)
}

fn spawn(mut cmd: Command, env: &[(&str, String)]) -> (Child, Receiver<String>) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The child's first line that `want`s (the test harness prints its own lines first).
fn wait_for(lines: &Receiver<String>, want: impl Fn(&str) -> bool) -> String {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the child says it is up");
        if want(&line) {
            return line;
        }
    }
}

/// A small deterministic generator for kill times (xorshift).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A save the child reported, as the store returned it.
fn parse_saved(line: &str) -> Option<LoggedActivity> {
    let rest = line.strip_prefix("saved ")?;
    let (rest, mutation) = rest.rsplit_once(' ')?;
    let (record, seq) = rest.rsplit_once(' ')?;
    let record: ActivityRecord = serde_json::from_str(record).ok()?;
    Some(LoggedActivity {
        activity: rounds_core::Activity::try_from(&record).ok()?,
        seq: seq.parse().ok()?,
        mutation_id: mutation.parse().ok()?,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_s5_s6_the_app_killed_while_logging_pushing_and_pulling() {
    let kills = scale(25, 500);
    let mut dice = Dice(seed("s4-s6") | 1);
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let device = dana.store.device_id();
    let env = [
        (DB_ENV, dana.db_path().display().to_string()),
        (BASE_ENV, server.base()),
        (TOKEN_ENV, dana.token.clone()),
    ];
    let mut oracle = Oracle::default();
    let (mut mid_sync, mut between) = (0, 0);
    for _ in 0..kills {
        let (mut child, lines) = spawn_child("crashes::child_app", &env);
        // Let it get going (its first save), then kill it a random moment later.
        let first = wait_for(&lines, |l| l.starts_with("saved "));
        std::thread::sleep(Duration::from_millis(dice.below(60)));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut last = first.clone();
        for line in std::iter::once(first).chain(lines.try_iter()) {
            if let Some(l) = parse_saved(&line) {
                oracle.saved_on(device, l);
            }
            last = line;
        }
        if last == "sync" {
            mid_sync += 1;
        } else {
            between += 1;
        }
        let store = Store::open(dana.db_path()).unwrap();
        store
            .integrity_check()
            .expect("the device file survives every kill");
    }
    // The app starts once more and syncs to the end.
    dana.store = Store::open(dana.db_path()).unwrap();
    dana.sync().await.unwrap();
    println!(
        "s4-s6: {kills} kills ({mid_sync} in the middle of a push or pull, {between} around a local save), {} visits reported saved",
        oracle.count()
    );
    assert!(mid_sync > 0, "some kills landed inside a sync");
    oracle.check(&server, &[&dana]).await;
}

async fn s7_the_server_killed_inside_a_batch(backend: Backend) {
    let mut server = Server::demo_on_backend(backend).await;
    let kills = scale(15, 150);
    let mut dice = Dice(seed("s7") | 1);
    let mut devices = Vec::new();
    for email in [DANA, DANA, "marcus@demo.rounds.app"] {
        let mut d = Device::sign_in(&server, email).await;
        d.sync().await.unwrap();
        devices.push(d);
    }
    // From here the server is a child process on the same address and database.
    server.stop().await;
    let mut env = vec![
        (DB_ENV, server.settings.database_url.expose().to_owned()),
        (ADDR_ENV, server.addr.to_string()),
    ];
    if let Some(schema) = &server.settings.database_schema {
        env.push((SCHEMA_ENV, schema.clone()));
    }
    let start = || {
        let (child, lines) = spawn_child("crashes::child_server", &env);
        wait_for(&lines, |l| l == "listening");
        child
    };
    let mut oracle = Oracle::default();
    let mut interrupted = 0;
    let mut child = start();
    for round in 0..kills {
        for d in devices.iter_mut() {
            for i in 0..5 {
                let l = d.log_visit(&format!("round {round} visit {i}"));
                oracle.saved(d, l);
            }
        }
        let delay = Duration::from_millis(dice.below(40));
        let syncs = futures_util::future::join_all(devices.iter_mut().map(|d| d.sync()));
        let (results, ()) = tokio::join!(syncs, async {
            tokio::time::sleep(delay).await;
            child.kill().unwrap();
            child.wait().unwrap();
        });
        interrupted += results.iter().filter(|r| r.is_err()).count();
        child = start();
    }
    for d in devices.iter_mut() {
        d.sync().await.expect("a sync with the server up");
    }
    for d in devices.iter_mut() {
        d.sync()
            .await
            .expect("and another, to pull what others pushed");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "s7: {kills} server kills, {interrupted} syncs cut off by them, {} visits saved",
        oracle.count()
    );
    assert!(interrupted > 0, "some kills landed inside a sync");
    let refs: Vec<&Device> = devices.iter().collect();
    oracle.check(&server, &refs).await;
}

/// The device file as the build before the search index left it: schema 2 added the
/// search tables, schema 3 the follow-ups, schema 4 the rep's photos, schema 5 the photos
/// synced from the server, schema 6 accounts' hours and the appointments, schema 7
/// accounts' closed dates, schema 8 their preferred hours, schema 9 their potential, schema 10 where their
/// location came from.
fn back_to_schema_1(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TABLE IF EXISTS search_names; DROP TABLE IF EXISTS search_notes;
         DROP TABLE IF EXISTS search_docs; DROP TABLE IF EXISTS follow_ups;
         DROP TABLE IF EXISTS photos; DROP TABLE IF EXISTS synced_photos;
         DROP TABLE IF EXISTS appointments;",
    )
    .unwrap();
    for column in [
        "hours",
        "visit_minutes",
        "closed_on",
        "preferred_hours",
        "potential_minor",
        "potential_estimate_minor",
        "location_source",
    ] {
        if has_account_column(path, column) {
            conn.execute_batch(&format!("ALTER TABLE accounts DROP COLUMN {column}"))
                .unwrap();
        }
    }
    conn.pragma_update(None, "user_version", 1).unwrap();
}

/// Whether the file's accounts table has a column of this name.
fn has_account_column(path: &std::path::Path, name: &str) -> bool {
    exists(
        path,
        "SELECT count(*) FROM pragma_table_info('accounts') WHERE name = ?1",
        name,
    )
}

/// Whether the file has a table of this name.
fn has_table(path: &std::path::Path, name: &str) -> bool {
    exists(
        path,
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        name,
    )
}

/// Whether a count query about `name` finds exactly one.
fn exists(path: &std::path::Path, count: &str, name: &str) -> bool {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(count, [name], |r| r.get::<_, i64>(0))
        .unwrap()
        == 1
}

// A schema version added without a case in s18's table would pass while no kill lands on
// it and fail on the day one does; this stops the build instead.
const _: () = assert!(
    rounds_store::schema::LATEST == 10,
    "teach s18 what the new schema version adds"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s18_a_device_offline_through_a_schema_upgrade_killed_mid_migration() {
    let kills = scale(12, 100);
    let mut dice = Dice(seed("s18") | 1);
    let server = Server::demo_sized(scale(200, 600)).await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let mut oracle = Oracle::default();
    for i in 0..3 {
        let l = dana.log_visit(&format!("offline visit {i}, before the upgrade"));
        oracle.saved(&dana, l);
    }
    let account = dana.store.read().accounts().all().unwrap()[0]
        .account
        .clone();
    let path = dana.db_path();
    // The file as the previous build left it: schema 1, before the search index (the
    // only thing schema 2 adds), with the synced territory and the unsent visits.
    // (The test's own handle on it is put aside while other processes open it.)
    let scratch = tempfile::tempdir().unwrap();
    dana.store = Store::open(scratch.path().join("aside.db")).unwrap();
    back_to_schema_1(&path);
    let env = [(DB_ENV, path.display().to_string())];
    let mut mid_migration = 0;
    for _ in 0..kills {
        let (mut child, lines) = spawn_child("crashes::child_open", &env);
        wait_for(&lines, |l| l == "opening");
        std::thread::sleep(Duration::from_millis(dice.below(40)));
        child.kill().unwrap();
        child.wait().unwrap();
        if !lines.try_iter().any(|l| l == "opened") {
            mid_migration += 1;
        }
        let version: u32 = rusqlite::Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        // Each step is one transaction: a kill leaves the file whole at the version it
        // says, never between two.
        let whole = match version {
            1 => !has_table(&path, "search_docs") && !has_table(&path, "follow_ups"),
            2 => has_table(&path, "search_docs") && !has_table(&path, "follow_ups"),
            3 => has_table(&path, "follow_ups") && !has_table(&path, "photos"),
            4 => has_table(&path, "photos") && !has_table(&path, "synced_photos"),
            5 => has_table(&path, "synced_photos") && !has_table(&path, "appointments"),
            6 => has_table(&path, "appointments") && !has_account_column(&path, "closed_on"),
            7 => {
                has_account_column(&path, "closed_on")
                    && !has_account_column(&path, "preferred_hours")
            }
            8 => {
                has_account_column(&path, "preferred_hours")
                    && !has_account_column(&path, "potential_minor")
            }
            9 => {
                has_account_column(&path, "potential_minor")
                    && !has_account_column(&path, "location_source")
            }
            10 => has_account_column(&path, "location_source"),
            v => panic!("schema {v} is new to this test: say what it adds above"),
        };
        assert!(whole, "a killed migration leaves schema {version} whole");
        // Back to schema 1 for the next try.
        back_to_schema_1(&path);
    }
    // The upgraded app starts for good, finds the old rows, and syncs.
    dana.store = Store::open(&path).unwrap();
    dana.store.integrity_check().unwrap();
    assert!(
        dana.store
            .read()
            .search(&account.name, 5)
            .unwrap()
            .iter()
            .any(|h| h.account.account.id == account.id),
        "rows from before the upgrade are searchable after it"
    );
    dana.sync().await.unwrap();
    println!(
        "s18: {kills} kills while opening a schema-1 file, {mid_migration} of them before the migration finished"
    );
    assert!(mid_migration > 0, "some kills landed inside the migration");
    oracle.check(&server, &[&dana]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s22_a_device_whose_disk_fills_up_loses_nothing() {
    let server = Server::demo().await;
    let mut dana = Device::sign_in(&server, DANA).await;
    dana.sync().await.unwrap();
    let device = dana.store.device_id();
    let path = dana.db_path();
    let env = [
        (DB_ENV, path.display().to_string()),
        (BASE_ENV, server.base()),
        (TOKEN_ENV, dana.token.clone()),
    ];
    // Room for a little more than the files hold now.
    let used: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0);
    let (mut child, lines) =
        spawn_child_on_small_disk("crashes::child_app", &env, (used + 400 * 1024) / 512);
    let mut oracle = Oracle::default();
    let (mut saved, mut refused) = (0, 0);
    let mut reasons = Vec::new();
    while refused < 20 {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the app keeps going until the disk is full");
        if let Some(l) = parse_saved(&line) {
            oracle.saved_on(device, l);
            saved += 1;
        } else if let Some(reason) = line.strip_prefix("refused ") {
            refused += 1;
            reasons.push(reason.to_owned());
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for line in lines.try_iter() {
        if let Some(l) = parse_saved(&line) {
            oracle.saved_on(device, l);
            saved += 1;
        }
    }
    assert!(saved > 0, "some visits fit before the disk filled");
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("storage") && r.contains("nothing was saved")),
        "a full disk is said plainly, with what it means: {:?}",
        reasons.first()
    );
    // Room again: the app starts, nothing it said was saved is lost, and it syncs.
    dana.store = Store::open(&path).unwrap();
    dana.store.integrity_check().unwrap();
    dana.sync().await.unwrap();
    println!("s22: {saved} visits saved before the disk filled, {refused} refused plainly after");
    oracle.check(&server, &[&dana]).await;
}

//! Reliability under the worst a phone does to an app: killed mid-write (SIGKILL, hundreds
//! of times) and a full disk. The writer is this test binary itself, re-run as a child
//! process through the ignored `child_*` entry points.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rounds_core::ActivityKind;
use rounds_protocol::records::{AccountRecord, TerritoryRecord};
use rounds_protocol::sync::{BucketId, MutationBody, Op, PullResponse, Row};
use rounds_protocol::{AccountId, Hlc, RepId, TerritoryId};
use rounds_store::{NewActivity, Store, StoreError};
use uuid::Uuid;

const DB_ENV: &str = "ROUNDS_STORE_CHILD_DB";
const NOTE_ENV: &str = "ROUNDS_STORE_CHILD_NOTE_BYTES";

fn account() -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(0xA1))
}

fn seed(path: &Path) {
    let mut store = Store::open(path).unwrap();
    let t = TerritoryId::from_uuid(Uuid::from_u128(0x7E));
    let b = BucketId::territory(t);
    let page = PullResponse {
        epoch: "e".into(),
        cursor: "c".into(),
        has_more: false,
        checkpoint: 1,
        server_hlc: Hlc::ZERO,
        last_applied_seq: 0,
        reset: false,
        ops: vec![
            Op::Put {
                bucket: b.clone(),
                row: Row::Territory(TerritoryRecord {
                    id: t,
                    name: "T".into(),
                    rep_id: None,
                }),
            },
            Op::Put {
                bucket: b,
                row: Row::Account(AccountRecord {
                    id: account(),
                    name: "Crash Test Foods".into(),
                    street: String::new(),
                    city: String::new(),
                    region: String::new(),
                    postal_code: String::new(),
                    country: String::new(),
                    lat: None,
                    lon: None,
                    stage: rounds_core::Stage::Customer,
                    priority: rounds_core::Priority::High,
                    kare: None,
                    currency: "USD".into(),
                    revenue_minor: 0,
                    expenses_minor: 0,
                    phone: None,
                    email: None,
                    industry: None,
                    territory_id: Some(t),
                    created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
                    lead_on: None,
                    opportunity_on: None,
                    won_on: None,
                    lost_on: None,
                    hours: None,
                    visit_minutes: None,
                    closed_on: None,
                    preferred_hours: None,
                    potential_minor: None,
                    potential_estimate_minor: None,
                    location_source: None,
                }),
            },
        ],
    };
    store.apply_pull(&page, Utc::now()).unwrap();
}

/// Logs visits until killed (or until the disk refuses), printing each id after commit.
fn run_child() {
    let path = std::env::var(DB_ENV).unwrap();
    let note_bytes: usize = std::env::var(NOTE_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut store = match Store::open(&path) {
        Ok(s) => s,
        Err(e) => {
            println!("ERR open {e}");
            return;
        }
    };
    for i in 0.. {
        let new = NewActivity {
            account_id: account(),
            rep_id: RepId::from_uuid(Uuid::from_u128(0x4E9)),
            contact_id: None,
            kind: ActivityKind::Visit,
            occurred_at: Utc::now(),
            duration_min: Some(i % 60),
            outcome: None,
            note: (note_bytes > 0).then(|| "n".repeat(note_bytes)),
            fix: None,
        };
        match store.log_activity(new, Utc::now()) {
            Ok(logged) => println!("OK {}", logged.activity.id),
            Err(e @ (StoreError::Full | StoreError::Io(_))) => {
                println!("ERR full {e}");
                return;
            }
            Err(e) => {
                println!("ERR other {e:?}");
                return;
            }
        }
        if note_bytes > 0 && i > 10_000 {
            return;
        }
    }
}

#[test]
#[ignore = "child process entry point, run by the crash tests"]
fn child_logger() {
    run_child();
}

/// Every printed id is in the database with its outbox row; no outbox row is without its
/// activity; sequence numbers have no gaps; integrity_check passes.
fn check(path: &Path, printed: &[String]) {
    let store = Store::open(path).unwrap();
    store.integrity_check().unwrap();
    let outbox = store.read().outbox().all().unwrap();
    let mut ids = std::collections::HashSet::new();
    for (i, e) in outbox.iter().enumerate() {
        assert_eq!(e.mutation.seq, i as u64 + 1, "outbox sequence has no gaps");
        match e
            .mutation
            .parse_body()
            .expect("every outbox row holds a readable activity")
        {
            MutationBody::LogActivity { activity } => ids.insert(activity.id.to_string()),
            other => panic!("unexpected mutation {other:?}"),
        };
    }
    let timeline = store.read().activities().timeline(account()).unwrap();
    assert_eq!(
        timeline.len(),
        outbox.len(),
        "each outbox row shows as one activity"
    );
    for id in printed {
        assert!(
            ids.contains(id),
            "activity {id} was reported saved but is missing"
        );
    }
}

fn child(path: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child_logger",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(DB_ENV, path)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    cmd
}

/// The ids a child printed as saved.
fn saved(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("OK ").map(str::to_owned))
        .collect()
}

#[test]
fn killed_mid_write_loses_nothing_that_was_reported_saved() {
    let kills: usize = std::env::var("ROUNDS_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    seed(&path);
    let mut printed = Vec::new();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..kills {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut c = child(&path).spawn().unwrap();
        let stdout = c.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first commit (the test harness prints its own lines first), then
        // kill at a random moment amid the writes that follow.
        let mut lines = Vec::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
            let first_commit = line.starts_with("OK ");
            lines.push(line);
            if first_commit {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rng % 15_000));
        c.kill().unwrap();
        c.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        assert!(
            !lines.iter().any(|l| l.starts_with("ERR")),
            "round {round}: {lines:?}"
        );
        printed.extend(saved(&lines));
        check(&path, &printed);
    }
    assert!(
        printed.len() >= kills,
        "the children got to write ({} saved)",
        printed.len()
    );
    println!(
        "{kills} kills, {} activities reported saved, all present",
        printed.len()
    );
}

#[test]
fn a_full_disk_is_a_clear_error_and_writing_resumes_with_room() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounds.db");
    seed(&path);
    let size = std::fs::metadata(&path).unwrap().len();
    // Files may grow ~200 KiB past the current size, then writes fail (EFBIG). SIGXFSZ
    // is ignored so the write returns an error instead of killing the process.
    let limit_blocks = (size + 200 * 1024) / 512;
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit_blocks} && exec \"$0\" --ignored --exact child_logger --nocapture --test-threads=1"
        ))
        .arg(&exe)
        .env(DB_ENV, &path)
        .env(NOTE_ENV, "8000")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let last = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("OK ") || l.starts_with("ERR"))
        .cloned()
        .unwrap_or_default();
    assert!(
        last.starts_with("ERR full"),
        "the child stopped on a clear storage error, got {last:?} after {:?}",
        started.elapsed()
    );
    assert!(
        last.contains("nothing was saved"),
        "the message says what happened: {last}"
    );
    let printed = saved(&lines);
    assert!(!printed.is_empty(), "some writes fit before the limit");

    // With room again: intact, nothing reported saved is lost, and logging works.
    check(&path, &printed);
    let mut store = Store::open(&path).unwrap();
    store
        .log_activity(
            NewActivity {
                account_id: account(),
                rep_id: RepId::from_uuid(Uuid::from_u128(0x4E9)),
                contact_id: None,
                kind: ActivityKind::Call,
                occurred_at: Utc::now(),
                duration_min: None,
                outcome: None,
                note: None,
                fix: None,
            },
            Utc::now(),
        )
        .unwrap();
}

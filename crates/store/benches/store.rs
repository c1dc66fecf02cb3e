//! Device-store figures for a generated territory of 20,000 accounts, 40,000 contacts and
//! 500,000 activities (and, last, 300 new leads added with their look-alike check), each beside a baseline measured in the same run on the same
//! machine (plain SQLite doing the least the operation needs), so the ratio tells what
//! the store adds whatever the machine's load.
//!
//! `cargo bench -p rounds-store --bench store` (ROUNDS_BENCH_SCALE=0.1 for a quick run).

use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};
use rounds_core::{ActivityKind, Kare, Period, Priority, Stage};
use rounds_protocol::records::*;
use rounds_protocol::sync::{BucketId, Op, PullResponse, Row};
use rounds_protocol::*;
use rounds_store::{NewActivity, Store};
use uuid::Uuid;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: [&str; 16] = [
    "harbor",
    "lakeview",
    "prairie",
    "summit",
    "riverside",
    "oak",
    "northgate",
    "union",
    "maple",
    "cedar",
    "granite",
    "pioneer",
    "liberty",
    "meadow",
    "station",
    "market",
];

fn pages(accounts: usize, contacts_per: usize, activities: usize) -> Vec<PullResponse> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t = TerritoryId::from_uuid(Uuid::from_u128(1));
    let b = BucketId::territory(t);
    let now = Utc.with_ymd_and_hms(2026, 3, 18, 12, 0, 0).unwrap();
    let mut ops = vec![
        Op::ResetBucket { bucket: b.clone() },
        Op::Put {
            bucket: b.clone(),
            row: Row::Territory(TerritoryRecord {
                id: t,
                name: "Chicago West".into(),
                rep_id: Some(RepId::from_uuid(Uuid::from_u128(3))),
            }),
        },
        Op::Put {
            bucket: BucketId::org(),
            row: Row::Plan(PlanRecord {
                id: PlanId::from_uuid(Uuid::from_u128(2)),
                name: "Standard".into(),
                versions: vec![PlanVersionRecord {
                    effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                    rules: vec![PlanRuleRecord {
                        priority: Priority::High,
                        period: Period::Month,
                        visits: 2,
                        calls: 2,
                        emails: 4,
                        visit_minutes: None,
                    }],
                }],
            }),
        },
    ];
    for i in 0..accounts {
        let w1 = WORDS[(rng.next() % 16) as usize];
        let w2 = WORDS[(rng.next() % 16) as usize];
        ops.push(Op::Put {
            bucket: b.clone(),
            row: Row::Account(AccountRecord {
                id: AccountId::from_uuid(Uuid::from_u128(0x1_0000_0000 + i as u128)),
                name: format!("{w1} {w2} {i}"),
                street: format!("{} {w2} Ave", rng.next() % 9000),
                city: ["Chicago", "Evanston", "Oak Park", "Naperville", "Joliet"][i % 5].into(),
                region: "IL".into(),
                postal_code: format!("60{:03}", rng.next() % 1000),
                country: "US".into(),
                lat: Some(41.5 + (rng.next() % 10_000) as f64 / 10_000.0),
                lon: Some(-88.3 + (rng.next() % 10_000) as f64 / 10_000.0),
                stage: Stage::Customer,
                priority: [Priority::High, Priority::Medium, Priority::Low][i % 3],
                kare: Some(Kare::Keep),
                currency: "USD".into(),
                revenue_minor: (rng.next() % 10_000_000) as i64,
                expenses_minor: (rng.next() % 5_000_000) as i64,
                phone: Some("(312) 555-0100".into()),
                email: Some(format!("buyer{i}@example.com")),
                industry: Some("Grocery".into()),
                territory_id: Some(t),
                created_at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
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
        });
        for j in 0..contacts_per {
            ops.push(Op::Put {
                bucket: b.clone(),
                row: Row::Contact(ContactRecord {
                    id: ContactId::from_uuid(Uuid::from_u128(
                        0x2_0000_0000 + (i * contacts_per + j) as u128,
                    )),
                    account_id: AccountId::from_uuid(Uuid::from_u128(0x1_0000_0000 + i as u128)),
                    name: format!(
                        "{} {}",
                        ["Ana", "Ben", "Chloé", "Dev", "Eun-ji", "Farah"][j % 6],
                        WORDS[(rng.next() % 16) as usize]
                    ),
                    title: Some("Buyer".into()),
                    phone: None,
                    email: None,
                    primary: j == 0,
                }),
            });
        }
    }
    // Activities arrive in id order, and ids are UUIDv7s minted when the activity was
    // logged, so time grows with the id (give or take back-dated entries).
    let span_min = 365 * 24 * 60;
    for k in 0..activities {
        let i = (rng.next() % accounts as u64) as usize;
        let age_min =
            span_min - (k as i64 * span_min / activities as i64) + (rng.next() % 2_880) as i64;
        ops.push(Op::Put {
            bucket: b.clone(),
            row: Row::Activity(ActivityRecord {
                id: ActivityId::from_uuid(Uuid::from_u128(0x3_0000_0000 + k as u128)),
                account_id: AccountId::from_uuid(Uuid::from_u128(0x1_0000_0000 + i as u128)),
                rep_id: RepId::from_uuid(Uuid::from_u128(3)),
                contact_id: None,
                kind: [
                    ActivityKind::Visit,
                    ActivityKind::Call,
                    ActivityKind::Email,
                    ActivityKind::Note,
                ][k % 4],
                occurred_at: now - Days::minutes(age_min),
                duration_min: Some(15),
                outcome: None,
                note: k
                    .is_multiple_of(5)
                    .then(|| format!("talked about the {} order", WORDS[k % 16])),
                fix: None,
            }),
        });
    }
    let total_pages = ops.len().div_ceil(1_000);
    ops.chunks(1_000)
        .enumerate()
        .map(|(n, chunk)| PullResponse {
            epoch: "e".into(),
            cursor: format!("c{n}"),
            has_more: n + 1 < total_pages,
            checkpoint: n as u64,
            server_hlc: Hlc::ZERO,
            last_applied_seq: 0,
            reset: false,
            ops: chunk.to_vec(),
        })
        .collect()
}

/// An account's id, name, phone, latitude and longitude, as SQLite stores them.
type RawPlace = (Vec<u8>, String, Option<String>, Option<f64>, Option<f64>);

fn pct(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    xs[((xs.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn row(what: &str, ours: f64, unit: &str, target: &str, baseline_name: &str, baseline: f64) {
    println!(
        "| {what} | {ours:.2} {unit} | {target} | {baseline_name}: {baseline:.2} {unit} | {:.1}× |",
        ours / baseline
    );
}

/// p50 and p99 rows of one measure beside its baseline.
fn percentiles(
    what: &str,
    ours: Vec<Duration>,
    target_p50: &str,
    target_p99: &str,
    baseline: &str,
    base: Vec<Duration>,
) {
    for (p, name, target) in [(0.5, "p50", target_p50), (0.99, "p99", target_p99)] {
        row(
            &format!("{what} {name}"),
            ms(pct(ours.clone(), p)),
            "ms",
            target,
            &format!("{baseline} {name}"),
            ms(pct(base.clone(), p)),
        );
    }
}

fn main() {
    let scale: f64 = std::env::var("ROUNDS_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let (accounts, activities) = ((20_000.0 * scale) as usize, (500_000.0 * scale) as usize);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let pages = pages(accounts, 2, activities);
    let rows: usize = pages.iter().map(|p| p.ops.len()).sum();
    println!(
        "territory: {accounts} accounts, {} contacts, {activities} activities ({rows} ops in {} pages)\n",
        accounts * 2,
        pages.len()
    );

    // Apply the snapshot as a pull delivers it.
    let now = Utc::now();
    let mut store = Store::open(&path).unwrap();
    let t = Instant::now();
    for p in &pages {
        store.apply_pull(p, now).unwrap();
    }
    let apply_s = t.elapsed().as_secs_f64();
    drop(store);

    // Baseline: the same number of rows inserted into one plain table, prepared, in
    // transactions of 1,000 (the floor of any SQLite apply with FULL sync).
    let base_path = dir.path().join("baseline.db");
    let base = rusqlite::Connection::open(&base_path).unwrap();
    base.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(id BLOB PRIMARY KEY, a TEXT, b INTEGER, data TEXT);").unwrap();
    let t = Instant::now();
    let mut base = base;
    for chunk in 0..rows.div_ceil(1_000) {
        let tx = base.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO t VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for k in 0..1_000.min(rows - chunk * 1_000) {
                let id = Uuid::from_u128((chunk * 1_000 + k) as u128);
                stmt.execute(rusqlite::params![
                    id,
                    "some text",
                    k as i64,
                    "{\"json\":\"payload of a row\"}"
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let base_apply_s = t.elapsed().as_secs_f64();

    println!("| measure | Rounds store | target | baseline (same run) | ratio |");
    println!("|---|---|---|---|---|");
    let rate = rows as f64 / apply_s;
    let base_rate = rows as f64 / base_apply_s;
    println!(
        "| apply snapshot | {rate:.0} rows/s | ≥ 50,000 rows/s | plain inserts: {base_rate:.0} rows/s | {:.2}× the time |",
        base_rate / rate
    );

    // Open.
    let opens: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let s = Store::open(&path).unwrap();
            let d = t.elapsed();
            drop(s);
            d
        })
        .collect();
    let base_opens: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let c = rusqlite::Connection::open(&base_path).unwrap();
            c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
            t.elapsed()
        })
        .collect();
    row(
        "open (median)",
        ms(pct(opens, 0.5)),
        "ms",
        "< 200 ms",
        "plain open",
        ms(pct(base_opens, 0.5)),
    );

    // The damage check the sync engine runs once per start: every synced row decoded.
    // Baseline: the same rows' columns stepped through without decoding.
    let store = Store::open(&path).unwrap();
    let t = Instant::now();
    assert!(store.read().damaged_buckets().unwrap().is_empty());
    let check = t.elapsed();
    let c = rusqlite::Connection::open(&path).unwrap();
    let t = Instant::now();
    for table in [
        "territories",
        "plans",
        "accounts",
        "contacts",
        "activities",
        "corrections",
    ] {
        let mut stmt = c.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                let _ = r.get_ref(i).unwrap();
            }
        }
    }
    row(
        "damage check at start (every synced row)",
        ms(check),
        "ms",
        "(no target; runs once per start, off the UI thread)",
        "the same rows read raw",
        ms(t.elapsed()),
    );
    drop(store);

    let mut store = Store::open(&path).unwrap();
    // The generated history ends on 18 March 2026; Today looks back two months from it.
    let since = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
    let mut today = Vec::new();
    let mut base_today = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let inputs = store.read().today_inputs(since).unwrap();
        today.push(t.elapsed());
        assert_eq!(inputs.accounts.len(), accounts);
        let c = rusqlite::Connection::open(&path).unwrap();
        let t = Instant::now();
        let n: i64 = c
            .prepare("SELECT account_id, kind, occurred_at FROM activities WHERE occurred_at >= ?1")
            .unwrap()
            .query_map([since.timestamp_millis()], |r| r.get::<_, i64>(2))
            .unwrap()
            .count() as i64;
        let m = c
            .prepare("SELECT id, name, priority FROM accounts")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(1))
            .unwrap()
            .count();
        base_today.push(t.elapsed());
        assert!(n > 0 && m > 0);
    }
    row(
        "Today inputs (median)",
        ms(pct(today.clone(), 0.5)),
        "ms",
        "< 50 ms",
        "raw scan of three of the columns",
        ms(pct(base_today, 0.5)),
    );
    // A second floor: the very columns the Today path reads, through rusqlite, into nothing.
    let c = rusqlite::Connection::open(&path).unwrap();
    let mut cols = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let mut stmt = c
            .prepare("SELECT account_id, id, rep_id, kind, occurred_at FROM activities WHERE occurred_at >= ?1")
            .unwrap();
        let mut rows = stmt.query([since.timestamp_millis()]).unwrap();
        let mut n = 0u64;
        while let Some(r) = rows.next().unwrap() {
            let a: Uuid = r.get(0).unwrap();
            let b: Uuid = r.get(1).unwrap();
            let c2: Uuid = r.get(2).unwrap();
            let k = r.get_ref(3).unwrap().as_str().unwrap().len();
            let t2: i64 = r.get(4).unwrap();
            n = n.wrapping_add(
                a.as_u128() as u64
                    ^ b.as_u128() as u64
                    ^ c2.as_u128() as u64
                    ^ k as u64
                    ^ t2 as u64,
            );
        }
        std::hint::black_box(n);
        let mut stmt = c
            .prepare("SELECT id, name, city, priority, created_at, lat, lon FROM accounts")
            .unwrap();
        let m = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                ))
            })
            .unwrap()
            .count();
        std::hint::black_box(m);
        cols.push(t.elapsed());
    }
    row(
        "Today inputs (median)",
        ms(pct(today, 0.5)),
        "ms",
        "< 50 ms",
        "the same columns read into nothing",
        ms(pct(cols, 0.5)),
    );

    // Search as the rep types: prefixes of words that exist.
    let queries: Vec<String> = (0..200)
        .map(|i| {
            let w = WORDS[i % 16];
            let len = 2 + i % (w.len() - 1);
            if i % 3 == 0 {
                format!("{} {}", WORDS[(i * 7) % 16], &w[..len])
            } else {
                w[..len].to_string()
            }
        })
        .collect();
    let mut search = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let hits = store.read().search(q, 20).unwrap();
        search.push(t.elapsed());
        std::hint::black_box(hits);
    }
    let mut lookups = Vec::new();
    for i in 0..200 {
        let id = AccountId::from_uuid(Uuid::from_u128(0x1_0000_0000 + (i * 37 % accounts) as u128));
        let t = Instant::now();
        std::hint::black_box(store.read().accounts().get(id).unwrap());
        lookups.push(t.elapsed());
    }
    percentiles(
        "search",
        search,
        "< 5 ms",
        "< 20 ms",
        "account by id",
        lookups,
    );

    // Log activity with synchronous=FULL: each call commits (fsync) before it returns.
    let mut logs = Vec::new();
    for i in 0..300 {
        let new = NewActivity {
            account_id: AccountId::from_uuid(Uuid::from_u128(
                0x1_0000_0000 + (i % accounts) as u128,
            )),
            rep_id: RepId::from_uuid(Uuid::from_u128(3)),
            contact_id: None,
            kind: ActivityKind::Visit,
            occurred_at: Utc::now(),
            duration_min: Some(20),
            outcome: None,
            note: Some("quick visit".into()),
            fix: None,
        };
        let t = Instant::now();
        store.log_activity(new, Utc::now()).unwrap();
        logs.push(t.elapsed());
    }
    let mut base_logs = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        base.execute(
            "INSERT INTO t VALUES (?1, 'x', 0, 'y')",
            [Uuid::from_u128(u128::MAX - i)],
        )
        .unwrap();
        base_logs.push(t.elapsed());
    }
    percentiles(
        "log activity",
        logs,
        "",
        "< 10 ms",
        "one-row FULL-sync commit",
        base_logs,
    );

    // "New lead here": the look-alike check over every account on the device, then the
    // create (account row, search entry and outbox row, one FULL-sync commit).
    let territory = TerritoryId::from_uuid(Uuid::from_u128(1));
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut leads = Vec::new();
    let mut asked = 0;
    for i in 0..300 {
        let name = format!(
            "{} {} {i}",
            WORDS[rng.next() as usize % WORDS.len()],
            WORDS[rng.next() as usize % WORDS.len()]
        );
        let at = rounds_core::LatLon::new(
            41.5 + (rng.next() % 10_000) as f64 / 10_000.0,
            -88.3 + (rng.next() % 10_000) as f64 / 10_000.0,
        )
        .unwrap();
        let phone = format!("(773) 555-{:04}", i);
        let now = Utc::now();
        let t = Instant::now();
        let found = store
            .read()
            .lookalikes(&name, Some(&phone), Some(at))
            .unwrap();
        let new = rounds_store::NewAccount {
            phone: Some(phone),
            location: Some(at),
            ..rounds_store::NewAccount::named(&name, territory, "USD")
        };
        store.create_account(new, now.date_naive(), now).unwrap();
        leads.push(t.elapsed());
        asked += usize::from(!found.is_empty());
    }
    println!(
        "| (new leads with a look-alike to ask about: {asked} of {}) | | | | |",
        leads.len()
    );
    // Its floor: the columns any check over every account must read, read raw.
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mut scans = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let rows: Vec<RawPlace> = raw
            .prepare_cached("SELECT id, name, phone, lat, lon FROM accounts")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        std::hint::black_box(rows);
        scans.push(t.elapsed());
    }
    percentiles(
        "add a lead, look-alikes included",
        leads,
        "",
        "< 50 ms",
        "the accounts' id, name, phone, place read raw",
        scans,
    );
}

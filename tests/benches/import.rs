//! A company's CRM export imported whole: 100,000 accounts in HubSpot's shape (its header
//! names, owners by e-mail, US ZIP codes and no coordinates), checked and applied in one
//! transaction as the dashboard's confirm does, every account placed by its ZIP offline.
//! On SQLite, and on PostgreSQL when `ROUNDS_TEST_POSTGRES_URL` is set.
//!
//! Beside it, in the same run, the floor: writing the same accounts' rows straight into
//! the table in one transaction, with no checks, no merge and no changelog.
//!
//! `cargo bench -p rounds-tests --bench import` (`ROUNDS_BENCH_ROWS` to change the size).

use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use rounds_demo::{DemoOptions, seed};
use rounds_server::Settings;
use rounds_server::db::{Db, Sql as _};
use rounds_server::import;
use rounds_server::manage::Reach;

const ZIPS: &str = include_str!("../../assets/data/us-zipcodes.csv");
const OWNERS: [&str; 3] = [
    "dana@demo.rounds.app",
    "marcus@demo.rounds.app",
    "priya@demo.rounds.app",
];

/// A HubSpot company export of `n` rows on real ZIP codes.
fn export(n: usize) -> String {
    let zips: Vec<(&str, &str, &str)> = ZIPS
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.first()?.to_owned(), *f.get(3)?, *f.get(4)?))
        })
        .collect();
    let mut out = String::from(
        "Record ID,Company name,Street Address,City,State/Region,Postal Code,Country/Region,Phone Number,Lifecycle Stage,Company owner,Annual Revenue\n",
    );
    for i in 0..n {
        let (zip, city, state) = zips[(i * 7919) % zips.len()];
        let stage = ["lead", "opportunity", "customer"][i % 3];
        out.push_str(&format!(
            "{},Company {i},{} Main St,{city},{state},{zip},United States,+1 555 {:04},{stage},{},\"${},000\"\n",
            900_000 + i,
            100 + i % 9_000,
            i % 10_000,
            OWNERS[i % OWNERS.len()],
            10 + i % 500,
        ));
    }
    out
}

async fn organisation(settings: &Settings) -> Db {
    let db = rounds_server::open_db(settings).await.unwrap();
    seed(
        &db,
        settings,
        &DemoOptions {
            seed: 5,
            today: NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
            accounts_per_territory: 5,
            password: "bench".into(),
            worked_example: false,
            history_days: rounds_demo::HISTORY_DAYS,
            company: None,
        },
        &mut |_, _, _| {},
    )
    .await
    .unwrap();
    db
}

/// Seconds to check and apply `csv` in one transaction (and the check's share), and how
/// many accounts it made and placed.
async fn import_once(db: &Db, csv: String) -> (f64, f64, usize, usize) {
    let now = Utc.with_ymd_and_hms(2026, 3, 18, 17, 0, 0).unwrap();
    let t = Instant::now();
    let (report, check_secs) = db
        .write(move |tx| {
            let c = Instant::now();
            let checked = import::check(tx, &csv, &Reach::All, now)?;
            let check_secs = c.elapsed().as_secs_f64();
            assert!(checked.report.ready(), "{:?}", &checked.report.rows[..3]);
            let mut report = checked.report;
            report.imported = import::apply(tx, &checked.steps, None, now)?;
            Ok::<_, rounds_server::Error>((report, check_secs))
        })
        .await
        .unwrap();
    let placed = report.placement().0;
    (
        t.elapsed().as_secs_f64(),
        check_secs,
        report.imported,
        placed,
    )
}

/// Seconds to write the same rows straight into `accounts`: the floor.
async fn floor(db: &Db, n: usize) -> f64 {
    let t = Instant::now();
    db.write(move |tx| {
        for i in 0..n {
            let id = uuid::Uuid::now_v7().to_string();
            let data = format!(r#"{{"id":"{id}","name":"Floor {i}","stage":"lead","priority":"medium","kare":null,"currency":"USD","revenue_minor":0,"expenses_minor":0,"phone":null,"email":null,"industry":null,"territory_id":null,"created_at":"2026-03-18T17:00:00Z","lat":null,"lon":null}}"#);
            tx.exec(
                "INSERT INTO accounts (id, territory_id, data) VALUES ($1, NULL, $2)",
                &[id.into(), data.into()],
            )?;
        }
        Ok::<_, rounds_server::db::DbError>(())
    })
    .await
    .unwrap();
    t.elapsed().as_secs_f64()
}

async fn run(label: &str, settings: Settings, csv: &str, rows: usize) {
    let db = organisation(&settings).await;
    let (secs, check_secs, imported, placed) = import_once(&db, csv.to_owned()).await;
    assert_eq!(imported, rows);
    let floor_secs = floor(&db, rows).await;
    let accounts = db
        .read(|tx| tx.query_one("SELECT COUNT(*) FROM accounts", &[])?.int(0))
        .await
        .unwrap();
    println!(
        "{label}: {rows} accounts checked and imported in {secs:.1} s (the check {check_secs:.1} s; {:.0} rows/s), {placed} placed by ZIP; \
         the floor (raw inserts) {floor_secs:.1} s: {:.1}x the floor; {accounts} accounts stored; target < 60 s",
        rows as f64 / secs,
        secs / floor_secs
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rows: usize = std::env::var("ROUNDS_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let csv = export(rows);
    println!("export: {rows} rows, {:.1} MB", csv.len() as f64 / 1e6);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Settings::for_tests(&dir.path().join("server.db").display().to_string());
    run("SQLite", sqlite, &csv, rows).await;
    if let Ok(url) = std::env::var("ROUNDS_TEST_POSTGRES_URL") {
        let mut pg = Settings::for_tests(&url);
        pg.database_schema = Some(format!(
            "rounds_load_import_{}",
            uuid::Uuid::new_v4().simple()
        ));
        run("PostgreSQL", pg, &csv, rows).await;
    } else {
        println!("PostgreSQL: not run (set ROUNDS_TEST_POSTGRES_URL)");
    }
}

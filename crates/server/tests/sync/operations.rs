//! The admin's side: demo, import, backup and restore, and servers sharing a database.

use chrono::{NaiveDate, Utc};
use rounds_demo as demo;
use rounds_server::db::Sql;
use rounds_server::import;

use crate::support::*;

async fn dump(db: &rounds_server::Db) -> Vec<(String, String)> {
    db.read(|tx| {
        let mut out = Vec::new();
        for sql in [
            "SELECT id, data FROM accounts ORDER BY id",
            "SELECT id, data FROM contacts ORDER BY id",
            "SELECT id, data FROM activities ORDER BY id",
            "SELECT id, name FROM territories ORDER BY id",
            "SELECT id, email FROM users ORDER BY id",
        ] {
            for r in tx.query(sql, &[])? {
                out.push((r.text(0)?, r.text(1)?));
            }
        }
        Ok::<_, rounds_server::Error>(out)
    })
    .await
    .expect("dump")
}

fn demo_options() -> demo::DemoOptions {
    demo::DemoOptions {
        seed: 7,
        today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        accounts_per_territory: 20,
        password: PASSWORD.into(),
        worked_example: true,
        history_days: demo::HISTORY_DAYS,
        company: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_is_deterministic_and_syncs_to_a_rep() {
    let a = TestServer::start(Backend::Sqlite).await;
    let b = TestServer::start(Backend::Sqlite).await;
    let sa = demo::seed(&a.db, &a.settings, &demo_options(), &mut |_, _, _| {})
        .await
        .expect("demo");
    let sb = demo::seed(&b.db, &b.settings, &demo_options(), &mut |_, _, _| {})
        .await
        .expect("demo");
    assert_eq!(sa, sb);
    assert!(sa.activities > 200, "six months of history: {sa:?}");
    assert_eq!(
        dump(&a.db).await,
        dump(&b.db).await,
        "same seed and day, same rows and ids"
    );

    let mut dana = Device::sign_in(&a.base, "dana@demo.rounds.app").await;
    dana.pull(None).await.expect("pull");
    assert_eq!(dana.accounts().len(), 20, "Dana gets her metro's accounts");
    assert!(
        dana.accounts().iter().all(|x| x.region == "CO"),
        "placed around Denver"
    );
    assert!(!dana.activities().is_empty(), "with their history");

    // The seeds' worked example: Dorne's funnel and accounts.
    let dorne: Vec<rounds_protocol::records::AccountRecord> = a
        .db
        .read(|tx| {
            let rows = tx.query(
                "SELECT a.data FROM accounts a JOIN territories t ON t.id = a.territory_id WHERE t.name = 'Dorne'",
                &[],
            )?;
            rows.iter().map(|r| r.json(0)).collect::<Result<Vec<_>, _>>().map_err(rounds_server::Error::from)
        })
        .await
        .expect("dorne");
    let accounts: Vec<rounds_core::Account> = dorne
        .iter()
        .map(|r| rounds_core::Account::try_from(r).expect("valid"))
        .collect();
    let q = rounds_core::Period::Quarter.bounds(demo_options().today);
    let f = rounds_core::Funnel::over(&accounts, q);
    assert_eq!((f.leads, f.opportunities, f.new_accounts), (18, 5, 3));
    assert_eq!(f.conversion_rate().to_string(), "16.7 %");
    let d1 = accounts
        .iter()
        .find(|x| x.name == "Dorne 1")
        .expect("Dorne 1");
    assert_eq!(
        d1.net_profit().expect("net").minor,
        2_200_000,
        "Dorne 1 nets 22,000"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_with_an_invalid_row_imports_nothing_unless_asked() {
    let server = TestServer::start(Backend::Sqlite).await;
    let org = seed(&server).await;
    let csv = "name,city,territory,revenue,expenses,email,stage\n\
               Acme Dental,Denver,North,39000,17000,office@acme.example,customer\n\
               ,Denver,North,1,1,,\n\
               Beta Vet,Denver,Nowhere,1,1,,\n\
               Gamma Eye,Denver,north,42000,28000,not-an-email,\n\
               Delta Care,Denver,,1,1,,lead\n";
    let before = server.count("SELECT COUNT(*) FROM accounts").await;
    let report = import::import_accounts(&server.db, csv, false, Utc::now(), &mut |_, _| {})
        .await
        .expect("import runs");
    let bad: Vec<usize> = report
        .rows
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.line)
        .collect();
    assert_eq!(
        bad,
        [3, 4, 5],
        "every invalid row is reported by line: {report:?}"
    );
    assert_eq!(report.imported, 0);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM accounts").await,
        before,
        "nothing imported"
    );
    let report = import::import_accounts(&server.db, csv, true, Utc::now(), &mut |_, _| {})
        .await
        .expect("import runs");
    assert_eq!(report.imported, 2, "the valid rows when asked");
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("pull");
    assert!(
        ana.accounts()
            .iter()
            .any(|a| a.name == "Acme Dental" && a.revenue_minor == 3_900_000),
        "imported into North"
    );
    let _ = org;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restored_backup_starts_a_new_epoch_and_devices_resync() {
    let server = TestServer::start(Backend::Sqlite).await;
    let org = seed(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.log(org.north_accounts[0], Utc::now(), "before the backup");
    ana.sync().await;
    let old_epoch = ana.last_pull.as_ref().expect("pulled").epoch.clone();
    let dir = tempfile::tempdir().expect("dir");
    let copy = dir.path().join("backup.db");
    rounds_server::backup::backup(&server.db, &copy)
        .await
        .expect("backup");
    ana.log(org.north_accounts[1], Utc::now(), "after the backup");
    ana.push().await.expect("push");
    server.stop().await;

    // Restore: serve the copy.
    let restored =
        TestServer::start_with(Settings::for_tests(&copy.display().to_string()), Some(dir)).await;
    let mut ana2 = Device {
        base: restored.base.clone(),
        ..ana
    };
    let page = ana2
        .pull_page(ana2.cursor.clone().as_deref(), None)
        .await
        .expect("pull");
    assert!(
        page.reset,
        "an old cursor from another epoch resets the device"
    );
    assert_ne!(page.epoch, old_epoch, "the restored server has a new epoch");
    ana2.apply(&page);
    ana2.pull(None).await.expect("pull");
    assert_eq!(
        ana2.activities().len(),
        1,
        "the copy has what was there at backup time"
    );
}

use rounds_server::Settings;

/// Two real `rounds-server` processes on one PostgreSQL database: devices push through
/// either, and every mutation is applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set ROUNDS_TEST_POSTGRES_URL, run with --include-ignored"]
async fn two_server_processes_share_one_database_on_postgres() {
    let url = postgres_url();
    let schema = format!("rounds_test_{}", uuid::Uuid::new_v4().simple());
    let mut settings = Settings::for_tests(&url);
    settings.database_schema = Some(schema.clone());
    let seeded = TestServer::start_with(settings, None).await;
    let org = seed(&seeded).await;
    let mut procs = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_rounds-server"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ROUNDS_DATABASE_URL", &url)
            .env("ROUNDS_DATABASE_SCHEMA", &schema)
            .env("ROUNDS_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server process starts");
        procs.push(KillOnDrop(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    for base in &bases {
        let mut up = false;
        for _ in 0..100 {
            if reqwest::get(format!("{base}/health")).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(up, "{base} came up");
    }
    let mut ana = Device::sign_in(&bases[0], "ana@example.com").await;
    for i in 0..30 {
        ana.log(org.north_accounts[i % 3], Utc::now(), &format!("v{i}"));
    }
    let req = ana.request(ana.outbox.clone());
    // The same batch through both servers at once, twice each.
    let mut tasks = Vec::new();
    for base in bases.iter().chain(bases.iter()) {
        let (http, url, token, req) = (
            ana.http.clone(),
            format!("{base}/sync/push"),
            ana.token.clone(),
            req.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&req)
                .send()
                .await
                .expect("push")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
    assert_eq!(
        seeded.count("SELECT COUNT(*) FROM activities").await,
        30,
        "exactly once across two servers"
    );
    // A device signed in on one server pulls from the other.
    ana.base = bases[1].clone();
    ana.pull(None).await.expect("pull from the other server");
    assert_eq!(ana.activities().len(), 30);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

//! The manager dashboard in a real headless Chromium (chromedriver + fantoccini) against
//! the real server with the demo organisation; and the whole loop: a rep's device logs a
//! visit, syncs, and the manager sees it in the feed. Screenshots at phone and laptop
//! width go to target/screenshots/.
//!
//! Needs `chromium` and `chromium-driver` (scripts/test installs them); without
//! chromedriver on PATH the test says it did not run.

#[path = "../sync/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../app/driver.rs"]
#[allow(dead_code)]
mod driver;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::{Client, Locator};
use rounds_server::db::Sql as _;
use support::{DANA, Device, PASSWORD, Server};

const MANAGER: &str = "manager@demo.rounds.app";

struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Option<ChromeDriver> {
        let port = driver::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        driver::wait_listening(port, "chromedriver");
        Some(ChromeDriver { child, port })
    }

    async fn browser(&self, profile: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                // No background traffic: this machine's network is closed.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        driver::session(self.port, caps).await
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn screenshot(c: &Client, name: &str) {
    for (w, h, label) in [(390, 844, "phone"), (1280, 800, "laptop")] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = c.screenshot().await.unwrap();
        std::fs::write(
            driver::screenshots_dir().join(format!("dashboard-{name}-{label}.png")),
            png,
        )
        .unwrap();
    }
}

async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    let email_field = c.find(Locator::Css("input[name=email]")).await.unwrap();
    email_field.clear().await.unwrap();
    email_field.send_keys(email).await.unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn dana(server: &Server) -> (String, String) {
    server
        .db()
        .await
        .read(|tx| {
            let r = tx.query_one(
                "SELECT id, name FROM users WHERE email = $1",
                &[DANA.to_string().into()],
            )?;
            Ok::<_, rounds_server::db::DbError>((r.text(0)?, r.text(1)?))
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_what_a_rep_synced_filtered_by_rep() {
    let Some(driver) = ChromeDriver::start() else {
        eprintln!("skipped: chromedriver is not installed (apt package chromium-driver)");
        return;
    };
    let server = Server::demo_on(Utc::now().date_naive(), 30).await;
    let base = server.base();

    // The rep's device logs a visit and syncs it.
    let mut device = Device::sign_in(&server, DANA).await;
    device.sync().await.unwrap();
    let note = format!("Walked the new showroom {}", std::process::id());
    device.log_visit(&note);
    device.sync().await.unwrap();

    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;

    // A rep cannot open the dashboard.
    sign_in(&c, &base, DANA).await;
    let page = body_text(&c).await;
    assert!(
        !page.contains("Team activity") && c.current_url().await.unwrap().path() == "/login",
        "a rep stays on the sign-in page: {page}"
    );
    screenshot(&c, "rep-refused").await;

    // The manager signs in and filters the feed by Dana.
    sign_in(&c, &base, MANAGER).await;
    let (dana_id, dana_name) = dana(&server).await;
    let started = Instant::now();
    c.goto(&format!("{base}/dashboard/activity")).await.unwrap();
    println!(
        "render /dashboard/activity (browser, whole page): {} ms",
        started.elapsed().as_millis()
    );
    c.find(Locator::Css("select[name=rep]"))
        .await
        .unwrap()
        .select_by_label(&dana_name)
        .await
        .unwrap();
    c.find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("table.feed tbody tr"))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "Dana's activity is listed");
    for row in &rows {
        assert_eq!(
            row.attr("data-rep").await.unwrap().as_deref(),
            Some(dana_id.as_str()),
            "only Dana's rows after filtering by Dana"
        );
    }
    assert!(
        body_text(&c).await.contains(&note),
        "the visit the device synced is in the feed"
    );
    screenshot(&c, "activity-by-rep").await;

    for page in ["compliance", "performance"] {
        let started = Instant::now();
        c.goto(&format!("{base}/dashboard/{page}")).await.unwrap();
        println!(
            "render /dashboard/{page} (browser, whole page): {} ms",
            started.elapsed().as_millis()
        );
        assert!(
            c.find(Locator::Css("main h1")).await.is_ok(),
            "{page} renders"
        );
        screenshot(&c, page).await;
    }
    c.close().await.unwrap();
}

/// The text of the page a form submission leads to, once `css` (absent from the page
/// the form was on) shows it has loaded: reading sooner meets the old page going stale.
async fn after_submit(c: &Client, css: &str) -> String {
    driver::wait(c, css).await;
    body_text(c).await
}

/// The quarter among the quota page's choices (two back, this one) with the most demo
/// wins, so the progress bars have something to show.
async fn quarter_with_wins(server: &Server, today: chrono::NaiveDate) -> String {
    use rounds_core::Period;
    use rounds_server::dashboard::quotas::QuotaPeriod;
    let won: Vec<Option<chrono::NaiveDate>> = server
        .db()
        .await
        .read(|tx| {
            tx.query("SELECT data FROM accounts", &[])?
                .iter()
                .map(|r| {
                    r.json::<rounds_protocol::records::AccountRecord>(0)
                        .map(|a| a.won_on)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
    let this = QuotaPeriod::containing(Period::Quarter, today);
    let one_back = QuotaPeriod::containing(Period::Quarter, Period::Quarter.previous(today).start);
    let two_back = QuotaPeriod::containing(
        Period::Quarter,
        Period::Quarter.previous(one_back.range.start).start,
    );
    [two_back, one_back, this]
        .into_iter()
        .max_by_key(|q| {
            won.iter()
                .flatten()
                .filter(|d| q.range.contains(**d))
                .count()
        })
        .unwrap()
        .key()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_ranks_accounts_checks_balance_and_sets_a_quota() {
    let Some(driver) = ChromeDriver::start() else {
        eprintln!("skipped: chromedriver is not installed (apt package chromium-driver)");
        return;
    };
    let today = Utc::now().date_naive();
    let server = Server::demo_on(today, 30).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in(&c, &base, MANAGER).await;

    // Priority: ranked by score, highest first; each row explains its factors.
    let started = Instant::now();
    c.goto(&format!("{base}/dashboard/priority")).await.unwrap();
    println!(
        "render /dashboard/priority (browser, whole page): {} ms",
        started.elapsed().as_millis()
    );
    let mut scores = Vec::new();
    for row in c
        .find_all(Locator::Css("table.priority tbody tr"))
        .await
        .unwrap()
    {
        scores.push(
            row.attr("data-score")
                .await
                .unwrap()
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    assert_eq!(scores.len(), 50, "a full first page of 90 accounts");
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] > scores[49],
        "highest score first: {scores:?}"
    );
    c.find(Locator::Css("table.priority tbody tr details summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let why = driver::text(&c, "table.priority tbody tr details ul.why").await;
    for factor in ["Stage", "Revenue", "Net profit", "Recency", "Engagement"] {
        assert!(
            why.contains(factor),
            "the first row explains {factor}: {why}"
        );
    }
    screenshot(&c, "priority").await;

    // Balance: every territory flagged in words.
    let started = Instant::now();
    c.goto(&format!("{base}/dashboard/balance")).await.unwrap();
    println!(
        "render /dashboard/balance (browser, whole page): {} ms",
        started.elapsed().as_millis()
    );
    let rows = c
        .find_all(Locator::Css("table.balance[data-group=Territory] tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "the demo's three metros");
    for row in &rows {
        let text = row.text().await.unwrap();
        assert!(
            ["Under-served", "Balanced", "Over-served"]
                .iter()
                .any(|w| text.contains(w)),
            "a flag in words: {text}"
        );
    }
    screenshot(&c, "balance").await;

    // Quotas: preview the split by potential, a wrong share is refused, then saved.
    let key = quarter_with_wins(&server, today).await;
    let started = Instant::now();
    c.goto(&format!("{base}/dashboard/quotas?period={key}"))
        .await
        .unwrap();
    println!(
        "render /dashboard/quotas (browser, whole page): {} ms",
        started.elapsed().as_millis()
    );
    let target = driver::wait(&c, "input[name=target]").await;
    target.clear().await.unwrap();
    target.send_keys("2,500,000").await.unwrap();
    driver::click(&c, "button[value=preview]").await;
    assert!(after_submit(&c, "p.notice").await.contains("Preview"));
    let shares = c
        .find_all(Locator::Css("table.shares input"))
        .await
        .unwrap();
    assert_eq!(shares.len(), 3);
    let mut previewed = Vec::new();
    for s in &shares {
        previewed.push(s.prop("value").await.unwrap().unwrap_or_default());
    }
    assert!(
        previewed.iter().all(|v| !v.is_empty()),
        "every share filled by potential: {previewed:?}"
    );
    shares[0].clear().await.unwrap();
    shares[0].send_keys("1").await.unwrap();
    driver::click(&c, "button[value=save]").await;
    let page = after_submit(&c, "div.alert").await;
    assert!(
        page.contains("Nothing was saved") && page.contains("short of the target"),
        "shares that do not add up are refused: {page}"
    );
    screenshot(&c, "quotas-refused").await;
    // The refused form keeps what was typed; blank the first share to give it the rest.
    let first = driver::wait(&c, "table.shares input").await;
    first.clear().await.unwrap();
    driver::click(&c, "button[value=save]").await;
    let page = after_submit(&c, "p.notice").await;
    assert!(page.contains("Saved: the target"), "saved: {page}");
    assert!(
        page.contains("won of USD 2,500,000.00"),
        "team progress: {page}"
    );
    let bars = c
        .find_all(Locator::Css("table.quota td.progress svg.meter"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 6, "a progress bar per territory and per rep");
    assert!(
        c.find(Locator::Css("svg.chart")).await.is_ok(),
        "and a chart"
    );
    let saved: Vec<i64> = server
        .db()
        .await
        .read(|tx| {
            tx.query("SELECT share_minor FROM quota_shares", &[])?
                .iter()
                .map(|r| r.int(0))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
    assert_eq!(saved.iter().sum::<i64>(), 250_000_000, "the shares add up");
    screenshot(&c, "quotas").await;
    c.close().await.unwrap();
}

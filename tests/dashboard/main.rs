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

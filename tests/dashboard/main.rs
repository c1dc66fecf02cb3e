//! The manager dashboard in a real headless Chromium (chromedriver + fantoccini) against
//! the real server with the demo organisation; and the whole loop: a rep's device logs a
//! visit, syncs, and the manager sees it in the feed. Screenshots at phone and laptop
//! width go to target/screenshots/.
//!
//! Needs `chromium` and `chromium-driver` (scripts/test installs them, and runs these tests,
//! ignored otherwise, with `--include-ignored`).

#[path = "../sync/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../app/driver.rs"]
#[allow(dead_code)]
mod driver;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fantoccini::{Client, Locator};
use rounds_server::db::Sql as _;
use support::{DANA, Device, PASSWORD, Server};

/// The instant the dashboard is looked at: a Wednesday in mid-March, 11:00 in Denver. The
/// demo is seeded for that day and the server's clock starts there, so the pages show the
/// same periods whatever day the test runs.
fn test_now() -> DateTime<Utc> {
    "2026-03-18T17:00:00Z".parse().unwrap()
}

const MANAGER: &str = "manager@demo.rounds.app";

struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    /// The tests that need it are ignored unless asked for; asked for on a machine
    /// without it, they fail rather than pass untested.
    fn start() -> ChromeDriver {
        let port = driver::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed (apt package chromium-driver)");
        driver::wait_listening(port, "chromedriver");
        ChromeDriver { child, port }
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

/// Scrolls the element `css` finds to the middle of the window (for a click or a
/// screenshot of it).
async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
        vec![serde_json::Value::from(css)],
    )
    .await
    .unwrap();
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

/// An element's text, waited for and retried while a click's navigation replaces the
/// page under it.
async fn fresh_text(c: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(text) = e.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no {css} within 30 s (the page is in {})",
        driver::failure_evidence(c).await
    )
}

/// The page's text; retried while a click's navigation replaces the page under it.
/// Signs the manager in and waits for the dashboard, so the next `goto` cannot race the
/// sign-in's redirect.
async fn sign_in_manager(c: &Client, base: &str) {
    sign_in_to_dashboard(c, base, MANAGER).await;
}

/// Signs `email` in and waits for the dashboard.
async fn sign_in_to_dashboard(c: &Client, base: &str, email: &str) {
    sign_in(c, base, email).await;
    driver::eventually(30, "the dashboard after signing in", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.path().starts_with("/dashboard"))
    })
    .await;
}

/// A manager signed in to the dashboard of a fresh demo server in a fresh browser profile,
/// the window laptop-sized. Fields drop in order: the browser before its driver.
struct Signed {
    c: Client,
    base: String,
    server: Server,
    _profile: tempfile::TempDir,
    _driver: ChromeDriver,
}

async fn signed_in_manager(accounts_per_territory: usize) -> Signed {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), accounts_per_territory).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.set_window_size(1280, 800).await.unwrap();
    sign_in_manager(&c, &base).await;
    Signed {
        c,
        base,
        server,
        _profile: profile,
        _driver: driver,
    }
}

async fn body_text(c: &Client) -> String {
    for _ in 0..50 {
        if let Ok(body) = c.find(Locator::Css("body")).await
            && let Ok(text) = body.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page's text could not be read: {}",
        driver::failure_evidence(c).await
    )
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
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_sees_what_a_rep_synced_filtered_by_rep() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();

    // The rep's device logs a visit and syncs it.
    let mut device = Device::sign_in(&server, DANA).await;
    device.sync().await.unwrap();
    let note = format!("Walked the new showroom {}", std::process::id());
    device.log_visit(&note);
    // And found a shop that was not in the system.
    let lead = device.add_lead("Gateway Garden Supply").account;
    // And heard that a shop she works went with another supplier.
    let lost = device
        .store
        .read()
        .accounts()
        .all()
        .unwrap()
        .into_iter()
        .find(|a| a.account.stage == rounds_core::Stage::Customer)
        .expect("Dana has customers")
        .account;
    let (lost_name, lost) = (lost.name, lost.id);
    let why = "Went with a cheaper supplier";
    device
        .move_stage(lost, rounds_core::Stage::Lost, Some(why))
        .expect("a customer moves to lost");
    // And took a photo of the new shop's front.
    device.attach_photo(lead.id, support::gradient_png(640, 480));
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
    sign_in_manager(&c, &base).await;
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
    // Rows of the unfiltered page would go stale under the reading.
    driver::eventually(30, "the filtered feed", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.query().is_some_and(|q| q.contains("rep=")))
    })
    .await;
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
    let added = c
        .find(Locator::Css("table.new-accounts"))
        .await
        .expect("the new accounts from the field are listed")
        .text()
        .await
        .unwrap();
    assert!(
        added.contains(&lead.name) && added.contains(&dana_name),
        "Dana's new lead is shown with her name: {added}"
    );
    let moves = c
        .find(Locator::Css("table.stage-moves"))
        .await
        .expect("the stage changes from the field are listed")
        .text()
        .await
        .unwrap();
    assert!(
        moves.contains(&lost_name) && moves.contains("Lost") && moves.contains(why),
        "Dana's move to lost is shown with its reason: {moves}"
    );
    // The photo is in the feed, drawn from the bytes the device uploaded.
    scroll_to(&c, "section.photo-feed").await;
    driver::eventually(10, "the photo is drawn at its size", || async {
        c.execute(
            "const i = document.querySelector('section.photo-feed img'); return i && i.complete ? i.naturalWidth : 0;",
            vec![],
        )
        .await
        .is_ok_and(|w| w == serde_json::json!(640))
    })
    .await;
    screenshot(&c, "activity-by-rep").await;

    // Older, then back: the links carry the filter and a row's key.
    let first_page = driver::all(&c, "tr[data-activity]").await.len();
    driver::click(&c, "nav.pager a[rel=next]").await;
    let on = |key: &'static str| {
        let c = &c;
        async move {
            c.current_url()
                .await
                .is_ok_and(|u| u.query().is_some_and(|q| q.contains(key)))
        }
    };
    driver::eventually(10, "the older page", || on("older=")).await;
    wait_title(&c, "Activity").await;
    let older = driver::all(&c, "tr[data-activity]").await.len();
    assert!(older > 0, "an older page");
    scroll_to(&c, "nav.pager").await;
    screenshot(&c, "activity-older").await;
    driver::click(&c, "nav.pager a[rel=prev]").await;
    driver::eventually(10, "the newer page", || on("newer=")).await;
    wait_title(&c, "Activity").await;
    assert_eq!(
        driver::all(&c, "tr[data-activity]").await.len(),
        first_page,
        "back on the newest page"
    );
    assert!(
        c.find(Locator::Css("nav.pager a[rel=prev]")).await.is_err(),
        "nothing newer than the newest"
    );
    c.goto(&format!("{base}/dashboard/accounts/{}", lead.id))
        .await
        .unwrap();
    scroll_to(&c, "ul.photos").await;
    assert!(body_text(&c).await.contains("Photos"));
    screenshot(&c, "account-photos").await;

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
        if page == "performance" {
            let reasons = c
                .find(Locator::Css("table.lost-reasons"))
                .await
                .expect("the reasons accounts were lost are listed")
                .text()
                .await
                .unwrap();
            assert!(reasons.contains(why), "{reasons}");
            c.execute(
                "document.querySelector('table.stage-flow').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
            screenshot(&c, "performance-stage-changes").await;
        }
        screenshot(&c, page).await;
    }
    c.close().await.unwrap();
}

/// The session cookie of the browser, for fetching what a link downloads.
async fn session_cookie(c: &Client) -> String {
    let cookie = c.get_named_cookie("rounds_session").await.unwrap();
    format!("rounds_session={}", cookie.value())
}

async fn territory_of(server: &Server, rep_email: &'static str) -> (String, String) {
    server
        .db()
        .await
        .read(move |tx| {
            let r = tx.query_one(
                "SELECT t.id, t.name FROM territories t JOIN users u ON u.id = t.rep_id WHERE u.email = $1",
                &[rep_email.into()],
            )?;
            Ok::<_, rounds_server::db::DbError>((r.text(0)?, r.text(1)?))
        })
        .await
        .unwrap()
}

async fn account_data(server: &Server) -> Vec<(String, Option<String>, String)> {
    server
        .db()
        .await
        .read(|tx| {
            let mut out = Vec::new();
            for r in tx.query(
                "SELECT id, territory_id, data FROM accounts ORDER BY id",
                &[],
            )? {
                out.push((r.text(0)?, r.opt_text(1)?, r.text(2)?));
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// The stored account of this name.
async fn account_record(server: &Server, name: &str) -> rounds_protocol::records::AccountRecord {
    let data = account_data(server).await;
    let row = data
        .iter()
        .map(|a| {
            serde_json::from_str::<rounds_protocol::records::AccountRecord>(&a.2)
                .expect("stored JSON")
        })
        .find(|a| a.name == name);
    row.unwrap_or_else(|| panic!("{name} is stored"))
}

const MARCUS: &str = "marcus@demo.rounds.app";

async fn plan_data(server: &Server) -> Vec<String> {
    server
        .db()
        .await
        .read(|tx| {
            let mut out = Vec::new();
            for r in tx.query("SELECT data FROM plans ORDER BY id", &[])? {
                out.push(r.text(0)?);
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_moves_an_account_and_the_reps_devices_follow() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();
    let mut dana = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, MARCUS).await;
    dana.sync().await.unwrap();
    marcus.sync().await.unwrap();
    // Dana's visit on X, synced: X's history the new rep must receive.
    let visit = dana.log_visit("Showroom visit before the handover");
    dana.sync().await.unwrap();
    let x = visit.activity.account_id;
    let x_name = dana
        .store
        .read()
        .accounts()
        .get(x)
        .unwrap()
        .unwrap()
        .account
        .name;
    let (marcus_territory, marcus_territory_name) = territory_of(&server, MARCUS).await;

    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    // The edit form refuses a bad e-mail next to the field and saves nothing.
    c.goto(&format!("{base}/dashboard/accounts/{x}"))
        .await
        .unwrap();
    let email = c.find(Locator::Css("input[name=email]")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("not an e-mail").await.unwrap();
    let city = c.find(Locator::Css("input[name=city]")).await.unwrap();
    city.clear().await.unwrap();
    city.send_keys("Changed City").await.unwrap();
    c.find(Locator::Css("form.edit button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = fresh_text(&c, "[data-field=email] .field-error").await;
    assert!(!error.is_empty(), "the e-mail's error is shown next to it");
    assert!(
        driver::all(&c, "[data-field=city] .field-error")
            .await
            .is_empty(),
        "a valid field has no error"
    );
    screenshot(&c, "account-edit-errors").await;
    let stored = dana
        .store
        .read()
        .accounts()
        .get(x)
        .unwrap()
        .unwrap()
        .account;
    let on_server = account_data(&server).await;
    assert!(
        on_server
            .iter()
            .any(|(id, _, data)| *id == x.to_string() && !data.contains("Changed City")),
        "nothing saved on error"
    );

    // An appointment booked for Dana on X, then cancelled from the same page: kept in
    // the list, marked, and her device learns both.
    c.goto(&format!("{base}/dashboard/accounts/{x}"))
        .await
        .unwrap();
    c.execute(
        "const f = document.querySelector(\"form[action$='/appointments']\");
         f.on.value = '2026-03-20'; f.at.value = '10:30'; f.minutes.value = '40';
         f.note.value = 'Spring range'; f.submit();",
        vec![],
    )
    .await
    .unwrap();
    let booked = after_submit(&c, "button[data-action=cancel]").await;
    assert!(booked.contains("Booked."), "{booked}");
    assert!(
        fresh_text(&c, "#appointments + table")
            .await
            .contains("10:30–11:10"),
        "listed with its time"
    );
    dana.sync().await.unwrap();
    let on_device = |dana: &Device| {
        dana.store
            .read()
            .appointments()
            .between(
                chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
            )
            .unwrap()
    };
    assert_eq!(on_device(&dana).len(), 1, "on Dana's device");
    driver::click(&c, "button[data-action=cancel]").await;
    driver::eventually(30, "the cancel is confirmed", || async {
        body_text(&c).await.contains("Cancelled.")
    })
    .await;
    assert!(
        driver::all(&c, "button[data-action=cancel]")
            .await
            .is_empty()
    );
    assert!(
        fresh_text(&c, "#appointments + table")
            .await
            .contains("cancelled")
    );
    c.execute(
        "document.querySelector('#appointments').scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "account-appointment-cancelled").await;
    dana.sync().await.unwrap();
    assert!(
        on_device(&dana).is_empty(),
        "off Dana's plans after her next sync"
    );

    // The list, filtered to X by name: tick it and move it to Marcus's territory.
    c.goto(&format!("{base}/dashboard/accounts")).await.unwrap();
    screenshot(&c, "accounts").await;
    let search = c.find(Locator::Css("input[name=q]")).await.unwrap();
    search.send_keys(&x_name).await.unwrap();
    c.find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver::eventually(30, "the list filtered by name", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.query().is_some_and(|q| q.contains("q=")))
    })
    .await;
    driver::click(&c, &format!("input[name=ids][value='{x}']")).await;
    c.find(Locator::Css("select[name=to]"))
        .await
        .unwrap()
        .select_by_value(&marcus_territory)
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action='/dashboard/accounts/move'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    driver::eventually(30, "the list after the move", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.query().is_some_and(|q| q.contains("moved=")))
    })
    .await;
    let note = fresh_text(&c, ".ok-note").await;
    assert!(note.contains("Moved 1 account"), "the page says so: {note}");
    let row = fresh_text(&c, &format!("tr[data-account='{x}']")).await;
    assert!(
        row.contains(&marcus_territory_name),
        "X is listed in Marcus's territory now: {row}"
    );
    screenshot(&c, "accounts-moved").await;

    // The plan is the whole organisation's: a manager reads it, an administrator changes
    // it, and a number past one a workday is refused next to it.
    let plan_before = plan_data(&server).await;
    c.goto(&format!("{base}/dashboard/plans")).await.unwrap();
    let note = fresh_text(&c, "#plan-owner").await;
    assert!(note.contains("administrator"), "{note}");
    assert!(
        c.find(Locator::Css("form.edit button[type=submit]"))
            .await
            .is_err(),
        "a manager has no save button"
    );
    screenshot(&c, "plans").await;
    driver::click(&c, "form.logout button[type=submit]").await;
    sign_in_to_dashboard(&c, &base, "admin@demo.rounds.app").await;
    c.goto(&format!("{base}/dashboard/plans")).await.unwrap();
    let visits = c
        .find(Locator::Css("input[name=high_visits]"))
        .await
        .unwrap();
    let high_visits = visits.prop("value").await.unwrap().unwrap_or_default();
    visits.clear().await.unwrap();
    visits.send_keys("99").await.unwrap();
    let minutes = c
        .find(Locator::Css("input[name=high_minutes]"))
        .await
        .unwrap();
    minutes.send_keys("0").await.unwrap();
    driver::click(&c, "form.edit button[type=submit]").await;
    let error = fresh_text(&c, "tr[data-bucket=high] .field-error").await;
    assert!(error.contains("At most 20"), "{error}");
    let error = fresh_text(
        &c,
        "tr[data-bucket=high] td[data-label='Visit length (min)'] .field-error",
    )
    .await;
    assert!(error.contains("Minutes, 1 to 600"), "{error}");
    screenshot(&c, "plans-errors").await;
    assert_eq!(plan_data(&server).await, plan_before, "nothing saved");

    // High-priority visits take 45 minutes from today, unless an account has its own.
    for (cell, value) in [
        ("high_visits", high_visits.as_str()),
        ("high_minutes", "45"),
    ] {
        let input = c
            .find(Locator::Css(&format!("input[name={cell}]")))
            .await
            .unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    driver::click(&c, "form.edit button[type=submit]").await;
    let saved = after_submit(&c, ".ok-note").await;
    assert!(saved.contains("Saved."), "{saved}");
    assert!(saved.contains("visits of 45 min"), "the history says so");
    assert!(
        plan_data(&server)
            .await
            .iter()
            .any(|p| p.contains("\"visit_minutes\":45")),
        "saved in the plan"
    );
    screenshot(&c, "plans-visit-length").await;
    c.close().await.unwrap();

    dana.sync().await.unwrap();
    assert!(
        dana.store.read().accounts().get(x).unwrap().is_none(),
        "X left Dana's device"
    );
    marcus.sync().await.unwrap();
    let arrived = marcus.store.read().accounts().get(x).unwrap();
    assert_eq!(
        arrived.map(|a| a.account.name),
        Some(stored.name),
        "X arrived on Marcus's device"
    );
    assert!(
        marcus
            .store
            .read()
            .activities()
            .timeline(x)
            .unwrap()
            .iter()
            .any(|e| e.activity.id == visit.activity.id),
        "with Dana's visit in its history"
    );
}

async fn upload_csv(c: &Client, base: &str, csv: impl AsRef<[u8]>) {
    upload_as(c, base, csv, "accounts").await;
}

/// Uploads a file holding `kind` (`accounts` or `contacts`) and waits for its preview.
async fn upload_as(c: &Client, base: &str, csv: impl AsRef<[u8]>, kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{kind}.csv"));
    std::fs::write(&file, csv.as_ref()).unwrap();
    c.goto(&format!("{base}/dashboard/import")).await.unwrap();
    c.find(Locator::Css(&format!("input[name=kind][value={kind}]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action='/dashboard/import'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_title(c, "Import preview").await;
}

/// Confirms the import the preview shows and waits for its result.
async fn confirm_import(c: &Client) {
    c.find(Locator::Css(
        "form[action='/dashboard/import/confirm'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_title(c, "Imported").await;
}

/// Waits for the page a click leads to, so nothing is read from the page before it.
async fn wait_title(c: &Client, starts: &str) {
    driver::eventually(30, &format!("a page titled {starts}"), || async {
        c.title().await.is_ok_and(|t| t.starts_with(starts))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn an_import_with_one_bad_row_imports_nothing_and_says_why() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let (_, territory) = territory_of(&server, DANA).await;
    let before = account_data(&server).await;
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    let csv = format!(
        "name,city,territory,email,revenue\n\
         Fresh Dental,Denver,{territory},office@fresh.example,39000\n\
         Broken Vet,Denver,{territory},not-an-email,1000\n\
         Clean Eye,Denver,{territory},,2000\n"
    );
    upload_csv(&c, &base, &csv).await;
    let alert = fresh_text(&c, ".alert").await;
    assert!(
        alert.contains("Nothing was imported") && alert.contains("1 row"),
        "the page says nothing was imported, and why: {alert}"
    );
    let bad = fresh_text(&c, "tr[data-line='3']").await;
    assert!(
        bad.contains("Invalid") && bad.contains("email"),
        "line 3 is explained: {bad}"
    );
    assert_eq!(
        driver::all(&c, "tr[data-valid='false']").await.len(),
        1,
        "only the bad row is marked"
    );
    assert!(
        driver::all(&c, "form[action='/dashboard/import/confirm']")
            .await
            .is_empty(),
        "no way to import an invalid file"
    );
    screenshot(&c, "import-rejected").await;
    c.close().await.unwrap();
    assert_eq!(account_data(&server).await, before, "nothing imported");
}

/// A Salesforce report saved by Excel on a European Windows machine (Windows-1252, `;`,
/// decimal commas) imports as it is: the preview says how each column was read, and the
/// accounts land in their owners' territories with every letter intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_crm_export_from_excel_imports_as_it_is() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let (territory, _) = territory_of(&server, DANA).await;
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    let mut file = b"Account Name;Billing Street;Billing City;Billing Zip/Postal Code;Billing Country;Website;Annual Revenue;Type;Account Owner\n".to_vec();
    file.extend_from_slice(b"Caf\xe9 M\xfcller;Hauptstra\xdfe 1;M\xfcnchen;80331;DE;https://cafe.example;1.234.567,89;Customer - Direct;");
    file.extend_from_slice(DANA.as_bytes());
    file.extend_from_slice(
        b"\nB\xe4ckerei Sch\xf6n;;N\xfcrnberg;90402;DE;;\x8099,50;Prospect;Dana Reyes\n",
    );
    upload_csv(&c, &base, &file).await;
    let mapping = fresh_text(&c, "#import-mapping").await;
    for read in [
        "Account Name → name",
        "Billing Zip/Postal Code → postal_code",
        "Annual Revenue → revenue",
        "Type → stage",
        "Account Owner → territory (its owner's)",
    ] {
        assert!(mapping.contains(read), "{read} in {mapping}");
    }
    assert!(fresh_text(&c, "#import-unread").await.contains("Website"));
    let rows = fresh_text(&c, "table.import-rows").await;
    assert!(
        rows.contains("Café Müller") && rows.contains("Bäckerei Schön"),
        "every letter: {rows}"
    );
    screenshot(&c, "import-crm").await;
    confirm_import(&c).await;
    assert!(
        fresh_text(&c, ".ok-note")
            .await
            .contains("2 accounts created")
    );
    let stored = account_data(&server).await;
    let cafe = stored
        .iter()
        .find(|a| a.2.contains("Café Müller"))
        .expect("imported with its letters");
    assert_eq!(
        cafe.1.as_deref(),
        Some(territory.as_str()),
        "Dana's territory"
    );
    c.close().await.unwrap();
}

/// A HubSpot company export (UTF-8 with a byte-order mark, its own header names, no
/// coordinates) lands on the map by ZIP code with no network; the one it cannot place is
/// listed under "Not on the map" with why, and placed there in one step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_crm_export_without_coordinates_lands_on_the_map_by_zip() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let (territory, _) = territory_of(&server, DANA).await;
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    let file = format!(
        "\u{feff}Record ID,Company name,Street Address,City,State/Region,Postal Code,Country/Region,Phone Number,Lifecycle Stage,Company owner\n\
         7001,Lakeside Dental,1600 Glenarm Pl,Denver,CO,80202,United States,303-555-0101,customer,{DANA}\n\
         7002,Old Town Vet,12 Harvard Ave,Boston,MA,2134,United States,,lead,{DANA}\n\
         7003,Mystery Clinic,,,,,,,lead,{DANA}\n\
         7004,Tabor Dental Lab,1600 Glenarm Pl,Denver,CO,80202,United States,,lead,{DANA}\n\
         7005,Tabor Optics,1550 Glenarm Pl,Denver,CO,80202,United States,,lead,{DANA}\n"
    );
    upload_csv(&c, &base, &file).await;
    let placement = fresh_text(&c, "#import-placement").await;
    assert!(
        placement.contains("4 placed on the map by their postal code")
            && placement.contains("1 will not be on the map"),
        "{placement}"
    );
    let mystery = fresh_text(&c, "tr[data-line='4']").await;
    assert!(
        mystery.contains("not on the map: no postal code"),
        "{mystery}"
    );
    screenshot(&c, "import-geocoded").await;
    confirm_import(&c).await;
    let stored = account_data(&server).await;
    for name in ["Lakeside Dental", "Old Town Vet", "Mystery Clinic"] {
        let a = stored.iter().find(|a| a.2.contains(name)).expect(name);
        assert_eq!(a.1.as_deref(), Some(territory.as_str()), "{name} is Dana's");
    }

    c.goto(&format!("{base}/dashboard/unmapped")).await.unwrap();
    let row = fresh_text(&c, "#unmapped tbody").await;
    assert!(
        row.contains("Mystery Clinic") && row.contains("No postal code"),
        "{row}"
    );
    let form = c
        .find(Locator::XPath(
            "//tr[td/a[text()='Mystery Clinic']]//form[contains(@class,'place')]",
        ))
        .await
        .expect("Mystery Clinic's fix form");
    let zip = form
        .find(Locator::Css("input[name=postal_code]"))
        .await
        .unwrap();
    zip.send_keys("80203").await.unwrap();
    screenshot(&c, "unmapped").await;
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let note = fresh_text(&c, ".ok-note").await;
    assert!(
        note.contains("Mystery Clinic") && note.contains("middle of its postal code"),
        "{note}"
    );
    let placed = account_record(&server, "Mystery Clinic").await;
    assert_eq!(placed.postal_code, "80203");
    assert_eq!(
        placed.location_source,
        Some(rounds_core::LocationSource::PostalCode)
    );
    assert!(
        placed.lat.is_some_and(|l| (l - 39.73).abs() < 0.1),
        "{placed:?}"
    );

    // The two placed at the middle of 80202 share a spot: zoomed in as far as clusters go,
    // they stack, and a click lists both.
    c.goto(&format!("{base}/dashboard/map?q=Tabor"))
        .await
        .unwrap();
    let (_, pins, _) = map_ready(&c).await;
    assert_eq!(pins, "2");
    assert_eq!(fresh_text(&c, ".cluster-ring").await, "2");
    driver::click(&c, "#map").await;
    driver::eventually(10, "the list of the accounts at that spot", || async {
        driver::text(&c, ".map-card")
            .await
            .contains("2 accounts at this place")
    })
    .await;
    let card = driver::text(&c, ".map-card").await;
    for name in ["Tabor Dental Lab", "Tabor Optics"] {
        assert!(card.contains(name), "{name} in {card}");
    }
    assert_eq!(driver::all(&c, ".map-card li a").await.len(), 2, "{card}");
    tokio::time::sleep(Duration::from_millis(400)).await; // the card's fade-in
    screenshot(&c, "map-stack").await;
    c.close().await.unwrap();
}

/// A HubSpot contacts export lands on the accounts already there, by company name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_crm_contacts_export_attaches_people_to_their_accounts() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let account = located_accounts(&server).await[0].clone();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    let name = account.1.clone();
    let file = format!(
        "Record ID,First Name,Last Name,Email,Phone Number,Job Title,Associated Company\n\
         5101,Amara,Okafor,amara@example.com,303-555-0142,Practice Manager,{name}\n"
    );
    upload_as(&c, &base, &file, "contacts").await;
    assert!(fresh_text(&c, "#import-kind").await.contains("contacts"));
    let row = fresh_text(&c, "tr[data-line='2']").await;
    assert!(
        row.contains("Amara Okafor") && row.contains("new contact"),
        "{row}"
    );
    screenshot(&c, "import-contacts").await;
    confirm_import(&c).await;
    assert!(
        fresh_text(&c, ".ok-note")
            .await
            .contains("1 contact created")
    );
    let stored = server
        .db()
        .await
        .read(|tx| {
            let mut out = Vec::new();
            for r in tx.query("SELECT account_id, data FROM contacts", &[])? {
                out.push((r.text(0)?, r.text(1)?));
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap();
    let amara = stored
        .iter()
        .find(|c| c.1.contains("Amara Okafor"))
        .expect("imported");
    assert_eq!(amara.0, account.0, "at {name}");
    c.close().await.unwrap();
}

/// A spreadsheet whose columns the importer cannot guess: the manager says which column
/// is the name and which the ZIP code, sees the preview again, and imports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_chooses_how_unknown_columns_are_read() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let (territory, _) = territory_of(&server, DANA).await;
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

    let file = format!("Shop;PLZ;Gebiet\nFerreteria Sol;80205;{territory}\n");
    upload_csv(&c, &base, &file).await;
    let alert = fresh_text(&c, ".alert").await;
    assert!(
        alert.contains("no column is read as the account's name"),
        "{alert}"
    );
    c.execute(
        "document.querySelector('#import-remap').open = true; document.querySelector('#import-remap').scrollIntoView()",
        Vec::new(),
    )
    .await
    .unwrap();
    for (i, column) in ["name", "postal_code", "territory"].iter().enumerate() {
        c.find(Locator::Css(&format!("#col-{i}")))
            .await
            .unwrap()
            .select_by_value(column)
            .await
            .unwrap();
    }
    screenshot(&c, "import-remap").await;
    c.find(Locator::Css(
        "form[action='/dashboard/import/remap'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_title(&c, "Import preview").await;
    assert!(
        fresh_text(&c, "#import-mapping-from")
            .await
            .contains("as you chose")
    );
    assert!(
        fresh_text(&c, "#import-placement")
            .await
            .contains("1 placed")
    );
    confirm_import(&c).await;
    let shop = account_record(&server, "Ferreteria Sol").await;
    assert_eq!(shop.postal_code, "80205");
    assert_eq!(shop.territory_id.map(|t| t.to_string()), Some(territory));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn exported_accounts_import_back_unchanged() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;
    c.goto(&format!("{base}/dashboard/accounts")).await.unwrap();
    let href = c
        .find(Locator::Css("a.download"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let res = reqwest::Client::new()
        .get(format!("{base}{href}"))
        .header("cookie", session_cookie(&c).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let csv = res.text().await.unwrap();
    let before = account_data(&server).await;
    assert_eq!(
        csv.lines().count(),
        before.len() + 1,
        "every account of the team, and a header"
    );

    upload_csv(&c, &base, &csv).await;
    let note = fresh_text(&c, ".ok-note").await;
    assert!(
        note.contains("Nothing to import"),
        "no changes reported: {note}"
    );
    assert!(
        driver::all(&c, "form[action='/dashboard/import/confirm']")
            .await
            .is_empty()
    );
    let changed: Vec<String> = {
        let mut out = Vec::new();
        for row in driver::all(&c, "table.import-rows tbody tr").await {
            let text = row.text().await.unwrap();
            if !text.contains("no change") {
                out.push(text);
            }
        }
        out
    };
    assert!(changed.is_empty(), "every row unchanged: {changed:?}");
    screenshot(&c, "import-unchanged").await;
    assert_eq!(account_data(&server).await, before, "the data is equal");

    // The same file with one city changed: previewed as that change, then imported.
    // A line without quoted commas, so its fields can be told apart without a parser.
    let (line, first) = csv
        .lines()
        .enumerate()
        .skip(1)
        .find(|(_, l)| !l.contains('"') && l.split(',').nth(3).is_some_and(|c| !c.is_empty()))
        .map(|(i, l)| (i + 1, l.to_owned()))
        .expect("a plain line with a city");
    let mut fields: Vec<&str> = first.split(',').collect();
    fields[3] = "Lakewood";
    let edited = csv.replacen(&first, &fields.join(","), 1);
    upload_csv(&c, &base, &edited).await;
    let row = fresh_text(&c, &format!("tr[data-line='{line}']")).await;
    assert!(row.contains("update: city"), "{row}");
    confirm_import(&c).await;
    let done = fresh_text(&c, ".ok-note").await;
    assert!(done.contains("1 updated"), "{done}");
    let id = first.split(',').next().unwrap().to_owned();
    let after = account_data(&server).await;
    let changed: Vec<_> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.clone())
        .collect();
    assert_eq!(changed, [id], "only that account changed");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_quarantined_activity_is_accepted_or_dismissed_in_review() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 10).await;
    let base = server.base();
    let mut dana = Device::sign_in(&server, DANA).await;
    let mut marcus = Device::sign_in(&server, MARCUS).await;
    dana.sync().await.unwrap();
    marcus.sync().await.unwrap();
    let x = dana.store.read().accounts().all().unwrap()[0].account.id;
    let (marcus_territory, _) = territory_of(&server, MARCUS).await;
    // X moves to Marcus; Dana, not synced yet, logs two calls on it afterwards.
    let moved_at = server.now() - chrono::Duration::minutes(10);
    server
        .db()
        .await
        .write(move |tx| {
            rounds_server::org::assign_account(
                tx,
                x,
                Some(marcus_territory.parse().unwrap()),
                moved_at,
            )
        })
        .await
        .unwrap();
    let rep = dana.rep();
    let mut logged = Vec::new();
    for note in ["Call to accept", "Call to dismiss"] {
        let a = dana
            .store
            .log_activity(
                rounds_store::NewActivity {
                    account_id: x,
                    rep_id: rep,
                    contact_id: None,
                    kind: rounds_core::ActivityKind::Call,
                    occurred_at: server.now() - chrono::Duration::minutes(1),
                    duration_min: Some(5),
                    outcome: None,
                    note: Some(note.into()),
                    fix: None,
                },
                server.now(),
            )
            .unwrap();
        logged.push(a.activity.id);
    }
    // And adds the same new shop twice (offline, not seeing the first on her other
    // device): the second is put before the manager as a possible duplicate.
    let kept = dana.add_lead("Riverside Hardware").account.id;
    let copy = dana.add_lead("Riverside Hardware Inc.").account.id;
    dana.sync().await.unwrap();
    let quarantined = server
        .count(
            "SELECT count(*) FROM activities WHERE status = 'quarantined'",
            vec![],
        )
        .await;
    assert_eq!(quarantined, 2, "both calls were set aside");

    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;
    c.goto(&format!("{base}/dashboard/review")).await.unwrap();
    assert_eq!(
        driver::all(&c, "tr[data-kind=activity]").await.len(),
        2,
        "both are open"
    );
    screenshot(&c, "review").await;
    let (accept, dismiss) = (logged[0], logged[1]);
    driver::click(
        &c,
        &format!("tr[data-id='{accept}'] button[data-action=accept]"),
    )
    .await;
    driver::eventually(30, "the review page after accepting", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.query().is_some_and(|q| q.contains("done=accepted")))
    })
    .await;
    assert!(fresh_text(&c, ".ok-note").await.contains("Accepted"));
    driver::click(
        &c,
        &format!("tr[data-id='{dismiss}'] button[data-action=dismiss]"),
    )
    .await;
    driver::eventually(30, "the page says it was dismissed", || async {
        match c.find(Locator::Css(".ok-note")).await {
            Ok(e) => e.text().await.is_ok_and(|t| t.contains("Dismissed")),
            Err(_) => false,
        }
    })
    .await;
    assert!(
        driver::all(&c, "tr[data-kind=activity]").await.is_empty(),
        "nothing open any more"
    );
    screenshot(&c, "review-resolved").await;

    // The duplicate: merged into the first copy.
    let row = driver::wait(&c, "tr[data-kind=duplicate]").await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("looks like Riverside Hardware"),
        "the duplicate says what it looks like: {text}"
    );
    scroll_to(&c, "tr[data-kind=duplicate]").await;
    screenshot(&c, "review-duplicate").await;
    driver::click(&c, "tr[data-kind=duplicate] button[data-action=accept]").await;
    driver::eventually(30, "the page says it was merged", || async {
        driver::all(&c, "tr[data-kind=duplicate]").await.is_empty()
    })
    .await;
    c.close().await.unwrap();
    dana.sync().await.unwrap();
    let held = dana.account_ids();
    assert!(
        held.contains(&kept) && !held.contains(&copy),
        "the copy left Dana's device, the first stayed"
    );

    let status = |id: rounds_protocol::ActivityId| {
        let s = &server;
        async move {
            s.db()
                .await
                .read(move |tx| {
                    tx.query_one(
                        "SELECT status FROM activities WHERE id = $1",
                        &[id.to_string().into()],
                    )
                    .and_then(|r| r.text(0))
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(status(accept).await, "ok", "accepted: a normal activity");
    assert_eq!(
        status(dismiss).await,
        "quarantined",
        "dismissed: kept as it was"
    );
    assert_eq!(
        server
            .count(
                "SELECT count(*) FROM review_resolutions WHERE item_id = $1 AND resolution = 'dismissed'",
                vec![dismiss.to_string().into()],
            )
            .await,
        1,
        "and marked resolved"
    );
    marcus.sync().await.unwrap();
    let timeline = marcus.store.read().activities().timeline(x).unwrap();
    assert!(
        timeline.iter().any(|e| e.activity.id == accept),
        "the accepted call reached the account's rep"
    );
    assert!(
        !timeline.iter().any(|e| e.activity.id == dismiss),
        "the dismissed one did not"
    );
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
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_ranks_accounts_checks_balance_and_sets_a_quota() {
    let driver = ChromeDriver::start();
    let today = test_now().date_naive();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;

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

    // Territories grouped into regions: the target then rolls down region by region.
    driver::click(&c, "details.regions summary").await;
    let fields = c
        .find_all(Locator::Css("table.regions input"))
        .await
        .unwrap();
    assert_eq!(fields.len(), 3);
    for (f, region) in fields.iter().zip(["South", "South", "West"]) {
        f.clear().await.unwrap();
        f.send_keys(region).await.unwrap();
    }
    driver::click(&c, "details.regions button[type=submit]").await;
    assert!(after_submit(&c, "p.notice").await.contains("Regions saved"));
    let regions = c
        .find_all(Locator::Css("table.quota[data-group=Region] tbody tr"))
        .await
        .unwrap();
    assert_eq!(regions.len(), 2, "South and West");
    let region_shares = c
        .find_all(Locator::Css("table.shares tr.region input"))
        .await
        .unwrap();
    assert_eq!(region_shares.len(), 2);
    assert_accessible_at_both_widths(&c).await;
    c.execute(
        "document.getElementById('split').scrollIntoView()",
        Vec::new(),
    )
    .await
    .unwrap();
    screenshot(&c, "quotas-regions").await;
    c.close().await.unwrap();
}

/// The app's own planner makes Dana's week on her device; after its next sync her
/// manager reads it, day by day, on the Weeks page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_reads_the_week_a_rep_planned_on_her_device() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();
    let dir = tempfile::tempdir().unwrap();
    let mut device = rounds_client::Device::open(
        dir.path(),
        None,
        rounds_client::clock_starting_at(test_now()),
    )
    .unwrap();
    device
        .sign_in(&rounds_protocol::ipc::SignIn {
            server_url: base.clone(),
            email: DANA.into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    driver::eventually(30, "Dana's first sync", || async {
        device.status().last_success.is_some()
    })
    .await;
    let week = device
        .rep_mut()
        .unwrap()
        .plan_and_remember_week(test_now(), Default::default())
        .unwrap();
    device.trigger(rounds_client::planner::Trigger::Manual);
    driver::eventually(30, "the planned week reaches the server", || async {
        server
            .count("SELECT count(*) FROM planned_weeks", vec![])
            .await
            == 1
    })
    .await;

    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    sign_in_manager(&c, &base).await;
    let (dana_id, dana_name) = dana(&server).await;
    c.goto(&format!("{base}/dashboard/weeks?rep={dana_id}"))
        .await
        .unwrap();
    let page = after_submit(&c, "#week-summary").await;
    assert!(page.contains(&week.summary), "the summary Dana saw");
    assert!(page.contains(&dana_name));
    let days = driver::all(&c, "section.planned-day").await;
    assert_eq!(days.len(), week.days.len(), "every day of her plan");
    let first = week.days.iter().find(|d| !d.stops.is_empty()).unwrap();
    let shown = fresh_text(
        &c,
        &format!("section.planned-day[data-date='{}']", first.date),
    )
    .await;
    for s in &first.stops {
        assert!(shown.contains(&s.name), "{} on {}", s.name, first.date);
    }
    screenshot(&c, "weeks").await;
}

/// The stored accounts that have a location: (id, name).
async fn located_accounts(server: &Server) -> Vec<(String, String)> {
    server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query("SELECT data FROM accounts ORDER BY id", &[])?;
            let mut out = Vec::new();
            for r in rows {
                let a: rounds_protocol::records::AccountRecord =
                    serde_json::from_str(&r.text(0)?).expect("a stored account");
                if a.lat.is_some() && a.lon.is_some() {
                    out.push((a.id.to_string(), a.name));
                }
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// A located account whose name no other name contains, so a search finds it alone.
fn own_name(located: &[(String, String)]) -> (String, String) {
    located
        .iter()
        .find(|(_, n)| {
            located
                .iter()
                .filter(|(_, m)| m.contains(n.as_str()))
                .count()
                == 1
        })
        .expect("an account with a name of its own")
        .clone()
}

/// `value` as a query string writes it.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The map's data attribute once the page has drawn (`data-ready-ms` set).
async fn map_ready(c: &Client) -> (u64, String, String) {
    driver::wait(c, "#map[data-ready-ms]").await;
    let map = c.find(Locator::Css("#map")).await.unwrap();
    let attr = |name: &'static str| {
        let map = map.clone();
        async move { map.attr(name).await.unwrap().unwrap_or_default() }
    };
    let ms = attr("data-ready-ms").await.parse().unwrap();
    (ms, attr("data-pins").await, attr("data-areas").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_sees_the_team_on_a_map_and_opens_an_account_from_its_pin() {
    let signed = signed_in_manager(30).await;
    let Signed {
        c, base, server, ..
    } = &signed;
    let located = located_accounts(server).await;

    // Every located account is drawn, in its territory's colour, with the three areas.
    c.goto(&format!("{base}/dashboard/map")).await.unwrap();
    let (ms, pins, areas) = map_ready(c).await;
    println!(
        "map load-to-interactive (demo, {} pins): {ms} ms",
        located.len()
    );
    assert_eq!(pins, located.len().to_string());
    assert_eq!(areas, "3", "one area for each of the demo's territories");
    let status = driver::text(c, "#map-status").await;
    assert!(
        status.starts_with(&format!("{} accounts on the map", located.len())),
        "{status}"
    );
    let legend = driver::text(c, "#legend").await;
    for territory in ["Denver Metro", "Dallas Metro", "Atlanta Metro"] {
        assert!(legend.contains(territory), "{territory} in {legend}");
    }
    assert_eq!(driver::all(c, "#legend li").await.len(), 3, "{legend}");
    screenshot(c, "map").await;
    c.set_window_size(1280, 800).await.unwrap();

    // Coloured by stage instead: the legend follows.
    c.find(Locator::Css("#colour-by"))
        .await
        .unwrap()
        .select_by_value("stage")
        .await
        .unwrap();
    driver::eventually(10, "the legend by stage", || async {
        driver::text(c, "#legend h2").await == "Colour: Stage"
    })
    .await;
    let legend = driver::text(c, "#legend").await;
    assert!(
        ["Lead", "Opportunity", "Customer"]
            .iter()
            .any(|s| legend.contains(s)),
        "{legend}"
    );

    // Narrowed to one account, its pin sits in the middle; a click opens its card.
    let (id, name) = own_name(&located);
    let q = query_value(&name);
    c.goto(&format!("{base}/dashboard/map?q={q}"))
        .await
        .unwrap();
    let (_, pins, _) = map_ready(c).await;
    assert_eq!(pins, "1", "only {name}");
    driver::click(c, "#map").await;
    // WebDriver reads only visible text, and the card fades in.
    driver::eventually(10, "the card, faded in", || async {
        driver::text(c, ".map-card").await.contains(&name)
    })
    .await;
    let card = driver::text(c, ".map-card").await;
    for fact in ["Territory", "Rep", "Priority", "Stage", "Postal code"] {
        assert!(card.contains(fact), "{fact} in {card}");
    }
    let href = driver::wait(c, ".map-card a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        href.ends_with(&format!("/dashboard/accounts/{id}")),
        "{href}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await; // the card's fade-in
    let png = c.screenshot().await.unwrap();
    std::fs::write(
        driver::screenshots_dir().join("dashboard-map-card-laptop.png"),
        png,
    )
    .unwrap();
}

/// The stored accounts at postal codes: (id, postal code, territory id).
async fn accounts_by_code(server: &Server) -> Vec<(String, String, String)> {
    server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query("SELECT data FROM accounts ORDER BY id", &[])?;
            let mut out = Vec::new();
            for r in rows {
                let a: rounds_protocol::records::AccountRecord =
                    serde_json::from_str(&r.text(0)?).expect("a stored account");
                if !a.postal_code.is_empty() {
                    let t = a.territory_id.map(|t| t.to_string()).unwrap_or_default();
                    out.push((a.id.to_string(), a.postal_code, t));
                }
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// Draws a line around the whole map with a pointer of this kind (`mouse` or `touch`)
/// held down: the pointer events a mouse or a finger sends.
async fn lasso_everything(c: &Client, pointer: &str) {
    c.execute(
        r#"
        const el = document.getElementById('map');
        const r = el.getBoundingClientRect();
        const at = (x, y) => ({ clientX: x, clientY: y, button: 0, bubbles: true,
          pointerId: 7, pointerType: arguments[0], isPrimary: true });
        const corners = [[r.left + 6, r.top + 6], [r.right - 6, r.top + 6],
          [r.right - 6, r.bottom - 6], [r.left + 6, r.bottom - 6], [r.left + 6, r.top + 10]];
        el.dispatchEvent(new PointerEvent('pointerdown', at(...corners[0])));
        corners.slice(1).forEach(p => el.dispatchEvent(new PointerEvent('pointermove', at(...p))));
        document.dispatchEvent(new PointerEvent('pointerup', at(...corners[4])));
        "#,
        vec![serde_json::Value::from(pointer)],
    )
    .await
    .unwrap();
}

/// Choosing postal codes on the map: a click on a pin takes its code and a second gives it
/// back (no card opens meanwhile); a line drawn around every pin takes all their codes;
/// the preview lists what would move and nothing moves until the manager confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_chooses_postal_codes_on_the_map_and_moves_them() {
    let signed = signed_in_manager(30).await;
    let Signed {
        c, base, server, ..
    } = &signed;
    let before = accounts_by_code(server).await;

    // One pin: a click takes its postal code, a second gives it back.
    let (id, name) = own_name(&located_accounts(server).await);
    let code = before
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, k, _)| k.clone())
        .expect("its postal code");
    let q = query_value(&name);
    c.goto(&format!("{base}/dashboard/map?q={q}"))
        .await
        .unwrap();
    map_ready(c).await;
    assert!(
        !driver::wait(c, "#selection")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "the choosing form waits until asked for"
    );
    driver::click(c, "#select-units").await;
    let summary = || async { driver::text(c, "#selection-summary").await };
    assert_eq!(summary().await, "No postal code chosen yet.");
    // The form now above the map pushes it down: centred, so the click lands on the pin.
    c.execute(
        "document.getElementById('map').scrollIntoView({ block: 'center' })",
        Vec::new(),
    )
    .await
    .unwrap();
    let map = c.find(Locator::Css("#map")).await.unwrap();
    map.click().await.unwrap();
    driver::eventually(10, "the pin's postal code is chosen", || async {
        summary().await.starts_with(&format!(
            "1 postal code (1 account on the map) chosen: {code}"
        ))
    })
    .await;
    assert!(
        c.find(Locator::Css(".map-card")).await.is_err(),
        "no card opens while choosing"
    );
    map.click().await.unwrap();
    driver::eventually(10, "a second click gives it back", || async {
        summary().await == "No postal code chosen yet."
    })
    .await;

    // Every pin, by a line drawn around them.
    c.goto(&format!("{base}/dashboard/map")).await.unwrap();
    let (_, pins, _) = map_ready(c).await;
    driver::click(c, "#select-units").await;
    // With a finger, as on a phone (a mouse sends the same pointer events).
    lasso_everything(c, "touch").await;
    let mut codes: Vec<&str> = before.iter().map(|(_, k, _)| k.as_str()).collect();
    codes.sort();
    codes.dedup();
    driver::eventually(10, "every pin's postal code is chosen", || async {
        summary().await.starts_with(&format!(
            "{} postal codes ({pins} accounts on the map) chosen:",
            codes.len()
        ))
    })
    .await;
    // The clusters show it too: each holds chosen pins and says how many.
    let (rings, chosen): (u64, u64) = {
        let v = c
            .execute(
                "return [document.querySelectorAll('.cluster-ring').length, document.querySelectorAll('.cluster-ring.chosen b.picked').length]",
                Vec::new(),
            )
            .await
            .unwrap();
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    };
    assert!(rings > 0, "the metros are clustered at this zoom");
    assert_eq!(chosen, rings, "every cluster shows its chosen pins");
    screenshot(c, "map-choosing").await;
    c.set_window_size(1280, 800).await.unwrap();
    let dallas: String = c
        .execute(
            "return [...document.querySelectorAll('#to option')].find(o => o.textContent.startsWith('Dallas Metro')).value",
            Vec::new(),
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    c.find(Locator::Css("#to"))
        .await
        .unwrap()
        .select_by_value(&dallas)
        .await
        .unwrap();
    driver::click(c, "#selection-preview").await;
    driver::wait(c, "#postal-preview").await;
    let moving = before.iter().filter(|(_, _, t)| *t != dallas).count();
    let preview = driver::text(c, "#postal-preview").await;
    assert!(
        preview.contains(&format!(
            "Moving {} postal codes to Dallas Metro moves {moving} accounts",
            codes.len()
        )),
        "{preview}"
    );
    assert_eq!(
        accounts_by_code(server).await,
        before,
        "a preview moves nothing"
    );
    screenshot(c, "postal-codes-preview").await;
    c.set_window_size(1280, 800).await.unwrap();
    driver::click(c, "#postal-preview button[type=submit]").await;
    driver::eventually(10, "the move is confirmed", || async {
        body_text(c)
            .await
            .contains(&format!("Moved: {moving} accounts"))
    })
    .await;
    assert!(
        accounts_by_code(server)
            .await
            .iter()
            .all(|(_, _, t)| *t == dallas),
        "every account at the chosen codes is in Dallas"
    );
}

/// An administrator imports postal codes' boundaries (GeoJSON, one square per Denver
/// code around its accounts) through the page's file field; the map then draws Denver
/// along them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn an_administrator_imports_boundaries_and_the_map_draws_along_them() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.set_window_size(1280, 800).await.unwrap();
    sign_in_to_dashboard(&c, &base, "admin@demo.rounds.app").await;
    // Denver's postal codes, each at the middle of its accounts.
    let codes: Vec<(String, f64, f64)> = server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query("SELECT data FROM accounts", &[])?;
            let mut by: std::collections::BTreeMap<String, (f64, f64, f64)> = Default::default();
            for r in rows {
                let a: rounds_protocol::records::AccountRecord =
                    serde_json::from_str(&r.text(0)?).expect("a stored account");
                if let (Some(lat), Some(lon), true) =
                    (a.lat, a.lon, a.postal_code.starts_with("80"))
                {
                    let e = by.entry(a.postal_code).or_default();
                    *e = (e.0 + lat, e.1 + lon, e.2 + 1.0);
                }
            }
            Ok::<_, rounds_server::db::DbError>(
                by.into_iter()
                    .map(|(k, (la, lo, n))| (k, la / n, lo / n))
                    .collect(),
            )
        })
        .await
        .unwrap();
    assert!(codes.len() > 3, "{codes:?}");
    let h = 0.025;
    let features: Vec<String> = codes
        .iter()
        .map(|(code, lat, lon)| {
            format!(
                r#"{{"type":"Feature","properties":{{"ZCTA5CE20":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}}}"#,
                w = lon - h,
                e = lon + h,
                s = lat - h,
                n = lat + h
            )
        })
        .collect();
    let file = profile.path().join("denver-zcta.geojson");
    std::fs::write(
        &file,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let denver: String = server
        .db()
        .await
        .read(|tx| {
            tx.query_one(
                "SELECT id FROM territories WHERE name = 'Denver Metro'",
                &[],
            )?
            .text(0)
        })
        .await
        .unwrap();
    let denver_map = format!("{base}/dashboard/map?territory={denver}");
    c.goto(&denver_map).await.unwrap();
    let (_, _, cells) = map_ready(&c).await;
    let cells: usize = cells.parse().unwrap();

    c.goto(&format!("{base}/dashboard/boundaries"))
        .await
        .unwrap();
    assert!(
        fresh_text(&c, "main")
            .await
            .contains("No postal code has a boundary yet")
    );
    c.find(Locator::Css("input[name=file]"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    driver::click(&c, "form.edit button[type=submit]").await;
    let note = after_submit(&c, "p.ok-note").await;
    assert!(
        note.contains(&format!(
            "Imported the boundaries of {} postal codes",
            codes.len()
        )),
        "{note}"
    );
    assert_accessible_at_both_widths(&c).await;
    screenshot(&c, "boundaries").await;

    c.set_window_size(1280, 800).await.unwrap();
    c.goto(&denver_map).await.unwrap();
    let (_, pins, areas) = map_ready(&c).await;
    assert_eq!(pins, "30");
    let areas: usize = areas.parse().unwrap();
    // The squares do not all touch, so Denver is now drawn in more pieces than its cells.
    assert!(
        areas > cells,
        "{areas} pieces along the boundaries, {cells} from cells"
    );
    screenshot(&c, "map-boundaries").await;
    c.close().await.unwrap();
}

/// Opens the map and measures it: (load-to-interactive ms, pins drawn, longest frame ms
/// and frames while the manager zooms in twice and out twice with the map's buttons).
async fn measure_map(c: &Client, url: &str) -> (u64, String, f64, u64) {
    c.goto(url).await.unwrap();
    let (ms, pins, _) = map_ready(c).await;
    let frames = c
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            const times = [];
            let stop = false;
            const tick = (t) => { times.push(t); if (!stop) requestAnimationFrame(tick); };
            requestAnimationFrame(tick);
            const zoomIn = document.querySelector('.leaflet-control-zoom-in');
            const zoomOut = document.querySelector('.leaflet-control-zoom-out');
            [zoomIn, zoomIn, zoomOut, zoomOut].forEach((b, i) => setTimeout(() => b.click(), 150 + 700 * i));
            setTimeout(() => {
              stop = true;
              const gaps = times.slice(1).map((t, i) => t - times[i]);
              done({ longest: Math.max(...gaps), frames: times.length });
            }, 3200);
            "#,
            Vec::new(),
        )
        .await
        .unwrap();
    (
        ms,
        pins,
        frames["longest"].as_f64().unwrap(),
        frames["frames"].as_u64().unwrap(),
    )
}

/// 50,000 accounts at real US ZIP centroids in 20 territories: every one is drawn, and the
/// figures (load-to-interactive, the longest frame while zooming) are printed against the
/// demo's 90 pins measured in the same run. The figures are reported, not asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn the_map_draws_fifty_thousand_accounts() {
    const ACCOUNTS: usize = 50_000;
    const TERRITORIES: usize = 20;
    let signed = signed_in_manager(30).await;
    let Signed {
        c, base, server, ..
    } = &signed;
    let url = format!("{base}/dashboard/map");
    let demo = located_accounts(server).await.len();
    let baseline = measure_map(c, &url).await;
    assert_eq!(baseline.1, demo.to_string());

    // Real places: the continental US ZIP centroids (GeoNames), in longitude bands.
    let mut zips: Vec<(f64, f64, String, String, String)> =
        include_str!("../../assets/data/us-zipcodes.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let (lat, lon) = (f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?);
                ((24.0..50.0).contains(&lat) && (-125.0..-66.0).contains(&lon))
                    .then(|| (lat, lon, f[0].to_owned(), f[3].to_owned(), f[4].to_owned()))
            })
            .collect();
    zips.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert!(zips.len() > 40_000, "{} ZIPs", zips.len());
    let seeded = Instant::now();
    server
        .db()
        .await
        .write(move |tx| {
            let now = test_now();
            let ids: Vec<rounds_protocol::TerritoryId> = (0..TERRITORIES)
                .map(|i| {
                    rounds_server::org::create_territory(
                        tx,
                        rounds_protocol::TerritoryId::from_uuid(uuid::Uuid::now_v7()),
                        &format!("Band {:02}", i + 1),
                        None,
                    )
                })
                .collect::<Result<_, _>>()?;
            for i in 0..ACCOUNTS {
                // Spread over every ZIP; a second account at a ZIP sits a little apart.
                let z = &zips[(i * 7919) % zips.len()];
                let nudge = (i / zips.len()) as f64 * 0.002;
                let band = (i * 7919) % zips.len() * TERRITORIES / zips.len();
                let rec = rounds_protocol::records::AccountRecord {
                    id: rounds_protocol::AccountId::from_uuid(uuid::Uuid::now_v7()),
                    name: format!("Scale Account {i:05}"),
                    street: format!("{} Main St", i % 900 + 1),
                    city: z.3.clone(),
                    region: z.4.clone(),
                    postal_code: z.2.clone(),
                    country: "US".into(),
                    lat: Some(z.0 + nudge),
                    lon: Some(z.1 + nudge),
                    stage: rounds_core::Stage::ALL[i % 4],
                    priority: rounds_core::Priority::ALL[i % 3],
                    kare: None,
                    currency: "USD".into(),
                    revenue_minor: 1_000_000,
                    expenses_minor: 400_000,
                    phone: None,
                    email: None,
                    industry: None,
                    territory_id: Some(ids[band]),
                    created_at: now,
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
                };
                rounds_server::org::create_account(tx, &rec, now)?;
            }
            Ok::<_, rounds_server::Error>(())
        })
        .await
        .unwrap();
    println!(
        "seeded {ACCOUNTS} accounts in {TERRITORIES} territories: {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    // The first map.json draws the territories' areas; the page's own request (measured
    // below) finds them remembered, as every later visit does until accounts change.
    let cookie = session_cookie(c).await;
    for visit in ["first, areas drawn", "again, areas remembered"] {
        let started = Instant::now();
        let json = reqwest::Client::new()
            .get(format!("{base}/dashboard/map.json"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        println!(
            "map.json for {} pins ({visit}): {} KB in {} ms",
            demo + ACCOUNTS,
            json.len() / 1024,
            started.elapsed().as_millis()
        );
    }
    let large = measure_map(c, &url).await;
    assert_eq!(
        large.1,
        (demo + ACCOUNTS).to_string(),
        "every account drawn"
    );
    assert_eq!(
        driver::all(c, "#legend li").await.len(),
        3 + TERRITORIES,
        "every territory in the legend"
    );
    screenshot(c, "map-50000").await;
    println!(
        "map load-to-interactive: {demo} pins {} ms (baseline); {} pins {} ms ({:.1}x)",
        baseline.0,
        large.1,
        large.0,
        large.0 as f64 / baseline.0.max(1) as f64
    );
    println!(
        "longest frame while zooming in twice and out twice: {demo} pins {:.0} ms ({} frames); {} pins {:.0} ms ({} frames; {:.1}x)",
        baseline.2,
        baseline.3,
        large.1,
        large.2,
        large.3,
        large.2 / baseline.2.max(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_manager_compares_territory_proposals_side_by_side() {
    let signed = signed_in_manager(30).await;
    let Signed { c, base, .. } = &signed;
    c.goto(&format!("{base}/dashboard/design")).await.unwrap();
    // Only the three metros: untick the territories nobody works.
    for t in driver::all(c, "form.design fieldset label.check").await {
        let text = t.text().await.unwrap();
        if !text.contains("Metro") && !text.contains("Keep customers") {
            t.find(Locator::Css("input"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    }
    driver::click(c, "form.design button[type=submit]").await;
    driver::eventually(30, "three territories compared", || async {
        driver::all(c, "table.design tbody tr").await.len() == 3
    })
    .await;
    // Headings are shown in capitals.
    let table = fresh_text(c, "table.design").await.to_lowercase();
    for want in [
        "today",
        "proposal a",
        "proposal b",
        "proposal c",
        "workload spread",
    ] {
        assert!(table.contains(want), "{want} in {table}");
    }
    screenshot(c, "design").await;

    // Kept under a name, a proposal is shown beside the fresh ones and listed, to come
    // back to.
    c.find(Locator::Css("form.save-scenario input[name=name]"))
        .await
        .unwrap()
        .send_keys("Spring plan")
        .await
        .unwrap();
    driver::click(c, "form.save-scenario button[type=submit]").await;
    driver::eventually(30, "the saved scenario compared", || async {
        fresh_text(c, "table.design thead")
            .await
            .to_lowercase()
            .contains("spring plan")
    })
    .await;
    assert!(
        fresh_text(c, "section.saved-scenarios")
            .await
            .contains("Spring plan")
    );
    assert_accessible_at_both_widths(c).await;
    c.execute(
        "document.querySelector('section.saved-scenarios').scrollIntoView()",
        Vec::new(),
    )
    .await
    .unwrap();
    screenshot(c, "design-saved").await;

    // A proposal on the map before anything is published.
    c.set_window_size(1280, 800).await.unwrap();
    driver::click(c, "a[href^='/dashboard/map?proposal=a']").await;
    let (_, pins, _) = map_ready(c).await;
    assert_eq!(pins, "90", "every metro account drawn");
    assert!(
        fresh_text(c, "main p.notice")
            .await
            .contains("Showing proposal A")
    );
    screenshot(c, "map-proposal").await;
}

/// axe-core, run on the page the browser shows: its serious and critical violations, each
/// as "rule (impact): help — the first elements".
async fn accessibility_violations(c: &Client) -> Vec<String> {
    c.execute(include_str!("axe-core-4.14.1/axe.min.js"), Vec::new())
        .await
        .expect("axe-core loads");
    let result = c
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then((r) => done(r.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
                  v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))))
              .catch((e) => done([`axe failed: ${e}`]));
            "#,
            Vec::new(),
        )
        .await
        .expect("axe runs");
    result
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// axe-core finds no serious or critical violation on the page shown, at phone and
/// laptop width.
async fn assert_accessible_at_both_widths(c: &Client) {
    for w in [390, 1280] {
        c.set_window_size(w, 800).await.unwrap();
        let found = accessibility_violations(c).await;
        assert!(found.is_empty(), "at {w}: {}", found.join("\n"));
    }
}

/// Every dashboard page, at phone and laptop width, has no serious or critical
/// accessibility violation as axe-core finds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn every_dashboard_page_passes_the_accessibility_check() {
    let driver = ChromeDriver::start();
    let server = Server::demo_at(test_now(), 30).await;
    let base = server.base();
    let account = located_accounts(&server).await[0].0.clone();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    let mut found = Vec::new();
    let mut checked = 0;
    for (w, h) in [(390, 844), (1280, 800)] {
        c.set_window_size(w, h).await.unwrap();
        c.goto(&format!("{base}/login")).await.unwrap();
        driver::wait(&c, "form[action='/login']").await;
        for v in accessibility_violations(&c).await {
            found.push(format!("/login at {w}: {v}"));
        }
        checked += 1;
    }
    sign_in_manager(&c, &base).await;
    let pages = [
        "/dashboard/activity".to_owned(),
        "/dashboard/compliance".to_owned(),
        "/dashboard/performance".to_owned(),
        "/dashboard/accounts".to_owned(),
        format!("/dashboard/accounts/{account}"),
        "/dashboard/map".to_owned(),
        "/dashboard/design".to_owned(),
        "/dashboard/postal-codes/80202?country=US".to_owned(),
        "/dashboard/postal-codes?country=US&code=80202&code=80203&to=".to_owned(),
        "/dashboard/plans".to_owned(),
        "/dashboard/weeks".to_owned(),
        "/dashboard/import".to_owned(),
        "/dashboard/unmapped".to_owned(),
        "/dashboard/boundaries".to_owned(),
        "/dashboard/review".to_owned(),
        "/dashboard/priority".to_owned(),
        "/dashboard/balance".to_owned(),
        "/dashboard/quotas".to_owned(),
        "/dashboard/password".to_owned(),
    ];
    for (w, h) in [(390, 844), (1280, 800)] {
        c.set_window_size(w, h).await.unwrap();
        for path in &pages {
            c.goto(&format!("{base}{path}")).await.unwrap();
            driver::wait(&c, "main h1").await;
            if path == "/dashboard/map" {
                driver::wait(&c, "#map[data-ready-ms]").await;
            }
            for v in accessibility_violations(&c).await {
                found.push(format!("{path} at {w}: {v}"));
            }
            checked += 1;
        }
    }
    println!(
        "accessibility: {checked} page views checked, {} serious or critical violations",
        found.len()
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// A director sees the teams under them rolled up, looks at one (the pages say so and
/// narrow), pages through the accounts by name, and rolls the teams up again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver: run with --include-ignored (scripts/test does)"]
async fn a_director_looks_at_one_team_and_pages_through_its_accounts() {
    let driver = ChromeDriver::start();
    // 120 accounts: more than a page of the list.
    let server = Server::demo_at(test_now(), 40).await;
    let base = server.base();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(profile.path()).await;
    c.set_window_size(1280, 800).await.unwrap();
    sign_in_to_dashboard(&c, &base, "director@demo.rounds.app").await;

    c.goto(&format!("{base}/dashboard/teams")).await.unwrap();
    let text = body_text(&c).await;
    assert!(text.contains("Morgan Avery's team"), "{text}");
    screenshot(&c, "teams").await;
    c.find(Locator::Css("tr[data-team]:not([data-team='']) button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver::eventually(30, "the team chosen", || async {
        body_text(&c)
            .await
            .contains("Looking at Morgan Avery's team only")
    })
    .await;

    c.goto(&format!("{base}/dashboard/accounts")).await.unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains("Looking at Morgan Avery's team only"),
        "{text}"
    );
    assert!(
        text.contains("120 accounts, 100 to a page by name"),
        "{text}"
    );
    let first = c
        .find(Locator::Css("tbody tr[data-account] td.title a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    scroll_to(&c, "nav.pager").await;
    screenshot(&c, "accounts-one-team").await;
    c.find(Locator::Css("nav.pager a[rel=next]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver::eventually(30, "the next page", || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.query().is_some_and(|q| q.contains("after=")))
    })
    .await;
    let rows = c
        .find_all(Locator::Css("tbody tr[data-account]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 20, "the rest of the 120");
    let second = rows[0]
        .find(Locator::Css("td.title a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        first.to_lowercase() <= second.to_lowercase(),
        "{first} then {second}"
    );
    screenshot(&c, "accounts-next-page").await;

    // All teams again: the notice goes.
    c.goto(&format!("{base}/dashboard/teams")).await.unwrap();
    c.find(Locator::Css("tr[data-team=''] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver::eventually(30, "all teams again", || async {
        let t = body_text(&c).await;
        t.contains("Teams") && !t.contains("Looking at Morgan")
    })
    .await;
}

//! The rep's app end to end, as a person uses it: the real app binary in a real window
//! (WebKitGTK under Xvfb, driven through tauri-driver), against the real server with the
//! demo organisation. Screenshots at phone and laptop size go to target/screenshots/.
//!
//! Needs the app built with its UI bundled; `scripts/test` builds it and sets
//! `ROUNDS_APP_BINARY`, and runs these tests (ignored otherwise) with `--include-ignored`.

#[path = "../sync/support.rs"]
#[allow(dead_code)]
mod support;

mod driver;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use driver::{Display, Driver, all, click, eventually, loaded, screenshot, text, wait};
use fantoccini::Client;
use rounds_server::db::Sql as _;
use support::{DANA, PASSWORD, Server};

/// The instant the rep's day is worked at: a Wednesday in mid-March, 11:00 in Denver. The
/// demo is seeded for that day, and the server's and the app's clocks start there (the
/// app reads `ROUNDS_TEST_NOW` in debug builds), so the test passes on any day it runs.
fn test_now() -> DateTime<Utc> {
    "2026-03-18T17:00:00Z".parse().unwrap()
}

/// One app window at a time: two would fight over the two cores and their time limits.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The tests that drive it are ignored unless asked for; asked for without it, they fail
/// rather than pass untested.
fn app_binary() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("ROUNDS_APP_BINARY")
            .expect("set ROUNDS_APP_BINARY to the app binary (scripts/test does)"),
    );
    assert!(
        path.exists(),
        "ROUNDS_APP_BINARY {} is missing",
        path.display()
    );
    path
}

async fn type_into(c: &Client, css: &str, value: &str) {
    let field = wait(c, css).await;
    // Into view first, as `driver::click` does: a covered field is not interactable.
    let at = serde_json::to_value(&field).unwrap();
    c.execute("arguments[0].scrollIntoView({block: 'center'})", vec![at])
        .await
        .unwrap_or_else(|e| panic!("scrolling to {css}: {e}"));
    field
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clearing {css}: {e}"));
    field
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

/// Finds the account named `name` from the Accounts tab's search and opens it; false
/// while the list does not show it yet.
async fn open_account(c: &Client, name: &str) -> bool {
    click(c, "nav.tabs button[data-screen=\"accounts\"]").await;
    type_into(c, "#search", name).await;
    for row in all(c, ".account-row").await {
        let shown = row
            .find(fantoccini::Locator::Css(".account-name"))
            .await
            .ok();
        if let Some(shown) = shown
            && shown.text().await.unwrap_or_default() == name
        {
            return row.click().await.is_ok();
        }
    }
    false
}

/// What Dana's territory holds on the server: a contact's surname and its account's name.
async fn a_contact_of_dana(server: &Server) -> (String, String) {
    server
        .db()
        .await
        .read(|tx| {
            let row = tx.query_one(
                "SELECT c.data, a.data FROM contacts c
                 JOIN accounts a ON a.id = c.account_id
                 JOIN territories t ON t.id = a.territory_id
                 JOIN users u ON u.id = t.rep_id
                 WHERE u.email = $1 ORDER BY c.id LIMIT 1",
                &[DANA.to_string().into()],
            )?;
            let contact: serde_json::Value = row.json(0)?;
            let account: serde_json::Value = row.json(1)?;
            Ok::<_, rounds_server::db::DbError>((
                contact["name"].as_str().unwrap().to_owned(),
                account["name"].as_str().unwrap().to_owned(),
            ))
        })
        .await
        .unwrap()
}

/// The accounts on the server with this name, as stored.
async fn lead_on_server(server: &Server, name: &str) -> Vec<serde_json::Value> {
    let name = name.to_owned();
    server
        .db()
        .await
        .read(move |tx| {
            let rows = tx.query("SELECT data FROM accounts ORDER BY id", &[])?;
            let mut out = Vec::new();
            for r in rows {
                let v: serde_json::Value = r.json(0)?;
                if v["name"] == name.as_str() {
                    out.push(v);
                }
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// The contacts of an account on the server, as stored.
async fn contacts_on_server(server: &Server, account: &str) -> Vec<serde_json::Value> {
    let account = account.to_owned();
    server
        .db()
        .await
        .read(move |tx| {
            let rows = tx.query(
                "SELECT data FROM contacts WHERE account_id = $1 ORDER BY id",
                &[account.into()],
            )?;
            rows.iter()
                .map(|r| r.json::<serde_json::Value>(0))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap()
}

/// Corrections on the server that give a visit its length (check-outs).
async fn check_outs_on_server(server: &Server) -> usize {
    server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query("SELECT data FROM corrections", &[])?;
            let mut n = 0;
            for r in rows {
                let v: serde_json::Value = r.json(0)?;
                n += usize::from(v["change"]["duration_min"].is_u64());
            }
            Ok::<_, rounds_server::db::DbError>(n)
        })
        .await
        .unwrap()
}

/// What the rep says when a shop has closed.
const LOST_BECAUSE: &str = "Closed for renovation until spring";

/// What the rep promises at the door.
const NEXT_STEP: &str = "Ask about the spring order";

/// The follow-ups on the server: their notes, and whether each is done by a touch the
/// server has.
async fn follow_ups_on_server(server: &Server) -> Vec<(String, bool)> {
    server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query("SELECT data FROM follow_ups", &[])?;
            let mut out = Vec::new();
            for r in rows {
                let f: serde_json::Value = r.json(0)?;
                let done_by = f["done_by"].as_str().unwrap_or_default().to_owned();
                let logged = tx
                    .query(
                        "SELECT 1 FROM activities WHERE id = $1",
                        &[done_by.as_str().into()],
                    )?
                    .len();
                out.push((
                    f["note"].as_str().unwrap_or_default().to_owned(),
                    f["done_at"].is_string() && logged == 1,
                ));
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// The accounts moved to lost from a device, by name, with their reasons.
async fn lost_on_server(server: &Server) -> Vec<(String, String)> {
    server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query(
                "SELECT a.data, s.reason FROM stage_changes s JOIN accounts a ON a.id = s.account_id
                 WHERE s.to_stage = 'lost' AND s.device_id IS NOT NULL ORDER BY s.recorded_at",
                &[],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let a: serde_json::Value = r.json(0)?;
                out.push((
                    a["name"].as_str().unwrap_or_default().to_owned(),
                    r.opt_text(1)?.unwrap_or_default(),
                ));
            }
            Ok::<_, rounds_server::db::DbError>(out)
        })
        .await
        .unwrap()
}

/// A shop the rep puts on the map by hand.
const PLACED_LEAD: &str = "Zephyr Cycle Works";

/// What the rep writes under the shelf's photo.
const PHOTO_CAPTION: &str = "Spring display by the till";

/// The photos on the server: caption, whether taken at a visit, whether their bytes
/// arrived, and the bytes.
async fn photos_on_server(server: &Server) -> Vec<(String, bool, bool, Vec<u8>)> {
    let rows = server
        .db()
        .await
        .read(|tx| {
            let rows = tx.query(
                "SELECT caption, activity_id, sha256, received_at FROM photos ORDER BY recorded_at",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.opt_text("caption")?.unwrap_or_default(),
                        r.opt_text("activity_id")?.is_some(),
                        r.text("sha256")?,
                        r.opt_text("received_at")?.is_some(),
                    ))
                })
                .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
        })
        .await
        .unwrap();
    let root = server.settings.blob_dir().join("sha256");
    rows.into_iter()
        .map(|(caption, at_visit, sha, received)| {
            let bytes = std::fs::read(root.join(&sha[..2]).join(&sha)).unwrap_or_default();
            (caption, at_visit, received, bytes)
        })
        .collect()
}

async fn activities_on_server(server: &Server) -> i64 {
    server
        .count("SELECT count(*) FROM activities", Vec::new())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the app binary and a display: run with --include-ignored (scripts/test does)"]
async fn a_rep_signs_in_works_the_day_offline_and_it_reaches_the_server_once() {
    let app = app_binary();
    let _window = ONE_WINDOW.lock().await;
    let mut server = Server::demo_at(test_now(), 40).await;
    let scratch = tempfile::tempdir().unwrap();
    let display = Display::start();
    let data_dir = scratch.path().join("app-data");
    let export_dir = scratch.path().join("saved");
    let driver = Driver::start(
        &display,
        scratch.path(),
        &[
            ("ROUNDS_DATA_DIR", data_dir.display().to_string()),
            ("ROUNDS_EXPORT_DIR", export_dir.display().to_string()),
            ("ROUNDS_LOG", "warn".into()),
            ("ROUNDS_TEST_NOW", server.now().to_rfc3339()),
        ],
    );

    // First run: connect to the server.
    eprintln!("step: First run: connect to the server.");
    let c = driver.launch(&app).await;
    driver::resize(&c, 390, 844).await;
    wait(&c, "#server-url").await;
    type_into(&c, "#password", "wrong password").await;
    type_into(&c, "#server-url", &server.base()).await;
    type_into(&c, "#email", DANA).await;
    click(&c, "#sign-in").await;
    let error = text(&c, ".form-error").await;
    assert!(
        error.contains("do not match"),
        "a wrong password is said in words: {error:?}"
    );
    screenshot(&c, &display, "first-run-error").await;
    type_into(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;

    // The initial sync brings the territory; Today lists what is due.
    eprintln!("step: The initial sync brings the territory; Today lists what is due.");
    loaded(&c, "today").await;
    eventually(60, "Today lists due accounts", || async {
        !all(&c, "#today .today-item").await.is_empty()
    })
    .await;
    let first = wait(&c, "#today .today-item").await;
    let reason = first
        .find(fantoccini::Locator::Css(".reason"))
        .await
        .unwrap();
    assert!(reason.text().await.unwrap().contains("owed"));
    // Today's part of the plan, with times: the same visits as the route, in its order.
    eventually(20, "Today shows today's visits at their times", || async {
        !all(&c, "#today-visits li.today-visit").await.is_empty()
    })
    .await;
    let mut today_visits = Vec::new();
    for v in all(&c, "#today-visits li.today-visit").await {
        let time = v
            .find(fantoccini::Locator::Css(".week-time"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(time.len() == 5 && time.as_bytes()[2] == b':', "{time}");
        today_visits.push(v.attr("data-account").await.unwrap().unwrap_or_default());
    }
    screenshot(&c, &display, "today").await;

    // Plan my day: an ordered route on a map, stops numbered 1, 2, 3 …
    eprintln!("step: Plan my day: an ordered route on a map, stops numbered 1, 2, 3 …");
    driver::resize(&c, 390, 844).await;
    click(&c, "#plan-day").await;
    loaded(&c, "route").await;
    wait(&c, "svg.route-map").await;
    let stops = all(&c, "li.route-stop .stop-number").await;
    assert!(!stops.is_empty(), "the route has stops");
    let mut on_route = Vec::new();
    for s in all(&c, "li.route-stop").await {
        on_route.push(s.attr("data-account").await.unwrap().unwrap_or_default());
    }
    assert_eq!(
        on_route, today_visits,
        "Today's visits are the route's, in its order"
    );
    for (i, s) in stops.iter().enumerate() {
        assert_eq!(s.text().await.unwrap().trim(), (i + 1).to_string());
    }
    assert!(!text(&c, "#route-total").await.is_empty());
    let first_time = text(&c, "li.route-stop .stop-time").await;
    assert!(
        first_time.len() == 5 && first_time.as_bytes()[2] == b':',
        "each stop shows when its visit starts: {first_time}"
    );
    screenshot(&c, &display, "route").await;

    // The week: ten workdays, each day's visits in order at their times.
    eprintln!("step: The week: ten workdays, each day's visits in order at their times");
    click(&c, "nav.tabs button[data-screen='week']").await;
    loaded(&c, "week").await;
    let summary = text(&c, "#week-summary").await;
    assert!(summary.starts_with("Delivers "), "{summary}");
    assert_eq!(all(&c, "li.week-day").await.len(), 10);
    let times = all(&c, "li.week-stop .week-time").await;
    assert!(!times.is_empty(), "the week has visits");
    for t in times {
        let t = t.text().await.unwrap();
        assert!(
            t.len() == 5 && t.as_bytes()[2] == b':',
            "a time of day: {t}"
        );
    }
    screenshot(&c, &display, "week").await;
    // A day's visits on the map, numbered in their order.
    let day = "li.week-day:nth-child(2)";
    let visits = all(&c, &format!("{day} li.week-stop")).await.len();
    assert!(visits > 0, "Thursday has visits");
    click(&c, &format!("{day} .week-map-toggle")).await;
    eventually(10, "the day's map shows its visits", || async {
        all(&c, &format!("{day} svg.route-map g.pin")).await.len() == visits
    })
    .await;
    assert_eq!(
        text(&c, &format!("{day} svg.route-map g.pin:last-of-type text")).await,
        "1",
        "numbered in the day's order (the first drawn on top)"
    );
    c.execute(
        "document.querySelector('li.week-day:nth-child(2) svg.route-map').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "week-day-map").await;
    click(&c, &format!("{day} .week-map-toggle")).await;
    // Further ahead: four weeks of workdays, planned on the device as well.
    c.execute(
        "document.querySelector('#week-horizon').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    wait(&c, "#week-horizon")
        .await
        .select_by_value("four_weeks")
        .await
        .unwrap();
    eventually(20, "four weeks planned", || async {
        all(&c, "li.week-day").await.len() > 15 && text(&c, "#week h1").await.contains("four weeks")
    })
    .await;
    let last = all(&c, "li.week-day").await.pop().unwrap();
    let last = last.attr("data-date").await.unwrap().unwrap_or_default();
    assert!(last.as_str() <= "2026-04-14", "within four weeks: {last}");

    // The rep learns a shop's hours: set on the account, shown at once, and the week
    // plans its visit inside them.
    eprintln!("step: Opening hours set on an account; the week keeps its visit inside them.");
    driver::resize(&c, 390, 844).await;
    let first_stop = wait(&c, "li.week-stop").await;
    let hours_account = first_stop.attr("data-account").await.unwrap().unwrap();
    click(&c, "li.week-stop button.link").await;
    loaded(&c, "account").await;
    let hours_name = text(&c, ".account-name").await.trim().to_owned();
    click(&c, "#edit-details").await;
    wait(&c, "#edit-form").await;
    type_into(&c, "#edit-hours", "Mon-Fri 10:00-16:00").await;
    type_into(&c, "#edit-visit-minutes", "30").await;
    // Closed dates, one long past: the account shows only those still ahead.
    type_into(&c, "#edit-closed-on", "2026-01-01, 2026-12-24..2026-12-26").await;
    // The buyer likes late mornings: kept in its written form.
    type_into(&c, "#edit-preferred-hours", "mo-fr 10:00-11:00").await;
    // The rep's estimate of what the account could buy in a year.
    type_into(&c, "#edit-potential-estimate", "85,000").await;
    screenshot(&c, &display, "account-hours-form").await;
    driver::resize(&c, 390, 844).await;
    click(&c, "#edit-save").await;
    eventually(10, "the hours show on the account", || async {
        text(&c, "#account-hours")
            .await
            .contains("Today: 10:00-16:00")
    })
    .await;
    assert!(
        text(&c, "#account-hours")
            .await
            .contains("Mo-Fr 10:00-16:00")
    );
    assert_eq!(
        text(&c, "#account-closed").await.trim(),
        "Closed on 2026-12-24 – 2026-12-26"
    );
    assert_eq!(
        text(&c, "#account-preferred").await.trim(),
        "Visits preferred Mo-Fr 10:00-11:00"
    );
    assert!(
        text(&c, "#potential-estimate")
            .await
            .contains("USD 85,000.00"),
        "the estimate shows on the account"
    );
    click(&c, "nav.tabs button[data-screen='week']").await;
    loaded(&c, "week").await;
    let selector = format!("li.week-stop[data-account='{hours_account}']");
    eventually(10, "the week shows the shop's hours", || async {
        text(&c, &format!("{selector} .week-hours"))
            .await
            .contains("10:00-16:00")
    })
    .await;
    for stop in all(&c, &selector).await {
        let at = stop
            .find(fantoccini::Locator::Css(".week-time"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            ("10:00"..="15:30").contains(&at.as_str()),
            "{hours_name} planned at {at}, outside 10:00-16:00 for a 30-minute visit"
        );
    }
    screenshot(&c, &display, "week-hours").await;

    // An appointment booked for this afternoon: today's route is built around it.
    eprintln!("step: An appointment at 15:00 today; today's route keeps it at its time.");
    driver::resize(&c, 390, 844).await;
    click(&c, &format!("{selector} button.link")).await;
    loaded(&c, "account").await;
    click(&c, "#add-appointment").await;
    wait(&c, "#appointment-form").await;
    c.execute(
        "const e = document.querySelector('#appointment-on'); e.value = '2026-03-18'; e.dispatchEvent(new Event('input'));",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#appointment-at", "14:00").await;
    type_into(&c, "#appointment-minutes", "30").await;
    click(&c, "#appointment-save").await;
    eventually(10, "the appointment is listed on the account", || async {
        text(&c, "#appointments").await.contains("14:00–14:30")
    })
    .await;
    // Synced, so no sync lands mid-step: the redraw below is the one the test makes.
    eventually(30, "the appointment reached the server", || async {
        all(&c, "#appointments li.appointment.pending")
            .await
            .is_empty()
    })
    .await;
    // The shop asks for an hour later: the same appointment moves (one, not two).
    click(&c, "#appointments .appointment-change").await;
    wait(&c, "#appointment-form").await;
    // Read in the page: a sync landing now draws the form again, and a handle on the
    // old field would be stale.
    eventually(
        10,
        "the form opens with the appointment's values",
        || async {
            c.execute(
                "const e = document.querySelector('#appointment-at'); return e ? e.value : null;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref()
                == Some("14:00")
        },
    )
    .await;
    type_into(&c, "#appointment-at", "15:00").await;
    // A contact saved meanwhile draws the account again from fresh data, as a sync landing
    // does: the open form stays open and keeps what was typed.
    click(&c, "#add-contact").await;
    type_into(&c, "#contact-name", "Robin Vale").await;
    click(&c, "#contact-save").await;
    eventually(10, "the new contact is listed", || async {
        text(&c, "#contacts").await.contains("Robin Vale")
    })
    .await;
    // Its sync draws the account once more; wait for it, so the step ends on a still page.
    eventually(30, "the contact reached the server", || async {
        all(&c, "#contacts li.contact.pending").await.is_empty()
    })
    .await;
    assert_eq!(
        c.execute(
            "const e = document.querySelector('#appointment-at'); return e ? e.value : null;",
            vec![],
        )
        .await
        .unwrap()
        .as_str(),
        Some("15:00"),
        "the appointment form is still open with the time typed"
    );
    click(&c, "#appointment-save").await;
    // Saving re-plans the day around the moved appointment before the list is drawn
    // again: on a loaded machine that can take more than a few seconds.
    let mut shown = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        shown = text(&c, "#appointments").await;
        if shown.contains("15:00–15:30") && !shown.contains("14:00") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        shown.contains("15:00–15:30") && !shown.contains("14:00"),
        "the appointment did not move to 15:00 within 30 s; the list shows {shown:?} (the page is in {})",
        driver::failure_evidence(&c).await
    );
    assert_eq!(all(&c, "#appointments li.appointment").await.len(), 1);
    c.execute(
        "document.querySelector('#appointments').scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "account-appointment").await;
    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen=\"today\"]").await;
    loaded(&c, "today").await;
    click(&c, "#plan-day").await;
    loaded(&c, "route").await;
    eventually(10, "the route keeps the appointment at 15:00", || async {
        for stop in all(&c, "li.route-stop").await {
            let t = stop.text().await.unwrap_or_default();
            if t.contains("Appointment") && t.contains("15:00") && t.contains(&hours_name) {
                return true;
            }
        }
        false
    })
    .await;
    screenshot(&c, &display, "route-appointment").await;

    // A visit planned for next week moves to Thursday and stays there, pinned.
    eprintln!("step: A visit moved to Thursday in the week stays there, pinned.");
    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen='week']").await;
    loaded(&c, "week").await;
    let thursday = "li.week-day[data-date='2026-03-19']";
    let moved = c
        .execute(
            "const thu = new Set([...document.querySelectorAll(arguments[0] + ' li.week-stop')].map(s => s.dataset.account));
             for (const day of document.querySelectorAll('li.week-day')) {
               if (day.dataset.date <= '2026-03-20') continue;
               for (const stop of day.querySelectorAll('li.week-stop')) {
                 const move = stop.querySelector('select.week-move');
                 if (!move || thu.has(stop.dataset.account)) continue;
                 move.value = '2026-03-19';
                 move.dispatchEvent(new Event('change'));
                 return stop.dataset.account;
               }
             }
             return null;",
            vec![serde_json::json!(thursday)],
        )
        .await
        .unwrap();
    let moved = moved
        .as_str()
        .expect("a visit after Thursday to move")
        .to_owned();
    eventually(10, "the visit is on Thursday, pinned", || async {
        text(
            &c,
            &format!("{thursday} li.week-stop[data-account='{moved}']"),
        )
        .await
        .contains("Pinned")
    })
    .await;
    c.execute(
        "document.querySelector(\"li.week-day[data-date='2026-03-19']\").scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "week-moved").await;

    // The week saved as a calendar file, offline, with the moved visit on Thursday.
    eprintln!("step: The week saved as a calendar file.");
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    click(&c, "#week-save-calendar").await;
    let note = text(&c, "#week-calendar-note").await;
    let saved = export_dir.join("rounds-week-2026-03-18.ics");
    assert!(note.contains(&saved.display().to_string()), "{note}");
    let ics = std::fs::read_to_string(&saved).expect("the file is where the app says");
    assert!(ics.starts_with("BEGIN:VCALENDAR"));
    assert!(
        ics.replace("\r\n ", "")
            .contains(&format!("-{moved}-2026-03-19@rounds")),
        "the moved visit is on Thursday in the file"
    );
    screenshot(&c, &display, "week-calendar-saved").await;

    // Search finds an account by a contact's name, offline, as you type.
    eprintln!("step: Search finds an account by a contact's name, offline, as you type.");
    let (contact, account_name) = a_contact_of_dana(&server).await;
    let surname = contact.split_whitespace().last().unwrap().to_owned();
    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen=\"accounts\"]").await;
    type_into(&c, "#search", &surname).await;
    eventually(10, "search shows the contact's account", || async {
        for row in all(&c, ".account-row .account-name").await {
            if row.text().await.unwrap_or_default() == account_name {
                return true;
            }
        }
        false
    })
    .await;
    screenshot(&c, &display, "search").await;

    // A quick action while the server is down: logged at once, marked waiting.
    eprintln!("step: A quick action while the server is down: logged at once, marked waiting.");
    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen=\"today\"]").await;
    loaded(&c, "today").await;
    click(&c, "#today .today-item").await;
    loaded(&c, "account").await;
    let before = activities_on_server(&server).await;
    server.stop().await;
    let pending_before = all(&c, ".timeline-item.pending").await.len();
    click(&c, "#qa-checkin").await;
    wait(&c, "#sheet").await;
    // A photo of the visit, from the sheet that follows the check-in.
    let visit_photo = support::gradient_png(200, 150);
    let visit_file = scratch.path().join("visit.png");
    std::fs::write(&visit_file, &visit_photo).unwrap();
    wait(&c, "#sheet-photo")
        .await
        .send_keys(visit_file.to_str().unwrap())
        .await
        .unwrap();
    wait(&c, "#sheet .photo-kept").await;
    type_into(&c, "#sheet-note", "Met the buyer; samples left").await;
    click(&c, "#sheet-save").await;
    eventually(10, "the visit shows as waiting to sync", || async {
        all(&c, ".timeline-item.pending").await.len() > pending_before
    })
    .await;
    // The visit is under way until the rep checks out.
    assert!(text(&c, ".timeline").await.contains("Under way"));
    click(&c, ".timeline .check-out").await;
    eventually(10, "the check-out gives the visit its length", || async {
        text(&c, ".timeline").await.contains("Stayed")
    })
    .await;
    screenshot(&c, &display, "account-offline").await;

    // The shop has closed: the rep marks the account lost, and the app asks why.
    eprintln!("step: An account moved to lost, with the reason asked for.");
    click(&c, "#edit-details").await;
    wait(&c, "#edit-form").await;
    c.execute(
        "const s = document.querySelector('#edit-stage'); s.value = '3'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    wait(&c, "#edit-lost-reason").await;
    click(&c, "#edit-save").await;
    eventually(10, "the missing reason is asked for", || async {
        text(&c, "#edit-form .form-error").await.contains("why")
    })
    .await;
    type_into(&c, "#edit-lost-reason", LOST_BECAUSE).await;
    click(&c, "#edit-save").await;
    eventually(10, "the move to lost shows as waiting", || async {
        text(&c, ".pending-tag").await.contains("stage")
    })
    .await;
    // Out of the call plan at once, before it syncs.
    assert!(
        text(&c, "#cadence-lost")
            .await
            .contains("out of the call plan"),
        "a lost account owes no touches"
    );
    let lost_account = text(&c, ".account-name").await.trim().to_owned();

    // A photo of the shelf, picked from the device's files, kept while offline.
    eprintln!("step: A photo attached offline shows at once, waiting to sync.");
    let shelf = support::gradient_png(320, 240);
    let shelf_file = scratch.path().join("shelf.png");
    std::fs::write(&shelf_file, &shelf).unwrap();
    c.execute(
        "document.querySelector('#photos').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#photo-caption", PHOTO_CAPTION).await;
    wait(&c, "#photo-file")
        .await
        .send_keys(shelf_file.to_str().unwrap())
        .await
        .unwrap();
    // Beside the visit's photo, both waiting.
    eventually(15, "the photo shows, waiting to sync", || async {
        text(&c, "#photos").await.contains(PHOTO_CAPTION)
            && all(&c, "#photos li.photo[data-state=\"waiting\"] img")
                .await
                .len()
                == 2
    })
    .await;
    c.execute(
        "document.querySelector('#photos').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "account-photo").await;

    // The pin is off: the rep places it on the map with a tap (no tiles offline; the
    // pins around it give the bearings).
    eprintln!("step: The pin is placed on the map with a tap, offline.");
    c.execute(
        "document.querySelector('#pin-on-map').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "#pin-on-map").await;
    wait(&c, "#pin-map").await;
    eventually(10, "the pins around it are drawn", || async {
        !all(&c, "#pin-map .near").await.is_empty()
    })
    .await;
    c.execute(
        "const s = document.querySelector('#pin-map'); s.scrollIntoView({block: 'center'});
         const r = s.getBoundingClientRect();
         s.dispatchEvent(new MouseEvent('click', {clientX: r.left + r.width * 0.7, clientY: r.top + r.height * 0.35, bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    wait(&c, "#pin-map .chosen").await;
    screenshot(&c, &display, "pin-on-map").await;
    click(&c, "#pin-confirm").await;
    eventually(10, "the moved pin shows as waiting", || async {
        text(&c, ".pending-tag").await.contains("location")
    })
    .await;

    // A next step due today: Today lists it, and one tap does it (logging the call).
    eprintln!("step: A next step due today is listed in Today and done with one tap.");
    // Centred: the sticky header would cover a button scrolled to the top edge.
    c.execute(
        "document.querySelector('#add-follow-up').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "#add-follow-up").await;
    wait(&c, "#follow-up-form").await;
    click(&c, "#follow-up-form .pick[data-days=\"0\"]").await;
    type_into(&c, "#follow-up-note", NEXT_STEP).await;
    c.execute(
        "document.querySelector('#follow-up-form').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "follow-up-form").await;
    click(&c, "#follow-up-save").await;
    eventually(10, "the next step shows, waiting to sync", || async {
        let list = text(&c, "#follow-ups").await;
        list.contains(NEXT_STEP) && list.contains("waiting to sync")
    })
    .await;
    let calls_before = all(&c, ".timeline-item").await.len();
    click(&c, "nav.tabs button[data-screen=\"today\"]").await;
    loaded(&c, "today").await;
    eventually(10, "Today lists the follow-up", || async {
        text(&c, "#today-follow-ups").await.contains(NEXT_STEP)
    })
    .await;
    c.execute(
        "document.querySelector('#today-follow-ups').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "today-follow-up").await;
    click(&c, "#today-follow-ups .follow-up-done").await;
    eventually(10, "done, it leaves Today", || async {
        all(&c, "#today-follow-ups").await.is_empty()
    })
    .await;
    eventually(10, "search finds the account", || {
        open_account(&c, &lost_account)
    })
    .await;
    loaded(&c, "account").await;
    eventually(10, "the call it promised is on the timeline", || async {
        all(&c, ".timeline-item").await.len() > calls_before
    })
    .await;

    // Still offline, at the door of a shop that is not in the system: "New lead here".
    // Its name is one the territory already has, so the app first asks about it.
    eprintln!("step: New lead here, offline: asked about the look-alike, then saved.");
    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen=\"accounts\"]").await;
    click(&c, "#new-lead-button").await;
    let lead_name = format!("{account_name} Annex");
    type_into(&c, "#lead-name", &lead_name).await;
    // No fix in this window: its ZIP places it, offline, until a pin is set at the door.
    click(&c, "details.more summary").await;
    type_into(&c, "#lead-postal", "80202").await;
    click(&c, "#lead-save").await;
    let asked = text(&c, "#lookalikes").await;
    assert!(
        asked.contains(&account_name),
        "the look-alike on the device is named: {asked:?}"
    );
    screenshot(&c, &display, "new-lead-lookalike").await;
    click(&c, "#lead-save-anyway").await;
    loaded(&c, "account").await;
    assert_eq!(text(&c, ".account-name").await.trim(), lead_name);
    let pin_note = text(&c, "#account-pin-note").await;
    assert!(
        pin_note.contains("middle of its postal code"),
        "placed by its ZIP, and the rep is told: {pin_note:?}"
    );
    assert!(
        text(&c, ".pending-tag").await.contains("new account"),
        "the new account is marked as waiting to sync"
    );
    // The lead became an opportunity at the door.
    click(&c, "#edit-details").await;
    wait(&c, "#edit-form").await;
    c.execute(
        "const s = document.querySelector('#edit-stage'); s.value = '1'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#edit-phone", "(720) 555-0142").await;
    click(&c, "#edit-save").await;
    eventually(10, "the stage change shows as waiting", || async {
        text(&c, ".pending-tag").await.contains("stage")
    })
    .await;
    // The buyer met at the door.
    click(&c, "#add-contact").await;
    wait(&c, "#contact-form").await;
    type_into(&c, "#contact-name", "Noor Haddad").await;
    type_into(&c, "#contact-title", "Owner").await;
    type_into(&c, "#contact-phone", "(720) 555-0177").await;
    click(&c, "#contact-save").await;
    eventually(10, "the contact shows as waiting", || async {
        text(&c, "#contacts").await.contains("Noor Haddad")
            && !all(&c, "#contacts li.contact.pending").await.is_empty()
    })
    .await;
    c.execute(
        "document.querySelector('#account').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "new-lead-saved").await;

    // A second shop down the road, with no fix in this window: the rep puts it on the
    // map with a tap before saving.
    eprintln!("step: A new lead placed on the map with a tap, offline.");
    click(&c, "nav.tabs button[data-screen=\"accounts\"]").await;
    click(&c, "#new-lead-button").await;
    type_into(&c, "#lead-name", PLACED_LEAD).await;
    click(&c, "#lead-on-map").await;
    wait(&c, "#pin-map").await;
    c.execute(
        "const s = document.querySelector('#pin-map'); s.scrollIntoView({block: 'center'});
         const r = s.getBoundingClientRect();
         s.dispatchEvent(new MouseEvent('click', {clientX: r.left + r.width * 0.4, clientY: r.top + r.height * 0.6, bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    wait(&c, "#pin-map .chosen").await;
    click(&c, "#pin-confirm").await;
    eventually(10, "the lead is placed on the map", || async {
        text(&c, "#lead-place").await.contains("Placed on the map")
    })
    .await;
    screenshot(&c, &display, "new-lead-placed").await;
    click(&c, "#lead-save").await;
    loaded(&c, "account").await;
    assert_eq!(text(&c, ".account-name").await.trim(), PLACED_LEAD);

    driver::resize(&c, 390, 844).await;
    click(&c, "nav.tabs button[data-screen=\"sync\"]").await;
    loaded(&c, "sync").await;
    eventually(10, "the sync screen counts the waiting changes", || async {
        text(&c, "#pending-count").await.trim() != "0"
    })
    .await;
    screenshot(&c, &display, "sync-offline").await;

    // The server comes back; the app sends the visit (and its note), the call, the lead
    // and the rest exactly once.
    eprintln!("step: The server comes back; the app sends what was done offline exactly once.");
    server.restart().await;
    click(&c, "#sync-now").await;
    eventually(60, "nothing left waiting", || async {
        text(&c, "#pending-count").await.trim() == "0"
    })
    .await;
    assert_eq!(
        activities_on_server(&server).await,
        before + 2,
        "the visit and the call that did the follow-up reached the server exactly once"
    );
    assert_eq!(
        check_outs_on_server(&server).await,
        1,
        "the check-out reached the server as the visit's length"
    );
    let lead = lead_on_server(&server, &lead_name).await;
    assert_eq!(
        lead.len(),
        1,
        "the new lead reached the server exactly once"
    );
    assert_eq!(lead[0]["stage"], "opportunity", "{:?}", lead[0]);
    assert!(
        lead[0]["opportunity_on"].is_string(),
        "the stage change is dated: {:?}",
        lead[0]
    );
    assert_eq!(lead[0]["phone"], "(720) 555-0142");
    let placed = lead_on_server(&server, PLACED_LEAD).await;
    assert_eq!(placed.len(), 1, "the placed lead reached the server once");
    assert!(
        placed[0]["lat"].is_number() && placed[0]["lon"].is_number(),
        "it has the place tapped on the map: {:?}",
        placed[0]
    );
    assert_eq!(
        lost_on_server(&server).await,
        vec![(lost_account.clone(), LOST_BECAUSE.to_owned())],
        "the move to lost reached the server once, with its reason"
    );
    assert_eq!(
        follow_ups_on_server(&server).await,
        vec![(NEXT_STEP.to_owned(), true)],
        "the next step reached the server once, done by the call"
    );
    assert_eq!(
        server
            .count("SELECT count(*) FROM pin_moves", Vec::new())
            .await,
        1,
        "the pin placed on the map reached the server once"
    );
    // Its bytes follow its record in the same sync.
    eventually(30, "the photo's bytes reach the server", || async {
        photos_on_server(&server).await.iter().all(|p| p.2)
    })
    .await;
    let mut photos = photos_on_server(&server).await;
    photos.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        photos,
        vec![
            (String::new(), true, true, visit_photo.clone()),
            (PHOTO_CAPTION.to_owned(), false, true, shelf.clone()),
        ],
        "the visit's photo and the shelf's reached the server once each, byte for byte"
    );
    let buyer = contacts_on_server(&server, lead[0]["id"].as_str().unwrap()).await;
    assert_eq!(buyer.len(), 1, "the buyer reached the server once");
    assert_eq!(buyer[0]["name"], "Noor Haddad");
    assert_eq!(
        buyer[0]["primary"], true,
        "the first contact is the primary"
    );
    let with_hours = lead_on_server(&server, &hours_name).await;
    assert_eq!(with_hours.len(), 1);
    assert_eq!(
        (&with_hours[0]["hours"], &with_hours[0]["visit_minutes"]),
        (
            &serde_json::json!("Mo-Fr 10:00-16:00"),
            &serde_json::json!(30)
        ),
        "the hours reached the server in their written form"
    );
    assert_eq!(
        server
            .count(
                "SELECT count(*) FROM appointments WHERE at_min = 900",
                Vec::new()
            )
            .await,
        1,
        "the appointment reached the server once"
    );
    assert_eq!(
        server
            .count("SELECT count(*) FROM appointments", Vec::new())
            .await,
        1,
        "moved, not booked twice"
    );
    screenshot(&c, &display, "sync-done").await;

    // The appointments as a calendar: an address a calendar app subscribes to.
    eprintln!("step: The rep's appointments as a calendar feed, at a secret address.");
    driver::resize(&c, 390, 844).await;
    click(&c, "#calendar-make").await;
    eventually(10, "the calendar's address is shown", || async {
        all(&c, "#calendar-url").await.len() == 1
    })
    .await;
    let feed_url = wait(&c, "#calendar-url")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        feed_url.starts_with(&server.base()) && feed_url.ends_with(".ics"),
        "{feed_url}"
    );
    let ics = reqwest::get(&feed_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("\r\n ", "");
    assert!(
        ics.contains("DTSTART;TZID=America/Denver:20260318T150000"),
        "today's 15:00 appointment is in the feed: {ics}"
    );
    c.execute(
        "document.querySelector('#calendar-feed').scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "calendar-feed").await;

    // The rep's own hours and days off: a break is refused with why; a short Friday and
    // two days off are kept, and the week plans around them.
    eprintln!("step: The rep's hours by weekday and days off shape the week.");
    type_into(&c, "#week-hours", "Mo-Fr 08:00-12:00,13:00-17:00").await;
    click(&c, "#save-day").await;
    eventually(10, "a break is refused with why", || async {
        text(&c, ".day-form [role='status']")
            .await
            .contains("lunch break")
    })
    .await;
    type_into(&c, "#week-hours", "Mo-Th 08:30-17:00; Fr 08:30-13:00").await;
    type_into(&c, "#days-off", "2026-03-23 – 2026-03-24").await;
    // A 45-minute lunch: one that does not fit its times is refused with why.
    let set_time = |id: &'static str, value: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                &format!(
                    "const e = document.querySelector('#{id}'); e.value = '{value}'; e.dispatchEvent(new Event('input'));"
                ),
                vec![],
            )
            .await
            .unwrap();
        }
    };
    type_into(&c, "#lunch-minutes", "45").await;
    set_time("lunch-from", "12:00").await;
    set_time("lunch-until", "12:30").await;
    click(&c, "#save-day").await;
    eventually(10, "a lunch longer than its times is refused", || async {
        text(&c, ".day-form [role='status']")
            .await
            .contains("must fit between its two times")
    })
    .await;
    set_time("lunch-until", "14:00").await;
    click(&c, "#save-day").await;
    eventually(10, "the hours are saved", || async {
        text(&c, ".day-form [role='status']")
            .await
            .starts_with("Saved")
    })
    .await;
    c.execute(
        "document.querySelector('#week-hours').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "day-hours").await;
    c.execute(
        "document.querySelector('fieldset.lunch').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "day-lunch").await;
    c.execute(
        "document.querySelector('#office-place').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        all(&c, "fieldset.office-days input[type=checkbox]:disabled")
            .await
            .len(),
        7,
        "office days wait for an office"
    );
    screenshot(&c, &display, "day-office").await;
    // A night away, added where the rep stands (the window's position is set here: the
    // test display has no location service), then saved with the form.
    c.execute(
        "navigator.geolocation.getCurrentPosition = (ok) => ok({coords: {latitude: 39.7294, longitude: -104.8319, accuracy: 15}, timestamp: Date.now()});",
        vec![],
    )
    .await
    .unwrap();
    c.execute(
        "const e = document.querySelector('#night-date'); e.value = '2026-03-19'; e.dispatchEvent(new Event('input'));",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "#night-here").await;
    eventually(10, "the night is listed", || async {
        all(&c, "li.night-away[data-night='2026-03-19']")
            .await
            .len()
            == 1
    })
    .await;
    click(&c, "#save-day").await;
    eventually(10, "saved with the night", || async {
        text(&c, ".day-form [role='status']")
            .await
            .starts_with("Saved")
    })
    .await;
    c.execute(
        "document.querySelector('#night-here').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "day-night-away").await;
    click(&c, "nav.tabs button[data-screen='week']").await;
    loaded(&c, "week").await;
    eventually(10, "the week leaves out the days off", || async {
        all(&c, "li.week-day[data-date='2026-03-23']")
            .await
            .is_empty()
            && all(&c, "li.week-day[data-date='2026-03-25']").await.len() == 1
    })
    .await;
    let friday = text(&c, "li.week-day[data-date='2026-03-20'] .week-day-head").await;
    assert!(
        friday.contains("08:30–13:00"),
        "Friday's own hours: {friday}"
    );
    for t in all(&c, "li.week-day[data-date='2026-03-20'] .week-time").await {
        let t = t.text().await.unwrap();
        assert!(
            t.as_str() < "13:00",
            "a Friday visit starts before 13:00: {t}"
        );
    }
    // Lunch: in the list of every day still at work after noon, between its visits.
    let without: Vec<String> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('li.week-day:not(.day-off)')]
                .filter(d => (d.querySelector('.week-day-head').textContent.match(/done by (\\d\\d:\\d\\d)/) || [])[1] > '12:00')
                .filter(d => !d.querySelector('li.week-lunch, .week-no-lunch'))
                .map(d => d.dataset.date);",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert!(
        without.is_empty(),
        "days at work after noon with no lunch: {without:?}"
    );
    let lunches = all(&c, "li.week-lunch .week-time").await;
    assert!(!lunches.is_empty());
    for t in lunches {
        let t = t.text().await.unwrap();
        assert!(
            ("12:00"..="13:15").contains(&t.as_str()),
            "lunch starts between 12:00 and 13:15: {t}"
        );
    }
    screenshot(&c, &display, "week-own-hours").await;
    // Today's route, with its 15:00 appointment, has its lunch between two stops.
    click(&c, "nav.tabs button[data-screen='route']").await;
    loaded(&c, "route").await;
    eventually(10, "today's route has its lunch", || async {
        !all(&c, "li.route-lunch").await.is_empty()
    })
    .await;
    c.execute(
        "document.querySelector('li.route-lunch').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "route-lunch").await;
    click(&c, "nav.tabs button[data-screen=\"sync\"]").await;
    loaded(&c, "sync").await;

    // A photo Dana took of the same shop on her laptop reaches the app: its record with
    // the sync, its picture fetched after it, shown beside the app's own.
    eprintln!("step: A photo taken on the rep's other device arrives with the next sync.");
    let mut laptop = support::Device::sign_in(&server, DANA).await;
    laptop.sync().await.expect("the laptop's first sync");
    let shop = laptop
        .store
        .read()
        .accounts()
        .all()
        .unwrap()
        .into_iter()
        .find(|v| v.account.name == lost_account)
        .expect("the laptop holds the shop")
        .account
        .id;
    let from_laptop = support::gradient_png(240, 180);
    laptop.attach_photo(shop, from_laptop);
    laptop.sync().await.expect("the laptop sends it");
    click(&c, "#sync-now").await;
    // The visit's photo and the shelf's from the app, and the laptop's, each with its
    // picture (the page is opened afresh until the sync has fetched it).
    eventually(60, "the laptop's photo shows with its picture", || async {
        if !open_account(&c, &lost_account).await {
            return false;
        }
        loaded(&c, "account").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        all(&c, "#photos li.photo[data-state=\"uploaded\"] img")
            .await
            .len()
            == 2
            && all(&c, "#photos li.photo[data-state=\"synced\"] img")
                .await
                .len()
                == 1
            && all(&c, "#photos li.photo").await.len() == 3
            && all(&c, "#photos .photo-missing").await.is_empty()
    })
    .await;
    c.execute(
        "document.querySelector('#photos').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "account-photos-synced").await;
    click(&c, "nav.tabs button[data-screen=\"sync\"]").await;
    loaded(&c, "sync").await;

    // Changing the password goes to the server; a wrong current one is said in words.
    eprintln!("step: Changing the password: a wrong current one is refused in words.");
    click(&c, "#password-open").await;
    type_into(&c, "#current-password", "not my password").await;
    type_into(&c, "#new-password", "a long new secret").await;
    type_into(&c, "#again-password", "a long new secret").await;
    click(&c, "#password-save").await;
    let refused = text(&c, ".password-form .form-error").await;
    assert!(
        refused.contains("current password is wrong"),
        "said in words: {refused:?}"
    );
    c.execute(
        "document.querySelector('.password-form .form-error').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &display, "password").await;
    c.close().await.unwrap();

    // Cold start of a signed-in app to Today rendered.
    eprintln!("step: Cold start of a signed-in app to Today rendered.");
    let started = Instant::now();
    let c = driver.launch(&app).await;
    loaded(&c, "today").await;
    wait(&c, "#today .today-item").await;
    let cold = started.elapsed();
    println!("app cold start to Today rendered: {} ms", cold.as_millis());
    assert!(cold < Duration::from_secs(30));
    c.close().await.unwrap();
    drop(driver);
    drop(display);
}

/// The one app test on the real clock, against a demo seeded for the real today: whatever
/// the day, Today shows due accounts or says nothing is due and what comes next — never an
/// error, never a blank screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the app binary and a display: run with --include-ignored (scripts/test does)"]
async fn on_the_real_clock_today_shows_what_is_due_or_what_comes_next() {
    let app = app_binary();
    let _window = ONE_WINDOW.lock().await;
    let server = Server::demo_on(Utc::now().date_naive(), 20).await;
    let scratch = tempfile::tempdir().unwrap();
    let display = Display::start();
    let data_dir = scratch.path().join("app-data");
    let driver = Driver::start(
        &display,
        scratch.path(),
        &[
            ("ROUNDS_DATA_DIR", data_dir.display().to_string()),
            ("ROUNDS_LOG", "warn".into()),
        ],
    );
    let c = driver.launch(&app).await;
    driver::resize(&c, 390, 844).await;
    type_into(&c, "#server-url", &server.base()).await;
    type_into(&c, "#email", DANA).await;
    type_into(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    loaded(&c, "today").await;
    eventually(
        60,
        "Today lists due accounts or says what comes next",
        || async {
            !all(&c, "#today .today-item").await.is_empty()
                || !all(&c, "#today #nothing-due").await.is_empty()
        },
    )
    .await;
    assert!(
        all(&c, "#today .error-box").await.is_empty(),
        "Today shows no error on {}",
        Utc::now()
    );
    if let Some(empty) = all(&c, "#today #nothing-due").await.first() {
        let words = empty.text().await.unwrap();
        assert!(
            words.contains("Next:"),
            "an empty Today says what is due next: {words:?}"
        );
    }
    screenshot(&c, &display, "today-real-clock").await;
    c.close().await.unwrap();
    drop(driver);
    drop(display);
}

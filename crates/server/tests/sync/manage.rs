//! The manager's write functions behind the dashboard (move, edit, plan, import, review)
//! on both backends, checked through what devices receive on their next pull.

use chrono::{Duration, NaiveDate, Utc};
use rounds_core::{Period, Priority, Role};
use rounds_protocol::records::{AccountRecord, PlanRuleRecord};
use rounds_protocol::sync::{AccountEdit, MutationStatus, Row};
use rounds_protocol::{AccountId, ErrorCode, TerritoryId, UserId};
use rounds_server::dashboard::{reach, scope};
use rounds_server::db::Sql;
use rounds_server::fields::FieldChange;
use rounds_server::import::{self, Action};
use rounds_server::manage::{self, Reach};
use rounds_server::review::{self, ItemKind};
use rounds_server::sessions::SignedIn;
use rounds_server::{Error, org};
use uuid::Uuid;

use crate::support::*;

on_both_backends!(
    threads = 4;
    a_manager_moves_accounts_all_or_nothing_and_devices_follow,
    a_manager_edit_merges_per_field_like_a_device_edit,
    plan_targets_are_checked_and_reach_devices,
    an_import_is_checked_row_by_row_and_an_export_imports_back_unchanged,
    crm_exports_import_as_they_are,
    review_items_are_accepted_or_dismissed_and_kept,
    the_forms_refuse_a_wrong_csrf_token_and_other_teams_accounts,
    a_stale_edit_form_saves_only_what_the_manager_changed,
    a_manager_books_an_appointment_for_the_accounts_rep,
    a_reps_planned_week_reaches_their_manager_read_only,
    the_json_api_keeps_a_manager_to_their_own_team,
);

/// Every stored account, by id.
pub(crate) async fn all_accounts(server: &TestServer) -> Vec<AccountRecord> {
    server
        .db
        .read(|tx| {
            let mut out = Vec::new();
            for r in tx.query("SELECT data FROM accounts ORDER BY id", &[])? {
                out.push(r.json::<AccountRecord>(0)?);
            }
            Ok::<_, Error>(out)
        })
        .await
        .expect("accounts")
}

/// Checks `csv` as the manager `who` (see [`manager`]) and applies what it checked, as
/// the dashboard's confirm does; the check's report.
pub(crate) async fn import_as(
    server: &TestServer,
    who: &(UserId, Reach),
    csv: &str,
) -> import::ImportReport {
    let (by, reach) = (who.0, who.1.clone());
    let csv = csv.to_owned();
    let checked = server
        .db
        .read(move |tx| import::check(tx, &csv, &reach, Utc::now()))
        .await
        .expect("checked");
    let steps = checked.steps.clone();
    server
        .db
        .write(move |tx| import::apply(tx, &steps, Some(by), Utc::now()))
        .await
        .expect("applied");
    checked.report
}

/// The reasons a checked file's rows are refused.
fn row_errors(checked: &import::Checked) -> Vec<String> {
    checked
        .report
        .rows
        .iter()
        .filter_map(|r| r.error.clone())
        .collect()
}

/// The first account a checked file would create.
fn first_created(checked: &import::Checked) -> Option<&AccountRecord> {
    checked.steps.iter().find_map(|s| match s {
        import::Step::Create(a) => Some(a.as_ref()),
        _ => None,
    })
}

pub(crate) async fn manager(server: &TestServer) -> (UserId, Reach) {
    server
        .db
        .read(|tx| {
            let id: UserId = tx
                .query_one(
                    "SELECT id FROM users WHERE email = 'maria@example.com'",
                    &[],
                )?
                .parse(0)?;
            let viewer = SignedIn {
                id,
                name: "maria".into(),
                email: "maria@example.com".into(),
                role: Role::Manager,
                tz: chrono_tz::UTC,
                csrf: String::new(),
                team: None,
            };
            let team = scope::team(tx, &viewer)?;
            Ok::<_, Error>((id, reach(&team)))
        })
        .await
        .expect("manager")
}

pub(crate) async fn stored(server: &TestServer, id: AccountId) -> AccountRecord {
    server
        .db
        .read(move |tx| org::account(tx, id))
        .await
        .expect("read")
        .expect("account exists")
}

/// A territory of another manager's rep, outside Maria's reach.
pub(crate) async fn elsewhere(server: &TestServer) -> (TerritoryId, AccountId) {
    server
        .db
        .write(|tx| {
            let now = Utc::now();
            let boss = org::add_user(
                tx,
                &org::NewUser {
                    email: "other@example.com".into(),
                    name: "Other".into(),
                    role: Role::Manager,
                    password_hash: "x".into(),
                    manager: None,
                    time_zone: "UTC".into(),
                },
                now,
            )?;
            let rep = org::add_user(
                tx,
                &org::NewUser {
                    email: "zed@example.com".into(),
                    name: "Zed".into(),
                    role: Role::Rep,
                    password_hash: "x".into(),
                    manager: Some(boss),
                    time_zone: "UTC".into(),
                },
                now,
            )?;
            let t = org::create_territory(
                tx,
                TerritoryId::from_uuid(Uuid::now_v7()),
                "West",
                Some(rep),
            )?;
            let a = AccountId::from_uuid(Uuid::now_v7());
            org::create_account(tx, &account(a, "West 0", t, now), now)?;
            Ok::<_, Error>((t, a))
        })
        .await
        .expect("other team")
}

async fn a_manager_moves_accounts_all_or_nothing_and_devices_follow(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (_, west_account) = elsewhere(&server).await;
    let (_, maria) = manager(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    let x = org.north_accounts[0];
    ana.log(x, Utc::now() - Duration::hours(1), "before the move");
    ana.sync().await;
    ben.sync().await;

    // One id out of reach: nothing moves, not even the others.
    let (m, south) = (maria.clone(), org.south);
    let ids = vec![x, west_account];
    let err = server
        .db
        .write(move |tx| manage::move_accounts(tx, &m, &ids, south, Utc::now()))
        .await
        .expect_err("an account of another team cannot be moved");
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(stored(&server, x).await.territory_id, Some(org.north));

    let (m, y) = (maria.clone(), org.north_accounts[1]);
    let ids = vec![x, y, x];
    let moved = server
        .db
        .write(move |tx| manage::move_accounts(tx, &m, &ids, south, Utc::now()))
        .await
        .expect("moved");
    assert_eq!(moved, 2, "each account once");
    for id in [x, y] {
        assert_eq!(stored(&server, id).await.territory_id, Some(org.south));
        let holder = server
            .db
            .read(move |tx| {
                let seq = tx.head_seq()?;
                org::holder_at_seq(tx, id, seq)
            })
            .await
            .expect("history");
        assert_eq!(holder, Some(org.ben), "the history says Ben holds it now");
    }

    ana.sync().await;
    ben.sync().await;
    assert!(ana.account(x).is_none(), "X left Ana's device");
    assert!(ben.account(x).is_some(), "X reached Ben's device");
    assert!(
        ben.activities().iter().any(|a| a.account_id == x),
        "with Ana's history"
    );
    assert!(
        ben.rows
            .values()
            .any(|r| matches!(r, Row::Contact(c) if c.account_id == x)),
        "and its contacts"
    );
}

async fn a_manager_edit_merges_per_field_like_a_device_edit(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (maria_id, maria) = manager(&server).await;
    let x = org.north_accounts[0];
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.sync().await;

    // Offline, Ana fixes the phone; the manager then edits phone and priority.
    let early = ana.edit(x, AccountEdit::Phone(Some("(303) 555-0100".into())));
    ana.outbox.clear();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let changes = vec![
        FieldChange::Shared(AccountEdit::Phone(Some("(303) 555-0199".into()))),
        FieldChange::Priority(Priority::Low),
    ];
    let m = maria.clone();
    let out = server
        .db
        .write(move |tx| manage::edit_account(tx, &m, x, &changes, maria_id, Utc::now()))
        .await
        .expect("saved");
    assert_eq!(out.applied, ["phone", "priority"]);
    let rec = stored(&server, x).await;
    assert_eq!(rec.phone.as_deref(), Some("(303) 555-0199"));
    assert_eq!(rec.priority, Priority::Low);

    // Ana's older edit arrives: it loses to the manager's, and is kept.
    ana.outbox.push(early);
    let res = ana.push().await.expect("push");
    assert!(
        matches!(res.results[0].status, MutationStatus::Superseded { .. }),
        "the earlier device edit loses: {:?}",
        res.results[0].status
    );
    assert_eq!(
        stored(&server, x).await.phone.as_deref(),
        Some("(303) 555-0199")
    );
    let conflicts = server
        .count("SELECT COUNT(*) FROM conflicts WHERE field = 'phone'")
        .await;
    assert_eq!(conflicts, 1, "the losing value is kept as a conflict");

    // A later device edit wins over the manager's, field by field.
    ana.edit(x, AccountEdit::Phone(Some("(303) 555-0142".into())));
    ana.sync().await;
    let rec = stored(&server, x).await;
    assert_eq!(rec.phone.as_deref(), Some("(303) 555-0142"));
    assert_eq!(
        rec.priority,
        Priority::Low,
        "the other field keeps the manager's value"
    );
    let on_device = ana.account(x).expect("on Ana's device");
    assert_eq!(
        on_device.priority,
        Priority::Low,
        "devices received the edit"
    );

    // An invalid value saves nothing, and an account out of reach is refused.
    let m = maria.clone();
    let bad = vec![
        FieldChange::Shared(AccountEdit::City("Boulder".into())),
        FieldChange::Shared(AccountEdit::Email(Some("not an e-mail".into()))),
    ];
    let err = server
        .db
        .write(move |tx| manage::edit_account(tx, &m, x, &bad, maria_id, Utc::now()))
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(
        stored(&server, x).await.city,
        "Springfield",
        "nothing saved"
    );
    let (_, west) = elsewhere(&server).await;
    let m = maria.clone();
    let err = server
        .db
        .write(move |tx| {
            manage::edit_account(
                tx,
                &m,
                west,
                &[FieldChange::Revenue(1)],
                maria_id,
                Utc::now(),
            )
        })
        .await
        .expect_err("out of reach");
    assert_eq!(err.code(), ErrorCode::NotFound);
}

async fn plan_targets_are_checked_and_reach_devices(backend: Backend) {
    let server = TestServer::start(backend).await;
    seed(&server).await;
    let rule = |priority, period, visits, calls, emails| PlanRuleRecord {
        priority,
        period,
        visits,
        calls,
        emails,
        visit_minutes: None,
    };
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let too_many = vec![rule(Priority::High, Period::Week, 6, 0, 0)];
    let err = server
        .db
        .write(move |tx| manage::save_plan(tx, &too_many, day))
        .await
        .expect_err("more visits than workdays");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    for minutes in [0, 601] {
        let mut long = rule(Priority::High, Period::Month, 2, 0, 0);
        long.visit_minutes = Some(minutes);
        let err = server
            .db
            .write(move |tx| manage::save_plan(tx, &[long.clone()], day))
            .await
            .expect_err("a visit of no length, or over ten hours");
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{minutes}");
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM plans").await, 0);

    let first = vec![
        rule(Priority::High, Period::Month, 2, 2, 4),
        rule(Priority::Low, Period::Quarter, 1, 1, 1),
    ];
    server
        .db
        .write(move |tx| manage::save_plan(tx, &first, day))
        .await
        .expect("saved");
    let later = day + Duration::days(10);
    // High priority visits take 50 minutes from then on, unless an account says.
    let mut high = rule(Priority::High, Period::Month, 3, 2, 4);
    high.visit_minutes = Some(50);
    let second = vec![high];
    let plan = server
        .db
        .write(move |tx| manage::save_plan(tx, &second, later))
        .await
        .expect("saved");
    assert_eq!(
        plan.versions.len(),
        2,
        "a new version; what was owed before stays"
    );
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.pull(None).await.expect("pull");
    let synced = ana
        .rows
        .values()
        .find_map(|r| match r {
            Row::Plan(p) => Some(p.clone()),
            _ => None,
        })
        .expect("the plan reached the device");
    assert_eq!(synced, plan);
    assert_eq!(synced.versions[1].rules[0].visit_minutes, Some(50));
}

async fn an_import_is_checked_row_by_row_and_an_export_imports_back_unchanged(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (west, _) = elsewhere(&server).await;
    let (maria_id, maria) = manager(&server).await;
    let check = |csv: String, reach: Reach| {
        server
            .db
            .read(move |tx| import::check(tx, &csv, &reach, Utc::now()))
    };

    let csv = format!(
        "name,city,territory,revenue\nAcme,Denver,North,39000\nBeta,Denver,West,1\nGamma,Denver,{west},1\nDelta,Denver,,1\nEps,Denver,North,-5\n"
    );
    let checked = check(csv.clone(), maria.clone()).await.expect("checked");
    let bad: Vec<usize> = checked
        .report
        .rows
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.line)
        .collect();
    assert_eq!(
        bad,
        [3, 4, 5, 6],
        "another team's territory (by name or id), none, a negative amount: {:?}",
        checked.report
    );
    let all = check(csv, Reach::All).await.expect("checked");
    assert_eq!(all.report.invalid(), 1, "an admin may use any territory");

    // Opening hours and visit minutes as people write them; the wrong ones say why.
    let csv = "name,territory,hours,visit_minutes\nAcme,North,Mon-Fri 8:00-17:00,40\nBeta,North,Mo 25:00-26:00,\nGamma,North,,forty\n".to_owned();
    let checked = check(csv, maria.clone()).await.expect("checked");
    let errors: Vec<(usize, String)> = checked
        .report
        .rows
        .iter()
        .filter_map(|r| r.error.clone().map(|e| (r.line, e)))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.starts_with("Beta: hours:"), "{errors:?}");
    assert_eq!(errors[1].0, 4);
    assert!(
        errors[1].1.starts_with("Gamma: visit_minutes:"),
        "{errors:?}"
    );

    // Closed dates as people write them, kept on one line; the wrong ones say why.
    let csv = "name,territory,closed_on\nDelta,North,\"2026-12-31\n2026-12-24..2026-12-26\"\nEpsilon,North,some Mondays\n".to_owned();
    let checked = check(csv, maria.clone()).await.expect("checked");
    let errors: Vec<(usize, String)> = checked
        .report
        .rows
        .iter()
        .filter_map(|r| r.error.clone().map(|e| (r.line, e)))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.starts_with("Epsilon: closed_on:"), "{errors:?}");
    let delta = first_created(&checked)
        .map(|a| a.closed_on.clone())
        .expect("Delta is created");
    assert_eq!(
        delta.as_deref(),
        Some("2026-12-24 – 2026-12-26, 2026-12-31")
    );

    // Preferred hours likewise, in their written form.
    let csv =
        "name,territory,preferred_hours\nZeta,North,tu 9:00-11:00\nEta,North,mornings\n".to_owned();
    let checked = check(csv, maria.clone()).await.expect("checked");
    let errors = row_errors(&checked);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Eta: preferred_hours:"), "{errors:?}");
    let zeta = first_created(&checked)
        .map(|a| a.preferred_hours.clone())
        .expect("Zeta is created");
    assert_eq!(zeta.as_deref(), Some("Tu 09:00-11:00"));

    // A potential, in major units with separators; a negative one is refused.
    let csv =
        "name,territory,potential,potential_estimate\nTheta,North,\"1,500,000\",\nIota,North,-5,\n"
            .to_owned();
    let checked = check(csv, maria.clone()).await.expect("checked");
    let errors = row_errors(&checked);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Iota: potential"), "{errors:?}");
    let theta = first_created(&checked)
        .map(|a| (a.potential_minor, a.potential_estimate_minor))
        .expect("Theta is created");
    assert_eq!(theta, (Some(150_000_000), None));

    // An account with hours and a potential, so the export below carries them too.
    let hours = vec![
        FieldChange::Shared(AccountEdit::Hours(Some(
            "Mo-Fr 08:00-12:00,14:00-18:00".into(),
        ))),
        FieldChange::Shared(AccountEdit::VisitMinutes(Some(40))),
        FieldChange::Shared(AccountEdit::PreferredHours(Some("Tu 09:00-11:00".into()))),
        FieldChange::Potential(Some(12_000_050)),
        FieldChange::Shared(AccountEdit::PotentialEstimate(Some(9_000_000))),
    ];
    let (m, y) = (maria.clone(), org.north_accounts[1]);
    server
        .db
        .write(move |tx| manage::edit_account(tx, &m, y, &hours, maria_id, Utc::now()))
        .await
        .expect("saved");

    // Export Maria's accounts and check the file again: nothing to do.
    let team_accounts = all_accounts(&server).await;
    let (north, south) = (org.north, org.south);
    let mine: Vec<AccountRecord> = team_accounts
        .into_iter()
        .filter(|a| a.territory_id == Some(north) || a.territory_id == Some(south))
        .collect();
    let name = move |t: TerritoryId| {
        if t == north {
            "North".to_owned()
        } else {
            "South".to_owned()
        }
    };
    let bytes = import::export_accounts(&mine, &name).expect("export");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.starts_with(&import::COLUMNS.join(",")));
    assert!(
        text.contains(
            ",North,\"Mo-Fr 08:00-12:00,14:00-18:00\",40,,Tu 09:00-11:00,120000.50,90000.00"
        ),
        "hours, visit minutes, preferred hours and potential are exported: {text}"
    );
    let again = check(text.clone(), maria.clone()).await.expect("checked");
    assert_eq!(again.report.invalid(), 0, "{:?}", again.report);
    assert!(
        again
            .report
            .rows
            .iter()
            .all(|r| r.action == Some(Action::Unchanged)),
        "the export imports back unchanged: {:?}",
        again.report
    );
    assert!(again.steps.is_empty());

    // One city changed and one row moved: exactly those.
    let x = org.north_accounts[0];
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&x.to_string()) {
                let l = l.replace("Springfield", "Boulder");
                // The territory, then hours, visit minutes, closed dates, preferred
                // hours, potential and its estimate (empty here).
                format!(
                    "{},South,,,,,,",
                    l.strip_suffix(",North,,,,,,").expect("in North")
                )
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let checked = check(edited, maria.clone()).await.expect("checked");
    let row = checked
        .report
        .rows
        .iter()
        .find(|r| r.action != Some(Action::Unchanged))
        .expect("a changed row");
    assert_eq!(row.action, Some(Action::Update(vec!["city", "territory"])));
    let steps = checked.steps.clone();
    server
        .db
        .write(move |tx| import::apply(tx, &steps, Some(maria_id), Utc::now()))
        .await
        .expect("applied");
    let rec = stored(&server, x).await;
    assert_eq!(
        (rec.city.as_str(), rec.territory_id),
        ("Boulder", Some(org.south))
    );
}

/// Exports written with the real column names of Salesforce and HubSpot, and a European
/// Excel file (Windows-1252, `;`, decimal commas), import as they are: columns read by
/// their names, stages and owners translated, amounts with signs and separators.
async fn crm_exports_import_as_they_are(backend: Backend) {
    let (server, org) = start(backend).await;
    let (maria_id, maria) = manager(&server).await;
    let check = |csv: String| {
        let reach = maria.clone();
        server
            .db
            .read(move |tx| import::check(tx, &csv, &reach, Utc::now()))
    };
    let salesforce = "\"Account Name\",\"Billing Street\",\"Billing City\",\"Billing State/Province\",\"Billing Zip/Postal Code\",\"Billing Country\",\"Phone\",\"Website\",\"Industry\",\"Annual Revenue\",\"Type\",\"Account Owner\"\n\
        \"Acme Dental\",\"12 Main St\",\"Denver\",\"CO\",\"80202\",\"US\",\"(303) 555-0101\",\"https://acme.example\",\"Healthcare\",\"$1,200,000.00\",\"Customer - Direct\",\"ana@example.com\"\n\
        \"Nobody's Shop\",\"\",\"Denver\",\"CO\",\"80203\",\"US\",\"\",\"\",\"\",\"\",\"Prospect\",\"zoe@example.com\"\n";
    let checked = check(salesforce.to_owned()).await.expect("checked");
    let mapping: Vec<(&str, Option<&str>)> = checked
        .report
        .mapping
        .iter()
        .map(|(h, c)| (h.as_str(), *c))
        .collect();
    for pair in [
        ("Account Name", Some("name")),
        ("Billing Zip/Postal Code", Some("postal_code")),
        ("Annual Revenue", Some("revenue")),
        ("Type", Some("stage")),
        ("Account Owner", Some("owner")),
        ("Website", None),
    ] {
        assert!(mapping.contains(&pair), "{pair:?} in {mapping:?}");
    }
    let errors = row_errors(&checked);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Nobody's Shop: owner: \"zoe@example.com\" is no rep"),
        "{errors:?}"
    );
    let acme = first_created(&checked).cloned().expect("Acme is created");
    assert_eq!(
        (
            acme.name.as_str(),
            acme.street.as_str(),
            acme.region.as_str(),
            acme.postal_code.as_str()
        ),
        ("Acme Dental", "12 Main St", "CO", "80202")
    );
    assert_eq!(acme.revenue_minor, 120_000_000);
    assert_eq!(acme.stage, rounds_core::Stage::Customer);
    assert_eq!(acme.territory_id, Some(org.north), "Ana's territory");

    // HubSpot: an owner by name, a lifecycle stage.
    let hubspot = "Record ID,Company name,Street Address,City,State/Region,Postal Code,Country/Region,Phone Number,Lifecycle Stage,Company owner\n\
        9001,Birch Clinic,1 Elm Rd,Dallas,TX,75201,United States,214-555-0199,opportunity,Ben\n";
    let checked = check(hubspot.to_owned()).await.expect("checked");
    assert_eq!(checked.report.invalid(), 0, "{:?}", checked.report);
    let steps = checked.steps.clone();
    let import::Step::Create(birch) = &steps[0] else {
        panic!("a new account: {steps:?}")
    };
    assert_eq!(
        (birch.name.as_str(), birch.stage, birch.territory_id),
        (
            "Birch Clinic",
            rounds_core::Stage::Opportunity,
            Some(org.south)
        )
    );
    assert!(
        checked
            .report
            .mapping
            .contains(&("Record ID".to_owned(), Some("source_id"))),
        "the CRM's record id is kept"
    );

    // European Excel: Windows-1252 bytes, `;`, a decimal comma.
    let bytes = b"Account Name;Billing City;Annual Revenue;Account Owner\nCaf\xe9 M\xfcller;M\xfcnchen;1.234,50;ana@example.com\n";
    let text = rounds_server::crm::decode(bytes);
    let checked = check(text).await.expect("checked");
    assert_eq!(checked.report.invalid(), 0, "{:?}", checked.report);
    let mut steps = checked.steps.clone();
    steps.extend(
        check(hubspot.to_owned())
            .await
            .expect("checked")
            .steps
            .clone(),
    );
    server
        .db
        .write(move |tx| import::apply(tx, &steps, Some(maria_id), Utc::now()))
        .await
        .expect("applied");
    let all = all_accounts(&server).await;
    let cafe = all
        .iter()
        .find(|a| a.name == "Café Müller")
        .expect("stored with its letters");
    assert_eq!(
        (cafe.city.as_str(), cafe.revenue_minor),
        ("München", 123_450)
    );
    let birch = all
        .iter()
        .find(|a| a.name == "Birch Clinic")
        .expect("Birch imported");

    // HubSpot's next export: the same record id updates Birch instead of adding another.
    let next = hubspot.replace(",Dallas,", ",Fort Worth,");
    let checked = check(next.clone()).await.expect("checked");
    assert_eq!(
        checked.report.rows[0].action,
        Some(Action::Update(vec!["city"])),
        "{:?}",
        checked.report
    );
    let steps = checked.steps.clone();
    server
        .db
        .write(move |tx| import::apply(tx, &steps, Some(maria_id), Utc::now()))
        .await
        .expect("applied");
    assert_eq!(stored(&server, birch.id).await.city, "Fort Worth");
    // The same id twice in one file is refused; an id from another system is another record.
    let twice = format!("{next}9001,Birch Again,,,,,,,,\n");
    let checked = check(twice).await.expect("checked");
    assert!(
        checked.report.rows[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("names record \"9001\" twice")),
        "{:?}",
        checked.report
    );
    let salesforce_9001 = "Account ID,Account Name,Territory\n9001,Other Birch,North\n".to_owned();
    let checked = check(salesforce_9001).await.expect("checked");
    assert_eq!(checked.report.rows[0].action, Some(Action::Create));
}

async fn review_items_are_accepted_or_dismissed_and_kept(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (maria_id, maria) = manager(&server).await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    let mut ben = Device::sign_in(&server.base, "ben@example.com").await;
    ana.sync().await;
    ben.sync().await;
    // Ana logs a visit on Ben's account and edits it: quarantined, rejected.
    let s = org.south_accounts[0];
    let visit = ana.log(s, Utc::now() - Duration::hours(2), "wrong account");
    ana.edit(s, AccountEdit::City("Aurora".into()));
    let res = ana.push().await.expect("push");
    assert!(matches!(
        res.results[0].status,
        MutationStatus::Quarantined { .. }
    ));
    let m = maria.clone();
    let items = server
        .db
        .read(move |tx| review::open_items(tx, &m))
        .await
        .expect("items");
    let kinds: Vec<ItemKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ItemKind::Activity, ItemKind::RejectedEdit]);

    // Accept the activity: a normal one, and Ben's device receives it.
    let (m, id) = (maria.clone(), visit.id.to_string());
    server
        .db
        .write(move |tx| review::accept(tx, &m, ItemKind::Activity, &id, maria_id, Utc::now()))
        .await
        .expect("accepted");
    ben.sync().await;
    assert!(
        ben.activities().iter().any(|a| a.id == visit.id),
        "the accepted activity reached the account's rep"
    );
    let (m, id) = (maria.clone(), visit.id.to_string());
    let again = server
        .db
        .write(move |tx| review::dismiss(tx, &m, ItemKind::Activity, &id, maria_id, Utc::now()))
        .await
        .expect_err("resolved once");
    assert!(matches!(
        again.code(),
        ErrorCode::NotFound | ErrorCode::Conflict
    ));

    // Dismiss the rejected edit: kept, resolved, off the list, the account unchanged.
    let edit_id = items[1].id.clone();
    let m = maria.clone();
    server
        .db
        .write(move |tx| {
            review::dismiss(
                tx,
                &m,
                ItemKind::RejectedEdit,
                &edit_id,
                maria_id,
                Utc::now(),
            )
        })
        .await
        .expect("dismissed");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM rejected_edits").await,
        1,
        "kept"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM review_resolutions WHERE resolution = 'dismissed'")
            .await,
        1
    );
    assert_eq!(stored(&server, s).await.city, "Springfield");
    let m = maria.clone();
    let left = server
        .db
        .read(move |tx| review::open_items(tx, &m))
        .await
        .expect("items");
    assert!(left.is_empty(), "nothing open: {left:?}");

    // A rejected edit, accepted, is applied as the manager's edit.
    ana.edit(s, AccountEdit::Phone(Some("(303) 555-0177".into())));
    ana.push().await.expect("push");
    let m = maria.clone();
    let items = server
        .db
        .read(move |tx| review::open_items(tx, &m))
        .await
        .expect("items");
    assert_eq!(items.len(), 1, "{items:?}");
    let (m, id) = (maria.clone(), items[0].id.clone());
    server
        .db
        .write(move |tx| review::accept(tx, &m, ItemKind::RejectedEdit, &id, maria_id, Utc::now()))
        .await
        .expect("accepted");
    assert_eq!(
        stored(&server, s).await.phone.as_deref(),
        Some("(303) 555-0177")
    );

    // Two of Ana's devices race on a field; the losing value, accepted, is applied, and
    // the value it replaces is not put before the manager again.
    let n = org.north_accounts[0];
    let mut tablet = Device::sign_in(&server.base, "ana@example.com").await;
    tablet.sync().await;
    ana.edit(n, AccountEdit::Industry(Some("Dental".into())));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    tablet.edit(n, AccountEdit::Industry(Some("Vet".into())));
    tablet.push().await.expect("push");
    ana.push().await.expect("push");
    assert_eq!(stored(&server, n).await.industry.as_deref(), Some("Vet"));
    let m = maria.clone();
    let items = server
        .db
        .read(move |tx| review::open_items(tx, &m))
        .await
        .expect("items");
    let conflict = items
        .iter()
        .find(|i| i.kind == ItemKind::Conflict)
        .expect("the late edit is a conflict");
    assert_eq!(conflict.value, "\"Dental\"");
    let (m, id) = (maria.clone(), conflict.id.clone());
    server
        .db
        .write(move |tx| review::accept(tx, &m, ItemKind::Conflict, &id, maria_id, Utc::now()))
        .await
        .expect("accepted");
    assert_eq!(stored(&server, n).await.industry.as_deref(), Some("Dental"));
    let m = maria.clone();
    let open = server
        .db
        .read(move |tx| review::open_items(tx, &m))
        .await
        .expect("items");
    assert!(open.is_empty(), "nothing left to review: {open:?}");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM conflicts").await,
        2,
        "both losing values are kept"
    );
}

/// A browser without JavaScript, signed in: keeps the session cookie, follows nothing.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn encode(fields: &[(&str, &str)]) -> String {
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

fn value_after(html: &str, marker: &str) -> String {
    let at = html.find(marker).expect("marker on the page") + marker.len();
    html[at..at + html[at..].find('"').expect("quote")].to_owned()
}

impl Session {
    async fn sign_in(base: &str, email: &str) -> Session {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let form = http
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("login");
        let login_cookie = form.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("cookie")
            .to_owned();
        let csrf = value_after(&form.text().await.expect("body"), r#"name="csrf" value=""#);
        let res = http
            .post(format!("{base}/login"))
            .header("cookie", login_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
            ]))
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), 303, "{email} signs in");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("rounds_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session")
            .to_owned();
        let mut s = Session {
            http,
            base: base.to_owned(),
            cookie,
            csrf: String::new(),
        };
        let (_, page) = s.get("/dashboard/accounts").await;
        s.csrf = value_after(&page, r#"name="csrf" value=""#);
        s
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        (res.status().as_u16(), res.text().await.expect("body"))
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> u16 {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields))
            .send()
            .await
            .expect("post")
            .status()
            .as_u16()
    }
}

async fn the_forms_refuse_a_wrong_csrf_token_and_other_teams_accounts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (_, west) = elsewhere(&server).await;
    let b = Session::sign_in(&server.base, "maria@example.com").await;
    let x = org.north_accounts[0].to_string();
    let csrf = b.csrf.clone();

    let (status, page) = b.get("/dashboard/accounts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("North 0") && !page.contains("West 0"),
        "only the team's accounts"
    );
    let res = b
        .http
        .get(format!("{}/dashboard/accounts.csv", b.base))
        .header("cookie", &b.cookie)
        .send()
        .await
        .expect("csv");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let csv = res.text().await.expect("body");
    assert!(
        csv.contains("North 0") && !csv.contains("West 0"),
        "the export too"
    );
    assert_eq!(b.get(&format!("/dashboard/accounts/{west}")).await.0, 404);
    for (path, header) in [
        (
            "/dashboard/activity.csv",
            "occurred_at_utc,local_time,rep,account,kind",
        ),
        (
            "/dashboard/compliance.csv",
            "month,group,name,done,planned,credited",
        ),
        ("/dashboard/review.csv", "kind,id,account,who,field,value"),
        (
            "/dashboard/performance.csv?table=territories",
            "territory,rep,leads,opportunities,new_accounts,conversion",
        ),
        (
            "/dashboard/performance.csv?table=ranking",
            "rank,account,territory,revenue,expenses,net_profit",
        ),
        (
            "/dashboard/performance.csv?table=kare",
            "segment,accounts,revenue,net_profit",
        ),
        (
            "/dashboard/performance.csv?table=reps",
            "rep,calls_per_week,visits_per_week",
        ),
        (
            "/dashboard/priority.csv",
            "rank,account_id,account,territory,rep,score,stage_points",
        ),
        (
            "/dashboard/balance.csv",
            "level,name,detail,accounts,potential,touches_per_month",
        ),
    ] {
        let res = b
            .http
            .get(format!("{}{path}", b.base))
            .header("cookie", &b.cookie)
            .send()
            .await
            .expect("csv");
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .starts_with("attachment"),
            "{path} downloads"
        );
        let text = res.text().await.expect("body");
        assert!(text.starts_with(header), "{path}: {text}");
        assert!(!text.contains("West"), "{path} keeps to the team: {text}");
    }
    let (_, funnel) = b.get("/dashboard/performance.csv?table=territories").await;
    assert!(
        funnel.contains("North") && funnel.contains("South"),
        "one row per territory of the team: {funnel}"
    );
    assert_eq!(
        b.get("/dashboard/performance.csv?table=nope").await.0,
        400,
        "an unknown table is refused"
    );

    let before = server.count("SELECT COUNT(*) FROM changelog").await;
    let forged = [("csrf", "forged")];
    for path in [
        "/dashboard/accounts/move".to_owned(),
        format!("/dashboard/accounts/{x}"),
        "/dashboard/plans".to_owned(),
        "/dashboard/import".to_owned(),
        "/dashboard/import/confirm".to_owned(),
        format!("/dashboard/review/activity/{x}/accept"),
    ] {
        assert_eq!(
            b.post(&path, &forged).await,
            403,
            "{path} without the token"
        );
    }
    let move_west = [
        ("csrf", csrf.as_str()),
        ("ids", x.as_str()),
        ("ids", &west.to_string()),
        ("to", &org.south.to_string()),
    ];
    assert_eq!(
        b.post("/dashboard/accounts/move", &move_west).await,
        400,
        "another team's account in the batch"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM changelog").await,
        before,
        "nothing changed"
    );
    let moved = b
        .post(
            "/dashboard/accounts/move",
            &[
                ("csrf", csrf.as_str()),
                ("ids", x.as_str()),
                ("to", &org.south.to_string()),
            ],
        )
        .await;
    assert_eq!(moved, 303);
    assert_eq!(
        stored(&server, org.north_accounts[0]).await.territory_id,
        Some(org.south)
    );

    // An upload past the push limit but within the import's is read and previewed.
    let mut big = String::from("name,city,territory\n");
    while big.len() < 600 * 1024 {
        big.push_str("Some Dental Practice,Denver,North\n");
    }
    let mut body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    );
    body.push_str(&big);
    body.push_str("\r\n--b0undary--\r\n");
    let res = b
        .http
        .post(format!("{}/dashboard/import", b.base))
        .header("cookie", &b.cookie)
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 200, "a 600 KB file is previewed");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("/dashboard/import/confirm")
    );
}

async fn a_stale_edit_form_saves_only_what_the_manager_changed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let x = org.north_accounts[0];
    let b = Session::sign_in(&server.base, "maria@example.com").await;
    let (status, page) = b.get(&format!("/dashboard/accounts/{x}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"name="base""#),
        "the form carries what it showed"
    );
    let shown = stored(&server, x).await;

    // While the form is open, Ana's device changes the phone.
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.sync().await;
    ana.edit(x, AccountEdit::Phone(Some("(303) 555-0142".into())));
    ana.sync().await;

    let base = serde_json::to_string(&shown).expect("json");
    let revenue = import::plain_amount(shown.revenue_minor, &shown.currency);
    let expenses = import::plain_amount(shown.expenses_minor, &shown.currency);
    let (lat, lon) = (
        shown.lat.map(|v| v.to_string()).unwrap_or_default(),
        shown.lon.map(|v| v.to_string()).unwrap_or_default(),
    );
    let form = |city: &'static str, email: &'static str, hours: &'static str| {
        vec![
            ("csrf", b.csrf.clone()),
            ("base", base.clone()),
            ("name", shown.name.clone()),
            ("street", shown.street.clone()),
            ("city", city.to_owned()),
            ("region", shown.region.clone()),
            ("postal_code", shown.postal_code.clone()),
            ("country", shown.country.clone()),
            ("phone", shown.phone.clone().unwrap_or_default()),
            ("email", email.to_owned()),
            ("industry", String::new()),
            ("stage", "lead".to_owned()),
            ("kare", String::new()),
            ("priority", "high".to_owned()),
            ("revenue", revenue.clone()),
            ("expenses", expenses.clone()),
            ("lat", lat.clone()),
            ("lon", lon.clone()),
            ("hours", hours.to_owned()),
            ("visit_minutes", String::new()),
            ("closed_on", String::new()),
            ("preferred_hours", String::new()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = encode(&pairs);
        let req = b
            .http
            .post(format!("{}/dashboard/accounts/{x}", b.base))
            .header("cookie", &b.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move { req.send().await.expect("post") }
    };

    let res = post(form("Boulder", "nope", "")).await;
    assert_eq!(res.status(), 422, "an invalid e-mail");
    let page = res.text().await.expect("body");
    assert!(page.contains("field-error") && page.contains("Nothing was saved"));
    assert_eq!(
        stored(&server, x).await.city,
        "Springfield",
        "nothing saved"
    );

    let res = post(form("Boulder", "", "")).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        location.ends_with("saved=city"),
        "only the city: {location}"
    );
    let rec = stored(&server, x).await;
    assert_eq!(rec.city, "Boulder");
    assert_eq!(
        rec.phone.as_deref(),
        Some("(303) 555-0142"),
        "the device's newer phone is not overwritten by the stale form"
    );
    ana.sync().await;
    assert_eq!(ana.account(x).expect("on the device").city, "Boulder");

    // Opening hours: refused with an example when they are not hours, saved in their
    // written form when they are.
    let res = post(form("Boulder", "", "Mo-Fr 9 to 5")).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("body");
    assert!(
        page.contains("For example: Mo-Fr"),
        "says how to write them"
    );
    let res = post(form("Boulder", "", "Mon-Fri 9:00-17:00")).await;
    assert_eq!(res.status(), 303);
    let rec = stored(&server, x).await;
    assert_eq!(rec.hours.as_deref(), Some("Mo-Fr 09:00-17:00"));

    // Closed dates likewise.
    let closed = |dates: &str| {
        let mut f = form("Boulder", "", "Mon-Fri 9:00-17:00");
        f.retain(|(k, _)| *k != "closed_on");
        f.push(("closed_on", dates.to_owned()));
        f
    };
    let res = post(closed("Christmas")).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("body");
    assert!(
        page.contains("For example: 2026-12-24"),
        "says how to write them"
    );
    let res = post(closed("2026-12-25\n2026-12-24")).await;
    assert_eq!(res.status(), 303);
    let rec = stored(&server, x).await;
    assert_eq!(rec.closed_on.as_deref(), Some("2026-12-24 – 2026-12-25"));
    ana.sync().await;
    assert_eq!(
        ana.account(x).expect("on the device").closed_on.as_deref(),
        Some("2026-12-24 – 2026-12-25")
    );

    // And preferred hours: the closed dates above stay as they are.
    let preferred = |hours: &str| {
        let mut f = closed("2026-12-24 – 2026-12-25");
        f.retain(|(k, _)| *k != "preferred_hours");
        f.push(("preferred_hours", hours.to_owned()));
        f
    };
    let res = post(preferred("mornings")).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("body");
    assert!(
        page.contains("For example: Tu,Th 09:00-11:00"),
        "says how to write them"
    );
    let res = post(preferred("Tu 9:00-11:00")).await;
    assert_eq!(res.status(), 303);
    let rec = stored(&server, x).await;
    assert_eq!(rec.preferred_hours.as_deref(), Some("Tu 09:00-11:00"));
    ana.sync().await;
    assert_eq!(
        ana.account(x)
            .expect("on the device")
            .preferred_hours
            .as_deref(),
        Some("Tu 09:00-11:00")
    );

    // Potential: the rep's estimate comes from the device and is shown beside the
    // manager's figure, which the form sets; the stale form leaves the estimate alone.
    ana.edit(x, AccountEdit::PotentialEstimate(Some(9_000_000)));
    ana.sync().await;
    let (_, page) = b.get(&format!("/dashboard/accounts/{x}")).await;
    let estimate = page
        .split(r#"id="potential-estimate""#)
        .nth(1)
        .and_then(|p| p.split("</div>").next())
        .expect("the rep's estimate");
    assert!(
        estimate.contains("USD 90,000.00") && estimate.contains("planning uses it"),
        "{estimate}"
    );
    let potential = |amount: &str| {
        let mut f = preferred("Tu 9:00-11:00");
        f.push(("potential", amount.to_owned()));
        f
    };
    let res = post(potential("-1")).await;
    assert_eq!(res.status(), 422, "a negative potential");
    let page = res.text().await.expect("body");
    assert!(page.contains("potential-error"), "marked on the field");
    assert_eq!(
        stored(&server, x).await.potential_minor,
        None,
        "nothing saved"
    );
    let res = post(potential("150,000")).await;
    assert_eq!(res.status(), 303);
    let rec = stored(&server, x).await;
    assert_eq!(
        (rec.potential_minor, rec.potential_estimate_minor),
        (Some(15_000_000), Some(9_000_000))
    );
    ana.sync().await;
    let held = ana.account(x).expect("on the device");
    assert_eq!(
        (held.potential_minor, held.potential_estimate_minor),
        (Some(15_000_000), Some(9_000_000))
    );
}

async fn a_manager_books_an_appointment_for_the_accounts_rep(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let x = org.north_accounts[0];
    let b = Session::sign_in(&server.base, "maria@example.com").await;
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.sync().await;
    let day = (Utc::now().date_naive() + Duration::days(3)).to_string();
    let path = format!("/dashboard/accounts/{x}/appointments");
    let book = |at: &'static str, minutes: &'static str, csrf: String| {
        let day = day.clone();
        vec![
            ("csrf", csrf),
            ("on", day),
            ("at", at.to_owned()),
            ("minutes", minutes.to_owned()),
            ("note", "Spring order".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, String)> = fields;
        let path = path.clone();
        let b = &b;
        async move {
            let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post(&path, &p).await
        }
    };
    // Without the form's token, past midnight, or of no length: refused, nothing booked.
    assert_eq!(post(book("10:30", "45", "forged".into())).await, 403);
    assert_eq!(post(book("23:30", "45", b.csrf.clone())).await, 400);
    assert_eq!(post(book("10:30", "0", b.csrf.clone())).await, 400);
    assert_eq!(server.count("SELECT COUNT(*) FROM appointments").await, 0);
    // Another team's account: as if it did not exist.
    let (_, west) = elsewhere(&server).await;
    let p: Vec<(&str, String)> = book("10:30", "45", b.csrf.clone());
    let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post(&format!("/dashboard/accounts/{west}/appointments"), &pairs)
            .await,
        404
    );

    assert_eq!(post(book("10:30", "45", b.csrf.clone())).await, 303);
    let (_, page) = b.get(&format!("/dashboard/accounts/{x}")).await;
    assert!(
        page.contains("10:30–11:15") && page.contains("Spring order"),
        "listed on the page"
    );
    // For the rep who holds the account, on her devices with the next pull.
    ana.pull(None).await.expect("pull");
    let on_device: Vec<_> = ana
        .rows
        .values()
        .filter_map(|r| match r {
            Row::Appointment(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(on_device.len(), 1);
    assert_eq!(on_device[0].rep_id, org.ana);
    assert_eq!((on_device[0].at_min, on_device[0].minutes), (630, 45));

    // Cancelled from the page: kept and marked, and her devices learn it.
    let id = on_device[0].id;
    let cancel = |account: String, appointment: String, csrf: String| {
        let b = &b;
        async move {
            b.post(
                &format!("/dashboard/accounts/{account}/appointments/{appointment}/cancel"),
                &[("csrf", csrf.as_str())],
            )
            .await
        }
    };
    let (xs, ids) = (x.to_string(), id.to_string());
    assert_eq!(cancel(xs.clone(), ids.clone(), "forged".into()).await, 403);
    assert_eq!(
        cancel(west.to_string(), ids.clone(), b.csrf.clone()).await,
        404,
        "not through another team's account"
    );
    assert_eq!(
        cancel(
            org.north_accounts[1].to_string(),
            ids.clone(),
            b.csrf.clone()
        )
        .await,
        404,
        "not through another account"
    );
    assert_eq!(
        cancel(xs.clone(), Uuid::now_v7().to_string(), b.csrf.clone()).await,
        404
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM appointments WHERE cancelled_at IS NULL")
            .await,
        1,
        "refusals cancel nothing"
    );
    assert_eq!(cancel(xs.clone(), ids.clone(), b.csrf.clone()).await, 303);
    assert_eq!(cancel(xs, ids, b.csrf.clone()).await, 303, "twice is once");
    let (_, page) = b.get(&format!("/dashboard/accounts/{x}")).await;
    assert!(
        page.contains("cancelled") && !page.contains("data-action=\"cancel\""),
        "marked, with nothing left to cancel"
    );
    ana.pull(None).await.expect("pull");
    let cancelled = ana.rows.values().find_map(|r| match r {
        Row::Appointment(a) if a.id == id => Some(a.clone()),
        _ => None,
    });
    let cancelled = cancelled.expect("still on the device");
    assert!(cancelled.cancelled_at.is_some(), "cancelled there too");
    assert_eq!(
        (cancelled.on, cancelled.at_min),
        (on_device[0].on, on_device[0].at_min),
        "nothing else changed"
    );
}

async fn a_reps_planned_week_reaches_their_manager_read_only(backend: Backend) {
    use rounds_protocol::week::{PlannedDay, PlannedMiss, PlannedVisit, PlannedWeek};
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (_, west) = elsewhere(&server).await;
    let ana = Device::sign_in(&server.base, "ana@example.com").await;
    let b = Session::sign_in(&server.base, "maria@example.com").await;
    let page = |rep: String| {
        let b = &b;
        async move {
            let (status, page) = b.get(&format!("/dashboard/weeks?rep={rep}")).await;
            assert_eq!(status, 200);
            page
        }
    };
    let now = Utc::now();
    let day = now.date_naive() + Duration::days(2);
    let (n0, n1, n2) = (
        org.north_accounts[0],
        org.north_accounts[1],
        org.north_accounts[2],
    );
    let week = move |planned_at: chrono::DateTime<Utc>, summary: &str| PlannedWeek {
        planned_at,
        summary: summary.to_owned(),
        days: vec![PlannedDay {
            date: day,
            start_min: 8 * 60 + 30,
            end_min: 17 * 60,
            visits: vec![
                PlannedVisit {
                    account_id: n0,
                    begin_min: 9 * 60,
                    minutes: 45,
                    appointment: false,
                    pinned: true,
                },
                // Moved to another team since: not named to this manager.
                PlannedVisit {
                    account_id: west,
                    begin_min: 11 * 60,
                    minutes: 30,
                    appointment: true,
                    pinned: false,
                },
            ],
            calls: vec![n1],
            emails: Vec::new(),
        }],
        not_planned: vec![PlannedMiss {
            account_id: n2,
            reason: "closed on the days left".into(),
        }],
    };
    let put = |w: PlannedWeek, token: Option<String>| {
        let ana = &ana;
        async move {
            let mut req = ana
                .http
                .put(format!("{}/sync/planned-week", ana.base))
                .json(&w);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.expect("request").status().as_u16()
        }
    };
    let token = || Some(ana.token.clone());

    assert!(
        page(org.ana.to_string())
            .await
            .contains("has not planned a week"),
        "nothing before the device sends it"
    );
    assert_eq!(
        put(week(now, "Delivers 1 of 2 owed visits"), None).await,
        401
    );
    let mut future = week(now + Duration::days(2), "from the future");
    assert_eq!(
        put(future.clone(), token()).await,
        400,
        "ahead of the clock"
    );
    future.planned_at = now;
    future.days = (0..29)
        .map(|i| PlannedDay {
            date: day + Duration::days(i),
            ..future.days[0].clone()
        })
        .collect();
    assert_eq!(put(future, token()).await, 400, "past the limits");

    assert_eq!(
        put(
            week(now - Duration::hours(1), "Delivers 1 of 2 owed visits"),
            token()
        )
        .await,
        204
    );
    let shown = page(org.ana.to_string()).await;
    for want in [
        "Delivers 1 of 2 owed visits",
        "North 0",
        "09:00–09:45",
        "Put on this day by the rep",
        "Appointment",
        "an account no longer in your team",
        "Calls: North 1",
        "North 2: closed on the days left",
    ] {
        assert!(shown.contains(want), "shows {want:?}");
    }
    assert!(
        !shown.contains("West 0"),
        "another team's account is not named"
    );

    // An older plan (a device that was offline longer) does not replace a newer one.
    assert_eq!(
        put(week(now - Duration::hours(2), "an older plan"), token()).await,
        204
    );
    let shown = page(org.ana.to_string()).await;
    assert!(shown.contains("Delivers 1 of 2") && !shown.contains("an older plan"));
    assert_eq!(
        put(week(now, "Delivers 2 of 2 owed visits"), token()).await,
        204
    );
    assert!(
        page(org.ana.to_string())
            .await
            .contains("Delivers 2 of 2 owed visits")
    );

    // Another team's rep's plan stays with their manager: asking for it shows one of
    // this manager's own reps instead.
    let zed: UserId = server
        .db
        .write(move |tx| {
            let zed: UserId = tx
                .query_one("SELECT id FROM users WHERE email = 'zed@example.com'", &[])?
                .parse("id")?;
            let mut theirs = week(now, "Zed's secret week");
            theirs.days[0].visits.truncate(0);
            rounds_server::planned_weeks::save(tx, zed, &theirs, now)?;
            Ok::<_, Error>(zed)
        })
        .await
        .expect("zed's plan");
    let shown = page(zed.to_string()).await;
    assert!(!shown.contains("Zed's secret week") && !shown.contains(">Zed<"));
}

async fn the_json_api_keeps_a_manager_to_their_own_team(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = seed(&server).await;
    let (west, west_account) = elsewhere(&server).await;
    let maria = Device::sign_in(&server.base, "maria@example.com").await;
    let x = org.north_accounts[0];
    let west_before = stored(&server, west_account).await;

    // Another team's account, or a move into another team's territory: not found, as
    // if it did not exist, and nothing moves.
    let (status, body) = maria
        .post(
            &format!("/manage/accounts/{west_account}/territory"),
            serde_json::json!({ "territory_id": org.north }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = maria
        .post(
            &format!("/manage/accounts/{x}/territory"),
            serde_json::json!({ "territory_id": west }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = maria
        .post(
            &format!("/manage/territories/{west}/rep"),
            serde_json::json!({ "rep_id": org.ana }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let zed: UserId = server
        .db
        .read(|tx| {
            tx.query_one("SELECT id FROM users WHERE email = 'zed@example.com'", &[])?
                .parse(0)
        })
        .await
        .expect("zed");
    let (status, body) = maria
        .post(
            &format!("/manage/territories/{}/rep", org.north),
            serde_json::json!({ "rep_id": zed }),
        )
        .await;
    assert_eq!(
        status, 404,
        "another manager's rep is not Maria's to assign: {body}"
    );
    assert_eq!(stored(&server, west_account).await, west_before);
    assert_eq!(stored(&server, x).await.territory_id, Some(org.north));

    // Within her team it works.
    let (status, body) = maria
        .post(
            &format!("/manage/accounts/{x}/territory"),
            serde_json::json!({ "territory_id": org.south }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(stored(&server, x).await.territory_id, Some(org.south));
}

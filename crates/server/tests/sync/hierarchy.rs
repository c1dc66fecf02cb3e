//! The organisation's hierarchy: a director sees the teams of the managers under them
//! rolled up, looks at one team at a time (every page and export narrows to it) and acts
//! within them; a manager sees their own team and cannot choose another; nobody reaches a
//! team that is not under them. On both backends.

use rounds_core::Role;
use rounds_protocol::{AccountId, TerritoryId, UserId};
use rounds_server::db::{Sql, Val};
use rounds_server::org::{self, NewUser};
use uuid::Uuid;

use crate::dashboard::{
    Browser, MANAGER, Page, attr_values, csrf_of, data_reps, demo_server,
    figures_from_recent_and_whole_history, territory_id, user_id,
};
use crate::support::*;

on_both_backends!(
    threads = 2;
    a_director_rolls_up_their_teams_and_looks_at_one_at_a_time,
    a_generated_company_rolls_up_by_region_and_team,
);

const DIRECTOR: &str = "director@demo.rounds.app";

/// A manager under `boss` (none: under nobody) with one rep, who works a new territory
/// of `accounts` accounts. Returns the manager, the rep, the territory and its accounts.
async fn team_of(
    server: &TestServer,
    boss: Option<UserId>,
    who: &'static str,
    (boss_name, rep_name): (&'static str, &'static str),
    accounts: usize,
) -> (UserId, UserId, TerritoryId, Vec<AccountId>) {
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).unwrap();
    server
        .db
        .write(move |tx| {
            let user = |name: &str, role, manager| NewUser {
                email: format!("{}@{who}.example", name.to_lowercase()),
                name: name.into(),
                role,
                password_hash: hash.clone(),
                manager,
                time_zone: "America/Chicago".into(),
            };
            let manager = org::add_user(tx, &user(boss_name, Role::Manager, boss), test_now())?;
            let rep = org::add_user(tx, &user(rep_name, Role::Rep, Some(manager)), test_now())?;
            let t = TerritoryId::from_uuid(Uuid::now_v7());
            org::create_territory(tx, t, &format!("{who} territory"), Some(rep))?;
            let mut ids = Vec::new();
            for i in 0..accounts {
                let rec = account(
                    AccountId::from_uuid(Uuid::now_v7()),
                    &format!("{who} shop {i}"),
                    t,
                    test_now(),
                );
                org::create_account(tx, &rec, test_now())?;
                ids.push(rec.id);
            }
            Ok::<_, rounds_server::Error>((manager, rep, t, ids))
        })
        .await
        .unwrap()
}

async fn territory_of(server: &TestServer, id: AccountId) -> String {
    server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT territory_id FROM accounts WHERE id = $1",
                &[Val::from(id)],
            )?
            .text(0)
        })
        .await
        .unwrap()
}

/// Moves one account through the Accounts page's form.
async fn move_one(b: &mut Browser, csrf: &str, id: AccountId, to: TerritoryId) -> Page {
    let (id, to) = (id.to_string(), to.to_string());
    b.post(
        "/dashboard/accounts/move",
        &[
            ("csrf", csrf),
            ("ids", &id),
            ("to", &to),
            ("back", "/dashboard/accounts?"),
        ],
    )
    .await
}

/// The "N accounts" a list page counts.
fn counted(body: &str) -> usize {
    let end = body.find(" account").expect("a count");
    let start = body[..end].rfind('>').unwrap() + 1;
    body[start..end].trim().parse().expect("a number")
}

async fn a_director_rolls_up_their_teams_and_looks_at_one_at_a_time(backend: Backend) {
    let server = demo_server(backend).await;
    let director = user_id(&server, DIRECTOR).await;
    let morgan = user_id(&server, MANAGER).await;
    let (quinn, _sam, quinns, quinns_accounts) =
        team_of(&server, Some(director), "quinn", ("Quinn", "Sam"), 3).await;
    // A team under nobody the director manages.
    let (outsider, _, elsewhere, _) =
        team_of(&server, None, "elsewhere", ("Oscar", "Olive"), 2).await;

    let mut manager = Browser::signed_in(&server.base, MANAGER).await;
    let managers_accounts = counted(&manager.page("/dashboard/accounts").await);
    let mut d = Browser::signed_in(&server.base, DIRECTOR).await;

    // Rolled up: both teams under the director, nothing of the other.
    let body = d.page("/dashboard/accounts").await;
    assert_eq!(
        counted(&body),
        managers_accounts + 3,
        "both teams' accounts"
    );
    let reps = data_reps(&d.page("/dashboard/performance").await);
    for name in ["Sam", "Dana Reyes"] {
        assert!(reps.iter().any(|r| r == name), "{name} in {reps:?}");
    }
    assert!(!reps.iter().any(|r| r == "Olive"), "{reps:?}");
    let compliance = d.page("/dashboard/compliance").await;
    assert!(compliance.contains("Sam") && !compliance.contains("Olive"));
    let teams = d.page("/dashboard/teams").await;
    let listed = attr_values(&teams, "data-team");
    assert_eq!(listed.len(), 3, "all teams and two teams: {listed:?}");
    assert!(listed.contains(&quinn.to_string()) && listed.contains(&morgan.to_string()));
    assert!(!listed.contains(&outsider.to_string()));

    // One team: every page and export narrows to it.
    let csrf = csrf_of(&teams);
    let chose = d
        .post(
            "/dashboard/teams",
            &[("csrf", &csrf), ("team", &quinn.to_string())],
        )
        .await;
    assert_eq!(chose.status, 303, "{}", chose.body);
    let body = d.page("/dashboard/accounts").await;
    assert!(
        body.contains("Looking at <strong>Quinn's team</strong>"),
        "{body}"
    );
    let mut shown = attr_values(&body, "data-account");
    shown.sort();
    let mut want: Vec<String> = quinns_accounts.iter().map(|a| a.to_string()).collect();
    want.sort();
    assert_eq!(shown, want, "only Quinn's team's accounts");
    let mut reps = data_reps(&d.page("/dashboard/performance").await);
    reps.dedup();
    assert_eq!(reps, vec!["Sam".to_owned()]);
    let compliance = d.page("/dashboard/compliance").await;
    assert!(compliance.contains("Sam") && !compliance.contains("Dana Reyes"));
    let (_, _, csv) = d.get_bytes("/dashboard/accounts.csv").await;
    assert_eq!(
        csv::Reader::from_reader(&csv[..]).records().count(),
        3,
        "the export narrows too"
    );

    // Not a team under the director: refused, and the choice stands.
    let refused = d
        .post(
            "/dashboard/teams",
            &[("csrf", &csrf), ("team", &outsider.to_string())],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert_eq!(counted(&d.page("/dashboard/accounts").await), 3);

    // Looking at one team, the director acts within it: nothing moves out of it.
    let denver = territory_id(&server, "Denver Metro").await;
    let narrowed = move_one(&mut d, &csrf, quinns_accounts[0], denver).await;
    assert_eq!(narrowed.status, 400, "{}", narrowed.body);

    // All teams again.
    let all = d
        .post("/dashboard/teams", &[("csrf", &csrf), ("team", "")])
        .await;
    assert_eq!(all.status, 303);
    let body = d.page("/dashboard/accounts").await;
    assert!(!body.contains("Looking at"));
    assert_eq!(counted(&body), managers_accounts + 3);

    // Across all their teams the director moves an account of Quinn's team to Dana's
    // territory; none to a territory outside their teams.
    let moved = move_one(&mut d, &csrf, quinns_accounts[0], denver).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let not_there = move_one(&mut d, &csrf, quinns_accounts[1], elsewhere).await;
    assert_eq!(not_there.status, 400, "{}", not_there.body);
    assert_eq!(
        territory_of(&server, quinns_accounts[0]).await,
        denver.to_string()
    );
    assert_eq!(
        territory_of(&server, quinns_accounts[1]).await,
        quinns.to_string()
    );

    // A manager sees their own team (with the account moved into it) and chooses none.
    assert_eq!(
        counted(&manager.page("/dashboard/accounts").await),
        managers_accounts + 1
    );
    let none = manager.get("/dashboard/teams").await;
    assert_eq!(none.status, 404);
    let csrf = csrf_of(&manager.page("/dashboard/accounts").await);
    let refused = manager
        .post(
            "/dashboard/teams",
            &[("csrf", &csrf), ("team", &quinn.to_string())],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert!(
        !manager
            .page("/dashboard/accounts")
            .await
            .contains("Looking at")
    );
}

/// The company generator's hierarchy on a small company (2 regions of 2 teams of 2 reps,
/// 6 accounts each, 400 days of history): directors, managers and reps linked as the
/// generator says, each territory in its region; a director sees their region's teams
/// rolled up and one at a time, a manager their team; and each viewer's figures from the
/// history a page reads equal those from the whole history.
async fn a_generated_company_rolls_up_by_region_and_team(backend: Backend) {
    let (mut settings, dir) = fresh_settings(backend);
    settings.clock = rounds_server::time::Clock::starting_at(test_now());
    let server = TestServer::start_with(settings, dir).await;
    let company: rounds_demo::Company = "2x2x2".parse().unwrap();
    let opts = rounds_demo::DemoOptions {
        seed: 11,
        today: test_now().date_naive(),
        accounts_per_territory: 6,
        password: PASSWORD.into(),
        worked_example: false,
        history_days: 400,
        company: Some(company),
    };
    let mut steps = Vec::new();
    let summary = rounds_demo::seed(&server.db, &server.settings, &opts, &mut |s, d, t| {
        steps.push((s.to_owned(), d, t))
    })
    .await
    .unwrap();
    assert!(
        steps.contains(&("company territories".to_owned(), 8, 8)),
        "progress is shown: {steps:?}"
    );
    // The demo's own 6 users and 3 territories, and the company's.
    assert_eq!(summary.users, 6 + 2 + 4 + 8);
    assert_eq!(summary.territories, 3 + 8);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM users u JOIN users m ON m.id = u.manager_id JOIN users d ON d.id = m.manager_id WHERE u.role = 'rep' AND m.role = 'manager' AND d.role = 'director' AND u.email LIKE 'rep%@company.rounds.app'")
            .await,
        8,
        "every company rep under a manager under a director"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM territory_regions tr JOIN regions r ON r.id = tr.region_id WHERE r.name IN ('West', 'Central')")
            .await,
        8
    );
    assert!(summary.activities > 8 * 6 * 10, "{summary:?}");

    let mut west = Browser::signed_in(&server.base, "director1@company.rounds.app").await;
    let body = west.page("/dashboard/accounts").await;
    assert!(body.contains("24 accounts"), "two teams of two reps of six");
    let teams = west.page("/dashboard/teams").await;
    assert_eq!(
        attr_values(&teams, "data-team").len(),
        3,
        "all, and two teams"
    );
    assert!(teams.contains("West Team 1 Manager") && !teams.contains("Central Team"));
    let csrf = csrf_of(&teams);
    let team2 = user_id(&server, "manager1-2@company.rounds.app").await;
    west.post(
        "/dashboard/teams",
        &[("csrf", &csrf), ("team", &team2.to_string())],
    )
    .await;
    let body = west.page("/dashboard/accounts").await;
    assert!(
        body.contains("12 accounts") && body.contains("West 2.1"),
        "one team"
    );
    assert!(!body.contains("West 1.1"));
    let mut manager = Browser::signed_in(&server.base, "manager2-1@company.rounds.app").await;
    let body = manager.page("/dashboard/accounts").await;
    assert!(body.contains("12 accounts") && body.contains("Central 1.2"));

    let figures = figures_from_recent_and_whole_history(&server).await;
    assert!(
        figures
            .iter()
            .any(|(what, _, _)| what.starts_with("director2@company.rounds.app")),
        "directors' figures are compared"
    );
    for (what, whole, recent) in figures {
        assert_eq!(recent, whole, "{what}");
    }
}

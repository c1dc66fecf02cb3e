//! Priority, balance and quotas over HTTP on both backends: the priority page ranks as
//! rounds-core does, quotas are stored, replaced and refused as the rules say (nothing
//! saved on a refusal), the pages stay within the viewer's team, and how fast they render.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rounds_core::calendar::local_date;
use rounds_core::score::{self, Touched};
use rounds_core::{Account, Activity, Period, Role, Tz};
use rounds_protocol::records::{AccountRecord, ActivityRecord};
use rounds_protocol::{AccountId, TerritoryId};
use rounds_server::dashboard::quotas::QuotaPeriod;
use rounds_server::db::Sql;
use rounds_server::org;

use crate::dashboard::{Browser, MANAGER, csrf_of, demo_server, territory_id};
use crate::support::*;

on_both_backends!(
    threads = 4;
    the_priority_page_ranks_as_the_core_score_does,
    a_quota_is_split_saved_replaced_and_refused_without_saving,
    a_quota_beyond_the_potential_is_flagged,
    a_target_rolls_down_through_regions,
    balance_flags_by_the_stated_rule,
    the_new_pages_show_only_the_viewers_team,
    the_new_pages_render_quickly_with_the_demo_organisation,
);

/// Every `data-account="…"` on a page, in order.
fn data_accounts(body: &str) -> Vec<String> {
    body.match_indices("data-account=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').expect("quote")].to_owned()
        })
        .collect()
}

/// The ranking computed here from the database rows with rounds-core alone: each
/// account's touches in its rep's zone (the manager's, Chicago, when unassigned).
async fn core_ranking(server: &TestServer) -> Vec<AccountId> {
    let (accounts, activities, zones) = server
        .db
        .read(|tx| {
            let accounts: Vec<AccountRecord> = tx
                .query("SELECT data FROM accounts", &[])?
                .iter()
                .map(|r| r.json(0))
                .collect::<Result<_, _>>()?;
            let activities: Vec<ActivityRecord> = tx
                .query("SELECT data FROM activities WHERE status = 'ok'", &[])?
                .iter()
                .map(|r| r.json(0))
                .collect::<Result<_, _>>()?;
            let mut zones: HashMap<TerritoryId, String> = HashMap::new();
            for r in tx.query(
                "SELECT t.id, u.time_zone FROM territories t JOIN users u ON u.id = t.rep_id",
                &[],
            )? {
                zones.insert(r.parse(0)?, r.text(1)?);
            }
            Ok::<_, rounds_server::Error>((accounts, activities, zones))
        })
        .await
        .expect("load");
    let activities: Vec<Activity> = activities
        .iter()
        .map(|a| Activity::try_from(a).expect("activity"))
        .collect();
    let chicago: Tz = "America/Chicago".parse().expect("zone");
    let now = server.settings.clock.now();
    let mut scored: Vec<(score::PriorityScore, String, AccountId)> = accounts
        .iter()
        .map(|r| {
            let a = Account::try_from(r).expect("account");
            let tz: Tz = a
                .territory
                .and_then(|t| zones.get(&t))
                .map_or(chicago, |z| z.parse().expect("zone"));
            let today = local_date(tz, now);
            let mine = activities.iter().filter(|x| x.account_id == a.id);
            let s = score::score(&a, Touched::from_activities(mine, tz, today), today);
            (s, a.name.clone(), a.id)
        })
        .collect();
    scored.sort_by(|x, y| score::compare((&x.0, &x.1, x.2), (&y.0, &y.1, y.2)));
    scored.into_iter().map(|x| x.2).collect()
}

async fn the_priority_page_ranks_as_the_core_score_does(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let expected = core_ranking(&server).await;
    let mut shown = Vec::new();
    for page in 1..=expected.len().div_ceil(50) {
        let body = b.page(&format!("/dashboard/priority?page={page}")).await;
        shown.extend(data_accounts(&body));
    }
    let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown.len(),
        expected.len(),
        "every account once, over the pages"
    );
    assert_eq!(shown, expected, "the page ranks exactly as rounds-core");

    let body = b.page("/dashboard/priority").await;
    for words in [
        "How the score is made",
        "points at USD 100,000.00",
        "Recency",
        "Engagement",
    ] {
        assert!(body.contains(words), "the page explains itself: {words}");
    }
    let by_revenue = b.page("/dashboard/priority?sort=revenue").await;
    let points: Vec<u32> = by_revenue
        .match_indices("data-factor=\"revenue\">")
        .map(|(i, m)| {
            let rest = &by_revenue[i + m.len()..];
            rest[..rest.find('<').expect("tag")]
                .parse()
                .expect("points")
        })
        .collect();
    assert!(!points.is_empty());
    assert!(
        points.windows(2).all(|w| w[0] >= w[1]),
        "sorted by the revenue factor: {points:?}"
    );
    let dorne = territory_id(&server, "Dorne").await;
    let only = b
        .page(&format!("/dashboard/priority?territory={dorne}"))
        .await;
    assert_eq!(data_accounts(&only).len(), 18, "Dorne's 18 accounts only");
}

async fn quota_rows(server: &TestServer) -> (i64, i64, i64) {
    (
        server.count("SELECT COUNT(*) FROM quotas").await,
        server.count("SELECT COUNT(*) FROM quota_shares").await,
        server
            .count("SELECT CAST(COALESCE(SUM(share_minor), 0) AS BIGINT) FROM quota_shares")
            .await,
    )
}

/// Each territory's and rep's share beside the potential that falls in the period; a
/// share above it is flagged, one below is not.
async fn a_quota_beyond_the_potential_is_flagged(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let today = server.settings.clock.now().date_naive();
    let period = QuotaPeriod::containing(Period::Month, today);
    let key = period.key();
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    let csrf = csrf_of(&body);
    // The page's potential for Denver, independently: of its accounts not lost (all in
    // USD here), the potential set on each, else the rep's estimate, for the month's days.
    let denver = territory_id(&server, "Denver Metro").await;
    let yearly: i64 = server
        .db
        .read(move |tx| {
            let rows = tx.query("SELECT data FROM accounts", &[])?;
            Ok::<_, rounds_server::db::DbError>(
                rows.iter()
                    .map(|r| serde_json::from_str::<AccountRecord>(&r.text(0).unwrap()).unwrap())
                    .filter(|a| {
                        a.territory_id == Some(denver)
                            && a.lost_on.is_none()
                            && a.stage != rounds_core::Stage::Lost
                    })
                    .map(|a| {
                        a.potential_minor
                            .or(a.potential_estimate_minor)
                            .unwrap_or(0)
                    })
                    .sum(),
            )
        })
        .await
        .expect("accounts");
    let days = (period.range.end - period.range.start).num_days() + 1;
    let month_potential = rounds_core::potential::for_days(yearly, days);
    let shown = rounds_core::Money::new(month_potential, rounds_core::Currency::USD).to_string();
    for (target, flagged) in [("100", false), ("900000000", true)] {
        let saved = b
            .post(
                "/dashboard/quotas",
                &[
                    ("csrf", &csrf),
                    ("period", &key),
                    ("target", target),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let page = b.page(&format!("/dashboard/quotas?period={key}")).await;
        let row = page
            .split(r#"<tr data-row="Denver Metro">"#)
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .expect("Denver's row");
        assert!(
            row.contains(&shown),
            "Denver's month potential {shown} in {row}"
        );
        assert_eq!(
            row.contains("over potential"),
            flagged,
            "target {target}: {row}"
        );
    }
}

async fn a_quota_is_split_saved_replaced_and_refused_without_saving(backend: Backend) {
    let server = demo_server(backend).await;
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM schema_migrations WHERE version = 4")
            .await,
        1,
        "migration 0004 applied"
    );
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let today = server.settings.clock.now().date_naive();
    let key = QuotaPeriod::containing(Period::Quarter, today).key();
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    assert!(body.contains("No target set"));
    let csrf = csrf_of(&body);
    let denver = territory_id(&server, "Denver Metro").await.to_string();
    let atlanta = territory_id(&server, "Atlanta Metro").await.to_string();
    let denver_field = format!("share_{denver}");
    let atlanta_field = format!("share_{atlanta}");

    let forged = b
        .post(
            "/dashboard/quotas",
            &[
                ("csrf", "forged"),
                ("period", &key),
                ("target", "300000"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let bad = b
        .post(
            "/dashboard/quotas",
            &[
                ("csrf", &csrf),
                ("period", &key),
                ("target", "300,000"),
                (&denver_field, "-5"),
                (&atlanta_field, "12.345"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "refused");
    assert!(bad.body.contains("Nothing was saved"));
    assert!(
        bad.body
            .contains("Denver Metro: a share cannot be negative.")
    );
    assert!(bad.body.contains("Atlanta Metro: not an amount of money"));
    assert!(
        bad.body.contains("value=\"12.345\""),
        "what was typed comes back"
    );

    let preview = b
        .post(
            "/dashboard/quotas",
            &[
                ("csrf", &csrf),
                ("period", &key),
                ("target", "300000"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Preview"));
    assert_eq!(quota_rows(&server).await, (0, 0, 0), "nothing saved so far");

    // Saved with every share blank: split by potential, adding up to the target.
    let saved = b
        .post(
            "/dashboard/quotas",
            &[
                ("csrf", &csrf),
                ("period", &key),
                ("target", "300,000"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("/dashboard/quotas?period={key}&saved=1").as_str())
    );
    let territories = server.count("SELECT COUNT(*) FROM territories").await;
    assert_eq!(quota_rows(&server).await, (1, territories, 30_000_000));
    let body = b
        .page(&format!("/dashboard/quotas?period={key}&saved=1"))
        .await;
    assert!(body.contains("Saved: the target"));
    assert!(body.contains("won of USD 300,000.00"));

    // Shares that do not add up are refused and the saved split stays as it was.
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("period".into(), key.clone()),
        ("target".into(), "100000".into()),
        ("action".into(), "save".into()),
    ];
    let ids: Vec<String> = server
        .db
        .read(|tx| {
            tx.query("SELECT id FROM territories ORDER BY name", &[])?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("ids");
    for id in &ids {
        fields.push((format!("share_{id}"), "10000".into()));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let short = b.post("/dashboard/quotas", &pairs).await;
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains(&format!(
            "The shares add up to USD {},000.00: USD {},000.00 short of the target USD 100,000.00",
            10 * ids.len(),
            100 - 10 * ids.len()
        )),
        "says by how much: {}",
        short.body
    );
    assert_eq!(
        quota_rows(&server).await,
        (1, territories, 30_000_000),
        "unchanged"
    );

    // The last one takes the rest: saved, replacing the first split.
    let rest = 100_000 - 10_000 * (ids.len() - 1);
    let last = format!("share_{}", ids[ids.len() - 1]);
    let fixed: Vec<(&str, String)> = pairs
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == last {
                    rest.to_string()
                } else {
                    (*v).to_owned()
                },
            )
        })
        .collect();
    let fixed: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ok = b.post("/dashboard/quotas", &fixed).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        quota_rows(&server).await,
        (1, territories, 10_000_000),
        "replaced"
    );
}

async fn balance_flags_by_the_stated_rule(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let body = b.page("/dashboard/balance").await;
    assert!(body.contains("above 125 % of the mean workload"));
    assert!(body.contains("below 75 %"));
    // The demo's three metros carry 20 accounts each; the worked example's four
    // territories carry medium-priority leads: all of them planned.
    for territory in ["Denver Metro", "Dorne", "The North"] {
        let at = body
            .find(&format!("data-row=\"{territory}\""))
            .unwrap_or_else(|| panic!("{territory} has a row"));
        let row = &body[at..at + body[at..].find("</tr>").expect("row end")];
        let flag = ["under", "balanced", "over"]
            .into_iter()
            .find(|f| row.contains(&format!("data-flag=\"{f}\"")))
            .expect("a flag");
        let words = match flag {
            "under" => "Under-served",
            "over" => "Over-served",
            _ => "Balanced",
        };
        assert!(row.contains(words), "{territory}: the flag is in words too");
    }
    assert!(body.contains("<svg"), "with a chart");
}

async fn the_new_pages_show_only_the_viewers_team(backend: Backend) {
    let server = demo_server(backend).await;
    let mut mia = second_manager(&server).await;
    for path in [
        "/dashboard/priority",
        "/dashboard/balance",
        "/dashboard/quotas",
    ] {
        let body = mia.page(path).await;
        for other in ["Dana Reyes", "Marcus Hill", "Denver Metro", "Atlanta Metro"] {
            assert!(
                !body.contains(other),
                "{path} shows {other} to another manager"
            );
        }
    }
    let denver = territory_id(&server, "Denver Metro").await;
    let p = mia
        .get(&format!("/dashboard/priority?territory={denver}"))
        .await;
    assert_eq!(p.status, 404);

    // A share for another team's territory is refused.
    let body = mia.page("/dashboard/quotas").await;
    let csrf = csrf_of(&body);
    let key =
        QuotaPeriod::containing(Period::Quarter, server.settings.clock.now().date_naive()).key();
    let field = format!("share_{denver}");
    let p = mia
        .post(
            "/dashboard/quotas",
            &[
                ("csrf", &csrf),
                ("period", &key),
                ("target", "1000"),
                (&field, "1000"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("not your team's"));
    assert_eq!(server.count("SELECT COUNT(*) FROM quotas").await, 0);
}

async fn the_new_pages_render_quickly_with_the_demo_organisation(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let accounts = server.count("SELECT COUNT(*) FROM accounts").await;
    let activities = server.count("SELECT COUNT(*) FROM activities").await;
    for path in [
        "/dashboard/priority",
        "/dashboard/balance",
        "/dashboard/quotas",
    ] {
        let body = b.page(path).await; // warm
        let runs = 5;
        let start = Instant::now();
        for _ in 0..runs {
            assert_eq!(b.get(path).await.status, 200);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        eprintln!(
            "render {backend:?} {path}: {ms:.1} ms per request ({} bytes; {accounts} accounts, {activities} activities)",
            body.len()
        );
        assert!(ms < 5_000.0, "{path} renders in reasonable time");
    }
}

/// Each territory's saved share for the period, by territory id, in minor units.
async fn shares_by_territory(server: &TestServer) -> BTreeMap<String, i64> {
    server
        .db
        .read(|tx| {
            tx.query("SELECT territory_id, share_minor FROM quota_shares", &[])?
                .iter()
                .map(|r| Ok((r.text(0)?, r.int(1)?)))
                .collect::<Result<BTreeMap<_, _>, rounds_server::db::DbError>>()
        })
        .await
        .expect("shares")
}

/// A manager groups territories into regions (a name in any case is the same region);
/// a target then rolls down region → territory, every level adding up; a territory asking
/// more than its region's share is refused with nothing saved; another manager cannot put
/// a territory of this team in a region; emptied regions go away.
async fn a_target_rolls_down_through_regions(backend: Backend) {
    let server = demo_server(backend).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let today = server.settings.clock.now().date_naive();
    let key = QuotaPeriod::containing(Period::Quarter, today).key();
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    assert!(body.contains("Group territories into regions") && !body.contains("By region"));
    let csrf = csrf_of(&body);
    let denver = territory_id(&server, "Denver Metro").await.to_string();
    let dallas = territory_id(&server, "Dallas Metro").await.to_string();
    let atlanta = territory_id(&server, "Atlanta Metro").await.to_string();
    let field = |t: &str| format!("region_{t}");
    let (fd, fl, fa) = (field(&denver), field(&dallas), field(&atlanta));

    let long = "x".repeat(61);
    let refused = b
        .post(
            "/dashboard/quotas/regions",
            &[("csrf", &csrf), ("period", &key), (&fd, &long)],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("at most 60 characters"),
        "{}",
        refused.body
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM regions").await, 0);

    let grouped = b
        .post(
            "/dashboard/quotas/regions",
            &[
                ("csrf", &csrf),
                ("period", &key),
                (&fd, " West "),
                (&fl, "South"),
                (&fa, "  South "),
            ],
        )
        .await;
    assert_eq!(grouped.status, 303, "{}", grouped.body);
    assert_eq!(
        grouped.location.as_deref(),
        Some(format!("/dashboard/quotas?period={key}&regions=1").as_str())
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM regions").await, 2);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM territory_regions").await,
        3
    );
    let body = b
        .page(&format!("/dashboard/quotas?period={key}&regions=1"))
        .await;
    assert!(body.contains("Regions saved"), "{body}");
    assert!(body.contains("By region"));
    assert!(body.contains(r#"name="rshare_West""#) && body.contains(r#"name="rshare_South""#));
    // A name in another case is the same region, kept as first written.
    let again = b
        .post(
            "/dashboard/quotas/regions",
            &[
                ("csrf", &csrf),
                ("period", &key),
                (&fd, "West"),
                (&fl, "South"),
                (&fa, "SOUTH"),
            ],
        )
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(server.count("SELECT COUNT(*) FROM regions").await, 2);
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    assert!(body.contains(r#"name="rshare_South""#) && !body.contains("SOUTH"));

    // West gets 100,000 (all of it Denver's); Dallas is typed; Atlanta gets what South's
    // share leaves; every level adds up to the level above.
    let cents = |major: i64| major * 100;
    let target = cents(300_000);
    let (sd, sl) = (format!("share_{denver}"), format!("share_{dallas}"));
    let quota = |west: &str, denver_share: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf.as_str()),
            ("period", key.as_str()),
            ("target", "300,000"),
            ("rshare_West", west),
            (sd.as_str(), denver_share),
            (sl.as_str(), "50000"),
            ("action", "save"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let over = quota("100000", "120000");
    let over: Vec<(&str, &str)> = over.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = b.post("/dashboard/quotas", &over).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("In West, the shares add up to USD 120,000.00: USD 20,000.00 over West's share USD 100,000.00"),
        "{}",
        refused.body
    );
    assert_eq!(quota_rows(&server).await.0, 0, "nothing saved");

    let ok = quota("100000", "");
    let ok: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = b.post("/dashboard/quotas", &ok).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shares = shares_by_territory(&server).await;
    assert_eq!(
        shares[&denver],
        cents(100_000),
        "West's share, all Denver's"
    );
    assert_eq!(shares[&dallas], cents(50_000));
    assert_eq!(shares.values().sum::<i64>(), target);
    let south = shares[&dallas] + shares[&atlanta];
    let rest: i64 = shares
        .iter()
        .filter(|(t, _)| ![&denver, &dallas, &atlanta].contains(t))
        .map(|(_, m)| m)
        .sum();
    assert_eq!(
        south + rest,
        target - cents(100_000),
        "South and the rest share what West leaves"
    );
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    assert!(
        body.contains(r#"name="rshare_West" value="100,000.00""#),
        "the region's share is shown as the sum of its territories'"
    );

    // Another manager's territory is not theirs to group.
    let mut mia = second_manager(&server).await;
    let theirs = mia.page("/dashboard/quotas").await;
    assert!(!theirs.contains(r#"value="West""#) && !theirs.contains(&fd));
    let mia_csrf = csrf_of(&theirs);
    let denied = mia
        .post(
            "/dashboard/quotas/regions",
            &[("csrf", &mia_csrf), ("period", &key), (&fd, "Mine")],
        )
        .await;
    assert_ne!(denied.status, 303, "{}", denied.body);
    assert!(
        denied
            .body
            .contains("no such territory among the ones you manage"),
        "{}",
        denied.body
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM regions").await, 2);

    // Every territory taken out: the regions go, and the page splits by territory again.
    let cleared = b
        .post(
            "/dashboard/quotas/regions",
            &[
                ("csrf", &csrf),
                ("period", &key),
                (&fd, ""),
                (&fl, " "),
                (&fa, ""),
            ],
        )
        .await;
    assert_eq!(cleared.status, 303, "{}", cleared.body);
    assert_eq!(server.count("SELECT COUNT(*) FROM regions").await, 0);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM territory_regions").await,
        0
    );
    let body = b.page(&format!("/dashboard/quotas?period={key}")).await;
    assert!(!body.contains("By region") && !body.contains("rshare_"));
}

/// Mia, a manager with no team, signed in.
async fn second_manager(server: &TestServer) -> Browser {
    let hash = rounds_server::auth::hash_password(PASSWORD, &server.settings).expect("hash");
    server
        .db
        .write(move |tx| {
            org::add_user(
                tx,
                &org::NewUser {
                    email: "mia@example.com".into(),
                    name: "Mia Second".into(),
                    role: Role::Manager,
                    password_hash: hash.clone(),
                    manager: None,
                    time_zone: "Europe/Berlin".into(),
                },
                test_now(),
            )
        })
        .await
        .expect("second manager");
    Browser::signed_in(&server.base, "mia@example.com").await
}

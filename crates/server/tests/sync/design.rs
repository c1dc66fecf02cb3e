//! Territory design over HTTP: a manager compares proposals for their territories and
//! publishes one; the accounts move through the manager's move path, a rep's device
//! follows, and a proposal that no longer matches the accounts is refused.

use std::collections::{BTreeMap, BTreeSet};

use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};
use rounds_server::db::Sql;
use rounds_server::manage;

use crate::dashboard::{Browser, DANA, MANAGER, demo_server, territory_id};
use crate::support::*;

on_both_backends!(
    a_published_proposal_moves_the_accounts_once_and_devices_follow,
    a_saved_scenario_is_compared_later_and_published_once,
    a_postal_code_moves_to_another_territory_after_a_preview,
    several_postal_codes_chosen_on_the_map_move_together,
);

/// A postal code of Denver's moves to Dallas: the preview lists what moves and saves
/// nothing; the move takes its accounts and the code; a stale preview is refused.
async fn a_postal_code_moves_to_another_territory_after_a_preview(backend: Backend) {
    let server = demo_server(backend).await;
    let denver = territory_id(&server, "Denver Metro").await;
    let dallas = territory_id(&server, "Dallas Metro").await;
    let all = records(&server).await;
    let code = all
        .iter()
        .find(|a| a.territory_id == Some(denver) && !a.postal_code.is_empty())
        .expect("a Denver account with a postal code")
        .postal_code
        .clone();
    let at_code: BTreeSet<AccountId> = all
        .iter()
        .filter(|a| a.postal_code == code)
        .map(|a| a.id)
        .collect();
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let path = format!("/dashboard/postal-codes/{code}?country=US");
    let page = b.page(&path).await;
    assert!(page.contains("belongs to no territory yet"), "{page}");
    for id in &at_code {
        assert!(page.contains(&format!(r#"data-account="{id}""#)));
    }

    let preview = b.page(&format!("{path}&to={dallas}")).await;
    assert!(preview.contains("postal-preview"));
    assert!(
        preview.contains(&format!("moves {} account", at_code.len())),
        "{preview}"
    );
    assert_eq!(
        territories_of(&server)
            .await
            .values()
            .filter(|t| **t == Some(dallas))
            .count(),
        20,
        "a preview saves nothing"
    );

    let fields = form_fields(&preview, &format!("/dashboard/postal-codes/{code}"));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // A new account arrives at the code after the preview: the preview no longer
    // matches, nothing moves.
    let late = format!("name,postal_code,country,territory\nLate Arrival,{code},US,Denver Metro\n");
    import_csv(&server, late).await;
    let refused = b
        .post(&format!("/dashboard/postal-codes/{code}"), &form)
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("changed since the preview"));
    assert_eq!(
        records_of(&server, "Late Arrival").await.territory_id,
        Some(denver),
        "nothing moved"
    );

    // Previewed again, it moves what the new preview listed.
    let preview = b.page(&format!("{path}&to={dallas}")).await;
    assert!(
        preview.contains(&format!("moves {} account", at_code.len() + 1)),
        "{preview}"
    );
    let fields = form_fields(&preview, &format!("/dashboard/postal-codes/{code}"));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let moved = b
        .post(&format!("/dashboard/postal-codes/{code}"), &form)
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let location = moved.location.expect("back to the page");
    assert!(
        location.ends_with(&format!("moved={}", at_code.len() + 1)),
        "{location}"
    );
    let after = territories_of(&server).await;
    for id in &at_code {
        assert_eq!(after[id], Some(dallas));
    }
    let page = b.page(&location).await;
    assert!(page.contains("It belongs to <b>Dallas Metro</b>"), "{page}");
    // And a new account imported there lands in Dallas.
    import_csv(
        &server,
        format!("name,postal_code,country\nCorner Kiosk,{code},US\n"),
    )
    .await;
    assert_eq!(
        records_of(&server, "Corner Kiosk").await.territory_id,
        Some(dallas)
    );
}

/// Imports `csv` as a manager who reaches every territory would.
async fn import_csv(server: &TestServer, csv: String) {
    server
        .db
        .write(move |tx| {
            let checked = rounds_server::import::check(tx, &csv, &manage::Reach::All, test_now())?;
            assert_eq!(checked.report.invalid(), 0, "{:?}", checked.report);
            rounds_server::import::apply(tx, &checked.steps, None, test_now())
        })
        .await
        .expect("imported");
}

/// Postal codes chosen together (as the map's selection does) move together, after a
/// preview that lists each code and what moves; too many at once are refused.
async fn several_postal_codes_chosen_on_the_map_move_together(backend: Backend) {
    let server = demo_server(backend).await;
    let denver = territory_id(&server, "Denver Metro").await;
    let dallas = territory_id(&server, "Dallas Metro").await;
    let all = records(&server).await;
    let mut codes: Vec<String> = all
        .iter()
        .filter(|a| a.territory_id == Some(denver) && !a.postal_code.is_empty())
        .map(|a| a.postal_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    codes.truncate(3);
    assert_eq!(codes.len(), 3, "Denver has accounts at three postal codes");
    let at_codes: BTreeSet<AccountId> = all
        .iter()
        .filter(|a| codes.contains(&a.postal_code))
        .map(|a| a.id)
        .collect();
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let query: String = codes.iter().map(|c| format!("&code={c}")).collect();
    let path = format!("/dashboard/postal-codes?country=US{query}");
    let page = b.page(&path).await;
    for c in &codes {
        assert!(page.contains(&format!(r#"data-code="{c}""#)), "{c} listed");
    }
    for id in &at_codes {
        assert!(page.contains(&format!(r#"data-account="{id}""#)));
    }
    let preview = b.page(&format!("{path}&to={dallas}")).await;
    assert!(
        preview.contains(&format!(
            "Moving 3 postal codes to <b>Dallas Metro</b> moves {} account",
            at_codes.len()
        )),
        "{preview}"
    );
    let fields = form_fields(&preview, "/dashboard/postal-codes");
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(form.iter().filter(|(k, _)| *k == "code").count(), 3);
    let moved = b.post("/dashboard/postal-codes", &form).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert!(
        moved
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with(&format!("moved={}", at_codes.len()))),
        "{:?}",
        moved.location
    );
    let after = territories_of(&server).await;
    for id in &at_codes {
        assert_eq!(after[id], Some(dallas));
    }
    let owners: Vec<String> = server
        .db
        .read(move |tx| {
            let rows = tx.query(
                "SELECT postal_code FROM territory_units WHERE territory_id = $1 ORDER BY postal_code",
                &[dallas.to_string().into()],
            )?;
            rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("units");
    assert_eq!(owners, codes, "each code belongs to Dallas now");

    // More codes than one move takes: refused, nothing read.
    let many: String = (0..=rounds_server::units::MAX_CODES)
        .map(|i| format!("&code={:05}", 10_000 + i))
        .collect();
    let too_many = b
        .get(&format!("/dashboard/postal-codes?country=US{many}"))
        .await;
    assert_eq!(too_many.status, 400);
    assert!(too_many.body.contains("at most"), "{}", too_many.body);
}

async fn territories_of(server: &TestServer) -> BTreeMap<AccountId, Option<TerritoryId>> {
    server
        .db
        .read(|tx| {
            let rows = tx.query("SELECT data FROM accounts", &[])?;
            rows.iter()
                .map(|r| {
                    let a: AccountRecord = serde_json::from_str(&r.text(0)?).expect("account");
                    Ok((a.id, a.territory_id))
                })
                .collect::<Result<BTreeMap<_, _>, rounds_server::db::DbError>>()
        })
        .await
        .expect("accounts")
}

/// The hidden fields of the first form posting to `action` on `page`.
fn form_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!(r#"method="post" action="{action}""#))
        .unwrap_or_else(|| panic!("a form to {action} in {page}"));
    let form = &page[start..start + page[start..].find("</form>").expect("form end")];
    form.split("<input ")
        .skip(1)
        .filter_map(|i| {
            let attr = |name: &str| {
                let at = i.find(&format!(r#"{name}=""#))? + name.len() + 2;
                Some(i[at..at + i[at..].find('"')?].replace("&amp;", "&"))
            };
            Some((attr("name")?, attr("value").unwrap_or_default()))
        })
        .collect()
}

/// Half of Dallas' accounts handed to Denver by hand, a day ago: Denver is overloaded and
/// in two pieces, Dallas light. The territories before, and the accounts handed over.
async fn hand_dallas_to_denver(
    server: &TestServer,
) -> (BTreeMap<AccountId, Option<TerritoryId>>, Vec<AccountId>) {
    let denver = territory_id(server, "Denver Metro").await;
    let dallas = territory_id(server, "Dallas Metro").await;
    let before = territories_of(server).await;
    let handed: Vec<AccountId> = before
        .iter()
        .filter(|(_, t)| **t == Some(dallas))
        .map(|(a, _)| *a)
        .take(10)
        .collect();
    let ids = handed.clone();
    server
        .db
        .write(move |tx| {
            // A day ago, so what Dana does with them since is hers.
            let yesterday = test_now() - chrono::Duration::days(1);
            manage::move_accounts(tx, &manage::Reach::All, &ids, denver, yesterday)
        })
        .await
        .expect("handed over");
    (before, handed)
}

async fn a_published_proposal_moves_the_accounts_once_and_devices_follow(backend: Backend) {
    let server = demo_server(backend).await;
    let denver = territory_id(&server, "Denver Metro").await;
    let dallas = territory_id(&server, "Dallas Metro").await;
    let atlanta = territory_id(&server, "Atlanta Metro").await;
    let (before, handed) = hand_dallas_to_denver(&server).await;
    let mut dana = Device::sign_in(&server.base, DANA).await;
    dana.sync().await;
    assert_eq!(
        dana.accounts().len(),
        30,
        "Dana holds her 20 and the 10 handed over"
    );

    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    // Scenario A with a loose tolerance: compactness decides, so the handed-over accounts
    // go back to Dallas and nothing else moves.
    let query = format!("t={denver}&t={dallas}&t={atlanta}&a_tolerance=50");
    let page = b.page(&format!("/dashboard/design?{query}")).await;
    for t in ["Denver Metro", "Dallas Metro", "Atlanta Metro"] {
        assert!(page.contains(t), "{t}");
    }
    assert!(page.contains("Proposal A") && page.contains("Proposal C"));
    // The accounts it moves are listed by name before anything is published.
    let listed = page
        .split("Proposal A moves 10 accounts")
        .nth(1)
        .and_then(|rest| rest.split("</details>").next())
        .expect("proposal A's moves listed");
    assert_eq!(
        listed.matches(": Denver Metro → Dallas Metro").count(),
        10,
        "{listed}"
    );
    let fields = form_fields(&page, "/dashboard/design/publish");
    assert!(
        fields.iter().any(|(k, v)| k == "digest" && v.len() == 16),
        "{fields:?}"
    );
    assert!(fields.iter().any(|(k, v)| k == "tolerance" && v == "50"));
    // The proposal on the map, before it is published: the handed-over accounts' pins are
    // in Dallas there, while the accounts are still in Denver.
    let link = page
        .split(r#"href="/dashboard/map?proposal=a&amp;"#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a link to proposal A on the map")
        .replace("&amp;", "&");
    let map = b
        .get(&format!("/dashboard/map.json?proposal=a&{link}"))
        .await;
    assert_eq!(map.status, 200, "{}", map.body);
    let map: serde_json::Value = serde_json::from_str(&map.body).expect("JSON");
    let labels = map["colour_by"]["territory"].as_array().expect("groups");
    for a in &handed {
        let pin = map["pins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == a.to_string())
            .expect("a pin for each handed-over account");
        let t = pin[5].as_u64().unwrap() as usize;
        assert_eq!(labels[t]["label"], "Dallas Metro", "{pin}");
    }
    assert_eq!(
        territories_of(&server).await[&handed[0]],
        Some(denver),
        "nothing published yet"
    );
    let shown = b.page(&format!("/dashboard/map?proposal=a&{link}")).await;
    assert!(shown.contains("Showing proposal A"), "{shown}");

    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Offline, Dana logs a visit at one of the handed-over accounts; it is published away
    // before she syncs.
    let visit = dana.log(
        handed[0],
        test_now() - chrono::Duration::hours(1),
        "visited before the redesign",
    );
    let published = b.post("/dashboard/design/publish", &form).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let location = published.location.expect("back to the page");
    assert!(location.starts_with("/dashboard/design?t="), "{location}");
    assert!(location.ends_with("&published=10"), "{location}");

    let after = territories_of(&server).await;
    let handed_over = before_move(&before, &handed, denver);
    let changed: BTreeSet<AccountId> = after
        .keys()
        .filter(|a| after[*a] != handed_over[*a])
        .copied()
        .collect();
    assert_eq!(
        changed,
        handed.iter().copied().collect(),
        "exactly the handed-over"
    );
    assert!(after == before, "every account back where it was");
    let summary = b.page(&location).await;
    assert!(summary.contains("Published: 10 accounts"), "{summary}");

    // Dana's device now holds exactly Denver's accounts.
    dana.sync().await;
    let held: BTreeSet<AccountId> = dana.accounts().iter().map(|a| a.id).collect();
    let denver_now: BTreeSet<AccountId> = after
        .iter()
        .filter(|(_, t)| **t == Some(denver))
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(held, denver_now);
    assert_eq!(held.len(), 20);
    // Her offline visit was kept, once, and went with its account.
    let id = visit.id.to_string();
    let kept: i64 = server
        .db
        .read(move |tx| {
            tx.query_one(
                "SELECT COUNT(*) FROM activities WHERE id = $1 AND status = 'ok'",
                rounds_server::params![id],
            )
            .and_then(|r| r.int(0))
        })
        .await
        .expect("count");
    assert_eq!(kept, 1, "the offline visit was recorded once");

    // Each postal code now belongs to the territory of its accounts, and says so.
    let codes: BTreeMap<(String, String), TerritoryId> = server
        .db
        .read(|tx| {
            tx.query(
                "SELECT country, postal_code, territory_id FROM territory_units",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok((
                    (r.text("country")?, r.text("postal_code")?),
                    r.parse("territory_id")?,
                ))
            })
            .collect::<Result<_, rounds_server::db::DbError>>()
        })
        .await
        .expect("units");
    let stored = records(&server).await;
    let placed: BTreeSet<(String, String)> = stored
        .iter()
        .filter(|a| {
            a.lat.is_some() && [Some(denver), Some(dallas), Some(atlanta)].contains(&a.territory_id)
        })
        .map(|a| {
            (
                "US".to_owned(),
                a.postal_code.replace(' ', "").to_uppercase(),
            )
        })
        .collect();
    let recorded: BTreeSet<(String, String)> = codes.keys().cloned().collect();
    assert!(recorded.is_superset(&placed), "every placed account's code");
    // The codes with no account around them went with the nearest published code, no
    // more than FILL_KM from it (by their ZIP centroids).
    let filled: Vec<(&(String, String), &TerritoryId)> =
        codes.iter().filter(|(k, _)| !placed.contains(*k)).collect();
    assert!(filled.len() > 10, "{} codes filled", filled.len());
    let at = |zip: &str| {
        let p = rounds_geocode::locate("US", zip).expect("a known ZIP");
        (p.lat, p.lon)
    };
    let km = |a: (f64, f64), b: (f64, f64)| {
        let kx = 111.32 * ((a.0 + b.0) / 2.0).to_radians().cos();
        ((a.1 - b.1) * kx).hypot((a.0 - b.0) * 110.57)
    };
    for ((_, zip), t) in &filled {
        let here = at(zip);
        let (d, nearest) = placed
            .iter()
            .map(|(_, p)| (km(here, at(p)), codes[&("US".to_owned(), p.clone())]))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("placed codes");
        assert!(
            d <= rounds_server::units::FILL_KM + 1e-9,
            "{zip} is {d} km away"
        );
        assert_eq!(
            **t, nearest,
            "{zip} went to its nearest published code's territory"
        );
    }
    for a in stored
        .iter()
        .filter(|a| a.lat.is_some() && a.territory_id == Some(denver))
    {
        assert_eq!(
            codes[&("US".to_owned(), a.postal_code.clone())],
            denver,
            "{}",
            a.name
        );
    }
    let denver_account = stored
        .iter()
        .find(|a| a.territory_id == Some(denver))
        .expect("a Denver account");
    let page = b
        .page(&format!("/dashboard/accounts/{}", denver_account.id))
        .await;
    assert!(
        page.contains(&format!(
            "In this territory by its postal code, {}.",
            denver_account.postal_code
        )),
        "{page}"
    );

    // A new account imported with no territory lands in its postal code's.
    let csv = format!(
        "name,street,city,region,postal_code,country\nNew Corner Shop,1 Elm St,Denver,CO,{},US\n",
        denver_account.postal_code
    );
    let imported = server
        .db
        .write(move |tx| {
            let checked = rounds_server::import::check(tx, &csv, &manage::Reach::All, test_now())?;
            assert!(
                checked.report.rows.iter().all(|r| r.error.is_none()),
                "{:?}",
                checked.report
            );
            rounds_server::import::apply(tx, &checked.steps, None, test_now())
        })
        .await;
    assert!(imported.is_ok(), "{imported:?}");
    let shop = records_of(&server, "New Corner Shop").await;
    assert_eq!(shop.territory_id, Some(denver));
    // So does one at a Denver code where no account was yet.
    let ((_, empty), _) = filled
        .iter()
        .find(|(_, t)| **t == denver)
        .expect("a Denver code with no account");
    let csv = format!(
        "name,street,city,region,postal_code,country\nFirst On The Block,2 Elm St,Denver,CO,{empty},US\n"
    );
    let imported = server
        .db
        .write(move |tx| {
            let checked = rounds_server::import::check(tx, &csv, &manage::Reach::All, test_now())?;
            rounds_server::import::apply(tx, &checked.steps, None, test_now())
        })
        .await;
    assert!(imported.is_ok(), "{imported:?}");
    assert_eq!(
        records_of(&server, "First On The Block").await.territory_id,
        Some(denver)
    );

    // The same form again: the accounts changed since, so nothing is published.
    let settled = territories_of(&server).await;
    let again = b.post("/dashboard/design/publish", &form).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("changed since"), "{}", again.body);
    assert!(territories_of(&server).await == settled, "nothing moved");

    // With the default ±5 %, every proposal is within two accounts' work of the mean (a
    // territory here has about 20 accounts, so one account is about 5 %).
    let page = b
        .page(&format!(
            "/dashboard/design?t={denver}&t={dallas}&t={atlanta}"
        ))
        .await;
    let spreads: Vec<f64> = page
        .split(r#"data-summary="0">±"#)
        .skip(1)
        .map(|rest| rest[..rest.find(' ').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(spreads.len(), 3, "three proposals");
    assert!(spreads.iter().all(|s| *s <= 10.0), "{spreads:?}");

    // Customers kept with their rep: in the proposal every customer stays where it is.
    let query = format!("t={denver}&t={dallas}&t={atlanta}&keep_customers=1");
    let page = b.page(&format!("/dashboard/design?{query}")).await;
    assert!(page.contains(r#"name="keep_customers" value="1" checked"#));
    let map = b
        .get(&format!("/dashboard/map.json?proposal=a&{query}"))
        .await;
    let map: serde_json::Value = serde_json::from_str(&map.body).expect("JSON");
    let labels = map["colour_by"]["territory"].as_array().expect("groups");
    let names = BTreeMap::from([
        (denver, "Denver Metro"),
        (dallas, "Dallas Metro"),
        (atlanta, "Atlanta Metro"),
    ]);
    let mut customers = 0;
    for a in records(&server).await {
        if a.stage == rounds_core::Stage::Customer
            && let Some(t) = a.territory_id.filter(|t| names.contains_key(t))
            && let Some(pin) = map["pins"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p[0] == a.id.to_string())
        {
            customers += 1;
            let shown = pin[5].as_u64().unwrap() as usize;
            assert_eq!(labels[shown]["label"], names[&t], "{} stays", a.name);
        }
    }
    assert!(customers > 0, "the demo has customers");
}

async fn records(server: &TestServer) -> Vec<AccountRecord> {
    server
        .db
        .read(|tx| {
            tx.query("SELECT data FROM accounts", &[])?
                .iter()
                .map(|r| Ok(serde_json::from_str(&r.text(0)?).expect("account")))
                .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
        })
        .await
        .expect("accounts")
}

async fn records_of(server: &TestServer, name: &str) -> AccountRecord {
    records(server)
        .await
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{name} is stored"))
}

/// Territories as they were after the hand-over (before publishing).
fn before_move(
    before: &BTreeMap<AccountId, Option<TerritoryId>>,
    handed: &[AccountId],
    denver: TerritoryId,
) -> BTreeMap<AccountId, Option<TerritoryId>> {
    let mut out = before.clone();
    for a in handed {
        out.insert(*a, Some(denver));
    }
    out
}

/// The value of a query parameter in a redirect's location.
fn param(location: &str, name: &str) -> Option<String> {
    location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
}

/// A manager saves a proposal under a name, finds it on a later visit beside the fresh
/// proposals, cannot publish it once the accounts changed under the page they saw, then
/// publishes it; nobody else sees or deletes it; deleting it removes it.
async fn a_saved_scenario_is_compared_later_and_published_once(backend: Backend) {
    let server = demo_server(backend).await;
    let denver = territory_id(&server, "Denver Metro").await;
    let dallas = territory_id(&server, "Dallas Metro").await;
    let atlanta = territory_id(&server, "Atlanta Metro").await;
    let (before, handed) = hand_dallas_to_denver(&server).await;
    let mut b = Browser::signed_in(&server.base, MANAGER).await;
    let query = format!("t={denver}&t={dallas}&t={atlanta}&a_tolerance=50");
    let page = b.page(&format!("/dashboard/design?{query}")).await;
    assert!(
        page.contains("Saved scenarios") && page.contains("None yet"),
        "{page}"
    );
    let fields = form_fields(&page, "/dashboard/design/scenarios");
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(k, _)| *k != "name")
        .collect();

    // A name is required, and a blank one saves nothing.
    let mut blank = form.clone();
    blank.push(("name", "   "));
    let refused = b.post("/dashboard/design/scenarios", &blank).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("give the scenario a name"),
        "{}",
        refused.body
    );

    form.push(("name", "  Back   to Dallas "));
    let saved = b.post("/dashboard/design/scenarios", &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let location = saved.location.expect("back to the page");
    let id = param(&location, "s").expect("the saved scenario shown");
    let page = b.page(&location).await;
    assert!(page.contains("Saved. It is kept"), "{page}");
    assert!(
        page.contains("<th class=\"num\">“Back to Dallas”</th>"),
        "{page}"
    );
    assert!(
        page.contains("“Back to Dallas” moves 10 accounts"),
        "{page}"
    );
    assert!(page.contains(&format!(r#"data-scenario="{id}""#)));
    assert!(page.contains("10 of "), "moved when saved");
    assert_eq!(
        territories_of(&server).await[&handed[0]],
        Some(denver),
        "saving moves nothing"
    );
    // Saved again under the same name, it replaces the first: one scenario.
    let again = b.post("/dashboard/design/scenarios", &form).await;
    assert_eq!(
        param(&again.location.expect("back"), "s").as_deref(),
        Some(id.as_str())
    );

    // A later visit, with no weights in the address: the list opens it beside the
    // proposals.
    let later = b.page("/dashboard/design").await;
    let open = later
        .split("href=\"/dashboard/design?")
        .find(|r| {
            r.split('"')
                .next()
                .is_some_and(|q| q.contains(&format!("s={id}")))
        })
        .and_then(|r| r.split('"').next())
        .expect("a link that compares the saved scenario")
        .replace("&amp;", "&");
    let opened = b.page(&format!("/dashboard/design?{open}")).await;
    assert!(
        opened.contains("“Back to Dallas” moves 10 accounts"),
        "{opened}"
    );
    let stale = form_fields(&opened, "/dashboard/design/publish\" data-saved=\"1");
    assert!(
        stale.iter().any(|(k, v)| k == "scenario" && *v == id),
        "{stale:?}"
    );
    // On the map, its accounts are coloured where it puts them.
    let on_map = opened
        .split(&format!(r#"href="/dashboard/map?scenario={id}&amp;"#))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a link to the saved scenario on the map")
        .replace("&amp;", "&");
    let query = format!("scenario={id}&{on_map}");
    let map_page = b.page(&format!("/dashboard/map?{query}")).await;
    assert!(
        map_page.contains("Showing the saved scenario “Back to Dallas”"),
        "{map_page}"
    );
    let map = b.get(&format!("/dashboard/map.json?{query}")).await;
    assert_eq!(map.status, 200, "{}", map.body);
    let map: serde_json::Value = serde_json::from_str(&map.body).expect("JSON");
    let labels = map["colour_by"]["territory"].as_array().expect("groups");
    let pin = map["pins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == handed[1].to_string())
        .expect("a pin for a handed-over account");
    assert_eq!(
        labels[pin[5].as_u64().unwrap() as usize]["label"],
        "Dallas Metro"
    );

    // Someone else neither sees it nor deletes it.
    let mut admin = Browser::signed_in(&server.base, "admin@demo.rounds.app").await;
    let theirs = admin.page(&format!("/dashboard/design?{open}")).await;
    assert!(!theirs.contains("Back to Dallas"), "{theirs}");
    let csrf = form_fields(&theirs, "/dashboard/design/publish")
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .expect("a token")
        .1;
    let denied = admin
        .post(
            &format!("/dashboard/design/scenarios/{id}/delete"),
            &[("csrf", csrf.as_str()), ("back", "")],
        )
        .await;
    assert_eq!(denied.status, 400, "{}", denied.body);
    assert!(
        denied.body.contains("no such saved scenario"),
        "{}",
        denied.body
    );

    // One handed-over account goes back by hand: the page the manager saw is stale, and
    // publishing it is refused with nothing moved.
    let one = vec![handed[0]];
    server
        .db
        .write(move |tx| manage::move_accounts(tx, &manage::Reach::All, &one, dallas, test_now()))
        .await
        .expect("moved by hand");
    let stale: Vec<(&str, &str)> = stale
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = b.post("/dashboard/design/publish", &stale).await;
    assert_ne!(refused.status, 303, "{}", refused.body);
    assert!(
        refused.body.contains("the accounts changed"),
        "{}",
        refused.body
    );
    assert_eq!(territories_of(&server).await[&handed[1]], Some(denver));

    // Looked at again, it moves the nine left, and publishing moves them once.
    let fresh_page = b.page(&format!("/dashboard/design?{open}")).await;
    assert!(
        fresh_page.contains("“Back to Dallas” moves 9 accounts"),
        "{fresh_page}"
    );
    let fresh = form_fields(&fresh_page, "/dashboard/design/publish\" data-saved=\"1");
    let fresh: Vec<(&str, &str)> = fresh
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let published = b.post("/dashboard/design/publish", &fresh).await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert!(
        published
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("&published=9")),
        "{:?}",
        published.location
    );
    assert!(
        territories_of(&server).await == before,
        "every account back where it was"
    );
    let mut dana = Device::sign_in(&server.base, DANA).await;
    dana.sync().await;
    assert_eq!(dana.accounts().len(), 20, "Dana holds Denver's own again");

    // Deleted, it is gone from the list and from the comparison.
    let page = b.page(&format!("/dashboard/design?{open}")).await;
    let delete = form_fields(&page, &format!("/dashboard/design/scenarios/{id}/delete"));
    let delete: Vec<(&str, &str)> = delete
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let deleted = b
        .post(&format!("/dashboard/design/scenarios/{id}/delete"), &delete)
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let gone = b.page(&deleted.location.expect("back")).await;
    assert!(
        gone.contains("The scenario was deleted") && gone.contains("None yet"),
        "{gone}"
    );
    assert!(!gone.contains("Back to Dallas"));
}

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

on_both_backends!(a_published_proposal_moves_the_accounts_once_and_devices_follow);

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
        .find(&format!(r#"action="{action}""#))
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

async fn a_published_proposal_moves_the_accounts_once_and_devices_follow(backend: Backend) {
    let server = demo_server(backend).await;
    let denver = territory_id(&server, "Denver Metro").await;
    let dallas = territory_id(&server, "Dallas Metro").await;
    let atlanta = territory_id(&server, "Atlanta Metro").await;
    // Half of Dallas' accounts were handed to Denver by hand: Denver is overloaded and in
    // two pieces, Dallas light.
    let before = territories_of(&server).await;
    let handed: Vec<AccountId> = before
        .iter()
        .filter(|(_, t)| **t == Some(dallas))
        .map(|(a, _)| *a)
        .take(10)
        .collect();
    let ids = handed.clone();
    server
        .db
        .write(move |tx| manage::move_accounts(tx, &manage::Reach::All, &ids, denver, test_now()))
        .await
        .expect("handed over");
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
    let fields = form_fields(&page, "/dashboard/design/publish");
    assert!(
        fields.iter().any(|(k, v)| k == "digest" && v.len() == 16),
        "{fields:?}"
    );
    assert!(fields.iter().any(|(k, v)| k == "tolerance" && v == "50"));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
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
    assert_eq!(after, before, "every account back where it was");
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

    // The same form again: the accounts changed since, so nothing is published.
    let again = b.post("/dashboard/design/publish", &form).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("changed since"), "{}", again.body);
    assert_eq!(territories_of(&server).await, after);

    // With the default ±5 %, every proposal shown is within it on workload.
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
    assert!(spreads.iter().all(|s| *s <= 5.0), "{spreads:?}");
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

//! Proves that no uploaded CSV file panics `import::check` (CSV reading, row validation,
//! territory lookup, diff against stored accounts), run against a fixed in-memory org.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use rounds_core::{Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};
use rounds_server::db::{Backend, DbError, Row, Sql, Val};
use rounds_server::import::{self, Reach};
use uuid::Uuid;

fn territory(n: u128) -> TerritoryId {
    TerritoryId::from_uuid(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0100 + n,
    ))
}

fn account(n: u128) -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0200 + n,
    ))
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_773_671_400, 0).expect("a valid time")
}

/// The org `check` reads: territories North, West and a second West (a shared name),
/// and two stored accounts, one in North and one in the second West.
struct Org {
    territories: Vec<Row>,
    accounts: HashMap<String, String>,
}

static ORG: LazyLock<Org> = LazyLock::new(|| {
    let territories = [(1, "North"), (2, "West"), (3, "west")]
        .into_iter()
        .map(|(n, name)| Row(vec![Val::from(territory(n)), Val::from(name)]))
        .collect();
    let stored = |n: u128, t: u128| AccountRecord {
        id: account(n),
        name: format!("Stored {n}"),
        street: "1 Main St".into(),
        city: "Denver".into(),
        region: "CO".into(),
        postal_code: "80202".into(),
        country: "US".into(),
        lat: Some(39.74),
        lon: Some(-104.99),
        stage: Stage::Lead,
        priority: Priority::Medium,
        kare: None,
        currency: "USD".into(),
        revenue_minor: 3_900_000,
        expenses_minor: 0,
        phone: Some("(312) 555-0199".into()),
        email: Some("buyer@example.com".into()),
        industry: None,
        territory_id: Some(territory(t)),
        created_at: now(),
        lead_on: Some(now().date_naive()),
        opportunity_on: None,
        won_on: None,
        lost_on: None,
    };
    let accounts = [stored(1, 1), stored(2, 3)]
        .into_iter()
        .map(|a| {
            (
                a.id.to_string(),
                serde_json::to_string(&a).expect("serialises"),
            )
        })
        .collect();
    Org {
        territories,
        accounts,
    }
});

/// Answers the two queries `check` makes; nothing is written.
struct FakeDb;

impl Sql for FakeDb {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn exec(&mut self, sql: &str, _: &[Val]) -> Result<u64, DbError> {
        panic!("check wrote: {sql}");
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        if sql.starts_with("SELECT id, name FROM territories") {
            return Ok(ORG.territories.clone());
        }
        if sql.starts_with("SELECT data FROM accounts WHERE id IN") {
            return Ok(params
                .iter()
                .filter_map(|p| match p {
                    Val::Text(id) => ORG.accounts.get(id),
                    _ => None,
                })
                .map(|data| Row(vec![Val::Text(data.clone())]))
                .collect());
        }
        panic!("unexpected query: {sql}");
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        panic!("check ran a batch: {sql}");
    }
}

fuzz_target!(|data: &[u8]| {
    // The dashboard hands `check` text; the upload is decoded lossily before it.
    let text = String::from_utf8_lossy(data);
    let team = Reach::Territories(HashSet::from([territory(1), territory(2)]));
    for reach in [Reach::All, team] {
        let _ = import::check(&mut FakeDb, &text, &reach, now());
    }
});

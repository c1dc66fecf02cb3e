//! A generated territory delivered the way the server delivers it: as pull pages.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rounds_core::{ActivityKind, Kare, Period, Priority, Stage};
use rounds_protocol::records::*;
use rounds_protocol::sync::{BucketId, Op, PullResponse, Row};
use rounds_protocol::*;
use rounds_store::Store;
use uuid::Uuid;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 18, 15, 0, 0).unwrap()
}

pub fn territory_id() -> TerritoryId {
    TerritoryId::from_uuid(Uuid::from_u128(0x7E))
}

pub fn bucket() -> BucketId {
    BucketId::territory(territory_id())
}

pub fn rep() -> RepId {
    RepId::from_uuid(Uuid::from_u128(0x4E9))
}

pub fn account_id(i: usize) -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(0xA000_0000 + i as u128))
}

const NAMES: [&str; 8] = [
    "Harbor Foods",
    "Lakeview Market",
    "Prairie Grocers",
    "Summit Deli",
    "Riverside Pantry",
    "Oak Street Cafe",
    "Northgate Pharmacy",
    "Union Hardware",
];
const PEOPLE: [&str; 6] = [
    "Ana Martins",
    "Ben Okafor",
    "Chloé Durand",
    "Dev Patel",
    "Eun-ji Park",
    "Farah Haddad",
];

pub fn account(i: usize) -> AccountRecord {
    AccountRecord {
        id: account_id(i),
        name: format!("{} #{i}", NAMES[i % NAMES.len()]),
        street: format!("{} Main St", 100 + i),
        city: ["Chicago", "Evanston", "Oak Park", "Naperville"][i % 4].into(),
        region: "IL".into(),
        postal_code: format!("60{:03}", i % 1000),
        country: "US".into(),
        lat: Some(41.6 + (i % 97) as f64 * 0.005),
        lon: Some(-88.0 + (i % 89) as f64 * 0.006),
        stage: Stage::Customer,
        priority: [Priority::High, Priority::Medium, Priority::Low][i % 3],
        kare: Some(Kare::Keep),
        currency: "USD".into(),
        revenue_minor: 3_900_000,
        expenses_minor: 1_700_000,
        phone: Some("(312) 555-0100".into()),
        email: Some(format!("buyer{i}@example.com")),
        industry: Some("Grocery".into()),
        territory_id: Some(territory_id()),
        created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
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
    }
}

pub fn contact(i: usize, j: usize) -> ContactRecord {
    ContactRecord {
        id: ContactId::from_uuid(Uuid::from_u128(0xC000_0000 + (i * 4 + j) as u128)),
        account_id: account_id(i),
        name: format!("{} {i}", PEOPLE[(i + j) % PEOPLE.len()]),
        title: Some("Buyer".into()),
        phone: None,
        email: None,
        primary: j == 0,
    }
}

pub fn activity(i: usize, k: usize) -> ActivityRecord {
    ActivityRecord {
        id: ActivityId::from_uuid(Uuid::from_u128(
            0xAC00_0000_0000 + ((i as u128) << 16) + k as u128,
        )),
        account_id: account_id(i),
        rep_id: rep(),
        contact_id: None,
        kind: [
            ActivityKind::Visit,
            ActivityKind::Call,
            ActivityKind::Email,
            ActivityKind::Note,
        ][k % 4],
        occurred_at: now() - Duration::hours((k as i64 * 37 + i as i64) % (24 * 180)),
        duration_min: Some(20),
        outcome: None,
        note: k
            .is_multiple_of(5)
            .then(|| format!("Discussed spring order {i}-{k}")),
        fix: None,
    }
}

pub fn plan() -> PlanRecord {
    PlanRecord {
        id: PlanId::from_uuid(Uuid::from_u128(0x91A)),
        name: "Standard".into(),
        versions: vec![PlanVersionRecord {
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            rules: vec![
                PlanRuleRecord {
                    priority: Priority::High,
                    period: Period::Month,
                    visits: 2,
                    calls: 2,
                    emails: 4,
                    visit_minutes: None,
                },
                PlanRuleRecord {
                    priority: Priority::Medium,
                    period: Period::Month,
                    visits: 1,
                    calls: 1,
                    emails: 2,
                    visit_minutes: None,
                },
                PlanRuleRecord {
                    priority: Priority::Low,
                    period: Period::Quarter,
                    visits: 1,
                    calls: 1,
                    emails: 1,
                    visit_minutes: None,
                },
            ],
        }],
    }
}

/// The ops of a snapshot: the territory, the plan, `accounts` accounts with `contacts`
/// contacts and `activities` activities each.
pub fn snapshot_ops(accounts: usize, contacts: usize, activities: usize) -> Vec<Op> {
    let b = bucket();
    let mut ops = vec![
        Op::ResetBucket { bucket: b.clone() },
        Op::Put {
            bucket: BucketId::org(),
            row: Row::Plan(plan()),
        },
        Op::Put {
            bucket: b.clone(),
            row: Row::Territory(TerritoryRecord {
                id: territory_id(),
                name: "Chicago North".into(),
                rep_id: Some(rep()),
            }),
        },
    ];
    for i in 0..accounts {
        ops.push(Op::Put {
            bucket: b.clone(),
            row: Row::Account(account(i)),
        });
        for j in 0..contacts {
            ops.push(Op::Put {
                bucket: b.clone(),
                row: Row::Contact(contact(i, j)),
            });
        }
        for k in 0..activities {
            ops.push(Op::Put {
                bucket: b.clone(),
                row: Row::Activity(activity(i, k)),
            });
        }
    }
    ops
}

pub fn page(ops: Vec<Op>, cursor: &str) -> PullResponse {
    PullResponse {
        epoch: "epoch-1".into(),
        cursor: cursor.into(),
        has_more: false,
        checkpoint: 1,
        server_hlc: Hlc::ZERO,
        last_applied_seq: 0,
        reset: false,
        ops,
    }
}

/// A store in a fresh temporary directory, loaded with a small territory.
pub fn loaded(dir: &tempfile::TempDir, accounts: usize) -> Store {
    let mut store = Store::open(dir.path().join("rounds.db")).unwrap();
    store
        .apply_pull(&page(snapshot_ops(accounts, 2, 6), "c1"), now())
        .unwrap();
    store
}

/// A call on account `i`, now, as the app logs one.
pub fn call(i: usize) -> rounds_store::NewActivity {
    rounds_store::NewActivity {
        account_id: account_id(i),
        rep_id: rep(),
        contact_id: None,
        kind: ActivityKind::Call,
        occurred_at: now(),
        duration_min: None,
        outcome: None,
        note: None,
        fix: None,
    }
}

//! `rounds-server import accounts.csv`: accounts from CSV, all or nothing. Every row is
//! checked first and reported; one invalid row imports nothing unless the caller asks to
//! skip invalid rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rounds_core::{Kare, Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};
use serde::Deserialize;
use uuid::Uuid;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::org;

/// The CSV columns (a header row is required; unknown columns are ignored).
#[derive(Debug, Deserialize)]
struct CsvAccount {
    name: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    kare: String,
    #[serde(default)]
    currency: String,
    /// In major units, e.g. `39000` or `39000.50`.
    #[serde(default)]
    revenue: String,
    #[serde(default)]
    expenses: String,
    phone: Option<String>,
    email: Option<String>,
    industry: Option<String>,
    /// A territory's name or id; empty leaves the account unassigned.
    #[serde(default)]
    territory: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: Vec<RowOutcome>,
    pub imported: usize,
}

fn parse_enum<T: serde::de::DeserializeOwned>(
    field: &str,
    v: &str,
) -> std::result::Result<Option<T>, String> {
    let v = v.trim().to_lowercase();
    if v.is_empty() {
        return Ok(None);
    }
    serde_json::from_value(serde_json::Value::String(v.clone()))
        .map(Some)
        .map_err(|_| format!("{field}: {v:?} is not one of the known values"))
}

fn to_record(
    row: CsvAccount,
    territories: &HashMap<String, TerritoryId>,
    now: DateTime<Utc>,
) -> std::result::Result<AccountRecord, String> {
    let currency_code = if row.currency.trim().is_empty() {
        "USD".to_owned()
    } else {
        row.currency.trim().to_uppercase()
    };
    let currency =
        rounds_core::Currency::parse(&currency_code).map_err(|e| format!("currency: {e}"))?;
    let money = |field: &str, v: &str| -> std::result::Result<i64, String> {
        if v.trim().is_empty() {
            return Ok(0);
        }
        rounds_core::Money::parse(v.trim(), currency)
            .map(|m| m.minor)
            .map_err(|e| format!("{field}: {e}"))
    };
    let territory = match row.territory.trim() {
        "" => None,
        t => Some(
            territories
                .get(&t.to_lowercase())
                .copied()
                .ok_or_else(|| format!("territory: no territory named {t:?}"))?,
        ),
    };
    let stage: Stage = parse_enum("stage", &row.stage)?.unwrap_or(Stage::Lead);
    let rec = AccountRecord {
        id: AccountId::from_uuid(Uuid::now_v7()),
        name: row.name.trim().to_owned(),
        street: row.street,
        city: row.city,
        region: row.region,
        postal_code: row.postal_code,
        country: row.country,
        lat: row.lat,
        lon: row.lon,
        stage,
        priority: parse_enum::<Priority>("priority", &row.priority)?.unwrap_or(Priority::Medium),
        kare: parse_enum::<Kare>("kare", &row.kare)?,
        currency: currency_code,
        revenue_minor: money("revenue", &row.revenue)?,
        expenses_minor: money("expenses", &row.expenses)?,
        phone: row.phone.filter(|s| !s.trim().is_empty()),
        email: row.email.filter(|s| !s.trim().is_empty()),
        industry: row.industry.filter(|s| !s.trim().is_empty()),
        territory_id: territory,
        created_at: now,
        lead_on: Some(now.date_naive()),
        opportunity_on: None,
        won_on: None,
        lost_on: None,
    };
    // The domain's own checks: name, location pair, e-mail, phone.
    rounds_core::Account::try_from(&rec).map_err(|e| e.to_string())?;
    Ok(rec)
}

pub async fn import_accounts(
    db: &Db,
    csv_text: &str,
    skip_invalid: bool,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let territories: HashMap<String, TerritoryId> = db
        .read(|tx| {
            use crate::db::Sql;
            let mut m = HashMap::new();
            for r in tx.query("SELECT id, name FROM territories", &[])? {
                let id: TerritoryId = r.parse(0)?;
                m.insert(r.text(1)?.to_lowercase(), id);
                m.insert(id.to_string(), id);
            }
            Ok::<_, Error>(m)
        })
        .await?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(csv_text.as_bytes());
    let mut report = ImportReport::default();
    let mut good = Vec::new();
    for (i, row) in reader.deserialize::<CsvAccount>().enumerate() {
        let line = i + 2;
        match row.map_err(|e| e.to_string()).and_then(|r| {
            let name = r.name.clone();
            to_record(r, &territories, now).map_err(|e| format!("{name}: {e}"))
        }) {
            Ok(rec) => {
                report.rows.push(RowOutcome {
                    line,
                    name: rec.name.clone(),
                    error: None,
                });
                good.push(rec);
            }
            Err(e) => report.rows.push(RowOutcome {
                line,
                name: String::new(),
                error: Some(e),
            }),
        }
    }
    let invalid = report.rows.iter().any(|r| r.error.is_some());
    if invalid && !skip_invalid {
        return Ok(report);
    }
    let total = good.len();
    // One transaction per 500 rows keeps progress visible; all rows were checked above.
    for (n, chunk) in good.chunks(500).enumerate() {
        let chunk = chunk.to_vec();
        db.write(move |tx| {
            for rec in &chunk {
                org::create_account(tx, rec, now)?;
            }
            Ok::<_, Error>(())
        })
        .await?;
        progress(((n + 1) * 500).min(total), total);
    }
    report.imported = total;
    Ok(report)
}

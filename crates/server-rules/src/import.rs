//! Accounts in and out as CSV, one format both ways: `rounds-server import accounts.csv`,
//! the dashboard's import (preview, then confirm) and its accounts export.
//!
//! Importing is checked first and applied second. [`check`] reads every row against the
//! database and says for each what it would do (create, update some fields, nothing) or
//! why it cannot; [`apply`] carries out a checked plan. A row with an `id` updates that
//! account, field by field as a manager's edit; a row without one creates an account. So
//! exporting and importing the file again changes nothing.
//!
//! How columns are read (guessed, chosen, saved) is in `mapping`, files kept between
//! preview and import in `uploads`, and contacts in `contacts`.
//!
//! Over 600 lines on purpose: one CSV format both ways; its columns, parsing, checking
//! and writing change together.

pub mod contacts;
mod mapping;
mod uploads;

pub use mapping::{Mapping, MappingFrom, headers_and_sample, headers_key, targets};
use mapping::{resolve, save_mapping};
pub use uploads::{Kind, Upload, choose_columns, confirm_upload, store_upload, upload};

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rounds_core::{Kare, LocationSource, Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{Db, Sql, Tx, Val, placeholders};
use crate::error::{Error, Result};
use crate::fields::{self, FieldChange};
pub use crate::manage::Reach;
use crate::{org, params, time};

/// The CSV columns, in the order the export writes them (a header row is required;
/// unknown columns are ignored; only `name` is required).
pub const COLUMNS: [&str; 26] = [
    "id",
    "name",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "lat",
    "lon",
    "location_source",
    "stage",
    "priority",
    "kare",
    "currency",
    "revenue",
    "expenses",
    "phone",
    "email",
    "industry",
    "territory",
    "hours",
    "visit_minutes",
    "closed_on",
    "preferred_hours",
    "potential",
    "potential_estimate",
];

#[derive(Debug, Default, Serialize, Deserialize)]
struct CsvAccount {
    /// Empty for a new account.
    #[serde(default)]
    id: String,
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
    /// Where `lat`/`lon` came from (`device`, `hand`, `imported`, `address`,
    /// `postal_code`); empty with coordinates: `imported`.
    #[serde(default)]
    location_source: String,
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
    /// Opening hours as written, e.g. `Mo-Fr 08:00-17:00; Sa 09:00-12:00`.
    hours: Option<String>,
    /// Minutes a visit takes; empty for the rep's usual visit.
    #[serde(default)]
    visit_minutes: String,
    /// Dates it is closed, e.g. `2026-12-24, 2026-12-28 – 2027-01-01`.
    closed_on: Option<String>,
    /// When its buyer likes visits, e.g. `Tu,Th 09:00-11:00`.
    preferred_hours: Option<String>,
    /// What it could buy in a year, in major units; empty: not known.
    #[serde(default)]
    potential: String,
    /// The rep's estimate of the same; empty: none.
    #[serde(default)]
    potential_estimate: String,
    /// Read only: the person a CRM gave the account to (e-mail or name), read as their
    /// territory when the file names none.
    #[serde(default, skip_serializing)]
    owner: String,
    /// Read only: the source system's record id (see [`crate::crm::system`]).
    #[serde(default, skip_serializing)]
    source_id: String,
}

/// Starts of a cell that a spreadsheet evaluates as a formula (or, for tab and carriage
/// return, that some strip before evaluating what follows).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn ambiguous(s: &str) -> bool {
    let mut c = s.chars();
    match c.next() {
        Some(first) if FORMULA_STARTS.contains(&first) => true,
        // A leading quote that [`unescape_cell`] would take away.
        Some('\'') => c
            .next()
            .is_some_and(|n| n == '\'' || FORMULA_STARTS.contains(&n)),
        _ => false,
    }
}

/// A text cell as every export writes it: one a spreadsheet would evaluate gets a leading
/// `'`, which spreadsheets show as plain text. A plain number (`-12.50`) is left as it is;
/// so is any other text. [`unescape_cell`] reads every value back exactly.
pub fn escape_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if ambiguous(s) && s.trim().parse::<f64>().is_err() {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// What [`escape_cell`] wrote, back to the value.
pub fn unescape_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if ambiguous(rest) || rest.starts_with('\'') => rest,
        _ => s,
    }
}

impl CsvAccount {
    fn map_text(self, f: impl Fn(&str) -> String) -> Self {
        let opt = |v: Option<String>| v.map(|v| f(&v));
        CsvAccount {
            id: f(&self.id),
            name: f(&self.name),
            street: f(&self.street),
            city: f(&self.city),
            region: f(&self.region),
            postal_code: f(&self.postal_code),
            country: f(&self.country),
            lat: self.lat,
            lon: self.lon,
            location_source: f(&self.location_source),
            stage: f(&self.stage),
            priority: f(&self.priority),
            kare: f(&self.kare),
            currency: f(&self.currency),
            revenue: f(&self.revenue),
            expenses: f(&self.expenses),
            phone: opt(self.phone),
            email: opt(self.email),
            industry: opt(self.industry),
            territory: f(&self.territory),
            hours: opt(self.hours),
            visit_minutes: f(&self.visit_minutes),
            closed_on: opt(self.closed_on),
            preferred_hours: opt(self.preferred_hours),
            potential: f(&self.potential),
            potential_estimate: f(&self.potential_estimate),
            owner: f(&self.owner),
            source_id: f(&self.source_id),
        }
    }
}

/// What a valid row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    /// The fields that change (`territory` included).
    Update(Vec<&'static str>),
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    /// Why the row cannot be imported (starting with the name, for the command line's
    /// report); `None` when it can.
    pub error: Option<String>,
    pub action: Option<Action>,
    pub placed: Placed,
}

/// What the import does about a valid row's place on the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placed {
    /// It gets its postal code's middle (it had no location, or its address changed).
    pub by_postal_code: bool,
    /// Why it will not be on the map, when it will not.
    pub unplaced: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// The known columns the file has, in [`COLUMNS`] order. An update sets only these;
    /// every other field of the account is left as it is.
    pub columns: Vec<&'static str>,
    /// Each header of the file and the column it is read as (`owner`: as the owner's
    /// territory), or `None` when it is not read.
    pub mapping: Vec<(String, Option<&'static str>)>,
    pub mapping_from: MappingFrom,
    /// Why the file cannot be imported as a whole (a column chosen twice, say); nothing
    /// is imported while there are any.
    pub problems: Vec<String>,
    pub rows: Vec<RowOutcome>,
    /// Rows applied (created or updated).
    pub imported: usize,
}

impl ImportReport {
    pub fn invalid(&self) -> usize {
        self.rows.iter().filter(|r| r.error.is_some()).count()
    }

    /// Whether it can be imported: no invalid row and no problem with the whole file.
    pub fn ready(&self) -> bool {
        self.invalid() == 0 && self.problems.is_empty()
    }

    /// How many valid rows are placed by postal code, and how many stay off the map.
    pub fn placement(&self) -> (usize, usize) {
        let valid = || self.rows.iter().filter(|r| r.error.is_none());
        (
            valid().filter(|r| r.placed.by_postal_code).count(),
            valid().filter(|r| r.placed.unplaced.is_some()).count(),
        )
    }

    /// How many valid rows create, update, and change nothing.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in &self.rows {
            match r.action {
                Some(Action::Create) => c.0 += 1,
                Some(Action::Update(_)) => c.1 += 1,
                Some(Action::Unchanged) => c.2 += 1,
                None => {}
            }
        }
        c
    }
}

/// One valid row's work.
#[derive(Debug, Clone)]
pub enum Step {
    Create(Box<AccountRecord>),
    Update {
        id: AccountId,
        changes: Vec<FieldChange>,
        territory: Option<Option<TerritoryId>>,
    },
    /// Which account a record of another system is, so its next export updates it.
    Remember {
        system: &'static str,
        external_id: String,
        account: AccountId,
    },
}

/// The longest record id of another system that is kept.
pub(crate) const MAX_SOURCE_ID: usize = 200;

/// What `system`'s record ids were imported as: `table` is `import_sources` (accounts)
/// or `import_contact_sources` (contacts), `column` its id column.
pub(crate) fn imported_ids(
    tx: &mut dyn Sql,
    table: &str,
    column: &str,
    system: &str,
    external: &[String],
) -> Result<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in external.chunks(500) {
        let mut vals: Vec<Val> = vec![Val::from(system.to_owned())];
        vals.extend(chunk.iter().map(|e| Val::from(e.clone())));
        for r in tx.query(
            &format!(
                "SELECT external_id, {column} FROM {table}
                 WHERE system = $1 AND external_id IN ({})",
                placeholders(2, chunk.len())
            ),
            &vals,
        )? {
            out.insert(r.text("external_id")?, r.parse(column)?);
        }
    }
    Ok(out)
}

/// The accounts already imported from `system` under these record ids.
fn sources(
    tx: &mut dyn Sql,
    system: &str,
    external: &[String],
) -> Result<HashMap<String, AccountId>> {
    Ok(
        imported_ids(tx, "import_sources", "account_id", system, external)?
            .into_iter()
            .map(|(k, v)| (k, AccountId::from_uuid(v)))
            .collect(),
    )
}

/// Every row checked; `steps` holds the valid rows' work (unchanged rows have none).
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub report: ImportReport,
    pub steps: Vec<Step>,
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

/// A territory by lower-cased name or by id; `None` for a name two territories share.
type TerritoryNames = HashMap<String, Option<TerritoryId>>;

/// The territories of each rep, by lower-cased e-mail and by lower-cased name.
type Owners = HashMap<String, Vec<TerritoryId>>;

fn owners(tx: &mut dyn Sql) -> Result<Owners> {
    let mut m: Owners = HashMap::new();
    for r in tx.query(
        "SELECT t.id AS territory, u.email AS email, u.name AS name
         FROM territories t JOIN users u ON u.id = t.rep_id
         ORDER BY t.id",
        &[],
    )? {
        let t: TerritoryId = r.parse("territory")?;
        for key in [r.text("email")?, r.text("name")?] {
            let list = m.entry(key.trim().to_lowercase()).or_default();
            if !list.contains(&t) {
                list.push(t);
            }
        }
    }
    Ok(m)
}

fn to_record(
    row: CsvAccount,
    territories: &TerritoryNames,
    owners: &Owners,
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
        rounds_core::Money::parse(&crate::crm::plain_amount(v), currency)
            .map(|m| m.minor)
            .map_err(|e| format!("{field}: {e}"))
    };
    let optional_money = |field: &str, v: &str| -> std::result::Result<Option<i64>, String> {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            money(field, v).map(Some)
        }
    };
    let territory = match row.territory.trim() {
        "" if !row.owner.trim().is_empty() => {
            let owner = row.owner.trim();
            match owners.get(&owner.to_lowercase()).map(Vec::as_slice) {
                Some([one]) => Some(*one),
                Some([]) | None => {
                    return Err(format!(
                        "owner: {owner:?} is no rep with a territory here; add a territory column"
                    ));
                }
                Some(_) => {
                    return Err(format!(
                        "owner: {owner:?} has more than one territory; add a territory column"
                    ));
                }
            }
        }
        "" => None,
        t => match territories.get(&t.to_lowercase()) {
            Some(Some(id)) => Some(*id),
            Some(None) => {
                return Err(format!(
                    "territory: more than one territory is named {t:?}; use its id"
                ));
            }
            None => return Err(format!("territory: no territory named {t:?}")),
        },
    };
    let id = match row.id.trim() {
        "" => AccountId::from_uuid(Uuid::now_v7()),
        s => s
            .parse()
            .map_err(|_| format!("id: {s:?} is not an account id"))?,
    };
    let stage: Stage = crate::crm::stage(&row.stage)?.unwrap_or(Stage::Lead);
    let visit_minutes = match row.visit_minutes.trim() {
        "" => None,
        m => Some(
            m.parse::<u16>()
                .map_err(|_| format!("visit_minutes: {m:?} is not a number of minutes"))?,
        ),
    };
    // Empty: not recorded (a file without the column says `imported`; see `check`).
    let location_source = match row.location_source.trim() {
        "" => None,
        _ if row.lat.is_none() || row.lon.is_none() => None,
        s => Some(LocationSource::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = LocationSource::ALL.iter().map(|s| s.name()).collect();
            format!("location_source: {s:?} is not one of {}", names.join(", "))
        })?),
    };
    let rec = AccountRecord {
        id,
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
        hours: rounds_core::hours::canonical(row.hours.as_deref())
            .map_err(|e| format!("hours: {e}"))?,
        visit_minutes,
        closed_on: rounds_core::calendar::canonical_dates(row.closed_on.as_deref())
            .map_err(|e| format!("closed_on: {e}"))?,
        preferred_hours: rounds_core::hours::canonical(row.preferred_hours.as_deref())
            .map_err(|e| format!("preferred_hours: {e}"))?,
        potential_minor: optional_money("potential", &row.potential)?,
        potential_estimate_minor: optional_money("potential_estimate", &row.potential_estimate)?,
        location_source,
    };
    // The domain's own checks: name, location pair, e-mail, phone.
    rounds_core::Account::try_from(&rec).map_err(|e| e.to_string())?;
    for c in FieldChange::all(&rec) {
        c.validate().map_err(|e| format!("{}: {e}", c.field()))?;
    }
    Ok(rec)
}

fn territory_names(tx: &mut dyn Sql) -> Result<TerritoryNames> {
    let mut m: TerritoryNames = HashMap::new();
    for r in tx.query("SELECT id, name FROM territories", &[])? {
        let id: TerritoryId = r.parse("id")?;
        m.entry(r.text("name")?.to_lowercase())
            .and_modify(|v| *v = None)
            .or_insert(Some(id));
        m.insert(id.to_string(), Some(id));
    }
    Ok(m)
}

/// An update leaves alone every field whose column the file does not have: a file of
/// `id,name` renames and changes nothing else.
fn keep_absent(rec: &mut AccountRecord, before: &AccountRecord, columns: &[&str]) {
    let has = |c: &str| columns.contains(&c);
    let b = before.clone();
    type Keep<'a> = &'a dyn Fn(&mut AccountRecord);
    let keep: [(&str, Keep); 24] = [
        ("street", &|r| r.street = b.street.clone()),
        ("city", &|r| r.city = b.city.clone()),
        ("region", &|r| r.region = b.region.clone()),
        ("postal_code", &|r| r.postal_code = b.postal_code.clone()),
        ("country", &|r| r.country = b.country.clone()),
        ("lat", &|r| r.lat = b.lat),
        ("lon", &|r| r.lon = b.lon),
        // Same place, same source: a file without the column does not demote a rep's pin.
        ("location_source", &|r| {
            if (r.lat, r.lon) == (b.lat, b.lon) {
                r.location_source = b.location_source
            }
        }),
        ("stage", &|r| {
            r.stage = b.stage;
            (r.lead_on, r.opportunity_on, r.won_on, r.lost_on) =
                (b.lead_on, b.opportunity_on, b.won_on, b.lost_on);
        }),
        ("priority", &|r| r.priority = b.priority),
        ("kare", &|r| r.kare = b.kare),
        ("currency", &|r| r.currency = b.currency.clone()),
        ("revenue", &|r| r.revenue_minor = b.revenue_minor),
        ("expenses", &|r| r.expenses_minor = b.expenses_minor),
        ("phone", &|r| r.phone = b.phone.clone()),
        ("email", &|r| r.email = b.email.clone()),
        ("industry", &|r| r.industry = b.industry.clone()),
        ("territory", &|r| r.territory_id = b.territory_id),
        ("hours", &|r| r.hours = b.hours.clone()),
        ("visit_minutes", &|r| r.visit_minutes = b.visit_minutes),
        ("closed_on", &|r| r.closed_on = b.closed_on.clone()),
        ("preferred_hours", &|r| {
            r.preferred_hours = b.preferred_hours.clone()
        }),
        ("potential", &|r| r.potential_minor = b.potential_minor),
        ("potential_estimate", &|r| {
            r.potential_estimate_minor = b.potential_estimate_minor
        }),
    ];
    for (column, keep) in keep {
        if !has(column) {
            keep(rec);
        }
    }
}

/// The stored accounts a file names by id.
fn existing(tx: &mut dyn Sql, ids: &[AccountId]) -> Result<HashMap<AccountId, AccountRecord>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let vals: Vec<Val> = chunk.iter().map(Val::from).collect();
        for r in tx.query(
            &format!(
                "SELECT data FROM accounts WHERE id IN ({})",
                placeholders(1, vals.len())
            ),
            &vals,
        )? {
            let rec: AccountRecord = r.json(0)?;
            out.insert(rec.id, rec);
        }
    }
    Ok(out)
}

/// Why a row could not be read, in words: the CSV reader's own message otherwise.
fn row_error(e: &csv::Error, present: &HashSet<&str>) -> String {
    if !present.contains("name") {
        return "no column is read as the name".into();
    }
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => format!("a value cannot be read: {err}"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} cells where the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

/// Checks every row of `csv_text` against the database: what it would do, or why not.
/// Columns are read as saved for files with the same headers, else as guessed.
pub fn check(
    tx: &mut dyn Sql,
    csv_text: &str,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<Checked> {
    check_mapped(tx, csv_text, reach, now, None)
}

/// [`check`], with the columns read as `chosen` when given.
pub fn check_mapped(
    tx: &mut dyn Sql,
    csv_text: &str,
    reach: &Reach,
    now: DateTime<Utc>,
    chosen: Option<&Mapping>,
) -> Result<Checked> {
    let territories = territory_names(tx)?;
    let owners = owners(tx)?;
    let postal_units = crate::units::all(tx)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .delimiter(crate::crm::separator(csv_text))
        .from_reader(csv_text.as_bytes());
    // Headers as the file has them, read as the import's columns (a CRM's names too);
    // a column named twice is read once, the first time.
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut guessed: Vec<(String, Option<&'static str>)> = Vec::with_capacity(headers.len());
    for h in &headers {
        let column = crate::crm::column_for(h, &COLUMNS)
            .filter(|c| guessed.iter().all(|(_, taken)| *taken != Some(*c)));
        guessed.push((h.clone(), column));
    }
    let (mapping, mapping_from, mut problems) =
        resolve(tx, Kind::Accounts, &headers, guessed, chosen)?;
    reader.set_headers(csv::StringRecord::from(
        mapping
            .iter()
            .enumerate()
            .map(|(i, (_, c))| c.map_or_else(|| format!("\u{0}unread {i}"), str::to_owned))
            .collect::<Vec<_>>(),
    ));
    let present: HashSet<&str> = mapping.iter().filter_map(|(_, c)| *c).collect();
    // An owner sets the territory.
    let columns: Vec<&'static str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| present.contains(c) || (*c == "territory" && present.contains("owner")))
        .collect();
    let mut parsed = Vec::new();
    for (i, row) in reader.deserialize::<CsvAccount>().enumerate() {
        let line = i + 2;
        let given_id = row.as_ref().is_ok_and(|r| !r.id.trim().is_empty());
        let source = row
            .as_ref()
            .ok()
            .map(|r| unescape_cell(r.source_id.trim()).to_owned())
            .filter(|s| !s.is_empty());
        let name = row
            .as_ref()
            .map(|r| r.name.trim().to_owned())
            .unwrap_or_default();
        let out = row.map_err(|e| row_error(&e, &present)).and_then(|r| {
            let r = r.map_text(|v| unescape_cell(v).to_owned());
            to_record(r, &territories, &owners, now).map_err(|e| format!("{}: {e}", name.trim()))
        });
        // Coordinates in a file that does not say where they came from.
        let out = out.map(|mut rec| {
            if !present.contains("location_source") && rec.lat.is_some() {
                rec.location_source = Some(LocationSource::Imported);
            }
            rec
        });
        let out = match &source {
            Some(s) if s.chars().count() > MAX_SOURCE_ID => Err(format!(
                "{}: source id: longer than {MAX_SOURCE_ID} characters",
                name.trim()
            )),
            _ => out,
        };
        parsed.push((line, name, given_id, source, out));
    }
    // A record this system's export brought before updates its account.
    let system = crate::crm::system(&headers);
    let external: Vec<String> = parsed.iter().filter_map(|p| p.3.clone()).collect();
    let known = sources(tx, system, &external)?;
    for (_, _, given, source, out) in &mut parsed {
        if let (false, Some(account), Ok(rec)) =
            (*given, source.as_ref().and_then(|s| known.get(s)), out)
        {
            rec.id = *account;
            *given = true;
        }
    }
    let ids: Vec<AccountId> = parsed
        .iter()
        .filter_map(|(_, _, given, _, r)| match r {
            Ok(rec) if *given => Some(rec.id),
            _ => None,
        })
        .collect();
    let stored = existing(tx, &ids)?;
    let mut seen = HashSet::new();
    let mut seen_sources = HashSet::new();
    let mut checked = Checked::default();
    checked.report.columns = columns.clone();
    checked.report.mapping = mapping;
    checked.report.mapping_from = mapping_from;
    if !present.contains("name") && !headers.is_empty() {
        problems.push(
            "no column is read as the account's name; choose which one it is under “Change how columns are read”"
                .into(),
        );
    }
    checked.report.problems = problems;
    for (line, row_name, given_id, source, out) in parsed {
        let step = out.and_then(|mut rec| {
            let label = rec.name.clone();
            let fail = |e: String| format!("{label}: {e}");
            if let Some(s) = &source
                && !seen_sources.insert(s.clone())
            {
                return Err(fail(format!(
                    "source id: the file names record {s:?} twice"
                )));
            }
            if !seen.insert(rec.id) {
                return Err(fail("id: the file names this account twice".into()));
            }
            if given_id && let Some(before) = stored.get(&rec.id) {
                keep_absent(&mut rec, before, &columns);
                // An empty location keeps the stored one: a CRM does not know the rep's
                // pin (the account page clears a location).
                if rec.lat.is_none() && rec.lon.is_none() {
                    (rec.lat, rec.lon) = (before.lat, before.lon);
                    rec.location_source = before.location_source;
                }
            }
            let before = stored.get(&rec.id).filter(|_| given_id);
            let unplaced = crate::places::by_postal_code(&mut rec, before).map(|m| m.to_string());
            let placed = Placed {
                by_postal_code: rec.location_source == Some(LocationSource::PostalCode)
                    && before.is_none_or(|b| (b.lat, b.lon) != (rec.lat, rec.lon)),
                unplaced,
            };
            // A new account named in no territory lands in its postal code's.
            if !given_id
                && rec.territory_id.is_none()
                && let Some(key) = crate::units::key(&rec.country, &rec.postal_code)
            {
                rec.territory_id = postal_units.get(&key).copied();
            }
            if !reach.allows(rec.territory_id) {
                return Err(fail(if rec.territory_id.is_none() {
                    "territory: required (name one of your team's territories)".into()
                } else {
                    "territory: not one of your team's territories".into()
                }));
            }
            if !given_id {
                return Ok((
                    rec.name.clone(),
                    Some(Step::Create(Box::new(rec))),
                    Action::Create,
                    placed,
                ));
            }
            let before = match stored.get(&rec.id) {
                Some(b) if reach.allows(b.territory_id) => b,
                // Unknown and not-yours read the same: ids reveal nothing.
                _ => {
                    return Err(fail(
                        "id: no account you manage has this id (leave id empty to create one)"
                            .into(),
                    ));
                }
            };
            if before.currency != rec.currency {
                return Err(fail(format!(
                    "currency: the account is kept in {}; a currency cannot be changed by import",
                    before.currency
                )));
            }
            let changes = FieldChange::diff(before, &rec);
            let moved = before.territory_id != rec.territory_id;
            let mut names: Vec<&'static str> = changes.iter().map(FieldChange::field).collect();
            if moved {
                names.push("territory");
            }
            if names.is_empty() {
                return Ok((rec.name.clone(), None, Action::Unchanged, placed));
            }
            Ok((
                rec.name.clone(),
                Some(Step::Update {
                    id: rec.id,
                    changes,
                    territory: moved.then_some(rec.territory_id),
                }),
                Action::Update(names),
                placed,
            ))
        });
        match step {
            Ok((name, step, action, placed)) => {
                checked.report.rows.push(RowOutcome {
                    line,
                    name,
                    error: None,
                    action: Some(action),
                    placed,
                });
                let remember = match (&step, source) {
                    (Some(Step::Create(rec)), Some(external_id)) => Some(Step::Remember {
                        system,
                        external_id,
                        account: rec.id,
                    }),
                    _ => None,
                };
                checked.steps.extend(step);
                checked.steps.extend(remember);
            }
            Err(e) => checked.report.rows.push(RowOutcome {
                line,
                name: row_name,
                error: Some(e),
                action: None,
                placed: Placed::default(),
            }),
        }
    }
    Ok(checked)
}

/// Carries out checked steps: new accounts held from `now`, updates merged as `by`'s edit
/// (field by field, like any edit), moves through [`org::assign_account`].
pub fn apply(
    tx: &mut Tx<'_>,
    steps: &[Step],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut applied = 0;
    // Each territory's rep, looked up once: an import may create 100,000 accounts.
    let mut reps: HashMap<TerritoryId, Option<UserId>> = HashMap::new();
    for s in steps {
        applied += usize::from(!matches!(s, Step::Remember { .. }));
        match s {
            Step::Create(rec) => match rec.territory_id {
                Some(t) => {
                    let rep = match reps.get(&t) {
                        Some(rep) => *rep,
                        None => {
                            let rep = org::territory_rep(tx, t)?.ok_or_else(|| {
                                Error::client(
                                    rounds_protocol::ErrorCode::NotFound,
                                    format!("no territory {t}"),
                                )
                            })?;
                            *reps.entry(t).or_insert(rep)
                        }
                    };
                    org::create_account_held(tx, rec, now, rep)?
                }
                None => org::create_account(tx, rec, now)?,
            },
            Step::Remember {
                system,
                external_id,
                account,
            } => {
                tx.exec(
                    "INSERT INTO import_sources (system, external_id, account_id, imported_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (system, external_id) DO UPDATE SET
                         account_id = excluded.account_id, imported_at = excluded.imported_at",
                    params![*system, external_id.clone(), *account, time::text(now)],
                )?;
            }
            Step::Update {
                id,
                changes,
                territory,
            } => {
                fields::edit_account(tx, *id, changes, by, now)?;
                if let Some(t) = territory {
                    org::assign_account(tx, *id, *t, now)?;
                }
            }
        }
    }
    Ok(applied)
}

/// The command line's import: checked in one read, applied in transactions of 500 rows
/// (all rows were checked first). One invalid row imports nothing unless `skip_invalid`.
pub async fn import_accounts(
    db: &Db,
    csv_text: &str,
    skip_invalid: bool,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let text = csv_text.to_owned();
    // Checked and applied in one transaction: all of it or (on any failure) nothing, and
    // what was checked is what is applied.
    let report = db
        .write(move |tx| {
            let checked = check(tx, &text, &Reach::All, now)?;
            let mut report = checked.report;
            if report.invalid() > 0 && !skip_invalid {
                return Ok::<_, Error>(report);
            }
            report.imported = apply(tx, &checked.steps, None, now)?;
            Ok(report)
        })
        .await?;
    progress(report.imported, report.imported);
    Ok(report)
}

/// An amount as the import reads it: `39000.00`, no grouping.
pub fn plain_amount(minor: i64, currency: &str) -> String {
    // A stored currency was checked on the way in; two decimals for one that was not.
    let currency = rounds_core::Currency::parse(currency).unwrap_or(rounds_core::Currency::USD);
    rounds_core::Money::new(minor, currency).plain()
}

fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Accounts as CSV in exactly the import's format; `territory_name` names a territory
/// (its id where the name alone is ambiguous).
pub fn export_accounts(
    accounts: &[AccountRecord],
    territory_name: &dyn Fn(TerritoryId) -> String,
) -> Result<Vec<u8>> {
    export_accounts_piece(accounts, territory_name, true)
}

/// [`export_accounts`] as one piece of a streamed file: the header only on the first.
pub fn export_accounts_piece(
    accounts: &[AccountRecord],
    territory_name: &dyn Fn(TerritoryId) -> String,
    header: bool,
) -> Result<Vec<u8>> {
    // The header is written once, from COLUMNS.
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    if header {
        w.write_record(COLUMNS).map_err(fail)?;
    }
    for a in accounts {
        w.serialize(
            CsvAccount {
                id: a.id.to_string(),
                name: a.name.clone(),
                street: a.street.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
                lat: a.lat,
                lon: a.lon,
                location_source: a
                    .location_source
                    .map(|s| s.name().to_owned())
                    .unwrap_or_default(),
                stage: enum_text(&a.stage),
                priority: enum_text(&a.priority),
                kare: a.kare.as_ref().map(enum_text).unwrap_or_default(),
                currency: a.currency.clone(),
                revenue: plain_amount(a.revenue_minor, &a.currency),
                expenses: plain_amount(a.expenses_minor, &a.currency),
                phone: a.phone.clone(),
                email: a.email.clone(),
                industry: a.industry.clone(),
                territory: a.territory_id.map(territory_name).unwrap_or_default(),
                hours: a.hours.clone(),
                visit_minutes: a.visit_minutes.map(|m| m.to_string()).unwrap_or_default(),
                closed_on: a.closed_on.clone(),
                preferred_hours: a.preferred_hours.clone(),
                potential: a
                    .potential_minor
                    .map(|m| plain_amount(m, &a.currency))
                    .unwrap_or_default(),
                potential_estimate: a
                    .potential_estimate_minor
                    .map(|m| plain_amount(m, &a.currency))
                    .unwrap_or_default(),
                owner: String::new(),
                source_id: String::new(),
            }
            .map_text(|v| escape_cell(v).into_owned()),
        )
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

/// How a confirmed import ended.
#[derive(Debug)]
pub enum Confirmed {
    Done(ImportReport),
    /// Checked again, some rows are invalid now: nothing imported.
    Invalid(ImportReport),
    /// This preview was confirmed before; it imported this many accounts then.
    Already(i64),
}

/// What was imported under the confirm `key` before, if it was.
pub(crate) fn receipt(tx: &mut dyn Sql, key: &str) -> Result<Option<i64>> {
    Ok(tx
        .query_opt(
            "SELECT imported FROM import_receipts WHERE key = $1",
            params![key],
        )?
        .map(|r| r.int(0))
        .transpose()?)
}

/// Imports a previewed file of `kind` confirmed under `key` (the preview's, one per
/// preview), its columns read as `chosen` when given (and saved for the next file with
/// the same headers): checked again, since the data may have changed since the preview,
/// and all or nothing. The receipt is written in the same transaction as the rows, so a
/// second confirm of the same preview finds it and imports nothing again.
#[allow(clippy::too_many_arguments)]
pub fn confirm(
    tx: &mut Tx<'_>,
    kind: Kind,
    key: &str,
    reach: &Reach,
    by: UserId,
    csv: &str,
    chosen: Option<&Mapping>,
    now: DateTime<Utc>,
) -> Result<Confirmed> {
    if let Some(n) = receipt(tx, key)? {
        return Ok(Confirmed::Already(n));
    }
    let report = match kind {
        Kind::Accounts => {
            let checked = check_mapped(tx, csv, reach, now, chosen)?;
            if !checked.report.ready() {
                return Ok(Confirmed::Invalid(checked.report));
            }
            let mut report = checked.report;
            report.imported = apply(tx, &checked.steps, Some(by), now)?;
            report
        }
        Kind::Contacts => {
            let checked = contacts::check(tx, csv, reach, chosen)?;
            if !checked.report.ready() {
                return Ok(Confirmed::Invalid(checked.report));
            }
            let mut report = checked.report;
            report.imported = contacts::apply(tx, &checked.steps, now)?;
            report
        }
    };
    if let Some(m) = chosen {
        save_mapping(tx, kind, m, by, now)?;
    }
    tx.exec(
        "INSERT INTO import_receipts (key, user_id, imported, created_at) VALUES ($1, $2, $3, $4)",
        params![key, by, report.imported as i64, time::text(now)],
    )?;
    Ok(Confirmed::Done(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_way_they_are_read() {
        let usd = rounds_core::Currency::parse("USD").unwrap();
        for minor in [0, 5, 3_900_000, 3_900_050, -1_250] {
            let text = plain_amount(minor, "USD");
            assert_eq!(
                rounds_core::Money::parse(&text, usd).unwrap().minor,
                minor,
                "{text} reads back as {minor}"
            );
        }
        assert_eq!(plain_amount(3_900_000, "USD"), "39000.00");
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_neutralised_and_read_back() {
        let cases = [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1 555 0100", "'+1 555 0100"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-12.50", "-12.50"),
            ("'=1", "''=1"),
            ("''", "'''"),
            ("'tis", "'tis"),
            ("Acme = best", "Acme = best"),
            ("", ""),
        ];
        for (value, written) in cases {
            assert_eq!(escape_cell(value), written, "{value:?} is written as");
            assert_eq!(unescape_cell(written), value, "{written:?} reads back");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_cell_reads_back_exactly(value in "['=+@\\-\t\r]{0,3}.{0,8}") {
            let written = escape_cell(&value);
            proptest::prop_assert_eq!(unescape_cell(&written), value.as_str());
            proptest::prop_assert!(
                !written.starts_with(FORMULA_STARTS) || written.trim().parse::<f64>().is_ok(),
                "{:?} would be evaluated", written
            );
        }
    }

    #[test]
    fn the_header_names_every_column_the_reader_knows() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(CsvAccount::default()).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), COLUMNS.join(","));
    }
}

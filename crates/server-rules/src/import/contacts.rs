//! Contacts from CSV, attached to their accounts: Rounds' own columns, or a CRM's
//! contact export as it is (Salesforce's "First Name", "Last Name", "Account Name",
//! "Account ID"; HubSpot's "Associated Company", "Job Title", "Record ID"; Pipedrive's
//! "Person - …" columns). A row finds its account by Rounds' account id, by the CRM's
//! record id of an account imported from the same system, or by the account's name (one
//! of the manager's accounts, and only one). A row finds its contact, to update instead
//! of adding it again, by Rounds' contact id, the CRM's record id of a contact imported
//! before, or the same e-mail (else the same name) on the same account. All or nothing,
//! like the accounts' import.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rounds_protocol::records::{AccountRecord, ContactRecord};
use rounds_protocol::sync::Row;
use rounds_protocol::{AccountId, ContactId, Hlc};
use uuid::Uuid;

use super::{Action, ImportReport, MAX_SOURCE_ID, Placed, RowOutcome};
use crate::db::{Sql, Tx, Val, placeholders};
use crate::error::{Error, Result};
use crate::manage::Reach;
use crate::{changelog, org, params};

/// The columns a contacts file may have, in Rounds' own names.
pub const COLUMNS: [&str; 12] = [
    "id",
    "account_id",
    "account",
    "name",
    "first_name",
    "last_name",
    "title",
    "phone",
    "email",
    "primary",
    "source_id",
    "account_source_id",
];

/// Contact exports' header spellings (compared squashed) and the column each means.
const ALIASES: &[(&str, &str)] = &[
    ("contactid", "source_id"),
    ("recordid", "source_id"),
    ("personid", "source_id"),
    ("accountid", "account_source_id"),
    ("associatedcompanyid", "account_source_id"),
    ("associatedcompanyidsprimary", "account_source_id"),
    ("organizationid", "account_source_id"),
    ("accountname", "account"),
    ("associatedcompany", "account"),
    ("companyname", "account"),
    ("company", "account"),
    ("organization", "account"),
    ("fullname", "name"),
    ("firstname", "first_name"),
    ("lastname", "last_name"),
    ("jobtitle", "title"),
    ("phonenumber", "phone"),
    ("mobilephone", "phone"),
    ("emailaddress", "email"),
    ("primarycontact", "primary"),
];

/// The column a header of a contacts file means, if any.
pub fn column_for(header: &str) -> Option<&'static str> {
    let h = crate::crm::squash(header);
    // Pipedrive writes "Person - Name", "Person - Organization".
    let h = h
        .strip_prefix("person")
        .filter(|r| !r.is_empty())
        .unwrap_or(&h);
    COLUMNS
        .iter()
        .copied()
        .find(|c| crate::crm::squash(c) == h)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == h).map(|(_, c)| *c))
}

/// One valid row's work.
#[derive(Debug, Clone)]
pub enum Step {
    Save {
        contact: ContactRecord,
        new: bool,
    },
    Remember {
        system: &'static str,
        external_id: String,
        contact: ContactId,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub report: ImportReport,
    pub steps: Vec<Step>,
}

/// The accounts in reach: by id, and ids by lower-cased name.
struct Accounts {
    by_id: HashMap<AccountId, AccountRecord>,
    by_name: HashMap<String, Vec<AccountId>>,
}

fn accounts(tx: &mut dyn Sql, reach: &Reach) -> Result<Accounts> {
    let mut out = Accounts {
        by_id: HashMap::new(),
        by_name: HashMap::new(),
    };
    for r in tx.query("SELECT data FROM accounts", &[])? {
        let Ok(rec) = r.json::<AccountRecord>("data") else {
            continue;
        };
        if !reach.allows(rec.territory_id) {
            continue;
        }
        out.by_name
            .entry(rec.name.trim().to_lowercase())
            .or_default()
            .push(rec.id);
        out.by_id.insert(rec.id, rec);
    }
    Ok(out)
}

/// The stored contacts of these accounts.
fn contacts_of(tx: &mut dyn Sql, ids: &[AccountId]) -> Result<Vec<ContactRecord>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let vals: Vec<Val> = chunk.iter().map(Val::from).collect();
        for r in tx.query(
            &format!(
                "SELECT data FROM contacts WHERE account_id IN ({})",
                placeholders(1, vals.len())
            ),
            &vals,
        )? {
            if let Ok(c) = r.json::<ContactRecord>("data") {
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn yes(v: &str) -> std::result::Result<bool, String> {
    match v.trim().to_lowercase().as_str() {
        "" | "no" | "false" | "0" | "n" => Ok(false),
        "yes" | "true" | "1" | "y" | "x" => Ok(true),
        other => Err(format!("primary: {other:?} is neither yes nor no")),
    }
}

/// Checks every row of a contacts file against the database: what it would do, or why
/// not.
/// Columns are read as `chosen` when given, else as saved for files with the same
/// headers, else as guessed.
pub fn check(
    tx: &mut dyn Sql,
    csv_text: &str,
    reach: &Reach,
    chosen: Option<&super::Mapping>,
) -> Result<Checked> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .delimiter(crate::crm::separator(csv_text))
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut guessed: Vec<(String, Option<&'static str>)> = Vec::new();
    for h in &headers {
        let c = column_for(h).filter(|c| guessed.iter().all(|(_, t)| *t != Some(*c)));
        guessed.push((h.clone(), c));
    }
    let (mapping, mapping_from, problems) =
        super::mapping::resolve(tx, super::Kind::Contacts, &headers, guessed, chosen)?;
    let at = |row: &csv::StringRecord, column: &str| -> String {
        mapping
            .iter()
            .position(|(_, c)| *c == Some(column))
            .and_then(|i| row.get(i))
            .map(|v| super::unescape_cell(v).trim().to_owned())
            .unwrap_or_default()
    };
    let has = |c: &str| mapping.iter().any(|(_, t)| *t == Some(c));
    let mut checked = Checked::default();
    checked.report.mapping = mapping.clone();
    checked.report.mapping_from = mapping_from;
    checked.report.problems = problems;
    checked.report.columns = COLUMNS.iter().copied().filter(|c| has(c)).collect();
    if !has("name") && !has("first_name") && !has("last_name") {
        checked
            .report
            .problems
            .push("no column holds the contact's name (name, or first and last name)".into());
    }
    if !has("account") && !has("account_id") && !has("account_source_id") {
        checked.report.problems.push(
            "no column names the contact's account (its name, its id, or its id in your CRM)"
                .into(),
        );
    }
    let rows: Vec<(usize, std::result::Result<csv::StringRecord, String>)> = reader
        .records()
        .enumerate()
        .map(|(i, r)| (i + 2, r.map_err(|e| e.to_string())))
        .collect();
    let system = crate::crm::system(&headers);
    let ok_rows = || rows.iter().filter_map(|(_, r)| r.as_ref().ok());
    // "Account ID" is Rounds' id when it reads as one, else the CRM's.
    let account_sources: Vec<String> = ok_rows()
        .flat_map(|r| [at(r, "account_source_id"), at(r, "account_id")])
        .filter(|s| !s.is_empty() && s.parse::<AccountId>().is_err())
        .collect();
    let contact_sources: Vec<String> = ok_rows()
        .map(|r| at(r, "source_id"))
        .filter(|s| !s.is_empty())
        .collect();
    let known_accounts =
        super::imported_ids(tx, "import_sources", "account_id", system, &account_sources)?;
    let known_contacts = super::imported_ids(
        tx,
        "import_contact_sources",
        "contact_id",
        system,
        &contact_sources,
    )?;
    let accounts = accounts(tx, reach)?;
    let ids: Vec<AccountId> = accounts.by_id.keys().copied().collect();
    let stored = contacts_of(tx, &ids)?;
    let by_id: HashMap<ContactId, &ContactRecord> = stored.iter().map(|c| (c.id, c)).collect();
    let mut seen: HashSet<ContactId> = HashSet::new();
    let mut seen_sources: HashSet<String> = HashSet::new();
    for (line, row) in &rows {
        let outcome = row.clone().and_then(|row| {
            let name = match at(&row, "name") {
                n if !n.is_empty() => n,
                _ => [at(&row, "first_name"), at(&row, "last_name")]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            let fail = |e: String| format!("{name}: {e}");
            let account_name = at(&row, "account");
            let source = at(&row, "source_id");
            if source.chars().count() > MAX_SOURCE_ID {
                return Err(fail(format!("source id: longer than {MAX_SOURCE_ID} characters")));
            }
            // Its account: Rounds' id, else the CRM's id of an imported account, else a name.
            let (own, crm) = match (at(&row, "account_id"), at(&row, "account_source_id")) {
                (id, ext) if id.parse::<AccountId>().is_ok() => (id, ext),
                (id, ext) if ext.is_empty() => (String::new(), id),
                (_, ext) => (String::new(), ext),
            };
            let account = match (own, crm) {
                (id, _) if !id.is_empty() => id
                    .parse::<AccountId>()
                    .ok()
                    .filter(|id| accounts.by_id.contains_key(id))
                    .ok_or_else(|| fail(format!("account_id: no account you manage has id {id:?}")))?,
                (_, ext) if !ext.is_empty() && known_accounts.contains_key(&ext) => {
                    let id = AccountId::from_uuid(known_accounts[&ext]);
                    if !accounts.by_id.contains_key(&id) {
                        return Err(fail("account: not one of the accounts you manage".into()));
                    }
                    id
                }
                _ if !account_name.is_empty() => {
                    match accounts
                        .by_name
                        .get(&account_name.to_lowercase())
                        .map(Vec::as_slice)
                    {
                        Some([one]) => *one,
                        Some([]) | None => {
                            return Err(fail(format!(
                                "account: no account you manage is named {account_name:?} (import the accounts first)"
                            )));
                        }
                        Some(_) => {
                            return Err(fail(format!(
                                "account: more than one account is named {account_name:?}; add an account id column"
                            )));
                        }
                    }
                }
                _ => return Err(fail("account: the row names none".into())),
            };
            let email = Some(at(&row, "email")).filter(|e| !e.is_empty());
            // Which stored contact this row is, if any.
            let existing = match at(&row, "id") {
                id if !id.is_empty() => Some(
                    id.parse::<ContactId>()
                        .ok()
                        .and_then(|id| by_id.get(&id).copied())
                        .filter(|c| c.account_id == account)
                        .ok_or_else(|| fail(format!("id: no contact of this account has id {id:?}")))?,
                ),
                _ => match known_contacts
                    .get(&source)
                    .and_then(|id| by_id.get(&ContactId::from_uuid(*id)).copied())
                {
                    // Moving a person to another account is a change the import does not
                    // make behind the manager's back.
                    Some(c) if c.account_id != account => {
                        return Err(fail(format!(
                            "account: record {source:?} is a contact of another account here; move it in Rounds first"
                        )));
                    }
                    known => known.or_else(|| {
                        stored.iter().find(|c| {
                            c.account_id == account
                                && match (&email, &c.email) {
                                    (Some(e), Some(s)) => e.eq_ignore_ascii_case(s),
                                    _ => c.name.trim().eq_ignore_ascii_case(&name),
                                }
                        })
                    }),
                },
            };
            let keep = |column: &str, new: String, old: Option<&Option<String>>| -> Option<String> {
                if has(column) {
                    Some(new).filter(|v| !v.is_empty())
                } else {
                    old.cloned().flatten()
                }
            };
            let rec = ContactRecord {
                id: existing.map_or_else(|| ContactId::from_uuid(Uuid::now_v7()), |c| c.id),
                account_id: account,
                name: if name.is_empty() {
                    existing.map(|c| c.name.clone()).unwrap_or_default()
                } else {
                    name.clone()
                },
                title: keep("title", at(&row, "title"), existing.map(|c| &c.title)),
                phone: keep("phone", at(&row, "phone"), existing.map(|c| &c.phone)),
                email: keep("email", at(&row, "email"), existing.map(|c| &c.email)),
                primary: if has("primary") {
                    yes(&at(&row, "primary")).map_err(fail)?
                } else {
                    existing.is_some_and(|c| c.primary)
                },
            };
            rounds_core::Contact::try_from(&rec).map_err(|e| fail(e.to_string()))?;
            if !seen.insert(rec.id) {
                return Err(fail("the file names this contact twice".into()));
            }
            if !source.is_empty() && !seen_sources.insert(source.clone()) {
                return Err(fail(format!("source id: the file names record {source:?} twice")));
            }
            let action = match existing {
                None => Action::Create,
                Some(old) if *old == rec => Action::Unchanged,
                Some(old) => {
                    let mut f = Vec::new();
                    for (field, differs) in [
                        ("name", old.name != rec.name),
                        ("title", old.title != rec.title),
                        ("phone", old.phone != rec.phone),
                        ("email", old.email != rec.email),
                        ("primary", old.primary != rec.primary),
                    ] {
                        if differs {
                            f.push(field);
                        }
                    }
                    Action::Update(f)
                }
            };
            Ok((rec, action, source))
        });
        match outcome {
            Ok((rec, action, source)) => {
                let display = rec.name.clone();
                if action != Action::Unchanged {
                    checked.steps.push(Step::Save {
                        contact: rec.clone(),
                        new: action == Action::Create,
                    });
                }
                if !source.is_empty() && !known_contacts.contains_key(&source) {
                    checked.steps.push(Step::Remember {
                        system,
                        external_id: source,
                        contact: rec.id,
                    });
                }
                checked.report.rows.push(RowOutcome {
                    line: *line,
                    name: display,
                    error: None,
                    action: Some(action),
                    placed: Placed::default(),
                });
            }
            Err(e) => checked.report.rows.push(RowOutcome {
                line: *line,
                name: e.split(": ").next().unwrap_or_default().to_owned(),
                error: Some(e),
                action: None,
                placed: Placed::default(),
            }),
        }
    }
    Ok(checked)
}

/// Saves checked contacts as the server's change (a later save from a device still wins
/// over it), each in its account's territory bucket; one primary contact per account.
pub fn apply(tx: &mut Tx<'_>, steps: &[Step], now: DateTime<Utc>) -> Result<usize> {
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut saved = 0;
    for s in steps {
        match s {
            Step::Remember {
                system,
                external_id,
                contact,
            } => {
                tx.exec(
                    "INSERT INTO import_contact_sources (system, external_id, contact_id, imported_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (system, external_id) DO UPDATE SET
                         contact_id = excluded.contact_id, imported_at = excluded.imported_at",
                    params![*system, external_id.clone(), *contact, crate::time::text(now)],
                )?;
            }
            Step::Save { contact, new } => {
                saved += 1;
                let data =
                    serde_json::to_string(contact).map_err(|e| Error::Internal(e.to_string()))?;
                if *new {
                    tx.exec(
                        "INSERT INTO contacts (id, account_id, data) VALUES ($1, $2, $3)",
                        params![contact.id, contact.account_id, data],
                    )?;
                } else {
                    tx.exec(
                        "UPDATE contacts SET data = $2 WHERE id = $1",
                        params![contact.id, data],
                    )?;
                }
                let seen: Option<Hlc> = tx
                    .query_opt(
                        "SELECT hlc FROM contact_clocks WHERE contact_id = $1",
                        params![contact.id],
                    )?
                    .map(|r| r.parse("hlc"))
                    .transpose()?;
                let hlc = Hlc::tick(seen.unwrap_or(Hlc::ZERO), now_ms, Uuid::nil());
                tx.exec(
                    // The writer, as field clocks name a person on the server.
                    "INSERT INTO contact_clocks (contact_id, hlc, device_id) VALUES ($1, $2, 'server')
                     ON CONFLICT (contact_id) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id",
                    params![contact.id, hlc],
                )?;
                let territory = org::account(tx, contact.account_id)?.and_then(|a| a.territory_id);
                let bucket = changelog::territory_bucket(territory);
                if let Some(b) = &bucket {
                    changelog::put(tx, b, &Row::Contact(contact.clone()))?;
                }
                org::make_sole_primary(tx, contact, bucket.as_ref())?;
            }
        }
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_contact_headers_are_read() {
        for (header, column) in [
            ("First Name", Some("first_name")),
            ("Last Name", Some("last_name")),
            ("Account Name", Some("account")),
            // Rounds' own `account_id` by name; a value that is no Rounds id is then
            // read as the CRM's (see `check`).
            ("Account ID", Some("account_id")),
            ("Associated Company ID", Some("account_source_id")),
            ("Contact ID", Some("source_id")),
            ("Associated Company", Some("account")),
            ("Job Title", Some("title")),
            ("Record ID", Some("source_id")),
            ("Person - Name", Some("name")),
            ("Person - Organization", Some("account")),
            ("Email", Some("email")),
            ("Mailing Street", None),
        ] {
            assert_eq!(column_for(header), column, "{header}");
        }
    }
}

//! The team's accounts by name, a page at a time, filtered by the database: what the
//! dashboard's account list and its exports read, so neither holds a whole team.
//!
//! Each account row carries two columns derived from its record whenever it is written
//! ([`keys_of`]): `name_key`, the lowercased name (the list's order), and `search_text`,
//! the lowercased searched fields (the text filter). A database from before those
//! columns (migration 0018) is filled in by [`backfill`] when a server starts.

use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, ErrorCode};

use crate::db::{Db, DbError, Sql, Val, placeholders};
use crate::scope::Team;
use crate::{Error, Result};

/// Which of the team's accounts: narrowed by each filter given, as the page names them.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// A territory's id.
    pub territory: Option<String>,
    /// A rep's id: the accounts of the territories they work.
    pub rep: Option<String>,
    /// Text in the name, city, street, e-mail, phone or industry (any case).
    pub text: Option<String>,
}

/// The searched fields, one per line, lowercased (Rust's lowering on both sides, so the
/// match does not depend on the database's idea of case).
fn search_text(fields: [&str; 6]) -> String {
    fields.join("\n").to_lowercase()
}

/// `(name_key, search_text)` for a record about to be written.
pub fn keys_of(rec: &AccountRecord) -> (String, String) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let (email, phone, industry) = (opt(&rec.email), opt(&rec.phone), opt(&rec.industry));
    (
        rec.name.to_lowercase(),
        search_text([&rec.name, &rec.city, &rec.street, &email, &phone, &industry]),
    )
}

/// [`keys_of`] for stored data read as plain JSON: a row that no longer reads as an
/// account still gets keys (from what it has), so the backfill ends.
fn keys_of_json(data: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let f = ["name", "city", "street", "email", "phone", "industry"].map(s);
    (
        f[0].to_lowercase(),
        search_text([&f[0], &f[1], &f[2], &f[3], &f[4], &f[5]]),
    )
}

/// A row's place in the list's order: its name key, then its id. Pages start past a key,
/// so a deep page costs what the first does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    name: String,
    id: String,
}

impl Key {
    /// As a page link carries it: `<id>~<name key>` (the id holds no `~`).
    pub fn to_param(&self) -> String {
        format!("{}~{}", self.id, self.name)
    }

    /// From a page link; one whose first part is not an account id is refused.
    pub fn parse(param: &str) -> Result<Key> {
        let bad = || {
            Error::client(
                ErrorCode::InvalidInput,
                "This page link is damaged: open the account list from its first page.",
            )
        };
        let (id, name) = param.split_once('~').ok_or_else(bad)?;
        let id: AccountId = id.parse().map_err(|_| bad())?;
        Ok(Key {
            name: name.to_owned(),
            id: id.to_string(),
        })
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Start {
    #[default]
    First,
    /// Just after a row shown (the "Next" link).
    After(Key),
    /// Just before a row shown (the "Previous" link).
    Before(Key),
}

/// One page of accounts, by name.
#[derive(Debug, Default)]
pub struct AccountsPage {
    pub records: Vec<AccountRecord>,
    /// The ids of rows on this page whose data no longer reads as an account.
    pub left_out: Vec<String>,
    /// Where the next page starts, when rows follow.
    pub next: Option<Key>,
    /// Where the previous page ends, when rows come before.
    pub previous: Option<Key>,
}

/// The WHERE clause of the team's accounts under `f`, with its parameters; `None` when
/// nothing can match (a manager without territories, a rep without any).
fn selection(team: &Team, f: &ListFilter) -> Option<(String, Vec<Val>)> {
    let mut sql = String::from("1 = 1");
    let mut params: Vec<Val> = Vec::new();
    let within = |sql: &mut String, params: &mut Vec<Val>, ids: Vec<Val>| {
        if ids.is_empty() {
            return false;
        }
        *sql += &format!(
            " AND territory_id IN ({})",
            placeholders(params.len() + 1, ids.len())
        );
        params.extend(ids);
        true
    };
    if team.all {
        // Accounts merged into another are history, not accounts to work.
        sql += " AND NOT EXISTS (SELECT 1 FROM account_merges m WHERE m.account_id = accounts.id)";
    } else if !within(&mut sql, &mut params, team.territory_ids()) {
        return None;
    }
    if let Some(t) = &f.territory {
        params.push(Val::from(t.as_str()));
        sql += &format!(" AND territory_id = ${}", params.len());
    }
    if let Some(rep) = &f.rep {
        let worked: Vec<Val> = team
            .territories
            .iter()
            .filter(|t| t.rep.is_some_and(|r| r.to_string() == *rep))
            .map(|t| Val::from(t.id))
            .collect();
        if !within(&mut sql, &mut params, worked) {
            return None;
        }
    }
    if let Some(text) = &f.text {
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        params.push(Val::from(format!("%{escaped}%")));
        sql += &format!(" AND search_text LIKE ${} ESCAPE '\\'", params.len());
    }
    Some((sql, params))
}

/// How many of the team's accounts `f` selects.
pub fn count(tx: &mut dyn Sql, team: &Team, f: &ListFilter) -> Result<i64> {
    let Some((filter, params)) = selection(team, f) else {
        return Ok(0);
    };
    Ok(tx
        .query_one(
            &format!("SELECT COUNT(*) FROM accounts WHERE {filter}"),
            &params,
        )?
        .int(0)?)
}

/// A page of the team's accounts under `f` from `start`, `size` to a page, by name. A
/// "previous" page that reaches the start is the first page itself.
pub fn page(
    tx: &mut dyn Sql,
    team: &Team,
    f: &ListFilter,
    start: &Start,
    size: usize,
) -> Result<AccountsPage> {
    let Some((mut sql, mut params)) = selection(team, f) else {
        return Ok(AccountsPage::default());
    };
    sql = format!("SELECT id, data, name_key FROM accounts WHERE {sql}");
    let (past, order) = match start {
        Start::First => (None, "ASC"),
        Start::After(k) => (Some((k, '>')), "ASC"),
        Start::Before(k) => (Some((k, '<')), "DESC"),
    };
    if let Some((k, op)) = past {
        params.push(Val::from(k.name.as_str()));
        params.push(Val::from(k.id.as_str()));
        let (name, id) = (params.len() - 1, params.len());
        // A row value, so both backends read the index on (name_key, id) from the key.
        sql += &format!(" AND (name_key, id) {op} (${name}, ${id})");
    }
    sql += &format!(" ORDER BY name_key {order}, id {order} LIMIT {}", size + 1);
    let mut rows = Vec::new();
    for r in tx.query(&sql, &params)? {
        let key = Key {
            id: r.text(0)?,
            name: r.text(2)?,
        };
        rows.push((r.json::<AccountRecord>(1).ok(), key));
    }
    let beyond = rows.len() > size;
    rows.truncate(size);
    let (next, previous) = match start {
        Start::First => (beyond, false),
        Start::After(_) => (beyond, true),
        Start::Before(_) if !beyond => return page(tx, team, f, &Start::First, size),
        Start::Before(_) => {
            rows.reverse();
            (true, true)
        }
    };
    let next = rows.last().filter(|_| next).map(|(_, k)| k.clone());
    let previous = rows.first().filter(|_| previous).map(|(_, k)| k.clone());
    let mut out = AccountsPage {
        next,
        previous,
        ..AccountsPage::default()
    };
    for (rec, key) in rows {
        match rec.filter(|r| rounds_core::Account::try_from(r).is_ok()) {
            Some(rec) => out.records.push(rec),
            None => out.left_out.push(key.id),
        }
    }
    if !out.left_out.is_empty() {
        tracing::warn!(ids = ?out.left_out, "stored accounts that do not read were left out");
    }
    Ok(out)
}

/// Rows keyed a transaction at a time by [`backfill`]: short enough that a live server's
/// writes wait milliseconds, not the whole fill.
pub const BACKFILL_BATCH: usize = 1_000;

/// Fills `name_key` and `search_text` of the rows written before they existed, a batch a
/// transaction, and returns how many it filled. Run by each server as it starts; a row
/// another server keyed meanwhile is left as it keyed it.
pub async fn backfill(db: &Db) -> std::result::Result<u64, DbError> {
    let mut filled = 0;
    loop {
        let n = db
            .write(|tx| {
                let rows = tx.query(
                    &format!(
                        "SELECT id, data FROM accounts WHERE name_key IS NULL ORDER BY id LIMIT {BACKFILL_BATCH}"
                    ),
                    &[],
                )?;
                for r in &rows {
                    let (name, search) = keys_of_json(&r.text(1)?);
                    tx.exec(
                        "UPDATE accounts SET name_key = $2, search_text = $3
                         WHERE id = $1 AND name_key IS NULL",
                        crate::params![r.text(0)?, name, search],
                    )?;
                }
                Ok::<_, DbError>(rows.len() as u64)
            })
            .await?;
        filled += n;
        if n < BACKFILL_BATCH as u64 {
            return Ok(filled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_and_its_stored_json_key_alike() {
        let mut rec = crate::places::tests::account("50667", None, None);
        rec.name = "Émile's Café".into();
        rec.street = "Hohe Straße 1".into();
        rec.city = "Köln".into();
        rec.email = Some("Hello@Cafe.DE".into());
        rec.industry = Some("Food".into());
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(keys_of(&rec), keys_of_json(&json));
        assert_eq!(keys_of(&rec).0, "émile's café");
        assert!(keys_of(&rec).1.contains("hello@cafe.de"));
        rec.phone = Some("+49 221".into());
        assert!(keys_of(&rec).1.contains("+49 221"));
    }

    #[test]
    fn damaged_data_still_gets_keys() {
        assert_eq!(keys_of_json("{\"not\": \"an account\"}").0, "");
        assert_eq!(keys_of_json("not json").0, "");
        assert_eq!(keys_of_json("{\"name\": \"ACME\"}").0, "acme");
    }

    #[test]
    fn keys_round_trip_and_damaged_ones_are_refused() {
        let id = AccountId::from_uuid(uuid::Uuid::now_v7());
        let k = Key {
            id: id.to_string(),
            name: "a~b c".into(),
        };
        assert_eq!(Key::parse(&k.to_param()).unwrap(), k);
        for bad in ["", "nothing", "x~y", "~abc"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }
}

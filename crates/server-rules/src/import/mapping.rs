//! How a file's columns are read: guessed from the header names (see [`crate::crm`]),
//! chosen by the manager, and saved by the file's set of headers for the next export of
//! the same shape.

use chrono::{DateTime, Utc};
use rounds_protocol::UserId;
use serde::{Deserialize, Serialize};

use super::{COLUMNS, Kind};
use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::{params, time};

/// What a header of a file of `kind` may be read as: for accounts, the import's own
/// columns, the person a CRM gave the account to (read as their territory) and a CRM's
/// record id; for contacts, the contacts' columns.
pub fn targets(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Accounts => COLUMNS
            .iter()
            .copied()
            .chain(["owner", "source_id"])
            .collect(),
        Kind::Contacts => super::contacts::COLUMNS.to_vec(),
    }
}

/// How a file's columns are read: each header, in the file's order, and the column it is
/// read as (`None`: not read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping(pub Vec<(String, Option<String>)>);

/// Where the way a file's columns are read came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MappingFrom {
    /// Guessed from the header names.
    #[default]
    Guessed,
    /// Saved when a file with the same headers was imported, on that day.
    Saved(DateTime<Utc>),
    /// Chosen by the manager for this file.
    Chosen,
}

/// The key a file's mapping is saved under: its set of headers, whatever their order
/// (a contacts file's apart from an accounts file's).
pub fn headers_key(kind: Kind, headers: &[String]) -> String {
    let mut h: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    h.sort();
    match kind {
        Kind::Accounts => h.join("\u{1f}"),
        Kind::Contacts => format!("contacts\u{1f}{}", h.join("\u{1f}")),
    }
}

/// How a file's headers are read: as `chosen` (checked; its problems when it does not
/// hold), else as saved for files with the same headers, else as `guessed`.
#[allow(clippy::type_complexity)]
pub(super) fn resolve(
    tx: &mut dyn Sql,
    kind: Kind,
    headers: &[String],
    guessed: Vec<(String, Option<&'static str>)>,
    chosen: Option<&Mapping>,
) -> Result<(
    Vec<(String, Option<&'static str>)>,
    MappingFrom,
    Vec<String>,
)> {
    Ok(match chosen {
        Some(m) => match checked_mapping(kind, headers, m) {
            Ok(m) => (m, MappingFrom::Chosen, Vec::new()),
            Err(p) => (guessed, MappingFrom::Guessed, p),
        },
        None => match saved_mapping(tx, kind, headers)? {
            Some((m, at)) => match checked_mapping(kind, headers, &in_order(&m, headers)) {
                Ok(m) => (m, MappingFrom::Saved(at), Vec::new()),
                Err(_) => (guessed, MappingFrom::Guessed, Vec::new()),
            },
            None => (guessed, MappingFrom::Guessed, Vec::new()),
        },
    })
}

/// A mapping for `headers`, checked: every header once, in order, each read as a known
/// column at most once. The reasons when not.
fn checked_mapping(
    kind: Kind,
    headers: &[String],
    m: &Mapping,
) -> std::result::Result<Vec<(String, Option<&'static str>)>, Vec<String>> {
    let same =
        m.0.len() == headers.len() && m.0.iter().zip(headers).all(|((h, _), header)| h == header);
    if !same {
        return Err(vec![
            "the column choices are for another file's headers; choose again".into(),
        ]);
    }
    let mut problems = Vec::new();
    let mut out: Vec<(String, Option<&'static str>)> = Vec::with_capacity(headers.len());
    for (h, target) in &m.0 {
        let column = match target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match targets(kind).into_iter().find(|c| *c == t) {
                Some(c) => Some(c),
                None => {
                    problems.push(format!(
                        "“{h}” is set to read as “{t}”, which is not a column"
                    ));
                    None
                }
            },
        };
        if let Some(c) = column
            && let Some((first, _)) = out.iter().find(|(_, taken)| *taken == Some(c))
        {
            problems.push(format!(
                "{c} is chosen for both “{first}” and “{h}”; choose one"
            ));
        }
        out.push((h.clone(), column));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A file's headers and its first row's values (empty where the row is shorter), to
/// show beside each column when the manager chooses how it is read.
pub fn headers_and_sample(csv_text: &str) -> (Vec<String>, Vec<String>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .flexible(true)
        .delimiter(crate::crm::separator(csv_text))
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let first = reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default();
    let sample = (0..headers.len())
        .map(|i| first.get(i).cloned().unwrap_or_default())
        .collect();
    (headers, sample)
}

/// The mapping saved for files with these headers, and when.
fn saved_mapping(
    tx: &mut dyn Sql,
    kind: Kind,
    headers: &[String],
) -> Result<Option<(Mapping, DateTime<Utc>)>> {
    let Some(r) = tx.query_opt(
        "SELECT mapping, saved_at FROM import_mappings WHERE headers_key = $1",
        params![headers_key(kind, headers)],
    )?
    else {
        return Ok(None);
    };
    // A saved mapping that no longer reads (a column renamed by an upgrade) is a guess.
    let Ok(m) = serde_json::from_str::<Mapping>(&r.text("mapping")?) else {
        return Ok(None);
    };
    let at = time::parse(&r.text("saved_at")?).unwrap_or(DateTime::UNIX_EPOCH);
    Ok(Some((m, at)))
}

/// A saved mapping in the order of `headers` (the same set, perhaps reordered).
fn in_order(saved: &Mapping, headers: &[String]) -> Mapping {
    let key = |h: &str| h.trim().to_lowercase();
    Mapping(
        headers
            .iter()
            .map(|h| {
                let column = saved
                    .0
                    .iter()
                    .find(|(s, _)| key(s) == key(h))
                    .and_then(|(_, c)| c.clone());
                (h.clone(), column)
            })
            .collect(),
    )
}

/// Keeps the mapping a manager chose, for the next file with the same headers.
pub(super) fn save_mapping(
    tx: &mut Tx<'_>,
    kind: Kind,
    m: &Mapping,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    let headers: Vec<String> = m.0.iter().map(|(h, _)| h.clone()).collect();
    let json = serde_json::to_string(m).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO import_mappings (headers_key, mapping, saved_by, saved_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (headers_key) DO UPDATE SET mapping = excluded.mapping,
             saved_by = excluded.saved_by, saved_at = excluded.saved_at",
        params![headers_key(kind, &headers), json, by, time::text(now)],
    )?;
    Ok(())
}

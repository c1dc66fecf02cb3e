//! Full-text search (FTS5) over account names and addresses, contact names and activity
//! notes; prefix matching as the rep types; ranked by bm25.

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use crate::error::Result;
use crate::{AccountView, Reader};
use rounds_protocol::AccountId;
use rounds_protocol::records::{AccountRecord, ContactRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchHitKind {
    Account,
    Contact,
    Note,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub account: AccountView,
    /// What matched best for this account.
    pub matched: SearchHitKind,
    /// The matching text with the match wrapped in `[` `]`.
    pub snippet: String,
}

fn table(kind: &str) -> &'static str {
    if kind == "note" {
        "search_notes"
    } else {
        "search_names"
    }
}

/// Indexes an account by its name and address.
pub(crate) fn index_account(tx: &Transaction<'_>, r: &AccountRecord) -> Result<()> {
    let text = format!(
        "{} {} {} {} {}",
        r.name, r.street, r.city, r.region, r.postal_code
    );
    index(tx, r.id.as_uuid(), "account", r.id.as_uuid(), &text)
}

/// Indexes a contact by name and role, under its account.
pub(crate) fn index_contact(tx: &Transaction<'_>, r: &ContactRecord) -> Result<()> {
    let text = format!("{} {}", r.name, r.title.as_deref().unwrap_or(""));
    index(tx, r.id.as_uuid(), "contact", r.account_id.as_uuid(), &text)
}

/// Adds or replaces one row's searchable text.
pub(crate) fn index(
    tx: &Transaction<'_>,
    ref_id: &Uuid,
    kind: &str,
    account: &Uuid,
    text: &str,
) -> Result<()> {
    let existing: Option<(i64, String)> = tx
        .prepare_cached("SELECT rowid, kind FROM search_docs WHERE ref_id = ?1")?
        .query_row([ref_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let rowid = match existing {
        Some((rowid, old_kind)) => {
            tx.prepare_cached("UPDATE search_docs SET kind = ?2, account_id = ?3 WHERE rowid = ?1")?
                .execute(params![rowid, kind, account])?;
            tx.prepare_cached(&format!("DELETE FROM {} WHERE rowid = ?1", table(&old_kind)))?
                .execute([rowid])?;
            rowid
        }
        None => tx
            .prepare_cached("INSERT INTO search_docs(ref_id, kind, account_id) VALUES (?1, ?2, ?3) RETURNING rowid")?
            .query_row(params![ref_id, kind, account], |r| r.get(0))?,
    };
    tx.prepare_cached(&format!(
        "INSERT INTO {}(rowid, text) VALUES (?1, ?2)",
        table(kind)
    ))?
    .execute(params![rowid, text])?;
    Ok(())
}

pub(crate) fn unindex(tx: &Transaction<'_>, ref_id: &Uuid) -> Result<()> {
    let existing: Option<(i64, String)> = tx
        .prepare_cached("SELECT rowid, kind FROM search_docs WHERE ref_id = ?1")?
        .query_row([ref_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((rowid, kind)) = existing {
        tx.prepare_cached(&format!("DELETE FROM {} WHERE rowid = ?1", table(&kind)))?
            .execute([rowid])?;
        tx.prepare_cached("DELETE FROM search_docs WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(())
}

/// Removes the index entries of every row in a bucket (before the rows go).
pub(crate) fn unindex_bucket(tx: &Transaction<'_>, bucket: i64) -> Result<()> {
    for (rows, fts) in [
        ("accounts", "search_names"),
        ("contacts", "search_names"),
        ("activities", "search_notes"),
    ] {
        tx.execute(
            &format!(
                "DELETE FROM {fts} WHERE rowid IN (SELECT d.rowid FROM search_docs d
                   JOIN {rows} t ON t.id = d.ref_id WHERE t.bucket = ?1)"
            ),
            [bucket],
        )?;
        tx.execute(
            &format!(
                "DELETE FROM search_docs WHERE ref_id IN (SELECT id FROM {rows} WHERE bucket = ?1)"
            ),
            [bucket],
        )?;
    }
    Ok(())
}

/// Drops every index entry but those of notes still only in the outbox.
pub(crate) fn unindex_synced(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM search_names", [])?;
    let keep = "SELECT entity_id FROM outbox WHERE kind = 'log_activity'";
    tx.execute(
        &format!(
            "DELETE FROM search_notes WHERE rowid IN
               (SELECT rowid FROM search_docs WHERE kind = 'note' AND ref_id NOT IN ({keep}))"
        ),
        [],
    )?;
    tx.execute(
        &format!("DELETE FROM search_docs WHERE kind != 'note' OR ref_id NOT IN ({keep})"),
        [],
    )?;
    Ok(())
}

/// Turns what the rep typed into an FTS5 query: every word must match, the last one as a
/// prefix (they are still typing it). Quotes make any character safe.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

impl Reader<'_> {
    /// Accounts matching `input`, one hit per account: matches on account and contact
    /// names and addresses first, best first (bm25); then matches in activity notes,
    /// most recently indexed first.
    pub fn search(&self, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<SearchHit> = Vec::new();
        for sql in [
            "SELECT d.account_id, d.kind, snippet(search_names, 0, '[', ']', '…', 8)
             FROM search_names JOIN search_docs d ON d.rowid = search_names.rowid
             WHERE search_names MATCH ?1 ORDER BY rank LIMIT ?2",
            "SELECT d.account_id, d.kind, snippet(search_notes, 0, '[', ']', '…', 8)
             FROM search_notes JOIN search_docs d ON d.rowid = search_notes.rowid
             WHERE search_notes MATCH ?1 ORDER BY search_notes.rowid DESC LIMIT ?2",
        ] {
            if out.len() >= limit {
                break;
            }
            let mut stmt = self.conn.prepare_cached(sql)?;
            // Several rows of one account may match; fetch extra to fill `limit`.
            let rows = stmt.query_map(params![query, (limit * 4) as i64], |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (account, kind, snippet) = row?;
                let account = AccountId::from_uuid(account);
                if out.iter().any(|h| h.account.account.id == account) {
                    continue;
                }
                let Some(view) = self.accounts().get(account)? else {
                    continue;
                };
                out.push(SearchHit {
                    account: view,
                    matched: match kind.as_str() {
                        "contact" => SearchHitKind::Contact,
                        "note" => SearchHitKind::Note,
                        _ => SearchHitKind::Account,
                    },
                    snippet,
                });
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_a_safe_prefix_query() {
        assert_eq!(
            fts_query("ann mart").as_deref(),
            Some("\"ann\"* AND \"mart\"*")
        );
        assert_eq!(
            fts_query("o'neil \"x\" (y) OR").as_deref(),
            Some("\"o\"* AND \"neil\"* AND \"x\"* AND \"y\"* AND \"OR\"*")
        );
        assert_eq!(fts_query("  *** "), None);
    }
}

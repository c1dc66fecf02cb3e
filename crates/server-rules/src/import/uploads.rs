//! Files kept on the server between their preview and their import: a company's export
//! may hold 100,000 rows, too much to carry back and forth in a form. Only the person who
//! uploaded one sees it; it is dropped once imported, or after a day.

use chrono::{DateTime, Utc};
use rounds_protocol::UserId;
use uuid::Uuid;

use super::{Confirmed, Mapping, confirm, receipt};
use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::manage::Reach;
use crate::{params, time};

/// What a file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Accounts,
    Contacts,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::Contacts => "contacts",
        }
    }
}

/// A file kept between its preview and its import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: Uuid,
    pub kind: Kind,
    pub csv: String,
    /// The columns as the manager chose them; `None`: as saved or guessed.
    pub mapping: Option<Mapping>,
}

/// How long an upload is kept for its preview and confirm.
const UPLOAD_HOURS: i64 = 24;

/// Keeps `csv` for `by` to preview and import; drops everyone's uploads older than a day.
pub fn store_upload(
    tx: &mut Tx<'_>,
    by: UserId,
    kind: Kind,
    csv: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    tx.exec(
        "DELETE FROM import_uploads WHERE created_at < $1",
        params![time::text(now - chrono::Duration::hours(UPLOAD_HOURS))],
    )?;
    tx.exec(
        "INSERT INTO import_uploads (id, user_id, csv, mapping, kind, created_at) VALUES ($1, $2, $3, NULL, $4, $5)",
        params![id, by, csv.to_owned(), kind.name(), time::text(now)],
    )?;
    Ok(id)
}

/// `by`'s upload `id`; `None` when it is gone or someone else's (they read the same).
pub fn upload(tx: &mut dyn Sql, id: Uuid, by: UserId) -> Result<Option<Upload>> {
    let Some(r) = tx.query_opt(
        "SELECT csv, mapping, kind FROM import_uploads WHERE id = $1 AND user_id = $2",
        params![id, by],
    )?
    else {
        return Ok(None);
    };
    let mapping = r
        .opt_text("mapping")?
        .and_then(|m| serde_json::from_str::<Mapping>(&m).ok());
    let kind = match r.text("kind")?.as_str() {
        "contacts" => Kind::Contacts,
        _ => Kind::Accounts,
    };
    Ok(Some(Upload {
        id,
        kind,
        csv: r.text("csv")?,
        mapping,
    }))
}

/// Reads `by`'s upload `id` as `mapping` from now on; false when there is no such upload.
pub fn choose_columns(tx: &mut Tx<'_>, id: Uuid, by: UserId, mapping: &Mapping) -> Result<bool> {
    let json = serde_json::to_string(mapping).map_err(|e| Error::Internal(e.to_string()))?;
    let changed = tx.exec(
        "UPDATE import_uploads SET mapping = $3 WHERE id = $1 AND user_id = $2",
        params![id, by, json],
    )?;
    Ok(changed > 0)
}

/// [`confirm`] of `by`'s upload `id` (accounts read as its chosen columns, or contacts),
/// and what it held; the upload is dropped once imported. `None` when there is no such
/// upload (and no receipt for `key`).
pub fn confirm_upload(
    tx: &mut Tx<'_>,
    key: &str,
    reach: &Reach,
    by: UserId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(Kind, Confirmed)>> {
    let Some(up) = upload(tx, id, by)? else {
        // A double click after the first confirm dropped the upload: the receipt says so.
        return Ok(receipt(tx, key)?.map(|n| (Kind::default(), Confirmed::Already(n))));
    };
    let out = confirm(
        tx,
        up.kind,
        key,
        reach,
        by,
        &up.csv,
        up.mapping.as_ref(),
        now,
    )?;
    if matches!(out, Confirmed::Done(_)) {
        tx.exec("DELETE FROM import_uploads WHERE id = $1", params![id])?;
    }
    Ok(Some((up.kind, out)))
}

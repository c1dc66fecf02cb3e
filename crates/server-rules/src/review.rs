//! What sync set aside for a manager: quarantined mutations and activities, rejected
//! edits, and the losing side of field conflicts; and what the manager does with them
//! (accept or dismiss, recorded in `review_resolutions`; the item itself is kept).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rounds_protocol::records::{AccountRecord, ActivityRecord};
use rounds_protocol::sync::Row;
use rounds_protocol::{AccountId, ErrorCode, TerritoryId, UserId};
use serde::{Deserialize, Serialize};

use crate::changelog::{self, territory_bucket};
use crate::db::{Sql, Tx, Val};
use crate::error::{Error, Result};
use crate::fields::{self, FieldChange};
use crate::manage::Reach;
use crate::sessions::SignedIn;
use crate::{org, params, time};
use rounds_core::Role;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    pub quarantined_mutations: Vec<QuarantinedMutation>,
    pub quarantined_activities: Vec<QuarantinedActivity>,
    pub rejected_edits: Vec<RejectedEdit>,
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantinedMutation {
    pub device_id: String,
    pub seq: i64,
    pub kind: String,
    pub result: serde_json::Value,
    /// The body exactly as the device sent it.
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantinedActivity {
    pub id: String,
    pub account_id: String,
    pub rep_id: String,
    pub reason: Option<String>,
    pub activity: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedEdit {
    pub device_id: String,
    pub user_id: String,
    pub account_id: Option<String>,
    pub field: Option<String>,
    pub value: Option<serde_json::Value>,
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    pub account_id: String,
    pub field: String,
    pub winner_value: serde_json::Value,
    pub loser_value: serde_json::Value,
    pub winner_hlc: String,
    pub loser_hlc: String,
}

fn json(s: Option<String>) -> serde_json::Value {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The newest 500 of each kind.
/// What sync set aside, newest first (at most 500 of each kind): everything for an admin
/// (`manager` none), a manager's own team's only — their people's devices and edits,
/// activities on their territories or by their people, conflicts on their accounts.
pub fn review(tx: &mut dyn Sql, manager: Option<UserId>) -> Result<Review> {
    use crate::manage::{MANAGED_PEOPLE, MANAGER_TERRITORIES};
    let scope = |clause: &str| match manager {
        Some(_) => clause.to_owned(),
        None => String::new(),
    };
    let params: Vec<Val> = manager.map(|m| params![m].to_vec()).unwrap_or_default();
    let mut r = Review::default();
    let sql = format!(
        "SELECT device_id, seq, kind, result, payload FROM mutations
         WHERE status IN ('quarantined', 'rejected') {}
         ORDER BY received_at DESC LIMIT 500",
        scope(&format!(
            "AND device_id IN (SELECT d.id FROM devices d WHERE d.user_id IN ({MANAGED_PEOPLE}))"
        ))
    );
    for row in tx.query(&sql, &params)? {
        r.quarantined_mutations.push(QuarantinedMutation {
            device_id: row.text("device_id")?,
            seq: row.int("seq")?,
            kind: row.text("kind")?,
            result: json(row.opt_text("result")?),
            payload: json(row.opt_text("payload")?),
        });
    }
    let sql = format!(
        "SELECT id, account_id, rep_id, reason, data FROM activities
         WHERE status = 'quarantined' {} ORDER BY id DESC LIMIT 500",
        scope(&format!(
            "AND (territory_id IN ({MANAGER_TERRITORIES}) OR rep_id IN ({MANAGED_PEOPLE}))"
        ))
    );
    for row in tx.query(&sql, &params)? {
        r.quarantined_activities.push(QuarantinedActivity {
            id: row.text("id")?,
            account_id: row.text("account_id")?,
            rep_id: row.text("rep_id")?,
            reason: row.opt_text("reason")?,
            activity: json(row.opt_text("data")?),
        });
    }
    let sql = format!(
        "SELECT device_id, user_id, account_id, field, value, code, reason FROM rejected_edits
         {} ORDER BY created_at DESC LIMIT 500",
        scope(&format!("WHERE user_id IN ({MANAGED_PEOPLE})"))
    );
    for row in tx.query(&sql, &params)? {
        r.rejected_edits.push(RejectedEdit {
            device_id: row.text("device_id")?,
            user_id: row.text("user_id")?,
            account_id: row.opt_text("account_id")?,
            field: row.opt_text("field")?,
            value: Some(json(row.opt_text("value")?)),
            code: row.text("code")?,
            reason: row.text("reason")?,
        });
    }
    let sql = format!(
        "SELECT account_id, field, winner_value, loser_value, winner_hlc, loser_hlc FROM conflicts
         {} ORDER BY created_at DESC LIMIT 500",
        scope(&format!(
            "WHERE account_id IN (SELECT a.id FROM accounts a WHERE a.territory_id IN ({MANAGER_TERRITORIES}))"
        ))
    );
    for row in tx.query(&sql, &params)? {
        r.conflicts.push(Conflict {
            account_id: row.text("account_id")?,
            field: row.text("field")?,
            winner_value: json(row.opt_text("winner_value")?),
            loser_value: json(row.opt_text("loser_value")?),
            winner_hlc: row.text("winner_hlc")?,
            loser_hlc: row.text("loser_hlc")?,
        });
    }
    Ok(r)
}

/// The kinds of item a manager resolves on the review page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Activity,
    RejectedEdit,
    Conflict,
    /// A rep's new account that looks like one already in its territory.
    Duplicate,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Activity => "activity",
            ItemKind::RejectedEdit => "rejected_edit",
            ItemKind::Conflict => "conflict",
            ItemKind::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        [
            ItemKind::Activity,
            ItemKind::RejectedEdit,
            ItemKind::Conflict,
            ItemKind::Duplicate,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One open item, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenItem {
    pub kind: ItemKind,
    pub id: String,
    pub account_id: Option<AccountId>,
    /// The account's name, or its id when it is not on the server.
    pub account: String,
    /// Who: the rep (activity, rejected edit) or the losing writer (conflict).
    pub who: String,
    pub field: Option<String>,
    /// The value on offer: the activity as JSON, the edit's or the losing value.
    pub value: String,
    /// A conflict's winning value.
    pub winner: Option<String>,
    pub reason: String,
    /// When it arrived (activities: when they happened).
    pub at: String,
}

const OPEN: &str =
    "NOT EXISTS (SELECT 1 FROM review_resolutions r WHERE r.kind = $1 AND r.item_id = x.id)";

/// The open items within reach, newest first (at most 500 of each kind).
pub fn open_items(tx: &mut dyn Sql, reach: &Reach) -> Result<Vec<OpenItem>> {
    let mut out = Vec::new();
    let mut names: HashMap<String, (Option<TerritoryId>, String)> = HashMap::new();
    let mut account = |tx: &mut dyn Sql, id: &str| -> Result<(Option<TerritoryId>, String)> {
        if let Some(v) = names.get(id) {
            return Ok(v.clone());
        }
        let v = match tx.query_opt("SELECT data FROM accounts WHERE id = $1", params![id])? {
            Some(r) => {
                let rec: AccountRecord = r.json("data")?;
                (rec.territory_id, rec.name)
            }
            None => (None, format!("(unknown account {id})")),
        };
        names.insert(id.to_owned(), v.clone());
        Ok(v)
    };
    // One column shape for every kind, named alike: id, account, who, field, value,
    // winner, reason, at.
    let kinds = [
        (
            ItemKind::Activity,
            "SELECT x.id AS id, x.account_id AS account, x.rep_id AS who,
                    CAST(NULL AS TEXT) AS field, x.data AS value, CAST(NULL AS TEXT) AS winner,
                    COALESCE(x.reason, '') AS reason, x.occurred_at AS at
             FROM activities x WHERE x.status = 'quarantined' AND {OPEN} ORDER BY x.id DESC LIMIT 2000",
        ),
        (
            ItemKind::RejectedEdit,
            "SELECT x.id AS id, COALESCE(x.account_id, '') AS account, x.user_id AS who,
                    x.field AS field, x.value AS value, CAST(NULL AS TEXT) AS winner,
                    x.reason AS reason, x.created_at AS at
             FROM rejected_edits x WHERE {OPEN} ORDER BY x.created_at DESC LIMIT 2000",
        ),
        (
            ItemKind::Conflict,
            "SELECT x.id AS id, x.account_id AS account, COALESCE(x.loser_device, '') AS who,
                    x.field AS field, x.loser_value AS value, x.winner_value AS winner,
                    'a later value of this field won' AS reason, x.created_at AS at
             FROM conflicts x WHERE {OPEN} ORDER BY x.created_at DESC LIMIT 2000",
        ),
        (
            ItemKind::Duplicate,
            "SELECT x.id AS id, x.account_id AS account, COALESCE(o.user_id, '') AS who,
                    CAST(NULL AS TEXT) AS field, x.other_id AS value, CAST(NULL AS TEXT) AS winner,
                    x.why AS reason, x.created_at AS at
             FROM duplicate_accounts x LEFT JOIN account_origins o ON o.account_id = x.account_id
             WHERE {OPEN} ORDER BY x.created_at DESC LIMIT 2000",
        ),
    ];
    for (kind, sql) in kinds {
        let rows = tx.query(&sql.replace("{OPEN}", OPEN), params![kind.as_str()])?;
        let mut n = 0;
        for row in rows {
            if n >= 500 {
                break;
            }
            let acc = row.text("account")?;
            let (territory, name) = account(tx, &acc)?;
            if !reach.allows(territory) {
                continue;
            }
            n += 1;
            out.push(OpenItem {
                kind,
                id: row.text("id")?,
                account_id: acc.parse().ok(),
                account: name,
                who: row.text("who")?,
                field: row.opt_text("field")?,
                value: row.opt_text("value")?.unwrap_or_default(),
                winner: row.opt_text("winner")?,
                reason: row.text("reason")?,
                at: row.text("at")?,
            });
        }
    }
    Ok(out)
}

fn refused(message: impl Into<String>) -> Error {
    Error::client(ErrorCode::Conflict, message)
}

fn not_found(kind: ItemKind) -> Error {
    Error::client(
        ErrorCode::NotFound,
        format!("no open {} item with that id", kind.as_str()),
    )
}

fn is_resolved(tx: &mut dyn Sql, kind: ItemKind, id: &str) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM review_resolutions WHERE kind = $1 AND item_id = $2",
            params![kind.as_str(), id],
        )?
        .is_some())
}

fn resolve(
    tx: &mut dyn Sql,
    kind: ItemKind,
    id: &str,
    resolution: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.exec(
        "INSERT INTO review_resolutions (kind, item_id, resolution, resolved_by, resolved_at)
         VALUES ($1, $2, $3, $4, $5)",
        params![kind.as_str(), id, resolution, by, time::text(now)],
    )?;
    Ok(())
}

/// The open item's account id, checked to be within reach.
fn open_item_account(
    tx: &mut dyn Sql,
    reach: &Reach,
    kind: ItemKind,
    id: &str,
) -> Result<Option<AccountId>> {
    let sql = match kind {
        ItemKind::Activity => {
            "SELECT account_id FROM activities WHERE id = $1 AND status = 'quarantined'"
        }
        ItemKind::RejectedEdit => "SELECT account_id FROM rejected_edits WHERE id = $1",
        ItemKind::Conflict => "SELECT account_id FROM conflicts WHERE id = $1",
        ItemKind::Duplicate => "SELECT account_id FROM duplicate_accounts WHERE id = $1",
    };
    let Some(row) = tx.query_opt(sql, params![id])? else {
        return Err(not_found(kind));
    };
    if is_resolved(tx, kind, id)? {
        return Err(refused("this item was already resolved"));
    }
    let account: Option<AccountId> = row.opt_text("account_id")?.and_then(|s| s.parse().ok());
    let territory = match account {
        Some(a) => org::account(tx, a)?.map(|r| r.territory_id),
        None => None,
    };
    // An item whose account is gone is an admin's to resolve.
    if !reach.allows(territory.flatten()) && !matches!(reach, Reach::All) {
        return Err(not_found(kind));
    }
    Ok(account.filter(|_| territory.is_some()))
}

fn conflict_ids(tx: &mut dyn Sql, account: AccountId, field: &str) -> Result<Vec<String>> {
    tx.query(
        "SELECT id FROM conflicts WHERE account_id = $1 AND field = $2",
        params![account, field],
    )?
    .iter()
    .map(|r| r.text("id").map_err(Error::from))
    .collect()
}

/// Accepts an open item: a quarantined activity becomes a normal one (in its account's
/// territory bucket, so devices receive it); a rejected edit or a conflict's losing value
/// is applied as `by`'s edit. Either way the item is marked resolved.
pub fn accept(
    tx: &mut Tx<'_>,
    reach: &Reach,
    kind: ItemKind,
    id: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(account) = open_item_account(tx, reach, kind, id)? else {
        return Err(refused(
            "its account is not on the server, so it cannot be applied; dismiss it instead",
        ));
    };
    match kind {
        ItemKind::Activity => {
            let row = tx.query_one("SELECT data FROM activities WHERE id = $1", params![id])?;
            let rec: ActivityRecord = row.json("data")?;
            if let Err(e) = rounds_core::Activity::try_from(&rec) {
                return Err(refused(format!(
                    "the activity itself is invalid ({e}); dismiss it instead"
                )));
            }
            let territory = org::account(tx, account)?.and_then(|a| a.territory_id);
            let seq = match territory_bucket(territory) {
                Some(b) => changelog::put(tx, &b, &Row::Activity(rec))?,
                None => tx.next_seq()?,
            };
            tx.exec(
                "UPDATE activities SET status = 'ok', reason = NULL, territory_id = $2, server_seq = $3 WHERE id = $1",
                params![id, territory, seq],
            )?;
        }
        ItemKind::Duplicate => {
            let row = tx.query_one(
                "SELECT other_id FROM duplicate_accounts WHERE id = $1",
                params![id],
            )?;
            let other: AccountId = row.parse("other_id")?;
            let territory = org::account(tx, other)?.and_then(|a| a.territory_id);
            if !reach.allows(territory) {
                return Err(refused(
                    "the other account is not among the accounts you manage; dismiss it instead",
                ));
            }
            crate::merge::merge(tx, account, other, by, now)?;
        }
        ItemKind::RejectedEdit | ItemKind::Conflict => {
            let sql = if kind == ItemKind::Conflict {
                "SELECT field, loser_value AS value FROM conflicts WHERE id = $1"
            } else {
                "SELECT field, value FROM rejected_edits WHERE id = $1"
            };
            let row = tx.query_one(sql, params![id])?;
            let field = row.opt_text("field")?.unwrap_or_default();
            let value = row.opt_text("value")?.unwrap_or_default();
            let Some(change) = FieldChange::from_stored(&field, &value) else {
                return Err(refused(format!(
                    "{field}: the value {value} is not one this server can apply; dismiss it instead"
                )));
            };
            if let Err(e) = change.validate() {
                return Err(refused(format!(
                    "{field}: {e}; the value cannot be applied, dismiss it instead"
                )));
            }
            // The value this replaces becomes a conflict of its own; the manager has just
            // chosen between the two, so it is not put before them again.
            let before: Vec<String> = conflict_ids(tx, account, &field)?;
            fields::edit_account(tx, account, &[change], Some(by), now)?;
            for c in conflict_ids(tx, account, &field)? {
                if !before.contains(&c) {
                    resolve(tx, ItemKind::Conflict, &c, "dismissed", by, now)?;
                }
            }
        }
    }
    resolve(tx, kind, id, "accepted", by, now)
}

/// Takes an open item off the list, keeping it as it is.
pub fn dismiss(
    tx: &mut Tx<'_>,
    reach: &Reach,
    kind: ItemKind,
    id: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    open_item_account(tx, reach, kind, id)?;
    resolve(tx, kind, id, "dismissed", by, now)
}

/// A team member whose sign-ins are on hold after failed attempts in a row.
#[derive(Debug, Clone)]
pub struct OnHold {
    pub name: String,
    pub email: String,
    pub failures: u32,
    pub until: DateTime<Utc>,
}

/// The ids of the viewer and everyone under them (a director's managers' people too).
fn managed_ids(tx: &mut dyn Sql, viewer: &SignedIn) -> Result<std::collections::HashSet<String>> {
    tx.query(crate::manage::MANAGED_PEOPLE, params![viewer.id])?
        .iter()
        .map(|r| r.text(0).map_err(Error::from))
        .collect()
}

/// The viewer's people (an admin's: everyone) whose sign-ins wait or are locked now.
pub fn sign_ins_on_hold(
    tx: &mut dyn Sql,
    viewer: &SignedIn,
    now: DateTime<Utc>,
) -> Result<Vec<OnHold>> {
    let rows = tx.query(
        "SELECT name, email, failed_sign_ins, last_failed_at, id FROM users
         WHERE failed_sign_ins > $1 ORDER BY name",
        params![i64::from(crate::throttle::FREE_FAILURES)],
    )?;
    let mine = managed_ids(tx, viewer)?;
    let mut out = Vec::new();
    for r in rows {
        let managed = mine.contains(&r.text("id")?);
        if viewer.role != Role::Admin && !managed {
            continue;
        }
        let failures = u32::try_from(r.int("failed_sign_ins")?).unwrap_or(u32::MAX);
        let until = r
            .opt_text("last_failed_at")?
            .and_then(|t| time::parse(&t))
            .and_then(|last| crate::throttle::lockout(failures, last))
            .filter(|u| *u > now);
        if let Some(until) = until {
            out.push(OnHold {
                name: r.text("name")?,
                email: r.text("email")?,
                failures,
                until,
            });
        }
    }
    Ok(out)
}

/// A device of the viewer's people whose pushes are refused for its quota.
#[derive(Debug, Clone)]
pub struct OverQuota {
    pub owner: String,
    pub device: String,
    pub set_aside: i64,
    pub stored_mib: i64,
}

/// The viewer's people's devices (an admin's: every device) at or over their quota.
pub fn devices_over_quota(tx: &mut dyn Sql, viewer: &SignedIn) -> Result<Vec<OverQuota>> {
    use crate::push::{MAX_SET_ASIDE_PER_DEVICE, MAX_STORED_BYTES_PER_DEVICE};
    let rows = tx.query(
        "SELECT u.name AS owner, d.name AS device, d.set_aside, d.stored_bytes,
                u.id AS user_id FROM devices d
         JOIN users u ON u.id = d.user_id
         WHERE d.revoked_at IS NULL AND (d.set_aside >= $1 OR d.stored_bytes >= $2)
         ORDER BY u.name, d.name",
        params![MAX_SET_ASIDE_PER_DEVICE, MAX_STORED_BYTES_PER_DEVICE],
    )?;
    let mine = managed_ids(tx, viewer)?;
    let mut out = Vec::new();
    for r in rows {
        let managed = mine.contains(&r.text("user_id")?);
        if viewer.role == Role::Admin || managed {
            out.push(OverQuota {
                owner: r.text("owner")?,
                device: r.text("device")?,
                set_aside: r.int("set_aside")?,
                stored_mib: r.int("stored_bytes")? >> 20,
            });
        }
    }
    Ok(out)
}

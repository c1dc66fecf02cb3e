//! The organisation the manager and admin shape: users and teams, territories, accounts,
//! contacts, plans, and account assignment with its history. Each change writes the
//! changelog in the same transaction, so devices see it on their next pull.

use chrono::{DateTime, Utc};
use rounds_core::Role;
use rounds_protocol::records::{
    AccountRecord, ActivityRecord, ContactRecord, PlanRecord, TerritoryRecord,
};
use rounds_protocol::sync::{BucketId, Row};
use rounds_protocol::{AccountId, ErrorCode, TerritoryId, UserId};
use uuid::Uuid;

use crate::auth::role_name;
use crate::changelog::{self, territory_bucket};
use crate::db::{DbError, Sql, Tx};
use crate::error::{Error, Result};
use crate::{params, time};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub manager: Option<UserId>,
    pub time_zone: String,
}

pub fn add_user(tx: &mut dyn Sql, u: &NewUser, now: DateTime<Utc>) -> Result<UserId> {
    add_user_with_id(tx, UserId::from_uuid(Uuid::now_v7()), u, now)
}

/// As [`add_user`], with an id chosen by the caller (the deterministic demo).
pub fn add_user_with_id(
    tx: &mut dyn Sql,
    id: UserId,
    u: &NewUser,
    now: DateTime<Utc>,
) -> Result<UserId> {
    let email = u.email.trim().to_lowercase();
    rounds_core::Email::parse(&email)
        .map_err(|e| Error::client(ErrorCode::InvalidInput, format!("email: {e}")))?;
    if u.time_zone.parse::<rounds_core::Tz>().is_err() {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!("time_zone: {:?} is not an IANA zone", u.time_zone),
        ));
    }
    if tx
        .query_opt(
            "SELECT id FROM users WHERE email = $1",
            params![email.clone()],
        )?
        .is_some()
    {
        return Err(Error::client(
            ErrorCode::Conflict,
            format!("a user with e-mail {email} exists"),
        ));
    }
    tx.exec(
        "INSERT INTO users (id, email, name, role, password_hash, manager_id, time_zone, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
        params![id, email, u.name.trim(), role_name(u.role), u.password_hash.clone(), u.manager, u.time_zone.clone(), time::text(now)],
    )?;
    Ok(id)
}

pub fn user_by_email(tx: &mut dyn Sql, email: &str) -> Result<Option<(UserId, Role)>> {
    let row = tx.query_opt(
        "SELECT id, role FROM users WHERE email = $1",
        params![email.trim().to_lowercase()],
    )?;
    row.map(|r| {
        Ok((
            r.parse("id")?,
            crate::auth::parse_role(&r.text("role")?)
                .ok_or_else(|| DbError::Decode("role".into()))?,
        ))
    })
    .transpose()
}

/// Deactivates a user and signs out all their devices.
pub fn deactivate_user(tx: &mut dyn Sql, email: &str, now: DateTime<Utc>) -> Result<()> {
    let Some((id, _)) = user_by_email(tx, email)? else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no user {email}"),
        ));
    };
    tx.exec("UPDATE users SET active = 0 WHERE id = $1", params![id])?;
    tx.exec(
        "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        params![id, time::text(now)],
    )?;
    Ok(())
}

pub fn territory_rep(tx: &mut dyn Sql, t: TerritoryId) -> Result<Option<Option<UserId>>> {
    tx.query_opt("SELECT rep_id FROM territories WHERE id = $1", params![t])?
        .map(|r| r.opt_parse("rep_id").map_err(Error::from))
        .transpose()
}

fn territory_record(tx: &mut dyn Sql, t: TerritoryId) -> Result<TerritoryRecord> {
    let r = tx.query_one(
        "SELECT name, rep_id FROM territories WHERE id = $1",
        params![t],
    )?;
    Ok(TerritoryRecord {
        id: t,
        name: r.text("name")?,
        rep_id: r.opt_parse("rep_id")?,
    })
}

/// The one rule for who may hold a territory: an active rep or manager (a manager may
/// work a territory themselves). Not an admin, not a deactivated user, not a stranger.
/// The command line, the manage API and the dashboard all ask this.
pub fn may_hold_territory(tx: &mut dyn Sql, user: UserId) -> Result<()> {
    let row = tx.query_opt(
        "SELECT role, active FROM users WHERE id = $1",
        params![user],
    )?;
    let Some(row) = row else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no user {user}"),
        ));
    };
    let role = crate::auth::parse_role(&row.text("role")?);
    if row.int("active")? == 0 {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "a deactivated user cannot hold a territory",
        ));
    }
    match role {
        Some(Role::Rep | Role::Manager) => Ok(()),
        _ => Err(Error::client(
            ErrorCode::InvalidInput,
            "only a rep or a manager can hold a territory",
        )),
    }
}

pub fn create_territory(
    tx: &mut Tx<'_>,
    id: TerritoryId,
    name: &str,
    rep: Option<UserId>,
) -> Result<TerritoryId> {
    if let Some(rep) = rep {
        may_hold_territory(tx, rep)?;
    }
    tx.exec(
        "INSERT INTO territories (id, name, rep_id) VALUES ($1, $2, $3)",
        params![id, name.trim(), rep],
    )?;
    let rec = territory_record(tx, id)?;
    changelog::put(tx, &BucketId::territory(id), &Row::Territory(rec))?;
    Ok(id)
}

pub fn account(tx: &mut dyn Sql, id: AccountId) -> Result<Option<AccountRecord>> {
    tx.query_opt("SELECT data FROM accounts WHERE id = $1", params![id])?
        .map(|r| r.json("data").map_err(Error::from))
        .transpose()
}

/// Saves an account's new state and logs it in its territory's bucket.
pub fn save_account(tx: &mut Tx<'_>, rec: &AccountRecord) -> Result<()> {
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    let (name_key, search) = crate::account_list::keys_of(rec);
    tx.exec(
        "UPDATE accounts SET data = $2, territory_id = $3, name_key = $4, search_text = $5
         WHERE id = $1",
        params![rec.id, data, rec.territory_id, name_key, search],
    )?;
    if let Some(b) = territory_bucket(rec.territory_id) {
        changelog::put(tx, &b, &Row::Account(rec.clone()))?;
    }
    Ok(())
}

/// A new account, held from `since` by its territory's rep.
pub fn create_account(tx: &mut Tx<'_>, rec: &AccountRecord, since: DateTime<Utc>) -> Result<()> {
    let rep = match rec.territory_id {
        Some(t) => territory_rep(tx, t)?
            .ok_or_else(|| Error::client(ErrorCode::NotFound, format!("no territory {t}")))?,
        None => None,
    };
    create_account_held(tx, rec, since, rep)
}

/// [`create_account`] for a caller that looked its territory up and found `rep` holding
/// it (an import looks each territory up once, not once a row).
pub fn create_account_held(
    tx: &mut Tx<'_>,
    rec: &AccountRecord,
    since: DateTime<Utc>,
    rep: Option<UserId>,
) -> Result<()> {
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    let (name_key, search) = crate::account_list::keys_of(rec);
    tx.exec(
        "INSERT INTO accounts (id, territory_id, data, name_key, search_text)
         VALUES ($1, $2, $3, $4, $5)",
        params![rec.id, rec.territory_id, data, name_key, search],
    )?;
    crate::stage::record_history(tx, rec, since)?;
    if let Some(b) = territory_bucket(rec.territory_id) {
        changelog::put(tx, &b, &Row::Account(rec.clone()))?;
    }
    let seq = tx.head_seq()?;
    hold(tx, rec.id, rec.territory_id, rep, since, seq)?;
    Ok(())
}

pub fn create_contact(tx: &mut Tx<'_>, rec: &ContactRecord) -> Result<()> {
    let Some(acct) = account(tx, rec.account_id)? else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no account {}", rec.account_id),
        ));
    };
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO contacts (id, account_id, data) VALUES ($1, $2, $3)",
        params![rec.id, rec.account_id, data],
    )?;
    if let Some(b) = territory_bucket(acct.territory_id) {
        changelog::put(tx, &b, &Row::Contact(rec.clone()))?;
    }
    Ok(())
}

/// One primary contact per account: with `primary` saved as primary, every other
/// contact of its account that was primary is made plain (and logged in `bucket`).
pub fn make_sole_primary(
    tx: &mut Tx<'_>,
    primary: &ContactRecord,
    bucket: Option<&BucketId>,
) -> Result<()> {
    if !primary.primary {
        return Ok(());
    }
    for r in tx.query(
        "SELECT data FROM contacts WHERE account_id = $1 AND id <> $2",
        params![primary.account_id, primary.id],
    )? {
        let mut other: ContactRecord = r.json("data")?;
        if !other.primary {
            continue;
        }
        other.primary = false;
        let data = serde_json::to_string(&other).map_err(|e| Error::Internal(e.to_string()))?;
        tx.exec(
            "UPDATE contacts SET data = $2 WHERE id = $1",
            params![other.id, data],
        )?;
        if let Some(b) = bucket {
            changelog::put(tx, b, &Row::Contact(other))?;
        }
    }
    Ok(())
}

pub fn upsert_plan(tx: &mut Tx<'_>, rec: &PlanRecord) -> Result<()> {
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO plans (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        params![rec.id, data],
    )?;
    changelog::put(tx, &BucketId::org(), &Row::Plan(rec.clone()))?;
    Ok(())
}

/// An accepted activity (history import, or a push): stored and logged in the bucket of
/// the account's current territory.
pub fn insert_activity(
    tx: &mut Tx<'_>,
    a: &ActivityRecord,
    territory: Option<TerritoryId>,
    device: Option<rounds_protocol::DeviceId>,
) -> Result<bool> {
    let data = serde_json::to_string(a).map_err(|e| Error::Internal(e.to_string()))?;
    let seq = tx.head_seq()? + 1;
    let n = tx.exec(
        "INSERT INTO activities (id, account_id, rep_id, territory_id, occurred_at, status, reason, device_id, data, server_seq, kind)
         VALUES ($1, $2, $3, $4, $5, 'ok', NULL, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        params![
            a.id,
            a.account_id,
            a.rep_id,
            territory,
            time::text(a.occurred_at),
            device,
            data,
            seq,
            crate::history::stored_kind(a)
        ],
    )?;
    if n == 0 {
        return Ok(false);
    }
    if let Some(b) = territory_bucket(territory) {
        changelog::put(tx, &b, &Row::Activity(a.clone()))?;
    } else {
        tx.next_seq()?;
    }
    Ok(true)
}

fn open_holding(
    tx: &mut dyn Sql,
    account: AccountId,
    territory: Option<TerritoryId>,
    at: DateTime<Utc>,
    seq: i64,
) -> Result<()> {
    let rep = match territory {
        Some(t) => territory_rep(tx, t)?.flatten(),
        None => None,
    };
    hold(tx, account, territory, rep, at, seq)
}

/// Opens `rep`'s holding of `account` in `territory` from `at`.
fn hold(
    tx: &mut dyn Sql,
    account: AccountId,
    territory: Option<TerritoryId>,
    rep: Option<UserId>,
    at: DateTime<Utc>,
    seq: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO assignments (id, account_id, territory_id, rep_id, from_at, from_seq) VALUES ($1, $2, $3, $4, $5, $6)",
        params![Uuid::now_v7(), account, territory, rep, time::text(at), seq],
    )?;
    Ok(())
}

fn close_holding(tx: &mut dyn Sql, account: AccountId, at: DateTime<Utc>, seq: i64) -> Result<()> {
    tx.exec(
        "UPDATE assignments SET to_at = $2, to_seq = $3 WHERE account_id = $1 AND to_at IS NULL",
        params![account, time::text(at), seq],
    )?;
    Ok(())
}

/// The rows that travel with an account between buckets.
fn account_rows(tx: &mut dyn Sql, rec: &AccountRecord) -> Result<Vec<Row>> {
    let mut rows = vec![Row::Account(rec.clone())];
    for r in tx.query(
        "SELECT data FROM contacts WHERE account_id = $1 ORDER BY id",
        params![rec.id],
    )? {
        rows.push(Row::Contact(r.json("data")?));
    }
    for r in tx.query(
        "SELECT data FROM activities WHERE account_id = $1 AND status = 'ok' ORDER BY id",
        params![rec.id],
    )? {
        rows.push(Row::Activity(r.json("data")?));
    }
    for r in tx.query(
        "SELECT data FROM corrections WHERE account_id = $1 AND status = 'ok' ORDER BY id",
        params![rec.id],
    )? {
        rows.push(Row::Correction(r.json("data")?));
    }
    for r in tx.query(
        "SELECT data FROM follow_ups WHERE account_id = $1 ORDER BY id",
        params![rec.id],
    )? {
        rows.push(Row::FollowUp(r.json("data")?));
    }
    for r in tx.query(
        "SELECT data FROM appointments WHERE account_id = $1 ORDER BY id",
        params![rec.id],
    )? {
        rows.push(Row::Appointment(r.json("data")?));
    }
    rows.extend(
        crate::photos::of_account(tx, rec.id)?
            .iter()
            .map(|p| Row::Photo(p.record())),
    );
    Ok(rows)
}

/// Moves an account to another territory (or none): its rows leave the old bucket and
/// arrive, with their whole history, in the new one; the assignment history records it.
pub fn assign_account(
    tx: &mut Tx<'_>,
    id: AccountId,
    to: Option<TerritoryId>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(mut rec) = account(tx, id)? else {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no account {id}"),
        ));
    };
    if let Some(t) = to
        && territory_rep(tx, t)?.is_none()
    {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no territory {t}"),
        ));
    }
    if rec.territory_id == to {
        return Ok(false);
    }
    if let Some(old) = territory_bucket(rec.territory_id) {
        for row in account_rows(tx, &rec)? {
            changelog::delete(tx, &old, row.table(), row.id())?;
        }
    }
    rec.territory_id = to;
    let data = serde_json::to_string(&rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "UPDATE accounts SET data = $2, territory_id = $3 WHERE id = $1",
        params![id, data, to],
    )?;
    if let Some(new) = territory_bucket(to) {
        for row in account_rows(tx, &rec)? {
            changelog::put(tx, &new, &row)?;
        }
    }
    let seq = tx.next_seq()?;
    close_holding(tx, id, now, seq)?;
    open_holding(tx, id, to, now, seq)?;
    Ok(true)
}

/// Gives a territory to another rep (or nobody). Devices gain or lose the whole bucket on
/// their next pull; the history records who held each of its accounts.
pub fn assign_territory(
    tx: &mut Tx<'_>,
    t: TerritoryId,
    rep: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    if territory_rep(tx, t)?.is_none() {
        return Err(Error::client(
            ErrorCode::NotFound,
            format!("no territory {t}"),
        ));
    }
    if let Some(rep) = rep {
        may_hold_territory(tx, rep)?;
    }
    let before = territory_rep(tx, t)?.flatten();
    tx.exec(
        "UPDATE territories SET rep_id = $2 WHERE id = $1",
        params![t, rep],
    )?;
    let rec = territory_record(tx, t)?;
    changelog::put(tx, &BucketId::territory(t), &Row::Territory(rec))?;
    let seq = tx.head_seq()?;
    if before != rep {
        // The new holder's devices start the bucket here: nothing from before is theirs.
        tx.exec(
            "UPDATE territories SET held_since_seq = $2 WHERE id = $1",
            params![t, seq],
        )?;
    }
    let ids = tx.query(
        "SELECT id FROM accounts WHERE territory_id = $1",
        params![t],
    )?;
    for r in ids {
        let a: AccountId = r.parse("id")?;
        close_holding(tx, a, now, seq)?;
        open_holding(tx, a, Some(t), now, seq)?;
    }
    Ok(())
}

/// Whether `rep` held the account at `at`, by the assignment history.
pub fn held_at(
    tx: &mut dyn Sql,
    account: AccountId,
    rep: UserId,
    at: DateTime<Utc>,
) -> Result<bool> {
    let at = time::text(at);
    Ok(tx
        .query_opt(
            "SELECT 1 FROM assignments WHERE account_id = $1 AND rep_id = $2
             AND from_at <= $3 AND (to_at IS NULL OR to_at > $3)",
            params![account, rep, at],
        )?
        .is_some())
}

/// Who held the account right after server seq `seq` (the answer the history exists for).
pub fn holder_at_seq(tx: &mut dyn Sql, account: AccountId, seq: i64) -> Result<Option<UserId>> {
    let row = tx.query_opt(
        "SELECT rep_id FROM assignments WHERE account_id = $1 AND from_seq <= $2
         AND (to_seq IS NULL OR to_seq > $2) ORDER BY from_seq DESC LIMIT 1",
        params![account, seq],
    )?;
    Ok(row.map(|r| r.opt_parse("rep_id")).transpose()?.flatten())
}

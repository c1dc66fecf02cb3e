//! Passwords (argon2id), device tokens (32 random bytes; only their SHA-256 is stored),
//! sign-in and the bearer check every device request goes through.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rounds_core::Role;
use rounds_protocol::auth::{LoginRequest, LoginResponse, UserInfo};
use rounds_protocol::{DeviceId, ErrorCode, UserId};
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;

use crate::db::{Db, DbError, Sql};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::{params, throttle, time};

/// Who is calling: resolved from the bearer token on every request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub device: DeviceId,
    pub user: UserId,
    pub role: Role,
    /// The protocol version the device last pushed with, if any.
    pub protocol_version: Option<i64>,
    /// The highest mutation seq applied for the device, as of this request's transaction.
    pub last_applied_seq: i64,
    /// What this device has had set aside for review, and its ledger's payload bytes.
    pub set_aside: i64,
    pub stored_bytes: i64,
    /// What all the user's devices have had set aside.
    pub user_set_aside: i64,
}

pub fn hash_password(password: &str, settings: &Settings) -> Result<String> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        1,
        None,
    )
    .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Rep => "rep",
        Role::Manager => "manager",
        Role::Director => "director",
        Role::Admin => "admin",
    }
}

pub fn parse_role(s: &str) -> Option<Role> {
    match s {
        "rep" => Some(Role::Rep),
        "manager" => Some(Role::Manager),
        "director" => Some(Role::Director),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes, base64url: device tokens, dashboard sessions, CSRF tokens.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn invalid_credentials() -> Error {
    Error::client(ErrorCode::InvalidCredentials, "wrong e-mail or password")
}

/// A user whose password checked out; whether they may go on is the caller's decision.
#[derive(Debug, Clone)]
pub struct Checked {
    pub user: UserInfo,
    pub active: bool,
}

/// Checks an e-mail and password (argon2, off the async threads, under `permit`: one of
/// the few hashes allowed in flight). `None` for an unknown e-mail or a wrong password
/// alike, after the same work, so neither timing nor answer tells which it was. An
/// account with too many failures in a row is refused before any hashing, with when to
/// try again ([`throttle::lockout`]); each failure is counted, a success clears them.
pub async fn check_password(
    db: &Db,
    settings: &Settings,
    email: &str,
    password: String,
    now: DateTime<Utc>,
    permit: OwnedSemaphorePermit,
) -> Result<Option<Checked>> {
    let email = email.trim().to_lowercase();
    if email.contains('\0') || password.contains('\0') {
        return Ok(None);
    }
    let user = db
        .read(move |tx| {
            tx.query_opt(
                "SELECT id, name, email, role, time_zone, password_hash, active, failed_sign_ins, last_failed_at
                 FROM users WHERE email = $1",
                params![email],
            )
        })
        .await?;
    let Some(user) = user else {
        // Same work as a real check, so timing does not tell which e-mails exist.
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_password(&password, &settings)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
        return Ok(None);
    };
    let id: UserId = user.parse("id")?;
    let failures = u32::try_from(user.int("failed_sign_ins")?).unwrap_or(u32::MAX);
    if let Some(until) = user
        .opt_text("last_failed_at")?
        .and_then(|t| time::parse(&t))
        .and_then(|last| throttle::lockout(failures, last))
        .filter(|until| *until > now)
    {
        let wait = (until - now).to_std().unwrap_or_default();
        let message = if failures >= throttle::LOCK_AFTER {
            format!(
                "{failures} failed sign-ins in a row: this account is locked until {} UTC",
                until.format("%H:%M")
            )
        } else {
            format!(
                "{failures} failed sign-ins in a row: wait {} s before trying again",
                wait.as_secs().max(1)
            )
        };
        return Err(Error::retry_later(ErrorCode::RateLimited, message, wait));
    }
    let hash = user.text("password_hash")?;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        verify_password(&password, &hash)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?;
    if !ok {
        db.write(move |tx| {
            tx.exec(
                "UPDATE users SET failed_sign_ins = failed_sign_ins + 1, last_failed_at = $2 WHERE id = $1",
                params![id, time::text(now)],
            )
            .map_err(Error::from)
        })
        .await?;
        return Ok(None);
    }
    if failures > 0 {
        db.write(move |tx| {
            tx.exec(
                "UPDATE users SET failed_sign_ins = 0, last_failed_at = NULL WHERE id = $1",
                params![id],
            )
            .map_err(Error::from)
        })
        .await?;
    }
    let role = parse_role(&user.text("role")?)
        .ok_or_else(|| Error::Internal("unknown role in users".into()))?;
    Ok(Some(Checked {
        user: UserInfo {
            id,
            name: user.text("name")?,
            email: user.text("email")?,
            role,
            time_zone: user.text("time_zone")?,
        },
        active: user.int("active")? != 0,
    }))
}

/// Signs a device in: checks the password, registers the device, returns its token.
pub async fn login(
    db: &Db,
    settings: &Settings,
    req: LoginRequest,
    now: DateTime<Utc>,
    permit: OwnedSemaphorePermit,
) -> Result<LoginResponse> {
    let device_name = req.device_name.trim().to_owned();
    let platform = req.platform.trim().to_owned();
    // PostgreSQL text cannot hold NUL; such input is simply invalid.
    if [&req.email, &req.password, &device_name, &platform]
        .iter()
        .any(|s| s.contains('\0'))
    {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "text may not contain NUL",
        ));
    }
    if device_name.is_empty() || device_name.len() > 100 || platform.len() > 50 {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            "device_name: 1 to 100 characters; platform: at most 50",
        ));
    }
    let Some(checked) = check_password(db, settings, &req.email, req.password, now, permit).await?
    else {
        return Err(invalid_credentials());
    };
    if !checked.active {
        return Err(Error::client(
            ErrorCode::DeviceRevoked,
            "this user has been deactivated",
        ));
    }
    let info = checked.user;
    let token = new_token()?;
    // The install's own id when it sends one, so signing in again keeps the device and
    // its mutation ledger; otherwise a new one.
    let device = req
        .device_id
        .unwrap_or_else(|| DeviceId::from_uuid(uuid::Uuid::now_v7()));
    let expires_at = now + Duration::days(i64::from(settings.token_ttl_days));
    let (hash, user_id) = (token_hash(&token), info.id);
    db.write(move |tx| {
        let existing = tx.query_opt(
            "SELECT user_id, revoked_at FROM devices WHERE id = $1",
            params![device],
        )?;
        match existing {
            None => tx.exec(
                "INSERT INTO devices (id, user_id, name, platform, token_hash, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    device,
                    user_id,
                    &device_name,
                    &platform,
                    &hash,
                    time::text(expires_at),
                    time::text(now)
                ],
            )?,
            Some(row) => {
                if row.text("user_id")? != user_id.to_string() {
                    return Err(Error::client(
                        ErrorCode::Forbidden,
                        "this device is registered to another user; reset the app to sign in as someone else",
                    ));
                }
                if row.opt_text("revoked_at")?.is_some() {
                    return Err(Error::client(
                        ErrorCode::DeviceRevoked,
                        "this device was signed out by an administrator",
                    ));
                }
                // A new token for the same device; the old one stops working.
                tx.exec(
                    "UPDATE devices SET token_hash = $2, expires_at = $3, name = $4, platform = $5
                     WHERE id = $1",
                    params![
                        device,
                        &hash,
                        time::text(expires_at),
                        &device_name,
                        &platform
                    ],
                )?
            }
        };
        Ok(())
    })
    .await?;
    tracing::info!(%device, user = %info.id, "device signed in");
    Ok(LoginResponse {
        device_id: device,
        token,
        expires_at,
        user: info,
    })
}

/// The device and user behind a token hash (`$1`); read by [`caller_from`].
pub const CALLER_SQL: &str = "SELECT d.id, d.user_id, u.role, d.expires_at, d.revoked_at, u.active, d.protocol_version, d.last_applied_seq,
         d.set_aside, d.stored_bytes,
         (SELECT CAST(SUM(o.set_aside) AS BIGINT) FROM devices o WHERE o.user_id = d.user_id) AS user_set_aside
         FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1";

/// Resolves a bearer token. Unknown or expired → `unauthenticated`; revoked device or
/// deactivated user → `device_revoked`.
pub fn authenticate(tx: &mut dyn Sql, token: &str, now: DateTime<Utc>) -> Result<Caller> {
    let row = tx.query_opt(CALLER_SQL, params![token_hash(token)])?;
    caller_from(row, now)
}

/// The caller from the row [`CALLER_SQL`] found, if any (for callers that batch the
/// query with others).
pub fn caller_from(row: Option<crate::db::Row>, now: DateTime<Utc>) -> Result<Caller> {
    let Some(row) = row else {
        return Err(Error::client(
            ErrorCode::Unauthenticated,
            "unknown token: sign in again",
        ));
    };
    if row.opt_text("revoked_at")?.is_some() {
        return Err(Error::client(
            ErrorCode::DeviceRevoked,
            "this device has been signed out by an administrator",
        ));
    }
    if row.int("active")? == 0 {
        return Err(Error::client(
            ErrorCode::DeviceRevoked,
            "this user has been deactivated",
        ));
    }
    let expires = row.text("expires_at")?;
    if time::parse(&expires).is_none_or(|e| e <= now) {
        return Err(Error::client(
            ErrorCode::Unauthenticated,
            "the sign-in has expired: sign in again",
        ));
    }
    Ok(Caller {
        device: row.parse("id")?,
        user: row.parse("user_id")?,
        role: parse_role(&row.text("role")?).ok_or_else(|| DbError::Decode("role".into()))?,
        protocol_version: row.opt_int("protocol_version")?,
        last_applied_seq: row.int("last_applied_seq")?,
        set_aside: row.int("set_aside")?,
        stored_bytes: row.int("stored_bytes")?,
        user_set_aside: row.opt_int("user_set_aside")?.unwrap_or(0),
    })
}

/// Whether `device` belongs to `manager` or someone they manage.
pub fn device_of_team(tx: &mut dyn Sql, device: DeviceId, manager: UserId) -> Result<bool> {
    let sql = format!(
        "SELECT 1 FROM devices WHERE id = $1 AND user_id IN ({})",
        crate::manage::MANAGED_PEOPLE.replace("$1", "$2")
    );
    Ok(tx.query_opt(&sql, params![device, manager])?.is_some())
}

/// The shortest password accepted anywhere (the command line, the dashboard, the API).
pub const MIN_PASSWORD: usize = 8;

/// Checks a new password's shape: long enough, not absurdly long, no NUL.
pub fn acceptable_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 || password.contains('\0') {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!("password: {MIN_PASSWORD} to 1,024 characters"),
        ));
    }
    Ok(())
}

/// Sets `user`'s password hash. Failed-sign-in counts are cleared, and every dashboard
/// session and device sign-in of theirs ends except `keep` (the device or session that
/// asked): whoever knew the old password is out. Devices keep their ids and ledgers.
pub fn set_password(
    tx: &mut dyn Sql,
    user: UserId,
    hash: &str,
    keep: Option<DeviceId>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.exec(
        "UPDATE users SET password_hash = $2, failed_sign_ins = 0, last_failed_at = NULL WHERE id = $1",
        params![user, hash],
    )?;
    tx.exec("DELETE FROM sessions WHERE user_id = $1", params![user])?;
    for r in tx.query(
        "SELECT id FROM devices WHERE user_id = $1 AND revoked_at IS NULL",
        params![user],
    )? {
        let device: DeviceId = r.parse("id")?;
        if Some(device) != keep {
            end_sign_in(tx, device, now)?;
        }
    }
    Ok(())
}

/// Ends a device's sign-in: its token stops working, the device is not revoked. The
/// stored hash becomes a value no token hashes to (unique per device, as the column is).
pub fn end_sign_in(tx: &mut dyn Sql, device: DeviceId, now: DateTime<Utc>) -> Result<()> {
    tx.exec(
        "UPDATE devices SET token_hash = $2, expires_at = $3 WHERE id = $1",
        params![device, format!("signed-out:{device}"), time::text(now)],
    )?;
    Ok(())
}

/// Revokes one device; its token stops working at once.
pub fn revoke_device(tx: &mut dyn Sql, device: DeviceId, now: DateTime<Utc>) -> Result<bool> {
    Ok(tx.exec(
        "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        params![device, time::text(now)],
    )? > 0)
}

//! Dashboard sessions (`sessions`, migration 0002): a random token in the browser's
//! cookie, its SHA-256 here with the user, the session's CSRF token and an expiry.

use chrono::{DateTime, Duration, Utc};
use rounds_core::{Role, Tz};
use rounds_protocol::UserId;

use crate::auth::{new_token, parse_role, token_hash};
use crate::db::{Db, DbError, FromRow, Row, Sql, query_opt_as};
use crate::{Error, Result, params, time};

/// Who a live session belongs to: the manager or admin looking at the dashboard.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub tz: Tz,
    /// This session's CSRF token, embedded in every form.
    pub csrf: String,
    /// The team (its manager's id and name) a director or admin chose to look at; `None`:
    /// everyone they see. Only a manager under the viewer (any, for an admin) counts.
    pub team: Option<(UserId, String)>,
}

/// Starts a session for `user`; returns the cookie's token (never stored as such).
/// Expired sessions are swept on the way.
pub async fn create(db: &Db, user: UserId, now: DateTime<Utc>, ttl: Duration) -> Result<String> {
    let token = new_token()?;
    let csrf = new_token()?;
    let hash = token_hash(&token);
    db.write(move |tx| {
        tx.exec(
            "DELETE FROM sessions WHERE expires_at <= $1",
            params![time::text(now)],
        )?;
        tx.exec(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            params![&hash, user, &csrf, time::text(now), time::text(now + ttl)],
        )?;
        Ok::<_, Error>(())
    })
    .await?;
    Ok(token)
}

/// The viewer behind a cookie's token: `None` when unknown, expired, or the user has been
/// deactivated. The role is returned as stored; the caller decides who may look.
pub async fn resolve(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Option<SignedIn>> {
    let hash = token_hash(token);
    let row = db
        .read(move |tx| {
            query_opt_as::<SessionRow>(
                tx,
                "SELECT u.id, u.name, u.email, u.role, u.time_zone, s.csrf_token, s.expires_at, u.active,
                        m.id AS team_id, m.name AS team_name
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 LEFT JOIN users m ON m.id = s.team_id AND m.role = 'manager'
                      AND (u.role = 'admin' OR (u.role = 'director' AND m.manager_id = u.id))
                 WHERE s.token_hash = $1",
                params![hash],
            )
        })
        .await?;
    let Some(row) = row else { return Ok(None) };
    if time::parse(&row.expires_at).is_none_or(|e| e <= now) || !row.active {
        return Ok(None);
    }
    let role = parse_role(&row.role).ok_or_else(|| Error::Internal("unknown role".into()))?;
    Ok(Some(SignedIn {
        id: row.id,
        name: row.name,
        email: row.email,
        role,
        tz: row.time_zone.parse().unwrap_or(chrono_tz::UTC),
        csrf: row.csrf_token,
        team: row.team,
    }))
}

/// A session with its user, as [`resolve`] reads it.
struct SessionRow {
    id: UserId,
    name: String,
    email: String,
    role: String,
    time_zone: String,
    csrf_token: String,
    expires_at: String,
    active: bool,
    team: Option<(UserId, String)>,
}

impl FromRow for SessionRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(SessionRow {
            id: r.parse("id")?,
            name: r.text("name")?,
            email: r.text("email")?,
            role: r.text("role")?,
            time_zone: r.text("time_zone")?,
            csrf_token: r.text("csrf_token")?,
            expires_at: r.text("expires_at")?,
            active: r.int("active")? != 0,
            team: match r.opt_parse("team_id")? {
                Some(id) => Some((id, r.text("team_name")?)),
                None => None,
            },
        })
    }
}

/// Sets the team the session behind a cookie's token looks at (`None`: everyone). The
/// caller checks the team is the viewer's to choose; [`resolve`] checks it again.
pub async fn choose_team(db: &Db, token: &str, team: Option<UserId>) -> Result<()> {
    let hash = token_hash(token);
    db.write(move |tx| {
        tx.exec(
            "UPDATE sessions SET team_id = $2 WHERE token_hash = $1",
            params![&hash, team],
        )?;
        Ok::<_, Error>(())
    })
    .await
}

/// Ends the session behind a cookie's token.
pub async fn delete(db: &Db, token: &str) -> Result<()> {
    let hash = token_hash(token);
    db.write(move |tx| {
        tx.exec("DELETE FROM sessions WHERE token_hash = $1", params![&hash])?;
        Ok::<_, Error>(())
    })
    .await
}

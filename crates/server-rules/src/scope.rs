//! What a viewer may see, loaded through the `Sql` seam and converted to domain types.
//!
//! A manager sees the reps whose manager they are, the territories those reps work, and
//! territories nobody works yet (any manager may hand those over, as the management API
//! already allows). A director sees the teams of the managers under them, rolled up. An
//! admin sees everything. A director or admin may narrow that to one team (the session's
//! choice): its reps and the territories they work.

use rounds_core::{Account, ActivityHead, Role, RotationPlan, Tz};
use rounds_protocol::records::{AccountRecord, PlanRecord};
use rounds_protocol::{TerritoryId, UserId};

use crate::auth::parse_role;
use crate::db::{DbError, FromRow, Row, Sql, Val, placeholders, query_as};
use crate::manage::Reach;
use crate::sessions::SignedIn as Viewer;
use crate::{Error, Result, params};

#[derive(Debug, Clone)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub tz: Tz,
    /// Whose team they are on.
    pub manager: Option<UserId>,
}

#[derive(Debug, Clone)]
pub struct TerritoryRow {
    pub id: TerritoryId,
    pub name: String,
    pub rep: Option<UserId>,
    /// The region it is grouped in, by name.
    pub region: Option<String>,
}

/// The reps and territories a viewer may see.
#[derive(Debug, Clone, Default)]
pub struct Team {
    /// The reps, by name.
    pub reps: Vec<Person>,
    /// The managers whose teams these are, by name, for a director or an admin (the
    /// teams they may narrow to); empty for a manager.
    pub managers: Vec<Person>,
    /// The team looked at, when narrowed to one.
    pub narrowed: Option<UserId>,
    /// The territories, by name.
    pub territories: Vec<TerritoryRow>,
    /// Admins see accounts outside every territory too.
    pub all: bool,
    /// The ids of the team's accounts whose stored data no longer reads as an account:
    /// left out of every figure, and the pages say so (set by [`accounts`]).
    pub left_out: Vec<String>,
}

impl Team {
    pub fn rep(&self, id: UserId) -> Option<&Person> {
        self.reps.iter().find(|p| p.id == id)
    }

    pub fn territory(&self, id: Option<TerritoryId>) -> Option<&TerritoryRow> {
        id.and_then(|id| self.territories.iter().find(|t| t.id == id))
    }

    pub fn rep_ids(&self) -> Vec<Val> {
        self.reps.iter().map(|p| Val::from(p.id)).collect()
    }

    pub fn territory_ids(&self) -> Vec<Val> {
        self.territories.iter().map(|t| Val::from(t.id)).collect()
    }
}

/// A user row of [`team`]'s query.
struct UserRow {
    person: Person,
    role: Option<Role>,
}

impl FromRow for UserRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(UserRow {
            person: Person {
                id: r.parse("id")?,
                name: r.text("name")?,
                email: r.text("email")?,
                tz: r.text("time_zone")?.parse().unwrap_or(chrono_tz::UTC),
                manager: r.opt_parse("manager_id")?,
            },
            role: parse_role(&r.text("role")?),
        })
    }
}

impl FromRow for TerritoryRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(TerritoryRow {
            id: r.parse("id")?,
            name: r.text("name")?,
            rep: r.opt_parse("rep_id")?,
            region: r.opt_text("region")?,
        })
    }
}

pub fn team(tx: &mut dyn Sql, viewer: &Viewer) -> Result<Team> {
    let mut all = viewer.role == Role::Admin;
    let users: Vec<UserRow> = if all {
        query_as(
            tx,
            "SELECT id, name, email, time_zone, role, manager_id FROM users ORDER BY name, id",
            &[],
        )?
    } else {
        // Those they manage, and those their managers manage (a director's teams).
        query_as(
            tx,
            "SELECT id, name, email, time_zone, role, manager_id FROM users
             WHERE manager_id = $1 OR manager_id IN (SELECT id FROM users WHERE manager_id = $1)
             ORDER BY name, id",
            params![viewer.id],
        )?
    };
    let mut reps: Vec<Person> = Vec::new();
    let mut managers = Vec::new();
    for u in users {
        match u.role {
            Some(Role::Rep) => reps.push(u.person),
            Some(Role::Manager) if matches!(viewer.role, Role::Admin | Role::Director) => {
                managers.push(u.person)
            }
            _ => {}
        }
    }
    let narrowed = viewer
        .team
        .as_ref()
        .map(|(id, _)| *id)
        .filter(|id| managers.iter().any(|m| m.id == *id));
    if let Some(m) = narrowed {
        reps.retain(|p| p.manager == Some(m));
        all = false;
    }
    // The territories are the viewer's reach, as push and the manage API see it.
    let reach = crate::manage::reach_of(tx, viewer.id, viewer.role)?;
    let territories = query_as::<TerritoryRow>(
        tx,
        "SELECT t.id, t.name, t.rep_id, r.name AS region FROM territories t
         LEFT JOIN territory_regions tr ON tr.territory_id = t.id
         LEFT JOIN regions r ON r.id = tr.region_id
         ORDER BY t.name, t.id",
        &[],
    )?
    .into_iter()
    .filter(|t| reach.allows(Some(t.id)))
    // One team: the territories its reps work.
    .filter(|t| narrowed.is_none() || t.rep.is_some_and(|r| reps.iter().any(|p| p.id == r)))
    .collect();
    Ok(Team {
        reps,
        managers,
        narrowed,
        territories,
        all,
        left_out: Vec::new(),
    })
}

/// The accounts of the team's territories (all accounts for an admin), as domain values.
/// Rows that do not read as an account are left out, and their ids noted in
/// `team.left_out`, so that no page drops them silently.
pub fn accounts(tx: &mut dyn Sql, team: &mut Team) -> Result<Vec<Account>> {
    team.left_out.clear();
    let (sql, params) = if team.all {
        // Accounts merged into another are history, not accounts to work.
        (
            "SELECT id, data FROM accounts a
             WHERE NOT EXISTS (SELECT 1 FROM account_merges m WHERE m.account_id = a.id)
             ORDER BY id"
                .to_owned(),
            Vec::new(),
        )
    } else if team.territories.is_empty() {
        return Ok(Vec::new());
    } else {
        let ids = team.territory_ids();
        (
            format!(
                "SELECT id, data FROM accounts WHERE territory_id IN ({}) ORDER BY id",
                placeholders(1, ids.len())
            ),
            ids,
        )
    };
    let mut out = Vec::new();
    let left_out = &mut team.left_out;
    // Streamed: each stored record is dropped once read.
    tx.query_each(&sql, &params, &mut |r| {
        match r
            .json::<AccountRecord>("data")
            .ok()
            .and_then(|rec| Account::try_from(&rec).ok())
        {
            Some(a) => out.push(a),
            None => left_out.push(r.text("id")?),
        }
        Ok(())
    })?;
    if !team.left_out.is_empty() {
        tracing::warn!(ids = ?team.left_out, "stored accounts that do not read were left out");
    }
    Ok(out)
}

/// The organisation's rotation plan (the first by id; an organisation has one today).
pub fn plan(tx: &mut dyn Sql) -> Result<Option<RotationPlan>> {
    let Some(r) = tx.query_opt("SELECT data FROM plans ORDER BY id", &[])? else {
        return Ok(None);
    };
    let rec: PlanRecord = r.json(0)?;
    RotationPlan::try_from(&rec)
        .map(Some)
        .map_err(|e| Error::Internal(format!("stored plan does not convert: {e}")))
}

/// What the viewer may act on: every territory for an admin, the team's for a manager.
pub fn reach(team: &Team) -> Reach {
    if team.all {
        Reach::All
    } else {
        Reach::Territories(team.territories.iter().map(|t| t.id).collect())
    }
}

/// What the territory filter of a page names: nothing when blank or unreadable (all).
pub fn territory_param(t: Option<&str>) -> Option<TerritoryId> {
    t.filter(|t| !t.is_empty()).and_then(|t| t.parse().ok())
}

/// The viewer's team with its accounts and their activities' heads, read in one snapshot.
#[derive(Debug)]
pub struct TeamData {
    pub team: Team,
    pub accounts: Vec<Account>,
    pub activities: Vec<ActivityHead>,
}

/// Loads [`TeamData`] with the heads of the activities that may have happened from
/// `since` on (see `history::heads_since`); `None` when `only` names a territory outside
/// the team.
pub async fn team_data(
    db: &crate::db::Db,
    viewer: &Viewer,
    only: Option<TerritoryId>,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<TeamData>> {
    let v = viewer.clone();
    db.read(move |tx| {
        let mut team = team(tx, &v)?;
        if only.is_some() && team.territory(only).is_none() {
            return Ok(None);
        }
        let accounts = accounts(tx, &mut team)?;
        let activities = crate::history::heads_since(tx, &team, &accounts, since)?;
        Ok(Some(TeamData {
            team,
            accounts,
            activities,
        }))
    })
    .await
}

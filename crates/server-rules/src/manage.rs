//! What a manager changes from the dashboard, each in the caller's one write transaction
//! and within the manager's reach: moving accounts, editing them, the rotation plan.
//! Everything goes through `org` (changelog, assignment history) and `fields` (per-field
//! clocks), so devices see it on their next pull like any other change.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core::Role;
use rounds_protocol::records::{PlanRecord, PlanRuleRecord, PlanVersionRecord};
use rounds_protocol::{AccountId, ErrorCode, PlanId, TerritoryId, UserId};
use uuid::Uuid;

use crate::db::{Sql, Tx};
use crate::error::{Error, Result};
use crate::fields::{self, EditOutcome, FieldChange};
use crate::org;

/// The territories a person may act on: all (an admin, the command line) or a manager's
/// team's. Accounts outside every territory are an admin's alone.
#[derive(Debug, Clone)]
pub enum Reach {
    All,
    Territories(HashSet<TerritoryId>),
}

impl Reach {
    pub fn allows(&self, t: Option<TerritoryId>) -> bool {
        match self {
            Reach::All => true,
            Reach::Territories(set) => t.is_some_and(|t| set.contains(&t)),
        }
    }

    /// The account, when it exists and is within reach. Unknown and out of reach read
    /// the same, so ids reveal nothing.
    pub fn account(
        &self,
        tx: &mut dyn Sql,
        id: AccountId,
    ) -> Result<rounds_protocol::records::AccountRecord> {
        match org::account(tx, id)? {
            Some(a) if self.allows(a.territory_id) => Ok(a),
            _ => Err(Error::client(
                ErrorCode::NotFound,
                format!("no account {id} among the accounts you manage"),
            )),
        }
    }
}

/// A manager or director and everyone under them (`$1` the manager), as SQL: the people
/// they manage, and for a director the people their managers manage.
pub const MANAGED_PEOPLE: &str = "SELECT id FROM users WHERE id = $1 OR manager_id = $1
     OR manager_id IN (SELECT id FROM users WHERE manager_id = $1)";

/// A manager's or director's territories (`$1` the manager), as SQL for queries that
/// filter by it: those held by anyone of [`MANAGED_PEOPLE`], and the unassigned ones.
pub const MANAGER_TERRITORIES: &str = "SELECT t.id FROM territories t
     WHERE t.rep_id IS NULL OR t.rep_id IN (SELECT id FROM users WHERE id = $1 OR manager_id = $1
     OR manager_id IN (SELECT id FROM users WHERE manager_id = $1))";

/// Whether `$1` is someone `$2` manages, directly or through a manager of theirs.
const UNDER: &str = "SELECT 1 FROM users WHERE id = $1 AND (manager_id = $2
     OR manager_id IN (SELECT id FROM users WHERE manager_id = $2))";

/// The one definition of a person's reach: an admin reaches everything; a manager the
/// territories they hold, those of the people they manage, and the unassigned ones; a rep
/// the territories they hold. The dashboard's team, the manage API and push all take it
/// from here, so they cannot disagree.
pub fn reach_of(tx: &mut dyn Sql, user: UserId, role: Role) -> Result<Reach> {
    let rows = match role {
        Role::Admin => return Ok(Reach::All),
        Role::Manager | Role::Director => tx.query(MANAGER_TERRITORIES, crate::params![user])?,
        Role::Rep => tx.query(
            "SELECT id FROM territories WHERE rep_id = $1",
            crate::params![user],
        )?,
    };
    Ok(Reach::Territories(
        rows.iter()
            .map(|r| r.parse(0))
            .collect::<std::result::Result<_, _>>()?,
    ))
}

/// Someone writing through sync: who they are, and their reach once it was needed.
#[derive(Debug)]
pub struct Actor {
    pub user: UserId,
    pub role: Role,
    reach: Option<Reach>,
}

impl Actor {
    pub fn new(user: UserId, role: Role) -> Self {
        Self {
            user,
            role,
            reach: None,
        }
    }

    /// May they write on `account`, which is in `territory` held by `holder`? A rep when
    /// they hold it — or, for a fact dated `at`, held it then; a manager or an admin when
    /// the territory is within their [`reach_of`]. The one answer push gives, and the
    /// same the dashboard and the manage API give through [`Reach`].
    pub fn may_touch_account(
        &mut self,
        tx: &mut dyn Sql,
        account: AccountId,
        territory: Option<TerritoryId>,
        holder: Option<UserId>,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        match self.role {
            Role::Rep => Ok(holder == Some(self.user)
                || match at {
                    Some(at) => org::held_at(tx, account, self.user, at)?,
                    None => false,
                }),
            Role::Manager | Role::Director | Role::Admin => {
                if self.reach.is_none() {
                    self.reach = Some(reach_of(tx, self.user, self.role)?);
                }
                Ok(self.reach.as_ref().is_some_and(|r| r.allows(territory)))
            }
        }
    }

    /// May they log or correct an activity in `rep`'s name? Anyone as themselves, a
    /// manager for the people they manage, an admin for anyone.
    pub fn may_act_for(&self, tx: &mut dyn Sql, rep: UserId) -> Result<bool> {
        Ok(match self.role {
            _ if rep == self.user => true,
            Role::Admin => true,
            Role::Manager | Role::Director => tx
                .query_opt(UNDER, crate::params![rep, self.user])?
                .is_some(),
            Role::Rep => false,
        })
    }
}

/// Moves one account to `to`, or out of every territory (`None`), within reach.
pub fn move_account(
    tx: &mut Tx<'_>,
    reach: &Reach,
    id: AccountId,
    to: Option<TerritoryId>,
    now: DateTime<Utc>,
) -> Result<bool> {
    reach.account(tx, id)?;
    if let Some(t) = to
        && (!reach.allows(Some(t)) || org::territory_rep(tx, t)?.is_none())
    {
        return Err(Error::client(
            ErrorCode::NotFound,
            "no such territory among the ones you manage",
        ));
    }
    org::assign_account(tx, id, to, now)
}

/// Gives territory `t` to `rep` (or nobody), when both are within the caller's reach:
/// a manager assigns their own territories to their own reps.
pub fn assign_territory(
    tx: &mut Tx<'_>,
    reach: &Reach,
    caller: UserId,
    t: TerritoryId,
    rep: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    if !reach.allows(Some(t)) || org::territory_rep(tx, t)?.is_none() {
        return Err(Error::client(
            ErrorCode::NotFound,
            "no such territory among the ones you manage",
        ));
    }
    if let (Reach::Territories(_), Some(rep)) = (reach, rep) {
        let on_team = tx
            .query_opt(
                &format!("{UNDER} AND role = 'rep'"),
                crate::params![rep, caller],
            )?
            .is_some();
        if !on_team {
            return Err(Error::client(
                ErrorCode::NotFound,
                "no such rep on your team",
            ));
        }
    }
    org::assign_territory(tx, t, rep, now)
}

/// Moves every account in `ids` to territory `to`, all or nothing: each account and the
/// target must be within reach. Returns how many actually moved.
pub fn move_accounts(
    tx: &mut Tx<'_>,
    reach: &Reach,
    ids: &[AccountId],
    to: TerritoryId,
    now: DateTime<Utc>,
) -> Result<usize> {
    if !reach.allows(Some(to)) || org::territory_rep(tx, to)?.is_none() {
        return Err(Error::client(
            ErrorCode::NotFound,
            "no such territory among the ones you manage",
        ));
    }
    let mut moved = 0;
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(*id) {
            continue;
        }
        reach.account(tx, *id)?;
        if org::assign_account(tx, *id, Some(to), now)? {
            moved += 1;
        }
    }
    Ok(moved)
}

/// A manager's edit of one account, merged field by field like a device's.
pub fn edit_account(
    tx: &mut Tx<'_>,
    reach: &Reach,
    id: AccountId,
    changes: &[FieldChange],
    by: UserId,
    now: DateTime<Utc>,
) -> Result<EditOutcome> {
    reach.account(tx, id)?;
    fields::edit_account(tx, id, changes, Some(by), now)
}

/// The organisation's plan (the first by id), if any.
pub fn plan(tx: &mut dyn Sql) -> Result<Option<PlanRecord>> {
    tx.query_opt("SELECT data FROM plans ORDER BY id", &[])?
        .map(|r| r.json(0).map_err(Error::from))
        .transpose()
}

/// New per-bucket targets from `from` on: a new plan version (replacing one that starts
/// the same day), so what was owed before stays as it was. Checked by the domain's rules.
pub fn save_plan(tx: &mut Tx<'_>, rules: &[PlanRuleRecord], from: NaiveDate) -> Result<PlanRecord> {
    let mut rec = plan(tx)?.unwrap_or_else(|| PlanRecord {
        id: PlanId::from_uuid(Uuid::now_v7()),
        name: "Rotation plan".into(),
        versions: Vec::new(),
    });
    rec.versions.retain(|v| v.effective_from != from);
    rec.versions.push(PlanVersionRecord {
        effective_from: from,
        rules: rules.to_vec(),
    });
    rec.versions.sort_by_key(|v| v.effective_from);
    rounds_core::RotationPlan::try_from(&rec)
        .map_err(|e| Error::client(ErrorCode::InvalidInput, e.reason))?;
    org::upsert_plan(tx, &rec)?;
    Ok(rec)
}

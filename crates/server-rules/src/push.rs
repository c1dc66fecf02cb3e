//! Push: a device's outbox applied exactly once. One transaction per batch holds the
//! effects and the device's ledger together, so a lost response or a retried batch is
//! answered from the ledger, never applied twice.
//!
//! Over 600 lines on purpose: the push path (ledger, sequence, each mutation kind, what is
//! set aside) reads top to bottom as one transaction does.

use chrono::{DateTime, Utc};
use rounds_core::{Role, Stage};
use rounds_protocol::records::{
    AccountRecord, ActivityRecord, AppointmentRecord, ContactRecord, CorrectionRecord,
    FollowUpRecord, PhotoRecord,
};
use rounds_protocol::sync::{
    AccountEdit, LatLonRecord, MAX_PUSH_MUTATIONS, MAX_STAGE_REASON_CHARS, Mutation, MutationBody,
    MutationResult, MutationStatus, PAYLOAD_VERSION, PushRequest, PushResponse, Row,
};
use rounds_protocol::{AccountId, ErrorCode, Hlc, PROTOCOL_VERSION, SCHEMA_VERSION, TerritoryId};
use uuid::Uuid;

use crate::auth::{self, Caller};
use crate::changelog::{self, territory_bucket};
use std::collections::HashMap;

use crate::db::{Prefetch, Prefetched, Row as DbRow, Sql, Tx, Val, insert_many, placeholders};
use crate::error::{Error, Result};
use crate::fields::{self, FieldChange, Merge};
use crate::manage::Actor;
use crate::{org, stage};
use crate::{params, time};

/// Checks a push's shape before any database work: what the client controls is answered
/// with a 4xx and nothing is applied.
pub fn validate(req: &PushRequest) -> Result<()> {
    if req.protocol_version > PROTOCOL_VERSION || req.schema_version > SCHEMA_VERSION {
        return Err(Error::client(
            ErrorCode::InvalidInput,
            format!(
                "protocol {} / schema {} is newer than this server's ({PROTOCOL_VERSION} / {SCHEMA_VERSION})",
                req.protocol_version, req.schema_version
            ),
        ));
    }
    if req.mutations.len() > MAX_PUSH_MUTATIONS {
        return Err(Error::client(
            ErrorCode::PayloadTooLarge,
            format!("at most {MAX_PUSH_MUTATIONS} mutations per push"),
        ));
    }
    let mut prev = 0;
    for m in &req.mutations {
        if m.seq == 0 || m.seq > i64::MAX as u64 {
            return Err(Error::client(
                ErrorCode::InvalidInput,
                "mutation seq starts at 1",
            ));
        }
        if m.seq <= prev {
            return Err(Error::client(
                ErrorCode::MalformedRequest,
                "mutations must be in strictly increasing seq order",
            ));
        }
        prev = m.seq;
    }
    Ok(())
}

/// How far ahead of the server's clock a device's clock may run. An edit stamped further
/// ahead would win every later edit of everyone's, and the server, observing its clock,
/// would drag every device's clock along; an activity dated further ahead is not a
/// believable visit. (Two days: a device a day off, as after a time-zone mix-up, still
/// syncs.)
pub const MAX_CLOCK_AHEAD: chrono::Duration = chrono::Duration::days(2);

/// Whether a device's clock reading is believable at server time `now`.
fn believable(at_ms: u64, now: DateTime<Utc>) -> bool {
    let limit = (now + MAX_CLOCK_AHEAD).timestamp_millis();
    i64::try_from(at_ms).is_ok_and(|ms| ms <= limit)
}

fn status_name(s: &MutationStatus) -> &'static str {
    match s {
        MutationStatus::Applied => "applied",
        MutationStatus::Superseded { .. } => "superseded",
        MutationStatus::Rejected { .. } => "rejected",
        MutationStatus::Quarantined { .. } => "quarantined",
    }
}

/// What one push has learnt so far: account places and activity ids already on the
/// server (fetched once per batch), and the rows it will write in bulk at its end.
#[derive(Default)]
struct Batch {
    places: HashMap<AccountId, Option<Place>>,
    known: HashMap<rounds_protocol::ActivityId, (String, Option<String>)>,
    activities: Vec<Vec<Val>>,
    ledger: Vec<Vec<Val>>,
}

type Place = (Option<TerritoryId>, Option<rounds_protocol::UserId>);

/// A push's reads, sent in one round trip with the caller's.
struct Reads {
    queries: Vec<(String, Vec<Val>)>,
    /// The first this many queries look up activity ids; the rest account places.
    known_queries: usize,
    accounts: Vec<AccountId>,
}

impl Batch {
    /// The queries that fetch what the batch's activities need: ids already on the server,
    /// then the places of the accounts they name.
    fn reads(mutations: &[Mutation]) -> Reads {
        let acts: Vec<ActivityRecord> = mutations
            .iter()
            .filter_map(|m| match m.parse_body() {
                Ok(MutationBody::LogActivity { activity }) => Some(activity),
                _ => None,
            })
            .collect();
        let mut queries = Vec::new();
        for chunk in acts.chunks(100) {
            let sql = format!(
                "SELECT id, status, reason FROM activities WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            queries.push((sql, chunk.iter().map(|a| a.id.into()).collect()));
        }
        let known_queries = queries.len();
        let mut accounts: Vec<AccountId> = acts.iter().map(|a| a.account_id).collect();
        accounts.sort();
        accounts.dedup();
        for chunk in accounts.chunks(100) {
            let sql = format!(
                "SELECT a.id, a.territory_id, t.rep_id FROM accounts a LEFT JOIN territories t ON t.id = a.territory_id WHERE a.id IN ({})",
                placeholders(1, chunk.len())
            );
            queries.push((sql, chunk.iter().map(Val::from).collect()));
        }
        Reads {
            queries,
            known_queries,
            accounts,
        }
    }

    /// Takes in the answers to [`Batch::reads`], in order.
    fn absorb(&mut self, reads: &Reads, answers: Vec<Vec<DbRow>>) -> Result<()> {
        // An account no row came back for is unknown, not unread.
        for id in &reads.accounts {
            self.places.insert(*id, None);
        }
        for (i, rows) in answers.into_iter().enumerate() {
            for r in rows {
                if i < reads.known_queries {
                    self.known
                        .insert(r.parse("id")?, (r.text("status")?, r.opt_text("reason")?));
                } else {
                    self.places.insert(
                        r.parse("id")?,
                        Some((r.opt_parse("territory_id")?, r.opt_parse("rep_id")?)),
                    );
                }
            }
        }
        Ok(())
    }

    fn place(&mut self, tx: &mut Tx<'_>, id: AccountId) -> Result<Option<Place>> {
        if let Some(p) = self.places.get(&id) {
            return Ok(*p);
        }
        let p = account_place(tx, id)?;
        self.places.insert(id, p);
        Ok(p)
    }

    /// Writes the buffered activities (before anything that may read them).
    fn flush_activities(&mut self, tx: &mut Tx<'_>) -> Result<()> {
        insert_many(
            tx,
            "activities (id, account_id, rep_id, territory_id, occurred_at, status, reason, device_id, data, server_seq, kind)",
            11,
            std::mem::take(&mut self.activities),
        )?;
        Ok(())
    }
}

/// A push made ready for the writer: its reads worked out once, outside the writer.
pub struct Prepared {
    token_hash: String,
    /// The token's hash again, as the caller query's parameter.
    caller: [Val; 1],
    req: PushRequest,
    reads: Reads,
}

impl std::fmt::Debug for Prepared {
    // The token's hash stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("device_id", &self.req.device_id)
            .field("mutations", &self.req.mutations.len())
            .finish_non_exhaustive()
    }
}

impl Prepared {
    pub fn new(token: &str, req: PushRequest) -> Self {
        let token_hash = auth::token_hash(token);
        Prepared {
            caller: [Val::from(&token_hash)],
            token_hash,
            reads: Batch::reads(&req.mutations),
            req,
        }
    }

    /// The caller's query, then what the activities need.
    fn queries(&self) -> Vec<(&str, &[Val])> {
        std::iter::once((auth::CALLER_SQL, &self.caller[..]))
            .chain(
                self.reads
                    .queries
                    .iter()
                    .map(|(sql, p)| (sql.as_str(), p.as_slice())),
            )
            .collect()
    }

    /// The reads to run ahead, with the rest of the group's. Keyed by the token and the
    /// device, so a second push of the same device in one group reads after the first
    /// has written.
    pub fn prefetch(&self) -> Prefetch {
        Prefetch {
            keys: vec![
                format!("token {}", self.token_hash),
                format!("device {}", self.req.device_id),
            ],
            queries: self
                .queries()
                .into_iter()
                .map(|(sql, p)| (sql.to_owned(), p.to_vec()))
                .collect(),
        }
    }

    /// Authenticates the token and applies the push in the caller's transaction. The
    /// caller and everything the batch needs to read come from `prefetched` (the answers
    /// to [`Prepared::prefetch`]), or are fetched here in one round trip: the group-commit
    /// writer waits on every round trip, so they are its cost.
    pub fn apply(
        &self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
        prefetched: Prefetched,
    ) -> Result<PushResponse> {
        validate(&self.req)?;
        let answers = match prefetched {
            Some(answers) => answers,
            None => tx.query_many(&self.queries())?,
        };
        let mut answers = answers.into_iter();
        let caller =
            auth::caller_from(answers.next().and_then(|rows| rows.into_iter().next()), now)?;
        if self.req.device_id != caller.device {
            return Err(Error::client(
                ErrorCode::Forbidden,
                "device_id is not the device this token was issued to",
            ));
        }
        let mut batch = Batch::default();
        batch.absorb(&self.reads, answers.collect())?;
        apply(tx, &caller, batch, &self.req, now)
    }
}

/// Applies a validated push, its reads done, in the caller's transaction.
fn apply(
    tx: &mut Tx<'_>,
    caller: &Caller,
    mut batch: Batch,
    req: &PushRequest,
    now: DateTime<Utc>,
) -> Result<PushResponse> {
    // The caller was authenticated inside this transaction: its device row is current.
    let mut last = u64::try_from(caller.last_applied_seq).unwrap_or(0);
    if req.mutations.iter().any(|m| m.seq > last) {
        check_quota(tx, caller)?;
    }
    let mut results = Vec::with_capacity(req.mutations.len());
    let mut actor = Actor::new(caller.user, caller.role);
    let (mut set_aside, mut stored_bytes) = (0i64, 0i64);
    let mut gap = false;
    for m in &req.mutations {
        let status = if gap {
            gap_status(last)
        } else if m.seq <= last {
            stored_result(tx, caller, m)?
        } else if m.seq != last + 1 {
            gap = true;
            gap_status(last)
        } else {
            let (kind, status) = apply_one(tx, &mut batch, caller, &mut actor, m, now)?;
            let result =
                serde_json::to_string(&status).map_err(|e| Error::Internal(e.to_string()))?;
            let payload =
                serde_json::to_string(&m.body).map_err(|e| Error::Internal(e.to_string()))?;
            if matches!(
                status,
                MutationStatus::Quarantined { .. } | MutationStatus::Rejected { .. }
            ) {
                set_aside += 1;
            }
            stored_bytes += i64::try_from(payload.len()).unwrap_or(i64::MAX);
            batch.ledger.push(
                params![
                    caller.device,
                    m.seq,
                    m.id,
                    m.hlc,
                    kind,
                    status_name(&status),
                    result,
                    m.payload_version,
                    payload,
                    time::text(now)
                ]
                .to_vec(),
            );
            last = m.seq;
            status
        };
        results.push(MutationResult {
            seq: m.seq,
            id: m.id,
            status,
        });
    }
    batch.flush_activities(tx)?;
    insert_many(
        tx,
        "mutations (device_id, seq, mutation_id, hlc, kind, status, result, payload_version, payload, received_at)",
        10,
        std::mem::take(&mut batch.ledger),
    )?;
    tx.exec_later(
        "UPDATE devices SET last_applied_seq = $2, protocol_version = $3, schema_version = $4, last_seen_at = $5,
         set_aside = set_aside + $6, stored_bytes = stored_bytes + $7 WHERE id = $1",
        params![caller.device, last, req.protocol_version, req.schema_version, time::text(now), set_aside, stored_bytes],
    )?;
    // A clock that is not believable is not observed: it would spread to every device.
    let seen = req
        .mutations
        .iter()
        .map(|m| m.hlc)
        .filter(|h| believable(h.wall_ms, now))
        .max()
        .unwrap_or(Hlc::ZERO);
    Ok(PushResponse {
        epoch: tx.epoch()?,
        last_applied_seq: last,
        server_hlc: server_hlc(seen, now),
        results,
    })
}

/// Items one device may have set aside for review (quarantined or refused) and not yet
/// reviewed; past this its pushes are refused (`quota_exceeded`) and stay on the device.
pub const MAX_SET_ASIDE_PER_DEVICE: i64 = 10_000;
/// The same for all of one user's devices together.
pub const MAX_SET_ASIDE_PER_USER: i64 = 50_000;
/// Raw payload bytes one device's ledger keeps (about a million ordinary mutations).
pub const MAX_STORED_BYTES_PER_DEVICE: i64 = 1 << 30;

/// Refuses a push that would store more for a device (or its user) over its quota. The
/// counters on the device row only grow; when they say "over", what is still open (not
/// reviewed by a manager) is counted exactly and written back, so a review frees room.
fn check_quota(tx: &mut Tx<'_>, caller: &Caller) -> Result<()> {
    let over = |device: i64, user: i64| {
        device >= MAX_SET_ASIDE_PER_DEVICE || user >= MAX_SET_ASIDE_PER_USER
    };
    if caller.stored_bytes >= MAX_STORED_BYTES_PER_DEVICE {
        return Err(Error::client(
            ErrorCode::QuotaExceeded,
            format!(
                "this device's ledger on the server holds {} MiB, the most one device may; an administrator must make room",
                caller.stored_bytes >> 20
            ),
        ));
    }
    if !over(caller.set_aside, caller.user_set_aside) {
        return Ok(());
    }
    let open = open_set_aside(tx, caller.device)?;
    tx.exec(
        "UPDATE devices SET set_aside = $2 WHERE id = $1",
        params![caller.device, open],
    )?;
    let user = caller.user_set_aside - caller.set_aside + open;
    if over(open, user) {
        return Err(Error::client(
            ErrorCode::QuotaExceeded,
            format!(
                "{open} items from this device ({user} from all of yours) wait for your manager's review on the server, the most allowed; nothing more is accepted until they are reviewed, and nothing is lost meanwhile"
            ),
        ));
    }
    Ok(())
}

/// Items of `device` set aside and not yet resolved by a manager: quarantined activities,
/// refused edits, and other mutations the server could not read.
pub fn open_set_aside(tx: &mut dyn Sql, device: rounds_protocol::DeviceId) -> Result<i64> {
    Ok(tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM activities a WHERE a.device_id = $1 AND a.status = 'quarantined'
                       AND NOT EXISTS (SELECT 1 FROM review_resolutions r WHERE r.kind = 'activity' AND r.item_id = a.id))
                  + (SELECT COUNT(*) FROM rejected_edits e WHERE e.device_id = $1
                       AND NOT EXISTS (SELECT 1 FROM review_resolutions r WHERE r.kind = 'rejected_edit' AND r.item_id = e.id))
                  + (SELECT COUNT(*) FROM mutations m WHERE m.device_id = $1 AND m.status IN ('quarantined', 'rejected')
                       AND m.kind NOT IN ('log_activity', 'edit_account', 'change_stage'))",
            params![device],
        )?
        .int(0)?)
}

/// The server's clock as devices should observe it: never behind what it was sent.
pub fn server_hlc(seen: Hlc, now: DateTime<Utc>) -> Hlc {
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    Hlc::tick(seen, now_ms, Uuid::nil())
}

fn gap_status(last: u64) -> MutationStatus {
    MutationStatus::Rejected {
        code: ErrorCode::SequenceGap,
        reason: format!(
            "the server has applied up to seq {last}; send {} next (this mutation was not applied)",
            last + 1
        ),
    }
}

fn stored_result(tx: &mut Tx<'_>, caller: &Caller, m: &Mutation) -> Result<MutationStatus> {
    let row = tx.query_opt(
        "SELECT result FROM mutations WHERE device_id = $1 AND seq = $2",
        params![caller.device, m.seq],
    )?;
    match row {
        Some(r) => Ok(r.json("result")?),
        None => Ok(MutationStatus::Rejected {
            code: ErrorCode::Conflict,
            reason: format!(
                "seq {} was applied earlier; its result is no longer kept",
                m.seq
            ),
        }),
    }
}

fn quarantined(reason: impl Into<String>) -> MutationStatus {
    MutationStatus::Quarantined {
        reason: reason.into(),
    }
}

fn apply_one(
    tx: &mut Tx<'_>,
    batch: &mut Batch,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    now: DateTime<Utc>,
) -> Result<(String, MutationStatus)> {
    let kind = m
        .body
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("unknown")
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect::<String>();
    if m.payload_version != PAYLOAD_VERSION {
        return Ok((
            kind,
            quarantined(format!(
                "payload version {} is not one this server reads (it reads {PAYLOAD_VERSION}); kept as sent",
                m.payload_version
            )),
        ));
    }
    let body = match m.parse_body() {
        Ok(b) => b,
        Err(e) => {
            return Ok((
                kind,
                quarantined(format!("unreadable mutation, kept as sent: {e}")),
            ));
        }
    };
    let status = match body {
        MutationBody::LogActivity { activity } => {
            log_activity(tx, batch, caller, actor, &activity, now)?
        }
        MutationBody::CorrectActivity { correction } => {
            batch.flush_activities(tx)?;
            correct_activity(tx, caller, actor, &correction)?
        }
        MutationBody::EditAccount { account_id, edit } => {
            // An edit changes what later activities see of the account (never its
            // territory, but keep the cache honest).
            batch.places.remove(&account_id);
            if let AccountEdit::Stage(to) = edit {
                // A device from before stage changes had a mutation of their own.
                let from = org::account(tx, account_id)?.map(|a| a.stage);
                change_stage(tx, caller, actor, m, account_id, from, to, None, now)?
            } else {
                edit_account(tx, caller, actor, m, account_id, &edit, now)?
            }
        }
        MutationBody::ChangeStage {
            account_id,
            from,
            to,
            reason,
        } => {
            batch.places.remove(&account_id);
            change_stage(
                tx,
                caller,
                actor,
                m,
                account_id,
                Some(from),
                to,
                reason,
                now,
            )?
        }
        MutationBody::SaveAppointment { appointment } => {
            save_appointment(tx, caller, actor, m, &appointment, now)?
        }
        MutationBody::SaveFollowUp { follow_up } => {
            save_follow_up(tx, caller, actor, m, &follow_up, now)?
        }
        MutationBody::SaveContact { contact } => save_contact(tx, caller, actor, m, &contact, now)?,
        MutationBody::AttachPhoto { photo } => attach_photo(tx, caller, actor, &photo, now)?,
        MutationBody::CreateAccount { account } => {
            // Activities later in this push may name the new account: read it afresh.
            batch.places.remove(&account.id);
            create_account(tx, caller, actor, &account, now)?
        }
    };
    Ok((kind, status))
}

/// Activities before this are taken for a device clock gone wrong.
fn earliest_activity() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or_default() // 2000-01-01
}

/// [`Actor::may_touch_account`] for an account by id, now (unknown: no).
fn may_touch(tx: &mut Tx<'_>, actor: &mut Actor, account: Option<AccountId>) -> Result<bool> {
    let Some(account) = account else {
        return Ok(false);
    };
    match account_place(tx, account)? {
        Some((territory, holder)) => actor.may_touch_account(tx, account, territory, holder, None),
        None => Ok(false),
    }
}

/// Where an account is and who works it now.
fn account_place(tx: &mut dyn Sql, id: AccountId) -> Result<Option<Place>> {
    let row = tx.query_opt(
        "SELECT a.territory_id, t.rep_id FROM accounts a LEFT JOIN territories t ON t.id = a.territory_id WHERE a.id = $1",
        params![id],
    )?;
    row.map(|r| Ok((r.opt_parse("territory_id")?, r.opt_parse("rep_id")?)))
        .transpose()
}

fn log_activity(
    tx: &mut Tx<'_>,
    batch: &mut Batch,
    caller: &Caller,
    actor: &mut Actor,
    a: &ActivityRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    if let Some((status, reason)) = batch.known.get(&a.id) {
        // The same fact again (another device of the rep, or a re-queued copy): a no-op.
        return Ok(match status.as_str() {
            "ok" => MutationStatus::Applied,
            _ => quarantined(reason.clone().unwrap_or_default()),
        });
    }
    let place = batch.place(tx, a.account_id)?;
    let verdict: std::result::Result<Option<TerritoryId>, String> = if !actor
        .may_act_for(tx, a.rep_id)?
    {
        Err("the activity names another rep".into())
    } else if let Err(e) = rounds_core::Activity::try_from(a) {
        Err(format!("invalid activity: {e}"))
    } else if !believable(
        u64::try_from(a.occurred_at.timestamp_millis()).unwrap_or(0),
        now,
    ) || a.occurred_at < earliest_activity()
    {
        Err(format!(
            "the activity is dated {}, which this server cannot believe (is the device's clock right?); kept for your manager to review",
            a.occurred_at.format("%Y-%m-%d %H:%M UTC")
        ))
    } else {
        match place {
            None => Err("unknown account".into()),
            Some((territory, holder)) => {
                if actor.may_touch_account(
                    tx,
                    a.account_id,
                    territory,
                    holder,
                    Some(a.occurred_at),
                )? {
                    Ok(territory)
                } else if actor.role == Role::Rep {
                    Err("the account was not yours when this activity happened; kept for your manager to review".into())
                } else {
                    Err("the account is not among the accounts you manage; kept for review".into())
                }
            }
        }
    };
    let data = serde_json::to_string(a).map_err(|e| Error::Internal(e.to_string()))?;
    let (territory, status, reason, seq) = match &verdict {
        Ok(territory) => {
            let seq = match territory_bucket(*territory) {
                Some(b) => changelog::put(tx, &b, &Row::Activity(a.clone()))?,
                None => tx.next_seq()?,
            };
            (*territory, "ok", None, seq)
        }
        Err(reason) => (
            place.and_then(|p| p.0),
            "quarantined",
            Some(reason.clone()),
            tx.head_seq()?,
        ),
    };
    batch.activities.push(
        params![
            a.id,
            a.account_id,
            a.rep_id,
            territory,
            time::text(a.occurred_at),
            status,
            reason.clone(),
            caller.device,
            data,
            seq,
            crate::history::stored_kind(a)
        ]
        .to_vec(),
    );
    batch.known.insert(a.id, (status.to_owned(), reason));
    Ok(match verdict {
        Ok(_) => MutationStatus::Applied,
        Err(r) => quarantined(r),
    })
}

fn correct_activity(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    c: &CorrectionRecord,
) -> Result<MutationStatus> {
    if let Some(r) = tx.query_opt(
        "SELECT status, reason FROM corrections WHERE id = $1",
        params![c.id],
    )? {
        return Ok(match r.text("status")?.as_str() {
            "ok" => MutationStatus::Applied,
            _ => quarantined(r.opt_text("reason")?.unwrap_or_default()),
        });
    }
    let target = tx.query_opt(
        "SELECT account_id, rep_id, status FROM activities WHERE id = $1",
        params![c.target],
    )?;
    let account: Option<AccountId> = target.as_ref().map(|t| t.parse("account_id")).transpose()?;
    let verdict = match &target {
        None => Err("the corrected activity is not on the server".to_owned()),
        Some(t) if !actor.may_act_for(tx, t.parse("rep_id")?)? => {
            Err("the corrected activity is another rep's".to_owned())
        }
        Some(t) if t.text("status")? != "ok" => {
            Err("the corrected activity is itself quarantined".to_owned())
        }
        // A rep may correct their own activity wherever its account went; a manager only
        // within their reach.
        Some(_) if actor.role != Role::Rep && !may_touch(tx, actor, account)? => {
            Err("the corrected activity's account is not among the accounts you manage".to_owned())
        }
        Some(_) => Ok(()),
    };
    let data = serde_json::to_string(c).map_err(|e| Error::Internal(e.to_string()))?;
    let (status, reason) = match &verdict {
        Ok(()) => ("ok", None),
        Err(r) => ("quarantined", Some(r.clone())),
    };
    tx.exec(
        "INSERT INTO corrections (id, target_id, account_id, status, reason, device_id, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![c.id, c.target, account, status, reason, caller.device, data],
    )?;
    match verdict {
        Ok(()) => {
            let territory = match account {
                Some(a) => account_place(tx, a)?.and_then(|p| p.0),
                None => None,
            };
            if let Some(b) = territory_bucket(territory) {
                changelog::put(tx, &b, &Row::Correction(c.clone()))?;
            }
            Ok(MutationStatus::Applied)
        }
        Err(r) => Ok(quarantined(r)),
    }
}

#[allow(clippy::too_many_arguments)]
fn reject_edit(
    tx: &mut Tx<'_>,
    caller: &Caller,
    m: &Mutation,
    account: AccountId,
    edit: &AccountEdit,
    code: ErrorCode,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    tx.exec(
        "INSERT INTO rejected_edits (id, device_id, user_id, account_id, field, value, hlc, code, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![Uuid::now_v7(), caller.device, caller.user, account, edit.field(), FieldChange::Shared(edit.clone()).value_json(), m.hlc, code.as_str(), reason, time::text(now)],
    )?;
    Ok(MutationStatus::Rejected {
        code,
        reason: reason.to_owned(),
    })
}

fn edit_account(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    id: AccountId,
    edit: &AccountEdit,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    let change = FieldChange::Shared(edit.clone());
    // Unknown and not-yours get the same answer: ids of other territories reveal nothing.
    let allowed = may_touch(tx, actor, Some(id))?;
    if !allowed {
        return reject_edit(
            tx,
            caller,
            m,
            id,
            edit,
            ErrorCode::Forbidden,
            "you do not hold this account now; the edit is kept for review",
            now,
        );
    }
    if !believable(m.hlc.wall_ms, now) {
        let ahead = chrono::Duration::milliseconds(
            i64::try_from(m.hlc.wall_ms)
                .unwrap_or(i64::MAX)
                .saturating_sub(now.timestamp_millis()),
        );
        return reject_edit(
            tx,
            caller,
            m,
            id,
            edit,
            ErrorCode::InvalidInput,
            &format!(
                "the device's clock is {} days ahead of the server's, so this edit would outrank every later one; set the clock right — the edit is kept for review",
                ahead.num_days()
            ),
            now,
        );
    }
    if let Err(reason) = change.validate() {
        return reject_edit(
            tx,
            caller,
            m,
            id,
            edit,
            ErrorCode::InvalidInput,
            &format!("{}: {reason}", edit.field()),
            now,
        );
    }
    let Some(mut rec) = org::account(tx, id)? else {
        return Err(Error::Internal(
            "account vanished inside a transaction".into(),
        ));
    };
    let writer = caller.device.to_string();
    let from = pin(&rec);
    let before = rec.clone();
    match fields::merge(tx, &mut rec, &change, m.hlc, &writer, now)? {
        Merge::Superseded { winner } => Ok(MutationStatus::Superseded { winner }),
        Merge::Applied => {
            // A new address moves a pin that only came from the old one.
            crate::places::by_postal_code(&mut rec, Some(&before));
            org::save_account(tx, &rec)?;
            if let AccountEdit::Location(_) = edit {
                // The feed shows the manager where a rep moved a pin from and to.
                let moved = serde_json::json!({ "from": from, "to": pin(&rec) }).to_string();
                tx.exec(
                    "INSERT INTO pin_moves (id, account_id, user_id, device_id, data, moved_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    params![
                        Uuid::now_v7(),
                        id,
                        caller.user,
                        caller.device,
                        moved,
                        time::text(now)
                    ],
                )?;
            }
            Ok(MutationStatus::Applied)
        }
    }
}

/// A move along the funnel from a device: the stage merges like any field edit, and the
/// move is kept as a dated fact (dated by the device's clock) when it is applied or
/// outranked by a later change, so the funnel's figures do not depend on the order in
/// which devices sync. `from` is the stage the rep saw (`None`: unknown).
#[allow(clippy::too_many_arguments)]
fn change_stage(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    id: AccountId,
    from: Option<Stage>,
    to: Stage,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if let Some(r) = &reason
        && (r.chars().count() > MAX_STAGE_REASON_CHARS || r.chars().any(char::is_control))
    {
        return Ok(quarantined(format!(
            "the reason for the stage change is over {MAX_STAGE_REASON_CHARS} characters or holds control characters; kept for review"
        )));
    }
    let status = edit_account(tx, caller, actor, m, id, &AccountEdit::Stage(to), now)?;
    let kept = matches!(
        status,
        MutationStatus::Applied | MutationStatus::Superseded { .. }
    );
    if kept && from != Some(to) {
        let territory = account_place(tx, id)?.and_then(|p| p.0);
        let on = DateTime::<Utc>::from_timestamp_millis(i64::try_from(m.hlc.wall_ms).unwrap_or(0))
            .unwrap_or(now)
            .min(now)
            .date_naive();
        let fact = stage::Fact {
            id: *m.id.as_uuid(),
            account: id,
            territory,
            from,
            to,
            reason: reason.filter(|_| to == Stage::Lost),
            by: Some(caller.user),
            device: Some(caller.device),
            on,
        };
        stage::record(tx, &fact, now)?;
    }
    Ok(status)
}

/// A rep's new account: created once, in a territory the sender works now, as the device
/// described it except what only a manager sets. Refusals are answered as quarantined,
/// so the whole mutation stays in the ledger for a manager to review.
fn create_account(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    rec: &AccountRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    if org::account(tx, rec.id)?.is_some() {
        // The same account again (a re-sent copy, or the rep's other device): a no-op.
        return Ok(MutationStatus::Applied);
    }
    if let Err(e) = rounds_core::Account::try_from(rec) {
        return Ok(quarantined(format!("invalid account: {e}")));
    }
    if rec.revenue_minor != 0 || rec.expenses_minor != 0 || rec.kare.is_some() {
        return Ok(quarantined(
            "a new account's revenue, expenses and K.A.R.E. category are set by a manager; kept for review",
        ));
    }
    let Some(territory) = rec.territory_id else {
        return Ok(quarantined(
            "a new account must name the territory it belongs to; kept for review",
        ));
    };
    let holder = match org::territory_rep(tx, territory)? {
        Some(holder) => holder,
        None => return Ok(quarantined("unknown territory; kept for review")),
    };
    if !actor.may_touch_account(tx, rec.id, Some(territory), holder, None)? {
        return Ok(quarantined(
            "the territory is not yours now; the new account is kept for your manager to review",
        ));
    }
    // Held from when the rep made it, unless the device's clock says the future.
    let since = rec.created_at.min(now).max(earliest_activity());
    // A lead typed with an address but no pin gets its postal code's middle.
    let mut rec = rec.clone();
    crate::places::by_postal_code(&mut rec, None);
    let rec = &rec;
    org::create_account(tx, rec, since)?;
    tx.exec(
        "INSERT INTO account_origins (account_id, user_id, device_id, territory_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![rec.id, caller.user, caller.device, territory, time::text(since)],
    )?;
    // Two reps (or one rep twice, offline) may add the same shop: the manager decides.
    crate::merge::flag_lookalike(tx, rec, now)?;
    Ok(MutationStatus::Applied)
}

/// A contact added or changed on a device: the whole contact, on an account the sender
/// may touch now, last writer wins by the mutation's clock (an older save is answered
/// superseded). At most one primary contact per account: saving one as primary makes
/// the others plain. Refusals are quarantined, kept whole in the ledger for review.
fn save_contact(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    rec: &ContactRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    if !may_touch(tx, actor, Some(rec.account_id))? {
        return Ok(quarantined(
            "you do not hold this contact's account now; kept for your manager to review",
        ));
    }
    if let Err(e) = rounds_core::Contact::try_from(rec) {
        return Ok(quarantined(format!("invalid contact: {e}")));
    }
    if !believable(m.hlc.wall_ms, now) {
        return Ok(quarantined(
            "the device's clock is days ahead of the server's, so this change would outrank every later one; kept for review",
        ));
    }
    let known = tx.query_opt(
        "SELECT c.account_id, k.hlc FROM contacts c LEFT JOIN contact_clocks k ON k.contact_id = c.id WHERE c.id = $1",
        params![rec.id],
    )?;
    let new = match &known {
        None => true,
        Some(row) => {
            if row.parse::<AccountId>("account_id")? != rec.account_id {
                return Ok(quarantined(
                    "the contact belongs to another account; kept for review",
                ));
            }
            if let Some(winner) = row.opt_parse::<Hlc>("hlc")?
                && winner >= m.hlc
            {
                return Ok(MutationStatus::Superseded { winner });
            }
            false
        }
    };
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    if new {
        tx.exec(
            "INSERT INTO contacts (id, account_id, data) VALUES ($1, $2, $3)",
            params![rec.id, rec.account_id, data],
        )?;
        tx.exec(
            "INSERT INTO contact_origins (contact_id, user_id, device_id, created_at) VALUES ($1, $2, $3, $4)",
            params![rec.id, caller.user, caller.device, time::text(now)],
        )?;
    } else {
        tx.exec(
            "UPDATE contacts SET data = $2 WHERE id = $1",
            params![rec.id, data],
        )?;
    }
    tx.exec(
        "INSERT INTO contact_clocks (contact_id, hlc, device_id) VALUES ($1, $2, $3)
         ON CONFLICT (contact_id) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id",
        params![rec.id, m.hlc, caller.device],
    )?;
    let bucket = territory_bucket(account_place(tx, rec.account_id)?.and_then(|p| p.0));
    if let Some(b) = &bucket {
        changelog::put(tx, b, &Row::Contact(rec.clone()))?;
    }
    org::make_sole_primary(tx, rec, bucket.as_ref())?;
    Ok(MutationStatus::Applied)
}

/// A whole record a rep owns on an account (a follow-up, an appointment), saved from a
/// device: one rule for who may save it and which save wins.
struct Owned {
    noun: &'static str,
    table: &'static str,
    id: Uuid,
    account: AccountId,
    rep: rounds_protocol::RepId,
    /// The domain's verdict on the record.
    valid: std::result::Result<(), rounds_protocol::records::RecordError>,
}

impl Owned {
    /// Why the save is not applied (quarantined, or outranked by a later save), if it
    /// is not: the sender's own, on an account they may touch now, valid, from a
    /// believable clock, and later than the save held.
    fn gate(
        &self,
        tx: &mut Tx<'_>,
        actor: &mut Actor,
        m: &Mutation,
        now: DateTime<Utc>,
    ) -> Result<Option<MutationStatus>> {
        let noun = self.noun;
        if !actor.may_act_for(tx, self.rep)? {
            return Ok(Some(quarantined(format!(
                "the {noun} names another rep; kept for review"
            ))));
        }
        if !may_touch(tx, actor, Some(self.account))? {
            return Ok(Some(quarantined(format!(
                "you do not hold this {noun}'s account now; kept for your manager to review"
            ))));
        }
        if let Err(e) = &self.valid {
            return Ok(Some(quarantined(format!("invalid {noun}: {e}"))));
        }
        if !believable(m.hlc.wall_ms, now) {
            return Ok(Some(quarantined(
                "the device's clock is days ahead of the server's, so this change would outrank every later one; kept for review",
            )));
        }
        // The table name is one of two constants, never input.
        let known = tx.query_opt(
            &format!(
                "SELECT account_id, rep_id, hlc FROM {} WHERE id = $1",
                self.table
            ),
            params![self.id.to_string()],
        )?;
        if let Some(row) = &known {
            if row.parse::<AccountId>("account_id")? != self.account
                || row.text("rep_id")? != self.rep.to_string()
            {
                return Ok(Some(quarantined(format!(
                    "the {noun} belongs to another account or rep; kept for review"
                ))));
            }
            let winner: Hlc = row.parse("hlc")?;
            if winner >= m.hlc {
                return Ok(Some(MutationStatus::Superseded { winner }));
            }
        }
        Ok(None)
    }
}

/// A next step made, changed or done on a device: the whole follow-up, the sender's own,
/// on an account the sender may touch now; last writer wins by the mutation's clock.
/// Refusals are quarantined, kept whole in the ledger for review.
fn save_follow_up(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    rec: &FollowUpRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    let owned = Owned {
        noun: "follow-up",
        table: "follow_ups",
        id: *rec.id.as_uuid(),
        account: rec.account_id,
        rep: rec.rep_id,
        valid: rounds_core::FollowUp::try_from(rec).map(drop),
    };
    if let Some(refused) = owned.gate(tx, actor, m, now)? {
        return Ok(refused);
    }
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    let done = rec.done_at.map(time::text);
    tx.exec(
        "INSERT INTO follow_ups (id, account_id, rep_id, due_on, done_at, data, hlc, device_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET due_on = excluded.due_on, done_at = excluded.done_at,
             data = excluded.data, hlc = excluded.hlc, device_id = excluded.device_id",
        params![
            rec.id,
            rec.account_id,
            rec.rep_id,
            rec.due_on.to_string(),
            done,
            data,
            m.hlc,
            caller.device
        ],
    )?;
    if let Some(b) = territory_bucket(account_place(tx, rec.account_id)?.and_then(|p| p.0)) {
        changelog::put(tx, &b, &Row::FollowUp(rec.clone()))?;
    }
    Ok(MutationStatus::Applied)
}

/// An appointment made, moved or cancelled on a device: the whole appointment, the
/// sender's own, on an account the sender may touch now; last writer wins by the
/// mutation's clock. Refusals are quarantined, kept whole in the ledger for review.
fn save_appointment(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    m: &Mutation,
    rec: &AppointmentRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    let owned = Owned {
        noun: "appointment",
        table: "appointments",
        id: *rec.id.as_uuid(),
        account: rec.account_id,
        rep: rec.rep_id,
        valid: rounds_core::Appointment::try_from(rec).map(drop),
    };
    if let Some(refused) = owned.gate(tx, actor, m, now)? {
        return Ok(refused);
    }
    let data = serde_json::to_string(rec).map_err(|e| Error::Internal(e.to_string()))?;
    tx.exec(
        "INSERT INTO appointments (id, account_id, rep_id, on_day, at_min, cancelled_at, data, hlc, device_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET on_day = excluded.on_day, at_min = excluded.at_min,
             cancelled_at = excluded.cancelled_at, data = excluded.data, hlc = excluded.hlc,
             device_id = excluded.device_id",
        params![
            rec.id,
            rec.account_id,
            rec.rep_id,
            rec.on.to_string(),
            i64::from(rec.at_min),
            rec.cancelled_at.map(time::text),
            data,
            m.hlc,
            caller.device
        ],
    )?;
    if let Some(b) = territory_bucket(account_place(tx, rec.account_id)?.and_then(|p| p.0)) {
        changelog::put(tx, &b, &Row::Appointment(rec.clone()))?;
    }
    Ok(MutationStatus::Applied)
}

/// A photo taken on a device: recorded once by its id (a second copy is a no-op), the
/// sender's own, on an account the sender may touch now. Its bytes follow by upload.
/// Refusals are quarantined, kept whole in the ledger for review.
fn attach_photo(
    tx: &mut Tx<'_>,
    caller: &Caller,
    actor: &mut Actor,
    rec: &PhotoRecord,
    now: DateTime<Utc>,
) -> Result<MutationStatus> {
    if crate::photos::exists(tx, rec.id)? {
        return Ok(MutationStatus::Applied);
    }
    if !actor.may_act_for(tx, rec.rep_id)? {
        return Ok(quarantined("the photo names another rep; kept for review"));
    }
    if !may_touch(tx, actor, Some(rec.account_id))? {
        return Ok(quarantined(
            "you do not hold this photo's account now; kept for your manager to review",
        ));
    }
    if let Err(e) = rounds_core::Photo::try_from(rec) {
        return Ok(quarantined(format!("invalid photo: {e}")));
    }
    let territory = account_place(tx, rec.account_id)?.and_then(|(t, _)| t);
    crate::photos::insert(tx, rec, territory, caller.device, now)?;
    Ok(MutationStatus::Applied)
}

/// An account's pin, as the wire carries one.
fn pin(rec: &AccountRecord) -> Option<LatLonRecord> {
    Some(LatLonRecord {
        lat: rec.lat?,
        lon: rec.lon?,
    })
}

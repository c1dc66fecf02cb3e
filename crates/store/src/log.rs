//! The rep's own actions: log an activity (a quick action), correct one, edit an account
//! field. Each is the change's outbox row and the clock advance in one transaction; the
//! call returns only after commit.

use chrono::{DateTime, Utc};
use rounds_core::{Activity, ActivityKind, CorrectionKind, LocationFix, Outcome, Stage};
use rounds_protocol::records::{ActivityRecord, CorrectionRecord};
use rounds_protocol::sync::{AccountEdit, MAX_STAGE_REASON_CHARS, MutationBody, PAYLOAD_VERSION};
use rounds_protocol::{AccountId, ActivityId, ContactId, Hlc, MutationId, RepId};
use uuid::{NoContext, Timestamp, Uuid};

use crate::activities::to_domain;
use crate::error::{Result, StoreError};
use crate::{Store, Writer, meta, outbox, search};

/// What a quick action or the log sheet knows about a touch.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub contact_id: Option<ContactId>,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub duration_min: Option<u32>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub fix: Option<LocationFix>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoggedActivity {
    pub activity: Activity,
    pub seq: u64,
    pub mutation_id: MutationId,
}

const MAX_NOTE_BYTES: usize = 20_000;

/// A UUIDv7 for `now` (random low bits), so ids sort by creation.
pub(crate) fn new_id(now: DateTime<Utc>) -> Uuid {
    let secs = now.timestamp().max(0) as u64;
    Uuid::new_v7(Timestamp::from_unix(
        NoContext,
        secs,
        now.timestamp_subsec_nanos(),
    ))
}

impl Store {
    pub fn log_activity(&mut self, new: NewActivity, now: DateTime<Utc>) -> Result<LoggedActivity> {
        let device = *self.device_id.as_uuid();
        self.write(|w| log_in(w, device, new, now))
    }

    /// Amends or voids an earlier activity, as a new fact.
    pub fn correct_activity(
        &mut self,
        target: ActivityId,
        change: CorrectionKind,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let device = *self.device_id.as_uuid();
        let account = self.activity_account(target)?;
        self.write(|w| {
            let correction = CorrectionRecord {
                id: ActivityId::from_uuid(new_id(now)),
                target,
                made_at: now,
                change,
            };
            let id = *correction.id.as_uuid();
            let body = MutationBody::CorrectActivity { correction };
            enqueue(
                w,
                device,
                &body,
                "correct_activity",
                &id,
                Some(account),
                now,
            )
            .map(|(s, _)| s)
        })
    }

    /// Changes one field of an account: one outbox row per field, merged on the server by
    /// its clock. The new value is checked the way the server will check it.
    pub fn edit_account(
        &mut self,
        account: AccountId,
        edit: AccountEdit,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.edit_account_fields(account, vec![edit], now)
            .map(|seqs| seqs.first().copied().unwrap_or_default())
    }

    /// Changes several fields of an account at once (the rep's edit form): checked
    /// together, then one outbox row per field in one transaction, so either every
    /// change is queued or none. Answers their sequence numbers.
    pub fn edit_account_fields(
        &mut self,
        account: AccountId,
        edits: Vec<AccountEdit>,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        self.change_account(account, edits, None, now)
    }

    /// [`Self::edit_account_fields`], where a stage edit goes out as a move along the
    /// funnel from the stage the rep sees now, with `lost_reason` when the move is to
    /// lost (which needs one). Answers the queued rows' sequence numbers.
    pub fn change_account(
        &mut self,
        account: AccountId,
        edits: Vec<AccountEdit>,
        lost_reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        let device = *self.device_id.as_uuid();
        // Hours and dates are kept and sent in their one written form, whatever the rep typed.
        let edits = edits
            .into_iter()
            .map(|e| match e {
                AccountEdit::Hours(h) => rounds_core::hours::canonical(h.as_deref())
                    .map(AccountEdit::Hours)
                    .map_err(|e| StoreError::Invalid(format!("opening hours: {e}"))),
                AccountEdit::PreferredHours(h) => rounds_core::hours::canonical(h.as_deref())
                    .map(AccountEdit::PreferredHours)
                    .map_err(|e| StoreError::Invalid(format!("preferred hours: {e}"))),
                AccountEdit::ClosedOn(c) => rounds_core::calendar::canonical_dates(c.as_deref())
                    .map(AccountEdit::ClosedOn)
                    .map_err(|e| StoreError::Invalid(format!("closed dates: {e}"))),
                AccountEdit::PotentialEstimate(Some(m)) if m < 0 => Err(StoreError::Invalid(
                    "a potential estimate is not negative".into(),
                )),
                e => Ok(e),
            })
            .collect::<Result<Vec<_>>>()?;
        let current = self
            .read()
            .accounts()
            .get(account)?
            .ok_or_else(|| StoreError::NotFound(format!("account {account}")))?;
        let mut rec = rounds_protocol::records::AccountRecord::from(&current.account);
        for edit in &edits {
            crate::accounts::apply_edit(&mut rec, edit);
        }
        rounds_core::Account::try_from(&rec).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let from = current.account.stage;
        let reason = lost_reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if let Some(r) = &reason
            && r.chars().count() > MAX_STAGE_REASON_CHARS
        {
            return Err(StoreError::Invalid(format!(
                "the reason is longer than {MAX_STAGE_REASON_CHARS} characters"
            )));
        }
        let bodies: Vec<(MutationBody, &str)> = edits
            .into_iter()
            .filter(|e| !matches!(e, AccountEdit::Stage(to) if *to == from))
            .map(|edit| match edit {
                AccountEdit::Stage(to) => {
                    if to == Stage::Lost && reason.is_none() {
                        return Err(StoreError::Invalid(
                            "say why the account was lost".to_owned(),
                        ));
                    }
                    let body = MutationBody::ChangeStage {
                        account_id: account,
                        from,
                        to,
                        reason: reason.clone().filter(|_| to == Stage::Lost),
                    };
                    Ok((body, "change_stage"))
                }
                edit => Ok((
                    MutationBody::EditAccount {
                        account_id: account,
                        edit,
                    },
                    "edit_account",
                )),
            })
            .collect::<Result<_>>()?;
        self.write(|w| {
            let mut seqs = Vec::with_capacity(bodies.len());
            for (body, kind) in bodies {
                let (seq, _) = enqueue(
                    w,
                    device,
                    &body,
                    kind,
                    account.as_uuid(),
                    Some(account),
                    now,
                )?;
                seqs.push(seq);
            }
            Ok(seqs)
        })
    }

    /// The account an activity (synced or pending) belongs to.
    fn activity_account(&self, id: ActivityId) -> Result<AccountId> {
        let synced: Option<Uuid> = rusqlite::OptionalExtension::optional(self.conn.query_row(
            "SELECT account_id FROM activities WHERE id = ?1
             UNION ALL SELECT account_id FROM outbox WHERE kind = 'log_activity' AND entity_id = ?1
             LIMIT 1",
            [id.as_uuid()],
            |r| r.get(0),
        ))?;
        synced
            .map(AccountId::from_uuid)
            .ok_or_else(|| StoreError::NotFound(format!("activity {id}")))
    }
}

pub(crate) fn require_account(w: &Writer<'_>, id: AccountId) -> Result<()> {
    let exists =
        w.tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?
            .exists([id.as_uuid()])?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("account {id}")))
    }
}

/// Logs `new` inside the caller's transaction (see [`Store::log_activity`]).
pub(crate) fn log_in(
    w: &Writer<'_>,
    device: Uuid,
    new: NewActivity,
    now: DateTime<Utc>,
) -> Result<LoggedActivity> {
    if new.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE_BYTES) {
        return Err(StoreError::Invalid(format!(
            "the note is longer than {MAX_NOTE_BYTES} bytes"
        )));
    }
    require_account(w, new.account_id)?;
    let record = ActivityRecord {
        id: ActivityId::from_uuid(new_id(now)),
        account_id: new.account_id,
        rep_id: new.rep_id,
        contact_id: new.contact_id,
        kind: new.kind,
        occurred_at: new.occurred_at,
        duration_min: new.duration_min,
        outcome: new.outcome,
        note: new.note.filter(|n| !n.trim().is_empty()),
        fix: new.fix.map(|f| rounds_protocol::records::FixRecord {
            lat: f.at.lat(),
            lon: f.at.lon(),
            accuracy_m: f.accuracy_m,
        }),
    };
    let activity = to_domain(&record).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(note) = &record.note {
        search::index(
            w.tx,
            record.id.as_uuid(),
            "note",
            record.account_id.as_uuid(),
            note,
        )?;
    }
    let body = MutationBody::LogActivity { activity: record };
    let (seq, mutation_id) = enqueue(
        w,
        device,
        &body,
        "log_activity",
        activity.id.as_uuid(),
        Some(activity.account_id),
        now,
    )?;
    Ok(LoggedActivity {
        activity,
        seq,
        mutation_id,
    })
}

/// Appends a mutation to the outbox with the next clock value.
pub(crate) fn enqueue(
    w: &Writer<'_>,
    device: Uuid,
    body: &MutationBody,
    kind: &str,
    entity: &Uuid,
    account: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<(u64, MutationId)> {
    let hlc = Hlc::tick(
        meta::last_hlc(w.tx)?,
        now.timestamp_millis().max(0) as u64,
        device,
    );
    meta::set(w.tx, meta::LAST_HLC, &hlc.to_string())?;
    let mutation_id = MutationId::from_uuid(new_id(now));
    let payload = serde_json::to_string(body)?;
    let seq = outbox::insert(
        w.tx,
        outbox::NewRow {
            mutation_id,
            kind,
            entity_id: entity,
            account_id: account.as_ref().map(|a| a.as_uuid()),
            payload: &payload,
            payload_version: PAYLOAD_VERSION,
            hlc,
            now,
        },
    )?;
    Ok((seq, mutation_id))
}

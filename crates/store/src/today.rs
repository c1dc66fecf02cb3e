//! The Today query path: every account with the activities the cadence engine needs, in
//! two scans — fit for 20,000 accounts.

use chrono::{DateTime, Utc};
use rounds_core::{
    Activity, ActivityKind, Correction, LatLon, Priority, RotationPlan, Scheduled,
    apply_corrections,
};
use rounds_protocol::records::CorrectionRecord;
use rounds_protocol::sync::MutationBody;
use rounds_protocol::{AccountId, ActivityId, RepId};

use crate::Reader;
use crate::activities::{pending_bodies, to_domain};
use crate::codec::from_ms;
use crate::error::{Result, StoreError};

/// What the Today list and the day's route need of an account: cadence's inputs, a place
/// on the map, and a line of text. The account screen reads the full record.
#[derive(Debug, Clone, PartialEq)]
pub struct TodayAccount {
    pub id: AccountId,
    pub name: String,
    pub city: String,
    pub priority: Priority,
    pub created_at: DateTime<Utc>,
    pub location: Option<LatLon>,
    /// `location` is only the middle of its postal code: a drive to it is a guess.
    pub approximate: bool,
    /// Its stage is lost (a move not yet synced included).
    pub lost: bool,
    pub hours: Option<rounds_core::OpeningHours>,
    pub visit_minutes: Option<u16>,
    /// Dates it is closed whatever its hours say.
    pub closed_on: std::collections::BTreeSet<chrono::NaiveDate>,
    /// When its buyer likes visits, inside its hours.
    pub preferred_hours: Option<rounds_core::OpeningHours>,
}

impl Scheduled for TodayAccount {
    fn account_id(&self) -> AccountId {
        self.id
    }
    fn priority(&self) -> Priority {
        self.priority
    }
    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    fn name(&self) -> &str {
        &self.name
    }
    /// The device counts only the current period: lost now is lost by then.
    fn lost_by(&self, _day: chrono::NaiveDate) -> bool {
        self.lost
    }
}

/// Every account (pending edits applied) with its activities since a date, pending ones
/// included and corrections applied. Activities carry what cadence reads (account, rep,
/// kind, time); the timeline has the full records.
#[derive(Debug, Clone, Default)]
pub struct TodayInputs {
    /// Sorted by id.
    pub accounts: Vec<TodayAccount>,
    /// Every activity, grouped by account in the order of `accounts`.
    activities: Vec<Activity>,
    /// Parallel to `accounts`: each one's range in `activities`.
    spans: Vec<(usize, usize)>,
    pub plans: Vec<RotationPlan>,
}

impl TodayInputs {
    pub fn pairs(&self) -> impl Iterator<Item = (&TodayAccount, &[Activity])> {
        self.accounts
            .iter()
            .zip(&self.spans)
            .map(|(a, &(from, to))| (a, &self.activities[from..to]))
    }

    /// The activities of `accounts[i]`.
    pub fn activities_of(&self, i: usize) -> &[Activity] {
        let (from, to) = self.spans[i];
        &self.activities[from..to]
    }

    pub fn activity_count(&self) -> usize {
        self.activities.len()
    }
}

impl Reader<'_> {
    /// Pass the start of the previous cadence period as `since`.
    ///
    /// Built for 20,000 accounts: one scan of each table, the activities from a covering
    /// index into one array, sorted by account and cut into spans (no per-account
    /// allocations, no hash lookups per row).
    pub fn today_inputs(&self, since: DateTime<Utc>) -> Result<TodayInputs> {
        let accounts = self.accounts().today_rows()?;
        let mut activities: Vec<Activity> = Vec::new();

        let mut stmt = self.conn.prepare_cached(
            "SELECT account_id, id, rep_id, kind, occurred_at FROM activities WHERE occurred_at >= ?1",
        )?;
        let mut rows = stmt.query([since.timestamp_millis()])?;
        while let Some(r) = rows.next()? {
            // This loop runs for every recent activity: read the kind without allocating.
            let kind = match r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)? {
                "visit" => ActivityKind::Visit,
                "call" => ActivityKind::Call,
                "email" => ActivityKind::Email,
                "note" => ActivityKind::Note,
                other => return Err(StoreError::Decode(format!("activity kind {other:?}"))),
            };
            activities.push(Activity {
                id: ActivityId::from_uuid(r.get(1)?),
                account_id: AccountId::from_uuid(r.get(0)?),
                rep_id: RepId::from_uuid(r.get(2)?),
                contact_id: None,
                kind,
                occurred_at: from_ms(r.get(4)?)?,
                duration_min: None,
                outcome: None,
                note: None,
                fix: None,
            });
        }

        for body in pending_bodies(self.conn, "log_activity", None)? {
            let MutationBody::LogActivity { activity } = body else {
                continue;
            };
            if activity.occurred_at >= since && !self.activities().is_synced(activity.id)? {
                activities.push(to_domain(&activity)?);
            }
        }

        let corrections = self.all_corrections()?;
        if !corrections.is_empty() {
            activities = apply_corrections(&activities, &corrections);
        }

        // Group by account: sort both sides by account id and walk them together.
        activities.sort_unstable_by_key(|a| a.account_id);
        let mut spans = Vec::with_capacity(accounts.len());
        let mut at = 0;
        for account in &accounts {
            while at < activities.len() && activities[at].account_id < account.id {
                at += 1; // an activity of an account this device does not hold
            }
            let from = at;
            while at < activities.len() && activities[at].account_id == account.id {
                at += 1;
            }
            spans.push((from, at));
        }

        Ok(TodayInputs {
            accounts,
            activities,
            spans,
            plans: self.plans().list()?,
        })
    }

    fn all_corrections(&self) -> Result<Vec<Correction>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare_cached("SELECT data FROM corrections")?;
        for data in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let rec: CorrectionRecord = serde_json::from_str(&data?)?;
            out.push(Correction::from(&rec));
        }
        for body in pending_bodies(self.conn, "correct_activity", None)? {
            if let MutationBody::CorrectActivity { correction } = body {
                out.push(Correction::from(&correction));
            }
        }
        Ok(out)
    }
}

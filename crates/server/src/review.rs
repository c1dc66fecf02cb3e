//! What sync set aside for a manager: quarantined mutations and activities, rejected
//! edits, and the losing side of field conflicts.

use serde::{Deserialize, Serialize};

use crate::db::Sql;
use crate::error::Result;

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
pub fn review(tx: &mut dyn Sql) -> Result<Review> {
    let mut r = Review::default();
    for row in tx.query(
        "SELECT device_id, seq, kind, result, payload FROM mutations
         WHERE status IN ('quarantined', 'rejected') ORDER BY received_at DESC LIMIT 500",
        &[],
    )? {
        r.quarantined_mutations.push(QuarantinedMutation {
            device_id: row.text(0)?,
            seq: row.int(1)?,
            kind: row.text(2)?,
            result: json(row.opt_text(3)?),
            payload: json(row.opt_text(4)?),
        });
    }
    for row in tx.query(
        "SELECT id, account_id, rep_id, reason, data FROM activities
         WHERE status = 'quarantined' ORDER BY id DESC LIMIT 500",
        &[],
    )? {
        r.quarantined_activities.push(QuarantinedActivity {
            id: row.text(0)?,
            account_id: row.text(1)?,
            rep_id: row.text(2)?,
            reason: row.opt_text(3)?,
            activity: json(row.opt_text(4)?),
        });
    }
    for row in tx.query(
        "SELECT device_id, user_id, account_id, field, value, code, reason FROM rejected_edits
         ORDER BY created_at DESC LIMIT 500",
        &[],
    )? {
        r.rejected_edits.push(RejectedEdit {
            device_id: row.text(0)?,
            user_id: row.text(1)?,
            account_id: row.opt_text(2)?,
            field: row.opt_text(3)?,
            value: Some(json(row.opt_text(4)?)),
            code: row.text(5)?,
            reason: row.text(6)?,
        });
    }
    for row in tx.query(
        "SELECT account_id, field, winner_value, loser_value, winner_hlc, loser_hlc FROM conflicts
         ORDER BY created_at DESC LIMIT 500",
        &[],
    )? {
        r.conflicts.push(Conflict {
            account_id: row.text(0)?,
            field: row.text(1)?,
            winner_value: json(row.opt_text(2)?),
            loser_value: json(row.opt_text(3)?),
            winner_hlc: row.text(4)?,
            loser_hlc: row.text(5)?,
        });
    }
    Ok(r)
}

//! Next steps: a touch the rep promised at an account ("call back Tuesday"), due on a
//! day. Today shows the open ones that are due next to the cadence's items; doing one
//! logs the touch and closes it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::TouchKind;
use crate::id::{AccountId, ActivityId, FollowUpId, RepId};

/// At most this many characters in a follow-up's note.
pub const MAX_NOTE_CHARS: usize = 500;
/// A follow-up is due at most this many days after it was made.
pub const MAX_DAYS_AHEAD: i64 = 2 * 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub account: AccountId,
    /// The rep who promised it.
    pub rep: RepId,
    pub kind: TouchKind,
    pub due: NaiveDate,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was done, and the touch that did it.
    pub done: Option<(DateTime<Utc>, Option<ActivityId>)>,
}

/// Where a follow-up stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Done,
    /// Due before today and not done: late by this many days.
    Overdue(i64),
    DueToday,
    /// Due after today, in this many days.
    Upcoming(i64),
}

impl FollowUp {
    pub fn standing(&self, today: NaiveDate) -> Standing {
        if self.done.is_some() {
            return Standing::Done;
        }
        let days = (self.due - today).num_days();
        match days {
            d if d < 0 => Standing::Overdue(-d),
            0 => Standing::DueToday,
            d => Standing::Upcoming(d),
        }
    }

    /// Open and due today or earlier: what Today lists.
    pub fn is_due(&self, today: NaiveDate) -> bool {
        matches!(
            self.standing(today),
            Standing::DueToday | Standing::Overdue(_)
        )
    }
}

/// The follow-ups Today lists: open ones due today or earlier, the most overdue first
/// (ties by when they were made).
pub fn due<'a>(all: impl IntoIterator<Item = &'a FollowUp>, today: NaiveDate) -> Vec<&'a FollowUp> {
    let mut out: Vec<&FollowUp> = all.into_iter().filter(|f| f.is_due(today)).collect();
    out.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    out
}

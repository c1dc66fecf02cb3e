//! Activities: the touches a rep logs. Immutable facts; a correction is a new fact.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, ActivityId, ContactId, RepId};
use crate::value::LatLon;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ActivityKind {
    Visit,
    Call,
    Email,
    Note,
}

impl ActivityKind {
    /// The cadence kind this activity counts as; notes count as none.
    pub fn touch(self) -> Option<TouchKind> {
        match self {
            ActivityKind::Visit => Some(TouchKind::Visit),
            ActivityKind::Call => Some(TouchKind::Call),
            ActivityKind::Email => Some(TouchKind::Email),
            ActivityKind::Note => None,
        }
    }

    pub const ALL: [ActivityKind; 4] = [
        ActivityKind::Visit,
        ActivityKind::Call,
        ActivityKind::Email,
        ActivityKind::Note,
    ];

    /// The kind as stored and sent (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Visit => "visit",
            ActivityKind::Call => "call",
            ActivityKind::Email => "email",
            ActivityKind::Note => "note",
        }
    }
}

impl std::str::FromStr for ActivityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ActivityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("not an activity kind: {s:?}"))
    }
}

/// A check-in (a visit logged without its length) that is not checked out closes itself
/// this long after it began: a rep who forgot is counted as having stayed this long, and
/// the app says so.
pub const VISIT_CLOSES_AFTER_MIN: u32 = 180;

/// Where a visit stands at `now`: under way (checked in, not out), or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VisitState {
    /// Checked in and not out yet.
    Open,
    /// Checked out (or logged with its length).
    Closed { minutes: u32 },
    /// Never checked out: closed itself [`VISIT_CLOSES_AFTER_MIN`] after it began.
    ClosedItself { minutes: u32 },
}

impl Activity {
    /// The visit's state at `now`; `None` for calls, e-mails and notes.
    pub fn visit_state(&self, now: DateTime<Utc>) -> Option<VisitState> {
        if self.kind != ActivityKind::Visit {
            return None;
        }
        Some(match self.duration_min {
            Some(minutes) => VisitState::Closed { minutes },
            None if now - self.occurred_at
                >= chrono::Duration::minutes(i64::from(VISIT_CLOSES_AFTER_MIN)) =>
            {
                VisitState::ClosedItself {
                    minutes: VISIT_CLOSES_AFTER_MIN,
                }
            }
            None => VisitState::Open,
        })
    }

    /// The length a check-out at `now` gives this open visit: whole minutes since it
    /// began, at least one. `None` when the visit is not open at `now`.
    pub fn check_out_minutes(&self, now: DateTime<Utc>) -> Option<u32> {
        (self.visit_state(now)? == VisitState::Open)
            .then(|| u32::try_from((now - self.occurred_at).num_minutes().max(1)).unwrap_or(1))
    }
}

/// The kinds of touch a call-rotation plan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TouchKind {
    Visit,
    Call,
    Email,
}

impl TouchKind {
    pub const ALL: [TouchKind; 3] = [TouchKind::Visit, TouchKind::Call, TouchKind::Email];

    pub fn singular(self) -> &'static str {
        match self {
            TouchKind::Visit => "visit",
            TouchKind::Call => "call",
            TouchKind::Email => "e-mail",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            TouchKind::Visit => "visits",
            TouchKind::Call => "calls",
            TouchKind::Email => "e-mails",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// Spoke to someone / met them.
    Reached,
    LeftMessage,
    NoAnswer,
    MeetingBooked,
    OrderTaken,
    NotInterested,
    FollowUpNeeded,
}

/// A location fix taken at check-in only: Rounds verifies visits, it does not track reps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocationFix {
    pub at: LatLon,
    /// Radius of the device's 68 % confidence circle, in metres.
    pub accuracy_m: f64,
}

/// How close a check-in fix must come to the account to count as "at the account". The
/// app and the dashboard both judge with this one value.
pub const CHECK_IN_RADIUS_M: f64 = 150.0;

/// Whether a check-in happened at the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckIn {
    Inside,
    Outside,
    /// No fix was taken, or the account has no location to compare with.
    NoFix,
}

impl LocationFix {
    /// Inside when the fix, widened by its accuracy, reaches the account's radius.
    /// A fix worse than 1 km proves nothing either way and counts as no fix.
    pub fn verify(fix: Option<&LocationFix>, account: Option<&LatLon>, radius_m: f64) -> CheckIn {
        const USELESS_ACCURACY_M: f64 = 1_000.0;
        match (fix, account) {
            (Some(fix), Some(place))
                if fix.accuracy_m.is_finite()
                    && fix.accuracy_m >= 0.0
                    && fix.accuracy_m <= USELESS_ACCURACY_M =>
            {
                if fix.at.distance_m(place) <= radius_m + fix.accuracy_m {
                    CheckIn::Inside
                } else {
                    CheckIn::Outside
                }
            }
            _ => CheckIn::NoFix,
        }
    }
}

/// What the cadence, the score and the weekly rates read of an activity: on which
/// account, by whom, what and when. A full [`Activity`] is one; so is an
/// [`ActivityHead`], which a server reads from an index without the rest of the record.
pub trait Logged {
    fn account_id(&self) -> AccountId;
    fn rep_id(&self) -> RepId;
    fn kind(&self) -> ActivityKind;
    fn occurred_at(&self) -> DateTime<Utc>;
}

impl<T: Logged> Logged for &T {
    fn account_id(&self) -> AccountId {
        (*self).account_id()
    }
    fn rep_id(&self) -> RepId {
        (*self).rep_id()
    }
    fn kind(&self) -> ActivityKind {
        (*self).kind()
    }
    fn occurred_at(&self) -> DateTime<Utc> {
        (*self).occurred_at()
    }
}

/// An activity and its head carry the four fields under the same names.
macro_rules! logged_fields {
    ($($t:ty),*) => {$(
        impl Logged for $t {
            fn account_id(&self) -> AccountId {
                self.account_id
            }
            fn rep_id(&self) -> RepId {
                self.rep_id
            }
            fn kind(&self) -> ActivityKind {
                self.kind
            }
            fn occurred_at(&self) -> DateTime<Utc> {
                self.occurred_at
            }
        }
    )*};
}
logged_fields!(Activity, ActivityHead);

/// An activity without its note, outcome, length or fix: all the dashboard's cadence,
/// priority and performance figures need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityHead {
    pub id: ActivityId,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
}

impl From<&Activity> for ActivityHead {
    fn from(a: &Activity) -> Self {
        ActivityHead {
            id: a.id,
            account_id: a.account_id,
            rep_id: a.rep_id,
            kind: a.kind,
            occurred_at: a.occurred_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: ActivityId,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub contact_id: Option<ContactId>,
    pub kind: ActivityKind,
    /// When it happened (not when it was logged: back-dated entries count on their own day).
    pub occurred_at: DateTime<Utc>,
    pub duration_min: Option<u32>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub fix: Option<LocationFix>,
}

/// A later fact about an earlier activity. Activities are never edited in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// The correction's own id (a client-made id, like an activity's).
    pub id: ActivityId,
    pub target: ActivityId,
    /// When the correction was made; later corrections win.
    pub made_at: DateTime<Utc>,
    pub change: CorrectionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CorrectionKind {
    /// Replace the fields given; `None` keeps the value.
    Amend {
        occurred_at: Option<DateTime<Utc>>,
        duration_min: Option<u32>,
        outcome: Option<Outcome>,
        note: Option<String>,
    },
    /// The activity did not happen (logged by mistake). It stays in history, marked void.
    Void { reason: String },
}

/// Folds corrections into activities: amended fields replaced in the order the
/// corrections were made, voided activities left out. Corrections whose target is not in
/// `activities` are ignored.
pub fn apply_corrections(activities: &[Activity], corrections: &[Correction]) -> Vec<Activity> {
    let mut ordered: Vec<&Correction> = corrections.iter().collect();
    ordered.sort_by_key(|c| (c.made_at, c.id));
    let mut by_target: HashMap<ActivityId, Vec<&Correction>> = HashMap::new();
    for c in ordered {
        by_target.entry(c.target).or_default().push(c);
    }
    activities
        .iter()
        .filter_map(|a| {
            let mut a = a.clone();
            for c in by_target.get(&a.id).into_iter().flatten() {
                match &c.change {
                    CorrectionKind::Void { .. } => return None,
                    CorrectionKind::Amend {
                        occurred_at,
                        duration_min,
                        outcome,
                        note,
                    } => {
                        a.occurred_at = occurred_at.unwrap_or(a.occurred_at);
                        a.duration_min = duration_min.or(a.duration_min);
                        a.outcome = outcome.or(a.outcome);
                        if let Some(note) = note {
                            a.note = Some(note.clone());
                        }
                    }
                }
            }
            Some(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;
    use uuid::Uuid;

    fn id(n: u128) -> ActivityId {
        ActivityId::from_uuid(Uuid::from_u128(n))
    }

    #[rstest]
    #[case(ActivityKind::Visit, "visit")]
    #[case(ActivityKind::Call, "call")]
    #[case(ActivityKind::Email, "email")]
    #[case(ActivityKind::Note, "note")]
    fn a_kind_is_stored_as_it_is_sent(#[case] kind: ActivityKind, #[case] text: &str) {
        assert_eq!(kind.as_str(), text);
        assert_eq!(serde_json::to_value(kind).unwrap(), text);
        assert_eq!(text.parse::<ActivityKind>(), Ok(kind));
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        assert!("Visit".parse::<ActivityKind>().is_err());
        assert!("".parse::<ActivityKind>().is_err());
    }

    fn visit(n: u128) -> Activity {
        Activity {
            id: id(n),
            account_id: AccountId::from_uuid(Uuid::from_u128(1)),
            rep_id: RepId::from_uuid(Uuid::from_u128(2)),
            contact_id: None,
            kind: ActivityKind::Visit,
            occurred_at: Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap(),
            duration_min: Some(30),
            outcome: None,
            note: None,
            fix: None,
        }
    }

    /// (minutes since the check-in, logged length, kind) → state, and a check-out's length.
    #[rstest]
    #[case::just_checked_in(0, None, ActivityKind::Visit, Some(VisitState::Open), Some(1))]
    #[case::an_hour_in(61, None, ActivityKind::Visit, Some(VisitState::Open), Some(61))]
    #[case::one_minute_before_it_closes(
        179,
        None,
        ActivityKind::Visit,
        Some(VisitState::Open),
        Some(179)
    )]
    #[case::forgotten(180, None, ActivityKind::Visit, Some(VisitState::ClosedItself { minutes: 180 }), None)]
    #[case::checked_out(500, Some(25), ActivityKind::Visit, Some(VisitState::Closed { minutes: 25 }), None)]
    #[case::a_call_is_no_visit(10, None, ActivityKind::Call, None, None)]
    fn a_visit_is_open_until_checked_out_or_three_hours_pass(
        #[case] since_min: i64,
        #[case] length: Option<u32>,
        #[case] kind: ActivityKind,
        #[case] state: Option<VisitState>,
        #[case] check_out: Option<u32>,
    ) {
        let a = Activity {
            kind,
            duration_min: length,
            ..visit(1)
        };
        let now = a.occurred_at + chrono::Duration::minutes(since_min);
        assert_eq!(a.visit_state(now), state);
        assert_eq!(a.check_out_minutes(now), check_out);
    }

    #[test]
    fn void_removes_and_amend_replaces_in_order() {
        let t = |h| Utc.with_ymd_and_hms(2026, 3, 4, h, 0, 0).unwrap();
        let corrections = vec![
            Correction {
                id: id(11),
                target: id(1),
                made_at: t(10),
                change: CorrectionKind::Amend {
                    occurred_at: None,
                    duration_min: None,
                    outcome: Some(Outcome::Reached),
                    note: Some("second".into()),
                },
            },
            Correction {
                id: id(10),
                target: id(1),
                made_at: t(9),
                change: CorrectionKind::Amend {
                    occurred_at: None,
                    duration_min: Some(45),
                    outcome: Some(Outcome::NoAnswer),
                    note: Some("first".into()),
                },
            },
            Correction {
                id: id(12),
                target: id(2),
                made_at: t(9),
                change: CorrectionKind::Void {
                    reason: "wrong account".into(),
                },
            },
        ];
        let out = apply_corrections(&[visit(1), visit(2), visit(3)], &corrections);
        assert_eq!(out.len(), 2, "the voided activity is left out");
        assert_eq!(out[0].note.as_deref(), Some("second"), "later amend wins");
        assert_eq!(out[0].outcome, Some(Outcome::Reached));
        assert_eq!(
            out[0].duration_min,
            Some(45),
            "fields not re-amended are kept"
        );
        assert_eq!(out[1], visit(3));
    }

    fn fix(lat: f64, lon: f64, acc: f64) -> LocationFix {
        LocationFix {
            at: LatLon::new(lat, lon).unwrap(),
            accuracy_m: acc,
        }
    }

    #[rstest]
    // 0.001 degrees of latitude is ~111 m.
    #[case::at_the_door(fix(41.0, -87.0, 10.0), CheckIn::Inside)]
    #[case::across_the_street(fix(41.001, -87.0, 10.0), CheckIn::Inside)]
    #[case::a_mile_away(fix(41.015, -87.0, 20.0), CheckIn::Outside)]
    #[case::vague_but_reaching(fix(41.004, -87.0, 300.0), CheckIn::Inside)]
    #[case::useless_fix(fix(41.0, -87.0, 5_000.0), CheckIn::NoFix)]
    #[case::nan_accuracy(fix(41.0, -87.0, f64::NAN), CheckIn::NoFix)]
    fn check_in_verification(#[case] f: LocationFix, #[case] expected: CheckIn) {
        let place = LatLon::new(41.0, -87.0).unwrap();
        assert_eq!(LocationFix::verify(Some(&f), Some(&place), 150.0), expected);
    }

    #[test]
    fn check_in_without_fix_or_place() {
        let place = LatLon::new(41.0, -87.0).unwrap();
        let f = fix(41.0, -87.0, 5.0);
        assert_eq!(
            LocationFix::verify(None, Some(&place), 150.0),
            CheckIn::NoFix
        );
        assert_eq!(LocationFix::verify(Some(&f), None, 150.0), CheckIn::NoFix);
    }
}

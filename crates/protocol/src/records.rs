//! Wire records: the synced rows as they travel. Flat, explicit, and converted to and
//! from the domain types by hand, so a domain refactor never silently changes the wire.

use chrono::{DateTime, NaiveDate, Utc};
use rounds_core as core;
use serde::{Deserialize, Serialize};

use crate::{
    AccountId, ActivityId, AppointmentId, ContactId, FollowUpId, PhotoId, PlanId, RepId,
    TerritoryId,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountRecord {
    pub id: AccountId,
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub stage: core::Stage,
    pub priority: core::Priority,
    pub kare: Option<core::Kare>,
    pub currency: String,
    pub revenue_minor: i64,
    pub expenses_minor: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub industry: Option<String>,
    pub territory_id: Option<TerritoryId>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub lead_on: Option<NaiveDate>,
    #[serde(default)]
    pub opportunity_on: Option<NaiveDate>,
    #[serde(default)]
    pub won_on: Option<NaiveDate>,
    #[serde(default)]
    pub lost_on: Option<NaiveDate>,
    /// When it receives visitors, written as `Mo-Fr 08:00-17:00; Sa 09:00-12:00`;
    /// `None`: not known (open whenever the rep works).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// How long a visit there lasts; `None`: the rep's usual visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_minutes: Option<u16>,
    /// Dates it is closed whatever its hours say, on one line:
    /// `2026-12-24, 2026-12-28 – 2027-01-01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<String>,
    /// When its buyer likes to be visited, in the opening-hours form
    /// (`Tu,Th 09:00-11:00`): kept when the planners can, else its hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_hours: Option<String>,
    /// What it could buy in a year, in minor units of `currency`, as set by the company
    /// (import or manager); changed on the server only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential_minor: Option<i64>,
    /// The rep's estimate of the same, edited from the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential_estimate_minor: Option<i64>,
    /// Where `lat`/`lon` came from (a rep's device, by hand, a file, an address or a
    /// postal code); absent when not recorded.
    /// A name this build does not know (a newer server's) reads as not recorded, so an
    /// older device keeps syncing.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_location_source"
    )]
    pub location_source: Option<core::LocationSource>,
}

fn lenient_location_source<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<core::LocationSource>, D::Error> {
    let name: Option<String> = Option::deserialize(d)?;
    Ok(name.as_deref().and_then(core::LocationSource::from_name))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRecord {
    pub id: ContactId,
    pub account_id: AccountId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

/// A next step the rep promised at an account; done when `done_at` is set (by the touch
/// `done_by`, when one was logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpRecord {
    pub id: FollowUpId,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub kind: core::TouchKind,
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<ActivityId>,
}

/// A visit fixed at the rep's local date and time; cancelled when `cancelled_at` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentRecord {
    pub id: AppointmentId,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub on: NaiveDate,
    /// Minutes from local midnight it starts.
    pub at_min: u16,
    pub minutes: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl TryFrom<&AppointmentRecord> for core::Appointment {
    type Error = RecordError;
    fn try_from(r: &AppointmentRecord) -> Result<Self, RecordError> {
        use core::appointment::{MAX_DAYS_AHEAD, MAX_NOTE_CHARS, check_time};
        let note = optional_note(r.note.as_deref(), MAX_NOTE_CHARS);
        if (r.on - r.created_at.date_naive()).num_days() > MAX_DAYS_AHEAD {
            return Err(RecordError {
                field: "on",
                reason: format!("more than {MAX_DAYS_AHEAD} days after the appointment was made"),
            });
        }
        field("at_min", check_time(r.at_min, r.minutes))?;
        Ok(core::Appointment {
            id: r.id,
            account: r.account_id,
            rep: r.rep_id,
            on: r.on,
            at_min: r.at_min,
            minutes: r.minutes,
            note: field("note", note)?,
            created_at: r.created_at,
            cancelled_at: r.cancelled_at,
        })
    }
}

impl From<&core::Appointment> for AppointmentRecord {
    fn from(a: &core::Appointment) -> Self {
        AppointmentRecord {
            id: a.id,
            account_id: a.account,
            rep_id: a.rep,
            on: a.on,
            at_min: a.at_min,
            minutes: a.minutes,
            note: a.note.clone(),
            created_at: a.created_at,
            cancelled_at: a.cancelled_at,
        }
    }
}

/// A photo attached on a device: what it shows and the SHA-256 of its bytes, which the
/// device uploads separately (`PUT /sync/blobs/{sha256}`) once this record is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRecord {
    pub id: PhotoId,
    pub account_id: AccountId,
    /// The visit or other touch it was taken at, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<ActivityId>,
    pub rep_id: RepId,
    /// 64 lowercase hexadecimal digits.
    pub sha256: String,
    pub bytes: u64,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    pub taken_at: DateTime<Utc>,
}

impl TryFrom<&PhotoRecord> for core::Photo {
    type Error = RecordError;
    fn try_from(r: &PhotoRecord) -> Result<Self, RecordError> {
        use core::photo;
        field("bytes", photo::check_size(r.bytes))?;
        Ok(core::Photo {
            id: r.id,
            account: r.account_id,
            activity: r.activity_id,
            rep: r.rep_id,
            hash: field("sha256", r.sha256.parse())?,
            bytes: r.bytes,
            image_type: field("content_type", core::ImageType::from_mime(&r.content_type))?,
            caption: field("caption", photo::caption(r.caption.as_deref()))?,
            taken_at: r.taken_at,
        })
    }
}

impl From<&core::Photo> for PhotoRecord {
    fn from(p: &core::Photo) -> Self {
        PhotoRecord {
            id: p.id,
            account_id: p.account,
            activity_id: p.activity,
            rep_id: p.rep,
            sha256: p.hash.to_string(),
            bytes: p.bytes,
            content_type: p.image_type.mime().to_owned(),
            caption: p.caption.clone(),
            taken_at: p.taken_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixRecord {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityRecord {
    pub id: ActivityId,
    pub account_id: AccountId,
    pub rep_id: RepId,
    pub contact_id: Option<ContactId>,
    pub kind: core::ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub duration_min: Option<u32>,
    pub outcome: Option<core::Outcome>,
    pub note: Option<String>,
    pub fix: Option<FixRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionRecord {
    pub id: ActivityId,
    pub target: ActivityId,
    pub made_at: DateTime<Utc>,
    pub change: core::CorrectionKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerritoryRecord {
    pub id: TerritoryId,
    pub name: String,
    pub rep_id: Option<RepId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRuleRecord {
    pub priority: core::Priority,
    pub period: core::Period,
    pub visits: u32,
    pub calls: u32,
    pub emails: u32,
    /// The bucket's visit length in minutes; absent: the rep's own default. An older
    /// device ignores it and plans with its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_minutes: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanVersionRecord {
    pub effective_from: NaiveDate,
    pub rules: Vec<PlanRuleRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRecord {
    pub id: PlanId,
    pub name: String,
    pub versions: Vec<PlanVersionRecord>,
}

/// A record the wire carried that the domain refuses, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RecordError {
    pub field: &'static str,
    pub reason: String,
}

fn field<T, E: std::fmt::Display>(name: &'static str, r: Result<T, E>) -> Result<T, RecordError> {
    r.map_err(|e| RecordError {
        field: name,
        reason: e.to_string(),
    })
}

/// A note as kept: trimmed, none when blank, at most `max` characters.
fn optional_note(note: Option<&str>, max: usize) -> Result<Option<String>, core::ValueError> {
    note.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| core::value::required_text("note", s, max))
        .transpose()
}

fn opt<T, E: std::fmt::Display>(
    name: &'static str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, RecordError> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| field(name, parse(s)))
        .transpose()
}

/// A yearly potential in minor units: not negative (what an account could buy).
fn potential(
    name: &'static str,
    minor: Option<i64>,
    currency: core::Currency,
) -> Result<Option<core::Money>, RecordError> {
    match minor {
        Some(m) if m < 0 => Err(RecordError {
            field: name,
            reason: "a potential is not negative".into(),
        }),
        m => Ok(m.map(|m| core::Money::new(m, currency))),
    }
}

impl TryFrom<&AccountRecord> for core::Account {
    type Error = RecordError;
    fn try_from(r: &AccountRecord) -> Result<Self, RecordError> {
        let currency = field("currency", core::Currency::parse(&r.currency))?;
        let location = match (r.lat, r.lon) {
            (Some(lat), Some(lon)) => Some(field("location", core::LatLon::new(lat, lon))?),
            (None, None) => None,
            _ => {
                return Err(RecordError {
                    field: "location",
                    reason: "latitude and longitude come together".into(),
                });
            }
        };
        Ok(core::Account {
            id: r.id,
            name: field("name", core::value::required_text("name", &r.name, 200))?,
            address: core::Address {
                street: r.street.clone(),
                city: r.city.clone(),
                region: r.region.clone(),
                postal_code: r.postal_code.clone(),
                country: r.country.clone(),
            },
            location,
            stage: r.stage,
            stage_dates: core::StageDates {
                lead: r.lead_on,
                opportunity: r.opportunity_on,
                won: r.won_on,
                lost: r.lost_on,
            },
            priority: r.priority,
            kare: r.kare,
            revenue: core::Money::new(r.revenue_minor, currency),
            expenses: core::Money::new(r.expenses_minor, currency),
            phone: opt("phone", r.phone.as_deref(), core::Phone::parse)?,
            email: opt("email", r.email.as_deref(), core::Email::parse)?,
            industry: r.industry.clone().filter(|s| !s.trim().is_empty()),
            territory: r.territory_id,
            created_at: r.created_at,
            hours: opt("hours", r.hours.as_deref(), core::OpeningHours::parse)?,
            visit_minutes: r
                .visit_minutes
                .map(|m| field("visit_minutes", core::hours::visit_minutes(m)))
                .transpose()?,
            closed_on: field(
                "closed_on",
                core::calendar::parse_days_off(r.closed_on.as_deref().unwrap_or_default()),
            )?,
            preferred_hours: opt(
                "preferred_hours",
                r.preferred_hours.as_deref(),
                core::OpeningHours::parse,
            )?,
            potential: potential("potential", r.potential_minor, currency)?,
            potential_estimate: potential(
                "potential_estimate",
                r.potential_estimate_minor,
                currency,
            )?,
            // A source means nothing without a place.
            location_source: r.location_source.filter(|_| location.is_some()),
        })
    }
}

impl From<&core::Account> for AccountRecord {
    fn from(a: &core::Account) -> Self {
        AccountRecord {
            id: a.id,
            name: a.name.clone(),
            street: a.address.street.clone(),
            city: a.address.city.clone(),
            region: a.address.region.clone(),
            postal_code: a.address.postal_code.clone(),
            country: a.address.country.clone(),
            lat: a.location.map(|l| l.lat()),
            lon: a.location.map(|l| l.lon()),
            stage: a.stage,
            priority: a.priority,
            kare: a.kare,
            currency: a.revenue.currency.code().to_owned(),
            revenue_minor: a.revenue.minor,
            expenses_minor: a.expenses.minor,
            phone: a.phone.as_ref().map(|p| p.as_typed().to_owned()),
            email: a.email.as_ref().map(|e| e.as_str().to_owned()),
            industry: a.industry.clone(),
            territory_id: a.territory,
            created_at: a.created_at,
            lead_on: a.stage_dates.lead,
            opportunity_on: a.stage_dates.opportunity,
            won_on: a.stage_dates.won,
            lost_on: a.stage_dates.lost,
            hours: a.hours.as_ref().map(ToString::to_string),
            visit_minutes: a.visit_minutes,
            closed_on: core::calendar::dates_line(&a.closed_on),
            preferred_hours: a.preferred_hours.as_ref().map(ToString::to_string),
            potential_minor: a.potential.map(|m| m.minor),
            potential_estimate_minor: a.potential_estimate.map(|m| m.minor),
            location_source: a.location_source.filter(|_| a.location.is_some()),
        }
    }
}

impl TryFrom<&ContactRecord> for core::Contact {
    type Error = RecordError;
    fn try_from(r: &ContactRecord) -> Result<Self, RecordError> {
        Ok(core::Contact {
            id: r.id,
            account_id: r.account_id,
            name: field("name", core::value::required_text("name", &r.name, 200))?,
            title: r.title.clone().filter(|s| !s.trim().is_empty()),
            phone: opt("phone", r.phone.as_deref(), core::Phone::parse)?,
            email: opt("email", r.email.as_deref(), core::Email::parse)?,
            primary: r.primary,
        })
    }
}

impl From<&core::Contact> for ContactRecord {
    fn from(c: &core::Contact) -> Self {
        ContactRecord {
            id: c.id,
            account_id: c.account_id,
            name: c.name.clone(),
            title: c.title.clone(),
            phone: c.phone.as_ref().map(|p| p.as_typed().to_owned()),
            email: c.email.as_ref().map(|e| e.as_str().to_owned()),
            primary: c.primary,
        }
    }
}

impl TryFrom<&FollowUpRecord> for core::FollowUp {
    type Error = RecordError;
    fn try_from(r: &FollowUpRecord) -> Result<Self, RecordError> {
        use core::follow_up::{MAX_DAYS_AHEAD, MAX_NOTE_CHARS};
        let note = optional_note(r.note.as_deref(), MAX_NOTE_CHARS);
        let ahead = (r.due_on - r.created_at.date_naive()).num_days();
        if ahead > MAX_DAYS_AHEAD {
            return Err(RecordError {
                field: "due_on",
                reason: format!("more than {MAX_DAYS_AHEAD} days after the follow-up was made"),
            });
        }
        if r.done_by.is_some() && r.done_at.is_none() {
            return Err(RecordError {
                field: "done_by",
                reason: "a touch that did it, but no time it was done".into(),
            });
        }
        Ok(core::FollowUp {
            id: r.id,
            account: r.account_id,
            rep: r.rep_id,
            kind: r.kind,
            due: r.due_on,
            note: field("note", note)?,
            created_at: r.created_at,
            done: r.done_at.map(|at| (at, r.done_by)),
        })
    }
}

impl From<&core::FollowUp> for FollowUpRecord {
    fn from(f: &core::FollowUp) -> Self {
        FollowUpRecord {
            id: f.id,
            account_id: f.account,
            rep_id: f.rep,
            kind: f.kind,
            due_on: f.due,
            note: f.note.clone(),
            created_at: f.created_at,
            done_at: f.done.map(|d| d.0),
            done_by: f.done.and_then(|d| d.1),
        }
    }
}

impl TryFrom<&ActivityRecord> for core::Activity {
    type Error = RecordError;
    fn try_from(r: &ActivityRecord) -> Result<Self, RecordError> {
        let fix = match &r.fix {
            Some(f) => {
                if !(f.accuracy_m.is_finite() && f.accuracy_m >= 0.0) {
                    return Err(RecordError {
                        field: "fix.accuracy_m",
                        reason: "must be a non-negative number of metres".into(),
                    });
                }
                Some(core::LocationFix {
                    at: field("fix", core::LatLon::new(f.lat, f.lon))?,
                    accuracy_m: f.accuracy_m,
                })
            }
            None => None,
        };
        if r.note.as_ref().is_some_and(|n| n.len() > 20_000) {
            return Err(RecordError {
                field: "note",
                reason: "longer than 20,000 bytes".into(),
            });
        }
        Ok(core::Activity {
            id: r.id,
            account_id: r.account_id,
            rep_id: r.rep_id,
            contact_id: r.contact_id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            duration_min: r.duration_min,
            outcome: r.outcome,
            note: r.note.clone(),
            fix,
        })
    }
}

impl From<&core::Activity> for ActivityRecord {
    fn from(a: &core::Activity) -> Self {
        ActivityRecord {
            id: a.id,
            account_id: a.account_id,
            rep_id: a.rep_id,
            contact_id: a.contact_id,
            kind: a.kind,
            occurred_at: a.occurred_at,
            duration_min: a.duration_min,
            outcome: a.outcome,
            note: a.note.clone(),
            fix: a.fix.map(|f| FixRecord {
                lat: f.at.lat(),
                lon: f.at.lon(),
                accuracy_m: f.accuracy_m,
            }),
        }
    }
}

impl From<&CorrectionRecord> for core::Correction {
    fn from(r: &CorrectionRecord) -> Self {
        core::Correction {
            id: r.id,
            target: r.target,
            made_at: r.made_at,
            change: r.change.clone(),
        }
    }
}

impl From<&core::Correction> for CorrectionRecord {
    fn from(c: &core::Correction) -> Self {
        CorrectionRecord {
            id: c.id,
            target: c.target,
            made_at: c.made_at,
            change: c.change.clone(),
        }
    }
}

impl TryFrom<&PlanRecord> for core::RotationPlan {
    type Error = RecordError;
    fn try_from(r: &PlanRecord) -> Result<Self, RecordError> {
        let versions = r
            .versions
            .iter()
            .map(|v| core::PlanVersion {
                effective_from: v.effective_from,
                rules: v
                    .rules
                    .iter()
                    .map(|x| {
                        (
                            x.priority,
                            core::BucketRule {
                                period: x.period,
                                touches: core::Touches::new(x.visits, x.calls, x.emails),
                                visit_minutes: x.visit_minutes,
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        field(
            "versions",
            core::RotationPlan::new(r.id, r.name.clone(), versions),
        )
    }
}

impl From<&core::RotationPlan> for PlanRecord {
    fn from(p: &core::RotationPlan) -> Self {
        PlanRecord {
            id: p.id,
            name: p.name.clone(),
            versions: p
                .versions()
                .iter()
                .map(|v| PlanVersionRecord {
                    effective_from: v.effective_from,
                    rules: v
                        .rules
                        .iter()
                        .map(|(priority, r)| PlanRuleRecord {
                            priority: *priority,
                            period: r.period,
                            visits: r.touches.visits,
                            calls: r.touches.calls,
                            emails: r.touches.emails,
                            visit_minutes: r.visit_minutes,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<&TerritoryRecord> for core::Territory {
    fn from(r: &TerritoryRecord) -> Self {
        core::Territory {
            id: r.id,
            name: r.name.clone(),
            rep: r.rep_id,
        }
    }
}

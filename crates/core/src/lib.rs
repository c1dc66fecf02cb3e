//! The Rounds domain: accounts, contacts, territories, activities, call-rotation plans,
//! the cadence engine, territory KPIs and the account priority score.
//!
//! Pure: no I/O and no clock. Whatever depends on the date takes `today` (and the rep's
//! time zone) as an argument, so every rule is a plain function of its inputs. Builds for
//! `wasm32-unknown-unknown`, so the UI runs the same code as the device and the server.

pub mod account;
pub mod activity;
pub mod appointment;
pub mod cadence;
pub mod calendar;
pub mod compliance;
pub mod contact;
pub mod duplicate;
pub mod follow_up;
pub mod hours;
pub mod id;
pub mod kpi;
pub mod photo;
pub mod plan;
pub mod potential;
pub mod score;
pub mod stage;
pub mod territory;
pub mod value;
pub mod workload;

pub use account::{Account, Address, Kare, LocationSource, Priority, Stage, StageDates};
pub use activity::{
    Activity, ActivityHead, ActivityKind, CheckIn, Correction, CorrectionKind, LocationFix, Logged,
    Outcome, TouchKind, VisitState, apply_corrections,
};
pub use appointment::Appointment;
pub use cadence::{
    AccountCadence, CadenceEngine, KindCadence, Reason, Scheduled, Status, TodayEntry,
    account_cadence,
};
pub use calendar::{DateRange, Period, WorkCalendar};
pub use compliance::{Compliance, ComplianceKey, Tally};
pub use contact::Contact;
pub use follow_up::FollowUp;
pub use hours::{HoursError, OpeningHours, Span};
pub use id::{
    AccountId, ActivityId, AppointmentId, ContactId, DeviceId, FollowUpId, IdError, MutationId,
    PhotoId, PlanId, RepId, TerritoryId, UserId,
};
pub use kpi::{Funnel, Ratio, Segment, WeekTouches};
pub use photo::{ContentHash, ImageType, Photo};
pub use plan::{BucketRule, PlanError, PlanVersion, RotationPlan, Touches};
pub use score::{Factor, FactorKind, PriorityScore, Touched};
pub use stage::{StageChange, StageFlow};
pub use territory::{Rep, Role, Territory};
pub use value::{Currency, Email, LatLon, Money, Phone, ValueError, mailto_uri, tel_uri};

/// The time-zone database type used for reps' zones.
pub use chrono_tz::Tz;

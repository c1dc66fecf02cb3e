//! Wire types shared by the server, the device and the UI.
//!
//! These are frozen contracts: change them only additively (new optional fields with
//! `#[serde(default)]`, new enum variants that old readers map to [`ErrorCode::Unknown`]).
//! `tests/snapshots` pins the JSON of every message.

pub mod auth;
#[cfg(feature = "calendar")]
pub mod calendar;
mod error;
pub mod hlc;
pub mod ipc;
pub mod records;
pub mod sync;
pub mod week;

pub use error::{ApiError, ErrorCode};
pub use hlc::Hlc;
/// Ids travel as their bare UUID strings; the typed newtypes are the domain's own.
pub use rounds_core::id::{
    AccountId, ActivityId, AppointmentId, ContactId, DeviceId, FollowUpId, MutationId, PhotoId,
    PlanId, RepId, TerritoryId, UserId,
};

/// Version of the wire format (message shapes). Bumped only for incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Version of the synced data's shape (tables and fields a device understands). A pull
/// sends a device only the tables its version knows: 2 added follow-ups, 3 photos;
/// 4 added accounts' opening hours and visit minutes (fields an older device ignores)
/// and appointments; 5 added accounts' closed dates, 6 their preferred hours, 7 their
/// potential and the rep's estimate of it, 8 where their location came from (fields an
/// older device ignores).
pub const SCHEMA_VERSION: u32 = 8;

/// The oldest protocol version this build still serves.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

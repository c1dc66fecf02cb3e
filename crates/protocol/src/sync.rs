//! Push and pull: the sync messages between a device and the server.
//!
//! * `POST /sync/push` — [`PushRequest`] → [`PushResponse`]: the device's outbox in
//!   sequence order; the server applies each mutation exactly once and answers a status
//!   per mutation.
//! * `GET /sync/pull?cursor=…&limit=…` → [`PullResponse`]: changes after the cursor for
//!   the buckets the server decides the device may see now, a page at a time.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::hlc::Hlc;
use crate::records::{
    AccountRecord, ActivityRecord, AppointmentRecord, ContactRecord, CorrectionRecord,
    FollowUpRecord, PhotoRecord, PlanRecord, TerritoryRecord,
};
use crate::{AccountId, DeviceId, MutationId};

/// At most this many mutations in one push.
pub const MAX_PUSH_MUTATIONS: usize = 200;
/// At most this many bytes of JSON in one push body.
pub const MAX_PUSH_BYTES: usize = 256 * 1024;
/// At most this many operations in one pull page.
pub const MAX_PULL_OPS: usize = 1_000;
/// The shape of [`MutationBody`] this build writes. Older shapes are translated by the
/// server, or kept raw as quarantined — never dropped.
pub const PAYLOAD_VERSION: u32 = 1;

/// What a device asks the server to do.
// Bodies live briefly between the outbox and the database; boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MutationBody {
    /// A new activity: an immutable fact, inserted once by its client-made id.
    LogActivity { activity: ActivityRecord },
    /// An amendment or voiding of an earlier activity: also a new fact.
    CorrectActivity { correction: CorrectionRecord },
    /// One field of an account, merged last-writer-wins by the mutation's HLC.
    EditAccount {
        account_id: AccountId,
        edit: AccountEdit,
    },
    /// A new account the rep found in the field, with its client-made id: created once,
    /// in a territory the sender works; a second copy of the same id is a no-op.
    CreateAccount { account: AccountRecord },
    /// A contact added or changed on the device (client-made id for a new one): the
    /// whole contact, last writer wins by the mutation's HLC.
    SaveContact { contact: ContactRecord },
    /// A move along the funnel, from the stage the rep saw: merged last-writer-wins with
    /// the account's stage field, and kept on the server as a dated fact (with the
    /// reason, when the account was lost) that the funnel figures count.
    ChangeStage {
        account_id: AccountId,
        from: rounds_core::Stage,
        to: rounds_core::Stage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A next step made, changed or done on the device (client-made id for a new one):
    /// the whole follow-up, last writer wins by the mutation's HLC.
    SaveFollowUp { follow_up: FollowUpRecord },
    /// A photo taken or picked on the device: recorded once by its client-made id; its
    /// bytes follow through the blob upload, named by their SHA-256.
    AttachPhoto { photo: PhotoRecord },
    /// An appointment made, moved or cancelled on the device (client-made id for a new
    /// one): the whole appointment, last writer wins by the mutation's HLC.
    SaveAppointment { appointment: AppointmentRecord },
}

/// A chunk of a blob upload carries at most this many bytes (under the request limit).
pub const BLOB_CHUNK_BYTES: usize = 192 * 1024;

/// Where the upload of one photo's bytes stands (`GET`/`PUT /sync/blobs/{sha256}`). An
/// upload resumes from `received`; a chunk sent at another offset is not written, and the
/// answer says where to go on from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobStatus {
    pub sha256: String,
    /// The size the photo's record declared.
    pub size: u64,
    /// Bytes the server holds of it so far.
    pub received: u64,
    /// The whole blob is stored and matches its hash: nothing more to send.
    pub complete: bool,
}

/// At most this many characters in a stage change's reason.
pub const MAX_STAGE_REASON_CHARS: usize = 500;

/// An account field a rep may edit from the device, with its new value. Manager-owned
/// fields (territory, owner, priority, revenue, expenses, potential) are changed on the server
/// only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountEdit {
    Name(String),
    Phone(Option<String>),
    Email(Option<String>),
    Street(String),
    City(String),
    Region(String),
    PostalCode(String),
    Country(String),
    /// Where the account really is (a rep fixing a pin); `None` clears it.
    Location(Option<LatLonRecord>),
    Industry(Option<String>),
    Stage(rounds_core::Stage),
    Kare(Option<rounds_core::Kare>),
    /// Opening hours as written (`Mo-Fr 08:00-17:00`); `None` clears them.
    Hours(Option<String>),
    /// Minutes a visit there takes; `None`: the rep's usual visit.
    VisitMinutes(Option<u16>),
    /// Dates it is closed (`2026-12-24, 2026-12-28 – 2027-01-01`); `None` clears them.
    ClosedOn(Option<String>),
    /// When its buyer likes visits (`Tu,Th 09:00-11:00`); `None`: any time it is open.
    PreferredHours(Option<String>),
    /// The rep's estimate of what it could buy in a year, in minor units of the
    /// account's currency (not negative); `None` clears it.
    PotentialEstimate(Option<i64>),
}

impl AccountEdit {
    /// The field's stable name, the key of its per-field clock.
    pub fn field(&self) -> &'static str {
        match self {
            AccountEdit::Name(_) => "name",
            AccountEdit::Phone(_) => "phone",
            AccountEdit::Email(_) => "email",
            AccountEdit::Street(_) => "street",
            AccountEdit::City(_) => "city",
            AccountEdit::Region(_) => "region",
            AccountEdit::PostalCode(_) => "postal_code",
            AccountEdit::Country(_) => "country",
            AccountEdit::Location(_) => "location",
            AccountEdit::Industry(_) => "industry",
            AccountEdit::Stage(_) => "stage",
            AccountEdit::Kare(_) => "kare",
            AccountEdit::Hours(_) => "hours",
            AccountEdit::VisitMinutes(_) => "visit_minutes",
            AccountEdit::ClosedOn(_) => "closed_on",
            AccountEdit::PreferredHours(_) => "preferred_hours",
            AccountEdit::PotentialEstimate(_) => "potential_estimate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatLonRecord {
    pub lat: f64,
    pub lon: f64,
}

/// One outbox entry on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    /// 1, 2, 3 … per device, never reused; the server applies each number once.
    pub seq: u64,
    pub id: MutationId,
    pub hlc: Hlc,
    pub payload_version: u32,
    /// Kept as raw JSON: a body the server cannot read is still consumed, and stored as it
    /// came, so one bad mutation never blocks the queue nor loses the rep's words.
    #[cfg_attr(feature = "openapi", schema(value_type = MutationBody))]
    pub body: serde_json::Value,
}

impl Mutation {
    pub fn new(seq: u64, id: MutationId, hlc: Hlc, body: &MutationBody) -> Self {
        Self {
            seq,
            id,
            hlc,
            payload_version: PAYLOAD_VERSION,
            // A MutationBody always serialises: its maps have string keys, its floats
            // come from validated values.
            body: serde_json::to_value(body).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn parse_body(&self) -> Result<MutationBody, serde_json::Error> {
        serde_json::from_value(self.body.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub protocol_version: u32,
    pub schema_version: u32,
    pub device_id: DeviceId,
    pub mutations: Vec<Mutation>,
}

/// What became of one mutation. Every status is final: the device removes the outbox row
/// on any of them and keeps rejected, quarantined and superseded ones to show the rep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MutationStatus {
    Applied,
    /// Accepted, but a later edit of the same field won; this value is kept as a conflict
    /// for the manager to see.
    Superseded {
        winner: Hlc,
    },
    /// Refused for good (no right to edit, invalid value); kept on the server as a
    /// rejected edit with its raw payload. The one exception is code `sequence_gap`: the
    /// mutation was not applied because earlier ones are missing; send those, then it.
    Rejected {
        code: ErrorCode,
        reason: String,
    },
    /// Kept aside for a manager to review (e.g. an activity on an account the rep no
    /// longer holds, or a payload this server cannot read).
    Quarantined {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MutationResult {
    pub seq: u64,
    pub id: MutationId,
    #[serde(flatten)]
    pub status: MutationStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Changes when the server database is restored from a backup.
    pub epoch: String,
    /// The highest sequence number the server has applied for this device.
    pub last_applied_seq: u64,
    pub server_hlc: Hlc,
    /// One per mutation sent, in order. A replayed mutation gets its stored result.
    pub results: Vec<MutationResult>,
}

/// A named set of rows the server sends as a unit: `org` (plans, shared reference) and
/// one `territory/<id>` per territory. Which buckets a device gets is decided by the
/// server from the current assignment, at pull time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketId(pub String);

impl BucketId {
    pub fn org() -> Self {
        BucketId("org".into())
    }

    pub fn territory(id: crate::TerritoryId) -> Self {
        BucketId(format!("territory/{id}"))
    }
}

/// A synced row, tagged by table.
// Rows live briefly between the wire and the database; boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "table", content = "row", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Row {
    Territory(TerritoryRecord),
    Plan(PlanRecord),
    Account(AccountRecord),
    Contact(ContactRecord),
    Activity(ActivityRecord),
    Correction(CorrectionRecord),
    /// Since schema 2.
    FollowUp(FollowUpRecord),
    /// Since schema 3: the record only; the bytes are fetched by the photo's id.
    Photo(PhotoRecord),
    /// Since schema 4.
    Appointment(AppointmentRecord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Table {
    Territory,
    Plan,
    Account,
    Contact,
    Activity,
    Correction,
    FollowUp,
    Photo,
    Appointment,
}

impl Row {
    pub fn table(&self) -> Table {
        match self {
            Row::Territory(_) => Table::Territory,
            Row::Plan(_) => Table::Plan,
            Row::Account(_) => Table::Account,
            Row::Contact(_) => Table::Contact,
            Row::Activity(_) => Table::Activity,
            Row::Correction(_) => Table::Correction,
            Row::FollowUp(_) => Table::FollowUp,
            Row::Photo(_) => Table::Photo,
            Row::Appointment(_) => Table::Appointment,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Row::Territory(r) => *r.id.as_uuid(),
            Row::Plan(r) => *r.id.as_uuid(),
            Row::Account(r) => *r.id.as_uuid(),
            Row::Contact(r) => *r.id.as_uuid(),
            Row::Activity(r) => *r.id.as_uuid(),
            Row::Correction(r) => *r.id.as_uuid(),
            Row::FollowUp(r) => *r.id.as_uuid(),
            Row::Photo(r) => *r.id.as_uuid(),
            Row::Appointment(r) => *r.id.as_uuid(),
        }
    }
}

/// One change in a pull page.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Op {
    /// Insert or replace a row of the bucket.
    Put { bucket: BucketId, row: Row },
    /// Delete one row of the bucket.
    Delete {
        bucket: BucketId,
        table: Table,
        id: Uuid,
    },
    /// A snapshot of the bucket follows: drop the bucket's rows first (the device just
    /// gained it, or its copy must be rebuilt).
    ResetBucket { bucket: BucketId },
    /// The device no longer holds this bucket: drop its rows (never the outbox).
    RemoveBucket { bucket: BucketId },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub epoch: String,
    /// Opaque; send it back on the next pull. Store it in the same transaction as the
    /// page's rows.
    pub cursor: String,
    /// More pages are waiting right now.
    pub has_more: bool,
    /// The server's change sequence the device is complete up to once `has_more` is false.
    pub checkpoint: u64,
    pub server_hlc: Hlc,
    /// The highest mutation number the server has applied for this device.
    pub last_applied_seq: u64,
    /// The epoch changed (server restored from backup): the device must drop its synced
    /// rows, keep its outbox, and push everything not yet acknowledged by this epoch.
    #[serde(default)]
    pub reset: bool,
    pub ops: Vec<Op>,
}

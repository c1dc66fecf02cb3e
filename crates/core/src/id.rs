//! Typed entity ids: UUIDv7 newtypes, one per entity, so an account id can never be
//! passed where a contact id is expected.
//!
//! Ids are minted at the edges (the device store, the server) where a clock and a random
//! source exist; core only carries and parses them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: {0}")]
pub struct IdError(String);

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID minted elsewhere (UUIDv7 by convention, so ids sort by creation).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError(s.to_owned()))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

typed_id!(
    /// A customer or prospect.
    AccountId
);
typed_id!(
    /// A person at an account.
    ContactId
);
typed_id!(
    /// A group of accounts assigned to a rep.
    TerritoryId
);
typed_id!(
    /// A user of Rounds: rep, manager or admin.
    UserId
);
typed_id!(
    /// A logged touch: visit, call, e-mail or note. Made on the device; the idempotency key of sync.
    ActivityId
);
typed_id!(
    /// A call-rotation plan.
    PlanId
);
typed_id!(
    /// One installation of the app, registered at login.
    DeviceId
);
typed_id!(
    /// One local change waiting in a device's outbox.
    MutationId
);
typed_id!(
    /// A next step the rep promised at an account ("call back Tuesday").
    FollowUpId
);
typed_id!(
    /// A visit fixed at a date and a time.
    AppointmentId
);
typed_id!(
    /// A photo a rep attached to an account or a visit (a shelf, a storefront, a form).
    PhotoId
);

/// A rep is a user; the alias names the role where only reps make sense.
pub type RepId = UserId;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_serialises_as_a_bare_uuid_string() {
        let id: AccountId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"01890a5d-ac96-774b-bcce-b302099a8057\"");
        assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), id);
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert!("not-a-uuid".parse::<ContactId>().is_err());
        assert!(serde_json::from_str::<ContactId>("\"x\"").is_err());
    }
}

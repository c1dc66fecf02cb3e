//! Territories and the people who work them.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::id::{RepId, TerritoryId, UserId};
use crate::value::Email;

/// A group of accounts assigned to a rep. Not always geographic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Territory {
    pub id: TerritoryId,
    pub name: String,
    /// The rep who works it now; `None` while it is being handed over.
    pub rep: Option<RepId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Rep,
    Manager,
    /// Heads managers: sees and acts for everyone under them, their teams rolled up.
    Director,
    Admin,
}

/// A field rep. Their time zone decides what "today" and "this month" mean for cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rep {
    pub id: RepId,
    pub name: String,
    pub email: Email,
    pub time_zone: Tz,
    /// The manager who oversees this rep.
    pub manager: Option<UserId>,
}

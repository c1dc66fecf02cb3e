//! Accounts: the customers and prospects a rep works.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::hours::OpeningHours;
use crate::id::{AccountId, TerritoryId};
use crate::value::{Email, LatLon, Money, Phone, ValueError};

/// Where an account stands in the sales funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Stage {
    Lead,
    Opportunity,
    Customer,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Lead,
        Stage::Opportunity,
        Stage::Customer,
        Stage::Lost,
    ];

    /// The stage's stable name, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Opportunity => "opportunity",
            Stage::Customer => "customer",
            Stage::Lost => "lost",
        }
    }

    /// The stage with this stable name.
    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The call-rotation bucket: decides how often the account is touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    /// Larger is more important; used as a tie-breaker in urgency.
    pub fn weight(self) -> u32 {
        match self {
            Priority::High => 3,
            Priority::Medium => 2,
            Priority::Low => 1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

/// K.A.R.E. account category: Keep, Attain, Recapture, Expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Kare {
    Keep,
    Attain,
    Recapture,
    Expand,
}

impl Kare {
    pub const ALL: [Kare; 4] = [Kare::Keep, Kare::Attain, Kare::Recapture, Kare::Expand];
}

/// A postal address as the rep would write it on an envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// The local dates on which the account entered each funnel stage; the funnel KPIs
/// count these, so they survive later stage changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDates {
    pub lead: Option<NaiveDate>,
    pub opportunity: Option<NaiveDate>,
    pub won: Option<NaiveDate>,
    pub lost: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub address: Address,
    pub location: Option<LatLon>,
    pub stage: Stage,
    pub stage_dates: StageDates,
    pub priority: Priority,
    pub kare: Option<Kare>,
    /// Yearly revenue from this account.
    pub revenue: Money,
    /// Yearly cost to serve it.
    pub expenses: Money,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub industry: Option<String>,
    pub territory: Option<TerritoryId>,
    /// When the account was created; cadence pro-rates its first period from this instant.
    pub created_at: DateTime<Utc>,
    /// When it receives visitors; `None`: not known.
    pub hours: Option<OpeningHours>,
    /// How long a visit there lasts; `None`: the rep's usual visit.
    pub visit_minutes: Option<u16>,
    /// Dates it receives no one whatever its hours say (holidays, stocktaking).
    #[serde(default)]
    pub closed_on: BTreeSet<NaiveDate>,
    /// When its buyer likes to be visited, inside its hours ("Tu,Th 09:00-11:00"). The
    /// planners keep a visit there when they can, and fall back to its hours.
    #[serde(default)]
    pub preferred_hours: Option<OpeningHours>,
    /// What it could buy in a year, as the company judges it (imported or set by a
    /// manager). Not revenue: a lead with no revenue yet may have the most.
    #[serde(default)]
    pub potential: Option<Money>,
    /// The rep's own estimate of the same, from the field: used where no one has set
    /// `potential` (the bottom-up half of planning).
    #[serde(default)]
    pub potential_estimate: Option<Money>,
    /// Where `location` came from; `None` with a location: not recorded (older data).
    #[serde(default)]
    pub location_source: Option<LocationSource>,
}

/// Where an account's location came from, which says how far to trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocationSource {
    /// A rep's device at the account: "the pin is here", or a rep's tap on the map.
    Device,
    /// Placed by hand on the dashboard.
    Hand,
    /// Coordinates that came in a file, of unknown precision.
    Imported,
    /// Its street address through a geocoder.
    Address,
    /// The middle of its postal code, an area kilometres wide.
    PostalCode,
}

impl LocationSource {
    pub const ALL: [LocationSource; 5] = [
        LocationSource::Device,
        LocationSource::Hand,
        LocationSource::Imported,
        LocationSource::Address,
        LocationSource::PostalCode,
    ];

    /// The stable name (CSV, forms).
    pub fn name(self) -> &'static str {
        match self {
            LocationSource::Device => "device",
            LocationSource::Hand => "hand",
            LocationSource::Imported => "imported",
            LocationSource::Address => "address",
            LocationSource::PostalCode => "postal_code",
        }
    }

    pub fn from_name(name: &str) -> Option<LocationSource> {
        LocationSource::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What a person is told.
    pub fn label(self) -> &'static str {
        match self {
            LocationSource::Device => "set by the rep at the account",
            LocationSource::Hand => "placed by hand",
            LocationSource::Imported => "imported coordinates",
            LocationSource::Address => "from its street address",
            LocationSource::PostalCode => "middle of its postal code",
        }
    }

    /// Roughly how far from the door the point may be, in metres.
    pub fn precision_m(self) -> u32 {
        match self {
            LocationSource::Device => 50,
            LocationSource::Hand => 25,
            LocationSource::Imported => 250,
            LocationSource::Address => 100,
            LocationSource::PostalCode => 5_000,
        }
    }

    /// Whether a check-in fix may be judged against it: the middle of a postal code
    /// proves nothing about where a rep stood.
    pub fn proves_visits(self) -> bool {
        self != LocationSource::PostalCode
    }

    /// Whether a geocode may replace it: only another geocode; a rep's pin, a hand
    /// placement and given coordinates outrank any lookup.
    pub fn geocode_may_replace(self) -> bool {
        matches!(self, LocationSource::Address | LocationSource::PostalCode)
    }
}

/// Whose figure an account's potential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PotentialSource {
    /// Imported or set by a manager.
    Set,
    /// The rep's estimate.
    RepEstimate,
}

impl Account {
    /// Revenue − expenses.
    pub fn net_profit(&self) -> Result<Money, ValueError> {
        self.revenue.checked_sub(self.expenses)
    }

    /// The location a check-in is judged against: none when it is only its postal
    /// code's middle.
    pub fn check_in_location(&self) -> Option<&LatLon> {
        self.location.as_ref().filter(|_| {
            self.location_source
                .is_none_or(LocationSource::proves_visits)
        })
    }

    /// The potential planning uses: the one set for the account, else the rep's
    /// estimate; `None` when neither is known.
    pub fn planning_potential(&self) -> Option<(Money, PotentialSource)> {
        self.potential.map(|m| (m, PotentialSource::Set)).or(self
            .potential_estimate
            .map(|m| (m, PotentialSource::RepEstimate)))
    }
}

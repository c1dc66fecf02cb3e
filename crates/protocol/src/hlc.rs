//! Hybrid logical clock: wall time in milliseconds, a counter for events within the same
//! millisecond, and the node that made it. Orders field edits across devices whose clocks
//! disagree: a device that has seen a later clock never issues an earlier one.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A timestamp from a hybrid logical clock. Totally ordered: wall time, then counter,
/// then node id (so two devices never tie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub node: Uuid,
}

impl Hlc {
    pub const ZERO: Hlc = Hlc {
        wall_ms: 0,
        counter: 0,
        node: Uuid::nil(),
    };

    /// The next timestamp for a local event, given the last one this node issued or saw
    /// and the node's wall clock now. Never goes backwards, even when the wall clock does.
    pub fn tick(last: Hlc, now_ms: u64, node: Uuid) -> Hlc {
        if now_ms > last.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
                node,
            }
        } else {
            Hlc {
                wall_ms: last.wall_ms,
                counter: last.counter.saturating_add(1),
                node,
            }
        }
    }

    /// Merges a timestamp received from elsewhere, so the next local tick is later than it.
    pub fn observe(last: Hlc, remote: Hlc) -> Hlc {
        last.max(remote)
    }
}

impl Ord for Hlc {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.wall_ms, self.counter, self.node).cmp(&(o.wall_ms, o.counter, o.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// `000001741000000000-00000001-<uuid>`: fixed width, so the text sorts like the value
/// (the databases compare these as strings).
impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:018}-{:08}-{}", self.wall_ms, self.counter, self.node)
    }
}

/// On the wire an HLC is one string (see `Display`), so it is described as one.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Hlc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Hybrid logical clock: `<wall ms, 18 digits>-<counter, 8 digits>-<node uuid>`",
            ))
            .examples(["000001767225600000-00000000-0190a5c0-0000-7000-8000-000000000001"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Hlc {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a hybrid logical clock value: {0:?}")]
pub struct HlcError(String);

impl FromStr for Hlc {
    type Err = HlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || HlcError(s.to_owned());
        let mut parts = s.splitn(3, '-');
        let wall = parts.next().ok_or_else(err)?;
        let counter = parts.next().ok_or_else(err)?;
        let node = parts.next().ok_or_else(err)?;
        if wall.len() != 18 || counter.len() != 8 {
            return Err(err());
        }
        Ok(Hlc {
            wall_ms: wall.parse().map_err(|_| err())?,
            counter: counter.parse().map_err(|_| err())?,
            node: Uuid::parse_str(node).map_err(|_| err())?,
        })
    }
}

impl TryFrom<String> for Hlc {
    type Error = HlcError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Hlc> for String {
    fn from(h: Hlc) -> Self {
        h.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn ticks_never_go_backwards_when_the_wall_clock_does() {
        let a = Hlc::tick(Hlc::ZERO, 1_000, node(1));
        let b = Hlc::tick(a, 900, node(1)); // clock jumped back
        let c = Hlc::tick(b, 900, node(1)); // frozen
        let d = Hlc::tick(c, 2_000, node(1));
        assert!(a < b && b < c && c < d);
        assert_eq!((b.wall_ms, b.counter), (1_000, 1));
        assert_eq!((d.wall_ms, d.counter), (2_000, 0));
    }

    #[test]
    fn after_observing_a_clock_ahead_local_ticks_are_later() {
        let remote = Hlc::tick(Hlc::ZERO, 86_400_000 + 5, node(2)); // a day ahead
        let mine = Hlc::observe(Hlc::tick(Hlc::ZERO, 5, node(1)), remote);
        assert!(Hlc::tick(mine, 10, node(1)) > remote);
    }

    #[test]
    fn text_form_sorts_like_the_value_and_round_trips() {
        let xs = [
            Hlc {
                wall_ms: 9,
                counter: 10,
                node: node(1),
            },
            Hlc {
                wall_ms: 10,
                counter: 0,
                node: node(1),
            },
            Hlc {
                wall_ms: 10,
                counter: 0,
                node: node(2),
            },
            Hlc {
                wall_ms: 10,
                counter: 2,
                node: node(0),
            },
        ];
        for w in xs.windows(2) {
            assert!(w[0] < w[1]);
            assert!(w[0].to_string() < w[1].to_string());
        }
        for x in xs {
            assert_eq!(x.to_string().parse::<Hlc>().unwrap(), x);
        }
        assert!("12-3-x".parse::<Hlc>().is_err());
    }
}

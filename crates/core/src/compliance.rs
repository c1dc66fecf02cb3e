//! Compliance roll-up: touches done versus planned, by rep, territory, bucket and kind.
//!
//! For the current period, evaluate cadence with today's date; for a past period,
//! evaluate with that period's last day as `today`, which gives its final numbers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account::Priority;
use crate::activity::TouchKind;
use crate::cadence::AccountCadence;
use crate::id::{RepId, TerritoryId};
use crate::kpi::Ratio;

/// The finest grain of the roll-up; coarser views sum these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ComplianceKey {
    pub rep: Option<RepId>,
    pub territory: Option<TerritoryId>,
    pub priority: Priority,
    pub kind: TouchKind,
}

/// Totals for one group of accounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub planned: u32,
    /// Every touch logged, including beyond plan.
    pub done: u32,
    /// Touches that count toward the plan: at most `planned` per account, so extra visits
    /// to one account cannot hide missed ones elsewhere.
    pub credited: u32,
}

impl Tally {
    /// Credited over planned; the compliance figure the dashboard shows.
    pub fn compliance(&self) -> Ratio {
        Ratio::new(u64::from(self.credited), u64::from(self.planned))
    }

    fn add(&mut self, o: &Tally) {
        self.planned += o.planned;
        self.done += o.done;
        self.credited += o.credited;
    }
}

/// Roll-up rows at the finest grain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compliance {
    pub rows: BTreeMap<ComplianceKey, Tally>,
}

impl Compliance {
    /// Sums each evaluated account into its (rep, territory, bucket, kind) row. Kinds the
    /// plan does not ask for are left out.
    pub fn roll_up<'a>(
        accounts: impl IntoIterator<Item = (Option<RepId>, Option<TerritoryId>, &'a AccountCadence)>,
    ) -> Self {
        let mut rows: BTreeMap<ComplianceKey, Tally> = BTreeMap::new();
        for (rep, territory, cadence) in accounts {
            for k in &cadence.kinds {
                if k.planned == 0 && k.done == 0 {
                    continue;
                }
                let key = ComplianceKey {
                    rep,
                    territory,
                    priority: cadence.priority,
                    kind: k.kind,
                };
                rows.entry(key).or_default().add(&Tally {
                    planned: k.planned,
                    done: k.done,
                    credited: k.done.min(k.planned),
                });
            }
        }
        Self { rows }
    }

    /// Any coarser view: `by(|k| k.rep)`, `by(|k| (k.territory, k.kind))`, `by(|_| ())`.
    pub fn by<G: Ord>(&self, group: impl Fn(&ComplianceKey) -> G) -> BTreeMap<G, Tally> {
        let mut out: BTreeMap<G, Tally> = BTreeMap::new();
        for (key, tally) in &self.rows {
            out.entry(group(key)).or_default().add(tally);
        }
        out
    }
}

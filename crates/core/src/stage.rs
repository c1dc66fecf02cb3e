//! Moves along the funnel as dated facts, and what the funnel figures count of them.
//!
//! An account's stage says where it stands now; its stage changes say how it got there.
//! Counting the changes by the day they happened keeps a period's figures fixed when an
//! account moves on later (won in March and lost in June counts as won in March).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::Stage;
use crate::calendar::DateRange;
use crate::id::{AccountId, TerritoryId, UserId};
use crate::kpi::Ratio;

/// One move of one account along the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChange {
    pub account: AccountId,
    /// The account's territory when the change was recorded.
    pub territory: Option<TerritoryId>,
    /// `None`: the stage the account was created in.
    pub from: Option<Stage>,
    pub to: Stage,
    pub on: NaiveDate,
    /// Why, when the account was lost.
    pub reason: Option<String>,
    /// Who made the change (`None`: an import's or the demo's history, the command line).
    pub by: Option<UserId>,
}

/// Moves into each stage over a date range, and the win rate they give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageFlow {
    /// Accounts that became leads (created as one, or moved back to lead).
    pub leads: u64,
    pub to_opportunity: u64,
    pub won: u64,
    pub lost: u64,
}

impl StageFlow {
    /// Counts the changes dated within `range`. A change that leaves the stage as it was
    /// (`from == to`) is no move and is not counted.
    pub fn over<'a>(changes: impl IntoIterator<Item = &'a StageChange>, range: DateRange) -> Self {
        changes
            .into_iter()
            .filter(|c| range.contains(c.on) && c.from != Some(c.to))
            .fold(StageFlow::default(), |mut f, c| {
                match c.to {
                    Stage::Lead => f.leads += 1,
                    Stage::Opportunity => f.to_opportunity += 1,
                    Stage::Customer => f.won += 1,
                    Stage::Lost => f.lost += 1,
                }
                f
            })
    }

    /// Won / (won + lost): of the deals decided in the range, the share won.
    pub fn win_rate(&self) -> Ratio {
        Ratio::new(self.won, self.won + self.lost)
    }
}

/// Why accounts were lost in `range`, most frequent first (ties by reason), with how
/// often. Reasons count as one when they differ only in case or surrounding spaces; the
/// first spelling met is shown. Losses without a reason count under `None`.
pub fn lost_reasons<'a>(
    changes: impl IntoIterator<Item = &'a StageChange>,
    range: DateRange,
) -> Vec<(Option<String>, u64)> {
    let mut tally: BTreeMap<Option<String>, (Option<String>, u64)> = BTreeMap::new();
    for c in changes {
        if c.to != Stage::Lost || c.from == Some(Stage::Lost) || !range.contains(c.on) {
            continue;
        }
        let shown = c
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let key = shown.as_ref().map(|r| r.to_lowercase());
        tally.entry(key).or_insert((shown, 0)).1 += 1;
    }
    let mut out: Vec<(Option<String>, u64)> = tally.into_values().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

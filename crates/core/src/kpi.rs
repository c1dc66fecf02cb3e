//! Territory KPIs: the funnel, account profitability, K.A.R.E. segments, deal size and
//! activity rates. Integer arithmetic throughout; percentages are rounded only for display.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, IsoWeek};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Kare};
use crate::activity::{ActivityKind, Logged};
use crate::calendar::{DateRange, local_date};
use crate::id::RepId;
use crate::value::{Currency, Money, ValueError};

/// An exact ratio; `den == 0` means "no data", shown as a dash rather than 0 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub const fn new(num: u64, den: u64) -> Self {
        Self { num, den }
    }

    /// The percentage in tenths (166 for 16.6…%), rounded half up; `None` without data.
    pub fn per_mille(&self) -> Option<u64> {
        (self.den != 0).then(|| (self.num * 2000 + self.den) / (2 * self.den))
    }

    /// The plain quotient in tenths (25 for 2.5), rounded half up; for rates such as
    /// "visits per week" that are not percentages.
    pub fn tenths(&self) -> Option<u64> {
        (self.den != 0).then(|| (self.num * 20 + self.den) / (2 * self.den))
    }
}

/// `16.7 %`, or `—` when there is nothing to divide by.
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.per_mille() {
            Some(t) => write!(f, "{}.{} %", t / 10, t % 10),
            None => f.write_str("—"),
        }
    }
}

/// Leads → opportunities → new accounts for a territory over a date range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub leads: u64,
    pub opportunities: u64,
    pub new_accounts: u64,
}

impl Funnel {
    /// Counts accounts by the date they entered each stage: a lead in the range, an
    /// opportunity in the range, won (a new account) in the range.
    pub fn over<'a>(accounts: impl IntoIterator<Item = &'a Account>, range: DateRange) -> Self {
        let within = |d: Option<chrono::NaiveDate>| u64::from(d.is_some_and(|d| range.contains(d)));
        accounts.into_iter().fold(Funnel::default(), |f, a| Funnel {
            leads: f.leads + within(a.stage_dates.lead),
            opportunities: f.opportunities + within(a.stage_dates.opportunity),
            new_accounts: f.new_accounts + within(a.stage_dates.won),
        })
    }

    /// Conversion rate = new accounts / leads.
    pub fn conversion_rate(&self) -> Ratio {
        Ratio::new(self.new_accounts, self.leads)
    }

    /// Opportunity-to-win ratio = new accounts / opportunities.
    pub fn opportunity_to_win(&self) -> Ratio {
        Ratio::new(self.new_accounts, self.opportunities)
    }
}

/// Accounts ranked by net profit, highest first (ties by name). Fails on mixed currencies.
pub fn rank_by_net_profit<'a>(
    accounts: impl IntoIterator<Item = &'a Account>,
) -> Result<Vec<(&'a Account, Money)>, ValueError> {
    let mut ranked = accounts
        .into_iter()
        .map(|a| a.net_profit().map(|net| (a, net)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((_, first)) = ranked.first() {
        let currency = first.currency;
        if let Some((_, other)) = ranked.iter().find(|(_, m)| m.currency != currency) {
            return Err(ValueError::CurrencyMismatch(currency, other.currency));
        }
    }
    ranked.sort_by(|(a, x), (b, y)| y.minor.cmp(&x.minor).then_with(|| a.name.cmp(&b.name)));
    Ok(ranked)
}

/// One K.A.R.E. segment's size and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub accounts: u64,
    pub revenue: Money,
    pub net_profit: Money,
}

/// Count, revenue and net profit per K.A.R.E. category (uncategorised accounts are left
/// out). Every category appears, empty ones with zeros.
pub fn kare_segments<'a>(
    accounts: impl IntoIterator<Item = &'a Account>,
    currency: Currency,
) -> Result<BTreeMap<Kare, Segment>, ValueError> {
    let zero = Segment {
        accounts: 0,
        revenue: Money::zero(currency),
        net_profit: Money::zero(currency),
    };
    let mut out: BTreeMap<Kare, Segment> = Kare::ALL.iter().map(|k| (*k, zero)).collect();
    for a in accounts {
        let Some(kare) = a.kare else { continue };
        let s = out.entry(kare).or_insert(zero);
        s.accounts += 1;
        s.revenue = s.revenue.checked_add(a.revenue)?;
        s.net_profit = s.net_profit.checked_add(a.net_profit()?)?;
    }
    Ok(out)
}

/// Mean revenue of the accounts won in the range, rounded half up to the minor unit;
/// `None` when none was won.
pub fn average_deal_size<'a>(
    accounts: impl IntoIterator<Item = &'a Account>,
    range: DateRange,
    currency: Currency,
) -> Result<Option<Money>, ValueError> {
    let mut total = Money::zero(currency);
    let mut won: i64 = 0;
    for a in accounts {
        if a.stage_dates.won.is_some_and(|d| range.contains(d)) {
            total = total.checked_add(a.revenue)?;
            won += 1;
        }
    }
    if won == 0 {
        return Ok(None);
    }
    let half = if total.minor >= 0 {
        won / 2
    } else {
        -(won / 2)
    };
    let mean = total.minor.checked_add(half).ok_or(ValueError::Overflow)? / won;
    Ok(Some(Money::new(mean, currency)))
}

/// Calls and visits one rep logged in one ISO week (local to the rep).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekTouches {
    pub calls: u64,
    pub visits: u64,
}

/// Calls and visits per rep per ISO week, by each activity's local date in `tz`.
pub fn touches_per_rep_week<'a, L: Logged + 'a>(
    activities: impl IntoIterator<Item = &'a L>,
    tz: Tz,
) -> BTreeMap<(RepId, IsoWeek), WeekTouches> {
    let mut out: BTreeMap<(RepId, IsoWeek), WeekTouches> = BTreeMap::new();
    for a in activities {
        let field = match a.kind() {
            ActivityKind::Call => |w: &mut WeekTouches| w.calls += 1,
            ActivityKind::Visit => |w: &mut WeekTouches| w.visits += 1,
            ActivityKind::Email | ActivityKind::Note => continue,
        };
        let week = local_date(tz, a.occurred_at()).iso_week();
        field(out.entry((a.rep_id(), week)).or_default());
    }
    out
}

/// Average calls and visits per week for each rep over `weeks` weeks, as exact ratios.
pub fn weekly_rate(
    per_week: &BTreeMap<(RepId, IsoWeek), WeekTouches>,
    weeks: u64,
) -> BTreeMap<RepId, (Ratio, Ratio)> {
    let mut totals: BTreeMap<RepId, WeekTouches> = BTreeMap::new();
    for ((rep, _), w) in per_week {
        let t = totals.entry(*rep).or_default();
        t.calls += w.calls;
        t.visits += w.visits;
    }
    totals
        .into_iter()
        .map(|(rep, t)| {
            (
                rep,
                (Ratio::new(t.calls, weeks), Ratio::new(t.visits, weeks)),
            )
        })
        .collect()
}

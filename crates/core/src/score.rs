//! The account priority score: which accounts are worth a rep's time, as a number from 0
//! to 100 that explains itself. The manager's dashboard and the rep's app both call
//! [`score`], so they rank the same accounts in the same order.
//!
//! # The formula
//!
//! Five factors, each a whole number of points; the total is their sum (0–100).
//!
//! | factor | points | rule |
//! |---|---|---|
//! | stage | 0–20 | opportunity 20 (in play, closest to a win), customer 14 (revenue to keep), lead 8 (not yet qualified), lost 0 |
//! | revenue | 0–30 | `30 × revenue / 100,000`, rounded down, capped at 30; nothing for zero or negative revenue |
//! | net profit | 0–20 | `20 × (revenue − expenses) / 50,000`, rounded down, capped at 20; nothing when the account loses money |
//! | recency | 0–15 | `15 − ⌊days since the last touch / 6⌋`, never below 0: one point less for every 6 days; 0 with no touch in the last 90 days |
//! | engagement | 0–15 | 3 points per touch in the last 30 days (today included), capped at 15 (5 touches) |
//!
//! Amounts are in whole units of the account's own currency. A touch is a visit, call
//! or e-mail (notes are not), counted on its local date in the rep's zone; touches dated
//! after `today` are ignored. Recency and engagement reward a *warm* account: one that was
//! touched lately and often is likelier to move. What is owed and overdue is the cadence
//! engine's job (the Today list); the score does not count neglect twice.
//!
//! Ties rank by name, then id ([`compare`]), so every caller orders them the same way.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Stage};
use crate::activity::Logged;
use crate::calendar::local_date;
use crate::id::AccountId;
use crate::value::Money;

/// Revenue (whole currency units) that earns the revenue factor's full points.
pub const REVENUE_FULL: i64 = 100_000;
/// Net profit (whole currency units) that earns the net-profit factor's full points.
pub const NET_FULL: i64 = 50_000;
/// Days a touch keeps counting for recency.
pub const RECENCY_DAYS: u32 = 90;
/// Recency loses one point per this many days since the last touch.
pub const RECENCY_STEP_DAYS: u32 = 6;
/// The engagement window: touches on the last this-many local days, today included.
pub const ENGAGEMENT_DAYS: u32 = 30;
/// Engagement points per touch in the window.
pub const POINTS_PER_TOUCH: u32 = 3;

/// The five factors, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    Stage,
    Revenue,
    NetProfit,
    Recency,
    Engagement,
}

impl FactorKind {
    pub const ALL: [FactorKind; 5] = [
        FactorKind::Stage,
        FactorKind::Revenue,
        FactorKind::NetProfit,
        FactorKind::Recency,
        FactorKind::Engagement,
    ];

    /// The most points the factor can give.
    pub fn max(self) -> u32 {
        match self {
            FactorKind::Stage | FactorKind::NetProfit => 20,
            FactorKind::Revenue => 30,
            FactorKind::Recency | FactorKind::Engagement => 15,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FactorKind::Stage => "Stage",
            FactorKind::Revenue => "Revenue",
            FactorKind::NetProfit => "Net profit",
            FactorKind::Recency => "Recency",
            FactorKind::Engagement => "Engagement",
        }
    }
}

/// One factor's points and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub kind: FactorKind,
    pub points: u32,
    pub why: String,
}

/// An account's score: the factors in [`FactorKind::ALL`] order and their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityScore {
    pub factors: Vec<Factor>,
    pub total: u32,
}

impl PriorityScore {
    pub fn points(&self, kind: FactorKind) -> u32 {
        self.factors
            .iter()
            .find(|f| f.kind == kind)
            .map_or(0, |f| f.points)
    }
}

/// `64 / 100`
impl fmt::Display for PriorityScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / 100", self.total)
    }
}

/// What the score needs to know of an account's touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touched {
    /// Local date of the latest touch on or before today, within [`RECENCY_DAYS`].
    pub last: Option<NaiveDate>,
    /// Touches in the [`ENGAGEMENT_DAYS`] window.
    pub recent: u32,
}

/// The first local day whose touches the score reads; callers that load activities by
/// date load from the start of this day.
pub fn lookback_start(today: NaiveDate) -> NaiveDate {
    today - Days::new(u64::from(RECENCY_DAYS))
}

impl Touched {
    /// Summarises one account's activities (the caller passes only that account's) by
    /// their local dates in `tz`.
    pub fn from_activities<'a, L: Logged + 'a>(
        activities: impl IntoIterator<Item = &'a L>,
        tz: Tz,
        today: NaiveDate,
    ) -> Self {
        Self::from_dates(
            activities
                .into_iter()
                .filter(|a| a.kind().touch().is_some())
                .map(|a| local_date(tz, a.occurred_at())),
            today,
        )
    }

    /// The same from the touches' local dates.
    pub fn from_dates(dates: impl IntoIterator<Item = NaiveDate>, today: NaiveDate) -> Self {
        let oldest = lookback_start(today);
        let window = today - Days::new(u64::from(ENGAGEMENT_DAYS - 1));
        let mut out = Touched::default();
        for d in dates {
            if d > today || d < oldest {
                continue;
            }
            out.last = out.last.max(Some(d));
            if d >= window {
                out.recent += 1;
            }
        }
        out
    }
}

/// `full_points × amount / full_at`, rounded down, within `0..=full_points`.
fn scaled(amount: Money, full_at: i64, full_points: u32) -> u32 {
    if amount.minor <= 0 {
        return 0;
    }
    let scale = i128::from(10i64.pow(amount.currency.exponent()));
    let p = i128::from(full_points) * i128::from(amount.minor) / (i128::from(full_at) * scale);
    p.clamp(0, i128::from(full_points)) as u32
}

fn stage_factor(stage: Stage) -> Factor {
    let (points, why) = match stage {
        Stage::Opportunity => (20, "opportunity: in play, closest to a win"),
        Stage::Customer => (14, "customer: revenue to keep"),
        Stage::Lead => (8, "lead: not yet qualified"),
        Stage::Lost => (0, "lost: no deal in play"),
    };
    Factor {
        kind: FactorKind::Stage,
        points,
        why: why.to_owned(),
    }
}

fn revenue_factor(revenue: Money) -> Factor {
    let points = scaled(revenue, REVENUE_FULL, FactorKind::Revenue.max());
    let why = if revenue.minor <= 0 {
        "no revenue".to_owned()
    } else {
        format!(
            "revenue {revenue}: full {} points at {}",
            FactorKind::Revenue.max(),
            full_at(REVENUE_FULL, revenue)
        )
    };
    Factor {
        kind: FactorKind::Revenue,
        points,
        why,
    }
}

/// `USD 100,000.00` for a whole amount in the account's currency.
fn full_at(units: i64, like: Money) -> String {
    Money::from_major(units, like.currency).map_or_else(|_| units.to_string(), |m| m.to_string())
}

fn net_factor(account: &Account) -> Factor {
    let (points, why) = match account.net_profit() {
        Err(_) => (
            0,
            "revenue and expenses cannot be combined (different currencies)".to_owned(),
        ),
        Ok(net) if net.minor <= 0 => (0, format!("net profit {net}: the account does not pay")),
        Ok(net) => (
            scaled(net, NET_FULL, FactorKind::NetProfit.max()),
            format!(
                "net profit {net} (revenue − expenses): full {} points at {}",
                FactorKind::NetProfit.max(),
                full_at(NET_FULL, net)
            ),
        ),
    };
    Factor {
        kind: FactorKind::NetProfit,
        points,
        why,
    }
}

fn days_word(n: i64) -> String {
    match n {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        n => format!("{n} days ago"),
    }
}

fn recency_factor(last: Option<NaiveDate>, today: NaiveDate) -> Factor {
    let max = FactorKind::Recency.max();
    let (points, why) = match last.filter(|d| *d <= today) {
        Some(d) if (today - d).num_days() < i64::from(RECENCY_DAYS) => {
            let days = (today - d).num_days();
            let lost = u32::try_from(days).unwrap_or(u32::MAX) / RECENCY_STEP_DAYS;
            (
                max.saturating_sub(lost),
                format!(
                    "last touched {}: one point less for every {RECENCY_STEP_DAYS} days",
                    days_word(days)
                ),
            )
        }
        _ => (0, format!("no touch in the last {RECENCY_DAYS} days")),
    };
    Factor {
        kind: FactorKind::Recency,
        points,
        why,
    }
}

fn engagement_factor(recent: u32) -> Factor {
    let points = recent
        .saturating_mul(POINTS_PER_TOUCH)
        .min(FactorKind::Engagement.max());
    let why = match recent {
        0 => format!("no touches in the last {ENGAGEMENT_DAYS} days"),
        1 => format!("1 touch in the last {ENGAGEMENT_DAYS} days: {POINTS_PER_TOUCH} points each"),
        n => format!(
            "{n} touches in the last {ENGAGEMENT_DAYS} days: {POINTS_PER_TOUCH} points each"
        ),
    };
    Factor {
        kind: FactorKind::Engagement,
        points,
        why,
    }
}

/// The account's score on `today` from its stage, money and touches.
pub fn score(account: &Account, touched: Touched, today: NaiveDate) -> PriorityScore {
    let factors = vec![
        stage_factor(account.stage),
        revenue_factor(account.revenue),
        net_factor(account),
        recency_factor(touched.last, today),
        engagement_factor(touched.recent),
    ];
    let total = factors.iter().map(|f| f.points).sum();
    PriorityScore { factors, total }
}

/// The ranking order: highest total first, then by name, then by id.
pub fn compare(
    a: (&PriorityScore, &str, AccountId),
    b: (&PriorityScore, &str, AccountId),
) -> Ordering {
    b.0.total
        .cmp(&a.0.total)
        .then_with(|| a.1.cmp(b.1))
        .then_with(|| a.2.cmp(&b.2))
}

//! A team's sales quota for a month or quarter: the target and each territory's share,
//! as saved (migration 0004).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rounds_core::{Currency, DateRange, Money, Period, Ratio};
use rounds_protocol::{TerritoryId, UserId};

use crate::db::{DbError, FromRow, Row, Sql, Val, insert_many, query_as, query_opt_as};
use crate::{Result, params, time};

/// A quota's period: a calendar month (`2026-04`) or quarter (`2026-Q2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaPeriod {
    pub kind: Period,
    pub range: DateRange,
}

impl QuotaPeriod {
    pub fn containing(kind: Period, day: NaiveDate) -> Self {
        Self {
            kind,
            range: kind.bounds(day),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (y, rest) = s.trim().split_once('-')?;
        let year: i32 = y.parse().ok()?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            let first = NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1)?;
            return Some(Self::containing(Period::Quarter, first));
        }
        let first = NaiveDate::from_ymd_opt(year, rest.parse().ok()?, 1)?;
        Some(Self::containing(Period::Month, first))
    }

    pub fn key(&self) -> String {
        match self.kind {
            Period::Quarter => format!(
                "{}-Q{}",
                self.range.start.year(),
                self.range.start.month0() / 3 + 1
            ),
            _ => self.range.start.format("%Y-%m").to_string(),
        }
    }

    pub fn label(&self) -> String {
        match self.kind {
            Period::Quarter => format!(
                "Q{} {}",
                self.range.start.month0() / 3 + 1,
                self.range.start.year()
            ),
            _ => self.range.start.format("%B %Y").to_string(),
        }
    }

    /// Days of the period gone by on `today` (today included), over its length.
    pub fn elapsed(&self, today: NaiveDate) -> Ratio {
        let len = (self.range.end - self.range.start).num_days() + 1;
        let gone = ((today - self.range.start).num_days() + 1).clamp(0, len);
        Ratio::new(gone as u64, len as u64)
    }
}

/// A saved quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub target: Money,
    pub shares: BTreeMap<TerritoryId, Money>,
}

/// The team's quota for the period, if one was set.
pub fn load(tx: &mut dyn Sql, owner: UserId, period: &QuotaPeriod) -> Result<Option<Quota>> {
    let Some(row) = query_opt_as::<QuotaRow>(
        tx,
        "SELECT id, currency, target_minor FROM quotas
         WHERE owner_id = $1 AND period_start = $2 AND period_end = $3",
        params![
            owner,
            period.range.start.to_string(),
            period.range.end.to_string()
        ],
    )?
    else {
        return Ok(None);
    };
    let currency = Currency::parse(&row.currency)
        .map_err(|e| crate::Error::Internal(format!("stored quota currency: {e}")))?;
    let mut shares = BTreeMap::new();
    for r in query_as::<ShareRow>(
        tx,
        "SELECT territory_id, share_minor FROM quota_shares WHERE quota_id = $1",
        params![row.id],
    )? {
        shares.insert(r.territory_id, Money::new(r.share_minor, currency));
    }
    Ok(Some(Quota {
        target: Money::new(row.target_minor, currency),
        shares,
    }))
}

struct QuotaRow {
    id: String,
    currency: String,
    target_minor: i64,
}

impl FromRow for QuotaRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(QuotaRow {
            id: r.text("id")?,
            currency: r.text("currency")?,
            target_minor: r.int("target_minor")?,
        })
    }
}

struct ShareRow {
    territory_id: TerritoryId,
    share_minor: i64,
}

impl FromRow for ShareRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(ShareRow {
            territory_id: r.parse("territory_id")?,
            share_minor: r.int("share_minor")?,
        })
    }
}

/// Saves the quota in place of the period's previous one, shares and all.
pub fn save(tx: &mut dyn Sql, owner: UserId, period: &QuotaPeriod, quota: &Quota) -> Result<()> {
    let id = tx
        .query_one(
            "INSERT INTO quotas (id, owner_id, period_start, period_end, currency, target_minor, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (owner_id, period_start, period_end) DO UPDATE SET
               currency = excluded.currency, target_minor = excluded.target_minor,
               updated_at = excluded.updated_at
             RETURNING id",
            params![
                uuid::Uuid::now_v7(),
                owner,
                period.range.start.to_string(),
                period.range.end.to_string(),
                quota.target.currency.code(),
                quota.target.minor,
                time::now_text()
            ],
        )?
        .text("id")?;
    tx.exec(
        "DELETE FROM quota_shares WHERE quota_id = $1",
        params![id.clone()],
    )?;
    let rows = quota
        .shares
        .iter()
        .map(|(t, m)| vec![Val::from(id.clone()), Val::from(*t), Val::from(m.minor)])
        .collect();
    insert_many(
        tx,
        "quota_shares (quota_id, territory_id, share_minor)",
        3,
        rows,
    )?;
    tx.sync()?;
    Ok(())
}

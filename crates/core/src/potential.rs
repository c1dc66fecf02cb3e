//! A territory's potential and the sharing of a target by it: the figures the Balance and
//! Quotas pages and their CSV exports share, so they cannot disagree.

use std::collections::BTreeMap;

use crate::account::{Account, Stage};
use crate::value::Currency;

/// The currency most of `accounts` are in (on a tie, the first by code); USD for none.
/// Sums are taken in it; accounts in other currencies are left out and counted apart.
pub fn main_currency<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Currency {
    let mut counts: BTreeMap<Currency, usize> = BTreeMap::new();
    for a in accounts {
        *counts.entry(a.revenue.currency).or_default() += 1;
    }
    counts
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map_or(Currency::USD, |(c, _)| *c)
}

/// Whether an account counts toward potential: not lost, and in `currency`.
pub fn counts_toward_potential(account: &Account, currency: Currency) -> bool {
    account.stage != Stage::Lost && account.revenue.currency == currency
}

/// One account's yearly potential in minor units of `currency`: its planning potential
/// ([`Account::planning_potential`]) when it counts (see [`counts_toward_potential`]),
/// else none. Revenue is not potential, so an account with neither figure adds nothing.
pub fn of_account(account: &Account, currency: Currency) -> i64 {
    if !counts_toward_potential(account, currency) {
        return 0;
    }
    account
        .planning_potential()
        .filter(|(m, _)| m.currency == currency)
        .map_or(0, |(m, _)| m.minor.max(0))
}

/// Potential, in minor units of `currency`: the sum of [`of_account`].
pub fn potential<'a>(accounts: impl IntoIterator<Item = &'a Account>, currency: Currency) -> i64 {
    accounts
        .into_iter()
        .fold(0i64, |s, a| s.saturating_add(of_account(a, currency)))
}

/// How many of `accounts` count toward potential but have no figure for it: the pages
/// say so, since their potential reads low by what these could buy.
pub fn without_potential<'a>(
    accounts: impl IntoIterator<Item = &'a Account>,
    currency: Currency,
) -> usize {
    accounts
        .into_iter()
        .filter(|a| counts_toward_potential(a, currency) && a.planning_potential().is_none())
        .count()
}

/// The part of a yearly potential (`yearly`, minor units) that falls in a period of
/// `days` days (a 365-day year; rounded to the nearest minor unit; nothing for no days).
pub fn for_days(yearly: i64, days: i64) -> i64 {
    if days <= 0 {
        return 0;
    }
    let scaled = i128::from(yearly) * i128::from(days);
    let rounded = (scaled + scaled.signum() * 182) / 365;
    i64::try_from(rounded).unwrap_or(if yearly < 0 { i64::MIN } else { i64::MAX })
}

/// Splits `amount` into parts proportional to `weights` (negative weights count as 0; all
/// zero: equal parts), in whole `unit`s when `amount` is a whole number of them, the
/// remainder going to the largest fractional parts (ties: the earlier). The parts always
/// add up to `amount` exactly.
pub fn split(amount: i64, weights: &[i64], unit: i64) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weights: Vec<i128> = if weights.iter().all(|w| *w <= 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|w| i128::from((*w).max(0))).collect()
    };
    let total: i128 = weights.iter().sum();
    let unit = if unit > 0 && amount % unit == 0 {
        unit
    } else {
        1
    };
    let steps = i128::from(amount / unit);
    let mut parts: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| (steps * w / total, steps * w % total))
        .collect();
    let left = steps - parts.iter().map(|p| p.0).sum::<i128>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].1.cmp(&parts[*a].1).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[i].0 += 1;
    }
    parts
        .into_iter()
        .map(|(p, _)| i64::try_from(p * i128::from(unit)).unwrap_or(i64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_periods_part_of_a_yearly_potential() {
        for (yearly, days, part) in [
            (36_500, 1, 100),
            (1_200_000, 31, 101_918), // 101,917.8 rounds up
            (1_200_000, 90, 295_890),
            (-36_500, 10, -1_000),
            (1_000, 0, 0),
            (1_000, -3, 0),
            (i64::MAX, 730, i64::MAX),
        ] {
            assert_eq!(for_days(yearly, days), part, "{yearly} over {days} days");
        }
    }

    #[test]
    fn split_is_proportional_and_adds_up() {
        let cases = [
            ("proportional", 300, vec![1, 2], 1, vec![100, 200]),
            (
                "remainders to the largest",
                100,
                vec![1, 1, 1],
                1,
                vec![34, 33, 33],
            ),
            (
                "whole units when the amount is whole",
                10_000,
                vec![1, 1, 1],
                100,
                vec![3_400, 3_300, 3_300],
            ),
            (
                "cents when it is not",
                10_001,
                vec![1, 1],
                100,
                vec![5_001, 5_000],
            ),
            (
                "no potential anywhere: equal parts",
                90,
                vec![0, 0, 0],
                1,
                vec![30, 30, 30],
            ),
            (
                "a territory without potential gets nothing",
                90,
                vec![0, 3],
                1,
                vec![0, 90],
            ),
        ];
        for (name, amount, weights, unit, want) in cases {
            let got = split(amount, &weights, unit);
            assert_eq!(got, want, "{name}");
            assert_eq!(got.iter().sum::<i64>(), amount, "{name}: adds up");
        }
    }

    proptest! {
        #[test]
        fn split_always_adds_up(
            amount in 0i64..1_000_000_000_000,
            weights in proptest::collection::vec(-1_000i64..1_000_000_000, 1..12),
            unit in prop_oneof![Just(1i64), Just(100)],
        ) {
            let parts = split(amount, &weights, unit);
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().sum::<i64>(), amount);
            prop_assert!(parts.iter().all(|p| *p >= 0));
        }
    }
}

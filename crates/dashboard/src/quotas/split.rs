//! The split of a target: checked as typed and filled where blank, at two levels when the
//! team's territories are grouped into regions (target → region → territory), at one when
//! they are not (target → territory). At each level a blank share gets part of what the
//! typed ones leave, in proportion to potential, rounded to whole currency units by the
//! largest remainder so the parts add up. A region left blank whose territories are all
//! typed is their sum.

use std::collections::BTreeMap;

use rounds_core::potential::split;
use rounds_core::{Currency, Money};
use rounds_protocol::TerritoryId;

use super::{NOT_OURS, Quota, Slot, Typed};

/// The region groups of `slots`: (region name, "" for none; the slots' indices), regions
/// by name, the territories in no region last. One group when no territory is in a region.
pub fn groups(slots: &[Slot]) -> Vec<(String, Vec<usize>)> {
    let mut by: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in slots.iter().enumerate() {
        let key = match &s.region {
            Some(r) => (false, r.clone()),
            None => (true, String::new()),
        };
        by.entry(key).or_default().push(i);
    }
    by.into_iter().map(|((_, name), ids)| (name, ids)).collect()
}

/// Whether the page splits by region: some territory is in a region.
pub fn by_region(slots: &[Slot]) -> bool {
    slots.iter().any(|s| s.region.is_some())
}

/// How a region group is named in words.
pub fn region_label(name: &str) -> &str {
    if name.is_empty() { "No region" } else { name }
}

/// Amounts as typed, parsed: (index, minor units) of the typed ones, and the blank ones'
/// indices; each problem pushed to `errors` as "<name>: <problem>.".
fn parse<'a>(
    typed: impl Iterator<Item = (&'a str, &'a str)>,
    currency: Currency,
    errors: &mut Vec<String>,
) -> (Vec<(usize, i64)>, Vec<usize>) {
    let mut given = Vec::new();
    let mut blank = Vec::new();
    for (i, (name, v)) in typed.enumerate() {
        match v.trim() {
            "" => blank.push(i),
            v => match Money::parse(v, currency) {
                Ok(m) if m.minor < 0 => errors.push(format!("{name}: a share cannot be negative.")),
                Ok(m) => given.push((i, m.minor)),
                Err(e) => errors.push(format!("{name}: {e}.")),
            },
        }
    }
    (given, blank)
}

/// `total` split among `n` parts: the `given` ones as typed, the `blank` ones by
/// `potentials`. `whose` opens a message ("The shares"), `of` names the total ("the
/// target").
fn fill(
    total: Money,
    n: usize,
    given: &[(usize, i64)],
    blank: &[usize],
    potentials: &[i64],
    whose: &str,
    of: &str,
) -> Result<Vec<i64>, String> {
    let currency = total.currency;
    let money = |m: i64| Money::new(m, currency);
    let Some(typed_sum) = given
        .iter()
        .try_fold(0i64, |acc, (_, m)| acc.checked_add(*m))
    else {
        return Err(format!("{whose} are too large to add up."));
    };
    if blank.is_empty() && typed_sum != total.minor {
        let gap = (total.minor - typed_sum).abs();
        let how = if typed_sum < total.minor {
            "short of"
        } else {
            "over"
        };
        return Err(format!(
            "{whose} add up to {}: {} {how} {of} {total}. Change a share, or leave some blank to split the rest by potential.",
            money(typed_sum),
            money(gap),
        ));
    }
    if typed_sum > total.minor {
        return Err(format!(
            "{whose} typed add up to {}, more than {of} {total}: nothing is left for the blank ones.",
            money(typed_sum),
        ));
    }
    let unit = 10i64.pow(currency.exponent());
    let rest = split(
        total.minor - typed_sum,
        &blank.iter().map(|i| potentials[*i]).collect::<Vec<_>>(),
        unit,
    );
    let mut out = vec![0; n];
    for (i, m) in given {
        out[*i] = *m;
    }
    for (i, m) in blank.iter().zip(rest) {
        out[*i] = m;
    }
    Ok(out)
}

/// Checks the typed target and shares and fills the blank shares; every problem in
/// words, or the quota to save.
pub fn validate(typed: &Typed, slots: &[Slot], currency: Currency) -> Result<Quota, Vec<String>> {
    let mut errors = Vec::new();
    if slots.is_empty() {
        errors.push("Your team has no territories to share a target among.".to_owned());
    }
    for id in typed.shares.keys() {
        if !slots.iter().any(|s| s.id == *id) {
            errors.push(NOT_OURS.to_owned());
        }
    }
    let groups = groups(slots);
    let regional = by_region(slots);
    for name in typed.regions.keys() {
        // Without regions, a region's share is from a page shown before they were removed.
        if !regional || !groups.iter().any(|(g, _)| g == name) {
            errors.push(
                "A region's share names a region your team no longer has; reload the page and try again."
                    .to_owned(),
            );
            break;
        }
    }
    let target = match typed.target.trim() {
        "" => {
            errors.push("Target: enter the team's revenue target, for example 250,000.".to_owned());
            None
        }
        t => match Money::parse(t, currency) {
            Ok(m) if m.minor > 0 => Some(m),
            Ok(_) => {
                errors.push("Target: must be more than zero.".to_owned());
                None
            }
            Err(e) => {
                errors.push(format!("Target: {e}."));
                None
            }
        },
    };
    let shares_typed: Vec<&str> = slots
        .iter()
        .map(|s| typed.shares.get(&s.id).map_or("", String::as_str))
        .collect();
    let (given, blank) = parse(
        slots
            .iter()
            .map(|s| s.name.as_str())
            .zip(shares_typed.iter().copied()),
        currency,
        &mut errors,
    );
    let region_names: Vec<String> = groups
        .iter()
        .map(|(g, _)| format!("{} (region)", region_label(g)))
        .collect();
    let (region_given, region_blank) = if regional {
        parse(
            region_names.iter().map(String::as_str).zip(
                groups
                    .iter()
                    .map(|(g, _)| typed.regions.get(g).map_or("", String::as_str)),
            ),
            currency,
            &mut errors,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let Some(target) = target.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let potentials: Vec<i64> = slots.iter().map(|s| s.potential).collect();
    let shares = if !regional {
        fill(
            target,
            slots.len(),
            &given,
            &blank,
            &potentials,
            "The shares",
            "the target",
        )
        .map_err(|e| vec![e])?
    } else {
        // A blank region whose territories are all typed is their sum.
        let mut region_given = region_given;
        let mut region_blank_left = Vec::new();
        for g in region_blank {
            let members = &groups[g].1;
            let sums: Option<i64> = members
                .iter()
                .map(|i| given.iter().find(|(j, _)| j == i).map(|(_, m)| *m))
                .try_fold(0i64, |acc, m| m.and_then(|m| acc.checked_add(m)));
            match sums {
                Some(sum) => region_given.push((g, sum)),
                None => region_blank_left.push(g),
            }
        }
        let region_potentials: Vec<i64> = groups
            .iter()
            .map(|(_, ids)| ids.iter().map(|i| slots[*i].potential).sum())
            .collect();
        let totals = fill(
            target,
            groups.len(),
            &region_given,
            &region_blank_left,
            &region_potentials,
            "The regions' shares",
            "the target",
        )
        .map_err(|e| vec![e])?;
        let mut shares = vec![0; slots.len()];
        let mut problems = Vec::new();
        for ((name, members), total) in groups.iter().zip(totals) {
            let local = |i: &usize| members.iter().position(|m| m == i);
            let g: Vec<(usize, i64)> = given
                .iter()
                .filter_map(|(i, m)| local(i).map(|l| (l, *m)))
                .collect();
            let b: Vec<usize> = blank.iter().filter_map(local).collect();
            let p: Vec<i64> = members.iter().map(|i| potentials[*i]).collect();
            let label = region_label(name);
            match fill(
                Money::new(total, currency),
                members.len(),
                &g,
                &b,
                &p,
                &format!("In {label}, the shares"),
                &format!("{label}'s share"),
            ) {
                Ok(parts) => {
                    for (i, m) in members.iter().zip(parts) {
                        shares[*i] = m;
                    }
                }
                Err(e) => problems.push(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        shares
    };
    let shares: BTreeMap<TerritoryId, Money> = slots
        .iter()
        .zip(shares)
        .map(|(s, m)| (s.id, Money::new(m, currency)))
        .collect();
    Ok(Quota { target, shares })
}

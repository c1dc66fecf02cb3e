//! The quota page's figures and its form's validation, as tables.

use super::*;
use uuid::Uuid;

fn tid(n: u128) -> TerritoryId {
    TerritoryId::from_uuid(Uuid::from_u128(n))
}

fn slot(n: u128, potential_major: i64) -> Slot {
    Slot {
        id: tid(n),
        name: format!("T{n}"),
        rep: None,
        region: None,
        potential: potential_major * 100,
    }
}

fn usd(s: &str) -> String {
    Money::parse(s, Currency::USD).unwrap().to_string()
}

/// A case's split: the shares saved (major units as typed) in the slots' order, adding up
/// to the target, or every expected problem among the errors.
fn check(
    name: &str,
    slots: &[Slot],
    typed: &Typed,
    expect: std::result::Result<Vec<&'static str>, Vec<&'static str>>,
) {
    match (validate(typed, slots, Currency::USD), expect) {
        (Ok(q), Ok(want)) => {
            let got: Vec<String> = slots.iter().map(|s| q.shares[&s.id].to_string()).collect();
            let want: Vec<String> = want.iter().map(|w| usd(w)).collect();
            assert_eq!(got, want, "{name}");
            assert_eq!(
                q.shares.values().map(|m| m.minor).sum::<i64>(),
                q.target.minor,
                "{name}: the shares add up to the target"
            );
        }
        (Err(errors), Err(want)) => {
            for w in &want {
                assert!(
                    errors.iter().any(|e| e.contains(w)),
                    "{name}: {w:?} in {errors:?}"
                );
            }
        }
        (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
    }
}

struct Case {
    name: &'static str,
    target: &'static str,
    shares: Vec<(u128, &'static str)>,
    /// Shares saved, in major units with cents as typed by Money::parse, or errors.
    expect: std::result::Result<Vec<&'static str>, Vec<&'static str>>,
}

#[test]
fn validation_table() {
    let slots = vec![slot(1, 300_000), slot(2, 100_000), slot(3, 0)];
    let cases = [
        Case {
            name: "all blank: by potential",
            target: "100,000",
            shares: vec![],
            expect: Ok(vec!["75000", "25000", "0"]),
        },
        Case {
            name: "all typed and adding up",
            target: "100000",
            shares: vec![(1, "50,000"), (2, "30000"), (3, "20000.00")],
            expect: Ok(vec!["50000", "30000", "20000"]),
        },
        Case {
            name: "one typed, the rest split by potential",
            target: "100000",
            shares: vec![(3, "20000")],
            expect: Ok(vec!["60000", "20000", "20000"]),
        },
        Case {
            name: "short of the target",
            target: "100000",
            shares: vec![(1, "50000"), (2, "30000"), (3, "10000")],
            expect: Err(vec![
                "The shares add up to USD 90,000.00: USD 10,000.00 short of the target USD 100,000.00",
            ]),
        },
        Case {
            name: "over the target",
            target: "100000",
            shares: vec![(1, "80000"), (2, "30000"), (3, "0")],
            expect: Err(vec!["USD 10,000.00 over the target"]),
        },
        Case {
            name: "typed shares leave nothing for the blank ones",
            target: "100000",
            shares: vec![(1, "120000")],
            expect: Err(vec!["more than the target USD 100,000.00"]),
        },
        Case {
            name: "every field problem at once",
            target: "lots",
            shares: vec![(1, "-5"), (2, "12.345")],
            expect: Err(vec![
                "Target: not an amount of money",
                "T1: a share cannot be negative",
                "T2: not an amount of money",
            ]),
        },
        Case {
            name: "no target",
            target: "  ",
            shares: vec![],
            expect: Err(vec!["Target: enter the team's revenue target"]),
        },
        Case {
            name: "zero target",
            target: "0",
            shares: vec![],
            expect: Err(vec!["Target: must be more than zero"]),
        },
        Case {
            name: "a territory not in the team",
            target: "100",
            shares: vec![(9, "100")],
            expect: Err(vec!["not your team's"]),
        },
    ];
    for c in cases {
        let typed = Typed {
            target: c.target.into(),
            shares: c
                .shares
                .iter()
                .map(|(t, v)| (tid(*t), (*v).to_owned()))
                .collect(),
            regions: BTreeMap::new(),
        };
        check(c.name, &slots, &typed, c.expect);
    }
}

struct RegionCase {
    name: &'static str,
    target: &'static str,
    regions: Vec<(&'static str, &'static str)>,
    shares: Vec<(u128, &'static str)>,
    expect: std::result::Result<Vec<&'static str>, Vec<&'static str>>,
}

/// With regions, the target rolls down: the regions' shares add up to the target, each
/// region's territories to its share.
#[test]
fn a_target_rolls_down_through_regions() {
    let mut slots = vec![
        slot(1, 300_000),
        slot(2, 100_000),
        slot(3, 100_000),
        slot(4, 0),
    ];
    slots[0].region = Some("North".into());
    slots[1].region = Some("North".into());
    slots[2].region = Some("South".into());
    let cases = [
        RegionCase {
            name: "all blank: by potential at both levels",
            target: "100,000",
            regions: vec![],
            shares: vec![],
            expect: Ok(vec!["60000", "20000", "20000", "0"]),
        },
        RegionCase {
            name: "a region typed, its territories by potential, the other regions the rest",
            target: "100000",
            regions: vec![("North", "50,000")],
            shares: vec![],
            expect: Ok(vec!["37500", "12500", "50000", "0"]),
        },
        RegionCase {
            name: "a blank region whose territories are all typed is their sum",
            target: "100000",
            regions: vec![],
            shares: vec![(1, "30000"), (2, "10000")],
            expect: Ok(vec!["30000", "10000", "60000", "0"]),
        },
        RegionCase {
            name: "typed everywhere and adding up",
            target: "100",
            regions: vec![("North", "70"), ("South", "20"), ("", "10")],
            shares: vec![(1, "35"), (2, "35"), (3, "20"), (4, "10")],
            expect: Ok(vec!["35", "35", "20", "10"]),
        },
        RegionCase {
            name: "a territory asks more than its region's share",
            target: "100000",
            regions: vec![("North", "10000")],
            shares: vec![(1, "20000")],
            expect: Err(vec![
                "In North, the shares typed add up to USD 20,000.00, more than North's share USD 10,000.00",
            ]),
        },
        RegionCase {
            name: "a region's territories short of its share",
            target: "100",
            regions: vec![("North", "70")],
            shares: vec![(1, "30"), (2, "30")],
            expect: Err(vec![
                "In North, the shares add up to USD 60.00: USD 10.00 short of North's share USD 70.00",
            ]),
        },
        RegionCase {
            name: "the regions over the target",
            target: "100000",
            regions: vec![("North", "80000"), ("South", "30000")],
            shares: vec![],
            expect: Err(vec![
                "The regions' shares typed add up to USD 110,000.00, more than the target",
            ]),
        },
        RegionCase {
            name: "a region's share that is not money, and one no longer there",
            target: "100",
            regions: vec![("North", "lots"), ("West", "5")],
            shares: vec![],
            expect: Err(vec![
                "North (region): not an amount of money",
                "names a region your team no longer has",
            ]),
        },
    ];
    for c in cases {
        let typed = Typed {
            target: c.target.into(),
            shares: c
                .shares
                .iter()
                .map(|(t, v)| (tid(*t), (*v).to_owned()))
                .collect(),
            regions: c
                .regions
                .iter()
                .map(|(r, v)| ((*r).to_owned(), (*v).to_owned()))
                .collect(),
        };
        check(c.name, &slots, &typed, c.expect);
    }
}

proptest::proptest! {
    /// Whatever the regions and the blank shares, a split that is accepted adds up to the
    /// target, keeps every typed share, and gives each region the sum of its territories.
    #[test]
    fn an_accepted_split_adds_up_at_every_level(
        territories in proptest::collection::vec((0u8..3, 0i64..1_000_000, proptest::option::of(0i64..50_000)), 1..8),
        region_shares in proptest::collection::vec(proptest::option::of(0i64..200_000), 3),
        target in 1i64..500_000,
    ) {
        let names = ["North", "South", ""];
        let slots: Vec<Slot> = territories
            .iter()
            .enumerate()
            .map(|(i, (r, p, _))| Slot {
                region: (!names[*r as usize].is_empty()).then(|| names[*r as usize].to_owned()),
                ..slot(i as u128 + 1, *p)
            })
            .collect();
        let typed = Typed {
            target: target.to_string(),
            shares: territories
                .iter()
                .enumerate()
                .filter_map(|(i, (_, _, s))| s.map(|s| (tid(i as u128 + 1), s.to_string())))
                .collect(),
            regions: names
                .iter()
                .zip(&region_shares)
                .filter(|(n, _)| slots.iter().any(|s| s.region.as_deref().unwrap_or("") == **n))
                .filter_map(|(n, s)| s.map(|s| ((*n).to_owned(), s.to_string())))
                .collect(),
        };
        if let Ok(q) = validate(&typed, &slots, Currency::USD) {
            proptest::prop_assert_eq!(q.shares.values().map(|m| m.minor).sum::<i64>(), q.target.minor);
            for (id, v) in &typed.shares {
                proptest::prop_assert_eq!(q.shares[id].to_string(), usd(v));
            }
            for (region, v) in &typed.regions {
                let sum: i64 = slots
                    .iter()
                    .filter(|s| s.region.as_deref().unwrap_or("") == region)
                    .map(|s| q.shares[&s.id].minor)
                    .sum();
                proptest::prop_assert_eq!(Money::new(sum, Currency::USD).to_string(), usd(v));
            }
        }
    }
}

#[test]
fn periods_parse_and_name_themselves() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let q2 = QuotaPeriod::parse("2026-Q2").unwrap();
    assert_eq!(
        q2.range,
        rounds_core::DateRange::new(d(2026, 4, 1), d(2026, 6, 30))
    );
    assert_eq!(
        (q2.key(), q2.label()),
        ("2026-Q2".to_owned(), "Q2 2026".to_owned())
    );
    let feb = QuotaPeriod::parse("2026-02").unwrap();
    assert_eq!(feb.range.end, d(2026, 2, 28));
    assert_eq!(feb.label(), "February 2026");
    for bad in ["2026-Q5", "2026-13", "soon", "2026", ""] {
        assert!(QuotaPeriod::parse(bad).is_none(), "{bad:?}");
    }
    assert_eq!(feb.elapsed(d(2026, 2, 14)).to_string(), "50.0 %");
    assert_eq!(feb.elapsed(d(2026, 3, 14)).to_string(), "100.0 %");
    assert_eq!(feb.elapsed(d(2026, 1, 14)).to_string(), "0.0 %");
}

#[test]
fn progress_counts_won_revenue_in_the_period_by_territory() {
    use crate::scope::{Person, TerritoryRow};
    use chrono::TimeZone;
    let rep = UserId::from_uuid(Uuid::from_u128(50));
    let team = Team {
        reps: vec![Person {
            id: rep,
            name: "Ana".into(),
            email: "ana@example.com".into(),
            tz: chrono_tz::UTC,
            manager: None,
        }],
        territories: vec![
            TerritoryRow {
                id: tid(1),
                name: "North".into(),
                rep: Some(rep),
                region: None,
            },
            TerritoryRow {
                id: tid(2),
                name: "South".into(),
                rep: None,
                region: None,
            },
        ],
        all: false,
        left_out: Vec::new(),
        managers: Vec::new(),
        narrowed: None,
    };
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let account = |n: u128, t: u128, won: Option<NaiveDate>, revenue: i64| Account {
        id: rounds_core::AccountId::from_uuid(Uuid::from_u128(100 + n)),
        name: format!("A{n}"),
        address: Default::default(),
        location: None,
        stage: if won.is_some() {
            rounds_core::Stage::Customer
        } else {
            rounds_core::Stage::Opportunity
        },
        stage_dates: rounds_core::StageDates {
            won,
            ..Default::default()
        },
        priority: rounds_core::Priority::High,
        kare: None,
        revenue: Money::from_major(revenue, Currency::USD).unwrap(),
        expenses: Money::zero(Currency::USD),
        phone: None,
        email: None,
        industry: None,
        territory: Some(tid(t)),
        hours: None,
        visit_minutes: None,
        created_at: chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        closed_on: Default::default(),
        preferred_hours: None,
        potential: None,
        potential_estimate: None,
        location_source: None,
    };
    let usd = |major| Some(Money::from_major(major, Currency::USD).unwrap());
    let accounts = vec![
        account(1, 1, Some(d(4, 2)), 30_000),
        account(2, 1, Some(d(3, 31)), 99_000), // last quarter
        Account {
            potential: usd(25_000),
            ..account(3, 2, Some(d(6, 30)), 10_000)
        },
        Account {
            potential_estimate: usd(35_000),
            ..account(4, 2, None, 50_000)
        },
    ];
    let period = QuotaPeriod::parse("2026-Q2").unwrap();
    let quota = Quota {
        target: Money::from_major(100_000, Currency::USD).unwrap(),
        shares: [
            (tid(1), Money::from_major(60_000, Currency::USD).unwrap()),
            (tid(2), Money::from_major(40_000, Currency::USD).unwrap()),
        ]
        .into(),
    };
    let v = compute(&team, &accounts, Some(quota), period, d(5, 16));
    let rows: Vec<(String, String, String)> = v
        .territories
        .iter()
        .map(|r| (r.label.clone(), r.won.to_string(), r.progress.to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            ("North".into(), "USD 30,000.00".into(), "50.0 %".into()),
            ("South".into(), "USD 10,000.00".into(), "25.0 %".into()),
        ]
    );
    assert_eq!(v.team_won.to_string(), "USD 40,000.00");
    assert_eq!(v.team_progress.to_string(), "40.0 %");
    assert_eq!(
        v.reps[0].share.map(|m| m.to_string()).as_deref(),
        Some("USD 60,000.00")
    );
    assert!(!v.stale);
    assert_eq!(
        v.slots[1].potential, 6_000_000,
        "potential counts every account not lost: the figure set, else the estimate"
    );
    assert_eq!(v.slots[0].potential, 0, "revenue is not potential");
    assert_eq!(v.without_potential, 2);

    let none = compute(&team, &accounts, None, period, d(5, 16));
    assert_eq!(
        none.team_progress.to_string(),
        "—",
        "no target, no progress figure"
    );
}

//! Territory design from accounts: units by postal code, today's figures, a proposal's
//! figures at the level of accounts, and the nearest-neighbour distance.

use rounds_territory::{Design, DesignAccount, Place, Weights, nearest_km};

/// A 6 x 6 grid of postal codes, two accounts each; the left half is territory 0 today,
/// the right half territory 1, but the left accounts ask twice the work.
fn accounts() -> Vec<DesignAccount> {
    let mut out = Vec::new();
    for y in 0..6 {
        for x in 0..6 {
            for _ in 0..2 {
                out.push(DesignAccount {
                    place: Some(Place::new(
                        40.0 + f64::from(y) * 0.05,
                        -100.0 + f64::from(x) * 0.065,
                    )),
                    postal_code: format!(" {:05} ", 10_000 + y * 6 + x),
                    workload: if x < 3 { 2.0 } else { 1.0 },
                    drive: 0.25,
                    potential: 1_000.0,
                    today: Some(usize::from(x >= 3)),
                    locked: false,
                });
            }
        }
    }
    out
}

#[test]
fn accounts_sharing_a_postal_code_are_one_unit_and_unplaced_ones_stay() {
    let mut all = accounts();
    all.push(DesignAccount {
        place: None,
        postal_code: "10000".into(),
        workload: 3.0,
        drive: 0.0,
        potential: 0.0,
        today: Some(1),
        locked: false,
    });
    all.push(DesignAccount {
        place: Some(Place::new(40.1, -99.9)),
        postal_code: String::new(),
        workload: 0.5,
        drive: 0.1,
        potential: 10.0,
        today: Some(0),
        locked: false,
    });
    let design = Design::new(all.clone(), 2);
    assert_eq!(
        design.units(),
        37,
        "36 postal codes and one account without one"
    );
    let today = design.today();
    assert_eq!(today.territories[0].accounts, 37);
    assert_eq!(today.territories[1].accounts, 37);
    assert!((today.territories[0].workload - 72.5).abs() < 1e-9);
    assert!((today.territories[1].workload - 39.0).abs() < 1e-9);
    assert!((today.territories[0].drive - 9.1).abs() < 1e-9);
    assert_eq!(today.moved, 0);
    assert!(today.territories.iter().all(|t| t.contiguous));

    let proposal = design
        .propose(Weights::default(), 0.05)
        .expect("a proposal");
    assert_eq!(
        proposal.territory_of[72],
        Some(1),
        "the unplaced account stays"
    );
    assert!(proposal.workload_spread < today.workload_spread);
    assert!(proposal.workload_spread <= 0.05, "{proposal:?}");
    assert!(proposal.territories.iter().all(|t| t.contiguous));
    let moved = all
        .iter()
        .zip(&proposal.territory_of)
        .filter(|(a, t)| a.today != **t)
        .count() as u64;
    assert_eq!(proposal.moved, moved);
    assert!(moved > 0);
    // Both accounts of a postal code always go together.
    for pair in proposal.territory_of[..72].chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
}

#[test]
fn the_nearest_other_place_is_found() {
    let ps = [
        Place::new(40.0, -100.0),
        Place::new(40.0, -100.1),
        Place::new(40.5, -100.0),
        Place::new(f64::NAN, 0.0),
    ];
    let km = nearest_km(&ps);
    let a = km[0].expect("a neighbour");
    assert!(
        (a - 0.1 * 111.32 * 40f64.to_radians().cos()).abs() < 0.5,
        "{a}"
    );
    assert_eq!(km[0], km[1]);
    assert!((km[2].unwrap() - 0.5 * 110.57).abs() < 0.5, "{km:?}");
    assert_eq!(km[3], None);
    assert_eq!(nearest_km(&ps[..1]), vec![None]);
}

#[test]
fn locked_accounts_keep_their_postal_code_where_it_is() {
    // The left half's outer column is locked: the balance comes from the rest, and those
    // accounts stay in territory 0.
    let mut all = accounts();
    for (i, a) in all.iter_mut().enumerate() {
        a.locked = (i / 2) % 6 == 0;
    }
    let design = Design::new(all.clone(), 2);
    let proposal = design
        .propose(Weights::default(), 0.05)
        .expect("a proposal");
    for (a, t) in all.iter().zip(&proposal.territory_of) {
        if a.locked {
            assert_eq!(*t, a.today);
        }
    }
    assert!(proposal.moved > 0, "it still balances");
    // Locking the border column instead leaves territory 0 nothing it can give away.
    for (i, a) in all.iter_mut().enumerate() {
        a.locked = (i / 2) % 6 == 2;
    }
    let walled = Design::new(all.clone(), 2)
        .propose(Weights::default(), 0.05)
        .expect("a proposal");
    for (a, t) in all.iter().zip(&walled.territory_of) {
        if a.locked {
            assert_eq!(*t, a.today);
        }
    }
}

#[test]
fn an_alignment_given_account_by_account_reads_like_the_proposal_it_came_from() {
    let all = accounts();
    let design = Design::new(all.clone(), 2);
    let proposal = design
        .propose(Weights::default(), 0.05)
        .expect("a proposal");
    assert_eq!(design.aligned(&proposal.territory_of), proposal);
    assert_eq!(
        design.aligned(&vec![None; all.len()]),
        design.today(),
        "saying nothing is today"
    );
    // A territory index out of range is taken as saying nothing.
    assert_eq!(design.aligned(&vec![Some(7); all.len()]), design.today());
}

#[test]
fn an_account_added_since_goes_with_its_postal_code_or_stays() {
    let mut all = accounts();
    // Everything in territory 1 is the alignment saved; then two accounts arrive: one in
    // a postal code the alignment knows, one in a postal code of its own.
    let saved: Vec<Option<usize>> = vec![Some(1); all.len()];
    let added = |code: &str, lat: f64| DesignAccount {
        place: Some(Place::new(lat, -100.0)),
        postal_code: code.into(),
        workload: 5.0,
        drive: 0.0,
        potential: 0.0,
        today: Some(0),
        locked: false,
    };
    all.push(added("10000", 40.0));
    all.push(added("99999", 39.0));
    let mut known = saved;
    known.extend([None, None]);
    let column = Design::new(all.clone(), 2).aligned(&known);
    assert_eq!(column.territory_of[72], Some(1), "with its postal code");
    assert_eq!(column.territory_of[73], Some(0), "where it is today");
    assert_eq!(column.territories[1].accounts, 73);
    assert_eq!(
        column.moved,
        36 + 1,
        "the left half and the newcomer at 10000"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

    /// Any proposal, read back account by account, gives the same figures.
    #[test]
    fn a_proposal_read_back_is_the_same(
        seed in proptest::collection::vec((0u32..8, 0u32..8, 0.1f64..4.0, 0usize..3), 12..60),
        workload in 0.0f64..3.0,
        potential in 0.0f64..3.0,
    ) {
        let all: Vec<DesignAccount> = seed
            .iter()
            .map(|&(x, y, w, t)| DesignAccount {
                place: Some(Place::new(40.0 + f64::from(y) * 0.05, -100.0 + f64::from(x) * 0.065)),
                postal_code: format!("{:05}", 10_000 + y * 8 + x),
                workload: w,
                drive: w / 10.0,
                potential: w * 100.0,
                today: Some(t),
                locked: false,
            })
            .collect();
        let design = Design::new(all, 3);
        let weights = Weights { workload, potential, ..Weights::default() };
        if let Ok(p) = design.propose(weights, 0.1) {
            proptest::prop_assert_eq!(design.aligned(&p.territory_of), p);
        }
    }
}

//! Proposing an alignment: the neighbour graph, refusals, the promises (contiguous,
//! balanced, locked units kept, few moves from a good alignment, deterministic), and
//! properties over random regions.

use proptest::prelude::*;
use rounds_territory::{
    AlignError, Neighbours, Place, Problem, Unit, Weights, figures, objective, propose,
};

/// A `w` x `h` grid of postal codes about 5 km apart, each with `accounts(x, y)` accounts
/// of a workday a month each and a potential of 1,000 each.
fn grid(w: usize, h: usize, accounts: impl Fn(usize, usize) -> u32) -> Vec<Unit> {
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let a = accounts(x, y);
            out.push(Unit {
                place: Place::new(30.0 + y as f64 * 0.045, -97.0 + x as f64 * 0.052),
                workload: f64::from(a),
                potential: 1000.0 * f64::from(a),
                accounts: a,
                today: None,
                locked: false,
            });
        }
    }
    out
}

fn places(units: &[Unit]) -> Vec<Place> {
    units.iter().map(|u| u.place).collect()
}

#[test]
fn neighbours_are_the_delaunay_edges_and_shared_places_touch() {
    // A 3 x 3 grid: the middle touches its four sides at least; corners touch no corner.
    let units = grid(3, 3, |_, _| 1);
    let n = Neighbours::delaunay(&places(&units));
    for side in [1, 3, 5, 7] {
        assert!(n.of(4).contains(&side), "{:?}", n.of(4));
    }
    assert!(!n.of(0).contains(&8) && !n.of(2).contains(&6));
    for a in 0..9 {
        for &b in n.of(a) {
            assert!(n.of(b).contains(&a), "symmetric: {a} {b}");
            assert_ne!(a, b);
        }
    }
    // Two ZIP codes at one place touch each other and the place's neighbours.
    let mut ps = places(&units);
    ps.push(ps[4]);
    ps.push(Place::new(f64::NAN, 0.0));
    let n = Neighbours::delaunay(&ps);
    assert!(n.of(9).contains(&4) && n.of(4).contains(&9));
    assert!(n.of(9).contains(&1) && n.of(1).contains(&9));
    assert!(n.of(10).is_empty(), "an invalid place touches nothing");
}

#[test]
fn lists_given_by_the_caller_are_made_symmetric_and_clean() {
    let n = Neighbours::from_lists(vec![vec![1, 1, 0, 7], vec![], vec![1]]);
    assert_eq!(n.of(0), &[1]);
    assert_eq!(n.of(1), &[0, 2]);
    assert_eq!(n.of(2), &[1]);
    assert_eq!(n.components(|_| true).len(), 1);
    assert_eq!(n.components(|u| u != 1).len(), 2);
}

#[test]
fn a_problem_that_cannot_be_solved_is_refused_with_the_reason() {
    let units = grid(3, 3, |_, _| 1);
    let n = Neighbours::delaunay(&places(&units));
    let refused = |p: Problem<'_>| propose(&p).expect_err("refused");
    assert_eq!(
        refused(Problem::new(&units, &n, 0)),
        AlignError::NoTerritories
    );
    assert_eq!(
        refused(Problem::new(&units, &n, 10)),
        AlignError::TooFewUnits {
            units: 9,
            territories: 10
        }
    );
    let fewer = Neighbours::from_lists(vec![vec![]; 3]);
    assert_eq!(
        refused(Problem::new(&units, &fewer, 2)),
        AlignError::NeighboursMismatch {
            units: 9,
            neighbours: 3
        }
    );
    let apart = Neighbours::from_lists(vec![
        vec![1],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    ]);
    assert!(matches!(
        refused(Problem::new(&units, &apart, 2)),
        AlignError::Disconnected { pieces: 8 }
    ));
    let mut p = Problem::new(&units, &n, 2);
    p.weights.potential = -1.0;
    assert_eq!(refused(p), AlignError::BadWeights);
    type Spoil = fn(&mut Unit);
    let cases: [(&str, Spoil); 5] = [
        ("nan workload", |u| u.workload = f64::NAN),
        ("negative potential", |u| u.potential = -5.0),
        ("bad place", |u| u.place = Place::new(95.0, 0.0)),
        ("today out of range", |u| u.today = Some(7)),
        ("locked nowhere", |u| u.locked = true),
    ];
    for (name, spoil) in cases {
        let mut bad = units.clone();
        spoil(&mut bad[4]);
        let err = propose(&Problem::new(&bad, &n, 2)).expect_err(name);
        assert!(
            matches!(err, AlignError::BadUnit { unit: 4, .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().starts_with("unit 4: "), "{err}");
    }
}

#[test]
fn an_even_grid_splits_into_equal_connected_territories() {
    let units = grid(12, 12, |_, _| 3);
    let n = Neighbours::delaunay(&places(&units));
    for k in [2, 4, 6] {
        let mut p = Problem::new(&units, &n, k);
        p.from_today = false;
        let out = propose(&p).expect("a proposal");
        let f = &out.figures;
        assert!(f.contiguous(), "k = {k}: {f:?}");
        assert!(f.workload_spread <= 0.05, "k = {k}: ±{}", f.workload_spread);
        assert!(
            f.potential_spread <= 0.05,
            "k = {k}: ±{}",
            f.potential_spread
        );
        assert_eq!(f.territories.iter().map(|t| t.units).sum::<usize>(), 144);
        assert!(f.territories.iter().all(|t| t.units > 0));
        assert_eq!(f.moved_accounts, 0, "nothing had a territory");
    }
}

#[test]
fn a_busy_corner_gets_smaller_territories() {
    // The lower-left quarter has four times the accounts: its territories cover less.
    let units = grid(12, 12, |x, y| if x < 6 && y < 6 { 8 } else { 2 });
    let n = Neighbours::delaunay(&places(&units));
    let mut p = Problem::new(&units, &n, 4);
    p.from_today = false;
    let out = propose(&p).expect("a proposal");
    assert!(out.figures.contiguous());
    assert!(out.figures.workload_spread <= 0.05, "{:?}", out.figures);
    let busy = |t: usize| {
        (0..144)
            .filter(|&u| out.territory_of[u] == t && u % 12 < 6 && u / 12 < 6)
            .count()
    };
    let sizes: Vec<usize> = out.figures.territories.iter().map(|t| t.units).collect();
    let smallest = (0..4).min_by_key(|&t| sizes[t]).unwrap();
    assert!(
        busy(smallest) > 0,
        "the smallest territory is in the busy corner: {sizes:?}"
    );
}

#[test]
fn a_good_alignment_stays_as_it_is_and_locked_units_never_move() {
    // Four equal quarters of an even grid, today: nothing to gain by moving accounts.
    let mut units = grid(8, 8, |_, _| 2);
    for (i, u) in units.iter_mut().enumerate() {
        let (x, y) = (i % 8, i / 8);
        u.today = Some(usize::from(x >= 4) + 2 * usize::from(y >= 4));
    }
    let n = Neighbours::delaunay(&places(&units));
    let mut p = Problem::new(&units, &n, 4);
    p.weights = Weights {
        disruption: 100.0,
        ..Weights::default()
    };
    let out = propose(&p).expect("a proposal");
    assert_eq!(out.figures.moved_accounts, 0, "{:?}", out.figures);

    // Unbalanced today (one account more in the left half) with the left column locked:
    // the proposal balances and the locked units stay.
    for (i, u) in units.iter_mut().enumerate() {
        if i % 8 < 4 {
            u.accounts = 4;
            u.workload = 4.0;
            u.potential = 4000.0;
        }
        u.locked = i % 8 == 0;
    }
    let out = propose(&Problem::new(&units, &n, 4)).expect("a proposal");
    assert!(out.figures.contiguous());
    assert!(out.figures.workload_spread <= 0.05, "{:?}", out.figures);
    for (i, u) in units.iter().enumerate() {
        if u.locked {
            assert_eq!(Some(out.territory_of[i]), u.today, "locked unit {i} moved");
        }
    }
    assert!(out.figures.moved_accounts > 0);
}

#[test]
fn a_new_territory_is_carved_out_and_a_split_one_is_made_whole() {
    // Today: two territories; the second is in two pieces (a stray unit in the far
    // corner). Asked for three, the proposal gives each one connected piece.
    let mut units = grid(6, 6, |_, _| 1);
    for (i, u) in units.iter_mut().enumerate() {
        u.today = Some(usize::from(i % 6 >= 3));
    }
    units[0].today = Some(1);
    let n = Neighbours::delaunay(&places(&units));
    let today: Vec<usize> = units.iter().map(|u| u.today.unwrap()).collect();
    assert!(!figures(&units, &n, &today, 2).contiguous());
    let out = propose(&Problem::new(&units, &n, 3)).expect("a proposal");
    assert!(out.figures.contiguous(), "{:?}", out.figures);
    assert!(out.figures.territories.iter().all(|t| t.units > 0));
    assert!(out.figures.workload_spread <= 0.1, "{:?}", out.figures);
}

#[test]
fn the_same_problem_gives_the_same_proposal() {
    let units = grid(10, 10, |x, y| ((x * 7 + y * 3) % 5 + 1) as u32);
    let n = Neighbours::delaunay(&places(&units));
    let mut p = Problem::new(&units, &n, 5);
    p.from_today = false;
    let a = propose(&p).expect("a proposal");
    let b = propose(&p).expect("a proposal");
    assert_eq!(a, b);
    p.seed = 2;
    assert!(propose(&p).expect("a proposal").figures.contiguous());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random places with random accounts, from scratch or from a random today with some
    /// units locked: every territory is one non-empty piece, locked units stay, and the
    /// figures add up to the units.
    #[test]
    fn every_proposal_is_contiguous_complete_and_keeps_locks(
        spots in prop::collection::vec((29.0f64..31.0, -98.0f64..-96.0, 0u32..12, 0usize..3, any::<bool>()), 12..80),
        k in 2usize..5,
        from_today in any::<bool>(),
    ) {
        let units: Vec<Unit> = spots
            .iter()
            .map(|&(lat, lon, accounts, today, lock)| Unit {
                place: Place::new(lat, lon),
                workload: f64::from(accounts) * 0.5,
                potential: f64::from(accounts) * 800.0,
                accounts,
                today: Some(today % k),
                locked: lock && from_today && accounts % 5 == 0,
            })
            .collect();
        let n = Neighbours::delaunay(&places(&units));
        prop_assume!(n.components(|_| true).len() == 1);
        let mut p = Problem::new(&units, &n, k);
        p.from_today = from_today;
        let out = propose(&p).expect("a proposal");
        let f = &out.figures;
        prop_assert_eq!(out.territory_of.len(), units.len());
        prop_assert!(out.territory_of.iter().all(|&t| t < k));
        prop_assert!(f.territories.iter().all(|t| t.units > 0), "{:?}", f);
        prop_assert_eq!(f.territories.iter().map(|t| t.accounts).sum::<u64>(),
            units.iter().map(|u| u64::from(u.accounts)).sum::<u64>());
        // Every territory without a locked unit is one piece (locked units far apart
        // in today's territory may keep theirs in pieces).
        for (t, figures) in f.territories.iter().enumerate() {
            let has_locked = units.iter().any(|u| u.locked && u.today == Some(t));
            prop_assert!(has_locked || figures.contiguous, "territory {} in pieces: {:?}", t, f);
        }
        for (i, u) in units.iter().enumerate() {
            if u.locked {
                prop_assert_eq!(Some(out.territory_of[i]), u.today);
            }
        }
        let again = figures(&units, &n, &out.territory_of, k);
        prop_assert_eq!(&again, f);
    }

    /// From a complete, contiguous alignment today, the proposal never costs more on the
    /// weighted objective than today does, whatever the weights.
    #[test]
    fn a_proposal_is_never_worse_than_where_it_started(
        spots in prop::collection::vec((29.0f64..31.0, -98.0f64..-96.0, 0u32..12), 12..70),
        k in 2usize..5,
        w in (0.0f64..5.0, 0.0f64..5.0, 0.0f64..5.0, 0.0f64..5.0),
        tolerance in 0.01f64..0.3,
    ) {
        let mut units: Vec<Unit> = spots
            .iter()
            .map(|&(lat, lon, accounts)| Unit {
                place: Place::new(lat, lon),
                workload: f64::from(accounts) * 0.4 + 0.1,
                potential: f64::from(accounts % 7) * 500.0,
                accounts,
                today: None,
                locked: false,
            })
            .collect();
        let n = Neighbours::delaunay(&places(&units));
        prop_assume!(n.components(|_| true).len() == 1);
        // Today: a proposal from scratch with other weights (complete and contiguous).
        let mut first = Problem::new(&units, &n, k);
        first.from_today = false;
        first.weights = Weights { workload: 1.0, potential: 0.0, compactness: 0.0, disruption: 0.0 };
        let today = propose(&first).expect("today").territory_of;
        prop_assume!(figures(&units, &n, &today, k).contiguous());
        for (u, t) in units.iter_mut().zip(&today) {
            u.today = Some(*t);
        }
        let mut p = Problem::new(&units, &n, k);
        p.weights = Weights { workload: w.0, potential: w.1, compactness: w.2, disruption: w.3 };
        p.tolerance = tolerance;
        let out = propose(&p).expect("a proposal");
        let before = objective(&p, &today).expect("today's cost");
        let after = objective(&p, &out.territory_of).expect("the proposal's cost");
        prop_assert!(after <= before + 1e-9, "{} > {}", after, before);
        prop_assert!(objective(&p, &today[1..]).is_err());
    }
}

//! Filling the land between units: the postal codes with no account yet, each given to
//! the nearest unit within a distance, so a territory covers the codes between its
//! accounts and a new account there lands in it.

use std::collections::HashMap;

use crate::Place;

/// Kilometres between two places, on the local flat plane at their mean latitude
/// (within tens of kilometres, well under 1 % off).
fn km(a: Place, b: Place) -> f64 {
    let kx = 111.32 * ((a.lat + b.lat) / 2.0).to_radians().cos();
    ((a.lon - b.lon) * kx).hypot((a.lat - b.lat) * 110.57)
}

/// For each point, the index of the nearest site no more than `within` km away (the
/// lowest index among equals), or `None`. Sites are bucketed on a grid a little wider
/// than `within`, so each point looks only at the nine cells around it.
pub fn nearest_within(sites: &[Place], points: &[Place], within: f64) -> Vec<Option<usize>> {
    if !(within.is_finite() && within > 0.0) {
        return vec![None; points.len()];
    }
    // A degree of longitude is narrowest near the poles: at 80° it is 19 km, so a cell of
    // `within / 19` degrees is at least `within` km wide wherever people sell.
    let cell = within / 19.0;
    let key = |p: Place| ((p.lat / cell).floor() as i64, (p.lon / cell).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, s) in sites.iter().enumerate() {
        if s.is_valid() {
            grid.entry(key(*s)).or_default().push(i);
        }
    }
    points
        .iter()
        .map(|p| {
            if !p.is_valid() {
                return None;
            }
            let (y, x) = key(*p);
            let mut best: Option<(f64, usize)> = None;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    for &i in grid.get(&(y + dy, x + dx)).into_iter().flatten() {
                        let d = km(*p, sites[i]);
                        let better = match best {
                            None => true,
                            Some((bd, bi)) => d < bd || (d == bd && i < bi),
                        };
                        if d <= within && better {
                            best = Some((d, i));
                        }
                    }
                }
            }
            best.map(|(_, i)| i)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_nearest_site_within_the_distance_or_none() {
        let sites = [
            Place::new(40.0, -105.0),
            Place::new(40.1, -105.0),
            Place::new(f64::NAN, 0.0),
        ];
        let points = [
            Place::new(40.01, -105.0), // 1.1 km from the first
            Place::new(40.09, -105.0), // 1.1 km from the second
            Place::new(40.05, -105.0), // equally far: the first
            Place::new(41.0, -105.0),  // 100 km from both
            Place::new(f64::NAN, -105.0),
        ];
        assert_eq!(
            nearest_within(&sites, &points, 15.0),
            vec![Some(0), Some(1), Some(0), None, None]
        );
        assert_eq!(nearest_within(&sites, &points, 0.0), vec![None; 5]);
        assert_eq!(nearest_within(&[], &points, 15.0), vec![None; 5]);
    }

    proptest! {
        /// The grid finds what comparing every pair finds.
        #[test]
        fn the_grid_finds_what_every_pair_finds(
            sites in proptest::collection::vec((25.0f64..49.0, -124.0f64..-67.0), 0..40),
            points in proptest::collection::vec((25.0f64..49.0, -124.0f64..-67.0), 0..40),
            within in 1.0f64..400.0,
        ) {
            let sites: Vec<Place> = sites.into_iter().map(|(a, b)| Place::new(a, b)).collect();
            let points: Vec<Place> = points.into_iter().map(|(a, b)| Place::new(a, b)).collect();
            let brute: Vec<Option<usize>> = points
                .iter()
                .map(|p| {
                    sites
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (km(*p, *s), i))
                        .filter(|(d, _)| *d <= within)
                        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                        .map(|(_, i)| i)
                })
                .collect();
            prop_assert_eq!(nearest_within(&sites, &points, within), brute);
        }
    }
}

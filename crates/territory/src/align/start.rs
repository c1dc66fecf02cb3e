//! Where the search starts: regions grown around spread seeds, or today's alignment
//! made whole.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::figures::mass;
use crate::rng::{SplitMix, pick};

use super::search::{Search, dist2, remove};

impl Search<'_, '_> {
    /// Assigns every unit still without a territory by growing the territories from
    /// their units: the territory with the least workload takes its nearest neighbouring
    /// unit, until none is left. Territories with no unit stay empty.
    pub(super) fn grow(&mut self) {
        let k = self.p.territories;
        let mut frontier: Vec<BinaryHeap<(Reverse<u64>, Reverse<usize>)>> =
            vec![BinaryHeap::new(); k];
        let centres: Vec<(f64, f64)> = self
            .sums
            .iter()
            .map(|s| if s.mass > 0.0 { s.centre() } else { (0.0, 0.0) })
            .collect();
        let key = |xy: (f64, f64), c: (f64, f64)| {
            let d = (xy.0 - c.0).powi(2) + (xy.1 - c.1).powi(2);
            Reverse((d * 1e3) as u64)
        };
        for u in 0..self.of.len() {
            let t = self.of[u];
            if t == usize::MAX {
                continue;
            }
            for &v in self.p.neighbours.of(u) {
                if self.of[v] == usize::MAX {
                    frontier[t].push((key(self.xy[v], centres[t]), Reverse(v)));
                }
            }
        }
        loop {
            // The lightest territory that can still grow.
            let mut order: Vec<usize> = (0..k).filter(|&t| !frontier[t].is_empty()).collect();
            if order.is_empty() {
                return;
            }
            order.sort_by(|&a, &b| {
                self.sums[a]
                    .workload
                    .total_cmp(&self.sums[b].workload)
                    .then(self.sums[a].units.cmp(&self.sums[b].units))
                    .then(a.cmp(&b))
            });
            let t = order[0];
            while let Some((_, Reverse(u))) = frontier[t].pop() {
                if self.of[u] != usize::MAX {
                    continue;
                }
                self.assign(u, t);
                for &v in self.p.neighbours.of(u) {
                    if self.of[v] == usize::MAX {
                        frontier[t].push((key(self.xy[v], centres[t]), Reverse(v)));
                    }
                }
                break;
            }
        }
    }

    /// From scratch: locked units in today's territory, and for every other territory a
    /// seed unit, spread over the region (k-means++ on the free units, weighted by their
    /// mass, by a fixed-seed generator).
    pub(super) fn seed(&mut self) {
        let n = self.p.units.len();
        for (u, unit) in self.p.units.iter().enumerate() {
            if let (true, Some(t)) = (unit.locked, unit.today) {
                self.assign(u, t);
            }
        }
        let mut rng = SplitMix(self.p.seed);
        let masses: Vec<f64> = (0..n)
            .map(|u| {
                if self.of[u] == usize::MAX {
                    mass(&self.p.units[u])
                } else {
                    0.0
                }
            })
            .collect();
        // Distance to the nearest unit already holding a territory (none yet: all equal).
        let held: Vec<usize> = (0..n).filter(|&u| self.of[u] != usize::MAX).collect();
        let mut nearest: Vec<f64> = (0..n)
            .map(|u| {
                held.iter()
                    .map(|&h| dist2(self.xy[u], self.xy[h]))
                    .fold(if held.is_empty() { 1.0 } else { f64::INFINITY }, f64::min)
            })
            .collect();
        for t in 0..self.p.territories {
            if self.sums[t].units > 0 {
                continue;
            }
            let weights: Vec<f64> = (0..n)
                .map(|u| {
                    if self.of[u] == usize::MAX {
                        masses[u] * nearest[u]
                    } else {
                        0.0
                    }
                })
                .collect();
            let sum: f64 = weights.iter().sum();
            let next = if sum > 0.0 {
                pick(&weights, sum, rng.unit())
            } else {
                match (0..n).find(|&u| self.of[u] == usize::MAX) {
                    Some(u) => u,
                    None => return,
                }
            };
            self.assign(next, t);
            for (near, &xy) in nearest.iter_mut().zip(&self.xy) {
                *near = near.min(dist2(xy, self.xy[next]));
            }
        }
    }

    /// Today's alignment, made whole: units without a territory join a neighbouring one,
    /// a territory in several pieces keeps its largest and the rest join their neighbours
    /// (locked units stay), and a territory with no unit takes one from the heaviest.
    pub(super) fn start_from_today(&mut self) {
        for (u, unit) in self.p.units.iter().enumerate() {
            if let Some(t) = unit.today {
                self.assign(u, t);
            }
        }
        for t in 0..self.p.territories {
            let mut pieces = self.p.neighbours.components(|u| self.of[u] == t);
            if pieces.len() <= 1 {
                continue;
            }
            let mass_of =
                |piece: &Vec<usize>| -> f64 { piece.iter().map(|&u| mass(&self.p.units[u])).sum() };
            pieces.sort_by(|a, b| mass_of(b).total_cmp(&mass_of(a)).then(a.cmp(b)));
            for piece in &pieces[1..] {
                for &u in piece {
                    if !self.p.units[u].locked {
                        remove(&mut self.sums[t], &self.p.units[u], self.xy[u]);
                        self.of[u] = usize::MAX;
                    }
                }
            }
        }
        for t in 0..self.p.territories {
            if self.sums[t].units == 0 {
                self.give_empty(t);
            }
        }
        if self.of.contains(&usize::MAX) {
            self.grow();
        }
    }

    /// Gives the empty territory `t` a unit: from the territory with the most workload
    /// (and more than one unit), its unlocked unit farthest from its centre whose leaving
    /// keeps it one piece; failing that, any unit without a territory.
    pub(super) fn give_empty(&mut self, t: usize) {
        let mut donors: Vec<usize> = (0..self.p.territories)
            .filter(|&d| self.sums[d].units > 1)
            .collect();
        donors.sort_by(|&a, &b| {
            self.sums[b]
                .workload
                .total_cmp(&self.sums[a].workload)
                .then(a.cmp(&b))
        });
        let mut seen = vec![0u32; self.of.len()];
        let mut stamp = 0;
        for d in donors {
            let c = self.sums[d].centre();
            let mut candidates: Vec<usize> = (0..self.of.len())
                .filter(|&u| self.of[u] == d && !self.p.units[u].locked)
                .collect();
            candidates.sort_by(|&a, &b| {
                dist2(self.xy[b], c)
                    .total_cmp(&dist2(self.xy[a], c))
                    .then(a.cmp(&b))
            });
            for u in candidates {
                stamp += 1;
                if self.leaves_connected(u, &mut seen, stamp) {
                    self.assign(u, t);
                    return;
                }
            }
        }
        if let Some(u) = self.of.iter().position(|&x| x == usize::MAX) {
            self.assign(u, t);
        }
    }
}

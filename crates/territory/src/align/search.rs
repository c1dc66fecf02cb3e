//! The search's state and its moves: what a move costs, whether it keeps a territory in
//! one piece, and the two ways of making moves (steepest descent, annealing).

use crate::figures::mass;
use crate::plane;
use crate::rng::SplitMix;

use super::{KNEE, Problem, STEEP, Unit};

/// Per territory, the sums the cost is made of.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sums {
    pub(super) units: usize,
    pub(super) workload: f64,
    pub(super) potential: f64,
    pub(super) mass: f64,
    pub(super) sx: f64,
    pub(super) sy: f64,
    pub(super) sq: f64,
}

impl Sums {
    pub(super) fn inertia(&self) -> f64 {
        if self.mass <= 0.0 {
            return 0.0;
        }
        (self.sq - (self.sx * self.sx + self.sy * self.sy) / self.mass).max(0.0)
    }

    pub(super) fn centre(&self) -> (f64, f64) {
        (self.sx / self.mass, self.sy / self.mass)
    }
}

pub(super) struct Search<'p, 'a> {
    pub(super) p: &'p Problem<'a>,
    pub(super) xy: Vec<(f64, f64)>,
    pub(super) of: Vec<usize>,
    pub(super) sums: Vec<Sums>,
    pub(super) workload_mean: f64,
    pub(super) potential_mean: f64,
    /// The whole region's inertia over the number of territories.
    pub(super) inertia_scale: f64,
    pub(super) accounts: f64,
}

impl<'p, 'a> Search<'p, 'a> {
    pub(super) fn new(p: &'p Problem<'a>) -> Self {
        let xy = plane(&p.units.iter().map(|u| u.place).collect::<Vec<_>>());
        let mut all = Sums::default();
        for (i, u) in p.units.iter().enumerate() {
            add(&mut all, u, xy[i]);
        }
        let k = p.territories as f64;
        Search {
            p,
            of: vec![usize::MAX; p.units.len()],
            sums: vec![Sums::default(); p.territories],
            workload_mean: all.workload / k,
            potential_mean: all.potential / k,
            inertia_scale: (all.inertia() / k).max(f64::MIN_POSITIVE),
            accounts: p
                .units
                .iter()
                .map(|u| f64::from(u.accounts))
                .sum::<f64>()
                .max(1.0),
            xy,
        }
    }

    /// The whole cost of the current alignment (every unit assigned).
    pub(super) fn total(&self) -> f64 {
        self.sums.iter().map(|s| self.cost(s)).sum::<f64>()
            + (0..self.of.len())
                .map(|u| self.disruption(u, self.of[u]))
                .sum::<f64>()
    }

    pub(super) fn assign(&mut self, u: usize, t: usize) {
        let old = self.of[u];
        if old != usize::MAX {
            remove(&mut self.sums[old], &self.p.units[u], self.xy[u]);
        }
        self.of[u] = t;
        add(&mut self.sums[t], &self.p.units[u], self.xy[u]);
    }

    fn balance(&self, value: f64, mean: f64) -> f64 {
        if mean <= 0.0 {
            return 0.0;
        }
        let d = value / mean - 1.0;
        // The steep part starts a little inside the tolerance, so the search settles
        // within it rather than on its edge.
        let over = (d.abs() - KNEE * self.p.tolerance).max(0.0);
        d * d + STEEP * over * over
    }

    fn cost(&self, s: &Sums) -> f64 {
        let w = self.p.weights;
        w.workload * self.balance(s.workload, self.workload_mean)
            + w.potential * self.balance(s.potential, self.potential_mean)
            + w.compactness * s.inertia() / self.inertia_scale
    }

    /// What unit `u` costs in disruption when in territory `t`.
    fn disruption(&self, u: usize, t: usize) -> f64 {
        let unit = &self.p.units[u];
        match unit.today {
            Some(today) if today != t => {
                self.p.weights.disruption * f64::from(unit.accounts) / self.accounts
            }
            _ => 0.0,
        }
    }

    /// The change in cost if `u` moved from its territory to `to`.
    fn delta(&self, u: usize, to: usize) -> f64 {
        let from = self.of[u];
        let (unit, xy) = (&self.p.units[u], self.xy[u]);
        let (mut a, mut b) = (self.sums[from], self.sums[to]);
        let before = self.cost(&a) + self.cost(&b) + self.disruption(u, from);
        remove(&mut a, unit, xy);
        add(&mut b, unit, xy);
        self.cost(&a) + self.cost(&b) + self.disruption(u, to) - before
    }

    /// Whether `u`'s territory stays one piece without it: its neighbours there all
    /// reach each other without passing through it.
    pub(super) fn leaves_connected(&self, u: usize, seen: &mut [u32], stamp: u32) -> bool {
        let t = self.of[u];
        let inside: Vec<usize> = self
            .p
            .neighbours
            .of(u)
            .iter()
            .copied()
            .filter(|&v| self.of[v] == t)
            .collect();
        if inside.len() <= 1 {
            return true;
        }
        seen[u] = stamp;
        seen[inside[0]] = stamp;
        let mut queue = vec![inside[0]];
        let mut found = 1;
        while let Some(v) = queue.pop() {
            for &w in self.p.neighbours.of(v) {
                if self.of[w] == t && seen[w] != stamp {
                    seen[w] = stamp;
                    if inside.contains(&w) {
                        found += 1;
                        if found == inside.len() {
                            return true;
                        }
                    }
                    queue.push(w);
                }
            }
        }
        false
    }

    /// Moves units across borders while the cost falls; the number of moves made.
    pub(super) fn improve(&mut self) -> usize {
        let n = self.of.len();
        let mut seen = vec![0u32; n];
        let mut stamp = 0u32;
        let mut moves = 0;
        // Each pass visits every unit once; a pass with no move ends the search. The cap
        // only guards against cycling on ties, which the strict decrease already rules out.
        for _ in 0..10_000 {
            let mut moved = false;
            for u in 0..n {
                if self.p.units[u].locked {
                    continue;
                }
                let from = self.of[u];
                if self.sums[from].units <= 1 {
                    continue;
                }
                let mut best: Option<(f64, usize)> = None;
                for &v in self.p.neighbours.of(u) {
                    let to = self.of[v];
                    if to == from || best.is_some_and(|(_, b)| b == to) {
                        continue;
                    }
                    let d = self.delta(u, to);
                    if d < -1e-12 && best.is_none_or(|(bd, bt)| d < bd || (d == bd && to < bt)) {
                        best = Some((d, to));
                    }
                }
                let Some((_, to)) = best else { continue };
                stamp = stamp.wrapping_add(1).max(1);
                if self.leaves_connected(u, &mut seen, stamp) {
                    self.assign(u, to);
                    moves += 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        moves
    }
}

impl Search<'_, '_> {
    /// A unit that can move and a neighbouring territory for it, at random; `None` when
    /// the unit drawn is inside its territory, locked, or its territory's last.
    fn random_move(&self, rng: &mut SplitMix) -> Option<(usize, usize)> {
        let n = self.of.len();
        let u = (rng.next_u64() % n as u64) as usize;
        let from = self.of[u];
        if self.p.units[u].locked || self.sums[from].units <= 1 {
            return None;
        }
        let near = self.p.neighbours.of(u);
        if near.is_empty() {
            return None;
        }
        let start = (rng.next_u64() % near.len() as u64) as usize;
        (0..near.len())
            .map(|i| self.of[near[(start + i) % near.len()]])
            .find(|&t| t != from)
            .map(|to| (u, to))
    }

    /// Simulated annealing over the same moves: a move that raises the cost is taken
    /// with a chance that shrinks as the search cools, so the search can leave a state
    /// where every single move costs (two territories both near the tolerance, say).
    /// The temperature starts at the typical cost of a bad move and ends a thousand
    /// times lower; the generator is seeded, so the result is the same every time.
    pub(super) fn anneal(&mut self, rng: &mut SplitMix, proposals: usize) -> usize {
        let mut rises: Vec<f64> = (0..4_000)
            .filter_map(|_| self.random_move(rng))
            .map(|(u, to)| self.delta(u, to))
            .filter(|d| *d > 0.0)
            .collect();
        if rises.is_empty() {
            return 0;
        }
        rises.sort_by(f64::total_cmp);
        let start = rises[rises.len() / 2];
        let cooling = (1e-3f64).powf(1.0 / proposals as f64);
        let mut temperature = start;
        let mut seen = vec![0u32; self.of.len()];
        let mut stamp = 0u32;
        let mut moves = 0;
        for _ in 0..proposals {
            temperature *= cooling;
            let Some((u, to)) = self.random_move(rng) else {
                continue;
            };
            let d = self.delta(u, to);
            if d > 0.0 && rng.unit() >= (-d / temperature).exp() {
                continue;
            }
            stamp = stamp.wrapping_add(1).max(1);
            if self.leaves_connected(u, &mut seen, stamp) {
                self.assign(u, to);
                moves += 1;
            }
        }
        moves
    }
}

pub(super) fn add(s: &mut Sums, u: &Unit, (x, y): (f64, f64)) {
    let m = mass(u);
    s.units += 1;
    s.workload += u.workload;
    s.potential += u.potential;
    s.mass += m;
    s.sx += m * x;
    s.sy += m * y;
    s.sq += m * (x * x + y * y);
}

pub(super) fn remove(s: &mut Sums, u: &Unit, (x, y): (f64, f64)) {
    let m = mass(u);
    s.units -= 1;
    s.workload -= u.workload;
    s.potential -= u.potential;
    s.mass -= m;
    s.sx -= m * x;
    s.sy -= m * y;
    s.sq -= m * (x * x + y * y);
}

pub(super) fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

//! Local search: Lin–Kernighan style chains of 2-opt flips (depth-limited,
//! breadth 5/3/1…), Or-opt segment moves, don't-look bits, and iterated local
//! search with segment-local double-bridge kicks until the budget runs out.

use std::collections::VecDeque;

use crate::rng::Rng;
use crate::tour::Tour;

/// Integer edge cost between internal nodes (real stops plus an optional
/// dummy that turns open paths into a cycle). Symmetric, `d(v, v) = 0`.
pub(crate) trait Cost {
    fn len(&self) -> usize;
    fn d(&self, a: usize, b: usize) -> i64;
}

/// Breadth of the LK search per level; its length is the maximum depth.
const BREADTH: [usize; 6] = [5, 3, 2, 1, 1, 1];
/// Longest tentative flip (one made only to search deeper): array flips
/// cost their length, so this bounds the work on very large inputs.
const MAX_TENTATIVE: usize = 1000;
/// Candidates are chosen among at most this many nearest stops.
const SCAN_MAX: usize = 2500;
/// Longest Or-opt segment.
const OR_MAX: usize = 3;
/// Longest segment a kick moves.
const KICK_MAX: usize = 30;

/// Candidate neighbour lists, sorted by increasing cost, flattened.
#[derive(Debug, Clone)]
pub(crate) struct Neighbours {
    start: Vec<u32>,
    list: Vec<u32>,
}

impl Neighbours {
    /// Candidates per node among `0..real`: the `k` nearest, then up to
    /// `diverse` more that are not closer to an already chosen candidate
    /// than to the node (points "in other directions", as quadrant lists
    /// give, but from distances only), then the node's spanning-tree edges.
    /// Nodes `>= real` (the dummy) get `extra[v - real]`.
    pub(crate) fn build<C: Cost>(
        cost: &C,
        real: usize,
        k: usize,
        diverse: usize,
        extra: &[Vec<usize>],
    ) -> Self {
        let n = cost.len();
        let k = k.min(real.saturating_sub(1));
        let mst = spanning_tree(cost, real);
        let mut start = Vec::with_capacity(n + 1);
        let mut list = Vec::with_capacity(n * (k + diverse + 2));
        let mut all: Vec<(i64, u32)> = Vec::with_capacity(real);
        let mut chosen: Vec<(i64, u32)> = Vec::with_capacity(k + diverse + 4);
        for v in 0..n {
            start.push(list.len() as u32);
            if v >= real {
                list.extend(extra[v - real].iter().map(|&u| u as u32));
                continue;
            }
            all.clear();
            all.extend(
                (0..real)
                    .filter(|&u| u != v)
                    .map(|u| (cost.d(v, u), u as u32)),
            );
            // Scanning everything finds links to far clusters; on very large
            // inputs only the nearest SCAN_MAX are scanned, to bound setup.
            if all.len() > SCAN_MAX {
                all.select_nth_unstable(SCAN_MAX - 1);
                all.truncate(SCAN_MAX);
            }
            all.sort_unstable();
            chosen.clear();
            chosen.extend(all.iter().take(k).copied());
            let mut extra_found = 0;
            for &(dvu, u) in all.iter().skip(k) {
                if extra_found == diverse {
                    break;
                }
                let shadowed = chosen
                    .iter()
                    .any(|&(_, w)| cost.d(w as usize, u as usize) < dvu);
                if !shadowed {
                    chosen.push((dvu, u));
                    extra_found += 1;
                }
            }
            for &u in &mst[v] {
                if !chosen.iter().any(|&(_, w)| w as usize == u) {
                    chosen.push((cost.d(v, u), u as u32));
                }
            }
            chosen.sort_unstable();
            list.extend(chosen.iter().map(|&(_, u)| u));
        }
        start.push(list.len() as u32);
        Self { start, list }
    }

    #[inline]
    pub(crate) fn of(&self, v: usize) -> &[u32] {
        &self.list[self.start[v] as usize..self.start[v + 1] as usize]
    }
}

/// Minimum spanning tree adjacency (Prim, O(n²)). Its edges join clusters
/// by their shortest links, which nearest-k lists miss on clustered stops.
fn spanning_tree<C: Cost>(cost: &C, n: usize) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); n];
    if n < 2 {
        return adj;
    }
    let mut in_tree = vec![false; n];
    let mut best = vec![(i64::MAX, 0usize); n];
    let mut cur = 0;
    in_tree[0] = true;
    for _ in 1..n {
        let mut pick = usize::MAX;
        let mut pick_d = i64::MAX;
        for v in 0..n {
            if in_tree[v] {
                continue;
            }
            let d = cost.d(cur, v);
            if d < best[v].0 {
                best[v] = (d, cur);
            }
            if best[v].0 < pick_d {
                pick_d = best[v].0;
                pick = v;
            }
        }
        in_tree[pick] = true;
        let parent = best[pick].1;
        adj[pick].push(parent);
        adj[parent].push(pick);
        cur = pick;
    }
    adj
}

pub(crate) struct Search<'a, C: Cost> {
    cost: &'a C,
    neigh: &'a Neighbours,
    pub(crate) tour: Tour,
    pub(crate) len: i64,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    added: Vec<(usize, usize)>,
    touched: Vec<usize>,
    rng: Rng,
}

impl<C: Cost> std::fmt::Debug for Search<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<'a, C: Cost> Search<'a, C> {
    pub(crate) fn new(cost: &'a C, neigh: &'a Neighbours, order: &[usize], seed: u64) -> Self {
        let n = order.len();
        let len = (0..n).map(|i| cost.d(order[i], order[(i + 1) % n])).sum();
        Self {
            cost,
            neigh,
            tour: Tour::new(order),
            len,
            queue: VecDeque::with_capacity(n),
            queued: vec![false; n],
            added: Vec::with_capacity(BREADTH.len()),
            touched: Vec::with_capacity(4 * BREADTH.len()),
            rng: Rng::new(seed),
        }
    }

    #[inline]
    fn d(&self, a: usize, b: usize) -> i64 {
        self.cost.d(a, b)
    }

    fn push(&mut self, v: usize) {
        if !self.queued[v] {
            self.queued[v] = true;
            self.queue.push_back(v as u32);
        }
    }

    fn clear_queue(&mut self) {
        while let Some(v) = self.queue.pop_front() {
            self.queued[v as usize] = false;
        }
    }

    /// Local search until no queued node improves. Returns false if stopped.
    pub(crate) fn descend(&mut self, stop: &mut dyn FnMut() -> bool) -> bool {
        let mut steps = 0u32;
        while let Some(v) = self.queue.pop_front() {
            let v = v as usize;
            self.queued[v] = false;
            steps = steps.wrapping_add(1);
            if steps.is_multiple_of(128) && stop() {
                self.clear_queue();
                return false;
            }
            if self.improve_lk(v) || self.improve_or(v) {
                self.push(v);
                for k in 0..self.touched.len() {
                    let t = self.touched[k];
                    self.push(t);
                }
            }
        }
        true
    }

    /// Full descent from the current tour with every node queued.
    pub(crate) fn optimise_all(&mut self, stop: &mut dyn FnMut() -> bool) -> bool {
        for i in 0..self.tour.len() {
            let v = self.tour.at(i);
            self.push(v);
        }
        self.descend(stop)
    }

    fn improve_lk(&mut self, t1: usize) -> bool {
        for fwd in [true, false] {
            let t2 = self.tour.succ(t1, fwd);
            self.added.clear();
            self.touched.clear();
            if let Some(gain) = self.lk_step(0, t1, t2, self.d(t1, t2)) {
                self.len -= gain;
                self.touched.push(t1);
                return true;
            }
        }
        false
    }

    /// One level of the LK chain. The tour holds edge (t1, t2); `g` is the
    /// cost removed minus the cost added so far, not counting a closing edge.
    fn lk_step(&mut self, level: usize, t1: usize, t2: usize, g: i64) -> Option<i64> {
        let fwd = self.tour.next(t1) == t2;
        let (t2_next, t2_prev) = (self.tour.next(t2), self.tour.prev(t2));
        let mut tried = 0;
        let neigh = self.neigh;
        for &t3 in neigh.of(t2) {
            let t3 = t3 as usize;
            let g1 = g - self.d(t2, t3);
            if g1 <= 0 {
                break;
            }
            if t3 == t2_next || t3 == t2_prev {
                continue;
            }
            let t4 = if fwd {
                self.tour.prev(t3)
            } else {
                self.tour.next(t3)
            };
            if self
                .added
                .iter()
                .any(|&(a, b)| (a == t3 && b == t4) || (a == t4 && b == t3))
            {
                continue;
            }
            tried += 1;
            if tried > BREADTH[level] {
                break;
            }
            let g2 = g1 + self.d(t3, t4);
            let gain = g2 - self.d(t4, t1);
            if gain > 0 {
                self.tour.flip(t1, t2, t4, t3);
                self.touched.extend([t2, t3, t4]);
                return Some(gain);
            }
            // Not closing yet: flip tentatively and search one level deeper.
            if level + 1 < BREADTH.len() && self.tour.flip_len(t1, t2, t4) <= MAX_TENTATIVE {
                self.tour.flip(t1, t2, t4, t3);
                self.added.push((t2, t3));
                let deeper = self.lk_step(level + 1, t1, t4, g2);
                self.added.pop();
                if let Some(gain) = deeper {
                    self.touched.extend([t2, t3, t4]);
                    return Some(gain);
                }
                self.tour.unflip(t1, t4, t2, t3);
            }
        }
        None
    }

    /// Or-opt: move a segment of 1..=3 stops starting at `a` (either
    /// direction) between two adjacent stops near one of its ends, in
    /// whichever orientation is cheaper.
    fn improve_or(&mut self, a: usize) -> bool {
        let n = self.tour.len();
        let neigh = self.neigh;
        for fwd in [true, false] {
            let mut s2 = a;
            for l in 1..=OR_MAX {
                if l > 1 {
                    s2 = self.tour.succ(s2, fwd);
                }
                if n < l + 5 {
                    break;
                }
                let s1 = a;
                let mid = if l == 3 { self.tour.succ(s1, fwd) } else { s1 };
                let p = self.tour.succ(s1, !fwd);
                let nx = self.tour.succ(s2, fwd);
                let g_rem = self.d(p, s1) + self.d(s2, nx) - self.d(p, nx);
                if g_rem <= 0 {
                    continue;
                }
                let in_seg = |v: usize| v == s1 || v == s2 || v == mid;
                for (e, other) in [(s1, s2), (s2, s1)] {
                    for &c in neigh.of(e) {
                        let c = c as usize;
                        let dc = self.d(c, e);
                        if dc >= g_rem {
                            break;
                        }
                        if in_seg(c) {
                            continue;
                        }
                        for c2 in [self.tour.next(c), self.tour.prev(c)] {
                            if in_seg(c2) {
                                continue;
                            }
                            let add = dc + self.d(other, c2) - self.d(c, c2);
                            if g_rem - add <= 0 {
                                continue;
                            }
                            // u comes first after nx in direction `fwd`.
                            let (u, v) = if self.tour.succ(c, fwd) == c2 {
                                (c, c2)
                            } else {
                                (c2, c)
                            };
                            if v == p {
                                continue;
                            }
                            let u_gets = if u == c { e } else { other };
                            self.tour.flip(p, s1, u, v);
                            if u != nx {
                                self.tour.flip(p, u, nx, s2);
                            }
                            if u_gets == s1 && s1 != s2 {
                                self.tour.flip(u, s2, s1, v);
                            }
                            self.len -= g_rem - add;
                            self.touched.clear();
                            self.touched.extend([p, nx, s1, s2, u, v]);
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// `x A B y` (A = a0..ae, B = b0..be) becomes `x B A y`: reverse A,
    /// reverse B, reverse both. Node-based flips, so it holds whichever side
    /// each flip actually reverses.
    fn swap_segments(&mut self, [x, a0, ae, b0, be, y]: [usize; 6]) {
        self.tour.flip(x, a0, ae, b0);
        self.tour.flip(a0, b0, be, y);
        self.tour.flip(x, ae, b0, y);
    }

    /// Segment-local double bridge: swap two short adjacent segments at a
    /// random place (three edges change; 2-opt and Or-opt cannot undo it
    /// in one step), then queue only the endpoints.
    fn kick(&mut self) {
        let n = self.tour.len();
        let max = ((n - 2) / 2).min(KICK_MAX);
        let i = self.rng.below(n);
        let l1 = 1 + self.rng.below(max);
        let l2 = 1 + self.rng.below(max);
        let at = |k: usize| (i + k) % n;
        let x = self.tour.at(at(0));
        let a0 = self.tour.at(at(1));
        let ae = self.tour.at(at(l1));
        let b0 = self.tour.at(at(l1 + 1));
        let be = self.tour.at(at(l1 + l2));
        let y = self.tour.at(at(l1 + l2 + 1));
        let delta = self.d(x, b0) + self.d(be, a0) + self.d(ae, y)
            - self.d(x, a0)
            - self.d(ae, b0)
            - self.d(be, y);
        self.swap_segments([x, a0, ae, b0, be, y]);
        self.len += delta;
        for v in [x, a0, ae, b0, be, y] {
            self.push(v);
        }
    }

    /// Iterated local search: kick, repair locally, keep if not longer.
    pub(crate) fn iterate(&mut self, max_kicks: u64, stop: &mut dyn FnMut() -> bool) {
        if self.tour.len() < 8 {
            return;
        }
        let mut kicks = 0u64;
        while kicks < max_kicks && !stop() {
            kicks += 1;
            let before = self.len;
            self.tour.begin();
            self.kick();
            let finished = self.descend(stop);
            // Equal is accepted: drifting across plateaus helps, and the
            // current tour is always the best one found.
            if self.len <= before {
                self.tour.commit();
            } else {
                self.tour.rollback();
                self.len = before;
            }
            if !finished {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cost, Neighbours, Search};

    struct Pts(Vec<(i64, i64)>);

    impl Cost for Pts {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn d(&self, a: usize, b: usize) -> i64 {
            let (p, q) = (self.0[a], self.0[b]);
            (((p.0 - q.0).pow(2) + (p.1 - q.1).pow(2)) as f64)
                .sqrt()
                .round() as i64
        }
    }

    fn tour_len(c: &Pts, order: &[usize]) -> i64 {
        (0..order.len())
            .map(|i| c.d(order[i], order[(i + 1) % order.len()]))
            .sum()
    }

    #[test]
    fn tracked_length_matches_the_tour_after_every_kind_of_move() {
        let mut x = 12345u64;
        let pts = (0..300)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((x >> 40) as i64 % 1000, (x >> 20) as i64 % 1000)
            })
            .collect();
        let c = Pts(pts);
        let neigh = Neighbours::build(&c, 300, 5, 8, &[]);
        let init: Vec<usize> = (0..300).collect();
        let mut s = Search::new(&c, &neigh, &init, 7);
        assert!(s.optimise_all(&mut || false));
        assert_eq!(s.len, tour_len(&c, &s.tour.order()), "after descent");
        s.iterate(3_000, &mut || false);
        let order = s.tour.order();
        assert_eq!(s.len, tour_len(&c, &order), "after kicks");
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, init, "still a permutation");
    }
}

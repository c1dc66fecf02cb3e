//! From a problem to an order: exact DP for tiny inputs, otherwise nearest
//! neighbour + local search + iterated kicks. Open paths become cycles with
//! one dummy node whose edges make every valid path cost the same constant.

use crate::search::{Cost, Neighbours, Search};

/// Up to this many stops the order is exact (Held–Karp, 2^(n-1)·n² steps).
const EXACT_MAX: usize = 12;
/// Above this many nodes costs are computed on the fly instead of stored.
const DENSE_MAX: usize = 2500;
/// Candidate neighbours per stop.
const NEIGHBOURS: usize = 5;
/// Extra candidates in other directions (see `Neighbours::build`).
const DIVERSE: usize = 8;

/// Where the path ends, in internal indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    Closed,
    Fixed(usize),
    Free,
}

/// Real (non-dummy) costs, as the caller defines them.
pub(crate) trait RealCost {
    fn len(&self) -> usize;
    fn d(&self, a: usize, b: usize) -> i64;
}

/// Real costs plus a dummy node `z = n` for open paths: d(z, start) = 0,
/// d(z, end) = 0 for a fixed end, `big` to everything else. `big` exceeds the
/// starting path length, so any tour not using z as the start/end joint is
/// longer than every tour the search can accept.
struct WithDummy<'a, R> {
    real: &'a R,
    start: usize,
    end: Option<usize>,
    big: i64,
}

impl<R: RealCost> Cost for WithDummy<'_, R> {
    fn len(&self) -> usize {
        self.real.len() + 1
    }

    #[inline]
    fn d(&self, a: usize, b: usize) -> i64 {
        let z = self.real.len();
        if a == z || b == z {
            let o = if a == z { b } else { a };
            if o == z || o == self.start || Some(o) == self.end {
                0
            } else {
                self.big
            }
        } else {
            self.real.d(a, b)
        }
    }
}

struct Plain<'a, R>(&'a R);

impl<R: RealCost> Cost for Plain<'_, R> {
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn d(&self, a: usize, b: usize) -> i64 {
        self.0.d(a, b)
    }
}

struct Dense {
    n: usize,
    m: Vec<i64>,
}

impl Dense {
    fn from<C: Cost>(c: &C) -> Self {
        let n = c.len();
        let mut m = vec![0i64; n * n];
        for i in 0..n {
            for j in i + 1..n {
                let v = c.d(i, j);
                m[i * n + j] = v;
                m[j * n + i] = v;
            }
        }
        Self { n, m }
    }
}

impl Cost for Dense {
    fn len(&self) -> usize {
        self.n
    }

    #[inline]
    fn d(&self, a: usize, b: usize) -> i64 {
        self.m[a * self.n + b]
    }
}

/// Length of an order under the given tail (the closing leg only if closed).
pub(crate) fn path_len<R: RealCost>(r: &R, order: &[usize], tail: Tail) -> i64 {
    let mut s: i64 = order.windows(2).map(|w| r.d(w[0], w[1])).sum();
    if tail == Tail::Closed && order.len() > 1 {
        s += r.d(order[order.len() - 1], order[0]);
    }
    s
}

/// Nearest neighbour from `start`; a fixed end is appended last.
pub(crate) fn nearest_neighbour<R: RealCost>(r: &R, start: usize, tail: Tail) -> Vec<usize> {
    let n = r.len();
    let mut used = vec![false; n];
    used[start] = true;
    let end = match tail {
        Tail::Fixed(e) => {
            used[e] = true;
            Some(e)
        }
        _ => None,
    };
    let mut order = Vec::with_capacity(n);
    order.push(start);
    let mut cur = start;
    let remaining = n - 1 - usize::from(end.is_some());
    for _ in 0..remaining {
        let mut best = usize::MAX;
        let mut best_d = i64::MAX;
        for (v, &u) in used.iter().enumerate() {
            if !u {
                let dv = r.d(cur, v);
                if dv < best_d {
                    best_d = dv;
                    best = v;
                }
            }
        }
        used[best] = true;
        order.push(best);
        cur = best;
    }
    order.extend(end);
    order
}

/// Exact order by dynamic programming over subsets (n ≤ EXACT_MAX).
fn exact<R: RealCost>(r: &R, start: usize, tail: Tail) -> Vec<usize> {
    let n = r.len();
    let fixed_end = match tail {
        Tail::Fixed(e) => Some(e),
        _ => None,
    };
    // The free nodes: everything except start and a fixed end.
    let nodes: Vec<usize> = (0..n)
        .filter(|&v| v != start && Some(v) != fixed_end)
        .collect();
    let m = nodes.len();
    if m == 0 {
        let mut o = vec![start];
        o.extend(fixed_end);
        return o;
    }
    let full = (1usize << m) - 1;
    let mut dp = vec![i64::MAX; (full + 1) * m];
    let mut from = vec![u8::MAX; (full + 1) * m];
    for j in 0..m {
        dp[(1 << j) * m + j] = r.d(start, nodes[j]);
    }
    for mask in 1..=full {
        for j in 0..m {
            let cur = dp[mask * m + j];
            if mask & (1 << j) == 0 || cur == i64::MAX {
                continue;
            }
            for k in 0..m {
                if mask & (1 << k) != 0 {
                    continue;
                }
                let nm = mask | (1 << k);
                let v = cur + r.d(nodes[j], nodes[k]);
                if v < dp[nm * m + k] {
                    dp[nm * m + k] = v;
                    from[nm * m + k] = j as u8;
                }
            }
        }
    }
    let close = |j: usize| match tail {
        Tail::Closed => r.d(nodes[j], start),
        Tail::Fixed(e) => r.d(nodes[j], e),
        Tail::Free => 0,
    };
    let mut last = 0;
    let mut best = i64::MAX;
    for j in 0..m {
        let v = dp[full * m + j] + close(j);
        if v < best {
            best = v;
            last = j;
        }
    }
    let mut rev = Vec::with_capacity(m);
    let mut mask = full;
    let mut j = last;
    loop {
        rev.push(nodes[j]);
        let pj = from[mask * m + j];
        mask &= !(1 << j);
        if pj == u8::MAX {
            break;
        }
        j = pj as usize;
    }
    let mut order = vec![start];
    order.extend(rev.into_iter().rev());
    order.extend(fixed_end);
    order
}

/// Budget and seed for one optimisation.
pub(crate) struct Effort<'s> {
    pub(crate) seed: u64,
    pub(crate) max_kicks: u64,
    pub(crate) stop: &'s mut dyn FnMut() -> bool,
}

/// Best order found: starts at `start`, ends at a fixed end, never longer
/// than `init` (or the nearest-neighbour order when `init` is None).
pub(crate) fn order<R: RealCost>(
    r: &R,
    start: usize,
    tail: Tail,
    init: Option<Vec<usize>>,
    effort: Effort<'_>,
) -> Vec<usize> {
    let n = r.len();
    if n <= 2 {
        let mut o = vec![start];
        o.extend((0..n).filter(|&v| v != start));
        return o;
    }
    if n <= EXACT_MAX {
        return exact(r, start, tail);
    }
    let init = init.unwrap_or_else(|| nearest_neighbour(r, start, tail));
    match tail {
        Tail::Closed => {
            let plain = Plain(r);
            let cyc = run(&plain, n, &init, effort);
            rotate_closed(&cyc, start).unwrap_or(init)
        }
        Tail::Fixed(_) | Tail::Free => {
            let big = path_len(r, &init, tail).max(0) + 1;
            let end = match tail {
                Tail::Fixed(e) => Some(e),
                _ => None,
            };
            let wd = WithDummy {
                real: r,
                start,
                end,
                big,
            };
            let mut cyc_init = init.clone();
            cyc_init.push(n);
            let cyc = run(&wd, n, &cyc_init, effort);
            unroll_open(&cyc, n, start, end).unwrap_or(init)
        }
    }
}

fn run<C: Cost>(c: &C, real: usize, init: &[usize], effort: Effort<'_>) -> Vec<usize> {
    let extra: Vec<Vec<usize>> = vec![vec![]; c.len() - real];
    if c.len() <= DENSE_MAX {
        let dense = Dense::from(c);
        search(&dense, real, init, &extra, effort)
    } else {
        search(c, real, init, &extra, effort)
    }
}

fn search<C: Cost>(
    c: &C,
    real: usize,
    init: &[usize],
    extra: &[Vec<usize>],
    effort: Effort<'_>,
) -> Vec<usize> {
    let neigh = Neighbours::build(c, real, NEIGHBOURS, DIVERSE, extra);
    let mut s = Search::new(c, &neigh, init, effort.seed);
    if s.optimise_all(effort.stop) {
        s.iterate(effort.max_kicks, effort.stop);
    }
    s.tour.order()
}

fn rotate_closed(cyc: &[usize], start: usize) -> Option<Vec<usize>> {
    let k = cyc.iter().position(|&v| v == start)?;
    Some(cyc[k..].iter().chain(&cyc[..k]).copied().collect())
}

/// Cut the cycle at the dummy `z`: start must sit next to it, the path runs
/// away from z, and a fixed end must sit on z's other side.
fn unroll_open(cyc: &[usize], z: usize, start: usize, end: Option<usize>) -> Option<Vec<usize>> {
    let m = cyc.len();
    let k = cyc.iter().position(|&v| v == z)?;
    let seq: Vec<usize> = if cyc[(k + 1) % m] == start {
        (1..m).map(|i| cyc[(k + i) % m]).collect()
    } else if cyc[(k + m - 1) % m] == start {
        (1..m).map(|i| cyc[(k + m - i) % m]).collect()
    } else {
        return None;
    };
    match end {
        Some(e) if seq.last() != Some(&e) => None,
        _ => Some(seq),
    }
}

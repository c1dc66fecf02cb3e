//! Array tour with a position index, 2-opt flips that reverse the shorter
//! side, and a log of reversals so a rejected kick is rolled back by
//! replaying them backwards (a reversal is its own inverse), in time
//! proportional to what it changed, not to n.

#[derive(Debug, Clone)]
pub(crate) struct Tour {
    t: Vec<u32>,
    pos: Vec<u32>,
    log: Vec<(u32, u32)>,
    recording: bool,
}

impl Tour {
    pub(crate) fn new(order: &[usize]) -> Self {
        let mut pos = vec![0u32; order.len()];
        for (i, &v) in order.iter().enumerate() {
            pos[v] = i as u32;
        }
        Self {
            t: order.iter().map(|&v| v as u32).collect(),
            pos,
            log: Vec::new(),
            recording: false,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.t.len()
    }

    #[inline]
    pub(crate) fn at(&self, i: usize) -> usize {
        self.t[i] as usize
    }

    #[inline]
    pub(crate) fn pos(&self, v: usize) -> usize {
        self.pos[v] as usize
    }

    #[inline]
    pub(crate) fn next(&self, v: usize) -> usize {
        let p = self.pos[v] as usize + 1;
        self.t[if p == self.t.len() { 0 } else { p }] as usize
    }

    #[inline]
    pub(crate) fn prev(&self, v: usize) -> usize {
        let p = self.pos[v] as usize;
        self.t[if p == 0 { self.t.len() - 1 } else { p - 1 }] as usize
    }

    /// Successor in the given direction.
    #[inline]
    pub(crate) fn succ(&self, v: usize, fwd: bool) -> usize {
        if fwd { self.next(v) } else { self.prev(v) }
    }

    /// Reverse the cyclic run of positions `i..=j` (forward from i). Reversing
    /// the complement gives the same cycle, so the shorter side is reversed.
    pub(crate) fn reverse_positions(&mut self, i: usize, j: usize) {
        if self.recording {
            self.log.push((i as u32, j as u32));
        }
        self.reverse_raw(i, j);
    }

    fn reverse_raw(&mut self, i: usize, j: usize) {
        let n = self.t.len();
        let mut len = if j >= i { j - i + 1 } else { j + n - i + 1 };
        let (mut a, mut b) = (i, j);
        if 2 * len > n {
            a = if j + 1 == n { 0 } else { j + 1 };
            b = if i == 0 { n - 1 } else { i - 1 };
            len = n - len;
        }
        for _ in 0..len / 2 {
            let (va, vb) = (self.t[a], self.t[b]);
            self.t[a] = vb;
            self.t[b] = va;
            self.pos[vb as usize] = a as u32;
            self.pos[va as usize] = b as u32;
            a = if a + 1 == n { 0 } else { a + 1 };
            b = if b == 0 { n - 1 } else { b - 1 };
        }
    }

    /// 2-opt move: the tour runs `a b ... c d` (in one direction); replace
    /// edges (a,b), (c,d) by (a,c), (b,d).
    #[inline]
    pub(crate) fn flip(&mut self, a: usize, b: usize, c: usize, d: usize) {
        debug_assert!(self.next(a) == b || self.prev(a) == b);
        debug_assert!(self.next(c) == d || self.prev(c) == d);
        if self.next(a) == b {
            self.reverse_positions(self.pos(b), self.pos(c));
        } else {
            self.reverse_positions(self.pos(c), self.pos(b));
        }
    }

    /// Elements `flip(a, b, c, d)` would move (the shorter side).
    #[inline]
    pub(crate) fn flip_len(&self, a: usize, b: usize, c: usize) -> usize {
        let n = self.t.len();
        let (i, j) = if self.next(a) == b {
            (self.pos(b), self.pos(c))
        } else {
            (self.pos(c), self.pos(b))
        };
        let len = if j >= i { j - i + 1 } else { j + n - i + 1 };
        len.min(n - len)
    }

    /// Undo the last flip: `flip(a, c, b, d)` after `flip(a, b, c, d)`.
    /// While recording this pops the logged reversal instead of adding one.
    pub(crate) fn unflip(&mut self, a: usize, c: usize, b: usize, d: usize) {
        match self.log.pop() {
            Some((i, j)) if self.recording => self.reverse_raw(i as usize, j as usize),
            _ => self.flip(a, c, b, d),
        }
    }

    pub(crate) fn begin(&mut self) {
        self.log.clear();
        self.recording = true;
    }

    pub(crate) fn commit(&mut self) {
        self.log.clear();
        self.recording = false;
    }

    pub(crate) fn rollback(&mut self) {
        while let Some((i, j)) = self.log.pop() {
            self.reverse_raw(i as usize, j as usize);
        }
        self.recording = false;
    }

    pub(crate) fn order(&self) -> Vec<usize> {
        self.t.iter().map(|&v| v as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Tour;

    fn is_cycle_of(t: &Tour, n: usize) -> bool {
        let mut seen = vec![false; n];
        let mut v = t.at(0);
        for _ in 0..n {
            if seen[v] || t.at(t.pos(v)) != v {
                return false;
            }
            seen[v] = true;
            v = t.next(v);
        }
        seen.iter().all(|&s| s)
    }

    #[test]
    fn flip_replaces_exactly_two_edges_either_orientation() {
        let mut t = Tour::new(&(0..10).collect::<Vec<_>>());
        t.flip(2, 3, 7, 8);
        assert!(t.next(2) == 7 || t.prev(2) == 7);
        assert!(t.next(3) == 8 || t.prev(3) == 8);
        assert!(is_cycle_of(&t, 10));
        // A flip across the wrap-around reverses the shorter side.
        t.flip(9, 0, 1, 2);
        assert!(is_cycle_of(&t, 10));
    }

    #[test]
    fn rollback_restores_order_and_positions() {
        let mut t = Tour::new(&(0..12).collect::<Vec<_>>());
        t.flip(0, 1, 5, 6);
        let before = t.order();
        t.begin();
        t.flip(2, 3, 9, 10);
        t.reverse_positions(10, 3);
        t.flip(4, 5, 7, 8);
        t.unflip(4, 7, 5, 8);
        t.reverse_positions(1, 2);
        t.rollback();
        assert_eq!(t.order(), before);
        for (i, &v) in before.iter().enumerate() {
            assert_eq!(t.pos(v), i);
        }
    }
}

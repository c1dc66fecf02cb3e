//! Which units touch: the graph a territory must be connected in.

use std::collections::BTreeMap;

use spade::{DelaunayTriangulation, Point2, Triangulation};

use crate::Place;

/// For each unit, the units next to it (sorted, no repeats, never itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbours(Vec<Vec<usize>>);

impl Neighbours {
    /// Units next to each other when their centroids share an edge of the Delaunay
    /// triangulation: the units whose areas (their Voronoi cells) touch. Units at the same
    /// place (many urban ZIP codes share one centroid) touch each other and all that
    /// place's neighbours. Invalid places (see [`Place::is_valid`]) touch nothing.
    pub fn delaunay(places: &[Place]) -> Neighbours {
        let mut at_place: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
        for (i, p) in places.iter().enumerate() {
            if p.is_valid() {
                at_place
                    .entry((p.lat.to_bits(), p.lon.to_bits()))
                    .or_default()
                    .push(i);
            }
        }
        let groups: Vec<Vec<usize>> = at_place.into_values().collect();
        let mut lists = vec![Vec::new(); places.len()];
        for g in &groups {
            for &a in g {
                lists[a].extend(g.iter().copied().filter(|&b| b != a));
            }
        }
        // One vertex per distinct place, inserted in the groups' order: vertex k is
        // groups[k] (spade numbers vertices in insertion order).
        let mut t: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
        let mut vertex_group = Vec::with_capacity(groups.len());
        for (k, g) in groups.iter().enumerate() {
            let p = places[g[0]];
            if let Ok(v) = t.insert(Point2::new(p.lon, p.lat)) {
                debug_assert_eq!(v.index(), vertex_group.len());
                vertex_group.push(k);
            }
        }
        for e in t.undirected_edges() {
            let [a, b] = e.vertices().map(|v| vertex_group[v.fix().index()]);
            for &x in &groups[a] {
                lists[x].extend(groups[b].iter().copied());
            }
            for &y in &groups[b] {
                lists[y].extend(groups[a].iter().copied());
            }
        }
        Neighbours::from_lists(lists)
    }

    /// From lists given by the caller (e.g. units that share a boundary in imported
    /// shapes): made symmetric, self-loops and repeats and out-of-range indices dropped.
    pub fn from_lists(mut lists: Vec<Vec<usize>>) -> Neighbours {
        let n = lists.len();
        let pairs: Vec<(usize, usize)> = lists
            .iter()
            .enumerate()
            .flat_map(|(a, l)| l.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a != b && b < n)
            .collect();
        for l in &mut lists {
            l.clear();
        }
        for (a, b) in pairs {
            lists[a].push(b);
            lists[b].push(a);
        }
        for l in &mut lists {
            l.sort_unstable();
            l.dedup();
        }
        Neighbours(lists)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The units next to `unit`.
    pub fn of(&self, unit: usize) -> &[usize] {
        &self.0[unit]
    }

    /// The connected groups of `members` (units for which `member` holds), moving only
    /// between members: each group's units in ascending order, groups by first unit.
    pub fn components(&self, member: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
        let mut seen = vec![false; self.0.len()];
        let mut out = Vec::new();
        for start in 0..self.0.len() {
            if seen[start] || !member(start) {
                continue;
            }
            seen[start] = true;
            let mut group = vec![start];
            let mut next = 0;
            while next < group.len() {
                let u = group[next];
                next += 1;
                for &v in &self.0[u] {
                    if !seen[v] && member(v) {
                        seen[v] = true;
                        group.push(v);
                    }
                }
            }
            group.sort_unstable();
            out.push(group);
        }
        out
    }
}

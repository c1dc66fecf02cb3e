//! A territory drawn from its units: each unit (a postal code, at its centroid) owns the
//! land nearer to it than to any other unit — its Voronoi cell — and a territory's area is
//! the union of its units' cells.

use std::collections::BTreeMap;

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon, unary_union};
use spade::{DelaunayTriangulation, Point2, Triangulation};

use crate::Place;

/// Units further apart than this never share a border (unless the typical distance
/// between neighbouring units is larger: see [`unit_areas`]).
pub const MIN_GAP_KM: f64 = 50.0;

/// Corners of the margin drawn around each unit (see [`unit_areas`]): round enough at
/// the scale it is seen, few enough that 50,000 accounts draw quickly.
const MARGIN_CORNERS: usize = 12;

/// One piece of a territory's area: its outline and the holes in it (land of other
/// territories inside), each a ring of places with the first not repeated at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub territory: usize,
    pub outline: Vec<Place>,
    pub holes: Vec<Vec<Place>>,
}

/// The areas of `territories` territories made of `units` (a unit's centroid and its
/// territory's index). Each unit's cell is the land nearer to it than to any other unit,
/// within the land the units cover: the Delaunay triangles between them whose sides are
/// all within the gap (four times the median distance between neighbouring units, at
/// least [`MIN_GAP_KM`]), and a margin of that median around each unit. So units
/// further apart than the gap do not share land, and a territory with accounts in two
/// cities is drawn as two pieces, not one sliver across the land between. Units at one
/// place (urban ZIP
/// codes often share a centroid) share one cell, given to the territory most of them are
/// in (on a tie, the lowest index). Invalid places and territory indices out of range are
/// left out. Pieces come ordered by territory.
pub fn unit_areas(units: &[(Place, usize)], territories: usize) -> Vec<Piece> {
    // One site per distinct place, with its units counted by territory.
    let mut sites: BTreeMap<(u64, u64), (Place, BTreeMap<usize, usize>)> = BTreeMap::new();
    for &(p, t) in units {
        if p.is_valid() && t < territories {
            *sites
                .entry((p.lat.to_bits(), p.lon.to_bits()))
                .or_insert((p, BTreeMap::new()))
                .1
                .entry(t)
                .or_default() += 1;
        }
    }
    let sites: Vec<(Place, usize)> = sites
        .into_values()
        .map(|(p, counts)| {
            let owner = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or(0, |(t, _)| *t);
            (p, owner)
        })
        .collect();
    if sites.is_empty() {
        return Vec::new();
    }
    let flat = Flat::around(sites.iter().map(|s| s.0));
    let xy: Vec<(f64, f64)> = sites.iter().map(|s| flat.to_km(s.0)).collect();
    let (neighbours, triangles, hull) = delaunay(&xy);
    let mut lengths: Vec<f64> = neighbours
        .iter()
        .enumerate()
        .flat_map(|(a, list)| list.iter().filter(move |&&b| b > a).map(move |&b| (a, b)))
        .map(|(a, b)| distance(xy[a], xy[b]))
        .collect();
    lengths.sort_by(f64::total_cmp);
    let median = lengths.get(lengths.len() / 2).copied().unwrap_or(0.0);
    let gap = (4.0 * median).max(MIN_GAP_KM);
    let margin = median.max(1.0);
    let polygon = |corners: &[(f64, f64)]| {
        let ring: Vec<Coord<f64>> = corners.iter().map(|&(x, y)| Coord { x, y }).collect();
        Polygon::new(LineString::new(ring), Vec::new())
    };
    // The covered land: the hull of the units less the triangles with a side beyond the
    // gap, and a margin around each unit on its edge (a corner of the hull or of a long
    // triangle, or in no triangle). Built that way rather than as the union of every
    // triangle and margin, which costs far more (a second for 20,000 units).
    let long = |t: &[usize; 3]| (0..3).any(|k| distance(xy[t[k]], xy[t[(k + 1) % 3]]) > gap);
    let mut edge = vec![triangles.is_empty(); xy.len()];
    for t in triangles.iter().filter(|t| long(t)) {
        for &k in t {
            edge[k] = true;
        }
    }
    for &k in &hull {
        edge[k] = true;
    }
    let hull = polygon(&hull.iter().map(|&k| xy[k]).collect::<Vec<_>>());
    let gaps: MultiPolygon<f64> = triangles
        .iter()
        .filter(|t| long(t))
        .map(|t| polygon(&t.map(|k| xy[k])))
        .collect();
    let margins: Vec<Polygon<f64>> = xy
        .iter()
        .zip(&edge)
        .filter(|(_, e)| **e)
        .map(|(&c, _)| polygon(&disc(c, margin, MARGIN_CORNERS)))
        .chain(hull.difference(&gaps))
        .collect();
    let covered: MultiPolygon<f64> = unary_union(&margins);

    let mut cells: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); territories];
    for (i, &(_, t)) in sites.iter().enumerate() {
        // Covered land in this cell is within the gap of this unit (it is within the gap
        // of some unit, and this one is the nearest), so an octagon around that disc is
        // room enough; `covered` then trims it.
        let mut cell = disc(xy[i], gap / (std::f64::consts::PI / 8.0).cos(), 8);
        for &j in &neighbours[i] {
            cell = nearer_half(&cell, xy[i], xy[j]);
        }
        if cell.len() >= 3 {
            cells[t].push(polygon(&cell));
        }
    }
    let ring = |line: &LineString<f64>| -> Vec<Place> {
        let mut out: Vec<Place> = line.coords().map(|c| flat.to_place(c.x, c.y)).collect();
        if out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        out
    };
    cells
        .iter()
        .enumerate()
        .filter(|(_, polys)| !polys.is_empty())
        .flat_map(|(t, polys)| {
            unary_union(polys)
                .intersection(&covered)
                .into_iter()
                .map(|p| Piece {
                    territory: t,
                    outline: ring(p.exterior()),
                    holes: p.interiors().iter().map(ring).collect(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Degrees to kilometres and back on a plane centred on the places' mean latitude (as
/// [`crate::plane`] does), so cells are cut by true bisectors.
struct Flat {
    kx: f64,
}

const KM_PER_DEGREE_LAT: f64 = 110.57;

impl Flat {
    fn around(places: impl Iterator<Item = Place>) -> Flat {
        let (mut sum, mut n) = (0.0, 0.0);
        for p in places {
            sum += p.lat;
            n += 1.0;
        }
        let lat0 = if n > 0.0 { sum / n } else { 0.0 };
        // Not zero even at a pole, so every point maps back.
        Flat {
            kx: (111.32 * lat0.to_radians().cos()).max(1e-6),
        }
    }

    fn to_km(&self, p: Place) -> (f64, f64) {
        (p.lon * self.kx, p.lat * KM_PER_DEGREE_LAT)
    }

    fn to_place(&self, x: f64, y: f64) -> Place {
        Place::new(y / KM_PER_DEGREE_LAT, x / self.kx)
    }
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// For each site, the sites it shares a Delaunay edge with (in the plane given): the ones
/// whose bisectors bound its Voronoi cell; the triangles, as sites; and the convex hull's
/// corners in order (none when there is no triangle).
type Triangulated = (Vec<Vec<usize>>, Vec<[usize; 3]>, Vec<usize>);

fn delaunay(xy: &[(f64, f64)]) -> Triangulated {
    let mut t: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut index_of_vertex = Vec::with_capacity(xy.len());
    for (i, &(x, y)) in xy.iter().enumerate() {
        if let Ok(v) = t.insert(Point2::new(x, y))
            && v.index() == index_of_vertex.len()
        {
            index_of_vertex.push(i);
        }
    }
    let mut lists = vec![Vec::new(); xy.len()];
    for e in t.undirected_edges() {
        let [a, b] = e.vertices().map(|v| index_of_vertex[v.fix().index()]);
        lists[a].push(b);
        lists[b].push(a);
    }
    let triangles = t
        .inner_faces()
        .map(|f| f.vertices().map(|v| index_of_vertex[v.fix().index()]))
        .collect::<Vec<_>>();
    let hull = if triangles.is_empty() {
        Vec::new()
    } else {
        t.convex_hull()
            .map(|e| index_of_vertex[e.from().fix().index()])
            .collect()
    };
    (lists, triangles, hull)
}

/// A regular polygon of `corners` corners at distance `r` around `c`, counter-clockwise.
fn disc(c: (f64, f64), r: f64, corners: usize) -> Vec<(f64, f64)> {
    (0..corners)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / corners as f64;
            (c.0 + r * a.cos(), c.1 + r * a.sin())
        })
        .collect()
}

/// The part of convex polygon `poly` nearer to `p` than to `q` (one step of
/// Sutherland–Hodgman clipping, by the bisector of `p` and `q`).
fn nearer_half(poly: &[(f64, f64)], p: (f64, f64), q: (f64, f64)) -> Vec<(f64, f64)> {
    let n = (q.0 - p.0, q.1 - p.1);
    let m = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
    // Negative on p's side of the bisector.
    let side = |v: (f64, f64)| (v.0 - m.0) * n.0 + (v.1 - m.1) * n.1;
    let mut out = Vec::with_capacity(poly.len() + 1);
    for (k, &a) in poly.iter().enumerate() {
        let b = poly[(k + 1) % poly.len()];
        let (sa, sb) = (side(a), side(b));
        if sa <= 0.0 {
            out.push(a);
        }
        if (sa < 0.0 && sb > 0.0) || (sa > 0.0 && sb < 0.0) {
            let t = sa / (sa - sb);
            out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
        }
    }
    out
}

/// The areas of territories where some units have a real boundary (a postal code's
/// polygon imported by an administrator; x = longitude, y = latitude): each territory
/// takes the union of its units' boundaries, and the units without one are drawn as cells
/// (see [`unit_areas`]) trimmed off the land the boundaries cover, so a real line always
/// wins over a drawn one. Shapes of a territory index out of range are left out. Pieces
/// come ordered by territory.
pub fn areas_with_boundaries(
    units: &[(Place, usize)],
    shapes: &[(MultiPolygon<f64>, usize)],
    territories: usize,
) -> Vec<Piece> {
    let cells = unit_areas(units, territories);
    let mut by: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); territories];
    for (shape, t) in shapes {
        if let Some(list) = by.get_mut(*t) {
            list.extend(shape.0.iter().filter(|p| valid(p)).cloned());
        }
    }
    if by.iter().all(Vec::is_empty) {
        return cells;
    }
    let ring = |line: &LineString<f64>| -> Vec<Place> {
        let mut out: Vec<Place> = line.coords().map(|c| Place::new(c.y, c.x)).collect();
        if out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        out
    };
    let piece = |t: usize, p: &Polygon<f64>| Piece {
        territory: t,
        outline: ring(p.exterior()),
        holes: p.interiors().iter().map(ring).collect(),
    };
    let all: Vec<Polygon<f64>> = by.iter().flatten().cloned().collect();
    let taken = unary_union(&all);
    let degrees =
        |r: &[Place]| LineString::new(r.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect());
    let mut out: Vec<Piece> = Vec::new();
    for c in &cells {
        let polygon = Polygon::new(
            degrees(&c.outline),
            c.holes.iter().map(|h| degrees(h)).collect(),
        );
        out.extend(
            polygon
                .difference(&taken)
                .iter()
                .map(|p| piece(c.territory, p)),
        );
    }
    for (t, polys) in by.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        out.extend(unary_union(polys).iter().map(|p| piece(t, p)));
    }
    out.sort_by_key(|p| p.territory);
    out
}

/// Whether a polygon's corners are all places on Earth and it has an area to draw.
fn valid(p: &Polygon<f64>) -> bool {
    p.exterior().0.len() >= 4
        && p.exterior()
            .coords()
            .chain(p.interiors().iter().flat_map(|r| r.coords()))
            .all(|c| Place::new(c.y, c.x).is_valid())
}

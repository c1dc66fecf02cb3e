//! The route map: Web-Mercator projection fitted to the stops, drawn as SVG. Online it
//! lays OpenStreetMap tiles under the pins; offline the pins and the line still draw.

use leptos::prelude::*;
use rounds_core::LatLon;
use rounds_protocol::ipc::DayRoute;

use crate::words;

/// The SVG's own units; CSS scales it to the screen.
const W: f64 = 640.0;
const H: f64 = 420.0;
const TILE: f64 = 256.0;
/// Share of the view left around the stops, so pins at the edge are whole.
const PAD: f64 = 0.12;
/// The widest view, in tiles: from ~2 to this many tiles across.
const MAX_TILES: f64 = 4.0;
const MIN_ZOOM: i32 = 2;
const MAX_ZOOM: i32 = 16;
/// Web Mercator stops at about ±85.05°.
const MAX_LAT: f64 = 85.051_128_78;

/// Where `p` sits on the whole-world square, 0..1 on each axis.
fn unit(p: &LatLon) -> (f64, f64) {
    let x = (p.lon() + 180.0) / 360.0;
    let lat = p.lat().clamp(-MAX_LAT, MAX_LAT).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// A zoom level and the window onto the world it shows, in pixels at that zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub zoom: i32,
    x0: f64,
    y0: f64,
    /// Width of the window in world pixels.
    span: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub url: String,
    pub x: f64,
    pub y: f64,
    pub size: f64,
}

impl Viewport {
    /// Fits all points with padding; `None` without points.
    pub fn fit(points: &[LatLon]) -> Option<Self> {
        let units: Vec<(f64, f64)> = points.iter().map(unit).collect();
        let first = units.first()?;
        let (mut x_min, mut x_max, mut y_min, mut y_max) = (first.0, first.0, first.1, first.1);
        for &(x, y) in &units {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        // The box's width once its height is stretched to the view's shape.
        let needed = (x_max - x_min).max((y_max - y_min) * W / H) / (1.0 - 2.0 * PAD);
        let zoom = if needed > 0.0 {
            ((MAX_TILES / needed).log2().floor() as i32).clamp(MIN_ZOOM, MAX_ZOOM)
        } else {
            MAX_ZOOM
        };
        let world = TILE * f64::from(1u32 << zoom);
        let span = (needed * world).max(2.0 * TILE);
        let (cx, cy) = ((x_min + x_max) / 2.0 * world, (y_min + y_max) / 2.0 * world);
        Some(Self {
            zoom,
            x0: cx - span / 2.0,
            y0: cy - span * H / W / 2.0,
            span,
        })
    }

    fn scale(&self) -> f64 {
        W / self.span
    }

    /// A point in SVG units.
    pub fn project(&self, p: &LatLon) -> (f64, f64) {
        let world = TILE * f64::from(1u32 << self.zoom);
        let (x, y) = unit(p);
        (
            (x * world - self.x0) * self.scale(),
            (y * world - self.y0) * self.scale(),
        )
    }

    /// The OpenStreetMap tiles covering the view.
    pub fn tiles(&self) -> Vec<Tile> {
        let n = 1i64 << self.zoom;
        let k = self.scale();
        let span_y = self.span * H / W;
        let (tx0, tx1) = (
            (self.x0 / TILE).floor() as i64,
            ((self.x0 + self.span) / TILE).floor() as i64,
        );
        let (ty0, ty1) = (
            ((self.y0 / TILE).floor() as i64).max(0),
            (((self.y0 + span_y) / TILE).floor() as i64).min(n - 1),
        );
        let mut tiles = Vec::new();
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                tiles.push(Tile {
                    url: format!(
                        "https://tile.openstreetmap.org/{}/{}/{}.png",
                        self.zoom,
                        tx.rem_euclid(n),
                        ty
                    ),
                    x: (tx as f64 * TILE - self.x0) * k,
                    y: (ty as f64 * TILE - self.y0) * k,
                    // A hair over, so no seams show between tiles.
                    size: TILE * k + 0.5,
                });
            }
        }
        tiles
    }
}

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// Tiles start invisible and show once loaded: with no network (or a captive portal) a
/// failed tile would otherwise draw as a broken-image icon over the map.
fn show_tile(ev: leptos::ev::Event) {
    use wasm_bindgen::JsCast as _;
    if let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    {
        let _ = el.set_attribute("class", "loaded");
    }
}

/// The route drawn: tiles when online, the line, home and numbered stops.
#[component]
pub fn RouteMap(route: DayRoute, online: bool) -> impl IntoView {
    let mut points: Vec<LatLon> = route.stops.iter().map(|s| s.location).collect();
    if let Some(start) = &route.start {
        points.push(start.location);
    }
    let Some(view) = Viewport::fit(&points) else {
        return ().into_any();
    };
    let home = route.start.as_ref().map(|s| view.project(&s.location));
    let stops: Vec<(f64, f64)> = route
        .stops
        .iter()
        .map(|s| view.project(&s.location))
        .collect();

    let mut line: Vec<(f64, f64)> = home.into_iter().chain(stops.iter().copied()).collect();
    if let Some(h) = home
        && route.return_leg_m > 0
    {
        line.push(h);
    }
    let line = line
        .iter()
        .map(|(x, y)| format!("{},{}", f1(*x), f1(*y)))
        .collect::<Vec<_>>()
        .join(" ");

    let tiles = if online { view.tiles() } else { Vec::new() };
    let tiles = tiles
        .into_iter()
        .map(|t| {
            view! {
                <image
                    href=t.url
                    x=f1(t.x)
                    y=f1(t.y)
                    width=f1(t.size)
                    height=f1(t.size)
                    preserveAspectRatio="none"
                    on:load=show_tile
                ></image>
            }
        })
        .collect_view();

    let home = home.map(|(x, y)| {
        let label = route
            .start
            .as_ref()
            .map(|s| s.label.clone())
            .unwrap_or_default();
        view! {
            <g class="home" transform=format!("translate({},{})", f1(x), f1(y)) aria-label=label>
                <circle r="15"></circle>
                <path d="M-8 1 L0 -7 L8 1 L5.5 1 L5.5 8 L-5.5 8 L-5.5 1 Z"></path>
            </g>
        }
    });

    // Drawn last stop first, so lower numbers sit on top where pins overlap.
    let pins = route
        .stops
        .iter()
        .zip(&stops)
        .enumerate()
        .rev()
        .map(|(i, (stop, (x, y)))| {
            let class = format!("pin {}", words::status_class(stop.status));
            view! {
                <g class=class transform=format!("translate({},{})", f1(*x), f1(*y)) aria-label=stop.name.clone()>
                    <circle r="13"></circle>
                    <text text-anchor="middle" dy="4.5">{(i + 1).to_string()}</text>
                </g>
            }
        })
        .collect_view();

    view! {
        <div class="map-wrap">
            <svg
                class="route-map"
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label="Map of today's route"
                data-zoom=view.zoom.to_string()
            >
                <rect class="map-bg" width=W.to_string() height=H.to_string()></rect>
                <g class="tiles">{tiles}</g>
                <polyline class="route-line" points=line></polyline>
                {home}
                {pins}
            </svg>
            {online
                .then(|| {
                    view! { <p class="map-attribution">"© OpenStreetMap contributors"</p> }
                })}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon::new(lat, lon).unwrap()
    }

    #[test]
    fn a_metro_spans_two_to_four_tiles() {
        let v = Viewport::fit(&[p(40.70, -74.02), p(40.80, -73.93), p(40.75, -73.98)]).unwrap();
        let across = v.span / TILE;
        assert!(
            (2.0..=4.0).contains(&across),
            "{across} tiles at z{}",
            v.zoom
        );
        for pt in [p(40.70, -74.02), p(40.80, -73.93)] {
            let (x, y) = v.project(&pt);
            assert!((0.0..=W).contains(&x) && (0.0..=H).contains(&y));
        }
    }

    #[test]
    fn one_point_is_centred() {
        let v = Viewport::fit(&[p(51.5, -0.12)]).unwrap();
        let (x, y) = v.project(&p(51.5, -0.12));
        assert!((x - W / 2.0).abs() < 0.01 && (y - H / 2.0).abs() < 0.01);
        assert_eq!(v.zoom, MAX_ZOOM);
    }
}

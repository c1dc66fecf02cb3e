//! The route map: Web-Mercator projection fitted to the stops, drawn as SVG. Online it
//! lays OpenStreetMap tiles under the pins; offline the pins and the line still draw.

use leptos::prelude::*;
use rounds_core::LatLon;
use rounds_protocol::ipc::{DayRoute, MapPin};

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

    /// A view at `zoom`, about two and a half tiles across, centred on `c`.
    pub fn centred(c: &LatLon, zoom: i32) -> Self {
        let zoom = zoom.clamp(MIN_ZOOM, MAX_ZOOM);
        let world = TILE * f64::from(1u32 << zoom);
        let (x, y) = unit(c);
        let span = 2.5 * TILE;
        Self {
            zoom,
            x0: x * world - span / 2.0,
            y0: y * world - span * H / W / 2.0,
            span,
        }
    }

    /// The same centre, `by` zoom levels in (or out, when negative).
    pub fn zoomed(&self, by: i32) -> Self {
        match self.unproject(W / 2.0, H / 2.0) {
            Some(c) => Self::centred(&c, self.zoom + by),
            None => *self,
        }
    }

    /// The place under a point in SVG units (the inverse of [`Viewport::project`]).
    pub fn unproject(&self, x: f64, y: f64) -> Option<LatLon> {
        let world = TILE * f64::from(1u32 << self.zoom);
        let ux = (x / self.scale() + self.x0) / world;
        let uy = (y / self.scale() + self.y0) / world;
        let lon = (ux * 360.0).rem_euclid(360.0) - 180.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * uy))
            .sinh()
            .atan()
            .to_degrees();
        LatLon::new(lat.clamp(-MAX_LAT, MAX_LAT), lon).ok()
    }

    fn scale(&self) -> f64 {
        W / self.span
    }

    /// How far a tap at `p` may be off: a finger covers about a dozen SVG units.
    pub fn tap_accuracy_m(&self, p: &LatLon) -> f64 {
        const EARTH_M: f64 = 40_075_016.686;
        const FINGER_UNITS: f64 = 12.0;
        let world = TILE * f64::from(1u32 << self.zoom);
        let per_world_px = EARTH_M * p.lat().to_radians().cos() / world;
        (per_world_px * FINGER_UNITS / self.scale()).max(1.0)
    }

    /// A point in SVG units.
    pub fn project(&self, p: &LatLon) -> (f64, f64) {
        let world = TILE * f64::from(1u32 << self.zoom);
        let (x, y) = unit(p);
        // The copy of the world nearest the view: a view across the antimeridian shows
        // 179.9° E and 179.9° W side by side.
        let centre = self.x0 + self.span / 2.0;
        let mut wx = x * world;
        if wx - centre > world / 2.0 {
            wx -= world;
        } else if centre - wx > world / 2.0 {
            wx += world;
        }
        (
            (wx - self.x0) * self.scale(),
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

/// A numbered stop of a drawn route: where, what it is called, its pin's CSS class.
#[derive(Debug, Clone, PartialEq)]
pub struct MapStop {
    pub at: LatLon,
    pub name: String,
    pub class: &'static str,
}

/// Today's route drawn: tiles when online, the line, home and numbered stops.
#[component]
pub fn RouteMap(route: DayRoute, online: bool) -> impl IntoView {
    let stops = route
        .stops
        .iter()
        .map(|s| MapStop {
            at: s.location,
            name: s.name.clone(),
            class: words::status_class(s.status),
        })
        .collect();
    let end = match (&route.end, &route.start) {
        (Some(e), _) => Some((e.location, e.label.clone())),
        (None, Some(s)) if route.return_leg_m > 0 => Some((s.location, s.label.clone())),
        _ => None,
    };
    let home = route.start.map(|s| (s.location, s.label));
    view! {
        <PathMap stops=stops home=home end=end
            label="Map of today's route" online=online />
    }
}

/// A day's stops in order, drawn: tiles when online, the line from where the day
/// starts to where it ends (home, or a hotel on a trip), those places and the numbered
/// stops. Offline the pins and the line still draw.
#[component]
pub fn PathMap(
    stops: Vec<MapStop>,
    home: Option<(LatLon, String)>,
    end: Option<(LatLon, String)>,
    label: &'static str,
    online: bool,
) -> impl IntoView {
    let mut points: Vec<LatLon> = stops.iter().map(|s| s.at).collect();
    for (at, _) in home.iter().chain(&end) {
        points.push(*at);
    }
    let Some(view) = Viewport::fit(&points) else {
        return ().into_any();
    };
    let home_xy = home.as_ref().map(|(at, _)| view.project(at));
    let xy: Vec<(f64, f64)> = stops.iter().map(|s| view.project(&s.at)).collect();

    let end_xy = end.as_ref().map(|(at, _)| view.project(at));
    let mut line: Vec<(f64, f64)> = home_xy.into_iter().chain(xy.iter().copied()).collect();
    line.extend(end_xy);
    let line = line
        .iter()
        .map(|(x, y)| format!("{},{}", f1(*x), f1(*y)))
        .collect::<Vec<_>>()
        .join(" ");

    let tiles = tile_images(&view, online);

    let place = |xy: Option<(f64, f64)>, label: Option<String>| {
        xy.map(|(x, y)| {
            view! {
                <g class="home" transform=format!("translate({},{})", f1(x), f1(y)) aria-label=label.unwrap_or_default()>
                    <circle r="15"></circle>
                    <path d="M-8 1 L0 -7 L8 1 L5.5 1 L5.5 8 L-5.5 8 L-5.5 1 Z"></path>
                </g>
            }
        })
    };
    // Where the day ends, when not where it starts, then the start on top.
    let end = place(end_xy.filter(|e| Some(*e) != home_xy), end.map(|(_, l)| l));
    let home = place(home_xy, home.map(|(_, l)| l));

    // Drawn last stop first, so lower numbers sit on top where pins overlap.
    let pins = stops
        .into_iter()
        .zip(&xy)
        .enumerate()
        .rev()
        .map(|(i, (stop, (x, y)))| {
            view! {
                <g class=format!("pin {}", stop.class) transform=format!("translate({},{})", f1(*x), f1(*y)) aria-label=stop.name>
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
                aria-label=label
                data-zoom=view.zoom.to_string()
            >
                <rect class="map-bg" width=W.to_string() height=H.to_string()></rect>
                <g class="tiles">{tiles}</g>
                <polyline class="route-line" points=line></polyline>
                {end}
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

/// Tiles for the view when online, drawn under everything else.
fn tile_images(view: &Viewport, online: bool) -> impl IntoView + use<> {
    let tiles = if online { view.tiles() } else { Vec::new() };
    tiles
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
        .collect_view()
}

/// A map to put an account's pin on with a tap: the pins around it for bearings (they
/// draw offline too), tiles underneath when online, zoom buttons, and a confirm.
#[component]
pub fn PinPicker(
    /// Where the map opens.
    start: LatLon,
    /// The account's pin now, if it has one.
    current: Option<LatLon>,
    around: Vec<MapPin>,
    online: bool,
    /// The place tapped, and how far off a finger's tap may be there (metres).
    on_pick: Callback<(LatLon, f64)>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    // Opens on the start and its three nearest neighbours, so there are bearings even
    // without tiles; the rep zooms in to tap the entrance.
    let first: Vec<LatLon> = std::iter::once(start)
        .chain(around.iter().take(3).map(|p| p.location))
        .collect();
    let viewport = RwSignal::new(
        Viewport::fit(&first)
            .filter(|_| first.len() > 1)
            .unwrap_or_else(|| Viewport::centred(&start, 16)),
    );
    let chosen = RwSignal::new(None::<LatLon>);
    let tap = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast as _;
        let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let r = el.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return;
        }
        let x = (f64::from(ev.client_x()) - r.left()) * W / r.width();
        let y = (f64::from(ev.client_y()) - r.top()) * H / r.height();
        if let Some(p) = viewport.get_untracked().unproject(x, y) {
            chosen.set(Some(p));
        }
    };
    let marks = move || {
        let v = viewport.get();
        let near = around
            .iter()
            .map(|p| {
                let (x, y) = v.project(&p.location);
                view! {
                    <g class="near" transform=format!("translate({},{})", f1(x), f1(y))>
                        <circle r="6"></circle>
                        <title>{p.name.clone()}</title>
                    </g>
                }
            })
            .collect_view();
        let now = current.map(|c| {
            let (x, y) = v.project(&c);
            view! { <circle class="current" cx=f1(x) cy=f1(y) r="9"></circle> }
        });
        let picked = chosen.get().map(|c| {
            let (x, y) = v.project(&c);
            view! {
                <g class="chosen" transform=format!("translate({},{})", f1(x), f1(y))>
                    <path d="M0 0 L-9 -16 A10 10 0 1 1 9 -16 Z"></path>
                    <circle cy="-19" r="4"></circle>
                </g>
            }
        });
        view! {
            <g class="tiles">{tile_images(&v, online)}</g>
            {near}
            {now}
            {picked}
        }
    };
    view! {
        <div class="pin-picker">
            <div class="map-wrap">
                <svg
                    id="pin-map"
                    class="route-map"
                    viewBox=format!("0 0 {W} {H}")
                    role="application"
                    aria-label="Tap where the account is"
                    data-zoom=move || viewport.get().zoom.to_string()
                    on:click=tap
                >
                    <rect class="map-bg" width=W.to_string() height=H.to_string()></rect>
                    {marks}
                </svg>
                {online.then(|| view! { <p class="map-attribution">"© OpenStreetMap contributors"</p> })}
            </div>
            <div class="map-zoom">
                <button type="button" class="button secondary" aria-label="Zoom in" on:click=move |_| viewport.update(|v| *v = v.zoomed(1))>"+"</button>
                <button type="button" class="button secondary" aria-label="Zoom out" on:click=move |_| viewport.update(|v| *v = v.zoomed(-1))>"−"</button>
            </div>
            <p class="muted" role="status">
                {move || match chosen.get() {
                    Some(p) => format!("New pin: {:.5}, {:.5}", p.lat(), p.lon()),
                    None => "Tap the map where the entrance is.".to_owned(),
                }}
            </p>
            <div class="form-actions">
                <button
                    id="pin-confirm"
                    type="button"
                    class="button primary"
                    disabled=move || chosen.get().is_none()
                    on:click=move |_| {
                        if let Some(p) = chosen.get_untracked() {
                            on_pick.run((p, viewport.get_untracked().tap_accuracy_m(&p)));
                        }
                    }
                >
                    "Put the pin here"
                </button>
                <button type="button" class="button secondary" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </div>
    }
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

    #[test]
    fn a_tap_lands_where_it_was_drawn() {
        let places = [
            p(39.7392, -104.9903),
            p(-33.8688, 151.2093),
            p(64.1466, -21.9426),
            p(0.0, 179.999),
            p(51.5, -0.12),
        ];
        for c in places {
            for zoom in [4, 10, 16] {
                let v = Viewport::centred(&c, zoom);
                let (x, y) = v.project(&c);
                assert!((x - W / 2.0).abs() < 0.01 && (y - H / 2.0).abs() < 0.01);
                for (dx, dy) in [(0.0, 0.0), (-200.0, 90.0), (250.0, -150.0)] {
                    let q = v.unproject(W / 2.0 + dx, H / 2.0 + dy).unwrap();
                    let (qx, qy) = v.project(&q);
                    assert!(
                        (qx - (W / 2.0 + dx)).abs() < 0.01 && (qy - (H / 2.0 + dy)).abs() < 0.01,
                        "z{zoom} {c:?} +({dx},{dy}) came back at ({qx},{qy})"
                    );
                }
            }
        }
    }

    #[test]
    fn zooming_keeps_the_centre_and_stays_in_range() {
        let c = p(39.7392, -104.9903);
        let v = Viewport::centred(&c, 16);
        assert_eq!(v.zoomed(1).zoom, MAX_ZOOM);
        let out = v.zoomed(-3);
        assert_eq!(out.zoom, 13);
        let back = out.unproject(W / 2.0, H / 2.0).unwrap();
        assert!(back.distance_m(&c) < 1.0, "{back:?}");
        assert_eq!(Viewport::centred(&c, 0).zoom, MIN_ZOOM);
    }

    #[test]
    fn a_tap_is_as_accurate_as_the_zoom_allows() {
        let c = p(39.7392, -104.9903);
        let close = Viewport::centred(&c, 16).tap_accuracy_m(&c);
        let far = Viewport::centred(&c, 12).tap_accuracy_m(&c);
        // At z16 a 640-unit view is 2.5 tiles, ~1.8 m a unit here: a dozen units ≈ 22 m.
        assert!((15.0..30.0).contains(&close), "{close}");
        assert!((far / close - 16.0).abs() < 0.01, "{far} vs {close}");
    }
}

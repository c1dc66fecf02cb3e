//! `/dashboard/map`: the team's accounts as pins on a map, coloured by territory, rep,
//! priority or stage, clustered when zoomed out, with each territory's area (the union of
//! its postal codes' cells); filtered
//! like the Accounts page. A click on a pin opens the account's card.
//!
//! "Select postal codes" turns clicks into choosing: a click on a pin takes its postal
//! code, a line drawn around pins takes theirs; the chosen codes then go to the postal
//! codes page (`postal.rs`), which previews what moves before anything is saved.
//!
//! The page is HTML; `/dashboard/map.json` gives the pins and areas, and the browser draws
//! them with Leaflet, clustered by Supercluster (every zoom's clusters built once, each
//! view drawing only what it shows), both vendored in `assets/vendor/` and served by
//! this server (no CDN). Tiles come from the `map_tiles` setting; without tiles, or
//! offline, the pins and areas draw on a plain background. Without JavaScript the page
//! says so and links to the list.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rounds_core::calendar::local_date;
use rounds_core::{Priority, Stage};
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};
use rounds_server_rules::scenarios;
use rounds_server_rules::state::AppState;
use rounds_server_rules::{Error, Result};
use rounds_territory::Place;
use serde::Serialize;

use super::accounts::{self, AccountsQuery, filters, priority_label, query_string};
use super::layout::stage_label;
use super::scope::{self, Team};
use super::{Answer, Viewer, html_response, page};

/// Distinct colours for territories and reps (Kelly's, less white and black), in order;
/// past twenty they repeat.
const PALETTE: [&str; 20] = [
    "#1f77b4", "#e6550d", "#31a354", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#fd8d3c",
    "#74c476", "#9e9ac8", "#969696", "#ad494a",
];
/// The group of accounts with no territory, or whose territory has no rep.
const NONE_COLOUR: &str = "#6b7280";

/// One colour of the legend: what it stands for and how many pins have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub label: String,
    pub colour: &'static str,
    pub count: usize,
}

/// The ways pins can be coloured, each a list of groups in legend order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColourBy {
    pub territory: Vec<Group>,
    pub rep: Vec<Group>,
    pub priority: Vec<Group>,
    pub stage: Vec<Group>,
}

/// One account on the map, as a JSON array to keep 50,000 of them small:
/// `[id, name, lat, lon, city, territory, rep, priority, stage, postal code, country]`,
/// territory to stage being indices into [`ColourBy`]'s lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pin(
    pub AccountId,
    pub String,
    pub f64,
    pub f64,
    pub String,
    pub usize,
    pub usize,
    pub usize,
    pub usize,
    pub String,
    pub String,
);

/// One area of a territory (one for each group of its accounts far from the others): the
/// index of its group in `colour_by.territory`, and its corners as `[lat, lon]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    pub territory: usize,
    /// The outline, then any holes (land of other territories inside), each as
    /// `[lat, lon]` corners.
    pub rings: Vec<Vec<[f64; 2]>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapData {
    pub colour_by: ColourBy,
    pub pins: Vec<Pin>,
    pub areas: Vec<Area>,
    /// Accounts the filter selects that have no location, so no pin.
    pub not_on_map: usize,
}

/// Rounded to about a metre: the map needs no more, and 50,000 pins stay small.
fn metre(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn located(a: &AccountRecord) -> Option<Place> {
    match (a.lat, a.lon) {
        (Some(lat), Some(lon)) => Some(Place::new(lat, lon)),
        _ => None,
    }
}

/// The map of `shown` (the accounts the filter selects) among `all` (every account of the
/// team): areas are the cells of the team's postal codes (see `unit_areas`) — those of
/// its accounts and the `empty` ones its territories took with no account yet — drawn
/// for the territories shown.
pub fn compute(
    team: &Team,
    all: &[AccountRecord],
    shown: &[AccountRecord],
    land: &Land,
) -> MapData {
    let territory_index: BTreeMap<TerritoryId, usize> = team
        .territories
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id, i))
        .collect();
    let no_territory = team.territories.len();
    let rep_index: BTreeMap<_, usize> = team
        .reps
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let no_rep = team.reps.len();
    let group = |label: &str, colour| Group {
        label: label.to_owned(),
        colour,
        count: 0,
    };
    let mut colour_by = ColourBy {
        territory: team
            .territories
            .iter()
            .enumerate()
            .map(|(i, t)| group(&t.name, PALETTE[i % PALETTE.len()]))
            .chain([group("No territory", NONE_COLOUR)])
            .collect(),
        rep: team
            .reps
            .iter()
            .enumerate()
            .map(|(i, p)| group(&p.name, PALETTE[i % PALETTE.len()]))
            .chain([group("No rep", NONE_COLOUR)])
            .collect(),
        priority: Priority::ALL
            .iter()
            .zip(["#c53030", "#dd6b20", "#718096"])
            .map(|(p, c)| group(priority_label(*p), c))
            .collect(),
        stage: Stage::ALL
            .iter()
            .zip(["#3182ce", "#805ad5", "#2f855a", "#a0aec0"])
            .map(|(s, c)| group(stage_label(*s), c))
            .collect(),
    };
    let mut pins = Vec::with_capacity(shown.len());
    let mut not_on_map = 0;
    for a in shown {
        let Some(place) = located(a) else {
            not_on_map += 1;
            continue;
        };
        let t = a
            .territory_id
            .and_then(|t| territory_index.get(&t).copied())
            .unwrap_or(no_territory);
        let r = team
            .territory(a.territory_id)
            .and_then(|t| t.rep)
            .and_then(|r| rep_index.get(&r).copied())
            .unwrap_or(no_rep);
        let p = Priority::ALL
            .iter()
            .position(|x| *x == a.priority)
            .unwrap_or(0);
        let s = Stage::ALL.iter().position(|x| *x == a.stage).unwrap_or(0);
        colour_by.territory[t].count += 1;
        colour_by.rep[r].count += 1;
        colour_by.priority[p].count += 1;
        colour_by.stage[s].count += 1;
        pins.push(Pin(
            a.id,
            a.name.clone(),
            metre(place.lat),
            metre(place.lon),
            a.city.clone(),
            t,
            r,
            p,
            s,
            a.postal_code.trim().to_owned(),
            a.country.trim().to_owned(),
        ));
    }
    let pieces = areas::pieces(&territory_index, all, land);
    let corners = |ring: Vec<Place>| -> Vec<[f64; 2]> {
        ring.into_iter()
            .map(|p| [metre(p.lat), metre(p.lon)])
            .collect()
    };
    let areas = pieces
        .iter()
        .filter(|piece| colour_by.territory[piece.territory].count > 0)
        .cloned()
        .map(|piece| Area {
            territory: piece.territory,
            rings: std::iter::once(piece.outline)
                .chain(piece.holes)
                .map(corners)
                .collect(),
        })
        .collect();
    MapData {
        colour_by,
        pins,
        areas,
        not_on_map,
    }
}

async fn load(s: &AppState, viewer: &Viewer) -> Result<(Team, Vec<AccountRecord>)> {
    let v = viewer.clone();
    s.db.read(move |tx| {
        let mut team = scope::team(tx, &v)?;
        let accounts = scope::accounts(tx, &mut team)?;
        Ok::<_, Error>((team, accounts::records(&accounts)))
    })
    .await
}

pub async fn data(State(s): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> Answer {
    let raw = raw.unwrap_or_default();
    let q: AccountsQuery = serde_html_form::from_str(&raw).unwrap_or_default();
    let (team, all) = match super::design::on_map(&raw)? {
        None => load(&s, &viewer).await?,
        Some(chosen) => {
            let today = local_date(viewer.tz, s.settings.clock.now());
            let v = viewer.clone();
            // The accounts as the proposal would place them.
            let (team, all, moves) =
                s.db.read(move |tx| {
                    let (loaded, column) = scenarios::column_of(tx, &v, &chosen, today)?;
                    let moves: BTreeMap<AccountId, TerritoryId> =
                        loaded.moves(&column).into_iter().collect();
                    let all = accounts::records(&loaded.all);
                    Ok::<_, Error>((loaded.team, all, moves))
                })
                .await?;
            let mut all = all;
            for a in &mut all {
                if let Some(t) = moves.get(&a.id) {
                    a.territory_id = Some(*t);
                }
            }
            (team, all)
        }
    };
    let shown = accounts::filter(&team, all.clone(), &q);
    let land = areas::land(&s, &team, &all).await?;
    let mut r = Json(compute(&team, &all, &shown, &land)).into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The page's policy: scripts from this server only, the pins' data from here, and
/// images from the tile server too.
fn csp(tile_origin: Option<&str>) -> String {
    let tiles = tile_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The page; `proposal`: what of the territory design it shows instead of today ("proposal
/// A", a saved scenario; its fields are in `raw`, the page's own query).
pub fn render(
    viewer: &Viewer,
    team: &Team,
    q: &AccountsQuery,
    proposal: Option<&str>,
    raw: &str,
    tiles: &str,
    attribution: &str,
) -> Markup {
    let qs = query_string(q);
    let body = html! {
        h1 { "Map" }
        @if let Some(shown) = proposal {
            p.notice role="status" {
                "Showing " (shown) " of the territory design: the accounts are coloured by the territory it would put them in. Nothing is published from here. "
                a href=(format!("/dashboard/design?{raw}")) { "Back to the design" }
            }
        }
        (super::layout::left_out(&team.left_out))
        (filters(team, q, "/dashboard/map"))
        noscript {
            p.notice.no-script role="alert" {
                "The map needs JavaScript, which is off in this browser. The same accounts are in the "
                a href=(format!("/dashboard/accounts?{qs}")) { "list of accounts" } "."
            }
        }
        div.map-tools {
            label for="colour-by" { "Colour by" }
            select #colour-by {
                option value="territory" selected { "Territory" }
                option value="rep" { "Rep" }
                option value="priority" { "Priority" }
                option value="stage" { "Stage" }
            }
            @if proposal.is_none() {
                button #select-units.secondary type="button" aria-pressed="false" aria-controls="selection" {
                    "Select postal codes"
                }
            }
            p #map-status.muted role="status" { "Loading the map…" }
        }
        @if proposal.is_none() {
            form #selection.selection method="get" action="/dashboard/postal-codes" hidden {
                p #selection-hint.muted {
                    "Click a pin to take its postal code (again to give it back), or hold the mouse down and draw a line around pins to take all of theirs."
                }
                p #selection-summary role="status" { "No postal code chosen yet." }
                input #selection-country type="hidden" name="country" value="US";
                div #selection-codes {}
                div.actions {
                    label { "Move them to " (accounts::territory_select(team, "to", "", Some("Choose a territory…"))) }
                    button #selection-preview type="submit" disabled { "Preview the move" }
                    button #selection-clear.secondary type="button" { "Clear" }
                }
            }
        }
        div.map-layout {
            div #map.map role="region" aria-label="Map of the accounts"
                data-source=(format!("/dashboard/map.json?{}", if proposal.is_some() { raw } else { qs.as_str() }))
                data-unmapped="/dashboard/unmapped"
                data-tiles=(tiles)
                data-attribution=(attribution) {}
            aside #legend.legend aria-label="Legend" {}
        }
        p.muted {
            "Territories are drawn along "
            a href="/dashboard/boundaries" { "postal-code boundaries" }
            " where an administrator imported them, and from cells around postal codes' middles elsewhere."
        }
        link rel="stylesheet" href=(format!("/static/vendor/{LEAFLET}/leaflet.css"));
        script src=(format!("/static/vendor/{LEAFLET}/leaflet.js")) defer {}
        script src=(format!("/static/vendor/{CLUSTER}/supercluster.js")) defer {}
        script src="/static/map.js" defer {}
    };
    page("Map", Some((viewer, "/dashboard/map")), body)
}

pub async fn handler(State(s): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> Answer {
    let raw = raw.unwrap_or_default();
    let q: AccountsQuery = serde_html_form::from_str(&raw).unwrap_or_default();
    let proposal = match super::design::on_map(&raw)? {
        None => None,
        Some(scenarios::Chosen::Saved(id)) => {
            let owner = viewer.id;
            let kept = s.db.read(move |tx| scenarios::get(tx, owner, &id)).await?;
            Some(format!("the saved scenario “{}”", kept.summary.name))
        }
        Some(scenarios::Chosen::Fresh { .. }) => super::design::proposal_in(&raw)?
            .map(|named| format!("proposal {}", named.letter.to_uppercase())),
    };
    // The accounts are read too, so the page names any it must leave out.
    let (team, _) = load(&s, &viewer).await?;
    let settings = &s.settings;
    // Checked at start-up; a bad value here (a test's own settings) means no tiles.
    let origin = settings.map_tile_origin().ok().flatten();
    let tiles = if origin.is_some() {
        settings.map_tiles.trim()
    } else {
        ""
    };
    let mut r = html_response(
        StatusCode::OK,
        render(
            &viewer,
            &team,
            &q,
            proposal.as_deref(),
            &raw,
            tiles,
            &settings.map_attribution,
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&csp(origin.as_deref())) {
        r.headers_mut().insert("content-security-policy", v);
    }
    Ok(r)
}

const LEAFLET: &str = "leaflet-1.9.4";
const CLUSTER: &str = "supercluster-9.1.0";

/// The files under `/static/vendor/` and `/static/map.js`: (path, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 12] = [
    ("map.js", JS, include_bytes!("map.js")),
    (
        "leaflet-1.9.4/leaflet.js",
        JS,
        include_bytes!("../assets/vendor/leaflet-1.9.4/leaflet.js"),
    ),
    (
        "leaflet-1.9.4/leaflet.css",
        CSS,
        include_bytes!("../assets/vendor/leaflet-1.9.4/leaflet.css"),
    ),
    (
        "leaflet-1.9.4/LICENSE",
        TEXT,
        include_bytes!("../assets/vendor/leaflet-1.9.4/LICENSE"),
    ),
    (
        "leaflet-1.9.4/images/layers.png",
        PNG,
        include_bytes!("../assets/vendor/leaflet-1.9.4/images/layers.png"),
    ),
    (
        "leaflet-1.9.4/images/layers-2x.png",
        PNG,
        include_bytes!("../assets/vendor/leaflet-1.9.4/images/layers-2x.png"),
    ),
    (
        "leaflet-1.9.4/images/marker-icon.png",
        PNG,
        include_bytes!("../assets/vendor/leaflet-1.9.4/images/marker-icon.png"),
    ),
    (
        "leaflet-1.9.4/images/marker-icon-2x.png",
        PNG,
        include_bytes!("../assets/vendor/leaflet-1.9.4/images/marker-icon-2x.png"),
    ),
    (
        "leaflet-1.9.4/images/marker-shadow.png",
        PNG,
        include_bytes!("../assets/vendor/leaflet-1.9.4/images/marker-shadow.png"),
    ),
    (
        "supercluster-9.1.0/supercluster.js",
        JS,
        include_bytes!("../assets/vendor/supercluster-9.1.0/supercluster.js"),
    ),
    (
        "supercluster-9.1.0/LICENSE",
        TEXT,
        include_bytes!("../assets/vendor/supercluster-9.1.0/LICENSE"),
    ),
    (
        "supercluster-9.1.0/LICENSE.kdbush",
        TEXT,
        include_bytes!("../assets/vendor/supercluster-9.1.0/LICENSE.kdbush"),
    ),
];
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const PNG: &str = "image/png";
const TEXT: &str = "text/plain; charset=utf-8";

fn asset(path: &str) -> Response {
    let Some((_, kind, bytes)) = ASSETS.iter().find(|(p, _, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    // The vendored files' paths carry their version; map.js changes with the server.
    let cache = if path == "map.js" {
        "public, max-age=3600"
    } else {
        "public, max-age=31536000, immutable"
    };
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

pub async fn vendored(Path(path): Path<String>) -> Response {
    asset(&path)
}

pub async fn script() -> Response {
    asset("map.js")
}

mod areas;
#[cfg(test)]
mod tests;

pub use areas::Land;

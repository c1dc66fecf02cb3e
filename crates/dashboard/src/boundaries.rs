//! `/dashboard/boundaries`: postal codes' real boundaries. An administrator uploads a
//! GeoJSON FeatureCollection (the Census Bureau's ZCTA shapes for the states the company
//! sells in, say); the map then draws territories along those lines. Everyone else sees
//! how many codes have one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};
use rounds_core::Role;
use rounds_server_rules::boundaries::{self, CODE_PROPERTIES};
use rounds_server_rules::state::AppState;

use super::import::{MAX_CSV, multipart_fields};
use super::{Answer, Refusal, Viewer, csrf_refused, html_response, page};

/// What an import gave, shown above the form.
enum Outcome {
    Saved {
        codes: usize,
        property: String,
        skipped: Vec<String>,
        skipped_count: usize,
    },
    Refused(String),
}

fn render(viewer: &Viewer, known: i64, outcome: Option<&Outcome>) -> Markup {
    let admin = viewer.role == Role::Admin;
    let body = html! {
        h1 { "Postal-code boundaries" }
        @match outcome {
            Some(Outcome::Saved { codes, property, skipped, skipped_count }) => {
                p.ok-note role="status" {
                    "Imported the boundaries of " (codes) " postal code" @if *codes != 1 { "s" }
                    " (codes read from “" (property) "”). The map draws territories along them."
                }
                @if *skipped_count > 0 {
                    div.alert role="alert" {
                        (skipped_count) " feature" @if *skipped_count != 1 { "s were" } @else { " was" } " left out:"
                        ul.errors { @for s in skipped { li { (s) } } }
                        @if *skipped_count > skipped.len() { p { "… and " (skipped_count - skipped.len()) " more." } }
                    }
                }
            }
            Some(Outcome::Refused(why)) => {
                div.alert role="alert" { strong { "Nothing was imported. " } (why) }
            }
            None => {}
        }
        p {
            @if known == 0 { "No postal code has a boundary yet: the map draws each territory from cells around its postal codes' middles." }
            @else { (known) " postal code" @if known != 1 { "s have" } @else { " has" } " a boundary; the map draws territories along them, and from cells where a code has none." }
            " " a href="/dashboard/map" { "Open the map" }
        }
        @if admin {
            form.edit method="post" action="/dashboard/boundaries" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { "GeoJSON file (a FeatureCollection of polygons, one postal code each)"
                    input type="file" name="file" accept=".geojson,.json,application/geo+json,application/json" required; }
                label { "Property that holds the postal code (blank: the first of " (CODE_PROPERTIES.join(", ")) ")"
                    input type="text" name="property" maxlength="64"; }
                label { "Country of the postal codes"
                    input type="text" name="country" value="US" maxlength="2" required; }
                p.muted { "The Census Bureau publishes ZIP Code Tabulation Areas (ZCTA) as shapefiles; convert the states you need to GeoJSON (ogr2ogr -f GeoJSON) and upload them here, one file or several. A later file replaces the shapes of the codes it has." }
                div.actions { button type="submit" { "Import the boundaries" } }
            }
        } @else {
            p.muted { "An administrator imports them." }
        }
    };
    page("Boundaries", Some((viewer, "/dashboard/map")), body)
}

pub async fn show(State(s): State<AppState>, viewer: Viewer) -> Answer {
    let known = s.db.read(|tx| boundaries::count(tx)).await?;
    Ok(html_response(StatusCode::OK, render(&viewer, known, None)))
}

pub async fn import(
    State(s): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A form without a file (a script's, a forged one) is read too, so its token is checked.
    let fields = if ct.starts_with("multipart/form-data") {
        multipart_fields(ct, body).await
    } else {
        serde_html_form::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .map(|f| f.into_iter().map(|(k, v)| (k, v.into_bytes())).collect())
    };
    let Some(fields) = fields else {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "Not possible",
            "The form could not be read.",
        ));
    };
    let text = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    if !viewer.csrf_ok(&text("csrf")) {
        return Err(csrf_refused());
    }
    if viewer.role != Role::Admin {
        return Err(Refusal::page(
            StatusCode::FORBIDDEN,
            "Not yours to change",
            "Postal-code boundaries are the whole organisation's: an administrator imports them.",
        ));
    }
    let file = text("file");
    let country = text("country").trim().to_uppercase();
    let outcome = if file.len() > MAX_CSV {
        Outcome::Refused(format!(
            "The file is larger than {} MB: split it by state.",
            MAX_CSV / 1_000_000
        ))
    } else if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        Outcome::Refused("The country is a two-letter code, such as US.".into())
    } else {
        match boundaries::parse(&file, &text("property")) {
            Err(why) => Outcome::Refused(why),
            Ok(parsed) => {
                let now = s.settings.clock.now();
                let (property, skipped, skipped_count) = (
                    parsed.property.clone(),
                    parsed.skipped.clone(),
                    parsed.skipped_count,
                );
                let parsed = std::sync::Arc::new(parsed);
                let codes =
                    s.db.write(move |tx| boundaries::save(tx, &country, &parsed, now))
                        .await?;
                Outcome::Saved {
                    codes,
                    property,
                    skipped,
                    skipped_count,
                }
            }
        }
    };
    let status = match outcome {
        Outcome::Saved { .. } => StatusCode::OK,
        Outcome::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let known = s.db.read(|tx| boundaries::count(tx)).await?;
    Ok(html_response(
        status,
        render(&viewer, known, Some(&outcome)),
    ))
}

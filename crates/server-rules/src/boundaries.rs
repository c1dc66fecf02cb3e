//! Postal codes' real boundaries: an administrator imports a GeoJSON FeatureCollection of
//! polygons (the Census Bureau's ZCTA shapes, or a vendor's), each feature naming its
//! postal code in a property; the map then draws territories from these lines instead of
//! from cells around centroids. Kept in `unit_boundaries` (migration 0016), one
//! MultiPolygon per code, replaced by a later import of the same code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use geojson::{FeatureCollection, JsonValue};
use rounds_territory::MultiPolygon;

use crate::db::{Sql, Tx};
use crate::{Result, params, time};

/// The properties a postal code is looked for in, when the administrator names none: the
/// Census Bureau's ZCTA files (2020 and 2010), then common names.
pub const CODE_PROPERTIES: [&str; 9] = [
    "ZCTA5CE20",
    "ZCTA5CE10",
    "GEOID20",
    "GEOID10",
    "ZCTA5",
    "postal_code",
    "postcode",
    "zip",
    "ZIP",
];

/// How many problems a refused or partly read file lists.
const LISTED: usize = 20;

/// What a file gave: each postal code's shape, the property the codes were read from, and
/// the features left out, with why (the first [`LISTED`]) and how many.
#[derive(Debug)]
pub struct Parsed {
    pub shapes: BTreeMap<String, MultiPolygon<f64>>,
    pub property: String,
    pub skipped: Vec<String>,
    pub skipped_count: usize,
}

/// A property's value as a postal code: text trimmed, upper case, no spaces; a number as
/// its digits (a ZCTA read as a number loses its leading zeros: they come back to five).
fn code_of(v: &JsonValue) -> Option<String> {
    let code = match v {
        JsonValue::String(s) => s.split_whitespace().collect::<String>().to_uppercase(),
        JsonValue::Number(n) => n.as_u64().map(|n| format!("{n:05}"))?,
        _ => return None,
    };
    (!code.is_empty() && code.len() <= 12).then_some(code)
}

/// Reads a GeoJSON FeatureCollection; `property` names where each feature's postal code
/// is (blank: the first of [`CODE_PROPERTIES`] the first feature has). A feature with no
/// code, or whose geometry is not a polygon on Earth, is left out with the reason; a file
/// that is not GeoJSON, or where no feature could be read, is refused.
pub fn parse(text: &str, property: &str) -> std::result::Result<Parsed, String> {
    let fc = FeatureCollection::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("The file is not a GeoJSON FeatureCollection: {e}."))?;
    let property = match property.trim() {
        "" => {
            let first = fc
                .features
                .iter()
                .find_map(|f| f.properties.as_ref())
                .ok_or("The file has no feature with properties to read a postal code from.")?;
            CODE_PROPERTIES
                .iter()
                .find(|p| first.contains_key(**p))
                .map(|p| (*p).to_owned())
                .ok_or_else(|| {
                    let mut have: Vec<&str> = first.keys().map(String::as_str).collect();
                    have.truncate(12);
                    format!(
                        "No property names the postal code (looked for {}); the features have {}. Name the property in the form.",
                        CODE_PROPERTIES.join(", "),
                        have.join(", ")
                    )
                })?
        }
        p => p.to_owned(),
    };
    let mut shapes: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut skipped_count = 0;
    for (i, f) in fc.features.into_iter().enumerate() {
        let n = i + 1;
        let code = f
            .properties
            .as_ref()
            .and_then(|p| p.get(&property))
            .and_then(code_of);
        let shape = f
            .geometry
            .ok_or("it has no geometry".to_owned())
            .and_then(|g| {
                geo::Geometry::<f64>::try_from(g).map_err(|e| format!("its geometry is unreadable: {e}"))
            })
            .and_then(|g| match g {
                geo::Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
                geo::Geometry::MultiPolygon(m) => Ok(m),
                _ => Err("its geometry is not a polygon".to_owned()),
            })
            .and_then(|m| {
                let on_earth = m.0.iter().all(|p| {
                    p.exterior().0.len() >= 4
                        && p.exterior()
                            .coords()
                            .chain(p.interiors().iter().flat_map(|r| r.coords()))
                            .all(|c| {
                                c.x.is_finite()
                                    && c.y.is_finite()
                                    && (-180.0..=180.0).contains(&c.x)
                                    && (-90.0..=90.0).contains(&c.y)
                            })
                });
                if on_earth && !m.0.is_empty() {
                    Ok(m)
                } else {
                    Err("a corner is not a longitude and latitude, or a ring has fewer than three corners".to_owned())
                }
            });
        match (code, shape) {
            (Some(code), Ok(m)) => shapes
                .entry(code)
                .or_insert_with(|| MultiPolygon::new(Vec::new()))
                .0
                .extend(m.0),
            (None, _) => {
                skipped_count += 1;
                if skipped.len() < LISTED {
                    skipped.push(format!("Feature {n}: no postal code in “{property}”."));
                }
            }
            (Some(code), Err(why)) => {
                skipped_count += 1;
                if skipped.len() < LISTED {
                    skipped.push(format!("Feature {n} ({code}): {why}."));
                }
            }
        }
    }
    if shapes.is_empty() {
        let mut why = "No feature could be read as a postal code's polygon.".to_owned();
        if let Some(first) = skipped.first() {
            why.push(' ');
            why.push_str(first);
        }
        return Err(why);
    }
    Ok(Parsed {
        shapes,
        property,
        skipped,
        skipped_count,
    })
}

/// Keeps the shapes of `parsed` for postal codes of `country` (replacing earlier ones).
/// How many were kept.
pub fn save(tx: &mut Tx<'_>, country: &str, parsed: &Parsed, now: DateTime<Utc>) -> Result<usize> {
    let country = country.trim().to_uppercase();
    for (code, shape) in &parsed.shapes {
        let json = geojson::Geometry::from(shape).to_string();
        tx.exec(
            "INSERT INTO unit_boundaries (country, postal_code, geometry, imported_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (country, postal_code) DO UPDATE SET
                 geometry = excluded.geometry, imported_at = excluded.imported_at",
            params![country.clone(), code.clone(), json, time::text(now)],
        )?;
    }
    Ok(parsed.shapes.len())
}

/// How many postal codes have a boundary.
pub fn count(tx: &mut dyn Sql) -> Result<i64> {
    Ok(tx
        .query_one("SELECT COUNT(*) AS n FROM unit_boundaries", &[])?
        .int("n")?)
}

/// The boundaries of the postal codes in `keys` (as `units::key` makes them); a stored
/// shape that no longer reads is left out.
pub fn of(
    tx: &mut dyn Sql,
    keys: &HashSet<(String, String)>,
) -> Result<HashMap<(String, String), MultiPolygon<f64>>> {
    let mut out = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    for r in tx.query(
        "SELECT country, postal_code, geometry FROM unit_boundaries",
        &[],
    )? {
        let key = (r.text("country")?, r.text("postal_code")?);
        if !keys.contains(&key) {
            continue;
        }
        let shape = geojson::Geometry::from_str(&r.text("geometry")?)
            .ok()
            .and_then(|g| geo::Geometry::<f64>::try_from(g).ok())
            .and_then(|g| MultiPolygon::try_from(g).ok());
        if let Some(shape) = shape {
            out.insert(key, shape);
        }
    }
    Ok(out)
}

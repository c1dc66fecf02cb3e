//! Offline geocoding by postal code.
//!
//! Every US ZIP code's centroid ships inside the binary (GeoNames, CC BY 4.0; see
//! `assets/data/README.md`), so an account with a ZIP gets a place on the map with no
//! network and no fee, on the server at import and on the device when a rep types one.
//! A centroid is the middle of an area several kilometres wide: good enough to draw a
//! territory or plan a day, never proof that a rep stood at the door.
//!
//! Pure: no I/O, builds for wasm32.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The table, read once on first use (about 42,000 rows, a few milliseconds).
const US_ZIPS: &str = include_str!("../../../assets/data/us-zipcodes.csv");

/// Where a postal code is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    /// The code's city and state (two letters), to fill an address that lacks them.
    pub city: &'static str,
    pub region: &'static str,
}

/// Why a postal code gave no place; said to the manager beside the account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Miss {
    #[error("no postal code")]
    NoPostalCode,
    #[error("postal codes of {0} are not known offline (only the United States)")]
    CountryNotCovered(String),
    #[error("“{0}” is not a US ZIP code (five digits, or ZIP+4)")]
    Malformed(String),
    #[error("ZIP code {0} is not in the table (retired, or a P.O.-box-only code)")]
    Unknown(String),
}

/// Whether a country as people write it in an export is the United States. A blank
/// country counts: US CRM exports often leave it out.
pub fn is_us(country: &str) -> bool {
    let c = country.trim().trim_end_matches('.').to_ascii_lowercase();
    matches!(
        c.as_str(),
        "" | "us" | "usa" | "u.s" | "u.s.a" | "united states" | "united states of america"
    )
}

/// A US ZIP code in its five-digit form: "80202-1234" and "80202 1234" give "80202"; a
/// code of three or four digits gets back the leading zeros a spreadsheet strips
/// ("501" → "00501", New England's "2134" → "02134").
pub fn us_zip(code: &str) -> Option<String> {
    let code = code.trim();
    let five = match code.split_once(['-', ' ']) {
        Some((zip, plus4)) if plus4.len() == 4 && plus4.bytes().all(|b| b.is_ascii_digit()) => zip,
        Some(_) => return None,
        None if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) => &code[..5],
        None => code,
    };
    if !(3..=5).contains(&five.len()) || !five.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{five:0>5}"))
}

/// The place of a postal code in a country.
pub fn locate(country: &str, postal_code: &str) -> Result<Place, Miss> {
    if postal_code.trim().is_empty() {
        return Err(Miss::NoPostalCode);
    }
    if !is_us(country) {
        return Err(Miss::CountryNotCovered(country.trim().to_owned()));
    }
    let zip = us_zip(postal_code).ok_or_else(|| Miss::Malformed(postal_code.trim().to_owned()))?;
    let key: u32 = zip.parse().expect("five digits");
    table().get(&key).copied().ok_or(Miss::Unknown(zip))
}

/// Every known US ZIP code in a box (south, west, north, east, in degrees), with its
/// place, in code order.
pub fn us_codes_within(south: f64, west: f64, north: f64, east: f64) -> Vec<(String, Place)> {
    let mut out: Vec<(u32, Place)> = table()
        .iter()
        .filter(|(_, p)| (south..=north).contains(&p.lat) && (west..=east).contains(&p.lon))
        .map(|(z, p)| (*z, *p))
        .collect();
    out.sort_by_key(|(z, _)| *z);
    out.into_iter()
        .map(|(z, p)| (format!("{z:05}"), p))
        .collect()
}

/// How many postal codes are known.
pub fn known() -> usize {
    table().len()
}

fn table() -> &'static HashMap<u32, Place> {
    static TABLE: OnceLock<HashMap<u32, Place>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Split by hand rather than with a CSV reader: the file is ours, has no quoted
        // cells (a test checks), and its fields can then be borrowed for the whole
        // program instead of copied 42,000 times.
        let mut out = HashMap::with_capacity(42_100);
        for line in US_ZIPS.lines().skip(1) {
            let mut f = line.split(',');
            let (Some(zip), Some(lat), Some(lon), Some(city), Some(region)) = (
                f.next().and_then(|z| z.parse::<u32>().ok()),
                f.next().and_then(|v| v.parse::<f64>().ok()),
                f.next().and_then(|v| v.parse::<f64>().ok()),
                f.next(),
                f.next(),
            ) else {
                continue;
            };
            out.insert(
                zip,
                Place {
                    lat,
                    lon,
                    city,
                    region,
                },
            );
        }
        out
    })
}

#[cfg(test)]
mod tests;

//! The optional address geocoder: with `geocoder_url` set, a background task walks the
//! accounts, and each one placed only by its postal code (or not at all) that has a
//! street is looked up at that endpoint, Nominatim's `/search` or Photon's `/api`, at
//! most `geocoder_per_second`. Every answer is kept by the exact text sent
//! (`places::remember`), so an address is never sent twice; a failure is tried again
//! later, waiting longer each time. Without the setting, no task runs and nothing
//! leaves the server. The rules (which accounts, what wins) are in
//! `rounds_server_rules::places`; this file is the HTTP and the pacing.

use std::time::Duration;

use rounds_server_rules::places::{self, Cached, Lookup};
use serde_json::Value;

use crate::{Db, Settings};

/// Accounts read at a time.
const BATCH: usize = 200;

/// Starts the geocoder when `geocoder_url` is set.
pub fn spawn(db: Db, settings: &Settings) -> Option<tokio::task::JoinHandle<()>> {
    let url = settings.geocoder_url.trim().to_owned();
    if url.is_empty() {
        return None;
    }
    let client = reqwest::Client::builder()
        // Nominatim's usage policy asks every application to name itself.
        .user_agent(concat!(
            "Rounds/",
            env!("CARGO_PKG_VERSION"),
            " (field sales; self-hosted server)"
        ))
        .timeout(Duration::from_secs(15))
        .build()
        .ok()?;
    let pacing = Pacing {
        gap: Duration::from_secs_f64(1.0 / settings.geocoder_per_second.max(0.001)),
        pass: Duration::from_secs(settings.geocoder_pass_secs.max(1)),
        retry: chrono::Duration::seconds(settings.geocoder_retry_secs.max(1) as i64),
    };
    let clock = settings.clock;
    tracing::info!(%url, "address geocoder on");
    Some(tokio::spawn(async move {
        run(db, client, url, pacing, clock).await;
    }))
}

#[derive(Debug, Clone, Copy)]
struct Pacing {
    /// Between two lookups.
    gap: Duration,
    /// Between two passes over every account.
    pass: Duration,
    /// The first wait after a failure.
    retry: chrono::Duration,
}

async fn run(
    db: Db,
    client: reqwest::Client,
    url: String,
    pacing: Pacing,
    clock: crate::time::Clock,
) {
    let mut after = None;
    loop {
        let (waiting, last) = match db.read(move |tx| places::awaiting(tx, after, BATCH)).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "geocoder: reading accounts failed; trying again later");
                tokio::time::sleep(pacing.pass).await;
                continue;
            }
        };
        for w in waiting {
            let query = w.query.clone();
            // Read just before asking: another account with the same address may have
            // been looked up a moment ago, in this very page.
            let cached = match db.read(move |tx| places::cached(tx, &query)).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "geocoder: reading the cache failed; skipped");
                    continue;
                }
            };
            let answer = match cached {
                Some(Cached::Found { lat, lon }) => Lookup::Found { lat, lon },
                Some(Cached::Nowhere) => continue,
                Some(Cached::RetryAt(t)) if t > clock.now() => continue,
                _ => {
                    let answer = lookup(&client, &url, &w.query).await;
                    let (query, a, now) = (w.query.clone(), answer.clone(), clock.now());
                    let kept = db
                        .write(move |tx| places::remember(tx, &query, &a, pacing.retry, now))
                        .await;
                    if let Err(e) = kept {
                        tracing::warn!(error = %e, "geocoder: keeping an answer failed");
                    }
                    tokio::time::sleep(pacing.gap).await;
                    answer
                }
            };
            match answer {
                Lookup::Found { lat, lon } => {
                    let (id, query, now) = (w.account, w.query.clone(), clock.now());
                    let placed = db
                        .write(move |tx| places::place_at_address(tx, id, &query, lat, lon, now))
                        .await;
                    if let Err(e) = placed {
                        tracing::warn!(error = %e, account = %w.account, "geocoder: placing failed");
                    }
                }
                Lookup::Failed(why) => {
                    tracing::info!(%why, "geocoder: a lookup failed; it is tried again later");
                }
                Lookup::Nowhere => {}
            }
        }
        after = last;
        if after.is_none() {
            tokio::time::sleep(pacing.pass).await;
        }
    }
}

/// One address looked up at `url`.
async fn lookup(client: &reqwest::Client, url: &str, query: &str) -> Lookup {
    let res = client
        .get(url)
        .query(&[("q", query), ("format", "jsonv2"), ("limit", "1")])
        .send()
        .await;
    let res = match res {
        Ok(r) => r,
        Err(e) => return Lookup::Failed(format!("request: {e}")),
    };
    let status = res.status();
    if !status.is_success() {
        return Lookup::Failed(format!("answered {status}"));
    }
    match res.json::<Value>().await {
        Ok(v) => read_answer(&v),
        Err(e) => Lookup::Failed(format!("not JSON: {e}")),
    }
}

/// The first place in a Nominatim answer (an array of places with `lat` and `lon`,
/// written as strings) or a Photon one (GeoJSON features, `[lon, lat]`).
fn read_answer(v: &Value) -> Lookup {
    let number = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let first = if let Some(places) = v.as_array() {
        match places.first() {
            None => return Lookup::Nowhere,
            Some(p) => number(&p["lat"]).zip(number(&p["lon"])),
        }
    } else if let Some(features) = v.get("features").and_then(Value::as_array) {
        match features.first() {
            None => return Lookup::Nowhere,
            Some(f) => {
                let c = &f["geometry"]["coordinates"];
                number(&c[1]).zip(number(&c[0]))
            }
        }
    } else {
        None
    };
    match first {
        Some((lat, lon)) if rounds_core::LatLon::new(lat, lon).is_ok() => {
            Lookup::Found { lat, lon }
        }
        _ => Lookup::Failed("an answer in neither Nominatim's nor Photon's shape".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nominatim_and_photon_answers_are_read() {
        let cases = [
            (
                json!([{"lat": "39.7441", "lon": "-104.9897", "display_name": "Denver"}]),
                Lookup::Found {
                    lat: 39.7441,
                    lon: -104.9897,
                },
            ),
            (json!([]), Lookup::Nowhere),
            (
                json!({"type": "FeatureCollection", "features": [
                    {"geometry": {"type": "Point", "coordinates": [13.3849, 52.5321]}}
                ]}),
                Lookup::Found {
                    lat: 52.5321,
                    lon: 13.3849,
                },
            ),
            (
                json!({"type": "FeatureCollection", "features": []}),
                Lookup::Nowhere,
            ),
        ];
        for (v, expected) in cases {
            assert_eq!(read_answer(&v), expected, "{v}");
        }
        for bad in [
            json!({"error": "x"}),
            json!([{"lat": "91", "lon": "0"}]),
            json!("text"),
        ] {
            assert!(matches!(read_answer(&bad), Lookup::Failed(_)), "{bad}");
        }
    }
}

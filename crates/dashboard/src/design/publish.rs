//! Publishing a proposal or a saved scenario from the design page: the form names it,
//! and it is computed again and checked against the fingerprint of what was shown, in the
//! transaction that applies it.

use axum::extract::State;
use chrono::NaiveDate;
use rounds_core::calendar::local_date;
use rounds_server_rules::design::{self, Scope};
use rounds_server_rules::scenarios::{self, Chosen};
use rounds_server_rules::state::AppState;
use rounds_territory::Weights;
use serde::Deserialize;

use super::super::{Answer, Csrf, Refusal, see_other};
use super::{bad, chosen, parse_tolerance, parse_weight};

/// The publish form: the territories, the scenario's weights, the fingerprint of the
/// moves the manager saw, and the page to go back to.
#[derive(Debug, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    pub(super) t: Vec<String>,
    #[serde(default)]
    pub(super) workload: String,
    #[serde(default)]
    pub(super) potential: String,
    #[serde(default)]
    pub(super) compactness: String,
    #[serde(default)]
    pub(super) disruption: String,
    #[serde(default)]
    pub(super) tolerance: String,
    #[serde(default)]
    pub(super) digest: String,
    #[serde(default)]
    pub(super) back: String,
    #[serde(default)]
    pub(super) keep_customers: String,
    /// The name to save a proposal under.
    #[serde(default)]
    pub(super) name: String,
    /// A saved scenario to publish instead of the weights'.
    #[serde(default)]
    pub(super) scenario: String,
}

/// The proposal a publish or save form names, from its fields.
pub(super) fn proposal_of(f: &PublishForm) -> Result<(Scope, Weights, f64), Refusal> {
    let scope = Scope {
        territories: chosen(&f.t)?,
        keep_customers: f.keep_customers == "1",
    };
    let weight = |v: &str| {
        parse_weight(v).ok_or_else(|| bad("A weight is not a number from 0 to 100.".into()))
    };
    let weights = Weights {
        workload: weight(&f.workload)?,
        potential: weight(&f.potential)?,
        compactness: weight(&f.compactness)?,
        disruption: weight(&f.disruption)?,
    };
    let tolerance = parse_tolerance(&f.tolerance)
        .ok_or_else(|| bad("The tolerance is not a number of per cent from 1 to 50.".into()))?;
    Ok((scope, weights, tolerance / 100.0))
}

/// Back to the page's own query only (it never names another site).
pub(super) fn back_to(back: &str, then: &str) -> String {
    let back: String = back
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "=&_.-".contains(*c))
        .collect();
    format!("/dashboard/design?{back}&{then}")
}

pub async fn publish(State(s): State<AppState>, Csrf(viewer, f): Csrf<PublishForm>) -> Answer {
    let chosen = if f.scenario.trim().is_empty() {
        let (scope, weights, tolerance) = proposal_of(&f)?;
        Chosen::Fresh {
            scope,
            weights,
            tolerance,
        }
    } else {
        Chosen::Saved(f.scenario.trim().to_owned())
    };
    let now = s.settings.clock.now();
    let today: NaiveDate = local_date(viewer.tz, now);
    let v = viewer.clone();
    let digest = f.digest.clone();
    let moved =
        s.db.write(move |tx| {
            // Computed again and checked against what was shown, in the transaction that
            // applies it.
            let (loaded, column) = scenarios::column_of(tx, &v, &chosen, today)?;
            design::publish(tx, &loaded, &column, &digest, now)
        })
        .await?;
    Ok(see_other(&back_to(&f.back, &format!("published={moved}"))))
}

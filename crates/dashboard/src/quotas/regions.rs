//! Grouping the team's territories into regions, on the quota page (`POST
//! /dashboard/quotas/regions`): each territory takes a region name (a new name makes the
//! region, a blank one takes the territory out), all at once.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use maud::{Markup, html};
use rounds_protocol::TerritoryId;
use rounds_server_rules::regions;
use rounds_server_rules::state::AppState;
use serde::Deserialize;

use super::super::scope;
use super::super::{Answer, Csrf, Refusal, Viewer, see_other};
use super::{NOT_OURS, QuotaPeriod, Slot};

/// The form, folded away under the split.
pub fn form(viewer: &Viewer, slots: &[Slot], period: &QuotaPeriod) -> Markup {
    let names: BTreeSet<&str> = slots.iter().filter_map(|t| t.region.as_deref()).collect();
    html! {
        details.regions #regions {
            summary { "Group territories into regions" }
            p.muted { "A target then rolls down: region, territory, rep. Type a region's name beside each of its territories; a new name makes the region, a blank one takes the territory out of any." }
            form method="post" action="/dashboard/quotas/regions" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="period" value=(period.key());
                datalist #region-names { @for n in &names { option value=(n) {} } }
                div.table-wrap tabindex="0" { table.cards.regions {
                    thead { tr { th { "Territory" } th { "Region" } } }
                    tbody { @for t in slots { tr {
                        td.title { (t.name) }
                        td data-label="Region" {
                            input type="text" name=(format!("region_{}", t.id)) list="region-names"
                                maxlength=(regions::MAX_NAME) value=(t.region.as_deref().unwrap_or(""))
                                aria-label=(format!("Region of {}", t.name));
                        }
                    } } }
                } }
                div.actions { button type="submit" { "Save the regions" } }
            }
        }
    }
}

/// The regions form: `region_<territory id>` for each territory shown.
#[derive(Debug, Deserialize)]
pub struct RegionsForm {
    #[serde(default)]
    period: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub async fn assign(State(s): State<AppState>, Csrf(viewer, f): Csrf<RegionsForm>) -> Answer {
    let mut changes: Vec<(TerritoryId, Option<String>)> = Vec::new();
    for (k, v) in &f.rest {
        let Some(id) = k.strip_prefix("region_") else {
            continue;
        };
        let id: TerritoryId = id.parse().map_err(|_| {
            Refusal::page(
                axum::http::StatusCode::BAD_REQUEST,
                "Not possible",
                NOT_OURS,
            )
        })?;
        changes.push((id, regions::name(v)?));
    }
    let now = s.settings.clock.now();
    let v = viewer.clone();
    s.db.write(move |tx| {
        let team = scope::team(tx, &v)?;
        regions::assign(tx, &scope::reach(&team), &changes, now)
    })
    .await?;
    let period = QuotaPeriod::parse(&f.period)
        .map(|p| format!("period={}&", p.key()))
        .unwrap_or_default();
    Ok(see_other(&format!("/dashboard/quotas?{period}regions=1")))
}

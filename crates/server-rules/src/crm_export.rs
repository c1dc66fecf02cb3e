//! Accounts written in a CRM's own shape, to take Rounds' data back into Salesforce,
//! HubSpot or Pipedrive: their column names, their record ids for accounts that came from
//! them (empty for accounts made in Rounds, which the CRM then creates), the owner as the
//! rep's e-mail, and the stage in their vocabulary. Three columns of Rounds' own close the
//! row ("Rounds ID", "Rounds Territory", "Rounds Stage"; the stage comes before the CRM's
//! own, which has fewer values), so the same file also imports back into Rounds unchanged.

use std::collections::HashMap;

use rounds_core::Stage;
use rounds_protocol::records::AccountRecord;
use rounds_protocol::{AccountId, TerritoryId};

use crate::db::{Sql, Val, placeholders};
use crate::error::{Error, Result};
use crate::import::{escape_cell, plain_amount};

/// A CRM whose export shape Rounds writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Salesforce,
    Hubspot,
    Pipedrive,
}

impl Shape {
    pub fn parse(s: &str) -> Option<Shape> {
        match s.trim().to_lowercase().as_str() {
            "salesforce" => Some(Shape::Salesforce),
            "hubspot" => Some(Shape::Hubspot),
            "pipedrive" => Some(Shape::Pipedrive),
            _ => None,
        }
    }

    /// The system its record ids are kept under (see [`crate::crm::system`]).
    pub fn system(self) -> &'static str {
        match self {
            Shape::Salesforce => "salesforce",
            Shape::Hubspot => "hubspot",
            Shape::Pipedrive => "pipedrive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shape::Salesforce => "Salesforce",
            Shape::Hubspot => "HubSpot",
            Shape::Pipedrive => "Pipedrive",
        }
    }

    fn headers(self) -> &'static [&'static str] {
        match self {
            Shape::Salesforce => &[
                "Account ID",
                "Account Name",
                "Billing Street",
                "Billing City",
                "Billing State/Province",
                "Billing Zip/Postal Code",
                "Billing Country",
                "Billing Latitude",
                "Billing Longitude",
                "Phone",
                "Industry",
                "Annual Revenue",
                "Rounds Stage",
                "Type",
                "Account Owner",
                "Rounds ID",
                "Rounds Territory",
            ],
            Shape::Hubspot => &[
                "Record ID",
                "Company name",
                "Street Address",
                "City",
                "State/Region",
                "Postal Code",
                "Country/Region",
                "Phone Number",
                "Industry",
                "Annual Revenue",
                "Rounds Stage",
                "Lifecycle Stage",
                "Company owner",
                "Rounds ID",
                "Rounds Territory",
            ],
            Shape::Pipedrive => &[
                "Organization - ID",
                "Organization - Name",
                "Organization - Address",
                "Organization - Address - City/town/village/locality",
                "Organization - Address - State/County",
                "Organization - Address - ZIP/Postal code",
                "Organization - Address - Country",
                "Organization - Owner",
                "Rounds Stage",
                "Rounds ID",
                "Rounds Territory",
            ],
        }
    }

    /// The stage in the CRM's words: Salesforce's account type, HubSpot's lifecycle
    /// stage (neither has a "lost"; both have "other").
    fn stage(self, s: Stage) -> &'static str {
        match (self, s) {
            (Shape::Salesforce, Stage::Customer) => "Customer - Direct",
            (Shape::Salesforce, Stage::Lead | Stage::Opportunity) => "Prospect",
            (Shape::Salesforce, Stage::Lost) => "Other",
            (_, Stage::Lead) => "lead",
            (_, Stage::Opportunity) => "opportunity",
            (_, Stage::Customer) => "customer",
            (_, Stage::Lost) => "other",
        }
    }
}

/// The record ids of `shape`'s system that these accounts were imported under.
fn record_ids(
    tx: &mut dyn Sql,
    shape: Shape,
    accounts: &[AccountRecord],
) -> Result<HashMap<AccountId, String>> {
    let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut vals: Vec<Val> = vec![Val::from(shape.system().to_owned())];
        vals.extend(chunk.iter().map(Val::from));
        for r in tx.query(
            &format!(
                "SELECT account_id, external_id FROM import_sources
                 WHERE system = $1 AND account_id IN ({})",
                placeholders(2, chunk.len())
            ),
            &vals,
        )? {
            out.insert(r.parse("account_id")?, r.text("external_id")?);
        }
    }
    Ok(out)
}

/// `accounts` as `shape`'s export, or a piece of it (the header only on the first);
/// `territory_name` names a territory, `owner` gives the e-mail of the rep who works one
/// (empty when none does).
pub fn export(
    tx: &mut dyn Sql,
    shape: Shape,
    accounts: &[AccountRecord],
    territory_name: &dyn Fn(TerritoryId) -> String,
    owner: &dyn Fn(Option<TerritoryId>) -> String,
    header: bool,
) -> Result<Vec<u8>> {
    let ids = record_ids(tx, shape, accounts)?;
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    if header {
        w.write_record(shape.headers()).map_err(fail)?;
    }
    for a in accounts {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let coord = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let record_id = ids.get(&a.id).cloned().unwrap_or_default();
        let own = [
            enum_name(a.stage),
            a.id.to_string(),
            a.territory_id.map(territory_name).unwrap_or_default(),
        ];
        let row: Vec<String> = match shape {
            Shape::Salesforce => vec![
                record_id,
                a.name.clone(),
                a.street.clone(),
                a.city.clone(),
                a.region.clone(),
                a.postal_code.clone(),
                a.country.clone(),
                coord(a.lat),
                coord(a.lon),
                opt(&a.phone),
                opt(&a.industry),
                plain_amount(a.revenue_minor, &a.currency),
                own[0].clone(),
                shape.stage(a.stage).into(),
                owner(a.territory_id),
                own[1].clone(),
                own[2].clone(),
            ],
            Shape::Hubspot => vec![
                record_id,
                a.name.clone(),
                a.street.clone(),
                a.city.clone(),
                a.region.clone(),
                a.postal_code.clone(),
                a.country.clone(),
                opt(&a.phone),
                opt(&a.industry),
                plain_amount(a.revenue_minor, &a.currency),
                own[0].clone(),
                shape.stage(a.stage).into(),
                owner(a.territory_id),
                own[1].clone(),
                own[2].clone(),
            ],
            Shape::Pipedrive => vec![
                record_id,
                a.name.clone(),
                a.street.clone(),
                a.city.clone(),
                a.region.clone(),
                a.postal_code.clone(),
                a.country.clone(),
                owner(a.territory_id),
                own[0].clone(),
                own[1].clone(),
                own[2].clone(),
            ],
        };
        w.write_record(row.iter().map(|v| escape_cell(v).into_owned()))
            .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

fn enum_name(s: Stage) -> String {
    s.as_str().to_owned()
}

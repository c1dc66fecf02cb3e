//! What the rep captures in the field: "New lead here" (after being asked about the
//! accounts on the device it may already be), changes to an account's details, stage
//! and pin, the people met there, and the check-out when the rep leaves.

use chrono::{DateTime, Utc};
use rounds_core::calendar::local_date;
use rounds_core::duplicate::Why;
use rounds_core::{CorrectionKind, LatLon, LocationSource, Priority};
use rounds_protocol::ErrorCode;
use rounds_protocol::ipc::{
    CheckOut, EditAccount, Fix, IpcError, LeadDraft, Lookalike, NewLead, SaveContact,
};
use rounds_protocol::{AccountId, ContactId, TerritoryId};
use rounds_store::{ContactInput, NewAccount};

use crate::rep::{Rep, store_err};

/// The currency a new account's (zero) figures are kept in when nothing on the device
/// says otherwise.
const DEFAULT_CURRENCY: &str = "USD";

impl Rep {
    /// What the draft may already be, most alike first.
    pub fn lookalikes(&self, draft: &LeadDraft) -> Result<Vec<Lookalike>, IpcError> {
        let at = draft.fix.map(place).transpose()?;
        let found = self
            .store()
            .read()
            .lookalikes(&draft.name, draft.phone.as_deref(), at)
            .map_err(store_err)?;
        Ok(found
            .into_iter()
            .map(|l| Lookalike {
                id: l.account.account.id,
                name: l.account.account.name.clone(),
                city: l.account.account.address.city.clone(),
                stage: l.account.account.stage,
                distance_m: l.found.distance_m,
                same_phone: l.found.why.contains(&Why::SamePhone),
                similar_name: l.found.why.contains(&Why::SimilarName),
                nearby: l.found.why.contains(&Why::Nearby),
            })
            .collect())
    }

    /// Saves the new lead in the rep's territory, queued for the server; answers its id.
    pub fn create_account(
        &mut self,
        req: &NewLead,
        now: DateTime<Utc>,
    ) -> Result<AccountId, IpcError> {
        let territory = self.home_territory()?;
        let currency = self.currency_of(territory)?;
        let (location, location_source) = match req.fix.map(place).transpose()? {
            Some(at) => (Some(at), Some(LocationSource::Device)),
            None => match by_zip(&currency, &req.postal_code) {
                Some(at) => (Some(at), Some(LocationSource::PostalCode)),
                None => (None, None),
            },
        };
        let today = local_date(self.profile().tz(), now);
        let new = NewAccount {
            name: req.name.clone(),
            phone: req.phone.clone(),
            email: req.email.clone(),
            street: req.street.clone(),
            city: req.city.clone(),
            region: req.region.clone(),
            postal_code: req.postal_code.clone(),
            country: String::new(),
            industry: req.industry.clone(),
            location,
            location_source,
            priority: req.priority.unwrap_or(Priority::Low),
            territory,
            currency,
        };
        let view = self
            .store_mut()
            .create_account(new, today, now)
            .map_err(store_err)?;
        Ok(view.account.id)
    }

    /// The rep's edit form, stage change or pin fix: queued together or not at all.
    pub fn edit_account(&mut self, req: &EditAccount, now: DateTime<Utc>) -> Result<(), IpcError> {
        if req.edits.is_empty() {
            return Ok(());
        }
        self.store_mut()
            .change_account(
                req.account_id,
                req.edits.clone(),
                req.lost_reason.clone(),
                now,
            )
            .map_err(store_err)?;
        Ok(())
    }

    /// A new contact, or a change of one: queued and shown at once.
    pub fn save_contact(
        &mut self,
        req: &SaveContact,
        now: DateTime<Utc>,
    ) -> Result<ContactId, IpcError> {
        self.store_mut()
            .save_contact(
                ContactInput {
                    id: req.contact_id,
                    account_id: req.account_id,
                    name: req.name.clone(),
                    title: req.title.clone(),
                    phone: req.phone.clone(),
                    email: req.email.clone(),
                    primary: req.primary,
                },
                now,
            )
            .map_err(store_err)
    }

    /// The rep leaves: the open visit gets its length, as an amendment of the fact.
    /// Refused when the visit is not under way (checked out, or closed itself).
    pub fn check_out(&mut self, req: &CheckOut, now: DateTime<Utc>) -> Result<u32, IpcError> {
        let entry = self
            .store()
            .read()
            .activities()
            .timeline(req.account_id)
            .map_err(store_err)?
            .into_iter()
            .find(|e| e.activity.id == req.activity_id && !e.voided)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such visit on this account"))?;
        let minutes = entry.activity.check_out_minutes(now).ok_or_else(|| {
            IpcError::new(
                ErrorCode::Conflict,
                "this visit is not under way: it was checked out, or closed itself",
            )
        })?;
        self.store_mut()
            .correct_activity(
                req.activity_id,
                CorrectionKind::Amend {
                    occurred_at: None,
                    duration_min: Some(minutes),
                    outcome: None,
                    note: None,
                },
                now,
            )
            .map_err(store_err)?;
        Ok(minutes)
    }

    /// The territory a new account joins: the one the rep works (the first by name when
    /// they work several).
    fn home_territory(&self) -> Result<TerritoryId, IpcError> {
        let me = self.profile().user.id;
        self.store()
            .read()
            .territories()
            .list()
            .map_err(store_err)?
            .into_iter()
            .find(|t| t.rep == Some(me))
            .map(|t| t.id)
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Forbidden,
                    "no territory of yours is on this device yet: sync first",
                )
            })
    }

    /// The currency the territory's accounts use.
    fn currency_of(&self, territory: TerritoryId) -> Result<String, IpcError> {
        Ok(self
            .store()
            .read()
            .accounts()
            .currency_in(territory)
            .map_err(store_err)?
            .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned()))
    }
}

/// A lead typed without a pin: the middle of its ZIP code, offline. The form has no
/// country, so only a territory kept in US dollars reads the code as a US ZIP (a German
/// "10115" must not land in Manhattan).
fn by_zip(currency: &str, postal_code: &str) -> Option<LatLon> {
    if currency != "USD" {
        return None;
    }
    let p = rounds_geocode::locate("US", postal_code).ok()?;
    LatLon::new(p.lat, p.lon).ok()
}

fn place(f: Fix) -> Result<LatLon, IpcError> {
    LatLon::new(f.lat, f.lon)
        .map_err(|e| IpcError::new(ErrorCode::InvalidInput, format!("location: {e}")))
}

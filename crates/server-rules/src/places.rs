//! Where an account is when no one has said: its postal code's middle, found offline
//! (see `rounds-geocode`). A location a rep, a manager or a file gave always wins.

use rounds_core::LocationSource;
use rounds_protocol::records::AccountRecord;

pub use rounds_geocode::Miss;

fn address(r: &AccountRecord) -> [&str; 5] {
    [&r.street, &r.city, &r.region, &r.postal_code, &r.country]
}

/// Places `rec` by its postal code when it is new (`before` is `None`) or its address
/// changed since `before`, and nothing better holds its location: it has none, or only a
/// geocode. A geocode of an old address that the new one cannot replace is cleared, not
/// left where it is wrong. An unchanged address is left alone, so an export imports back
/// unchanged. Returns why the account could not be placed, when that was tried.
pub fn by_postal_code(rec: &mut AccountRecord, before: Option<&AccountRecord>) -> Option<Miss> {
    let located = rec.lat.is_some() && rec.lon.is_some();
    let replaceable = !located
        || rec
            .location_source
            .is_some_and(LocationSource::geocode_may_replace);
    if !replaceable || before.is_some_and(|b| address(b) == address(rec)) {
        return None;
    }
    match rounds_geocode::locate(&rec.country, &rec.postal_code) {
        Ok(place) => {
            rec.lat = Some(place.lat);
            rec.lon = Some(place.lon);
            rec.location_source = Some(LocationSource::PostalCode);
            None
        }
        Err(miss) => {
            rec.lat = None;
            rec.lon = None;
            rec.location_source = None;
            Some(miss)
        }
    }
}

/// Why an account without a location cannot be placed by its postal code, as a
/// manager is told; `None` when it has a location.
pub fn why_not_placed(rec: &AccountRecord) -> Option<String> {
    if rec.lat.is_some() && rec.lon.is_some() {
        return None;
    }
    Some(
        match rounds_geocode::locate(&rec.country, &rec.postal_code) {
            Err(miss) => capitalised(&miss.to_string()),
            // Placeable now (the table knows it); it came in before placing existed or its
            // location was cleared by hand.
            Ok(_) => "Its postal code is known: place it here".to_owned(),
        },
    )
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rounds_core::Stage;
    use rounds_protocol::AccountId;

    fn account(
        postal_code: &str,
        at: Option<(f64, f64)>,
        source: Option<LocationSource>,
    ) -> AccountRecord {
        AccountRecord {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            name: "Corner Shop".into(),
            street: "1 Main St".into(),
            city: String::new(),
            region: String::new(),
            postal_code: postal_code.into(),
            country: "US".into(),
            lat: at.map(|a| a.0),
            lon: at.map(|a| a.1),
            stage: Stage::Lead,
            priority: rounds_core::Priority::Medium,
            kare: None,
            currency: "USD".into(),
            revenue_minor: 0,
            expenses_minor: 0,
            phone: None,
            email: None,
            industry: None,
            territory_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            lead_on: None,
            opportunity_on: None,
            won_on: None,
            lost_on: None,
            hours: None,
            visit_minutes: None,
            closed_on: None,
            preferred_hours: None,
            potential_minor: None,
            potential_estimate_minor: None,
            location_source: source,
        }
    }

    const PIN: (f64, f64) = (39.75, -104.99);

    #[test]
    fn a_new_account_lands_at_its_zip() {
        let mut a = account("80202", None, None);
        assert_eq!(by_postal_code(&mut a, None), None);
        assert_eq!(a.location_source, Some(LocationSource::PostalCode));
        assert!((a.lat.unwrap() - 39.75).abs() < 0.1, "{:?}", a.lat);
    }

    #[test]
    fn a_pin_given_by_a_person_is_never_replaced() {
        for source in [
            Some(LocationSource::Device),
            Some(LocationSource::Hand),
            Some(LocationSource::Imported),
            None,
        ] {
            let before = account("80202", Some(PIN), source);
            let mut after = account("30303", Some(PIN), source);
            assert_eq!(by_postal_code(&mut after, Some(&before)), None);
            assert_eq!(
                (after.lat, after.lon),
                (Some(PIN.0), Some(PIN.1)),
                "{source:?}"
            );
            assert_eq!(after.location_source, source);
        }
    }

    #[test]
    fn a_geocode_follows_its_address() {
        let mut first = account("80202", None, None);
        by_postal_code(&mut first, None);
        let mut moved = first.clone();
        moved.postal_code = "30303".into();
        assert_eq!(by_postal_code(&mut moved, Some(&first)), None);
        assert!(
            (moved.lat.unwrap() - 33.75).abs() < 0.1,
            "Atlanta: {:?}",
            moved.lat
        );
        // Unchanged address: left alone (no work, same answer).
        let mut again = moved.clone();
        assert_eq!(by_postal_code(&mut again, Some(&moved)), None);
        assert_eq!(again, moved);
    }

    #[test]
    fn an_unchanged_address_is_left_alone() {
        let before = account("80202", None, None);
        let mut same = before.clone();
        assert_eq!(by_postal_code(&mut same, Some(&before)), None);
        assert_eq!(same, before, "not placed: nothing asked for it");
        assert_eq!(
            why_not_placed(&same).as_deref(),
            Some("Its postal code is known: place it here")
        );
    }

    #[test]
    fn a_stale_geocode_is_cleared_with_the_reason() {
        let mut first = account("80202", None, None);
        by_postal_code(&mut first, None);
        let mut abroad = first.clone();
        abroad.country = "DE".into();
        abroad.postal_code = "10115".into();
        let miss = by_postal_code(&mut abroad, Some(&first));
        assert_eq!(miss, Some(Miss::CountryNotCovered("DE".into())));
        assert_eq!((abroad.lat, abroad.location_source), (None, None));
        assert_eq!(
            why_not_placed(&abroad).as_deref(),
            Some("Postal codes of DE are not known offline (only the United States)")
        );
    }

    #[test]
    fn why_not_placed_is_said_only_for_accounts_off_the_map() {
        assert_eq!(why_not_placed(&account("", Some(PIN), None)), None);
        assert_eq!(
            why_not_placed(&account("", None, None)).as_deref(),
            Some("No postal code")
        );
        assert_eq!(
            why_not_placed(&account("00000", None, None)).as_deref(),
            Some("ZIP code 00000 is not in the table (retired, or a P.O.-box-only code)")
        );
    }
}

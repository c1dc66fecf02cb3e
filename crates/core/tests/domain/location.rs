//! Where an account's location came from decides what it may prove.

use rounds_core::activity::CHECK_IN_RADIUS_M;
use rounds_core::{CheckIn, LatLon, LocationFix, LocationSource, Priority};
use rstest::rstest;

use crate::fixtures::account;

// A rep standing at the point the account holds: a visit there is proven unless the
// point is only the middle of its postal code.
#[rstest]
#[case::device(Some(LocationSource::Device), CheckIn::Inside)]
#[case::by_hand(Some(LocationSource::Hand), CheckIn::Inside)]
#[case::imported(Some(LocationSource::Imported), CheckIn::Inside)]
#[case::address(Some(LocationSource::Address), CheckIn::Inside)]
#[case::not_recorded(None, CheckIn::Inside)]
#[case::postal_code(Some(LocationSource::PostalCode), CheckIn::NoFix)]
fn a_postal_code_middle_proves_no_visit(
    #[case] source: Option<LocationSource>,
    #[case] expected: CheckIn,
) {
    let at = LatLon::new(39.75, -104.99).unwrap();
    let mut a = account(1, Priority::High);
    a.location = Some(at);
    a.location_source = source;
    let fix = LocationFix {
        at,
        accuracy_m: 10.0,
    };
    assert_eq!(
        LocationFix::verify(Some(&fix), a.check_in_location(), CHECK_IN_RADIUS_M),
        expected
    );
}

#[test]
fn only_geocodes_give_way_to_a_geocode() {
    let replaceable: Vec<_> = LocationSource::ALL
        .into_iter()
        .filter(|s| s.geocode_may_replace())
        .collect();
    assert_eq!(
        replaceable,
        [LocationSource::Address, LocationSource::PostalCode]
    );
}

#[test]
fn names_read_back_and_precision_orders_the_sources() {
    for s in LocationSource::ALL {
        assert_eq!(LocationSource::from_name(s.name()), Some(s));
        // The same names serde writes, so a file and the wire agree.
        assert_eq!(serde_json::to_value(s).unwrap(), s.name());
    }
    assert_eq!(LocationSource::from_name("gps"), None);
    assert!(LocationSource::PostalCode.precision_m() > LocationSource::Address.precision_m());
    assert!(LocationSource::Address.precision_m() > LocationSource::Hand.precision_m());
}

use super::*;
use proptest::prelude::*;
use rstest::rstest;

#[test]
fn the_table_is_whole_and_plain() {
    let rows = US_ZIPS.lines().skip(1).count();
    assert_eq!(known(), rows, "every row parsed");
    assert!(rows > 40_000, "all US ZIP codes, not a sample: {rows}");
    assert!(
        !US_ZIPS.contains('"'),
        "no quoted cells: the split by hand relies on it"
    );
    assert!(
        US_ZIPS.lines().all(|l| l.split(',').count() == 6),
        "six fields on every line"
    );
}

// Real codes, checked against the source file by hand.
#[rstest]
#[case::denver("US", "80202", 39.7, -105.0, "Denver", "CO")]
#[case::zip_plus_four("USA", "80202-1234", 39.7, -105.0, "Denver", "CO")]
#[case::nine_digits("United States", "802021234", 39.7, -105.0, "Denver", "CO")]
#[case::country_left_out("", "30303", 33.75, -84.39, "Atlanta", "GA")]
#[case::excel_stripped_zeros("us", "2134", 42.35, -71.13, "Allston", "MA")]
#[case::holtsville("U.S.A.", "501", 40.92, -72.64, "Holtsville", "NY")]
#[case::spaces(" US ", " 75201 ", 32.79, -96.80, "Dallas", "TX")]
fn known_codes_are_placed(
    #[case] country: &str,
    #[case] code: &str,
    #[case] lat: f64,
    #[case] lon: f64,
    #[case] city: &str,
    #[case] region: &str,
) {
    let p = locate(country, code).unwrap();
    assert!((p.lat - lat).abs() < 0.1, "{code}: lat {}", p.lat);
    assert!((p.lon - lon).abs() < 0.1, "{code}: lon {}", p.lon);
    assert_eq!((p.city, p.region), (city, region));
}

#[rstest]
#[case::blank("US", " ", Miss::NoPostalCode)]
#[case::germany("DE", "10115", Miss::CountryNotCovered("DE".into()))]
#[case::letters("US", "SW1A 1AA", Miss::Malformed("SW1A 1AA".into()))]
#[case::too_long("US", "802021", Miss::Malformed("802021".into()))]
#[case::two_digits("US", "80", Miss::Malformed("80".into()))]
#[case::bad_plus4("US", "80202-12", Miss::Malformed("80202-12".into()))]
#[case::unused("US", "00000", Miss::Unknown("00000".into()))]
fn misses_say_why(#[case] country: &str, #[case] code: &str, #[case] miss: Miss) {
    assert_eq!(locate(country, code), Err(miss));
}

proptest! {
    // Whatever a rep or a file types, the lookup answers without panicking, and a
    // five-digit answer is what was asked (padded).
    #[test]
    fn any_text_is_answered(code in "\\PC{0,12}", country in "(US|DE|)") {
        let _ = locate(&country, &code);
        if let Some(z) = us_zip(&code) {
            prop_assert_eq!(z.len(), 5);
            prop_assert!(z.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn every_known_code_is_in_the_united_states(i in 0usize..42_000) {
        let line = US_ZIPS.lines().nth(1 + i % known()).unwrap();
        let zip = line.split(',').next().unwrap();
        let p = locate("US", zip).unwrap();
        // The 50 states, DC and the territories (Puerto Rico to Guam and Alaska's
        // Aleutians, which cross the antimeridian).
        prop_assert!((-15.0..72.0).contains(&p.lat), "{zip}: {}", p.lat);
        prop_assert!(p.lon < -64.0 || p.lon > 130.0, "{zip}: {}", p.lon);
    }
}

#[test]
fn the_codes_in_a_box_are_those_the_table_places_there() {
    // Around downtown Denver.
    let (s, w, n, e) = (39.70, -105.02, 39.78, -104.95);
    let codes = us_codes_within(s, w, n, e);
    assert!(codes.iter().any(|(z, _)| z == "80202"), "{codes:?}");
    assert!(codes.windows(2).all(|p| p[0].0 < p[1].0), "in code order");
    for (z, p) in &codes {
        assert_eq!(locate("US", z).as_ref(), Ok(p));
        assert!((s..=n).contains(&p.lat) && (w..=e).contains(&p.lon));
    }
    // A New England code keeps its leading zero.
    assert!(
        us_codes_within(42.3, -71.2, 42.4, -71.0)
            .iter()
            .all(|(z, _)| z.len() == 5 && z.starts_with('0'))
    );
    assert!(us_codes_within(10.0, 10.0, 11.0, 11.0).is_empty());
}

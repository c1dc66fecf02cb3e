//! A rep's own days off: what they write, and the days Rounds reads from it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;
use rounds_core::calendar::{
    DaysOffError, MAX_DATES_TEXT, MAX_DAYS_OFF, canonical_dates, format_days_off, parse_days_off,
};
use rstest::rstest;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[rstest]
#[case::one_day("2026-12-24", &["2026-12-24"])]
#[case::en_dash_stretch("2026-12-24 – 2026-12-27", &["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"])]
#[case::dots("2026-12-31..2027-01-01", &["2026-12-31", "2027-01-01"])]
#[case::to("2027-02-27 to 2027-03-01", &["2027-02-27", "2027-02-28", "2027-03-01"])]
#[case::spaced_hyphen("2028-02-28 - 2028-03-01", &["2028-02-28", "2028-02-29", "2028-03-01"])]
#[case::lines_and_commas("2026-12-24\n 2026-12-31 , 2027-01-02\n\n", &["2026-12-24", "2026-12-31", "2027-01-02"])]
#[case::overlaps_counted_once("2026-12-24 – 2026-12-26\n2026-12-25", &["2026-12-24", "2026-12-25", "2026-12-26"])]
#[case::blank("  \n ", &[])]
fn days_off_are_read(#[case] text: &str, #[case] want: &[&str]) {
    let want: BTreeSet<NaiveDate> = want.iter().map(|s| d(s)).collect();
    assert_eq!(parse_days_off(text), Ok(want));
}

#[rstest]
#[case::words("Christmas", DaysOffError::NotADate("Christmas".into()))]
#[case::local_order("24/12/2026", DaysOffError::NotADate("24/12/2026".into()))]
#[case::no_such_day("2026-02-30", DaysOffError::NotADate("2026-02-30".into()))]
#[case::half_a_stretch("2026-12-24 – soon", DaysOffError::NotADate("soon".into()))]
#[case::backwards(
    "2027-01-02 – 2026-12-24",
    DaysOffError::Backwards(d("2027-01-02"), d("2026-12-24"))
)]
#[case::a_typo_in_the_year("2026-12-24 – 2062-01-01", DaysOffError::TooMany)]
fn bad_days_off_say_why(#[case] text: &str, #[case] want: DaysOffError) {
    assert_eq!(parse_days_off(text), Err(want));
}

#[test]
fn at_most_a_year_of_days_off() {
    let year = "2027-01-01 – 2027-12-31\n2028-01-01";
    assert_eq!(parse_days_off(year).map(|s| s.len()), Ok(366));
    assert_eq!(
        parse_days_off(&format!("{year}\n2028-01-02")),
        Err(DaysOffError::TooMany)
    );
    assert_eq!(MAX_DAYS_OFF, 366);
}

#[test]
fn runs_are_written_as_stretches() {
    let days =
        parse_days_off("2026-12-31, 2026-12-24 – 2026-12-26, 2027-01-01, 2027-01-05").unwrap();
    assert_eq!(
        format_days_off(&days),
        "2026-12-24 – 2026-12-26\n2026-12-31 – 2027-01-01\n2027-01-05"
    );
    assert_eq!(format_days_off(&BTreeSet::new()), "");
}

#[rstest]
#[case::blank(None, Ok(None))]
#[case::spaces(Some("  "), Ok(None))]
#[case::one_line(
    Some("2027-01-01\n2026-12-24..2026-12-26, 2026-12-31"),
    Ok(Some("2026-12-24 – 2026-12-26, 2026-12-31 – 2027-01-01".into()))
)]
#[case::bad(Some("soon"), Err(DaysOffError::NotADate("soon".into())))]
fn closed_dates_are_kept_on_one_line(
    #[case] text: Option<&str>,
    #[case] want: Result<Option<String>, DaysOffError>,
) {
    assert_eq!(canonical_dates(text), want);
}

#[test]
fn a_huge_list_is_refused_before_it_is_read() {
    let text = "2026-12-24, ".repeat(MAX_DATES_TEXT / 12 + 1);
    assert_eq!(parse_days_off(&text), Err(DaysOffError::TooLong));
    // A year of single dates, one line, still fits.
    let year: BTreeSet<NaiveDate> = (0..366)
        .map(|i| d("2027-01-01") + chrono::Days::new(2 * i))
        .collect();
    let line = format_days_off(&year).replace('\n', ", ");
    assert!(line.len() <= MAX_DATES_TEXT);
    assert_eq!(parse_days_off(&line), Ok(year));
}

proptest! {
    #[test]
    fn the_written_form_reads_back_to_the_same_days(
        offsets in proptest::collection::btree_set(0u64..800, 0..60)
    ) {
        let first = d("2026-11-20");
        let days: BTreeSet<NaiveDate> =
            offsets.iter().map(|&o| first + chrono::Days::new(o)).collect();
        prop_assert_eq!(parse_days_off(&format_days_off(&days)), Ok(days.clone()));
        let line = canonical_dates(Some(&format_days_off(&days))).unwrap();
        prop_assert_eq!(parse_days_off(line.as_deref().unwrap_or_default()), Ok(days));
    }
}

//! Opening hours: what a rep or an export writes, what Rounds reads from it, and the
//! window a visit may start in.

use chrono::Weekday::{self, *};
use proptest::prelude::*;
use rounds_core::hours::{self, HoursError, OpeningHours, Span};
use rstest::rstest;

fn span(open: &str, close: &str) -> Span {
    let m = |t: &str| {
        let (h, m) = t.split_once(':').unwrap();
        h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
    };
    Span {
        open: m(open),
        close: m(close),
    }
}

#[rstest]
#[case::weekdays("Mo-Fr 08:00-17:00", "Mo-Fr 08:00-17:00")]
#[case::lunch_break("Mo-Fr 08:00-12:00,14:00-18:00", "Mo-Fr 08:00-12:00,14:00-18:00")]
#[case::saturday_morning(
    "Mo-Fr 08:00-17:00; Sa 09:00-12:00",
    "Mo-Fr 08:00-17:00; Sa 09:00-12:00"
)]
#[case::later_rule_replaces(
    "Mo-Fr 08:00-17:00; We 08:00-12:00",
    "Mo-Tu 08:00-17:00; We 08:00-12:00; Th-Fr 08:00-17:00"
)]
#[case::off_closes("Mo-Sa 09:00-18:00; Sa off", "Mo-Fr 09:00-18:00")]
#[case::english_and_dashes("Mon–Fri 9:00–17:30", "Mo-Fr 09:00-17:30")]
#[case::list_of_days(
    "Mo,We,Fr 10:00-16:00",
    "Mo 10:00-16:00; We 10:00-16:00; Fr 10:00-16:00"
)]
#[case::wraps_weekend("Fr-Mo 10:00-14:00", "Mo 10:00-14:00; Fr-Su 10:00-14:00")]
#[case::every_day_without_selector("10:00-14:00", "Mo-Su 10:00-14:00")]
#[case::always("24/7", "24/7")]
#[case::until_midnight("Sa 18:00-24:00", "Sa 18:00-24:00")]
#[case::unordered_spans("Tu 14:00-18:00,08:00-12:00", "Tu 08:00-12:00,14:00-18:00")]
#[case::all_closed("off", "off")]
fn reads_and_writes_back(#[case] written: &str, #[case] canonical: &str) {
    let hours = OpeningHours::parse(written).unwrap();
    assert_eq!(hours.to_string(), canonical);
    assert_eq!(OpeningHours::parse(canonical).unwrap(), hours);
}

#[rstest]
#[case::empty("  ", HoursError::Empty)]
#[case::bad_day("Xy 08:00-17:00", HoursError::Day("Xy".into()))]
#[case::bad_time("Mo 25:00-26:00", HoursError::Time("25:00".into()))]
#[case::bad_minutes("Mo 08:60-17:00", HoursError::Time("08:60".into()))]
#[case::no_range("Mo 08:00", HoursError::Span("08:00".into()))]
#[case::over_midnight("Fr 22:00-02:00", HoursError::Backwards("22:00-02:00".into()))]
#[case::overlap("Mo 08:00-12:00,11:00-14:00", HoursError::Overlap("08:00-12:00".into(), "11:00-14:00".into()))]
#[case::touching("Mo 08:00-12:00,12:00-14:00", HoursError::Overlap("08:00-12:00".into(), "12:00-14:00".into()))]
#[case::public_holidays("Mo-Fr 08:00-17:00; PH off", HoursError::Unsupported("PH".into()))]
#[case::months("Jan-Mar Mo 08:00-12:00", HoursError::Unsupported("Jan".into()))]
#[case::no_hours("Mo-Fr", HoursError::NoHours("Mo-Fr".into()))]
#[case::too_many_spans(
    "Mo 01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00",
    HoursError::TooManySpans
)]
fn refuses_with_the_reason(#[case] written: &str, #[case] error: HoursError) {
    assert_eq!(OpeningHours::parse(written), Err(error));
}

#[test]
fn refuses_text_too_long_to_be_hours() {
    let long = "Mo 08:00-17:00; ".repeat(30);
    assert_eq!(OpeningHours::parse(&long), Err(HoursError::TooLong));
}

#[rstest]
// The whole span when the visit is short; it must end by closing time.
#[case::fits("Mo-Fr 08:00-17:00", Mon, 30, Some(("08:00", "16:30")))]
#[case::closed_day("Mo-Fr 08:00-17:00", Sat, 30, None)]
// With a lunch break, the longer half; never a start inside the break.
#[case::longer_half("Mo 08:00-12:00,13:00-18:00", Mon, 30, Some(("13:00", "17:30")))]
#[case::earlier_of_equal_halves("Mo 08:00-12:00,14:00-18:00", Mon, 60, Some(("08:00", "11:00")))]
// A visit longer than the longer half fits nowhere that day.
#[case::too_long("Mo 08:00-10:00,11:00-12:00", Mon, 150, None)]
#[case::exactly_fits("Mo 08:00-10:00", Mon, 120, Some(("08:00", "08:00")))]
fn a_visit_starts_inside_hours(
    #[case] written: &str,
    #[case] day: Weekday,
    #[case] minutes: u16,
    #[case] window: Option<(&str, &str)>,
) {
    let hours = OpeningHours::parse(written).unwrap();
    assert_eq!(
        hours.visit_start(day, minutes),
        window.map(|(a, b)| span(a, b))
    );
}

#[test]
fn says_a_day_in_words() {
    let hours = OpeningHours::parse("Mo 08:00-12:00,14:00-18:00").unwrap();
    assert_eq!(hours.describe(Mon), "08:00-12:00, 14:00-18:00");
    assert_eq!(hours.describe(Tue), "closed");
    assert!(hours.is_closed(Sun));
}

#[rstest]
#[case(0, false)]
#[case(1, true)]
#[case(45, true)]
#[case(hours::MAX_VISIT_MINUTES, true)]
#[case(hours::MAX_VISIT_MINUTES + 1, false)]
fn visit_minutes_are_bounded(#[case] minutes: u16, #[case] ok: bool) {
    assert_eq!(hours::visit_minutes(minutes).is_ok(), ok);
}

#[test]
fn travels_as_its_written_form() {
    let hours = OpeningHours::parse("Mo-Fr 08:00-17:00").unwrap();
    let json = serde_json::to_string(&hours).unwrap();
    assert_eq!(json, "\"Mo-Fr 08:00-17:00\"");
    assert_eq!(serde_json::from_str::<OpeningHours>(&json).unwrap(), hours);
    assert!(serde_json::from_str::<OpeningHours>("\"Mo 9-5\"").is_err());
}

/// A random valid week: each day closed or up to three sorted, separated spans.
fn week() -> impl Strategy<Value = Vec<Vec<(u16, u16)>>> {
    let day = prop::collection::vec((0u16..1440, 1u16..240), 0..4).prop_map(|raw| {
        let mut spans: Vec<(u16, u16)> = Vec::new();
        let mut cursor = 0u16;
        for (gap, len) in raw {
            let open = cursor.saturating_add(gap % 300);
            let close = open.saturating_add(len);
            if close > 1440 {
                break;
            }
            spans.push((open, close));
            cursor = close + 1;
        }
        spans
    });
    prop::collection::vec(day, 7)
}

fn written(week: &[Vec<(u16, u16)>]) -> String {
    let names = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
    let mut rules = vec!["off".to_owned()];
    for (d, spans) in week.iter().enumerate() {
        if !spans.is_empty() {
            let list: Vec<String> = spans
                .iter()
                .map(|&(a, b)| format!("{}-{}", hours::clock(a), hours::clock(b)))
                .collect();
            rules.push(format!("{} {}", names[d], list.join(",")));
        }
    }
    rules.join("; ")
}

proptest! {
    #[test]
    fn the_written_form_reads_back_the_same(week in week()) {
        let hours = OpeningHours::parse(&written(&week)).unwrap();
        let again = OpeningHours::parse(&hours.to_string()).unwrap();
        prop_assert_eq!(&again, &hours);
        let days = [Mon, Tue, Wed, Thu, Fri, Sat, Sun];
        for (d, spans) in week.iter().enumerate() {
            let got: Vec<(u16, u16)> = hours.on(days[d]).iter().map(|s| (s.open, s.close)).collect();
            prop_assert_eq!(&got, spans);
        }
    }

    #[test]
    fn a_visit_window_never_runs_past_closing(week in week(), minutes in 1u16..300) {
        let hours = OpeningHours::parse(&written(&week)).unwrap();
        for day in [Mon, Tue, Wed, Thu, Fri, Sat, Sun] {
            if let Some(w) = hours.visit_start(day, minutes) {
                // Both the earliest and the latest start end inside one open span.
                prop_assert!(hours.on(day).iter().any(|s| s.open <= w.open && w.close + minutes <= s.close));
            } else {
                prop_assert!(hours.on(day).iter().all(|s| s.minutes() < minutes));
            }
        }
    }
}

#[rstest]
#[case::morning(10 * 60 + 30, 45, true)]
#[case::ends_at_midnight(23 * 60, 60, true)]
#[case::past_midnight(23 * 60 + 30, 45, false)]
#[case::no_length(10 * 60, 0, false)]
#[case::too_long(8 * 60, hours::MAX_VISIT_MINUTES + 1, false)]
fn an_appointment_starts_and_ends_on_its_day(
    #[case] at_min: u16,
    #[case] minutes: u16,
    #[case] ok: bool,
) {
    assert_eq!(
        rounds_core::appointment::check_time(at_min, minutes).is_ok(),
        ok
    );
}

#[rstest]
#[case::weekdays("Mo-Fr 08:30-17:00", Ok(Some("Mo-Fr 08:30-17:00")))]
#[case::short_friday(
    "Mo-Th 08:00-17:00; Fr 08:00-12:00",
    Ok(Some("Mo-Th 08:00-17:00; Fr 08:00-12:00"))
)]
#[case::weekends_only("Sa-Su 10:00-16:00", Ok(Some("Sa-Su 10:00-16:00")))]
#[case::blank("  ", Ok(None))]
#[case::lunch_break("Mo-Fr 08:00-12:00,13:00-17:00", Err(hours::WorkWeekError::Break(Mon)))]
#[case::a_short_day(
    "Mo-Fr 08:00-17:00; Sa 09:00-09:59",
    Err(hours::WorkWeekError::Short(Sat))
)]
#[case::never("off", Err(hours::WorkWeekError::NoDay))]
#[case::not_hours("PH off", Err(hours::WorkWeekError::Hours(HoursError::Unsupported("PH".into()))))]
fn a_reps_week_is_one_stretch_a_day(
    #[case] text: &str,
    #[case] want: Result<Option<&str>, hours::WorkWeekError>,
) {
    let got = hours::work_week(text).map(|w| w.map(|w| w.to_string()));
    assert_eq!(got, want.map(|w| w.map(str::to_owned)));
}

#[rstest]
#[case::half_an_hour_between_noon_and_two(720, 840, 30, Ok(()))]
#[case::exactly_the_window(720, 750, 30, Ok(()))]
#[case::longest(660, 840, 120, Ok(()))]
#[case::too_short(720, 840, 4, Err(hours::LunchError::Length(4)))]
#[case::too_long(600, 900, 121, Err(hours::LunchError::Length(121)))]
#[case::window_shorter_than_the_break(720, 740, 30, Err(hours::LunchError::Window))]
#[case::times_reversed(840, 720, 30, Err(hours::LunchError::Window))]
#[case::past_midnight(1400, 1441, 30, Err(hours::LunchError::Midnight))]
fn a_lunch_break_fits_its_window(
    #[case] from: u16,
    #[case] until: u16,
    #[case] minutes: u16,
    #[case] want: Result<(), hours::LunchError>,
) {
    assert_eq!(hours::check_lunch(from, until, minutes), want);
}

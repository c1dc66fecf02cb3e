//! The rep's calendar: workdays, holidays, periods, and local days in a time zone.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The length of a cadence period. Periods follow the local calendar: ISO weeks
/// (Monday to Sunday), calendar months, calendar quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Period {
    Week,
    Month,
    Quarter,
}

impl Period {
    /// The first and last day (inclusive) of the period containing `day`.
    pub fn bounds(self, day: NaiveDate) -> DateRange {
        match self {
            Period::Week => {
                let start = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
                DateRange::new(start, start + Days::new(6))
            }
            Period::Month => month_range(day.year(), day.month(), day.month()),
            Period::Quarter => {
                let first = (day.month0() / 3) * 3 + 1;
                month_range(day.year(), first, first + 2)
            }
        }
    }

    /// The period just before the one containing `day`.
    pub fn previous(self, day: NaiveDate) -> DateRange {
        self.bounds(self.bounds(day).start - Days::new(1))
    }

    pub fn noun(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }
}

fn month_range(year: i32, first_month: u32, last_month: u32) -> DateRange {
    // Both dates exist for any month 1..=12 in chrono's range.
    let start = NaiveDate::from_ymd_opt(year, first_month, 1).expect("valid month");
    let after = if last_month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, last_month + 1, 1)
    }
    .expect("valid month");
    DateRange::new(start, after - Days::new(1))
}

/// Inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Self {
        Self { start, end }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// Every day in the range, in order; empty when `start > end`.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let end = self.end;
        self.start.iter_days().take_while(move |d| *d <= end)
    }
}

/// Which days a rep works. Monday–Friday by default; holidays are days off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    /// Monday first.
    pub work_week: [bool; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        Self {
            work_week: [true, true, true, true, true, false, false],
            holidays: BTreeSet::new(),
        }
    }
}

impl WorkCalendar {
    pub fn with_holidays(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            ..Self::default()
        }
    }

    pub fn works_on(&self, weekday: Weekday) -> bool {
        self.work_week[weekday.num_days_from_monday() as usize]
    }

    pub fn is_workday(&self, day: NaiveDate) -> bool {
        self.works_on(day.weekday()) && !self.holidays.contains(&day)
    }

    pub fn workdays(&self, range: DateRange) -> Vec<NaiveDate> {
        range.days().filter(|d| self.is_workday(*d)).collect()
    }

    pub fn count_workdays(&self, range: DateRange) -> usize {
        range.days().filter(|d| self.is_workday(*d)).count()
    }
}

/// The instant a local day begins. On a day whose midnight is skipped by a DST change
/// the day begins at the first local time that exists.
pub fn start_of_day(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut local = day.and_time(chrono::NaiveTime::MIN);
    // DST gaps are at most a few hours; step by 15 minutes (some zones shift by 30 or 45).
    for _ in 0..(4 * 24) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => local += chrono::Duration::minutes(15),
        }
    }
    // Unreachable for real zones; fall back to reading the wall clock as UTC.
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

/// The local calendar date of an instant in the rep's zone.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Maps instants to local dates fast for a span of days, from the precomputed starts of
/// each local day. Converting every activity through the
/// time-zone rules costs more than the rest of the Today computation together.
#[derive(Debug, Clone)]
pub struct LocalDays {
    tz: Tz,
    first: NaiveDate,
    /// `starts[i]` is the UTC instant at which local day `first + i` begins; one extra
    /// entry closes the last day.
    starts: Vec<i64>,
}

impl LocalDays {
    pub fn new(tz: Tz, span: DateRange) -> Self {
        let starts = span
            .days()
            .chain(std::iter::once(span.end + Days::new(1)))
            .map(|d| start_of_day(tz, d).timestamp_millis())
            .collect();
        Self {
            tz,
            first: span.start,
            starts,
        }
    }

    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        let ms = at.timestamp_millis();
        let (Some(&lo), Some(&hi)) = (self.starts.first(), self.starts.last()) else {
            return local_date(self.tz, at);
        };
        if ms < lo || ms >= hi {
            return local_date(self.tz, at);
        }
        // Days are 24 h but for DST changes: guess, then step to the day whose start is
        // the last one <= ms (at most one step either way).
        let last = self.starts.len() - 2;
        let mut i = (((ms - lo) / 86_400_000) as usize).min(last);
        while i > 0 && self.starts[i] > ms {
            i -= 1;
        }
        while i < last && self.starts[i + 1] <= ms {
            i += 1;
        }
        self.first + Days::new(i as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[rstest]
    #[case::week_midweek(Period::Week, d(2026, 3, 4), d(2026, 3, 2), d(2026, 3, 8))]
    #[case::week_across_year(Period::Week, d(2026, 1, 1), d(2025, 12, 29), d(2026, 1, 4))]
    #[case::february(Period::Month, d(2026, 2, 14), d(2026, 2, 1), d(2026, 2, 28))]
    #[case::leap_february(Period::Month, d(2028, 2, 29), d(2028, 2, 1), d(2028, 2, 29))]
    #[case::thirty_days(Period::Month, d(2026, 4, 30), d(2026, 4, 1), d(2026, 4, 30))]
    #[case::december(Period::Month, d(2026, 12, 31), d(2026, 12, 1), d(2026, 12, 31))]
    #[case::q1(Period::Quarter, d(2026, 2, 10), d(2026, 1, 1), d(2026, 3, 31))]
    #[case::q4(Period::Quarter, d(2026, 10, 1), d(2026, 10, 1), d(2026, 12, 31))]
    fn period_bounds(
        #[case] p: Period,
        #[case] day: NaiveDate,
        #[case] start: NaiveDate,
        #[case] end: NaiveDate,
    ) {
        assert_eq!(p.bounds(day), DateRange::new(start, end));
    }

    #[test]
    fn previous_period() {
        assert_eq!(
            Period::Month.previous(d(2026, 3, 15)),
            DateRange::new(d(2026, 2, 1), d(2026, 2, 28))
        );
        assert_eq!(
            Period::Quarter.previous(d(2026, 1, 15)),
            DateRange::new(d(2025, 10, 1), d(2025, 12, 31))
        );
    }

    #[test]
    fn workdays_skip_weekends_and_holidays() {
        let cal = WorkCalendar::with_holidays([d(2026, 5, 25)]); // Memorial Day
        let may = Period::Month.bounds(d(2026, 5, 1));
        assert_eq!(WorkCalendar::default().count_workdays(may), 21);
        assert_eq!(cal.count_workdays(may), 20);
        assert!(!cal.is_workday(d(2026, 5, 23)), "Saturday");
    }

    #[test]
    fn start_of_day_in_a_midnight_dst_gap() {
        // Chile springs forward at 24:00 on 2026-09-05 -> 2026-09-06 starts at 01:00 local.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let s = start_of_day(tz, d(2026, 9, 6));
        assert_eq!(local_date(tz, s), d(2026, 9, 6));
        assert_eq!(
            local_date(tz, s - chrono::Duration::seconds(1)),
            d(2026, 9, 5)
        );
    }

    #[test]
    fn local_days_agree_with_time_zone_rules() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let days = LocalDays::new(tz, DateRange::new(d(2026, 3, 1), d(2026, 3, 31)));
        // Every 7 minutes through March and beyond its ends, both ways must agree.
        let mut t = Utc.with_ymd_and_hms(2026, 2, 27, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 4, 3, 0, 0, 0).unwrap();
        while t < end {
            assert_eq!(days.date_of(t), local_date(tz, t), "at {t}");
            t += chrono::Duration::minutes(7);
        }
    }
}

/// At most this many days off are kept (a year of them).
pub const MAX_DAYS_OFF: usize = 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaysOffError {
    #[error("\"{0}\" is not a date: write 2026-12-24, or 2026-12-24 – 2027-01-01 for a stretch")]
    NotADate(String),
    #[error("{0} – {1} ends before it starts")]
    Backwards(NaiveDate, NaiveDate),
    #[error("more than {MAX_DAYS_OFF} days (a year) listed")]
    TooMany,
    #[error("longer than {MAX_DATES_TEXT} characters")]
    TooLong,
}

/// The longest list of dates kept as written text (a year of single dates fits).
pub const MAX_DATES_TEXT: usize = 8_000;

/// Days off as a person writes them: one date (`2026-12-24`) or stretch
/// (`2026-12-24 – 2027-01-01`, also with `..`, ` to ` or a spaced hyphen) per line or
/// between commas.
pub fn parse_days_off(text: &str) -> Result<BTreeSet<NaiveDate>, DaysOffError> {
    let date = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| DaysOffError::NotADate(s.trim().to_owned()))
    };
    if text.len() > MAX_DATES_TEXT {
        return Err(DaysOffError::TooLong);
    }
    let mut days = BTreeSet::new();
    for item in text
        .split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let stretch = ["–", "—", "..", " to ", " - "]
            .iter()
            .find_map(|sep| item.split_once(sep));
        let (from, to) = match stretch {
            Some((a, b)) => (date(a)?, date(b)?),
            None => {
                let d = date(item)?;
                (d, d)
            }
        };
        if to < from {
            return Err(DaysOffError::Backwards(from, to));
        }
        // Checked before the stretch is walked, so a typo in a year costs nothing.
        if (to - from).num_days() >= MAX_DAYS_OFF as i64 {
            return Err(DaysOffError::TooMany);
        }
        days.extend(from.iter_days().take_while(|d| *d <= to));
        if days.len() > MAX_DAYS_OFF {
            return Err(DaysOffError::TooMany);
        }
    }
    Ok(days)
}

/// The shortest written form: one line per date or run of consecutive dates.
/// [`parse_days_off`] reads it back to the same days.
pub fn format_days_off(days: &BTreeSet<NaiveDate>) -> String {
    let mut lines = Vec::new();
    let mut run: Option<(NaiveDate, NaiveDate)> = None;
    let mut flush = |r: (NaiveDate, NaiveDate)| {
        lines.push(if r.0 == r.1 {
            r.0.to_string()
        } else {
            format!("{} – {}", r.0, r.1)
        })
    };
    for &d in days {
        run = match run {
            Some((a, b)) if b.succ_opt() == Some(d) => Some((a, d)),
            Some(r) => {
                flush(r);
                Some((d, d))
            }
            None => Some((d, d)),
        };
    }
    if let Some(r) = run {
        flush(r);
    }
    lines.join("\n")
}

/// Dates written on one line in their shortest form (`2026-12-24, 2026-12-28 – 2027-01-01`),
/// what an account's closed dates are stored and sent as; blank text is no dates.
pub fn canonical_dates(text: Option<&str>) -> Result<Option<String>, DaysOffError> {
    Ok(dates_line(&parse_days_off(text.unwrap_or_default())?))
}

/// Dates on one line in their shortest form; `None` when there are none.
pub fn dates_line(days: &BTreeSet<NaiveDate>) -> Option<String> {
    (!days.is_empty()).then(|| format_days_off(days).replace('\n', ", "))
}

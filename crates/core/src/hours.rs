//! When an account receives visitors: a weekly schedule of opening hours, written the
//! way OpenStreetMap writes them (`Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00`).
//!
//! Only the weekly part of that syntax is read; anything else (public holidays, months,
//! week numbers, sunrise) is refused with its name, never guessed. The OSM parsing
//! crates read the whole grammar into rules a weekly planner cannot use and bring a
//! parser generator with them; this subset is small enough to own and test whole.

use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// At most this many bytes of written hours (the longest written form of a valid week
/// is 362).
pub const MAX_HOURS_TEXT: usize = 400;
/// At most this many open spans in one day.
pub const MAX_SPANS_PER_DAY: usize = 4;
/// A visit lasts at least 1 and at most this many minutes.
pub const MAX_VISIT_MINUTES: u16 = 600;

/// One stretch of a day the account is open: minutes from midnight, `open < close`,
/// `close` at most 24:00. Closing after midnight is not a weekly shape Rounds plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub open: u16,
    pub close: u16,
}

impl Span {
    pub fn minutes(self) -> u16 {
        self.close - self.open
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", clock(self.open), clock(self.close))
    }
}

/// `HH:MM` of a minute of the day (`24:00` for the end of it).
pub fn clock(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A week of opening hours, Monday first; a day with no spans is closed. Spans of a day
/// are sorted and never overlap or touch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OpeningHours {
    days: [Vec<Span>; 7],
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    #[error("opening hours are empty")]
    Empty,
    #[error("opening hours are longer than {MAX_HOURS_TEXT} characters")]
    TooLong,
    #[error("\"{0}\" is not a day (write Mo, Tu, We, Th, Fr, Sa or Su)")]
    Day(String),
    #[error("\"{0}\" is not a time (write HH:MM, 00:00 to 24:00)")]
    Time(String),
    #[error("\"{0}\" is not a span of hours (write 08:00-17:00)")]
    Span(String),
    #[error("{0} closes before it opens (closing after midnight is not supported)")]
    Backwards(String),
    #[error("{0} overlaps {1} on the same day")]
    Overlap(String, String),
    #[error("more than {MAX_SPANS_PER_DAY} opening spans on one day")]
    TooManySpans,
    #[error("\"{0}\" is not supported: only weekdays and hours are (e.g. Mo-Fr 08:00-17:00)")]
    Unsupported(String),
    #[error("\"{0}\" has days but no hours (add 08:00-17:00, or \"off\")")]
    NoHours(String),
}

const DAY_NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

fn day_index(word: &str) -> Option<usize> {
    let w = word.to_ascii_lowercase();
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    // Two letters as OSM writes them, or any longer prefix of the English name
    // ("Mon", "Tues", "Thursday").
    (w.len() >= 2)
        .then(|| full.iter().position(|f| f.starts_with(&w)))
        .flatten()
}

fn minute(text: &str) -> Result<u16, HoursError> {
    let bad = || HoursError::Time(text.to_owned());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Dashes people type for a range: ASCII, en dash, em dash.
fn split_range(text: &str) -> Option<(&str, &str)> {
    text.split_once(['-', '\u{2013}', '\u{2014}'])
}

fn days_of(selector: &str) -> Result<Vec<usize>, HoursError> {
    let mut out = Vec::new();
    for part in selector.split(',').map(str::trim) {
        let day = |w: &str| day_index(w.trim()).ok_or_else(|| HoursError::Day(w.trim().into()));
        match split_range(part) {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                // Wraps through the weekend: Fr-Mo is Fr, Sa, Su, Mo.
                let mut d = a;
                loop {
                    out.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => out.push(day(part)?),
        }
    }
    Ok(out)
}

fn spans_of(text: &str) -> Result<Vec<Span>, HoursError> {
    let mut spans = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = split_range(part).ok_or_else(|| HoursError::Span(part.into()))?;
        let span = Span {
            open: minute(a.trim())?,
            close: minute(b.trim())?,
        };
        if span.close <= span.open {
            return Err(HoursError::Backwards(part.into()));
        }
        spans.push(span);
    }
    spans.sort();
    for w in spans.windows(2) {
        if w[1].open <= w[0].close {
            return Err(HoursError::Overlap(w[0].to_string(), w[1].to_string()));
        }
    }
    if spans.len() > MAX_SPANS_PER_DAY {
        return Err(HoursError::TooManySpans);
    }
    Ok(spans)
}

/// Words of the full OSM grammar a rep or an export may hold, named in the error.
fn unsupported(rule: &str) -> Option<&str> {
    const WORDS: [&str; 9] = [
        "PH", "SH", "week", "sunrise", "sunset", "dawn", "dusk", "easter", "||",
    ];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    rule.split(|c: char| c.is_whitespace() || c == ',' || c == '-' || c == ';')
        .find(|w| WORDS.contains(w) || months.contains(w) || w.contains('['))
}

impl OpeningHours {
    /// Open every day, all day.
    pub fn always() -> Self {
        let all = vec![Span {
            open: 0,
            close: 24 * 60,
        }];
        OpeningHours {
            days: std::array::from_fn(|_| all.clone()),
        }
    }

    /// Reads written hours. Rules are separated by `;`; a later rule replaces the hours
    /// of the days it names (`Mo-Fr 08:00-17:00; We 08:00-12:00`); a day no rule names
    /// is closed; `off` or `closed` closes the days named; `24/7` opens every day.
    pub fn parse(text: &str) -> Result<Self, HoursError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HoursError::Empty);
        }
        if text.len() > MAX_HOURS_TEXT {
            return Err(HoursError::TooLong);
        }
        let mut hours = OpeningHours::default();
        for rule in text.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            if let Some(word) = unsupported(rule) {
                return Err(HoursError::Unsupported(word.to_owned()));
            }
            if rule == "24/7" {
                hours = OpeningHours::always();
                continue;
            }
            if rule.eq_ignore_ascii_case("off") || rule.eq_ignore_ascii_case("closed") {
                hours = OpeningHours::default();
                continue;
            }
            // The day selector ends where the first digit (a time) or "off" begins.
            let cut = rule
                .find(|c: char| c.is_ascii_digit())
                .or_else(|| {
                    let lower = rule.to_ascii_lowercase();
                    lower.find(" off").or_else(|| lower.find(" closed"))
                })
                .ok_or_else(|| HoursError::NoHours(rule.into()))?;
            let (selector, times) = (rule[..cut].trim(), rule[cut..].trim());
            let days = if selector.is_empty() {
                (0..7).collect()
            } else {
                days_of(selector)?
            };
            let spans = if times.eq_ignore_ascii_case("off") || times.eq_ignore_ascii_case("closed")
            {
                Vec::new()
            } else {
                spans_of(times)?
            };
            for d in days {
                hours.days[d] = spans.clone();
            }
        }
        Ok(hours)
    }

    /// The open spans of a weekday; empty when closed.
    pub fn on(&self, day: Weekday) -> &[Span] {
        &self.days[day.num_days_from_monday() as usize]
    }

    pub fn is_closed(&self, day: Weekday) -> bool {
        self.on(day).is_empty()
    }

    /// When a visit of `minutes` may start on `day` so that it ends before closing: in
    /// the longest open span it fits in (the earlier of two as long). `None`: it fits in
    /// no span that day. A planner keeping one window a day loses the shorter half of a
    /// day split by a lunch break, never a visit inside the break.
    pub fn visit_start(&self, day: Weekday, minutes: u16) -> Option<Span> {
        self.on(day)
            .iter()
            .filter(|s| s.minutes() >= minutes)
            .min_by_key(|s| (std::cmp::Reverse(s.minutes()), s.open))
            .map(|s| Span {
                open: s.open,
                close: s.close - minutes,
            })
    }

    /// A day's hours in words: "08:00-12:00, 14:00-18:00", or "closed".
    pub fn describe(&self, day: Weekday) -> String {
        let spans = self.on(day);
        if spans.is_empty() {
            return "closed".into();
        }
        spans
            .iter()
            .map(Span::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The shortest form: runs of days with the same hours, closed days left out
/// (`Mo-Fr 08:00-17:00; Sa 09:00-12:00`). Parsing it gives the same hours back.
impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == OpeningHours::always() {
            return f.write_str("24/7");
        }
        if self.days.iter().all(Vec::is_empty) {
            return f.write_str("off");
        }
        let mut first = true;
        let mut d = 0;
        while d < 7 {
            let mut end = d;
            while end + 1 < 7 && self.days[end + 1] == self.days[d] {
                end += 1;
            }
            if !self.days[d].is_empty() {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                f.write_str(DAY_NAMES[d])?;
                if end > d {
                    write!(f, "-{}", DAY_NAMES[end])?;
                }
                let spans: Vec<String> = self.days[d].iter().map(Span::to_string).collect();
                write!(f, " {}", spans.join(","))?;
            }
            d = end + 1;
        }
        Ok(())
    }
}

impl std::str::FromStr for OpeningHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, HoursError> {
        OpeningHours::parse(s)
    }
}

// Stored and sent as the written form, so a person can read and edit it anywhere.
impl Serialize for OpeningHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OpeningHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Written hours in their shortest form (what is stored and sent), or why they are not
/// hours. Blank text is no hours.
pub fn canonical(text: Option<&str>) -> Result<Option<String>, HoursError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| OpeningHours::parse(t).map(|h| h.to_string()))
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkWeekError {
    #[error("{0}")]
    Hours(#[from] HoursError),
    #[error("no day to work on")]
    NoDay,
    #[error("{0} is shorter than an hour")]
    Short(Weekday),
    #[error("one stretch a day: {0} has two; give the break between them as your lunch break")]
    Break(Weekday),
}

/// A rep's hours by weekday, written like opening hours and held to what the planners
/// keep: one stretch a day (they hold one window a day, so a break would be planned
/// through), each of an hour or more, on at least one day. Blank text is no hours.
pub fn work_week(text: &str) -> Result<Option<OpeningHours>, WorkWeekError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let week = OpeningHours::parse(text)?;
    if week.days.iter().all(Vec::is_empty) {
        return Err(WorkWeekError::NoDay);
    }
    for (i, spans) in week.days.iter().enumerate() {
        let day = Weekday::try_from(i as u8).unwrap_or(Weekday::Mon);
        match spans.as_slice() {
            [] => {}
            [span] if span.minutes() >= 60 => {}
            [_] => return Err(WorkWeekError::Short(day)),
            _ => return Err(WorkWeekError::Break(day)),
        }
    }
    Ok(Some(week))
}

/// Longest lunch break, minutes.
pub const MAX_LUNCH_MINUTES: u16 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LunchError {
    #[error("a lunch break lasts 5 to {MAX_LUNCH_MINUTES} minutes, not {0}")]
    Length(u16),
    #[error("the lunch break must fit between its two times, the first before the second")]
    Window,
    #[error("the lunch break must end by midnight")]
    Midnight,
}

/// A lunch break the rep takes wherever they are: `minutes` long, inside `from`–`until`
/// (minutes from midnight). The planners start it between `from` and `until - minutes`.
pub fn check_lunch(from: u16, until: u16, minutes: u16) -> Result<(), LunchError> {
    if !(5..=MAX_LUNCH_MINUTES).contains(&minutes) {
        return Err(LunchError::Length(minutes));
    }
    if until > 24 * 60 {
        return Err(LunchError::Midnight);
    }
    if from >= until || until - from < minutes {
        return Err(LunchError::Window);
    }
    Ok(())
}

/// A visit duration the rep or manager set: 1 to [`MAX_VISIT_MINUTES`].
pub fn visit_minutes(minutes: u16) -> Result<u16, String> {
    if (1..=MAX_VISIT_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(format!(
            "a visit lasts 1 to {MAX_VISIT_MINUTES} minutes, not {minutes}"
        ))
    }
}

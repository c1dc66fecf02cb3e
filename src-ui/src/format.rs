//! Numbers, distances, durations and dates as a rep reads them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rounds_core::Tz;

/// "4.2 km" under 100 km, "134 km" above.
pub fn km(metres: f64) -> String {
    let km = metres.max(0.0) / 1000.0;
    if km < 100.0 {
        format!("{km:.1} km")
    } else {
        format!("{km:.0} km")
    }
}

/// "80 m" under a kilometre, then as [`km`].
pub fn distance(metres: f64) -> String {
    if metres < 1_000.0 {
        format!("{} m", metres.max(0.0).round())
    } else {
        km(metres)
    }
}

/// "9 min", "1 h 05 min", "2 h".
pub fn minutes(min: u32) -> String {
    match (min / 60, min % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// "08:55" from minutes after midnight.
pub fn clock(min: u32) -> String {
    format!("{:02}:{:02}", min / 60 % 24, min % 60)
}

/// Minutes after midnight from "08:55", the reverse of [`clock`].
pub fn minute_of(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// The browser's clock; the domain crates have none.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", as of `now` (the
/// device's clock when the shell says it; else the browser's).
pub fn ago(at: DateTime<Utc>, now: Option<DateTime<Utc>>) -> String {
    let secs = (now.unwrap_or_else(self::now) - at).num_seconds().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3_600 => format!("{} min ago", secs / 60),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        86_400..172_800 => "yesterday".into(),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// "Tuesday 17 March".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B").to_string()
}

/// "17 Mar".
pub fn short_date(d: NaiveDate) -> String {
    d.format("%-d %b").to_string()
}

/// A moment in the rep's zone when it is known, else in the browser's.
pub fn date_time(at: DateTime<Utc>, zone: Option<&str>) -> String {
    const FMT: &str = "%a %-d %b, %H:%M";
    if let Some(tz) = zone.and_then(|z| z.parse::<Tz>().ok()) {
        return at.with_timezone(&tz).format(FMT).to_string();
    }
    let offset_min =
        js_sys::Date::new(&(at.timestamp_millis() as f64).into()).get_timezone_offset();
    // JS gives minutes *behind* UTC.
    match FixedOffset::west_opt((offset_min * 60.0) as i32) {
        Some(off) => at.with_timezone(&off).format(FMT).to_string(),
        None => at.format(FMT).to_string(),
    }
}

pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Splits a search snippet into (text, is_match) parts; matches are wrapped in `[` `]`.
pub fn snippet_parts(s: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open + 1..].find(']') else {
            break;
        };
        if open > 0 {
            parts.push((rest[..open].to_owned(), false));
        }
        parts.push((rest[open + 1..open + 1 + close].to_owned(), true));
        rest = &rest[open + 2 + close..];
    }
    if !rest.is_empty() {
        parts.push((rest.to_owned(), false));
    }
    parts
}

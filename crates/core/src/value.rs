//! Validated values, parsed once at the edge (import, form, wire) so the rest of the
//! code can trust them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a value was refused. Each variant names the field's rule so the UI can say it plainly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("latitude must be a number between -90 and 90")]
    Latitude,
    #[error("longitude must be a number between -180 and 180")]
    Longitude,
    #[error("not an e-mail address: {0:?}")]
    Email(String),
    #[error("not a phone number: {0:?}")]
    Phone(String),
    #[error("currency must be a three-letter ISO 4217 code, got {0:?}")]
    Currency(String),
    #[error("not an amount of money: {0:?}")]
    Amount(String),
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
}

/// A point on Earth in decimal degrees (WGS 84), both coordinates checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLatLon")]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct RawLatLon {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawLatLon> for LatLon {
    type Error = ValueError;
    fn try_from(raw: RawLatLon) -> Result<Self, Self::Error> {
        LatLon::new(raw.lat, raw.lon)
    }
}

/// Mean Earth radius (IUGG), the one the route engine and the dashboard use too.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValueError> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(ValueError::Latitude);
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(ValueError::Longitude);
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// The middle of a few nearby points (their mean; fine within a metro, not across
    /// the antimeridian): where a map of them opens. `None` without points.
    pub fn middle(points: &[LatLon]) -> Option<LatLon> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        let (lat, lon) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p.lat, b + p.lon));
        LatLon::new(lat / n, lon / n).ok()
    }

    /// Great-circle (haversine) distance in metres. A straight line, not a road.
    pub fn distance_m(&self, other: &LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// An e-mail address, trimmed and checked (RFC 5322 via `email_address`, plus a dotted
/// domain: a customer's address on a bare host name is a typo, not an address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        let err = || ValueError::Email(input.to_owned());
        let parsed = email_address::EmailAddress::from_str(s).map_err(|_| err())?;
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(err());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number kept exactly as the rep or the import typed it ("(555) 010-7788 ext 12"),
/// because that is how people recognise it; [`Phone::dial`] gives what a `tel:` link needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    const MAX_LEN: usize = 40;

    /// Accepts digits with the usual separators, a leading `+`, and an extension after
    /// `x`, `ext` or `;`. Needs 3 to 17 digits before any extension.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        let err = || ValueError::Phone(input.to_owned());
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(err());
        }
        let (main, ext) = split_extension(s);
        let mut digits = 0;
        for (i, c) in main.char_indices() {
            match c {
                '0'..='9' => digits += 1,
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' | '/' => {}
                _ => return Err(err()),
            }
        }
        if !(3..=17).contains(&digits) {
            return Err(err());
        }
        if let Some(ext) = ext
            && (ext.is_empty() || !ext.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(err());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_typed(&self) -> &str {
        &self.0
    }

    /// The dialable form for a `tel:` URI: `+` and digits, extension after `;ext=`.
    pub fn dial(&self) -> String {
        let (main, ext) = split_extension(&self.0);
        let mut out: String = main
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        if let Some(ext) = ext {
            out.push_str(";ext=");
            out.push_str(ext);
        }
        out
    }
}

/// A `mailto:` URI for exactly one address. Everything but letters, digits, `-._~` and
/// the `@` is percent-encoded, so an address holding `?`, `&`, `%`, `,` or a newline can
/// never add a recipient, a subject or a body.
pub fn mailto_uri(address: &str) -> String {
    let mut out = String::from("mailto:");
    for b in address.trim().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `tel:` URI for a number as typed: its dialable form when it parses as a [`Phone`],
/// else only its `+` and digits (nothing else can reach the dialer).
pub fn tel_uri(number: &str) -> String {
    let dial = Phone::parse(number).map_or_else(
        |_| {
            number
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        },
        |p| p.dial(),
    );
    format!("tel:{dial}")
}

fn split_extension(s: &str) -> (&str, Option<&str>) {
    let lower = s.to_ascii_lowercase();
    for marker in ["ext.", "ext", "x", ";"] {
        if let Some(at) = lower.find(marker) {
            return (s[..at].trim(), Some(s[at + marker.len()..].trim()));
        }
    }
    (s, None)
}

impl TryFrom<String> for Phone {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> Self {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Self, ValueError> {
        let code = code.trim();
        match code.as_bytes() {
            [a, b, c] if code.bytes().all(|b| b.is_ascii_alphabetic()) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(ValueError::Currency(code.to_owned())),
        }
    }

    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"CLP" | b"ISK" | b"VND" | b"UGX" | b"PYG" | b"XAF" | b"XOF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount as integer minor units (cents) with its currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// Whole major units (e.g. dollars), as in the seeds' worked examples.
    pub fn from_major(major: i64, currency: Currency) -> Result<Self, ValueError> {
        10i64
            .checked_pow(currency.exponent())
            .and_then(|scale| major.checked_mul(scale))
            .map(|minor| Self { minor, currency })
            .ok_or(ValueError::Overflow)
    }

    /// Parses a decimal amount as people type it: `39000`, `39,000.50`, `-12.5`.
    /// Thousands separators are commas; more decimals than the currency has are refused
    /// rather than rounded, so no amount is silently changed.
    pub fn parse(input: &str, currency: Currency) -> Result<Self, ValueError> {
        let err = || ValueError::Amount(input.to_owned());
        let s = input.trim();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty() && frac.is_empty() {
            return Err(err());
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        let exp = currency.exponent() as usize;
        if frac.len() > exp {
            return Err(err());
        }
        let digits = format!("{whole}{frac:0<exp$}");
        let minor: i64 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| ValueError::Overflow)?
        };
        Ok(Self {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// The amount as [`Money::parse`] reads it back: no currency, no grouping (`39000.50`).
    pub fn plain(&self) -> String {
        let exp = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exp);
        let width = exp as usize;
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, ValueError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(ValueError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, ValueError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(ValueError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), ValueError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ValueError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// `USD 39,000.00`, `-EUR 5.10`: unambiguous in every locale the dashboard serves.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let scale = 10u64.pow(exp);
        let abs = self.minor.unsigned_abs();
        let (major, minor) = (abs / scale, abs % scale);
        let sign = if self.minor < 0 { "-" } else { "" };
        let mut grouped = String::new();
        let major = major.to_string();
        for (i, c) in major.chars().enumerate() {
            if i > 0 && (major.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if exp == 0 {
            write!(f, "{sign}{} {grouped}", self.currency)
        } else {
            let width = exp as usize;
            write!(f, "{sign}{} {grouped}.{minor:0width$}", self.currency)
        }
    }
}

/// Checks a required free-text field: trimmed, not empty, bounded.
pub fn required_text(field: &'static str, input: &str, max: usize) -> Result<String, ValueError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValueError::Empty { field });
    }
    if s.chars().count() > max {
        return Err(ValueError::TooLong { field, max });
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_of_points() {
        let p = |lat, lon| LatLon::new(lat, lon).unwrap();
        assert_eq!(LatLon::middle(&[]), None);
        assert_eq!(LatLon::middle(&[p(39.7, -105.0)]), Some(p(39.7, -105.0)));
        let m = LatLon::middle(&[p(39.0, -105.0), p(40.0, -104.0), p(41.0, -103.0)]).unwrap();
        assert!(
            (m.lat() - 40.0).abs() < 1e-9 && (m.lon() + 104.0).abs() < 1e-9,
            "{m:?}"
        );
    }
    use rstest::rstest;

    #[rstest]
    #[case::plain("dana@example.com", "mailto:dana@example.com")]
    #[case::plus("dana+west@example.com", "mailto:dana%2Bwest@example.com")]
    #[case::adds_a_recipient(
        "a@example.com?cc=boss@evil.example",
        "mailto:a@example.com%3Fcc%3Dboss@evil.example"
    )]
    #[case::adds_a_body(
        "a@example.com&body=wire%20money",
        "mailto:a@example.com%26body%3Dwire%2520money"
    )]
    #[case::two_addresses(
        "a@example.com,b@evil.example",
        "mailto:a@example.com%2Cb@evil.example"
    )]
    #[case::header_break(
        "a@example.com\r\nBcc: x@evil.example",
        "mailto:a@example.com%0D%0ABcc%3A%20x@evil.example"
    )]
    fn a_mailto_link_names_one_address_and_nothing_else(#[case] address: &str, #[case] uri: &str) {
        assert_eq!(mailto_uri(address), uri);
        let rest = &uri["mailto:".len()..];
        assert!(!rest.contains(['?', '&', ',', '\r', '\n', ' ']), "{uri}");
    }

    #[rstest]
    #[case::typed("+1 (303) 555-0142", "tel:+13035550142")]
    #[case::extension("+1 303 555 0142 ext. 12", "tel:+13035550142;ext=12")]
    #[case::not_a_number("555;phone-context=evil?x=1", "tel:5551")]
    fn a_tel_link_carries_only_what_can_be_dialled(#[case] number: &str, #[case] uri: &str) {
        assert_eq!(tel_uri(number), uri);
    }

    #[rstest]
    #[case::origin(0.0, 0.0, true)]
    #[case::poles(90.0, -180.0, true)]
    #[case::south_pole_antimeridian(-90.0, 180.0, true)]
    #[case::lat_too_big(90.0001, 0.0, false)]
    #[case::lon_too_small(0.0, -180.5, false)]
    #[case::nan(f64::NAN, 0.0, false)]
    #[case::infinite(0.0, f64::INFINITY, false)]
    fn latlon_range(#[case] lat: f64, #[case] lon: f64, #[case] ok: bool) {
        assert_eq!(LatLon::new(lat, lon).is_ok(), ok, "({lat}, {lon})");
    }

    #[test]
    fn latlon_is_validated_when_deserialised() {
        assert!(serde_json::from_str::<LatLon>(r#"{"lat":95,"lon":0}"#).is_err());
        let p: LatLon = serde_json::from_str(r#"{"lat":41.88,"lon":-87.63}"#).unwrap();
        assert_eq!(p.lat(), 41.88);
    }

    #[test]
    fn distance_across_the_antimeridian_is_short() {
        let a = LatLon::new(0.0, 179.9).unwrap();
        let b = LatLon::new(0.0, -179.9).unwrap();
        let d = a.distance_m(&b);
        assert!(
            (d - 22_239.0).abs() < 5.0,
            "0.2 degrees of equator, got {d}"
        );
    }

    #[rstest]
    #[case::plain("ana@example.com", true)]
    #[case::trimmed("  ana@example.com ", true)]
    #[case::plus("ana+crm@sub.example.co.uk", true)]
    #[case::no_at("ana.example.com", false)]
    #[case::bare_host("ana@localhost", false)]
    #[case::two_ats("a@b@example.com", false)]
    #[case::space("an a@example.com", false)]
    #[case::empty("", false)]
    fn email_rules(#[case] input: &str, #[case] ok: bool) {
        assert_eq!(Email::parse(input).is_ok(), ok, "{input:?}");
    }

    #[rstest]
    #[case::us("(555) 010-7788", true, "5550107788")]
    #[case::intl("+44 20 7946 0958", true, "+442079460958")]
    #[case::extension("555-010-7788 ext 12", true, "5550107788;ext=12")]
    #[case::x_extension("555.010.7788 x9", true, "5550107788;ext=9")]
    #[case::letters("call me", false, "")]
    #[case::too_short("12", false, "")]
    #[case::plus_inside("55+5", false, "")]
    fn phone_rules(#[case] input: &str, #[case] ok: bool, #[case] dial: &str) {
        match Phone::parse(input) {
            Ok(p) => {
                assert!(ok, "{input:?} should be refused");
                assert_eq!(p.as_typed(), input.trim(), "kept as typed");
                assert_eq!(p.dial(), dial);
            }
            Err(_) => assert!(!ok, "{input:?} should be accepted"),
        }
    }

    #[rstest]
    #[case::whole("39000", 3_900_000)]
    #[case::grouped("39,000.50", 3_900_050)]
    #[case::one_decimal("12.5", 1_250)]
    #[case::negative("-17,000", -1_700_000)]
    #[case::cents_only(".99", 99)]
    fn money_parses_without_floats(#[case] input: &str, #[case] minor: i64) {
        assert_eq!(Money::parse(input, Currency::USD).unwrap().minor, minor);
    }

    #[rstest]
    #[case::too_many_decimals("1.005")]
    #[case::letters("12a")]
    #[case::empty("")]
    #[case::two_points("1.2.3")]
    #[case::huge("99999999999999999999")]
    fn money_refuses(#[case] input: &str) {
        assert!(Money::parse(input, Currency::USD).is_err(), "{input:?}");
    }

    #[test]
    fn money_display_and_arithmetic() {
        let rev = Money::from_major(39_000, Currency::USD).unwrap();
        let exp = Money::from_major(17_000, Currency::USD).unwrap();
        let net = rev.checked_sub(exp).unwrap();
        assert_eq!(net.to_string(), "USD 22,000.00");
        assert_eq!(Money::new(-510, Currency::EUR).to_string(), "-EUR 5.10");
        assert_eq!(
            Money::from_major(1_234, Currency::parse("jpy").unwrap())
                .unwrap()
                .to_string(),
            "JPY 1,234"
        );
        assert!(matches!(
            rev.checked_add(Money::zero(Currency::EUR)),
            Err(ValueError::CurrencyMismatch(..))
        ));
        assert!(
            Money::new(i64::MAX, Currency::USD)
                .checked_add(Money::new(1, Currency::USD))
                .is_err()
        );
    }

    #[rstest]
    #[case::cents(3_900_050, "USD", "39000.50")]
    #[case::negative(-510, "EUR", "-5.10")]
    #[case::below_one(7, "USD", "0.07")]
    #[case::no_decimals(1_234, "JPY", "1234")]
    fn money_plain_reads_back(#[case] minor: i64, #[case] code: &str, #[case] want: &str) {
        let m = Money::new(minor, Currency::parse(code).unwrap());
        assert_eq!(m.plain(), want);
        assert_eq!(
            Money::parse(&m.plain(), m.currency).unwrap(),
            m,
            "reads back"
        );
    }

    #[rstest]
    #[case::lower("usd", true)]
    #[case::two("US", false)]
    #[case::digits("U5D", false)]
    fn currency_codes(#[case] input: &str, #[case] ok: bool) {
        assert_eq!(Currency::parse(input).is_ok(), ok);
    }
}

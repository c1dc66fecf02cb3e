//! Is the shop the rep is about to add already on the device? Matches by phone, by a
//! similar name not far away, and by a pin almost on the same spot, so that "Acme
//! Tools", "ACME TOOLS Inc." and "Äcme Tools" are one shop, while a chain's branch in
//! another town is not.

use strsim::sorensen_dice;
use unicode_normalization::UnicodeNormalization;

use crate::{AccountId, LatLon};

/// Two pins this close are "nearby": the rep is asked whatever the names.
pub const SAME_SPOT_M: f64 = 25.0;
/// Within this distance a loosely similar name is enough.
pub const NEAR_M: f64 = 150.0;
/// Beyond this distance a similar name alone is another branch, not the same shop.
pub const OTHER_PLACE_M: f64 = 5_000.0;
/// Names at least this similar (Sørensen–Dice on letter pairs) are the same name.
const SAME_NAME: f64 = 0.8;
/// Names at least this similar count when the pins are near.
const LOOSE_NAME: f64 = 0.5;
/// A phone number needs this many digits before two of them are compared.
const PHONE_DIGITS: usize = 7;
/// At most this many matches are shown.
pub const MAX_MATCHES: usize = 5;

/// What the rep typed (and where they stand), or an account already on the device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place<'a> {
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub at: Option<LatLon>,
}

/// Why an account looks like the one being added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    SamePhone,
    SimilarName,
    Nearby,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub account: AccountId,
    pub why: Vec<Why>,
    /// Metres between the two pins, when both have one.
    pub distance_m: Option<f64>,
    /// 0–1 name similarity after normalising.
    pub name_similarity: f64,
}

/// The name as compared: accents and case folded, punctuation and legal suffixes
/// ("Inc.", "GmbH", "Ltd") dropped, `&` read as "and".
pub fn name_key(name: &str) -> String {
    const NOISE: [&str; 16] = [
        "the",
        "inc",
        "llc",
        "ltd",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "bv",
        "plc",
        "limited",
    ];
    let folded: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c.is_alphanumeric() || c == '&' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = folded
        .split_whitespace()
        .map(|w| if w == "&" { "and" } else { w })
        .collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !NOISE.contains(w))
        .collect();
    // A name made only of noise words ("The Company") is still a name.
    if kept.is_empty() { words } else { kept }.join(" ")
}

/// The last digits of a phone number, or `None` when it has too few to compare
/// (country prefixes and formatting differ; the subscriber's digits do not).
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < PHONE_DIGITS {
        return None;
    }
    Some(digits[digits.len().saturating_sub(9)..].iter().collect())
}

/// The accounts among `existing` that may be the shop described by `new`, most alike
/// first, at most [`MAX_MATCHES`].
pub fn likely_duplicates<'a>(
    new: &Place<'_>,
    existing: impl IntoIterator<Item = (AccountId, Place<'a>)>,
) -> Vec<Match> {
    let new_name = name_key(new.name);
    let new_phone = new.phone.and_then(phone_key);
    let mut found: Vec<Match> = existing
        .into_iter()
        .filter_map(|(id, old)| judge(&new_name, new_phone.as_deref(), new.at, id, &old))
        .collect();
    found.sort_by(|a, b| {
        weight(b)
            .total_cmp(&weight(a))
            .then(
                a.distance_m
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_m.unwrap_or(f64::MAX)),
            )
            .then(a.account.cmp(&b.account))
    });
    found.truncate(MAX_MATCHES);
    found
}

fn judge(
    new_name: &str,
    new_phone: Option<&str>,
    new_at: Option<LatLon>,
    id: AccountId,
    old: &Place<'_>,
) -> Option<Match> {
    let distance_m = match (new_at, old.at) {
        (Some(a), Some(b)) => Some(a.distance_m(&b)),
        _ => None,
    };
    let same_phone = new_phone.is_some() && old.phone.and_then(phone_key).as_deref() == new_phone;
    let near = distance_m.is_some_and(|d| d <= NEAR_M);
    let same_spot = distance_m.is_some_and(|d| d <= SAME_SPOT_M);
    let far = distance_m.is_some_and(|d| d > OTHER_PLACE_M);
    // The name comparison is the costly part: skip it where no rule could use it.
    let name_similarity = if far && !same_phone {
        0.0
    } else {
        sorensen_dice(new_name, &name_key(old.name))
    };
    let similar_name = name_similarity >= SAME_NAME && !far;
    let mut why = Vec::new();
    if same_phone {
        why.push(Why::SamePhone);
    }
    if similar_name || (near && name_similarity >= LOOSE_NAME) {
        why.push(Why::SimilarName);
    }
    if same_spot || (near && !why.is_empty()) {
        why.push(Why::Nearby);
    }
    (!why.is_empty()).then_some(Match {
        account: id,
        why,
        distance_m,
        name_similarity,
    })
}

fn weight(m: &Match) -> f64 {
    let phone = if m.why.contains(&Why::SamePhone) {
        1.0
    } else {
        0.0
    };
    let closeness = m
        .distance_m
        .map_or(0.0, |d| (1.0 - d / NEAR_M).clamp(0.0, 1.0));
    phone + m.name_similarity + closeness
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(n))
    }

    fn at(lat: f64, lon: f64) -> Option<LatLon> {
        Some(LatLon::new(lat, lon).unwrap())
    }

    /// Metres north of a point, in degrees of latitude.
    fn north(m: f64) -> f64 {
        m / 111_195.0
    }

    const HERE: (f64, f64) = (40.0, -75.0);

    fn place(name: &str, phone: Option<&'static str>, dm: Option<f64>) -> Place<'static> {
        Place {
            name: Box::leak(name.to_owned().into_boxed_str()),
            phone,
            at: dm.and_then(|d| at(HERE.0 + north(d), HERE.1)),
        }
    }

    #[test]
    fn name_keys_fold_accents_case_punctuation_and_legal_suffixes() {
        for (a, b) in [
            ("Acme Tools, Inc.", "acme tools"),
            ("ÄCME  Tööls GmbH", "acme tools"),
            ("Smith & Sons Ltd", "smith and sons"),
            ("The Company", "the company"),
            ("Café Crème", "cafe creme"),
        ] {
            assert_eq!(name_key(a), b, "{a}");
        }
    }

    #[test]
    fn phone_keys_ignore_formatting_and_country_prefix() {
        assert_eq!(phone_key("+1 (215) 555-0142"), phone_key("215.555.0142"));
        assert_eq!(phone_key("0049 30 1234567"), phone_key("+49-30-1234567"));
        assert_eq!(phone_key("12-34"), None, "too few digits to compare");
        assert_ne!(phone_key("215 555 0142"), phone_key("215 555 0143"));
    }

    /// (what is on the device, what the rep adds, is it a match, why)
    #[test]
    fn the_finder_asks_about_the_same_shop_and_not_about_others() {
        let new = |name: &str, phone: Option<&'static str>| place(name, phone, Some(0.0));
        let cases: Vec<(&str, Place<'static>, Place<'static>, Option<Vec<Why>>)> = vec![
            (
                "same name, same spot",
                place("Acme Tools", None, Some(10.0)),
                new("Acme Tools", None),
                Some(vec![Why::SimilarName, Why::Nearby]),
            ),
            (
                "accents, case and a suffix, 80 m away",
                place("ÄCME Tools Inc.", None, Some(80.0)),
                new("acme tools", None),
                Some(vec![Why::SimilarName, Why::Nearby]),
            ),
            (
                "same name in another city (a chain's other branch)",
                place("Acme Tools", None, Some(40_000.0)),
                new("Acme Tools", None),
                None,
            ),
            (
                "same name, the old one has no pin",
                place("Acme Tools", None, None),
                new("Acme Tools", None),
                Some(vec![Why::SimilarName]),
            ),
            (
                "same phone, other name, far away",
                place("Hardware Depot", Some("+1 215 555 0142"), Some(40_000.0)),
                new("Acme", Some("(215) 555-0142")),
                Some(vec![Why::SamePhone]),
            ),
            (
                "20 m apart, different names: asked (a new sign on the same shop?)",
                place("Bob's Diner", None, Some(20.0)),
                new("Sunrise Cafe", None),
                Some(vec![Why::Nearby]),
            ),
            (
                "100 m apart, different names: two shops on one street",
                place("Bob's Diner", None, Some(100.0)),
                new("Sunrise Cafe", None),
                None,
            ),
            (
                "100 m apart, loosely similar names",
                place("Acme Tool Supply", None, Some(100.0)),
                new("Acme Tools", None),
                Some(vec![Why::SimilarName, Why::Nearby]),
            ),
            (
                "similar name 3 km away, no pin on the new one",
                place("Acme Tools", None, Some(3_000.0)),
                place("Acme Tools", None, None),
                Some(vec![Why::SimilarName]),
            ),
            (
                "different name and phone, 1 km away",
                place("Hardware Depot", Some("215 555 0100"), Some(1_000.0)),
                new("Acme Tools", Some("215 555 0142")),
                None,
            ),
        ];
        for (what, old, new, expected) in cases {
            let found = likely_duplicates(&new, [(id(1), old)]);
            match expected {
                None => assert!(found.is_empty(), "{what}: {found:?}"),
                Some(why) => {
                    assert_eq!(found.len(), 1, "{what}: {found:?}");
                    assert_eq!(found[0].why, why, "{what}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Folding twice changes nothing, and case is already folded.
        #[test]
        fn name_keys_are_stable(name in "\\PC{0,40}") {
            let once = name_key(&name);
            proptest::prop_assert_eq!(name_key(&once), once.clone());
            proptest::prop_assert_eq!(once.to_lowercase(), once);
        }

        /// A shop is always asked about when it is added again at the same spot, and
        /// never more than five are shown, most alike first.
        #[test]
        fn a_shop_added_twice_is_always_asked_about(
            name in "[A-Za-z][A-Za-z '&.-]{2,30}",
            others in proptest::collection::vec(("[A-Za-z ]{1,20}", 0.0f64..3_000.0), 0..30),
            moved in 0.0f64..20.0,
        ) {
            let mut existing: Vec<(AccountId, Place<'static>)> = others
                .iter()
                .enumerate()
                .map(|(i, (n, d))| (id(i as u128 + 10), place(n, None, Some(*d))))
                .collect();
            existing.push((id(1), place(&name, None, Some(moved))));
            let found = likely_duplicates(&place(&name, None, Some(0.0)), existing);
            proptest::prop_assert!(found.iter().any(|m| m.account == id(1)));
            proptest::prop_assert!(found.len() <= MAX_MATCHES);
            for pair in found.windows(2) {
                proptest::prop_assert!(weight(&pair[0]) >= weight(&pair[1]));
            }
        }
    }

    #[test]
    fn matches_come_most_alike_first_and_at_most_five() {
        let mut existing = vec![
            (id(1), place("Acme Tool Supply", None, Some(120.0))),
            (id(2), place("Acme Tools", Some("215 555 0142"), Some(30.0))),
            (id(3), place("Acme Tools", None, Some(60.0))),
        ];
        for n in 10..20 {
            existing.push((id(n), place("Corner Shop", None, Some(5.0))));
        }
        let new = place("Acme Tools", Some("215-555-0142"), Some(0.0));
        let found = likely_duplicates(&new, existing);
        assert_eq!(found.len(), MAX_MATCHES);
        assert_eq!(found[0].account, id(2), "same phone, same name, closest");
        assert_eq!(found[1].account, id(3));
        assert!((found[1].distance_m.unwrap() - 60.0).abs() < 1.0);
    }
}

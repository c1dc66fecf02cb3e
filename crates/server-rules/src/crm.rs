//! Reading the exports people really have: the column names of Salesforce, HubSpot and
//! Pipedrive exports (and plain spreadsheets) mapped to the import's own columns, and
//! their values translated where they mean the same thing (a lifecycle stage or an
//! account type to a stage, an amount written with a currency sign or European
//! separators to a plain amount).

/// A file's text: UTF-8 (a byte-order mark dropped), or else Windows-1252, which Excel
/// on Windows writes, so no letter is lost to a replacement character.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The separator of a CSV file: `;` when its first line has more of them than commas
/// (Excel where the decimal point is a comma), else `,`.
pub fn separator(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// Header spellings, compared by [`squash`], and the import column each means. Rounds'
/// own names come first; the rest are the labels and API names of the common exports.
const ALIASES: &[(&str, &str)] = &[
    // Rounds' own columns in an export written in a CRM's shape (see `crm_export`).
    ("roundsid", "id"),
    ("roundsterritory", "territory"),
    ("roundsstage", "stage"),
    // The source system's own record id (read as `source_id`: see `system`).
    ("accountid", "source_id"),
    ("recordid", "source_id"),
    ("companyid", "source_id"),
    ("organizationid", "source_id"),
    // Salesforce report labels and API names.
    ("accountname", "name"),
    ("billingstreet", "street"),
    ("billingcity", "city"),
    ("billingstateprovince", "region"),
    ("billingstate", "region"),
    ("billingzippostalcode", "postal_code"),
    ("billingpostalcode", "postal_code"),
    ("billingcountry", "country"),
    ("billinglatitude", "lat"),
    ("billinglongitude", "lon"),
    ("annualrevenue", "revenue"),
    ("type", "stage"),
    ("accountowner", "owner"),
    ("ownerid", "owner"),
    // HubSpot company exports.
    ("companyname", "name"),
    ("streetaddress", "street"),
    ("stateregion", "region"),
    ("countryregion", "country"),
    ("phonenumber", "phone"),
    ("lifecyclestage", "stage"),
    ("companyowner", "owner"),
    // Pipedrive organisation exports (an `Organization - ` prefix is dropped first).
    ("addresscitytownvillagelocality", "city"),
    ("addressstatecounty", "region"),
    ("addresszippostalcode", "postal_code"),
    ("addresscountry", "country"),
    ("address", "street"),
    // Spreadsheets.
    ("company", "name"),
    ("organization", "name"),
    ("account", "name"),
    ("state", "region"),
    ("province", "region"),
    ("zip", "postal_code"),
    ("zipcode", "postal_code"),
    ("postcode", "postal_code"),
    ("latitude", "lat"),
    ("longitude", "lon"),
    ("lng", "lon"),
    ("emailaddress", "email"),
    ("owner", "owner"),
];

/// A header as compared: lower case, letters and digits only.
pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The column a header means: one of `own` (the import's columns, by their own name),
/// `owner` (the person the CRM gave the account to, read as their territory), or `None`
/// for a column the import does not read (a website, a CRM's record id).
pub fn column_for(header: &str, own: &[&'static str]) -> Option<&'static str> {
    let whole = squash(header);
    let alias = |h: &str| ALIASES.iter().find(|(a, _)| *a == h).map(|(_, c)| *c);
    // `Organization - ID` is Pipedrive's record id, not Rounds' `id`.
    if let Some(c) = alias(&whole).filter(|c| *c == "source_id") {
        return Some(c);
    }
    let h = whole
        .strip_prefix("organization")
        .filter(|r| !r.is_empty())
        .unwrap_or(&whole);
    if let Some(c) = own.iter().find(|c| squash(c) == h) {
        return Some(c);
    }
    alias(h)
}

/// The system a file was exported from, by its headers: `salesforce`, `hubspot`,
/// `pipedrive`, or `file` for anything else. Record ids are kept per system.
pub fn system(headers: &[String]) -> &'static str {
    let squashed: Vec<String> = headers.iter().map(|h| squash(h)).collect();
    let any = |f: &dyn Fn(&str) -> bool| squashed.iter().any(|h| f(h));
    if any(&|h| h.starts_with("billing") || h == "accountname" || h == "accountowner") {
        "salesforce"
    } else if any(&|h| {
        matches!(
            h,
            "recordid" | "companyname" | "lifecyclestage" | "companyowner"
        )
    }) {
        "hubspot"
    } else if any(&|h| h.starts_with("organization")) {
        "pipedrive"
    } else {
        "file"
    }
}

/// What a stage, lifecycle stage or account type says, as one of Rounds' stages (their
/// own names, then the words CRMs use); empty is `None`; anything else an error naming
/// what is understood.
pub fn stage(value: &str) -> Result<Option<rounds_core::Stage>, String> {
    use rounds_core::Stage;
    let v = squash(value);
    if v.is_empty() {
        return Ok(None);
    }
    let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
    Ok(Some(if has(&["lost", "churn", "former", "closedlost"]) {
        Stage::Lost
    } else if has(&["customer", "won", "evangelist", "client"]) {
        Stage::Customer
    } else if has(&["opportunit", "deal"]) {
        Stage::Opportunity
    } else if has(&[
        "lead",
        "prospect",
        "subscriber",
        "qualified",
        "partner",
        "reseller",
        "other",
    ]) {
        Stage::Lead
    } else {
        return Err(format!(
            "stage: {value:?} is not a stage Rounds knows (lead, opportunity, customer, lost, \
             or a CRM's lifecycle stage or account type)"
        ));
    }))
}

/// An amount as a spreadsheet may show it (`$1,200,000.00`, `€ 1.234,50`, `1 234,50`,
/// `USD 39000`), as [`rounds_core::Money::parse`] reads it (`1200000.00`): currency signs
/// and codes and spaces go; when the last separator is a comma followed by other than
/// three digits, the comma is the decimal point and dots are thousands.
pub fn plain_amount(value: &str) -> String {
    let kept: String = value
        .trim()
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
        .collect();
    let last_comma = kept.rfind(',');
    let last_dot = kept.rfind('.');
    let decimal_comma = match (last_comma, last_dot) {
        (Some(c), Some(d)) => c > d,
        (Some(c), None) => kept.matches(',').count() == 1 && kept.len() - c - 1 != 3,
        _ => false,
    };
    if decimal_comma {
        kept.replace('.', "").replace(',', ".")
    } else {
        kept.replace(',', "")
    }
}

#[cfg(test)]
mod tests {
    use rounds_core::Stage;

    use super::*;

    const OWN: [&str; 5] = ["id", "name", "postal_code", "territory", "stage"];

    #[test]
    fn headers_of_real_exports_are_read() {
        for (header, want) in [
            ("name", Some("name")),
            ("Postal_Code", Some("postal_code")),
            ("Account Name", Some("name")),
            ("Billing Zip/Postal Code", Some("postal_code")),
            ("BillingPostalCode", Some("postal_code")),
            ("Billing State/Province", Some("region")),
            ("Account Owner", Some("owner")),
            ("Type", Some("stage")),
            ("Company name", Some("name")),
            ("State/Region", Some("region")),
            ("Country/Region", Some("country")),
            ("Lifecycle Stage", Some("stage")),
            ("Company owner", Some("owner")),
            ("Organization - Name", Some("name")),
            (
                "Organization - Address - ZIP/Postal code",
                Some("postal_code"),
            ),
            ("Organization", Some("name")),
            ("Website", None),
            ("Record ID", Some("source_id")),
            ("Account ID", Some("source_id")),
            ("Organization - ID", Some("source_id")),
            ("id", Some("id")),
        ] {
            assert_eq!(column_for(header, &OWN), want, "{header}");
        }
    }

    #[test]
    fn the_system_a_file_came_from() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(system(&h(&["Account ID", "Account Name"])), "salesforce");
        assert_eq!(system(&h(&["Record ID", "Company name"])), "hubspot");
        assert_eq!(
            system(&h(&["Organization - ID", "Organization - Name"])),
            "pipedrive"
        );
        assert_eq!(system(&h(&["name", "city"])), "file");
    }

    #[test]
    fn stages_in_the_words_crms_use() {
        for (value, want) in [
            ("", None),
            ("lead", Some(Stage::Lead)),
            ("Customer - Direct", Some(Stage::Customer)),
            ("Customer - Channel", Some(Stage::Customer)),
            ("Prospect", Some(Stage::Lead)),
            ("Channel Partner / Reseller", Some(Stage::Lead)),
            ("marketingqualifiedlead", Some(Stage::Lead)),
            ("Sales Qualified Lead", Some(Stage::Lead)),
            ("opportunity", Some(Stage::Opportunity)),
            ("Evangelist", Some(Stage::Customer)),
            ("Former Customer", Some(Stage::Lost)),
            ("Closed Lost", Some(Stage::Lost)),
        ] {
            assert_eq!(stage(value), Ok(want), "{value:?}");
        }
        let err = stage("Banana").unwrap_err();
        assert!(err.starts_with("stage: \"Banana\""), "{err}");
    }

    #[test]
    fn files_from_excel_on_windows_read_right() {
        // "Café Müller;München" in Windows-1252.
        let bytes = b"Caf\xe9 M\xfcller;M\xfcnchen";
        assert_eq!(decode(bytes), "Café Müller;München");
        assert_eq!(decode("\u{feff}name\nÅland".as_bytes()), "name\nÅland");
        assert_eq!(separator("Account Name;Billing City\nA;B"), b';');
        assert_eq!(separator("name,city\n\"A;B\",C"), b',');
    }

    #[test]
    fn amounts_as_spreadsheets_show_them() {
        for (shown, plain) in [
            ("39000", "39000"),
            ("$1,200,000.00", "1200000.00"),
            ("USD 39,000", "39000"),
            ("€ 1.234,50", "1234.50"),
            ("1 234,50", "1234.50"),
            ("1.234.567,89", "1234567.89"),
            ("12,5", "12.5"),
            ("-17,000", "-17000"),
            ("£12.30", "12.30"),
        ] {
            assert_eq!(plain_amount(shown), plain, "{shown:?}");
        }
    }
}

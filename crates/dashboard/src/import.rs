//! `/dashboard/import`: accounts from CSV, uploaded or pasted. The file is kept on the
//! server (a company's export may hold 100,000 rows), then a preview of every row — what
//! it would do, or what is wrong with it — shown a page at a time; with any invalid row
//! nothing can be imported. Confirming checks the kept file again and applies it in one
//! write transaction.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use maud::{Markup, html};
use serde::Deserialize;

use super::scope;
use super::{Answer, Csrf, Refusal, Viewer, csrf_refused, html_response, page};
use rounds_server_rules::import::{self, Confirmed, Kind, Mapping};
use rounds_server_rules::state::AppState;
use uuid::Uuid;

/// The largest CSV accepted: a CRM export of well over 100,000 accounts.
pub const MAX_CSV: usize = 48 * 1024 * 1024;
/// An upload's body: the file in a multipart form, or pasted into a URL-encoded one
/// (which may triple its size).
pub const MAX_BODY: usize = 3 * MAX_CSV;
/// Rows of the preview on one page.
pub const PAGE_ROWS: usize = 500;

mod preview;
use preview::{RowsQuery, noun, preview_page, report_table, summary};

fn upload_form(viewer: &Viewer, kind: Kind, pasted: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(p) = problem { p.alert role="alert" { (p) } }
        form.edit method="post" action="/dashboard/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            fieldset.kind {
                legend { "The file holds" }
                label { input type="radio" name="kind" value="accounts" checked[kind == Kind::Accounts]; " accounts" }
                label { input type="radio" name="kind" value="contacts" checked[kind == Kind::Contacts]; " contacts (people at accounts you already have)" }
            }
            div.field {
                label for="file" { "A CSV file" }
                input id="file" type="file" name="file" accept=".csv,text/csv";
            }
            div.field {
                label for="csv" { "… or paste it here" }
                textarea id="csv" name="csv" rows="8" spellcheck="false" { (pasted) }
            }
            div.actions { button type="submit" { "Preview" } }
        }
        h2 { "The format" }
        p { "A header row, then one account a row. Columns: " code { (import::COLUMNS.join(", ")) } ". "
            "Only " code { "name" } " is required. A row with an " code { "id" } " updates that account (only the fields that differ); "
            "without one it creates an account. " code { "territory" } " is a territory's name. "
            "Amounts in major units (" code { "39000.50" } "); stage, priority and K.A.R.E. as in the accounts export." }
        p { "Exports from Salesforce, HubSpot and Pipedrive import as they are: their column names are recognised "
            "(" code { "Account Name" } ", " code { "Billing Zip/Postal Code" } ", " code { "Company name" } ", " code { "State/Region" } " …), "
            "a lifecycle stage or account type becomes a stage, an owner's e-mail or name becomes their territory, and amounts may carry "
            "currency signs and thousands separators. Their record ids are kept, so importing the next export updates the accounts "
            "instead of adding them again. The preview says how each column was read and lets you change it (or leave a column out); "
            "your choice is kept for the next file with the same columns. Accounts without coordinates are placed on the map by their US ZIP code, with no network." }
        p { a href="/dashboard/accounts.csv" download { "Download your accounts" } " in this format to start from." }
        h3 { "Contacts" }
        p { "Columns: " code { (import::contacts::COLUMNS.join(", ")) } ". A contact needs a name (or first and last name) and its account: "
            "the account's name, its id, or its record id in your CRM when the accounts came from the same CRM. "
            "Salesforce and HubSpot contact exports, and Pipedrive's people, import as they are. "
            "A contact already there (the same record id, or the same e-mail or name at the same account) is updated, not added again." }
    }
}

pub async fn form(viewer: Viewer) -> Response {
    let body = html! { h1 { "Import accounts or contacts" } (upload_form(&viewer, Kind::Accounts, "", None)) };
    html_response(
        StatusCode::OK,
        page("Import", Some((&viewer, "/dashboard/import")), body),
    )
}

/// The named parts of a `multipart/form-data` body (text and files alike), parsed by
/// multer; `None` when the body is not well-formed multipart.
pub async fn multipart_fields(content_type: &str, body: Bytes) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut out = Vec::new();
    while let Some(field) = parts.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        out.push((name, field.bytes().await.ok()?.to_vec()));
    }
    Some(out)
}

/// The CSRF token, what the file holds and the CSV of the upload form, however it was
/// sent.
async fn upload(headers: &HeaderMap, body: Bytes) -> Option<(String, Kind, String)> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fields: Vec<(String, Vec<u8>)> = if ct.starts_with("multipart/form-data") {
        multipart_fields(ct, body).await?
    } else {
        serde_html_form::from_bytes::<Vec<(String, String)>>(&body)
            .ok()?
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect()
    };
    let text = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| rounds_server_rules::crm::decode(v))
            .unwrap_or_default()
    };
    let file = text("file");
    let csv = if file.trim().is_empty() {
        text("csv")
    } else {
        file
    };
    let kind = match text("kind").trim() {
        "contacts" => Kind::Contacts,
        _ => Kind::Accounts,
    };
    Some((text("csrf"), kind, csv))
}

/// The mapping a form sent: the file's headers with the column chosen for each, in order.
fn chosen(csv: &str, columns: &[String]) -> Mapping {
    let (headers, _) = import::headers_and_sample(csv);
    let mut out: Vec<(String, Option<String>)> = headers
        .into_iter()
        .zip(
            columns
                .iter()
                .map(|c| Some(c.trim().to_owned()).filter(|c| !c.is_empty())),
        )
        .collect();
    // A form with more or fewer choices than the file has columns: say so, not guess.
    if columns.len() != out.len() {
        out.push((String::new(), None));
    }
    Mapping(out)
}

/// The preview of `viewer`'s upload `id`, checked now, as its answer.
async fn show_upload(s: &AppState, viewer: &Viewer, id: Uuid, q: &RowsQuery) -> Answer {
    let v = viewer.clone();
    let now = s.settings.clock.now();
    let out =
        s.db.read(move |tx| {
            let Some(up) = import::upload(tx, id, v.id)? else {
                return Ok(None);
            };
            let team = scope::team(tx, &v)?;
            let reach = super::reach(&team);
            let report = match up.kind {
                Kind::Accounts => {
                    import::check_mapped(tx, &up.csv, &reach, now, up.mapping.as_ref())?.report
                }
                Kind::Contacts => {
                    import::contacts::check(tx, &up.csv, &reach, up.mapping.as_ref())?.report
                }
            };
            Ok::<_, rounds_server_rules::Error>(Some((up, report)))
        })
        .await?;
    let Some((up, report)) = out else {
        return Err(Refusal::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This upload is gone (uploads are kept for a day, and until they are imported). Upload the file again.",
        ));
    };
    let status = if report.ready() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html_response(status, preview_page(viewer, &up, &report, q)))
}

/// `GET /dashboard/import/{id}`: a page of the preview again.
pub async fn rows(
    State(s): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<Uuid>,
    q: Result<Query<RowsQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    show_upload(&s, &viewer, id, &q).await
}

pub async fn preview(
    State(s): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let Some((csrf, kind, csv)) = upload(&headers, body).await else {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "Not possible",
            "The form could not be read.",
        ));
    };
    if !viewer.csrf_ok(&csrf) {
        return Err(csrf_refused());
    }
    if csv.len() > MAX_CSV {
        return Ok(too_large(&viewer));
    }
    if csv.trim().is_empty() {
        let body = html! { h1 { "Import accounts or contacts" } (upload_form(&viewer, Kind::Accounts, "", Some("Choose a CSV file or paste its text."))) };
        return Ok(html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            page("Import", Some((&viewer, "/dashboard/import")), body),
        ));
    }
    let by = viewer.id;
    let now = s.settings.clock.now();
    let id =
        s.db.write(move |tx| import::store_upload(tx, by, kind, &csv, now))
            .await?;
    show_upload(&s, &viewer, id, &RowsQuery::default()).await
}

#[derive(Debug, Deserialize)]
pub struct RemapForm {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    col: Vec<String>,
}

fn upload_id(s: &str) -> Result<Uuid, Refusal> {
    s.trim().parse().map_err(|_| {
        Refusal::page(
            StatusCode::BAD_REQUEST,
            "Not possible",
            "The form names no upload. Upload the file again.",
        )
    })
}

/// The preview again, with the columns read as the manager chose.
pub async fn remap(State(s): State<AppState>, Csrf(viewer, f): Csrf<RemapForm>) -> Answer {
    let id = upload_id(&f.upload)?;
    let by = viewer.id;
    let col = f.col;
    let found =
        s.db.write(move |tx| {
            let Some(up) = import::upload(tx, id, by)? else {
                return Ok(false);
            };
            import::choose_columns(tx, id, by, &chosen(&up.csv, &col))
        })
        .await?;
    if !found {
        return Err(Refusal::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This upload is gone (uploads are kept for a day, and until they are imported). Upload the file again.",
        ));
    }
    show_upload(&s, &viewer, id, &RowsQuery::default()).await
}

fn too_large(viewer: &Viewer) -> Response {
    let body = html! { h1 { "Import accounts or contacts" } (upload_form(viewer, Kind::Accounts, "", Some("The file is larger than 48 MB. Split it and import the parts one after the other."))) };
    html_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        page("Import", Some((viewer, "/dashboard/import")), body),
    )
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    upload: String,
    /// The preview's one-time key: a second confirm of the same preview imports nothing.
    #[serde(default)]
    key: String,
}

pub async fn confirm(State(s): State<AppState>, Csrf(viewer, f): Csrf<ConfirmForm>) -> Answer {
    let id = upload_id(&f.upload)?;
    let key = f.key.trim().to_owned();
    if key.is_empty() || key.len() > 64 {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "Not possible",
            "This confirmation carries no preview key. Upload the file again.",
        ));
    }
    let v = viewer.clone();
    // Checked again: the data may have changed since the preview. The receipt is written
    // in the same transaction as the accounts, so a second confirm finds it.
    let now = s.settings.clock.now();
    let out =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            import::confirm_upload(tx, &key, &super::reach(&team), v.id, id, now)
        })
        .await;
    let (kind, out) = match out {
        Ok(Some((kind, out))) => (kind, Ok(out)),
        Ok(None) => {
            return Err(Refusal::page(
                StatusCode::NOT_FOUND,
                "Not found",
                "This upload is gone (uploads are kept for a day, and until they are imported). Upload the file again.",
            ));
        }
        Err(e) => (Kind::default(), Err(e)),
    };
    match out {
        Ok(Confirmed::Already(n)) => {
            let body = html! {
                h1 { "Already imported" }
                p.ok-note role="status" { "This preview was confirmed before and imported " (n) " account" @if n != 1 { "s" } ". Nothing was imported again." }
                p { a href="/dashboard/accounts" { "See the accounts" } " · " a href="/dashboard/import" { "Import another file" } }
            };
            Ok(html_response(
                StatusCode::OK,
                page(
                    "Already imported",
                    Some((&viewer, "/dashboard/import")),
                    body,
                ),
            ))
        }
        Ok(Confirmed::Invalid(_)) => show_upload(&s, &viewer, id, &RowsQuery::default()).await,
        Ok(Confirmed::Done(report)) => {
            let (new, updated, _) = report.counts();
            let body = html! {
                h1 { "Imported" }
                p.ok-note role="status" { (new) " " (noun(kind, new)) " created, " (updated) " updated. Devices get them on their next sync." }
                (summary(&report, kind))
                @if report.rows.len() > PAGE_ROWS { p.muted { "The first " (PAGE_ROWS) " rows:" } }
                (report_table(&report.rows.iter().take(PAGE_ROWS).collect::<Vec<_>>(), kind))
                p { a href="/dashboard/accounts" { "See the accounts" } " · " a href="/dashboard/import" { "Import another file" } }
            };
            Ok(html_response(
                StatusCode::OK,
                page("Imported", Some((&viewer, "/dashboard/import")), body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn multipart_bodies_give_their_fields_byte_for_byte() {
        let body: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt0k\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nname,city\r\n\"A\r\n--B\",X\r\n\r\n--XyZ--\r\n";
        let f = multipart_fields("multipart/form-data; boundary=XyZ", Bytes::from(body))
            .await
            .unwrap();
        assert_eq!(f[0], ("csrf".to_owned(), b"t0k".to_vec()));
        assert_eq!(f[1].0, "file");
        assert_eq!(f[1].1, b"name,city\r\n\"A\r\n--B\",X\r\n".to_vec());
        assert!(
            multipart_fields(
                "multipart/form-data; boundary=XyZ",
                Bytes::from_static(b"garbage")
            )
            .await
            .is_none()
        );
    }
}

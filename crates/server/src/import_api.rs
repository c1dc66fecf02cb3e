//! `POST /manage/import/{kind}`: an import without the browser, for a script. The body is
//! the CSV file as it is (UTF-8 or Windows-1252, `,` or `;`, a CRM's headers); without
//! `confirm=true` it is only checked, and the answer says what each row would do. With
//! it, the file is checked again and applied in one transaction, all or nothing; a `key`
//! makes a retried request import once. The same rules as the dashboard's import.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Json, http::StatusCode};
use bytes::Bytes;
use rounds_protocol::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::auth;
use crate::error::{Error, Result};
use crate::http::{AppState, Bearer, require_manager};
use crate::import::{self, Confirmed, ImportReport};

/// The largest file taken (as on the dashboard).
pub const MAX_CSV: usize = 48 * 1024 * 1024;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true`: import the file (all or nothing). Otherwise only check it.
    #[serde(default)]
    pub confirm: bool,
    /// Any text up to 64 characters: the same key twice imports once (a retry after a
    /// lost answer).
    #[serde(default)]
    pub key: Option<String>,
}

/// A CSV file as it is: a header row, then one record a row.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct CsvFile(pub String);

/// A row that cannot be imported, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    pub reason: String,
}

/// What a file does, or did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// `accounts` or `contacts`.
    pub kind: String,
    pub rows: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub invalid: usize,
    /// Accounts placed at their US ZIP code's middle, and accounts that will have no
    /// place on the map.
    pub placed_by_postal_code: usize,
    pub not_on_the_map: usize,
    /// Each header and the column it is read as (null: not read).
    pub columns: Vec<(String, Option<String>)>,
    /// Why the file as a whole cannot be imported.
    pub problems: Vec<String>,
    pub errors: Vec<RowProblem>,
    /// Whether the file was imported by this request (or by an earlier one with its key).
    pub imported: bool,
    /// Rows applied.
    pub applied: usize,
}

fn result(kind: import::Kind, report: &ImportReport, imported: bool) -> ImportResult {
    let (new, updated, unchanged) = report.counts();
    let (placed, unplaced) = report.placement();
    ImportResult {
        kind: kind.name().into(),
        rows: report.rows.len(),
        new,
        updated,
        unchanged,
        invalid: report.invalid(),
        placed_by_postal_code: placed,
        not_on_the_map: unplaced,
        columns: report
            .mapping
            .iter()
            .map(|(h, c)| (h.clone(), c.map(str::to_owned)))
            .collect(),
        problems: report.problems.clone(),
        errors: report
            .rows
            .iter()
            .filter_map(|r| {
                let e = r.error.as_ref()?;
                Some(RowProblem {
                    line: r.line,
                    name: r.name.clone(),
                    reason: e
                        .strip_prefix(&format!("{}: ", r.name))
                        .unwrap_or(e)
                        .to_owned(),
                })
            })
            .collect(),
        imported,
        applied: if imported { report.imported } else { 0 },
    }
}

#[utoipa::path(post, path = "/manage/import/{kind}", security(("bearer" = [])),
    params(("kind" = String, Path, description = "`accounts` or `contacts`"), ImportQuery),
    request_body(content = CsvFile, content_type = "text/csv", description = "The CSV file as it is: a header row (Rounds' columns, or a Salesforce, HubSpot or Pipedrive export's), then one record a row."),
    responses(
        (status = 200, description = "checked (and imported, with confirm=true)", body = ImportResult),
        (status = 422, description = "a row or the file cannot be imported: nothing was", body = ImportResult),
        (status = 400, description = "malformed_request (an unknown kind, or a key longer than 64)", body = rounds_protocol::ApiError),
        (status = 401, description = "unauthenticated", body = rounds_protocol::ApiError),
        (status = 403, description = "forbidden (managers only)", body = rounds_protocol::ApiError),
        (status = 413, description = "payload_too_large (over 48 MB)", body = rounds_protocol::ApiError)))]
pub async fn import_file(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response> {
    let kind = match kind.as_str() {
        "accounts" => import::Kind::Accounts,
        "contacts" => import::Kind::Contacts,
        other => {
            return Err(Error::client(
                ErrorCode::MalformedRequest,
                format!("{other:?}: import accounts or contacts"),
            )
            .into());
        }
    };
    if body.len() > MAX_CSV {
        return Err(Error::client(ErrorCode::PayloadTooLarge, "the file is over 48 MB").into());
    }
    let key = match q.key.as_deref().map(str::trim) {
        Some(k) if k.is_empty() || k.len() > 64 => {
            return Err(
                Error::client(ErrorCode::MalformedRequest, "key: 1 to 64 characters").into(),
            );
        }
        Some(k) => format!("api:{k}"),
        None => format!("api:{}", uuid::Uuid::now_v7()),
    };
    let csv = crate::crm::decode(&body);
    let now = s.settings.clock.now();
    let (report, imported) = if q.confirm {
        s.db.write(move |tx| {
            let c = auth::authenticate(tx, &token, now)?;
            require_manager(&c)?;
            let reach = crate::manage::reach_of(tx, c.user, c.role)?;
            let done = import::confirm(tx, kind, &key, &reach, c.user, &csv, None, now)?;
            Ok::<_, Error>(match done {
                Confirmed::Done(r) => (r, true),
                Confirmed::Invalid(r) => (r, false),
                Confirmed::Already(n) => (
                    ImportReport {
                        imported: n as usize,
                        ..ImportReport::default()
                    },
                    true,
                ),
            })
        })
        .await?
    } else {
        s.db.read(move |tx| {
            let c = auth::authenticate(tx, &token, now)?;
            require_manager(&c)?;
            let reach = crate::manage::reach_of(tx, c.user, c.role)?;
            let report = match kind {
                import::Kind::Accounts => import::check(tx, &csv, &reach, now)?.report,
                import::Kind::Contacts => import::contacts::check(tx, &csv, &reach, None)?.report,
            };
            Ok::<_, Error>((report, false))
        })
        .await?
    };
    let status = if report.ready() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(result(kind, &report, imported))).into_response())
}

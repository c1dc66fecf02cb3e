//! The HTTP surface: thin handlers that authenticate, parse, and call the sync rules.
//!
//! Over 600 lines on purpose: every route of the API, its OpenAPI annotation and its
//! handler sit together, so the router and the document it generates are read as one.

use std::net::IpAddr;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use bytes::Bytes;
use rounds_core::Role;
use rounds_protocol::auth::{CalendarFeed, ChangePassword, LoginRequest, LoginResponse};
use rounds_protocol::sync::{BlobStatus, MAX_PUSH_BYTES, PullResponse, PushRequest, PushResponse};
use rounds_protocol::week::PlannedWeek;
use rounds_protocol::{AccountId, ApiError, DeviceId, ErrorCode, TerritoryId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{self, Caller};
use crate::error::{Error, Failure, Result};
use crate::{photos, pull, push, review};

pub use rounds_server_rules::state::{AppState, ClientAddr, PasswordChange};

/// Resolves each request's [`ClientAddr`] once (see `Settings::client_addr`) and puts
/// it in the request's extensions, where the API's and the dashboard's handlers read it.
async fn resolve_client_addr(
    State(s): State<AppState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::listener::Peer>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok());
    let addr = ClientAddr(s.settings.client_addr(peer, forwarded_for));
    req.extensions_mut().insert(addr);
    next.run(req).await
}

/// A JSON body whose every failure is an [`ApiError`](rounds_protocol::ApiError):
/// too large → `payload_too_large`, unreadable → `malformed_request`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        // Only JSON: a form or text body is never taken for one (a cross-site form post
        // cannot reach a JSON endpoint).
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Error::client(
                ErrorCode::MalformedRequest,
                "the body must be JSON, sent as Content-Type: application/json",
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::client(
                    ErrorCode::PayloadTooLarge,
                    format!("request body larger than {MAX_PUSH_BYTES} bytes"),
                )
            } else {
                Error::client(ErrorCode::MalformedRequest, format!("unreadable body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            Error::client(
                ErrorCode::MalformedRequest,
                format!("not the expected JSON: {e}"),
            )
            .into()
        })
    }
}

/// The bearer token of the request (checked against the database by the handler, inside
/// the same transaction as its work).
#[derive(Debug)]
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Bearer(t.trim().to_owned()))
            .filter(|b| !b.0.is_empty())
            .ok_or_else(|| Error::client(ErrorCode::Unauthenticated, "missing bearer token").into())
    }
}

/// Liveness.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "ok")))]
async fn health() -> &'static str {
    "ok"
}

pub(crate) fn require_manager(c: &Caller) -> Result<(), Error> {
    match c.role {
        Role::Manager | Role::Director | Role::Admin => Ok(()),
        Role::Rep => Err(Error::client(ErrorCode::Forbidden, "managers only")),
    }
}

/// The API's routes, each from a handler that carries its own OpenAPI description: a
/// route cannot be added here without its entry in the document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(health))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(push_handler))
        .routes(routes!(pull_handler))
        .routes(routes!(blob_status))
        .routes(routes!(put_blob))
        .routes(routes!(photo_bytes))
        .routes(routes!(new_calendar_feed))
        .routes(routes!(calendar_feed))
        .routes(routes!(put_planned_week))
        .routes(routes!(assign_account))
        .routes(routes!(assign_territory))
        .routes(routes!(revoke_device))
        .routes(routes!(review_handler))
        .routes({
            // A CRM export may be 48 MB: more than any other request may carry.
            let (schemas, paths, method) = routes!(crate::import_api::import_file);
            (
                schemas,
                paths,
                method.layer(DefaultBodyLimit::max(crate::import_api::MAX_CSV + 1)),
            )
        })
}

pub fn router(state: AppState) -> Router {
    let request_timeout =
        std::time::Duration::from_secs(state.settings.request_timeout_secs.max(1));
    let (api, doc) = api().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    // Besides the API's routes, only the document itself and the dashboard's pages.
    api.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
    .merge(
        crate::dashboard::router().layer(axum::middleware::from_fn_with_state(
            DashboardLane::new(state.settings.dashboard_concurrency),
            dashboard_lane,
        )),
    )
    .fallback(|| async { Failure(Error::client(ErrorCode::NotFound, "no such endpoint")) })
    .method_not_allowed_fallback(|| async {
        Failure(Error::client(
            ErrorCode::MalformedRequest,
            "method not allowed here",
        ))
    })
    .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES))
    // A request that takes too long, body included, is answered 503 (the device
    // retries; a push's ledger answers a retried batch from what was applied).
    .layer(RequestBodyTimeoutLayer::new(request_timeout))
    .layer(TimeoutLayer::with_status_code(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        request_timeout,
    ))
    .layer(axum::middleware::from_fn_with_state(state.clone(), hsts))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        resolve_client_addr,
    ))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// The dashboard's share of the server: at most so many pages at once (none: no limit).
#[derive(Clone)]
struct DashboardLane(Option<std::sync::Arc<tokio::sync::Semaphore>>);

impl DashboardLane {
    fn new(at_once: usize) -> Self {
        DashboardLane(
            (at_once > 0).then(|| std::sync::Arc::new(tokio::sync::Semaphore::new(at_once))),
        )
    }
}

/// Dashboard pages wait for a place in the lane; static files and sync do not. A page
/// can read a team's history for seconds: without the lane, a few managers could hold
/// every database connection and core while devices' syncs wait. A streamed export holds
/// its place until its first piece is read; the later pieces are short reads of their own.
async fn dashboard_lane(
    State(lane): State<DashboardLane>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let place = match &lane.0 {
        Some(s) if req.uri().path().starts_with("/dashboard") => {
            s.clone().acquire_owned().await.ok()
        }
        _ => None,
    };
    let r = next.run(req).await;
    drop(place);
    r
}

/// `Strict-Transport-Security` on every answer to a request that came over HTTPS: the
/// browser then never tries plain HTTP for this server again.
async fn hsts(State(s): State<AppState>, req: Request, next: axum::middleware::Next) -> Response {
    let https = crate::dashboard::over_https(&s.settings, req.headers());
    let mut r = next.run(req).await;
    if https {
        r.headers_mut().insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

#[utoipa::path(post, path = "/auth/login", request_body = LoginRequest,
    responses((status = 200, description = "signed in: the device's token", body = LoginResponse),
              (status = 400, description = "malformed_request / invalid_input", body = ApiError),
              (status = 401, description = "invalid_credentials", body = ApiError),
              (status = 403, description = "device_revoked: the user is deactivated", body = ApiError),
              (status = 429, description = "rate_limited: too many sign-ins from this address or for this account, failed sign-ins in a row, or too many at once; `Retry-After` says when to try again", body = ApiError)))]
async fn login(
    State(s): State<AppState>,
    Extension(ClientAddr(from)): Extension<ClientAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    let permit = s.admit_sign_in(from, &req.email)?;
    Ok(Json(
        auth::login(&s.db, &s.settings, req, s.settings.clock.now(), permit).await?,
    ))
}

/// The signed-in user changes their password: the current one is checked like a sign-in
/// (same limits), then every other sign-in of theirs ends.
#[utoipa::path(post, path = "/auth/password", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204, description = "changed"),
              (status = 400, description = "malformed_request / invalid_input (a new password of 8 to 1,024 characters)", body = ApiError),
              (status = 401, description = "unauthenticated, or invalid_credentials (the current password)", body = ApiError),
              (status = 429, description = "rate_limited, as for sign-in", body = ApiError)))]
async fn change_password(
    State(s): State<AppState>,
    Extension(ClientAddr(from)): Extension<ClientAddr>,
    Bearer(token): Bearer,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<Response> {
    let now = s.settings.clock.now();
    let caller =
        s.db.read(move |tx| auth::authenticate(tx, &token, now))
            .await?;
    let changed = s
        .change_password(
            from,
            caller.user,
            req.current_password,
            req.new_password,
            Some(caller.device),
        )
        .await?;
    if changed == PasswordChange::WrongCurrent {
        return Err(Error::client(
            ErrorCode::InvalidCredentials,
            "the current password is wrong",
        )
        .into());
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// Signs the device out: its token stops working. The device stays registered (not
/// revoked), so the same install signs in again with its ledger.
#[utoipa::path(post, path = "/auth/logout", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, description = "unauthenticated", body = ApiError)))]
async fn logout(State(s): State<AppState>, Bearer(token): Bearer) -> Result<Response> {
    s.db.write(move |tx| {
        let now = s.settings.clock.now();
        let c = auth::authenticate(tx, &token, now)?;
        auth::end_sign_in(tx, c.device, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(operation_id = "push", post, path = "/sync/push", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, description = "one result per mutation, in order", body = PushResponse),
              (status = 400, description = "malformed_request / invalid_input", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 403, description = "device_revoked, or forbidden (another device's id)", body = ApiError),
              (status = 413, description = "payload_too_large", body = ApiError)))]
async fn push_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>> {
    let push = push::Prepared::new(&token, req);
    let res =
        s.db.write_prefetched(push.prefetch(), move |tx, prefetched| {
            push.apply(tx, s.settings.clock.now(), prefetched)
        })
        .await?;
    Ok(Json(res))
}

#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The cursor of the previous page; none for a first sync.
    pub cursor: Option<String>,
    /// At most this many operations (≤ 1,000).
    pub limit: Option<usize>,
    /// The device's protocol version; below the minimum the answer is `upgrade_required`.
    pub protocol_version: Option<u32>,
    /// The synced data's shape the device knows; tables added later are not sent to it
    /// (none: 1).
    pub schema_version: Option<u32>,
    /// A bucket the device found damaged: it is sent again from a snapshot (a reset, then
    /// every row), as if newly gained.
    pub resnapshot: Option<String>,
}

#[utoipa::path(operation_id = "pull", get, path = "/sync/pull", security(("bearer" = [])), params(PullQuery),
    responses((status = 200, description = "the next page of changes", body = PullResponse),
              (status = 400, description = "malformed_request (a cursor not made by this server)", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 403, description = "device_revoked", body = ApiError),
              (status = 426, description = "upgrade_required", body = ApiError)))]
async fn pull_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    q: std::result::Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>> {
    let Query(q) = q.map_err(|e| Error::client(ErrorCode::MalformedRequest, e.body_text()))?;
    let res =
        s.db.read(move |tx| {
            let now = s.settings.clock.now();
            let c = auth::authenticate(tx, &token, now)?;
            pull::pull(
                tx,
                &c,
                pull::Ask {
                    cursor: q.cursor.as_deref(),
                    limit: q.limit,
                    protocol_version: q.protocol_version,
                    schema_version: q.schema_version,
                    resnapshot: q.resnapshot.as_deref(),
                },
                now,
            )
        })
        .await?;
    Ok(Json(res))
}

/// Where the upload of a photo's bytes stands: the device resumes from `received`.
#[utoipa::path(get, path = "/sync/blobs/{sha256}", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "the SHA-256 of the photo's bytes, 64 lowercase hexadecimal digits")),
    responses((status = 200, description = "the upload's state", body = BlobStatus),
              (status = 400, description = "invalid_input: not a SHA-256", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 404, description = "not_found: no photo of the caller's names these bytes", body = ApiError),
              (status = 503, description = "unavailable: the blob store cannot be read now", body = ApiError)))]
async fn blob_status(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(sha256): Path<String>,
) -> Result<Json<BlobStatus>> {
    Ok(Json(photos::status(&s, &token, &sha256).await?))
}

/// A chunk of a photo's bytes, sent as they are (for the OpenAPI document: a `Vec<u8>`
/// would be described as an array of integers).
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BlobChunk(pub Vec<u8>);

#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChunkQuery {
    /// Where the chunk starts in the photo's bytes.
    pub offset: u64,
}

/// One chunk of a photo's bytes (`application/octet-stream`, at most 192 KiB), at
/// `offset`. A chunk that does not start where the server's copy ends writes nothing;
/// the answer says where to go on from. The last chunk seals the blob: kept once under
/// its hash, however often it is sent.
#[utoipa::path(put, path = "/sync/blobs/{sha256}", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "the SHA-256 of the photo's bytes"), ChunkQuery),
    request_body(content = BlobChunk, content_type = "application/octet-stream"),
    responses((status = 200, description = "the upload's state after the chunk", body = BlobStatus),
              (status = 400, description = "invalid_input: past the declared size, not the declared image type, or bytes that do not match their hash (the upload starts over)", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 404, description = "not_found: no photo of the caller's names these bytes", body = ApiError),
              (status = 413, description = "payload_too_large: a chunk over 192 KiB", body = ApiError),
              (status = 503, description = "unavailable: the blob store cannot write now (e.g. a full disk); retry later", body = ApiError)))]
async fn put_blob(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(sha256): Path<String>,
    q: std::result::Result<Query<ChunkQuery>, QueryRejection>,
    body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<BlobStatus>> {
    let Query(q) = q.map_err(|e| Error::client(ErrorCode::MalformedRequest, e.body_text()))?;
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::client(
                ErrorCode::PayloadTooLarge,
                "a chunk carries at most 192 KiB",
            )
        } else {
            Error::client(ErrorCode::MalformedRequest, format!("unreadable body: {e}"))
        }
    })?;
    Ok(Json(
        photos::put_chunk(&s, &token, &sha256, q.offset, body).await?,
    ))
}

/// A photo's bytes, for a device of someone who may see its account now: the rep's other
/// devices keep the photos they did not take. Content-addressed: the device checks the
/// bytes against the SHA-256 its record names.
#[utoipa::path(get, path = "/sync/photos/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the photo's id")),
    responses((status = 200, description = "the photo's bytes, as its record's content type",
                content((BlobChunk = "image/jpeg"), (BlobChunk = "image/png"), (BlobChunk = "image/webp"))),
              (status = 400, description = "malformed_request: not an id", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 403, description = "device_revoked", body = ApiError),
              (status = 404, description = "not_found: no such photo in the caller's territories, or its bytes have not all arrived yet", body = ApiError),
              (status = 503, description = "unavailable: the blob store cannot be read now", body = ApiError)))]
async fn photo_bytes(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response> {
    let (image_type, bytes) = photos::download(&s, &token, &id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, image_type.mime()),
            // The bytes of an id never change; only its owner's devices may read them.
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A new secret address for the caller's calendar feed of appointments; the old one
/// stops working.
#[utoipa::path(post, path = "/sync/calendar-feed", security(("bearer" = [])),
    responses((status = 200, description = "the feed's path on this server", body = CalendarFeed),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 403, description = "device_revoked", body = ApiError)))]
async fn new_calendar_feed(
    State(s): State<AppState>,
    Bearer(token): Bearer,
) -> Result<Json<CalendarFeed>> {
    let now = s.settings.clock.now();
    let secret =
        s.db.write(move |tx| {
            let c = auth::authenticate(tx, &token, now)?;
            crate::calendar::new_feed(tx, c.user, now)
        })
        .await?;
    Ok(Json(CalendarFeed {
        path: format!("/calendar/{secret}.ics"),
    }))
}

/// The caller's device sends the weeks it planned, as the rep last saw them, for their
/// manager to read. A plan made before the one the server holds changes nothing.
#[utoipa::path(put, path = "/sync/planned-week", security(("bearer" = [])), request_body = PlannedWeek,
    responses((status = 204, description = "kept, or older than the plan held"),
              (status = 400, description = "malformed_request / invalid_input (past the limits, or dated ahead of the server's clock)", body = ApiError),
              (status = 401, description = "unauthenticated", body = ApiError),
              (status = 403, description = "device_revoked", body = ApiError),
              (status = 413, description = "payload_too_large", body = ApiError)))]
async fn put_planned_week(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    ApiJson(week): ApiJson<PlannedWeek>,
) -> Result<Response> {
    let now = s.settings.clock.now();
    s.db.write(move |tx| {
        let c = auth::authenticate(tx, &token, now)?;
        crate::planned_weeks::save(tx, c.user, &week, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// iCalendar text (RFC 5545), for the OpenAPI document.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct ICalendarText(pub String);

/// A rep's appointments as iCalendar, for a calendar app subscribed to the secret
/// address (calendar apps send no credentials: the address is the key).
#[utoipa::path(get, path = "/calendar/{file}",
    params(("file" = String, Path, description = "`<secret>.ics`, as `POST /sync/calendar-feed` answered")),
    responses((status = 200, description = "the rep's appointments from 30 days ago on", body = ICalendarText, content_type = "text/calendar"),
              (status = 404, description = "not_found: no feed at this address (replaced, or never made)", body = ApiError)))]
async fn calendar_feed(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let not_found = || Error::client(ErrorCode::NotFound, "no calendar at this address");
    let secret = file.strip_suffix(".ics").ok_or_else(not_found)?.to_owned();
    let now = s.settings.clock.now();
    let text =
        s.db.read(move |tx| crate::calendar::feed(tx, &secret, now))
            .await?
            .ok_or_else(not_found)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "private, no-cache"),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssignAccount {
    /// The territory the account moves to; null takes it out of every territory.
    pub territory_id: Option<TerritoryId>,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssignTerritory {
    /// The rep who works the territory from now on; null leaves it unassigned.
    pub rep_id: Option<UserId>,
}

fn path_id<T: std::str::FromStr>(s: &str) -> Result<T, Error> {
    s.parse()
        .map_err(|_| Error::client(ErrorCode::MalformedRequest, format!("{s:?} is not an id")))
}

#[utoipa::path(post, path = "/manage/accounts/{id}/territory", security(("bearer" = [])), params(("id" = String, Path, description = "account id")),
    request_body = AssignAccount,
    responses((status = 204, description = "moved"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiError), (status = 401, description = "unauthenticated", body = ApiError), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiError), (status = 404, description = "not_found", body = ApiError)))]
async fn assign_account(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignAccount>,
) -> Result<Response> {
    let id: AccountId = path_id(&id)?;
    s.db.write(move |tx| {
        let now = s.settings.clock.now();
        let c = auth::authenticate(tx, &token, now)?;
        require_manager(&c)?;
        let reach = crate::manage::reach_of(tx, c.user, c.role)?;
        crate::manage::move_account(tx, &reach, id, body.territory_id, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/manage/territories/{id}/rep", security(("bearer" = [])), params(("id" = String, Path, description = "territory id")),
    request_body = AssignTerritory,
    responses((status = 204, description = "assigned"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiError), (status = 401, description = "unauthenticated", body = ApiError), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiError), (status = 404, description = "not_found", body = ApiError)))]
async fn assign_territory(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignTerritory>,
) -> Result<Response> {
    let id: TerritoryId = path_id(&id)?;
    s.db.write(move |tx| {
        let now = s.settings.clock.now();
        let c = auth::authenticate(tx, &token, now)?;
        require_manager(&c)?;
        let reach = crate::manage::reach_of(tx, c.user, c.role)?;
        crate::manage::assign_territory(tx, &reach, c.user, id, body.rep_id, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/manage/devices/{id}/revoke", security(("bearer" = [])), params(("id" = String, Path, description = "device id")),
    responses((status = 204, description = "revoked"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiError), (status = 401, description = "unauthenticated", body = ApiError), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiError), (status = 404, description = "not_found", body = ApiError)))]
async fn revoke_device(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response> {
    let id: DeviceId = path_id(&id)?;
    let found =
        s.db.write(move |tx| {
            let now = s.settings.clock.now();
            let c = auth::authenticate(tx, &token, now)?;
            require_manager(&c)?;
            // Another team's device reads exactly as no device at all.
            if c.role != Role::Admin && !auth::device_of_team(tx, id, c.user)? {
                return Ok(false);
            }
            auth::revoke_device(tx, id, now)
        })
        .await?;
    if !found {
        return Err(Error::client(
            ErrorCode::NotFound,
            "no such active device among your team's",
        )
        .into());
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(operation_id = "review", get, path = "/manage/review", security(("bearer" = [])),
    responses((status = 200, description = "review", body = review::Review), (status = 401, description = "unauthenticated", body = ApiError), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiError)))]
async fn review_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
) -> Result<Json<review::Review>> {
    let r =
        s.db.read(move |tx| {
            let c = auth::authenticate(tx, &token, s.settings.clock.now())?;
            require_manager(&c)?;
            review::review(tx, (c.role != Role::Admin).then_some(c.user))
        })
        .await?;
    Ok(Json(r))
}

#[cfg(test)]
mod tests {
    /// The API's routes are registered through `routes!`, which takes each path and method
    /// from the handler's own OpenAPI description; a plain `.route(…)` here would add an
    /// endpoint the document does not describe. Only the document itself is exempt (the
    /// dashboard's HTML pages are merged from their own crate).
    #[test]
    fn no_route_is_added_without_its_description() {
        let src = include_str!("http.rs");
        let code = &src[..src.find("#[cfg(test)]").expect("this test module")];
        let plain: Vec<&str> = code
            .split(".route(")
            .skip(1)
            .map(|after| after.split('"').nth(1).unwrap_or("(not a literal path)"))
            .collect();
        assert_eq!(plain, ["/openapi.json"], "routes added without routes!()");
        assert!(
            code.matches("routes!(").count() >= 10,
            "the API's handlers are registered with routes!()"
        );
    }

    #[test]
    fn the_document_has_every_handler() {
        let doc = crate::openapi::document();
        let ops: usize = doc
            .paths
            .paths
            .values()
            .map(|item| {
                [
                    item.get.is_some(),
                    item.post.is_some(),
                    item.put.is_some(),
                    item.delete.is_some(),
                    item.patch.is_some(),
                ]
                .into_iter()
                .filter(|x| *x)
                .count()
            })
            .sum();
        let code = include_str!("http.rs");
        // Each handler is registered through one `routes!(…)`, most as
        // `.routes(routes!(…))`, one with a layer of its own.
        let registered = code[..code.find("#[cfg(test)]").unwrap()]
            .matches("routes!(")
            .count();
        assert_eq!(ops, registered, "one documented operation per handler");
    }
}

#[cfg(test)]
mod lane_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::routing::get;
    use tokio::sync::Semaphore;

    use super::{DashboardLane, dashboard_lane};

    /// A server whose `/dashboard/slow` counts its starts and waits for `gate`; the lane
    /// lets `at_once` of them in at a time. Its address, the count and the gate.
    async fn serve(at_once: usize) -> (String, Arc<AtomicUsize>, Arc<Semaphore>) {
        let (started, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
        let (s, g) = (started.clone(), gate.clone());
        let app = Router::new()
            .route(
                "/dashboard/slow",
                get(move || {
                    let (s, g) = (s.clone(), g.clone());
                    async move {
                        s.fetch_add(1, Ordering::SeqCst);
                        g.acquire().await.expect("gate").forget();
                        "done"
                    }
                }),
            )
            .route("/static/app.css", get(|| async { "css" }))
            .layer(axum::middleware::from_fn_with_state(
                DashboardLane::new(at_once),
                dashboard_lane,
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, started, gate)
    }

    async fn until(what: &str, f: impl Fn() -> bool) {
        for _ in 0..1000 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never: {what}");
    }

    /// With one place, a second page waits for the first to finish while static files
    /// are served; with no limit, both pages run at once.
    #[tokio::test]
    async fn the_lane_holds_pages_beyond_its_places_and_nothing_else() {
        let (base, started, gate) = serve(1).await;
        let get = |path: &str| {
            let url = format!("{base}{path}");
            tokio::spawn(async move { reqwest::get(url).await.unwrap().text().await.unwrap() })
        };
        let first = get("/dashboard/slow");
        until("the first page starts", || {
            started.load(Ordering::SeqCst) == 1
        })
        .await;
        let second = get("/dashboard/slow");
        assert_eq!(get("/static/app.css").await.unwrap(), "css");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(started.load(Ordering::SeqCst), 1, "the second page waits");
        gate.add_permits(1);
        assert_eq!(first.await.unwrap(), "done");
        until("the second page starts", || {
            started.load(Ordering::SeqCst) == 2
        })
        .await;
        gate.add_permits(1);
        assert_eq!(second.await.unwrap(), "done");

        let (base, started, gate) = serve(0).await;
        let pages: Vec<_> = (0..2)
            .map(|_| {
                let url = format!("{base}/dashboard/slow");
                tokio::spawn(async move { reqwest::get(url).await.unwrap().text().await.unwrap() })
            })
            .collect();
        until("both pages run at once", || {
            started.load(Ordering::SeqCst) == 2
        })
        .await;
        gate.add_permits(2);
        for p in pages {
            assert_eq!(p.await.unwrap(), "done");
        }
    }
}

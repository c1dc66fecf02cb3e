//! The HTTP surface: thin handlers that authenticate, parse, and call the sync rules.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::Utc;
use rounds_core::Role;
use rounds_protocol::auth::{LoginRequest, LoginResponse};
use rounds_protocol::sync::{MAX_PUSH_BYTES, PullResponse, PushRequest, PushResponse};
use rounds_protocol::{AccountId, DeviceId, ErrorCode, TerritoryId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::trace::TraceLayer;

use crate::auth::{self, Caller};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::{pull, push, review};

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
}

/// The stable name of an error code, as it travels.
pub fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// A JSON body whose every failure is an [`ApiError`](rounds_protocol::ApiError):
/// too large → `payload_too_large`, unreadable → `malformed_request`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
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
        })
    }
}

/// The bearer token of the request (checked against the database by the handler, inside
/// the same transaction as its work).
#[derive(Debug)]
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Bearer(t.trim().to_owned()))
            .filter(|b| !b.0.is_empty())
            .ok_or_else(|| Error::client(ErrorCode::Unauthenticated, "missing bearer token"))
    }
}

fn require_manager(c: &Caller) -> Result<()> {
    match c.role {
        Role::Manager | Role::Admin => Ok(()),
        Role::Rep => Err(Error::client(ErrorCode::Forbidden, "managers only")),
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/openapi.json",
            get(|| async { Json(crate::openapi::document()) }),
        )
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/sync/push", post(push_handler))
        .route("/sync/pull", get(pull_handler))
        .route("/manage/accounts/{id}/territory", post(assign_account))
        .route("/manage/territories/{id}/rep", post(assign_territory))
        .route("/manage/devices/{id}/revoke", post(revoke_device))
        .route("/manage/review", get(review_handler))
        .merge(crate::dashboard::router())
        .fallback(|| async { Error::client(ErrorCode::NotFound, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Error::client(ErrorCode::MalformedRequest, "method not allowed here")
        })
        .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn login(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    Ok(Json(
        auth::login(&s.db, &s.settings, req, Utc::now()).await?,
    ))
}

async fn logout(State(s): State<AppState>, Bearer(token): Bearer) -> Result<Response> {
    s.db.write(move |tx| {
        let now = Utc::now();
        let c = auth::authenticate(tx, &token, now)?;
        auth::revoke_device(tx, c.device, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn push_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>> {
    let push = push::Prepared::new(&token, req);
    let res =
        s.db.write_prefetched(push.prefetch(), move |tx, prefetched| {
            push.apply(tx, Utc::now(), prefetched)
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
    /// A bucket the device found damaged: it is sent again from a snapshot (a reset, then
    /// every row), as if newly gained.
    pub resnapshot: Option<String>,
}

async fn pull_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    q: std::result::Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>> {
    let Query(q) = q.map_err(|e| Error::client(ErrorCode::MalformedRequest, e.body_text()))?;
    let res =
        s.db.read(move |tx| {
            let now = Utc::now();
            let c = auth::authenticate(tx, &token, now)?;
            pull::pull(
                tx,
                &c,
                pull::Ask {
                    cursor: q.cursor.as_deref(),
                    limit: q.limit,
                    protocol_version: q.protocol_version,
                    resnapshot: q.resnapshot.as_deref(),
                },
                now,
            )
        })
        .await?;
    Ok(Json(res))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssignAccount {
    /// The territory the account moves to; null takes it out of every territory.
    #[schema(value_type = Option<String>)]
    pub territory_id: Option<TerritoryId>,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssignTerritory {
    /// The rep who works the territory from now on; null leaves it unassigned.
    #[schema(value_type = Option<String>)]
    pub rep_id: Option<UserId>,
}

fn path_id<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| Error::client(ErrorCode::MalformedRequest, format!("{s:?} is not an id")))
}

async fn assign_account(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignAccount>,
) -> Result<Response> {
    let id: AccountId = path_id(&id)?;
    s.db.write(move |tx| {
        let now = Utc::now();
        let c = auth::authenticate(tx, &token, now)?;
        require_manager(&c)?;
        let reach = crate::manage::reach_of(tx, c.user, c.role)?;
        crate::manage::move_account(tx, &reach, id, body.territory_id, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn assign_territory(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignTerritory>,
) -> Result<Response> {
    let id: TerritoryId = path_id(&id)?;
    s.db.write(move |tx| {
        let now = Utc::now();
        let c = auth::authenticate(tx, &token, now)?;
        require_manager(&c)?;
        let reach = crate::manage::reach_of(tx, c.user, c.role)?;
        crate::manage::assign_territory(tx, &reach, c.user, id, body.rep_id, now)
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn revoke_device(
    State(s): State<AppState>,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response> {
    let id: DeviceId = path_id(&id)?;
    let found =
        s.db.write(move |tx| {
            let now = Utc::now();
            let c = auth::authenticate(tx, &token, now)?;
            require_manager(&c)?;
            auth::revoke_device(tx, id, now)
        })
        .await?;
    if !found {
        return Err(Error::client(ErrorCode::NotFound, "no such active device"));
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn review_handler(
    State(s): State<AppState>,
    Bearer(token): Bearer,
) -> Result<Json<review::Review>> {
    let r =
        s.db.read(move |tx| {
            let c = auth::authenticate(tx, &token, Utc::now())?;
            require_manager(&c)?;
            review::review(tx)
        })
        .await?;
    Ok(Json(r))
}

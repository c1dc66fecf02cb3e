//! The OpenAPI document served at `/openapi.json`. The wire types live in
//! rounds-protocol (serde only, wasm-clean), so their schemas are described here as
//! free-form objects pointing at the protocol crate's documentation.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rounds server",
        description = "Sync, sign-in and management endpoints of the Rounds central server. Errors are `{code, message}` (rounds_protocol::ApiError) with the HTTP status of the code."
    ),
    paths(
        login,
        logout,
        change_password,
        push,
        pull,
        assign_account,
        assign_territory,
        revoke_device,
        review,
        health
    ),
    components(schemas(
        crate::http::AssignAccount,
        crate::http::AssignTerritory,
        crate::review::Review,
        ApiErrorDoc
    )),
    modifiers(&BearerScheme)
)]
struct Doc;

/// The `bearer` scheme the operations name: the device or manager token from sign-in.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// `{code, message}`; `code` is a snake_case rounds_protocol::ErrorCode.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ApiErrorDoc {
    code: String,
    message: String,
}

pub fn document() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// Sign a device in (rounds_protocol::auth::LoginRequest → LoginResponse).
#[utoipa::path(post, path = "/auth/login", request_body(content = Object, description = "LoginRequest {email, password, device_name, platform}"),
    responses((status = 200, description = "LoginResponse {device_id, token, expires_at, user}", body = Object),
              (status = 400, description = "malformed_request / invalid_input", body = ApiErrorDoc),
              (status = 401, description = "invalid_credentials", body = ApiErrorDoc),
              (status = 403, description = "device_revoked: the user is deactivated", body = ApiErrorDoc),
              (status = 429, description = "rate_limited: too many sign-ins from this address or for this account, failed sign-ins in a row, or too many at once; `Retry-After` says when to try again", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn login() {}

/// Change the signed-in user's password (rounds_protocol::auth::ChangePassword); every
/// other sign-in of theirs ends.
#[utoipa::path(post, path = "/auth/password", security(("bearer" = [])), request_body(content = Object, description = "ChangePassword {current_password, new_password}"),
    responses((status = 204, description = "changed"),
              (status = 400, description = "malformed_request / invalid_input (a new password of 8 to 1,024 characters)", body = ApiErrorDoc),
              (status = 401, description = "unauthenticated, or invalid_credentials (the current password)", body = ApiErrorDoc),
              (status = 429, description = "rate_limited, as for sign-in", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn change_password() {}

/// Sign this device out: its token stops working.
#[utoipa::path(post, path = "/auth/logout", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, description = "unauthenticated", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn logout() {}

/// Push the outbox (rounds_protocol::sync::PushRequest → PushResponse): at most 200
/// mutations and 256 KiB; each applied exactly once; a seq already applied is answered
/// from the ledger; a gap stops the batch (`sequence_gap` for the rest).
#[utoipa::path(post, path = "/sync/push", security(("bearer" = [])), request_body(content = Object, description = "PushRequest"),
    responses((status = 200, description = "PushResponse with one result per mutation", body = Object),
              (status = 400, description = "malformed_request / invalid_input", body = ApiErrorDoc),
              (status = 401, description = "unauthenticated", body = ApiErrorDoc),
              (status = 403, description = "device_revoked, or forbidden (another device's id)", body = ApiErrorDoc),
              (status = 413, description = "payload_too_large", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn push() {}

/// Pull a page of changes for the buckets this device may see now
/// (rounds_protocol::sync::PullResponse).
#[utoipa::path(get, path = "/sync/pull", security(("bearer" = [])), params(crate::http::PullQuery),
    responses((status = 200, description = "PullResponse", body = Object),
              (status = 400, description = "malformed_request (a cursor not made by this server)", body = ApiErrorDoc),
              (status = 401, description = "unauthenticated", body = ApiErrorDoc),
              (status = 403, description = "device_revoked", body = ApiErrorDoc),
              (status = 426, description = "upgrade_required", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn pull() {}

/// Move an account to another territory (managers).
#[utoipa::path(post, path = "/manage/accounts/{id}/territory", security(("bearer" = [])), params(("id" = String, Path, description = "account id")),
    request_body = crate::http::AssignAccount,
    responses((status = 204, description = "moved"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiErrorDoc), (status = 401, description = "unauthenticated", body = ApiErrorDoc), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiErrorDoc), (status = 404, description = "not_found", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn assign_account() {}

/// Give a territory to a rep (managers).
#[utoipa::path(post, path = "/manage/territories/{id}/rep", security(("bearer" = [])), params(("id" = String, Path, description = "territory id")),
    request_body = crate::http::AssignTerritory,
    responses((status = 204, description = "assigned"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiErrorDoc), (status = 401, description = "unauthenticated", body = ApiErrorDoc), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiErrorDoc), (status = 404, description = "not_found", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn assign_territory() {}

/// Revoke a device (managers).
#[utoipa::path(post, path = "/manage/devices/{id}/revoke", security(("bearer" = [])), params(("id" = String, Path, description = "device id")),
    responses((status = 204, description = "revoked"), (status = 400, description = "malformed_request (not an id, or a malformed body)", body = ApiErrorDoc), (status = 401, description = "unauthenticated", body = ApiErrorDoc), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiErrorDoc), (status = 404, description = "not_found", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn revoke_device() {}

/// What sync set aside: quarantined mutations and activities, rejected edits, conflicts.
#[utoipa::path(get, path = "/manage/review", security(("bearer" = [])),
    responses((status = 200, description = "review", body = crate::review::Review), (status = 401, description = "unauthenticated", body = ApiErrorDoc), (status = 403, description = "forbidden (managers only) or device_revoked", body = ApiErrorDoc)))]
#[allow(dead_code)]
fn review() {}

/// Liveness.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "ok")))]
#[allow(dead_code)]
fn health() {}

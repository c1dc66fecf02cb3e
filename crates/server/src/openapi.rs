//! The OpenAPI document served at `/openapi.json`: this frame, and the paths the
//! handlers describe themselves (`crate::http::api`). The sync and sign-in wire types live
//! in rounds-protocol (serde only, wasm-clean) and are described as free-form objects
//! pointing at the protocol crate's documentation.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rounds server",
        description = "Sync, sign-in and management endpoints of the Rounds central server. Errors are `{code, message}` (rounds_protocol::ApiError) with the HTTP status of the code."
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
#[derive(Debug, utoipa::ToSchema)]
pub struct ApiErrorDoc {
    pub code: String,
    pub message: String,
}

/// The document's frame: title, schemas and the bearer scheme. The paths come from the
/// handlers themselves (see [`crate::http::api`]).
pub fn base() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The whole document, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::http::api().split_for_parts().1
}

//! The OpenAPI document served at `/openapi.json`: this frame, and the paths the
//! handlers describe themselves (`crate::http::api`). The sync and sign-in wire types live
//! in rounds-protocol, whose `openapi` feature (on for the server only, so the device and
//! the wasm UI do not carry it) derives their schemas.

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
        rounds_protocol::ApiError
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

/// The document's frame: title, schemas and the bearer scheme. The paths come from the
/// handlers themselves (see [`crate::http::api`]).
pub fn base() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The whole document, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::http::api().split_for_parts().1
}

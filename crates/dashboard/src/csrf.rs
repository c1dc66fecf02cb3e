//! The one way a dashboard handler receives a signed-in POST form: [`Csrf`] yields the
//! viewer and the form only when the form carries the session's CSRF token, so no handler
//! can forget the check. (The CSV import's multipart upload reads its body itself and
//! checks the same token by hand; see `import.rs`.)

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rounds_server_rules::state::AppState;
use serde::de::DeserializeOwned;

use crate::{Viewer, csrf_refused};

/// A url-encoded form `T` posted by `Viewer`, its `csrf` field checked. A key sent more
/// than once (ticked checkboxes) fills a `Vec` field.
#[derive(Debug)]
pub struct Csrf<T>(pub Viewer, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Csrf<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, s).await?;
        let url_encoded = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !url_encoded {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a form (application/x-www-form-urlencoded).",
            )
                .into_response());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), s)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = serde_html_form::from_bytes::<T>(&bytes).map_err(|e| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The form is not readable: {e}"),
            )
                .into_response()
        })?;
        let sent = form_urlencoded_csrf(&bytes);
        if !viewer.csrf_ok(&sent) {
            return Err(csrf_refused().into_response());
        }
        Ok(Csrf(viewer, form))
    }
}

/// The form's `csrf` field ("" when missing or unreadable).
fn form_urlencoded_csrf(body: &[u8]) -> String {
    serde_html_form::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf"))
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_form() {
        assert_eq!(form_urlencoded_csrf(b"a=1&csrf=abc%2B&b=2"), "abc+");
        assert_eq!(form_urlencoded_csrf(b"a=1"), "");
        assert_eq!(form_urlencoded_csrf(b"\xff\xfe"), "");
    }
}

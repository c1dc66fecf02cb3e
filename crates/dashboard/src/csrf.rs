//! The one way a dashboard handler receives a signed-in POST form: [`Csrf`] yields the
//! viewer and the form only when the form carries the session's CSRF token, so no handler
//! can forget the check. (The CSV import's multipart upload reads its body itself and
//! checks the same token by hand; see `import.rs`.)

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use rounds_server_rules::state::AppState;
use serde::de::DeserializeOwned;

use crate::{Viewer, csrf_refused};

/// A url-encoded form `T` posted by `Viewer`, its `csrf` field checked.
#[derive(Debug)]
pub struct Csrf<T>(pub Viewer, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Csrf<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, s).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), s)
            .await
            .map_err(IntoResponse::into_response)?;
        // The form as the handler wants it, with axum's own answers when it is not one.
        let Form(form) =
            Form::<T>::from_request(Request::from_parts(parts, Body::from(bytes.clone())), s)
                .await
                .map_err(IntoResponse::into_response)?;
        let sent = form_urlencoded_csrf(&bytes);
        if !viewer.csrf_ok(&sent) {
            return Err(csrf_refused().into_response());
        }
        Ok(Csrf(viewer, form))
    }
}

/// The form's `csrf` field ("" when missing or unreadable).
fn form_urlencoded_csrf(body: &[u8]) -> String {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
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

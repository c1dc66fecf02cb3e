//! Changing one's own password. The current password is checked as a sign-in is (same
//! limits, same lockout); after the change every sign-in of the user ends, this one
//! included, so whoever knew the old password is out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Answer, Csrf, Viewer, html_response, page};
use crate::auth;
use axum::Extension;
use rounds_server_rules::Error;
use rounds_server_rules::state::{AppState, ClientAddr, PasswordChange};

fn form(viewer: &Viewer, error: Option<&str>, status: StatusCode) -> Response {
    let body: Markup = html! {
        h1 { "Change your password" }
        @if let Some(e) = error { p.alert role="alert" { (e) } }
        form.edit method="post" action="/dashboard/password" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            div.field { label for="current" { "Current password" }
                input #current type="password" name="current" autocomplete="current-password" required; }
            div.field { label for="new" { "New password (at least " (auth::MIN_PASSWORD) " characters)" }
                input #new type="password" name="new" autocomplete="new-password" minlength=(auth::MIN_PASSWORD) required; }
            div.field { label for="again" { "New password again" }
                input #again type="password" name="again" autocomplete="new-password" required; }
            p.muted { "Afterwards you sign in again, and every device and browser signed in as you is signed out." }
            div.actions { button type="submit" { "Change password" } }
        }
    };
    html_response(
        status,
        page("Password", Some((viewer, "/dashboard/password")), body),
    )
}

pub async fn show(viewer: Viewer) -> Answer {
    Ok(form(&viewer, None, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

pub async fn submit(
    State(s): State<AppState>,
    Extension(ClientAddr(from)): Extension<ClientAddr>,
    Csrf(viewer, f): Csrf<PasswordForm>,
) -> Answer {
    let refuse = |message: &str, status| form(&viewer, Some(message), status);
    if f.new != f.again {
        return Ok(refuse(
            "The new password and its repetition differ.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if auth::acceptable_password(&f.new).is_err() {
        return Ok(refuse(
            "The new password needs at least 8 characters.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match s
        .change_password(from, viewer.id, f.current, f.new, None)
        .await
    {
        Ok(PasswordChange::Changed) => {}
        Ok(PasswordChange::WrongCurrent) => {
            return Ok(refuse(
                "The current password is wrong.",
                StatusCode::UNAUTHORIZED,
            ));
        }
        Err(Error::RetryLater(e, _)) => {
            return Ok(refuse(&e.message, StatusCode::TOO_MANY_REQUESTS));
        }
        Err(e) => return Err(e.into()),
    }
    let body = html! {
        h1 { "Password changed" }
        p.ok-note role="status" { "Your password is changed, and every sign-in of yours has ended." }
        p { a href="/login" { "Sign in again" } }
    };
    Ok(html_response(
        StatusCode::OK,
        page("Password changed", None, body),
    ))
}

//! The manager dashboard: server-rendered HTML (maud, escaped by default), charts as
//! inline SVG, no JavaScript needed. Sign-in for managers and admins with a server-side
//! session (random token in an `HttpOnly; SameSite=Lax` cookie, only its SHA-256 stored)
//! and a per-session CSRF token in every form, checked on every POST.
//!
//! Each page is a thin handler: resolve the viewer, ask the rules for the data (one read
//! transaction), call the pure view-model function of the page module, render. The pages
//! never reach the database themselves: this crate does not depend on the storage seam.

pub mod accounts;
pub mod activity;
pub mod appointments;
pub mod balance;
pub mod boundaries;
pub mod compliance;
mod csrf;
pub mod design;
pub mod export;
pub mod import;
mod layout;
pub mod map;
pub mod password;
pub mod performance;
pub mod photos;
pub mod plans;
pub mod postal;
pub mod priority;
pub mod quotas;
pub mod review;
pub mod teams;
pub mod unmapped;
pub mod weeks;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use rounds_core::Role;
use serde::Deserialize;

// The rules, under the names the pages use for them.
use axum::Extension;
use rounds_server_rules::state::{AppState, ClientAddr};
use rounds_server_rules::{Error, auth, fields, manage, push, throttle};

pub use csrf::Csrf;
pub use layout::page;

use rounds_server_rules::error::retry_after_secs;
use rounds_server_rules::settings::Settings;

/// Whether this request came over HTTPS (see [`Settings::over_https`]): cookies are then
/// `Secure`, and the server's answers carry HSTS.
pub fn over_https(settings: &Settings, headers: &HeaderMap) -> bool {
    settings.over_https(
        headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok()),
    )
}

pub const SESSION_COOKIE: &str = "rounds_session";
const LOGIN_CSRF_COOKIE: &str = "rounds_login_csrf";

pub use rounds_server_rules::scope;
use rounds_server_rules::sessions::{self as session, SignedIn};

/// The signed-in manager or admin looking at the dashboard (an extractor: a page that
/// takes one is for signed-in managers and admins only).
#[derive(Debug, Clone)]
pub struct Viewer(pub SignedIn);

impl std::ops::Deref for Viewer {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/static/app.css", get(stylesheet))
        .route("/static/map.js", get(map::script))
        .route("/static/vendor/{*file}", get(map::vendored))
        .route(
            "/dashboard",
            get(|| async { see_other("/dashboard/activity") }),
        )
        .route("/dashboard/activity", get(activity::handler))
        .route("/dashboard/compliance", get(compliance::handler))
        .route("/dashboard/performance", get(performance::handler))
        .route("/dashboard/accounts", get(accounts::list))
        .route("/dashboard/map", get(map::handler))
        .route(
            "/dashboard/unmapped",
            get(unmapped::list).post(unmapped::place_all),
        )
        .route("/dashboard/unmapped/{id}", post(unmapped::place))
        .route("/dashboard/design", get(design::handler))
        .route(
            "/dashboard/postal-codes",
            get(postal::show_many).post(postal::reassign_many),
        )
        .route(
            "/dashboard/postal-codes/{code}",
            get(postal::show).post(postal::reassign),
        )
        .route("/dashboard/design/publish", post(design::publish))
        .route("/dashboard/design/scenarios", post(design::save_scenario))
        .route(
            "/dashboard/design/scenarios/{id}/delete",
            post(design::delete_scenario),
        )
        .route("/dashboard/map.json", get(map::data))
        .route(
            "/dashboard/boundaries",
            get(boundaries::show)
                .post(boundaries::import)
                .layer(DefaultBodyLimit::max(import::MAX_BODY)),
        )
        .route("/dashboard/accounts.csv", get(export::accounts))
        .route("/dashboard/accounts/move", post(accounts::move_selected))
        .route(
            "/dashboard/accounts/{id}",
            get(accounts::edit_form).post(accounts::edit_submit),
        )
        .route(
            "/dashboard/accounts/{id}/appointments",
            post(appointments::book),
        )
        .route(
            "/dashboard/accounts/{id}/appointments/{appointment}/cancel",
            post(appointments::cancel),
        )
        .route("/dashboard/photos/{id}", get(photos::serve))
        .route("/dashboard/weeks", get(weeks::handler))
        .route("/dashboard/activity.csv", get(export::activity))
        .route("/dashboard/compliance.csv", get(export::compliance))
        .route("/dashboard/performance.csv", get(export::performance))
        .route("/dashboard/plans", get(plans::form).post(plans::submit))
        .route(
            "/dashboard/password",
            get(password::show).post(password::submit),
        )
        .route("/dashboard/review", get(review::list))
        .route("/dashboard/review.csv", get(export::review))
        .route("/dashboard/review/{kind}/{id}/{action}", post(review::act))
        .route(
            "/dashboard/import",
            get(import::form)
                .post(import::preview)
                .layer(DefaultBodyLimit::max(import::MAX_BODY)),
        )
        .route("/dashboard/import/confirm", post(import::confirm))
        .route("/dashboard/import/remap", post(import::remap))
        .route("/dashboard/import/{id}", get(import::rows))
        .route("/dashboard/priority", get(priority::handler))
        .route("/dashboard/priority.csv", get(export::priority))
        .route("/dashboard/balance", get(balance::handler))
        .route("/dashboard/balance.csv", get(export::balance))
        .route(
            "/dashboard/quotas",
            get(quotas::handler).post(quotas::submit),
        )
        .route("/dashboard/quotas/regions", post(quotas::assign_regions))
        .route("/dashboard/teams", get(teams::list).post(teams::choose))
}

/// A CSV download.
pub fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    csv_stream(filename, Body::from(body))
}

/// A CSV download sent as it is written.
pub fn csv_stream(filename: &str, body: Body) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    r
}

pub use rounds_server_rules::scope::reach;

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

fn set_cookie(r: &mut Response, name: &str, value: &str, path: &str, max_age: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let c =
        format!("{name}={value}; HttpOnly; SameSite=Lax; Path={path}; Max-Age={max_age}{secure}");
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(SET_COOKIE, v);
    }
}

/// Equal without an early exit, so timing does not tell how much of a token matched.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// An HTML answer with the dashboard's headers: no caching, no framing.
pub fn html_response(status: StatusCode, body: Markup) -> Response {
    let mut r = (status, body.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    r
}

/// Why a dashboard request gets the error page instead of the page it asked for. Every
/// page handler answers [`Answer`], so the error page is drawn in one place.
#[derive(Debug)]
pub enum Refusal {
    /// The rules refused (a client error: 400 with its message) or failed (logged, and
    /// answered 500 without details).
    Rules(Error),
    /// The page's own refusal: its status, title and words.
    Page {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
}

/// What a page handler answers.
pub type Answer = Result<Response, Refusal>;

impl Refusal {
    pub fn page(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Refusal::Page {
            status,
            title,
            message: message.into(),
        }
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Rules(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page {
                status,
                title,
                message,
            } => error_page(status, title, &message),
            Refusal::Rules(Error::Client(api)) => {
                error_page(StatusCode::BAD_REQUEST, "Not possible", &api.message)
            }
            Refusal::Rules(other) => {
                tracing::error!(error = %other, "dashboard request failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not build this page. Try again shortly.",
                )
            }
        }
    }
}

/// A page saying what went wrong, in the dashboard's layout (drawn for a [`Refusal`]).
fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    html_response(
        status,
        page(
            title,
            None,
            html! { h1 { (title) } p { (message) } p { a href="/" { "Back" } } },
        ),
    )
}

/// 404 for a `?territory=` that is not one of the viewer's team's.
pub fn territory_not_found() -> Refusal {
    Refusal::page(
        StatusCode::NOT_FOUND,
        "No such territory",
        "That territory does not exist or is not one of your team's.",
    )
}

/// The error page for what the rules answered (see [`Refusal`]).
pub fn fault(e: Error) -> Response {
    Refusal::from(e).into_response()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(see_other("/login"));
        };
        match session::resolve(&s.db, &token, s.settings.clock.now()).await {
            Ok(Some(v)) if v.role != Role::Rep => Ok(Viewer(v)),
            Ok(_) => Err(see_other("/login")),
            Err(e) => Err(fault(e)),
        }
    }
}

async fn root(viewer: Result<Viewer, Response>) -> Response {
    match viewer {
        Ok(_) => see_other("/dashboard"),
        Err(_) => see_other("/login"),
    }
}

async fn stylesheet() -> Response {
    let mut r = layout::CSS.into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

fn login_page(csrf: &str, email: &str, problem: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        html! {
            main.narrow {
                h1 { "Rounds — sign in" }
                p.muted { "The dashboard is for managers and admins." }
                @if let Some(p) = problem { p.alert role="alert" { (p) } }
                form method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "E-mail" input type="email" name="email" value=(email) autocomplete="username" required; }
                    label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

async fn login_form(State(s): State<AppState>, headers: HeaderMap) -> Answer {
    // Signing in sets a short-lived token in a cookie and in the form (double submit):
    // a forged cross-site form cannot know it.
    let token = match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(t) => t,
        None => match auth::new_token() {
            Ok(t) => t,
            Err(e) => return Err(e.into()),
        },
    };
    let mut r = html_response(StatusCode::OK, login_page(&token, "", None));
    set_cookie(
        &mut r,
        LOGIN_CSRF_COOKIE,
        &token,
        "/login",
        3600,
        over_https(&s.settings, &headers),
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(s): State<AppState>,
    Extension(ClientAddr(from)): Extension<ClientAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Answer {
    let Some(expected) = cookie(&headers, LOGIN_CSRF_COOKIE) else {
        return Err(csrf_refused());
    };
    if !same_token(&expected, &f.csrf) {
        return Err(csrf_refused());
    }
    let retry = |status, message: &str| {
        html_response(status, login_page(&expected, f.email.trim(), Some(message)))
    };
    let now = s.settings.clock.now();
    let checked = match s.admit_sign_in(from, &f.email) {
        Ok(permit) => {
            auth::check_password(
                &s.db,
                &s.settings,
                &f.email,
                f.password.clone(),
                now,
                permit,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let checked = match checked {
        Ok(c) => c,
        Err(Error::RetryLater(e, after)) => {
            let mut r = retry(StatusCode::TOO_MANY_REQUESTS, &e.message);
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(after)));
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(checked) = checked.filter(|c| c.active) else {
        return Ok(retry(
            StatusCode::UNAUTHORIZED,
            "Wrong e-mail or password. Check both and try again.",
        ));
    };
    if checked.user.role == Role::Rep {
        return Ok(retry(
            StatusCode::FORBIDDEN,
            "This dashboard is for managers and admins. Reps use the Rounds app on their phone or laptop.",
        ));
    }
    let ttl = chrono::Duration::hours(i64::from(s.settings.session_ttl_hours.max(1)));
    let token = match session::create(&s.db, checked.user.id, s.settings.clock.now(), ttl).await {
        Ok(t) => t,
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = %checked.user.id, "dashboard sign-in");
    let mut r = see_other("/dashboard");
    let secure = over_https(&s.settings, &headers);
    set_cookie(
        &mut r,
        SESSION_COOKIE,
        &token,
        "/",
        ttl.num_seconds(),
        secure,
    );
    set_cookie(&mut r, LOGIN_CSRF_COOKIE, "", "/login", 0, secure);
    Ok(r)
}

/// 403: the form's CSRF token is missing or wrong.
pub fn csrf_refused() -> Refusal {
    Refusal::page(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form could not be verified (a missing or stale security token). Reload the page and try again.",
    )
}

/// The body of every dashboard POST carries the session's CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

impl Viewer {
    /// Whether a POST's form carries this session's token; refuse it with
    /// [`csrf_refused`] when not.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        same_token(&self.csrf, sent)
    }
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Csrf(_viewer, _f): Csrf<CsrfForm>,
) -> Answer {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = session::delete(&s.db, &token).await
    {
        return Err(e.into());
    }
    let mut r = see_other("/login");
    set_cookie(
        &mut r,
        SESSION_COOKIE,
        "",
        "/",
        0,
        over_https(&s.settings, &headers),
    );
    Ok(r)
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    async fn body(r: Response) -> (StatusCode, String) {
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn every_refusal_is_the_error_page_with_its_status() {
        let cases = [
            (
                Refusal::page(StatusCode::NOT_FOUND, "No such item", "Nothing here."),
                StatusCode::NOT_FOUND,
                "Nothing here.",
            ),
            (
                Refusal::from(Error::client(
                    rounds_protocol::ErrorCode::InvalidInput,
                    "a reason the manager can act on",
                )),
                StatusCode::BAD_REQUEST,
                "a reason the manager can act on",
            ),
            (
                Refusal::from(Error::Internal("secret detail".into())),
                StatusCode::INTERNAL_SERVER_ERROR,
                "Try again shortly",
            ),
        ];
        for (refusal, status, words) in cases {
            let (got, html) = body(refusal.into_response()).await;
            assert_eq!(got, status);
            assert!(html.contains(words), "{html}");
            assert!(!html.contains("secret detail"), "no internals shown");
            assert!(
                html.contains("<!doctype html>"),
                "in the dashboard's layout"
            );
        }
    }
}

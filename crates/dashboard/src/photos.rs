//! Photos reps took in the field: listed on the account's page, and served one at a time
//! to a viewer who may see the account, as the image type checked at upload.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use maud::{Markup, html};
use rounds_protocol::PhotoId;
use rounds_server_rules::photos::{self, PhotoRow};
use rounds_server_rules::scope;
use rounds_server_rules::state::AppState;

use super::{Answer, Refusal, Viewer};

/// The account page's photos, newest first; one still uploading says so.
pub fn section(team: &scope::Team, photos: &[PhotoRow]) -> Markup {
    html! {
        h2 { "Photos" }
        @if photos.is_empty() {
            p.muted { "No photos yet. Reps add them from the account on their device." }
        } @else {
            ul.photos {
                @for p in photos {
                    li {
                        @if p.received {
                            a href=(format!("/dashboard/photos/{}", p.id)) {
                                img src=(format!("/dashboard/photos/{}", p.id)) alt=(p.caption.as_deref().unwrap_or("Photo")) loading="lazy" width="240";
                            }
                        } @else {
                            span.pending role="img" aria-label="Still uploading" { "Uploading from the device…" }
                        }
                        p {
                            @if let Some(c) = &p.caption { (c) br; }
                            span.muted {
                                @if p.activity_id.is_some() { "At a visit · " }
                                (taken(team, p)) " · "
                                (team.rep(p.rep_id).map_or("a former rep", |r| r.name.as_str()))
                                " · " (kib(p.bytes))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// When it was taken, in its rep's time zone (UTC for someone no longer on the team).
fn taken(team: &scope::Team, p: &PhotoRow) -> String {
    const FMT: &str = "%a %Y-%m-%d %H:%M %Z";
    match team.rep(p.rep_id) {
        Some(r) => p.taken_at.with_timezone(&r.tz).format(FMT).to_string(),
        None => p.taken_at.format(FMT).to_string(),
    }
}

fn kib(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn not_found() -> Refusal {
    Refusal::page(
        StatusCode::NOT_FOUND,
        "No such photo",
        "No photo of an account you manage has this address, or its bytes have not arrived yet.",
    )
}

/// One photo's bytes, to a viewer who may see its account.
pub async fn serve(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Answer {
    let Ok(id) = id.parse::<PhotoId>() else {
        return Err(not_found());
    };
    let v = viewer.clone();
    let photo =
        s.db.read(move |tx| {
            let Some(photo) = photos::get(tx, id)? else {
                return Ok(None);
            };
            let team = scope::team(tx, &v)?;
            match super::reach(&team).account(tx, photo.account_id) {
                Ok(_) => Ok(Some(photo)),
                Err(rounds_server_rules::Error::Client(e))
                    if e.code == rounds_protocol::ErrorCode::NotFound =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    let Some(photo) = photo else {
        return Err(not_found());
    };
    let Some(bytes) = photos::bytes(&s, &photo).await? else {
        return Err(not_found());
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    // The type was checked against the bytes at upload; the browser must not guess
    // another, and the image can run nothing.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&photo.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    Ok(r)
}

//! `/dashboard/review`: what sync set aside — quarantined activities, rejected edits,
//! field conflicts — each with Accept and Dismiss. Accepting applies it (the activity
//! becomes a normal one devices receive; an edit or a losing value is applied as the
//! manager's edit); dismissing keeps it as it is, marked resolved, off this list.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use rounds_protocol::records::ActivityRecord;
use serde::Deserialize;

use super::scope::{self, Team};
use super::{Answer, Csrf, CsrfForm, Refusal, Viewer, html_response, page, see_other};
use rounds_server_rules::Error;
use rounds_server_rules::review::{
    self, ItemKind, OnHold, OpenItem, OverQuota, devices_over_quota, sign_ins_on_hold,
};
use rounds_server_rules::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    pub done: Option<String>,
}

/// A person's name for a rep id, a device or a `user:` writer.
pub fn who(team: &Team, w: &str) -> String {
    let id = w.strip_prefix("user:").unwrap_or(w);
    id.parse().ok().and_then(|id| team.rep(id)).map_or_else(
        || {
            if w.starts_with("user:") {
                "a manager".to_owned()
            } else {
                format!("device {}", w.chars().take(8).collect::<String>())
            }
        },
        |p| p.name.clone(),
    )
}

/// The item's value in words.
pub fn value_text(item: &OpenItem) -> String {
    if item.kind == ItemKind::Duplicate {
        return "a new account from the field".to_owned();
    }
    if item.kind == ItemKind::Activity {
        return match serde_json::from_str::<ActivityRecord>(&item.value) {
            Ok(a) => format!(
                "{} on {}{}",
                super::activity::kind_name(a.kind),
                a.occurred_at.format("%Y-%m-%d %H:%M UTC"),
                a.note.map(|n| format!(": {n}")).unwrap_or_default()
            ),
            Err(_) => item.value.clone(),
        };
    }
    item.value.clone()
}

fn actions(viewer: &Viewer, item: &OpenItem) -> Markup {
    let base = format!("/dashboard/review/{}/{}", item.kind.as_str(), item.id);
    html! {
        form.inline method="post" action=(format!("{base}/accept")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            button type="submit" data-action="accept" {
                @if item.kind == ItemKind::Duplicate { "Merge into it" } @else { "Accept" }
            }
        }
        " "
        form.inline method="post" action=(format!("{base}/dismiss")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            button.secondary type="submit" data-action="dismiss" {
                @if item.kind == ItemKind::Duplicate { "Keep both" } @else { "Dismiss" }
            }
        }
    }
}

fn section(
    viewer: &Viewer,
    team: &Team,
    title: &str,
    explain: &str,
    items: &[&OpenItem],
    with_field: bool,
) -> Markup {
    html! {
        h2 { (title) " (" (items.len()) ")" }
        p.muted { (explain) }
        @if items.is_empty() {
            p.muted { "Nothing open." }
        } @else {
            div.table-wrap tabindex="0" { table.cards.review {
                thead { tr { th { "Account" } th { "Who" } @if with_field { th { "Field" } } th { "Value" } th { "Why" } th { "When" } th { "" } } }
                tbody {
                    @for i in items {
                        tr data-kind=(i.kind.as_str()) data-id=(i.id) {
                            td.title { @if let Some(a) = i.account_id { a href=(format!("/dashboard/accounts/{a}")) { (i.account) } } @else { (i.account) } }
                            td data-label="Who" { (who(team, &i.who)) }
                            @if with_field { td data-label="Field" { (i.field.clone().unwrap_or_default()) } }
                            td.note data-label="Value" { (value_text(i))
                                @if let Some(w) = &i.winner { br; span.muted { "kept: " (w) } } }
                            td data-label="Why" { (i.reason) }
                            td data-label="When" { (i.at.get(..16).unwrap_or(&i.at).replace('T', " ")) }
                            td.actions-cell { (actions(viewer, i)) }
                        }
                    }
                }
            } }
        }
    }
}

fn over_quota_section(devices: &[OverQuota]) -> Markup {
    html! {
        @if !devices.is_empty() {
            section #devices-over-quota role="status" {
                h2 { "Devices over their quota (" (devices.len()) ")" }
                p.muted { "The server refuses these devices' pushes until what they have set aside is reviewed below: up to "
                    (crate::push::MAX_SET_ASIDE_PER_DEVICE) " open items a device. Nothing is lost: it waits on the device." }
                ul {
                    @for d in devices {
                        li { strong { (d.owner) } ", " (d.device) ": " (d.set_aside) " set aside, " (d.stored_mib) " MiB kept." }
                    }
                }
            }
        }
    }
}

fn on_hold_section(held: &[OnHold]) -> Markup {
    html! {
        @if !held.is_empty() {
            section #sign-ins-on-hold role="status" {
                h2 { "Sign-ins on hold (" (held.len()) ")" }
                p.muted { "After failed sign-ins in a row, each attempt must wait longer, then the account locks for "
                    (crate::throttle::LOCK.num_minutes()) " minutes. If it was not them, someone is guessing their password." }
                ul {
                    @for h in held {
                        li { strong { (h.name) } " (" (h.email) "): " (h.failures) " failed sign-ins in a row; "
                            @if h.failures >= crate::throttle::LOCK_AFTER { "locked" } @else { "waiting" }
                            " until " (h.until.format("%H:%M UTC")) "." }
                    }
                }
            }
        }
    }
}

pub fn render(
    viewer: &Viewer,
    team: &Team,
    items: &[OpenItem],
    held: &[OnHold],
    over_quota: &[OverQuota],
    done: Option<&str>,
) -> Markup {
    let of = |k: ItemKind| items.iter().filter(|i| i.kind == k).collect::<Vec<_>>();
    let body = html! {
        h1 { "Review" }
        @match done {
            Some("accepted") => p.ok-note role="status" { "Accepted. Devices get the change on their next sync." },
            Some("dismissed") => p.ok-note role="status" { "Dismissed. The item is kept, marked resolved." },
            _ => {},
        }
        (on_hold_section(held))
        (over_quota_section(over_quota))
        p.muted { "What sync set aside for you. Nothing here was lost: accept to apply it, dismiss to keep it as it is. "
            a.download href="/dashboard/review.csv" download { "Download CSV" } }
        (section(viewer, team, "Quarantined activities", "Logged on an account the rep did not hold at the time, or unreadable. Accepting makes it a normal activity of the account.", &of(ItemKind::Activity), false))
        (section(viewer, team, "Rejected edits", "Account edits the server refused (the rep no longer held the account, or the value was invalid). Accepting applies the value as your edit.", &of(ItemKind::RejectedEdit), true))
        (section(viewer, team, "Possible duplicates", "Accounts reps added that look like one already in the territory. Merging moves the new account's contacts, activities and follow-ups onto the existing one and takes the new one off every device; keeping both changes nothing.", &of(ItemKind::Duplicate), false))
        (section(viewer, team, "Field conflicts", "Two people changed the same field; the later change won. Accepting applies the losing value as your edit.", &of(ItemKind::Conflict), true))
    };
    page("Review", Some((viewer, "/dashboard/review")), body)
}

pub async fn list(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<ReviewQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let v = viewer.clone();
    let out =
        s.db.read(move |tx| {
            let team = scope::team(tx, &v)?;
            let items = review::open_items(tx, &super::reach(&team))?;
            let held = sign_ins_on_hold(tx, &v, s.settings.clock.now())?;
            let over = devices_over_quota(tx, &v)?;
            Ok::<_, Error>(render(&v, &team, &items, &held, &over, q.done.as_deref()))
        })
        .await;
    Ok(html_response(StatusCode::OK, out?))
}

pub async fn act(
    State(s): State<AppState>,
    Path((kind, id, action)): Path<(String, String, String)>,
    Csrf(viewer, _f): Csrf<CsrfForm>,
) -> Answer {
    let Some(kind) = ItemKind::parse(&kind) else {
        return Err(Refusal::page(
            StatusCode::NOT_FOUND,
            "No such item",
            "There is no such review item.",
        ));
    };
    let accept = match action.as_str() {
        "accept" => true,
        "dismiss" => false,
        _ => {
            return Err(Refusal::page(
                StatusCode::NOT_FOUND,
                "No such action",
                "Accept or dismiss.",
            ));
        }
    };
    let v = viewer.clone();
    let out =
        s.db.write(move |tx| {
            let team = scope::team(tx, &v)?;
            let reach = super::reach(&team);
            if accept {
                review::accept(tx, &reach, kind, &id, v.id, s.settings.clock.now())
            } else {
                review::dismiss(tx, &reach, kind, &id, v.id, s.settings.clock.now())
            }
        })
        .await;
    match out {
        Ok(()) => Ok(see_other(&format!(
            "/dashboard/review?done={}",
            if accept { "accepted" } else { "dismissed" }
        ))),
        Err(e) => Err(e.into()),
    }
}

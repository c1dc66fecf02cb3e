//! The page frame, the stylesheet and small SVG pieces shared by the pages.

use maud::{Markup, PreEscaped, html};
use rounds_core::{Ratio, Role};

use super::Viewer;

pub const CSS: &str = include_str!("app.css");

/// A whole page: doctype, viewport, stylesheet, and the navigation when signed in.
pub fn page(title: &str, viewer: Option<(&Viewer, &str)>, body: Markup) -> Markup {
    html! {
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Rounds" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                @if let Some((v, current)) = viewer {
                    header.top {
                        nav aria-label="Dashboard" {
                            span.brand { "Rounds" }
                            @for (href, label) in [
                                ("/dashboard/activity", "Activity"),
                                ("/dashboard/compliance", "Compliance"),
                                ("/dashboard/performance", "Performance"),
                                ("/dashboard/accounts", "Accounts"),
                                ("/dashboard/map", "Map"),
                                ("/dashboard/design", "Design"),
                                ("/dashboard/plans", "Plans"),
                                ("/dashboard/weeks", "Weeks"),
                                ("/dashboard/import", "Import"),
                                ("/dashboard/review", "Review"),
                                ("/dashboard/priority", "Priority"),
                                ("/dashboard/balance", "Balance"),
                                ("/dashboard/quotas", "Quotas"),
                            ].into_iter().chain(
                                // Teams are a director's or an admin's to choose.
                                matches!(v.role, Role::Director | Role::Admin)
                                    .then_some(("/dashboard/teams", "Teams")),
                            ) {
                                @if href == current {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        form.logout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(v.csrf);
                            a.muted href="/dashboard/password" title="Change your password" { (v.name) }
                            " "
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    @if let Some((_, name)) = viewer.and_then(|(v, _)| v.team.as_ref()) {
                        p.narrowed role="status" {
                            "Looking at " strong { (name) "'s team" } " only · "
                            a href="/dashboard/teams" { "Change" }
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// A horizontal bar for a ratio (capped at 100 %), as SVG so no inline style is needed.
pub fn ratio_bar(r: Ratio) -> Markup {
    let pct = r.per_mille().unwrap_or(0).min(1000);
    let width = pct as f64 / 10.0;
    let class = match pct {
        0..=599 => "bar low",
        600..=899 => "bar mid",
        _ => "bar high",
    };
    html! {
        svg.meter viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=(r) {
            rect.track x="0" y="0" width="100" height="10" {}
            rect class=(class) x="0" y="0" width=(format!("{width:.1}")) height="10" {}
        }
    }
}

/// `2.5` for a per-week rate, `—` without data.
pub fn tenths(r: Ratio) -> String {
    r.tenths()
        .map_or_else(|| "—".to_owned(), |t| format!("{}.{}", t / 10, t % 10))
}

/// A `<select>` option, selected when it matches.
pub fn option(value: &str, label: &str, current: &str) -> Markup {
    html! {
        @if value == current {
            option value=(value) selected { (label) }
        } @else {
            option value=(value) { (label) }
        }
    }
}

/// A labelled form field with its error next to it (linked for screen readers).
pub fn field(label: &str, name: &str, input: Markup, error: Option<&String>) -> Markup {
    html! {
        div.field data-field=(name) {
            label for=(name) { (label) }
            (input)
            @if let Some(e) = error {
                p.field-error id=(format!("{name}-error")) role="alert" { (e) }
            }
        }
    }
}

/// A text input for [`field`], marked invalid when it has an error.
pub fn text_input(name: &str, value: &str, kind: &str, invalid: bool) -> Markup {
    html! {
        @if invalid {
            input id=(name) type=(kind) name=(name) value=(value) aria-invalid="true"
                aria-describedby=(format!("{name}-error"));
        } @else {
            input id=(name) type=(kind) name=(name) value=(value);
        }
    }
}

/// Says which of the team's accounts could not be read and are left out of the page's
/// figures and its CSV export (nothing when none).
pub fn left_out(ids: &[String]) -> Markup {
    html! {
        @if !ids.is_empty() {
            p.notice.left-out role="alert" {
                (ids.len()) " account" @if ids.len() != 1 { "s" }
                " could not be read and " @if ids.len() != 1 { "are" } @else { "is" }
                " left out of this page and its export. An administrator can restore "
                @if ids.len() != 1 { "them" } @else { "it" } " from a backup: "
                @for (i, id) in ids.iter().enumerate() {
                    @if i > 0 { ", " }
                    code { (id) }
                }
                "."
            }
        }
    }
}

/// What potential means, said the same on every page that shows it, with how many
/// accounts have no figure for it (their potential counts as none).
pub fn potential_note(currency: rounds_core::Currency, without: usize) -> Markup {
    html! {
        p.muted.potential-note {
            "Potential is what the accounts not lost could buy in a year (" (currency) "): "
            "the figure set on each account (imported or typed on its page), or its rep's estimate where none is set."
            @if without > 0 {
                " " strong { (without) " account" @if without != 1 { "s have" } @else { " has" } " neither" }
                " and count" @if without == 1 { "s" } " as none."
            }
        }
    }
}

/// A funnel stage as the pages name it.
pub fn stage_label(s: rounds_core::Stage) -> &'static str {
    use rounds_core::Stage;
    match s {
        Stage::Lead => "Lead",
        Stage::Opportunity => "Opportunity",
        Stage::Customer => "Customer",
        Stage::Lost => "Lost",
    }
}

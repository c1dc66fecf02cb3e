//! The import's preview as the manager reads it: what the file does (counts, how each
//! column is read, what lands on the map), the choice of columns, and its rows a page at
//! a time.

use maud::{Markup, html};
use serde::Deserialize;

use super::{PAGE_ROWS, upload_form};
use crate::Viewer;
use crate::layout::page;
use rounds_server_rules::import::{
    self, Action, ImportReport, Kind, MappingFrom, RowOutcome, Upload,
};
use uuid::Uuid;

fn action_text(a: &Action, kind: Kind) -> String {
    match a {
        Action::Create => format!("new {}", noun(kind, 1)),
        Action::Update(f) => format!("update: {}", f.join(", ")),
        Action::Unchanged => "no change".into(),
    }
}

pub(super) fn report_table(rows: &[&RowOutcome], kind: Kind) -> Markup {
    html! {
        div.table-wrap tabindex="0" { table.cards.import-rows {
            thead { tr { th.num { "Line" } th { "Account" } th { "Result" } } }
            tbody {
                @for r in rows {
                    @if let Some(e) = &r.error {
                        tr.invalid data-line=(r.line) data-valid="false" {
                            td.num data-label="Line" { (r.line) }
                            td.title { (if r.name.is_empty() { "—" } else { r.name.as_str() }) }
                            td data-label="Problem" { strong { "Invalid: " } (e.strip_prefix(&format!("{}: ", r.name)).unwrap_or(e)) }
                        }
                    } @else {
                        tr data-line=(r.line) data-valid="true" {
                            td.num data-label="Line" { (r.line) }
                            td.title { (r.name) }
                            td data-label="Result" {
                                (r.action.as_ref().map(|a| action_text(a, kind)).unwrap_or_default())
                                @if r.placed.by_postal_code { br; span.muted { "placed at its postal code's middle" } }
                                @if let Some(why) = &r.placed.unplaced { br; span.muted { "not on the map: " (why) } }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// What an import of `kind` brings in, counted.
pub(super) fn noun(kind: Kind, n: usize) -> &'static str {
    match (kind, n) {
        (Kind::Accounts, 1) => "account",
        (Kind::Accounts, _) => "accounts",
        (Kind::Contacts, 1) => "contact",
        (Kind::Contacts, _) => "contacts",
    }
}

pub(super) fn summary(report: &ImportReport, kind: Kind) -> Markup {
    let (new, updated, same) = report.counts();
    html! {
        @if !report.problems.is_empty() {
            div.alert role="alert" {
                p { "Nothing can be imported until the columns are chosen again:" }
                ul { @for p in &report.problems { li { (p) } } }
            }
        }
        p.muted { (report.rows.len()) " row" @if report.rows.len() != 1 { "s" } ": " (new) " new, " (updated) " to update, " (same) " unchanged"
            @if report.invalid() > 0 { ", " strong { (report.invalid()) " invalid" } } "." }
        @let absent: Vec<&str> = if kind == Kind::Accounts { import::COLUMNS.iter().copied().filter(|c| *c != "id" && !report.columns.contains(c)).collect() } else { Vec::new() };
        @let renamed: Vec<String> = report.mapping.iter().filter_map(|(h, c)| c.filter(|c| *c != h.as_str()).map(|c| format!("{h} → {}", column_label(c)))).collect();
        @let unread: Vec<&str> = report.mapping.iter().filter(|(_, c)| c.is_none()).map(|(h, _)| h.as_str()).collect();
        @let (by_zip, unplaced) = report.placement();
        @if by_zip + unplaced > 0 {
            p #import-placement {
                @if by_zip > 0 { (by_zip) " placed on the map by their postal code (offline, at the postal code's middle)." }
                @if unplaced > 0 {
                    " " (unplaced) " will not be on the map (reasons below); "
                    a href="/dashboard/unmapped" { "Not on the map" } " lists them after the import, to fix in place."
                }
            }
        }
        @if !renamed.is_empty() {
            p #import-mapping { "Read from your CRM's columns: " (renamed.join("; ")) "." }
        }
        @match &report.mapping_from {
            MappingFrom::Saved(at) => p #import-mapping-from.muted {
                "Columns read as chosen for a file with the same headers on " (at.format("%Y-%m-%d")) "."
            },
            MappingFrom::Chosen => p #import-mapping-from.muted {
                "Columns read as you chose; files with the same headers will be read this way after you import."
            },
            MappingFrom::Guessed => {},
        }
        @if !unread.is_empty() {
            p #import-unread.muted { "Not read: " (unread.join(", ")) "." }
        }
        p #import-columns {
            "Columns this file sets: " (report.columns.iter().filter(|c| **c != "id").copied().collect::<Vec<_>>().join(", ")) "."
            @if !absent.is_empty() {
                " Updated accounts keep what they have for: " (absent.join(", ")) "."
            }
        }
    }
}

/// An import column as the preview names it.
fn column_label(column: &str) -> &str {
    match column {
        "owner" => "territory (its owner's)",
        "source_id" => "record id in your CRM",
        "account" => "account (its name)",
        "account_source_id" => "account's record id in your CRM",
        c => c,
    }
}

/// "Change how columns are read": each header, its first value, and what it is read as.
fn remap_form(viewer: &Viewer, up: &Upload, report: &ImportReport) -> Markup {
    let (_, sample) = import::headers_and_sample(&up.csv);
    html! {
        details #import-remap open[!report.problems.is_empty()] {
            summary { "Change how columns are read" }
            form method="post" action="/dashboard/import/remap" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="upload" value=(up.id);
                div.table-wrap tabindex="0" role="region" aria-label="Columns of the file" {
                    table.remap {
                        thead { tr { th { "Column in the file" } th { "First value" } th { "Read as" } } }
                        tbody {
                            @for (i, (header, column)) in report.mapping.iter().enumerate() {
                                @let id = format!("col-{i}");
                                tr {
                                    td { label for=(id) { (header) } }
                                    td.muted { (sample.get(i).map(String::as_str).unwrap_or_default()) }
                                    td {
                                        select id=(id) name="col" {
                                            option value="" selected[column.is_none()] { "Not read" }
                                            @for t in import::targets(up.kind) {
                                                option value=(t) selected[*column == Some(t)] { (column_label(t)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div.actions { button.secondary type="submit" { "Preview with these columns" } }
            }
        }
    }
}

/// Which rows of the preview to show.
#[derive(Debug, Default, Deserialize)]
pub struct RowsQuery {
    /// 1-based.
    #[serde(default)]
    page: Option<usize>,
    /// `problems`: only the rows that cannot be imported.
    #[serde(default)]
    show: Option<String>,
}

fn pager(up: &Upload, q: &RowsQuery, total: usize) -> Markup {
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let problems = q.show.as_deref() == Some("problems");
    let link = |p: usize| {
        format!(
            "/dashboard/import/{}?page={p}{}",
            up.id,
            if problems { "&show=problems" } else { "" }
        )
    };
    html! {
        @if pages > 1 {
            nav.pager aria-label="Pages of the preview" {
                @if page > 1 { a href=(link(page - 1)) rel="prev" { "← Previous" } }
                span #import-page { "Rows " ((page - 1) * PAGE_ROWS + 1) "–" ((page * PAGE_ROWS).min(total)) " of " (total) " · page " (page) " of " (pages) }
                @if page < pages { a href=(link(page + 1)) rel="next" { "Next →" } }
            }
        }
    }
}

pub(super) fn preview_page(
    viewer: &Viewer,
    up: &Upload,
    report: &ImportReport,
    q: &RowsQuery,
) -> Markup {
    let invalid = report.invalid();
    let (new, updated, _) = report.counts();
    let problems_only = q.show.as_deref() == Some("problems");
    let shown: Vec<&RowOutcome> = report
        .rows
        .iter()
        .filter(|r| !problems_only || r.error.is_some())
        .collect();
    let pages = shown.len().div_ceil(PAGE_ROWS).max(1);
    let at = q.page.unwrap_or(1).clamp(1, pages);
    let rows = &shown[((at - 1) * PAGE_ROWS).min(shown.len())..(at * PAGE_ROWS).min(shown.len())];
    let body = html! {
        h1 { "Import preview" }
        @if up.kind == Kind::Contacts { p #import-kind.muted { "A file of contacts." } }
        (summary(report, up.kind))
        @if !report.problems.is_empty() {
        } @else if invalid > 0 {
            p.alert role="alert" { "Nothing was imported: " (invalid) " row" @if invalid != 1 { "s have" } @else { " has" }
                " a problem (marked below). Fix the file and upload it again — the import is all or nothing." }
        } @else if new + updated == 0 {
            p.ok-note role="status" { "Nothing to import: every row matches what is stored." }
        } @else {
            form method="post" action="/dashboard/import/confirm" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="upload" value=(up.id);
                input type="hidden" name="key" value=(Uuid::new_v4().simple().to_string());
                div.actions { button type="submit" { "Import " (new + updated) " " (noun(up.kind, new + updated)) } a href="/dashboard/import" { "Cancel" } }
            }
        }
        (remap_form(viewer, up, report))
        @if invalid > 0 {
            p.muted {
                @if problems_only {
                    "Showing only the rows with a problem. " a href=(format!("/dashboard/import/{}", up.id)) { "Show every row" }
                } @else if invalid < report.rows.len() {
                    a #only-problems href=(format!("/dashboard/import/{}?show=problems", up.id)) { "Show only the " (invalid) " row" @if invalid != 1 { "s" } " with a problem" }
                }
            }
        }
        (pager(up, q, shown.len()))
        (report_table(rows, up.kind))
        (pager(up, q, shown.len()))
        @if invalid > 0 || new + updated == 0 {
            h2 { "Try again" }
            (upload_form(viewer, up.kind, if up.csv.len() <= 64 * 1024 { &up.csv } else { "" }, None))
        }
    };
    page("Import preview", Some((viewer, "/dashboard/import")), body)
}

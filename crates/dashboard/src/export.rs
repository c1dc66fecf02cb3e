//! The dashboard's tables as CSV downloads, with the same filters and scope as the pages.
//! The accounts export is the import format (`import::export_accounts`), so a file can
//! be exported, edited and imported back.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rounds_core::calendar::local_date;
use rounds_core::{CheckIn, Tally};

use super::accounts::{self, AccountsQuery};
use super::activity::{self, FeedQuery};
use super::compliance::{self, ComplianceQuery};
use super::performance;
use super::scope::{self, Team};
use super::{Answer, Refusal, Viewer, csv_response, csv_stream, fault};
use bytes::Bytes;
use futures_util::StreamExt;
use rounds_server_rules::account_list::{self, Key, ListFilter, Start};
use rounds_server_rules::feed;
use rounds_server_rules::state::AppState;
use rounds_server_rules::{Error, Result};
use rounds_server_rules::{crm_export, import};

/// The activity export is read and sent this many rows at a time: it streams, so a
/// team's whole history costs the server one piece's memory, not the file's.
pub const ACTIVITY_PIECE: usize = 2_000;

fn write_rows(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    write_piece(Some(header), rows)
}

/// Rows as CSV, after a header row when one is given (a streamed file's first piece).
fn write_piece(
    header: Option<&[&str]>,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    if let Some(header) = header {
        w.write_record(header).map_err(fail)?;
    }
    for r in rows {
        // Names and notes are people's text: none may run as a formula in a spreadsheet.
        w.write_record(r.iter().map(|cell| import::escape_cell(cell).into_owned()))
            .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

fn send(name: &str, out: Result<Vec<u8>>) -> Response {
    match out {
        Ok(bytes) => csv_response(name, bytes),
        Err(e) => fault(e),
    }
}

/// A territory's name for the export; its id when another territory has the same name,
/// so the file imports back to the same place.
fn territory_name(team: &Team, t: rounds_protocol::TerritoryId) -> String {
    match team.territory(Some(t)) {
        Some(row)
            if team
                .territories
                .iter()
                .filter(|o| o.name.eq_ignore_ascii_case(&row.name))
                .count()
                == 1 =>
        {
            row.name.clone()
        }
        _ => t.to_string(),
    }
}

/// Accounts are read and sent this many at a time: the export streams.
pub const ACCOUNT_PIECE: usize = 2_000;

/// A piece of the accounts export from `start`, with where the next one starts.
async fn accounts_piece(
    s: &AppState,
    team: Team,
    f: ListFilter,
    shape: Option<crm_export::Shape>,
    start: Start,
) -> Result<(Vec<u8>, Option<Key>)> {
    s.db.read(move |tx| {
        let page = account_list::page(tx, &team, &f, &start, ACCOUNT_PIECE)?;
        let header = start == Start::First;
        let name = |t| territory_name(&team, t);
        let bytes = match shape {
            None => import::export_accounts_piece(&page.records, &name, header)?,
            Some(shape) => {
                let owner = |t: Option<rounds_protocol::TerritoryId>| {
                    team.territory(t)
                        .and_then(|row| row.rep)
                        .and_then(|rep| team.rep(rep))
                        .map(|p| p.email.clone())
                        .unwrap_or_default()
                };
                crm_export::export(tx, shape, &page.records, &name, &owner, header)?
            }
        };
        Ok((bytes, page.next))
    })
    .await
}

/// The accounts the filters choose, by name, in the import's format or a CRM's, streamed
/// a piece at a time by key. The first piece is read before answering, so a failure
/// there is an error page rather than a cut-off file.
pub async fn accounts(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<AccountsQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let shape = match q.shape.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(crm_export::Shape::parse(s).ok_or_else(|| {
            Refusal::page(
                StatusCode::BAD_REQUEST,
                "Not possible",
                "The export's shape is salesforce, hubspot or pipedrive (or none, for Rounds' own).",
            )
        })?),
    };
    let f = accounts::list_filter(&q);
    let first = async {
        let v = viewer.clone();
        let team = s.db.read(move |tx| scope::team(tx, &v)).await?;
        let (bytes, next) =
            accounts_piece(&s, team.clone(), f.clone(), shape, Start::First).await?;
        Ok::<_, Error>((team, bytes, next))
    }
    .await;
    let (team, head, next) = match first {
        Ok(x) => x,
        Err(e) => return Ok(fault(e)),
    };
    // The rest: each piece starts after the last one's final row, until none follows.
    let rest =
        futures_util::stream::unfold(next.map(|key| (key, s, team, f)), move |state| async move {
            let (key, s, team, f) = state?;
            let piece = accounts_piece(&s, team.clone(), f.clone(), shape, Start::After(key)).await;
            Some(match piece {
                Ok((bytes, next)) => (Ok(Bytes::from(bytes)), next.map(|key| (key, s, team, f))),
                // The file is cut off (the client sees the connection end early).
                Err(e) => {
                    tracing::error!(error = %e, "accounts export stopped");
                    (Err(std::io::Error::other(e.to_string())), None)
                }
            })
        });
    let pieces = futures_util::stream::once(async { Ok(Bytes::from(head)) }).chain(rest);
    let name = match shape {
        None => "accounts.csv".to_owned(),
        Some(s) => format!("accounts-{}.csv", s.system()),
    };
    Ok(csv_stream(&name, Body::from_stream(pieces)))
}

fn check_in_name(c: CheckIn) -> &'static str {
    match c {
        CheckIn::Inside => "inside",
        CheckIn::Outside => "outside",
        CheckIn::NoFix => "no fix",
    }
}

const ACTIVITY_HEADER: [&str; 10] = [
    "occurred_at_utc",
    "local_time",
    "rep",
    "account",
    "kind",
    "outcome",
    "duration_min",
    "note",
    "check_in",
    "voided",
];

/// A piece of the activity export: the header on the first.
fn activity_piece(first: bool, feed: activity::Feed) -> Result<Vec<u8>> {
    write_piece(
        first.then_some(&ACTIVITY_HEADER[..]),
        feed.rows.into_iter().map(|r| {
            let a = &r.activity;
            vec![
                a.occurred_at.to_rfc3339(),
                r.local_time.clone(),
                r.rep.clone(),
                r.account.clone(),
                activity::kind_name(a.kind).to_owned(),
                a.outcome
                    .map(activity::outcome_name)
                    .unwrap_or("")
                    .to_owned(),
                a.duration_min.map(|d| d.to_string()).unwrap_or_default(),
                a.note.clone().unwrap_or_default(),
                if a.kind == rounds_core::ActivityKind::Visit {
                    check_in_name(r.check_in).to_owned()
                } else {
                    String::new()
                },
                if r.void { "yes" } else { "" }.to_owned(),
            ]
        }),
    )
}

/// Every activity the filters choose, newest first, streamed a piece at a time: each
/// piece is a page of the feed read after the last (by key, so none repeats or is lost
/// to an activity synced meanwhile). The first piece is read before answering, so a
/// failure there is an error page rather than a cut-off file.
pub async fn activity(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<FeedQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = activity::filter_of(&viewer, &q);
    let first = activity::rows(
        &s,
        &viewer,
        filter.clone(),
        feed::Start::Newest,
        ACTIVITY_PIECE,
    )
    .await
    .and_then(|(feed, next)| Ok((activity_piece(true, feed)?, next)));
    let (head, next) = match first {
        Ok(x) => x,
        Err(e) => return Ok(fault(e)),
    };
    // The rest: each piece starts after the last one's final row, until none follows.
    let rest = futures_util::stream::unfold(
        next.map(|key| (key, s, viewer, filter)),
        |state| async move {
            let (key, s, viewer, filter) = state?;
            let piece = activity::rows(
                &s,
                &viewer,
                filter.clone(),
                feed::Start::OlderThan(key),
                ACTIVITY_PIECE,
            )
            .await
            .and_then(|(feed, next)| Ok((activity_piece(false, feed)?, next)));
            Some(match piece {
                Ok((bytes, next)) => (
                    Ok(Bytes::from(bytes)),
                    next.map(|key| (key, s, viewer, filter)),
                ),
                // The file is cut off (the client sees the connection end early).
                Err(e) => {
                    tracing::error!(error = %e, "activity export stopped");
                    (Err(std::io::Error::other(e.to_string())), None)
                }
            })
        },
    );
    let pieces = futures_util::stream::once(async { Ok(Bytes::from(head)) }).chain(rest);
    Ok(csv_stream("activity.csv", Body::from_stream(pieces)))
}

pub async fn compliance(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<ComplianceQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let now = s.settings.clock.now();
    let today = local_date(viewer.tz, now);
    let month = compliance::chosen_month(&q, today)?;
    let name = format!("compliance-{}.csv", month.format("%Y-%m"));
    let out = compliance::load(&s, &viewer, month, now)
        .await
        .and_then(|(team, view)| {
            let r = &view.roll_up;
            let row = |group: &str, label: String, t: Tally| {
                vec![
                    month.format("%Y-%m").to_string(),
                    group.to_owned(),
                    label,
                    t.done.to_string(),
                    t.planned.to_string(),
                    t.credited.to_string(),
                    t.compliance()
                        .per_mille()
                        .map(|p| format!("{}.{}", p / 10, p % 10))
                        .unwrap_or_default(),
                ]
            };
            let mut rows = Vec::new();
            for (k, t) in r.by(|k| k.rep) {
                let label = k
                    .and_then(|id| team.rep(id))
                    .map_or_else(|| "Unassigned".to_owned(), |p| p.name.clone());
                rows.push(row("rep", label, t));
            }
            for (k, t) in r.by(|k| k.territory) {
                let label = team
                    .territory(k)
                    .map_or_else(|| "No territory".to_owned(), |t| t.name.clone());
                rows.push(row("territory", label, t));
            }
            for (k, t) in r.by(|k| k.priority) {
                rows.push(row("bucket", compliance::bucket_label(k).to_owned(), t));
            }
            for (k, t) in r.by(|k| k.kind) {
                rows.push(row("kind", compliance::kind_label(k).to_owned(), t));
            }
            if let Some(t) = r.by(|_| ()).remove(&()) {
                rows.push(row("team", "Team".to_owned(), t));
            }
            write_rows(
                &[
                    "month",
                    "group",
                    "name",
                    "done",
                    "planned",
                    "credited",
                    "compliance_percent",
                ],
                rows,
            )
        });
    Ok(send(&name, out))
}

pub async fn review(State(s): State<AppState>, viewer: Viewer) -> Answer {
    let out =
        s.db.read(move |tx| {
            let team = scope::team(tx, &viewer)?;
            let items = rounds_server_rules::review::open_items(tx, &super::reach(&team))?;
            write_rows(
                &[
                    "kind",
                    "id",
                    "account",
                    "who",
                    "field",
                    "value",
                    "kept_value",
                    "reason",
                    "at",
                ],
                items.iter().map(|i| {
                    vec![
                        i.kind.as_str().to_owned(),
                        i.id.clone(),
                        i.account.clone(),
                        super::review::who(&team, &i.who),
                        i.field.clone().unwrap_or_default(),
                        super::review::value_text(i),
                        i.winner.clone().unwrap_or_default(),
                        i.reason.clone(),
                        i.at.clone(),
                    ]
                }),
            )
        })
        .await;
    Ok(send("review.csv", out))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PerformanceCsv {
    pub table: Option<String>,
    #[serde(flatten)]
    pub filters: performance::PerformanceQuery,
}

/// One of the performance page's tables (`?table=territories|ranking|kare|reps`), with
/// the page's filters.
pub async fn performance(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<PerformanceCsv>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let table = q.table.clone().unwrap_or_else(|| "territories".into());
    if !["territories", "ranking", "kare", "reps"].contains(&table.as_str()) {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "No such table",
            "Pick territories, ranking, kare or reps.",
        ));
    }
    let (_, v) = match performance::load(&s, &viewer, &q.filters).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return Err(super::territory_not_found()),
        Err(e) => return Err(e.into()),
    };
    let money = |m: Option<rounds_core::Money>| m.map_or_else(String::new, |m| m.to_string());
    let out = match table.as_str() {
        "territories" => write_rows(
            &[
                "territory",
                "rep",
                "leads",
                "opportunities",
                "new_accounts",
                "conversion",
                "opportunity_to_win",
                "average_deal_size",
                "moved_to_opportunity",
                "won",
                "lost",
                "win_rate",
            ],
            v.territories.iter().map(|t| {
                vec![
                    t.name.clone(),
                    t.rep.clone(),
                    t.funnel.leads.to_string(),
                    t.funnel.opportunities.to_string(),
                    t.funnel.new_accounts.to_string(),
                    t.funnel.conversion_rate().to_string(),
                    t.funnel.opportunity_to_win().to_string(),
                    money(t.deal_size),
                    t.flow.to_opportunity.to_string(),
                    t.flow.won.to_string(),
                    t.flow.lost.to_string(),
                    t.flow.win_rate().to_string(),
                ]
            }),
        ),
        "ranking" => write_rows(
            &[
                "rank",
                "account",
                "territory",
                "revenue",
                "expenses",
                "net_profit",
            ],
            v.ranking.iter().enumerate().map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.0.clone(),
                    r.1.clone(),
                    r.2.to_string(),
                    r.3.to_string(),
                    r.4.to_string(),
                ]
            }),
        ),
        "kare" => write_rows(
            &["segment", "accounts", "revenue", "net_profit"],
            v.kare.iter().map(|(k, seg)| {
                vec![
                    performance::kare_name(*k).to_owned(),
                    seg.accounts.to_string(),
                    seg.revenue.to_string(),
                    seg.net_profit.to_string(),
                ]
            }),
        ),
        _ => write_rows(
            &[
                "rep",
                "calls_per_week",
                "visits_per_week",
                "leads_added",
                "contacts_added",
            ],
            v.reps.iter().map(|r| {
                vec![
                    r.name.clone(),
                    super::layout::tenths(r.calls),
                    super::layout::tenths(r.visits),
                    r.added.to_string(),
                    r.contacts_added.to_string(),
                ]
            }),
        ),
    };
    Ok(send(&format!("performance-{table}.csv"), out))
}

/// The priority ranking with each factor's points, in the page's order and filters.
pub async fn priority(
    State(s): State<AppState>,
    viewer: Viewer,
    q: Result<Query<super::priority::PriorityQuery>, QueryRejection>,
) -> Answer {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let (_, v) = match super::priority::load(&s, &viewer, &q).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return Err(super::territory_not_found()),
        Err(e) => return Err(e.into()),
    };
    let out = write_rows(
        &[
            "rank",
            "account_id",
            "account",
            "territory",
            "rep",
            "score",
            "stage_points",
            "revenue_points",
            "net_profit_points",
            "recency_points",
            "engagement_points",
        ],
        v.rows.iter().enumerate().map(|(i, r)| {
            let mut row = vec![
                (i + 1).to_string(),
                r.id.to_string(),
                r.name.clone(),
                r.territory.clone(),
                r.rep.clone(),
                r.score.total.to_string(),
            ];
            // FactorKind::ALL is the header's order.
            row.extend(
                rounds_core::score::FactorKind::ALL
                    .iter()
                    .map(|k| r.score.points(*k).to_string()),
            );
            row
        }),
    );
    Ok(send("priority.csv", out))
}

/// Territory balance: one row per territory and per rep, with the flag in words.
pub async fn balance(State(s): State<AppState>, viewer: Viewer) -> Answer {
    let (v, _) = match super::balance::load(&s, &viewer).await {
        Ok(loaded) => loaded,
        Err(e) => return Err(e.into()),
    };
    let rows = [("territory", &v.territories), ("rep", &v.reps)]
        .into_iter()
        .flat_map(|(level, t)| {
            t.rows.iter().map(move |r| {
                vec![
                    level.to_owned(),
                    r.label.clone(),
                    r.detail.clone(),
                    r.accounts.to_string(),
                    r.potential.to_string(),
                    super::layout::tenths(r.per_month()),
                    r.workload_vs_mean.to_string(),
                    r.flag.words().to_owned(),
                ]
            })
        })
        .collect::<Vec<_>>();
    let out = write_rows(
        &[
            "level",
            "name",
            "detail",
            "accounts",
            "potential",
            "touches_per_month",
            "workload_vs_mean",
            "balance",
        ],
        rows,
    );
    Ok(send("balance.csv", out))
}

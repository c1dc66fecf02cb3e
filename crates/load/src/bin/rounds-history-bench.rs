//! The compliance, priority and performance pages' reads, measured in the same run on the
//! demo organisation (or a company) seeded at a size, three ways: the whole history read
//! whole (what the pages first read), the history each page looks at read whole (what
//! they read before activity heads), and the heads of that history from their index
//! (what they read now). For each viewer and page: the median time to read and compute
//! it each way over several runs, and the ratios. The figures must agree all three ways
//! (the server tests check that on both backends).
//!
//! `cargo run --release -p rounds-load --bin rounds-history-bench -- --accounts-per-territory 5000`

use std::time::Instant;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use clap::Parser;
use rounds_core::calendar::local_date;
use rounds_core::{Logged, Role, Tz};
use rounds_server::dashboard::{compliance, performance, priority};
use rounds_server::db::{Sql, Tx};
use rounds_server::feed::Origin;
use rounds_server::sessions::SignedIn;
use rounds_server::{Settings, feed, history, scope, stage};

#[derive(Parser, Debug)]
#[command(about = "Dashboard pages from recent history against the whole history")]
struct Args {
    /// postgres://… (a fresh schema unless --schema), an SQLite file, or nothing for a
    /// temporary SQLite file.
    #[arg(long, env = "ROUNDS_LOAD_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// The PostgreSQL schema to use.
    #[arg(long)]
    schema: Option<String>,
    /// The database already holds the organisation, seeded with the same options by an
    /// earlier run (`--keep`): measure only.
    #[arg(long)]
    seeded: bool,
    /// Keep the database seeded here (a temporary SQLite file is removed otherwise).
    #[arg(long)]
    keep: bool,
    /// The demo organisation's size (its history covers half a year).
    #[arg(long, default_value_t = 5000)]
    accounts_per_territory: usize,
    /// Days of history (the demo's half year by default; a company's three years: 1096).
    #[arg(long, default_value_t = rounds_demo::HISTORY_DAYS)]
    history_days: u32,
    /// Seed a company of regions x teams x reps (say 1x5x10) after the demo, and measure
    /// its directors and managers too.
    #[arg(long)]
    company: Option<rounds_demo::Company>,
    /// Runs of each page each way; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The reads measured (the whole history takes long on a big company).
    #[arg(long, value_delimiter = ',', default_value = "whole,recent,heads")]
    reads: Vec<Reads>,
    /// Viewers measured (directors first, then managers, then the administrator).
    #[arg(long, default_value_t = usize::MAX)]
    viewers: usize,
}

/// Which history a page reads, and how.
#[derive(Clone, Copy, Debug, PartialEq, clap::ValueEnum)]
enum Reads {
    Whole,
    Recent,
    Heads,
}

/// Reads what `page` needs for `viewer` at `now` and computes it; the figures as printed.
fn page(
    tx: &mut Tx<'_>,
    viewer: &SignedIn,
    page: &str,
    reads: Reads,
    now: chrono::DateTime<Utc>,
) -> Result<String, rounds_server::Error> {
    let mut team = scope::team(tx, viewer)?;
    let accounts = scope::accounts(tx, &mut team)?;
    let since = match page {
        "compliance" => {
            compliance::history_since(local_date(viewer.tz, now).with_day(1).expect("day 1"))
        }
        "priority" => priority::history_since(now),
        _ => performance::history_since(now),
    };
    match reads {
        Reads::Whole => {
            let acts = history::all_activities(tx, &team, &accounts)?;
            figures(tx, viewer, page, &team, &accounts, &acts, since, now)
        }
        Reads::Recent => {
            let acts = history::activities_since(tx, &team, &accounts, since)?;
            figures(tx, viewer, page, &team, &accounts, &acts, since, now)
        }
        Reads::Heads => {
            let acts = history::heads_since(tx, &team, &accounts, since)?;
            figures(tx, viewer, page, &team, &accounts, &acts, since, now)
        }
    }
}

/// `page`'s figures from what was read, as printed.
#[allow(clippy::too_many_arguments)]
fn figures<L: Logged>(
    tx: &mut Tx<'_>,
    viewer: &SignedIn,
    page: &str,
    team: &scope::Team,
    accounts: &[rounds_core::Account],
    acts: &[L],
    since: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> Result<String, rounds_server::Error> {
    let tz = viewer.tz;
    let today_in = |tz: Tz| local_date(tz, now);
    Ok(match page {
        "compliance" => {
            let plan = scope::plan(tx)?;
            let month = today_in(tz).with_day(1).expect("day 1");
            format!(
                "{:?}",
                compliance::compute(team, tz, accounts, acts, plan.as_ref(), month, today_in)
            )
        }
        "priority" => format!(
            "{:?}",
            priority::compute(
                team,
                accounts,
                acts,
                None,
                priority::SortBy::Total,
                today_in,
                tz
            )
        ),
        _ => {
            let added = feed::added_since(tx, team, Origin::Account, since)?;
            let contacts = feed::added_since(tx, team, Origin::Contact, since)?;
            let stages = stage::of_team(tx, team)?;
            format!(
                "{:?}",
                performance::compute(
                    team, accounts, acts, &added, &contacts, &stages, None, None, today_in, tz
                )
            )
        }
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!(
        "rounds-history-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let settings = match &args.database {
        Some(url) if rounds_server::db::pool::is_postgres_url(url) => {
            let mut s = Settings::for_tests(url);
            s.database_schema = Some(
                args.schema
                    .clone()
                    .unwrap_or_else(|| format!("rounds_load_{}", uuid::Uuid::new_v4().simple())),
            );
            s
        }
        Some(path) => Settings::for_tests(path),
        None => Settings::for_tests(&dir.join("bench.db").display().to_string()),
    };
    anyhow::ensure!(
        !args.seeded || args.database.is_some(),
        "--seeded needs the --database it was seeded in"
    );
    let db = rounds_server::open_db(&settings).await?;
    let today = NaiveDate::from_ymd_opt(2026, 3, 18).expect("a day");
    let now = Utc.from_utc_datetime(&today.and_hms_opt(17, 0, 0).expect("a time"));
    if !args.seeded {
        let opts = rounds_demo::DemoOptions {
            seed: 7,
            today,
            accounts_per_territory: args.accounts_per_territory,
            password: "bench-password".into(),
            worked_example: false,
            history_days: args.history_days,
            company: args.company,
        };
        let started = Instant::now();
        let summary = rounds_demo::seed(&db, &settings, &opts, &mut |step, done, total| {
            if total > 0 && (done == total || done % 50_000 == 0) {
                eprintln!("  {step}: {done} of {total}");
            }
        })
        .await
        .context("seeding the demo organisation")?;
        println!(
            "backend {:?}; demo at {} accounts per territory, {} days of history: {summary:?}; seeded in {:.1} s; schema {:?}",
            db.backend(),
            args.accounts_per_territory,
            args.history_days,
            started.elapsed().as_secs_f64(),
            settings.database_schema,
        );
    }

    let viewers = db
        .read(|tx| {
            let rows = tx.query(
                "SELECT id, email, role FROM users WHERE role IN ('manager', 'director', 'admin')
                 ORDER BY CASE role WHEN 'director' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, email",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(SignedIn {
                        id: r.parse(0)?,
                        name: String::new(),
                        email: r.text(1)?,
                        role: rounds_server::auth::parse_role(&r.text(2)?).unwrap_or(Role::Manager),
                        tz: "America/Denver".parse().expect("a zone"),
                        csrf: String::new(),
                        team: None,
                    })
                })
                .collect::<Result<Vec<_>, rounds_server::db::DbError>>()
        })
        .await?;
    println!(
        "{:<34} {:<11} {:>10} {:>10} {:>9} {:>12} {:>12}",
        "viewer", "page", "whole ms", "recent ms", "heads ms", "whole/heads", "recent/heads"
    );
    let ways = [Reads::Whole, Reads::Recent, Reads::Heads];
    for viewer in viewers.iter().take(args.viewers) {
        for name in ["compliance", "priority", "performance"] {
            let mut times = [Vec::new(), Vec::new(), Vec::new()];
            let mut figures: [Option<String>; 3] = [None, None, None];
            for _ in 0..args.runs {
                for (i, reads) in ways.into_iter().enumerate() {
                    if !args.reads.contains(&reads) {
                        continue;
                    }
                    let v = viewer.clone();
                    let started = Instant::now();
                    figures[i] = Some(db.read(move |tx| page(tx, &v, name, reads, now)).await?);
                    times[i].push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
            let read: Vec<&String> = figures.iter().flatten().collect();
            anyhow::ensure!(
                read.windows(2).all(|w| w[0] == w[1]),
                "{} {name}: the figures differ",
                viewer.email
            );
            let [whole, recent, heads] = times.map(|t| (!t.is_empty()).then(|| median(t)));
            let ms = |t: Option<f64>| t.map_or_else(|| "-".to_owned(), |t| format!("{t:.0}"));
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}x", a / b),
                _ => "-".to_owned(),
            };
            println!(
                "{:<34} {:<11} {:>10} {:>10} {:>9} {:>12} {:>12}",
                viewer.email,
                name,
                ms(whole),
                ms(recent),
                ms(heads),
                ratio(whole, heads),
                ratio(recent, heads)
            );
        }
    }
    drop(db);
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

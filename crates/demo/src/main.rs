//! `rounds-demo`: seeds the demo organisation into the database the server's settings
//! name (the same `--config`, `--database` and `ROUNDS_*` variables as `rounds-server`).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Parser;
use rounds_demo::{DemoOptions, seed};
use rounds_server_rules::Settings;
use rounds_server_rules::settings::DatabaseUrl;

/// Seed a deterministic demo organisation.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file (defaults, then this file, then ROUNDS_* variables).
    #[arg(long, value_name = "FILE", default_value = "rounds.toml")]
    config: PathBuf,
    /// The database: postgres://… or an SQLite file (default: rounds.db here).
    #[arg(
        long,
        value_name = "URL",
        env = "ROUNDS_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The day the history runs up to (default: today, UTC).
    #[arg(long)]
    today: Option<NaiveDate>,
    #[arg(long, default_value_t = 150)]
    accounts_per_territory: usize,
    /// Password of every demo user.
    #[arg(
        long,
        env = "ROUNDS_DEMO_PASSWORD",
        default_value = "rounds-demo",
        hide_env_values = true
    )]
    password: String,
    /// Also load the seeds' worked example (Dorne, The Westerlands, The Vale, The North).
    #[arg(long)]
    worked_example: bool,
    /// Days of history up to `--today` (three years: 1096).
    #[arg(long, default_value_t = rounds_demo::HISTORY_DAYS)]
    history_days: u32,
    /// Also a company: regions x teams per region x reps per team, each rep with
    /// `--accounts-per-territory` accounts (`4x5x10 --accounts-per-territory 500
    /// --history-days 1096`: 200 reps, 100,000 accounts, ten million activities).
    #[arg(long, value_name = "RxTxP")]
    company: Option<rounds_demo::Company>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(Some(&cli.config))?;
    if let Some(url) = &cli.database {
        settings.database_url = DatabaseUrl::new(url.clone());
    }
    let db = rounds_server_db::Db::open(
        settings.database_url.expose(),
        settings.database_schema.as_deref(),
        settings.pool_size,
    )
    .await?;
    let opts = DemoOptions {
        seed: cli.seed,
        today: cli
            .today
            .unwrap_or_else(|| settings.clock.now().date_naive()),
        accounts_per_territory: cli.accounts_per_territory,
        password: cli.password,
        worked_example: cli.worked_example,
        history_days: cli.history_days,
        company: cli.company,
    };
    let summary = seed(&db, &settings, &opts, &mut |step, done, total| {
        eprintln!("seeded {step} ({done}/{total})");
    })
    .await?;
    println!(
        "demo ready: {} users, {} territories, {} accounts, {} contacts, {} activities. \
         Sign in as manager@demo.rounds.app, director@demo.rounds.app, admin@demo.rounds.app or dana@/marcus@/priya@demo.rounds.app.",
        summary.users, summary.territories, summary.accounts, summary.contacts, summary.activities
    );
    Ok(())
}

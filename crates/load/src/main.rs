//! rounds-load: push throughput and many-devices latency against a real server. Devices
//! speak through the app's own HTTP client (`rounds_client::ServerApi`); only the sign-in
//! flood sends raw requests, as an attacker would.
//!
//! Starts the server in process on 127.0.0.1:0 over a fresh database (an SQLite file in
//! a temp dir, or a fresh schema of `--database postgres://…`), seeds reps, territories
//! and accounts, then measures over HTTP:
//! 1. throughput: `--writers` devices pushing batches of 200 activities back to back;
//! 2. fleet: `--devices` devices at once, each pushing small batches and pulling; p50/p99
//!    push latency.
//!
//! `cargo run --release -p rounds-load -- --database postgres://…`

#![allow(clippy::disallowed_methods)] // A load generator drives the server on the real clock.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Parser;
use rounds_client::ServerApi;
use rounds_core::{ActivityKind, Priority, Role, Stage};
use rounds_load::{memory_mib, percentile};
use rounds_protocol::auth::LoginRequest;
use rounds_protocol::records::{AccountRecord, ActivityRecord};
use rounds_protocol::sync::{Mutation, MutationBody, MutationStatus, PushRequest};
use rounds_protocol::{
    AccountId, ActivityId, DeviceId, Hlc, MutationId, PROTOCOL_VERSION, SCHEMA_VERSION,
    TerritoryId, UserId,
};
use rounds_server::{Settings, org};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(about = "Load test: push throughput and many devices at once")]
struct Args {
    /// postgres://… (a fresh schema is used) or nothing for a temporary SQLite file.
    #[arg(long, env = "ROUNDS_LOAD_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Devices pushing 200-mutation batches back to back in the throughput phase.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Batches each writer pushes.
    #[arg(long, default_value_t = 25)]
    batches: usize,
    /// Devices syncing at once in the fleet phase.
    #[arg(long, default_value_t = 100)]
    devices: usize,
    /// Push+pull rounds per device in the fleet phase.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Mutations per push in the fleet phase.
    #[arg(long, default_value_t = 10)]
    fleet_batch: usize,
    /// Fleet devices only push (no pull after each push).
    #[arg(long)]
    push_only: bool,
    /// Instead: this many bogus sign-ins at once against a `rounds-server serve` child
    /// process (production settings), while `--devices` devices keep pulling; then the
    /// same with the sign-in walls lifted (every attempt hashes, as before they existed).
    #[arg(long, value_name = "N")]
    flood: Option<usize>,
}

const PASSWORD: &str = "load-test-password";

/// A simulated device, speaking to the server through the app's own HTTP client.
#[derive(Clone)]
struct Dev {
    api: ServerApi,
    id: DeviceId,
    user: UserId,
    seq: u64,
    hlc: Hlc,
    accounts: Vec<AccountId>,
    cursor: Option<String>,
}

impl Dev {
    async fn login(base: &str, email: &str, accounts: Vec<AccountId>) -> anyhow::Result<Dev> {
        let res = ServerApi::new(base, None)?
            .login(&LoginRequest {
                email: email.into(),
                password: PASSWORD.into(),
                device_name: "load".into(),
                platform: "load".into(),
                device_id: None,
            })
            .await?;
        Ok(Dev {
            api: ServerApi::new(base, Some(res.token))?,
            id: res.device_id,
            user: res.user.id,
            seq: 0,
            hlc: Hlc::ZERO,
            accounts,
            cursor: None,
        })
    }

    fn batch(&mut self, n: usize) -> PushRequest {
        let mutations = (0..n)
            .map(|i| {
                self.seq += 1;
                let now = Utc::now();
                self.hlc = Hlc::tick(
                    self.hlc,
                    u64::try_from(now.timestamp_millis()).unwrap_or(0),
                    *self.id.as_uuid(),
                );
                let activity = ActivityRecord {
                    id: ActivityId::from_uuid(Uuid::now_v7()),
                    account_id: self.accounts[i % self.accounts.len()],
                    rep_id: self.user,
                    contact_id: None,
                    kind: ActivityKind::Call,
                    occurred_at: now,
                    duration_min: None,
                    outcome: None,
                    note: Some("load test call".into()),
                    fix: None,
                };
                Mutation::new(
                    self.seq,
                    MutationId::from_uuid(Uuid::now_v7()),
                    self.hlc,
                    &MutationBody::LogActivity { activity },
                )
            })
            .collect();
        PushRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: SCHEMA_VERSION,
            device_id: self.id,
            mutations,
        }
    }

    async fn push(&mut self, n: usize) -> anyhow::Result<Duration> {
        let req = self.batch(n);
        let t = Instant::now();
        let res = self.api.push(&req).await?;
        let took = t.elapsed();
        if res
            .results
            .iter()
            .any(|r| r.status != MutationStatus::Applied)
        {
            bail!(
                "a mutation was not applied: {:?}",
                res.results
                    .iter()
                    .find(|r| r.status != MutationStatus::Applied)
            );
        }
        Ok(took)
    }

    async fn pull(&mut self) -> anyhow::Result<()> {
        rounds_load::pull_to_end(&self.api, &mut self.cursor).await
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Off unless asked: `RUST_LOG=rounds_server_db=debug` logs every group commit.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = tempfile_dir()?;
    if let Some(n) = args.flood {
        let out = flood(&args, n, &dir).await;
        let _ = std::fs::remove_dir_all(&dir);
        return out;
    }
    let mut settings = match &args.database {
        Some(url) => {
            let mut s = Settings::for_tests(url);
            s.database_schema = Some(format!("rounds_load_{}", Uuid::new_v4().simple()));
            s
        }
        None => Settings::for_tests(&dir.join("load.db").display().to_string()),
    };
    settings.pool_size = 16;
    let db = rounds_server::open_db(&settings).await?;
    let backend = format!("{:?}", db.backend());
    let reps = args.devices.max(args.writers);
    println!("backend {backend}; seeding {reps} reps …");
    drop(db);
    let territories = seed_reps(&settings, reps).await?;
    // Server and load generator share this process's runtime: on a 2-core machine a
    // second runtime only adds threads fighting for the same cores.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rounds_server::serve(settings, listener, async {
        let _ = stopped.await;
    }));
    // 1. Throughput.
    let mut writers = Vec::new();
    for (email, accounts) in territories.iter().take(args.writers) {
        writers.push(
            Dev::login(&base, email, accounts.clone())
                .await
                .context("login")?,
        );
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut d in writers {
        let batches = args.batches;
        tasks.push(tokio::spawn(async move {
            for _ in 0..batches {
                d.push(200).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let total = args.writers * args.batches * 200;
    println!(
        "throughput: {total} mutations in {secs:.2} s = {:.0} mutations/s ({} writers × {} batches of 200)",
        total as f64 / secs,
        args.writers,
        args.batches
    );

    // 2. Fleet.
    let mut fleet = Vec::new();
    for (email, accounts) in territories.iter().take(args.devices) {
        fleet.push(
            Dev::login(&base, email, accounts.clone())
                .await
                .context("login")?,
        );
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut d in fleet {
        let (rounds, n, pull) = (args.rounds, args.fleet_batch, !args.push_only);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            if pull {
                d.pull().await?;
            }
            for _ in 0..rounds {
                lat.push(d.push(n).await?);
                if pull {
                    d.pull().await?;
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    lat.sort();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fleet: {} devices × {} rounds (push {} + pull) in {secs:.2} s; push latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.devices,
        args.rounds,
        args.fleet_batch,
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    let _ = stop.send(());
    server.await??;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Seeds `reps` reps, each with a territory of 10 accounts, into the settings' database.
async fn seed_reps(
    settings: &Settings,
    reps: usize,
) -> anyhow::Result<Vec<(String, Vec<AccountId>)>> {
    let db = rounds_server::open_db(settings).await?;
    let hash = rounds_server::auth::hash_password(PASSWORD, settings)?;
    let out = db
        .write(move |tx| {
            let now = Utc::now();
            let mut out = Vec::new();
            for r in 0..reps {
                let email = format!("rep{r}@load.example");
                let user = org::add_user(
                    tx,
                    &org::NewUser {
                        email: email.clone(),
                        name: format!("Rep {r}"),
                        role: Role::Rep,
                        password_hash: hash.clone(),
                        manager: None,
                        time_zone: "UTC".into(),
                    },
                    now,
                )?;
                let t = org::create_territory(
                    tx,
                    TerritoryId::from_uuid(Uuid::now_v7()),
                    &format!("T{r}"),
                    Some(user),
                )?;
                let mut accounts = Vec::new();
                for a in 0..10 {
                    let id = AccountId::from_uuid(Uuid::now_v7());
                    org::create_account(
                        tx,
                        &account(id, &format!("Account {r}-{a}"), t, now),
                        now,
                    )?;
                    accounts.push(id);
                }
                out.push((email, accounts));
            }
            Ok::<_, rounds_server::Error>(out)
        })
        .await?;
    Ok(out)
}

/// Devices pulling back to back for `for_how_long`; every pull's latency.
async fn pulls(devices: &mut [Dev], for_how_long: Duration) -> anyhow::Result<Vec<Duration>> {
    let until = Instant::now() + for_how_long;
    let mut tasks = Vec::new();
    for mut d in devices.iter().cloned() {
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                d.pull().await?;
                lat.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    lat.sort();
    Ok(lat)
}

/// One flood run against a fresh server child process; prints and returns nothing but
/// its figures.
async fn flood_once(
    args: &Args,
    n: usize,
    dir: &std::path::Path,
    walls: bool,
) -> anyhow::Result<()> {
    let db = dir.join(format!("flood-{walls}.db"));
    let mut settings = Settings::for_tests(&db.display().to_string());
    // Production costs and limits: the point is what a real server does.
    let prod = Settings::default();
    settings.argon2_memory_kib = prod.argon2_memory_kib;
    settings.argon2_iterations = prod.argon2_iterations;
    let territories = seed_reps(&settings, args.devices).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let exe = std::env::current_exe()?.with_file_name("rounds-server");
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.args(["--config", "/nonexistent/rounds.toml", "serve"])
        .env("ROUNDS_DATABASE_URL", db.display().to_string())
        .env("ROUNDS_LISTEN", format!("127.0.0.1:{port}"))
        .env("ROUNDS_LOG", "error")
        .kill_on_drop(true);
    if !walls {
        cmd.env("ROUNDS_SIGN_IN_CONCURRENT_HASHES", "1000000")
            .env("ROUNDS_SIGN_IN_PER_ADDRESS_PER_MINUTE", "1000000")
            .env("ROUNDS_SIGN_IN_PER_EMAIL_PER_MINUTE", "1000000");
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {} (build it first)", exe.display()))?;
    let pid = child.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    for _ in 0..200 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut devices = Vec::new();
    for (email, accounts) in &territories {
        let mut d = Dev::login(&base, email, accounts.clone()).await?;
        d.pull().await?;
        devices.push(d);
    }
    let quiet = pulls(&mut devices, Duration::from_secs(5)).await?;
    let (rss_before, _) = memory_mib(pid);

    // The flood: n sign-ins at once, each for an e-mail that does not exist.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let (http, base) = (http.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let status = http
                .post(format!("{base}/auth/login"))
                .json(&LoginRequest {
                    email: format!("nobody{i}@flood.example"),
                    password: "guess".into(),
                    device_name: "flood".into(),
                    platform: "flood".into(),
                    device_id: None,
                })
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, t.elapsed())
        }));
    }
    let busy = pulls(&mut devices, Duration::from_secs(5)).await?;
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await?);
    }
    let flood_secs = started.elapsed().as_secs_f64();
    let (_, hwm) = memory_mib(pid);
    let _ = child.kill().await;
    let count = |s: u16| answers.iter().filter(|(x, _)| *x == s).count();
    let mut answer_times: Vec<Duration> = answers.iter().map(|(_, t)| *t).collect();
    answer_times.sort();
    let (q99, b99) = (percentile(&quiet, 0.99), percentile(&busy, 0.99));
    println!(
        "{}: {n} bogus sign-ins at once ({} answered 401, {} answered 429, {} failed) in {flood_secs:.1} s, \
         p99 answer {:.0} ms; server memory {rss_before:.0} MiB before, peak {hwm:.0} MiB; \
         {} devices' pull p99 {:.1} ms quiet, {:.1} ms during the flood ({:.2}×)",
        if walls {
            "with the walls"
        } else {
            "walls lifted (every attempt hashes, as before)"
        },
        count(401),
        count(429),
        count(0),
        percentile(&answer_times, 0.99).as_secs_f64() * 1e3,
        devices.len(),
        q99.as_secs_f64() * 1e3,
        b99.as_secs_f64() * 1e3,
        b99.as_secs_f64() / q99.as_secs_f64().max(1e-9),
    );
    Ok(())
}

async fn flood(args: &Args, n: usize, dir: &std::path::Path) -> anyhow::Result<()> {
    flood_once(args, n, dir, true).await?;
    flood_once(args, n, dir, false).await
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("rounds-load-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn account(
    id: AccountId,
    name: &str,
    territory: TerritoryId,
    now: chrono::DateTime<Utc>,
) -> AccountRecord {
    AccountRecord {
        id,
        name: name.into(),
        street: String::new(),
        city: String::new(),
        region: String::new(),
        postal_code: String::new(),
        country: "US".into(),
        lat: None,
        lon: None,
        stage: Stage::Customer,
        priority: Priority::High,
        kare: None,
        currency: "USD".into(),
        revenue_minor: 0,
        expenses_minor: 0,
        phone: None,
        email: None,
        industry: None,
        territory_id: Some(territory),
        created_at: now,
        lead_on: None,
        opportunity_on: None,
        won_on: None,
        lost_on: None,
        hours: None,
        visit_minutes: None,
        closed_on: None,
        preferred_hours: None,
        potential_minor: None,
        potential_estimate_minor: None,
        location_source: None,
    }
}

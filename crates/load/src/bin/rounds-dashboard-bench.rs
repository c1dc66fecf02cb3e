//! The dashboard at company scale, as its users meet it: a company seeded with the demo
//! generator (`--company`, or a database seeded before with `--seeded`), served by one or
//! two `rounds-server serve` child processes, then measured over HTTP:
//! 1. devices' pull latency with no dashboard traffic (the baseline);
//! 2. `--users` people at once (team managers, then directors) opening every dashboard
//!    page in turn for `--seconds`: each page's p50 and p95, while the devices keep
//!    pulling (their p99 against the baseline's);
//! 3. the servers' resident memory throughout (sampled) and at its peak.
//!
//! `cargo run --release -p rounds-load --bin rounds-dashboard-bench -- --company 4x5x10 \
//!   --accounts-per-territory 500 --history-days 1096 [--database postgres://…]`

#![allow(clippy::disallowed_methods)] // A load generator drives the server on the real clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Parser;
use rounds_client::ServerApi;
use rounds_load::{memory_mib, percentile};
use rounds_protocol::auth::LoginRequest;
use rounds_server::Settings;
use rounds_server::dashboard::activity::encode;
use rounds_server::db::Sql;

#[derive(Parser, Debug)]
#[command(about = "Dashboard pages and devices' pulls under concurrent dashboard users")]
struct Args {
    /// postgres://… or an SQLite file; nothing: a fresh SQLite file in a temp dir.
    #[arg(long, env = "ROUNDS_LOAD_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// The PostgreSQL schema (a fresh one when seeding, unless named).
    #[arg(long)]
    schema: Option<String>,
    /// The database already holds the company (seeded by an earlier run or `rounds-demo
    /// --company`, password `--password`): measure only.
    #[arg(long)]
    seeded: bool,
    /// Regions x teams per region x reps per team.
    #[arg(long, default_value = "4x5x10")]
    company: rounds_demo::Company,
    #[arg(long, default_value_t = 500)]
    accounts_per_territory: usize,
    /// Days of history up to today (three years: 1096).
    #[arg(long, default_value_t = 1096)]
    history_days: u32,
    #[arg(long, default_value = "bench-password")]
    password: String,
    /// People using the dashboard at once.
    #[arg(long, default_value_t = 8)]
    users: usize,
    /// How long each group of users works the dashboard.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Devices pulling throughout (company reps).
    #[arg(long, default_value_t = 100)]
    devices: usize,
    /// Server processes on the one database (users and devices alternate between them).
    #[arg(long, default_value_t = 1)]
    servers: usize,
    /// The servers' `dashboard_concurrency` (0: no limit); their default when not given.
    #[arg(long)]
    dashboard_concurrency: Option<usize>,
}

/// The pages a manager opens, in the navigation's order (the map's data with the map).
const PAGES: [&str; 11] = [
    "/dashboard/activity",
    "/dashboard/compliance",
    "/dashboard/performance",
    "/dashboard/accounts",
    "/dashboard/map",
    "/dashboard/map.json",
    "/dashboard/design",
    "/dashboard/review",
    "/dashboard/priority",
    "/dashboard/balance",
    "/dashboard/quotas",
];

/// `application/x-www-form-urlencoded` of a few fields.
fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A cookie's value from a response's `Set-Cookie` headers.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Signs in to the dashboard as a browser does; the session cookie's header value.
async fn dashboard_session(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let page = http.get(format!("{base}/login")).send().await?;
    let login = set_cookie(&page, "rounds_login_csrf").context("login CSRF cookie")?;
    let body = page.text().await?;
    let marker = r#"name="csrf" value=""#;
    let at = body.find(marker).context("login form")? + marker.len();
    let csrf = &body[at..at + body[at..].find('"').context("quote")?];
    let r = http
        .post(format!("{base}/login"))
        .header(
            reqwest::header::COOKIE,
            format!("rounds_login_csrf={login}"),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[
            ("csrf", csrf),
            ("email", email),
            ("password", password),
        ]))
        .send()
        .await?;
    let session = set_cookie(&r, "rounds_session")
        .with_context(|| format!("{email} signs in (status {})", r.status()))?;
    Ok(format!("rounds_session={session}"))
}

/// A device signed in as a rep, pulling its territory.
struct Device {
    api: ServerApi,
    cursor: Option<String>,
}

impl Device {
    async fn pull(&mut self) -> anyhow::Result<()> {
        rounds_load::pull_to_end(&self.api, &mut self.cursor).await
    }
}

/// Devices pulling back to back (a short pause between) until `stop`; every latency.
async fn pulls(devices: Vec<Device>, stop: Arc<AtomicBool>) -> (Vec<Device>, Vec<Duration>) {
    let mut tasks = Vec::new();
    for mut d in devices {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if d.pull().await.is_ok() {
                    lat.push(t.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (d, lat)
        }));
    }
    let (mut out, mut lat) = (Vec::new(), Vec::new());
    for t in tasks {
        if let Ok((d, l)) = t.await {
            out.push(d);
            lat.extend(l);
        }
    }
    lat.sort();
    (out, lat)
}

/// Each page's latencies and failures for a group of users.
type Figures = BTreeMap<&'static str, (Vec<Duration>, usize)>;

/// `sessions` open the dashboard's pages in turn (each starting at a different page) for
/// `secs`.
async fn work(http: &reqwest::Client, sessions: &[(String, String)], secs: u64) -> Figures {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (i, (base, cookie)) in sessions.iter().cloned().enumerate() {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(&'static str, Duration, bool)> = Vec::new();
            let mut n = i;
            while Instant::now() < until {
                let page = PAGES[n % PAGES.len()];
                n += 1;
                let t = Instant::now();
                let ok = match http
                    .get(format!("{base}{page}"))
                    .header(reqwest::header::COOKIE, &cookie)
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                out.push((page, t.elapsed(), ok));
            }
            out
        }));
    }
    let mut figures = Figures::new();
    for t in tasks {
        for (page, took, ok) in t.await.unwrap_or_default() {
            let e = figures.entry(page).or_default();
            if ok {
                e.0.push(took);
            } else {
                e.1 += 1;
            }
        }
    }
    for (lat, _) in figures.values_mut() {
        lat.sort();
    }
    figures
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!(
        "rounds-dashboard-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| dir.join("company.db").display().to_string());
    let postgres = url.starts_with("postgres");
    let schema = match (&args.schema, postgres) {
        (Some(s), true) => Some(s.clone()),
        (None, true) if !args.seeded => {
            Some(format!("rounds_load_{}", uuid::Uuid::new_v4().simple()))
        }
        (None, true) => bail!("--seeded on PostgreSQL needs the --schema it was seeded in"),
        (_, false) => None,
    };
    let c = args.company;
    if !args.seeded {
        let mut settings = Settings::for_tests(&url);
        settings.database_schema = schema.clone();
        let db = rounds_server::open_db(&settings).await?;
        let opts = rounds_demo::DemoOptions {
            seed: 7,
            today: Utc::now().date_naive(),
            accounts_per_territory: args.accounts_per_territory,
            password: args.password.clone(),
            worked_example: false,
            history_days: args.history_days,
            company: Some(c),
        };
        let started = Instant::now();
        let summary = rounds_demo::seed(&db, &settings, &opts, &mut |step, done, total| {
            if step != "company territories" || done % 10 == 0 || done == total {
                eprintln!("  seeded {step}: {done} of {total}");
            }
        })
        .await?;
        if postgres {
            // What autovacuum does in a while on a live server: statistics for the rows
            // just written, so the planner does not take a quarantine of none for
            // thousands (the review page's first query then walked every activity), and
            // the visibility map, without which no index-only scan is chosen (the pages'
            // activity heads were then read by a scan of the whole table). One statement
            // at a time: VACUUM runs outside a transaction.
            db.with_conn(|c| {
                for table in ["users", "territories", "accounts", "activities"] {
                    c.batch(&format!("VACUUM ANALYZE {table}"))?;
                }
                Ok::<_, rounds_server::db::DbError>(())
            })
            .await?;
        }
        eprintln!(
            "seeded {} users, {} accounts, {} activities in {:.0} s",
            summary.users,
            summary.accounts,
            summary.activities,
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "database: {} ({}), company {}x{}x{}, {} server(s), dashboard_concurrency {}",
        if postgres { "PostgreSQL" } else { "SQLite" },
        schema.as_deref().unwrap_or("file"),
        c.regions,
        c.teams_per_region,
        c.reps_per_team,
        args.servers,
        args.dashboard_concurrency
            .map_or_else(|| "default".to_owned(), |n| n.to_string())
    );

    // The servers, as separate processes.
    let exe = std::env::current_exe()?.with_file_name("rounds-server");
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..args.servers.max(1) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = tokio::process::Command::new(&exe);
        cmd.args(["--config", "/nonexistent/rounds.toml", "serve"])
            .env("ROUNDS_DATABASE_URL", &url)
            .env("ROUNDS_LISTEN", format!("127.0.0.1:{port}"))
            .env("ROUNDS_LOG", "error")
            // Every device and user signs in from this one address.
            .env("ROUNDS_SIGN_IN_PER_ADDRESS_PER_MINUTE", "1000000")
            .kill_on_drop(true);
        if let Some(s) = &schema {
            cmd.env("ROUNDS_DATABASE_SCHEMA", s);
        }
        if let Some(n) = args.dashboard_concurrency {
            cmd.env("ROUNDS_DASHBOARD_CONCURRENCY", n.to_string());
        }
        children.push(
            cmd.spawn()
                .with_context(|| format!("starting {} (build it first)", exe.display()))?,
        );
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let pids: Vec<u32> = children.iter().filter_map(|c| c.id()).collect();
    let http = reqwest::Client::builder()
        // The sign-in's cookie comes with its redirect.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(120))
        .build()?;
    for base in &bases {
        let mut up = false;
        for _ in 0..600 {
            if http.get(format!("{base}/health")).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !up {
            bail!("{base} did not come up");
        }
    }
    let idle: Vec<f64> = pids.iter().map(|p| memory_mib(*p).0).collect();

    // Memory, sampled throughout.
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (stop, pids) = (stop_sampling.clone(), pids.clone());
        tokio::spawn(async move {
            let mut most = vec![0.0f64; pids.len()];
            while !stop.load(Ordering::Relaxed) {
                for (m, p) in most.iter_mut().zip(&pids) {
                    *m = m.max(memory_mib(*p).0);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            most
        })
    };

    // The devices: company reps, alternating between the servers.
    let mut devices = Vec::new();
    let reps = (0..c.regions).flat_map(|r| {
        (0..c.teams_per_region)
            .flat_map(move |t| (0..c.reps_per_team).map(move |p| (r + 1, t + 1, p + 1)))
    });
    for (i, (r, t, p)) in reps.take(args.devices).enumerate() {
        let base = &bases[i % bases.len()];
        let res = ServerApi::new(base, None)?
            .login(&LoginRequest {
                email: format!("rep{r}-{t}-{p}@company.rounds.app"),
                password: args.password.clone(),
                device_name: "bench".into(),
                platform: "bench".into(),
                device_id: None,
            })
            .await
            .context("a rep's device signs in")?;
        let mut d = Device {
            api: ServerApi::new(base, Some(res.token))?,
            cursor: None,
        };
        d.pull().await.context("first pull")?;
        devices.push(d);
    }
    // The peak so far (the kernel's high-water mark), phase by phase: which work set it.
    let peaks = |phase: &str| {
        let p: Vec<String> = pids
            .iter()
            .map(|p| format!("{:.0} MiB", memory_mib(*p).1))
            .collect();
        println!("server memory peak after {phase}: {}", p.join(", "));
    };
    peaks("the devices' first pulls");
    let quiet_for = Duration::from_secs(args.seconds.min(15));
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = tokio::spawn(pulls(devices, stop.clone()));
    tokio::time::sleep(quiet_for).await;
    stop.store(true, Ordering::Relaxed);
    let (devices, quiet) = quiet.await?;
    println!(
        "{} devices pulling, no dashboard traffic: p50 {:.1} ms, p99 {:.1} ms ({} pulls)",
        devices.len(),
        ms(percentile(&quiet, 0.5)),
        ms(percentile(&quiet, 0.99)),
        quiet.len()
    );

    let mut devices = devices;
    for (group, emails) in [
        (
            "team managers",
            (0..args.users)
                .map(|i| {
                    let team = i % (c.regions * c.teams_per_region);
                    format!(
                        "manager{}-{}@company.rounds.app",
                        team / c.teams_per_region + 1,
                        team % c.teams_per_region + 1
                    )
                })
                .collect::<Vec<_>>(),
        ),
        (
            "directors",
            (0..args.users)
                .map(|i| format!("director{}@company.rounds.app", i % c.regions + 1))
                .collect(),
        ),
    ] {
        let mut sessions = Vec::new();
        for (i, email) in emails.iter().enumerate() {
            let base = bases[i % bases.len()].clone();
            let cookie = dashboard_session(&http, &base, email, &args.password).await?;
            sessions.push((base, cookie));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let busy = tokio::spawn(pulls(std::mem::take(&mut devices), stop.clone()));
        let figures = work(&http, &sessions, args.seconds).await;
        stop.store(true, Ordering::Relaxed);
        let (back, busy) = busy.await?;
        devices = back;
        let reps_each = if group == "directors" {
            c.teams_per_region * c.reps_per_team
        } else {
            c.reps_per_team
        };
        println!(
            "\n{} {group} at once ({reps_each} reps each), {} s:",
            sessions.len(),
            args.seconds
        );
        println!("  page                     opened    p50 ms    p95 ms  failed");
        for (page, (lat, failed)) in &figures {
            println!(
                "  {page:<24} {:>6} {:>9.0} {:>9.0} {:>7}",
                lat.len(),
                ms(percentile(lat, 0.5)),
                ms(percentile(lat, 0.95)),
                failed
            );
        }
        let (q, b) = (percentile(&quiet, 0.99), percentile(&busy, 0.99));
        println!(
            "  devices' pull meanwhile: p99 {:.1} ms against {:.1} ms without dashboard traffic ({:.2}x, {} pulls)",
            ms(b),
            ms(q),
            b.as_secs_f64() / q.as_secs_f64().max(1e-9),
            busy.len()
        );
        peaks(group);
    }
    stop_sampling.store(true, Ordering::Relaxed);
    let most = sampler.await?;
    for (i, pid) in pids.iter().enumerate() {
        let (_, peak) = memory_mib(*pid);
        println!(
            "server {}: resident memory {:.0} MiB idle, at most {:.0} MiB sampled, peak {:.0} MiB",
            i + 1,
            idle[i],
            most[i],
            peak
        );
    }
    for mut c in children {
        let _ = c.kill().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

//! The `rounds-server` command line: serve, set up and back up the server (the demo
//! organisation is seeded by `rounds-demo`, which is not part of this binary).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use rounds_server::settings::DatabaseUrl;
use rounds_server::{Settings, auth, backup, import, org};

/// The Rounds central server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file (defaults, then this file, then ROUNDS_* variables).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "rounds.toml"
    )]
    config: PathBuf,
    /// The database: postgres://… or an SQLite file (default: rounds.db here).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "ROUNDS_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync and management API.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Create the database (or bring it up to date) and print its epoch.
    Init,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Create a territory.
    Territory {
        #[arg(long)]
        name: String,
        /// The e-mail of the rep who works it.
        #[arg(long)]
        rep: Option<String>,
    },
    /// Import accounts from CSV (reports every row; imports nothing if a row is invalid).
    Import {
        file: PathBuf,
        /// Import the valid rows even when some are invalid.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Write a consistent copy of the SQLite database; serving the copy later starts a new epoch.
    Backup { to: PathBuf },
    /// Start a new epoch (after restoring a PostgreSQL dump): devices resync from scratch.
    NewEpoch,
    /// Drop changelog entries superseded by a later change of the same row, and photo
    /// uploads given up on for a week (safe at any time).
    Compact,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// rep, manager, director or admin.
        #[arg(long, default_value = "rep")]
        role: String,
        /// The e-mail of the one they report to: a rep's manager, a manager's director.
        #[arg(long)]
        manager: Option<String>,
        #[arg(long, default_value = "America/Chicago")]
        time_zone: String,
        #[arg(long, env = "ROUNDS_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a user's password (an admin's reset): their devices and dashboard sessions are
    /// signed out, failed sign-ins forgotten.
    Password {
        #[arg(long)]
        email: String,
        #[arg(long, env = "ROUNDS_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Deactivate a user and sign out all their devices.
    Deactivate {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Revoke a device: its token stops working at once.
    Revoke { id: rounds_protocol::DeviceId },
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(Some(&cli.config))?;
    if let Some(url) = &cli.database {
        s.database_url = DatabaseUrl::new(url.clone());
    }
    if let Command::Serve { listen: Some(addr) } = &cli.command {
        s.listen = *addr;
    }
    Ok(s)
}

fn main() -> anyhow::Result<()> {
    tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// Blocks of 1 MiB or more (a director's page of activity heads, an export's buffer) get
/// pages of their own, returned when freed. glibc raises that threshold each time such a
/// block is freed (up to 32 MiB); past it they came from the arena of the thread that
/// built the page, and stayed there: the company bench's server peaked at 319 MiB with
/// about 50 MB in use, and at 142 MiB with this (its pages' figures: the server README).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_allocator() {
    // SAFETY: mallopt only sets a parameter of the allocator; it runs before any other
    // thread exists (it is not safe to call while others allocate).
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
    if set != 1 {
        eprintln!("warning: the allocator's mmap threshold could not be set");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = settings(&cli)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log)),
        )
        .with_writer(std::io::stderr)
        .init();
    tracing::debug!(?settings, "settings");
    match cli.command {
        Command::Serve { .. } => {
            let listener = tokio::net::TcpListener::bind(settings.listen)
                .await
                .with_context(|| format!("binding {}", settings.listen))?;
            println!("listening on {}", listener.local_addr()?);
            rounds_server::serve(settings, listener, shutdown_signal()).await?;
        }
        Command::Init => {
            let db = rounds_server::open_db(&settings).await?;
            println!(
                "database ready at {} (epoch {})",
                settings.database_url,
                db.epoch().await?
            );
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            manager,
            time_zone,
            password,
        }) => {
            let Some(role) = auth::parse_role(&role) else {
                bail!("--role is rep, manager, director or admin")
            };
            auth::acceptable_password(&password)?;
            let db = rounds_server::open_db(&settings).await?;
            let hash = auth::hash_password(&password, &settings)?;
            let id = db
                .write(move |tx| {
                    let manager = match &manager {
                        Some(m) => {
                            Some(org::user_by_email(tx, m)?.map(|u| u.0).ok_or_else(|| {
                                rounds_server::Error::client(
                                    rounds_protocol::ErrorCode::NotFound,
                                    format!("no manager {m}"),
                                )
                            })?)
                        }
                        None => None,
                    };
                    org::add_user(
                        tx,
                        &org::NewUser {
                            email: email.clone(),
                            name: name.clone(),
                            role,
                            password_hash: hash.clone(),
                            manager,
                            time_zone: time_zone.clone(),
                        },
                        settings.clock.now(),
                    )
                })
                .await?;
            println!("added user {id}");
        }
        Command::User(UserCommand::Password { email, password }) => {
            auth::acceptable_password(&password)?;
            let db = rounds_server::open_db(&settings).await?;
            let hash = auth::hash_password(&password, &settings)?;
            let now = settings.clock.now();
            db.write(move |tx| {
                let Some((user, _)) = org::user_by_email(tx, &email)? else {
                    return Err(rounds_server::Error::client(
                        rounds_protocol::ErrorCode::NotFound,
                        format!("no user {email}"),
                    ));
                };
                auth::set_password(tx, user, &hash, None, now)
            })
            .await?;
            println!("password set; their devices and dashboard sessions are signed out");
        }
        Command::User(UserCommand::Deactivate { email }) => {
            let db = rounds_server::open_db(&settings).await?;
            db.write(move |tx| org::deactivate_user(tx, &email, settings.clock.now()))
                .await?;
            println!("deactivated; their devices are signed out");
        }
        Command::Device(DeviceCommand::Revoke { id }) => {
            let db = rounds_server::open_db(&settings).await?;
            let found = db
                .write(move |tx| auth::revoke_device(tx, id, settings.clock.now()))
                .await?;
            if !found {
                bail!("no active device {id}");
            }
            println!("revoked");
        }
        Command::Territory { name, rep } => {
            let db = rounds_server::open_db(&settings).await?;
            let id = db
                .write(move |tx| {
                    // Whether they may hold it is org's one rule (create_territory asks).
                    let rep = match &rep {
                        Some(r) => match org::user_by_email(tx, r)? {
                            Some((id, _)) => Some(id),
                            None => {
                                return Err(rounds_server::Error::client(
                                    rounds_protocol::ErrorCode::NotFound,
                                    format!("no user {r}"),
                                ));
                            }
                        },
                        None => None,
                    };
                    org::create_territory(
                        tx,
                        rounds_protocol::TerritoryId::from_uuid(uuid::Uuid::now_v7()),
                        &name,
                        rep,
                    )
                })
                .await?;
            println!("added territory {id}");
        }
        Command::Import { file, skip_invalid } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let db = rounds_server::open_db(&settings).await?;
            let report = import::import_accounts(
                &db,
                &text,
                skip_invalid,
                settings.clock.now(),
                &mut |done, total| {
                    eprintln!("imported {done}/{total}");
                },
            )
            .await?;
            for r in &report.rows {
                match &r.error {
                    None => {
                        let what = match &r.action {
                            Some(import::Action::Update(f)) => format!("update {}", f.join(", ")),
                            Some(import::Action::Unchanged) => "no change".to_owned(),
                            _ => "new".to_owned(),
                        };
                        println!("line {}: ok ({}: {what})", r.line, r.name)
                    }
                    Some(e) => println!("line {}: INVALID {e}", r.line),
                }
            }
            let bad = report.rows.iter().filter(|r| r.error.is_some()).count();
            println!("{} imported, {bad} invalid", report.imported);
            if bad > 0 && !skip_invalid {
                bail!("nothing imported: fix the invalid rows or pass --skip-invalid");
            }
        }
        Command::Backup { to } => {
            let db = rounds_server::open_db(&settings).await?;
            eprintln!("writing {} …", to.display());
            backup::backup(&db, &to).await?;
            println!(
                "backup written to {}; serve it to restore (a new epoch starts)",
                to.display()
            );
        }
        Command::Compact => {
            let db = rounds_server::open_db(&settings).await?;
            let n = db.write(rounds_server::changelog::compact).await?;
            println!("{n} superseded changelog entries removed");
            // A week untouched: the device that began it is gone or starts over.
            let before = std::time::SystemTime::now() - std::time::Duration::from_secs(7 * 86_400);
            let blobs = rounds_server::blobs::FsBlobs::new(settings.blob_dir());
            let n = rounds_server::blobs::BlobStore::sweep_partials(&blobs, before)?;
            println!("{n} photo uploads left unfinished for a week removed");
        }
        Command::NewEpoch => {
            let db = rounds_server::open_db(&settings).await?;
            println!("new epoch {}", backup::new_epoch(&db).await?);
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

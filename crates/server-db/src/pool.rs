//! A small pool of connections, used from async code: each pooled connection lives on a
//! thread of its own and runs what is asked of it there ([`Worker`]). Hand-rolled rather
//! than r2d2/deadpool: one pool type serves both backends.
//!
//! Writes go through a group commit: one writer task per process takes every write
//! waiting and runs them in one transaction that commits once. Writers are serialised
//! anyway (the server-seq counter), so batching them turns 100 devices' pushes into a few
//! commits instead of a queue of 100 fsyncs. See [`run_group`] for how one write's
//! failure is kept from the others.
//!
//! Over 600 lines on purpose: the pool, the group-commit writer and the migrations
//! runner share one connection lifecycle; split, each would reach into the others.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use super::postgres::PgConn;
use super::sqlite::SqliteConn;
use super::{Backend, Conn, DbError, Row, Sql, Tx, Val};

#[derive(Debug, Clone)]
enum Target {
    Sqlite(PathBuf),
    Postgres { url: String, schema: Option<String> },
}

struct Inner {
    target: Target,
    idle: Mutex<Vec<Worker>>,
    permits: Semaphore,
    /// The writer's own connection: writes never wait behind reads for a pooled one.
    writer_conn: Mutex<Option<Conn>>,
    /// The group-commit writer's queue, started on the first write.
    writer: std::sync::OnceLock<tokio::sync::mpsc::Sender<Box<dyn WriteJob>>>,
}

/// What a pooled connection is asked to run.
type ConnJob = Box<dyn FnOnce(&mut Conn) + Send>;

/// A pooled connection on its own thread: every job on it runs there. On tokio's blocking
/// pool a job landed on any of some thirty threads, and each thread's allocator arena
/// kept the memory of the last page it built (the company bench's server: 446 MiB at its
/// peak with mimalloc, 320 with a thread per connection, its pages no slower). The writer's
/// connection still runs on the blocking pool.
struct Worker {
    jobs: std::sync::mpsc::Sender<ConnJob>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    fn start(mut conn: Conn) -> Result<Worker, DbError> {
        let (jobs, queue) = std::sync::mpsc::channel::<ConnJob>();
        let thread = std::thread::Builder::new()
            .name("rounds-db".into())
            .spawn(move || {
                // Ends when the pool lets go of the worker (the connection closes with it).
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| DbError::Other(format!("database thread: {e}")))?;
        Ok(Worker { jobs, thread })
    }
}

impl Drop for Inner {
    /// The idle connections close before the pool is gone (their threads end at once); a
    /// busy one (its caller gave up waiting) closes when its job is done.
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        for Worker { jobs, thread } in idle {
            drop(jobs);
            let _ = thread.join();
        }
    }
}

/// Writes waiting for the group-commit writer at most; past this a write is refused as
/// busy (503 with `Retry-After`) instead of queued.
pub const WRITE_QUEUE: usize = 4096;

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// At most this many writes share one transaction.
const MAX_GROUP: usize = 64;

/// What a write reads before it writes, fetched for the whole group in the round trip
/// that opens the group's transaction (on PostgreSQL; SQLite has no round trips to save).
#[derive(Debug, Default)]
pub struct Prefetch {
    /// What the write's reads depend on (its device, say). A write after another with a
    /// key in common, or after a write without a prefetch (which may change anything),
    /// reads for itself when it runs, so it sees the earlier writes' effects.
    pub keys: Vec<String>,
    pub queries: Vec<(String, Vec<Val>)>,
}

/// The answers to a [`Prefetch`]'s queries, in order; `None` when the write must read
/// for itself.
pub type Prefetched = Option<Vec<Vec<Row>>>;

/// One caller's write, run inside the group transaction (again, from the start, when the
/// group has to be retried: only the committed run's answer reaches the caller).
trait WriteJob: Send {
    fn prefetch(&self) -> Option<&Prefetch>;
    /// Runs in a savepoint; false undoes it (the caller's work failed).
    fn run(&mut self, tx: &mut Tx<'_>, prefetched: Prefetched) -> bool;
    /// The caller's work failed after all (a queued statement of it failed).
    fn abort(&mut self, error: DbError);
    /// Answers the caller once the group's commit is known.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<F, T, E> {
    f: F,
    prefetch: Option<Prefetch>,
    out: Option<Result<T, E>>,
    send: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> WriteJob for Job<F, T, E>
where
    F: FnMut(&mut Tx<'_>, Prefetched) -> Result<T, E> + Send,
    T: Send,
    E: From<DbError> + Send,
{
    fn prefetch(&self) -> Option<&Prefetch> {
        self.prefetch.as_ref()
    }

    fn run(&mut self, tx: &mut Tx<'_>, prefetched: Prefetched) -> bool {
        let out = (self.f)(tx, prefetched);
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn abort(&mut self, error: DbError) {
        self.out = Some(Err(E::from(error)));
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let res = match (self.out, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(e)) => Err(E::from(DbError::Other(format!("write not committed: {e}")))),
            (None, Ok(())) => Err(E::from(DbError::Other("write not run".into()))),
        };
        let _ = self.send.send(res);
    }
}

/// The database: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

/// The schema's migrations, one set for both backends: each is written in the dialect
/// subset SQLite and PostgreSQL share (a test checks both end with the same schema).
/// A step the dialects cannot share would get a version of its own for each.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_sessions.sql")),
    (3, include_str!("../migrations/0003_review.sql")),
    (4, include_str!("../migrations/0004_quotas.sql")),
    (5, include_str!("../migrations/0005_security.sql")),
    (6, include_str!("../migrations/0006_field_capture.sql")),
    (
        7,
        include_str!("../migrations/0007_stages_and_follow_ups.sql"),
    ),
    (8, include_str!("../migrations/0008_photos.sql")),
    (9, include_str!("../migrations/0009_appointments.sql")),
    (10, include_str!("../migrations/0010_planned_weeks.sql")),
    (11, include_str!("../migrations/0011_territory_units.sql")),
    (12, include_str!("../migrations/0012_import_sources.sql")),
    (13, include_str!("../migrations/0013_import_mappings.sql")),
    (14, include_str!("../migrations/0014_design_scenarios.sql")),
    (15, include_str!("../migrations/0015_regions.sql")),
    (16, include_str!("../migrations/0016_unit_boundaries.sql")),
    (17, include_str!("../migrations/0017_feed_keys.sql")),
    (18, include_str!("../migrations/0018_account_keys.sql")),
    (19, include_str!("../migrations/0019_session_team.sql")),
    (20, include_str!("../migrations/0020_activity_heads.sql")),
];

/// Whether a database URL names PostgreSQL (anything else is an SQLite file).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn sqlite_path(url: &str) -> PathBuf {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(path)
}

impl Db {
    /// Connects (no migration). `schema` selects a PostgreSQL schema (created if missing);
    /// SQLite ignores it.
    pub fn connect(url: &str, schema: Option<&str>, pool_size: usize) -> Self {
        let target = if is_postgres_url(url) {
            Target::Postgres {
                url: url.to_owned(),
                schema: schema.map(str::to_owned),
            }
        } else {
            Target::Sqlite(sqlite_path(url))
        };
        Db {
            inner: Arc::new(Inner {
                target,
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(pool_size.max(1)),
                writer_conn: Mutex::new(None),
                writer: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Connects, applies pending migrations, and settles the epoch.
    pub async fn open(url: &str, schema: Option<&str>, pool_size: usize) -> Result<Self, DbError> {
        let db = Db::connect(url, schema, pool_size);
        db.migrate().await?;
        db.settle_epoch().await?;
        db.warm_up(pool_size).await?;
        Ok(db)
    }

    /// Opens the pool's connections now, so the first burst of devices does not pay for
    /// them (a PostgreSQL connection is a new server process).
    async fn warm_up(&self, n: usize) -> Result<(), DbError> {
        let target = self.inner.target.clone();
        let conns = tokio::task::spawn_blocking(move || {
            (0..n.saturating_sub(1))
                .map(|_| Db::new_conn(&target))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| DbError::Other(e.to_string()))??;
        let workers = conns
            .into_iter()
            .map(Worker::start)
            .collect::<Result<Vec<_>, _>>()?;
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.extend(workers);
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.inner.target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The SQLite file, when this is an SQLite database.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        match &self.inner.target {
            Target::Sqlite(p) => Some(p.clone()),
            Target::Postgres { .. } => None,
        }
    }

    fn new_conn(target: &Target) -> Result<Conn, DbError> {
        Ok(match target {
            Target::Sqlite(p) => Conn::Sqlite(SqliteConn::open(p)?),
            Target::Postgres { url, schema } => {
                Conn::Postgres(PgConn::connect(url, schema.as_deref())?)
            }
        })
    }

    /// The group-commit writer's connection. On PostgreSQL its statements are planned
    /// for each execution with its values: a cached generic plan made while a table was
    /// still nearly empty (a fresh server) can pick a useless index and keep it as the
    /// table grows — seen as a push's id lookup scanning all of `activities_status`,
    /// the writer's time per push growing with the table. The writer's statements are
    /// simple; planning them costs less than one such scan.
    fn new_writer_conn(target: &Target) -> Result<Conn, DbError> {
        let mut conn = Db::new_conn(target)?;
        match conn.backend() {
            Backend::Postgres => conn.batch("SET plan_cache_mode = force_custom_plan")?,
            // The writer's pages stay cached across group commits (push throughput); the
            // readers keep the 4 MiB each connection opens with.
            Backend::Sqlite => conn.batch("PRAGMA cache_size = -65536")?,
        }
        Ok(conn)
    }

    /// Runs `f` with a pooled connection, on that connection's thread.
    pub async fn with_conn<T, E>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| DbError::Other("connection pool closed".into()))?;
        let idle = self.inner.idle.lock().ok().and_then(|mut v| v.pop());
        let worker = match idle {
            Some(w) => w,
            None => {
                let target = self.inner.target.clone();
                let conn = tokio::task::spawn_blocking(move || Db::new_conn(&target))
                    .await
                    .map_err(|e| DbError::Other(format!("database task failed: {e}")))??;
                Worker::start(conn)?
            }
        };
        let (send, answer) = tokio::sync::oneshot::channel();
        let job: ConnJob = Box::new(move |conn: &mut Conn| {
            let out = f(conn);
            let _ = send.send((out, conn.is_broken()));
        });
        worker
            .jobs
            .send(job)
            .map_err(|_| DbError::Other("database thread ended".into()))?;
        // A job that panicked ends its thread and drops `send`: its worker is not reused.
        let (out, broken) = answer
            .await
            .map_err(|_| DbError::Other("database task failed".into()))?;
        if !broken && let Ok(mut idle) = self.inner.idle.lock() {
            idle.push(worker);
        }
        out
    }

    /// A write: `f` runs in a transaction (shared with other writers waiting at the same
    /// moment, each in its own savepoint); its effects are kept when it returns Ok and
    /// are durable when this returns Ok. `f` may run more than once (a group that failed
    /// as a whole is rolled back and run again); only the committed run's effects and
    /// answer count, so it must not act outside the transaction.
    pub async fn write<T, E>(
        &self,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.enqueue(None, move |tx, _| f(tx)).await
    }

    /// A write whose reads come first and are fetched with the rest of its group's: `f`
    /// gets their answers, or `None` when it must run the queries itself. Otherwise as
    /// [`Db::write`].
    pub async fn write_prefetched<T, E>(
        &self,
        prefetch: Prefetch,
        f: impl FnMut(&mut Tx<'_>, Prefetched) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.enqueue(Some(prefetch), f).await
    }

    async fn enqueue<T, E>(
        &self,
        prefetch: Option<Prefetch>,
        f: impl FnMut(&mut Tx<'_>, Prefetched) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (send, recv) = tokio::sync::oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job {
            f,
            prefetch,
            out: None,
            send,
        });
        // A full queue is answered at once (503, retry later) rather than grown: memory
        // stays bounded however many requests arrive.
        self.writer().try_send(job).map_err(|e| match e {
            tokio::sync::mpsc::error::TrySendError::Full(_) => {
                DbError::Busy(format!("{WRITE_QUEUE} writes are already waiting"))
            }
            tokio::sync::mpsc::error::TrySendError::Closed(_) => {
                DbError::Other("the writer has stopped".into())
            }
        })?;
        recv.await
            .map_err(|_| E::from(DbError::Other("the write was lost (writer failed)".into())))?
    }

    fn writer(&self) -> &tokio::sync::mpsc::Sender<Box<dyn WriteJob>> {
        self.inner.writer.get_or_init(|| {
            let (send, mut recv) = tokio::sync::mpsc::channel::<Box<dyn WriteJob>>(WRITE_QUEUE);
            // The task holds a weak reference: it ends when the last `Db` is dropped.
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                while let Some(first) = recv.recv().await {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match recv.try_recv() {
                            Ok(j) => group.push(j),
                            Err(_) => break,
                        }
                    }
                    let Some(inner) = weak.upgrade() else { break };
                    let done = tokio::task::spawn_blocking(move || {
                        let mut slot = inner.writer_conn.lock().unwrap_or_else(|p| p.into_inner());
                        let conn = match slot.take() {
                            Some(c) => Ok(c),
                            None => Db::new_writer_conn(&inner.target),
                        };
                        match conn {
                            Ok(mut conn) => {
                                run_group(&mut conn, group);
                                if !conn.is_broken() {
                                    *slot = Some(conn);
                                }
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                for job in group {
                                    job.finish(Err(msg.clone()));
                                }
                            }
                        }
                    })
                    .await;
                    if let Err(e) = done {
                        tracing::error!(error = %e, "group commit failed");
                    }
                }
            });
            send
        })
    }

    /// A read-only transaction over one consistent snapshot.
    pub async fn read<T, E>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.with_conn(move |conn| {
            let mut tx = Tx::begin_read(conn)?;
            let out = f(&mut tx);
            tx.rollback();
            out
        })
        .await
    }

    /// Applies the migrations not yet applied, each in its own transaction. Forward only:
    /// a migration, once released, is never edited. Each version is checked on its own,
    /// so a gap in the numbers (a branch that lands later) is applied when it arrives.
    pub async fn migrate(&self) -> Result<(), DbError> {
        self.with_conn(|conn| {
            let migrations = MIGRATIONS;
            conn.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
            )?;
            for (version, sql) in migrations {
                match conn.backend() {
                    Backend::Sqlite => conn.batch("BEGIN IMMEDIATE")?,
                    Backend::Postgres => {
                        conn.batch("BEGIN")?;
                        // Two servers starting at once must not both migrate.
                        conn.exec("SELECT pg_advisory_xact_lock(740201)", &[])?;
                    }
                }
                let done = conn
                    .query_opt(
                        "SELECT version FROM schema_migrations WHERE version = $1",
                        crate::params![*version],
                    )?
                    .is_some();
                let step = if done {
                    Ok(())
                } else {
                    conn.batch(sql).and_then(|()| {
                        conn.exec(
                            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                            crate::params![*version, crate::time::now_text()],
                        )
                        .map(drop)
                    })
                };
                match step {
                    Ok(()) => conn.batch("COMMIT")?,
                    Err(e) => {
                        let _ = conn.batch("ROLLBACK");
                        return Err(e);
                    }
                }
            }
            Ok(())
        })
        .await
    }

    /// A database restored from a backup carries the `restored_from` marker that `backup`
    /// writes into the copy: the first start on it mints a new epoch, so every device
    /// rebuilds its synced data and re-pushes what this copy may have lost.
    async fn settle_epoch(&self) -> Result<(), DbError> {
        self.write(|tx| {
            let marker = tx.query_opt("SELECT value FROM meta WHERE key = 'restored_from'", &[])?;
            let epoch = tx.query_opt("SELECT value FROM meta WHERE key = 'epoch'", &[])?;
            if marker.is_some() || epoch.is_none() {
                set_new_epoch(tx)?;
                tx.exec("DELETE FROM meta WHERE key = 'restored_from'", &[])?;
            }
            // The key pull cursors are signed with, made once per database (servers
            // sharing a database share it).
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| DbError::Other(format!("random: {e}")))?;
            let key: String = key.iter().map(|b| format!("{b:02x}")).collect();
            tx.exec(
                "INSERT INTO meta (key, value) VALUES ('cursor_key', $1) ON CONFLICT (key) DO NOTHING",
                crate::params![key],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn epoch(&self) -> Result<String, DbError> {
        self.read(|tx| tx.epoch()).await
    }
}

pub fn set_new_epoch(tx: &mut dyn Sql) -> Result<String, DbError> {
    let epoch = uuid::Uuid::new_v4().simple().to_string();
    tx.exec(
        "INSERT INTO meta (key, value) VALUES ('epoch', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        crate::params![epoch.clone()],
    )?;
    Ok(epoch)
}

pub fn epoch(tx: &mut dyn Sql) -> Result<String, DbError> {
    tx.query_one("SELECT value FROM meta WHERE key = 'epoch'", &[])?
        .text(0)
}

/// Runs a group of writes in one transaction and answers each.
///
/// First the fast way: each write in a savepoint queued ahead of its first statement, and
/// its statements pipelined into the next write's first round trip (one round trip a
/// push on PostgreSQL instead of two). A write that fails itself is rolled back to its
/// savepoint. A failure that cannot be pinned on one write — a queued statement that
/// failed after its write had returned, or a failed commit — rolls the whole group back
/// and runs it again the slow way, each write's statements awaited before the next
/// starts, so one bad write never takes the others down with it.
fn run_group(conn: &mut Conn, mut group: Vec<Box<dyn WriteJob>>) {
    let _timer = GroupTimer(std::time::Instant::now(), group.len());
    let outcome = match run_fast(conn, &mut group) {
        Outcome::Retry if !conn.is_broken() => {
            tracing::warn!(
                writes = group.len(),
                "a group of writes failed as a whole; running them again one by one"
            );
            run_slow(conn, &mut group)
        }
        other => other,
    };
    let commit = match outcome {
        Outcome::Committed => Ok(()),
        Outcome::Failed(msg) => Err(msg),
        Outcome::Retry => Err("the connection to the database was lost".to_owned()),
    };
    for job in group {
        job.finish(commit.clone());
    }
}

/// How a group's transaction ended.
#[derive(Debug)]
enum Outcome {
    Committed,
    /// Nothing was committed, and running the group again would not help.
    Failed(String),
    /// Nothing was committed; the group may run again.
    Retry,
}

fn run_fast(conn: &mut Conn, group: &mut [Box<dyn WriteJob>]) -> Outcome {
    conn.take_deferred_failure();
    let ahead = reads_ahead(group);
    let queries: Vec<(&str, &[Val])> = group
        .iter()
        .zip(&ahead)
        .filter(|(_, ahead)| **ahead)
        .filter_map(|(job, _)| job.prefetch())
        .flat_map(|p| {
            p.queries
                .iter()
                .map(|(sql, v)| (sql.as_str(), v.as_slice()))
        })
        .collect();
    let (mut tx, answers) = match Tx::begin_write_reading(conn, &queries) {
        Ok(opened) => opened,
        // One write's read may be what failed: the careful way reads for each apart.
        Err(_) if !queries.is_empty() => return Outcome::Retry,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let mut answers = answers.into_iter();
    for (i, (job, ahead)) in group.iter_mut().zip(ahead).enumerate() {
        let prefetched = match job.prefetch() {
            Some(p) if ahead => Some(answers.by_ref().take(p.queries.len()).collect()),
            _ => None,
        };
        let ok = tx
            .savepoint(i == 0)
            .map(|mark| (mark, job.run(&mut tx, prefetched)));
        let undone = match ok {
            // A queued statement failed where its own write could not see it: whose it
            // was is unknown, so the whole group is redone the careful way.
            Ok(_) if tx.take_deferred_failure() => Err(()),
            Ok((_, true)) => Ok(()),
            Ok((mark, false)) => tx.rollback_to(mark).map_err(drop),
            Err(_) => Err(()),
        };
        if undone.is_err() {
            tx.rollback();
            return Outcome::Retry;
        }
    }
    match tx.commit() {
        Ok(()) => Outcome::Committed,
        Err(_) => Outcome::Retry,
    }
}

/// Which writes of a group may use reads made before any of the group ran: those with a
/// prefetch, until a write without one, and not after a write sharing one of their keys.
fn reads_ahead(group: &[Box<dyn WriteJob>]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    let mut open = true;
    group
        .iter()
        .map(|job| match job.prefetch() {
            None => {
                open = false;
                false
            }
            Some(p) => {
                let fresh = p.keys.iter().all(|k| !seen.contains(k));
                seen.extend(p.keys.iter().cloned());
                open && fresh
            }
        })
        .collect()
}

/// The careful way: each write's statements awaited before the next write starts, so a
/// failure is always its own write's, undone to its savepoint.
fn run_slow(conn: &mut Conn, group: &mut [Box<dyn WriteJob>]) -> Outcome {
    conn.take_deferred_failure();
    let mut tx = match Tx::begin_write(conn) {
        Ok(tx) => tx,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    for (i, job) in group.iter_mut().enumerate() {
        let step = tx.savepoint(i == 0).and_then(|mark| {
            if job.run(&mut tx, None) {
                // The job's queued statements must succeed before it counts as done.
                match tx.sync() {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        job.abort(e);
                        tx.rollback_to(mark)
                    }
                }
            } else {
                tx.rollback_to(mark)
            }
        });
        if let Err(e) = step {
            // The transaction itself is broken: nobody's work can be committed.
            tx.rollback();
            return Outcome::Failed(e.to_string());
        }
    }
    match tx.commit() {
        Ok(()) => Outcome::Committed,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Logs each group's size and duration at debug level (`ROUNDS_LOG=rounds_server_db=debug`).
struct GroupTimer(std::time::Instant, usize);

impl Drop for GroupTimer {
    fn drop(&mut self) {
        tracing::debug!(writes = self.1, elapsed = ?self.0.elapsed(), "group commit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_in_increasing_order() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "migrate() applies them in list order: {versions:?}"
        );
    }
}

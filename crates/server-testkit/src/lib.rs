//! The server's test kit: a real server per test on 127.0.0.1:0 over a fresh database of
//! either backend, and [`on_both_backends!`] to run a scenario on each. The server's own
//! tests and the cross-crate tests share it.
//!
//! PostgreSQL tests are `#[ignore]`d with the reason and run only when asked for
//! (`--include-ignored`, with `ROUNDS_TEST_POSTGRES_URL` naming a database); asked for
//! without one, they fail rather than pass untested.

use rounds_server::{Db, Settings};
use uuid::Uuid;

/// Runs each scenario (an `async fn(Backend)` in the calling module) as a test on SQLite
/// and, ignored unless asked for, on PostgreSQL. `threads = N;` first sets the runtime's
/// worker threads (2 by default).
#[macro_export]
macro_rules! on_both_backends {
    (threads = $threads:literal; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                #[ignore = "needs PostgreSQL: set ROUNDS_TEST_POSTGRES_URL, run with --include-ignored"]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await;
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(threads = 2; $($name),*);
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a handle on its database for seeding and checking.
#[derive(Debug)]
pub struct TestServer {
    pub base: String,
    pub db: Db,
    pub settings: Settings,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The database the PostgreSQL tests may use. They are `#[ignore]`d, so they run only
/// when asked for; asked for without a database, they fail rather than pass untested.
pub fn postgres_url() -> String {
    std::env::var("ROUNDS_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .expect("a PostgreSQL test was run without ROUNDS_TEST_POSTGRES_URL naming a database")
}

/// Settings for a fresh database of the backend (on PostgreSQL, a schema of its own).
pub fn fresh_settings(backend: Backend) -> (Settings, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("server.db").display().to_string();
            (Settings::for_tests(&url), Some(dir))
        }
        Backend::Postgres => {
            let url = postgres_url();
            let mut s = Settings::for_tests(&url);
            s.database_schema = Some(format!("rounds_test_{}", Uuid::new_v4().simple()));
            // Photos' bytes: a directory of the test's own, gone with it.
            let dir = tempfile::tempdir().expect("temp dir");
            s.blob_dir = Some(dir.path().join("blobs"));
            (s, Some(dir))
        }
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        let (settings, dir) = fresh_settings(backend);
        TestServer::start_with(settings, dir).await
    }

    pub async fn start_with(settings: Settings, dir: Option<tempfile::TempDir>) -> TestServer {
        let db = rounds_server::open_db(&settings)
            .await
            .expect("database opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (s, served) = (settings.clone(), db.clone());
        let task = tokio::spawn(async move {
            rounds_server::serve_db(s, served, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            base,
            db,
            settings,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        self.db
            .read(move |tx| {
                use rounds_server::db::Sql;
                tx.query_one(sql, &[]).and_then(|r| r.int(0))
            })
            .await
            .expect("count query")
    }
}

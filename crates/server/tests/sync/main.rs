//! The sync contract, end to end: a real server on 127.0.0.1:0 over a real database, and
//! fake devices speaking the wire protocol with reqwest. Every scenario runs on SQLite;
//! on PostgreSQL too when `ROUNDS_TEST_POSTGRES_URL` names a database.
//!
//! Scenarios about sync log "now" on the real clock against a server on the real clock:
//! they hold on any day. Those that read the calendar (the dashboard's periods, quotas,
//! scores) start the server's clock at [`support::TEST_NOW`] instead.
#![allow(clippy::disallowed_methods)]

/// Runs each scenario as a test on SQLite and on PostgreSQL. The PostgreSQL ones are
/// ignored unless asked for (`--include-ignored`; `scripts/test` does when
/// `ROUNDS_TEST_POSTGRES_URL` is set), so a run without a database never counts them passed.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(crate::support::Backend::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs PostgreSQL: set ROUNDS_TEST_POSTGRES_URL, run with --include-ignored"]
                async fn $name() {
                    super::$name(crate::support::Backend::Postgres).await;
                }
            )*
        }
    };
}

mod attacks;
mod bad_input;
mod dashboard;
mod group_commit;
mod insight;
mod manage;
mod operations;
mod scenarios;
mod support;

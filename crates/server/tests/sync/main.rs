//! The sync contract, end to end: a real server on 127.0.0.1:0 over a real database, and
//! fake devices speaking the wire protocol with reqwest. Every scenario runs on SQLite;
//! on PostgreSQL too when `ROUNDS_TEST_POSTGRES_URL` names a database.
//!
//! Scenarios about sync log "now" on the real clock against a server on the real clock:
//! they hold on any day. Those that read the calendar (the dashboard's periods, quotas,
//! scores) start the server's clock at [`support::TEST_NOW`] instead.
#![allow(clippy::disallowed_methods)]

/// Runs each scenario as a test on SQLite and on PostgreSQL (the latter skipped, with a
/// note, when `ROUNDS_TEST_POSTGRES_URL` is not set).
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
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if crate::support::postgres_url().is_none() {
                        eprintln!("skipped: set ROUNDS_TEST_POSTGRES_URL to run on PostgreSQL");
                        return;
                    }
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

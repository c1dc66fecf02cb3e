//! rounds-server: the central server. Sync (push exactly once, pull by territory bucket),
//! sign-in, management endpoints, and the storage seam with an SQLite and a PostgreSQL
//! backend. The sync contract is written out in the crate README.

pub mod error;
pub mod geocoder;
pub mod http;
pub mod import_api;
pub mod listener;
pub mod openapi;

use std::future::Future;

pub use rounds_dashboard as dashboard;
pub use rounds_server_db as db;
pub use rounds_server_db::{params, time};
pub use rounds_server_rules::{
    account_list, auth, backup, blobs, calendar, changelog, crm, crm_export, feed, fields, history,
    import, manage, org, photos, planned_weeks, pull, push, review, scope, sessions, settings,
    stage, throttle, units,
};

pub use db::Db;
pub use error::{Error, Failure};
pub use settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database: {0}")]
    Db(#[from] db::DbError),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens (and migrates) the database named by the settings.
pub async fn open_db(settings: &Settings) -> Result<Db, db::DbError> {
    Db::open(
        settings.database_url.expose(),
        settings.database_schema.as_deref(),
        settings.pool_size,
    )
    .await
}

/// Serves on `listener` until `shutdown` completes. Keeps no state outside the database,
/// so any number of these may share one PostgreSQL database.
pub async fn serve(
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let db = open_db(&settings).await?;
    serve_db(settings, db, listener, shutdown).await
}

/// [`serve`] over a database already open (a test that holds the same [`Db`] shares its
/// connections and its group-commit writer with the server).
pub async fn serve_db(
    settings: Settings,
    db: Db,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    tracing::info!(
        database = %settings.database_url,
        listen = %listener.local_addr()?,
        "rounds-server serving"
    );
    let listener = listener::CappedListener::new(
        listener,
        settings.max_connections,
        std::time::Duration::from_secs(settings.idle_timeout_secs.max(1)),
    );
    // Rows from before the account list's keys: keyed before the list is served.
    let keyed = account_list::backfill(&db).await?;
    if keyed > 0 {
        tracing::info!(accounts = keyed, "keyed accounts for the account list");
    }
    // Activities from before their `kind` column: filled while serving (pages read such
    // a row from its JSON meanwhile, so nothing waits for it).
    let kinds = {
        let db = db.clone();
        tokio::spawn(async move {
            match history::backfill_kinds(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(activities = n, "filled activities' kinds"),
                Err(e) => {
                    tracing::warn!(error = %e, "filling activities' kinds stopped; it goes on at the next start")
                }
            }
        })
    };
    let geocoder = geocoder::spawn(db.clone(), &settings);
    let app = http::router(http::AppState::new(db, settings));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<listener::Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(g) = geocoder {
        g.abort();
    }
    kinds.abort();
    served?;
    Ok(())
}

//! Backups and the epoch. `backup` writes a consistent copy of an SQLite database
//! (`VACUUM INTO`) carrying a `restored_from` marker; restoring is pointing the server at
//! the copy, whose first start mints a new epoch (see `Db::open`), so devices rebuild
//! their synced data and re-push anything the copy lacks. PostgreSQL is backed up with
//! `pg_dump`; after restoring a dump, run `rounds-server new-epoch`.

use std::path::Path;

use crate::db::{Db, DbError, Sql, pool};
use crate::params;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists; choose a new file")]
    Exists(String),
    #[error("backup of PostgreSQL: use pg_dump, then `rounds-server new-epoch` after a restore")]
    Postgres,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("writing the backup: {0}")]
    Io(String),
}

pub async fn backup(db: &Db, to: &Path) -> Result<(), BackupError> {
    if db.sqlite_file().is_none() {
        return Err(BackupError::Postgres);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.display().to_string()));
    }
    let target = to.display().to_string();
    let epoch = db.epoch().await?;
    // The copy holds every password hash and token hash: readable by its owner only,
    // from the first byte (an empty file made 0600, which SQLite then fills).
    create_private(to).map_err(|e| BackupError::Io(format!("{}: {e}", to.display())))?;
    db.with_conn(move |c| c.exec("VACUUM INTO $1", params![target]).map(drop))
        .await?;
    let copy = Db::connect(&to.display().to_string(), None, 1);
    copy.with_conn(move |c| {
        c.exec(
            "INSERT INTO meta (key, value) VALUES ('restored_from', $1)",
            params![epoch],
        )
        .map(drop)
    })
    .await?;
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

/// Mints a new epoch now (after restoring a PostgreSQL dump, or by hand).
pub async fn new_epoch(db: &Db) -> Result<String, DbError> {
    db.write(|tx| pool::set_new_epoch(tx)).await
}

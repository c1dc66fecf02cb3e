//! The device's SQLite copy of a rep's territory: the only client-side code that speaks SQL.
//!
//! * Synced tables (territories, plans, accounts, contacts, activities, corrections) hold
//!   server truth and are written only by [`Store::apply_pull`].
//! * Local changes live in the outbox and are overlaid when reading, so the rep always
//!   sees their own pending work, marked pending; a reset of synced data never touches it.
//!   Accounts the rep creates are the one exception: they are written to `accounts` under
//!   the device's own bucket at once (see `capture`), and put back after any wipe until
//!   the server's copy arrives.
//! * Every connection runs WAL with `synchronous=FULL` (a committed tap survives a power
//!   cut), foreign keys on, and a busy timeout.
//!
//! Reads go through [`Reader`] (`&self`); writes through `&mut self` methods that run in
//! one transaction and return only after commit.

mod accounts;
mod activities;
mod apply;
mod appointments;
mod capture;
mod codec;
mod contacts;
mod cursors;
mod damage;
mod error;
mod follow_ups;
mod issues;
mod log;
mod meta;
mod outbox;
mod photos;
mod plans;
pub mod schema;
mod search;
mod settings;
mod territories;
mod today;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use accounts::{AccountView, AccountsRead};
pub use activities::{ActivitiesRead, TimelineEntry};
pub use apply::ApplyStats;
pub use appointments::{AppointmentInput, AppointmentView, AppointmentsRead};
pub use capture::{ContactInput, DEVICE_BUCKET, Lookalike, NewAccount};
pub use contacts::ContactsRead;
pub use error::{Result, StoreError};
pub use follow_ups::{FollowUpView, FollowUpsRead, NewFollowUp};
pub use issues::{IssueKind, IssuesRead, SyncIssue};
pub use log::{LoggedActivity, NewActivity};
pub use outbox::{OutboxEntry, OutboxRead, OutboxState};
pub use photos::{NewPhoto, PhotoUpload, PhotoView, PhotosRead, Upload};
pub use search::{SearchHit, SearchHitKind};
pub use today::{TodayAccount, TodayInputs};

/// Rows applied per transaction when applying a pulled page, so readers stay responsive
/// and a kill loses at most one batch of (re-pullable) work.
pub const APPLY_BATCH: usize = 1_000;

/// An open device database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    device_id: rounds_protocol::DeviceId,
}

impl Store {
    /// Opens (or creates) the database at `path` and migrates it. A file that is not a
    /// Rounds database is refused with a clear error and never modified.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        refuse_non_sqlite(&path)?;
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        check_application(&conn, &path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A territory's indexes do not fit SQLite's 2 MB default cache; 32 MB keeps the
        // hot ones in memory (applying a snapshot, the Today scan). Memory-mapped reads
        // measured slower for the Today scan, so they stay off.
        conn.pragma_update(None, "cache_size", -32_768)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        schema::migrate(&mut conn)?;
        conn.execute_batch(schema::ACTIVITIES_ACCOUNT_INDEX)?;
        let device_id = meta::ensure_device_id(&conn)?;
        Ok(Store {
            conn,
            path,
            device_id,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This installation's id, made at first open and kept for the database's life.
    pub fn device_id(&self) -> rounds_protocol::DeviceId {
        self.device_id
    }

    /// A read handle. Each call sees the latest committed state.
    pub fn read(&self) -> Reader<'_> {
        Reader { conn: &self.conn }
    }

    /// Runs `f` in one immediate transaction; commits only if it succeeds.
    fn write<T>(&mut self, f: impl FnOnce(&Writer<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Writer { tx: &tx })?;
        tx.commit()?;
        Ok(out)
    }

    /// `PRAGMA integrity_check`: `Ok(())` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Corrupt(rows.join("; ")))
        }
    }
}

/// Read access to every table.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    conn: &'a Connection,
}

impl<'a> Reader<'a> {
    pub fn accounts(&self) -> AccountsRead<'a> {
        AccountsRead::new(self.conn)
    }
    pub fn contacts(&self) -> ContactsRead<'a> {
        ContactsRead::new(self.conn)
    }
    pub fn photos(&self) -> PhotosRead<'a> {
        PhotosRead::new(self.conn)
    }
    pub fn appointments(&self) -> AppointmentsRead<'a> {
        AppointmentsRead::new(self.conn)
    }
    pub fn follow_ups(&self) -> FollowUpsRead<'a> {
        FollowUpsRead::new(self.conn)
    }
    pub fn activities(&self) -> ActivitiesRead<'a> {
        ActivitiesRead::new(self.conn)
    }
    pub fn outbox(&self) -> OutboxRead<'a> {
        OutboxRead::new(self.conn)
    }
    pub fn issues(&self) -> IssuesRead<'a> {
        IssuesRead::new(self.conn)
    }
    pub fn plans(&self) -> plans::PlansRead<'a> {
        plans::PlansRead::new(self.conn)
    }
    pub fn territories(&self) -> territories::TerritoriesRead<'a> {
        territories::TerritoriesRead::new(self.conn)
    }
    pub fn settings(&self) -> settings::SettingsRead<'a> {
        settings::SettingsRead::new(self.conn)
    }
    pub fn meta(&self) -> meta::MetaRead<'a> {
        meta::MetaRead::new(self.conn)
    }
    pub fn cursor(&self) -> Result<Option<String>> {
        cursors::get(self.conn)
    }
    /// Buckets with a synced row that no longer reads; the sync engine has the server send
    /// them again from a snapshot. Reads every synced row: a check for start-up, not for
    /// every screen.
    pub fn damaged_buckets(&self) -> Result<Vec<String>> {
        damage::damaged_buckets(self.conn)
    }
}

/// Write access, only inside a transaction. Handles for synced tables are crate-private:
/// only the pull code writes them.
struct Writer<'a> {
    tx: &'a Transaction<'a>,
}

/// Refuses a file that exists, is not empty, and does not start with SQLite's header.
fn refuse_non_sqlite(path: &Path) -> Result<()> {
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io(format!("{}: {e}", path.display()))),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(StoreError::Io(format!("{}: {e}", path.display()))),
        }
    }
    if read == 0 || (read == head.len() && &head == HEADER) {
        Ok(())
    } else {
        Err(StoreError::NotADatabase(path.to_path_buf()))
    }
}

/// Stamps a new database as ours; refuses an SQLite database that belongs to someone else.
fn check_application(conn: &Connection, path: &Path) -> Result<()> {
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| match StoreError::from(e) {
            StoreError::Corrupt(_) => StoreError::NotADatabase(path.to_path_buf()),
            other => other,
        })?;
    if app == schema::APPLICATION_ID {
        return Ok(());
    }
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app == 0 && objects == 0 {
        conn.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
        Ok(())
    } else {
        Err(StoreError::Foreign(path.to_path_buf()))
    }
}

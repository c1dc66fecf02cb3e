//! The storage seam: one SQL dialect subset that SQLite and PostgreSQL both accept
//! (TEXT, BIGINT, DOUBLE PRECISION; `$n` placeholders; `ON CONFLICT`; `RETURNING`), so the
//! sync rules are written once and the conformance suite runs the same code on both.
//!
//! The rules run as blocking code on tokio's blocking pool (see [`Db`]): rusqlite is
//! blocking by nature, and the PostgreSQL connection drives tokio-postgres from there with
//! `Handle::block_on` on a small runtime of its own.
//!
//! Over 600 lines on purpose: the seam's few types (values, rows, the `Sql` trait, the
//! transaction and its savepoints) are one vocabulary and read best together.

pub mod pool;
mod postgres;
mod sqlite;
pub mod time;

use std::fmt;

use rounds_protocol::ErrorCode;

pub use pool::{Db, Prefetch, Prefetched, WRITE_QUEUE};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("unexpected column value: {0}")]
    Decode(String),
    #[error("{0}")]
    Other(String),
    /// Too much waiting already (the write queue is full): retry shortly.
    #[error("busy: {0}")]
    Busy(String),
}

impl DbError {
    /// Contention the client may retry (a locked SQLite file, a PostgreSQL serialisation
    /// failure or deadlock); anything else is a server fault.
    pub fn code(&self) -> ErrorCode {
        match self {
            DbError::Busy(_) => ErrorCode::Unavailable,
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                ErrorCode::Unavailable
            }
            DbError::Postgres(e)
                if e.code().is_some_and(|c| {
                    *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                        || *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                }) =>
            {
                ErrorCode::Unavailable
            }
            _ => ErrorCode::Internal,
        }
    }
}

/// A value bound to or read from SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<u64> for Val {
    fn from(v: u64) -> Self {
        Val::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<usize> for Val {
    fn from(v: usize) -> Self {
        Val::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<uuid::Uuid> for Val {
    fn from(v: uuid::Uuid) -> Self {
        Val::Text(v.to_string())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}
macro_rules! id_vals {
    ($($t:ty),*) => {$(
        impl From<$t> for Val {
            fn from(v: $t) -> Self {
                Val::Text(v.to_string())
            }
        }
        impl From<&$t> for Val {
            fn from(v: &$t) -> Self {
                Val::Text(v.to_string())
            }
        }
    )*};
}
id_vals!(
    rounds_core::AccountId,
    rounds_core::ActivityId,
    rounds_core::AppointmentId,
    rounds_core::ContactId,
    rounds_core::DeviceId,
    rounds_core::FollowUpId,
    rounds_core::PhotoId,
    rounds_core::MutationId,
    rounds_core::PlanId,
    rounds_core::TerritoryId,
    rounds_core::UserId,
    rounds_protocol::Hlc
);

/// `params![a, b]`: a slice of [`Val`]s.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::Val::from($v)),*][..] };
}

/// One result row: its values, and the names of its columns, so a row decodes by name
/// (`row.text("email")`) into a struct beside its query (see [`FromRow`]). A statement of
/// several columns is read by name; a position (`row.text(0)`) is for a statement of one.
#[derive(Debug, Clone)]
pub struct Row {
    names: std::sync::Arc<[String]>,
    vals: Vec<Val>,
}

/// How a row's column is named: by position or by name.
pub trait Column: Copy + fmt::Display {
    fn position(self, row: &Row) -> Result<usize, DbError>;
}

impl Column for usize {
    fn position(self, row: &Row) -> Result<usize, DbError> {
        if self < row.vals.len() {
            Ok(self)
        } else {
            Err(DbError::Decode(format!("no column {self}")))
        }
    }
}

impl Column for &str {
    /// SQLite keeps a column's name as written, PostgreSQL folds it to lower case: names
    /// match regardless of case.
    fn position(self, row: &Row) -> Result<usize, DbError> {
        row.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(self))
            .ok_or_else(|| DbError::Decode(format!("no column named {self}")))
    }
}

/// A type a query's rows decode into, by column name.
pub trait FromRow: Sized {
    fn from_row(row: &Row) -> Result<Self, DbError>;
}

/// Runs a query and decodes every row into `T` as it arrives.
pub fn query_as<T: FromRow>(
    tx: &mut (impl Sql + ?Sized),
    sql: &str,
    params: &[Val],
) -> Result<Vec<T>, DbError> {
    let mut out = Vec::new();
    tx.query_each(sql, params, &mut |r| {
        out.push(T::from_row(&r)?);
        Ok(())
    })?;
    Ok(out)
}

/// As [`query_as`], for at most one row.
pub fn query_opt_as<T: FromRow>(
    tx: &mut (impl Sql + ?Sized),
    sql: &str,
    params: &[Val],
) -> Result<Option<T>, DbError> {
    tx.query_opt(sql, params)?
        .as_ref()
        .map(T::from_row)
        .transpose()
}

impl Row {
    pub fn new(names: std::sync::Arc<[String]>, vals: Vec<Val>) -> Self {
        Self { names, vals }
    }

    /// The values, in the statement's column order.
    pub fn values(&self) -> &[Val] {
        &self.vals
    }

    fn at(&self, c: impl Column) -> Result<&Val, DbError> {
        Ok(&self.vals[c.position(self)?])
    }

    pub fn int(&self, i: impl Column) -> Result<i64, DbError> {
        match self.at(i)? {
            Val::Int(v) => Ok(*v),
            v => Err(DbError::Decode(format!(
                "column {i}: expected an integer, got {v:?}"
            ))),
        }
    }

    pub fn opt_int(&self, i: impl Column) -> Result<Option<i64>, DbError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn text(&self, i: impl Column) -> Result<String, DbError> {
        self.str(i).map(str::to_owned)
    }

    /// A text column, borrowed.
    fn str(&self, i: impl Column) -> Result<&str, DbError> {
        match self.at(i)? {
            Val::Text(v) => Ok(v),
            v => Err(DbError::Decode(format!(
                "column {i}: expected text, got {v:?}"
            ))),
        }
    }

    pub fn opt_text(&self, i: impl Column) -> Result<Option<String>, DbError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// A text column parsed into `T` (ids, clocks, enums stored as text).
    pub fn parse<T: std::str::FromStr>(&self, i: impl Column) -> Result<T, DbError>
    where
        T::Err: fmt::Display,
    {
        // Parsed in place: ids and times are read by the hundred thousand on some pages.
        self.str(i)?
            .parse()
            .map_err(|e: T::Err| DbError::Decode(format!("column {i}: {e}")))
    }

    pub fn opt_parse<T: std::str::FromStr>(&self, i: impl Column) -> Result<Option<T>, DbError>
    where
        T::Err: fmt::Display,
    {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.parse(i).map(Some),
        }
    }

    /// A JSON text column.
    pub fn json<T: serde::de::DeserializeOwned>(&self, i: impl Column) -> Result<T, DbError> {
        let s = self.text(i)?;
        serde_json::from_str(&s).map_err(|e| DbError::Decode(format!("column {i}: {e}")))
    }
}

/// The statements a transaction runs. Implemented by each backend's connection.
pub trait Sql {
    fn backend(&self) -> Backend;
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError>;
    /// The rows one at a time, as the database hands them over, each to `each` and then
    /// dropped: a read of many rows holds one of them, not all (the dashboard's history
    /// reads would otherwise hold a team's quarter of activities twice over).
    fn query_each(&mut self, sql: &str, params: &[Val], each: Each<'_>) -> Result<(), DbError>;
    /// Several statements without parameters (migrations, BEGIN/COMMIT).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;

    /// A statement whose row count nobody needs: PostgreSQL pipelines it ahead of the
    /// next statement; its error surfaces there, or at [`Sql::sync`].
    fn exec_later(&mut self, sql: &str, params: &[Val]) -> Result<(), DbError> {
        self.exec(sql, params).map(drop)
    }

    fn batch_later(&mut self, sql: &str) -> Result<(), DbError> {
        self.batch(sql)
    }

    /// Waits for everything queued by the `_later` methods.
    fn sync(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    /// Independent queries, answered in order: one round trip on PostgreSQL.
    fn query_many(&mut self, queries: &[(&str, &[Val])]) -> Result<Vec<Vec<Row>>, DbError> {
        queries.iter().map(|(sql, p)| self.query(sql, p)).collect()
    }

    fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Row, DbError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| DbError::Decode("expected one row, got none".into()))
    }
}

/// What [`Sql::query_each`] hands each row to; an error stops the read.
pub type Each<'a> = &'a mut dyn FnMut(Row) -> Result<(), DbError>;

/// A connection of either backend.
#[derive(Debug)]
pub enum Conn {
    Sqlite(sqlite::SqliteConn),
    Postgres(postgres::PgConn),
}

impl Sql for Conn {
    fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        match self {
            Conn::Sqlite(c) => c.exec(sql, params),
            Conn::Postgres(c) => c.exec(sql, params),
        }
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        match self {
            Conn::Sqlite(c) => c.query(sql, params),
            Conn::Postgres(c) => c.query(sql, params),
        }
    }
    fn query_each(&mut self, sql: &str, params: &[Val], each: Each<'_>) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.query_each(sql, params, each),
            Conn::Postgres(c) => c.query_each(sql, params, each),
        }
    }
    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.batch(sql),
            Conn::Postgres(c) => c.batch(sql),
        }
    }
    fn exec_later(&mut self, sql: &str, params: &[Val]) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.exec(sql, params).map(drop),
            Conn::Postgres(c) => c.exec_later(sql, params),
        }
    }
    fn batch_later(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.batch(sql),
            Conn::Postgres(c) => {
                c.batch_later(sql);
                Ok(())
            }
        }
    }
    fn sync(&mut self) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(c) => c.sync(),
        }
    }
    fn query_many(&mut self, queries: &[(&str, &[Val])]) -> Result<Vec<Vec<Row>>, DbError> {
        match self {
            Conn::Sqlite(c) => queries.iter().map(|(sql, p)| c.query(sql, p)).collect(),
            Conn::Postgres(c) => c.query_many(queries),
        }
    }
}

impl Conn {
    /// Whether a statement queued with a `_later` method failed since the last call.
    fn take_deferred_failure(&mut self) -> bool {
        match self {
            // SQLite runs every statement at once: its errors reach their own caller.
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.take_deferred_failure(),
        }
    }

    fn is_broken(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.is_closed(),
        }
    }
}

/// An open transaction. Writing transactions hold the server-seq counter from their start
/// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the counter row locked `FOR UPDATE`), so
/// writers are serialised and server seqs are handed out in commit order — a reader
/// never sees seq n+1 committed before seq n.
#[derive(Debug)]
pub struct Tx<'c> {
    conn: &'c mut Conn,
    /// (seq at the start, next free seq) for writing transactions.
    seq: Option<(i64, i64)>,
    /// The epoch, read once per transaction.
    epoch: Option<String>,
    /// Changelog rows, written in bulk at commit (nothing reads the changelog inside a
    /// writing transaction; this saves a round trip per change on PostgreSQL).
    changelog: Vec<Vec<Val>>,
}

/// Where a savepoint left the transaction's own state.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    next: Option<i64>,
    changelog: usize,
}

impl<'c> Tx<'c> {
    pub(crate) fn begin_write(conn: &'c mut Conn) -> Result<Self, DbError> {
        Self::begin_write_reading(conn, &[]).map(|(tx, _)| tx)
    }

    /// Opens a writing transaction and answers `reads`, run once the counter is held, in
    /// the same round trip.
    pub(crate) fn begin_write_reading(
        conn: &'c mut Conn,
        reads: &[(&str, &[Val])],
    ) -> Result<(Self, Vec<Vec<Row>>), DbError> {
        let lock = match conn.backend() {
            Backend::Sqlite => {
                conn.batch("BEGIN IMMEDIATE")?;
                ""
            }
            Backend::Postgres => {
                // Goes out in one round trip with the counter's read below.
                conn.batch_later("BEGIN ISOLATION LEVEL READ COMMITTED")?;
                " FOR UPDATE"
            }
        };
        let mut tx = Tx {
            conn,
            seq: None,
            epoch: None,
            changelog: Vec::new(),
        };
        // The epoch comes along in the same round trip: every push answers with it.
        let counter = format!("SELECT value FROM counters WHERE name = 'server_seq'{lock}");
        let mut queries: Vec<(&str, &[Val])> = vec![
            (counter.as_str(), &[]),
            ("SELECT value FROM meta WHERE key = 'epoch'", &[]),
        ];
        queries.extend_from_slice(reads);
        let head = tx.query_many(&queries).and_then(|answers| {
            let mut answers = answers.into_iter();
            let head = answers.next().and_then(|r| r.into_iter().next());
            let head = head
                .ok_or_else(|| DbError::Decode("no server_seq counter".into()))?
                .int(0)?;
            let epoch = answers.next().and_then(|r| r.into_iter().next());
            Ok((
                head,
                epoch.map(|r| r.text(0)).transpose()?,
                answers.collect(),
            ))
        });
        match head {
            Ok((head, epoch, answers)) => {
                tx.seq = Some((head, head + 1));
                tx.epoch = epoch;
                Ok((tx, answers))
            }
            Err(e) => {
                let _ = tx.conn.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub(crate) fn begin_read(conn: &'c mut Conn) -> Result<Self, DbError> {
        match conn.backend() {
            // The first read fixes the WAL snapshot for the rest of the transaction.
            Backend::Sqlite => conn.batch("BEGIN DEFERRED")?,
            Backend::Postgres => {
                conn.batch_later("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?
            }
        }
        Ok(Tx {
            conn,
            seq: None,
            epoch: None,
            changelog: Vec::new(),
        })
    }

    /// The next server seq, for a changelog entry or an accepted fact.
    pub fn next_seq(&mut self) -> Result<i64, DbError> {
        let (_, next) = self
            .seq
            .as_mut()
            .ok_or_else(|| DbError::Other("server seq asked for in a read transaction".into()))?;
        let s = *next;
        *next += 1;
        Ok(s)
    }

    /// The last server seq committed (or allocated in this transaction).
    pub fn head_seq(&mut self) -> Result<i64, DbError> {
        match self.seq {
            Some((_, next)) => Ok(next - 1),
            None => self
                .query_one("SELECT value FROM counters WHERE name = 'server_seq'", &[])?
                .int(0),
        }
    }

    /// The server's epoch (changes only when a backup is restored).
    pub fn epoch(&mut self) -> Result<String, DbError> {
        if let Some(e) = &self.epoch {
            return Ok(e.clone());
        }
        let e = pool::epoch(self)?;
        self.epoch = Some(e.clone());
        Ok(e)
    }

    pub(crate) fn take_deferred_failure(&mut self) -> bool {
        self.conn.take_deferred_failure()
    }

    /// Queues a changelog row (the rules' `changelog` module builds it); the rows get
    /// their sequence numbers and are written at commit, in order.
    pub fn log_change(&mut self, row: Vec<Val>) {
        self.changelog.push(row);
    }

    /// A savepoint: the group commit runs each caller's work inside one, so one caller's
    /// failure undoes only its own effects. After the first, it also moves the savepoint past the previous
    /// caller's work (one round trip per caller instead of two).
    pub(crate) fn savepoint(&mut self, first: bool) -> Result<Mark, DbError> {
        self.conn.batch_later(if first {
            "SAVEPOINT job"
        } else {
            "RELEASE SAVEPOINT job; SAVEPOINT job"
        })?;
        Ok(Mark {
            next: self.seq.map(|s| s.1),
            changelog: self.changelog.len(),
        })
    }

    /// Undoes everything since the savepoint (which stays in place).
    pub(crate) fn rollback_to(&mut self, mark: Mark) -> Result<(), DbError> {
        self.conn.batch("ROLLBACK TO SAVEPOINT job")?;
        if let (Some(seq), Some(next)) = (self.seq.as_mut(), mark.next) {
            seq.1 = next;
        }
        self.changelog.truncate(mark.changelog);
        Ok(())
    }

    pub(crate) fn commit(mut self) -> Result<(), DbError> {
        let out = self.finish();
        if out.is_err() {
            let _ = self.conn.batch("ROLLBACK");
        }
        out
    }

    fn finish(&mut self) -> Result<(), DbError> {
        let rows = std::mem::take(&mut self.changelog);
        insert_many(
            self,
            "changelog (seq, bucket, tbl, row_id, op, data)",
            6,
            rows,
        )?;
        if let Some((start, next)) = self.seq
            && next - 1 != start
        {
            self.exec_later(
                "UPDATE counters SET value = $1 WHERE name = 'server_seq'",
                crate::params![next - 1],
            )?;
        }
        if self.backend() == Backend::Postgres {
            // A PostgreSQL transaction that failed unnoticed answers COMMIT with a silent
            // ROLLBACK; a statement queued ahead of it fails loudly instead.
            self.exec_later("SELECT 1", &[])?;
        }
        self.conn.batch("COMMIT")
    }

    pub(crate) fn rollback(self) {
        // Queued on PostgreSQL: it goes out ahead of the connection's next use.
        let _ = self.conn.batch_later("ROLLBACK");
    }
}

/// Inserts rows of `ncols` values with multi-row `INSERT`s (chunks of 64 rows, so the
/// cached statements stay few).
pub fn insert_many(
    tx: &mut dyn Sql,
    table_and_columns: &str,
    ncols: usize,
    rows: Vec<Vec<Val>>,
) -> Result<(), DbError> {
    for chunk in rows.chunks(64) {
        let values = (0..chunk.len())
            .map(|r| format!("({})", placeholders(r * ncols + 1, ncols)))
            .collect::<Vec<_>>()
            .join(", ");
        let params: Vec<Val> = chunk.iter().flatten().cloned().collect();
        tx.exec_later(
            &format!("INSERT INTO {table_and_columns} VALUES {values}"),
            &params,
        )?;
    }
    Ok(())
}

impl Sql for Tx<'_> {
    fn backend(&self) -> Backend {
        self.conn.backend()
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        self.conn.exec(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        self.conn.query(sql, params)
    }
    fn query_each(&mut self, sql: &str, params: &[Val], each: Each<'_>) -> Result<(), DbError> {
        self.conn.query_each(sql, params, each)
    }
    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.batch(sql)
    }
    fn exec_later(&mut self, sql: &str, params: &[Val]) -> Result<(), DbError> {
        self.conn.exec_later(sql, params)
    }
    fn batch_later(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.batch_later(sql)
    }
    fn sync(&mut self) -> Result<(), DbError> {
        self.conn.sync()
    }
    fn query_many(&mut self, queries: &[(&str, &[Val])]) -> Result<Vec<Vec<Row>>, DbError> {
        self.conn.query_many(queries)
    }
}

/// `$1, $2 …` for a list of `n` values starting at `$first`.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod row_tests {
    use super::*;

    fn row() -> Row {
        Row::new(
            ["id", "Name", "active"].map(String::from).into(),
            vec![Val::Text("a1".into()), Val::Null, Val::Int(1)],
        )
    }

    #[test]
    fn a_row_decodes_by_name_or_position() {
        let r = row();
        assert_eq!(r.text("id").unwrap(), "a1");
        assert_eq!(r.text(0).unwrap(), "a1");
        assert_eq!(r.opt_text("name").unwrap(), None, "names match in any case");
        assert_eq!(r.int("ACTIVE").unwrap(), 1);
        let e = r.text("missing").unwrap_err().to_string();
        assert!(e.contains("no column named missing"), "{e}");
        assert!(r.int(7).is_err());
        assert!(r.int("id").is_err(), "text is not an integer");
    }
}

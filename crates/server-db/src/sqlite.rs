//! SQLite through rusqlite: WAL, `synchronous=FULL` (with WAL and NORMAL a committed
//! transaction can vanish on power loss), foreign keys on, and a busy timeout. The group
//! commit runs each push in a savepoint: its statement journal stays in memory
//! (`temp_store`). A reader keeps 4 MiB of page cache: what it reads again is in the
//! operating system's cache anyway, and eight connections' private caches were most of
//! the server's live heap. The writer keeps more (see `Db::new_writer_conn`).

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{DbError, Each, Row, Val};

pub struct SqliteConn {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for SqliteConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteConn").finish_non_exhaustive()
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Val::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

/// `$1` → `?1`: the statements are written in PostgreSQL's placeholder style.
fn rewrite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl SqliteConn {
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -4096;",
        )?;
        conn.set_prepared_statement_cache_capacity(128);
        Ok(SqliteConn { conn })
    }

    pub fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        let mut stmt = self.conn.prepare_cached(&rewrite(sql))?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(n as u64)
    }

    pub fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut out = Vec::new();
        self.query_each(sql, params, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    pub fn query_each(&mut self, sql: &str, params: &[Val], each: Each<'_>) -> Result<(), DbError> {
        let mut stmt = self.conn.prepare_cached(&rewrite(sql))?;
        let cols = stmt.column_count();
        let names: std::sync::Arc<[String]> = stmt.column_names().map(str::to_owned).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(cols);
            for i in 0..cols {
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Real(v),
                    ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Val::Text(String::from_utf8_lossy(b).into_owned()),
                });
            }
            each(Row::new(names.clone(), vals))?;
        }
        Ok(())
    }

    pub fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_become_sqlite_numbered_parameters() {
        assert_eq!(
            super::rewrite("SELECT $1, $12 FROM t WHERE a = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = ?2"
        );
    }
}

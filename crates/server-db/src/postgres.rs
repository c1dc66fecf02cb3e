//! PostgreSQL through tokio-postgres, driven from the blocking pool with
//! `Handle::block_on` (the connection task runs on the runtime). The blocking `postgres`
//! facade cannot be used there: it starts a runtime of its own, which tokio forbids inside
//! another. Statements are cached per connection (each `query(&str)` would otherwise cost
//! an extra round trip to prepare).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use bytes::BytesMut;
use tokio::runtime::Handle;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, Statement};

use super::{DbError, Each, Row, Val};

pub struct PgConn {
    client: Client,
    rt: Handle,
    statements: HashMap<String, Statement>,
    /// Statements whose answer nobody waits for: sent pipelined, in order, ahead of the
    /// next statement that is waited for (one round trip instead of many).
    later: Vec<Later>,
    /// A queued statement failed (its error was answered to whichever statement was
    /// waited for next): the group commit must not pin that on the write it answered.
    deferred_failed: bool,
}

enum Later {
    Exec(Statement, Vec<Val>),
    Batch(String),
}

type PgFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, tokio_postgres::Error>> + Send + 'a>>;

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").finish_non_exhaustive()
    }
}

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Real(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Text(v) => v.as_str().to_sql(ty, out),
        }
    }

    // The value decides its encoding above; a mismatch surfaces as a database error.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The runtime that drives every PostgreSQL socket: one worker thread of its own, so a
/// busy HTTP runtime never delays a database round trip (writers hold the server-seq
/// lock across their round trips, so their latency is everyone's).
pub fn io_runtime() -> Result<Handle, DbError> {
    static RT: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rounds-pg-io")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map(|rt| rt.handle().clone())
    .map_err(|e| DbError::Other(format!("postgres runtime: {e}")))
}

impl PgConn {
    /// Connects; call from a blocking thread (never from an async task).
    pub fn connect(url: &str, schema: Option<&str>) -> Result<Self, DbError> {
        let rt = io_runtime()?;
        let (client, connection) = rt.block_on(tokio_postgres::connect(url, NoTls))?;
        rt.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "postgres connection closed");
            }
        });
        if let Some(schema) = schema {
            // The schema name comes from configuration, never from a request.
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            rt.block_on(client.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {quoted}; SET search_path TO {quoted}"
            )))?;
        }
        Ok(PgConn {
            client,
            rt,
            statements: HashMap::new(),
            later: Vec::new(),
            deferred_failed: false,
        })
    }

    /// Whether a queued statement failed since the last call.
    pub fn take_deferred_failure(&mut self) -> bool {
        std::mem::take(&mut self.deferred_failed)
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.rt.block_on(self.client.prepare(sql))?;
        if self.statements.len() > 256 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Sends the deferred statements, then `last`, all pipelined; answers `last`'s result,
    /// or the first deferred statement's error.
    fn run<T>(
        &mut self,
        last: impl for<'a> FnOnce(&'a Client) -> PgFuture<'a, T>,
    ) -> Result<T, DbError> {
        let later = std::mem::take(&mut self.later);
        let client = &self.client;
        let (deferred, out) = self.rt.block_on(async move {
            let mut futs: Vec<PgFuture<'_, ()>> = later
                .iter()
                .map(|l| -> PgFuture<'_, ()> {
                    match l {
                        Later::Exec(stmt, params) => Box::pin(async move {
                            let refs: Vec<&(dyn ToSql + Sync)> =
                                params.iter().map(|p| p as _).collect();
                            client.execute(stmt, &refs).await.map(drop)
                        }),
                        Later::Batch(sql) => Box::pin(client.batch_execute(sql)),
                    }
                })
                .collect();
            let mut done: Vec<Option<Result<(), tokio_postgres::Error>>> =
                futs.iter().map(|_| None).collect();
            let mut last = last(client);
            let mut out = None;
            // Each future is first polled in order, so the requests go out in order.
            std::future::poll_fn(|cx| {
                let mut pending = false;
                for (f, d) in futs.iter_mut().zip(done.iter_mut()) {
                    if d.is_none() {
                        match f.as_mut().poll(cx) {
                            Poll::Ready(r) => *d = Some(r),
                            Poll::Pending => pending = true,
                        }
                    }
                }
                if out.is_none() {
                    match last.as_mut().poll(cx) {
                        Poll::Ready(r) => out = Some(r),
                        Poll::Pending => pending = true,
                    }
                }
                if pending {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            let deferred = done.into_iter().flatten().find_map(Result::err);
            (deferred, out)
        });
        if let Some(e) = deferred {
            self.deferred_failed = true;
            return Err(e.into());
        }
        match out {
            Some(r) => Ok(r?),
            None => Err(DbError::Other("a pipelined statement was not run".into())),
        }
    }

    pub fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        let stmt = self.statement(sql)?;
        let params = params.to_vec();
        self.run(move |c| {
            Box::pin(async move {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                c.execute(&stmt, &refs).await
            })
        })
    }

    /// Queues a statement whose result nobody waits for (its error surfaces at the next
    /// statement that is waited for).
    pub fn exec_later(&mut self, sql: &str, params: &[Val]) -> Result<(), DbError> {
        let stmt = self.statement(sql)?;
        self.later.push(Later::Exec(stmt, params.to_vec()));
        Ok(())
    }

    pub fn batch_later(&mut self, sql: &str) {
        self.later.push(Later::Batch(sql.to_owned()));
    }

    /// Sends whatever is queued and waits for it.
    pub fn sync(&mut self) -> Result<(), DbError> {
        if self.later.is_empty() {
            return Ok(());
        }
        self.run(|_| Box::pin(async { Ok(()) }))
    }

    pub fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let params = params.to_vec();
        let rows = self.run(move |c| {
            Box::pin(async move {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                c.query(&stmt, &refs).await
            })
        })?;
        convert(&rows)
    }

    /// Rows as they arrive: the connection hands them over through a bounded channel, so
    /// at most a few are held at once. Whatever is queued is sent (and waited for) first.
    pub fn query_each(&mut self, sql: &str, params: &[Val], each: Each<'_>) -> Result<(), DbError> {
        use futures_util::TryStreamExt;
        let stmt = self.statement(sql)?;
        self.sync()?;
        let client = &self.client;
        self.rt.block_on(async move {
            let rows = client.query_raw(&stmt, params.iter()).await?;
            let mut rows = std::pin::pin!(rows);
            let mut names = None;
            while let Some(r) = rows.try_next().await? {
                let names = names.get_or_insert_with(|| names_of(&r));
                each(convert_row(&r, names)?)?;
            }
            Ok(())
        })
    }

    /// Several queries in one round trip (pipelined behind whatever is queued).
    pub fn query_many(&mut self, queries: &[(&str, &[Val])]) -> Result<Vec<Vec<Row>>, DbError> {
        let prepared = queries
            .iter()
            .map(|(sql, params)| Ok((self.statement(sql)?, params.to_vec())))
            .collect::<Result<Vec<_>, DbError>>()?;
        let answers = self.run(move |c| {
            Box::pin(async move {
                let mut futs: Vec<PgFuture<'_, Vec<tokio_postgres::Row>>> = prepared
                    .iter()
                    .map(|(stmt, params)| -> PgFuture<'_, Vec<tokio_postgres::Row>> {
                        Box::pin(async move {
                            let refs: Vec<&(dyn ToSql + Sync)> =
                                params.iter().map(|p| p as _).collect();
                            c.query(stmt, &refs).await
                        })
                    })
                    .collect();
                let mut out: Vec<Option<Result<Vec<tokio_postgres::Row>, _>>> =
                    futs.iter().map(|_| None).collect();
                // Polled in order, so the requests go out in order.
                std::future::poll_fn(|cx| {
                    let mut pending = false;
                    for (f, o) in futs.iter_mut().zip(out.iter_mut()) {
                        if o.is_none() {
                            match f.as_mut().poll(cx) {
                                Poll::Ready(r) => *o = Some(r),
                                Poll::Pending => pending = true,
                            }
                        }
                    }
                    if pending {
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await;
                out.into_iter().flatten().collect::<Result<Vec<_>, _>>()
            })
        })?;
        answers.iter().map(|rows| convert(rows)).collect()
    }

    pub fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        let sql = sql.to_owned();
        self.run(move |c| Box::pin(async move { c.batch_execute(&sql).await }))
    }
}

fn convert(rows: &[tokio_postgres::Row]) -> Result<Vec<Row>, DbError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let names = names_of(first);
    rows.iter().map(|r| convert_row(r, &names)).collect()
}

fn names_of(r: &tokio_postgres::Row) -> std::sync::Arc<[String]> {
    r.columns().iter().map(|c| c.name().to_owned()).collect()
}

fn convert_row(r: &tokio_postgres::Row, names: &std::sync::Arc<[String]>) -> Result<Row, DbError> {
    (0..r.len())
        .map(|i| {
            let ty = r.columns()[i].type_().clone();
            Ok(match ty {
                Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Val::Null, Val::Int),
                Type::INT4 => r
                    .try_get::<_, Option<i32>>(i)?
                    .map_or(Val::Null, |v| Val::Int(v.into())),
                Type::INT2 => r
                    .try_get::<_, Option<i16>>(i)?
                    .map_or(Val::Null, |v| Val::Int(v.into())),
                Type::BOOL => r
                    .try_get::<_, Option<bool>>(i)?
                    .map_or(Val::Null, |v| Val::Int(v.into())),
                Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map_or(Val::Null, Val::Real),
                Type::FLOAT4 => r
                    .try_get::<_, Option<f32>>(i)?
                    .map_or(Val::Null, |v| Val::Real(v.into())),
                Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => r
                    .try_get::<_, Option<String>>(i)?
                    .map_or(Val::Null, Val::Text),
                other => {
                    return Err(DbError::Decode(format!(
                        "column {i}: unsupported type {other}"
                    )));
                }
            })
        })
        .collect::<Result<Vec<_>, DbError>>()
        .map(|vals| Row::new(names.clone(), vals))
}

//! The pool's connections on their own threads, and rows streamed to the reader: a read
//! stopped part-way or a job that panics leaves the pool answering, on both backends.

use rounds_server_db::{Db, DbError, Sql as _, Val};

/// A pool of one connection over a table of 1..=1000.
async fn numbers(url: &str, schema: Option<&str>) -> Db {
    let db = Db::open(url, schema, 1).await.expect("the database opens");
    db.with_conn(|c| {
        c.batch("DROP TABLE IF EXISTS numbers; CREATE TABLE numbers (n BIGINT NOT NULL)")?;
        for n in 1..=1000_i64 {
            c.exec("INSERT INTO numbers (n) VALUES ($1)", &[Val::Int(n)])?;
        }
        Ok::<_, DbError>(())
    })
    .await
    .unwrap();
    db
}

async fn streams_and_survives(db: &Db) {
    // Every row reaches the reader, in order.
    let all = db
        .read(|tx| {
            let mut seen = Vec::new();
            tx.query_each("SELECT n FROM numbers ORDER BY n", &[], &mut |r| {
                seen.push(r.int(0)?);
                Ok(())
            })?;
            Ok::<_, DbError>(seen)
        })
        .await
        .unwrap();
    assert_eq!(all, (1..=1000).collect::<Vec<_>>());

    // An error from the reader stops the read there and is the read's answer.
    let (calls, err) = db
        .read(|tx| {
            let mut calls = 0;
            let err = tx
                .query_each("SELECT n FROM numbers ORDER BY n", &[], &mut |_| {
                    calls += 1;
                    if calls == 10 {
                        Err(DbError::Decode("enough".into()))
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            // The same transaction still answers after the abandoned read.
            let n = tx
                .query_one("SELECT COUNT(*) AS n FROM numbers", &[])?
                .int("n")?;
            Ok::<_, DbError>((calls, (err.to_string(), n)))
        })
        .await
        .unwrap();
    assert_eq!(calls, 10, "no row after the error reaches the reader");
    assert!(err.0.contains("enough"), "{}", err.0);
    assert_eq!(err.1, 1000);

    // A job that panics fails its caller; its connection's thread ends, and the pool (of
    // one) opens another for the next caller.
    let panicked = db
        .read(|_| -> Result<(), DbError> { panic!("a bug in a page") })
        .await
        .unwrap_err();
    assert!(
        panicked.to_string().contains("database task failed"),
        "{panicked}"
    );
    let n = db
        .read(|tx| {
            tx.query_one("SELECT COUNT(*) AS n FROM numbers", &[])?
                .int("n")
        })
        .await
        .unwrap();
    assert_eq!(n, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_streams_rows_and_survives_a_stopped_read_and_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("pool.db").display().to_string();
    let db = numbers(&url, None).await;
    streams_and_survives(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set ROUNDS_TEST_POSTGRES_URL, run with --include-ignored"]
async fn postgres_streams_rows_and_survives_a_stopped_read_and_a_panic() {
    let url = std::env::var("ROUNDS_TEST_POSTGRES_URL")
        .expect("a PostgreSQL test was run without ROUNDS_TEST_POSTGRES_URL");
    let schema = format!("rounds_test_{}", uuid::Uuid::new_v4().simple());
    let db = numbers(&url, Some(&schema)).await;
    streams_and_survives(&db).await;
}

//! Both backends end with the same schema: the one set of migrations, applied to SQLite and
//! to PostgreSQL, gives the same tables with the same columns of the same types, and the
//! same indexes.

use std::collections::BTreeSet;

use rounds_server_db::{Db, DbError, Row, Sql as _};

/// (table, column, type) triples, types in lower case ("bigint", "text", …).
type Columns = BTreeSet<(String, String, String)>;

/// The one column of each row.
fn names(rows: Vec<Row>) -> Result<BTreeSet<String>, DbError> {
    rows.iter().map(|r| r.text(0)).collect()
}

async fn sqlite_schema() -> (Columns, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("schema.db").display().to_string();
    let db = Db::open(&url, None, 2)
        .await
        .expect("SQLite opens and migrates");
    db.read(|tx| {
        let mut columns = Columns::new();
        let tables = tx.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
        )?;
        for t in tables {
            let table = t.text(0)?;
            for c in tx.query(
                "SELECT name, type FROM pragma_table_info($1)",
                rounds_server_db::params![table.clone()],
            )? {
                columns.insert((
                    table.clone(),
                    c.text("name")?,
                    c.text("type")?.to_lowercase(),
                ));
            }
        }
        let indexes = names(tx.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            &[],
        )?)?;
        Ok::<_, DbError>((columns, indexes))
    })
    .await
    .unwrap()
}

async fn postgres_schema(url: &str) -> (Columns, BTreeSet<String>) {
    let schema = format!("rounds_test_{}", uuid::Uuid::new_v4().simple());
    let db = Db::open(url, Some(&schema), 2)
        .await
        .expect("PostgreSQL opens and migrates");
    db.read(move |tx| {
        let mut columns = Columns::new();
        for c in tx.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns
             WHERE table_schema = $1",
            rounds_server_db::params![schema.clone()],
        )? {
            columns.insert((
                c.text("table_name")?,
                c.text("column_name")?,
                c.text("data_type")?.to_lowercase(),
            ));
        }
        // Unique and primary-key constraints are indexes in SQLite's list only when
        // written as CREATE INDEX; compare those.
        let indexes = names(tx.query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = $1
             AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
            rounds_server_db::params![schema.clone()],
        )?)?;
        Ok::<_, DbError>((columns, indexes))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_has_the_schema_the_migrations_describe() {
    let (columns, indexes) = sqlite_schema().await;
    for table in [
        "accounts",
        "activities",
        "changelog",
        "devices",
        "users",
        "quotas",
    ] {
        assert!(
            columns.iter().any(|(t, _, _)| t == table),
            "{table} exists: {columns:?}"
        );
    }
    assert!(!indexes.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set ROUNDS_TEST_POSTGRES_URL, run with --include-ignored"]
async fn both_backends_end_with_the_same_schema_on_postgres() {
    let url = std::env::var("ROUNDS_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("a PostgreSQL test was run without ROUNDS_TEST_POSTGRES_URL");
    let (sqlite, sqlite_indexes) = sqlite_schema().await;
    let (postgres, postgres_indexes) = postgres_schema(&url).await;
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "columns differ:\n only SQLite: {only_sqlite:?}\n only PostgreSQL: {only_postgres:?}"
    );
    assert_eq!(sqlite_indexes, postgres_indexes, "the same indexes");
}

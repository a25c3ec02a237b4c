//! Both backends' migrations must describe the same tables and columns.

use crate::harness::{Backend, FreshDatabase, postgres_available};
use sqlx::Row;
use std::collections::BTreeSet;
use tend_store::{Store, StoreOptions};

async fn columns(backend: Backend) -> BTreeSet<(String, String)> {
    let db = FreshDatabase::new(backend).await;
    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    use sqlx::Connection;
    let mut set = BTreeSet::new();
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let tables = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%' AND name NOT LIKE '_sqlx%'")
                .fetch_all(&mut conn).await.unwrap();
            for t in tables {
                let name: String = t.get("name");
                let cols = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{name}')"
                )))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for c in cols {
                    set.insert((name.clone(), c.get::<String, _>("name")));
                }
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let rows = sqlx::query("SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' AND column_name <> 'search_vector'")
                .fetch_all(&mut conn).await.unwrap();
            for r in rows {
                set.insert((r.get("t"), r.get("c")));
            }
        }
    }
    set
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_agree() {
    if !postgres_available() {
        return;
    }
    let sqlite = columns(Backend::Sqlite).await;
    let postgres = columns(Backend::Postgres).await;
    assert!(sqlite.len() > 50, "read the SQLite schema: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_postgres:?}"
    );
}

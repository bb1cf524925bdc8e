//! PostgreSQL for tests: `DUIJIE_TEST_PG` names a server (a base URL such as
//! `postgres://postgres@127.0.0.1/postgres`; `.ci/postgres.sh` starts one in CI), and
//! each test gets a fresh database of its own, dropped when the test ends. Without the
//! variable, PostgreSQL tests print a notice and return.

use duijie::app::{App, Paths};
use sqlx::{AssertSqlSafe, Connection};
// Database names below are made here (hex digits and underscores), never from input.
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's base URL, if PostgreSQL tests should run.
pub fn pg_url() -> Option<String> {
    std::env::var("DUIJIE_TEST_PG")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A database made for one test; dropped (connections and all) when this is dropped.
pub struct PgDb {
    /// The database's URL.
    pub url: String,
    name: String,
    base: String,
}

impl PgDb {
    /// A fresh, uniquely named database, or `None` (with a notice on stderr naming `test`)
    /// when `DUIJIE_TEST_PG` is not set.
    pub async fn create(test: &str) -> Option<PgDb> {
        let Some(base) = pg_url() else {
            eprintln!("NOTICE: DUIJIE_TEST_PG not set; skipping PostgreSQL test {test}");
            return None;
        };
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!(
            "duijie_test_{:x}_{:x}_{}",
            std::process::id(),
            nanos & 0xffff_ffff_ffff,
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("DUIJIE_TEST_PG={base}: cannot connect: {e}"));
        // A natural-language collation, as many production databases have, so ordering
        // that silently depends on the collation shows up here; plain when ICU is absent.
        let icu = format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
        );
        if sqlx::raw_sql(AssertSqlSafe(icu))
            .execute(&mut admin)
            .await
            .is_err()
        {
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
        }
        admin.close().await.ok();
        let mut url = reqwest::Url::parse(&base).expect("DUIJIE_TEST_PG is a URL");
        url.set_path(&format!("/{name}"));
        Some(PgDb {
            url: url.to_string(),
            name,
            base,
        })
    }

    /// Paths for an application on this database with its own data directory.
    pub fn paths(&self, data_dir: &Path) -> Paths {
        Paths {
            data_dir: data_dir.to_path_buf(),
            database_url: Some(self.url.clone()),
            models_dir: None,
        }
    }

    /// Opens an application on this database with its own data directory.
    pub async fn app(&self, data_dir: &Path) -> App {
        App::open(&self.paths(data_dir))
            .await
            .expect("app opens on PostgreSQL")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                    admin.close().await.ok();
                }
            })
        })
        .join();
        if done.is_err() {
            eprintln!("NOTICE: test database {} was not dropped", self.name);
        }
    }
}

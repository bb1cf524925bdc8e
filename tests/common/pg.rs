//! PostgreSQL for tests: `DUIJIE_TEST_PG` names a server (a base URL with a user allowed
//! to create databases; `.ci/postgres.sh` starts one in CI and exports it), and
//! each test gets a fresh database of its own, dropped when the test ends. Without the
//! variable, PostgreSQL tests show as ignored, with the reason, in `cargo test`'s own
//! summary: the test files that use this run under their own harness (`harness = false`
//! in Cargo.toml, libtest-mimic) because the built-in one cannot ignore a test at run time.

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
    /// A fresh, uniquely named database, or `None` when `DUIJIE_TEST_PG` is not set.
    pub async fn create() -> Option<PgDb> {
        let base = pg_url()?;
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

/// Why PostgreSQL tests are ignored on this machine, or `None` when they run.
pub fn skip_reason() -> Option<&'static str> {
    pg_url()
        .is_none()
        .then_some("needs PostgreSQL: set DUIJIE_TEST_PG (.ci/postgres.sh starts one)")
}

/// Runs `test` on a fresh database in a Tokio runtime of the given flavour.
pub fn run_on_fresh_db<F, Fut>(multi_thread: bool, test: F) -> Result<(), libtest_mimic::Failed>
where
    F: FnOnce(PgDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| format!("tokio runtime: {e}"))?;
    rt.block_on(async {
        let db = PgDb::create()
            .await
            .ok_or("DUIJIE_TEST_PG is not set (run with it, or without --ignored)")?;
        test(db).await;
        Ok(())
    })
}

/// One PostgreSQL test as a libtest-mimic trial: ignored, with the reason shown as its
/// kind, when PostgreSQL is not available.
#[allow(unused_macros)] // used by the PostgreSQL test files only
macro_rules! trial {
    ($test:ident, $flavour:ident) => {{
        let trial = libtest_mimic::Trial::test(stringify!($test), || {
            common::pg::run_on_fresh_db(stringify!($flavour) == "multi", $test)
        });
        match common::pg::skip_reason() {
            Some(reason) => trial.with_ignored_flag(true).with_kind(reason),
            None => trial,
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use trial;

/// Runs the trials with the command line `cargo test` passed (filters, `--ignored`, …).
pub fn run_trials(trials: Vec<libtest_mimic::Trial>) -> std::process::ExitCode {
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit_code()
}

//! The store: the system of record. Owns the sqlx pools (SQLite by default, PostgreSQL
//! when the URL says so), the embedded migrations, upserts and deletes of the four entity
//! kinds, feedback, and the change log — every change appends a row with a monotonic
//! sequence number in the same transaction, which is what the search index follows.
//! Knows nothing of tantivy, HTTP or ranking.
//!
//! SQL here is portable (`$N` placeholders, `ON CONFLICT … DO UPDATE`, `RETURNING`);
//! each statement is written once and compiled for both backends by [`on_db!`].

mod error;

pub use error::StoreError;
pub use trust::{ApiKey, AuditEntry};

use crate::domain::{Entity, EntityKind, Feedback, Record};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The database behind the store, chosen once at start-up.
#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store has.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

mod models;
mod trust;

/// The outcome of applying one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It was new.
    Inserted,
    /// It replaced a different version.
    Updated,
    /// It was identical to what was stored (nothing written, nothing logged).
    Unchanged,
}

/// A row of the change log, with the entity's current document (`None` when deleted).
#[derive(Debug, Clone)]
pub struct Change {
    /// Sequence number.
    pub seq: i64,
    /// Entity kind.
    pub kind: EntityKind,
    /// Entity id.
    pub id: String,
    /// The current record, or `None` if it no longer exists.
    pub doc: Option<String>,
}

/// Record counts.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Enterprises.
    pub enterprises: i64,
    /// Needs.
    pub needs: i64,
    /// Providers.
    pub providers: i64,
    /// Commissioners.
    pub commissioners: i64,
    /// Feedback events.
    pub feedback: i64,
}

/// A broker's claim on a lead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Claim {
    /// The need claimed.
    pub need_id: String,
    /// The broker holding it.
    pub broker_id: String,
    /// When (UTC, RFC 3339).
    pub claimed_at: String,
    /// Until when (UTC, RFC 3339).
    pub expires_at: String,
}

impl From<(String, String, String, String)> for Claim {
    fn from(
        (need_id, broker_id, claimed_at, expires_at): (String, String, String, String),
    ) -> Claim {
        Claim {
            need_id,
            broker_id,
            claimed_at,
            expires_at,
        }
    }
}

/// Narrows an entity list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Needs of this enterprise.
    pub enterprise_id: Option<String>,
    /// Needs in this status.
    pub status: Option<String>,
}

/// The store handle; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// One writer at a time: keeps the change log's order equal to commit order and
    /// avoids SQLite's lock upgrades failing under concurrent writers. Across processes,
    /// SQLite's own write lock does the same; on PostgreSQL see [`CHANGE_LOG_LOCK`].
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The PostgreSQL advisory lock every transaction that appends to the change log takes
/// first (`pg_advisory_xact_lock`, held until commit or rollback). A `BIGSERIAL` hands out
/// numbers when rows are inserted, not when transactions commit, so two processes writing
/// at once could commit seq 11 before seq 10, and a follower reading `seq > last` after
/// seeing 11 would skip 10 for ever. Under this lock one writer at a time, across every
/// process on the database, takes numbers and commits, so commit order is seq order.
/// (`0x6475696a6965` is "duijie" in ASCII.)
pub const CHANGE_LOG_LOCK: i64 = 0x6475_696a_6965;

/// Rows per multi-row statement (5–11 parameters each; well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 200;

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now formats as RFC 3339")
}

impl Store {
    /// Opens (creating if needed) the store at `url` (`sqlite:PATH` or `postgres://…`)
    /// and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("src/store/migrations/postgres")
                .run(&pool)
                .await?;
            Db::Postgres(pool)
        } else {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // In-memory SQLite gives every connection its own database: keep one.
                .max_connections(if in_memory { 1 } else { 4 })
                .min_connections(if in_memory { 1 } else { 0 })
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(3600))
                })
                .connect_with(opts)
                .await?;
            sqlx::migrate!("src/store/migrations/sqlite")
                .run(&pool)
                .await?;
            Db::Sqlite(pool)
        };
        Ok(Store {
            db,
            write_lock: Default::default(),
        })
    }

    /// Opens the default SQLite file `duijie.db` in `dir` (created if missing).
    pub async fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::Io)?;
        let path = dir.join("duijie.db");
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    /// Which backend, for logs and stats: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Whether a transaction appending to the change log must first take
    /// [`CHANGE_LOG_LOCK`] (PostgreSQL; SQLite's write lock already orders writers).
    fn locks_change_log(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// How a transaction that reads and then writes begins. On SQLite, `BEGIN IMMEDIATE`
    /// takes the write lock up front (waiting up to the busy timeout): a deferred
    /// transaction that read first cannot upgrade once another connection (the audit log,
    /// a claim) has written meanwhile, and fails at once with "database is locked".
    fn begin_write(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    /// Applies records in one transaction: entities are upserted (identical ones are left
    /// alone), feedback is stored once per distinct event, and every real change is
    /// logged. Returns one outcome per input record, in order. Referential checks are the
    /// caller's (see `ingest`); this only writes.
    pub async fn apply(&self, records: &[Record]) -> Result<Vec<Applied>, StoreError> {
        let _writer = self.write_lock.lock().await;
        let at = now();
        // Later records win within a batch, as they would across batches.
        let mut keys: HashSet<(EntityKind, &str)> = HashSet::new();
        let mut fingerprints: Vec<Option<String>> = vec![None; records.len()];
        for (i, r) in records.iter().enumerate() {
            match r {
                Record::Entity(e) => {
                    keys.insert((e.kind(), e.id().as_str()));
                }
                Record::Feedback(f) => fingerprints[i] = Some(f.fingerprint()),
            }
        }
        let mut docs: Vec<Option<String>> = vec![None; records.len()];
        for (i, r) in records.iter().enumerate() {
            if let Record::Entity(e) = r {
                docs[i] = Some(e.to_json().to_string());
            }
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            if self.locks_change_log() {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHANGE_LOG_LOCK).execute(&mut *tx).await?;
            }
            // What is stored now, for the entities in this batch.
            let mut existing: HashMap<(EntityKind, String), String> = HashMap::new();
            for kind in EntityKind::ALL {
                let ids: Vec<&str> = keys.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
                for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                    let mut q = QueryBuilder::new("SELECT id, doc FROM entities WHERE kind = ");
                    q.push_bind(kind.code()).push(" AND id IN (");
                    let mut sep = q.separated(", ");
                    for id in chunk { sep.push_bind(*id); }
                    sep.push_unseparated(")");
                    for row in q.build().fetch_all(&mut *tx).await? {
                        existing.insert((kind, row.try_get("id")?), row.try_get("doc")?);
                    }
                }
            }
            let mut outcome = vec![Applied::Unchanged; records.len()];
            let mut writes: Vec<usize> = Vec::new();
            for (i, r) in records.iter().enumerate() {
                let Record::Entity(e) = r else { continue };
                let key = (e.kind(), e.id().as_str());
                let doc = docs[i].as_deref().expect("entity docs were rendered");
                match existing.get(&(key.0, key.1.to_string())) {
                    Some(old) if old == doc => {}
                    Some(_) => outcome[i] = Applied::Updated,
                    None => outcome[i] = Applied::Inserted,
                }
                if outcome[i] != Applied::Unchanged {
                    // A later record in this batch replaces this one; the earlier is
                    // still counted, but only the last is written.
                    existing.insert((key.0, key.1.to_string()), doc.to_string());
                    writes.push(i);
                }
            }
            // Dedupe writes to one per key (the last), keeping order of first change.
            let mut written: HashSet<(EntityKind, &str)> = HashSet::new();
            let mut final_writes: Vec<usize> = Vec::new();
            for &i in writes.iter().rev() {
                let Record::Entity(e) = &records[i] else { continue };
                if written.insert((e.kind(), e.id().as_str())) { final_writes.push(i); }
            }
            final_writes.reverse();
            for chunk in final_writes.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new("INSERT INTO entities (kind, id, doc, parent_id, status, updated_at) ");
                q.push_values(chunk, |mut b, &i| {
                    let Record::Entity(e) = &records[i] else { unreachable!("only entities are written here") };
                    let (parent, status) = match e {
                        Entity::Need(n) => (Some(n.enterprise_id.to_string()), Some(n.status.code())),
                        _ => (None, None),
                    };
                    b.push_bind(e.kind().code())
                        .push_bind(e.id().to_string())
                        .push_bind(docs[i].clone().expect("rendered"))
                        .push_bind(parent)
                        .push_bind(status)
                        .push_bind(at.clone());
                });
                q.push(" ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, parent_id = excluded.parent_id, status = excluded.status, updated_at = excluded.updated_at");
                q.build().execute(&mut *tx).await?;
            }
            // Feedback: insert, skipping events already stored.
            let fb: Vec<usize> = (0..records.len()).filter(|&i| fingerprints[i].is_some()).collect();
            let mut inserted_fb: HashSet<String> = HashSet::new();
            for chunk in fb.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new("INSERT INTO feedback (fingerprint, need_id, provider_id, enterprise_id, commissioner_id, broker_id, event, actor, at, doc) ");
                q.push_values(chunk, |mut b, &i| {
                    let Record::Feedback(f) = &records[i] else { unreachable!("only feedback has fingerprints") };
                    let s = |x: &Option<crate::domain::Id>| x.as_ref().map(|v| v.to_string());
                    b.push_bind(fingerprints[i].clone().expect("set above"))
                        .push_bind(s(&f.need_id))
                        .push_bind(s(&f.provider_id))
                        .push_bind(s(&f.enterprise_id))
                        .push_bind(s(&f.commissioner_id))
                        .push_bind(s(&f.broker_id))
                        .push_bind(f.event.code())
                        .push_bind(f.actor.code())
                        .push_bind(f.at.clone())
                        .push_bind(serde_json::to_string(f).expect("feedback serialises"));
                });
                q.push(" ON CONFLICT (fingerprint) DO NOTHING RETURNING fingerprint");
                for row in q.build().fetch_all(&mut *tx).await? {
                    inserted_fb.insert(row.try_get("fingerprint")?);
                }
            }
            for &i in &fb {
                let fp = fingerprints[i].as_ref().expect("set above");
                if inserted_fb.remove(fp) {
                    outcome[i] = Applied::Inserted;
                }
            }
            // The change log, in record order.
            let logged: Vec<(&str, String, &str)> = records.iter().enumerate().filter_map(|(i, r)| match (r, outcome[i]) {
                (_, Applied::Unchanged) => None,
                (Record::Entity(e), _) => Some((e.kind().code(), e.id().to_string(), "upsert")),
                (Record::Feedback(_), _) => Some(("feedback", fingerprints[i].clone().expect("set"), "insert")),
            }).collect();
            for chunk in logged.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new("INSERT INTO changes (kind, entity_id, op, at) ");
                q.push_values(chunk, |mut b, (kind, id, op)| {
                    b.push_bind(*kind).push_bind(id.clone()).push_bind(*op).push_bind(at.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// One entity, if it exists.
    pub async fn get(&self, kind: EntityKind, id: &str) -> Result<Option<Entity>, StoreError> {
        let doc: Option<String> = on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT doc FROM entities WHERE kind = $1 AND id = $2")
                .bind(kind.code())
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        doc.map(|d| Entity::from_stored(kind, &d).map_err(StoreError::Corrupt))
            .transpose()
    }

    /// Several entities of one kind; missing ids are simply absent from the answer.
    pub async fn get_many(
        &self,
        kind: EntityKind,
        ids: &[&str],
    ) -> Result<HashMap<String, Entity>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<(String, String)> = on_db!(&self.db, pool => {
                let mut q = QueryBuilder::new("SELECT id, doc FROM entities WHERE kind = ");
                q.push_bind(kind.code()).push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in chunk { sep.push_bind(*id); }
                sep.push_unseparated(")");
                q.build_query_as().fetch_all(pool).await?
            });
            for (id, doc) in rows {
                out.insert(
                    id,
                    Entity::from_stored(kind, &doc).map_err(StoreError::Corrupt)?,
                );
            }
        }
        Ok(out)
    }

    /// Which of `ids` exist as `kind`.
    pub async fn existing_ids(
        &self,
        kind: EntityKind,
        ids: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = on_db!(&self.db, pool => {
                let mut q = QueryBuilder::new("SELECT id FROM entities WHERE kind = ");
                q.push_bind(kind.code()).push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in chunk { sep.push_bind(*id); }
                sep.push_unseparated(")");
                q.build_query_scalar().fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Deletes an entity. Returns `false` if it did not exist. An enterprise that still
    /// has needs is not deleted ([`StoreError::HasDependents`]).
    pub async fn delete(&self, kind: EntityKind, id: &str) -> Result<bool, StoreError> {
        let _writer = self.write_lock.lock().await;
        let at = now();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            if self.locks_change_log() {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHANGE_LOG_LOCK).execute(&mut *tx).await?;
            }
            if kind == EntityKind::Enterprise {
                let needs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE kind = 'need' AND parent_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if needs > 0 {
                    return Err(StoreError::HasDependents { id: id.to_string(), needs });
                }
            }
            let gone = sqlx::query("DELETE FROM entities WHERE kind = $1 AND id = $2")
                .bind(kind.code())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone > 0 {
                sqlx::query("INSERT INTO changes (kind, entity_id, op, at) VALUES ($1, $2, 'delete', $3)")
                    .bind(kind.code())
                    .bind(id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(gone > 0)
        })
    }

    /// A page of entities of one kind in id order, after `cursor` (an id).
    pub async fn list(
        &self,
        kind: EntityKind,
        filter: &ListFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Entity>, StoreError> {
        let docs: Vec<String> = on_db!(&self.db, pool => {
            let mut q = QueryBuilder::new("SELECT doc FROM entities WHERE kind = ");
            q.push_bind(kind.code());
            if let Some(c) = cursor { q.push(" AND id > ").push_bind(c.to_string()); }
            if let Some(e) = &filter.enterprise_id { q.push(" AND parent_id = ").push_bind(e.clone()); }
            if let Some(s) = &filter.status { q.push(" AND status = ").push_bind(s.clone()); }
            q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
            q.build_query_scalar().fetch_all(pool).await?
        });
        docs.iter()
            .map(|d| Entity::from_stored(kind, d).map_err(StoreError::Corrupt))
            .collect()
    }

    /// Every entity of one kind matching the filter, read page by page.
    pub async fn list_all(
        &self,
        kind: EntityKind,
        filter: &ListFilter,
    ) -> Result<Vec<Entity>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list(kind, filter, cursor.as_deref(), 5_000).await?;
            let Some(last) = page.last() else {
                return Ok(out);
            };
            cursor = Some(last.id().to_string());
            out.extend(page);
        }
    }

    /// Ids of the needs that are closed.
    pub async fn closed_need_ids(&self) -> Result<Vec<String>, StoreError> {
        let filter = ListFilter {
            enterprise_id: None,
            status: Some("closed".to_string()),
        };
        Ok(self
            .list_all(EntityKind::Need, &filter)
            .await?
            .iter()
            .map(|e| e.id().to_string())
            .collect())
    }

    /// Counts per kind.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT kind, COUNT(*) FROM entities GROUP BY kind").fetch_all(pool).await?
        });
        let feedback: i64 = on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM feedback").fetch_one(pool).await?
        });
        let mut c = Counts {
            feedback,
            ..Counts::default()
        };
        for (kind, n) in rows {
            match kind.as_str() {
                "enterprise" => c.enterprises = n,
                "need" => c.needs = n,
                "provider" => c.providers = n,
                "commissioner" => c.commissioners = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Open needs per enterprise.
    pub async fn open_need_counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT parent_id, COUNT(*) FROM entities WHERE kind = 'need' AND status = 'open' \
                 AND parent_id IS NOT NULL GROUP BY parent_id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The newest change-log sequence number (0 when empty).
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT MAX(seq) FROM changes").fetch_one(pool).await?
        });
        Ok(seq.unwrap_or(0))
    }

    /// Entity changes with `after < seq <= upto`, oldest first, at most `limit`, each with
    /// the entity's current document. Feedback rows are skipped (the index does not hold
    /// feedback).
    pub async fn entity_changes(
        &self,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<(i64, String, String, Option<String>)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT c.seq, c.kind, c.entity_id, e.doc FROM changes c \
                 LEFT JOIN entities e ON e.kind = c.kind AND e.id = c.entity_id \
                 WHERE c.seq > $1 AND c.seq <= $2 AND c.kind <> 'feedback' ORDER BY c.seq LIMIT $3",
            )
            .bind(after)
            .bind(upto)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(seq, kind, id, doc)| {
                let kind =
                    EntityKind::parse(&kind).map_err(|e| StoreError::BadKind(e.to_string()))?;
                Ok(Change { seq, kind, id, doc })
            })
            .collect()
    }

    /// A page of all entities (every kind), in (kind, id) order after `after`, for rebuilding.
    pub async fn entities_page(
        &self,
        after: Option<(EntityKind, String)>,
        limit: u32,
    ) -> Result<Vec<(EntityKind, String, String)>, StoreError> {
        let (k, id) = after
            .map(|(k, id)| (k.code().to_string(), id))
            .unwrap_or_default();
        let rows: Vec<(String, String, String)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT kind, id, doc FROM entities WHERE kind > $1 OR (kind = $1 AND id > $2) \
                 ORDER BY kind, id LIMIT $3",
            )
            .bind(k)
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(kind, id, doc)| {
                Ok((
                    EntityKind::parse(&kind).map_err(|e| StoreError::BadKind(e.to_string()))?,
                    id,
                    doc,
                ))
            })
            .collect()
    }

    /// A page of feedback events with their sequence numbers, oldest first, after `after`.
    pub async fn feedback_page(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Feedback)>, StoreError> {
        let rows: Vec<(i64, String)> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT seq, doc FROM feedback WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(seq, doc)| {
                Ok((
                    seq,
                    serde_json::from_str(&doc).map_err(StoreError::Corrupt)?,
                ))
            })
            .collect()
    }

    /// Needs changed with `after < seq`, oldest first, at most `limit`: (seq, need id,
    /// current status — `None` when deleted).
    pub async fn need_status_changes(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT c.seq, c.entity_id, e.status FROM changes c \
                 LEFT JOIN entities e ON e.kind = c.kind AND e.id = c.entity_id \
                 WHERE c.seq > $1 AND c.kind = 'need' ORDER BY c.seq LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }

    /// Claims a lead for a broker until `expires_at`, unless another broker holds an
    /// unexpired claim on it. The same broker claiming again renews its claim. Returns
    /// `Ok(claim)` when this broker now holds it, `Err(existing)` when another does.
    pub async fn claim(
        &self,
        need_id: &str,
        broker_id: &str,
        now: &str,
        expires_at: &str,
    ) -> Result<Result<Claim, Claim>, StoreError> {
        let won: Option<(String, String, String, String)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "INSERT INTO claims (need_id, broker_id, claimed_at, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (need_id) DO UPDATE SET broker_id = excluded.broker_id, \
                 claimed_at = excluded.claimed_at, expires_at = excluded.expires_at \
                 WHERE claims.expires_at <= excluded.claimed_at OR claims.broker_id = excluded.broker_id \
                 RETURNING need_id, broker_id, claimed_at, expires_at",
            )
            .bind(need_id)
            .bind(broker_id)
            .bind(now)
            .bind(expires_at)
            .fetch_optional(pool)
            .await?
        });
        if let Some(row) = won {
            return Ok(Ok(Claim::from(row)));
        }
        match self.claim_of(need_id).await? {
            Some(c) => Ok(Err(c)),
            // Released between the two statements: try once more.
            None => Box::pin(self.claim(need_id, broker_id, now, expires_at)).await,
        }
    }

    /// The claim on a lead, expired or not.
    pub async fn claim_of(&self, need_id: &str) -> Result<Option<Claim>, StoreError> {
        let row: Option<(String, String, String, String)> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT need_id, broker_id, claimed_at, expires_at FROM claims WHERE need_id = $1")
                .bind(need_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Claim::from))
    }

    /// Releases a broker's claim; false when this broker held none.
    pub async fn release_claim(&self, need_id: &str, broker_id: &str) -> Result<bool, StoreError> {
        let n = on_db!(&self.db, pool => {
            sqlx::query("DELETE FROM claims WHERE need_id = $1 AND broker_id = $2")
                .bind(need_id)
                .bind(broker_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Claims not expired at `now`.
    pub async fn active_claims(&self, now: &str) -> Result<Vec<Claim>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT need_id, broker_id, claimed_at, expires_at FROM claims WHERE expires_at > $1",
            )
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Claim::from).collect())
    }

    /// Writes a consistent copy of the whole SQLite database to `path` (which must not
    /// exist) with `VACUUM INTO`: one read transaction, so writers carry on meanwhile (WAL)
    /// and the copy is the database as of one commit. SQLite does not sync the new file;
    /// the caller does. On PostgreSQL: [`StoreError::Unsupported`] (use `pg_dump`).
    pub async fn backup_into(&self, path: &Path) -> Result<(), StoreError> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Unsupported(
                "the store is PostgreSQL: back it up with pg_dump (see OPERATIONS.md)",
            ));
        };
        let target = path.to_str().ok_or(StoreError::Unsupported(
            "the backup path must be valid UTF-8",
        ))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish (used on shutdown).
    pub async fn close(&self) {
        on_db!(&self.db, pool => pool.close().await)
    }
}

#[cfg(test)]
mod tests;

//! The active model as published in the store, so that every process sharing it —
//! replicas with data directories of their own, on other machines — ranks with the same
//! model. The model files themselves stay in each models directory; the store carries the
//! active one's version (read on every follow tick: one primary-key lookup) and its file.

use super::{Db, Store, StoreError, now};

/// The one slot used today (the ranker file also carries the commissioner model).
const SLOT: &str = "ranker";

impl Store {
    /// The published active model's version, if one was published.
    pub async fn active_model_version(&self) -> Result<Option<String>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT version FROM active_model WHERE slot = $1")
                .bind(SLOT)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The published active model: its version and its file (`None`: the model shipped
    /// in the binary).
    pub async fn active_model(&self) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query_as("SELECT version, doc FROM active_model WHERE slot = $1")
                .bind(SLOT)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Publishes the active model (`doc` is its file; `None` for the shipped model).
    pub async fn publish_active_model(
        &self,
        version: &str,
        doc: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO active_model (slot, version, doc, set_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (slot) DO UPDATE SET version = excluded.version, doc = excluded.doc, \
                 set_at = excluded.set_at",
            )
            .bind(SLOT)
            .bind(version)
            .bind(doc)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

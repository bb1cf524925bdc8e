//! API keys (stored hashed) and the audit log.

use super::{Db, Store, StoreError, now};
use serde::Serialize;

/// A stored API key (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// The public part of the key.
    pub id: String,
    /// `admin`, `commissioner`, `broker`, `enterprise` or `provider`.
    pub role: String,
    /// The record the key acts for (an enterprise, provider, commissioner id).
    pub subject: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// One audited request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Sequence number.
    pub seq: i64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Which key (`open` when the service runs without keys).
    pub key_id: String,
    /// The key's role.
    pub role: String,
    /// The key's subject.
    pub subject: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Response status.
    pub status: i64,
    /// Extra detail (e.g. the error code).
    pub detail: Option<String>,
}

type KeyRow = (String, String, Option<String>, String, Option<String>);
type AuditRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<String>,
);

impl Store {
    /// Stores a new key (the caller made the secret and hashed it).
    pub async fn create_key(
        &self,
        id: &str,
        secret_sha: &str,
        role: &str,
        subject: Option<&str>,
    ) -> Result<ApiKey, StoreError> {
        let created = now();
        on_db!(&self.db, pool => {
            sqlx::query("INSERT INTO api_keys (id, secret_sha, role, subject, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(secret_sha)
                .bind(role)
                .bind(subject)
                .bind(&created)
                .execute(pool)
                .await?;
        });
        Ok(ApiKey {
            id: id.to_string(),
            role: role.to_string(),
            subject: subject.map(str::to_string),
            created_at: created,
            revoked_at: None,
        })
    }

    /// A key and its secret's hash, when it exists and is not revoked.
    pub async fn live_key(&self, id: &str) -> Result<Option<(ApiKey, String)>, StoreError> {
        let row: Option<(String, String, String, Option<String>, String)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, secret_sha, role, subject, created_at FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, sha, role, subject, created_at)| {
            (
                ApiKey {
                    id,
                    role,
                    subject,
                    created_at,
                    revoked_at: None,
                },
                sha,
            )
        }))
    }

    /// Every key, newest first.
    pub async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let rows: Vec<KeyRow> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT id, role, subject, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, role, subject, created_at, revoked_at)| ApiKey {
                id,
                role,
                subject,
                created_at,
                revoked_at,
            })
            .collect())
    }

    /// How many keys are live (0 = the service runs open).
    pub async fn live_key_count(&self) -> Result<i64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
                .fetch_one(pool)
                .await?
        }))
    }

    /// How many keys were ever created, revoked ones included (a store that has had a
    /// key never starts open on a non-loopback address).
    pub async fn key_count(&self) -> Result<i64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Revokes a key; false when no live key has this id.
    pub async fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let n = on_db!(&self.db, pool => {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Appends to the audit log.
    #[allow(clippy::too_many_arguments)]
    pub async fn audit(
        &self,
        key_id: &str,
        role: &str,
        subject: Option<&str>,
        method: &str,
        path: &str,
        status: u16,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO audit (at, key_id, role, subject, method, path, status, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(now())
            .bind(key_id)
            .bind(role)
            .bind(subject)
            .bind(method)
            .bind(path)
            .bind(i64::from(status))
            .bind(detail)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A page of the audit log, newest first, before `before` (a seq) when given.
    pub async fn audit_page(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT seq, at, key_id, role, subject, method, path, status, detail FROM audit \
                 WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(seq, at, key_id, role, subject, method, path, status, detail)| AuditEntry {
                    seq,
                    at,
                    key_id,
                    role,
                    subject,
                    method,
                    path,
                    status,
                    detail,
                },
            )
            .collect())
    }
}

//! Access control, rate limits and the audit log.
//!
//! - **Keys**: `dj_<id>_<secret>`; the store keeps the id, the SHA-256 of the secret,
//!   the role and the subject (`duijie keys create`). A request carries
//!   `Authorization: Bearer <key>`; a missing or wrong key is `401 unauthorized`, a role
//!   that may not do it `403 forbidden`.
//! - **Open mode**: with no live key the service runs open — every request acts as an
//!   admin — and `serve` refuses any address but loopback.
//! - **Rate limits**: a token bucket per key (`DUIJIE_RATE_PER_SEC`, default 50, burst
//!   `DUIJIE_RATE_BURST`, default 100); over it, `429 rate_limited` with `Retry-After`.
//! - **Audit**: every write (any method but GET/HEAD/OPTIONS) and every admin endpoint is
//!   logged with key, role, subject, method, path, status and error code; admins read it
//!   at `GET /v1/admin/audit`.
//!
//! Who may do what is decided in the handlers with [`Principal`]: see the table in the
//! README ("Access control").

use super::error::ApiError;
use crate::app::App;
use crate::domain::access::Viewer;
use crate::domain::{Need, Role};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the "are there any keys?" answer is cached (keys made by the CLI in another
/// process take effect within this).
const OPEN_CACHE: Duration = Duration::from_secs(2);

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key id (`open` without keys).
    pub key_id: String,
    /// What it may see.
    pub viewer: Viewer,
}

impl Principal {
    fn open() -> Principal {
        Principal {
            key_id: "open".into(),
            viewer: Viewer::admin(),
        }
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.viewer.role
    }

    /// Whether it is an admin.
    pub fn is_admin(&self) -> bool {
        self.viewer.role == Role::Admin
    }

    /// 403 unless an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("只有管理员可以执行此操作"))
        }
    }

    /// 403 unless an admin or acting as `role` for `id`.
    pub fn require_self(&self, roles: &[Role], id: &str) -> Result<(), ApiError> {
        if self.is_admin() || roles.iter().any(|r| self.viewer.is(*r, id)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "此密钥（{}）不能代表“{id}”操作",
                self.role().zh()
            )))
        }
    }

    /// 403 unless an admin or one of the roles.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || roles.contains(&self.role()) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "{}无权访问此接口",
                self.role().zh()
            )))
        }
    }

    /// Whether this principal may see the need (see [`crate::domain::access`]).
    pub fn may_see(&self, app: &App, need: &Need) -> bool {
        if self.is_admin() {
            return true;
        }
        let stats = app.stats.read().expect("stats lock");
        self.viewer.may_see(need, |n, p| stats.pair(n, p).0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Principal, ApiError> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(Principal::open))
    }
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Rate-limit settings.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Tokens per second.
    pub per_sec: f64,
    /// Bucket size.
    pub burst: f64,
}

impl RateLimit {
    /// From `DUIJIE_RATE_PER_SEC` / `DUIJIE_RATE_BURST` (defaults 50 / 100).
    pub fn from_env() -> RateLimit {
        let read = |k: &str, d: f64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(d)
        };
        RateLimit {
            per_sec: read("DUIJIE_RATE_PER_SEC", 50.0),
            burst: read("DUIJIE_RATE_BURST", 100.0),
        }
    }
}

/// The state of access control in one process.
#[derive(Debug)]
pub struct Guard {
    open: Mutex<Option<(Instant, bool)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    limit: RateLimit,
}

impl Guard {
    /// A guard with these limits.
    pub fn new(limit: RateLimit) -> Guard {
        Guard {
            open: Mutex::new(None),
            buckets: Mutex::new(HashMap::new()),
            limit,
        }
    }

    async fn is_open(&self, app: &App) -> Result<bool, ApiError> {
        if let Some((at, open)) = *self.open.lock().expect("open cache lock")
            && at.elapsed() < OPEN_CACHE
        {
            return Ok(open);
        }
        let open = app.store.live_key_count().await? == 0;
        *self.open.lock().expect("open cache lock") = Some((Instant::now(), open));
        Ok(open)
    }

    /// Forgets the cached "are there keys" answer (after creating or revoking one here).
    pub fn invalidate(&self) {
        *self.open.lock().expect("open cache lock") = None;
    }

    /// Takes a token; `Err(seconds to wait)` when the bucket is empty.
    fn take(&self, key: &str) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().expect("bucket lock");
        let now = Instant::now();
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.limit.burst,
            at: now,
        });
        let refill = now.duration_since(b.at).as_secs_f64() * self.limit.per_sec;
        b.tokens = (b.tokens + refill).min(self.limit.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / self.limit.per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// A new key: (id, secret, the full key to hand out).
pub fn new_key() -> std::io::Result<(String, String, String)> {
    let mut bytes = [0u8; 28];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let id = hex(&bytes[..4]);
    let secret = hex(&bytes[4..]);
    let full = format!("dj_{id}_{secret}");
    Ok((id, secret, full))
}

/// The stored form of a secret.
pub fn secret_sha(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn principal(app: &App, header: Option<&HeaderValue>) -> Result<Principal, ApiError> {
    let raw = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized("缺少 API 密钥：请在请求头加上 Authorization: Bearer <密钥>")
        })?;
    let bad = || ApiError::unauthorized("API 密钥无效或已吊销");
    let rest = raw.strip_prefix("dj_").ok_or_else(bad)?;
    let (id, secret) = rest.split_once('_').ok_or_else(bad)?;
    let (key, sha) = app.store.live_key(id).await?.ok_or_else(bad)?;
    if !same(&sha, &secret_sha(secret)) {
        return Err(bad());
    }
    let role = Role::parse(&key.role).map_err(|_| bad())?;
    Ok(Principal {
        key_id: key.id,
        viewer: Viewer {
            role,
            subject: key.subject,
        },
    })
}

/// The middleware: who is asking, within their rate, and the audit of what they did.
pub async fn guard(
    State((app, guard)): State<(App, Arc<Guard>)>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if !path.starts_with("/v1/") {
        return next.run(req).await;
    }
    let open = match guard.is_open(&app).await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let who = if open {
        Principal::open()
    } else {
        match principal(&app, req.headers().get(header::AUTHORIZATION)).await {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        }
    };
    if !open && let Err(wait) = guard.take(&who.key_id) {
        return ApiError::rate_limited(wait).into_response();
    }
    let method = req.method().clone();
    let audited = (!matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !READ_ONLY_POSTS.contains(&path.as_str()))
        || path.starts_with("/v1/admin/");
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or(path);
    req.extensions_mut().insert(who.clone());
    let res = next.run(req).await;
    if audited {
        let code = res
            .headers()
            .get("x-error-code")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Err(e) = app
            .store
            .audit(
                &who.key_id,
                who.role().code(),
                who.viewer.subject.as_deref(),
                method.as_str(),
                &target,
                res.status().as_u16(),
                code.as_deref(),
            )
            .await
        {
            tracing::error!(error = %e, "audit log write failed");
        }
    }
    res
}

/// POSTs that only compute an answer (a query too large for a URL) and write nothing:
/// not audited, so reading never waits for a write to the store.
const READ_ONLY_POSTS: [&str; 2] = ["/v1/match", "/v1/commissioners/assign"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hash_compare() {
        let (id, secret, full) = new_key().unwrap();
        let (id2, _, _) = new_key().unwrap();
        assert_ne!(id, id2);
        assert_eq!(full, format!("dj_{id}_{secret}"));
        assert!(same(&secret_sha(&secret), &secret_sha(&secret)));
        assert!(!same(&secret_sha(&secret), &secret_sha("x")));
    }

    #[test]
    fn the_bucket_refills_and_says_how_long_to_wait() {
        let g = Guard::new(RateLimit {
            per_sec: 1.0,
            burst: 2.0,
        });
        assert!(g.take("k").is_ok() && g.take("k").is_ok());
        assert_eq!(g.take("k"), Err(1));
        assert!(g.take("other").is_ok(), "buckets are per key");
    }
}

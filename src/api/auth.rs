//! Access control, rate limits and the audit log.
//!
//! - **Keys**: `dj_<id>_<secret>`; the store keeps the id, the SHA-256 of the secret,
//!   the role and the subject (`duijie keys create`). A request carries
//!   `Authorization: Bearer <key>`; a missing or wrong key is `401 unauthorized`, a role
//!   that may not do it `403 forbidden`.
//! - **Open mode** is decided once, at start-up ([`Access::decide`]): a store that never
//!   had a key, served on loopback, or `serve --open` (dangerous; never on a non-loopback
//!   address once the store has had a key). Open, every request acts as an admin. A
//!   server that started with keys stays closed: revoking every key makes every request
//!   `401`, never open. An open server closes for good as soon as a key appears.
//! - **Failed authentication** is limited per client address (`DUIJIE_AUTH_FAIL_PER_SEC`,
//!   default 0.5, burst `DUIJIE_AUTH_FAIL_BURST`, default 20): beyond it every request
//!   from that address is `429 too_many_auth_failures` with `Retry-After`, before its key
//!   is even looked at.
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
use crate::store::{Store, StoreError};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the "are there any live keys?" answer is cached (keys made by the CLI in
/// another process close an open server within this).
const OPEN_CACHE: Duration = Duration::from_secs(2);

/// Whether the service asks for keys: decided once, at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Every request acts as an admin (until a key is created: then [`Access::Keys`] for good).
    Open,
    /// Every `/v1/` request needs a live key.
    Keys,
}

/// Why `serve` refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Open on a non-loopback address without `--open`.
    #[error(
        "没有任何 API 密钥时只能监听本机地址（127.0.0.1）：{0} 会把所有数据开放给网络。\n\
         请先运行 `duijie keys create --role admin` 创建密钥，或改用 --addr 127.0.0.1:PORT \
         (no API key: refusing to serve open on {0})"
    )]
    NotLoopback(SocketAddr),
    /// `--open` on a non-loopback address of a store that has had keys.
    #[error(
        "此存储曾经有过 API 密钥（已全部吊销），--open 只能用于本机地址，{0} 不行；\
         请用 `duijie keys create` 创建新密钥 (this store has had API keys: --open is refused on {0})"
    )]
    HadKeys(SocketAddr),
    /// `--open` with live keys.
    #[error(
        "存储中有 {0} 个有效的 API 密钥，不能同时使用 --open；请去掉 --open，或先吊销这些密钥 \
         (--open refused: the store has live API keys)"
    )]
    LiveKeys(i64),
    /// The store could not say.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Access {
    /// Decides, once, whether `serve` on `addr` runs open: only when the store never had a
    /// key and the address is loopback, or when the operator asked with `open` (refused
    /// with live keys, and on a non-loopback address of a store that has had keys). A
    /// store whose keys are all revoked starts closed (every request `401`).
    pub async fn decide(
        store: &Store,
        addr: SocketAddr,
        open: bool,
    ) -> Result<Access, AccessError> {
        let live = store.live_key_count().await?;
        let ever = store.key_count().await?;
        let loopback = addr.ip().is_loopback();
        match (live, ever, open) {
            (0, 0, false) if loopback => Ok(Access::Open),
            (0, 0, false) => Err(AccessError::NotLoopback(addr)),
            (0, _, true) if ever > 0 && !loopback => Err(AccessError::HadKeys(addr)),
            (0, _, true) => Ok(Access::Open),
            (n, _, true) => Err(AccessError::LiveKeys(n)),
            (_, _, false) => Ok(Access::Keys),
        }
    }
}

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
        app.matcher().may_see(&self.viewer, need)
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
    /// Requests per API key: 50 per second, burst 100 (settings `--rate-per-sec`,
    /// `--rate-burst`).
    pub const PER_KEY: RateLimit = RateLimit {
        per_sec: 50.0,
        burst: 100.0,
    };

    /// Failed authentications per client address: 0.5 per second, burst 20 (settings
    /// `--auth-fail-per-sec`, `--auth-fail-burst`).
    pub const AUTH_FAILURES: RateLimit = RateLimit {
        per_sec: 0.5,
        burst: 20.0,
    };
}

/// Token buckets by a key (an API key id, a client address).
#[derive(Debug)]
struct Buckets<K> {
    map: Mutex<HashMap<K, Bucket>>,
    limit: RateLimit,
}

/// Above this many buckets, full ones (idle long enough to have refilled) are dropped.
const MAX_BUCKETS: usize = 10_000;

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn new(limit: RateLimit) -> Buckets<K> {
        Buckets {
            map: Mutex::new(HashMap::new()),
            limit,
        }
    }

    /// Refills the bucket of `key` to now; `f` sees its tokens and may take some.
    fn with<T>(&self, key: &K, f: impl FnOnce(&mut f64) -> T) -> T {
        let mut map = self.map.lock().expect("bucket lock");
        let now = Instant::now();
        let limit = self.limit;
        if map.len() >= MAX_BUCKETS && !map.contains_key(key) {
            map.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * limit.per_sec < limit.burst
            });
            if map.len() >= MAX_BUCKETS {
                tracing::warn!(
                    buckets = map.len(),
                    "too many rate-limit buckets; resetting them"
                );
                map.clear();
            }
        }
        let b = map.entry(key.clone()).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.at).as_secs_f64() * limit.per_sec).min(limit.burst);
        b.at = now;
        f(&mut b.tokens)
    }

    fn wait(&self, tokens: f64) -> u64 {
        ((1.0 - tokens) / self.limit.per_sec).ceil().max(1.0) as u64
    }

    /// Takes a token; `Err(seconds to wait)` when the bucket is empty.
    fn take(&self, key: &K) -> Result<(), u64> {
        self.with(key, |t| {
            if *t >= 1.0 {
                *t -= 1.0;
                Ok(())
            } else {
                Err(*t)
            }
        })
        .map_err(|t| self.wait(t))
    }

    /// `Err(seconds to wait)` when the bucket is empty, without taking a token.
    fn check(&self, key: &K) -> Result<(), u64> {
        self.with(key, |t| if *t >= 1.0 { Ok(()) } else { Err(*t) })
            .map_err(|t| self.wait(t))
    }
}

/// The state of access control in one process.
#[derive(Debug)]
pub struct Guard {
    /// Open (decided at start-up); once a live key is seen it turns false for good.
    open: AtomicBool,
    /// When the store was last asked about live keys, and how many there were.
    checked: Mutex<Option<(Instant, i64)>>,
    buckets: Buckets<String>,
    failures: Buckets<IpAddr>,
}

impl Guard {
    /// A guard for a server whose access was decided at start-up, with these limits
    /// (per key, and for failed authentication per client address).
    pub fn new(access: Access, limit: RateLimit, failures: RateLimit) -> Guard {
        Guard {
            open: AtomicBool::new(access == Access::Open),
            checked: Mutex::new(None),
            buckets: Buckets::new(limit),
            failures: Buckets::new(failures),
        }
    }

    /// Whether this request runs open. Open only if the server started open and no live
    /// key has appeared since; a closed server never opens, whatever happens to the keys
    /// (with none live it answers `401` to everything, and says so in the log).
    async fn is_open(&self, app: &App) -> Result<bool, ApiError> {
        let stale = !matches!(*self.checked.lock().expect("key check lock"),
            Some((at, _)) if at.elapsed() < OPEN_CACHE);
        if stale {
            let live = app.store().live_key_count().await?;
            let before = self
                .checked
                .lock()
                .expect("key check lock")
                .replace((Instant::now(), live))
                .map(|(_, n)| n);
            if live > 0 && self.open.swap(false, Ordering::SeqCst) {
                tracing::warn!(
                    live_keys = live,
                    "an API key was created: the service now requires keys (it no longer runs open)"
                );
            }
            if live == 0 && !self.open.load(Ordering::SeqCst) && before != Some(0) {
                tracing::warn!(
                    "no live API key: every request is refused with 401 until a key is created (`duijie keys create`); the service does not run open"
                );
            }
        }
        Ok(self.open.load(Ordering::SeqCst))
    }

    /// Forgets the cached "are there keys" answer (after creating or revoking one here).
    pub fn invalidate(&self) {
        *self.checked.lock().expect("key check lock") = None;
    }

    /// Takes a token from the key's bucket; `Err(seconds to wait)` when it is empty.
    fn take(&self, key: &str) -> Result<(), u64> {
        self.buckets.take(&key.to_string())
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
    let (key, sha) = app.store().live_key(id).await?.ok_or_else(bad)?;
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
        let client = req
            .extensions()
            .get::<ConnectInfo<super::conn::Client>>()
            .map(|c| c.0.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if let Err(wait) = guard.failures.check(&client) {
            return ApiError::too_many_auth_failures(wait).into_response();
        }
        match principal(&app, req.headers().get(header::AUTHORIZATION)).await {
            Ok(p) => p,
            Err(e) => {
                if e.status() == axum::http::StatusCode::UNAUTHORIZED {
                    let _ = guard.failures.take(&client);
                    tracing::info!(client = %client, "authentication failed");
                }
                return e.into_response();
            }
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
            .store()
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
        let limit = RateLimit {
            per_sec: 1.0,
            burst: 2.0,
        };
        let g = Guard::new(Access::Keys, limit, limit);
        assert!(g.take("k").is_ok() && g.take("k").is_ok());
        assert_eq!(g.take("k"), Err(1));
        assert!(g.take("other").is_ok(), "buckets are per key");
    }
}

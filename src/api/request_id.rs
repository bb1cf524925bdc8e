//! A request id on every answer and every log line of its request: taken from the
//! client's `X-Request-Id` when it is a short token of visible ASCII (a reverse proxy's
//! id then joins both logs), otherwise made here. The request runs inside a `request`
//! span carrying the id, so whatever a handler or the engine logs while serving it names
//! the request; the answer carries it back in `X-Request-Id`.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

/// The header, in and out.
pub const HEADER: &str = "x-request-id";
/// Longest client-supplied id kept; longer (or odd) ones are replaced.
const MAX_LEN: usize = 64;

/// The id of one request: the client's when usable, else `<process tag>-<counter>`.
fn id_for(request: &Request) -> String {
    if let Some(v) = request.headers().get(HEADER).and_then(|v| v.to_str().ok())
        && usable(v)
    {
        return v.to_owned();
    }
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}-{}", process_tag(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Non-empty, at most [`MAX_LEN`] bytes of `A–Z a–z 0–9 - _ . : /` (nothing a log
/// reader or a header could misread).
fn usable(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_LEN
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

/// Eight hex digits fixed for the life of the process, so ids of two processes (replicas,
/// restarts) do not collide.
fn process_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
        format!(
            "{:08x}",
            (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
        )
    })
}

/// Middleware: runs the request in a span with its id and sets `X-Request-Id` on the
/// answer (also on errors made by the layers inside).
pub async fn tag(request: Request, next: Next) -> Response {
    let id = id_for(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = next.run(request).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_kept_only_when_short_and_plain() {
        assert!(usable("req-42"));
        assert!(usable("9f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!usable(""));
        assert!(!usable(&"a".repeat(MAX_LEN + 1)));
        assert!(!usable("a b"));
        assert!(!usable("a\"b"));
        assert!(!usable("编号"));
    }

    #[test]
    fn made_ids_differ_and_share_the_process_tag() {
        let r = || Request::new(axum::body::Body::empty());
        let (a, b) = (id_for(&r()), id_for(&r()));
        assert_ne!(a, b);
        assert_eq!(a.split('-').next(), b.split('-').next());
        let mut with = r();
        with.headers_mut()
            .insert(HEADER, HeaderValue::from_static("proxy-7"));
        assert_eq!(id_for(&with), "proxy-7");
        let mut odd = r();
        odd.headers_mut()
            .insert(HEADER, HeaderValue::from_static("has space"));
        assert_ne!(id_for(&odd), "has space");
    }
}

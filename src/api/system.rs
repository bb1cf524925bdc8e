//! Liveness, readiness and statistics; refusing writes when the store file is gone.

use super::error::ApiError;
use crate::app::App;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/stats", get(stats))
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when this process should get traffic; else 503 with why (`store_file_missing`,
/// `store_unavailable`, `index_failing`).
async fn readyz(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    match app.not_ready().await {
        None => Ok(Json(json!({"status": "ready"}))),
        Some(why) => Err(ApiError::not_ready(&why)),
    }
}

/// A middleware: writes (any method but GET, HEAD, OPTIONS) are refused with 503
/// `store_file_missing` once the SQLite file was deleted or replaced under the process —
/// they would be acknowledged and then lost.
pub(super) async fn refuse_writes_without_store(
    State(app): State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && let Err(why) = app.store_file_ok()
    {
        return ApiError::not_ready(&why).into_response();
    }
    next.run(req).await
}

async fn stats(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let counts = app.store().counts().await?;
    let last_seq = app.store().last_seq().await?;
    let index = app.index().status();
    Ok(Json(json!({
        "counts": counts,
        "store": {"backend": app.store().backend(), "last_seq": last_seq},
        "index": {"applied_seq": index.applied_seq, "documents": index.documents, "lag": last_seq - index.applied_seq, "failing": app.index().failure().is_some()},
        "model": {
            "active_version": app.models().active().map(|m| m.version.clone()),
            "default_ranker": if app.models().active().is_some() { "learned" } else { "baseline" },
        },
    })))
}

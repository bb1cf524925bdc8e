//! Liveness and statistics.

use super::error::ApiError;
use crate::app::App;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/stats", get(stats))
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn stats(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let counts = app.store.counts().await?;
    let last_seq = app.store.last_seq().await?;
    let index = app.index.status();
    Ok(Json(json!({
        "counts": counts,
        "store": {"backend": app.store.backend(), "last_seq": last_seq},
        "index": {"applied_seq": index.applied_seq, "documents": index.documents, "lag": last_seq - index.applied_seq},
        "model": {
            "active_version": app.models.active().map(|m| m.version.clone()),
            "default_ranker": if app.models.active().is_some() { "learned" } else { "baseline" },
        },
    })))
}

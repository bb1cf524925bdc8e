//! Models: list them with their metrics, reload the active one, train a new one.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use crate::app::App;
use crate::matching::training::{TrainOptions, TrainReport};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/models", get(list))
        .route("/v1/admin/models/reload", post(reload))
        .route("/v1/admin/train", post(train_now))
}

async fn list(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let models = app.models().clone();
    let list = tokio::task::spawn_blocking(move || models.list())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    let active = app.models().active().map(|m| m.version.clone());
    Ok(Json(
        json!({"active": active, "default_ranker": if active.is_some() {"learned"} else {"baseline"}, "results": list, "next_cursor": null}),
    ))
}

async fn reload(State(app): State<App>, who: Principal) -> Result<Json<Value>, ApiError> {
    who.require_admin()?;
    let models = app.models().clone();
    let version = tokio::task::spawn_blocking(move || models.reload())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::conflict(Code::ModelUnreadable, format!("无法载入模型：{e}")))?;
    // Replicas sharing the store follow it.
    app.publish_model().await?;
    Ok(Json(json!({"active": version})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TrainBody {
    #[serde(default)]
    force: bool,
    test_share: Option<f64>,
}

async fn train_now(
    State(app): State<App>,
    who: Principal,
    super::extract::Body(body): super::extract::Body,
) -> Result<Json<TrainReport>, ApiError> {
    who.require_admin()?;
    let b: TrainBody = if body.iter().all(u8::is_ascii_whitespace) {
        TrainBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(Code::InvalidJson, format!("请求体不是合法的 JSON：{e}"))
        })?
    };
    let test_share = b.test_share.unwrap_or(0.2);
    if !(0.05..=0.9).contains(&test_share) {
        return Err(ApiError::bad_request(
            Code::InvalidValue,
            format!("test_share 应在 0.05 到 0.9 之间，实际 {test_share}"),
        ));
    }
    let opts = TrainOptions {
        force: b.force,
        test_share,
        ..TrainOptions::default()
    };
    // One training at a time per process.
    // One training at a time per process (409 training_in_progress otherwise).
    let report = app.matcher().train(&opts).await?;
    Ok(Json(report))
}

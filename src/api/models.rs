//! Models: list them with their metrics, reload the active one, train a new one.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use super::openapi::{BadRequest, Conflict, Forbidden, TooLarge};
use super::system::DefaultRanker;
use crate::app::App;
use crate::matching::training::{TrainOptions, TrainReport};
use crate::rank::registry::ModelInfo;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(reload))
        .routes(routes!(train_now))
}

/// The rankers and their metrics.
#[derive(Serialize, ToSchema)]
pub(super) struct ModelList {
    /// The active model's version, if any.
    #[schema(required = true)]
    active: Option<String>,
    default_ranker: DefaultRanker,
    results: Vec<ModelInfo>,
    /// Always null: one page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// The rankers and their metrics
#[utoipa::path(
    get,
    path = "/v1/models",
    operation_id = "models",
    tag = "models",
    responses((status = 200, description = "OK", body = ModelList))
)]
async fn list(State(app): State<App>) -> Result<Json<ModelList>, ApiError> {
    let models = app.models().clone();
    let list = tokio::task::spawn_blocking(move || models.list())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    let active = app.models().active().map(|m| m.version.clone());
    Ok(Json(ModelList {
        default_ranker: DefaultRanker::given(active.is_some()),
        active,
        results: list,
        next_cursor: None,
    }))
}

/// The model now active.
#[derive(Serialize, ToSchema)]
pub(super) struct Reloaded {
    /// Its version (none: no model, the baseline ranks).
    #[schema(required = true)]
    active: Option<String>,
}

/// Reload the active model from the models directory; admins
#[utoipa::path(
    post,
    path = "/v1/admin/models/reload",
    operation_id = "reloadModel",
    tag = "models",
    responses(
        (status = 200, description = "OK", body = Reloaded),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
async fn reload(State(app): State<App>, who: Principal) -> Result<Json<Reloaded>, ApiError> {
    who.require_admin()?;
    let models = app.models().clone();
    let version = tokio::task::spawn_blocking(move || models.reload())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::conflict(Code::ModelUnreadable, format!("无法载入模型：{e}")))?;
    // Replicas sharing the store follow it.
    app.publish_model().await?;
    Ok(Json(Reloaded { active: version }))
}

/// Optional; an empty body means the defaults. Unknown keys are rejected.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TrainRequest {
    /// Promote the new model even when it is not better on the held-out needs.
    #[serde(default)]
    force: bool,
    /// Share of needs held out for evaluation; default 0.2.
    #[schema(minimum = 0.05, maximum = 0.9)]
    test_share: Option<f64>,
}

/// Train a ranker from the stored feedback; admins
#[utoipa::path(
    post,
    path = "/v1/admin/train",
    operation_id = "train",
    tag = "models",
    request_body(content = Option<TrainRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = TrainReport),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = TooLarge),
    )
)]
async fn train_now(
    State(app): State<App>,
    who: Principal,
    super::extract::Body(body): super::extract::Body,
) -> Result<Json<TrainReport>, ApiError> {
    who.require_admin()?;
    let b: TrainRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TrainRequest::default()
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
    // One training at a time per process (409 training_in_progress otherwise).
    let report = app.matcher().train(&opts).await?;
    Ok(Json(report))
}

//! Liveness, readiness and statistics; refusing writes when the store file is gone.

use super::error::ApiError;
use crate::app::App;
use crate::store::Counts;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(stats))
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub(super) struct Health {
    status: Alive,
}

/// The process answers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Alive {
    Ok,
}

/// `{"status": "ready"}`.
#[derive(Serialize, ToSchema)]
pub(super) struct Readiness {
    status: Ready,
}

/// The process should get traffic.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Ready {
    Ready,
}

/// Liveness
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "system",
    responses((status = 200, description = "OK", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health { status: Alive::Ok })
}

/// Readiness: 503 while the store file is gone, the store does not answer, or the search index failed and has not caught up
///
/// 200 when this process should get traffic; else 503 with why (`store_file_missing`,
/// `store_unavailable`, `index_failing`).
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "system",
    responses(
        (status = 200, description = "OK", body = Readiness),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
async fn readyz(State(app): State<App>) -> Result<Json<Readiness>, ApiError> {
    match app.not_ready().await {
        None => Ok(Json(Readiness {
            status: Ready::Ready,
        })),
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

/// Which ranker a match uses by default: `learned` when a model is active.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum DefaultRanker {
    Learned,
    Baseline,
}

impl DefaultRanker {
    /// `learned` when there is an active model.
    pub(super) fn given(active: bool) -> DefaultRanker {
        if active {
            DefaultRanker::Learned
        } else {
            DefaultRanker::Baseline
        }
    }
}

/// Counts, index position, active model.
#[derive(Serialize, ToSchema)]
pub(super) struct Stats {
    counts: Counts,
    store: StoreStats,
    index: IndexStats,
    model: ModelStats,
}

/// The store.
#[derive(Serialize, ToSchema)]
struct StoreStats {
    /// `sqlite` or `postgres`.
    backend: &'static str,
    /// Last change-log sequence number.
    last_seq: i64,
}

/// The search index.
#[derive(Serialize, ToSchema)]
struct IndexStats {
    /// Last change-log sequence applied.
    applied_seq: i64,
    /// Documents in the index.
    documents: u64,
    /// Changes not yet searchable.
    lag: i64,
    /// Writing the index failed and it has not caught up since (the follower retries with
    /// backoff; /readyz answers 503).
    failing: bool,
}

/// The ranker.
#[derive(Serialize, ToSchema)]
struct ModelStats {
    /// The active model's version, if any.
    #[schema(required = true)]
    active_version: Option<String>,
    default_ranker: DefaultRanker,
}

/// Counts, index position, active model
#[utoipa::path(
    get,
    path = "/v1/stats",
    operation_id = "stats",
    tag = "system",
    responses((status = 200, description = "OK", body = Stats))
)]
async fn stats(State(app): State<App>) -> Result<Json<Stats>, ApiError> {
    let counts = app.store().counts().await?;
    let last_seq = app.store().last_seq().await?;
    let index = app.index().status();
    let active_version = app.models().active().map(|m| m.version.clone());
    Ok(Json(Stats {
        counts,
        store: StoreStats {
            backend: app.store().backend(),
            last_seq,
        },
        index: IndexStats {
            applied_seq: index.applied_seq,
            documents: index.documents,
            lag: last_seq - index.applied_seq,
            failing: app.index().failure().is_some(),
        },
        model: ModelStats {
            default_ranker: DefaultRanker::given(active_version.is_some()),
            active_version,
        },
    }))
}

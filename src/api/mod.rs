//! HTTP: one router per resource, merged here; handlers extract, call the engine
//! (`app`, `matching`, `search`) and serialise. No SQL or tantivy here. Errors are
//! mapped to problem+json in exactly one place, [`error`].

pub mod auth;
mod entities;
pub mod error;
mod extract;
mod imports;
mod journeys;
mod matches;
mod metrics;
mod models;
mod openapi;
mod searches;
mod system;
mod web;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Largest request body, except imports: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest import or feedback body: 64 MiB (bigger files go through `duijie import`).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The whole HTTP interface.
pub fn router(app: App) -> Router {
    let guard = Arc::new(auth::Guard::new(auth::RateLimit::from_env()));
    let http_metrics = Arc::new(metrics::HttpMetrics::default());
    Router::new()
        .merge(system::routes())
        .merge(entities::routes())
        .merge(searches::routes())
        .merge(matches::routes())
        .merge(journeys::routes())
        .merge(models::routes())
        .merge(web::routes())
        .merge(openapi::routes())
        .merge(metrics::routes(http_metrics.clone()))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(imports::routes().layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)))
        .fallback(|| async { ApiError::no_route() })
        .layer(axum::middleware::from_fn_with_state(
            (app.clone(), guard),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            system::refuse_writes_without_store,
        ))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .with_state(app)
}

/// Serves until `shutdown` completes, then stops accepting and lets requests in flight
/// finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

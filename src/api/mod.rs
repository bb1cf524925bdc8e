//! HTTP: one router per resource, merged here; handlers extract, call the engine
//! (`app`, `matching`, `search`) and serialise. No SQL or tantivy here. Errors are
//! mapped to problem+json in exactly one place, [`error`].

pub mod auth;
mod conn;
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
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Largest request body, except imports: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest import or feedback body: 64 MiB (bigger files go through `duijie import`).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The whole HTTP interface, with access decided at start-up (see [`auth::Access`]).
pub fn router(app: App, access: auth::Access) -> Router {
    let guard = Arc::new(auth::Guard::new(
        access,
        auth::RateLimit::from_env(),
        auth::RateLimit::auth_failures_from_env(),
    ));
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
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(
            REQUEST_TIMEOUT,
            error::problems,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .with_state(app)
}

/// Serves until `shutdown` completes, then stops accepting and lets requests in flight
/// finish. Access is decided here, once ([`auth::Access::decide`] without `--open`).
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let access = auth::Access::decide(&app.store, listener.local_addr()?, false)
        .await
        .map_err(std::io::Error::other)?;
    serve_with(app, listener, access, shutdown).await
}

/// Serves with access already decided (`duijie serve` decides it, with its `--open`).
pub async fn serve_with(
    app: App,
    listener: TcpListener,
    access: auth::Access,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        conn::ProblemListener(listener),
        router(app, access).into_make_service_with_connect_info::<conn::Client>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

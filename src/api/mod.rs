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
pub mod request_id;
mod searches;
mod system;
mod vocabulary;
mod web;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

pub use error::ApiError;

/// Largest request body, except imports: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest import or feedback body: 64 MiB (bigger files go through `duijie import`).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the HTTP layer is configured with (from `settings::HttpSettings`; the defaults
/// are those of `duijie serve`).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Requests per API key.
    pub rate: auth::RateLimit,
    /// Failed authentications per client address.
    pub auth_failures: auth::RateLimit,
    /// Connections served at once.
    pub max_connections: usize,
    /// Serve the page's files from this directory instead of the built-in copies.
    pub web_dir: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            rate: auth::RateLimit::PER_KEY,
            auth_failures: auth::RateLimit::AUTH_FAILURES,
            max_connections: MAX_CONNECTIONS,
            web_dir: None,
        }
    }
}

/// Every route with its documentation: the one table both the router and
/// `GET /openapi.json` are built from (see [`openapi`]). Each resource adds its routes
/// with utoipa-axum's `routes!`, which routes a handler and describes it from its
/// `#[utoipa::path]` in one step.
fn routes(web_dir: Option<PathBuf>) -> OpenApiRouter<App> {
    use utoipa::OpenApi;
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(system::routes())
        .merge(entities::routes())
        .merge(searches::routes())
        .merge(matches::routes())
        .merge(journeys::routes())
        .merge(models::routes())
        .merge(vocabulary::routes())
        .merge(web::routes(web_dir))
        .merge(openapi::routes())
        .merge(metrics::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(imports::routes().layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)))
}

/// The OpenAPI document `GET /openapi.json` serves, generated from [`routes`].
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::finish(routes(None).split_for_parts().1)
}

/// The whole HTTP interface, with access decided at start-up (see [`auth::Access`]).
pub fn router(app: App, access: auth::Access, config: &HttpConfig) -> Router {
    let guard = Arc::new(auth::Guard::new(access, config.rate, config.auth_failures));
    let http_metrics = Arc::new(metrics::HttpMetrics::default());
    let (routes, doc) = routes(config.web_dir.clone()).split_for_parts();
    let doc = openapi::finish(doc)
        .to_json()
        .expect("the OpenAPI document serialises");
    routes
        .layer(axum::Extension(openapi::Document(doc.into())))
        .layer(axum::Extension(http_metrics.clone()))
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
        .layer(axum::middleware::from_fn_with_state(
            REQUEST_TIMEOUT,
            error::problems,
        ))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(request_id::tag))
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .with_state(app)
}

/// Longest a client may take to send a request's headers; a connection that has not
/// finished them by then is closed (slowloris).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once (default of `--max-connections`). Beyond it new
/// connections wait in the listen queue instead of taking file descriptors the store and
/// the index need.
pub const MAX_CONNECTIONS: usize = 512;

/// Serves with the default [`HttpConfig`] until `shutdown` completes (see [`serve_configured`]).
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_configured(app, listener, &HttpConfig::default(), shutdown).await
}

/// Serves until `shutdown` completes, then stops accepting and lets requests in flight
/// finish. Access is decided here, once ([`auth::Access::decide`] without `--open`).
/// At most `config.max_connections` connections are served at once, and each must send
/// its headers within [`HEADER_READ_TIMEOUT`].
pub async fn serve_configured(
    app: App,
    listener: TcpListener,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let access = auth::Access::decide(app.store(), listener.local_addr()?, false)
        .await
        .map_err(std::io::Error::other)?;
    serve_with(app, listener, access, config, shutdown).await
}

/// Serves with access already decided (`duijie serve` decides it, with its `--open`).
pub async fn serve_with(
    app: App,
    listener: TcpListener,
    access: auth::Access,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service;
    let router = router(app, access, config);
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: wait, retry.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let svc =
            hyper::service::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(conn::Client(peer)));
                router.clone().call(req)
            });
        // hyper's own bare answers to requests it cannot parse become problem+json.
        let conn = http.serve_connection(TokioIo::new(conn::ProblemIo::new(stream)), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A middleware: a declared `Content-Length` over the route's limit is answered 413 at
/// once, before any of the body is read.
async fn refuse_declared_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = if matches!(req.uri().path(), "/v1/import" | "/v1/feedback") {
        IMPORT_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::too_large(limit).into_response();
    }
    next.run(req).await
}

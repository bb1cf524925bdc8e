//! The web page: `GET /` and `GET /assets/{file}`. The files in `web/` are embedded at
//! build time (no CDN, nothing downloaded at run time). For work on the page,
//! `DUIJIE_WEB_DIR=web` serves them from disk instead, so an edit shows on reload.

use super::error::ApiError;
use super::extract::Path;
use crate::app::App;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// (file name, content type, embedded bytes).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
];

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(|| async { asset("index.html") }))
        .route(
            "/assets/{file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}

fn asset(name: &str) -> Response {
    let Some((_, content_type, embedded)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::no_route().into_response();
    };
    let body = match std::env::var_os("DUIJIE_WEB_DIR") {
        Some(dir) => match std::fs::read_to_string(std::path::Path::new(&dir).join(name)) {
            Ok(s) => s,
            Err(_) => (*embedded).to_string(),
        },
        None => (*embedded).to_string(),
    };
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

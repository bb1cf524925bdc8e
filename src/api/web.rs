//! The web page: `GET /` and `GET /assets/{file}`. The files in `web/` are embedded at
//! build time (no CDN, nothing downloaded at run time). For work on the page, the
//! setting `--web-dir web` (`DUIJIE_WEB_DIR=web`) serves them from disk instead, so an
//! edit shows on reload.

use super::error::ApiError;
use super::extract::Path;
use crate::app::App;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

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

/// The page's routes; `dir`, when given, is read before the built-in copies.
pub(super) fn routes(dir: Option<std::path::PathBuf>) -> Router<App> {
    let dir: Option<Arc<std::path::Path>> = dir.map(Arc::from);
    let page = dir.clone();
    Router::new()
        .route(
            "/",
            get(move || std::future::ready(asset("index.html", page.as_deref()))),
        )
        .route(
            "/assets/{file}",
            get(move |Path(file): Path<String>| std::future::ready(asset(&file, dir.as_deref()))),
        )
}

fn asset(name: &str, dir: Option<&std::path::Path>) -> Response {
    let Some((_, content_type, embedded)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::no_route().into_response();
    };
    let body = match dir {
        Some(dir) => match std::fs::read_to_string(dir.join(name)) {
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

//! The web page: `GET /` and `GET /assets/{file}`. The files in `web/` are embedded at
//! build time (no CDN, nothing downloaded at run time). For work on the page,
//! `DUIJIE_WEB_DIR=web` serves them from disk instead, so an edit shows on reload.

use super::error::ApiError;
use super::extract::Path;
use super::openapi::{BadRequest, NotFound};
use crate::app::App;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(page))
        .routes(routes!(file))
}

/// The web page
#[utoipa::path(
    get,
    path = "/",
    operation_id = "webPage",
    tag = "web",
    responses((status = 200, description = "HTML", body = String, content_type = "text/html"))
)]
async fn page() -> Response {
    asset("index.html")
}

/// A file of the web page
#[utoipa::path(
    get,
    path = "/assets/{file}",
    operation_id = "webAsset",
    tag = "web",
    params(("file" = String, Path, description = "`index.html`, `app.js` or `style.css`", example = "app.js")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/html"),
            (String = "text/javascript"),
            (String = "text/css"),
        )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn file(Path(file): Path<String>) -> Response {
    asset(&file)
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

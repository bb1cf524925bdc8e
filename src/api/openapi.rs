//! `GET /openapi.json`: the OpenAPI 3.0.3 description of every route, kept by hand in
//! `openapi.json` beside this file and embedded at build time. `tests/openapi.rs` fails
//! when a route in `src/api/*.rs` is missing from it; `.ci/schemathesis.sh` fuzzes the
//! running service against it.

use crate::app::App;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub(super) fn routes() -> Router<App> {
    Router::new().route("/openapi.json", get(document))
}

async fn document() -> Response {
    let mut res = DOCUMENT.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_json_in_openapi_3_0() {
        let v: serde_json::Value = serde_json::from_str(super::DOCUMENT).expect("valid JSON");
        assert_eq!(v["openapi"], "3.0.3");
    }
}

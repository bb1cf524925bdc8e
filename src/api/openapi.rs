//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, generated from the
//! code (utoipa): each handler's `#[utoipa::path]` (method, path, parameters, bodies,
//! the statuses it answers itself) and the body types' `ToSchema`. The router and the
//! document come from the same table ([`super::routes`], utoipa-axum's `routes!`), so a
//! route cannot be served without being described. What the layers around every handler
//! answer (401, 405, 408, 429, 500, 503) and who needs a key are added here, in one
//! place, by [`finish`]. `tests/openapi.rs` checks the document against the running
//! router; `.ci/schemathesis.sh` fuzzes the running service against it.

use super::error::Problem;
use crate::app::App;
use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response as DocResponse, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Type};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document's fixed parts: what it is, tags, the key scheme and the error answers
/// operations refer to. Paths and schemas come from the routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "duijie（对接）",
        version = "1",
        description = "Matches technology-based SMEs with pilot platforms, transfer agencies and brokers, and helps technology commissioners. Every error is `application/problem+json` with a stable machine `code` and a Chinese `title`/`detail`. With no API key created the service runs open (every request acts as an admin); otherwise every `/v1/` request carries `Authorization: Bearer dj_<id>_<secret>`."
    ),
    tags(
        (name = "system", description = "Liveness, readiness, statistics, metrics, audit, this document"),
        (name = "records", description = "Enterprises, needs, providers and commissioners; imports and feedback"),
        (name = "search", description = "Full-text search"),
        (name = "journeys", description = "Matching, the commissioner and broker journeys, the overview"),
        (name = "models", description = "Rankers: list, reload, train"),
        (name = "web", description = "The embedded web page"),
    ),
    components(
        schemas(Problem),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Timeout,
            Conflict,
            TooLarge,
            UnsupportedMedia,
            Unprocessable,
            RateLimited,
            Internal,
            Unavailable,
            MethodNotAllowed
        )
    )
)]
pub(super) struct ApiDoc;

/// Declares the problem+json answers operations refer to by name (`response = NotFound`).
macro_rules! problem_responses {
    ($($name:ident => $description:literal),+ $(,)?) => {
        $(
            #[doc = $description]
            pub(super) struct $name;

            impl<'r> utoipa::ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<DocResponse>) {
                    (stringify!($name), problem(stringify!($name), $description).into())
                }
            }
        )+
    };
}

problem_responses!(
    BadRequest => "A parameter or the body is wrong (`code` says how: invalid_query, invalid_json, unknown_field_code, …)",
    Unauthorized => "No key, or a wrong or revoked one (only when keys exist)",
    Forbidden => "The key's role may not do this",
    NotFound => "No such record (`not_found`) or path (`no_such_route`)",
    Timeout => "The request took longer than 60 s",
    Conflict => "The request conflicts with stored data",
    TooLarge => "The body is over the limit (1 MiB; 64 MiB for imports and feedback)",
    UnsupportedMedia => "The body is not `application/json`",
    Unprocessable => "The record breaks a rule of the data model (`field` names it)",
    RateLimited => "Over the key's rate (`rate_limited`), or too many failed authentications from this client address (`too_many_auth_failures`); see `Retry-After`",
    Internal => "Something of ours failed (logged)",
    Unavailable => "The store is busy or gone, or the index is failing; retry",
    MethodNotAllowed => "The path exists but not with this method (`method_not_allowed`)",
);

/// A problem+json answer; 429 also carries `Retry-After`.
fn problem(name: &str, description: &str) -> DocResponse {
    let mut r = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if name == "RateLimited" {
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("seconds"))
                .build(),
        );
    }
    r.build()
}

/// The routes of this module: the document itself.
pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(document))
}

/// The generated document, as served.
#[derive(Clone)]
pub(super) struct Document(pub Arc<str>);

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "system",
    responses((status = 200, description = "OK", body = Object, content_type = "application/json"))
)]
async fn document(Extension(doc): Extension<Document>) -> Response {
    let mut res = doc.0.to_string().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Adds what the layers around every handler answer and who needs a key: every operation
/// may answer 405 (another method of its path) and 408 (the 60 s cut); `/v1/` operations
/// pass the key guard (401, 429), reach the store (500, 503) and need a key
/// (`apiKey`, or none while the service runs open); the others are public.
pub(super) fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "apiKey",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("dj_<id>_<secret>")
                .description(Some(
                    "An API key from `duijie keys create`, sent as `Authorization: Bearer dj_<id>_<secret>`.",
                ))
                .build(),
        ),
    );
    doc.security = Some(vec![
        utoipa::openapi::security::SecurityRequirement::new("apiKey", Vec::<String>::new()),
        utoipa::openapi::security::SecurityRequirement::default(),
    ]);
    for (path, item) in doc.paths.paths.iter_mut() {
        let v1 = path.starts_with("/v1/");
        for op in operations(item) {
            let mut layered = vec![("405", "MethodNotAllowed"), ("408", "Timeout")];
            if v1 {
                layered.extend([
                    ("401", "Unauthorized"),
                    ("429", "RateLimited"),
                    ("500", "Internal"),
                    ("503", "Unavailable"),
                ]);
            } else {
                op.security = Some(Vec::new());
            }
            for (status, name) in layered {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
    doc
}

/// Every operation of a path item.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_and_every_operation_has_an_id_a_tag_and_answers() {
        let (_, doc) = super::super::routes(None).split_for_parts();
        let doc = super::finish(doc);
        let v = serde_json::to_value(&doc).expect("the document serialises");
        assert_eq!(v["openapi"], "3.1.0");
        for (path, item) in v["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                assert!(
                    op["operationId"].is_string(),
                    "{method} {path}: no operationId"
                );
                assert!(op["tags"][0].is_string(), "{method} {path}: no tag");
                assert!(
                    op["responses"]["405"].is_object(),
                    "{method} {path}: no 405"
                );
            }
        }
    }
}

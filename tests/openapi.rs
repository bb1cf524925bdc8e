//! `GET /openapi.json` describes exactly what the router serves. The router and the
//! document are built from one table (utoipa-axum's `routes!` in `src/api/*.rs`), so:
//! no route may be added around it (no `.route(` in `src/api`), every documented
//! operation is routed (not a 404 "no such route" nor a 405), every other method of a
//! documented path is a 405, and every documented GET answers without a server error on
//! the small world. `.ci/schemathesis.sh` goes further with generated requests.

mod common;

use common::TestServer;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Methods probed on every documented path.
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Calls in `src/api/*.rs` (outside unit tests) that would route a path without
/// documenting it: everything must go through `.routes(routes!(…))`.
fn undocumented_route_calls() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/api") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        // Unit tests build their own throwaway routers.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for (at, _) in text.match_indices(call) {
                let line = text[..at].lines().count();
                out.push(format!("{}:{line}: {call}", path.display()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_added_through_the_documented_table() {
    let calls = undocumented_route_calls();
    assert!(
        calls.is_empty(),
        "routes added without documentation (use .routes(routes!(handler)) with a #[utoipa::path]): {calls:?}"
    );
}

/// A concrete path for a template: every `{param}` becomes a value no record has.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closing brace") + open;
        out.push_str(&rest[..open]);
        // A file that exists: a missing one is answered `no_such_route`, as a path.
        out.push_str(if template.starts_with("/assets") {
            "index.html"
        } else {
            "X-NONE"
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_covers_every_route_and_every_documented_get_answers() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    let (s, r) = srv.post_ndjson("/v1/import", common::small_world()).await;
    assert_eq!(s, 200, "{r}");

    let res = srv
        .client
        .get(srv.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let doc: Value = res.json().await.expect("the document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["components"]["securitySchemes"]["apiKey"].is_object());
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 25, "only {} paths documented", paths.len());
    // Every entity kind is there, and the routes the page and the operators rely on.
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    for kind in duijie::domain::EntityKind::ALL {
        for p in [
            format!("/v1/{}", kind.plural()),
            format!("/v1/{}/{{id}}", kind.plural()),
        ] {
            assert!(documented.contains(p.as_str()), "{p} is not documented");
        }
    }
    for p in [
        "/",
        "/assets/{file}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(documented.contains(p), "{p} is not documented");
    }

    // A method a documented path does not document is not routed either.
    for (template, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                continue;
            }
            let url = srv.url(&concrete(template));
            let res = srv
                .client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status().as_u16(),
                405,
                "{method} {template} is routed but not documented"
            );
        }
    }

    let mut gets = 0;
    for (template, item) in paths {
        let ops = item.as_object().expect("path item");
        for (method, op) in ops {
            let method = method.as_str();
            if !METHODS.contains(&method) {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {template}: no responses documented"
            );
            let url = srv.url(&concrete(template));
            let req = match method {
                "get" => srv.client.get(&url),
                "post" => srv
                    .client
                    .post(&url)
                    .header("content-type", "application/json"),
                "put" => srv
                    .client
                    .put(&url)
                    .header("content-type", "application/json"),
                "delete" => srv.client.delete(&url),
                _ => srv.client.patch(&url),
            };
            // Writes get a body that is not an object: each must be refused as bad
            // input, never routed nowhere nor answered with a server error. (Training
            // is a write too; a non-object body never starts it.)
            let req = if method == "get" || method == "delete" {
                req
            } else {
                req.body("[]")
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_ne!(
                status, 405,
                "{method} {template} is documented but not routed"
            );
            assert_ne!(
                body["code"], "no_such_route",
                "{method} {template} is documented but not routed"
            );
            assert!(status < 500, "{method} {template} → {status}: {body}");
            if method == "get" {
                gets += 1;
            }
        }
    }
    assert!(gets >= 15, "only {gets} GET operations documented");
    srv.stop().await;
}

//! `GET /openapi.json` describes exactly what the router serves: every route in
//! `src/api/*.rs` is documented, every documented operation is routed (not a 404 "no
//! such route" nor a 405), and every documented GET answers without a server error on the
//! small world. `.ci/schemathesis.sh` goes further with generated requests.

mod common;

use common::TestServer;
use duijie::domain::EntityKind;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The path literals passed to `.route(` in the API's source (formatted entity routes
/// are added from `EntityKind::ALL`, as `entities.rs` builds them).
fn routed_paths() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/api") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        // Unit tests build their own throwaway routers.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in text.match_indices(".route(") {
            let rest = text[at + ".route(".len()..].trim_start();
            if let Some(lit) = rest.strip_prefix('"') {
                let end = lit.find('"').expect("closing quote");
                out.insert(lit[..end].to_string());
            }
        }
    }
    for kind in EntityKind::ALL {
        out.insert(format!("/v1/{}", kind.plural()));
        out.insert(format!("/v1/{}/{{id}}", kind.plural()));
    }
    out
}

/// A concrete path for a template: every `{param}` becomes a value no record has.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closing brace") + open;
        out.push_str(&rest[..open]);
        out.push_str(if template.starts_with("/assets") {
            "no-such-file.js"
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
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths");

    let routed = routed_paths();
    assert!(routed.len() >= 25, "found only {routed:?} in src/api");
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(
        stale.is_empty(),
        "openapi.json documents unrouted paths: {stale:?}"
    );

    let mut gets = 0;
    for (template, item) in paths {
        let ops = item.as_object().expect("path item");
        for (method, op) in ops {
            let method = method.as_str();
            if !["get", "post", "put", "delete", "patch"].contains(&method) {
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
                body["code"], "no_route",
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

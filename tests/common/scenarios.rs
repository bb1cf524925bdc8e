//! Test bodies shared by the SQLite tests (tests/api.rs) and the PostgreSQL ones
//! (tests/postgres.rs): each takes a running server, so the same behaviour is asserted
//! on both backends. Included with `#[path]` by the test files that use it.
#![allow(dead_code)]

use crate::common::{TestServer, small_world};
use serde_json::{Value, json};

/// Imports the small world; every line is accepted.
pub async fn load_world(srv: &TestServer) {
    let (status, report) = srv.post_ndjson("/v1/import", small_world()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rejected_count"], 0, "{report}");
}

/// The ids of a result list (`key` names the nested record, empty for the top level).
pub fn ids(v: &Value, key: &str) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let x = if key.is_empty() {
                &r["id"]
            } else {
                &r[key]["id"]
            };
            x.as_str().unwrap().to_string()
        })
        .collect()
}

/// See tests/api.rs (SQLite) and tests/postgres.rs.
pub async fn import_reports_each_bad_line_and_keeps_the_good_ones(srv: &TestServer) {
    let mut body: Vec<u8> = Vec::new();
    let lines = [
        r#"{"kind":"enterprise","id":"E-1","name":"甲公司","district":"璧山"}"#,
        r#"{"kind":"enterprise","id":"E-2","name":"乙公司","fields":["materials"]}"#,
        r#"{"kind":"need","id":"N-1","enterprise_id":"E-404","title":"中试","service":"pilot_scale"}"#,
        r#"{"kind":"need","id":"N-2","enterprise_id":"E-1","title":"中试"}"#,
        r#"{"kind":"provider","id":"P 1","name":"坏id"}"#,
        r#"{"kind":"provider","id":"P-1","name":"好平台","district":"壁山去"}"#,
        r#"{"kind":"need","id":"N-3","enterprise_id":"E-1","title":"检测","service":"testing"}"#,
        r#"{not json"#,
    ];
    for l in lines {
        body.extend_from_slice(l.as_bytes());
        body.push(b'\n');
    }
    // Line 9: GBK bytes for 中试 in an otherwise fine line.
    body.extend_from_slice(
        b"{\"kind\":\"enterprise\",\"id\":\"E-3\",\"name\":\"\xd6\xd0\xca\xd4\"}\n",
    );
    let (status, r) = srv.post_ndjson("/v1/import", body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(r["inserted"], 3, "{r}");
    let rejected: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (2, "unknown_field_code"),
            (3, "unknown_reference"),
            (4, "missing_field"),
            (5, "invalid_id"),
            (8, "malformed_json"),
            (9, "invalid_encoding"),
        ]
    );
    assert!(
        r["rejected"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("E-404")
    );
    let warning = &r["warnings"][0];
    assert_eq!(
        (warning["line"].as_u64(), warning["code"].as_str()),
        (Some(6), Some("unknown_place"))
    );
    // The good lines are stored and searchable; the short district form was normalised.
    let (_, e) = srv.get("/v1/enterprises/E-1").await;
    assert_eq!(e["district"], "璧山区");
    let (_, found) = srv.get("/v1/search?q=检测&kind=need").await;
    assert_eq!(ids(&found, ""), vec!["N-3"]);
    // Re-importing the same file changes nothing.
    let seq_before = srv.get("/v1/stats").await.1["store"]["last_seq"].clone();
    let (_, again) = srv.post_ndjson("/v1/import", body).await;
    assert_eq!(
        (
            again["inserted"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(
        srv.get("/v1/stats").await.1["store"]["last_seq"],
        seq_before
    );
}

/// See tests/api.rs (SQLite) and tests/postgres.rs.
pub async fn chinese_search_survives_other_segmentation_synonyms_and_filters(srv: &TestServer) {
    // Words split differently from the document's: 工艺放大 / 预浸料 written apart and reordered.
    let (_, r) = srv.get("/v1/search?q=放大工艺%20预浸").await;
    assert_eq!(ids(&r, "").first().map(String::as_str), Some("N-1"), "{r}");
    // A synonym finds its partner: 动力电池 → 锂离子电池 (P-2 never says 动力电池).
    let (_, r) = srv.get("/v1/search?q=动力电池&kind=provider").await;
    assert_eq!(ids(&r, ""), vec!["P-2"], "{r}");
    let snippet = r["results"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>"), "{snippet}");
    assert_eq!(r["results"][0]["name"], "两江锂电中试线");
    // Filters: provider type, district (short form), field, service, kind.
    let (_, r) = srv
        .get("/v1/search?q=中试&provider_type=pilot_platform&district=璧山")
        .await;
    assert_eq!(ids(&r, ""), vec!["P-1"]);
    let (_, r) = srv
        .get("/v1/search?field=new_materials&service=testing")
        .await;
    let mut got = ids(&r, "");
    got.sort();
    assert_eq!(got, vec!["P-1", "P-4"]);
    let (_, r) = srv.get("/v1/search?kind=commissioner").await;
    assert_eq!(ids(&r, ""), vec!["C-1"]);
    assert_eq!(r["total"], 1);
    // A bad filter value is a 400 that names it.
    let resp = srv
        .client
        .get(srv.url("/v1/search?q=x&field=materials"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let p: Value = resp.json().await.unwrap();
    assert_eq!(p["code"], "unknown_field_code");
    assert!(p["detail"].as_str().unwrap().contains("materials"));
}

/// See tests/api.rs (SQLite) and tests/postgres.rs.
pub async fn match_ranks_with_explanations(srv: &TestServer) {
    let (status, r) = srv
        .post_json(
            "/v1/match",
            &json!({"need_id": "N-1", "ranker": "baseline"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["ranker"], "baseline");
    let got = ids(&r, "provider");
    assert_eq!(
        got[0], "P-1",
        "the local pilot platform for composites comes first: {got:?}"
    );
    let first = &r["results"][0];
    let features = first["explanation"]["features"].as_array().unwrap();
    let names: Vec<&str> = features
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "text_bm25",
            "service_match",
            "field_overlap",
            "geo",
            "geo_if_near",
            "type_prior"
        ]
    );
    // The default ranker is the learned one (the shipped model when none is trained here).
    let (_, learned) = srv.post_json("/v1/match", &json!({"need_id": "N-1"})).await;
    assert_eq!(learned["ranker"], "learned");
    assert_eq!(learned["model_version"], "default-2");
    assert_eq!(ids(&learned, "provider")[0], "P-1", "{learned}");
    let lf = learned["results"][0]["explanation"]["features"]
        .as_array()
        .unwrap();
    assert_eq!(lf.len(), 16, "every feature is listed");
    // The contributions add up to the score's logit.
    let logit: f64 = features
        .iter()
        .map(|f| f["contribution"].as_f64().unwrap())
        .sum::<f64>()
        - 4.0;
    let score = first["score"].as_f64().unwrap();
    assert!((1.0 / (1.0 + (-logit).exp()) - score).abs() < 1e-9);
    let summary = first["explanation"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("同在璧山区") && summary.contains("中试熟化"),
        "{summary}"
    );
    let matched = &first["explanation"]["matched_terms"];
    assert!(
        matched.as_array().unwrap().iter().any(|t| t == "碳纤维"),
        "{matched}"
    );
    // Scores are in descending order.
    let scores: Vec<f64> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // The testing lab outside Chongqing is flagged as far.
    let far = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["provider"]["id"] == "P-4")
        .unwrap();
    assert!(
        far["explanation"]["summary"]
            .as_str()
            .unwrap()
            .contains("市外")
    );

    // Free text: service, field and place are read from the words.
    let (_, r) = srv
        .post_json("/v1/match", &json!({"text": "想找做锂电池正极材料中试的平台，最好在两江附近", "limit": 3, "ranker": "baseline"}))
        .await;
    assert_eq!(ids(&r, "provider")[0], "P-2", "{r}");
    assert_eq!(r["inferred"]["service"], "pilot_scale");
    assert_eq!(r["inferred"]["district"], "两江新区");
    assert_eq!(r["results"].as_array().unwrap().len(), 3);
    // Provider-type filter and the BM25 ranker.
    let (_, r) = srv
        .post_json(
            "/v1/match",
            &json!({"need_id": "N-1", "provider_types": ["broker"], "ranker": "bm25"}),
        )
        .await;
    assert_eq!(ids(&r, "provider"), vec!["P-5"]);
    assert_eq!(r["ranker"], "bm25");
    // Errors.
    let (status, p) = srv
        .post_json("/v1/match", &json!({"need_id": "N-404"}))
        .await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    let (status, p) = srv.post_json("/v1/match", &json!({})).await;
    assert_eq!((status, p["code"].as_str()), (400, Some("missing_field")));
    let (status, p) = srv
        .post_json("/v1/match", &json!({"need_id": "N-1", "ranker": "magic"}))
        .await;
    assert_eq!((status, p["code"].as_str()), (400, Some("unknown_ranker")));
}

/// See tests/api.rs (SQLite) and tests/postgres.rs.
pub async fn crud_lists_and_feedback(srv: &TestServer) {
    let (status, r) = srv
        .put("/v1/providers/P-9", &json!({"name": "新中试平台", "provider_type": "pilot_platform", "services": ["pilot_scale"], "description": "石墨烯粉体中试"}))
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["record"]["kind"], "provider");
    let (_, found) = srv.get("/v1/search?q=石墨烯").await;
    assert_eq!(
        ids(&found, ""),
        vec!["P-9"],
        "a write is searchable at once"
    );
    let (status, _) = srv
        .put(
            "/v1/providers/P-9",
            &json!({"name": "新中试平台二期", "services": ["pilot_scale"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, p) = srv
        .put("/v1/providers/P-9", &json!({"id": "P-8", "name": "x"}))
        .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("id_mismatch")));
    let (status, p) = srv
        .put(
            "/v1/needs/N-9",
            &json!({"title": "x", "enterprise_id": "E-1", "service": "nope"}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str(), p["field"].as_str()),
        (422, Some("unknown_service_code"), Some("service"))
    );
    let (status, p) = srv.delete("/v1/enterprises/E-1").await;
    assert_eq!((status, p["code"].as_str()), (409, Some("has_dependents")));
    let (status, _) = srv.delete("/v1/providers/P-9").await;
    assert_eq!(status, 204);
    let (status, _) = srv.get("/v1/providers/P-9").await;
    assert_eq!(status, 404);
    assert_eq!(srv.get("/v1/search?q=石墨烯").await.1["total"], 0);
    // Lists page with a cursor and filter.
    let (_, page) = srv.get("/v1/needs?enterprise_id=E-1&limit=1").await;
    assert_eq!(ids(&page, ""), vec!["N-1"]);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, page) = srv
        .get(&format!(
            "/v1/needs?enterprise_id=E-1&limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(ids(&page, ""), vec!["N-3"]);
    assert!(page["next_cursor"].is_null());
    let (_, open) = srv.get("/v1/needs?status=open").await;
    assert_eq!(ids(&open, ""), vec!["N-1", "N-2"]);
    // Feedback: one object, stored once; NDJSON of many with a bad line.
    let event = json!({"need_id": "N-1", "provider_id": "P-1", "event": "accepted", "actor": "enterprise", "at": "2026-03-01T10:00:00+08:00"});
    let (status, r) = srv.post_json("/v1/feedback", &event).await;
    assert_eq!((status, r["inserted"].as_u64()), (201, Some(1)));
    let (status, r) = srv.post_json("/v1/feedback", &event).await;
    assert_eq!(
        (status, r["unchanged"].as_u64()),
        (200, Some(1)),
        "the same event is stored once"
    );
    let (status, p) = srv.post_json("/v1/feedback", &json!({"need_id": "N-1", "provider_id": "P-1", "event": "liked", "actor": "enterprise"})).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("unknown_event")));
    let many = "{\"need_id\":\"N-1\",\"provider_id\":\"P-2\",\"event\":\"click\",\"actor\":\"enterprise\",\"rank\":2}\n{\"need_id\":\"N-1\",\"provider_id\":\"P-404\",\"event\":\"click\",\"actor\":\"enterprise\"}\n";
    let (status, r) = srv.post_ndjson("/v1/feedback", many).await;
    assert_eq!(status, 201);
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"][0]["line"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(srv.get("/v1/stats").await.1["counts"]["feedback"], 2);
}

//! `GET /metrics`: Prometheus text, request counts per route template, index lag, model,
//! import counts.

mod common;

use common::{TestServer, small_world};
use std::collections::HashMap;

/// A scrape: the content type and every sample as `name{labels}` → value.
async fn scrape(s: &TestServer) -> (String, HashMap<String, f64>) {
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let text = r.text().await.unwrap();
    (ct, parse(&text))
}

/// Parses the text exposition format strictly enough to catch mistakes: `# HELP` / `#
/// TYPE` comments, and samples `name{label="value",…} number` or `name number`.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let what = parts.next().unwrap();
            assert!(what == "HELP" || what == "TYPE", "bad comment {line:?}");
            let name = parts.next().unwrap();
            if what == "TYPE" {
                let kind = parts.next().unwrap();
                assert!(
                    ["counter", "gauge", "histogram"].contains(&kind),
                    "{line:?}"
                );
                assert!(typed.insert(name.to_string()), "TYPE twice: {line:?}");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let name = match series.find('{') {
            Some(at) => {
                assert!(series.ends_with('}'), "{line:?}");
                let labels = &series[at + 1..series.len() - 1];
                // label="value" pairs, values quoted (no quotes inside in our output).
                for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{line:?}"
                    );
                    assert!(v.starts_with('"'), "{line:?}");
                }
                &series[..at]
            }
            None => series,
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name in {line:?}"
        );
        let family = name
            .strip_suffix("_bucket")
            .or_else(|| name.strip_suffix("_sum"))
            .or_else(|| name.strip_suffix("_count"))
            .filter(|f| typed.contains(*f))
            .unwrap_or(name);
        assert!(typed.contains(family), "sample before its TYPE: {line:?}");
        assert!(
            out.insert(series.to_string(), v).is_none(),
            "duplicate series {line:?}"
        );
    }
    out
}

fn get(m: &HashMap<String, f64>, series: &str) -> f64 {
    *m.get(series)
        .unwrap_or_else(|| panic!("no series {series} in {:#?}", m.keys()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_report_routes_index_model_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path()).await;
    let (status, report) = s.post_ndjson("/v1/import", small_world()).await;
    assert_eq!(status, 200, "{report}");
    let inserted = report["inserted"].as_f64().unwrap();

    let (ct, before) = scrape(&s).await;
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");

    // A request to a templated route is counted under the template, not the raw path.
    let (status, _) = s.get("/v1/needs/N-1").await;
    assert_eq!(status, 200);
    let (status, _) = s.get("/v1/needs/N-404").await;
    assert_eq!(status, 404);
    let (status, _) = s.get("/no/such/path").await;
    assert_eq!(status, 404);
    let (_, after) = scrape(&s).await;
    let ok = r#"duijie_http_requests_total{route="/v1/needs/{id}",method="GET",status="200"}"#;
    let missing = r#"duijie_http_requests_total{route="/v1/needs/{id}",method="GET",status="404"}"#;
    assert_eq!(
        get(&after, ok),
        before.get(ok).copied().unwrap_or(0.0) + 1.0
    );
    assert_eq!(get(&after, missing), 1.0);
    assert_eq!(
        get(
            &after,
            r#"duijie_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        1.0
    );
    assert!(
        !after
            .keys()
            .any(|k| k.contains("N-1") || k.contains("/no/such")),
        "raw paths leaked into labels"
    );
    // The histogram is cumulative and its count covers both statuses of the route.
    let count = get(
        &after,
        r#"duijie_http_request_duration_seconds_count{route="/v1/needs/{id}"}"#,
    );
    assert_eq!(count, get(&after, ok) + get(&after, missing));
    assert_eq!(
        get(
            &after,
            r#"duijie_http_request_duration_seconds_bucket{route="/v1/needs/{id}",le="+Inf"}"#
        ),
        count
    );
    let mut last = 0.0;
    for le in [
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
        "10", "+Inf",
    ] {
        let v = get(
            &after,
            &format!(
                r#"duijie_http_request_duration_seconds_bucket{{route="/v1/needs/{{id}}",le="{le}"}}"#
            ),
        );
        assert!(v >= last, "buckets must be cumulative");
        last = v;
    }
    assert!(
        get(
            &after,
            r#"duijie_http_request_duration_seconds_sum{route="/v1/needs/{id}"}"#
        ) > 0.0
    );
    // The scrape itself is a route like any other.
    assert!(
        get(
            &after,
            r#"duijie_http_requests_total{route="/metrics",method="GET",status="200"}"#
        ) >= 1.0
    );

    // Store and index: synced after the import, so no lag.
    assert_eq!(get(&after, "duijie_store_up"), 1.0);
    assert_eq!(get(&after, "duijie_index_lag"), 0.0);
    assert!(get(&after, "duijie_store_last_seq") >= inserted);
    assert_eq!(
        get(&after, "duijie_index_applied_seq"),
        get(&after, "duijie_store_last_seq")
    );
    assert_eq!(get(&after, "duijie_index_documents"), 11.0);
    assert_eq!(get(&after, r#"duijie_entities{kind="provider"}"#), 5.0);
    assert_eq!(get(&after, r#"duijie_entities{kind="need"}"#), 3.0);
    assert_eq!(get(&after, r#"duijie_entities{kind="enterprise"}"#), 2.0);
    assert_eq!(get(&after, r#"duijie_entities{kind="commissioner"}"#), 1.0);

    // The model in use and the build.
    let (_, stats) = s.get("/v1/stats").await;
    let version = stats["model"]["active_version"].as_str().unwrap();
    assert_eq!(
        get(
            &after,
            &format!(r#"duijie_model_info{{version="{version}",ranker="learned"}}"#)
        ),
        1.0
    );
    assert_eq!(
        get(
            &after,
            &format!(
                r#"duijie_build_info{{version="{}"}}"#,
                env!("CARGO_PKG_VERSION")
            )
        ),
        1.0
    );
    assert!(get(&after, "process_resident_memory_bytes") > 1e6);

    // Import counts follow the import reports.
    let inserted_series = r#"duijie_import_records_total{source="import",outcome="inserted"}"#;
    let unchanged_series = r#"duijie_import_records_total{source="import",outcome="unchanged"}"#;
    let rejected_series = r#"duijie_import_records_total{source="import",outcome="rejected"}"#;
    assert_eq!(get(&after, inserted_series), inserted);
    let again = format!("{}\n{{\"kind\":\"need\"}}", small_world());
    let (status, report) = s.post_ndjson("/v1/import", again).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unchanged"], 11);
    assert_eq!(report["rejected_count"], 1);
    let fb = serde_json::json!({"need_id":"N-1","provider_id":"P-1","event":"contacted","actor":"enterprise"});
    let (status, report) = s.post_json("/v1/feedback", &fb).await;
    assert_eq!(status, 201, "{report}");
    let (_, later) = scrape(&s).await;
    assert_eq!(get(&later, inserted_series), inserted);
    assert_eq!(
        get(&later, unchanged_series),
        get(&after, unchanged_series) + 11.0
    );
    assert_eq!(
        get(&later, rejected_series),
        get(&after, rejected_series) + 1.0
    );
    assert_eq!(
        get(
            &later,
            r#"duijie_import_records_total{source="feedback",outcome="inserted"}"#
        ),
        get(
            &after,
            r#"duijie_import_records_total{source="feedback",outcome="inserted"}"#
        ) + 1.0
    );
    assert_eq!(get(&later, r#"duijie_feedback_events"#), 1.0);
    // (Feedback is logged too; the index passes over it at the next follow tick, which
    // this in-process server does not run, so the lag is not checked here.)
    s.stop().await;
}

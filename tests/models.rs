//! Learned ranking over HTTP: the shipped model is active on a fresh store, training
//! under load swaps the model with zero failed requests, a request can pin a version,
//! reload re-reads the active pointer.

mod common;

use common::TestServer;
use duijie::ingest::demo::{DemoConfig, write_world};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retraining_under_load_swaps_the_model_without_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    let mut world = Vec::new();
    let mut judgments = Vec::new();
    write_world(
        &DemoConfig {
            seed: 5,
            scale: 0.1,
        },
        &mut world,
        &mut judgments,
    )
    .unwrap();
    let (status, report) = srv.post_ndjson("/v1/import", world).await;
    assert_eq!(
        (status, report["rejected_count"].as_u64()),
        (200, Some(0)),
        "{report}"
    );

    let (_, models) = srv.get("/v1/models").await;
    assert_eq!(models["active"], "default-2", "{models}");
    assert_eq!(models["results"][0]["source"], "shipped");

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let versions = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let mut load = Vec::new();
    for worker in 0..3 {
        let (stop, ok, failed, versions) =
            (stop.clone(), ok.clone(), failed.clone(), versions.clone());
        let client = srv.client.clone();
        let url = srv.url("/v1/match");
        load.push(tokio::spawn(async move {
            let mut i = worker;
            while !stop.load(Ordering::SeqCst) {
                let need = format!("N-{:06}", i % 300 + 1);
                i += 3;
                match client
                    .post(&url)
                    .json(&json!({"need_id": need}))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let v: serde_json::Value = r.json().await.unwrap();
                        versions
                            .lock()
                            .unwrap()
                            .insert(v["model_version"].as_str().unwrap_or("").to_string());
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    let (status, trained) = srv
        .post_json("/v1/admin/train", &json!({"force": true}))
        .await;
    assert_eq!(status, 200, "{trained}");
    assert_eq!(trained["promoted"], true);
    let new_version = trained["version"].as_str().unwrap().to_string();
    assert!(
        trained["metrics"]["learned"]["ndcg_at_10"]
            .as_f64()
            .is_some()
    );
    assert!(
        trained["metrics"]["active"].is_object(),
        "the shipped model was compared: {trained}"
    );
    // Keep the load going a little after the swap.
    let before = ok.load(Ordering::SeqCst);
    while ok.load(Ordering::SeqCst) < before + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for l in load {
        l.await.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "requests failed during the swap"
    );
    let seen = versions.lock().unwrap().clone();
    assert!(
        seen.contains("default-2") && seen.contains(&new_version),
        "both models served: {seen:?}"
    );
    eprintln!(
        "{} requests during training, none failed",
        ok.load(Ordering::SeqCst)
    );

    // Pinning, listing, reloading.
    let (_, pinned) = srv
        .post_json(
            "/v1/match",
            &json!({"need_id": "N-000001", "model_version": "default-2"}),
        )
        .await;
    assert_eq!(pinned["model_version"], "default-2");
    let (status, p) = srv
        .post_json(
            "/v1/match",
            &json!({"need_id": "N-000001", "model_version": "nope"}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    let (_, models) = srv.get("/v1/models").await;
    assert_eq!(models["active"], new_version.as_str());
    assert_eq!(models["results"].as_array().unwrap().len(), 2);
    let (status, reloaded) = srv.post_json("/v1/admin/models/reload", &json!({})).await;
    assert_eq!(
        (status, reloaded["active"].as_str()),
        (200, Some(new_version.as_str()))
    );
    let (_, stats) = srv.get("/v1/stats").await;
    assert_eq!(stats["model"]["active_version"], new_version.as_str());
    srv.stop().await;
}

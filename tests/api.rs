//! The service end to end over HTTP: import, search, match, CRUD, feedback, errors,
//! restart and crash repair. Each test has its own data directory and port.

mod common;
#[path = "common/scenarios.rs"]
mod scenarios;

use common::{TestServer, paths};
use duijie::domain::validate::check;
use duijie::store::Store;
use scenarios::ids;
use serde_json::{Value, json};

async fn world() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    scenarios::load_world(&srv).await;
    (dir, srv)
}

#[tokio::test]
async fn import_reports_each_bad_line_and_keeps_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    scenarios::import_reports_each_bad_line_and_keeps_the_good_ones(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn chinese_search_survives_other_segmentation_synonyms_and_filters() {
    let (_dir, srv) = world().await;
    scenarios::chinese_search_survives_other_segmentation_synonyms_and_filters(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn match_ranks_with_explanations() {
    let (_dir, srv) = world().await;
    scenarios::match_ranks_with_explanations(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn crud_lists_and_feedback() {
    let (_dir, srv) = world().await;
    scenarios::crud_lists_and_feedback(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn errors_share_one_shape() {
    let (_dir, srv) = world().await;
    let resp = srv
        .client
        .post(srv.url("/v1/match"))
        .header("content-type", "application/json")
        .body("{\"need_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let p: Value = resp.json().await.unwrap();
    assert_eq!(
        (p["code"].as_str(), p["status"].as_u64()),
        (Some("invalid_json"), Some(400))
    );
    assert!(p["title"].as_str().is_some() && p["type"].as_str().is_some());
    let (status, p) = srv.get("/v1/nothing-here").await;
    assert_eq!((status, p["code"].as_str()), (404, Some("no_such_route")));
    let big = json!({"text": "中".repeat(600_000)});
    let (status, p) = srv.post_json("/v1/match", &big).await;
    assert_eq!((status, p["code"].as_str()), (413, Some("body_too_large")));
    let long = json!({"text": "中试".repeat(1_500)});
    let (status, p) = srv.post_json("/v1/match", &long).await;
    assert_eq!((status, p["code"].as_str()), (400, Some("text_too_long")));
    let (status, p) = srv
        .post_json("/v1/match", &json!({"need_id": "N-1", "colour": "red"}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (400, Some("invalid_json")),
        "{p}"
    );
    let (_, h) = srv.get("/healthz").await;
    assert_eq!(h, json!({"status": "ok"}));
    srv.stop().await;
}

#[tokio::test]
async fn restart_keeps_everything() {
    let (dir, srv) = world().await;
    let (_, before) = srv.get("/v1/stats").await;
    srv.stop().await;
    let srv = TestServer::start(dir.path()).await;
    let (_, after) = srv.get("/v1/stats").await;
    assert_eq!(before["counts"], after["counts"]);
    assert_eq!(after["index"]["lag"], 0);
    let (_, r) = srv.get("/v1/search?q=碳纤维&kind=need").await;
    assert_eq!(ids(&r, ""), vec!["N-1"]);
    srv.stop().await;
}

#[tokio::test]
async fn a_crash_between_store_and_index_commit_is_repaired_on_start() {
    let (dir, srv) = world().await;
    srv.stop().await;
    // The store commits a change the index never hears of (as if the process died
    // between the two commits).
    let store = Store::open(&paths(dir.path()).store_url()).await.unwrap();
    let rec = check(
        &json!({"kind":"provider","id":"P-77","name":"氢能中试平台","services":["pilot_scale"],"description":"燃料电池电堆中试"}),
        None,
    )
    .unwrap()
    .record;
    store.apply(&[rec]).await.unwrap();
    store
        .delete(duijie::domain::EntityKind::Provider, "P-5")
        .await
        .unwrap();
    store.close().await;
    let srv = TestServer::start(dir.path()).await;
    let (_, r) = srv.get("/v1/search?q=燃料电池").await;
    assert_eq!(ids(&r, "")[0], "P-77");
    let (_, r) = srv.get("/v1/search?q=经纪").await;
    assert!(
        !ids(&r, "").contains(&"P-5".to_string()),
        "the deletion reached the index"
    );
    assert_eq!(srv.get("/v1/stats").await.1["index"]["lag"], 0);
    srv.stop().await;
    // A lost or damaged index is rebuilt from the store.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let srv = TestServer::start(dir.path()).await;
    let (_, r) = srv.get("/v1/search?q=燃料电池").await;
    assert_eq!(ids(&r, "")[0], "P-77");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_world_serves_a_first_screen_of_ten_explained_providers() {
    let dir = tempfile::tempdir().unwrap();
    let app = duijie::app::App::open(&paths(dir.path())).await.unwrap();
    assert!(app.is_empty().await.unwrap());
    let report = app.load_demo().await.unwrap();
    assert_eq!(report.rejected_count, 0);
    let srv = TestServer::serve(app).await;
    let (_, stats) = srv.get("/v1/stats").await;
    assert_eq!(stats["counts"]["enterprises"], 2000);
    assert_eq!(stats["counts"]["needs"], 3000);
    assert_eq!(stats["counts"]["providers"], 600);
    assert_eq!(stats["counts"]["commissioners"], 150);
    assert!(stats["counts"]["feedback"].as_i64().unwrap() > 30_000);
    assert_eq!(stats["index"]["lag"], 0);
    let (status, r) = srv
        .post_json("/v1/match", &json!({"need_id": "N-000001"}))
        .await;
    assert_eq!(status, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for x in results {
        assert!(!x["explanation"]["summary"].as_str().unwrap().is_empty());
        assert_eq!(x["explanation"]["features"].as_array().unwrap().len(), 16);
    }
    srv.stop().await;
}

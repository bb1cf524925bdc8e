//! Per-key rate limits: over the burst, `429 rate_limited` with `Retry-After`; another
//! key is unaffected. The limits, and the web directory, are given through the HTTP
//! settings (`HttpConfig`), not the environment.

mod common;

use common::{TestServer, paths};
use duijie::api::HttpConfig;
use duijie::api::auth::RateLimit;
use duijie::app::App;

#[tokio::test]
async fn over_the_burst_a_key_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        keys.push(common::make_key(&app, "admin", None).await.1);
    }
    let config = HttpConfig {
        rate: RateLimit {
            per_sec: 0.5,
            burst: 3.0,
        },
        ..HttpConfig::default()
    };
    let srv = TestServer::serve_configured(app, config).await;
    let get = async |key: &str| {
        srv.client
            .get(srv.url("/v1/stats"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(get(&keys[0]).await.status(), 200);
    }
    let over = get(&keys[0]).await;
    assert_eq!(over.status(), 429);
    let wait: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body: serde_json::Value = over.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(get(&keys[1]).await.status(), 200, "limits are per key");
    srv.stop().await;
}

#[tokio::test]
async fn a_web_directory_in_the_settings_serves_the_page_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<p>from disk</p>").unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let config = HttpConfig {
        web_dir: Some(web.path().to_path_buf()),
        ..HttpConfig::default()
    };
    let srv = TestServer::serve_configured(app, config).await;
    let page = srv.client.get(srv.url("/")).send().await.unwrap();
    assert_eq!(page.text().await.unwrap(), "<p>from disk</p>");
    // A file missing there still comes from the built-in copies.
    let css = srv
        .client
        .get(srv.url("/assets/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(!css.text().await.unwrap().is_empty());
    srv.stop().await;
}

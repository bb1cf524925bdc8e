//! Per-key rate limits: over the burst, `429 rate_limited` with `Retry-After`; another
//! key is unaffected. (Its own test binary: the limits come from the environment.)

mod common;

use common::{TestServer, paths};
use duijie::api::auth::{new_key, secret_sha};
use duijie::app::App;

#[tokio::test]
async fn over_the_burst_a_key_gets_429_with_retry_after() {
    // SAFETY: the only test in this binary; set before the server reads them.
    unsafe {
        std::env::set_var("DUIJIE_RATE_PER_SEC", "0.5");
        std::env::set_var("DUIJIE_RATE_BURST", "3");
    }
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let (id, secret, full) = new_key().unwrap();
        app.store()
            .create_key(&id, &secret_sha(&secret), "admin", None)
            .await
            .unwrap();
        keys.push(full);
    }
    let srv = TestServer::serve(app).await;
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

//! The web page's files and the vocabulary it loads: `GET /v1/vocabulary` answers the
//! domain's tables (and, like every `/v1/` read, a key on a closed server); the page's
//! files carry a strong `ETag`, answer a matching `If-None-Match` with 304, and come
//! gzipped to a client that accepts it.

mod common;

use common::{TestServer, paths};
use duijie::app::App;
use duijie::domain::{Districts, Field, NeedStatus, ProviderType, Service};
use serde_json::Value;
use std::io::Read;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vocabulary_is_the_domains() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    let (s, v) = srv.get("/v1/vocabulary").await;
    assert_eq!(s, 200, "{v}");
    let codes = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {v}"))
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_string())
            .collect()
    };
    let want = |all: Vec<&str>| all.into_iter().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        codes("fields"),
        want(Field::ALL.iter().map(|f| f.code()).collect())
    );
    assert_eq!(
        codes("services"),
        want(Service::ALL.iter().map(|x| x.code()).collect())
    );
    assert_eq!(
        codes("provider_types"),
        want(ProviderType::ALL.iter().map(|x| x.code()).collect())
    );
    assert_eq!(
        codes("need_statuses"),
        want(NeedStatus::ALL.iter().map(|x| x.code()).collect())
    );
    assert_eq!(v["fields"][0]["zh"], "新一代信息技术");
    assert_eq!(v["fields"][0]["short"], "信息技术");
    assert_eq!(v["services"][0]["zh"], "中试熟化");
    assert_eq!(v["certifications"][0]["code"], "tech_sme");
    assert_eq!(v["kinds"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["city_wide"], "全市");

    let districts = v["districts"].as_array().unwrap();
    assert_eq!(districts.len(), Districts::get().all().len());
    let bishan = districts
        .iter()
        .find(|d| d["name"] == "璧山区")
        .expect("璧山区");
    assert!(
        bishan["aliases"]
            .as_array()
            .unwrap()
            .contains(&"璧山".into())
    );
    assert!(
        bishan["neighbours"]
            .as_array()
            .unwrap()
            .contains(&"沙坪坝区".into())
    );
    assert_eq!(bishan["area"], "主城新区");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vocabulary_needs_a_key_of_any_role_on_a_closed_server() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let (_, full) = common::make_key(&app, "enterprise", Some("E-1")).await;
    let srv = TestServer::serve(app).await;
    let (s, body) = srv.get("/v1/vocabulary").await;
    assert_eq!(s, 401, "{body}");
    let res = srv
        .client
        .get(srv.url("/v1/vocabulary"))
        .bearer_auth(&full)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The page itself is outside /v1/ and needs no key.
    let res = srv.client.get(srv.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_files_answer_304_to_their_etag_and_come_gzipped_when_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    for path in ["/", "/assets/app.js", "/assets/style.css", "/assets/api.js"] {
        // Plain: the bytes, a strong tag, revalidation asked for.
        let res = srv.client.get(srv.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers().clone();
        assert!(h.get("content-encoding").is_none(), "{path}");
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert_eq!(h["vary"], "Accept-Encoding", "{path}");
        let etag = h["etag"].to_str().unwrap().to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
            "{path}: {etag}"
        );
        let plain = res.bytes().await.unwrap();
        assert!(!plain.is_empty());

        // The same tag again: 304, no body, the tag repeated.
        let res = srv
            .client
            .get(srv.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "{path}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
        assert!(res.bytes().await.unwrap().is_empty());

        // Another tag: the file.
        let res = srv
            .client
            .get(srv.url(path))
            .header("if-none-match", "\"0000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");

        // gzip accepted: gzipped, smaller, its own tag, the same bytes once inflated.
        let res = srv
            .client
            .get(srv.url(path))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let gz_tag = res.headers()["etag"].to_str().unwrap().to_string();
        assert_ne!(gz_tag, etag, "{path}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
        let zipped = res.bytes().await.unwrap();
        assert!(zipped.len() < plain.len(), "{path}");
        let mut inflated = Vec::new();
        libflate::gzip::Decoder::new(&zipped[..])
            .unwrap()
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated, plain.to_vec(), "{path}");
        if path.ends_with(".js") {
            assert_eq!(content_type, "text/javascript; charset=utf-8");
        }

        // A browser revalidating its gzip copy gets 304 with the gzip tag.
        let res = srv
            .client
            .get(srv.url(path))
            .header("accept-encoding", "gzip")
            .header("if-none-match", &gz_tag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "{path}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), gz_tag);
    }
    let (s, body): (u16, Value) = srv.get("/assets/nope.js").await;
    assert_eq!(s, 404, "{body}");
    srv.stop().await;
}

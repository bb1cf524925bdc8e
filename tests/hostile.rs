//! Regressions for the defects a hostile probe found (issue 17): a server that fell open
//! when its last key was revoked, feedback forged on what a key does not own, cursors
//! naming hidden records, ids given as numbers slipping past ownership checks, unlimited
//! failed authentication, and error answers that were not problem+json.

mod common;

use common::{TestServer, code, make_key, paths, small_world};
use duijie::api::auth::Access;
use duijie::app::App;
use serde_json::{Value, json};
use std::time::Duration;

/// Longer than the guard's cache of "how many live keys" (2 s).
const KEY_CACHE: Duration = Duration::from_millis(2_300);

#[tokio::test]
async fn revoking_the_last_key_never_opens_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let (id, admin) = make_key(&app, "admin", None).await;
    let store = app.store().clone();
    let srv = TestServer::serve(app).await;
    assert_eq!(srv.call("GET", "/v1/admin/audit", None, None).await.0, 401);
    assert_eq!(
        srv.call("GET", "/v1/admin/audit", Some(&admin), None)
            .await
            .0,
        200
    );

    assert!(store.revoke_key(&id).await.unwrap());
    tokio::time::sleep(KEY_CACHE).await;
    let (s, body) = srv.call("GET", "/v1/admin/audit", None, None).await;
    assert_eq!((s, code(&body)), (401, "unauthorized"), "{body}");
    let put = json!({"name":"x"});
    assert_eq!(
        srv.call("PUT", "/v1/providers/P-X", None, Some(put))
            .await
            .0,
        401
    );
    assert_eq!(
        srv.call("GET", "/v1/admin/audit", Some(&admin), None)
            .await
            .0,
        401
    );
    srv.stop().await;

    // Restarted with every key revoked, on loopback: still closed.
    let app = App::open(&paths(dir.path())).await.unwrap();
    let srv = TestServer::serve(app).await;
    assert_eq!(srv.call("GET", "/v1/stats", None, None).await.0, 401);
    srv.stop().await;
}

#[tokio::test]
async fn an_open_server_closes_for_good_when_a_key_appears() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let store = app.store().clone();
    let srv = TestServer::serve(app.clone()).await;
    assert_eq!(
        srv.call("GET", "/v1/stats", None, None).await.0,
        200,
        "open on loopback"
    );
    let (id, _) = make_key(&app, "admin", None).await;
    tokio::time::sleep(KEY_CACHE).await;
    assert_eq!(srv.call("GET", "/v1/stats", None, None).await.0, 401);
    store.revoke_key(&id).await.unwrap();
    tokio::time::sleep(KEY_CACHE).await;
    assert_eq!(
        srv.call("GET", "/v1/stats", None, None).await.0,
        401,
        "never reopens"
    );
    srv.stop().await;
}

#[tokio::test]
async fn open_mode_is_decided_at_start_and_never_on_a_network_for_a_store_that_had_keys() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    // Only the IP matters to the decision; nothing is bound here.
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let public = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let decide = async |addr, open| Access::decide(app.store(), addr, open).await;
    // Never had a key: open on loopback; a network address only with --open.
    assert_eq!(decide(local, false).await.unwrap(), Access::Open);
    assert!(decide(public, false).await.is_err());
    assert_eq!(decide(public, true).await.unwrap(), Access::Open);
    // Live keys: closed; --open refused.
    let (id, _) = make_key(&app, "admin", None).await;
    assert_eq!(decide(public, false).await.unwrap(), Access::Keys);
    assert_eq!(decide(local, false).await.unwrap(), Access::Keys);
    assert!(decide(local, true).await.is_err());
    // Every key revoked: closed anywhere; --open only on loopback.
    app.store().revoke_key(&id).await.unwrap();
    assert_eq!(decide(public, false).await.unwrap(), Access::Keys);
    assert_eq!(decide(local, false).await.unwrap(), Access::Keys);
    assert!(decide(public, true).await.is_err());
    assert_eq!(decide(local, true).await.unwrap(), Access::Open);
}

struct World {
    _dir: tempfile::TempDir,
    srv: TestServer,
    e1: String,
    e2: String,
    c1: String,
    p1: String,
    p2: String,
    broker: String,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let extra = [
        r#"{"kind":"need","id":"N-C","enterprise_id":"E-1","title":"碳纤维回收（专员可见）","service":"pilot_scale","district":"璧山区","visibility":"commissioners"}"#,
        r#"{"kind":"need","id":"N-M","enterprise_id":"E-1","title":"预浸料保密项目（仅对接方）","service":"pilot_scale","district":"璧山区","visibility":"matched_only"}"#,
    ]
    .join("\n");
    let report = app
        .import(
            format!("{}\n{extra}", small_world()).as_bytes(),
            &duijie::ingest::SourceFormat::Jsonl,
        )
        .await
        .unwrap();
    assert_eq!(report.rejected_count, 0, "{report:?}");
    make_key(&app, "admin", None).await;
    World {
        e1: make_key(&app, "enterprise", Some("E-1")).await.1,
        e2: make_key(&app, "enterprise", Some("E-2")).await.1,
        c1: make_key(&app, "commissioner", Some("C-1")).await.1,
        p1: make_key(&app, "provider", Some("P-1")).await.1,
        p2: make_key(&app, "provider", Some("P-2")).await.1,
        broker: make_key(&app, "broker", Some("P-5")).await.1,
        srv: TestServer::serve(app).await,
        _dir: dir,
    }
}

#[tokio::test]
async fn feedback_is_authorised_by_ownership() {
    let w = world().await;
    let post = async |key: &str, body: Value| {
        w.srv
            .call("POST", "/v1/feedback", Some(key), Some(body))
            .await
    };

    // A provider cannot make a matched_only need visible to itself by "contacting" it.
    let (s, b) = post(
        &w.p2,
        json!({"need_id":"N-M","provider_id":"P-2","event":"contacted","actor":"provider"}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(
        w.srv
            .call("GET", "/v1/needs/N-M", Some(&w.p2), None)
            .await
            .0,
        404
    );
    // Nor post outcomes, nor speak for another provider.
    let (s, b) = post(
        &w.p1,
        json!({"need_id":"N-1","provider_id":"P-1","event":"accepted","actor":"provider"}),
    )
    .await;
    assert_eq!((s, code(&b)), (403, "forbidden"), "{b}");
    let (s, _) = post(
        &w.p1,
        json!({"need_id":"N-1","provider_id":"P-2","event":"contacted","actor":"provider"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, b) = post(
        &w.p1,
        json!({"need_id":"N-1","provider_id":"P-1","event":"contacted","actor":"provider"}),
    )
    .await;
    assert_eq!(s, 201, "{b}");

    // An enterprise naming itself cannot post on another enterprise's need.
    let (s, b) = post(&w.e2, json!({"need_id":"N-1","provider_id":"P-1","enterprise_id":"E-2","event":"accepted","actor":"enterprise"})).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = post(&w.e1, json!({"need_id":"N-1","provider_id":"P-1","enterprise_id":"E-1","event":"accepted","actor":"enterprise"})).await;
    assert_eq!(s, 201, "{b}");

    // A commissioner speaks for its own pairs with enterprises, never a provider's deal.
    let (s, b) = post(&w.c1, json!({"need_id":"N-2","provider_id":"P-2","commissioner_id":"C-1","event":"deal","actor":"commissioner"})).await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = post(&w.c1, json!({"enterprise_id":"E-1","commissioner_id":"C-2","event":"contacted","actor":"commissioner"})).await;
    assert_eq!(s, 403);
    let (s, b) = post(&w.c1, json!({"enterprise_id":"E-1","commissioner_id":"C-1","event":"contacted","actor":"commissioner"})).await;
    assert_eq!(s, 201, "{b}");

    // A broker only on leads it claimed.
    let fb = json!({"need_id":"N-2","broker_id":"P-5","provider_id":"P-2","event":"accepted","actor":"broker"});
    let (s, b) = post(&w.broker, fb.clone()).await;
    assert_eq!(s, 403, "{b}");
    let out = json!({"broker_id":"P-5","event":"deal","provider_id":"P-2"});
    assert_eq!(
        w.srv
            .call("POST", "/v1/leads/N-2/outcome", Some(&w.broker), Some(out))
            .await
            .0,
        403
    );
    let (s, b) = w
        .srv
        .call(
            "POST",
            "/v1/leads/N-2/claim",
            Some(&w.broker),
            Some(json!({"broker_id":"P-5"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = post(&w.broker, fb).await;
    assert_eq!(s, 201, "{b}");
    w.srv.stop().await;
}

#[tokio::test]
async fn cursors_are_opaque_and_never_name_a_hidden_record() {
    let w = world().await;
    // E-1's needs in id order: N-1, N-3 (public), N-C, N-M (hidden from E-2).
    let (s, page) = w
        .srv
        .call(
            "GET",
            "/v1/needs?enterprise_id=E-1&limit=3",
            Some(&w.e2),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["results"].as_array().unwrap().len(), 2, "{page}");
    assert!(
        page["next_cursor"].is_null(),
        "nothing more it may see: {page}"
    );
    // Page by one: every cursor is opaque, and paging finds exactly the visible needs.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (s, page) = w
            .srv
            .call(
                "GET",
                &format!("/v1/needs?enterprise_id=E-1&limit=1{q}"),
                Some(&w.e2),
                None,
            )
            .await;
        assert_eq!(s, 200, "{page}");
        for r in page["results"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(!c.contains("N-"), "cursor shows an id: {c}");
                cursor = Some(c.to_string());
            }
            None => break,
        }
    }
    assert_eq!(seen, ["N-1", "N-3"]);
    // The owner pages through all four.
    let (_, page) = w
        .srv
        .call(
            "GET",
            "/v1/needs?enterprise_id=E-1&limit=3",
            Some(&w.e1),
            None,
        )
        .await;
    assert_eq!(page["results"].as_array().unwrap().len(), 3);
    assert!(page["next_cursor"].is_string());
    // A forged cursor is a clear 400.
    for bad in ["N-C", "c1.%21%21", "zzz"] {
        let (s, b) = w
            .srv
            .call("GET", &format!("/v1/needs?cursor={bad}"), Some(&w.e2), None)
            .await;
        assert_eq!((s, code(&b)), (400, "bad_cursor"), "{bad}: {b}");
    }
    w.srv.stop().await;
}

#[tokio::test]
async fn ids_codes_and_names_of_the_wrong_type_are_rejected_not_coerced() {
    let w = world().await;
    let need = json!({"enterprise_id":500112,"title":"x","service":"pilot_scale"});
    let (s, b) = w
        .srv
        .call("PUT", "/v1/needs/N-X", Some(&w.e2), Some(need))
        .await;
    assert_eq!(
        (s, code(&b), b["field"].as_str()),
        (400, "wrong_type", Some("enterprise_id")),
        "{b}"
    );
    assert_eq!(
        w.srv
            .call("GET", "/v1/needs/N-X", Some(&w.e1), None)
            .await
            .0,
        404,
        "nothing stored"
    );
    for (body, field) in [
        (json!({"name":123}), "name"),
        (json!({"id":2,"name":"x"}), "id"),
        (json!({"kind":["enterprise"],"name":"x"}), "kind"),
    ] {
        let (s, b) = w
            .srv
            .call("PUT", "/v1/enterprises/E-2", Some(&w.e2), Some(body))
            .await;
        assert_eq!(
            (s, code(&b), b["field"].as_str()),
            (400, "wrong_type", Some(field)),
            "{b}"
        );
    }
    let fb = json!({"kind":5,"need_id":"N-1","provider_id":"P-1","event":"contacted","actor":"enterprise"});
    let (s, b) = w
        .srv
        .call("POST", "/v1/feedback", Some(&w.e1), Some(fb))
        .await;
    assert_eq!((s, code(&b)), (400, "wrong_type"), "{b}");
    w.srv.stop().await;
}

#[tokio::test]
async fn failed_authentication_is_limited_per_client_address() {
    let w = world().await;
    let mut limited = None;
    for i in 0..40 {
        let r = w
            .srv
            .client
            .get(w.srv.url("/v1/stats"))
            .bearer_auth(format!("dj_0000{i:04}_bad"))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 401);
    }
    let r = limited.expect("429 after repeated failures");
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_auth_failures");
    w.srv.stop().await;
}

#[tokio::test]
async fn every_error_from_any_layer_is_problem_json() {
    let w = world().await;
    let check = |r: reqwest::Response, status: u16, want: &'static str| async move {
        assert_eq!(r.status().as_u16(), status);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], want, "{body}");
    };
    let get = |path: String| w.srv.client.get(w.srv.url(&path)).bearer_auth(&w.e1);
    check(
        get("/v1/needs/%ff%fe".into()).send().await.unwrap(),
        400,
        "invalid_path",
    )
    .await;
    check(
        get(format!("/v1/search?q={}", "a".repeat(20_000)))
            .send()
            .await
            .unwrap(),
        414,
        "uri_too_long",
    )
    .await;
    check(
        get("/v1/stats".into())
            .header("x-big", "b".repeat(40_000))
            .send()
            .await
            .unwrap(),
        431,
        "headers_too_large",
    )
    .await;
    let mut many = get("/v1/stats".into());
    for i in 0..80 {
        many = many.header(format!("x-h{i}"), "1");
    }
    check(many.send().await.unwrap(), 431, "headers_too_large").await;
    let r = w
        .srv
        .client
        .post(w.srv.url("/v1/needs/N-1"))
        .bearer_auth(&w.e1)
        .send()
        .await
        .unwrap();
    check(r, 405, "method_not_allowed").await;
    w.srv.stop().await;
}

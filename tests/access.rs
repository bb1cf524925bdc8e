//! Access control over HTTP: keys (401 without or with a wrong one), roles (403 when a
//! role may not), each need visibility in search, reads, match and leads, the audit
//! log, and rate limits with `429` + `Retry-After`.

mod common;

use common::{TestServer, code, make_key, paths, small_world};
use duijie::app::App;
use serde_json::{Value, json};

struct Keys {
    admin: String,
    e1: String,
    e2: String,
    c1: String,
    p1: String,
    p2: String,
    broker: String,
}

/// The small world plus two hidden needs, served with keys configured.
async fn world() -> (tempfile::TempDir, TestServer, Keys) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&paths(dir.path())).await.unwrap();
    let extra = [
        r#"{"kind":"provider","id":"P-5","provider_type":"broker","name":"王经纪","district":"沙坪坝区","served_districts":["璧山区"],"fields":["new_materials"],"services":["brokerage","tech_transfer"],"description":"新材料方向技术经纪，帮助企业找到合适的中试平台。","capacity":3}"#,
        r#"{"kind":"need","id":"N-C","enterprise_id":"E-1","title":"碳纤维回收工艺中试（专员可见）","description":"碳纤维复合材料回收再利用的中试","service":"pilot_scale","fields":["new_materials"],"district":"璧山区","visibility":"commissioners"}"#,
        r#"{"kind":"need","id":"N-M","enterprise_id":"E-1","title":"碳纤维预浸料保密项目（仅对接方）","description":"碳纤维预浸料工艺放大","service":"pilot_scale","fields":["new_materials"],"district":"璧山区","visibility":"matched_only"}"#,
        r#"{"kind":"feedback","need_id":"N-M","provider_id":"P-1","event":"contacted","actor":"enterprise"}"#,
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
    let make = async |role: &str, subject: Option<&str>| make_key(&app, role, subject).await.1;
    let keys = Keys {
        admin: make("admin", None).await,
        e1: make("enterprise", Some("E-1")).await,
        e2: make("enterprise", Some("E-2")).await,
        c1: make("commissioner", Some("C-1")).await,
        p1: make("provider", Some("P-1")).await,
        p2: make("provider", Some("P-2")).await,
        broker: make("broker", Some("P-5")).await,
    };
    let srv = TestServer::serve(app).await;
    (dir, srv, keys)
}

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["id"]
                .as_str()
                .or_else(|| x["need"]["id"].as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn keys_and_roles_decide_who_may_write_what() {
    let (_dir, srv, k) = world().await;
    // No key, a malformed key, a made-up key: 401.
    for key in [None, Some("nonsense"), Some("dj_00000000_ffff")] {
        let (s, e) = srv.call("GET", "/v1/providers/P-1", key, None).await;
        assert_eq!((s, code(&e)), (401, "unauthorized"), "{key:?} {e}");
    }
    // The page and liveness stay open.
    assert_eq!(srv.get("/healthz").await.0, 200);
    // Any valid key may read providers.
    let (s, _) = srv
        .call("GET", "/v1/providers/P-1", Some(&k.e2), None)
        .await;
    assert_eq!(s, 200);

    // An enterprise edits itself and its own needs, nobody else's.
    let me = json!({"name":"重庆璧新复材科技有限公司（更名）","district":"璧山区","fields":["new_materials"]});
    assert_eq!(
        srv.call("PUT", "/v1/enterprises/E-1", Some(&k.e1), Some(me.clone()))
            .await
            .0,
        200
    );
    let (s, e) = srv
        .call("PUT", "/v1/enterprises/E-2", Some(&k.e1), Some(me))
        .await;
    assert_eq!((s, code(&e)), (403, "forbidden"), "{e}");
    let need = json!({"enterprise_id":"E-1","title":"新需求","service":"testing"});
    assert_eq!(
        srv.call("PUT", "/v1/needs/N-9", Some(&k.e1), Some(need.clone()))
            .await
            .0,
        201
    );
    let (s, _) = srv
        .call(
            "PUT",
            "/v1/needs/N-9",
            Some(&k.e2),
            Some(json!({"enterprise_id":"E-2","title":"抢占","service":"testing"})),
        )
        .await;
    assert_eq!(s, 403, "a need is changed only by its enterprise");
    let (s, _) = srv.call("DELETE", "/v1/needs/N-2", Some(&k.e1), None).await;
    assert_eq!(s, 403);
    // A provider edits itself; only admins import, train, reload, assign.
    let (s, _) = srv
        .call(
            "PUT",
            "/v1/providers/P-2",
            Some(&k.p1),
            Some(json!({"name":"x"})),
        )
        .await;
    assert_eq!(s, 403);
    for (m, path) in [
        ("POST", "/v1/import"),
        ("POST", "/v1/admin/train"),
        ("POST", "/v1/admin/models/reload"),
        ("POST", "/v1/commissioners/assign"),
        ("GET", "/v1/admin/audit"),
    ] {
        let (s, e) = srv.call(m, path, Some(&k.c1), Some(json!({}))).await;
        assert_eq!((s, code(&e)), (403, "forbidden"), "{path}: {e}");
    }
    let (s, _) = srv
        .call(
            "POST",
            "/v1/commissioners/assign",
            Some(&k.admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);

    // Journeys: a commissioner sees their own list, a broker their own leads.
    assert_eq!(
        srv.call(
            "GET",
            "/v1/commissioners/C-1/enterprises",
            Some(&k.c1),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        srv.call(
            "GET",
            "/v1/commissioners/C-1/enterprises",
            Some(&k.broker),
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        srv.call("GET", "/v1/brokers/P-5/leads", Some(&k.broker), None)
            .await
            .0,
        200
    );
    assert_eq!(
        srv.call("GET", "/v1/brokers/P-5/leads", Some(&k.c1), None)
            .await
            .0,
        403
    );
    let (s, _) = srv
        .call(
            "POST",
            "/v1/leads/N-1/claim",
            Some(&k.p1),
            Some(json!({"broker_id":"P-5"})),
        )
        .await;
    assert_eq!(s, 403, "a key claims only for itself");

    // Feedback: only one's own actions.
    let fb = |actor: &str, extra: Value| {
        let mut v = json!({"need_id":"N-1","provider_id":"P-1","event":"contacted","actor":actor});
        for (key, x) in extra.as_object().unwrap() {
            v[key] = x.clone();
        }
        v
    };
    assert_eq!(
        srv.call(
            "POST",
            "/v1/feedback",
            Some(&k.e1),
            Some(fb("enterprise", json!({})))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        srv.call(
            "POST",
            "/v1/feedback",
            Some(&k.e2),
            Some(fb("enterprise", json!({"event":"accepted"})))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        srv.call(
            "POST",
            "/v1/feedback",
            Some(&k.e1),
            Some(fb("admin", json!({"event":"deal"})))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        srv.call(
            "POST",
            "/v1/feedback",
            Some(&k.p1),
            Some(fb("provider", json!({"event":"accepted"})))
        )
        .await
        .0,
        403,
        "a provider reports contacting, not the enterprise's acceptance"
    );
    assert_eq!(
        srv.call(
            "POST",
            "/v1/feedback",
            Some(&k.p1),
            Some(fb("provider", json!({})))
        )
        .await
        .0,
        201
    );

    // The audit log has the writes, who made them and how they ended.
    let (s, log) = srv
        .call("GET", "/v1/admin/audit?limit=100", Some(&k.admin), None)
        .await;
    assert_eq!(s, 200, "{log}");
    let entries = log["results"].as_array().unwrap();
    let e1_id = k.e1.split('_').nth(1).unwrap();
    assert!(entries.iter().any(|e| e["key_id"] == e1_id
        && e["method"] == "PUT"
        && e["path"] == "/v1/enterprises/E-1"
        && e["status"] == 200));
    assert!(entries.iter().any(|e| e["key_id"] == e1_id
        && e["path"] == "/v1/enterprises/E-2"
        && e["status"] == 403
        && e["detail"] == "forbidden"));
    assert!(
        entries
            .iter()
            .any(|e| e["role"] == "commissioner" && e["path"] == "/v1/import")
    );
    assert!(
        entries
            .iter()
            .all(|e| e["method"] != "GET" || e["path"].as_str().unwrap().starts_with("/v1/admin/"))
    );
    // Matching is a read, even as a POST: not in the log of writes.
    let (s, _) = srv
        .call(
            "POST",
            "/v1/match",
            Some(&k.admin),
            Some(json!({"text": "碳纤维中试"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, log) = srv
        .call("GET", "/v1/admin/audit?limit=500", Some(&k.admin), None)
        .await;
    assert!(
        log["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["path"] != "/v1/match")
    );
    srv.stop().await;
}

#[tokio::test]
async fn each_visibility_holds_in_reads_search_match_and_leads() {
    let (_dir, srv, k) = world().await;
    let read = async |id: &str, key: &str| {
        srv.call("GET", &format!("/v1/needs/{id}"), Some(key), None)
            .await
            .0
    };
    // commissioners: the enterprise, commissioners, admins.
    assert_eq!(read("N-C", &k.e1).await, 200);
    assert_eq!(read("N-C", &k.c1).await, 200);
    assert_eq!(read("N-C", &k.admin).await, 200);
    assert_eq!(read("N-C", &k.e2).await, 404);
    assert_eq!(read("N-C", &k.broker).await, 404);
    // matched_only: the enterprise, providers engaged on it, admins.
    assert_eq!(read("N-M", &k.p1).await, 200);
    assert_eq!(read("N-M", &k.e1).await, 200);
    assert_eq!(read("N-M", &k.p2).await, 404);
    assert_eq!(read("N-M", &k.c1).await, 404);
    // public: anyone with a key.
    assert_eq!(read("N-1", &k.p2).await, 200);

    // Search leaves out what a key may not see.
    let search = async |key: &str| {
        let (s, v) = srv
            .call("GET", "/v1/search?q=碳纤维&kind=need", Some(key), None)
            .await;
        assert_eq!(s, 200, "{v}");
        ids(&v)
    };
    let all = search(&k.admin).await;
    assert!(
        all.contains(&"N-C".to_string()) && all.contains(&"N-M".to_string()),
        "{all:?}"
    );
    let e2 = search(&k.e2).await;
    assert!(
        !e2.contains(&"N-C".to_string()) && !e2.contains(&"N-M".to_string()),
        "{e2:?}"
    );
    assert!(e2.contains(&"N-1".to_string()));
    let c1 = search(&k.c1).await;
    assert!(c1.contains(&"N-C".to_string()) && !c1.contains(&"N-M".to_string()));
    let p1 = search(&k.p1).await;
    assert!(!p1.contains(&"N-C".to_string()) && p1.contains(&"N-M".to_string()));

    // Lists of needs too.
    let (_, list) = srv
        .call("GET", "/v1/needs?enterprise_id=E-1", Some(&k.e2), None)
        .await;
    assert!(!ids(&list).contains(&"N-C".to_string()) && !ids(&list).contains(&"N-M".to_string()));

    // Matching a hidden need: it does not exist for that key.
    let m = |id: &str| json!({"need_id": id});
    assert_eq!(
        srv.call("POST", "/v1/match", Some(&k.p2), Some(m("N-M")))
            .await
            .0,
        404
    );
    assert_eq!(
        srv.call("POST", "/v1/match", Some(&k.p1), Some(m("N-M")))
            .await
            .0,
        200
    );
    assert_eq!(
        srv.call("POST", "/v1/match", Some(&k.e2), Some(m("N-C")))
            .await
            .0,
        404
    );

    // Leads: a broker sees neither hidden need; nor can it claim them.
    let (s, leads) = srv
        .call(
            "GET",
            "/v1/brokers/P-5/leads?limit=50",
            Some(&k.broker),
            None,
        )
        .await;
    assert_eq!(s, 200, "{leads}");
    let l = ids(&leads);
    assert!(l.contains(&"N-1".to_string()), "{l:?}");
    assert!(
        !l.contains(&"N-C".to_string()) && !l.contains(&"N-M".to_string()),
        "{l:?}"
    );
    let (s, _) = srv
        .call(
            "POST",
            "/v1/leads/N-C/claim",
            Some(&k.broker),
            Some(json!({"broker_id":"P-5"})),
        )
        .await;
    assert_eq!(s, 404);
    srv.stop().await;
}

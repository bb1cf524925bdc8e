//! The service on PostgreSQL: the behaviours tests/api.rs checks on SQLite (through the
//! real HTTP server, sharing its test bodies), restart, the store's own behaviours, lead
//! claims racing, need status changes, and the change log's order under concurrent
//! writers from several processes. Each test has a fresh database of its own; without
//! `DUIJIE_TEST_PG` every test shows as ignored, with the reason (see tests/common/pg.rs).

mod common;
#[path = "common/scenarios.rs"]
mod scenarios;

use common::TestServer;
use common::pg::PgDb;
use duijie::domain::EntityKind;
use duijie::domain::Record;
use duijie::domain::validate::check;
use duijie::store::{Applied, ListFilter, Store, StoreError};
use scenarios::ids;
use serde_json::json;
use std::collections::HashSet;

fn rec(v: serde_json::Value) -> Record {
    check(&v, None).expect("valid test record").record
}

/// A server on a fresh database with its own data directory.
async fn server(db: &PgDb) -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::serve(db.app(dir.path()).await).await;
    (dir, srv)
}

/// The same, with the small world imported.
async fn world(db: &PgDb) -> (tempfile::TempDir, TestServer) {
    let (dir, srv) = server(db).await;
    scenarios::load_world(&srv).await;
    (dir, srv)
}

async fn pg_import_reports_each_bad_line_and_keeps_the_good_ones(db: PgDb) {
    let (_dir, srv) = server(&db).await;
    let (_, stats) = srv.get("/v1/stats").await;
    assert_eq!(stats["store"]["backend"], "postgres", "{stats}");
    scenarios::import_reports_each_bad_line_and_keeps_the_good_ones(&srv).await;
    srv.stop().await;
}

async fn pg_chinese_search_survives_other_segmentation_synonyms_and_filters(db: PgDb) {
    let (_dir, srv) = world(&db).await;
    scenarios::chinese_search_survives_other_segmentation_synonyms_and_filters(&srv).await;
    srv.stop().await;
}

async fn pg_match_ranks_with_explanations(db: PgDb) {
    let (_dir, srv) = world(&db).await;
    scenarios::match_ranks_with_explanations(&srv).await;
    srv.stop().await;
}

async fn pg_crud_lists_and_feedback(db: PgDb) {
    let (_dir, srv) = world(&db).await;
    scenarios::crud_lists_and_feedback(&srv).await;
    srv.stop().await;
}

async fn pg_restart_keeps_everything_and_a_new_data_dir_rebuilds_from_the_store(db: PgDb) {
    let (dir, srv) = world(&db).await;
    let event =
        json!({"need_id": "N-1", "provider_id": "P-1", "event": "accepted", "actor": "enterprise"});
    assert_eq!(srv.post_json("/v1/feedback", &event).await.0, 201);
    let (_, before) = srv.get("/v1/stats").await;
    srv.stop().await;
    // The same data directory: the index is caught up, not rebuilt.
    let srv = TestServer::serve(db.app(dir.path()).await).await;
    let (_, after) = srv.get("/v1/stats").await;
    assert_eq!(before["counts"], after["counts"]);
    assert_eq!(before["store"]["last_seq"], after["store"]["last_seq"]);
    assert_eq!(after["index"]["lag"], 0);
    let (_, r) = srv.get("/v1/search?q=碳纤维&kind=need").await;
    assert_eq!(ids(&r, ""), vec!["N-1"]);
    srv.stop().await;
    // A fresh data directory on the same database (a new replica) builds its index from it.
    let (_other, srv) = server(&db).await;
    let (_, fresh) = srv.get("/v1/stats").await;
    assert_eq!(before["counts"], fresh["counts"]);
    assert_eq!(fresh["index"]["lag"], 0, "{fresh}");
    let (_, r) = srv.get("/v1/search?q=动力电池&kind=provider").await;
    assert_eq!(ids(&r, ""), vec!["P-2"]);
    srv.stop().await;
}

async fn pg_store_upserts_once_protects_enterprises_and_orders_ids_bytewise(db: PgDb) {
    let s = Store::open(&db.url).await.unwrap();
    assert_eq!(s.backend(), "postgres");
    let batch = vec![
        rec(json!({"kind":"enterprise","id":"E-1","name":"甲"})),
        rec(
            json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"中试","service":"pilot_scale"}),
        ),
        rec(
            json!({"kind":"feedback","need_id":"N-1","provider_id":"P-1","event":"click","actor":"enterprise"}),
        ),
    ];
    assert_eq!(s.apply(&batch).await.unwrap(), vec![Applied::Inserted; 3]);
    assert_eq!(s.last_seq().await.unwrap(), 3);
    assert_eq!(s.apply(&batch).await.unwrap(), vec![Applied::Unchanged; 3]);
    assert_eq!(s.last_seq().await.unwrap(), 3, "re-import logs nothing");
    let changed = s
        .apply(&[rec(json!({"kind":"enterprise","id":"E-1","name":"乙"}))])
        .await
        .unwrap();
    assert_eq!(changed, vec![Applied::Updated]);
    let c = s.counts().await.unwrap();
    assert_eq!((c.enterprises, c.needs, c.feedback), (1, 1, 1));
    let seqs: Vec<i64> = s
        .entity_changes(0, i64::MAX, 100)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 4], "feedback (3) is not an entity change");
    assert_eq!(s.feedback_page(0, 10).await.unwrap().len(), 1);
    assert_eq!(s.open_need_counts().await.unwrap()["E-1"], 1);
    // Later records in one batch win.
    let out = s
        .apply(&[
            rec(json!({"kind":"provider","id":"P-1","name":"一"})),
            rec(json!({"kind":"provider","id":"P-1","name":"二"})),
        ])
        .await
        .unwrap();
    assert_eq!(out, vec![Applied::Inserted, Applied::Updated]);
    let p = s.get(EntityKind::Provider, "P-1").await.unwrap().unwrap();
    assert_eq!(p.name(), "二");
    // Delete protection, and deletions are logged.
    assert!(matches!(
        s.delete(EntityKind::Enterprise, "E-1").await,
        Err(StoreError::HasDependents { needs: 1, .. })
    ));
    assert!(s.delete(EntityKind::Need, "N-1").await.unwrap());
    assert!(!s.delete(EntityKind::Need, "N-1").await.unwrap());
    assert!(s.delete(EntityKind::Enterprise, "E-1").await.unwrap());
    let last = s.entity_changes(0, i64::MAX, 100).await.unwrap();
    assert!(last.last().unwrap().doc.is_none());
    // Ids order byte-wise, as on SQLite, whatever the database's collation.
    let odd = ["P-1", "P1", "P-10", "P-2", "P_1", "p-2", "P-1a"];
    let recs: Vec<Record> = odd
        .iter()
        .map(|id| rec(json!({"kind":"provider","id":id,"name":"x"})))
        .collect();
    s.apply(&recs).await.unwrap();
    let mut want: Vec<&str> = odd.to_vec();
    want.sort();
    let page = s
        .list(EntityKind::Provider, &ListFilter::default(), None, 100)
        .await
        .unwrap();
    let got: Vec<String> = page.iter().map(|e| e.id().to_string()).collect();
    assert_eq!(got, want);
    // Paging by cursor sees each once.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .list(
                EntityKind::Provider,
                &ListFilter::default(),
                cursor.as_deref(),
                2,
            )
            .await
            .unwrap();
        let Some(l) = page.last() else { break };
        cursor = Some(l.id().to_string());
        paged.extend(page.iter().map(|e| e.id().to_string()));
    }
    assert_eq!(paged, want);
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = s.entities_page(after.clone(), 3).await.unwrap();
        let Some((k, id, _)) = page.last() else { break };
        after = Some((*k, id.clone()));
        all.extend(page.into_iter().map(|(_, id, _)| id));
    }
    assert_eq!(all, want, "rebuild pages see every entity once");
    s.close().await;
}

async fn pg_need_status_changes_follow_closures_and_deletions(db: PgDb) {
    let s = Store::open(&db.url).await.unwrap();
    s.apply(&[
        rec(json!({"kind":"enterprise","id":"E-1","name":"甲"})),
        rec(
            json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"t","service":"testing"}),
        ),
        rec(
            json!({"kind":"need","id":"N-2","enterprise_id":"E-1","title":"t","service":"testing"}),
        ),
    ])
    .await
    .unwrap();
    let start = s.last_seq().await.unwrap();
    s.apply(&[rec(
        json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"t","service":"testing","status":"closed"}),
    )])
    .await
    .unwrap();
    s.delete(EntityKind::Need, "N-2").await.unwrap();
    let all = s.need_status_changes(0, 100).await.unwrap();
    let got: Vec<(String, Option<String>)> = all
        .iter()
        .map(|(_, id, st)| (id.clone(), st.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("N-1".into(), Some("closed".into())),
            ("N-2".into(), None),
            ("N-1".into(), Some("closed".into())),
            ("N-2".into(), None),
        ],
        "each change with the need's current status"
    );
    let since = s.need_status_changes(start, 100).await.unwrap();
    assert_eq!(since.len(), 2);
    assert!(since.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(s.need_status_changes(start, 1).await.unwrap().len(), 1);
    assert_eq!(s.closed_need_ids().await.unwrap(), vec!["N-1"]);
    s.close().await;
}

async fn pg_two_brokers_racing_for_a_lead_one_wins(db: PgDb) {
    // Two stores: as two processes would (separate pools, separate process locks).
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::open(&db.url).await.unwrap();
    let (now, later) = ("2026-03-01T10:00:00Z", "2026-03-04T10:00:00Z");
    for round in 0..30 {
        let need = format!("N-{round}");
        let (ra, rb) = tokio::join!(
            a.claim(&need, "P-A", now, later),
            b.claim(&need, "P-B", now, later)
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert!(
            ra.is_ok() != rb.is_ok(),
            "round {round}: exactly one wins: {ra:?} {rb:?}"
        );
        let winner = if ra.is_ok() { "P-A" } else { "P-B" };
        let held = a.claim_of(&need).await.unwrap().unwrap();
        assert_eq!(held.broker_id, winner);
        let lost = if ra.is_ok() { rb } else { ra };
        assert_eq!(lost.unwrap_err().broker_id, winner);
    }
    assert_eq!(a.active_claims(now).await.unwrap().len(), 30);
    // The holder renews; another broker cannot take it until it expires.
    let renewed = a
        .claim(
            "N-0",
            &a.claim_of("N-0").await.unwrap().unwrap().broker_id,
            now,
            "2026-03-05T10:00:00Z",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.expires_at, "2026-03-05T10:00:00Z");
    let holder = renewed.broker_id.clone();
    let other = if holder == "P-A" { "P-B" } else { "P-A" };
    assert!(b.claim("N-0", other, now, later).await.unwrap().is_err());
    let taken = b
        .claim("N-0", other, "2026-03-06T00:00:00Z", "2026-03-09T00:00:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.broker_id, other, "an expired claim may be taken over");
    assert!(!b.release_claim("N-0", &holder).await.unwrap());
    assert!(b.release_claim("N-0", other).await.unwrap());
    assert!(a.claim_of("N-0").await.unwrap().is_none());
    assert_eq!(
        a.active_claims("2026-03-04T10:00:00Z").await.unwrap().len(),
        0,
        "all expired by then"
    );
    a.close().await;
    b.close().await;
}

async fn pg_two_brokers_racing_over_http_get_one_201_and_one_409(db: PgDb) {
    let (_dir, srv) = world(&db).await;
    let (status, r) = srv
        .put(
            "/v1/providers/P-6",
            &json!({"name": "李经纪", "provider_type": "broker", "district": "璧山区", "fields": ["new_materials"], "services": ["brokerage"]}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let body = |b: &str| json!({"broker_id": b});
    let (b5, b6) = (body("P-5"), body("P-6"));
    let (x, y) = tokio::join!(
        srv.post_json("/v1/leads/N-1/claim", &b5),
        srv.post_json("/v1/leads/N-1/claim", &b6)
    );
    let mut statuses = [x.0, y.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{x:?} {y:?}");
    let lost = if x.0 == 409 { &x.1 } else { &y.1 };
    assert_eq!(lost["code"], "lead_already_claimed");
    srv.stop().await;
}

/// Several writers in different "processes" (stores with their own pools and locks) and
/// a follower reading `seq > last` as the index does: the follower must never skip a
/// change, which on PostgreSQL needs commit order to equal sequence order.
async fn pg_a_follower_misses_no_change_under_concurrent_writers(db: PgDb) {
    const WRITERS: usize = 6;
    const EACH: usize = 80;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let s = Store::open(&db.url).await.unwrap();
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                // Vary the batch size so transactions take different times.
                let n = 1 + (i * 7 + w) % 5;
                let batch: Vec<Record> = (0..n)
                    .map(|k| {
                        rec(json!({"kind":"provider","id":format!("P-{w}-{i}-{k}"),"name":"x"}))
                    })
                    .collect();
                s.apply(&batch).await.unwrap();
            }
            s.close().await;
        }));
    }
    let follower = Store::open(&db.url).await.unwrap();
    let mut seen: Vec<i64> = Vec::new();
    let mut last = 0i64;
    let follow = async |seen: &mut Vec<i64>, last: &mut i64| {
        let upto = follower.last_seq().await.unwrap();
        for c in follower.entity_changes(*last, upto, 100_000).await.unwrap() {
            seen.push(c.seq);
            *last = c.seq;
        }
    };
    while !writers.iter().all(|w| w.is_finished()) {
        follow(&mut seen, &mut last).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    follow(&mut seen, &mut last).await;
    let all: Vec<i64> = follower
        .entity_changes(0, i64::MAX, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    let seen_set: HashSet<i64> = seen.iter().copied().collect();
    let missed: Vec<i64> = all
        .iter()
        .filter(|s| !seen_set.contains(s))
        .copied()
        .collect();
    assert!(missed.is_empty(), "the follower skipped {missed:?}");
    assert_eq!(seen.len(), all.len());
    follower.close().await;
}

fn main() -> std::process::ExitCode {
    use common::pg::trial;
    common::pg::run_trials(vec![
        trial!(
            pg_import_reports_each_bad_line_and_keeps_the_good_ones,
            current
        ),
        trial!(
            pg_chinese_search_survives_other_segmentation_synonyms_and_filters,
            current
        ),
        trial!(pg_match_ranks_with_explanations, current),
        trial!(pg_crud_lists_and_feedback, current),
        trial!(
            pg_restart_keeps_everything_and_a_new_data_dir_rebuilds_from_the_store,
            current
        ),
        trial!(
            pg_store_upserts_once_protects_enterprises_and_orders_ids_bytewise,
            current
        ),
        trial!(
            pg_need_status_changes_follow_closures_and_deletions,
            current
        ),
        trial!(pg_two_brokers_racing_for_a_lead_one_wins, multi),
        trial!(
            pg_two_brokers_racing_over_http_get_one_201_and_one_409,
            multi
        ),
        trial!(
            pg_a_follower_misses_no_change_under_concurrent_writers,
            multi
        ),
    ])
}

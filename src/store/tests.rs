//! Store tests on a real SQLite file in a temporary directory.

use super::*;
use crate::domain::validate::check;
use serde_json::json;

fn rec(v: serde_json::Value) -> Record {
    check(&v, None).expect("valid test record").record
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_dir(dir.path()).await.unwrap();
    (dir, s)
}

#[tokio::test]
async fn upsert_is_idempotent_and_logged_once() {
    let (_d, s) = store().await;
    let batch = vec![
        rec(json!({"kind":"enterprise","id":"E-1","name":"甲"})),
        rec(
            json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"中试","service":"pilot_scale"}),
        ),
        rec(
            json!({"kind":"feedback","need_id":"N-1","provider_id":"P-1","event":"click","actor":"enterprise"}),
        ),
    ];
    let first = s.apply(&batch).await.unwrap();
    assert_eq!(first, vec![Applied::Inserted; 3]);
    let seq = s.last_seq().await.unwrap();
    assert_eq!(seq, 3);
    let again = s.apply(&batch).await.unwrap();
    assert_eq!(again, vec![Applied::Unchanged; 3]);
    assert_eq!(s.last_seq().await.unwrap(), seq, "re-import logs nothing");
    let changed = s
        .apply(&[rec(json!({"kind":"enterprise","id":"E-1","name":"乙"}))])
        .await
        .unwrap();
    assert_eq!(changed, vec![Applied::Updated]);
    let c = s.counts().await.unwrap();
    assert_eq!((c.enterprises, c.needs, c.feedback), (1, 1, 1));
    let changes = s.entity_changes(0, i64::MAX, 100).await.unwrap();
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs,
        vec![1, 2, 4],
        "feedback change (3) is not an entity change"
    );
    assert!(changes[2].doc.as_deref().unwrap().contains("乙"));
}

#[tokio::test]
async fn duplicate_ids_in_one_batch_keep_the_last() {
    let (_d, s) = store().await;
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
}

#[tokio::test]
async fn delete_logs_and_protects_enterprises_with_needs() {
    let (_d, s) = store().await;
    s.apply(&[
        rec(json!({"kind":"enterprise","id":"E-1","name":"甲"})),
        rec(
            json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"t","service":"testing"}),
        ),
    ])
    .await
    .unwrap();
    assert!(matches!(
        s.delete(EntityKind::Enterprise, "E-1").await,
        Err(StoreError::HasDependents { needs: 1, .. })
    ));
    assert!(s.delete(EntityKind::Need, "N-1").await.unwrap());
    assert!(!s.delete(EntityKind::Need, "N-1").await.unwrap());
    assert!(s.delete(EntityKind::Enterprise, "E-1").await.unwrap());
    let changes = s.entity_changes(0, i64::MAX, 100).await.unwrap();
    assert_eq!(changes.len(), 4);
    assert!(changes[3].doc.is_none());
}

#[tokio::test]
async fn lists_page_by_id_and_filter() {
    let (_d, s) = store().await;
    let mut batch = vec![rec(json!({"kind":"enterprise","id":"E-1","name":"甲"}))];
    for i in 0..5 {
        batch.push(rec(
            json!({"kind":"need","id":format!("N-{i}"),"enterprise_id":"E-1","title":"t",
            "service":"testing","status": if i % 2 == 0 {"open"} else {"closed"}}),
        ));
    }
    s.apply(&batch).await.unwrap();
    let f = ListFilter {
        enterprise_id: Some("E-1".into()),
        status: Some("open".into()),
    };
    let page = s.list(EntityKind::Need, &f, None, 2).await.unwrap();
    let ids: Vec<_> = page.iter().map(|e| e.id().to_string()).collect();
    assert_eq!(ids, vec!["N-0", "N-2"]);
    let next = s.list(EntityKind::Need, &f, Some("N-2"), 2).await.unwrap();
    assert_eq!(next.len(), 1);
}

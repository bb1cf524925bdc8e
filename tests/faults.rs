//! Faults of the disk and of operators (issue 17): a damaged index next to files duijie did
//! not write, files a `kill -9` left in the index, an index directory that fails while
//! serving, the store file deleted under a running server, and the default data
//! directory. Each test has its own data directory and port.

mod common;

use common::{TestServer, duijie_command, paths};
use duijie::app::App;
use duijie::domain::validate::check;
use duijie::store::Store;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Imports the small world through the app and closes it, leaving a data directory
/// with a committed index.
async fn small_data_dir(dir: &Path) {
    let app = App::open(&paths(dir)).await.expect("app opens");
    app.import(
        common::small_world().as_bytes(),
        &duijie::ingest::SourceFormat::Jsonl,
    )
    .await
    .unwrap();
    app.store().close().await;
}

/// Writes a provider straight into the store, as if the process died before the index
/// heard of it.
async fn store_only_write(dir: &Path, v: Value) {
    let store = Store::open(&paths(dir).store_url()).await.unwrap();
    store
        .apply(&[check(&v, None).unwrap().record])
        .await
        .unwrap();
    store.close().await;
}

#[tokio::test]
async fn a_damaged_index_beside_files_duijie_did_not_write_is_reported_not_wiped() {
    // The repository's own `index/` (dictionary sources) used as an index directory,
    // with an unreadable meta.json: start-up used to delete every file in it.
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    for f in ["dict.txt", "synonyms.txt", "stopwords.txt", "README.md"] {
        std::fs::write(index.join(f), "源文件\n").unwrap();
    }
    std::fs::write(index.join("meta.json"), "{ not json").unwrap();
    let Err(err) = App::open(&paths(dir.path())).await else {
        panic!("a damaged index in a foreign directory must be reported");
    };
    let msg = err.to_string();
    assert!(msg.contains("did not create"), "{msg}");
    for f in [
        "dict.txt",
        "synonyms.txt",
        "stopwords.txt",
        "README.md",
        "meta.json",
    ] {
        assert!(index.join(f).exists(), "{f} was deleted");
    }
}

#[tokio::test]
async fn a_damaged_index_of_its_own_is_rebuilt_and_other_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    small_data_dir(dir.path()).await;
    let index = dir.path().join("index");
    assert!(
        index.join(".duijie-index").exists(),
        "the index is marked as ours"
    );
    std::fs::write(index.join("notes.txt"), "an operator's note").unwrap();
    std::fs::write(index.join("meta.json"), "{ not json").unwrap();
    let srv = TestServer::start(dir.path()).await;
    let (_, r) = srv.get("/v1/search?q=碳纤维").await;
    assert!(ids(&r).contains(&"P-1".to_string()), "{r}");
    assert!(
        index.join("notes.txt").exists(),
        "a file duijie did not write was deleted"
    );
    srv.stop().await;
}

#[tokio::test]
async fn delete_files_left_by_a_killed_commit_do_not_stop_the_start() {
    // A process killed in the middle of a commit leaves `<segment>.<opstamp>.del` files
    // no committed segment uses; replaying the same deletes after the restart wrote the
    // same names again and failed with FileAlreadyExists on every start.
    let dir = tempfile::tempdir().unwrap();
    small_data_dir(dir.path()).await;
    store_only_write(
        dir.path(),
        json!({"kind":"provider","id":"P-1","provider_type":"pilot_platform","name":"璧山复合材料中试基地","district":"璧山区","fields":["new_materials"],"services":["pilot_scale"],"keywords":["碳纤维","氢能储罐"],"description":"碳纤维缠绕氢能储罐中试。","capacity":6}),
    )
    .await;
    let index = dir.path().join("index");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(index.join("meta.json")).unwrap()).unwrap();
    let opstamp = meta["opstamp"].as_u64().unwrap();
    let mut planted = 0;
    for seg in meta["segments"].as_array().unwrap() {
        let uuid = seg["segment_id"].as_str().unwrap().replace('-', "");
        for o in 0..opstamp + 200 {
            let p = index.join(format!("{uuid}.{o}.del"));
            if !p.exists() {
                std::fs::write(p, b"half-written").unwrap();
                planted += 1;
            }
        }
    }
    assert!(planted > 0);
    let srv = TestServer::start(dir.path()).await;
    let (_, r) = srv.get("/v1/search?q=氢能储罐").await;
    assert_eq!(ids(&r).first().map(String::as_str), Some("P-1"), "{r}");
    let stats = srv.get("/v1/stats").await.1;
    assert_eq!(stats["index"]["lag"], 0);
    assert_eq!(stats["index"]["documents"], 11);
    srv.stop().await;
}

#[tokio::test]
async fn an_index_that_lost_documents_is_rebuilt_at_start() {
    // An index whose position says "caught up" but which lacks records (what a writer
    // that kept going after a failed commit produced) is repaired by a restart.
    let dir = tempfile::tempdir().unwrap();
    small_data_dir(dir.path()).await;
    {
        let index = tantivy::Index::open_in_dir(dir.path().join("index")).unwrap();
        let payload = index.load_metas().unwrap().payload;
        let key = index.schema().get_field("key").unwrap();
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        w.delete_term(tantivy::Term::from_field_text(key, "provider:P-2"));
        let mut prepared = w.prepare_commit().unwrap();
        prepared.set_payload(payload.as_deref().unwrap());
        prepared.commit().unwrap();
    }
    let srv = TestServer::start(dir.path()).await;
    let (_, r) = srv.get("/v1/search?q=锂离子电池").await;
    assert!(ids(&r).contains(&"P-2".to_string()), "{r}");
    assert_eq!(srv.get("/v1/stats").await.1["index"]["documents"], 11);
    srv.stop().await;
}

async fn status_and_code(srv: &TestServer, path: &str) -> (u16, Value) {
    srv.get(path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_index_directory_is_retried_reported_and_caught_up() {
    // The index directory disappears under the server (as with a full disk, a read-only
    // remount or no file descriptors left, every write to it fails), then comes back.
    let dir = tempfile::tempdir().unwrap();
    small_data_dir(dir.path()).await;
    let app = App::open(&paths(dir.path())).await.unwrap();
    let follower = app.follow_changes(Duration::from_millis(100));
    let srv = TestServer::serve(app).await;
    assert_eq!(status_and_code(&srv, "/readyz").await.0, 200);
    let index = dir.path().join("index");
    let away = dir.path().join("index.away");
    std::fs::rename(&index, &away).unwrap();
    let mut written = Vec::new();
    for i in 0..3 {
        let id = format!("P-F{i}");
        let (status, body) = srv
            .put(
                &format!("/v1/providers/{id}"),
                &json!({"name":format!("氢燃料电池中试平台{i}"),"provider_type":"pilot_platform","services":["pilot_scale"],"description":"燃料电池电堆中试与测试。"}),
            )
            .await;
        assert!(
            status == 201 || status == 200,
            "a stored write is acknowledged: {status} {body}"
        );
        written.push(id);
    }
    let (status, body) = srv.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "index_failing");
    let stats = srv.get("/v1/stats").await.1;
    assert!(stats["index"]["lag"].as_i64().unwrap() >= 3, "{stats}");
    assert_eq!(stats["index"]["failing"], true);
    let metrics = srv
        .client
        .get(srv.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("duijie_index_lag ") && l != "duijie_index_lag 0"),
        "{metrics}"
    );
    // The fault clears: the server catches up by itself.
    std::fs::rename(&away, &index).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if srv.get("/readyz").await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = srv.get("/v1/stats").await.1;
    assert_eq!(stats["index"]["lag"], 0, "{stats}");
    assert_eq!(stats["index"]["documents"], 14, "{stats}");
    let (_, r) = srv.get("/v1/search?q=燃料电池&limit=20").await;
    let found = ids(&r);
    for id in &written {
        assert!(found.contains(id), "{id} is not searchable: {r}");
    }
    follower.abort();
    srv.stop().await;
}

#[tokio::test]
async fn deleting_the_store_file_while_serving_stops_writes_and_readiness() {
    let dir = tempfile::tempdir().unwrap();
    small_data_dir(dir.path()).await;
    let srv = TestServer::start(dir.path()).await;
    assert_eq!(srv.get("/readyz").await.0, 200);
    std::fs::remove_file(dir.path().join("duijie.db")).unwrap();
    let (status, body) = srv
        .put(
            "/v1/providers/P-9",
            &json!({"name":"新平台","services":["testing"]}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "store_file_missing");
    let (status, body) = srv.get("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "store_file_missing");
    // Reads still work (the open connections see the old file).
    assert_eq!(srv.get("/v1/providers/P-1").await.0, 200);
    srv.stop().await;
}

#[test]
fn the_default_data_directory_is_data_not_the_current_directory() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cwd.path().join("index")).unwrap();
    std::fs::write(cwd.path().join("index/dict.txt"), "源文件\n").unwrap();
    let out = duijie_command()
        .current_dir(cwd.path())
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(cwd.path().join("data/duijie.db").exists());
    assert!(!cwd.path().join("duijie.db").exists());
    let entries: Vec<_> = std::fs::read_dir(cwd.path().join("index"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("dict.txt")]);
}

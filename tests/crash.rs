//! Crashes: the real binary is killed with SIGKILL in the middle of a large import and
//! in the middle of a training run, then restarted. Every acknowledged record is there,
//! the index agrees with the store, and the active model is intact.

mod common;

use duijie::ingest::demo::{DemoConfig, write_world};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running `duijie serve`.
struct Server {
    child: Child,
    url: String,
}

fn start(dir: &Path) -> Server {
    let (child, url) = common::spawn_serve(dir);
    Server { child, url }
}

impl Server {
    fn kill9(mut self) {
        let ok = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The demo world (a third of the default size) as NDJSON lines: entities, then feedback.
fn world() -> Vec<String> {
    let mut out = Vec::new();
    let mut judgments = Vec::new();
    write_world(
        &DemoConfig {
            seed: 7,
            scale: 1.0 / 3.0,
        },
        &mut out,
        &mut judgments,
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Index and store agree: nothing is lagging and the index holds every entity.
async fn index_agrees(url: &str) -> Value {
    let stats = get(&format!("{url}/v1/stats")).await;
    assert_eq!(stats["index"]["lag"], 0, "{stats}");
    let c = &stats["counts"];
    let entities = ["enterprises", "needs", "providers", "commissioners"]
        .iter()
        .map(|k| c[k].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(
        stats["index"]["documents"].as_i64().unwrap(),
        entities,
        "{stats}"
    );
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_large_import_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let lines = world();
    let entities: Vec<&String> = lines
        .iter()
        .filter(|l| !l.contains(r#""kind":"feedback""#))
        .collect();
    let chunks: Vec<String> = entities
        .chunks(400)
        .map(|c| c.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"))
        .collect();
    let server = start(dir.path());
    let url = server.url.clone();
    // Import chunk after chunk; remember which were acknowledged.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let sender = {
        let url = url.clone();
        let chunks = chunks.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for (i, c) in chunks.into_iter().enumerate() {
                let r = client
                    .post(format!("{url}/v1/import"))
                    .header("content-type", "application/x-ndjson")
                    .body(c)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        if tx.send(i).is_err() {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        })
    };
    // Kill it once a few chunks are in, with more in flight.
    let mut acked = Vec::new();
    while acked.len() < 3 {
        acked.push(rx.recv().await.expect("chunks are acknowledged"));
    }
    server.kill9();
    let _ = sender.await;
    while let Ok(i) = rx.try_recv() {
        acked.push(i);
    }
    assert!(
        acked.len() < chunks.len(),
        "the kill came too late to test anything"
    );

    let server = start(dir.path());
    let stats = index_agrees(&server.url).await;
    let client = reqwest::Client::new();
    for &i in &acked {
        for line in chunks[i].lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let kind = v["kind"].as_str().unwrap();
            let plural = match kind {
                "enterprise" => "enterprises",
                "need" => "needs",
                "provider" => "providers",
                _ => "commissioners",
            };
            let r = client
                .get(format!(
                    "{}/v1/{plural}/{}",
                    server.url,
                    v["id"].as_str().unwrap()
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "acknowledged {kind} {} lost", v["id"]);
        }
    }
    eprintln!(
        "acknowledged chunks: {} of {} ({} records); after restart the store holds {}",
        acked.len(),
        chunks.len(),
        acked.len() * 400,
        stats["counts"]
    );
    // And the import resumes cleanly: re-sending everything completes the world.
    for c in &chunks {
        let r = client
            .post(format!("{}/v1/import", server.url))
            .header("content-type", "application/x-ndjson")
            .body(c.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let stats = index_agrees(&server.url).await;
    assert_eq!(
        stats["counts"]["needs"].as_i64().unwrap(),
        entities
            .iter()
            .filter(|l| l.contains(r#""kind":"need""#))
            .count() as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_training_keeps_the_active_model() {
    let dir = tempfile::tempdir().unwrap();
    let lines = world().join("\n");
    let server = start(dir.path());
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/v1/import", server.url))
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = get(&format!("{}/v1/models", server.url)).await;
    let active = before["active"].clone();
    // Train with promotion forced (so a half-done promotion is what the kill could hit).
    let train = {
        let url = server.url.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/v1/admin/train"))
                .json(&json!({"force": true}))
                .timeout(Duration::from_secs(600))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!train.is_finished(), "training finished before the kill");
    let killed_at = Instant::now();
    server.kill9();
    assert!(
        train.await.unwrap().is_err(),
        "the request died with the server"
    );

    let server = start(dir.path());
    eprintln!(
        "restarted {} ms after the kill",
        killed_at.elapsed().as_millis()
    );
    index_agrees(&server.url).await;
    let after = get(&format!("{}/v1/models", server.url)).await;
    assert_eq!(after["active"], active, "{after}");
    let m = client
        .post(format!("{}/v1/match", server.url))
        .json(&json!({"need_id": "N-000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), 200);
    let m: Value = m.json().await.unwrap();
    assert_eq!(m["ranker"], "learned");
    assert_eq!(m["model_version"], active);
    // Whatever the killed run left in models/ is either a whole model or nothing:
    // training again succeeds and promotes.
    let r = client
        .post(format!("{}/v1/admin/train", server.url))
        .json(&json!({"force": true}))
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let now = get(&format!("{}/v1/models", server.url)).await;
    assert_ne!(now["active"], active, "{now}");
}

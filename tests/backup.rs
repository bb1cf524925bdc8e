//! Backup and restore with the real binary: `duijie backup` while `duijie serve` runs and
//! keeps taking writes; the backup restored into a fresh data directory and over the old
//! one (whose index is newer than the restored store) holds exactly what was acknowledged
//! before the backup, search agrees with the store (no ghost documents), and the active
//! model is the one active at the backup.

mod common;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running `duijie serve`.
struct Server {
    child: Child,
    url: String,
    client: reqwest::Client,
}

fn start(dir: &Path) -> Server {
    let (child, url) = common::spawn_serve(dir);
    Server {
        child,
        url,
        client: reqwest::Client::new(),
    }
}

impl Server {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(format!("{}{path}", self.url)))
            .await
    }

    async fn import(&self, lines: &[Value]) {
        let body = lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        let (status, report) = self
            .send(
                self.client
                    .post(format!("{}/v1/import", self.url))
                    .header("content-type", "application/x-ndjson")
                    .body(body),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["rejected_count"], 0, "{report}");
    }

    async fn reload_model(&self) -> Value {
        let (status, body) = self
            .send(
                self.client
                    .post(format!("{}/v1/admin/models/reload", self.url)),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// SIGTERM, and wait for a clean exit.
    fn stop(mut self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "exit status {s:?}");
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no clean stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `duijie backup --to BACKUP --data-dir DATA`.
fn run_backup(data: &Path, backup: &Path) -> std::process::Output {
    common::duijie_command()
        .args(["backup", "--to"])
        .arg(backup)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn provider(id: &str, name: &str) -> Value {
    json!({
        "kind": "provider", "id": id, "provider_type": "pilot_platform", "name": name,
        "district": "璧山区", "fields": ["new_materials"], "services": ["pilot_scale"],
        "description": "石墨烯导热膜中试放大与批次稳定性验证。", "capacity": 5
    })
}

/// A copy of the shipped model under another version name, made active in `models_dir`.
fn install_model(models_dir: &Path, version: &str) {
    std::fs::create_dir_all(models_dir).unwrap();
    let mut m: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ranker-default-2.json"),
        )
        .unwrap(),
    )
    .unwrap();
    m["version"] = json!(version);
    std::fs::write(
        models_dir.join(format!("ranker-{version}.json")),
        m.to_string(),
    )
    .unwrap();
    std::fs::write(
        models_dir.join("active.json"),
        json!({ "version": version }).to_string(),
    )
    .unwrap();
}

/// Copies a backup into a data directory as OPERATIONS.md says: `duijie.db` (after
/// removing a stale write-ahead log) and the files of `models/`.
fn restore(backup: &Path, data: &Path) {
    std::fs::create_dir_all(data.join("models")).unwrap();
    for stale in ["duijie.db-wal", "duijie.db-shm"] {
        let _ = std::fs::remove_file(data.join(stale));
    }
    std::fs::copy(backup.join("duijie.db"), data.join("duijie.db")).unwrap();
    for entry in std::fs::read_dir(backup.join("models")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), data.join("models").join(entry.file_name())).unwrap();
    }
}

/// The restored service holds what was acknowledged before the backup and nothing after,
/// its index agrees with its store, and the model active at the backup is active.
async fn check_restored(s: &Server, before: &[(String, String)], after: &[String]) {
    let (_, stats) = s.get("/v1/stats").await;
    assert_eq!(stats["index"]["lag"], 0, "{stats}");
    let c = &stats["counts"];
    let entities: i64 = ["enterprises", "needs", "providers", "commissioners"]
        .iter()
        .map(|k| c[k].as_i64().unwrap())
        .sum();
    assert_eq!(c["providers"], before.len() as i64, "{stats}");
    assert_eq!(
        stats["index"]["documents"].as_i64().unwrap(),
        entities,
        "no ghost documents: {stats}"
    );
    assert_eq!(stats["model"]["active_version"], "ops-a", "{stats}");
    let (_, models) = s.get("/v1/models").await;
    assert_eq!(models["active"], "ops-a", "{models}");

    for (id, name) in before {
        let (status, p) = s.get(&format!("/v1/providers/{id}")).await;
        assert_eq!(status, 200, "{id} was acknowledged before the backup");
        assert_eq!(p["name"], name.as_str(), "{id} as it was at the backup");
    }
    for id in after {
        let (status, _) = s.get(&format!("/v1/providers/{id}")).await;
        assert_eq!(status, 404, "{id} was written after the backup");
    }
    // Search finds exactly the stored providers, under their stored names.
    let (status, found) = s
        .get("/v1/search?q=%E7%9F%B3%E5%A2%A8%E7%83%AF&kind=provider&limit=100")
        .await;
    assert_eq!(status, 200, "{found}");
    let mut hits: Vec<(String, String)> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    hits.sort();
    let mut want = before.to_vec();
    want.sort();
    assert_eq!(hits, want, "search agrees with the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_fresh_and_over_a_newer_index() {
    let data = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("b1");
    install_model(&data.path().join("models"), "ops-a");

    let s = start(data.path());
    // Publish the active model in the store, as training or a reload does.
    assert_eq!(s.reload_model().await["active"], "ops-a");
    let mut before: Vec<(String, String)> = (0..20)
        .map(|i| (format!("P-B{i:02}"), format!("石墨烯中试平台{i}号")))
        .collect();
    for chunk in before.chunks(7) {
        let lines: Vec<Value> = chunk.iter().map(|(id, n)| provider(id, n)).collect();
        s.import(&lines).await;
    }

    // Back up while the server runs.
    let out = run_backup(data.path(), &backup);
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("备份完成"));
    let mut files: Vec<String> = std::fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["backup.json", "duijie.db", "models"], "{files:?}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("backup.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["counts"]["providers"], 20, "{manifest}");
    assert_eq!(manifest["active_model"], "ops-a", "{manifest}");
    assert!(backup.join("models/ranker-ops-a.json").exists());
    // A second backup into the same directory is refused (nothing is overwritten).
    let again = run_backup(data.path(), &backup);
    assert!(!again.status.success());

    // After the backup: new records, a change, a deletion, another model.
    let after: Vec<String> = (0..10).map(|i| format!("P-A{i:02}")).collect();
    let lines: Vec<Value> = after
        .iter()
        .map(|id| provider(id, &format!("石墨烯新平台{id}")))
        .collect();
    s.import(&lines).await;
    s.import(&[provider("P-B03", "石墨烯改名平台")]).await;
    let (status, _) = s
        .send(s.client.delete(format!("{}/v1/providers/P-B04", s.url)))
        .await;
    assert_eq!(status, 204);
    install_model(&data.path().join("models"), "ops-b");
    assert_eq!(s.reload_model().await["active"], "ops-b");
    let (_, stats) = s.get("/v1/stats").await;
    assert_eq!(stats["counts"]["providers"], 29, "{stats}");
    assert_eq!(stats["index"]["documents"], 29, "{stats}");
    s.stop();

    // 1. Into a fresh data directory.
    let fresh = tempfile::tempdir().unwrap();
    restore(&backup, fresh.path());
    let s = start(fresh.path());
    check_restored(&s, &before, &after).await;
    s.stop();

    // 2. Over the old directory: its index has applied more of the log than the restored
    // store holds, and holds records the store does not; it must be rebuilt, not trusted.
    restore(&backup, data.path());
    let s = start(data.path());
    check_restored(&s, &before, &after).await;
    // Writes after the restore are searchable as usual.
    s.import(&[provider("P-R01", "石墨烯恢复后平台")]).await;
    before.push(("P-R01".into(), "石墨烯恢复后平台".into()));
    let (_, found) = s
        .get("/v1/search?q=%E7%9F%B3%E5%A2%A8%E7%83%AF&kind=provider&limit=100")
        .await;
    assert_eq!(found["total"], before.len(), "{found}");
    s.stop();
}

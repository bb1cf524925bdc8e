//! Replicas: two `duijie serve` processes on one PostgreSQL database, each with its own
//! data directory (its own search index and models directory), following the change log
//! and the published active model. A write through one is searchable on the other, and a
//! model made active through one is used by the other, within a bound. PostgreSQL only:
//! without `DUIJIE_TEST_PG` the test shows as ignored, with the reason, in the summary.

mod common;

use common::pg::PgDb;
use duijie::ingest::demo::{DemoConfig, write_world};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a replica may take to see another's write or model.
const BOUND: Duration = Duration::from_secs(5);

/// A running `duijie serve`; stopped with SIGTERM (then killed) when dropped.
struct Replica {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Replica {
    fn start(db: &PgDb) -> Replica {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_duijie"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--no-demo",
                "--follow-ms",
                "100",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env("DATABASE_URL", &db.url)
            .env_remove("DUIJIE_DATA_DIR")
            .env_remove("DUIJIE_MODELS_DIR")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = Vec::new();
        let base = loop {
            let Some(line) = lines.next() else {
                panic!("replica exited before serving: {}", seen.join("\n"));
            };
            let line = line.unwrap();
            if line.contains("已启动")
                && let Some(at) = line.find("http://")
            {
                break line[at..].split_whitespace().next().unwrap().to_string();
            }
            seen.push(line);
        };
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Replica {
            child,
            base,
            _dir: dir,
        }
    }

    fn models_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("models")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    let r = client.get(&url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

/// Polls `check` every 10 ms until it holds; the time it took, or a panic after `BOUND`.
async fn within_bound<F: AsyncFn() -> bool>(what: &str, check: F) -> Duration {
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "{what}: not seen within {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_write_and_a_model_through_one_replica_reach_the_other(db: PgDb) {
    let a = Replica::start(&db);
    let b = Replica::start(&db);
    let http = reqwest::Client::new();
    for r in [&a, &b] {
        let stats = get(&http, format!("{}/v1/stats", r.base)).await;
        assert_eq!(stats["store"]["backend"], "postgres", "{stats}");
    }

    // Writes through A are searchable on B (and the other way round).
    let words = ["石墨烯", "钙钛矿", "氢燃料", "碳化硅", "生物降解"];
    let mut delays = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = format!("P-R{i}");
        let r = http
            .put(format!("{}/v1/providers/{id}", from.base))
            .json(
                &json!({"name": format!("{word}中试平台"), "provider_type": "pilot_platform",
                "services": ["pilot_scale"], "description": format!("{word}材料中试熟化")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let url = format!("{}/v1/search?q={word}&kind=provider", to.base);
        let took = within_bound(&format!("{id} on the other replica"), async || {
            let found = get(&http, url.clone()).await;
            found["results"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(|x| x["id"] == id.as_str()))
        })
        .await;
        eprintln!("replica delay: {} ms", took.as_millis());
        delays.push(took);
    }
    // A deletion travels too.
    let r = http
        .delete(format!("{}/v1/providers/P-R0", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let url = format!("{}/v1/search?q=石墨烯&kind=provider", b.base);
    within_bound("the deletion on B", async || {
        get(&http, url.clone()).await["total"] == 0
    })
    .await;
    let stats_a = get(&http, format!("{}/v1/stats", a.base)).await;
    let stats_b = get(&http, format!("{}/v1/stats", b.base)).await;
    assert_eq!(stats_a["counts"], stats_b["counts"]);

    // A model trained and promoted through A is what B ranks with.
    let before = get(&http, format!("{}/v1/models", b.base)).await;
    assert_eq!(before["active"], "default-2", "{before}");
    let mut world = Vec::new();
    write_world(
        &DemoConfig {
            seed: 7,
            scale: 0.05,
        },
        &mut world,
        &mut Vec::new(),
    )
    .unwrap();
    let report: Value = http
        .post(format!("{}/v1/import", a.base))
        .header("content-type", "application/x-ndjson")
        .body(world)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["rejected_count"], 0, "{report}");
    let trained: Value = http
        .post(format!("{}/v1/admin/train", a.base))
        .json(&json!({"force": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(trained["promoted"], true, "{trained}");
    let version = trained["version"].as_str().unwrap().to_string();
    let models_url = format!("{}/v1/models", b.base);
    let took = within_bound("the trained model on B", async || {
        get(&http, models_url.clone()).await["active"] == version.as_str()
    })
    .await;
    eprintln!("replica model delay (trained): {} ms", took.as_millis());

    // A new active model written and reloaded through A is what B ranks with.
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ranker-default-2.json"),
    )
    .unwrap();
    let mut model: Value = serde_json::from_str(&shipped).unwrap();
    model["version"] = json!("replica-2");
    std::fs::write(
        a.models_dir().join("ranker-replica-2.json"),
        serde_json::to_vec(&model).unwrap(),
    )
    .unwrap();
    std::fs::write(
        a.models_dir().join("active.json"),
        br#"{"version":"replica-2"}"#,
    )
    .unwrap();
    let r = http
        .post(format!("{}/v1/admin/models/reload", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let models_url = format!("{}/v1/models", b.base);
    let took = within_bound("the reloaded model on B", async || {
        get(&http, models_url.clone()).await["active"] == "replica-2"
    })
    .await;
    eprintln!("replica model delay (reloaded): {} ms", took.as_millis());
    let r: Value = http
        .post(format!("{}/v1/match", b.base))
        .json(&json!({"text": "钙钛矿中试"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["model_version"], "replica-2", "{r}");
    assert!(
        b.models_dir().join("ranker-replica-2.json").exists(),
        "B keeps a copy in its own models directory"
    );
    // Back to the shipped model through B: A follows.
    std::fs::remove_file(b.models_dir().join("active.json")).unwrap();
    let r = http
        .post(format!("{}/v1/admin/models/reload", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let models_url = format!("{}/v1/models", a.base);
    within_bound("the shipped model again on A", async || {
        get(&http, models_url.clone()).await["active"] == "default-2"
    })
    .await;
    let worst = delays.iter().max().unwrap();
    eprintln!(
        "replica delay: worst {} ms over {} writes",
        worst.as_millis(),
        delays.len()
    );
    drop((a, b));
}

fn main() -> std::process::ExitCode {
    common::pg::run_trials(vec![common::pg::trial!(
        a_write_and_a_model_through_one_replica_reach_the_other,
        multi
    )])
}

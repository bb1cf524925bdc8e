//! The `duijie` binary: import exit codes and reports, CSV, demo output, reindex, and a
//! served process that stops cleanly on SIGTERM.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::duijie_command as duijie;

#[test]
fn import_exit_code_and_report_name_the_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("world.jsonl");
    std::fs::write(&good, common::small_world()).unwrap();
    let out = duijie()
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg(&good)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("新增 11"), "{stdout}");

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"kind\":\"provider\",\"id\":\"P-20\",\"name\":\"好\"}\n{\"kind\":\"provider\",\"id\":\"P-21\",\"name\":\"坏\",\"services\":[\"magic\"]}\n",
    )
    .unwrap();
    let out = duijie()
        .args(["import", "--json", "--data-dir"])
        .arg(&data)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["inserted"], 1);
    assert_eq!(report["rejected"][0]["line"], 2);
    assert_eq!(report["rejected"][0]["code"], "unknown_service_code");

    // CSV: one kind per file, list cells separated by ；.
    let csv = dir.path().join("needs.csv");
    std::fs::write(
        &csv,
        "id,enterprise_id,title,service,fields,district,budget_wan\nN-7,E-1,\"石墨烯导热膜中试\",pilot_scale,new_materials；new_energy,璧山,50\nN-8,E-404,x,testing,,,\n",
    )
    .unwrap();
    let out = duijie()
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("新增 1") && stdout.contains("第 3 行 [unknown_reference]"),
        "{stdout}"
    );

    let out = duijie()
        .args(["reindex", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("13 条文档"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn demo_world_imports_without_a_rejected_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.jsonl");
    let out = duijie()
        .args(["demo", "--scale", "0.05", "--seed", "7", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("demo.judgments.jsonl").exists());
    let out = duijie()
        .args(["import", "--json", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["rejected_count"], 0);
    assert!(report["inserted"].as_u64().unwrap() > 100);

    // train then eval, end to end, on the generated world and its judgments.
    let data = dir.path().join("data");
    let out = duijie()
        .args(["train", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trained: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in ["learned", "baseline", "bm25", "active"] {
        assert!(
            trained["metrics"][r]["ndcg_at_10"].is_number(),
            "{r}: {trained}"
        );
    }
    assert!(
        data.join(format!(
            "models/ranker-{}.json",
            trained["version"].as_str().unwrap()
        ))
        .exists()
    );
    let out = duijie()
        .args(["eval", "--json", "--data-dir"])
        .arg(&data)
        .arg("--judgments")
        .arg(dir.path().join("demo.judgments.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    for set in ["needs", "queries", "commissioners"] {
        assert!(
            rows.iter()
                .any(|r| r["set"] == set && r["n"].as_u64().unwrap() > 0),
            "{set}: {rows:?}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r["ranker"].as_str().unwrap().starts_with("learned"))
    );
    // A judgments file with a broken line is refused with its line number.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"need_id\":\"N-1\",\"provider_id\":\"P-1\",\"grade\":7}\n",
    )
    .unwrap();
    let out = duijie()
        .args(["eval", "--data-dir"])
        .arg(&data)
        .arg("--judgments")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(":1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = common::spawn_serve(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{url}/healthz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["status"], "ok");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn every_answer_and_every_log_line_of_a_request_carry_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, log) =
        common::spawn_serve_with(dir.path(), &[("DUIJIE_LOG_FORMAT", "json")]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let (given, made, made_too) = rt.block_on(async {
        let import = client
            .post(format!("{url}/v1/import"))
            .header("content-type", "application/x-ndjson")
            .header("x-request-id", "proxy-req-42")
            .body(common::small_world())
            .send()
            .await
            .unwrap();
        assert_eq!(import.status(), 200);
        let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
        let given = id(&import);
        // Made here when the client sends none, or one that is not a plain short token;
        // also on error answers.
        let missing = client
            .get(format!("{url}/v1/nothing-here"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        let odd = client
            .get(format!("{url}/healthz"))
            .header("x-request-id", "two words")
            .send()
            .await
            .unwrap();
        (given, id(&missing), id(&odd))
    });
    assert_eq!(given, "proxy-req-42");
    assert_ne!(made, made_too);
    assert_ne!(made_too, "two words");
    assert_eq!(made.split('-').next(), made_too.split('-').next());
    // The import's own log line names the request.
    let started = Instant::now();
    let line = loop {
        let found = log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains("import over HTTP"))
            .cloned();
        if let Some(l) = found {
            break l;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no import log line"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["span"]["request_id"], "proxy-req-42", "{line}");
    assert_eq!(v["span"]["path"], "/v1/import", "{line}");
    child.kill().ok();
    child.wait().ok();
}

#[test]
fn keys_create_refuses_subjects_that_do_not_exist_or_do_not_fit_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.jsonl");
    std::fs::write(&world, common::small_world()).unwrap();
    let out = duijie()
        .args(["import", "--data-dir"])
        .arg(dir.path())
        .arg(&world)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let create = |role: &str, subject: Option<&str>| {
        let mut c = duijie();
        c.args(["keys", "create", "--role", role, "--data-dir"])
            .arg(dir.path());
        if let Some(s) = subject {
            c.args(["--subject", s]);
        }
        let out = c.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    for (role, subject) in [
        ("broker", Some("P-1")),       // a pilot platform, not a broker
        ("enterprise", Some("E-404")), // no such enterprise
        ("provider", Some("E-1")),     // an enterprise, not a provider
        ("commissioner", Some("P-3")), // a provider
        ("enterprise", None),
        ("admin", Some("E-1")),
    ] {
        let (ok, err) = create(role, subject);
        assert!(!ok, "{role} {subject:?} was accepted");
        assert!(!err.is_empty());
    }
    for (role, subject) in [
        ("broker", Some("P-5")),
        ("provider", Some("P-1")),
        ("provider", Some("P-5")),
        ("enterprise", Some("E-1")),
        ("commissioner", Some("C-1")),
        ("admin", None),
    ] {
        let (ok, err) = create(role, subject);
        assert!(ok, "{role} {subject:?}: {err}");
    }
}

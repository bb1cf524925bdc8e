//! Data written by someone else (`../shared/samples`, hand-written, not from our
//! generator): its entities and feedback import with zero rejected lines, and its judged
//! free-text queries get sensible providers on the first screen. Shows as ignored, with the
//! reason, in `cargo test`'s summary when the samples are absent (its own harness,
//! `harness = false`, because the built-in one cannot ignore a test at run time).

mod common;

use common::TestServer;
use serde_json::{Value, json};
use std::collections::HashMap;

fn main() -> std::process::ExitCode {
    let samples = common::samples_dir();
    let ignored = samples.is_none();
    let trial = libtest_mimic::Trial::test(
        "shared_samples_import_cleanly_and_queries_find_good_providers",
        move || {
            let samples = samples.ok_or("../shared/samples not found")?;
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?
                .block_on(shared_samples_import_cleanly_and_queries_find_good_providers(samples));
            Ok(())
        },
    );
    let trial = if ignored {
        trial
            .with_ignored_flag(true)
            .with_kind("needs ../shared/samples beside the repository")
    } else {
        trial
    };
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), vec![trial]).exit_code()
}

async fn shared_samples_import_cleanly_and_queries_find_good_providers(
    samples: std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    for file in ["entities.jsonl", "feedback.jsonl"] {
        let body = std::fs::read(samples.join(file)).unwrap();
        let (status, r) = srv.post_ndjson("/v1/import", body).await;
        assert_eq!(status, 200);
        assert_eq!(r["rejected_count"], 0, "{file}: {r}");
        assert!(r["inserted"].as_u64().unwrap() > 0);
    }
    // Judged queries: text and graded providers.
    let mut queries: HashMap<String, (String, HashMap<String, u64>)> = HashMap::new();
    for line in std::fs::read_to_string(samples.join("judgments.jsonl"))
        .unwrap()
        .lines()
    {
        let j: Value = serde_json::from_str(line).unwrap();
        if let (Some(q), Some(id)) = (j["query"].as_str(), j["query_id"].as_str()) {
            let e = queries
                .entry(id.to_string())
                .or_insert_with(|| (q.to_string(), HashMap::new()));
            e.1.insert(
                j["provider_id"].as_str().unwrap().to_string(),
                j["grade"].as_u64().unwrap(),
            );
        }
    }
    assert!(!queries.is_empty());
    let mut good_first_screen = 0;
    for (id, (text, grades)) in &queries {
        let (status, r) = srv
            .post_json("/v1/match", &json!({"text": text, "limit": 5}))
            .await;
        assert_eq!(status, 200, "{r}");
        let top: Vec<&str> = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["provider"]["id"].as_str().unwrap())
            .collect();
        let best = top
            .iter()
            .filter_map(|p| grades.get(*p))
            .max()
            .copied()
            .unwrap_or(0);
        eprintln!("{id}: best grade in top 5 = {best} ({top:?})");
        if best >= 2 {
            good_first_screen += 1;
        }
    }
    let share = good_first_screen as f64 / queries.len() as f64;
    eprintln!(
        "queries with a grade ≥ 2 provider in the top 5: {good_first_screen}/{}",
        queries.len()
    );
    assert!(
        share >= 0.7,
        "only {good_first_screen} of {} queries found a good provider in the top 5",
        queries.len()
    );
    srv.stop().await;
}

//! Measures the two figures the foundation reports, on a fresh demo world:
//! import throughput (records/s through the real import pipeline into a SQLite file,
//! index catch-up included) and `/v1/match` latency over HTTP on loopback
//! (sequential requests, one per demo need, p50/p90/p99).
//!
//! ```sh
//! cargo run --release --example measure -- [SCALE] [REQUESTS]
//! ```

use duijie::app::{App, Paths};
use duijie::ingest::SourceFormat;
use duijie::ingest::demo::{DemoConfig, write_world};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let scale: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let requests: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let paths = Paths {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        models_dir: None,
    };

    let mut entities = Vec::new();
    let mut judgments = Vec::new();
    let t = Instant::now();
    let summary = write_world(
        &DemoConfig { seed: 42, scale },
        &mut entities,
        &mut judgments,
    )?;
    let lines = entities.iter().filter(|b| **b == b'\n').count();
    println!(
        "demo world scale {scale}: {lines} records ({:.1} MB) generated in {:.2} s",
        entities.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let app = App::open(&paths).await?;
    let app_for_breakdown = app.clone();
    let t = Instant::now();
    let report = app.import(&entities[..], &SourceFormat::Jsonl).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import: {} records in {secs:.2} s = {:.0} records/s (inserted {}, rejected {}; index caught up)",
        report.lines,
        report.lines as f64 / secs,
        report.inserted,
        report.rejected_count
    );
    drop(entities);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(duijie::api::serve(app, listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/match");
    let needs = summary.needs.max(1);
    let mut lat = Vec::with_capacity(requests);
    for i in 0..requests {
        let need = format!("N-{:06}", i % needs + 1);
        let t = Instant::now();
        let r = client
            .post(&url)
            .json(&serde_json::json!({"need_id": need}))
            .send()
            .await?;
        let ok = r.status().is_success();
        let body: serde_json::Value = r.json().await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(ok, "match failed: {body}");
    }
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "/v1/match over HTTP, {requests} sequential requests: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
        q(0.5),
        q(0.9),
        q(0.99)
    );
    let _ = tx.send(());
    server.await??;
    breakdown(&app_for_breakdown, summary.needs.min(500)).await?;
    Ok(())
}

/// Where a match spends its time, in process (no HTTP): preparing the need, retrieving
/// candidates, and scoring them with each ranker (features + score, no explanations).
async fn breakdown(app: &App, needs: usize) -> anyhow::Result<()> {
    use duijie::domain::{Entity, EntityKind};
    use duijie::matching::{Context, ProviderFilter, order, prepare_need, retrieve};
    use duijie::rank::RankerName;
    let analyzer = app.index().analyzer().clone();
    let stats = app.matcher().stats_snapshot();
    for name in [RankerName::Learned, RankerName::Baseline] {
        let ranker = app.matcher().ranker(name, None)?;
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let (mut prep, mut retr, mut score, mut cands) =
            (Vec::new(), Vec::new(), Vec::new(), 0usize);
        for pass in 0..2 {
            for i in 0..needs {
                let id = format!("N-{:06}", i + 1);
                let Some(Entity::Need(need)) = app.store().get(EntityKind::Need, &id).await? else {
                    continue;
                };
                let t = Instant::now();
                let prepared = prepare_need(&need, &analyzer, ranker.model().map(|m| m.as_ref()));
                let t1 = Instant::now();
                let (c, _) = retrieve(app.index(), &prepared, &ProviderFilter::default())?;
                let t2 = Instant::now();
                let ranked = order(ctx, &prepared, &c);
                let t3 = Instant::now();
                if pass == 1 {
                    // The first pass warms the caches (as a running server's are).
                    prep.push((t1 - t).as_secs_f64() * 1e3);
                    retr.push((t2 - t1).as_secs_f64() * 1e3);
                    score.push((t3 - t2).as_secs_f64() * 1e3);
                    cands += ranked.len();
                }
            }
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let n = score.len().max(1);
        println!(
            "{:<8} per match (median over {n} needs, {:.0} candidates on average): prepare {:.3} ms, retrieve {:.3} ms, features+score {:.3} ms",
            ranker.name(),
            cands as f64 / n as f64,
            med(&mut prep),
            med(&mut retr),
            med(&mut score)
        );
    }
    Ok(())
}

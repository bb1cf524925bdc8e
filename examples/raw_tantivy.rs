//! The floor of the benchmark suite: plain tantivy on duijie's own index, with none of
//! duijie's work on top — no synonyms, no filters, no cues, no features, no learned
//! ranker, no explanations, no store reads, no access control, no metrics. The same
//! documents (the index a `duijie serve` built) and the same requests:
//!
//! - search: the query's words (the same jieba analyzer, or nothing would match) OR'ed
//!   as term queries over the four text fields, top 20 by BM25, ids read from the
//!   stored documents (what `GET /v1/search` returns by default is a page of 20);
//! - match: the need's stored document looked up by id, its title, description and
//!   keywords OR'ed as term queries over the providers' text fields, top 10 by BM25.
//!
//! ```sh
//! # over HTTP on loopback, for the same load generator as duijie itself:
//! cargo run --release --example raw_tantivy -- serve DATA_DIR/index 127.0.0.1:8091
//! # in process, sequential, latency of each request kind:
//! cargo run --release --example raw_tantivy -- inprocess DATA_DIR/index QUERIES NEED_IDS
//! ```
//!
//! The HTTP server answers `GET /raw/search?q=…` and `POST /raw/match {"need_id":…}`.
//! It only reads the index, so it can run beside the `duijie serve` that owns it.

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use duijie::search::Analyzer;
use duijie::search::text::{TOKENIZER_NAME, ZhTokenizer};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query as TQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

struct Raw {
    reader: IndexReader,
    analyzer: Arc<Analyzer>,
    key: Field,
    id: Field,
    doc: Field,
    all_text: Vec<Field>,
    provider_text: Vec<Field>,
}

impl Raw {
    fn open(dir: &str) -> anyhow::Result<Raw> {
        let index = Index::open_in_dir(dir)?;
        let analyzer = Arc::new(Analyzer::new());
        index
            .tokenizers()
            .register(TOKENIZER_NAME, ZhTokenizer::new(analyzer.clone()));
        let schema = index.schema();
        let f = |name: &str| schema.get_field(name);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Raw {
            reader,
            analyzer,
            key: f("key")?,
            id: f("id")?,
            doc: f("doc")?,
            all_text: vec![f("name")?, f("body")?, f("pname")?, f("pbody")?],
            provider_text: vec![f("pname")?, f("pbody")?],
        })
    }

    /// Top `limit` ids by BM25 for the words of `text` over `fields`.
    fn top(&self, text: &str, fields: &[Field], limit: usize) -> anyhow::Result<Vec<String>> {
        let mut clauses: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in self.analyzer.terms(text) {
            if !seen.insert(t.text.clone()) {
                continue;
            }
            for &field in fields {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &t.text),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            ids.push(
                d.get_first(self.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        Ok(ids)
    }

    fn search(&self, q: &str) -> anyhow::Result<Vec<String>> {
        self.top(q, &self.all_text, 20)
    }

    fn match_need(&self, need_id: &str) -> anyhow::Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let key = TermQuery::new(
            Term::from_field_text(self.key, &format!("need:{need_id}")),
            IndexRecordOption::Basic,
        );
        let Some((_, addr)) = searcher
            .search(&key, &TopDocs::with_limit(1).order_by_score())?
            .into_iter()
            .next()
        else {
            anyhow::bail!("no need {need_id}");
        };
        let d: TantivyDocument = searcher.doc(addr)?;
        let stored = d
            .get_first(self.doc)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let need: serde_json::Value = serde_json::from_str(stored)?;
        let mut text = String::new();
        for key in ["title", "description"] {
            if let Some(s) = need.get(key).and_then(|v| v.as_str()) {
                text.push_str(s);
                text.push('\n');
            }
        }
        if let Some(words) = need.get("keywords").and_then(|v| v.as_array()) {
            for w in words.iter().filter_map(|w| w.as_str()) {
                text.push_str(w);
                text.push(' ');
            }
        }
        self.top(&text, &self.provider_text, 10)
    }
}

async fn search_route(
    State(raw): State<Arc<Raw>>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Json<Vec<String>>, String> {
    let q = p.get("q").cloned().unwrap_or_default();
    tokio::task::spawn_blocking(move || raw.search(&q))
        .await
        .map_err(|e| e.to_string())?
        .map(Json)
        .map_err(|e| e.to_string())
}

async fn match_route(
    State(raw): State<Arc<Raw>>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<Vec<String>>, String> {
    let id = body
        .get("need_id")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    tokio::task::spawn_blocking(move || raw.match_need(&id))
        .await
        .map_err(|e| e.to_string())?
        .map(Json)
        .map_err(|e| e.to_string())
}

fn lines(path: &str) -> anyhow::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Median and 99th percentile, in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", dir, addr] => {
            let raw = Arc::new(Raw::open(dir)?);
            let app = Router::new()
                .route("/raw/search", get(search_route))
                .route("/raw/match", post(match_route))
                .with_state(raw);
            let listener = tokio::net::TcpListener::bind(addr).await?;
            eprintln!("raw tantivy on http://{}", listener.local_addr()?);
            axum::serve(listener, app).await?;
        }
        ["inprocess", dir, queries, needs] => {
            let raw = Raw::open(dir)?;
            let queries = lines(queries)?;
            let needs = lines(needs)?;
            for (what, items) in [("search", &queries), ("match", &needs)] {
                let mut ms = Vec::with_capacity(items.len() * 2);
                for pass in 0..2 {
                    for item in items.iter() {
                        let t = Instant::now();
                        let ids = if what == "search" {
                            raw.search(item)?
                        } else {
                            raw.match_need(item)?
                        };
                        std::hint::black_box(ids);
                        if pass == 1 {
                            ms.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                    }
                }
                let (p50, p99) = percentiles(ms);
                println!(
                    "raw tantivy in process, {what}: {} requests, p50 {p50:.3} ms, p99 {p99:.3} ms",
                    items.len()
                );
            }
        }
        _ => anyhow::bail!(
            "usage: raw_tantivy serve INDEX_DIR ADDR | raw_tantivy inprocess INDEX_DIR QUERIES_FILE NEED_IDS_FILE"
        ),
    }
    Ok(())
}

//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4), written by
//! hand. Request counts and latencies are recorded by [`track`], a middleware on every
//! route, keyed by the route *template* (axum's `MatchedPath`, e.g. `/v1/needs/{id}`;
//! requests that match no route are `unmatched`), so the number of series stays bounded
//! whatever paths clients send. The hot path is a read lock on a small map and a few
//! relaxed atomic additions. Gauges (index lag, documents, entities, model, memory) are
//! read when scraped. The metric list and alert ideas are in `OPERATIONS.md`.

use crate::app::{App, ImportCounters, ImportSource};
use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds (the service's p50 is a
/// few milliseconds; its p99 target is 20 ms).
pub const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The same bounds in nanoseconds, for comparing without floating point.
const BUCKETS_NS: [u64; 13] = [
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// The route label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// One (route, method, status) series: a latency histogram whose count is also the
/// request counter.
#[derive(Debug, Default)]
struct Series {
    /// Non-cumulative counts per bucket; the last slot is "above every bound" (+Inf).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Total latency in nanoseconds.
    sum_ns: AtomicU64,
}

impl Series {
    fn observe(&self, ns: u64) {
        let slot = BUCKETS_NS
            .iter()
            .position(|b| ns <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }
}

/// Per route template, per (method, status).
type Routes = HashMap<String, HashMap<(Method, u16), Series>>;

/// Request counters and latency histograms of one router.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: RwLock<Routes>,
}

impl HttpMetrics {
    /// Records one answered request.
    pub fn observe(&self, route: &str, method: &Method, status: u16, ns: u64) {
        {
            let routes = self.routes.read().expect("metrics lock");
            if let Some(s) = routes
                .get(route)
                .and_then(|m| m.get(&(method.clone(), status)))
            {
                s.observe(ns);
                return;
            }
        }
        // First request of this series: the only time the write lock is taken.
        let mut routes = self.routes.write().expect("metrics lock");
        routes
            .entry(route.to_string())
            .or_default()
            .entry((method.clone(), status))
            .or_default()
            .observe(ns);
    }

    /// Writes the counter and the histogram (per route, over methods and statuses).
    pub fn render(&self, out: &mut String) {
        let routes = self.routes.read().expect("metrics lock");
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        header(
            out,
            "duijie_http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        for route in &names {
            let mut series: Vec<(&(Method, u16), &Series)> = routes[*route].iter().collect();
            series.sort_by(|a, b| (a.0.0.as_str(), a.0.1).cmp(&(b.0.0.as_str(), b.0.1)));
            for ((method, status), s) in series {
                let n: u64 = s.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum();
                let _ = writeln!(
                    out,
                    "duijie_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    escape(route),
                    escape(method.as_str()),
                );
            }
        }
        header(
            out,
            "duijie_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to sending the response head, by route template.",
        );
        for route in &names {
            let mut buckets = [0u64; BUCKETS.len() + 1];
            let mut sum_ns = 0u64;
            for s in routes[*route].values() {
                for (acc, b) in buckets.iter_mut().zip(&s.buckets) {
                    *acc += b.load(Ordering::Relaxed);
                }
                sum_ns += s.sum_ns.load(Ordering::Relaxed);
            }
            let route = escape(route);
            let mut cumulative = 0u64;
            for (i, n) in buckets.iter().enumerate() {
                cumulative += n;
                let le = BUCKETS
                    .get(i)
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "+Inf".into());
                let _ = writeln!(
                    out,
                    "duijie_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "duijie_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                sum_ns as f64 / 1e9
            );
            let _ = writeln!(
                out,
                "duijie_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}"
            );
        }
    }
}

/// The middleware: times every request and counts its answer under its route template.
pub(super) async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let res = next.run(req).await;
    let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    metrics.observe(route, &method, res.status().as_u16(), ns);
    res
}

/// The `/metrics` route, reading `metrics` (the same the [`track`] layer writes).
/// `GET /metrics`; the request metrics come from an `Extension` the router adds.
pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(prometheus))
}

/// Prometheus text exposition (version 0.0.4): request counts and latencies per route, store, index, model, import and process gauges
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "system",
    responses((status = 200, description = "The metrics", body = String, content_type = "text/plain"))
)]
async fn prometheus(
    State(app): State<App>,
    Extension(metrics): Extension<Arc<HttpMetrics>>,
) -> Response {
    exposition(&app, &metrics).await
}

async fn exposition(app: &App, metrics: &HttpMetrics) -> Response {
    let mut out = String::with_capacity(16 * 1024);
    metrics.render(&mut out);
    render_app(app, &mut out).await;
    render_process(&mut out);
    let mut res = out.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

/// Store, index, model and import gauges and counters.
async fn render_app(app: &App, out: &mut String) {
    let index = app.index().status();
    let store = match (app.store().last_seq().await, app.store().counts().await) {
        (Ok(seq), Ok(counts)) => Some((seq, counts)),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "metrics: the store did not answer");
            None
        }
    };
    gauge(
        out,
        "duijie_store_up",
        "1 when the store answered this scrape's queries, else 0.",
        i64::from(store.is_some()),
    );
    if let Some((last_seq, counts)) = &store {
        gauge(
            out,
            "duijie_store_last_seq",
            "Last sequence number in the store's change log.",
            *last_seq,
        );
        gauge(
            out,
            "duijie_index_lag",
            "Change-log entries the search index has not applied yet (store last seq - index applied seq).",
            last_seq - index.applied_seq,
        );
        header(
            out,
            "duijie_entities",
            "gauge",
            "Records in the store, by kind.",
        );
        for (kind, n) in [
            ("commissioner", counts.commissioners),
            ("enterprise", counts.enterprises),
            ("need", counts.needs),
            ("provider", counts.providers),
        ] {
            let _ = writeln!(out, "duijie_entities{{kind=\"{kind}\"}} {n}");
        }
        gauge(
            out,
            "duijie_feedback_events",
            "Feedback events in the store.",
            counts.feedback,
        );
    }
    gauge(
        out,
        "duijie_index_applied_seq",
        "Last change-log sequence number applied to the search index.",
        index.applied_seq,
    );
    gauge(
        out,
        "duijie_index_documents",
        "Documents in the search index.",
        i64::try_from(index.documents).unwrap_or(i64::MAX),
    );
    gauge(
        out,
        "duijie_index_failing",
        "1 while writing the search index fails and it has not caught up since (retried with backoff), else 0.",
        i64::from(app.index().failure().is_some()),
    );
    gauge(
        out,
        "duijie_store_file_present",
        "0 when the SQLite file this process opened was deleted or replaced (writes are refused), else 1.",
        i64::from(app.store_file_ok().is_ok()),
    );
    header(
        out,
        "duijie_model_info",
        "gauge",
        "The ranker requests use by default: the active model's version (empty and ranker=\"baseline\" without one).",
    );
    let (version, ranker) = match app.models().active() {
        Some(m) => (m.version.clone(), "learned"),
        None => (String::new(), "baseline"),
    };
    let _ = writeln!(
        out,
        "duijie_model_info{{version=\"{}\",ranker=\"{ranker}\"}} 1",
        escape(&version)
    );
    render_imports(app.imports(), out);
    header(
        out,
        "duijie_build_info",
        "gauge",
        "The running binary's version.",
    );
    let _ = writeln!(
        out,
        "duijie_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
}

fn render_imports(imports: &ImportCounters, out: &mut String) {
    header(
        out,
        "duijie_import_records_total",
        "counter",
        "Records received by POST /v1/import (source=\"import\") and by feedback endpoints (source=\"feedback\"), by outcome as the import report counts them.",
    );
    for source in ImportSource::ALL {
        for (outcome, n) in ImportCounters::OUTCOMES.iter().zip(imports.get(source)) {
            let _ = writeln!(
                out,
                "duijie_import_records_total{{source=\"{}\",outcome=\"{outcome}\"}} {n}",
                source.code()
            );
        }
    }
}

/// Resident memory and open file descriptors, from `/proc` (Linux; omitted elsewhere).
fn render_process(out: &mut String) {
    if let Some(rss) = resident_memory_bytes() {
        gauge(
            out,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            rss,
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        gauge(
            out,
            "process_open_fds",
            "Open file descriptors.",
            fds.count() as i64,
        );
    }
}

/// `VmRSS` from `/proc/self/status` (the same figure as `statm`'s second field, but in
/// kB, so no page size is needed).
fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains(['\\', '"', '\n']) {
        return v.into();
    }
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = HttpMetrics::default();
        m.observe("/v1/needs/{id}", &Method::GET, 200, 500_000); // 0.5 ms
        m.observe("/v1/needs/{id}", &Method::GET, 200, 3_000_000); // 3 ms
        m.observe("/v1/needs/{id}", &Method::GET, 404, 1_000_000); // exactly 1 ms
        m.observe("/v1/needs/{id}", &Method::PUT, 200, 20_000_000_000); // 20 s
        m.observe(UNMATCHED, &Method::GET, 404, 10);
        let mut out = String::new();
        m.render(&mut out);
        let has = |line: &str| out.lines().any(|l| l == line);
        assert!(has(
            r#"duijie_http_requests_total{route="/v1/needs/{id}",method="GET",status="200"} 2"#
        ));
        assert!(has(
            r#"duijie_http_requests_total{route="/v1/needs/{id}",method="GET",status="404"} 1"#
        ));
        assert!(has(
            r#"duijie_http_requests_total{route="unmatched",method="GET",status="404"} 1"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_bucket{route="/v1/needs/{id}",le="0.001"} 2"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_bucket{route="/v1/needs/{id}",le="0.005"} 3"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_bucket{route="/v1/needs/{id}",le="10"} 3"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_bucket{route="/v1/needs/{id}",le="+Inf"} 4"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_count{route="/v1/needs/{id}"} 4"#
        ));
        assert!(has(
            r#"duijie_http_request_duration_seconds_sum{route="/v1/needs/{id}"} 20.0045"#
        ));
        // Every sample line is `name{labels} value` with a number for the value.
        for l in out.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = l.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("plain"), "plain");
    }
}

//! Requests that try to use too much (issue 17): reports of floods of bad lines stay
//! small, a declared oversize body is refused at once, connections that never finish
//! their headers are cut, and connections beyond the cap wait.

mod common;

use common::{TestServer, duijie_command};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

async fn small_world() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    let (status, _) = srv.post_ndjson("/v1/import", common::small_world()).await;
    assert_eq!(status, 200);
    (dir, srv)
}

/// Sends `body` as NDJSON; answers the status, the answer's size and its JSON.
async fn post_lines(srv: &TestServer, path: &str, body: String) -> (u16, usize, Value) {
    let r = srv
        .client
        .post(srv.url(path))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    (
        status,
        bytes.len(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_flood_of_bad_feedback_lines_gets_a_small_answer_with_counts_per_code() {
    let (_dir, srv) = small_world().await;
    let bad = 150_000;
    let mut body = String::new();
    for i in 0..bad {
        body.push_str(if i % 3 == 0 {
            "{\"outcome\":1}\n"
        } else {
            "{\n"
        });
    }
    let (status, size, r) = post_lines(&srv, "/v1/feedback", body).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["rejected_count"], bad);
    assert_eq!(r["rejected"].as_array().unwrap().len(), 100);
    assert_eq!(r["rejected_omitted"], bad - 100);
    let by_code = r["rejected_by_code"].as_object().unwrap();
    assert_eq!(by_code["malformed_json"], 100_000);
    assert_eq!(
        by_code.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        bad as u64
    );
    assert!(size < 64 * 1024, "the answer is {size} bytes");
    srv.stop().await;
}

#[tokio::test]
async fn a_flood_of_bad_import_lines_gets_a_small_answer() {
    let (_dir, srv) = small_world().await;
    let bad = 20_000;
    let body = "{\"kind\":\"provider\",\"id\":\"P-x\"}\n".repeat(bad);
    let (status, size, r) = post_lines(&srv, "/v1/import", body).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["rejected_count"], bad);
    assert_eq!(r["rejected"].as_array().unwrap().len(), 100);
    assert_eq!(r["rejected_omitted"], bad - 100);
    assert!(size < 64 * 1024, "the answer is {size} bytes");
    srv.stop().await;
}

/// Writes `head` on a fresh connection and reads what comes back within `wait` (the
/// text, and whether the server closed the connection).
fn raw(addr: &str, head: &str, wait: Duration) -> (String, bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
                    break false;
                }
            }
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_oversize_body_is_refused_at_once() {
    let (_dir, srv) = small_world().await;
    let addr = srv.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let (answer, _) = tokio::task::spawn_blocking(move || {
        raw(
            &addr,
            "POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
            Duration::from_secs(5),
        )
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    assert!(answer.contains("body_too_large"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let (_dir, srv) = small_world().await;
    let addr = srv.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let (answer, closed) = tokio::task::spawn_blocking(move || {
        raw(
            &addr,
            "GET /healthz HTTP/1.1\r\nHost: x\r\n",
            Duration::from_secs(20),
        )
    })
    .await
    .unwrap();
    let waited = started.elapsed();
    assert!(closed || answer.contains(" 408"), "{answer:?}");
    assert!(
        waited < Duration::from_secs(15),
        "held for {waited:?} (header timeout {:?})",
        duijie::api::HEADER_READ_TIMEOUT
    );
    srv.stop().await;
}

#[test]
fn connections_beyond_the_cap_wait_until_slots_free() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = duijie_command()
        .args(["serve", "--no-demo", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("DUIJIE_MAX_CONNECTIONS", "4")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let addr = url.trim_start_matches("http://").to_string();
    // Four connections that never finish their headers take every slot.
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (answer, _) = raw(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(20),
    );
    let waited = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    drop(idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(
        waited > Duration::from_secs(2),
        "a fifth connection was served at once ({waited:?}): no cap"
    );
    assert!(waited < Duration::from_secs(15), "{waited:?}");
}

//! Test helpers: start the real application on 127.0.0.1:0 with a temporary data
//! directory and talk HTTP to it.
#![allow(dead_code)]

pub mod pg;

use duijie::app::{App, Paths};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tokio::sync::oneshot;

/// A running server.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub fn paths(dir: &Path) -> Paths {
    Paths {
        data_dir: dir.to_path_buf(),
        database_url: None,
        models_dir: None,
    }
}

impl TestServer {
    /// `method` on `path` with an optional API key and JSON body: the status and the
    /// JSON answer (`null` when the body is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = self.url(path);
        let mut req = match method {
            "GET" => self.client.get(url),
            "PUT" => self.client.put(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.post(url),
        };
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Opens the data directory (catching the index up) and serves it.
    pub async fn start(dir: &Path) -> TestServer {
        let app = App::open(&paths(dir)).await.expect("app opens");
        TestServer::serve(app).await
    }

    pub async fn serve(app: App) -> TestServer {
        TestServer::serve_configured(app, duijie::api::HttpConfig::default()).await
    }

    /// Serves with these HTTP settings (rate limits, connection cap, web directory).
    pub async fn serve_configured(app: App, config: duijie::api::HttpConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            duijie::api::serve_configured(app, listener, &config, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Graceful stop; the data directory is free again afterwards.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task ends");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_ndjson(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        send(
            self.client
                .post(self.url(path))
                .header("content-type", "application/x-ndjson")
                .body(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.client.put(self.url(path)).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        send(self.client.delete(self.url(path))).await
    }
}

/// Sends a request; answers the status and the JSON body (null when there is none).
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The shared sample data set, when this checkout sits beside `../shared`.
pub fn samples_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    if dir.join("entities.jsonl").exists() {
        Some(dir)
    } else {
        None
    }
}

/// A small hand-written world: two enterprises, three needs, five providers.
pub fn small_world() -> String {
    [
        r#"{"kind":"provider","id":"P-1","provider_type":"pilot_platform","name":"璧山复合材料中试基地","district":"璧山区","fields":["new_materials"],"services":["pilot_scale","testing"],"keywords":["碳纤维","预浸料"],"description":"拥有热熔预浸机与热压罐，承接碳纤维复合材料从小试到吨级的工艺放大与批次稳定性验证。","capacity":6}"#,
        r#"{"kind":"provider","id":"P-2","provider_type":"pilot_platform","name":"两江锂电中试线","district":"两江新区","fields":["new_energy"],"services":["pilot_scale"],"keywords":["锂离子电池","正极材料"],"description":"锂离子电池正极材料公斤级到百公斤级中试熟化，配套电芯试制。","capacity":4}"#,
        r#"{"kind":"provider","id":"P-3","provider_type":"transfer_agency","name":"重庆科技成果转化服务中心","district":"渝中区","served_districts":["全市"],"fields":["new_materials","new_energy","biomedicine"],"services":["tech_transfer","ip_service"],"description":"专利评估、技术许可与成果转化，知识产权质押融资辅导。","capacity":12}"#,
        r#"{"kind":"provider","id":"P-4","provider_type":"pilot_platform","name":"成都材料检测中心","district":"成都市","fields":["new_materials"],"services":["testing"],"description":"复合材料力学性能检测，CMA、CNAS 资质。","capacity":8}"#,
        r#"{"kind":"provider","id":"P-5","provider_type":"broker","name":"王经纪","district":"沙坪坝区","fields":["new_materials"],"services":["brokerage","tech_transfer"],"description":"新材料方向技术经纪，帮助企业找到合适的中试平台。","capacity":3}"#,
        r#"{"kind":"enterprise","id":"E-1","name":"重庆璧新复材科技有限公司","district":"璧山区","fields":["new_materials"],"description":"碳纤维预浸料研发。","certifications":["tech_sme"]}"#,
        r#"{"kind":"enterprise","id":"E-2","name":"重庆两江新能源科技有限公司","district":"两江新区","fields":["new_energy"],"certifications":["high_tech"]}"#,
        r#"{"kind":"need","id":"N-1","enterprise_id":"E-1","title":"碳纤维预浸料工艺放大","description":"实验室已做出合格的碳纤维复合材料样品，需要在本区或周边找平台把热熔预浸工艺放大到中试规模。","service":"pilot_scale","fields":["new_materials"],"district":"璧山区","budget_wan":80}"#,
        r#"{"kind":"need","id":"N-2","enterprise_id":"E-2","title":"动力电池正极中试","description":"高镍正极材料需要中试验证。","service":"pilot_scale","district":"两江新区"}"#,
        r#"{"kind":"need","id":"N-3","enterprise_id":"E-1","title":"专利许可谈判","description":"想把一项涂层专利许可出去。","service":"tech_transfer","fields":["new_materials"],"district":"璧山区","status":"closed"}"#,
        r#"{"kind":"commissioner","id":"C-1","name":"张老师","organization":"重庆大学","districts":["璧山区","沙坪坝区"],"fields":["new_materials"],"expertise":"复合材料成型工艺","max_load":8}"#,
    ]
    .join("\n")
}

/// The `duijie` binary, with the settings a developer's environment might hold removed
/// (each test names its own data directory and store).
pub fn duijie_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_duijie"));
    c.env_remove("DATABASE_URL")
        .env_remove("DUIJIE_DATA_DIR")
        .env_remove("DUIJIE_MODELS_DIR");
    c
}

/// Spawns `duijie serve --no-demo` on 127.0.0.1:0 over `dir` and reads back the address it
/// printed; its stderr keeps being drained so it never blocks on a full pipe.
pub fn spawn_serve(dir: &Path) -> (Child, String) {
    let (child, url, _) = spawn_serve_with(dir, &[]);
    (child, url)
}

/// [`spawn_serve`] with extra environment; also returns every line the server writes to
/// stderr (its log), collected as they come.
pub fn spawn_serve_with(
    dir: &Path,
    env: &[(&str, &str)],
) -> (Child, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let mut child = duijie_command()
        .args(["serve", "--no-demo", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("duijie serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..]
                .split(|c: char| c.is_whitespace() || c == '"')
                .next()
                .unwrap()
                .to_string();
        }
    };
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (child, url, log)
}

/// A problem answer's stable `code` (empty when there is none).
pub fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

/// Creates an API key for `role` (and `subject`) in the app's store: its id and the full
/// secret a client sends.
pub async fn make_key(app: &App, role: &str, subject: Option<&str>) -> (String, String) {
    let (id, secret, full) = duijie::api::auth::new_key().unwrap();
    app.store()
        .create_key(&id, &duijie::api::auth::secret_sha(&secret), role, subject)
        .await
        .unwrap();
    (id, full)
}

//! The command line: the subcommands and their arguments (the settings they share are in
//! `settings`: defaults < environment `DUIJIE_…` < flags) and running one subcommand. Each subcommand is a thin shell around the library.

use crate::app::{App, Paths, display_dir, open_store};
use crate::domain::Role;
use crate::ingest::demo::{DemoConfig, write_world};
use crate::ingest::{ImportReport, Importer, SourceFormat};
use crate::matching::training::PriorChoice;
use crate::rank::RankerName;
use crate::search::{Analyzer, IndexError, SearchIndex};
use crate::settings::{DataSettings, ExposureSettings, LogFormat, RecordKind, Settings};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// duijie（对接）：科技型中小企业技术需求与中试熟化平台、技术转移机构、技术经纪人的智能匹配服务。
#[derive(Parser, Debug)]
#[command(name = "duijie", version, about, long_about = None)]
pub struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "DUIJIE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax, e.g. `info,tower_http=debug`); default
    /// `info` for `serve`, `warn` otherwise.
    #[arg(long, global = true, env = "RUST_LOG", value_parser = log_filter)]
    pub log_filter: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A log filter tracing accepts.
fn log_filter(s: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP service (loads the demo world into an empty store unless --no-demo).
    Serve(Box<Settings>),
    /// Import JSONL or CSV files (data-model.md); exit 1 if any line was rejected.
    Import {
        /// Files to import, in order (entities before the records that refer to them).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The record kind of CSV files without a `kind` column (else taken from the file name).
        #[arg(long, value_enum)]
        kind: Option<RecordKind>,
        /// Print the full report as JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataSettings,
    },
    /// Write the synthetic demo world as JSONL.
    Demo {
        /// Entities and feedback go here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Relevance judgments go here (default: beside --out as `*.judgments.jsonl`).
        #[arg(long)]
        judgments: Option<PathBuf>,
        /// Random seed; the same seed gives the same world.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Multiplies every count (1 = 2,000 enterprises, 3,000 needs, 600 providers, 150 commissioners).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Back up the store and the models directory into a new directory laid out like a data
    /// directory (`duijie.db`, `models/`); safe while `serve` runs (SQLite only).
    Backup {
        /// The backup directory to create (it must not exist, or be empty).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        data: DataSettings,
    },
    /// Rebuild the search index from the store.
    Reindex {
        #[command(flatten)]
        data: DataSettings,
    },
    /// Train a ranker from the stored feedback; promote it only if it beats the active one.
    Train {
        /// Promote the new model even if it does not beat the active one.
        #[arg(long)]
        force: bool,
        /// Share of feedback needs held out for testing.
        #[arg(long, default_value_t = 0.2)]
        test_share: f64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Name the new model (letters, digits, `-`, `_`, `.`); default: the UTC time.
        #[arg(long)]
        version_name: Option<String>,
        /// Also learn from graded judgments (data-model.md format; repeatable): a
        /// hand-written training corpus, as `models/train-default.sh` uses.
        #[arg(long)]
        judgments: Vec<PathBuf>,
        /// What the fit starts from: `active` (the active model: adjust what you have),
        /// `baseline` (the documented hand weights: how the shipped model is made) or
        /// `none`.
        #[arg(long, value_enum, default_value = "active")]
        prior: PriorChoice,
        #[command(flatten)]
        data: DataSettings,
    },
    /// Evaluate rankers against a relevance-judgments file (NDCG@10, MRR, Recall@50).
    Eval {
        /// The judgments file (data-model.md format).
        #[arg(long)]
        judgments: PathBuf,
        /// Only this ranker; default all, side by side.
        #[arg(long, value_enum)]
        ranker: Option<RankerName>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also measure exposure control: NDCG@10 and first-screen concentration with
        /// and without it, serving the judged needs one after another.
        #[arg(long)]
        exposure: bool,
        #[command(flatten)]
        exposure_settings: ExposureSettings,
        /// Also report field inference on the judged needs without fields and the
        /// judged queries (reference: the fields of the providers graded 3).
        #[arg(long)]
        fields: bool,
        #[command(flatten)]
        data: DataSettings,
    },
    /// API keys: create (printed once, stored hashed), list, revoke.
    Keys {
        /// What to do with keys.
        #[command(subcommand)]
        action: KeysAction,
    },
}

/// `duijie keys …`
#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Create a key; it is printed alone on the last line and never shown again.
    Create {
        /// The key's role.
        #[arg(long, value_enum)]
        role: Role,
        /// The record the key acts for (required for every role but admin).
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        data: DataSettings,
    },
    /// List keys (ids, roles, subjects; never secrets).
    List {
        #[command(flatten)]
        data: DataSettings,
    },
    /// Revoke a key by its id (the part after `dj_`, before the second `_`).
    Revoke {
        /// The key id.
        id: String,
        #[command(flatten)]
        data: DataSettings,
    },
}

/// Starts logging: `RUST_LOG` filters (default `info` for `serve`, `warn` otherwise).
pub fn init_logging(cli: &Cli) {
    let default = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = match &cli.log_filter {
        Some(f) => tracing_subscriber::EnvFilter::new(f),
        None => tracing_subscriber::EnvFilter::new(default),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Serve(settings) => serve(&settings).await,
        Command::Import {
            files,
            kind,
            json,
            data,
        } => {
            let kind = kind.map(|k| k.code().to_string());
            import(&data.paths(), &files, kind, json).await
        }
        Command::Demo {
            out,
            judgments,
            seed,
            scale,
        } => demo(out, judgments, seed, scale),
        Command::Backup { to, data } => backup(&data.paths(), &to).await,
        Command::Reindex { data } => reindex(&data.paths()).await,
        Command::Train {
            force,
            test_share,
            json,
            version_name,
            judgments,
            prior,
            data,
        } => {
            train(
                &data.paths(),
                force,
                test_share,
                json,
                version_name,
                &judgments,
                prior,
            )
            .await
        }
        Command::Eval {
            judgments,
            ranker,
            json,
            exposure,
            exposure_settings,
            fields,
            data,
        } => {
            let exposure = exposure.then(|| exposure_settings.policy());
            eval(&data.paths(), &judgments, ranker, json, exposure, fields).await
        }
        Command::Keys { action } => keys(action).await,
    }
}

async fn keys(action: KeysAction) -> Result<i32> {
    match action {
        KeysAction::Create {
            role,
            subject,
            data,
        } => {
            let subject = subject
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            let store = open_store(&data.paths()).await?;
            let stored = match (crate::domain::access::subject_kind(role), &subject) {
                (Some(kind), Some(id)) => store.get(kind, id).await?,
                _ => None,
            };
            if let Err(why) =
                crate::domain::access::subject_fits(role, subject.as_deref(), stored.as_ref())
            {
                store.close().await;
                anyhow::bail!(why);
            }
            let (id, secret, full) = crate::api::auth::new_key()?;
            let key = store
                .create_key(
                    &id,
                    &crate::api::auth::secret_sha(&secret),
                    role.code(),
                    subject.as_deref(),
                )
                .await?;
            store.close().await;
            eprintln!(
                "已创建 {} 密钥 {}{}。密钥只显示这一次，请妥善保存：",
                role.zh(),
                key.id,
                subject.map(|s| format!("（代表 {s}）")).unwrap_or_default()
            );
            println!("{full}");
            Ok(0)
        }
        KeysAction::List { data } => {
            let store = open_store(&data.paths()).await?;
            let keys = store.keys().await?;
            store.close().await;
            if keys.is_empty() {
                println!("没有 API 密钥：服务以开放模式运行，只接受本机访问。");
            }
            for k in keys {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    k.id,
                    k.role,
                    k.subject.unwrap_or_else(|| "-".into()),
                    k.created_at,
                    k.revoked_at
                        .map(|r| format!("已吊销 {r}"))
                        .unwrap_or_else(|| "有效".into())
                );
            }
            Ok(0)
        }
        KeysAction::Revoke { id, data } => {
            let store = open_store(&data.paths()).await?;
            let done = store.revoke_key(&id).await?;
            store.close().await;
            if done {
                println!("已吊销密钥 {id}");
                Ok(0)
            } else {
                eprintln!("没有有效的密钥 {id}");
                Ok(1)
            }
        }
    }
}

async fn serve(settings: &Settings) -> Result<i32> {
    use crate::api::auth::Access;
    let started = Instant::now();
    let paths = &settings.data.paths();
    let (addr, open) = (settings.addr, settings.open);
    let app = App::open(paths)
        .await
        .with_context(|| {
            format!(
                "opening the data directory {}",
                display_dir(&paths.data_dir)
            )
        })?
        .with_policy(
            settings.matching.exposure.policy(),
            settings.matching.priority_boost,
        );
    if !settings.no_demo && app.is_empty().await? {
        eprintln!("存储为空，正在载入演示数据（重庆示例生态）…");
        let report = app.load_demo().await?;
        eprintln!("演示数据已载入：新增 {} 条记录。", report.inserted);
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let access = Access::decide(app.store(), local, open).await?;
    let live = app.store().live_key_count().await?;
    if access == Access::Open {
        eprintln!(
            "警告：服务以开放模式运行（没有 API 密钥）——能访问 {local} 的任何程序都可以读写全部数据。\n\
             WARNING: running OPEN on {local}: no API key is asked for, every request acts as an admin{}.",
            if open { " (--open)" } else { "" }
        );
        tracing::warn!(addr = %local, explicit = open, "running open: no API key is asked for");
    } else if live == 0 {
        eprintln!(
            "警告：所有 API 密钥都已吊销，服务不会开放：在用 `duijie keys create` 创建密钥之前，每个 /v1/ 请求都会得到 401。\n\
             WARNING: every API key is revoked; the service stays closed (401) until a key is created."
        );
        tracing::warn!(addr = %local, "no live API key: every request is refused with 401 until a key is created");
    }
    let follower = app.follow_changes(Duration::from_millis(settings.follow_ms.max(50)));
    tracing::info!(addr = %local, data_dir = %display_dir(&paths.data_dir), startup_ms = started.elapsed().as_millis() as u64, "duijie listening");
    eprintln!(
        "duijie 已启动：http://{local}  （数据目录 {}）",
        display_dir(&paths.data_dir)
    );
    let http = settings.http.config();
    crate::api::serve_with(app.clone(), listener, access, &http, shutdown_signal()).await?;
    follower.abort();
    app.store().close().await;
    tracing::info!("duijie stopped");
    Ok(0)
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

async fn import(paths: &Paths, files: &[PathBuf], kind: Option<String>, json: bool) -> Result<i32> {
    let store = open_store(paths).await?;
    let mut total = ImportReport::default();
    let mut any_rejected = false;
    let started = Instant::now();
    for file in files {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut format = SourceFormat::for_path(file);
        if let (SourceFormat::Csv { kind: k }, Some(given)) = (&mut format, &kind) {
            *k = Some(given.clone());
        }
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta}",
            )
            .expect("template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(file.display().to_string());
        if json || size < 1_000_000 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let b = bar.clone();
        let mut importer = Importer::new(&store).on_progress(move |n| b.set_position(n));
        importer
            .read(BufReader::with_capacity(1 << 20, f), &format)
            .await
            .with_context(|| format!("importing {}", file.display()))?;
        let report = importer.finish().await?;
        bar.finish_and_clear();
        any_rejected |= report.rejected_count > 0;
        if !json {
            print_report(&file.display().to_string(), &report);
        }
        total.lines += report.lines;
        total.inserted += report.inserted;
        total.updated += report.updated;
        total.unchanged += report.unchanged;
        total.rejected_count += report.rejected_count;
        total.rejected.extend(report.rejected);
        total.rejected_omitted += report.rejected_omitted;
        for (code, n) in report.rejected_by_code {
            *total.rejected_by_code.entry(code).or_default() += n;
        }
        total.warnings.extend(report.warnings);
        total.warnings_omitted += report.warnings_omitted;
    }
    let elapsed = started.elapsed();
    // Bring the index up to date, unless a running server owns it (it follows the store).
    let analyzer = Arc::new(Analyzer::new());
    match SearchIndex::open(&paths.index_dir(), analyzer) {
        Ok(index) => {
            Arc::new(index).catch_up(&store).await?;
        }
        Err(IndexError::Busy) => {
            eprintln!("提示：搜索索引正由运行中的 duijie serve 使用，它会自动跟进这些变更。");
        }
        Err(e) => return Err(e.into()),
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&total)?);
    } else if files.len() > 1 {
        println!(
            "合计：新增 {}，更新 {}，未变 {}，拒绝 {}",
            total.inserted, total.updated, total.unchanged, total.rejected_count
        );
    }
    let rate = total.lines as f64 / elapsed.as_secs_f64().max(1e-6);
    eprintln!("用时 {:.2} 秒（{:.0} 行/秒）", elapsed.as_secs_f64(), rate);
    store.close().await;
    Ok(if any_rejected { 1 } else { 0 })
}

/// Most rejected lines printed per file (all are in `--json`).
const PRINTED_REJECTIONS: usize = 50;

fn print_report(name: &str, r: &ImportReport) {
    println!(
        "{name}：读取 {} 行；新增 {}，更新 {}，未变 {}，拒绝 {}",
        r.lines, r.inserted, r.updated, r.unchanged, r.rejected_count
    );
    for p in r.rejected.iter().take(PRINTED_REJECTIONS) {
        println!("  拒绝 第 {} 行 [{}] {}", p.line, p.code, p.detail);
    }
    if r.rejected_count > PRINTED_REJECTIONS {
        println!(
            "  …… 另有 {} 行被拒绝（--json 可查看全部）",
            r.rejected_count - PRINTED_REJECTIONS
        );
    }
    for w in r.warnings.iter().take(PRINTED_REJECTIONS) {
        println!("  提醒 第 {} 行 [{}] {}", w.line, w.code, w.detail);
    }
}

fn demo(out: Option<PathBuf>, judgments: Option<PathBuf>, seed: u64, scale: f64) -> Result<i32> {
    if !(scale > 0.0 && scale <= 1000.0) {
        anyhow::bail!("--scale must be greater than 0 and at most 1000 (got {scale})");
    }
    let judgments = judgments.unwrap_or_else(|| match &out {
        Some(p) => p.with_extension("judgments.jsonl"),
        None => PathBuf::from("demo.judgments.jsonl"),
    });
    let mut jw = std::io::BufWriter::new(
        std::fs::File::create(&judgments)
            .with_context(|| format!("cannot create {}", judgments.display()))?,
    );
    let cfg = DemoConfig { seed, scale };
    let started = Instant::now();
    let summary = match &out {
        Some(p) => {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?,
            );
            let s = write_world(&cfg, &mut w, &mut jw)?;
            w.flush()?;
            s
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let s = write_world(&cfg, &mut w, &mut jw)?;
            w.flush()?;
            s
        }
    };
    jw.flush()?;
    eprintln!(
        "演示数据：企业 {}，需求 {}，服务机构 {}，科技专员 {}，反馈 {}，评测标注 {}（写入 {}），用时 {:.2} 秒",
        summary.enterprises,
        summary.needs,
        summary.providers,
        summary.commissioners,
        summary.feedback,
        summary.judgments,
        judgments.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// What `duijie backup` writes beside the copies (for people; restoring ignores it).
#[derive(serde::Serialize)]
struct BackupManifest {
    created_at: String,
    duijie_version: &'static str,
    store_last_seq: i64,
    counts: crate::store::Counts,
    active_model: Option<String>,
    model_files: Vec<String>,
}

/// `duijie backup --to DIR`: `VACUUM INTO` a consistent copy of the SQLite store (while
/// `serve` keeps running), then copy the models directory, then check the copy by opening
/// it. The result is itself a data directory (the index is rebuilt when it is served).
async fn backup(paths: &Paths, to: &std::path::Path) -> Result<i32> {
    let url = paths.store_url();
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        anyhow::bail!(
            "存储是 PostgreSQL：请用 pg_dump 备份（例如 pg_dump -Fc -f duijie.dump \"$DATABASE_URL\"），\
             并另行复制数据目录里的 models/。见 OPERATIONS.md。\n\
             the store is PostgreSQL: back it up with `pg_dump -Fc`, and copy the data directory's models/ (see OPERATIONS.md)"
        );
    }
    if paths.database_url.is_none() && !paths.data_dir.join("duijie.db").exists() {
        anyhow::bail!(
            "数据目录 {} 中没有存储文件 duijie.db（--data-dir 是否正确？）",
            display_dir(&paths.data_dir)
        );
    }
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        anyhow::bail!("备份目录 {} 已存在且不为空；请指定一个新目录", to.display());
    }
    let started = Instant::now();
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let store = open_store(paths).await?;
    let partial = to.join("duijie.db.partial");
    let _ = std::fs::remove_file(&partial);
    store
        .backup_into(&partial)
        .await
        .context("copying the store (VACUUM INTO)")?;
    store.close().await;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, to.join("duijie.db"))?;
    // Models after the store: a model promoted in between is also published in the
    // store, which is what a restored service follows.
    let models_to = to.join("models");
    std::fs::create_dir_all(&models_to)?;
    let mut model_files = Vec::new();
    let models_dir = paths.models_dir();
    if models_dir.is_dir() {
        for entry in std::fs::read_dir(&models_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            // Model files and active.json are written atomically (temp file + rename);
            // skip the temp files.
            if !entry.file_type()?.is_file() || name.ends_with(".tmp") || name.starts_with('.') {
                continue;
            }
            std::fs::copy(entry.path(), models_to.join(&name))
                .with_context(|| format!("copying {}", entry.path().display()))?;
            std::fs::File::open(models_to.join(&name))?.sync_all()?;
            model_files.push(name);
        }
    }
    model_files.sort();
    // Check the copy: it opens, and say what it holds.
    let copy = crate::store::Store::open_dir(to)
        .await
        .context("the backup copy does not open")?;
    let manifest = BackupManifest {
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        duijie_version: env!("CARGO_PKG_VERSION"),
        store_last_seq: copy.last_seq().await?,
        counts: copy.counts().await?,
        active_model: copy.active_model_version().await?,
        model_files,
    };
    copy.close().await;
    std::fs::write(
        to.join("backup.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    for dir in [&models_to, &to.to_path_buf()] {
        std::fs::File::open(dir)?.sync_all()?;
    }
    let c = &manifest.counts;
    println!(
        "备份完成：{}（企业 {}，需求 {}，服务机构 {}，科技专员 {}，反馈 {}；变更序号 {}；模型文件 {} 个，当前模型 {}），用时 {:.2} 秒",
        display_dir(to),
        c.enterprises,
        c.needs,
        c.providers,
        c.commissioners,
        c.feedback,
        manifest.store_last_seq,
        manifest.model_files.len(),
        manifest.active_model.as_deref().unwrap_or("—"),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

async fn reindex(paths: &Paths) -> Result<i32> {
    let store = open_store(paths).await?;
    let index = match SearchIndex::open(&paths.index_dir(), Arc::new(Analyzer::new())) {
        Ok(i) => Arc::new(i),
        Err(IndexError::Busy) => anyhow::bail!(
            "the search index is in use by a running `duijie serve`; stop it first, or let it follow the store"
        ),
        Err(e) => return Err(e.into()),
    };
    let started = Instant::now();
    let status = index.rebuild(&store).await?;
    println!(
        "索引已重建：{} 条文档，对应变更序号 {}，用时 {:.2} 秒",
        status.documents,
        status.applied_seq,
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(0)
}

async fn open_app(paths: &Paths) -> Result<App> {
    match App::open(paths).await {
        Ok(app) => Ok(app),
        Err(crate::app::AppError::Index(IndexError::Busy)) => anyhow::bail!(
            "the search index is in use by a running `duijie serve`; use its HTTP API (POST /v1/admin/train) or stop it first"
        ),
        Err(e) => Err(e).with_context(|| {
            format!(
                "opening the data directory {}",
                display_dir(&paths.data_dir)
            )
        }),
    }
}

async fn train(
    paths: &Paths,
    force: bool,
    test_share: f64,
    json: bool,
    version: Option<String>,
    judgment_files: &[PathBuf],
    prior: PriorChoice,
) -> Result<i32> {
    if !(0.05..=0.9).contains(&test_share) {
        anyhow::bail!("--test-share must be between 0.05 and 0.9 (got {test_share})");
    }
    if let Some(v) = &version {
        crate::domain::Id::parse(v).map_err(|e| anyhow::anyhow!("--version-name: {e}"))?;
    }
    let judgments = if judgment_files.is_empty() {
        None
    } else {
        let mut all = crate::matching::evaluate::Judgments::default();
        for f in judgment_files {
            let j = crate::matching::evaluate::read_judgments(f).map_err(anyhow::Error::msg)?;
            all.needs.extend(j.needs);
            all.queries.extend(j.queries);
            all.commissioners.extend(j.commissioners);
        }
        Some(std::sync::Arc::new(all))
    };
    let app = open_app(paths).await?;
    let opts = crate::matching::training::TrainOptions {
        force,
        test_share,
        version,
        judgments,
        prior,
        ..Default::default()
    };
    eprintln!("正在训练排序模型（读取反馈、拟合文本模型与领域分类器、逐条需求计算特征）…");
    let report = app.matcher().train(&opts).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let t = &report.training;
        println!(
            "模型 {}：反馈 {} 条，训练需求 {}，测试需求 {}，样本 {}（正例 {}），文本语料 {} 篇，用时 {:.1} 秒",
            report.version,
            t.events,
            t.train_needs,
            t.test_needs,
            t.pairs,
            t.positives,
            t.text_docs,
            t.seconds
        );
        println!(
            "{:<10} {:>8} {:>8} {:>8} {:>6}",
            "ranker", "AUC", "NDCG@10", "MRR", "needs"
        );
        print_metrics(&report.metrics);
        if let Some(c) = &report.commissioner {
            println!("科技专员 → 企业（留出的专员）：");
            print_metrics(c);
        }
        if let Some(a) = &report.field_accuracy {
            println!(
                "领域推断（留出 {} 条）：top1 {:.3}，完全一致 {:.3}，有交集 {:.3}",
                a.examples, a.top1, a.exact, a.any
            );
        }
        println!("{}\n写入 {}", report.decision, report.path);
    }
    app.store().close().await;
    Ok(0)
}

async fn eval(
    paths: &Paths,
    judgments: &std::path::Path,
    ranker: Option<RankerName>,
    json: bool,
    exposure: Option<crate::matching::ExposurePolicy>,
    fields: bool,
) -> Result<i32> {
    let j = crate::matching::evaluate::read_judgments(judgments).map_err(anyhow::Error::msg)?;
    if fields {
        let app = open_app(paths).await?;
        let r = crate::matching::evaluate::field_report(app.matcher(), &j).await?;
        if json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            println!(
                "领域推断（{} 条无领域的需求与查询，参照：评为 3 的机构的领域）：推断 {} 条、弃权 {} 条（置信度低于 {}）；首选正确 {} 条 — 推断时准确率 {:.3}，总体 {:.3}；最低推断概率 {}",
                r.items,
                r.guessed,
                r.items - r.guessed,
                r.threshold,
                r.top1_correct,
                r.accuracy_when_guessed,
                r.accuracy_overall,
                r.lowest_guessed_probability
                    .map_or("-".to_string(), |p| format!("{p:.3}"))
            );
        }
        app.store().close().await;
        return Ok(0);
    }
    let rankers = match ranker {
        Some(r) => vec![r],
        None => RankerName::ALL.to_vec(),
    };
    let app = open_app(paths).await?;
    let rows = crate::matching::evaluate::evaluate(app.matcher(), &j, &rankers).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", crate::matching::evaluate::table(&rows));
    }
    if let Some(policy) = exposure {
        let r = crate::matching::evaluate::exposure_effect(app.matcher(), &j, policy).await?;
        if json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            println!(
                "exposure control (strength {}, free share {}) over {} judged needs in sequence:",
                r.strength, r.free_share, r.needs
            );
            println!("                         without    with");
            println!(
                "  NDCG@10                {:>7.3} {:>7.3}",
                r.ndcg_without, r.ndcg_with
            );
            println!(
                "  max share of #1        {:>7.3} {:>7.3}",
                r.top1_max_share.0, r.top1_max_share.1
            );
            println!(
                "  max share of top 5     {:>7.3} {:>7.3}",
                r.top5_max_share.0, r.top5_max_share.1
            );
            println!(
                "  distinct in top 5      {:>7} {:>7}",
                r.distinct_top5.0, r.distinct_top5.1
            );
        }
    }
    app.store().close().await;
    Ok(0)
}

fn print_metrics(metrics: &std::collections::BTreeMap<String, crate::rank::model::RankerMetrics>) {
    for (name, m) in metrics {
        let auc = m
            .auc
            .map(|a| format!("{a:.4}"))
            .unwrap_or_else(|| "—".into());
        println!(
            "{name:<10} {auc:>8} {:>8.4} {:>8.4} {:>6}",
            m.ndcg_at_10, m.mrr, m.needs
        );
    }
}

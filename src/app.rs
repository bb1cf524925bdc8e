//! The application: the services one process holds (store, search index) and what happens
//! at start-up (open the store, open or rebuild the index, catch it up with the store,
//! load the demo world into an empty store) and in the background (follow the change
//! log). The `api` and `cli` layers call these; nothing here knows HTTP.

use crate::ingest::demo::{self, DemoConfig};
use crate::ingest::{ImportError, ImportReport, Importer, SourceFormat};
use crate::matching::{ExposurePolicy, Matcher};
use crate::rank::registry::ModelRegistry;
use crate::rank::{FeedbackStats, ModelError};
use crate::search::{Analyzer, IndexError, IndexStatus, SearchIndex};
use crate::store::{Store, StoreError};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// Errors while starting or running the application's own work.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// An import failed as a whole.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A model could not be read.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A pinned model version does not exist.
    #[error("model version {0} not found")]
    NoSuchModel(String),
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data directory (store file, index).
    pub data_dir: PathBuf,
    /// A store URL overriding the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Where trained rankers live (default: `models/` in the data directory).
    pub models_dir: Option<PathBuf>,
}

impl Paths {
    /// The store URL in effect.
    pub fn store_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("duijie.db").display()))
    }

    /// The index directory.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// The models directory in effect.
    pub fn models_dir(&self) -> PathBuf {
        self.models_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("models"))
    }
}

/// The services of one process; cheap to clone. Handlers reach them through methods:
/// matching work through [`App::matcher`], entities through [`App::store`].
#[derive(Clone, Debug)]
pub struct App {
    /// The system of record.
    store: Store,
    /// The search index, following the store.
    index: Arc<SearchIndex>,
    /// Trained rankers and the active one.
    models: Arc<ModelRegistry>,
    /// Feedback aggregates (load, track record), following the store's feedback; shared
    /// with `matcher`.
    stats: Arc<RwLock<FeedbackStats>>,
    stats_seq: Arc<AtomicI64>,
    /// Change-log position up to which need status changes are in `stats`.
    need_seq: Arc<AtomicI64>,
    /// The matching service over the same store, index, models and aggregates.
    matcher: Matcher,
    /// A published model version that could not be adopted (not retried every tick).
    model_refused: Arc<Mutex<Option<String>>>,
    /// Records imported through this process's HTTP paths, by outcome (for `/metrics`).
    imports: Arc<ImportCounters>,
    /// The SQLite file this process opened (none on PostgreSQL), to notice its deletion.
    store_file: Option<StoreFile>,
    /// Index position whose document count was last compared with the store's records.
    checked_seq: Arc<AtomicI64>,
}

/// The SQLite file as opened: its path and identity (device, inode). A file deleted or
/// replaced under a running process is not the one its connections write to: their
/// writes would go to an unlinked inode and vanish at exit.
#[derive(Debug, Clone)]
struct StoreFile {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl StoreFile {
    fn identity(path: &Path) -> Option<(u64, u64)> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
        }
        #[cfg(not(unix))]
        {
            std::fs::metadata(path).ok().map(|_| (0, 0))
        }
    }
}

/// Why the service is not ready (`GET /readyz`), or writes are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The store's file was deleted or replaced while serving.
    StoreFileGone(PathBuf),
    /// Writing the search index failed and it has not caught up since.
    IndexFailing {
        /// Change-log entries not yet searchable.
        lag: i64,
    },
    /// The store did not answer.
    StoreDown,
}

/// Where imported records came from, for [`ImportCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportSource {
    /// `POST /v1/import`.
    Import,
    /// `POST /v1/feedback` and lead outcomes.
    Feedback,
}

impl ImportSource {
    /// Every source, in output order.
    pub const ALL: [ImportSource; 2] = [ImportSource::Import, ImportSource::Feedback];

    /// The label value.
    pub fn code(self) -> &'static str {
        match self {
            ImportSource::Import => "import",
            ImportSource::Feedback => "feedback",
        }
    }
}

/// Running totals of import reports (records inserted, updated, unchanged, rejected),
/// by source; lock-free.
#[derive(Debug, Default)]
pub struct ImportCounters {
    counts: [[AtomicU64; 4]; 2],
}

impl ImportCounters {
    /// The outcome labels, in the order of [`ImportCounters::get`]'s array.
    pub const OUTCOMES: [&'static str; 4] = ["inserted", "updated", "unchanged", "rejected"];

    /// Adds a report's counts.
    pub fn record(&self, source: ImportSource, r: &ImportReport) {
        let row = &self.counts[source as usize];
        for (c, n) in row
            .iter()
            .zip([r.inserted, r.updated, r.unchanged, r.rejected_count])
        {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// The totals of one source, in the order of [`ImportCounters::OUTCOMES`].
    pub fn get(&self, source: ImportSource) -> [u64; 4] {
        let row = &self.counts[source as usize];
        std::array::from_fn(|i| row[i].load(Ordering::Relaxed))
    }
}

impl App {
    /// The matching service (every ranking journey and training).
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// The store (entities, feedback, claims, keys, the audit log).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The search index.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Trained rankers and the active one.
    pub fn models(&self) -> &Arc<ModelRegistry> {
        &self.models
    }

    /// Records imported through this process's HTTP paths.
    pub fn imports(&self) -> &ImportCounters {
        &self.imports
    }

    /// Opens the store and the index and brings the index up to date with the store
    /// (catching up after a crash, or rebuilding a missing or damaged index).
    pub async fn open(paths: &Paths) -> Result<App, AppError> {
        std::fs::create_dir_all(&paths.data_dir).map_err(StoreError::Io)?;
        let store = Store::open(&paths.store_url()).await?;
        let analyzer = Arc::new(
            tokio::task::spawn_blocking(Analyzer::new)
                .await
                .map_err(IndexError::from)?,
        );
        let index = Arc::new(SearchIndex::open(&paths.index_dir(), analyzer)?);
        let models = Arc::new(ModelRegistry::open(&paths.models_dir())?);
        // Read the position first: status changes after it are replayed (idempotently).
        let need_seq = store.last_seq().await?;
        let stats = Arc::new(RwLock::new(FeedbackStats::new(
            store.closed_need_ids().await?,
        )));
        let matcher = Matcher::new(
            store.clone(),
            index.clone(),
            models.clone(),
            stats.clone(),
            ExposurePolicy::default(),
        );
        let app = App {
            store,
            index,
            models,
            stats,
            stats_seq: Arc::new(AtomicI64::new(0)),
            need_seq: Arc::new(AtomicI64::new(need_seq)),
            matcher,
            model_refused: Arc::new(Mutex::new(None)),
            imports: Arc::default(),
            store_file: None,
            checked_seq: Arc::new(AtomicI64::new(-1)),
        };
        let app = App {
            store_file: paths.database_url.is_none().then(|| {
                let path = paths.data_dir.join("duijie.db");
                StoreFile {
                    id: StoreFile::identity(&path),
                    path,
                }
            }),
            ..app
        };
        app.refresh_stats().await?;
        // A new replica starts with the model the others rank with.
        app.follow_model().await?;
        let status = match app.index.catch_up(&app.store).await {
            Ok(s) => s,
            Err(IndexError::Store(e)) => return Err(e.into()),
            Err(e) => {
                // The failed attempt dropped the writer; a new one starts from the last
                // commit (and clears what an interrupted commit left). Failing again,
                // rebuild from the store.
                tracing::warn!(error = %e, "catching the search index up failed at start; retrying");
                match app.index.catch_up(&app.store).await {
                    Ok(s) => s,
                    Err(IndexError::Store(e)) => return Err(e.into()),
                    Err(e) => {
                        tracing::warn!(error = %e, "catching up failed again; rebuilding the search index");
                        app.index.rebuild(&app.store).await?
                    }
                }
            }
        };
        app.check_index().await?;
        let status = IndexStatus {
            documents: app.index.status().documents,
            ..status
        };
        tracing::info!(
            backend = app.store.backend(),
            applied_seq = status.applied_seq,
            documents = status.documents,
            "store and index open"
        );
        Ok(app)
    }

    /// The same services with this matching policy (exposure control, the default
    /// priority boost), as `duijie serve`'s settings give them.
    pub fn with_policy(self, exposure: ExposurePolicy, priority_boost: f64) -> App {
        App {
            matcher: self.matcher.with_policy(exposure, priority_boost),
            ..self
        }
    }

    /// Whether the store holds no entities.
    pub async fn is_empty(&self) -> Result<bool, AppError> {
        let c = self.store.counts().await?;
        Ok(c.enterprises + c.needs + c.providers + c.commissioners == 0)
    }

    /// Imports a stream and brings the index up to date before returning, so what was
    /// imported is searchable when the caller hears back.
    pub async fn import(
        &self,
        input: impl BufRead,
        format: &SourceFormat,
    ) -> Result<ImportReport, AppError> {
        self.import_listing(input, format, crate::ingest::MAX_LISTED)
            .await
    }

    /// [`App::import`], listing at most `listed` rejected lines and warnings in the
    /// report (the rest are counted per code).
    pub async fn import_listing(
        &self,
        input: impl BufRead,
        format: &SourceFormat,
        listed: usize,
    ) -> Result<ImportReport, AppError> {
        let mut importer = Importer::new(&self.store).listing_at_most(listed);
        importer.read(input, format).await?;
        let report = importer.finish().await?;
        self.sync().await?;
        Ok(report)
    }

    /// Brings the index and the feedback aggregates up to date with the store, after a
    /// write. A failure of the index does not fail the write (it is stored): it is kept
    /// ([`SearchIndex::failure`]), shows as lag and in [`App::not_ready`], and
    /// [`App::follow_changes`] retries with backoff; while it lasts, writes do not try.
    pub async fn sync(&self) -> Result<(), AppError> {
        if self.index.failure().is_none() {
            match self.index.catch_up(&self.store).await {
                Ok(_) => {}
                Err(IndexError::Store(e)) => return Err(e.into()),
                Err(_) => {} // logged and kept by the index
            }
        }
        self.refresh_stats().await
    }

    /// One follow step: catch the index up (errors returned, for the backoff), check it
    /// against the store, refresh the aggregates.
    async fn follow_once(&self) -> Result<(), AppError> {
        self.index.catch_up(&self.store).await?;
        self.check_index().await?;
        self.refresh_stats().await
    }

    /// Compares the index's document count with the store's records once per new index
    /// position, when nothing is being written, and rebuilds the index when they differ
    /// (an index damaged by an earlier fault, which its position alone cannot show).
    pub async fn check_index(&self) -> Result<(), AppError> {
        let before = self.index.status();
        if before.applied_seq == self.checked_seq.load(Ordering::SeqCst) {
            return Ok(());
        }
        let counts = self.store.counts().await?;
        let seq = self.store.last_seq().await?;
        let after = self.index.status();
        if after.applied_seq != before.applied_seq || seq != after.applied_seq {
            return Ok(()); // writes in between: look again at the next position
        }
        let records = counts.enterprises + counts.needs + counts.providers + counts.commissioners;
        if i64::try_from(after.documents).unwrap_or(i64::MAX) != records {
            tracing::warn!(
                documents = after.documents,
                records,
                "the search index does not hold the store's records; rebuilding it"
            );
            self.index.rebuild(&self.store).await?;
        }
        self.checked_seq.store(after.applied_seq, Ordering::SeqCst);
        Ok(())
    }

    /// Whether the SQLite file this process opened is still there (always true on
    /// PostgreSQL); `Err` names the path when it was deleted or replaced.
    pub fn store_file_ok(&self) -> Result<(), NotReady> {
        match &self.store_file {
            Some(f) if StoreFile::identity(&f.path) != f.id => {
                Err(NotReady::StoreFileGone(f.path.clone()))
            }
            _ => Ok(()),
        }
    }

    /// Why this process should not get traffic, if it should not: the store file is gone,
    /// the store does not answer, or the index failed and has not caught up since.
    pub async fn not_ready(&self) -> Option<NotReady> {
        if let Err(e) = self.store_file_ok() {
            return Some(e);
        }
        let Ok(seq) = self.store.last_seq().await else {
            return Some(NotReady::StoreDown);
        };
        self.index.failure().map(|_| NotReady::IndexFailing {
            lag: seq - self.index.status().applied_seq,
        })
    }

    /// Adds feedback stored since the last refresh to the aggregates, and tells them
    /// which needs were closed (or reopened) since.
    pub async fn refresh_stats(&self) -> Result<(), AppError> {
        loop {
            let after = self.need_seq.load(Ordering::SeqCst);
            let page = self.store.need_status_changes(after, 10_000).await?;
            let Some((last, _, _)) = page.last() else {
                break;
            };
            let last = *last;
            {
                let mut stats = self.stats.write().expect("stats lock");
                for (_, id, status) in &page {
                    stats.set_need_closed(id, matches!(status.as_deref(), Some("closed") | None));
                }
            }
            self.need_seq.store(last, Ordering::SeqCst);
        }
        loop {
            let after = self.stats_seq.load(Ordering::SeqCst);
            let page = self.store.feedback_page(after, 10_000).await?;
            let Some((last, _)) = page.last() else {
                return Ok(());
            };
            let last = *last;
            {
                let mut stats = self.stats.write().expect("stats lock");
                for (_, f) in &page {
                    stats.add(f);
                }
            }
            self.stats_seq.store(last, Ordering::SeqCst);
        }
    }

    /// Adopts the active model published in the store when it is not the one this process
    /// ranks with (another replica trained, promoted or reloaded one). Cheap when nothing
    /// changed: one primary-key lookup of the published version.
    pub async fn follow_model(&self) -> Result<(), AppError> {
        let Some(version) = self.store.active_model_version().await? else {
            return Ok(());
        };
        if self.models.active().is_some_and(|m| m.version == version)
            || self.model_refused.lock().expect("model lock").as_deref() == Some(&version)
        {
            return Ok(());
        }
        let Some((version, doc)) = self.store.active_model().await? else {
            return Ok(());
        };
        let models = self.models.clone();
        let v = version.clone();
        let adopted = tokio::task::spawn_blocking(move || models.adopt(&v, doc.as_deref()))
            .await
            .map_err(|e| ModelError::Invalid(e.to_string()))?;
        if let Err(e) = adopted {
            tracing::error!(version, error = %e, "the published model cannot be used here; keeping the current one");
            *self.model_refused.lock().expect("model lock") = Some(version);
        }
        Ok(())
    }

    /// Publishes this process's active model in the store, for the other processes
    /// sharing it (after a training promoted one, or a reload of `active.json`).
    pub async fn publish_model(&self) -> Result<(), AppError> {
        publish_active_model(&self.store, &self.models).await
    }

    /// Generates the demo world (seed 42, scale 1) and imports it.
    pub async fn load_demo(&self) -> Result<ImportReport, AppError> {
        let started = std::time::Instant::now();
        let mut entities = Vec::new();
        let mut judgments = Vec::new();
        let summary = demo::write_world(&DemoConfig::default(), &mut entities, &mut judgments)
            .map_err(ImportError::Io)?;
        let report = self.import(&entities[..], &SourceFormat::Jsonl).await?;
        tracing::info!(
            enterprises = summary.enterprises,
            needs = summary.needs,
            providers = summary.providers,
            commissioners = summary.commissioners,
            feedback = summary.feedback,
            rejected = report.rejected_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo world loaded"
        );
        Ok(report)
    }

    /// Follows the change log in the background (writes by other processes sharing the
    /// store — a CLI import, another replica — reach this index within `every`), and the
    /// active model published in the store (see [`App::follow_model`]).
    pub fn follow_changes(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failures = 0u32;
            let mut next_try = tokio::time::Instant::now();
            let mut store_file_reported = false;
            loop {
                tick.tick().await;
                match app.store_file_ok() {
                    Err(NotReady::StoreFileGone(path)) if !store_file_reported => {
                        tracing::error!(path = %path.display(), "the store file was deleted or replaced while serving; refusing writes until restarted");
                        store_file_reported = true;
                    }
                    _ => {}
                }
                if tokio::time::Instant::now() < next_try {
                    continue;
                }
                match app.follow_once().await {
                    Ok(()) => failures = 0,
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let wait = (every * 2u32.saturating_pow(failures.min(8)))
                            .min(MAX_RETRY_WAIT)
                            .max(every);
                        next_try = tokio::time::Instant::now() + wait;
                        tracing::warn!(error = %e, failures, retry_in_ms = wait.as_millis() as u64, "following the change log failed; will retry");
                    }
                }
                if let Err(e) = app.follow_model().await {
                    tracing::warn!(error = %e, "following the active model failed; will retry");
                }
            }
        })
    }
}

/// Longest wait between retries of a failing index.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// Publishes the registry's active model in the store (its file, or only its version for
/// the shipped model), so every process sharing the store ranks with it.
pub async fn publish_active_model(store: &Store, models: &ModelRegistry) -> Result<(), AppError> {
    let Some(active) = models.active() else {
        return Ok(());
    };
    let doc = models.file_text(&active.version)?;
    store
        .publish_active_model(&active.version, doc.as_deref())
        .await?;
    tracing::info!(version = active.version, "active model published");
    Ok(())
}

/// Opens only the store of a data directory (for commands that do not need the index).
pub async fn open_store(paths: &Paths) -> Result<Store, AppError> {
    std::fs::create_dir_all(&paths.data_dir).map_err(StoreError::Io)?;
    Ok(Store::open(&paths.store_url()).await?)
}

/// The data directory a path names, made absolute for messages.
pub fn display_dir(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

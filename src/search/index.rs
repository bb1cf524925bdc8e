//! Opening, writing and following the change log.

use super::text::{Analyzer, TOKENIZER_NAME, ZhTokenizer};
use crate::domain::{Entity, EntityKind, Place};
use crate::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::index::SegmentId;
use tantivy::schema::{
    FAST, Field as TField, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

/// Bumped whenever the schema's layout or the analysis code changes. The version an index
/// records is [`schema_version`]: this number hashed with the embedded dictionaries, so an
/// edit of `index/dict.txt`, `synonyms.txt` or `stopwords.txt` rebuilds every index on its
/// next open without anyone remembering to bump it.
const SCHEMA_LAYOUT: u32 = 4;

/// The version written into every commit and compared on open (see [`SCHEMA_LAYOUT`]).
fn schema_version() -> u64 {
    static VERSION: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(SCHEMA_LAYOUT.to_le_bytes());
        for source in super::text::EMBEDDED_SOURCES {
            h.update((source.len() as u64).to_le_bytes());
            h.update(source.as_bytes());
        }
        let digest = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // Below 2^53 so the JSON payload reads back exactly in any JSON implementation.
        u64::from_le_bytes(first) >> 11
    })
}
/// Memory for the writer's indexing arena.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Change-log rows read per store query while catching up.
const CATCH_UP_PAGE: u32 = 5_000;

/// Errors of the search layer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index error: {0}")]
    Tantivy(#[from] TantivyError),
    /// Another process (a running `duijie serve`) holds the index writer.
    #[error(
        "the search index is held by another process (is `duijie serve` running on this data directory?)"
    )]
    Busy,
    /// Reading the change log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blocking task panicked or was cancelled.
    #[error("index task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The gate that admits CPU-bound work was closed.
    #[error("the CPU gate is closed: {0}")]
    GateClosed(#[from] tokio::sync::AcquireError),
    /// A lock was poisoned: a thread panicked while holding it.
    #[error("the {0} lock is poisoned")]
    Poisoned(&'static str),
    /// The index writer is gone (a failed write dropped it and none could be opened).
    #[error("no index writer")]
    NoWriter,
    /// A document stored in the index does not parse.
    #[error("stored {what} does not parse: {detail}")]
    BadDocument {
        /// What kind of document (`provider`, `need`, `enterprise`, `kind`).
        what: &'static str,
        /// Why it does not parse.
        detail: String,
    },
    /// A search hit did not resolve to a provider.
    #[error("hit {0:x} was not resolved to a provider")]
    Unresolved(u64),
    /// A worker thread panicked.
    #[error("a {0} worker thread panicked")]
    WorkerPanicked(&'static str),
    /// File system trouble.
    #[error("i/o error on the index directory: {0}")]
    Io(#[from] std::io::Error),
    /// The index cannot be read and its directory holds files duijie did not create, so
    /// it is not wiped.
    #[error(
        "the search index in {dir} cannot be read or is of another version, and that directory holds files duijie did not create (e.g. {file}); nothing was deleted. Move those files elsewhere, or choose a data directory of duijie's own with --data-dir"
    )]
    NotOurs {
        /// The index directory.
        dir: PathBuf,
        /// A file in it that is not an index file.
        file: String,
    },
}

/// Field handles.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fields {
    pub key: TField,
    pub id: TField,
    /// [`id_hash`] of kind and id, a fast field: hits can be identified without reading
    /// stored documents.
    pub id_hash: TField,
    pub kind: TField,
    pub provider_type: TField,
    pub district: TField,
    pub field: TField,
    pub service: TField,
    pub status: TField,
    pub name: TField,
    pub body: TField,
    /// Providers' text lives in fields of its own, so provider retrieval walks only
    /// provider postings (and BM25 statistics are the providers' own).
    pub pname: TField,
    pub pbody: TField,
    pub doc: TField,
}

impl Fields {
    /// The (name, body) text fields of a kind.
    pub fn text_of(&self, kind: EntityKind) -> (TField, TField) {
        match kind {
            EntityKind::Provider => (self.pname, self.pbody),
            _ => (self.name, self.body),
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let f = Fields {
        key: b.add_text_field("key", STRING),
        id: b.add_text_field("id", STRING | STORED),
        id_hash: b.add_u64_field("id_hash", FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        provider_type: b.add_text_field("provider_type", STRING),
        district: b.add_text_field("district", STRING),
        field: b.add_text_field("field", STRING),
        service: b.add_text_field("service", STRING),
        status: b.add_text_field("status", STRING),
        name: b.add_text_field("name", text.clone()),
        body: b.add_text_field("body", text.clone()),
        pname: b.add_text_field("pname", text.clone()),
        pbody: b.add_text_field("pbody", text),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), f)
}

/// Where the index stands against the store.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct IndexStatus {
    /// Last change-log sequence applied.
    pub applied_seq: i64,
    /// Documents in the index.
    pub documents: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    schema: u64,
    seq: i64,
}

/// The search index of one data directory.
pub struct SearchIndex {
    pub(super) reader: IndexReader,
    /// The writer; `None` after a failure dropped it, until it can be opened again.
    writer: Mutex<Option<IndexWriter>>,
    index: Index,
    /// The last indexing failure, while the index has not caught up since.
    failure: Mutex<Option<String>>,
    pub(super) fields: Fields,
    pub(super) analyzer: Arc<Analyzer>,
    applied: AtomicI64,
    /// Serialises catch-ups: one writer applies the log at a time.
    sync: tokio::sync::Mutex<()>,
    dir: PathBuf,
    /// Parsed providers by id hash (already a hash, so keyed with a fast one), with the
    /// document they were parsed from.
    providers: std::sync::RwLock<rustc_hash::FxHashMap<u64, (SegmentId, DocId, ParsedProvider)>>,
    /// Term weights of the current snapshot (see [`super::weights`]).
    pub(super) weights: Arc<super::weights::WeightCache>,
    /// Document frequencies of words over all text fields (the highest), of the current
    /// snapshot: how long texts choose their query words.
    pub(super) doc_freqs: super::weights::SnapshotCache<String, u64>,
}

/// A provider record parsed from its stored document.
#[derive(Debug, Clone)]
pub struct ParsedProvider {
    /// [`content_hash`] of the stored document: changes whenever the record does (the key
    /// of per-provider caches such as the model's profiles).
    pub content: u64,
    /// The record.
    pub provider: Arc<crate::domain::Provider>,
    /// The distinct analysed words of its text, computed on first use and shared by every
    /// later hit of this document (explanations' matched words).
    pub terms: Arc<std::sync::OnceLock<Vec<String>>>,
    /// Its concepts and declined scopes, read on first use and shared like `terms`.
    pub reading: Arc<std::sync::OnceLock<crate::domain::concepts::TextReading>>,
}

/// A hash of a stored record's text (a cache key: equal texts, equal hashes).
pub fn content_hash(doc: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    doc.hash(&mut h);
    h.finish()
}

/// Parsed providers kept before the cache is cleared.
const PROVIDER_CACHE_LIMIT: usize = 500_000;

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("applied", &self.applied.load(Ordering::Relaxed))
            .finish()
    }
}

/// A writer with one indexing thread.
fn open_writer(index: &Index) -> Result<IndexWriter, IndexError> {
    match index.writer_with_num_threads(1, WRITER_MEMORY) {
        Ok(w) => Ok(w),
        Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Err(IndexError::Busy),
        Err(e) => Err(e.into()),
    }
}

/// The writer in a guard [`SearchIndex::lock_writer`] returned.
fn writer_of<'a>(
    guard: &'a mut std::sync::MutexGuard<'_, Option<IndexWriter>>,
) -> Result<&'a mut IndexWriter, IndexError> {
    guard.as_mut().ok_or(IndexError::NoWriter)
}

/// The delete bitsets the committed segments use (`None` when the metas cannot be read:
/// then nothing may be called stale).
fn living_deletes(index: &Index) -> Option<std::collections::HashSet<PathBuf>> {
    let metas = index.searchable_segment_metas().ok()?;
    Some(
        metas
            .iter()
            .filter(|m| m.has_deletes())
            .map(|m| m.relative_path(tantivy::index::SegmentComponent::Delete))
            .collect(),
    )
}

fn read_payload(index: &Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent and recreating it (empty, to be
    /// rebuilt by [`SearchIndex::catch_up`]) when it is unreadable or of another schema
    /// version — but only in a directory of its own (see [`super::dir`]): a damaged index
    /// next to files duijie did not write is reported ([`IndexError::NotOurs`]), never
    /// wiped. Files an interrupted commit left behind are removed. Fails with
    /// [`IndexError::Busy`] when another process writes to it.
    pub fn open(dir: &Path, analyzer: Arc<Analyzer>) -> Result<SearchIndex, IndexError> {
        std::fs::create_dir_all(dir)?;
        let ownership = super::dir::ownership(dir)?;
        let (schema, fields) = schema();
        let opened = MmapDirectory::open(dir)
            .map_err(|e| TantivyError::SystemError(e.to_string()))
            .and_then(|d| Index::open_or_create(d, schema.clone()));
        let index = match (opened, ownership) {
            (Ok(index), ownership)
                if read_payload(&index).is_none_or(|p| p.schema == schema_version()) =>
            {
                if let super::dir::Ownership::Ours { marked } = ownership {
                    if !marked {
                        super::dir::mark(dir)?;
                    }
                    if let Some(living) = living_deletes(&index) {
                        super::dir::remove_stale(dir, &living)?;
                    }
                }
                index
            }
            (_, super::dir::Ownership::Foreign(file)) => {
                return Err(IndexError::NotOurs {
                    dir: dir.to_path_buf(),
                    file,
                });
            }
            (Ok(_) | Err(_), super::dir::Ownership::Ours { .. }) => {
                tracing::warn!(dir = %dir.display(), "search index unreadable or of another version; rebuilding it");
                super::dir::clear(dir)?;
                super::dir::mark(dir)?;
                Index::create_in_dir(dir, schema)?
            }
        };
        Self::from_index(index, fields, analyzer, dir.to_path_buf())
    }

    /// An index in memory (tests).
    pub fn in_memory(analyzer: Arc<Analyzer>) -> Result<SearchIndex, IndexError> {
        let (schema, fields) = schema();
        Self::from_index(
            Index::create_in_ram(schema),
            fields,
            analyzer,
            PathBuf::new(),
        )
    }

    fn from_index(
        index: Index,
        fields: Fields,
        analyzer: Arc<Analyzer>,
        dir: PathBuf,
    ) -> Result<SearchIndex, IndexError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, ZhTokenizer::new(analyzer.clone()));
        let writer = open_writer(&index)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let applied = read_payload(&index).map(|p| p.seq).unwrap_or(0);
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(Some(writer)),
            index: index.clone(),
            failure: Mutex::new(None),
            fields,
            analyzer,
            applied: AtomicI64::new(applied),
            sync: tokio::sync::Mutex::new(()),
            dir,
            providers: Default::default(),
            weights: Default::default(),
            doc_freqs: Default::default(),
        })
    }

    /// The provider stored at `addr` in `searcher`'s snapshot, parsed once per document:
    /// a document never changes while its segment lives (an update adds a new document
    /// elsewhere), so a cached parse whose segment and doc id equal `addr`'s is exactly
    /// that document. Hits of the same provider across requests share one `Arc`, and no
    /// stored document is read or parsed for them.
    pub(super) fn provider_at(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        id_hash: u64,
    ) -> Result<ParsedProvider, IndexError> {
        let segment = searcher.segment_reader(addr.segment_ord).segment_id();
        if let Ok(cache) = self.providers.read()
            && let Some((s, d, p)) = cache.get(&id_hash)
            && *s == segment
            && *d == addr.doc_id
        {
            return Ok(p.clone());
        }
        let d: TantivyDocument = searcher.doc(addr)?;
        let doc = d
            .get_first(self.fields.doc)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let provider: crate::domain::Provider =
            serde_json::from_str(doc).map_err(|e| IndexError::BadDocument {
                what: "provider",
                detail: format!("{id_hash:x}: {e}"),
            })?;
        let parsed = ParsedProvider {
            content: content_hash(doc),
            provider: Arc::new(provider),
            terms: Arc::default(),
            reading: Arc::default(),
        };
        if let Ok(mut c) = self.providers.write() {
            if c.len() >= PROVIDER_CACHE_LIMIT {
                c.clear();
            }
            c.insert(id_hash, (segment, addr.doc_id, parsed.clone()));
        }
        Ok(parsed)
    }

    /// The shared analyzer.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// Last change-log sequence applied, and the document count.
    pub fn status(&self) -> IndexStatus {
        IndexStatus {
            applied_seq: self.applied.load(Ordering::SeqCst),
            documents: self.reader.searcher().num_docs(),
        }
    }

    /// Applies every change the store has logged since the last one applied, then
    /// commits (recording the new position) and refreshes searches. When the index is
    /// empty but the store is not (new, or recreated after damage), rebuilds from the
    /// entities instead of replaying the whole log. When the index has applied more of
    /// the log than the store holds (an older store restored from a backup under a newer
    /// index), it holds documents the store never had, so it is rebuilt as well. Safe to
    /// call from many tasks: calls are serialised.
    ///
    /// When applying fails (a full disk, too many open files, a read-only file system),
    /// the writer is dropped with everything it had not committed — tantivy's writer is
    /// not usable after a failed commit: it would accept documents and silently lose
    /// them — and the failure is kept ([`SearchIndex::failure`]) until a later call
    /// succeeds: that call opens a new writer and applies the log again from the last
    /// committed position.
    pub async fn catch_up(self: &Arc<Self>, store: &Store) -> Result<IndexStatus, IndexError> {
        let _one_writer = self.sync.lock().await;
        let upto = store.last_seq().await?;
        let result = self.catch_up_locked(store, upto).await;
        self.after_attempt(&result).await;
        result
    }

    /// Records how an attempt to write went: a failure drops the writer and is kept; a
    /// success clears it.
    async fn after_attempt(self: &Arc<Self>, result: &Result<IndexStatus, IndexError>) {
        match result {
            Ok(_) => {
                let mut failure = self.failure.lock().expect("failure lock");
                if failure.take().is_some() {
                    tracing::info!(
                        applied_seq = self.applied.load(Ordering::SeqCst),
                        "search index caught up again after failures"
                    );
                }
            }
            Err(e) => {
                let this = self.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Ok(mut w) = this.writer.lock() {
                        // Dropping the writer rolls back what it had not committed.
                        w.take();
                    }
                })
                .await;
                if !matches!(e, IndexError::Store(_)) {
                    tracing::error!(error = %e, "writing the search index failed; will retry");
                    *self.failure.lock().expect("failure lock") = Some(e.to_string());
                }
            }
        }
    }

    /// The last failure to write the index, while it has not caught up since (searches
    /// then miss the writes after [`IndexStatus::applied_seq`]).
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().expect("failure lock").clone()
    }

    /// Locks the writer, opening a new one when a failure dropped the last.
    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, Option<IndexWriter>>, IndexError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| IndexError::Poisoned("index writer"))?;
        if guard.is_none() {
            let writer = open_writer(&self.index)?;
            if !self.dir.as_os_str().is_empty()
                && let Some(living) = living_deletes(&self.index)
            {
                super::dir::remove_stale(&self.dir, &living)?;
            }
            tracing::info!(dir = %self.dir.display(), "search index writer opened again");
            *guard = Some(writer);
        }
        Ok(guard)
    }

    async fn catch_up_locked(
        self: &Arc<Self>,
        store: &Store,
        upto: i64,
    ) -> Result<IndexStatus, IndexError> {
        let from = self.applied.load(Ordering::SeqCst);
        if upto < from {
            tracing::warn!(
                index_seq = from,
                store_seq = upto,
                "the search index is ahead of the store (a restored backup?); rebuilding it"
            );
            return self.rebuild_locked(store, upto).await;
        }
        if upto == from {
            return Ok(self.status());
        }
        if from == 0 {
            return self.rebuild_locked(store, upto).await;
        }
        let mut after = from;
        loop {
            let changes = store.entity_changes(after, upto, CATCH_UP_PAGE).await?;
            let Some(last) = changes.last() else { break };
            after = last.seq;
            let this = self.clone();
            blocking(move || {
                let mut guard = this.lock_writer()?;
                let w = writer_of(&mut guard)?;
                for c in changes {
                    w.delete_term(Term::from_field_text(this.fields.key, &key(c.kind, &c.id)));
                    if let Some(doc) = c.doc {
                        let entity = Entity::from_stored(c.kind, &doc)
                            .map_err(|e| IndexError::Store(StoreError::Corrupt(e)))?;
                        w.add_document(this.document(&entity, &doc))?;
                    }
                }
                Ok(())
            })
            .await?;
        }
        self.commit(upto).await?;
        tracing::debug!(from, upto, "search index caught up");
        Ok(self.status())
    }

    /// Throws the index away and indexes every entity in the store again.
    pub async fn rebuild(self: &Arc<Self>, store: &Store) -> Result<IndexStatus, IndexError> {
        let _one_writer = self.sync.lock().await;
        let upto = store.last_seq().await?;
        let result = self.rebuild_locked(store, upto).await;
        self.after_attempt(&result).await;
        result
    }

    async fn rebuild_locked(
        self: &Arc<Self>,
        store: &Store,
        upto: i64,
    ) -> Result<IndexStatus, IndexError> {
        let started = std::time::Instant::now();
        let this = self.clone();
        blocking(move || {
            let mut guard = this.lock_writer()?;
            writer_of(&mut guard)?.delete_all_documents()?;
            Ok(())
        })
        .await?;
        let mut after: Option<(EntityKind, String)> = None;
        let mut count = 0usize;
        loop {
            let page = store.entities_page(after.clone(), CATCH_UP_PAGE).await?;
            let Some((k, id, _)) = page.last() else { break };
            after = Some((*k, id.clone()));
            count += page.len();
            let this = self.clone();
            blocking(move || {
                let mut guard = this.lock_writer()?;
                let w = writer_of(&mut guard)?;
                for (kind, _, doc) in page {
                    let entity = Entity::from_stored(kind, &doc)
                        .map_err(|e| IndexError::Store(StoreError::Corrupt(e)))?;
                    w.add_document(this.document(&entity, &doc))?;
                }
                Ok(())
            })
            .await?;
        }
        self.commit(upto).await?;
        tracing::info!(
            documents = count,
            seq = upto,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
        Ok(self.status())
    }

    async fn commit(self: &Arc<Self>, seq: i64) -> Result<(), IndexError> {
        let this = self.clone();
        blocking(move || {
            let mut guard = this.lock_writer()?;
            let mut prepared = writer_of(&mut guard)?.prepare_commit()?;
            prepared.set_payload(
                &serde_json::to_string(&Payload {
                    schema: schema_version(),
                    seq,
                })
                .expect("payload serialises"),
            );
            prepared.commit()?;
            this.reader.reload()?;
            this.applied.store(seq, Ordering::SeqCst);
            Ok(())
        })
        .await
    }

    fn document(&self, e: &Entity, doc: &str) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, key(e.kind(), e.id().as_str()));
        d.add_text(f.id, e.id().as_str());
        d.add_u64(f.id_hash, id_hash(e.kind(), e.id().as_str()));
        d.add_text(f.kind, e.kind().code());
        let (name_field, body_field) = f.text_of(e.kind());
        d.add_text(name_field, e.name());
        d.add_text(f.doc, doc);
        let mut places: Vec<&Place> = Vec::new();
        let mut body: Vec<&str> = Vec::new();
        match e {
            Entity::Enterprise(x) => {
                places.extend(x.district.iter());
                for v in &x.fields {
                    d.add_text(f.field, v.code());
                }
                body.extend(x.keywords.iter().map(String::as_str));
                body.extend(x.description.as_deref());
            }
            Entity::Need(x) => {
                places.extend(x.district.iter());
                for v in &x.fields {
                    d.add_text(f.field, v.code());
                }
                d.add_text(f.service, x.service.code());
                d.add_text(f.status, x.status.code());
                body.extend(x.keywords.iter().map(String::as_str));
                body.extend(x.description.as_deref());
            }
            Entity::Provider(x) => {
                places.extend(x.district.iter());
                places.extend(x.served_districts.iter());
                for v in &x.fields {
                    d.add_text(f.field, v.code());
                }
                for v in &x.services {
                    d.add_text(f.service, v.code());
                }
                if let Some(t) = x.provider_type {
                    d.add_text(f.provider_type, t.code());
                }
                body.extend(x.keywords.iter().map(String::as_str));
                body.extend(x.description.as_deref());
                body.extend(x.organization.as_deref());
            }
            Entity::Commissioner(x) => {
                places.extend(x.districts.iter());
                for v in &x.fields {
                    d.add_text(f.field, v.code());
                }
                body.extend(x.organization.as_deref());
                body.extend(x.expertise.as_deref());
            }
        }
        for p in places {
            d.add_text(f.district, p.name());
        }
        d.add_text(body_field, body.join("。"));
        d
    }
}

/// A stable 64-bit hash (FNV-1a) of a record's kind and id, stored as a fast field.
pub fn id_hash(kind: EntityKind, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.code().bytes().chain([b':']).chain(id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn key(kind: EntityKind, id: &str) -> String {
    format!("{}:{id}", kind.code())
}

/// Runs index work on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, IndexError> + Send + 'static,
) -> Result<T, IndexError> {
    tokio::task::spawn_blocking(f).await?
}

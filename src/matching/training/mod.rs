//! Training the need → provider ranker from the feedback in the store, and proving it on
//! held-out needs before it may replace the active model.
//!
//! 1. One pass over the feedback: each (need, provider) pair gets its strongest outcome
//!    (deal > accepted > rejected > contacted/click > impression only) and the best rank it
//!    was shown at. Needs are split by a stable hash of their id ([`crate::rng::stable_hash`],
//!    the same in every build and Rust release; default 20 % test), so no need
//!    is on both sides; load and track record are computed from training needs only, and
//!    leave the scored pair itself out.
//! 2. The text model (TF-IDF + latent semantic vectors) is fitted on every need and
//!    provider text (kept from the active model while the store's corpus is smaller than
//!    the one that model was fitted on); the field classifier on records that have fields
//!    plus one pseudo-document per thesaurus concept (its held-out accuracy is reported).
//! 3. For every feedback need the serving path runs as it would for a request: the same
//!    retrieval and the same features. Labelled pairs: accepted/deal positive, weighted by
//!    the inverse of the examination propensity of the rank they were shown at (estimated
//!    from clicks by rank), so the model does not merely learn the old ranking; rejected
//!    negative; shown but never acted on, weak negative (weight 0.3); and a few retrieved
//!    candidates never shown, also weak negatives.
//! 4. A logistic regression is fitted (`rank::train`: a prior centred on the active
//!    model — or the baseline, or none —, its strength chosen by cross-validation over
//!    needs, known directions kept); with `--judgments`, graded judgments add examples
//!    too. On the test needs the new model, the active model, the baseline and BM25 rank
//!    the same candidates and are compared (AUC, NDCG@10, MRR). The model file is
//!    written; it becomes active only if its NDCG@10 beats the active model's (or when
//!    forced). The commissioner → enterprise model is fitted alongside (`commissioner`).
//!
//! [`train`] runs these steps as named functions: `read_feedback`, `read_corpus`,
//! `fit_text_side`, `feedback_examples` (and `judged`), `fit_model`, `evaluate_rankers`,
//! `commissioner::commissioner_head`, `decide`.

mod commissioner;

use super::judgments::{Grades, Judgments};
use super::providers::{
    Candidate, Context, MatchRequest, Prepared, ProviderFilter, features, prepare_need,
    prepare_text, retrieve_ids,
};
use crate::domain::{Entity, EntityKind, Feedback, FeedbackEvent, Field, Need, Provider};
use crate::rank::features::NAMES;
use crate::rank::field_infer::{
    Example as FieldExample, FieldClassifier, FieldInferParams, split_by_id,
};
use crate::rank::metrics::{auc, mean, ndcg_at, reciprocal_rank};
use crate::rank::model::{RankerMetrics, TrainingSummary};
use crate::rank::registry::ModelRegistry;
use crate::rank::text_model::{TextModel, TextModelParams};
use crate::rank::train::{DIRECTIONS, Example, Prior, TrainParams, fit_with_prior};
use crate::rank::{FeedbackStats, PairFeatures, Ranker, RankerModel};
use crate::search::{Analyzer, IndexError, SearchIndex, content_hash};
use crate::store::{ListFilter, Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// Training options.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Share of feedback needs held out for testing. Default 0.2.
    pub test_share: f64,
    /// Retrieved-but-never-shown candidates sampled per training need as weak negatives. Default 5.
    pub unseen_per_need: usize,
    /// Weight of weak negatives. Default 0.3.
    pub weak_weight: f64,
    /// Most commissioners whose feedback trains the commissioner model (a deterministic
    /// sample beyond this). Default 400.
    pub max_commissioners: usize,
    /// Promote even if the new model does not beat the active one.
    pub force: bool,
    /// What the fit starts from. Default: the active model.
    pub prior: PriorChoice,
    /// Most test needs evaluated (a deterministic sample beyond this). Default 2,000.
    pub max_test_needs: usize,
    /// Text model hyper-parameters.
    pub text: TextModelParams,
    /// Field classifier hyper-parameters.
    pub fields: FieldInferParams,
    /// Logistic regression hyper-parameters.
    pub fit: TrainParams,
    /// The new model's version name (default: the UTC time, `YYYYMMDDTHHMMSSZ`).
    pub version: Option<String>,
    /// Graded judgments to learn from besides the feedback (hand-written training
    /// corpora: how the shipped model is made).
    pub judgments: Option<Arc<Judgments>>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            test_share: 0.2,
            unseen_per_need: 5,
            weak_weight: 0.3,
            force: false,
            max_test_needs: 2_000,
            max_commissioners: 400,
            text: TextModelParams {
                dims: 48,
                max_vocab: 12_000,
                ..TextModelParams::default()
            },
            fields: FieldInferParams::default(),
            fit: TrainParams::default(),
            version: None,
            judgments: None,
            prior: PriorChoice::Active,
        }
    }
}

/// What a training run did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TrainReport {
    /// The new model's version.
    pub version: String,
    /// Where it was written.
    pub path: String,
    /// Whether it is now the active model.
    pub promoted: bool,
    /// Why (not) promoted, in Chinese.
    pub decision: String,
    /// Held-out metrics per ranker.
    pub metrics: BTreeMap<String, RankerMetrics>,
    /// Field-inference accuracy on held-out records.
    pub field_accuracy: Option<crate::rank::field_infer::FieldAccuracy>,
    /// Training data summary.
    pub training: TrainingSummary,
    /// Held-out metrics of the commissioner → enterprise model, when one was trained.
    pub commissioner: Option<BTreeMap<String, RankerMetrics>>,
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Index failure.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Not enough data, or fitting failed.
    #[error("{0}")]
    Fit(String),
    /// The model could not be written.
    #[error(transparent)]
    Model(#[from] crate::rank::ModelError),
    /// Another training of this process is running.
    #[error("a training is already running")]
    InProgress,
    /// A fitting task panicked or was cancelled (a bug, not a lack of data).
    #[error("a training task failed: {0}")]
    Worker(tokio::task::JoinError),
}

/// The strongest outcome seen for a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Shown,
    Engaged,
    Rejected,
    Accepted,
    Deal,
}

#[derive(Debug, Clone, Copy)]
struct PairLog {
    outcome: Outcome,
    best_rank: Option<u32>,
}

/// A hash of an id that is the same in every build, release of Rust and process
/// ([`crate::rng::stable_hash`]): splits and samples of a training run are reproducible.
fn hash_of(s: &str, salt: u64) -> u64 {
    crate::rng::stable_hash(s.as_bytes(), salt)
}

/// Whether a need is in the test split (stable across runs and processes).
pub fn is_test_need(id: &str, share: f64) -> bool {
    (hash_of(id, 0x5eed) % 10_000) as f64 / 10_000.0 < share
}

fn version_now() -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let version = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let created = now
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now formats");
    (version, created)
}

async fn all_entities(store: &Store, kind: EntityKind) -> Result<Vec<Entity>, StoreError> {
    store.list_all(kind, &ListFilter::default()).await
}

/// What one training worker returns.
type WorkerResult = Result<(Vec<Example>, Vec<TestNeed>), IndexError>;

/// One evaluated test need: every candidate's features and its grade.
struct TestNeed {
    need_id: String,
    /// The text, when a judged free-text query rather than a stored need.
    query: Option<String>,
    items: Vec<(String, PairFeatures, u8)>,
}

/// What one pass over the feedback gives (step 1).
struct FeedbackLog {
    /// Aggregates of the training needs' feedback only.
    train_stats: FeedbackStats,
    /// Each (need, provider) pair's strongest outcome and best rank shown.
    pairs: HashMap<(String, String), PairLog>,
    /// Each (commissioner, enterprise) pair's strongest outcome.
    commissioner_pairs: HashMap<(String, String), Outcome>,
    /// Feedback events read.
    events: usize,
}

/// The store's records training reads (step 2).
struct Corpus {
    /// Providers by id, with the content hash of their stored record.
    providers: Arc<HashMap<String, (Arc<Provider>, u64)>>,
    needs: Arc<Vec<Need>>,
    enterprises: Vec<Entity>,
}

/// The text model and field classifier a new model carries (step 2).
struct TextSide {
    text: TextModel,
    fields: FieldClassifier,
    field_accuracy: Option<crate::rank::field_infer::FieldAccuracy>,
    /// Documents the text model was fitted on.
    text_docs: usize,
}

/// Trains, evaluates, writes and (maybe) promotes a model: the steps of the module
/// documentation, one function each.
pub async fn train(
    store: &Store,
    index: &Arc<SearchIndex>,
    registry: &ModelRegistry,
    opts: &TrainOptions,
) -> Result<TrainReport, TrainingError> {
    let started = Instant::now();
    let analyzer = index.analyzer().clone();
    // 1. Feedback → pair outcomes; training-split stats.
    let log = read_feedback(store, opts.test_share).await?;
    let propensity = log.train_stats.propensities();
    tracing::info!(
        events = log.events,
        pairs = log.pairs.len(),
        seconds = started.elapsed().as_secs_f64(),
        "training: feedback read"
    );
    // 2. Corpus, text model, field classifier.
    let corpus = read_corpus(store).await?;
    let side = fit_text_side(&analyzer, &corpus, registry, opts).await?;
    tracing::info!(
        text_docs = side.text_docs,
        seconds = started.elapsed().as_secs_f64(),
        "training: text model and field classifier fitted"
    );
    let (mut version, created) = version_now();
    if let Some(v) = &opts.version {
        version = v.clone();
    }
    let provisional = Arc::new(provisional_model(&version, &created, &side)?);
    // 3. Examples from the serving path, needs in parallel.
    let by_need = pairs_by_need(log.pairs);
    let by_hash: HashMap<u64, &str> = corpus
        .providers
        .keys()
        .map(|id| {
            (
                crate::search::id_hash(EntityKind::Provider, id),
                id.as_str(),
            )
        })
        .collect();
    let ranker = Ranker::Learned(provisional.clone());
    let ctx = Context {
        ranker: &ranker,
        stats: &log.train_stats,
        analyzer: &analyzer,
    };
    let serving = ServingData {
        index,
        provisional: &provisional,
        providers: &corpus.providers,
        by_hash: &by_hash,
        propensity: &propensity,
    };
    let (mut examples, mut tests, train_needs) =
        feedback_examples(ctx, &serving, &corpus.needs, &by_need, opts)?;
    if let Some(j) = &opts.judgments {
        let needs: HashMap<&str, &Need> = corpus.needs.iter().map(|n| (n.id.as_str(), n)).collect();
        let (e, t) = judged(ctx, index, &needs, &corpus.providers, &by_hash, j, opts)?;
        tracing::info!(
            examples = e.len(),
            test_items = t.len(),
            "training: judged examples"
        );
        examples.extend(e);
        tests.extend(t);
    }
    let positives = examples.iter().filter(|e| e.label).count();
    tracing::info!(
        examples = examples.len(),
        test_needs = tests.len(),
        seconds = started.elapsed().as_secs_f64(),
        "training: examples built"
    );
    // 4. Fit, evaluate, write, promote.
    let (mut model, rows) = fit_model(
        &examples,
        registry,
        opts,
        &version,
        created,
        side.text,
        side.fields.clone(),
    )?;
    tracing::info!(
        rows,
        seconds = started.elapsed().as_secs_f64(),
        "training: logistic regression fitted"
    );
    let metrics =
        evaluate_rankers(store, &analyzer, registry, &model, &tests, &log.train_stats).await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "training: evaluated"
    );
    model.commissioner =
        commissioner::commissioner_head(store, index, &log.commissioner_pairs, opts).await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "training: commissioner model fitted"
    );
    model.training = TrainingSummary {
        events: log.events,
        pairs: rows,
        positives,
        train_needs,
        test_needs: tests.len(),
        propensity: propensity.iter().skip(1).take(20).copied().collect(),
        text_docs: side.text_docs,
        seconds: started.elapsed().as_secs_f64(),
    };
    model.metrics = metrics.clone();
    model.field_accuracy = side.field_accuracy.clone();
    let path = registry.save(&model)?;
    let (promoted, decision) = decide(&metrics, opts.force);
    if promoted {
        registry.promote(&version)?;
        // Every process sharing the store (replicas) follows the model published there.
        let doc = registry.file_text(&version)?;
        store.publish_active_model(&version, doc.as_deref()).await?;
    }
    tracing::info!(
        version,
        promoted,
        events = log.events,
        examples = examples.len(),
        seconds = started.elapsed().as_secs_f64(),
        "ranker trained"
    );
    Ok(TrainReport {
        version,
        path: path.display().to_string(),
        promoted,
        decision,
        metrics,
        field_accuracy: side.field_accuracy,
        training: model.training.clone(),
        commissioner: model.commissioner.as_ref().map(|c| c.metrics.clone()),
    })
}

/// Step 1: one pass over the feedback — pair outcomes, the training split's aggregates,
/// commissioner outcomes.
async fn read_feedback(store: &Store, test_share: f64) -> Result<FeedbackLog, TrainingError> {
    let closed = store.closed_need_ids().await?;
    let mut log = FeedbackLog {
        train_stats: FeedbackStats::new(closed),
        pairs: HashMap::new(),
        commissioner_pairs: HashMap::new(),
        events: 0,
    };
    let mut after = 0i64;
    loop {
        let page = store.feedback_page(after, 20_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, f) in &page {
            log.events += 1;
            add_event(f, test_share, &mut log.train_stats, &mut log.pairs);
            add_commissioner_event(f, &mut log.commissioner_pairs);
        }
    }
    Ok(log)
}

/// A commissioner's feedback on an enterprise: accepted (or a deal), rejected, or
/// engaged; the strongest kept.
fn add_commissioner_event(f: &Feedback, pairs: &mut HashMap<(String, String), Outcome>) {
    if let (Some(c), Some(e)) = (&f.commissioner_id, &f.enterprise_id) {
        let o = match f.event {
            FeedbackEvent::Accepted | FeedbackEvent::Deal => Outcome::Accepted,
            FeedbackEvent::Rejected => Outcome::Rejected,
            _ => Outcome::Engaged,
        };
        let entry = pairs.entry((c.to_string(), e.to_string())).or_insert(o);
        *entry = (*entry).max(o);
    }
}

/// Step 2a: every provider (with its content hash), need and enterprise in the store.
async fn read_corpus(store: &Store) -> Result<Corpus, TrainingError> {
    let providers: HashMap<String, (Arc<Provider>, u64)> =
        all_entities(store, EntityKind::Provider)
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Provider(p) => {
                    let doc = Entity::Provider(p.clone()).to_json().to_string();
                    Some((p.id.to_string(), (Arc::new(p), content_hash(&doc))))
                }
                _ => None,
            })
            .collect();
    let needs: Vec<Need> = all_entities(store, EntityKind::Need)
        .await?
        .into_iter()
        .filter_map(|e| match e {
            Entity::Need(n) => Some(n),
            _ => None,
        })
        .collect();
    let enterprises = all_entities(store, EntityKind::Enterprise).await?;
    Ok(Corpus {
        providers: Arc::new(providers),
        needs: Arc::new(needs),
        enterprises,
    })
}

/// Step 2b: the text model and the field classifier, off the async threads. A text model
/// fitted on fewer documents than the active model's is a worse one (a latent space from
/// a few hundred texts is noise), and the active model's weights — the prior — were
/// learned on its own text features: until the store's corpus is at least as large, the
/// new model keeps the active model's text model.
async fn fit_text_side(
    analyzer: &Arc<Analyzer>,
    corpus: &Corpus,
    registry: &ModelRegistry,
    opts: &TrainOptions,
) -> Result<TextSide, TrainingError> {
    let opts2 = opts.clone();
    let analyzer2 = analyzer.clone();
    let (p2, n2) = (corpus.providers.clone(), corpus.needs.clone());
    let enterprises = corpus.enterprises.clone();
    let (mut text, fields, field_accuracy, mut text_docs) =
        tokio::task::spawn_blocking(move || {
            fit_text_and_fields(&analyzer2, &p2, &n2, &enterprises, &opts2)
        })
        .await
        .map_err(TrainingError::Worker)??;
    if opts.prior == PriorChoice::Active
        && let Some(active) = registry.active()
        && active.text.n_docs() > text_docs
    {
        tracing::info!(
            store_docs = text_docs,
            active_docs = active.text.n_docs(),
            "training: the store's corpus is smaller than the active model's; its text model is kept"
        );
        text = active.text.clone();
        text_docs = active.text.n_docs();
    }
    Ok(TextSide {
        text,
        fields,
        field_accuracy,
        text_docs,
    })
}

/// The new model's text side with zero weights: what the serving path computes features
/// with while examples are built.
fn provisional_model(
    version: &str,
    created: &str,
    side: &TextSide,
) -> Result<RankerModel, TrainingError> {
    let zeros = vec![0.0; NAMES.len()];
    Ok(RankerModel::new(
        version.to_string(),
        created.to_string(),
        feature_names(),
        zeros.clone(),
        vec![1.0; NAMES.len()],
        zeros,
        0.0,
        side.text.clone(),
        side.fields.clone(),
    )?)
}

fn feature_names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).collect()
}

/// The logged pairs grouped by need, each need's pairs in provider order (so a run is
/// reproducible).
fn pairs_by_need(
    pairs: HashMap<(String, String), PairLog>,
) -> HashMap<String, Vec<(String, PairLog)>> {
    let mut m: HashMap<String, Vec<(String, PairLog)>> = HashMap::new();
    for ((n, p), log) in pairs {
        m.entry(n).or_default().push((p, log));
    }
    for v in m.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0));
    }
    m
}

/// What building examples through the serving path reads besides the context.
struct ServingData<'a> {
    index: &'a SearchIndex,
    provisional: &'a Arc<RankerModel>,
    providers: &'a HashMap<String, (Arc<Provider>, u64)>,
    by_hash: &'a HashMap<u64, &'a str>,
    propensity: &'a [f64],
}

/// Step 3: for every need with feedback, the serving path's candidates and features —
/// training examples for training needs, graded candidate lists for test needs — built
/// in parallel over chunks of needs. Also returns the number of training needs.
fn feedback_examples(
    ctx: Context<'_>,
    data: &ServingData<'_>,
    needs: &[Need],
    by_need: &HashMap<String, Vec<(String, PairLog)>>,
    opts: &TrainOptions,
) -> Result<(Vec<Example>, Vec<TestNeed>, usize), TrainingError> {
    let feedback_needs: Vec<&Need> = needs
        .iter()
        .filter(|n| by_need.contains_key(n.id.as_str()))
        .collect();
    let train_needs = feedback_needs
        .iter()
        .filter(|n| !is_test_need(n.id.as_str(), opts.test_share))
        .count();
    let test_total = feedback_needs.len() - train_needs;
    let worker = |chunk: &[&Need]| -> WorkerResult {
        let mut ex = Vec::new();
        let mut tests = Vec::new();
        for need in chunk {
            let id = need.id.as_str();
            let logs = &by_need[id];
            let test = is_test_need(id, opts.test_share);
            if test && hash_of(id, 99) % (test_total.max(1) as u64) >= opts.max_test_needs as u64 {
                continue;
            }
            let prepared = prepare_need(need, ctx.analyzer, Some(data.provisional));
            let retrieved: Vec<(&str, f64)> =
                retrieve_ids(data.index, &prepared, &ProviderFilter::default())?
                    .into_iter()
                    .filter_map(|(h, bm25)| data.by_hash.get(&h).map(|id| (*id, bm25)))
                    .collect();
            let logged: HashMap<&str, PairLog> =
                logs.iter().map(|(p, l)| (p.as_str(), *l)).collect();
            let wanted =
                wanted_candidates(id, test, &retrieved, logs, &logged, opts.unseen_per_need);
            let cands: Vec<Candidate> = wanted
                .into_iter()
                .filter_map(|(pid, bm25)| {
                    data.providers
                        .get(pid)
                        .map(|(p, content)| Candidate::of(p.clone(), *content, bm25))
                })
                .collect();
            if test {
                tests.push(test_need(ctx, &prepared, id, &cands, &logged));
            } else {
                training_examples(
                    ctx,
                    &prepared,
                    id,
                    &cands,
                    &logged,
                    data.propensity,
                    opts,
                    &mut ex,
                );
            }
        }
        Ok((ex, tests))
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let chunk = feedback_needs.len().div_ceil(threads).max(1);
    let results: Vec<WorkerResult> = std::thread::scope(|s| {
        let handles: Vec<_> = feedback_needs
            .chunks(chunk)
            .map(|c| s.spawn(move || worker(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(IndexError::WorkerPanicked("training")))
            })
            .collect()
    });
    let mut examples = Vec::new();
    let mut tests = Vec::new();
    for r in results {
        let (e, t) = r?;
        examples.extend(e);
        tests.extend(t);
    }
    Ok((examples, tests, train_needs))
}

/// The candidates of one feedback need: a test need ranks every retrieved candidate; a
/// training need its logged pairs and `unseen_per_need` retrieved ones never shown
/// (chosen by a stable hash of need and provider); logged pairs not retrieved are added
/// with BM25 0.
fn wanted_candidates<'a>(
    need_id: &str,
    test: bool,
    retrieved: &[(&'a str, f64)],
    logs: &'a [(String, PairLog)],
    logged: &HashMap<&str, PairLog>,
    unseen_per_need: usize,
) -> Vec<(&'a str, f64)> {
    let mut wanted: Vec<(&str, f64)> = Vec::new();
    let mut unseen: Vec<(u64, &str, f64)> = Vec::new();
    for &(pid, bm25) in retrieved {
        if test || logged.contains_key(pid) {
            wanted.push((pid, bm25));
        } else {
            unseen.push((hash_of(pid, hash_of(need_id, 17)), pid, bm25));
        }
    }
    unseen.sort_by_key(|u| u.0);
    wanted.extend(unseen.iter().take(unseen_per_need).map(|u| (u.1, u.2)));
    let retrieved_ids: HashSet<&str> = retrieved.iter().map(|(p, _)| *p).collect();
    wanted.extend(
        logs.iter()
            .filter(|(p, _)| !retrieved_ids.contains(p.as_str()))
            .map(|(p, _)| (p.as_str(), 0.0)),
    );
    wanted
}

/// Step 4a: the logistic regression, starting from the prior `opts.prior` names (the
/// active model: its weights are the prior's centre, its standardisation kept, the
/// prior's strength chosen by cross-validation over needs). Returns the model (without
/// metrics yet) and the rows fitted.
fn fit_model(
    examples: &[Example],
    registry: &ModelRegistry,
    opts: &TrainOptions,
    version: &str,
    created: String,
    text: TextModel,
    fields: FieldClassifier,
) -> Result<(RankerModel, usize), TrainingError> {
    let prior = match opts.prior {
        PriorChoice::Active => registry.active().map(|m| prior_of(&m)),
        PriorChoice::Baseline => Some(baseline_prior()),
        PriorChoice::None => None,
    };
    let fitted = fit_with_prior(examples, &opts.fit, prior.as_ref(), &DIRECTIONS)
        .map_err(|e| TrainingError::Fit(e.to_string()))?;
    tracing::info!(lambda = fitted.lambda, cv = ?fitted.cv, "training: prior strength chosen");
    let model = RankerModel::new(
        version.to_string(),
        created,
        feature_names(),
        fitted.mean,
        fitted.std,
        fitted.weights,
        fitted.bias,
        text,
        fields,
    )?;
    Ok((model, fitted.rows))
}

/// Step 4b: the new model, the baseline, BM25 and (when there is one) the active model
/// on the test needs.
async fn evaluate_rankers(
    store: &Store,
    analyzer: &Analyzer,
    registry: &ModelRegistry,
    model: &RankerModel,
    tests: &[TestNeed],
    stats: &FeedbackStats,
) -> Result<BTreeMap<String, RankerMetrics>, TrainingError> {
    let mut metrics = BTreeMap::new();
    metrics.insert(
        "learned".to_string(),
        evaluate(tests, |f| model.score(f).score),
    );
    metrics.insert(
        "baseline".to_string(),
        evaluate(tests, |f| Ranker::Baseline.score(f).score),
    );
    metrics.insert(
        "bm25".to_string(),
        evaluate(tests, |f| Ranker::Bm25.score(f).score),
    );
    if let Some(a) = &registry.active() {
        let m = evaluate_active(store, analyzer, a, tests, stats).await?;
        metrics.insert("active".to_string(), m);
    }
    Ok(metrics)
}

/// Step 4c: whether the new model replaces the active one, and why (in Chinese): when
/// forced, when there is no active model, or when its NDCG@10 beats the active model's.
fn decide(metrics: &BTreeMap<String, RankerMetrics>, force: bool) -> (bool, String) {
    let new_ndcg = metrics.get("learned").map_or(0.0, |m| m.ndcg_at_10);
    let new_auc = metrics.get("learned").and_then(|m| m.auc).unwrap_or(0.0);
    match metrics.get("active") {
        _ if force => (true, "按 --force 要求启用新模型".to_string()),
        None => (true, "此前没有启用的模型，新模型已启用".to_string()),
        Some(a) if new_ndcg > a.ndcg_at_10 + 1e-9 => (
            true,
            format!(
                "新模型 NDCG@10 {new_ndcg:.4} 高于现用模型 {:.4}，已启用",
                a.ndcg_at_10
            ),
        ),
        Some(a) => (
            false,
            format!(
                "新模型 NDCG@10 {new_ndcg:.4}（AUC {new_auc:.4}）未超过现用模型 {:.4}（AUC {:.4}），未启用（可用 --force 强制）",
                a.ndcg_at_10,
                a.auc.unwrap_or(0.0)
            ),
        ),
    }
}

/// What a fit starts from (the centre of its prior).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriorChoice {
    /// The active model: a deployment's training adjusts the model it has.
    #[default]
    Active,
    /// The documented hand-weighted baseline (how the shipped model is made: it does not
    /// depend on the model shipped before it).
    Baseline,
    /// None: plain ridge towards 0.
    None,
}

/// The baseline's weights as a prior (per raw unit; features it does not weigh: 0).
pub fn baseline_prior() -> Prior {
    let weights = NAMES
        .iter()
        .map(|n| {
            crate::rank::baseline::BASELINE_WEIGHTS
                .iter()
                .find(|(b, _)| b == n)
                .map_or(0.0, |(_, w)| *w)
        })
        .collect();
    Prior {
        mean: vec![f64::NAN; NAMES.len()],
        std: vec![f64::NAN; NAMES.len()],
        weights,
        bias: crate::rank::baseline::BASELINE_BIAS,
        raw: true,
    }
}

/// A model as the prior of the next fit, in [`NAMES`] order (features it lacks: weight 0,
/// standardisation from the data).
pub fn prior_of(m: &RankerModel) -> Prior {
    let mut p = Prior {
        mean: vec![f64::NAN; NAMES.len()],
        std: vec![f64::NAN; NAMES.len()],
        weights: vec![0.0; NAMES.len()],
        bias: m.bias,
        raw: false,
    };
    for (i, name) in NAMES.iter().enumerate() {
        if let Some(j) = m.feature_names.iter().position(|n| n == name) {
            p.mean[i] = m.mean[j];
            p.std[i] = m.std[j];
            p.weights[i] = m.weights[j];
        }
    }
    p
}

fn add_event(
    f: &Feedback,
    test_share: f64,
    train_stats: &mut FeedbackStats,
    pairs: &mut HashMap<(String, String), PairLog>,
) {
    let (Some(need), Some(provider)) = (&f.need_id, &f.provider_id) else {
        return;
    };
    if !is_test_need(need.as_str(), test_share) {
        train_stats.add(f);
    }
    let outcome = match f.event {
        FeedbackEvent::Impression => Outcome::Shown,
        FeedbackEvent::Click | FeedbackEvent::Contacted => Outcome::Engaged,
        FeedbackEvent::Rejected => Outcome::Rejected,
        FeedbackEvent::Accepted => Outcome::Accepted,
        FeedbackEvent::Deal => Outcome::Deal,
    };
    let e = pairs
        .entry((need.to_string(), provider.to_string()))
        .or_insert(PairLog {
            outcome,
            best_rank: None,
        });
    e.outcome = e.outcome.max(outcome);
    if let (FeedbackEvent::Impression, Some(r)) = (f.event, f.rank) {
        e.best_rank = Some(e.best_rank.map_or(r, |b| b.min(r)));
    }
}

fn fit_text_and_fields(
    analyzer: &Analyzer,
    providers: &HashMap<String, (Arc<Provider>, u64)>,
    needs: &[Need],
    enterprises: &[Entity],
    opts: &TrainOptions,
) -> Result<
    (
        TextModel,
        FieldClassifier,
        Option<crate::rank::field_infer::FieldAccuracy>,
        usize,
    ),
    TrainingError,
> {
    let terms =
        |t: &str| -> Vec<String> { analyzer.terms(t).into_iter().map(|x| x.text).collect() };
    // (id, terms, fields) for every record with text.
    let mut docs: Vec<(String, Vec<String>, Vec<Field>)> = Vec::new();
    let mut sorted: Vec<&(Arc<Provider>, u64)> = providers.values().collect();
    sorted.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (p, _) in sorted {
        docs.push((
            format!("p:{}", p.id),
            super::providers::provider_terms(analyzer, p),
            p.fields.clone(),
        ));
    }
    for n in needs {
        let mut t = terms(&super::providers::need_text(n));
        t.extend(n.keywords.iter().flat_map(|k| terms(k)));
        docs.push((format!("n:{}", n.id), t, n.fields.clone()));
    }
    let corpus: Vec<Vec<String>> = docs.iter().map(|d| d.1.clone()).collect();
    let text = TextModel::fit(&corpus, &opts.text)
        .map_err(|e| TrainingError::Fit(format!("text model: {e}")))?;
    for e in enterprises {
        if let Entity::Enterprise(x) = e
            && !x.fields.is_empty()
        {
            let mut t = terms(x.description.as_deref().unwrap_or(""));
            t.extend(x.keywords.iter().flat_map(|k| terms(k)));
            t.extend(terms(&x.name));
            docs.push((format!("e:{}", x.id), t, x.fields.clone()));
        }
    }
    let labelled: Vec<&(String, Vec<String>, Vec<Field>)> =
        docs.iter().filter(|d| !d.2.is_empty()).collect();
    let (mut train, test) = split_by_id(&labelled, |d| d.0.as_str(), 0.2);
    // The thesaurus teaches the classifier the words of every field, not only those the
    // deployment's records happen to use: one short document per technology concept
    // (its forms and its broader concepts' names), labelled with the concept's fields.
    let thesaurus_docs = thesaurus_documents(analyzer);
    let thesaurus_refs: Vec<&(String, Vec<String>, Vec<Field>)> = thesaurus_docs.iter().collect();
    train.extend(thesaurus_refs.iter());
    fn as_examples<'a>(v: &[&&'a (String, Vec<String>, Vec<Field>)]) -> Vec<FieldExample<'a>> {
        v.iter()
            .map(|d| FieldExample {
                terms: &d.1,
                fields: &d.2,
            })
            .collect()
    }
    let train_ex = as_examples(&train);
    let classifier = FieldClassifier::fit(&train_ex, &opts.fields)
        .map_err(|e| TrainingError::Fit(format!("field classifier: {e}")))?;
    let test_ex = as_examples(&test);
    let accuracy = (!test_ex.is_empty()).then(|| classifier.evaluate(&test_ex));
    Ok((text, classifier, accuracy, corpus.len()))
}

/// Examples from graded judgments (data-model.md's format) through the serving path:
/// every judged need and free-text query is prepared and retrieved as a request would be;
/// a judged provider is a positive with weight `(2^g − 1)/7` (the gain NDCG gives grade
/// `g`) and a negative with the rest, a few retrieved but unjudged providers are weak
/// negatives. Needs and queries in the test split are kept for evaluation instead, every
/// retrieved candidate graded (unjudged: 0), as `duijie eval` grades them.
fn judged(
    ctx: Context<'_>,
    index: &SearchIndex,
    needs: &HashMap<&str, &Need>,
    providers: &HashMap<String, (Arc<Provider>, u64)>,
    by_hash: &HashMap<u64, &str>,
    j: &Judgments,
    opts: &TrainOptions,
) -> Result<(Vec<Example>, Vec<TestNeed>), TrainingError> {
    let model = ctx.ranker.model().cloned();
    let mut items: Vec<(&str, Option<&String>, Prepared, &Grades)> = Vec::new();
    for (id, grades) in &j.needs {
        if let Some(n) = needs.get(id.as_str()) {
            items.push((
                id,
                None,
                prepare_need(n, ctx.analyzer, model.as_deref()),
                grades,
            ));
        }
    }
    for (qid, (text, grades)) in &j.queries {
        let req = MatchRequest::new(None, Some(text.clone()), ctx.ranker.clone());
        let prepared = prepare_text(text, &req, ctx.analyzer, model.as_deref());
        items.push((qid, Some(text), prepared, grades));
    }
    let mut examples = Vec::new();
    let mut tests = Vec::new();
    for (id, query, prepared, grades) in items {
        let retrieved: Vec<(&str, f64)> =
            retrieve_ids(index, &prepared, &ProviderFilter::default())?
                .into_iter()
                .filter_map(|(h, bm25)| by_hash.get(&h).map(|p| (*p, bm25)))
                .collect();
        let bm25_of = |pid: &str| {
            retrieved
                .iter()
                .find(|(p, _)| *p == pid)
                .map_or(0.0, |(_, b)| *b)
        };
        let candidate = |pid: &str, bm25: f64| {
            providers
                .get(pid)
                .map(|(p, content)| Candidate::of(p.clone(), *content, bm25))
        };
        let group = hash_of(id, 0);
        if is_test_need(id, opts.test_share) {
            let mut seen: HashSet<&str> = HashSet::new();
            let mut test_items = Vec::new();
            let judged_ids = grades.keys().map(|p| (p.as_str(), bm25_of(p)));
            for (pid, bm25) in retrieved.iter().copied().chain(judged_ids) {
                if !seen.insert(pid) {
                    continue;
                }
                if let Some(c) = candidate(pid, bm25) {
                    let g = grades.get(pid).copied().unwrap_or(0);
                    test_items.push((pid.to_string(), features(ctx, &prepared, &c, (0, 0)), g));
                }
            }
            tests.push(TestNeed {
                need_id: id.to_string(),
                query: query.cloned(),
                items: test_items,
            });
            continue;
        }
        let mut judged_sorted: Vec<(&String, &u8)> = grades.iter().collect();
        judged_sorted.sort();
        for (pid, g) in judged_sorted {
            let Some(c) = candidate(pid, bm25_of(pid)) else {
                continue;
            };
            let x = features(ctx, &prepared, &c, (0, 0)).values.to_vec();
            push_graded(&mut examples, x, *g, group);
        }
        let mut unseen: Vec<(u64, &str, f64)> = retrieved
            .iter()
            .filter(|(p, _)| !grades.contains_key(*p))
            .map(|(p, b)| (hash_of(p, hash_of(id, 17)), *p, *b))
            .collect();
        unseen.sort_by_key(|u| u.0);
        for (_, pid, bm25) in unseen.into_iter().take(opts.unseen_per_need) {
            if let Some(c) = candidate(pid, bm25) {
                examples.push(Example {
                    x: features(ctx, &prepared, &c, (0, 0)).values.to_vec(),
                    label: false,
                    weight: opts.weak_weight,
                    group,
                });
            }
        }
    }
    Ok((examples, tests))
}

/// A graded pair as soft labels: a positive weighted by the gain NDCG gives grade `g`,
/// `(2^g − 1)/7`, and a negative with the rest.
fn push_graded(examples: &mut Vec<Example>, x: Vec<f64>, g: u8, group: u64) {
    let gain = (f64::from(2u32.pow(u32::from(g))) - 1.0) / 7.0;
    if gain > 0.0 {
        examples.push(Example {
            x: x.clone(),
            label: true,
            weight: gain,
            group,
        });
    }
    if gain < 1.0 {
        examples.push(Example {
            x,
            label: false,
            weight: 1.0 - gain,
            group,
        });
    }
}

/// One labelled pseudo-document per technology concept of the thesaurus.
fn thesaurus_documents(analyzer: &Analyzer) -> Vec<(String, Vec<String>, Vec<Field>)> {
    let t = crate::domain::concepts::Thesaurus::get();
    t.concepts()
        .iter()
        .filter(|c| !c.is_service() && !c.fields.is_empty() && c.fields != [Field::Other])
        .map(|c| {
            let mut text = c.surfaces.join(" ");
            for b in &c.broader {
                text.push(' ');
                text.push_str(&t.concept(*b).name);
            }
            let terms = analyzer.terms(&text).into_iter().map(|x| x.text).collect();
            (format!("t:{}", c.name), terms, c.fields.clone())
        })
        .collect()
}

fn grade(o: Outcome) -> u8 {
    match o {
        Outcome::Deal => 3,
        Outcome::Accepted => 2,
        _ => 0,
    }
}

fn test_need(
    ctx: Context<'_>,
    prepared: &Prepared,
    id: &str,
    cands: &[Candidate],
    logged: &HashMap<&str, PairLog>,
) -> TestNeed {
    let items = cands
        .iter()
        .map(|c| {
            let pid = c.provider.id.as_str();
            let g = logged.get(pid).map(|l| grade(l.outcome)).unwrap_or(0);
            (pid.to_string(), features(ctx, prepared, c, (0, 0)), g)
        })
        .collect();
    TestNeed {
        need_id: id.to_string(),
        query: None,
        items,
    }
}

#[allow(clippy::too_many_arguments)]
fn training_examples(
    ctx: Context<'_>,
    prepared: &Prepared,
    need_id: &str,
    cands: &[Candidate],
    logged: &HashMap<&str, PairLog>,
    propensity: &[f64],
    opts: &TrainOptions,
    out: &mut Vec<Example>,
) {
    for c in cands {
        let pid = c.provider.id.as_str();
        let Some(log) = logged.get(pid) else {
            // A retrieved candidate never shown: a weak negative.
            let f = features(ctx, prepared, c, (0, 0));
            out.push(Example {
                x: f.values.to_vec(),
                label: false,
                weight: opts.weak_weight,
                group: hash_of(need_id, 0),
            });
            continue;
        };
        let (label, weight) = match log.outcome {
            Outcome::Deal | Outcome::Accepted => {
                let p = log
                    .best_rank
                    .map(|r| propensity[(r as usize).min(propensity.len() - 1)])
                    .unwrap_or(1.0);
                (true, 1.0 / p)
            }
            Outcome::Rejected => (false, 1.0),
            Outcome::Shown => (false, opts.weak_weight),
            // Clicked or contacted without an outcome: ambiguous, left out.
            Outcome::Engaged => continue,
        };
        let (engaged, accepted) = ctx.stats.pair(need_id, pid);
        let f = features(ctx, prepared, c, (u32::from(engaged), u32::from(accepted)));
        out.push(Example {
            x: f.values.to_vec(),
            label,
            weight,
            group: hash_of(need_id, 0),
        });
    }
}

fn evaluate(tests: &[TestNeed], score: impl Fn(&PairFeatures) -> f64) -> RankerMetrics {
    let mut ndcgs = Vec::new();
    let mut rrs = Vec::new();
    let mut labelled: Vec<(f64, bool)> = Vec::new();
    for t in tests {
        let mut scored: Vec<(f64, &str, u8)> = t
            .items
            .iter()
            .map(|(id, f, g)| (score(f), id.as_str(), *g))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let grades: HashMap<String, u8> = t
            .items
            .iter()
            .filter(|(_, _, g)| *g > 0)
            .map(|(id, _, g)| (id.clone(), *g))
            .collect();
        let ranked: Vec<&str> = scored.iter().map(|x| x.1).collect();
        if let Some(n) = ndcg_at(&ranked, &grades, 10) {
            ndcgs.push(n);
            rrs.push(reciprocal_rank(&ranked, &grades, 1));
        }
        labelled.extend(scored.iter().map(|(s, _, g)| (*s, *g > 0)));
    }
    RankerMetrics {
        auc: auc(&labelled),
        ndcg_at_10: mean(ndcgs.iter().copied()),
        mrr: mean(rrs),
        needs: ndcgs.len(),
    }
}

/// The active model ranks the same test needs with its own text model.
async fn evaluate_active(
    store: &Store,
    analyzer: &Analyzer,
    active: &Arc<RankerModel>,
    tests: &[TestNeed],
    stats: &FeedbackStats,
) -> Result<RankerMetrics, TrainingError> {
    let ids: Vec<&str> = tests.iter().map(|t| t.need_id.as_str()).collect();
    let needs = store.get_many(EntityKind::Need, &ids).await?;
    let pids: HashSet<&str> = tests
        .iter()
        .flat_map(|t| t.items.iter().map(|i| i.0.as_str()))
        .collect();
    let pids: Vec<&str> = pids.into_iter().collect();
    let providers = store.get_many(EntityKind::Provider, &pids).await?;
    let ranker = Ranker::Learned(active.clone());
    let ctx = Context {
        ranker: &ranker,
        stats,
        analyzer,
    };
    let mut rescored = Vec::with_capacity(tests.len());
    for t in tests {
        let prepared = match (&t.query, needs.get(&t.need_id)) {
            (Some(text), _) => {
                let req = MatchRequest::new(None, Some(text.clone()), ranker.clone());
                prepare_text(text, &req, analyzer, Some(active))
            }
            (None, Some(Entity::Need(need))) => prepare_need(need, analyzer, Some(active)),
            _ => continue,
        };
        let items = t
            .items
            .iter()
            .filter_map(|(pid, f, g)| {
                let Some(Entity::Provider(p)) = providers.get(pid) else {
                    return None;
                };
                let doc = Entity::Provider(p.clone()).to_json().to_string();
                let c = Candidate::of(Arc::new(p.clone()), content_hash(&doc), f.values[0]);
                Some((pid.clone(), features(ctx, &prepared, &c, (0, 0)), *g))
            })
            .collect();
        rescored.push(TestNeed {
            need_id: t.need_id.clone(),
            query: t.query.clone(),
            items,
        });
    }
    Ok(evaluate(&rescored, |f| active.score(f).score))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use crate::domain::validate::check;

    fn provider(id: &str, text: &str) -> Provider {
        let v = serde_json::json!({
            "kind": "provider", "id": id, "name": text,
            "services": ["pilot_scale"], "fields": ["new_materials"],
        });
        match check(&v, None).expect("valid provider").record {
            Record::Entity(Entity::Provider(p)) => p,
            other => panic!("not a provider: {other:?}"),
        }
    }

    fn feedback(need: &str, provider: &str, event: &str, rank: Option<u32>) -> Feedback {
        let mut v = serde_json::json!({
            "need_id": need, "provider_id": provider, "event": event, "actor": "enterprise",
        });
        if let Some(r) = rank {
            v["rank"] = r.into();
        }
        serde_json::from_value(v).expect("feedback")
    }

    fn log(outcome: Outcome, best_rank: Option<u32>) -> PairLog {
        PairLog { outcome, best_rank }
    }

    /// The split is pinned (a stable hash of the id, not `DefaultHasher`), takes about
    /// the share asked for, and grows with it: a need in the 10 % split is in the 20 %.
    #[test]
    fn the_train_test_split_is_a_stable_hash_of_the_id() {
        let test: Vec<usize> = (0..20)
            .filter(|i| is_test_need(&format!("N-{i}"), 0.2))
            .collect();
        assert_eq!(test, [0, 4, 10, 14]);
        let n = (0..10_000)
            .filter(|i| is_test_need(&format!("N-{i}"), 0.2))
            .count();
        assert_eq!(n, 1965);
        for i in 0..2_000 {
            let id = format!("N-{i}");
            if is_test_need(&id, 0.1) {
                assert!(is_test_need(&id, 0.2), "{id}");
            }
        }
        assert!(!is_test_need("N-0", 0.0));
        assert!(is_test_need("N-1", 1.0));
    }

    /// Each pair keeps its strongest outcome and its best (smallest) rank shown; only
    /// training needs' feedback reaches the training aggregates.
    #[test]
    fn feedback_events_keep_the_strongest_outcome_and_best_rank() {
        let mut stats = FeedbackStats::new(Vec::new());
        let mut pairs = HashMap::new();
        // N-0 is a test need at 0.2, N-1 a training need.
        for f in [
            feedback("N-1", "P-1", "impression", Some(5)),
            feedback("N-1", "P-1", "impression", Some(2)),
            feedback("N-1", "P-1", "accepted", None),
            feedback("N-1", "P-1", "click", Some(1)),
            feedback("N-1", "P-2", "rejected", None),
            feedback("N-1", "P-2", "impression", Some(3)),
            feedback("N-0", "P-3", "deal", None),
        ] {
            add_event(&f, 0.2, &mut stats, &mut pairs);
        }
        let get = |n: &str, p: &str| pairs[&(n.to_string(), p.to_string())];
        assert_eq!(get("N-1", "P-1").outcome, Outcome::Accepted);
        assert_eq!(
            get("N-1", "P-1").best_rank,
            Some(2),
            "clicks do not count as shown"
        );
        assert_eq!(get("N-1", "P-2").outcome, Outcome::Rejected);
        assert_eq!(get("N-1", "P-2").best_rank, Some(3));
        assert_eq!(get("N-0", "P-3").outcome, Outcome::Deal);
        assert_eq!(stats.pair("N-1", "P-1"), (true, true));
        assert_eq!(
            stats.pair("N-0", "P-3"),
            (false, false),
            "a test need's feedback"
        );
    }

    /// Labels and weights of the feedback examples: accepted and deals positive, weighted
    /// by the inverse propensity of the best rank shown (the last one beyond the table);
    /// rejections negative at 1; shown only, and retrieved never shown, weak negatives;
    /// clicked or contacted without an outcome left out. One group per need.
    #[test]
    fn training_examples_carry_the_documented_labels_and_weights() {
        let analyzer = Analyzer::new();
        let stats = FeedbackStats::new(Vec::new());
        let ranker = Ranker::Baseline;
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let text = "石墨烯涂层中试";
        let req = MatchRequest::new(None, Some(text.into()), Ranker::Baseline);
        let prepared = prepare_text(text, &req, &analyzer, None);
        let ids = ["P-a", "P-b", "P-c", "P-d", "P-e", "P-f", "P-g"];
        let cands: Vec<Candidate> = ids
            .iter()
            .map(|id| Candidate::of(Arc::new(provider(id, "石墨烯涂层中试基地")), 0, 0.5))
            .collect();
        let logged: HashMap<&str, PairLog> = [
            ("P-a", log(Outcome::Deal, Some(3))),
            ("P-b", log(Outcome::Accepted, None)),
            ("P-c", log(Outcome::Rejected, Some(1))),
            ("P-d", log(Outcome::Shown, Some(2))),
            ("P-e", log(Outcome::Engaged, Some(1))),
            ("P-g", log(Outcome::Accepted, Some(40))),
        ]
        .into_iter()
        .collect();
        let propensity = [1.0, 1.0, 0.8, 0.5, 0.25];
        let opts = TrainOptions::default();
        let mut out = Vec::new();
        training_examples(
            ctx,
            &prepared,
            "N-1",
            &cands,
            &logged,
            &propensity,
            &opts,
            &mut out,
        );
        let got: Vec<(bool, f64)> = out.iter().map(|e| (e.label, e.weight)).collect();
        assert_eq!(
            got,
            [
                (true, 2.0),  // P-a: deal at rank 3, 1 / 0.5
                (true, 1.0),  // P-b: accepted, never shown
                (false, 1.0), // P-c: rejected
                (false, 0.3), // P-d: shown only
                (false, 0.3), // P-f: retrieved, never shown
                (true, 4.0),  // P-g: rank 40, the last propensity 0.25
            ]
        );
        assert!(out.iter().all(|e| e.group == hash_of("N-1", 0)));
        assert!(out.iter().all(|e| e.x.len() == NAMES.len()));
    }

    /// A graded pair is split into a positive weighted by NDCG's gain and a negative with
    /// the rest.
    #[test]
    fn graded_pairs_become_soft_labels() {
        let mut ex = Vec::new();
        for g in 0..=3u8 {
            push_graded(&mut ex, vec![f64::from(g)], g, 9);
        }
        let got: Vec<(f64, bool, f64)> = ex.iter().map(|e| (e.x[0], e.label, e.weight)).collect();
        assert_eq!(
            got,
            [
                (0.0, false, 1.0),
                (1.0, true, 1.0 / 7.0),
                (1.0, false, 1.0 - 1.0 / 7.0),
                (2.0, true, 3.0 / 7.0),
                (2.0, false, 1.0 - 3.0 / 7.0),
                (3.0, true, 1.0),
            ]
        );
        assert!(ex.iter().all(|e| e.group == 9));
    }

    /// A test need ranks every retrieved candidate; a training need its logged pairs and
    /// the first `unseen` others by the stable hash; logged pairs not retrieved come last
    /// with BM25 0.
    #[test]
    fn candidates_of_a_feedback_need() {
        let retrieved = [
            ("P-1", 1.0),
            ("P-2", 0.8),
            ("P-3", 0.5),
            ("P-4", 0.2),
            ("P-5", 0.1),
        ];
        let logs = vec![
            ("P-2".to_string(), log(Outcome::Accepted, Some(1))),
            ("P-9".to_string(), log(Outcome::Rejected, None)),
        ];
        let logged: HashMap<&str, PairLog> = logs.iter().map(|(p, l)| (p.as_str(), *l)).collect();
        let test = wanted_candidates("N-1", true, &retrieved, &logs, &logged, 2);
        assert_eq!(
            test,
            [
                ("P-1", 1.0),
                ("P-2", 0.8),
                ("P-3", 0.5),
                ("P-4", 0.2),
                ("P-5", 0.1),
                ("P-9", 0.0)
            ]
        );
        let train = wanted_candidates("N-1", false, &retrieved, &logs, &logged, 2);
        let mut unseen = ["P-1", "P-3", "P-4", "P-5"];
        unseen.sort_by_key(|p| hash_of(p, hash_of("N-1", 17)));
        let ids: Vec<&str> = train.iter().map(|x| x.0).collect();
        assert_eq!(ids, ["P-2", unseen[0], unseen[1], "P-9"]);
        assert_eq!(train[0].1, 0.8);
        assert_eq!(train[3].1, 0.0);
    }

    fn metrics(ndcg: f64) -> RankerMetrics {
        RankerMetrics {
            auc: Some(0.7),
            ndcg_at_10: ndcg,
            mrr: 0.5,
            needs: 10,
        }
    }

    /// Promotion: forced, or no active model, or a better NDCG@10 than the active one.
    #[test]
    fn a_new_model_is_promoted_only_when_better() {
        let mut m = BTreeMap::from([("learned".to_string(), metrics(0.6))]);
        assert!(decide(&m, false).0, "no active model");
        m.insert("active".into(), metrics(0.6));
        let (promoted, why) = decide(&m, false);
        assert!(!promoted, "equal is not better");
        assert!(why.contains("未启用"), "{why}");
        assert!(decide(&m, true).0, "forced");
        m.insert("active".into(), metrics(0.59));
        assert!(decide(&m, false).0);
    }
}

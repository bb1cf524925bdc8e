//! Need → providers.
//!
//! 1. The need side: a stored need, or a free text read for its service, fields,
//!    districts and nearness (explicit request values win; what was read is reported
//!    as `inferred`).
//! 2. Candidates: the top [`TEXT_CANDIDATES`] providers by BM25 over the need's words
//!    (and their synonyms), plus the top [`STRUCTURED_CANDIDATES`] offering the service
//!    in the need's fields, whatever their wording — so a provider that describes the
//!    same thing in other words is still considered.
//! 3. Features, score, explanation for each; the best `limit` returned.

use super::exposure::{Exposure, ExposurePolicy};
use crate::domain::concepts::{self, TextReading, Thesaurus};
use crate::domain::cues;
use crate::domain::place::CITY_WIDE;
use crate::domain::{
    Districts, Entity, EntityKind, Field, Need, Place, Provider, ProviderType, Service,
};
use crate::rank::model::NeedVectors;
use crate::rank::{
    Explanation, Extra, FeedbackStats, Load, NeedSide, PairFeatures, ProviderRecord, ProviderSide,
    Ranker, provider_side,
};
use crate::search::{Analyzer, Filter, IndexError, ParsedProvider, SearchIndex, SearchRequest};
use crate::store::{Store, StoreError};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

/// Providers taken by text relevance.
pub const TEXT_CANDIDATES: usize = 200;
/// Providers taken by service and field, beyond the text candidates.
pub const STRUCTURED_CANDIDATES: usize = 100;
/// Longest free text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Most results a request may ask for.
pub const MAX_LIMIT: usize = 200;

/// A match request.
#[derive(Debug, Clone)]
pub struct MatchRequest {
    /// A stored need.
    pub need_id: Option<String>,
    /// Or a free-text request.
    pub text: Option<String>,
    /// The service asked for (free text; read from the text when absent).
    pub service: Option<Service>,
    /// Fields (free text; read from the text when empty).
    pub fields: Vec<Field>,
    /// Where the work is (free text; read from the text when absent).
    pub district: Option<Place>,
    /// The budget in 万元 (free text; a stored need's own budget otherwise).
    pub budget_wan: Option<f64>,
    /// Whether the work must be on site or nearby (free text; read from the text when absent).
    pub near: Option<bool>,
    /// Hard constraints on the providers returned.
    pub filter: ProviderFilter,
    /// How many results (default 10).
    pub limit: usize,
    /// Which ranker.
    pub ranker: Ranker,
    /// Spread attention across comparable providers (see [`super::exposure`]).
    pub exposure: Option<ExposureControl>,
}

impl MatchRequest {
    /// A request for a stored need or a text, everything else default.
    pub fn new(need_id: Option<String>, text: Option<String>, ranker: Ranker) -> MatchRequest {
        MatchRequest {
            need_id,
            text,
            service: None,
            fields: Vec::new(),
            district: None,
            budget_wan: None,
            near: None,
            filter: ProviderFilter::default(),
            limit: 10,
            ranker,
            exposure: None,
        }
    }
}

/// The exposure policy and the recent first screens it reads and adds to.
#[derive(Debug, Clone)]
pub struct ExposureControl {
    /// How strongly.
    pub policy: ExposurePolicy,
    /// Shared state.
    pub state: Arc<Mutex<Exposure>>,
}

/// Hard constraints on which providers a match may return (an empty list constrains
/// nothing).
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter {
    /// Provider types.
    pub provider_types: Vec<ProviderType>,
    /// It offers one of these services.
    pub services: Vec<Service>,
    /// It works in one of these fields.
    pub fields: Vec<Field>,
    /// It is based in, or serves, one of these districts (or serves the whole city).
    pub districts: Vec<Place>,
    /// Count the districts next to `districts` too.
    pub include_neighbours: bool,
}

impl ProviderFilter {
    /// Only these provider types.
    pub fn types(provider_types: &[ProviderType]) -> ProviderFilter {
        ProviderFilter {
            provider_types: provider_types.to_vec(),
            ..ProviderFilter::default()
        }
    }

    /// The district names the index filter accepts: the districts, their neighbours when
    /// asked, and `全市` (a provider serving the whole city serves them all).
    pub fn district_names(&self) -> Vec<String> {
        if self.districts.is_empty() {
            return Vec::new();
        }
        let table = Districts::get();
        let mut names: Vec<String> = Vec::new();
        for d in &self.districts {
            names.push(d.name().to_string());
            if self.include_neighbours
                && let Some(district) = table.lookup(d.name())
            {
                names.extend(district.neighbours.iter().map(|n| n.to_string()));
            }
        }
        names.push(CITY_WIDE.to_string());
        names.sort();
        names.dedup();
        names
    }

    fn index_filter(&self) -> Filter {
        Filter {
            kinds: vec![EntityKind::Provider],
            provider_types: self.provider_types.clone(),
            districts: self.district_names(),
            fields: self.fields.clone(),
            services: self.services.clone(),
            ..Filter::default()
        }
    }
}

/// What scoring needs besides the pair: the ranker, feedback aggregates, the analyzer.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The ranker.
    pub ranker: &'a Ranker,
    /// Feedback aggregates (load, track record).
    pub stats: &'a FeedbackStats,
    /// Text analysis.
    pub analyzer: &'a Analyzer,
}

/// A retrieved provider.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The record.
    pub provider: Arc<Provider>,
    /// [`crate::search::content_hash`] of the stored record (the key of the model's
    /// profile cache).
    pub content: u64,
    /// BM25 over the best candidate's (0 when retrieved by structure only).
    pub bm25: f64,
    /// The provider's distinct analysed words, filled on first use (shared with the
    /// index's cache of this document, so analysed once, not once per request).
    pub terms: Arc<std::sync::OnceLock<Vec<String>>>,
    /// Its concepts and declined scopes, filled on first use (shared like `terms`).
    pub reading: Arc<std::sync::OnceLock<TextReading>>,
}

impl Candidate {
    /// A candidate of a provider record not from the index (training, tests).
    pub fn of(provider: Arc<Provider>, content: u64, bm25: f64) -> Candidate {
        Candidate {
            provider,
            content,
            bm25,
            terms: Arc::default(),
            reading: Arc::default(),
        }
    }

    /// Its concepts and declined scopes.
    pub fn reading(&self) -> &TextReading {
        self.reading
            .get_or_init(|| TextReading::of(&provider_text(&self.provider)))
    }
}

/// The need side of a match, ready for scoring.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Text searched.
    pub text: String,
    /// Its analysed words (analysed once: scoring and retrieval both use them).
    pub words: Vec<String>,
    /// Extra weighted query terms (keywords).
    pub extra_terms: Vec<(String, f32)>,
    /// Service, fields, place, nearness.
    pub side: NeedSide,
    /// What was read or inferred.
    pub inferred: Inferred,
    /// The model's vectors of the text, when the ranker has a model.
    pub vectors: Option<NeedVectors>,
    /// The budget in 万元, when known (for the provider side).
    pub budget_wan: Option<f64>,
    /// Its concepts and what it rules out.
    pub reading: TextReading,
    /// Its concepts prepared for the overlap with every candidate.
    pub concepts: concepts::NeedConcepts,
}

/// What the service read from a free text.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Inferred {
    /// The service, when read from the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// Fields read from the text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The district read from the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Whether the text asks for on-site or nearby work.
    pub wants_near: bool,
    /// Whether the learned field classifier took part in `fields` (besides the
    /// thesaurus concepts).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fields_by_model: bool,
    /// Each inferred field's probability (none is guessed below
    /// [`FIELD_CONFIDENCE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field_confidence: Vec<(Field, f64)>,
}

/// One ranked provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchResult {
    /// The provider record.
    pub provider: Arc<Provider>,
    /// The score: relevance × the provider side's factor (see [`crate::rank::reciprocity`]),
    /// × the exposure factor when exposure control is on.
    pub score: f64,
    /// The ranker's score alone (the enterprise side).
    pub relevance: f64,
    /// Why.
    pub explanation: Explanation,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchResponse {
    /// Ranker used.
    #[schema(value_type = crate::rank::RankerName)]
    pub ranker: &'static str,
    /// Model version (none for the baseline and BM25).
    #[schema(required = true)]
    pub model_version: Option<String>,
    /// The need matched, when a stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_id: Option<String>,
    /// What was read from the free text.
    pub inferred: Inferred,
    /// Candidates scored.
    pub candidates: usize,
    /// Best first.
    pub results: Vec<MatchResult>,
    /// Lists share this shape; a ranking has no further page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Why a match could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// Neither need nor text.
    #[error("需要 need_id 或 text 之一")]
    NothingToMatch,
    /// The text is too long.
    #[error("text 过长（{0} 字），上限 {MAX_TEXT_CHARS} 字")]
    TextTooLong(usize),
    /// The need does not exist.
    #[error("需求“{0}”不存在")]
    NeedNotFound(String),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Index failure.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A pinned model version does not exist.
    #[error("model version {0} not found")]
    NoSuchModel(String),
    /// A model could not be read.
    #[error(transparent)]
    Model(#[from] crate::rank::ModelError),
}

/// Ranks providers for a need or a free-text request; the CPU-bound part waits for a
/// permit of `gate` ([`super::Matcher`] holds it).
pub(super) async fn match_providers(
    store: &Store,
    index: &Arc<SearchIndex>,
    stats: Arc<RwLock<FeedbackStats>>,
    gate: &tokio::sync::Semaphore,
    req: MatchRequest,
) -> Result<MatchResponse, MatchError> {
    let analyzer = index.analyzer().clone();
    let model = req.ranker.model().cloned();
    let prepared = match (&req.need_id, &req.text) {
        (Some(id), _) => {
            let need = match store.get(EntityKind::Need, id).await? {
                Some(Entity::Need(n)) => n,
                _ => return Err(MatchError::NeedNotFound(id.clone())),
            };
            prepare_need(&need, &analyzer, model.as_deref())
        }
        (None, Some(text)) if !text.trim().is_empty() => {
            let chars = text.chars().count();
            if chars > MAX_TEXT_CHARS {
                return Err(MatchError::TextTooLong(chars));
            }
            prepare_text(text, &req, &analyzer, model.as_deref())
        }
        _ => return Err(MatchError::NothingToMatch),
    };
    let mut prepared = prepared;
    if let Some(near) = req.near {
        prepared.side.wants_near = near;
        prepared.inferred.wants_near = near;
    }
    if req.budget_wan.is_some() {
        prepared.budget_wan = req.budget_wan;
    }
    let index = index.clone();
    let limit = req.limit.clamp(1, MAX_LIMIT);
    let ranker = req.ranker.clone();
    let filter = req.filter.clone();
    let exposure = req.exposure.clone();
    // At most one CPU-bound match per core at a time, first come first served: more
    // would only time-slice the cores and stretch every request (the tail most).
    let _permit = gate.acquire().await.map_err(IndexError::from)?;
    let (candidates, results, prepared) = tokio::task::spawn_blocking(move || {
        let stats = stats
            .read()
            .map_err(|_| IndexError::Poisoned("feedback stats"))?;
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let (cands, terms) = retrieve(&index, &prepared, &filter)?;
        let n = cands.len();
        let results = match &exposure {
            None => rank(ctx, &prepared, cands, &terms, limit),
            Some(control) => {
                // The factors are read under the lock and the lock released while scoring,
                // so concurrent matches do not queue behind each other; two that overlap
                // see the same recent screens (as if they had arrived together).
                let lock = || {
                    control
                        .state
                        .lock()
                        .map_err(|_| IndexError::Poisoned("exposure"))
                };
                let factors: FxHashMap<String, f64> = {
                    let shown = lock()?;
                    cands
                        .iter()
                        .filter_map(|c| {
                            let id = c.provider.id.as_str();
                            let f = shown.factor(id, control.policy);
                            (f != 1.0).then(|| (id.to_string(), f))
                        })
                        .collect()
                };
                let results = rank_with(ctx, &prepared, cands, &terms, limit, |id| {
                    factors.get(id).copied().unwrap_or(1.0)
                });
                lock()?.record(results.iter().map(|r| r.provider.id.as_str()));
                results
            }
        };
        Ok::<_, IndexError>((n, results, prepared))
    })
    .await
    .map_err(IndexError::from)??;
    Ok(MatchResponse {
        ranker: req.ranker.name(),
        model_version: model.map(|m| m.version.clone()),
        need_id: req.need_id,
        inferred: prepared.inferred,
        candidates,
        results,
        next_cursor: None,
    })
}

/// The text a need is matched by: title, description.
pub fn need_text(need: &Need) -> String {
    let mut text = need.title.clone();
    if let Some(d) = &need.description {
        text.push('。');
        text.push_str(d);
    }
    text
}

fn terms_of(analyzer: &Analyzer, text: &str) -> Vec<String> {
    analyzer.terms(text).into_iter().map(|t| t.text).collect()
}

/// Prepares a stored need: its fields (inferred when it has none), place, nearness, vectors.
pub fn prepare_need(
    need: &Need,
    analyzer: &Analyzer,
    model: Option<&crate::rank::RankerModel>,
) -> Prepared {
    let text = need_text(need);
    let reading = cues::read(&text);
    // Keywords count as strongly as repeated words.
    let extra_terms: Vec<(String, f32)> = need
        .keywords
        .iter()
        .flat_map(|k| analyzer.distinct_terms(k))
        .map(|t| (t, 2.0))
        .collect();
    let words = terms_of(analyzer, &text);
    let mut terms = words.clone();
    terms.extend(extra_terms.iter().map(|(t, _)| t.clone()));
    let mut inferred = Inferred {
        wants_near: reading.wants_near,
        ..Inferred::default()
    };
    let text_reading = TextReading::of(&text);
    let (fields, field_weights) = if need.fields.is_empty() {
        infer_fields(&mut inferred, &text_reading, &terms, model)
    } else {
        (need.fields.clone(), Vec::new())
    };
    let place = need.district.clone().or_else(|| {
        let d = reading.districts.first()?;
        inferred.district = Some(d.to_string());
        Some(Place::District(d))
    });
    let side = NeedSide {
        service: Some(need.service),
        fields,
        field_weights,
        place,
        wants_near: reading.wants_near,
    };
    let vectors = model.map(|m| m.need_vectors(&terms));
    let mut extra_terms = extra_terms;
    extra_terms.extend(expansion(analyzer, &text_reading, &words));
    Prepared {
        text,
        words,
        extra_terms,
        side,
        inferred,
        vectors,
        budget_wan: need.budget_wan,
        concepts: concepts::NeedConcepts::new(Thesaurus::get(), &text_reading.concepts),
        reading: text_reading,
    }
}

/// Weight of a query term added because it names a concept the text mentions.
const EXPANSION_WEIGHT: f32 = 0.4;
/// Most expansion terms per request.
const MAX_EXPANSION: usize = 8;

/// Query expansion from the thesaurus: the words of the other forms of each technology
/// concept the text mentions (so "白料" also finds "组合聚醚"), and of its nearest
/// broader concept, at [`EXPANSION_WEIGHT`]; words the text has already are left out.
fn expansion(analyzer: &Analyzer, reading: &TextReading, words: &[String]) -> Vec<(String, f32)> {
    let t = Thesaurus::get();
    let mut out: Vec<(String, f32)> = Vec::new();
    let have: FxHashSet<&str> = words.iter().map(String::as_str).collect();
    let add = |form: &str, w: f32, out: &mut Vec<(String, f32)>| {
        for term in analyzer.phrase_terms(form).iter() {
            if term.chars().count() >= 2
                && !have.contains(term.as_str())
                && !out.iter().any(|(x, _)| x == term)
            {
                out.push((term.clone(), w));
            }
        }
    };
    for (c, _) in &reading.concepts.direct {
        let concept = t.concept(*c);
        if concept.is_service() {
            continue;
        }
        for form in &concept.surfaces {
            add(form, EXPANSION_WEIGHT, &mut out);
        }
        if let Some(b) = concept.broader.first() {
            add(&t.concept(*b).name, EXPANSION_WEIGHT * 0.5, &mut out);
        }
        if out.len() >= MAX_EXPANSION {
            break;
        }
    }
    out.truncate(MAX_EXPANSION);
    out
}

/// Below this probability a field read from free text is not guessed (the first or a
/// second one).
pub const FIELD_CONFIDENCE: f64 = 0.4;

/// Fields of a text without stated ones, as probabilities: the thesaurus concepts' votes
/// and the model's field classifier together (the concepts alone without a model, the
/// classifier alone — less trusted — when no concept is mentioned). Abstains (nothing)
/// when the best field is below [`FIELD_CONFIDENCE`].
pub fn soft_fields(
    reading: &TextReading,
    terms: &[String],
    model: Option<&crate::rank::RankerModel>,
) -> Vec<(Field, f64)> {
    let (votes, n) = concepts::field_votes(Thesaurus::get(), &reading.concepts);
    let clf: Vec<(Field, f64)> = model
        .filter(|m| !m.fields.infer(terms).is_empty())
        .map(|m| m.fields.predict(terms))
        .unwrap_or_default();
    let mut p: Vec<(Field, f64)> = Vec::new();
    let mut add = |f: Field, w: f64| match p.iter_mut().find(|(g, _)| *g == f) {
        Some(x) => x.1 += w,
        None => p.push((f, w)),
    };
    match (n, clf.is_empty()) {
        (0, true) => return Vec::new(),
        (0, false) => clf.iter().for_each(|(f, q)| add(*f, 0.7 * q)),
        (_, true) => votes
            .iter()
            .for_each(|(f, q)| add(*f, q * (n as f64 / (n as f64 + 0.5)))),
        (_, false) => {
            // More concepts, more trust in them.
            let a = (n as f64 / (n as f64 + 1.0)).min(0.8);
            votes.iter().for_each(|(f, q)| add(*f, a * q));
            clf.iter().for_each(|(f, q)| add(*f, (1.0 - a) * q));
        }
    }
    p.retain(|(f, _)| *f != Field::Other);
    p.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if p.first().is_none_or(|(_, q)| *q < FIELD_CONFIDENCE) {
        return Vec::new();
    }
    let mut out = vec![p[0]];
    if let Some(second) = p.get(1).filter(|(_, q)| *q >= FIELD_CONFIDENCE) {
        out.push(*second);
    }
    out
}

fn infer_fields(
    inferred: &mut Inferred,
    reading: &TextReading,
    terms: &[String],
    model: Option<&crate::rank::RankerModel>,
) -> (Vec<Field>, Vec<(Field, f64)>) {
    let weights = soft_fields(reading, terms, model);
    inferred.fields_by_model = model.is_some();
    inferred.fields = weights.iter().map(|(f, _)| *f).collect();
    inferred.field_confidence = weights.clone();
    (inferred.fields.clone(), weights)
}

/// Prepares a free-text request; explicit request values win over what the text says.
pub fn prepare_text(
    text: &str,
    req: &MatchRequest,
    analyzer: &Analyzer,
    model: Option<&crate::rank::RankerModel>,
) -> Prepared {
    let reading = cues::read(text);
    let terms = terms_of(analyzer, text);
    let mut inferred = Inferred {
        wants_near: reading.wants_near,
        ..Inferred::default()
    };
    let service = req.service.or_else(|| {
        inferred.service = reading.service;
        reading.service
    });
    let text_reading = TextReading::of(text);
    let (fields, field_weights) = if req.fields.is_empty() {
        infer_fields(&mut inferred, &text_reading, &terms, model)
    } else {
        (req.fields.clone(), Vec::new())
    };
    let place = req.district.clone().or_else(|| {
        let d = reading.districts.first()?;
        inferred.district = Some(d.to_string());
        Some(Place::District(d))
    });
    let side = NeedSide {
        service,
        fields,
        field_weights,
        place,
        wants_near: req.near.unwrap_or(reading.wants_near),
    };
    inferred.wants_near = side.wants_near;
    let vectors = model.map(|m| m.need_vectors(&terms));
    let extra_terms = expansion(analyzer, &text_reading, &terms);
    Prepared {
        text: text.to_string(),
        words: terms,
        extra_terms,
        side,
        inferred,
        vectors,
        budget_wan: req.budget_wan,
        concepts: concepts::NeedConcepts::new(Thesaurus::get(), &text_reading.concepts),
        reading: text_reading,
    }
}

/// Candidate providers: by text, then by service and field. Returns them with the query
/// terms searched (for matched-term explanations).
pub fn retrieve(
    index: &SearchIndex,
    prepared: &Prepared,
    filter: &ProviderFilter,
) -> Result<(Vec<Candidate>, Vec<String>), IndexError> {
    let (hits, terms) = candidate_hits(index, prepared, filter, false)?;
    let candidates = hits
        .into_iter()
        .map(|(id_hash, parsed, bm25)| {
            let p = parsed.ok_or(IndexError::Unresolved(id_hash))?;
            Ok(Candidate {
                provider: p.provider,
                content: p.content,
                bm25,
                terms: p.terms,
                reading: p.reading,
            })
        })
        .collect::<Result<Vec<_>, IndexError>>()?;
    Ok((candidates, terms))
}

/// The same candidates as [`retrieve`], as id hashes ([`crate::search::id_hash`]) with
/// their normalised BM25, without reading any stored document (bulk work: training).
pub fn retrieve_ids(
    index: &SearchIndex,
    prepared: &Prepared,
    filter: &ProviderFilter,
) -> Result<Vec<(u64, f64)>, IndexError> {
    let (hits, _) = candidate_hits(index, prepared, filter, true)?;
    Ok(hits.into_iter().map(|(h, _, bm25)| (h, bm25)).collect())
}

/// (id hash, the parsed provider unless `ids_only`, normalised BM25).
type Hits = Vec<(u64, Option<ParsedProvider>, f64)>;

fn candidate_hits(
    index: &SearchIndex,
    prepared: &Prepared,
    provider_filter: &ProviderFilter,
    ids_only: bool,
) -> Result<(Hits, Vec<String>), IndexError> {
    let filter = provider_filter.index_filter();
    let by_text = index.search(&SearchRequest {
        text: prepared.text.clone(),
        words: Some(prepared.words.clone()),
        extra_terms: prepared.extra_terms.clone(),
        filter: filter.clone(),
        limit: TEXT_CANDIDATES,
        ids_only,
        providers: !ids_only,
        skip_total: true,
        ..SearchRequest::default()
    })?;
    let query_terms: Vec<String> = by_text.terms.iter().map(|(t, _)| t.clone()).collect();
    let best = by_text.best_score();
    let mut hits: Hits = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    for h in by_text.hits {
        seen.insert(h.id_hash);
        hits.push((h.id_hash, h.provider, f64::from(h.score / best)));
    }
    if let Some(service) = prepared.side.service {
        // The filter's own services and fields are hard; otherwise the need's guide this
        // second retrieval.
        let mut structured = filter;
        if structured.services.is_empty() {
            structured.services = vec![service];
        }
        if structured.fields.is_empty() {
            structured.fields = prepared.side.fields.clone();
        }
        let extra = index.search(&SearchRequest {
            filter: structured,
            limit: STRUCTURED_CANDIDATES + seen.len(),
            ids_only,
            providers: !ids_only,
            skip_total: true,
            ..SearchRequest::default()
        })?;
        for h in extra.hits {
            if hits.len() >= TEXT_CANDIDATES + STRUCTURED_CANDIDATES {
                break;
            }
            if seen.insert(h.id_hash) {
                hits.push((h.id_hash, h.provider, 0.0));
            }
        }
    }
    Ok((hits, query_terms))
}

/// The analysed text of a provider (name, keywords, description).
pub fn provider_terms(analyzer: &Analyzer, p: &Provider) -> Vec<String> {
    terms_of(analyzer, &provider_text(p))
}

fn provider_text(p: &Provider) -> String {
    let mut text = p.name.clone();
    for k in &p.keywords {
        text.push(' ');
        text.push_str(k);
    }
    if let Some(d) = &p.description {
        text.push(' ');
        text.push_str(d);
    }
    text
}

/// The features of one candidate. `leave_out` removes this pair's own engagement and
/// acceptance from the track record (when training on the pair).
pub fn features(
    ctx: Context<'_>,
    prepared: &Prepared,
    c: &Candidate,
    leave_out: (u32, u32),
) -> PairFeatures {
    let rec = ctx.stats.provider(c.provider.id.as_str());
    features_of(ctx, prepared, c, &rec, leave_out)
}

/// [`features`] with the provider's feedback record already looked up.
fn features_of(
    ctx: Context<'_>,
    prepared: &Prepared,
    c: &Candidate,
    rec: &ProviderRecord,
    leave_out: (u32, u32),
) -> PairFeatures {
    let p = &c.provider;
    let mut extra = Extra {
        active: rec.active,
        track_record: ctx.stats.track_record_of(rec, leave_out.0, leave_out.1),
        ..Extra::default()
    };
    let profile;
    let provider_fields: &[Field] = match (ctx.ranker.model(), &prepared.vectors) {
        (Some(m), Some(v)) => {
            profile = m.profile(p, c.content, || provider_terms(ctx.analyzer, p));
            extra.tfidf_cosine = f64::from(v.tfidf_cosine(&profile.tfidf));
            extra.lsa_cosine =
                f64::from(crate::rank::text_model::cosine_dense(&v.lsa, &profile.lsa));
            &profile.fields
        }
        _ => &p.fields,
    };
    let reading = c.reading();
    extra.concept_overlap = prepared.concepts.overlap_with(&reading.concepts);
    let (excluded, clause) = concepts::exclusion(&prepared.reading, reading);
    extra.excluded = excluded;
    let mut f = PairFeatures::compute(&prepared.side, p, provider_fields, c.bm25, extra);
    f.exclusion = clause.filter(|_| excluded > 0.0);
    f
}

/// One candidate judged: its score, the ranker's relevance, the provider side, the
/// features (the explanation's contributions are worked out only for results shown).
struct Judged {
    score: f64,
    relevance: f64,
    features: PairFeatures,
    side: ProviderSide,
    load: Load,
}

/// Judges one candidate: relevance from the ranker, times the provider side (not for the
/// BM25 floor, which is raw retrieval).
fn judge(ctx: Context<'_>, prepared: &Prepared, c: &Candidate) -> Judged {
    let rec = ctx.stats.provider(c.provider.id.as_str());
    let f = features_of(ctx, prepared, c, &rec, (0, 0));
    let relevance = ctx.ranker.score_value(&f);
    let load = Load {
        active: rec.active,
        capacity: c.provider.capacity,
    };
    let side = provider_side(
        &prepared.side,
        prepared.budget_wan,
        &c.provider,
        load,
        &f.geo,
    );
    let factor = match ctx.ranker {
        Ranker::Bm25 => 1.0,
        _ => side.factor,
    };
    Judged {
        score: relevance * factor,
        relevance,
        features: f,
        side,
        load,
    }
}

/// Scores and explains candidates; the best `limit`, best first.
pub fn rank(
    ctx: Context<'_>,
    prepared: &Prepared,
    candidates: Vec<Candidate>,
    query_terms: &[String],
    limit: usize,
) -> Vec<MatchResult> {
    rank_with(ctx, prepared, candidates, query_terms, limit, |_| 1.0)
}

/// [`rank`] with a further multiplier per provider id (exposure control).
pub fn rank_with(
    ctx: Context<'_>,
    prepared: &Prepared,
    candidates: Vec<Candidate>,
    query_terms: &[String],
    limit: usize,
    mut factor: impl FnMut(&str) -> f64,
) -> Vec<MatchResult> {
    let judged: Vec<Judged> = candidates
        .iter()
        .map(|c| {
            let mut j = judge(ctx, prepared, c);
            j.score *= factor(c.provider.id.as_str());
            j
        })
        .collect();
    // Order positions, not the judged pairs themselves (they are large).
    let mut best: Vec<usize> = (0..judged.len()).collect();
    let by_rank = |a: &usize, b: &usize| {
        judged[*b]
            .score
            .total_cmp(&judged[*a].score)
            .then_with(|| candidates[*a].provider.id.cmp(&candidates[*b].provider.id))
    };
    if best.len() > limit {
        best.select_nth_unstable_by(limit - 1, by_rank);
        best.truncate(limit);
    }
    best.sort_by(by_rank);
    let query: FxHashSet<&str> = query_terms.iter().map(String::as_str).collect();
    best.into_iter()
        .map(|i| {
            let (j, c) = (&judged[i], &candidates[i]);
            // Which concepts matched: worked out for the results shown only.
            let mut shown = j.features.clone();
            if shown.get("concept_overlap") > 0.0 {
                shown.concepts = concepts::overlap_matches(
                    Thesaurus::get(),
                    &prepared.reading.concepts,
                    &c.reading().concepts,
                );
            }
            MatchResult {
                provider: c.provider.clone(),
                score: j.score,
                relevance: j.relevance,
                explanation: Explanation::new(
                    ctx.ranker.score(&shown),
                    &shown,
                    prepared.side.service,
                    matched_terms(ctx.analyzer, c, &query),
                )
                .with_provider_side(j.side.clone(), j.load),
            }
        })
        .collect()
}

/// Scores candidates without explanations: ids best first (evaluation, training).
pub fn order(
    ctx: Context<'_>,
    prepared: &Prepared,
    candidates: &[Candidate],
) -> Vec<(f64, String)> {
    let mut v: Vec<(f64, String)> = candidates
        .iter()
        .map(|c| (judge(ctx, prepared, c).score, c.provider.id.to_string()))
        .collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    v
}

/// Query words that occur in the provider's name, keywords or description, longest first.
fn matched_terms(analyzer: &Analyzer, c: &Candidate, query: &FxHashSet<&str>) -> Vec<String> {
    let mut out: Vec<String> = c
        .terms
        .get_or_init(|| analyzer.distinct_terms(&provider_text(&c.provider)))
        .iter()
        .filter(|t| query.contains(t.as_str()) && !c.reading().scopes.excludes(t))
        .cloned()
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    out.truncate(8);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields read from free text are soft: never one below the confidence threshold, and
    /// nothing for a text whose concepts do not point anywhere.
    #[test]
    fn inferred_fields_keep_the_confidence_threshold() {
        let analyzer = Analyzer::new();
        let texts = [
            "钠电硬碳负极 高校成果",
            "柑桔皮渣提果胶 找中式试验线 万州周边",
            "hdi板激光钻孔急单打样，48小时能出不？",
            "猪用中药口服液 想在荣昌找个GMP中试车间",
            "板子打完样想先贴几百套试试",
            "锂电池正极材料和电池回收",
            "想找人聊聊",
        ];
        for text in texts {
            let reading = TextReading::of(text);
            let terms = terms_of(&analyzer, text);
            for (f, p) in soft_fields(&reading, &terms, None) {
                assert!(p >= FIELD_CONFIDENCE, "{text}: {f:?} at {p}");
            }
        }
        assert!(soft_fields(&TextReading::of("想找人聊聊"), &[], None).is_empty());
        let hdi = soft_fields(
            &TextReading::of("hdi板激光钻孔急单打样"),
            &terms_of(&analyzer, "hdi板激光钻孔急单打样"),
            None,
        );
        assert_eq!(hdi.first().map(|x| x.0), Some(Field::NextGenIt), "{hdi:?}");
    }

    fn provider(v: serde_json::Value) -> crate::domain::Record {
        crate::domain::validate::check(&v, None)
            .expect("valid record")
            .record
    }

    /// An in-memory store and index holding these records.
    async fn world(records: Vec<serde_json::Value>) -> Arc<SearchIndex> {
        let store = Store::open("sqlite::memory:").await.expect("store");
        let records: Vec<crate::domain::Record> = records.into_iter().map(provider).collect();
        store.apply(&records).await.expect("apply");
        let index = Arc::new(SearchIndex::in_memory(Arc::new(Analyzer::new())).expect("index"));
        index.catch_up(&store).await.expect("catch up");
        index
    }

    fn p(id: &str, name: &str, services: &[&str], fields: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "kind": "provider", "id": id, "name": name,
            "services": services, "fields": fields, "district": "璧山区",
        })
    }

    /// Candidates by text come first, best BM25 first and normalised to the best; then
    /// those offering the service in the need's fields whatever their wording, with BM25
    /// 0; each provider once; one matching neither is not a candidate.
    #[tokio::test]
    async fn candidates_are_text_hits_then_structured_ones() {
        let index = world(vec![
            p(
                "P-1",
                "石墨烯涂层中试基地 石墨烯 涂层",
                &["pilot_scale"],
                &["new_materials"],
            ),
            p("P-2", "自动化产线集成商", &["pilot_scale"], &["equipment"]),
            p("P-3", "石墨烯检测中心", &["testing"], &["new_materials"]),
            p("P-4", "软件开发外包", &["consulting"], &["next_gen_it"]),
            p(
                "P-5",
                "生物制药中试车间",
                &["pilot_scale"],
                &["biomedicine"],
            ),
        ])
        .await;
        let text = "石墨烯涂层";
        let mut req = MatchRequest::new(None, Some(text.into()), Ranker::Baseline);
        req.service = Some(Service::PilotScale);
        req.fields = vec![Field::Equipment];
        let prepared = prepare_text(text, &req, index.analyzer(), None);
        let (cands, terms) =
            retrieve(&index, &prepared, &ProviderFilter::default()).expect("retrieve");
        let got: Vec<(&str, bool)> = cands
            .iter()
            .map(|c| (c.provider.id.as_str(), c.bm25 > 0.0))
            .collect();
        assert_eq!(got, [("P-1", true), ("P-3", true), ("P-2", false)]);
        assert_eq!(cands[0].bm25, 1.0, "normalised to the best");
        assert!(cands[1].bm25 < 1.0);
        assert!(terms.iter().any(|t| t == "石墨烯"), "{terms:?}");
        // A hard filter applies to both retrievals.
        let only_testing = ProviderFilter {
            services: vec![Service::Testing],
            ..ProviderFilter::default()
        };
        let (cands, _) = retrieve(&index, &prepared, &only_testing).expect("retrieve");
        let ids: Vec<&str> = cands.iter().map(|c| c.provider.id.as_str()).collect();
        assert_eq!(ids, ["P-3"]);
    }

    /// Equal scores are ordered by provider id, in the shown list, in `order`, and when
    /// the list is cut at `limit`.
    #[test]
    fn ties_are_broken_by_provider_id() {
        let analyzer = Analyzer::new();
        let stats = FeedbackStats::new(Vec::new());
        let ranker = Ranker::Baseline;
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let text = "石墨烯涂层";
        let req = MatchRequest::new(None, Some(text.into()), Ranker::Baseline);
        let prepared = prepare_text(text, &req, &analyzer, None);
        let cands: Vec<Candidate> = ["P-c", "P-a", "P-d", "P-b"]
            .iter()
            .map(|id| {
                let v = p(
                    id,
                    "石墨烯涂层中试基地",
                    &["pilot_scale"],
                    &["new_materials"],
                );
                match provider(v) {
                    crate::domain::Record::Entity(Entity::Provider(x)) => {
                        Candidate::of(Arc::new(x), 0, 0.5)
                    }
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        let ids = |r: &[MatchResult]| -> Vec<String> {
            r.iter().map(|m| m.provider.id.to_string()).collect()
        };
        let all = rank(ctx, &prepared, cands.clone(), &[], 10);
        assert_eq!(ids(&all), ["P-a", "P-b", "P-c", "P-d"]);
        assert!(all.windows(2).all(|w| w[0].score == w[1].score));
        let cut = rank(ctx, &prepared, cands.clone(), &[], 2);
        assert_eq!(ids(&cut), ["P-a", "P-b"]);
        let ordered: Vec<String> = order(ctx, &prepared, &cands)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        assert_eq!(ordered, ["P-a", "P-b", "P-c", "P-d"]);
        // A factor below 1 moves a provider behind its equals, never ahead.
        let lowered = rank_with(ctx, &prepared, cands, &[], 10, |id| {
            if id == "P-a" { 0.9 } else { 1.0 }
        });
        assert_eq!(ids(&lowered), ["P-b", "P-c", "P-d", "P-a"]);
    }
}

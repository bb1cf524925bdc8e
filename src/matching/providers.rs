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

use crate::domain::cues;
use crate::domain::{Entity, EntityKind, Field, Need, Place, Provider, ProviderType, Service};
use crate::rank::model::NeedVectors;
use crate::rank::{Explanation, Extra, FeedbackStats, NeedSide, PairFeatures, Ranker};
use crate::search::{Analyzer, Filter, IndexError, SearchIndex, SearchRequest};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

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
    /// Only these provider types.
    pub provider_types: Vec<ProviderType>,
    /// How many results (default 10).
    pub limit: usize,
    /// Which ranker.
    pub ranker: Ranker,
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
    /// The stored JSON (cache key for the model's profile).
    pub doc: String,
    /// BM25 over the best candidate's (0 when retrieved by structure only).
    pub bm25: f64,
}

/// The need side of a match, ready for scoring.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Text searched.
    pub text: String,
    /// Extra weighted query terms (keywords).
    pub extra_terms: Vec<(String, f32)>,
    /// Service, fields, place, nearness.
    pub side: NeedSide,
    /// What was read or inferred.
    pub inferred: Inferred,
    /// The model's vectors of the text, when the ranker has a model.
    pub vectors: Option<NeedVectors>,
}

/// What the service read from a free text.
#[derive(Debug, Clone, Default, Serialize)]
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
    /// Whether `fields` came from the learned field classifier (else from cue words).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fields_by_model: bool,
}

/// One ranked provider.
#[derive(Debug, Clone, Serialize)]
pub struct MatchResult {
    /// The provider record.
    pub provider: serde_json::Value,
    /// The score.
    pub score: f64,
    /// Why.
    pub explanation: Explanation,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct MatchResponse {
    /// Ranker used.
    pub ranker: &'static str,
    /// Model version (none for the baseline and BM25).
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
}

/// Ranks providers for a need or a free-text request.
pub async fn match_providers(
    store: &Store,
    index: &Arc<SearchIndex>,
    stats: Arc<RwLock<FeedbackStats>>,
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
    let index = index.clone();
    let limit = req.limit.clamp(1, MAX_LIMIT);
    let ranker = req.ranker.clone();
    let provider_types = req.provider_types.clone();
    let (candidates, results, prepared) = tokio::task::spawn_blocking(move || {
        let stats = stats
            .read()
            .map_err(|_| IndexError::Task("feedback stats lock poisoned".into()))?;
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let (cands, terms) = retrieve(&index, &prepared, &provider_types)?;
        let n = cands.len();
        let results = rank(ctx, &prepared, cands, &terms, limit);
        Ok::<_, IndexError>((n, results, prepared))
    })
    .await
    .map_err(|e| IndexError::Task(e.to_string()))??;
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
    let mut terms = terms_of(analyzer, &text);
    terms.extend(extra_terms.iter().map(|(t, _)| t.clone()));
    let mut inferred = Inferred {
        wants_near: reading.wants_near,
        ..Inferred::default()
    };
    let fields = if need.fields.is_empty() {
        infer_fields(&mut inferred, &reading, &terms, model)
    } else {
        need.fields.clone()
    };
    let place = need.district.clone().or_else(|| {
        let d = reading.districts.first()?;
        inferred.district = Some(d.to_string());
        Some(Place::District(d))
    });
    let side = NeedSide {
        service: Some(need.service),
        fields,
        place,
        wants_near: reading.wants_near,
    };
    let vectors = model.map(|m| m.need_vectors(&terms));
    Prepared {
        text,
        extra_terms,
        side,
        inferred,
        vectors,
    }
}

fn infer_fields(
    inferred: &mut Inferred,
    reading: &cues::Reading,
    terms: &[String],
    model: Option<&crate::rank::RankerModel>,
) -> Vec<Field> {
    let fields = match model {
        Some(m) => {
            inferred.fields_by_model = true;
            m.fields.infer(terms)
        }
        None => reading.fields.clone(),
    };
    inferred.fields = fields.clone();
    fields
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
    let fields = if req.fields.is_empty() {
        infer_fields(&mut inferred, &reading, &terms, model)
    } else {
        req.fields.clone()
    };
    let place = req.district.clone().or_else(|| {
        let d = reading.districts.first()?;
        inferred.district = Some(d.to_string());
        Some(Place::District(d))
    });
    let side = NeedSide {
        service,
        fields,
        place,
        wants_near: reading.wants_near,
    };
    let vectors = model.map(|m| m.need_vectors(&terms));
    Prepared {
        text: text.to_string(),
        extra_terms: Vec::new(),
        side,
        inferred,
        vectors,
    }
}

/// Candidate providers: by text, then by service and field. Returns them with the query
/// terms searched (for matched-term explanations).
pub fn retrieve(
    index: &SearchIndex,
    prepared: &Prepared,
    provider_types: &[ProviderType],
) -> Result<(Vec<Candidate>, Vec<String>), IndexError> {
    let (hits, terms) = candidate_hits(index, prepared, provider_types, false)?;
    let candidates = hits
        .into_iter()
        .map(|(_, id, doc, bm25)| {
            Ok(Candidate {
                provider: index.parsed_provider(&id, &doc)?,
                doc,
                bm25,
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
    provider_types: &[ProviderType],
) -> Result<Vec<(u64, f64)>, IndexError> {
    let (hits, _) = candidate_hits(index, prepared, provider_types, true)?;
    Ok(hits.into_iter().map(|(h, _, _, bm25)| (h, bm25)).collect())
}

/// (id hash, id, stored document, normalised BM25).
type Hits = Vec<(u64, String, String, f64)>;

fn candidate_hits(
    index: &SearchIndex,
    prepared: &Prepared,
    provider_types: &[ProviderType],
    ids_only: bool,
) -> Result<(Hits, Vec<String>), IndexError> {
    let filter = Filter {
        kinds: vec![EntityKind::Provider],
        provider_types: provider_types.to_vec(),
        ..Filter::default()
    };
    let by_text = index.search(&SearchRequest {
        text: prepared.text.clone(),
        extra_terms: prepared.extra_terms.clone(),
        filter: filter.clone(),
        limit: TEXT_CANDIDATES,
        ids_only,
        ..SearchRequest::default()
    })?;
    let query_terms: Vec<String> = by_text.terms.iter().map(|(t, _)| t.clone()).collect();
    let best = by_text.best_score();
    let mut hits: Hits = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    for h in by_text.hits {
        seen.insert(h.id_hash);
        hits.push((h.id_hash, h.id, h.doc, f64::from(h.score / best)));
    }
    if let Some(service) = prepared.side.service {
        let mut structured = filter;
        structured.services = vec![service];
        structured.fields = prepared.side.fields.clone();
        let extra = index.search(&SearchRequest {
            filter: structured,
            limit: STRUCTURED_CANDIDATES + seen.len(),
            ids_only,
            ..SearchRequest::default()
        })?;
        for h in extra.hits {
            if hits.len() >= TEXT_CANDIDATES + STRUCTURED_CANDIDATES {
                break;
            }
            if seen.insert(h.id_hash) {
                hits.push((h.id_hash, h.id, h.doc, 0.0));
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
    let p = &c.provider;
    let rec = ctx.stats.provider(p.id.as_str());
    let mut extra = Extra {
        active: rec.active,
        track_record: ctx
            .stats
            .track_record(p.id.as_str(), leave_out.0, leave_out.1),
        ..Extra::default()
    };
    let profile_fields;
    let provider_fields: &[Field] = match (ctx.ranker.model(), &prepared.vectors) {
        (Some(m), Some(v)) => {
            let prof = m.profile(p, &c.doc, || provider_terms(ctx.analyzer, p));
            extra.tfidf_cosine = f64::from(crate::rank::text_model::cosine_sparse(
                &v.tfidf,
                &prof.tfidf,
            ));
            extra.lsa_cosine = f64::from(crate::rank::text_model::cosine_dense(&v.lsa, &prof.lsa));
            profile_fields = prof.fields.clone();
            &profile_fields
        }
        _ => &p.fields,
    };
    PairFeatures::compute(&prepared.side, p, provider_fields, c.bm25, extra)
}

/// Scores and explains candidates; the best `limit`, best first.
pub fn rank(
    ctx: Context<'_>,
    prepared: &Prepared,
    candidates: Vec<Candidate>,
    query_terms: &[String],
    limit: usize,
) -> Vec<MatchResult> {
    let mut scored: Vec<(f64, Candidate, PairFeatures, crate::rank::Scored)> = candidates
        .into_iter()
        .map(|c| {
            let f = features(ctx, prepared, &c, (0, 0));
            let s = ctx.ranker.score(&f);
            (s.score, c, f, s)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.provider.id.cmp(&b.1.provider.id))
    });
    let query: HashSet<&str> = query_terms.iter().map(String::as_str).collect();
    scored
        .into_iter()
        .take(limit)
        .map(|(score, c, f, s)| {
            let matched = matched_terms(ctx.analyzer, &c.provider, &query);
            MatchResult {
                provider: serde_json::to_value(&*c.provider).expect("providers serialise"),
                score,
                explanation: Explanation::new(s, &f, prepared.side.service, matched),
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
        .map(|c| {
            (
                ctx.ranker.score(&features(ctx, prepared, c, (0, 0))).score,
                c.provider.id.to_string(),
            )
        })
        .collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    v
}

/// Query words that occur in the provider's name, keywords or description, longest first.
fn matched_terms(analyzer: &Analyzer, p: &Provider, query: &HashSet<&str>) -> Vec<String> {
    let mut out: Vec<String> = analyzer
        .distinct_terms(&provider_text(p))
        .into_iter()
        .filter(|t| query.contains(t.as_str()))
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    out.truncate(8);
    out
}

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
use crate::rank::{Explanation, NeedSide, PairFeatures, Ranker};
use crate::search::{Filter, IndexError, SearchIndex, SearchRequest};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
    req: MatchRequest,
) -> Result<MatchResponse, MatchError> {
    let (text, side, inferred, extra_terms) = match (&req.need_id, &req.text) {
        (Some(id), _) => {
            let need = match store.get(EntityKind::Need, id).await? {
                Some(Entity::Need(n)) => n,
                _ => return Err(MatchError::NeedNotFound(id.clone())),
            };
            need_side(&need, index)
        }
        (None, Some(text)) if !text.trim().is_empty() => {
            let chars = text.chars().count();
            if chars > MAX_TEXT_CHARS {
                return Err(MatchError::TextTooLong(chars));
            }
            free_text_side(text, &req)
        }
        _ => return Err(MatchError::NothingToMatch),
    };
    let index = index.clone();
    let limit = req.limit.clamp(1, MAX_LIMIT);
    let ranker = req.ranker;
    let provider_types = req.provider_types.clone();
    let (candidates, results) = tokio::task::spawn_blocking(move || {
        rank_candidates(&index, &text, extra_terms, &side, &provider_types, ranker, limit)
    })
    .await
    .map_err(|e| IndexError::Task(e.to_string()))??;
    Ok(MatchResponse {
        ranker: ranker.name(),
        model_version: None,
        need_id: req.need_id,
        inferred,
        candidates,
        results,
        next_cursor: None,
    })
}

type Side = (String, NeedSide, Inferred, Vec<(String, f32)>);

fn need_side(need: &Need, index: &SearchIndex) -> Side {
    let mut text = need.title.clone();
    if let Some(d) = &need.description {
        text.push('。');
        text.push_str(d);
    }
    let reading = cues::read(&text);
    // Keywords count as strongly as repeated words.
    let extra: Vec<(String, f32)> = need
        .keywords
        .iter()
        .flat_map(|k| index.analyzer().distinct_terms(k))
        .map(|t| (t, 2.0))
        .collect();
    let mut inferred = Inferred { wants_near: reading.wants_near, ..Inferred::default() };
    let fields = if need.fields.is_empty() {
        inferred.fields = reading.fields.clone();
        reading.fields
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
    (text, side, inferred, extra)
}

fn free_text_side(text: &str, req: &MatchRequest) -> Side {
    let reading = cues::read(text);
    let mut inferred = Inferred { wants_near: reading.wants_near, ..Inferred::default() };
    let service = req.service.or_else(|| {
        inferred.service = reading.service;
        reading.service
    });
    let fields = if req.fields.is_empty() {
        inferred.fields = reading.fields.clone();
        reading.fields
    } else {
        req.fields.clone()
    };
    let place = req.district.clone().or_else(|| {
        let d = reading.districts.first()?;
        inferred.district = Some(d.to_string());
        Some(Place::District(d))
    });
    let side = NeedSide { service, fields, place, wants_near: reading.wants_near };
    (text.to_string(), side, inferred, Vec::new())
}

fn rank_candidates(
    index: &SearchIndex,
    text: &str,
    extra_terms: Vec<(String, f32)>,
    side: &NeedSide,
    provider_types: &[ProviderType],
    ranker: Ranker,
    limit: usize,
) -> Result<(usize, Vec<MatchResult>), IndexError> {
    let filter = Filter {
        kinds: vec![EntityKind::Provider],
        provider_types: provider_types.to_vec(),
        ..Filter::default()
    };
    let by_text = index.search(&SearchRequest {
        text: text.to_string(),
        extra_terms,
        filter: filter.clone(),
        limit: TEXT_CANDIDATES,
        ..SearchRequest::default()
    })?;
    let query_terms: Vec<String> = by_text.terms.iter().map(|(t, _)| t.clone()).collect();
    let best = by_text.hits.first().map(|h| h.score).unwrap_or(0.0).max(f32::EPSILON);
    let mut docs: Vec<(String, f64)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for h in by_text.hits {
        seen.insert(h.id.clone());
        docs.push((h.doc, f64::from(h.score / best)));
    }
    if let Some(service) = side.service {
        let mut structured = filter.clone();
        structured.services = vec![service];
        structured.fields = side.fields.clone();
        let extra = index.search(&SearchRequest {
            filter: structured,
            limit: STRUCTURED_CANDIDATES + seen.len(),
            ..SearchRequest::default()
        })?;
        for h in extra.hits {
            if docs.len() >= TEXT_CANDIDATES + STRUCTURED_CANDIDATES {
                break;
            }
            if seen.insert(h.id.clone()) {
                docs.push((h.doc, 0.0));
            }
        }
    }
    let mut scored: Vec<(f64, Provider, PairFeatures, crate::rank::Scored)> = Vec::with_capacity(docs.len());
    for (doc, bm25) in &docs {
        let p: Provider = serde_json::from_str(doc)
            .map_err(|e| IndexError::Task(format!("stored provider does not parse: {e}")))?;
        let f = PairFeatures::compute(side, &p, *bm25);
        let s = ranker.score(&f);
        scored.push((s.score, p, f, s));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let candidates = scored.len();
    let weights: HashMap<&str, ()> = query_terms.iter().map(|t| (t.as_str(), ())).collect();
    let results = scored
        .into_iter()
        .take(limit)
        .map(|(score, p, f, s)| {
            let matched = matched_terms(index, &p, &weights);
            MatchResult {
                provider: serde_json::to_value(&p).expect("providers serialise"),
                score,
                explanation: Explanation::new(s, &f, side.service, matched),
            }
        })
        .collect();
    Ok((candidates, results))
}

/// Query words that occur in the provider's name, keywords or description, longest first.
fn matched_terms(index: &SearchIndex, p: &Provider, query: &HashMap<&str, ()>) -> Vec<String> {
    let mut text = p.name.clone();
    for k in &p.keywords {
        text.push(' ');
        text.push_str(k);
    }
    if let Some(d) = &p.description {
        text.push(' ');
        text.push_str(d);
    }
    let mut out: Vec<String> = index
        .analyzer()
        .distinct_terms(&text)
        .into_iter()
        .filter(|t| query.contains_key(t.as_str()))
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    out.truncate(8);
    out
}

//! Retrieval: the analysed query (terms plus synonyms, each an OR'ed, boosted term query
//! over name and body — never tantivy's QueryParser, which turns unspaced Chinese into
//! phrase queries), hard filters, BM25 ranking, snippets.

use super::index::{IndexError, ParsedProvider, SearchIndex};
use super::text::ZhTokenizer;
use super::weights::CachedTermQuery;
use crate::domain::{EntityKind, Field, NeedStatus, ProviderType, Service};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, TantivyDocument, Term};

/// Most distinct query terms used: long need descriptions keep the words that say the
/// most (repetition × inverse document frequency); common words would cost postings
/// to walk and add little.
const MAX_QUERY_TERMS: usize = 40;
/// Boost of a match in the name/title over one in the body.
const NAME_BOOST: f32 = 1.5;
/// Weight of a synonym relative to the word the user wrote.
const SYNONYM_WEIGHT: f32 = 0.7;

/// Hard filters: within one list any value may match, across lists all must.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Entity kinds.
    pub kinds: Vec<EntityKind>,
    /// Provider types.
    pub provider_types: Vec<ProviderType>,
    /// Places (official names, `全市`, or outside names), matched against a record's base
    /// and served districts.
    pub districts: Vec<String>,
    /// Fields.
    pub fields: Vec<Field>,
    /// Services (a need's service, a provider's services).
    pub services: Vec<Service>,
    /// Need status.
    pub statuses: Vec<NeedStatus>,
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Free text (may be empty: then filters alone select).
    pub text: String,
    /// The analysed words of `text`, when the caller has them already (then `text` is not
    /// analysed again).
    pub words: Option<Vec<String>>,
    /// Extra weighted terms (already normalised), e.g. a need's keywords.
    pub extra_terms: Vec<(String, f32)>,
    /// Hard filters.
    pub filter: Filter,
    /// How many hits to return.
    pub limit: usize,
    /// How many to skip.
    pub offset: usize,
    /// Whether to build highlighted snippets.
    pub snippets: bool,
    /// Only id hashes and scores (no stored documents read; `Hit::id` and `Hit::doc` are
    /// empty and `kind` is the first filter kind). Much cheaper for bulk work such as
    /// training.
    pub ids_only: bool,
    /// Resolve every hit (providers only: filter on that kind) to its parsed record,
    /// `Hit::provider`, through the index's cache of parsed providers: a provider seen
    /// before in the same document is neither read nor parsed again (`doc` stays empty).
    /// The serving path of matching.
    pub providers: bool,
    /// Do not count every match (`SearchResults::total` is then the hits returned): the
    /// count visits every matching document, while the best `limit` alone can skip
    /// blocks that cannot enter them.
    pub skip_total: bool,
}

/// One hit.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Entity id (empty for `ids_only` and `providers` searches: use `id_hash`, or the
    /// parsed provider's id).
    pub id: String,
    /// [`crate::search::id_hash`] of kind and id.
    pub id_hash: u64,
    /// Entity kind.
    pub kind: EntityKind,
    /// BM25 score (0 when only filters selected).
    pub score: f32,
    /// The stored record (import-format JSON).
    pub doc: String,
    /// HTML snippet with `<b>` around matched words, when asked for.
    pub snippet: Option<String>,
    /// The parsed provider, for [`SearchRequest::providers`] searches.
    pub provider: Option<ParsedProvider>,
}

/// A page of hits.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Hits matching in all.
    pub total: usize,
    /// This page.
    pub hits: Vec<Hit>,
    /// The query terms searched for (including synonyms), with weights.
    pub terms: Vec<(String, f32)>,
}

impl SearchResults {
    /// The best hit's score (at least `f32::EPSILON`), for normalising scores per query.
    pub fn best_score(&self) -> f32 {
        self.hits
            .first()
            .map(|h| h.score)
            .unwrap_or(0.0)
            .max(f32::EPSILON)
    }
}

impl SearchIndex {
    /// The weighted terms of a text: distinct analysed words (weight grows with
    /// repetition), then their synonyms at a lower weight.
    pub fn query_terms(&self, text: &str, extra: &[(String, f32)]) -> Vec<(String, f32)> {
        let words = self.analyzer.terms(text).into_iter().map(|t| t.text);
        self.weigh_query_words(words, extra)
    }

    /// [`SearchIndex::query_terms`] of analysed words.
    fn weigh_query_words(
        &self,
        analysed: impl IntoIterator<Item = String>,
        extra: &[(String, f32)],
    ) -> Vec<(String, f32)> {
        let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
        for (pos, t) in analysed.into_iter().enumerate() {
            counts.entry(t).or_insert((0, pos)).0 += 1;
        }
        let mut words: Vec<(String, usize, usize)> =
            counts.into_iter().map(|(w, (n, p))| (w, n, p)).collect();
        if words.len() > MAX_QUERY_TERMS {
            let searcher = self.reader.searcher();
            let generation = searcher.generation().generation_id();
            let n = searcher.num_docs().max(1) as f32;
            let fields = self.text_fields(&[]);
            let informative = |w: &str, tf: usize| -> f32 {
                let df = self.doc_freqs.get(generation, w).unwrap_or_else(|| {
                    let df = fields
                        .iter()
                        .map(|&(f, _)| searcher.doc_freq(&Term::from_field_text(f, w)).unwrap_or(0))
                        .max()
                        .unwrap_or(0);
                    self.doc_freqs.put(generation, w.to_string(), df);
                    df
                }) as f32;
                (1.0 + (tf as f32).ln()) * (n / (df + 1.0)).ln().max(0.0)
            };
            let mut scored: Vec<(f32, (String, usize, usize))> = words
                .into_iter()
                .map(|w| (informative(&w.0, w.1), w))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.2.cmp(&b.1.2)));
            words = scored
                .into_iter()
                .take(MAX_QUERY_TERMS)
                .map(|(_, w)| w)
                .collect();
        }
        words.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.0.chars().count().cmp(&a.0.chars().count()))
                .then(a.2.cmp(&b.2))
        });
        let mut terms: Vec<(String, f32)> = words
            .into_iter()
            .map(|(w, n, _)| (w, 1.0 + (n as f32).ln()))
            .collect();
        for (t, w) in extra {
            match terms.iter_mut().find(|(x, _)| x == t) {
                Some(e) => e.1 = e.1.max(*w),
                None => terms.push((t.clone(), *w)),
            }
        }
        let mut synonyms: Vec<(String, f32)> = Vec::new();
        for (t, w) in &terms {
            for s in self.analyzer.synonyms_of(t) {
                if !terms.iter().any(|(x, _)| x == s) && !synonyms.iter().any(|(x, _)| x == s) {
                    synonyms.push((s.clone(), w * SYNONYM_WEIGHT));
                }
            }
        }
        terms.extend(synonyms);
        terms
    }

    /// The text fields searched for these kinds (all when none is given).
    fn text_fields(&self, kinds: &[EntityKind]) -> Vec<(tantivy::schema::Field, f32)> {
        let providers = kinds.is_empty() || kinds.contains(&EntityKind::Provider);
        let others = kinds.is_empty() || kinds.iter().any(|k| *k != EntityKind::Provider);
        let mut out = Vec::new();
        for (wanted, kind) in [
            (others, EntityKind::Need),
            (providers, EntityKind::Provider),
        ] {
            if wanted {
                let (name, body) = self.fields.text_of(kind);
                out.push((name, NAME_BOOST));
                out.push((body, 1.0));
            }
        }
        out
    }

    /// A term query on `text` in `field`, its weight shared per snapshot.
    fn term_query(&self, field: tantivy::schema::Field, text: &str) -> CachedTermQuery {
        CachedTermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
            self.weights.clone(),
        )
    }

    fn text_query(&self, terms: &[(String, f32)], kinds: &[EntityKind]) -> Option<Box<dyn Query>> {
        if terms.is_empty() {
            return None;
        }
        let fields = self.text_fields(kinds);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            Vec::with_capacity(terms.len() * fields.len());
        for (t, w) in terms {
            for &(field, boost) in &fields {
                let q = self.term_query(field, t);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), w * boost)),
                ));
            }
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn filter_clauses(&self, filter: &Filter) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut any_of = |field, values: Vec<&str>| {
            if values.is_empty() {
                return;
            }
            // What `BooleanQuery::new_multiterms_query` builds, with cached weights.
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .into_iter()
                .map(|v| {
                    let q: Box<dyn Query> = Box::new(self.term_query(field, v));
                    (Occur::Should, q)
                })
                .collect();
            out.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        };
        any_of(f.kind, filter.kinds.iter().map(|k| k.code()).collect());
        any_of(
            f.provider_type,
            filter.provider_types.iter().map(|k| k.code()).collect(),
        );
        any_of(
            f.district,
            filter.districts.iter().map(String::as_str).collect(),
        );
        any_of(f.field, filter.fields.iter().map(|k| k.code()).collect());
        any_of(
            f.service,
            filter.services.iter().map(|k| k.code()).collect(),
        );
        any_of(f.status, filter.statuses.iter().map(|k| k.code()).collect());
        out
    }

    /// What `SnippetGenerator::create` builds (the query's terms in `field` that occur,
    /// rarer ones weighing more), but reading the text with
    /// [`ZhTokenizer::in_text_order`], whose offsets never go backwards.
    fn snippet_generator(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        field: tantivy::schema::Field,
        max_chars: usize,
    ) -> Result<SnippetGenerator, IndexError> {
        let mut terms: BTreeSet<Term> = BTreeSet::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field {
                terms.insert(term.clone());
            }
        });
        let mut weights: BTreeMap<String, f32> = BTreeMap::new();
        for term in terms {
            let Some(text) = term.value().as_str().map(str::to_string) else {
                continue;
            };
            let doc_freq = searcher.doc_freq(&term)?;
            if doc_freq > 0 {
                weights.insert(text, 1.0 / (1.0 + doc_freq as f32));
            }
        }
        let tokenizer = TextAnalyzer::from(ZhTokenizer::in_text_order(self.analyzer.clone()));
        Ok(SnippetGenerator::new(weights, tokenizer, field, max_chars))
    }

    /// Runs a search on the current snapshot. CPU-bound: call it off the async threads.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let terms = match &req.words {
            Some(words) => self.weigh_query_words(words.iter().cloned(), &req.extra_terms),
            None => self.query_terms(&req.text, &req.extra_terms),
        };
        let text = self.text_query(&terms, &req.filter.kinds);
        let mut clauses = self.filter_clauses(&req.filter);
        let has_text = text.is_some();
        match text {
            Some(t) => clauses.push((Occur::Must, t)),
            None if clauses.is_empty() => clauses.push((Occur::Must, Box::new(AllQuery))),
            None => {}
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let limit = req.limit.max(1);
        let best = TopDocs::with_limit(limit)
            .and_offset(req.offset)
            .order_by_score();
        let (top, total) = if req.skip_total {
            let top = searcher.search(&query, &best)?;
            let n = top.len();
            (top, n)
        } else {
            searcher.search(&query, &(best, Count))?
        };
        // Snippet generators per text field, built on first use.
        let mut generators: HashMap<tantivy::schema::Field, SnippetGenerator> = HashMap::new();
        let mut snippet_of = |field, d: &TantivyDocument, chars| -> Result<String, IndexError> {
            let g = match generators.entry(field) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(self.snippet_generator(&searcher, &query, field, chars)?)
                }
            };
            Ok(g.snippet_from_doc(d).to_html())
        };
        let mut hits = Vec::with_capacity(top.len());
        if req.ids_only || req.providers {
            let kind = req
                .filter
                .kinds
                .first()
                .copied()
                .unwrap_or(EntityKind::Provider);
            let mut columns = HashMap::new();
            for (score, addr) in top {
                let column = match columns.entry(addr.segment_ord) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        let col = searcher
                            .segment_reader(addr.segment_ord)
                            .fast_fields()
                            .u64("id_hash")?;
                        v.insert(col)
                    }
                };
                let id_hash = column.first(addr.doc_id).unwrap_or(0);
                let provider = if req.providers {
                    Some(self.provider_at(&searcher, addr, id_hash)?)
                } else {
                    None
                };
                hits.push(Hit {
                    id: String::new(),
                    id_hash,
                    kind,
                    score: if has_text { score } else { 0.0 },
                    doc: String::new(),
                    snippet: None,
                    provider,
                });
            }
            return Ok(SearchResults { total, hits, terms });
        }
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let get = |field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let kind =
                EntityKind::parse(&get(self.fields.kind)).map_err(|e| IndexError::BadDocument {
                    what: "kind",
                    detail: e.message,
                })?;
            let (name_field, body_field) = self.fields.text_of(kind);
            let snippet = match (req.snippets, has_text) {
                (true, true) => {
                    let s = snippet_of(body_field, &d, 120)?;
                    Some(if s.is_empty() {
                        snippet_of(name_field, &d, 60)?
                    } else {
                        s
                    })
                }
                (true, false) => {
                    let body = get(body_field);
                    Some(html_escape(&body.chars().take(120).collect::<String>()))
                }
                _ => None,
            };
            let id = get(self.fields.id);
            hits.push(Hit {
                id_hash: crate::search::id_hash(kind, &id),
                id,
                kind,
                score: if has_text { score } else { 0.0 },
                doc: get(self.fields.doc),
                snippet,
                provider: None,
            });
        }
        Ok(SearchResults { total, hits, terms })
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use crate::domain::validate::check;
    use crate::store::Store;
    use std::sync::Arc;

    async fn fixture(lines: &[serde_json::Value]) -> (Store, Arc<SearchIndex>) {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let recs: Vec<Record> = lines
            .iter()
            .map(|v| check(v, None).unwrap().record)
            .collect();
        store.apply(&recs).await.unwrap();
        let idx =
            Arc::new(SearchIndex::in_memory(Arc::new(crate::search::Analyzer::new())).unwrap());
        idx.catch_up(&store).await.unwrap();
        (store, idx)
    }

    fn req(text: &str) -> SearchRequest {
        SearchRequest {
            text: text.into(),
            limit: 10,
            snippets: true,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn finds_across_segmentation_and_synonyms_with_filters() {
        let (store, idx) = fixture(&[
            serde_json::json!({"kind":"provider","id":"P-1","name":"璧山复材中试基地","provider_type":"pilot_platform",
                "district":"璧山区","services":["pilot_scale"],"fields":["new_materials"],"description":"碳纤维预浸料中试熟化"}),
            serde_json::json!({"kind":"provider","id":"P-2","name":"电池检测中心","provider_type":"transfer_agency",
                "district":"两江新区","services":["testing"],"fields":["new_energy"],"description":"锂离子电池安全检测"}),
        ]).await;
        let r = idx.search(&req("熟化 中试")).unwrap();
        assert_eq!(r.hits[0].id, "P-1");
        assert!(r.hits[0].snippet.as_deref().unwrap().contains("<b>"));
        let r = idx.search(&req("动力电池")).unwrap();
        assert_eq!(
            r.hits.first().map(|h| h.id.as_str()),
            Some("P-2"),
            "synonym finds its partner"
        );
        let mut filtered = req("中试 检测");
        filtered.filter.districts = vec!["两江新区".into()];
        let r = idx.search(&filtered).unwrap();
        assert_eq!(
            r.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            vec!["P-2"]
        );
        // A deletion reaches the index on the next catch-up.
        store.delete(EntityKind::Provider, "P-2").await.unwrap();
        idx.catch_up(&store).await.unwrap();
        assert_eq!(idx.search(&req("锂离子电池")).unwrap().total, 0);
        assert_eq!(idx.status().applied_seq, store.last_seq().await.unwrap());
    }

    /// Regression: a five-character dictionary word (碳纤维复合材料: its 2-grams come before
    /// its 3-grams) across a snippet fragment's boundary made tantivy's fragment search
    /// subtract past zero — a panic in debug builds, a 500 from `GET /v1/search`.
    #[tokio::test]
    async fn snippets_survive_long_words_at_any_offset() {
        let lines: Vec<serde_json::Value> = (0..48)
            .map(|i| {
                serde_json::json!({"kind":"provider","id":format!("P-{i}"),"name":"复材平台",
                    "description":format!("{}碳纤维复合材料中试，碳纤维复合材料检测", "试".repeat(i))})
            })
            .collect();
        let (_store, idx) = fixture(&lines).await;
        let mut r = req("碳纤维复合材料");
        r.limit = 100;
        let found = idx.search(&r).unwrap();
        assert_eq!(found.hits.len(), 48);
        for h in &found.hits {
            assert!(
                h.snippet.as_deref().unwrap().contains("<b>"),
                "{:?}",
                h.snippet
            );
        }
    }
}

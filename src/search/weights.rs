//! Term weights kept for the life of an index snapshot.
//!
//! A match query has up to ~120 term clauses (40 words and their synonyms, over a name
//! and a body field, plus the filters). For every clause tantivy builds a `TermWeight`
//! each time: a term-dictionary lookup for the document frequency, the field's token
//! total, and a 256-entry table of BM25 term-frequency components. All of that is a
//! function of the term and the searcher's snapshot alone — the boost is applied later,
//! when the scorer is made — so a weight built once serves every later query on the
//! same snapshot with the very same scores. [`CachedTermQuery`] is a `TermQuery` that
//! takes its weight from this cache; a new snapshot (a reload after a commit) starts an
//! empty cache.
//!
//! Only weights built from the searcher's own statistics are cached (searches that run
//! through `Searcher::search`, as all of ours do); with scoring disabled the plain
//! `TermQuery` weight is used.

use rustc_hash::FxHashMap;
use std::sync::{Arc, RwLock};
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term};

/// Entries kept before a cache is cleared (a weight is about 1.5 KB: the term-frequency
/// table dominates).
const SNAPSHOT_CACHE_LIMIT: usize = 20_000;

/// Values that hold for one searcher generation (one snapshot of the index): the first
/// use under a newer generation empties it.
pub(super) struct SnapshotCache<K, V> {
    inner: RwLock<(u64, FxHashMap<K, V>)>,
}

impl<K, V> Default for SnapshotCache<K, V> {
    fn default() -> Self {
        SnapshotCache {
            inner: RwLock::new((0, FxHashMap::default())),
        }
    }
}

impl<K, V> std::fmt::Debug for SnapshotCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.read().map(|g| g.1.len()).unwrap_or(0);
        f.debug_struct("SnapshotCache")
            .field("entries", &n)
            .finish()
    }
}

impl<K: Eq + std::hash::Hash, V: Clone> SnapshotCache<K, V> {
    /// The value of `key` in `generation`, when kept.
    pub(super) fn get<Q>(&self, generation: u64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        let g = self.inner.read().ok()?;
        if g.0 != generation {
            return None;
        }
        g.1.get(key).cloned()
    }

    /// Keeps `value` for `key` in `generation` (dropped when an older generation's).
    pub(super) fn put(&self, generation: u64, key: K, value: V) {
        let Ok(mut g) = self.inner.write() else {
            return;
        };
        if g.0 != generation {
            // A search still running on an older snapshot puts nothing a newer one reads.
            if generation < g.0 {
                return;
            }
            g.1.clear();
            g.0 = generation;
        }
        if g.1.len() >= SNAPSHOT_CACHE_LIMIT {
            g.1.clear();
        }
        g.1.insert(key, value);
    }
}

/// Term weights by term and record option.
pub(super) type WeightCache = SnapshotCache<(Term, IndexRecordOption), Arc<dyn Weight>>;

/// A term query whose scoring weight comes from a [`WeightCache`].
#[derive(Clone, Debug)]
pub(super) struct CachedTermQuery {
    query: TermQuery,
    key: (Term, IndexRecordOption),
    cache: Arc<WeightCache>,
}

impl CachedTermQuery {
    pub(super) fn new(term: Term, option: IndexRecordOption, cache: Arc<WeightCache>) -> Self {
        CachedTermQuery {
            query: TermQuery::new(term.clone(), option),
            key: (term, option),
            cache,
        }
    }
}

impl Query for CachedTermQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let searcher = match enable_scoring {
            EnableScoring::Enabled {
                searcher,
                statistics_provider,
            } if std::ptr::addr_eq(
                statistics_provider as *const dyn tantivy::query::Bm25StatisticsProvider,
                searcher as *const tantivy::Searcher,
            ) =>
            {
                searcher
            }
            _ => return self.query.weight(enable_scoring),
        };
        let generation = searcher.generation().generation_id();
        if let Some(w) = self.cache.get(generation, &self.key) {
            return Ok(Box::new(SharedWeight(w)));
        }
        let w: Arc<dyn Weight> = Arc::from(self.query.weight(enable_scoring)?);
        self.cache.put(generation, self.key.clone(), w.clone());
        Ok(Box::new(SharedWeight(w)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
    }
}

/// A cached weight, shared: every method is the inner weight's own, so a boolean query
/// still sees its clauses' term scorers (and prunes with block-max WAND).
struct SharedWeight(Arc<dyn Weight>);

impl Weight for SharedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        self.0.scorer_danger(reader, target, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.0.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.0.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.0.for_each_pruning(threshold, reader, callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, ReloadPolicy, doc};

    /// Scores of a boolean query over `words`, each clause boosted by its position.
    fn scores(
        searcher: &tantivy::Searcher,
        field: tantivy::schema::Field,
        words: &[&str],
        cache: Option<&Arc<WeightCache>>,
    ) -> Vec<(u32, f32)> {
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let term = Term::from_field_text(field, w);
                let q: Box<dyn Query> = match cache {
                    Some(c) => Box::new(CachedTermQuery::new(
                        term,
                        IndexRecordOption::WithFreqs,
                        c.clone(),
                    )),
                    None => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                };
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(q, 1.0 + i as f32)) as Box<dyn Query>,
                )
            })
            .collect();
        let top = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(100).order_by_score(),
            )
            .unwrap();
        top.into_iter().map(|(s, a)| (a.doc_id, s)).collect()
    }

    #[test]
    fn cached_weights_score_exactly_as_fresh_ones_and_follow_new_snapshots() {
        let mut b = Schema::builder();
        let body = b.add_text_field("body", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for text in [
            "pilot scale carbon fibre",
            "carbon testing",
            "pilot",
            "battery",
        ] {
            w.add_document(doc!(body => text)).unwrap();
        }
        w.commit().unwrap();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .unwrap();
        let cache: Arc<WeightCache> = Arc::default();
        let words = ["pilot", "carbon", "battery", "absent"];
        let searcher = reader.searcher();
        let fresh = scores(&searcher, body, &words, None);
        assert_eq!(fresh.len(), 4);
        // Built, then taken from the cache: the same scores bit for bit.
        assert_eq!(scores(&searcher, body, &words, Some(&cache)), fresh);
        assert_eq!(scores(&searcher, body, &words, Some(&cache)), fresh);
        assert_eq!(cache.inner.read().unwrap().1.len(), 4);

        // New documents change every statistic; the next snapshot must not score with
        // the old weights.
        for _ in 0..5 {
            w.add_document(doc!(body => "carbon carbon pilot plant"))
                .unwrap();
        }
        w.commit().unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        let fresh_after = scores(&searcher, body, &words, None);
        assert_ne!(fresh_after[..4], fresh[..], "the statistics did change");
        assert_eq!(scores(&searcher, body, &words, Some(&cache)), fresh_after);
        assert_eq!(
            cache.inner.read().unwrap().0,
            searcher.generation().generation_id()
        );
    }

    #[test]
    fn a_snapshot_cache_ignores_older_generations_and_stays_bounded() {
        let cache: SnapshotCache<String, u64> = SnapshotCache::default();
        cache.put(2, "a".into(), 1);
        assert_eq!(cache.get(2, "a"), Some(1));
        assert_eq!(cache.get(1, "a"), None);
        cache.put(1, "b".into(), 9);
        assert_eq!(
            cache.get(2, "b"),
            None,
            "an older snapshot's value is dropped"
        );
        cache.put(3, "c".into(), 3);
        assert_eq!(cache.get(3, "a"), None, "a newer snapshot starts empty");
        for i in 0..SNAPSHOT_CACHE_LIMIT + 10 {
            cache.put(3, i.to_string(), 0);
        }
        assert!(cache.inner.read().unwrap().1.len() <= SNAPSHOT_CACHE_LIMIT);
    }
}

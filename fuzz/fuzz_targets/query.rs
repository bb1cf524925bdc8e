//! Arbitrary text (and request options) through the query path, against a small
//! in-memory world (the public sample data set in `fuzz/fixtures/`, plus a few odd
//! records) built once:
//! - `Analyzer::terms` (jieba segmentation, normalisation, offsets back into the text);
//! - `domain::cues::read` (service, fields, districts, nearness from free text);
//! - `SearchIndex::search` as `GET /v1/search` calls it (filters, offset, snippets);
//! - `matching::Matcher::match_providers` as `POST /v1/match` calls it, for the text or for a
//!   stored need: retrieval, pair features, the baseline / BM25 / shipped learned ranker,
//!   the provider side, exposure control and explanations.
//!
//! Request values are limited the way the HTTP layer limits them (text length, offset,
//! budget), so a failure here is a failure a client could cause.
#![no_main]

use arbitrary::Arbitrary;
use duijie::domain::validate::check;
use duijie::domain::{
    Districts, EntityKind, Field, NeedStatus, Place, ProviderType, Record, Service, cues,
};
use duijie::matching::{
    Exposure, ExposureControl, ExposurePolicy, MatchError, MatchRequest, Matcher, ProviderFilter,
};
use duijie::rank::{FeedbackStats, Ranker};
use duijie::rank::registry::ModelRegistry;
use duijie::search::{Analyzer, Filter, SearchIndex, SearchRequest};
use duijie::store::Store;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

const ENTITIES: &str = include_str!("../fixtures/entities.jsonl");
const FEEDBACK: &str = include_str!("../fixtures/feedback.jsonl");
/// Records with awkward text: markup, full-width letters, emoji, places outside the
/// city and the whole city, an empty description.
const ODD: &[&str] = &[
    r#"{"kind":"provider","id":"F-P-1","name":"<b>标记&amp;测试</b> 中试","district":"全市","services":["pilot_scale","testing"],"fields":["new_materials"],"description":"<script>alert(1)</script> ＣＮＡＳ认可 5G专网 🚀 检测 & 中试熟化","capacity":0}"#,
    r#"{"kind":"provider","id":"F-P-2","name":"市外检测所","district":"成都市","served_districts":["璧山","火星"],"services":["testing"],"declines_services":["financing"],"min_budget_wan":1e9}"#,
    r#"{"kind":"provider","id":"F-P-3","provider_type":"broker","name":"ǅ İstanbul ß ﬁ 经纪","description":"","keywords":["İ","ß"]}"#,
    r#"{"kind":"enterprise","id":"F-E-1","name":"空描述企业"}"#,
    r#"{"kind":"need","id":"F-N-1","enterprise_id":"F-E-1","title":"  空白  ","service":"consulting","status":"closed"}"#,
];
const MAX_QUERY_CHARS: usize = 500;
const MAX_MATCH_CHARS: usize = 2_000;
const MAX_OFFSET: usize = 10_000;

struct World {
    rt: tokio::runtime::Runtime,
    index: Arc<SearchIndex>,
    model: Option<Arc<duijie::rank::RankerModel>>,
    exposure: Arc<Mutex<Exposure>>,
    needs: Vec<String>,
    /// The matching service over the same store, index and aggregates (its model
    /// registry is an empty directory: requests here name their ranker).
    matcher: Matcher,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (store, index, stats, needs) = rt.block_on(async {
            let store = Store::open("sqlite::memory:").await.expect("store");
            let records: Vec<Record> = ENTITIES
                .lines()
                .chain(FEEDBACK.lines())
                .chain(ODD.iter().copied())
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let v = serde_json::from_str(l).expect("fixture is JSON");
                    check(&v, None).expect("fixture is valid").record
                })
                .collect();
            store.apply(&records).await.expect("apply");
            let index = Arc::new(SearchIndex::in_memory(Arc::new(Analyzer::new())).expect("index"));
            index.catch_up(&store).await.expect("catch up");
            let mut stats = FeedbackStats::new(store.closed_need_ids().await.expect("closed"));
            let mut needs = Vec::new();
            for r in &records {
                match r {
                    Record::Feedback(f) => stats.add(f),
                    Record::Entity(e) if e.kind() == EntityKind::Need => {
                        needs.push(e.id().to_string())
                    }
                    Record::Entity(_) => {}
                }
            }
            (store, index, Arc::new(RwLock::new(stats)), needs)
        });
        let models = ModelRegistry::open(&std::env::temp_dir().join("duijie-fuzz-models"))
            .expect("models directory");
        let matcher = Matcher::new(
            store,
            index.clone(),
            Arc::new(models),
            stats,
            ExposurePolicy::default(),
        );
        World {
            rt,
            index,
            matcher,
            model: ModelRegistry::shipped().expect("shipped model"),
            exposure: Arc::default(),
            needs,
        }
    })
}

#[derive(Debug, Arbitrary)]
struct Input {
    text: String,
    // GET /v1/search
    kinds: u8,
    provider_types: u8,
    fields: u8,
    services: u16,
    statuses: u8,
    districts: Vec<String>,
    offset: u16,
    limit: u8,
    ids_only: bool,
    // POST /v1/match
    stored_need: Option<u8>,
    ranker: u8,
    service: Option<u8>,
    match_fields: u8,
    district: Option<String>,
    budget_wan: Option<f64>,
    near: Option<bool>,
    filter_types: u8,
    filter_services: u16,
    filter_fields: u8,
    filter_districts: Vec<String>,
    include_neighbours: bool,
    match_limit: u16,
    exposure: bool,
}

/// The members of `all` whose bit is set in `mask`.
fn pick<T: Copy>(all: &[T], mask: u64) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask >> (i % 64) & 1 == 1)
        .map(|(_, t)| *t)
        .collect()
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Places as the API reads them: empty ones skipped (the API rejects them or skips them).
fn places(list: &[String]) -> Vec<Place> {
    list.iter()
        .filter_map(|d| Place::parse(d).ok().map(|p| p.place))
        .collect()
}

fn analyse(w: &World, text: &str) {
    for t in w.index.analyzer().terms(text) {
        assert!(
            t.from <= t.to && t.to <= text.len(),
            "term {t:?} out of {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(t.from) && text.is_char_boundary(t.to),
            "term {t:?} splits a character"
        );
        assert!(!t.text.is_empty(), "empty term at {}", t.from);
    }
    let reading = cues::read(text);
    for d in &reading.districts {
        assert!(Districts::get().lookup(d).is_some(), "unknown district {d}");
    }
    assert!(reading.fields.len() <= 2);
}

fn search(w: &World, input: &Input) {
    let req = SearchRequest {
        text: truncate(&input.text, MAX_QUERY_CHARS),
        filter: Filter {
            kinds: pick(&EntityKind::ALL, input.kinds.into()),
            provider_types: pick(ProviderType::ALL, input.provider_types.into()),
            districts: places(&input.districts)
                .iter()
                .map(|p| p.name().to_string())
                .collect(),
            fields: pick(Field::ALL, input.fields.into()),
            services: pick(Service::ALL, input.services.into()),
            statuses: pick(NeedStatus::ALL, input.statuses.into()),
        },
        limit: usize::from(input.limit).clamp(1, 100),
        offset: usize::from(input.offset).min(MAX_OFFSET),
        snippets: !input.ids_only,
        ids_only: input.ids_only,
        ..SearchRequest::default()
    };
    let found = w.index.search(&req).expect("search");
    assert!(found.hits.len() <= req.limit);
    assert!(found.hits.len() <= found.total);
    for h in &found.hits {
        assert!(h.score.is_finite() && h.score >= 0.0, "score {}", h.score);
    }
}

fn match_request(w: &World, input: &Input) {
    let ranker = match input.ranker % 3 {
        0 => w.model.clone().map_or(Ranker::Baseline, Ranker::Learned),
        1 => Ranker::Baseline,
        _ => Ranker::Bm25,
    };
    let need_id = input
        .stored_need
        .map(|i| w.needs[usize::from(i) % w.needs.len()].clone());
    let text = truncate(&input.text, MAX_MATCH_CHARS);
    let mut req = MatchRequest::new(need_id.clone(), Some(text.clone()), ranker);
    req.service = input.service.map(|s| Service::ALL[usize::from(s) % Service::ALL.len()]);
    req.fields = pick(Field::ALL, input.match_fields.into());
    req.district = input
        .district
        .as_deref()
        .and_then(|d| Place::parse(d).ok().map(|p| p.place));
    // The API accepts finite budgets that are not negative.
    req.budget_wan = input.budget_wan.filter(|b| b.is_finite() && *b >= 0.0);
    req.near = input.near;
    req.filter = ProviderFilter {
        provider_types: pick(ProviderType::ALL, input.filter_types.into()),
        services: pick(Service::ALL, input.filter_services.into()),
        fields: pick(Field::ALL, input.filter_fields.into()),
        districts: places(&input.filter_districts),
        include_neighbours: input.include_neighbours,
    };
    req.limit = usize::from(input.match_limit);
    if input.exposure {
        req.exposure = Some(ExposureControl {
            policy: ExposurePolicy::default(),
            state: w.exposure.clone(),
        });
    }
    let limit = req.limit.clamp(1, 200);
    let outcome = w.rt.block_on(w.matcher.match_providers(req));
    match outcome {
        Ok(answer) => {
            assert!(answer.results.len() <= limit);
            for r in &answer.results {
                assert!(
                    r.score.is_finite() && r.relevance.is_finite(),
                    "score {} relevance {} for {}",
                    r.score,
                    r.relevance,
                    r.provider.id
                );
            }
            for pair in answer.results.windows(2) {
                assert!(
                    pair[0].score >= pair[1].score,
                    "results out of order: {} before {}",
                    pair[0].score,
                    pair[1].score
                );
            }
            serde_json::to_string(&answer).expect("the answer serialises");
        }
        Err(MatchError::NothingToMatch) => {
            assert!(need_id.is_none() && text.trim().is_empty(), "refused {text:?}")
        }
        Err(e) => panic!("match failed: {e}"),
    }
}

fuzz_target!(|input: Input| {
    let w = world();
    analyse(w, &input.text);
    search(w, &input);
    match_request(w, &input);
});

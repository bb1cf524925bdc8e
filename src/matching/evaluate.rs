//! Offline evaluation against a relevance-judgments file (data-model.md format): for every
//! judged need, free-text query and commissioner, each ranker ranks the candidates the
//! service would retrieve, and NDCG@10, MRR and Recall@50 are averaged per set and ranker.
//! MRR and recall count grade ≥ 2 as relevant; NDCG uses every grade (gain 2^g − 1).

pub use super::judgments::{Grades, Judgments, read_judgments};

use super::commissioners::{CommissionerRanker, Scope, rank_enterprises};
use super::providers::MatchError;
use super::providers::{
    Context, MatchRequest, Prepared, ProviderFilter, order, prepare_need, prepare_text, retrieve,
};
use super::service::Matcher;
use crate::domain::{Entity, EntityKind};
use crate::rank::metrics::{mean, ndcg_at, recall_at, reciprocal_rank};
use crate::rank::{Ranker, RankerName};
use serde::Serialize;
use std::collections::HashMap;

/// One line of the result table.
#[derive(Debug, Clone, Serialize)]
pub struct EvalRow {
    /// `needs`, `queries` or `commissioners`.
    pub set: &'static str,
    /// Ranker name.
    pub ranker: String,
    /// Items evaluated (with at least one relevant judgment).
    pub n: usize,
    /// Mean NDCG@10.
    pub ndcg_at_10: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
    /// Mean Recall@50.
    pub recall_at_50: f64,
    /// NDCG@10 of every item (need, query or commissioner id), worst first: where to
    /// look when a figure disappoints.
    pub items: Vec<(String, f64)>,
}

/// The ids a ranker puts in front of the candidates the service retrieves.
fn ranked_ids(
    matcher: &Matcher,
    ctx: Context<'_>,
    prepared: &Prepared,
) -> Result<Vec<String>, MatchError> {
    let (cands, _) = retrieve(matcher.index(), prepared, &ProviderFilter::default())?;
    Ok(order(ctx, prepared, &cands)
        .into_iter()
        .map(|(_, id)| id)
        .collect())
}

#[derive(Default)]
struct Acc {
    ndcg: Vec<f64>,
    mrr: Vec<f64>,
    recall: Vec<f64>,
    items: Vec<(String, f64)>,
}

impl Acc {
    fn add<S: AsRef<str>>(&mut self, id: &str, ranked: &[S], grades: &Grades) {
        let ranked: Vec<&str> = ranked.iter().map(AsRef::as_ref).collect();
        let ranked = &ranked[..];
        if let Some(n) = ndcg_at(ranked, grades, 10) {
            self.items.push((id.to_string(), n));
            self.ndcg.push(n);
            self.mrr.push(reciprocal_rank(ranked, grades, 2));
            if let Some(r) = recall_at(ranked, grades, 50, 2) {
                self.recall.push(r);
            }
        }
    }

    fn row(mut self, set: &'static str, ranker: &str) -> EvalRow {
        self.items
            .sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        EvalRow {
            items: self.items,
            set,
            ranker: ranker.to_string(),
            n: self.ndcg.len(),
            ndcg_at_10: mean(self.ndcg),
            mrr: mean(self.mrr),
            recall_at_50: mean(self.recall),
        }
    }
}

/// Evaluates the given rankers on every judged need, query and commissioner.
pub async fn evaluate(
    matcher: &Matcher,
    judgments: &Judgments,
    rankers: &[RankerName],
) -> Result<Vec<EvalRow>, MatchError> {
    let rankers_asked = rankers;
    let mut rows = Vec::new();
    let ids: Vec<&str> = judgments.needs.keys().map(String::as_str).collect();
    let needs = matcher.store().get_many(EntityKind::Need, &ids).await?;
    let missing = ids.iter().filter(|id| !needs.contains_key(**id)).count();
    if missing > 0 {
        tracing::warn!(missing, "judged needs not in the store are skipped");
    }
    let analyzer = matcher.index().analyzer().clone();
    for name in rankers {
        let ranker = matcher.ranker(*name, None)?;
        let label = match (&ranker, name) {
            (Ranker::Baseline, RankerName::Learned) => "learned (no model: baseline)".to_string(),
            (Ranker::Learned(m), _) => format!("learned ({})", m.version),
            _ => name.as_str().to_string(),
        };
        let model = ranker.model().cloned();
        let stats = matcher.stats_snapshot();
        let ctx = Context {
            ranker: &ranker,
            stats: &stats,
            analyzer: &analyzer,
        };
        let mut acc = Acc::default();
        for (id, grades) in &judgments.needs {
            let Some(Entity::Need(need)) = needs.get(id) else {
                continue;
            };
            let prepared = prepare_need(need, &analyzer, model.as_deref());
            acc.add(id, &ranked_ids(matcher, ctx, &prepared)?, grades);
        }
        rows.push(acc.row("needs", &label));
        let mut acc = Acc::default();
        for (qid, (text, grades)) in &judgments.queries {
            let req = MatchRequest::new(None, Some(text.clone()), ranker.clone());
            let prepared = prepare_text(text, &req, &analyzer, model.as_deref());
            acc.add(qid, &ranked_ids(matcher, ctx, &prepared)?, grades);
        }
        rows.push(acc.row("queries", &label));
    }
    // Commissioners: the learned commissioner model (when the active model has one), the
    // hand-weighted commissioner ranker and BM25 over expertise.
    if !judgments.commissioners.is_empty() {
        let ids: Vec<&str> = judgments.commissioners.keys().map(String::as_str).collect();
        let cs = matcher
            .store()
            .get_many(EntityKind::Commissioner, &ids)
            .await?;
        let open = matcher.store().open_need_counts().await?;
        // What a commissioner is shown: open needs in their districts, not served yet.
        let stats = matcher.stats_snapshot();
        let active = matcher.active_model();
        let mut rankers: Vec<(String, CommissionerRanker<'_>)> = Vec::new();
        for name in rankers_asked {
            match name {
                RankerName::Learned => {
                    if let Some(head) = active.as_ref().and_then(|m| m.commissioner.as_ref()) {
                        let v = active.as_ref().map(|m| m.version.as_str()).unwrap_or("");
                        rankers.push((format!("learned ({v})"), CommissionerRanker::Learned(head)));
                    }
                }
                RankerName::Baseline => {
                    rankers.push(("baseline".into(), CommissionerRanker::Baseline))
                }
                RankerName::Bm25 => rankers.push(("bm25".into(), CommissionerRanker::Bm25)),
            }
        }
        for (label, ranker) in rankers {
            let mut acc = Acc::default();
            for (id, grades) in &judgments.commissioners {
                let Some(Entity::Commissioner(c)) = cs.get(id) else {
                    continue;
                };
                let ranked = rank_enterprises(
                    matcher.index(),
                    c,
                    &open,
                    Scope::serving(&stats, false, 0.0),
                    ranker,
                )?;
                acc.add(
                    id,
                    &ranked
                        .iter()
                        .map(|r| r.enterprise.id.as_str())
                        .collect::<Vec<_>>(),
                    grades,
                );
            }
            rows.push(acc.row("commissioners", &label));
        }
    }
    Ok(rows)
}

/// How field inference does on judged items that state no fields (needs without
/// `fields`, free-text queries). The reference is the fields of the providers graded 3
/// for the item (people's judgment of what it is about).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldReport {
    /// Items without stated fields that have a grade-3 provider with fields.
    pub items: usize,
    /// Items where a field was guessed (the rest abstained: below the confidence threshold).
    pub guessed: usize,
    /// Guesses whose first field is among the reference fields.
    pub top1_correct: usize,
    /// `top1_correct / guessed`.
    pub accuracy_when_guessed: f64,
    /// `top1_correct / items` (abstaining counts as not correct).
    pub accuracy_overall: f64,
    /// The confidence threshold in force.
    pub threshold: f64,
    /// Lowest probability of any guessed field (never below `threshold`).
    pub lowest_guessed_probability: Option<f64>,
}

/// Field inference on the judged needs without fields and the judged queries, with the
/// active model (see [`FieldReport`]).
pub async fn field_report(
    matcher: &Matcher,
    judgments: &Judgments,
) -> Result<FieldReport, MatchError> {
    let ranker = matcher.ranker(RankerName::Learned, None)?;
    let model = ranker.model().cloned();
    let analyzer = matcher.index().analyzer().clone();
    let ids: Vec<&str> = judgments.needs.keys().map(String::as_str).collect();
    let needs = matcher.store().get_many(EntityKind::Need, &ids).await?;
    let mut pids: Vec<&str> = judgments
        .needs
        .values()
        .chain(judgments.queries.values().map(|(_, g)| g))
        .flat_map(|g| g.keys().map(String::as_str))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    let providers = matcher
        .store()
        .get_many(EntityKind::Provider, &pids)
        .await?;
    let reference = |grades: &Grades| -> Vec<crate::domain::Field> {
        let mut out = Vec::new();
        for (p, g) in grades {
            if *g == 3
                && let Some(Entity::Provider(p)) = providers.get(p)
            {
                out.extend(p.fields.iter().copied());
            }
        }
        out
    };
    let mut r = FieldReport {
        threshold: super::providers::FIELD_CONFIDENCE,
        ..FieldReport::default()
    };
    let mut judge = |inferred: &super::providers::Inferred, truth: Vec<crate::domain::Field>| {
        if truth.is_empty() {
            return;
        }
        r.items += 1;
        if let Some((f, p)) = inferred.field_confidence.first() {
            r.guessed += 1;
            if truth.contains(f) {
                r.top1_correct += 1;
            }
            let low = inferred
                .field_confidence
                .iter()
                .map(|x| x.1)
                .fold(*p, f64::min);
            r.lowest_guessed_probability = Some(
                r.lowest_guessed_probability
                    .map_or(low, |l: f64| l.min(low)),
            );
        }
    };
    for (id, grades) in &judgments.needs {
        if let Some(Entity::Need(n)) = needs.get(id)
            && n.fields.is_empty()
        {
            let prepared = prepare_need(n, &analyzer, model.as_deref());
            judge(&prepared.inferred, reference(grades));
        }
    }
    for (text, grades) in judgments.queries.values() {
        let req = MatchRequest::new(None, Some(text.clone()), ranker.clone());
        let prepared = prepare_text(text, &req, &analyzer, model.as_deref());
        judge(&prepared.inferred, reference(grades));
    }
    r.accuracy_when_guessed = r.top1_correct as f64 / r.guessed.max(1) as f64;
    r.accuracy_overall = r.top1_correct as f64 / r.items.max(1) as f64;
    Ok(r)
}

/// The rows as a plain-text table.
pub fn table(rows: &[EvalRow]) -> String {
    let mut out = format!(
        "{:<14} {:<32} {:>5} {:>8} {:>8} {:>9}\n",
        "set", "ranker", "n", "NDCG@10", "MRR", "Recall@50"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<14} {:<32} {:>5} {:>8.4} {:>8.4} {:>9.4}\n",
            r.set, r.ranker, r.n, r.ndcg_at_10, r.mrr, r.recall_at_50
        ));
    }
    out
}

/// What exposure control costs and spreads, measured on the judged needs served one
/// after another to the same process, similar needs together (by service, then fields).
#[derive(Debug, Clone, Serialize)]
pub struct ExposureReport {
    /// Needs served.
    pub needs: usize,
    /// The policy measured.
    pub strength: f64,
    /// Its free share.
    pub free_share: f64,
    /// Mean NDCG@10 without exposure control.
    pub ndcg_without: f64,
    /// Mean NDCG@10 with it.
    pub ndcg_with: f64,
    /// Largest share of first places one provider took, without / with.
    pub top1_max_share: (f64, f64),
    /// Largest share of first screens (top 5) one provider appeared on, without / with.
    pub top5_max_share: (f64, f64),
    /// Distinct providers on any first screen, without / with.
    pub distinct_top5: (usize, usize),
}

/// Serves every judged need twice in sequence — without and with exposure control — and
/// reports NDCG@10 and how concentrated the first screens are.
pub async fn exposure_effect(
    matcher: &Matcher,
    judgments: &Judgments,
    policy: super::exposure::ExposurePolicy,
) -> Result<ExposureReport, MatchError> {
    use super::exposure::{Exposure, SLOTS};
    use super::providers::rank_with;
    let ids: Vec<&str> = judgments.needs.keys().map(String::as_str).collect();
    let needs = matcher.store().get_many(EntityKind::Need, &ids).await?;
    let analyzer = matcher.index().analyzer().clone();
    let ranker = matcher.ranker(RankerName::Learned, None)?;
    let stats = matcher.stats_snapshot();
    let ctx = Context {
        ranker: &ranker,
        stats: &stats,
        analyzer: &analyzer,
    };
    let mut report = ExposureReport {
        needs: 0,
        strength: policy.strength,
        free_share: policy.free_share,
        ndcg_without: 0.0,
        ndcg_with: 0.0,
        top1_max_share: (0.0, 0.0),
        top5_max_share: (0.0, 0.0),
        distinct_top5: (0, 0),
    };
    // Similar needs arrive together (a burst of SMEs in one field asking for one
    // service), which is when one platform would otherwise take every first screen.
    let mut stream: Vec<(&crate::domain::Need, &Grades)> = judgments
        .needs
        .iter()
        .filter_map(|(id, g)| match needs.get(id) {
            Some(Entity::Need(n)) => Some((n, g)),
            _ => None,
        })
        .collect();
    stream.sort_by_key(|(n, _)| {
        let fields: Vec<&str> = n.fields.iter().map(|f| f.code()).collect();
        (n.service.code(), fields.join(","), n.id.clone())
    });
    for pass in 0..2 {
        let mut shown = Exposure::default();
        let mut ndcg = Vec::new();
        let mut top1: HashMap<String, usize> = HashMap::new();
        let mut top5: HashMap<String, usize> = HashMap::new();
        let mut served = 0usize;
        for (need, grades) in &stream {
            let prepared = prepare_need(need, &analyzer, ranker.model().map(|m| m.as_ref()));
            let (cands, terms) = retrieve(matcher.index(), &prepared, &ProviderFilter::default())?;
            let results = rank_with(ctx, &prepared, cands, &terms, 10, |p| {
                if pass == 0 {
                    1.0
                } else {
                    shown.factor(p, policy)
                }
            });
            let ranked: Vec<&str> = results.iter().map(|r| r.provider.id.as_str()).collect();
            shown.record(ranked.iter().copied());
            if let Some(n) = ndcg_at(&ranked, grades, 10) {
                ndcg.push(n);
            }
            if let Some(first) = ranked.first() {
                *top1.entry(first.to_string()).or_default() += 1;
            }
            for p in ranked.iter().take(SLOTS) {
                *top5.entry(p.to_string()).or_default() += 1;
            }
            served += 1;
        }
        let max_share = |m: &HashMap<String, usize>| {
            m.values().copied().max().unwrap_or(0) as f64 / served.max(1) as f64
        };
        let (n, t1, t5, d) = (mean(ndcg), max_share(&top1), max_share(&top5), top5.len());
        report.needs = served;
        if pass == 0 {
            report.ndcg_without = n;
            report.top1_max_share.0 = t1;
            report.top5_max_share.0 = t5;
            report.distinct_top5.0 = d;
        } else {
            report.ndcg_with = n;
            report.top1_max_share.1 = t1;
            report.top5_max_share.1 = t5;
            report.distinct_top5.1 = d;
        }
    }
    Ok(report)
}

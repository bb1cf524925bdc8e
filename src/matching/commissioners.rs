//! Commissioner → enterprises: which enterprises a technology commissioner is best placed
//! to serve now, and a city-wide assignment plan.
//!
//! Candidates come from the index (enterprises whose text matches the commissioner's
//! expertise, and enterprises in the commissioner's districts and fields). When serving a
//! commissioner ([`Scope::serving`]) only enterprises in the districts the commissioner
//! serves (and, when asked, their neighbours), not already served by this commissioner,
//! are kept, and of those without an open need only the ones whose stated problem the
//! expertise fits (`expertise_fit` > 0; they rank lower through `has_open_need`). Each is scored by the learned commissioner head of the active
//! model or by this documented hand-weighted model:
//!
//! | feature | value | weight |
//! | --- | --- | --- |
//! | `district_match` | 1 in a served district, 0.5 in a neighbouring one | 2.0 |
//! | `field_overlap` | share of the commissioner's fields the enterprise works in | 1.5 |
//! | `has_open_need` | 1 when the enterprise has an open need | 1.5 |
//! | `text_bm25` | BM25 of the enterprise against the expertise, over the best | 1.0 |
//! | `priority` | what the action plan prioritises (table below) | 0.5 |
//! | `need_fit` | BM25 of the enterprise's best-matching open need against the expertise, over the best such need | 2.0 |
//! | `expertise_fit` | share of the technology concepts of the enterprise (its description and open needs) that the expertise covers (`domain::concepts::overlap`) | 2.0 |
//! | bias | | −3.0 |
//!
//! The expertise text is what separates a good visit from a wasted one: `need_fit` and
//! `expertise_fit` weigh it against what the enterprise does and asks for now.
//!
//! `priority` is the largest that applies of:
//!
//! | enterprise | value |
//! | --- | --- |
//! | in the high-tech cultivation pool (`high_tech_candidate`: a first-time high-tech applicant) | 1.0 |
//! | `tech_sme`, not yet `high_tech`, and no commissioner has served it yet | 0.8 |
//! | `tech_sme`, not yet `high_tech` | 0.5 |
//! | `specialized` (专精特新) | 0.3 |
//!
//! A programme can lean harder on these priorities without retraining: a *policy boost*
//! `b` (`priority_boost` on the request, or the setting `--priority-boost` / `DUIJIE_PRIORITY_BOOST`; default 0) adds
//! `b × priority` to the logit of any ranker, shown as the `policy_priority` contribution.

use crate::domain::concepts::{self, Thesaurus};
use crate::domain::exclusions::scopes;
use crate::domain::{
    Certification, Commissioner, Districts, Enterprise, EntityKind, Field, Need, NeedStatus, Place,
};
use crate::rank::model::LinearHead;
use crate::rank::{FeatureContribution, FeedbackStats};
use crate::search::{Filter, IndexError, SearchIndex, SearchRequest};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Feature weights, by name.
pub const WEIGHTS: [(&str, f64); 7] = [
    ("district_match", 2.0),
    ("field_overlap", 1.5),
    ("has_open_need", 1.5),
    ("text_bm25", 1.0),
    ("priority", 0.5),
    ("need_fit", 2.0),
    ("expertise_fit", 2.0),
];
/// Bias.
pub const BIAS: f64 = -3.0;
/// Candidates from each retrieval.
const CANDIDATES: usize = 400;

/// A ranked enterprise.
#[derive(Debug, Clone, Serialize)]
pub struct RankedEnterprise {
    /// The enterprise.
    pub enterprise: Enterprise,
    /// Score.
    pub score: f64,
    /// Feature values and contributions.
    pub features: Vec<FeatureContribution>,
    /// Why, in Chinese.
    pub summary: String,
}

/// How enterprises are scored for a commissioner.
#[derive(Debug, Clone, Copy)]
pub enum CommissionerRanker<'a> {
    /// The learned commissioner model of the active ranker file.
    Learned(&'a LinearHead),
    /// The hand-weighted model above.
    Baseline,
    /// BM25 of the enterprise against the expertise alone.
    Bm25,
}

impl CommissionerRanker<'_> {
    /// The name.
    pub fn name(&self) -> &'static str {
        match self {
            CommissionerRanker::Learned(_) => "learned",
            CommissionerRanker::Baseline => "baseline",
            CommissionerRanker::Bm25 => "bm25",
        }
    }
}

/// Default `max_load` of a commissioner that states none.
pub const DEFAULT_MAX_LOAD: u32 = 8;

/// Which enterprises to consider, and the policy boost.
#[derive(Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Feedback aggregates: who was served already (for exclusion and priority).
    pub stats: Option<&'a FeedbackStats>,
    /// Keep only enterprises in the commissioner's districts, not served by this
    /// commissioner yet, with an open need or a stated problem the expertise fits.
    pub serving: bool,
    /// With `serving`: count neighbouring districts as served too.
    pub include_neighbours: bool,
    /// Extra logit per unit of `priority`.
    pub priority_boost: f64,
}

impl<'a> Scope<'a> {
    /// What a commissioner is shown: open needs, own districts, not served yet.
    pub fn serving(stats: &'a FeedbackStats, include_neighbours: bool, boost: f64) -> Scope<'a> {
        Scope {
            stats: Some(stats),
            serving: true,
            include_neighbours,
            priority_boost: boost,
        }
    }
}

/// Whether a commissioner's districts cover the whole city.
fn city_wide(c: &Commissioner) -> bool {
    c.districts.is_empty() || c.districts.contains(&Place::CityWide)
}

/// 1 in a served district, 0.5 next to one, else 0.
fn district_match(c: &Commissioner, e: &Enterprise) -> f64 {
    match &e.district {
        Some(p @ Place::District(d)) => {
            if c.districts.contains(p) || c.districts.contains(&Place::CityWide) {
                1.0
            } else if c
                .districts
                .iter()
                .any(|cd| Districts::get().are_neighbours(cd.name(), d))
            {
                0.5
            } else {
                0.0
            }
        }
        _ => 0.0,
    }
}

/// The action-plan priority of an enterprise (see the module table).
pub fn priority(e: &Enterprise, served_before: bool) -> f64 {
    let has = |x| e.certifications.contains(&x);
    if has(Certification::HighTechCandidate) {
        1.0
    } else if has(Certification::TechSme) && !has(Certification::HighTech) {
        if served_before { 0.5 } else { 0.8 }
    } else if has(Certification::Specialized) {
        0.3
    } else {
        0.0
    }
}

/// Ranks enterprises for a commissioner.
pub fn rank_enterprises(
    index: &SearchIndex,
    c: &Commissioner,
    open_needs: &HashMap<String, i64>,
    scope: Scope<'_>,
    ranker: CommissionerRanker<'_>,
) -> Result<Vec<RankedEnterprise>, IndexError> {
    let mut text = c.expertise.clone().unwrap_or_default();
    let expertise = Thesaurus::get().bag(&scopes(&text).positive);
    for f in &c.fields {
        text.push(' ');
        text.push_str(f.zh());
    }
    // Open needs that fit the expertise: enterprise → (best normalised BM25, the needs'
    // concepts).
    let mut need_fit: HashMap<String, (f64, Vec<String>)> = HashMap::new();
    if c.expertise.as_deref().is_some_and(|e| !e.trim().is_empty()) {
        let needs = index.search(&SearchRequest {
            text: c.expertise.clone().unwrap_or_default(),
            filter: Filter {
                kinds: vec![EntityKind::Need],
                statuses: vec![NeedStatus::Open],
                ..Filter::default()
            },
            limit: CANDIDATES,
            ..SearchRequest::default()
        })?;
        let best = needs.best_score();
        for h in needs.hits {
            let Ok(n) = serde_json::from_str::<Need>(&h.doc) else {
                continue;
            };
            let e = need_fit
                .entry(n.enterprise_id.to_string())
                .or_insert((0.0, Vec::new()));
            e.0 = e.0.max(f64::from(h.score / best));
            e.1.push(super::providers::need_text(&n));
        }
    }
    let base = Filter {
        kinds: vec![EntityKind::Enterprise],
        ..Filter::default()
    };
    let by_text = index.search(&SearchRequest {
        text,
        filter: base.clone(),
        limit: CANDIDATES,
        ..SearchRequest::default()
    })?;
    let best = by_text.best_score();
    let mut docs: Vec<(String, f64)> = by_text
        .hits
        .into_iter()
        .map(|h| (h.doc, f64::from(h.score / best)))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for (d, _) in &docs {
        seen.insert(d.clone());
    }
    let districts: Vec<String> = c.districts.iter().map(|p| p.name().to_string()).collect();
    if !districts.is_empty() {
        let structured = Filter {
            districts,
            fields: c.fields.clone(),
            ..base
        };
        for h in index
            .search(&SearchRequest {
                filter: structured,
                limit: CANDIDATES,
                ..SearchRequest::default()
            })?
            .hits
        {
            if seen.insert(h.doc.clone()) {
                docs.push((h.doc, 0.0));
            }
        }
    }
    let none = HashSet::new();
    let served_by_me = scope
        .stats
        .and_then(|s| s.served_by(c.id.as_str()))
        .unwrap_or(&none);
    let mut out = Vec::new();
    for (doc, bm25) in docs {
        let e: Enterprise = serde_json::from_str(&doc).map_err(|err| IndexError::BadDocument {
            what: "enterprise",
            detail: err.to_string(),
        })?;
        let open_count = open_needs.get(e.id.as_str()).copied().unwrap_or(0);
        let district_match = district_match(c, &e);
        if scope.serving {
            let in_area = city_wide(c)
                || district_match >= 1.0
                || (scope.include_neighbours && district_match > 0.0);
            if !in_area || served_by_me.contains(e.id.as_str()) {
                continue;
            }
        }
        let field_overlap = if c.fields.is_empty() {
            0.0
        } else {
            c.fields.iter().filter(|f| e.fields.contains(f)).count() as f64 / c.fields.len() as f64
        };
        let served_before = scope
            .stats
            .is_some_and(|s| s.served_by_anyone(e.id.as_str()));
        let priority = priority(&e, served_before);
        let open = if open_count > 0 { 1.0 } else { 0.0 };
        let (fit, need_texts) = need_fit
            .get(e.id.as_str())
            .map(|(f, t)| (*f, t.join("。")))
            .unwrap_or_default();
        let mut enterprise_text = e.description.clone().unwrap_or_default();
        enterprise_text.push('。');
        enterprise_text.push_str(&e.keywords.join("、"));
        enterprise_text.push('。');
        enterprise_text.push_str(&need_texts);
        let t = Thesaurus::get();
        let enterprise_concepts = t.bag(&scopes(&enterprise_text).positive);
        let expertise_fit = concepts::overlap(t, &enterprise_concepts, &expertise);
        let fit_matches = if expertise_fit > 0.0 {
            concepts::overlap_matches(t, &enterprise_concepts, &expertise)
        } else {
            Vec::new()
        };
        // An enterprise without a filed need stays only when the expertise fits the
        // problem its description states (a visit is how that need gets filed); it
        // ranks lower through `has_open_need`.
        if scope.serving && open_count == 0 && expertise_fit <= 0.0 {
            continue;
        }
        let values = [
            district_match,
            field_overlap,
            open,
            bm25,
            priority,
            fit,
            expertise_fit,
        ];
        let (score, mut features) = match ranker {
            CommissionerRanker::Bm25 => (
                bm25,
                vec![FeatureContribution {
                    name: "text_bm25",
                    value: bm25,
                    contribution: bm25,
                }],
            ),
            CommissionerRanker::Learned(head) => {
                let named: Vec<(&'static str, f64)> =
                    WEIGHTS.iter().map(|(n, _)| *n).zip(values).collect();
                let s = head.score(&named);
                (s.score, s.contributions)
            }
            CommissionerRanker::Baseline => {
                let features: Vec<FeatureContribution> = WEIGHTS
                    .iter()
                    .zip(values)
                    .map(|((name, w), value)| FeatureContribution {
                        name,
                        value,
                        contribution: w * value,
                    })
                    .collect();
                let logit = BIAS + features.iter().map(|f| f.contribution).sum::<f64>();
                (1.0 / (1.0 + (-logit).exp()), features)
            }
        };
        let score = if scope.priority_boost > 0.0 && !matches!(ranker, CommissionerRanker::Bm25) {
            let boost = scope.priority_boost * priority;
            features.push(FeatureContribution {
                name: "policy_priority",
                value: priority,
                contribution: boost,
            });
            let logit =
                (score.clamp(1e-12, 1.0 - 1e-12) / (1.0 - score.clamp(1e-12, 1.0 - 1e-12))).ln();
            1.0 / (1.0 + (-(logit + boost)).exp())
        } else {
            score
        };
        let mut summary = summary(c, &e, open_count, district_match, priority, served_before);
        let mut fit_notes: Vec<String> = Vec::new();
        if let Some(m) = fit_matches.first() {
            fit_notes.push(format!(
                "专长契合：{}",
                Thesaurus::get().concept(m.concept).name
            ));
        }
        if fit >= 0.5 {
            fit_notes.push("专长与其待对接需求相符".to_string());
        }
        if !fit_notes.is_empty() {
            if summary == LOW_RELEVANCE {
                summary = fit_notes.join("；");
            } else {
                summary = format!("{}；{summary}", fit_notes.join("；"));
            }
        }
        out.push(RankedEnterprise {
            enterprise: e,
            score,
            features,
            summary,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.enterprise.id.cmp(&b.enterprise.id))
    });
    Ok(out)
}

/// Why an enterprise suits a commissioner, in Chinese.
fn summary(
    c: &Commissioner,
    e: &Enterprise,
    open_needs: i64,
    district_match: f64,
    priority: f64,
    served_before: bool,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = &e.district {
        if district_match >= 1.0 {
            parts.push(format!("位于您服务的{}", d.name()));
        } else if district_match > 0.0 {
            parts.push(format!("位于相邻的{}", d.name()));
        }
    }
    let shared: Vec<&str> = c
        .fields
        .iter()
        .filter(|f| e.fields.contains(f))
        .map(|f| f.zh())
        .collect();
    if !shared.is_empty() {
        parts.push(format!("同属{}领域", shared.join("、")));
    }
    if open_needs > 0 {
        parts.push(format!("有 {open_needs} 条待对接需求"));
    }
    let has = |x| e.certifications.contains(&x);
    if priority >= 1.0 {
        parts.push("高新技术企业培育库企业（行动计划优先）".into());
    } else if has(Certification::TechSme) && !has(Certification::HighTech) {
        parts.push(if served_before {
            "科技型中小企业，有望申报高新技术企业".into()
        } else {
            "科技型中小企业，尚未获得科技专员服务（优先）".into()
        });
    } else if has(Certification::Specialized) {
        parts.push("专精特新企业".into());
    }
    if parts.is_empty() {
        LOW_RELEVANCE.into()
    } else {
        parts.join("；")
    }
}

const LOW_RELEVANCE: &str = "相关度较低，仅供参考";

/// Narrows a city-wide assignment.
#[derive(Debug, Clone, Default)]
pub struct AssignScope {
    /// Only enterprises in these districts (all when empty).
    pub districts: Vec<Place>,
    /// Only enterprises in one of these fields (all when empty).
    pub fields: Vec<Field>,
    /// Lowest fit worth an assignment.
    pub min_score: f64,
}

/// One assignment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    /// Commissioner.
    pub commissioner_id: String,
    /// Commissioner's name.
    pub commissioner_name: String,
    /// Enterprise.
    pub enterprise_id: String,
    /// Enterprise's name.
    pub enterprise_name: String,
    /// Fit.
    pub score: f64,
    /// Why, in Chinese.
    pub reason: String,
}

/// An enterprise left out, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unassigned {
    /// Enterprise.
    pub enterprise_id: String,
    /// Enterprise's name.
    pub enterprise_name: String,
    /// Stable machine code: `no_commissioner_in_district`, `commissioners_full`, `lower_fit`.
    pub code: &'static str,
    /// Why, in Chinese.
    pub reason: String,
}

/// A commissioner's part in the plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommissionerLoad {
    /// Commissioner.
    pub id: String,
    /// Name.
    pub name: String,
    /// Most enterprises served at once.
    pub max_load: u32,
    /// Enterprises being served now (from feedback).
    pub current_load: u32,
    /// Enterprises this plan gives them.
    pub assigned: u32,
}

/// The plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignmentPlan {
    /// Assignments, by commissioner then score.
    pub assignments: Vec<Assignment>,
    /// Enterprises with open needs left out, and why.
    pub unassigned: Vec<Unassigned>,
    /// Sum of the assigned fits.
    pub total_score: f64,
    /// Every commissioner's load.
    pub commissioners: Vec<CommissionerLoad>,
    /// Total fit of the greedy plan on the same pairs (how much the exact solver adds).
    pub greedy_total_score: f64,
}

/// Plans a city-wide assignment of enterprises with open needs to commissioners: maximal
/// total fit (exact min-cost flow, [`super::assign::solve`]) with every commissioner
/// within `max_load` minus what they serve now, and only pairs a commissioner's own list
/// would show (own districts, open needs, not served by them yet). Enterprises already
/// being served by a commissioner are left out of the plan.
pub fn plan_assignment(
    index: &SearchIndex,
    commissioners: &[Commissioner],
    enterprises: &HashMap<String, Enterprise>,
    open_needs: &HashMap<String, i64>,
    stats: &FeedbackStats,
    scope: &AssignScope,
    ranker: CommissionerRanker<'_>,
) -> Result<AssignmentPlan, IndexError> {
    use super::assign::{Edge, Problem, greedy, solve};
    // Enterprises to place: open needs, in scope, not being served now.
    let busy: HashSet<&str> = commissioners
        .iter()
        .filter_map(|c| stats.active_enterprises(c.id.as_str()))
        .flatten()
        .map(String::as_str)
        .collect();
    let mut targets: Vec<&Enterprise> = enterprises
        .values()
        .filter(|e| open_needs.get(e.id.as_str()).copied().unwrap_or(0) > 0)
        .filter(|e| !busy.contains(e.id.as_str()))
        .filter(|e| {
            scope.districts.is_empty()
                || e.district
                    .as_ref()
                    .is_some_and(|d| scope.districts.contains(d))
        })
        .filter(|e| scope.fields.is_empty() || e.fields.iter().any(|f| scope.fields.contains(f)))
        .collect();
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    let slot: HashMap<&str, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let mut problem = Problem {
        capacities: Vec::with_capacity(commissioners.len()),
        enterprises: targets.len(),
        edges: Vec::new(),
    };
    let mut loads = Vec::with_capacity(commissioners.len());
    let mut reasons: HashMap<(usize, usize), String> = HashMap::new();
    let serving = Scope::serving(stats, false, 0.0);
    for (ci, c) in commissioners.iter().enumerate() {
        let max_load = c.max_load.unwrap_or(DEFAULT_MAX_LOAD);
        let current = stats.commissioner_load(c.id.as_str());
        problem.capacities.push(max_load.saturating_sub(current));
        loads.push(CommissionerLoad {
            id: c.id.to_string(),
            name: c.name.clone(),
            max_load,
            current_load: current,
            assigned: 0,
        });
        for r in rank_enterprises(index, c, open_needs, serving, ranker)? {
            let Some(&ei) = slot.get(r.enterprise.id.as_str()) else {
                continue;
            };
            if r.score <= scope.min_score {
                continue;
            }
            problem.edges.push(Edge {
                commissioner: ci,
                enterprise: ei,
                score: r.score,
            });
            reasons.insert((ci, ei), r.summary);
        }
    }
    let plan = solve(&problem);
    let greedy_total = greedy(&problem).total;
    let mut assigned_to: Vec<Option<usize>> = vec![None; targets.len()];
    let mut assignments = Vec::with_capacity(plan.assigned.len());
    for &(ci, ei, score) in &plan.assigned {
        assigned_to[ei] = Some(ci);
        loads[ci].assigned += 1;
        let (c, e) = (&commissioners[ci], targets[ei]);
        assignments.push(Assignment {
            commissioner_id: c.id.to_string(),
            commissioner_name: c.name.clone(),
            enterprise_id: e.id.to_string(),
            enterprise_name: e.name.clone(),
            score,
            reason: reasons.remove(&(ci, ei)).unwrap_or_default(),
        });
    }
    assignments.sort_by(|a, b| {
        a.commissioner_id
            .cmp(&b.commissioner_id)
            .then_with(|| b.score.total_cmp(&a.score))
    });
    let mut eligible: Vec<Vec<usize>> = vec![Vec::new(); targets.len()];
    for e in &problem.edges {
        eligible[e.enterprise].push(e.commissioner);
    }
    let full = |ci: usize| loads[ci].assigned >= problem.capacities[ci];
    let mut unassigned = Vec::new();
    for (ei, e) in targets.iter().enumerate() {
        if assigned_to[ei].is_some() {
            continue;
        }
        let place = e
            .district
            .as_ref()
            .map(|d| d.name().to_string())
            .unwrap_or_else(|| "所在区县不明".into());
        let (code, reason) = if eligible[ei].is_empty() {
            (
                "no_commissioner_in_district",
                format!("没有科技专员服务{place}及其相关领域"),
            )
        } else if eligible[ei].iter().all(|&ci| full(ci)) {
            (
                "commissioners_full",
                format!("服务{place}的 {} 位科技专员名额已满", eligible[ei].len()),
            )
        } else {
            (
                "lower_fit",
                "可服务的科技专员有更匹配的企业，名额优先给了它们".to_string(),
            )
        };
        unassigned.push(Unassigned {
            enterprise_id: e.id.to_string(),
            enterprise_name: e.name.clone(),
            code,
            reason,
        });
    }
    Ok(AssignmentPlan {
        assignments,
        unassigned,
        total_score: plan.total,
        commissioners: loads,
        greedy_total_score: greedy_total,
    })
}

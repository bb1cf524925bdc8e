//! Broker → leads, and the gaps in the ecosystem.
//!
//! A *lead* is an open need a broker could bring to a provider: in the broker's fields
//! (any, when the broker names none) and in the districts the broker is based in or
//! serves (anywhere, for a city-wide broker), with no accepted provider yet, not claimed
//! by another broker. For each, the [`LEAD_PROVIDERS`] providers that fit it best (pilot
//! platforms and transfer agencies — the broker is the go-between, not the provider) and
//!
//! ```text
//! match probability = 1 − Π (1 − score_i)      over those providers
//! expected value    = budget × match probability   (万元)
//! ```
//!
//! A need without a budget uses the median budget of the candidate needs that ask for
//! the same service (`budget_estimated: true`). Leads are ranked by expected value. To
//! keep a request fast, only the [`LEAD_CANDIDATES`] needs with the largest
//! `budget × (0.5 + 0.5 × text relevance to the broker)` are matched.
//!
//! A *gap* is an open need whose best provider scores under [`GAP_SCORE`]: nobody in the
//! ecosystem fits it well. Gaps are listed worst first, each with the reason.

use super::providers::{Context, MatchResult, ProviderFilter, prepare_need, rank, retrieve};
use crate::domain::access::Viewer;
use crate::domain::{EntityKind, Field, Need, NeedStatus, Place, Provider, ProviderType, Service};
use crate::search::{Filter, IndexError, SearchIndex, SearchRequest};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Providers shown per lead.
pub const LEAD_PROVIDERS: usize = 3;
/// Needs matched per leads request.
pub const LEAD_CANDIDATES: usize = 60;
/// Open needs read per leads or gaps request.
pub const NEED_CANDIDATES: usize = 400;
/// Best score under which a need is a gap.
pub const GAP_SCORE: f64 = 0.3;
/// Open needs checked for gaps per request.
pub const GAP_NEEDS: usize = 300;

/// A provider in a lead.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeadProvider {
    /// The provider record.
    pub provider: Arc<Provider>,
    /// Its score for the need.
    pub score: f64,
    /// Why, in one line.
    pub summary: String,
}

/// Who has the need.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseRef {
    /// Id.
    pub id: String,
}

/// Why a lead is where it is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeadExplanation {
    /// One line in Chinese.
    pub summary: String,
    /// Budget used (万元).
    pub budget_wan: f64,
    /// The need's text relevance to the broker's description (0–1).
    pub broker_relevance: f64,
}

/// One lead.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lead {
    /// The need.
    pub need: Need,
    /// Who has it.
    pub enterprise: EnterpriseRef,
    /// The providers that fit it best.
    pub providers: Vec<LeadProvider>,
    /// Budget × match probability (万元).
    pub expected_value: f64,
    /// Probability that at least one of the providers is accepted.
    pub match_probability: f64,
    /// Whether the budget was estimated.
    pub budget_estimated: bool,
    /// Why.
    pub explanation: LeadExplanation,
}

/// A need nobody fits well.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gap {
    /// The need.
    pub need: Need,
    /// The best provider's score (0 when none was found).
    pub best_score: f64,
    /// The best provider, if any.
    pub best_provider: Option<ProviderRef>,
    /// Stable machine code: `no_provider`, `service_missing`, `field_missing`,
    /// `providers_unavailable`, `weak_fit`.
    pub code: &'static str,
    /// Why, in Chinese.
    pub reason: String,
}

/// A provider by id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderRef {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The area a broker works in: district names for the index filter (empty = anywhere).
pub fn broker_districts(b: &Provider) -> Vec<String> {
    let mut places: Vec<&Place> = b.served_districts.iter().collect();
    places.extend(b.district.iter());
    if places.is_empty() || places.iter().any(|p| **p == Place::CityWide) {
        return Vec::new();
    }
    let mut names: Vec<String> = places.iter().map(|p| p.name().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// Open needs in the given districts and fields (empty = any), with the BM25 of each
/// against `text` over the best (0 without text), at most [`NEED_CANDIDATES`].
pub fn open_needs(
    index: &SearchIndex,
    text: &str,
    districts: Vec<String>,
    fields: Vec<Field>,
) -> Result<Vec<(Need, f64)>, IndexError> {
    let filter = Filter {
        kinds: vec![EntityKind::Need],
        statuses: vec![NeedStatus::Open],
        districts,
        fields,
        ..Filter::default()
    };
    let mut out: Vec<(Need, f64)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut read = |text: &str| -> Result<(), IndexError> {
        let res = index.search(&SearchRequest {
            text: text.to_string(),
            filter: filter.clone(),
            limit: NEED_CANDIDATES,
            ..SearchRequest::default()
        })?;
        let best = res.best_score();
        for h in res.hits {
            if out.len() >= NEED_CANDIDATES || !seen.insert(h.id.clone()) {
                continue;
            }
            let need: Need = serde_json::from_str(&h.doc).map_err(|e| IndexError::BadDocument {
                what: "need",
                detail: e.to_string(),
            })?;
            let rel = if text.is_empty() {
                0.0
            } else {
                f64::from(h.score / best)
            };
            out.push((need, rel));
        }
        Ok(())
    };
    if !text.trim().is_empty() {
        read(text)?;
    }
    read("")?;
    Ok(out)
}

/// The best providers for a stored need (no brokers: they are the go-between).
pub fn providers_for(
    ctx: Context<'_>,
    index: &SearchIndex,
    need: &Need,
    k: usize,
) -> Result<Vec<MatchResult>, IndexError> {
    let prepared = prepare_need(need, ctx.analyzer, ctx.ranker.model().map(|m| m.as_ref()));
    let filter =
        ProviderFilter::types(&[ProviderType::PilotPlatform, ProviderType::TransferAgency]);
    let (cands, terms) = retrieve(index, &prepared, &filter)?;
    Ok(rank(ctx, &prepared, cands, &terms, k))
}

/// Median budget per service among the needs (for needs that state none).
fn median_budgets(needs: &[(Need, f64)]) -> HashMap<Service, f64> {
    let mut by: HashMap<Service, Vec<f64>> = HashMap::new();
    for (n, _) in needs {
        if let Some(b) = n.budget_wan {
            by.entry(n.service).or_default().push(b);
        }
    }
    by.into_iter()
        .map(|(s, mut v)| {
            v.sort_by(f64::total_cmp);
            (s, v[v.len() / 2])
        })
        .collect()
}

/// Leads for a broker, best first. `skip` are needs not to offer (claimed by another
/// broker); needs with an accepted provider are skipped too.
pub fn leads(
    ctx: Context<'_>,
    index: &SearchIndex,
    broker: &Provider,
    viewer: &Viewer,
    skip: &HashSet<String>,
    limit: usize,
) -> Result<Vec<Lead>, IndexError> {
    let mut text = broker.keywords.join(" ");
    if let Some(d) = &broker.description {
        text.push(' ');
        text.push_str(d);
    }
    let needs = open_needs(
        index,
        &text,
        broker_districts(broker),
        broker.fields.clone(),
    )?;
    let medians = median_budgets(&needs);
    let overall = {
        let mut v: Vec<f64> = medians.values().copied().collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(10.0)
    };
    let mut pre: Vec<(f64, bool, f64, Need)> = needs
        .into_iter()
        .filter(|(n, _)| {
            !skip.contains(n.id.as_str())
                && !ctx.stats.need_is_matched(n.id.as_str())
                && viewer.may_see(n, |need, p| ctx.stats.pair(need, p).0)
        })
        .map(|(n, rel)| {
            let (budget, estimated) = match n.budget_wan {
                Some(b) => (b, false),
                None => (medians.get(&n.service).copied().unwrap_or(overall), true),
            };
            (budget, estimated, rel, n)
        })
        .collect();
    pre.sort_by(|a, b| {
        (b.0 * (0.5 + 0.5 * b.2))
            .total_cmp(&(a.0 * (0.5 + 0.5 * a.2)))
            .then_with(|| a.3.id.cmp(&b.3.id))
    });
    pre.truncate(LEAD_CANDIDATES);
    let mut out = Vec::with_capacity(pre.len());
    for (budget, estimated, rel, need) in pre {
        let top = providers_for(ctx, index, &need, LEAD_PROVIDERS)?;
        let p = 1.0 - top.iter().map(|r| 1.0 - r.score).product::<f64>();
        let ev = budget * p;
        let mut summary = format!(
            "{}预算 {budget:.0} 万元 × 成交概率 {p:.2} ≈ 期望 {ev:.1} 万元",
            if estimated { "估计" } else { "" }
        );
        if let Some(best) = top.first() {
            summary.push_str(&format!(
                "；最合适：{}（{:.2}）",
                best.provider.name, best.score
            ));
        }
        if let Some(d) = &need.district {
            summary.push_str(&format!("；需求在{}", d.name()));
        }
        out.push(Lead {
            enterprise: EnterpriseRef {
                id: need.enterprise_id.to_string(),
            },
            providers: top
                .into_iter()
                .map(|r| LeadProvider {
                    summary: r.explanation.summary.clone(),
                    provider: r.provider,
                    score: r.score,
                })
                .collect(),
            expected_value: ev,
            match_probability: p,
            budget_estimated: estimated,
            explanation: LeadExplanation {
                summary,
                budget_wan: budget,
                broker_relevance: rel,
            },
            need,
        });
    }
    out.sort_by(|a, b| {
        b.expected_value
            .total_cmp(&a.expected_value)
            .then_with(|| a.need.id.cmp(&b.need.id))
    });
    out.truncate(limit);
    Ok(out)
}

/// Of these needs, those no provider fits well (best score under `threshold`), worst first.
pub fn gaps(
    ctx: Context<'_>,
    index: &SearchIndex,
    needs: Vec<Need>,
    viewer: &Viewer,
    threshold: f64,
    limit: usize,
) -> Result<Vec<Gap>, IndexError> {
    let mut out = Vec::new();
    for need in needs {
        if !viewer.may_see(&need, |n, p| ctx.stats.pair(n, p).0) {
            continue;
        }
        let top = providers_for(ctx, index, &need, 1)?;
        let best = top.into_iter().next();
        let score = best.as_ref().map_or(0.0, |b| b.score);
        if score >= threshold {
            continue;
        }
        let (code, reason) = gap_reason(&need, best.as_ref());
        out.push(Gap {
            best_provider: best.as_ref().map(|b| ProviderRef {
                id: b.provider.id.to_string(),
                name: b.provider.name.clone(),
            }),
            best_score: score,
            code,
            reason,
            need,
        });
    }
    out.sort_by(|a, b| {
        a.best_score
            .total_cmp(&b.best_score)
            .then_with(|| a.need.id.cmp(&b.need.id))
    });
    out.truncate(limit);
    Ok(out)
}

fn gap_reason(need: &Need, best: Option<&MatchResult>) -> (&'static str, String) {
    let service = need.service.zh();
    let Some(best) = best else {
        return (
            "no_provider",
            format!("没有任何机构能承接这项{service}需求"),
        );
    };
    let feature = |name: &str| {
        best.explanation
            .features
            .iter()
            .find(|f| f.name == name)
            .map_or(0.0, |f| f.value)
    };
    if let Some(side) = &best.explanation.provider_side
        && side.factor < 0.5
    {
        let why: Vec<&str> = side.reasons.iter().map(|r| r.text.as_str()).collect();
        return (
            "providers_unavailable",
            format!("能做的机构暂不可用：{}", why.join("；")),
        );
    }
    if feature("service_match") < 1.0 {
        return (
            "service_missing",
            format!("没有机构提供对口的{service}服务"),
        );
    }
    if !need.fields.is_empty() && feature("field_overlap") == 0.0 {
        let fields: Vec<&str> = need.fields.iter().map(|f| f.zh()).collect();
        return (
            "field_missing",
            format!("提供{service}的机构都不在{}领域", fields.join("、")),
        );
    }
    (
        "weak_fit",
        format!("最合适的机构匹配度也只有 {:.2}", best.score),
    )
}

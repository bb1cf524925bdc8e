//! Commissioner → enterprises: which enterprises a technology commissioner is best placed
//! to serve. Candidates come from the index (enterprises whose text matches the
//! commissioner's expertise, and enterprises in the commissioner's districts and fields);
//! each is scored by a documented hand-weighted model:
//!
//! | feature | value | weight |
//! | --- | --- | --- |
//! | `district_match` | 1 in a served district, 0.5 in a neighbouring one | 2.0 |
//! | `field_overlap` | share of the commissioner's fields the enterprise works in | 1.5 |
//! | `has_open_need` | 1 when the enterprise has an open need | 1.5 |
//! | `text_bm25` | BM25 of the enterprise against the expertise, over the best | 1.0 |
//! | `priority` | 1 high-tech candidate (培育库), 0.5 tech SME not yet high-tech, 0.3 专精特新 | 0.5 |
//! | bias | | −3.0 |

use crate::domain::{Certification, Commissioner, Districts, Enterprise, EntityKind, Place};
use crate::rank::FeatureContribution;
use crate::rank::model::LinearHead;
use crate::search::{Filter, IndexError, SearchIndex, SearchRequest};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Feature weights, by name.
pub const WEIGHTS: [(&str, f64); 5] = [
    ("district_match", 2.0),
    ("field_overlap", 1.5),
    ("has_open_need", 1.5),
    ("text_bm25", 1.0),
    ("priority", 0.5),
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

/// Ranks enterprises for a commissioner.
pub fn rank_enterprises(
    index: &SearchIndex,
    c: &Commissioner,
    open_needs: &HashMap<String, i64>,
    exclude: &HashSet<String>,
    ranker: CommissionerRanker<'_>,
) -> Result<Vec<RankedEnterprise>, IndexError> {
    let mut text = c.expertise.clone().unwrap_or_default();
    for f in &c.fields {
        text.push(' ');
        text.push_str(f.zh());
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
    let mut out = Vec::new();
    for (doc, bm25) in docs {
        let e: Enterprise = serde_json::from_str(&doc)
            .map_err(|err| IndexError::Task(format!("stored enterprise does not parse: {err}")))?;
        if exclude.contains(e.id.as_str()) {
            continue;
        }
        let district_match = match &e.district {
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
        };
        let field_overlap = if c.fields.is_empty() {
            0.0
        } else {
            c.fields.iter().filter(|f| e.fields.contains(f)).count() as f64 / c.fields.len() as f64
        };
        let has = |x| e.certifications.contains(&x);
        let priority = if has(Certification::HighTechCandidate) {
            1.0
        } else if has(Certification::TechSme) && !has(Certification::HighTech) {
            0.5
        } else if has(Certification::Specialized) {
            0.3
        } else {
            0.0
        };
        let open = if open_needs.get(e.id.as_str()).copied().unwrap_or(0) > 0 {
            1.0
        } else {
            0.0
        };
        let values = [district_match, field_overlap, open, bm25, priority];
        let (score, features) = match ranker {
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
        out.push(RankedEnterprise {
            enterprise: e,
            score,
            features,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.enterprise.id.cmp(&b.enterprise.id))
    });
    Ok(out)
}

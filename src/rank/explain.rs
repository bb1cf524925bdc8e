//! Scores and explanations: each feature's value and exact contribution (`Scored`), and
//! why a result is where it is (`Explanation`: the contributions, the matched terms, the
//! provider side, a one-line Chinese summary). Knows no ranker: the rankers produce
//! `Scored`, this turns it into words.

use super::features::{Geo, PairFeatures};
use super::reciprocity::{Load, ProviderSide};
use crate::domain::Service;
use serde::Serialize;

/// One feature's part in a score.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FeatureContribution {
    /// Feature name.
    pub name: &'static str,
    /// Its value for this pair.
    pub value: f64,
    /// What it added to the logit (or to the score, for BM25).
    pub contribution: f64,
}

/// A score and how it came about.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The score (a probability for logistic rankers).
    pub score: f64,
    /// Per-feature contributions.
    pub contributions: Vec<FeatureContribution>,
}

/// Why a result is where it is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// Every feature's value and contribution.
    pub features: Vec<FeatureContribution>,
    /// Query words (or their synonyms) found in the result's text.
    pub matched_terms: Vec<String>,
    /// One line in Chinese built from the largest contributions.
    pub summary: String,
    /// The provider side: whether it can and will take the work (need → provider only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_side: Option<ProviderSide>,
    /// The provider's running engagements against its capacity (need → provider only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<Load>,
}

impl Explanation {
    /// Builds the explanation of a scored pair.
    pub fn new(
        scored: Scored,
        f: &PairFeatures,
        service: Option<Service>,
        matched_terms: Vec<String>,
    ) -> Explanation {
        let summary = summary(&scored, f, service, &matched_terms);
        Explanation {
            features: scored.contributions,
            matched_terms,
            summary,
            provider_side: None,
            load: None,
        }
    }

    /// Adds the provider side; its reasons become warnings in the summary.
    pub fn with_provider_side(mut self, side: ProviderSide, load: Load) -> Explanation {
        if !side.reasons.is_empty() {
            let mut parts: Vec<String> = self
                .summary
                .split('；')
                .filter(|p| *p != AT_CAPACITY_NOTE)
                // The provider side says it more precisely.
                .filter(|p| !(p.starts_with("注意：位于") && p.ends_with("距离较远")))
                .map(str::to_string)
                .collect();
            parts.extend(side.reasons.iter().map(|r| format!("注意：{}", r.text)));
            self.summary = parts.join("；");
        }
        self.provider_side = Some(side);
        self.load = Some(load);
        self
    }
}

const AT_CAPACITY_NOTE: &str = "注意：当前已满负荷";
/// The smallest contribution to the logit the summary names as a reason.
const MIN_REASON: f64 = 0.02;
const LOW_RELEVANCE: &str = "相关度较低，仅供参考";

fn summary(
    scored: &Scored,
    f: &PairFeatures,
    service: Option<Service>,
    matched: &[String],
) -> String {
    let mut parts: Vec<(f64, String)> = Vec::new();
    for c in &scored.contributions {
        // A reason must carry weight: a contribution too small to move a rank (a feature
        // the model barely uses) is not named.
        if c.contribution <= MIN_REASON {
            continue;
        }
        let phrase = match c.name {
            "text_bm25" | "tfidf_cosine" | "lsa_cosine" if !matched.is_empty() => Some(format!(
                "描述相关：{}",
                matched
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("、")
            )),
            "lsa_cosine" | "tfidf_cosine" => Some("技术方向相近".to_string()),
            "concept_overlap" => f.concepts.first().map(|m| {
                let name = &crate::domain::concepts::Thesaurus::get()
                    .concept(m.concept)
                    .name;
                if *name == m.need_surface {
                    format!("概念：{name}")
                } else {
                    format!("概念：{name} ← {}", m.need_surface)
                }
            }),
            "track_record" => Some("过往对接接受率高（历史成交记录）".to_string()),
            "qualified" => Some("资质齐全".to_string()),
            "service_match" => service.map(|s| {
                if c.value >= 1.0 {
                    format!("提供{}", s.zh())
                } else {
                    format!("提供与{}相近的服务", s.zh())
                }
            }),
            "field_overlap" if !f.shared_fields.is_empty() => Some(format!(
                "同属{}领域",
                f.shared_fields
                    .iter()
                    .map(|x| x.zh())
                    .collect::<Vec<_>>()
                    .join("、")
            )),
            "geo" | "geo_if_near" => match &f.geo {
                Geo::SameDistrict(d) => Some(format!("同在{d}")),
                Geo::Serves(d) => Some(format!("服务范围覆盖{d}")),
                Geo::Neighbour(d) => Some(format!("位于相邻的{d}")),
                Geo::CityWide => Some("服务全市".to_string()),
                _ => None,
            },
            "type_prior" if c.value >= 0.8 => Some("机构类型对口".to_string()),
            _ => None,
        };
        if let Some(p) = phrase {
            match parts.iter_mut().find(|(_, q)| *q == p) {
                Some(existing) => existing.0 += c.contribution,
                None => parts.push((c.contribution, p)),
            }
        }
    }
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut line: Vec<String> = parts.into_iter().take(3).map(|(_, p)| p).collect();
    if f.get("excluded") > 0.0 {
        line.push(match &f.exclusion {
            Some(clause) if clause.starts_with("需求写明") => {
                format!("注意：与需求排除的范围相符（{clause}）")
            }
            Some(clause) => format!("注意：该机构声明不承接此类工作（“{clause}”）"),
            None => "注意：该机构声明不承接此类工作".to_string(),
        });
    }
    if f.get("at_capacity") > 0.0 {
        line.push(AT_CAPACITY_NOTE.to_string());
    }
    match &f.geo {
        Geo::Outside(o) => line.push(format!("注意：位于市外（{o}）")),
        Geo::SameCity(d) if f.get("geo_if_near") > 0.0 => {
            line.push(format!("注意：位于{d}，距离较远"))
        }
        _ => {}
    }
    if line.is_empty() {
        LOW_RELEVANCE.to_string()
    } else {
        line.join("；")
    }
}

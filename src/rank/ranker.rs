//! The rankers a request may ask for — the learned model, the hand-weighted baseline
//! (`baseline`), BM25 alone — and scoring a pair with each. Explanations live in
//! `explain` (which the model's scoring uses too, so neither depends on this file's
//! `Ranker`).

use super::baseline;
use super::explain::{FeatureContribution, Scored};
use super::features::{NAMES, PairFeatures};
use super::model::RankerModel;
use serde::Serialize;
use std::sync::Arc;

/// Which ranker orders the results.
#[derive(Debug, Clone)]
pub enum Ranker {
    /// A trained logistic model.
    Learned(Arc<RankerModel>),
    /// Hand-weighted logistic baseline.
    Baseline,
    /// Text relevance alone.
    Bm25,
}

/// The ranker names a request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankerName {
    /// The active (or a pinned) trained model; the baseline when none is available.
    Learned,
    /// Hand-weighted baseline.
    Baseline,
    /// BM25 alone.
    Bm25,
}

impl RankerName {
    /// Every ranker, for side-by-side evaluation.
    pub const ALL: [RankerName; 3] = [RankerName::Learned, RankerName::Baseline, RankerName::Bm25];

    /// Parses `learned`, `baseline` or `bm25` (else `unknown_ranker`).
    pub fn parse(s: &str) -> Result<RankerName, crate::error_code::Coded> {
        match s {
            "learned" => Ok(RankerName::Learned),
            "baseline" => Ok(RankerName::Baseline),
            "bm25" => Ok(RankerName::Bm25),
            other => Err(crate::error_code::Coded::new(
                crate::error_code::Code::UnknownRanker,
                format!("未知的排序器“{other}”，可用：learned, baseline, bm25"),
            )),
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            RankerName::Learned => "learned",
            RankerName::Baseline => "baseline",
            RankerName::Bm25 => "bm25",
        }
    }
}

impl Ranker {
    /// The name used in the API.
    pub fn name(&self) -> &'static str {
        match self {
            Ranker::Learned(_) => "learned",
            Ranker::Baseline => "baseline",
            Ranker::Bm25 => "bm25",
        }
    }

    /// The model, for a learned ranker.
    pub fn model(&self) -> Option<&Arc<RankerModel>> {
        match self {
            Ranker::Learned(m) => Some(m),
            _ => None,
        }
    }

    /// Scores one pair: the score and each feature's contribution to it.
    pub fn score(&self, f: &PairFeatures) -> Scored {
        match self {
            Ranker::Learned(m) => m.score(f),
            Ranker::Bm25 => {
                let v = f.values[0];
                Scored {
                    score: v,
                    contributions: vec![FeatureContribution {
                        name: NAMES[0],
                        value: v,
                        contribution: v,
                    }],
                }
            }
            Ranker::Baseline => baseline::score(f),
        }
    }

    /// The score of [`Ranker::score`] alone, exactly, with nothing allocated: for ranking
    /// every candidate before explaining the few shown.
    pub fn score_value(&self, f: &PairFeatures) -> f64 {
        match self {
            Ranker::Learned(m) => m.score_value(f),
            Ranker::Bm25 => f.values[0],
            Ranker::Baseline => baseline::score_value(f),
        }
    }
}

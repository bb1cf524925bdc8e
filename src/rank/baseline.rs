//! The hand-weighted baseline ranker: its weights and its score.
//!
//! **Baseline** (hand-weighted, documented here and in the README): a logistic score
//! `σ(b + Σ wᵢ·xᵢ)` over the pair features, with
//!
//! | feature | weight |
//! | --- | --- |
//! | `text_bm25` | 2.5 |
//! | `service_match` | 2.0 |
//! | `field_overlap` | 1.0 |
//! | `geo` | 0.8 |
//! | `geo_if_near` | 1.5 |
//! | `type_prior` | 1.0 |
//! | bias `b` | −4.0 |
//!
//! Text carries the most weight because it is the only signal of the specific technology;
//! the right service is nearly as important (a testing lab cannot run a pilot line);
//! geography matters mainly when the need insists on being near.
//!
//! **BM25**: the normalised text score alone (the floor the other rankers must beat).

use super::explain::{FeatureContribution, Scored};
use super::features::PairFeatures;

/// The baseline's weights by feature name (features not listed weigh 0 and are not shown).
pub const BASELINE_WEIGHTS: [(&str, f64); 6] = [
    ("text_bm25", 2.5),
    ("service_match", 2.0),
    ("field_overlap", 1.0),
    ("geo", 0.8),
    ("geo_if_near", 1.5),
    ("type_prior", 1.0),
];
/// The baseline's bias.
pub const BASELINE_BIAS: f64 = -4.0;

/// The baseline's score with each feature's contribution to the logit.
pub fn score(f: &PairFeatures) -> Scored {
    Scored {
        score: score_value(f),
        contributions: baseline_terms(f)
            .map(|(name, value, contribution)| FeatureContribution {
                name,
                value,
                contribution,
            })
            .collect(),
    }
}

/// The baseline's score alone, with nothing allocated.
pub fn score_value(f: &PairFeatures) -> f64 {
    let logit = BASELINE_BIAS + baseline_terms(f).map(|(_, _, c)| c).sum::<f64>();
    1.0 / (1.0 + (-logit).exp())
}

/// The baseline's features: name, value and term of the logit.
fn baseline_terms(f: &PairFeatures) -> impl Iterator<Item = (&'static str, f64, f64)> + '_ {
    BASELINE_WEIGHTS.iter().map(|&(name, w)| {
        let value = f.get(name);
        (name, value, w * value)
    })
}

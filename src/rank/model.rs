//! The learned ranker's file format and scoring. A model file (`ranker-<version>.json`)
//! holds the feature names, the standardisation (mean, std), the logistic weights and
//! bias, the fitted text model (TF-IDF vocabulary and latent semantic projection), the
//! field classifier, a summary of the training data and the evaluation metrics. Scoring
//! is `σ(b + Σ wᵢ·(xᵢ − μᵢ)/σᵢ)`; each feature's contribution is exactly its term of that
//! sum, so contributions plus the bias are the logit.

use super::explain::{FeatureContribution, Scored};
use super::features::{NAMES, PairFeatures};
use super::field_infer::{FieldAccuracy, FieldClassifier};
use super::text_model::{SparseVec, TextModel};
use crate::domain::{Field, Provider};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// The model-file format version this build reads and writes.
pub const MODEL_FORMAT: u32 = 1;
/// Provider profiles kept per model before the cache is cleared.
const PROFILE_CACHE_LIMIT: usize = 200_000;

/// Errors reading a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// File trouble.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a model of this format.
    #[error("model file is not valid: {0}")]
    Invalid(String),
}

/// Metrics of one ranker on the held-out needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct RankerMetrics {
    /// ROC AUC over the labelled held-out pairs.
    pub auc: Option<f64>,
    /// NDCG@10 over held-out needs with a positive.
    pub ndcg_at_10: f64,
    /// Mean reciprocal rank of the first positive.
    pub mrr: f64,
    /// Needs evaluated.
    pub needs: usize,
}

/// What the model was trained on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct TrainingSummary {
    /// Feedback events read.
    pub events: usize,
    /// Labelled pairs (after weighting by replication).
    pub pairs: usize,
    /// Positive pairs.
    pub positives: usize,
    /// Needs in the training split.
    pub train_needs: usize,
    /// Needs in the test split.
    pub test_needs: usize,
    /// Examination propensity by rank (index 0 = rank 1) used for inverse-propensity weights.
    pub propensity: Vec<f64>,
    /// Documents the text model was fitted on.
    pub text_docs: usize,
    /// Seconds the training took.
    pub seconds: f64,
}

/// The model file.
#[derive(Debug, Serialize, Deserialize)]
pub struct RankerModel {
    /// File format version ([`MODEL_FORMAT`]).
    pub format: u32,
    /// Version name (`YYYYMMDDTHHMMSSZ`, sortable).
    pub version: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Feature names, in weight order.
    pub feature_names: Vec<String>,
    /// Standardisation means.
    pub mean: Vec<f64>,
    /// Standardisation standard deviations (never 0).
    pub std: Vec<f64>,
    /// Logistic weights on standardised features.
    pub weights: Vec<f64>,
    /// Logistic bias.
    pub bias: f64,
    /// Fitted text model.
    pub text: TextModel,
    /// Field classifier for records without fields.
    pub fields: FieldClassifier,
    /// Training data summary.
    pub training: TrainingSummary,
    /// Held-out metrics per ranker (`learned`, `active`, `baseline`, `bm25`).
    pub metrics: BTreeMap<String, RankerMetrics>,
    /// Held-out accuracy of the field classifier.
    pub field_accuracy: Option<FieldAccuracy>,
    /// The commissioner → enterprise model, when commissioner feedback allowed one.
    #[serde(default)]
    pub commissioner: Option<LinearHead>,
    /// Where each feature sits in [`NAMES`] (rebuilt on load).
    #[serde(skip)]
    slots: Vec<usize>,
    /// Provider profiles by [`crate::search::content_hash`] of the record (already a
    /// hash, so keyed with a fast one: read for every candidate of every match).
    #[serde(skip)]
    profiles: RwLock<FxHashMap<u64, Arc<Profile>>>,
}

/// A small logistic model over named features (the commissioner → enterprise ranker).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LinearHead {
    /// Feature names, in weight order.
    pub feature_names: Vec<String>,
    /// Standardisation means.
    pub mean: Vec<f64>,
    /// Standardisation standard deviations.
    pub std: Vec<f64>,
    /// Weights on standardised features.
    pub weights: Vec<f64>,
    /// Bias.
    pub bias: f64,
    /// Held-out metrics (`learned`, `baseline`, `bm25`).
    pub metrics: BTreeMap<String, RankerMetrics>,
    /// Commissioners and labelled pairs trained on.
    pub trained_on: (usize, usize),
}

impl LinearHead {
    /// Scores named feature values (missing names count 0): the probability and each
    /// feature's exact contribution to the logit.
    pub fn score(&self, values: &[(&'static str, f64)]) -> Scored {
        let mut logit = self.bias;
        let contributions = values
            .iter()
            .filter_map(|(name, value)| {
                let i = self.feature_names.iter().position(|n| n == name)?;
                let c = self.weights[i] * (value - self.mean[i]) / self.std[i];
                logit += c;
                Some(FeatureContribution {
                    name,
                    value: *value,
                    contribution: c,
                })
            })
            .collect();
        Scored {
            score: 1.0 / (1.0 + (-logit).exp()),
            contributions,
        }
    }

    fn check(&self) -> Result<(), ModelError> {
        let n = self.feature_names.len();
        if n == 0
            || self.mean.len() != n
            || self.std.len() != n
            || self.weights.len() != n
            || self.std.iter().any(|s| s.is_nan() || *s <= 0.0)
        {
            return Err(ModelError::Invalid(
                "commissioner model shapes differ".into(),
            ));
        }
        Ok(())
    }
}

/// A provider as the model sees it: text vectors and (possibly inferred) fields.
#[derive(Debug)]
pub struct Profile {
    /// TF-IDF vector of name, keywords and description.
    pub tfidf: SparseVec,
    /// Latent semantic vector.
    pub lsa: Vec<f32>,
    /// The provider's fields, or inferred ones when it names none.
    pub fields: Vec<Field>,
    /// Whether `fields` were inferred.
    pub fields_inferred: bool,
}

/// A need (or free text) as the model sees it.
#[derive(Debug, Clone, Default)]
pub struct NeedVectors {
    /// TF-IDF vector.
    pub tfidf: SparseVec,
    /// Latent semantic vector.
    pub lsa: Vec<f32>,
    /// `tfidf` spread out by term index, for dot products against many providers.
    spread: Vec<f32>,
}

impl NeedVectors {
    /// The TF-IDF cosine with a provider's vector: [`super::text_model::cosine_sparse`],
    /// exactly (the same products summed in the same order), but by lookup into the
    /// spread-out need vector rather than a merge walk: one pass over the provider's
    /// terms, no branches to mispredict. Scoring hundreds of candidates per need does this.
    pub fn tfidf_cosine(&self, provider: &SparseVec) -> f32 {
        let mut dot = 0.0f32;
        for &(i, w) in &provider.0 {
            if let Some(&v) = self.spread.get(i as usize) {
                dot += v * w;
            }
        }
        dot
    }
}

impl RankerModel {
    /// Assembles a model (after training).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        version: String,
        created_at: String,
        feature_names: Vec<String>,
        mean: Vec<f64>,
        std: Vec<f64>,
        weights: Vec<f64>,
        bias: f64,
        text: TextModel,
        fields: FieldClassifier,
    ) -> Result<RankerModel, ModelError> {
        let mut m = RankerModel {
            format: MODEL_FORMAT,
            version,
            created_at,
            feature_names,
            mean,
            std,
            weights,
            bias,
            text,
            fields,
            training: TrainingSummary::default(),
            metrics: BTreeMap::new(),
            field_accuracy: None,
            commissioner: None,
            slots: Vec::new(),
            profiles: RwLock::new(FxHashMap::default()),
        };
        m.check()?;
        Ok(m)
    }

    fn check(&mut self) -> Result<(), ModelError> {
        if self.format != MODEL_FORMAT {
            return Err(ModelError::Invalid(format!(
                "format {} (this build reads {MODEL_FORMAT})",
                self.format
            )));
        }
        let n = self.feature_names.len();
        if n == 0 || self.mean.len() != n || self.std.len() != n || self.weights.len() != n {
            return Err(ModelError::Invalid(
                "feature, mean, std and weight lengths differ".into(),
            ));
        }
        if self.std.iter().any(|s| s.is_nan() || *s <= 0.0)
            || !self.bias.is_finite()
            || self.weights.iter().any(|w| !w.is_finite())
        {
            return Err(ModelError::Invalid(
                "non-finite weights or zero standard deviation".into(),
            ));
        }
        self.slots = self
            .feature_names
            .iter()
            .map(|name| {
                NAMES.iter().position(|n| n == name).ok_or_else(|| {
                    ModelError::Invalid(format!(
                        "unknown feature “{name}” (this build knows {NAMES:?})"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        self.text
            .validate()
            .map_err(|e| ModelError::Invalid(e.to_string()))?;
        self.fields
            .validate()
            .map_err(|e| ModelError::Invalid(e.to_string()))?;
        if let Some(c) = &self.commissioner {
            c.check()?;
        }
        Ok(())
    }

    /// Parses and checks a model file's text.
    pub fn from_json(s: &str) -> Result<RankerModel, ModelError> {
        let mut m: RankerModel =
            serde_json::from_str(s).map_err(|e| ModelError::Invalid(e.to_string()))?;
        m.check()?;
        Ok(m)
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<RankerModel, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        RankerModel::from_json(&text)
    }

    /// The file's JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("models serialise")
    }

    /// Scores one pair; contributions are exact terms of the logit.
    pub fn score(&self, f: &PairFeatures) -> Scored {
        let contributions: Vec<FeatureContribution> = self
            .terms(f)
            .map(|(slot, value, contribution)| FeatureContribution {
                name: NAMES[slot],
                value,
                contribution,
            })
            .collect();
        Scored {
            score: self.score_value(f),
            contributions,
        }
    }

    /// The score of [`RankerModel::score`] alone (nothing allocated: for ranking every
    /// candidate before explaining the few shown). Sums the same terms in the same order,
    /// so the two agree exactly.
    pub fn score_value(&self, f: &PairFeatures) -> f64 {
        let logit = self.terms(f).fold(self.bias, |acc, (_, _, c)| acc + c);
        1.0 / (1.0 + (-logit).exp())
    }

    /// Each feature's slot in [`NAMES`], value and term of the logit, in weight order.
    fn terms<'a>(&'a self, f: &'a PairFeatures) -> impl Iterator<Item = (usize, f64, f64)> + 'a {
        self.slots.iter().enumerate().map(|(i, &slot)| {
            let value = f.values[slot];
            (
                slot,
                value,
                self.weights[i] * (value - self.mean[i]) / self.std[i],
            )
        })
    }

    /// Text vectors of a need's analysed terms.
    pub fn need_vectors(&self, terms: &[String]) -> NeedVectors {
        let tfidf = self.text.tfidf(terms);
        let lsa = self.text.embed(&tfidf);
        let mut spread = vec![0.0f32; tfidf.0.last().map_or(0, |&(i, _)| i as usize + 1)];
        for &(i, w) in &tfidf.0 {
            spread[i as usize] = w;
        }
        NeedVectors { tfidf, lsa, spread }
    }

    /// The profile of a provider, cached by its content (`content` is
    /// [`crate::search::content_hash`] of the stored record). `terms` analyses the
    /// provider's text when the profile is not cached.
    pub fn profile(
        &self,
        p: &Provider,
        content: u64,
        terms: impl FnOnce() -> Vec<String>,
    ) -> Arc<Profile> {
        if let Ok(cache) = self.profiles.read()
            && let Some(prof) = cache.get(&content)
        {
            return prof.clone();
        }
        let terms = terms();
        let tfidf = self.text.tfidf(&terms);
        let lsa = self.text.embed(&tfidf);
        let (fields, fields_inferred) = if p.fields.is_empty() {
            (self.fields.infer(&terms), true)
        } else {
            (p.fields.clone(), false)
        };
        let prof = Arc::new(Profile {
            tfidf,
            lsa,
            fields,
            fields_inferred,
        });
        if let Ok(mut cache) = self.profiles.write() {
            if cache.len() >= PROFILE_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(content, prof.clone());
        }
        prof
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::features::{Extra, NeedSide};

    /// The committed default model must load with this build: a format change that breaks
    /// it fails here, not in production.
    #[test]
    fn the_committed_default_model_loads_and_scores() {
        let m = RankerModel::from_json(include_str!("../../models/ranker-default-2.json")).unwrap();
        assert_eq!(m.version, "default-2");
        assert_eq!(m.feature_names.len(), NAMES.len());
        assert!(m.metrics.contains_key("learned") && m.metrics.contains_key("bm25"));
        let p: Provider = serde_json::from_value(
            serde_json::json!({"id":"P-1","name":"中试基地","services":["pilot_scale"]}),
        )
        .unwrap();
        let side = NeedSide {
            service: Some(crate::domain::Service::PilotScale),
            ..NeedSide::default()
        };
        let f = PairFeatures::compute(&side, &p, &[], 0.8, Extra::default());
        let s = m.score(&f);
        assert!(s.score > 0.0 && s.score < 1.0);
        let logit: f64 = m.bias + s.contributions.iter().map(|c| c.contribution).sum::<f64>();
        assert!(
            (1.0 / (1.0 + (-logit).exp()) - s.score).abs() < 1e-12,
            "contributions are exact"
        );
        let prof = m.profile(&p, 1, || vec!["中试".to_string(), "熟化".to_string()]);
        assert_eq!(prof.lsa.len(), m.text.dims());
    }

    /// The shipped model respects every known direction (nearer is not worse, near
    /// capacity is not better, an excluded scope is worse, …).
    #[test]
    fn the_committed_default_model_keeps_known_directions() {
        let m = RankerModel::from_json(include_str!("../../models/ranker-default-2.json")).unwrap();
        for (name, w) in m.feature_names.iter().zip(&m.weights) {
            let d = f64::from(crate::rank::train::direction(name));
            assert!(
                d * w >= 0.0,
                "{name} has weight {w} against its direction {d}"
            );
        }
        let w = |n: &str| m.weights[m.feature_names.iter().position(|x| x == n).unwrap()];
        assert!(
            w("excluded") < 0.0,
            "an excluded scope must count against a provider"
        );
        assert!(w("concept_overlap") > 0.0 && w("text_bm25") > 0.0);
    }

    #[test]
    fn the_spread_tfidf_cosine_equals_the_merge_walk_exactly() {
        let m = RankerModel::from_json(include_str!("../../models/ranker-default-2.json")).unwrap();
        let texts = [
            vec!["中试", "熟化", "放大", "工艺", "中试"],
            vec!["检测", "认证", "电池", "熟化"],
            vec!["工艺", "电池", "从未见过的词"],
            vec![],
        ];
        let terms = |t: &Vec<&str>| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for need in &texts {
            let v = m.need_vectors(&terms(need));
            for provider in &texts {
                let p = m.text.tfidf(&terms(provider));
                let walk = crate::rank::text_model::cosine_sparse(&v.tfidf, &p);
                assert_eq!(
                    v.tfidf_cosine(&p).to_bits(),
                    walk.to_bits(),
                    "{need:?} · {provider:?}"
                );
            }
        }
        let v = m.need_vectors(&terms(&texts[0]));
        assert!(v.tfidf_cosine(&v.tfidf) > 0.99, "a vector with itself");
    }

    #[test]
    fn a_broken_model_file_is_refused_with_a_reason() {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../models/ranker-default-2.json")).unwrap();
        v["weights"] = serde_json::json!([1.0]);
        let err = RankerModel::from_json(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(err.contains("lengths"), "{err}");
        v["feature_names"][0] = "mystery".into();
        assert!(RankerModel::from_json(&v.to_string()).is_err());
    }
}

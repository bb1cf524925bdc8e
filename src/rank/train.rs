//! Fitting the ranker's weights: standardise the features, turn example weights into
//! replicated rows (linfa-logistic has no sample weights: a weight w becomes ⌊w⌋ copies
//! plus one more with probability w − ⌊w⌋, seeded, so weak negatives are subsampled and
//! inverse-propensity-weighted positives repeated), and fit an L2-regularised logistic
//! regression with linfa-logistic. Params → checked params → fitted model.

use crate::rng::SplitMix64;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// Hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainParams {
    /// L2 strength per (replicated) row; linfa sums the loss over rows, so the total is
    /// scaled by the row count to keep regularisation constant as data grows. Default 1e-4.
    pub alpha_per_row: f64,
    /// Solver iterations. Default 200.
    pub max_iterations: u64,
    /// Largest example weight (inverse propensities are capped here). Default 10.
    pub max_weight: f64,
    /// Seed for replication. Default 11.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            alpha_per_row: 1e-4,
            max_iterations: 200,
            max_weight: 10.0,
            seed: 11,
        }
    }
}

/// Why fitting failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Not enough labelled data.
    #[error("not enough training data: {0}")]
    NotEnoughData(String),
    /// Bad hyper-parameters.
    #[error("bad training parameters: {0}")]
    BadParams(String),
    /// linfa failed.
    #[error("logistic regression failed: {0}")]
    Fit(String),
}

impl TrainParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<&Self, TrainError> {
        if !(self.alpha_per_row >= 0.0 && self.alpha_per_row.is_finite()) {
            return Err(TrainError::BadParams(format!(
                "alpha_per_row {}",
                self.alpha_per_row
            )));
        }
        if self.max_iterations == 0 || self.max_weight.is_nan() || self.max_weight < 1.0 {
            return Err(TrainError::BadParams(
                "max_iterations must be > 0 and max_weight ≥ 1".into(),
            ));
        }
        Ok(self)
    }
}

/// One labelled example.
#[derive(Debug, Clone)]
pub struct Example {
    /// Feature values.
    pub x: Vec<f64>,
    /// Accepted (true) or not.
    pub label: bool,
    /// Example weight (> 0).
    pub weight: f64,
}

/// Fitted weights on standardised features.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Feature means.
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 for constant features).
    pub std: Vec<f64>,
    /// Weights (log-odds of acceptance per standard deviation).
    pub weights: Vec<f64>,
    /// Intercept.
    pub bias: f64,
    /// Rows after replication.
    pub rows: usize,
}

/// Fits a logistic regression to weighted examples.
pub fn fit(examples: &[Example], params: &TrainParams) -> Result<Fitted, TrainError> {
    params.check()?;
    let d = examples
        .first()
        .map(|e| e.x.len())
        .ok_or_else(|| TrainError::NotEnoughData("no examples".into()))?;
    let positives = examples.iter().filter(|e| e.label).count();
    if positives == 0 || positives == examples.len() {
        return Err(TrainError::NotEnoughData(format!(
            "{positives} positive and {} negative examples; both are needed",
            examples.len() - positives
        )));
    }
    let n = examples.len() as f64;
    let mut mean = vec![0.0; d];
    for e in examples {
        for (m, x) in mean.iter_mut().zip(&e.x) {
            *m += x / n;
        }
    }
    let mut std = vec![0.0; d];
    for e in examples {
        for ((s, x), m) in std.iter_mut().zip(&e.x).zip(&mean) {
            *s += (x - m).powi(2) / n;
        }
    }
    for s in &mut std {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    let mut rng = SplitMix64(params.seed);
    let mut data: Vec<f64> = Vec::new();
    let mut labels: Vec<bool> = Vec::new();
    for e in examples {
        let w = e.weight.clamp(0.0, params.max_weight);
        let copies = w.floor() as usize + usize::from(rng.next_f64() < w.fract());
        for _ in 0..copies {
            data.extend(
                e.x.iter()
                    .zip(&mean)
                    .zip(&std)
                    .map(|((x, m), s)| (x - m) / s),
            );
            labels.push(e.label);
        }
    }
    let rows = labels.len();
    let pos_rows = labels.iter().filter(|l| **l).count();
    if pos_rows == 0 || pos_rows == rows {
        return Err(TrainError::NotEnoughData(
            "after weighting only one class is left".into(),
        ));
    }
    let x = Array2::from_shape_vec((rows, d), data).map_err(|e| TrainError::Fit(e.to_string()))?;
    let y = Array1::from_vec(labels);
    let dataset = Dataset::new(x, y);
    let model = LogisticRegression::default()
        .alpha(params.alpha_per_row * rows as f64)
        .max_iterations(params.max_iterations)
        .fit(&dataset)
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    // linfa models P(the more frequent class); flip when that is "not accepted".
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    Ok(Fitted {
        mean,
        std,
        weights: model.params().iter().map(|w| sign * w).collect(),
        bias: sign * model.intercept(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_direction_of_a_known_signal_whatever_the_class_balance() {
        let mut rng = SplitMix64(3);
        let mut examples = Vec::new();
        for _ in 0..4000 {
            let a = rng.next_f64();
            let b = rng.next_f64();
            // Acceptance depends on a (strongly, positively) and not on b; positives rare.
            let p = 1.0 / (1.0 + (-(8.0 * a - 6.0)).exp());
            examples.push(Example {
                x: vec![a, b],
                label: rng.next_f64() < p,
                weight: 1.0,
            });
        }
        let f = fit(&examples, &TrainParams::default()).unwrap();
        assert!(f.weights[0] > 1.0, "{:?}", f.weights);
        assert!(f.weights[1].abs() < 0.3, "{:?}", f.weights);
        // Weight 0 drops rows; weight 3 triples them.
        let weighted: Vec<Example> = examples
            .iter()
            .map(|e| Example {
                weight: if e.label { 3.0 } else { 0.5 },
                ..e.clone()
            })
            .collect();
        let g = fit(&weighted, &TrainParams::default()).unwrap();
        assert!(
            g.bias > f.bias,
            "up-weighting positives raises the intercept"
        );
        assert!(fit(&examples[..1], &TrainParams::default()).is_err());
    }
}

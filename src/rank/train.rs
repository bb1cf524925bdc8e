//! Fitting the ranker's weights: a weighted logistic regression on standardised features,
//! solved by projected Newton steps, with
//!
//! - **a prior centred on the active model**: the penalty is `λ/2 · ‖w − w₀‖²` where `w₀`
//!   are the active model's weights (in its own standardisation, which the new model
//!   keeps), so a few hundred feedback events adjust a model instead of replacing it;
//!   without a prior `w₀ = 0` (plain ridge);
//! - **its strength chosen by cross-validation over needs**: examples carry their need's
//!   group; for each candidate `λ` the needs are split into folds, and the `λ` whose
//!   held-out folds have the best weighted log-likelihood wins (a proper score: a rank
//!   metric over a handful of logged pairs per need saturates and cannot choose);
//! - **directions that are known** ([`DIRECTIONS`]): nearer is not worse, being near
//!   capacity is not better, an excluded scope is worse, … — a weight against its known
//!   direction is held at 0.
//!
//! Params → checked params → fitted model.

use super::features::NAMES;

/// The known direction of each feature's weight (+1: not negative; −1: not positive;
/// 0: free), in [`NAMES`] order.
pub const DIRECTIONS: [i8; NAMES.len()] = [
    1,  // text_bm25
    1,  // service_match
    1,  // field_overlap
    1,  // geo: nearer is not worse
    1,  // geo_if_near
    1,  // type_prior
    1,  // tfidf_cosine
    1,  // lsa_cosine
    0,  // related_service
    -1, // outside_city
    -1, // load: near capacity is not better
    -1, // at_capacity
    1,  // track_record
    1,  // qualified
    1,  // concept_overlap
    -1, // excluded
];

/// The direction of a feature by name (0 for names this build does not know).
pub fn direction(name: &str) -> i8 {
    NAMES
        .iter()
        .position(|n| *n == name)
        .map_or(0, |i| DIRECTIONS[i])
}

/// Hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainParams {
    /// Candidate prior strengths `λ` (per unit of total example weight); the best by
    /// cross-validation is used. One candidate skips the cross-validation.
    pub lambdas: Vec<f64>,
    /// Cross-validation folds over needs. Default 5.
    pub folds: usize,
    /// Newton iterations. Default 60.
    pub max_iterations: u64,
    /// Largest example weight (inverse propensities are capped here). Default 10.
    pub max_weight: f64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            lambdas: vec![0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
            folds: 5,
            max_iterations: 60,
            max_weight: 10.0,
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
    /// The solver failed.
    #[error("logistic regression failed: {0}")]
    Fit(String),
}

impl TrainParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<&Self, TrainError> {
        if self.lambdas.is_empty() || self.lambdas.iter().any(|l| !(l.is_finite() && *l >= 0.0)) {
            return Err(TrainError::BadParams(format!(
                "lambdas must be finite and ≥ 0: {:?}",
                self.lambdas
            )));
        }
        if self.max_iterations == 0 || self.max_weight.is_nan() || self.max_weight < 1.0 {
            return Err(TrainError::BadParams(
                "max_iterations must be > 0 and max_weight ≥ 1".into(),
            ));
        }
        if self.folds < 2 {
            return Err(TrainError::BadParams("folds must be ≥ 2".into()));
        }
        Ok(self)
    }
}

/// One labelled example.
#[derive(Debug, Clone)]
pub struct Example {
    /// Feature values, in [`NAMES`] order.
    pub x: Vec<f64>,
    /// Positive (accepted, or judged relevant) or not.
    pub label: bool,
    /// Example weight (> 0).
    pub weight: f64,
    /// The need (or query) it belongs to: cross-validation keeps a group in one fold.
    pub group: u64,
}

/// The model a fit starts from: its standardisation and weights, in the examples'
/// feature order (a feature the prior lacks has weight 0 and a NaN mean and std, and
/// takes its standardisation from the data).
#[derive(Debug, Clone)]
pub struct Prior {
    /// Means (NaN where the prior has none).
    pub mean: Vec<f64>,
    /// Standard deviations (NaN where the prior has none).
    pub std: Vec<f64>,
    /// Weights.
    pub weights: Vec<f64>,
    /// Bias.
    pub bias: f64,
    /// Whether `weights` are per raw unit of each feature (a hand-weighted model such as
    /// the baseline) rather than per standard deviation: they are then converted with the
    /// data's standardisation.
    pub raw: bool,
}

/// Fitted weights on standardised features.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Feature means.
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 for constant features).
    pub std: Vec<f64>,
    /// Weights (log-odds per standard deviation).
    pub weights: Vec<f64>,
    /// Intercept.
    pub bias: f64,
    /// Examples used.
    pub rows: usize,
    /// The prior strength chosen.
    pub lambda: f64,
    /// Cross-validated mean log-likelihood per candidate strength.
    pub cv: Vec<(f64, f64)>,
}

/// Fits the ranker's logistic regression to weighted examples ([`NAMES`] features, their
/// [`DIRECTIONS`]), without a prior (ridge towards 0).
pub fn fit(examples: &[Example], params: &TrainParams) -> Result<Fitted, TrainError> {
    fit_with_prior(examples, params, None, &DIRECTIONS)
}

/// Fits a logistic regression to weighted examples, pulled towards `prior`, each weight
/// kept to its direction (+1 not negative, −1 not positive, 0 free; one per feature).
pub fn fit_with_prior(
    examples: &[Example],
    params: &TrainParams,
    prior: Option<&Prior>,
    directions: &[i8],
) -> Result<Fitted, TrainError> {
    params.check()?;
    let d = examples
        .first()
        .map(|e| e.x.len())
        .ok_or_else(|| TrainError::NotEnoughData("no examples".into()))?;
    if d != directions.len()
        || examples.iter().any(|e| e.x.len() != d)
        || prior.is_some_and(|p| p.weights.len() != d || p.mean.len() != d || p.std.len() != d)
    {
        return Err(TrainError::BadParams(format!(
            "examples, prior and directions disagree on the number of features ({d}, {})",
            directions.len()
        )));
    }
    let pos: f64 = examples.iter().filter(|e| e.label).map(|e| e.weight).sum();
    let neg: f64 = examples.iter().filter(|e| !e.label).map(|e| e.weight).sum();
    if pos <= 0.0 || neg <= 0.0 {
        return Err(TrainError::NotEnoughData(format!(
            "{} positive and {} negative examples; both are needed",
            examples.iter().filter(|e| e.label).count(),
            examples.iter().filter(|e| !e.label).count()
        )));
    }
    let (mean, std) = standardisation(examples, prior, d);
    let rows: Vec<Row> = examples
        .iter()
        .map(|e| Row {
            z: e.x
                .iter()
                .zip(&mean)
                .zip(&std)
                .map(|((x, m), s)| (x - m) / s)
                .collect(),
            y: if e.label { 1.0 } else { 0.0 },
            w: e.weight.clamp(0.0, params.max_weight),
            group: e.group,
        })
        .collect();
    let w0: Vec<f64> = prior.map_or(vec![0.0; d], |p| {
        if p.raw {
            p.weights.iter().zip(&std).map(|(w, s)| w * s).collect()
        } else {
            p.weights.clone()
        }
    });
    let b0 = prior.map_or(0.0, |p| p.bias);
    let lower_upper: Vec<(f64, f64)> = directions
        .iter()
        .map(|s| match s {
            1 => (0.0, f64::INFINITY),
            -1 => (f64::NEG_INFINITY, 0.0),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        })
        .collect();
    // A prior against a known direction starts at the bound.
    let w0: Vec<f64> = w0
        .iter()
        .zip(&lower_upper)
        .map(|(w, (lo, hi))| w.clamp(*lo, *hi))
        .collect();
    let solve = |rows: &[&Row], lambda: f64| {
        newton(rows, &w0, b0, lambda, &lower_upper, params.max_iterations)
    };
    let mut cv = Vec::new();
    let lambda = if params.lambdas.len() == 1 {
        params.lambdas[0]
    } else {
        let mut groups: Vec<u64> = rows.iter().map(|r| r.group).collect();
        groups.sort_unstable();
        groups.dedup();
        let folds = params.folds.min(groups.len());
        if folds < 2 {
            params.lambdas[params.lambdas.len() / 2]
        } else {
            let fold_of = |g: u64| (crate::rng::SplitMix64(g).next_u64() % folds as u64) as usize;
            for &lambda in &params.lambdas {
                let mut scores = Vec::new();
                for k in 0..folds {
                    let train: Vec<&Row> = rows.iter().filter(|r| fold_of(r.group) != k).collect();
                    let test: Vec<&Row> = rows.iter().filter(|r| fold_of(r.group) == k).collect();
                    if test.is_empty() || train.is_empty() {
                        continue;
                    }
                    let (w, b) = solve(&train, lambda);
                    // Held-out weighted log-likelihood (higher is better): a proper score,
                    // which, unlike a rank metric on a handful of logged pairs, does not
                    // saturate.
                    let total: f64 = test.iter().map(|r| r.w).sum::<f64>().max(1e-12);
                    scores.push(-objective(&test, &w, b, &w, 0.0, total));
                }
                let m = if scores.is_empty() {
                    0.0
                } else {
                    scores.iter().sum::<f64>() / scores.len() as f64
                };
                cv.push((lambda, m));
            }
            // Within a hair of the best: with a prior the strongest (prefer the model we
            // know), without one the weakest.
            let best = cv.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
            let near = cv.iter().filter(|c| c.1 >= best - 1e-4).map(|c| c.0);
            if prior.is_some() {
                near.fold(f64::NEG_INFINITY, f64::max)
            } else {
                near.fold(f64::INFINITY, f64::min)
            }
        }
    };
    let all: Vec<&Row> = rows.iter().collect();
    let (weights, bias) = solve(&all, lambda);
    Ok(Fitted {
        mean,
        std,
        weights,
        bias,
        rows: rows.len(),
        lambda,
        cv,
    })
}

struct Row {
    z: Vec<f64>,
    y: f64,
    w: f64,
    group: u64,
}

fn standardisation(examples: &[Example], prior: Option<&Prior>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = examples
        .iter()
        .map(|e| e.weight.max(0.0))
        .sum::<f64>()
        .max(1e-12);
    let mut mean = vec![0.0; d];
    for e in examples {
        for (m, x) in mean.iter_mut().zip(&e.x) {
            *m += x * e.weight.max(0.0) / total;
        }
    }
    let mut var = vec![0.0; d];
    for e in examples {
        for ((v, x), m) in var.iter_mut().zip(&e.x).zip(&mean) {
            *v += (x - m).powi(2) * e.weight.max(0.0) / total;
        }
    }
    let mut std: Vec<f64> = var
        .into_iter()
        .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    if let Some(p) = prior.filter(|p| !p.raw) {
        for i in 0..d {
            if p.mean[i].is_finite() && p.std[i].is_finite() && p.std[i] > 0.0 {
                mean[i] = p.mean[i];
                std[i] = p.std[i];
            }
        }
    }
    (mean, std)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Mean weighted cross-entropy plus the prior's penalty.
fn objective(rows: &[&Row], w: &[f64], b: f64, w0: &[f64], lambda: f64, total: f64) -> f64 {
    let mut loss = 0.0;
    for r in rows {
        let t = b + r.z.iter().zip(w).map(|(z, w)| z * w).sum::<f64>();
        // log(1 + e^t) − y·t, computed stably.
        let softplus = if t > 0.0 {
            t + (-t).exp().ln_1p()
        } else {
            t.exp().ln_1p()
        };
        loss += r.w * (softplus - r.y * t);
    }
    loss / total + 0.5 * lambda * w.iter().zip(w0).map(|(a, b)| (a - b).powi(2)).sum::<f64>()
}

/// Projected Newton: weights in `bounds`, the bias free.
fn newton(
    rows: &[&Row],
    w0: &[f64],
    b0: f64,
    lambda: f64,
    bounds: &[(f64, f64)],
    iterations: u64,
) -> (Vec<f64>, f64) {
    let d = w0.len();
    let n = d + 1; // the bias last
    let total: f64 = rows.iter().map(|r| r.w).sum::<f64>().max(1e-12);
    let mut w = w0.to_vec();
    let mut b = b0;
    let mut f = objective(rows, &w, b, w0, lambda, total);
    for _ in 0..iterations {
        let mut g = vec![0.0; n];
        let mut h = vec![0.0; n * n];
        for r in rows {
            let t = b + r.z.iter().zip(&w).map(|(z, w)| z * w).sum::<f64>();
            let p = sigmoid(t);
            let e = r.w * (p - r.y) / total;
            let s = r.w * (p * (1.0 - p)).max(1e-9) / total;
            for i in 0..n {
                let zi = if i < d { r.z[i] } else { 1.0 };
                g[i] += e * zi;
                for j in i..n {
                    let zj = if j < d { r.z[j] } else { 1.0 };
                    h[i * n + j] += s * zi * zj;
                }
            }
        }
        for i in 0..n {
            for j in 0..i {
                h[i * n + j] = h[j * n + i];
            }
        }
        for i in 0..d {
            g[i] += lambda * (w[i] - w0[i]);
            h[i * n + i] += lambda + 1e-8;
        }
        h[d * n + d] += 1e-8;
        // Variables held at a bound the gradient pushes against stay there.
        let free: Vec<usize> = (0..n)
            .filter(|&i| {
                if i == d {
                    return true;
                }
                let (lo, hi) = bounds[i];
                !((w[i] <= lo && g[i] > 0.0) || (w[i] >= hi && g[i] < 0.0))
            })
            .collect();
        let m = free.len();
        let mut a = vec![0.0; m * m];
        let mut rhs = vec![0.0; m];
        for (x, &i) in free.iter().enumerate() {
            rhs[x] = -g[i];
            for (y, &j) in free.iter().enumerate() {
                a[x * m + y] = h[i * n + j];
            }
        }
        let Some(step) = solve_linear(&mut a, &mut rhs, m) else {
            break;
        };
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let mut nw = w.clone();
            let mut nb = b;
            for (x, &i) in free.iter().enumerate() {
                if i == d {
                    nb = b + t * step[x];
                } else {
                    nw[i] = (w[i] + t * step[x]).clamp(bounds[i].0, bounds[i].1);
                }
            }
            let nf = objective(rows, &nw, nb, w0, lambda, total);
            if nf <= f - 1e-12 {
                let gain = f - nf;
                w = nw;
                b = nb;
                f = nf;
                improved = gain > 1e-10;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    (w, b)
}

/// Gaussian elimination with partial pivoting; `None` when singular.
fn solve_linear(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&x, &y| a[x * n + col].abs().total_cmp(&a[y * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-14 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..n {
            let factor = a[row * n + col] / a[col * n + col];
            if factor != 0.0 {
                for k in col..n {
                    a[row * n + k] -= factor * a[col * n + k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * n + row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn example(rng: &mut SplitMix64, group: u64) -> Example {
        let mut x = vec![0.0; NAMES.len()];
        for v in &mut x {
            *v = rng.next_f64();
        }
        // Acceptance rises with text_bm25 (0) and falls with excluded (15); load (10)
        // *seems* to help (busy providers are popular), which the direction forbids.
        let logit = 6.0 * x[0] - 5.0 * x[15] + 2.0 * x[10] - 3.0;
        Example {
            label: rng.next_f64() < sigmoid(logit),
            x,
            weight: 1.0,
            group,
        }
    }

    #[test]
    fn recovers_a_known_signal_and_keeps_known_directions() {
        let mut rng = SplitMix64(3);
        let examples: Vec<Example> = (0..3000).map(|i| example(&mut rng, i / 10)).collect();
        let f = fit(&examples, &TrainParams::default()).unwrap();
        assert!(f.weights[0] > 0.5, "{:?}", f.weights);
        assert!(f.weights[15] < -0.3, "{:?}", f.weights);
        assert_eq!(f.weights[10], 0.0, "load may not help: {:?}", f.weights);
        for (w, d) in f.weights.iter().zip(DIRECTIONS) {
            assert!(f64::from(d) * w >= 0.0, "{:?}", f.weights);
        }
        assert_eq!(f.cv.len(), TrainParams::default().lambdas.len());
        assert!(fit(&examples[..1], &TrainParams::default()).is_err());
    }

    #[test]
    fn a_strong_prior_holds_the_weights_and_a_weak_one_lets_data_speak() {
        let mut rng = SplitMix64(5);
        let examples: Vec<Example> = (0..400).map(|i| example(&mut rng, i / 10)).collect();
        let mut weights = vec![0.0; NAMES.len()];
        weights[1] = 2.0; // the prior believes in service_match, which the data ignore
        let prior = Prior {
            mean: vec![0.5; NAMES.len()],
            std: vec![0.29; NAMES.len()],
            weights,
            bias: -2.0,
            raw: false,
        };
        let strong = TrainParams {
            lambdas: vec![100.0],
            ..TrainParams::default()
        };
        let f = fit_with_prior(&examples, &strong, Some(&prior), &DIRECTIONS).unwrap();
        assert!((f.weights[1] - 2.0).abs() < 0.05, "{:?}", f.weights);
        assert_eq!(f.mean[0], 0.5, "the prior's standardisation is kept");
        let weak = TrainParams {
            lambdas: vec![1e-4],
            ..TrainParams::default()
        };
        let g = fit_with_prior(&examples, &weak, Some(&prior), &DIRECTIONS).unwrap();
        assert!(g.weights[1] < 1.0, "{:?}", g.weights);
        assert!(
            g.weights[0] > f.weights[0],
            "{:?} vs {:?}",
            g.weights,
            f.weights
        );
    }
}

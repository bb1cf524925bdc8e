//! Ranking metrics: NDCG@k, MRR, Recall@k over graded relevance, and ROC AUC over scored
//! labels. Pure functions; grades follow data-model.md (3 exact, 2 good, 1 partial, 0 none).

use std::collections::HashMap;

/// Gain of a grade: 2^g − 1.
fn gain(grade: u8) -> f64 {
    f64::from((1u32 << grade.min(8)) - 1)
}

/// NDCG@k of a ranked list of ids against graded judgments (ids not judged count 0).
/// Returns `None` when nothing is relevant (the query cannot be scored).
pub fn ndcg_at(ranked: &[&str], grades: &HashMap<String, u8>, k: usize) -> Option<f64> {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| gain(*grades.get(*id).unwrap_or(&0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().filter(|g| *g > 0).collect();
    if ideal.is_empty() {
        return None;
    }
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    Some(dcg / idcg)
}

/// Reciprocal rank of the first id graded at least `min_grade` (0 if none is ranked).
pub fn reciprocal_rank(ranked: &[&str], grades: &HashMap<String, u8>, min_grade: u8) -> f64 {
    ranked
        .iter()
        .position(|id| grades.get(*id).copied().unwrap_or(0) >= min_grade)
        .map(|p| 1.0 / (p + 1) as f64)
        .unwrap_or(0.0)
}

/// Share of the ids graded at least `min_grade` found in the first `k`.
pub fn recall_at(
    ranked: &[&str],
    grades: &HashMap<String, u8>,
    k: usize,
    min_grade: u8,
) -> Option<f64> {
    let relevant = grades.values().filter(|g| **g >= min_grade).count();
    if relevant == 0 {
        return None;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| grades.get(**id).copied().unwrap_or(0) >= min_grade)
        .count();
    Some(found as f64 / relevant as f64)
}

/// ROC AUC of scores against binary labels (ties count half); `None` without both classes.
pub fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = v.iter().filter(|x| x.1).count() as f64;
    let neg = v.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // Sum of ranks of positives, with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1].0 == v[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += v[i..=j].iter().filter(|x| x.1).count() as f64 * avg;
        i = j + 1;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Mean of the values present.
pub fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (s, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { s / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(pairs: &[(&str, u8)]) -> HashMap<String, u8> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_lower_otherwise() {
        let grades = g(&[("a", 3), ("b", 2), ("c", 1)]);
        assert!((ndcg_at(&["a", "b", "c"], &grades, 10).unwrap() - 1.0).abs() < 1e-12);
        let worse = ndcg_at(&["c", "b", "a"], &grades, 10).unwrap();
        assert!(worse < 1.0 && worse > 0.0);
        assert_eq!(ndcg_at(&["x"], &g(&[]), 10), None);
        // Known value: one relevant (grade 1) at rank 2 → 1/log2(3).
        let v = ndcg_at(&["x", "a"], &g(&[("a", 1)]), 10).unwrap();
        assert!((v - 1.0 / 3f64.log2()).abs() < 1e-12);
    }

    #[test]
    fn mrr_recall_and_auc() {
        let grades = g(&[("a", 3), ("b", 1)]);
        assert_eq!(reciprocal_rank(&["x", "b", "a"], &grades, 2), 1.0 / 3.0);
        assert_eq!(recall_at(&["x", "a"], &grades, 1, 1), Some(0.0));
        assert_eq!(recall_at(&["x", "a"], &grades, 2, 1), Some(0.5));
        assert_eq!(auc(&[(0.9, true), (0.1, false)]), Some(1.0));
        assert_eq!(auc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), Some(0.5));
        assert_eq!(auc(&[(0.5, true)]), None);
    }
}

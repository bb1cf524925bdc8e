//! The commissioner → enterprise model: fitted from commissioners' feedback on the
//! enterprises the hand-weighted commissioner ranker retrieves for them (and, with
//! `--judgments`, graded judgments), a fifth of the commissioners held out to compare it
//! with the baseline and BM25. Part of a training run ([`super::train`]).

use super::{Outcome, TrainOptions, TrainingError, hash_of, is_test_need, push_graded};
use crate::domain::{Entity, EntityKind};
use crate::matching::commissioners::{
    CommissionerRanker, RankedEnterprise, Scope, WEIGHTS, rank_enterprises,
};
use crate::rank::metrics::{auc, mean, ndcg_at, reciprocal_rank};
use crate::rank::model::{LinearHead, RankerMetrics};
use crate::rank::train::{Example, fit_with_prior};
use crate::search::SearchIndex;
use crate::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Fits the commissioner → enterprise model from commissioner feedback (accepted
/// positive; contacted without acceptance, or rejected, negative; a few retrieved but
/// never-contacted enterprises weak negatives), holding out a fifth of the commissioners.
/// `None` when there are fewer than 20 acceptances.
pub(super) async fn commissioner_head(
    store: &Store,
    index: &Arc<SearchIndex>,
    pairs: &HashMap<(String, String), Outcome>,
    opts: &TrainOptions,
) -> Result<Option<LinearHead>, TrainingError> {
    let positives = pairs.values().filter(|o| **o >= Outcome::Accepted).count();
    let judged_positives = opts.judgments.as_ref().map_or(0, |j| {
        j.commissioners
            .values()
            .flat_map(|g| g.values())
            .filter(|g| **g >= 2)
            .count()
    });
    if positives + judged_positives < 20 {
        return Ok(None);
    }
    let mut by_c: BTreeMap<&str, HashMap<&str, Outcome>> = BTreeMap::new();
    for ((c, e), o) in pairs {
        by_c.entry(c.as_str()).or_default().insert(e.as_str(), *o);
    }
    if by_c.len() > opts.max_commissioners {
        let mut ids: Vec<&str> = by_c.keys().copied().collect();
        ids.sort_by_key(|c| hash_of(c, 31));
        let keep: HashSet<&str> = ids.into_iter().take(opts.max_commissioners).collect();
        by_c.retain(|c, _| keep.contains(c));
    }
    let ids: Vec<&str> = by_c.keys().copied().collect();
    let cs = store.get_many(EntityKind::Commissioner, &ids).await?;
    let open = store.open_need_counts().await?;
    let mut examples = Vec::new();
    let mut tests: Vec<Vec<([f64; WEIGHTS.len()], u8)>> = Vec::new();
    let mut trained = 0usize;
    for (cid, logged) in &by_c {
        let Some(Entity::Commissioner(c)) = cs.get(*cid) else {
            continue;
        };
        let ranked = rank_enterprises(
            index,
            c,
            &open,
            Scope::default(),
            CommissionerRanker::Baseline,
        )?;
        let rows: Vec<([f64; WEIGHTS.len()], Option<Outcome>, u64)> = ranked
            .iter()
            .map(|r| {
                let id = r.enterprise.id.as_str();
                (
                    commissioner_row(r),
                    logged.get(id).copied(),
                    hash_of(id, hash_of(cid, 23)),
                )
            })
            .collect();
        if is_test_need(cid, opts.test_share) {
            tests.push(
                rows.iter()
                    .map(|(v, o, _)| {
                        (
                            *v,
                            if o.is_some_and(|o| o >= Outcome::Accepted) {
                                2
                            } else {
                                0
                            },
                        )
                    })
                    .collect(),
            );
            continue;
        }
        trained += 1;
        let mut unseen: Vec<&([f64; WEIGHTS.len()], Option<Outcome>, u64)> =
            rows.iter().filter(|r| r.1.is_none()).collect();
        unseen.sort_by_key(|r| r.2);
        for (v, o, _) in &rows {
            match o {
                Some(o) if *o >= Outcome::Accepted => examples.push(Example {
                    x: v.to_vec(),
                    label: true,
                    weight: 1.0,
                    group: hash_of(cid, 0),
                }),
                Some(_) => examples.push(Example {
                    x: v.to_vec(),
                    label: false,
                    weight: 0.5,
                    group: hash_of(cid, 0),
                }),
                None => {}
            }
        }
        for (v, _, _) in unseen.into_iter().take(10) {
            examples.push(Example {
                x: v.to_vec(),
                label: false,
                weight: opts.weak_weight,
                group: hash_of(cid, 0),
            });
        }
    }
    // Graded judgments of commissioners (hand-written corpora): soft labels, as for needs.
    if let Some(j) = &opts.judgments {
        let ids: Vec<&str> = j.commissioners.keys().map(String::as_str).collect();
        let judged_cs = store.get_many(EntityKind::Commissioner, &ids).await?;
        for (cid, grades) in &j.commissioners {
            let Some(Entity::Commissioner(c)) = judged_cs.get(cid) else {
                continue;
            };
            let ranked = rank_enterprises(
                index,
                c,
                &open,
                Scope::default(),
                CommissionerRanker::Baseline,
            )?;
            let group = hash_of(cid, 0);
            if is_test_need(cid, opts.test_share) {
                tests.push(
                    ranked
                        .iter()
                        .map(|r| {
                            let g = grades.get(r.enterprise.id.as_str()).copied().unwrap_or(0);
                            (commissioner_row(r), g)
                        })
                        .collect(),
                );
                continue;
            }
            trained += 1;
            let mut unseen = 0;
            for r in &ranked {
                let v = commissioner_row(r).to_vec();
                match grades.get(r.enterprise.id.as_str()) {
                    Some(g) => push_graded(&mut examples, v, *g, group),
                    None if unseen < 10 => {
                        unseen += 1;
                        examples.push(Example {
                            x: v,
                            label: false,
                            weight: opts.weak_weight,
                            group,
                        });
                    }
                    None => {}
                }
            }
        }
    }
    let directions = vec![1i8; WEIGHTS.len()];
    let fitted = match fit_with_prior(&examples, &opts.fit, None, &directions) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "commissioner model not trained");
            return Ok(None);
        }
    };
    let names: Vec<String> = WEIGHTS.iter().map(|(n, _)| n.to_string()).collect();
    let mut head = LinearHead {
        feature_names: names,
        mean: fitted.mean,
        std: fitted.std,
        weights: fitted.weights,
        bias: fitted.bias,
        metrics: BTreeMap::new(),
        trained_on: (trained, examples.len()),
    };
    let eval = |score: &dyn Fn(&[f64; WEIGHTS.len()]) -> f64| -> RankerMetrics {
        let mut ndcgs = Vec::new();
        let mut rrs = Vec::new();
        let mut labelled = Vec::new();
        for t in &tests {
            let mut s: Vec<(f64, usize, u8)> = t
                .iter()
                .enumerate()
                .map(|(i, (v, g))| (score(v), i, *g))
                .collect();
            s.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let ids: Vec<String> = s.iter().map(|x| x.1.to_string()).collect();
            let grades: HashMap<String, u8> = s
                .iter()
                .filter(|x| x.2 > 0)
                .map(|x| (x.1.to_string(), x.2))
                .collect();
            let ranked: Vec<&str> = ids.iter().map(String::as_str).collect();
            if let Some(n) = ndcg_at(&ranked, &grades, 10) {
                ndcgs.push(n);
                rrs.push(reciprocal_rank(&ranked, &grades, 1));
            }
            labelled.extend(s.iter().map(|x| (x.0, x.2 > 0)));
        }
        RankerMetrics {
            auc: auc(&labelled),
            ndcg_at_10: mean(ndcgs.iter().copied()),
            mrr: mean(rrs),
            needs: ndcgs.len(),
        }
    };
    let named = |v: &[f64; WEIGHTS.len()]| -> Vec<(&'static str, f64)> {
        WEIGHTS
            .iter()
            .map(|(n, _)| *n)
            .zip(v.iter().copied())
            .collect()
    };
    let learned = eval(&|v| head.score(&named(v)).score);
    let baseline = eval(&|v| WEIGHTS.iter().zip(v).map(|((_, w), x)| w * x).sum::<f64>());
    let bm25 = eval(&|v| v[3]);
    head.metrics.insert("learned".into(), learned);
    head.metrics.insert("baseline".into(), baseline);
    head.metrics.insert("bm25".into(), bm25);
    Ok(Some(head))
}

/// A ranked enterprise's commissioner features, in [`WEIGHTS`] order.
fn commissioner_row(r: &RankedEnterprise) -> [f64; WEIGHTS.len()] {
    let mut v = [0.0; WEIGHTS.len()];
    for (slot, (name, _)) in v.iter_mut().zip(WEIGHTS) {
        *slot = r
            .features
            .iter()
            .find(|f| f.name == name)
            .map_or(0.0, |f| f.value);
    }
    v
}

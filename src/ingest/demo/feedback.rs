//! Simulated interaction history and relevance judgments for the demo world.
//!
//! A noisy "legacy" ranker (crude overlap of the surface forms two texts used, the stated
//! fields, popularity and randomness) shows ten providers per session; clicks follow position
//! bias × attractiveness of the hidden true fit, and contacts, acceptances, rejections (with a
//! reason) and deals follow the true fit with noise. Judgments are graded from the true fit
//! over *all* providers, never from a text search.

use super::rng::Rng;
use super::world::{
    Commissioner, Enterprise, Need, PType, Place, Provider, Spec, T1, TERM_SERVICE, Vocab, grade,
    topic_decisive, true_fit,
};
use crate::domain::{Actor, FeedbackEvent};

pub(crate) const EV_IMPRESSION: u8 = 0;
pub(crate) const EV_CLICK: u8 = 1;
pub(crate) const EV_CONTACTED: u8 = 2;
pub(crate) const EV_ACCEPTED: u8 = 3;
pub(crate) const EV_REJECTED: u8 = 4;
pub(crate) const EV_DEAL: u8 = 5;
/// The event of an `EV_*` index (the domain's order).
pub(crate) fn event_code(e: u8) -> &'static str {
    FeedbackEvent::ALL[e as usize].code()
}
pub(crate) const ACTOR_ENTERPRISE: u8 = 0;
pub(crate) const ACTOR_PROVIDER: u8 = 1;
pub(crate) const ACTOR_COMMISSIONER: u8 = 2;
pub(crate) const ACTOR_BROKER: u8 = 3;
/// The actor of an `ACTOR_*` index (the domain's order).
pub(crate) fn actor_code(a: u8) -> &'static str {
    Actor::ALL[a as usize].code()
}
/// Rejection reason codes; index 0 means "no reason".
pub(crate) const REASONS: [&str; 6] = [
    "",
    "wrong_service",
    "too_far",
    "no_capacity",
    "too_expensive",
    "not_relevant",
];

/// One simulated event (the other party — need, commissioner, broker — is implicit).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ev {
    /// Local wall-clock seconds since the Unix epoch (+08:00).
    pub at: i64,
    /// Provider index (need events) or enterprise index (commissioner/broker events).
    pub other: u32,
    pub event: u8,
    pub actor: u8,
    /// 1-based position for impressions and clicks, 0 otherwise.
    pub rank: u8,
    pub reason: u8,
}

/// The legacy ranker's indexes.
pub(crate) struct LegacyRanker {
    postings: Vec<Vec<u32>>,
    by_field: [Vec<u32>; 8],
    popular: Vec<u32>,
    stamp: Vec<u32>,
    /// Per term id: the epoch in which the current need used it.
    mark: Vec<u32>,
    epoch: u32,
    // Flat copies of what the ranker reads per candidate (cache-friendly at large scales).
    term_off: Vec<u32>,
    term_flat: Vec<u16>,
    pop: Vec<f32>,
    fields: Vec<u8>,
}

impl LegacyRanker {
    pub(crate) fn new(providers: &[Provider]) -> Self {
        let mut postings: Vec<Vec<u32>> = vec![Vec::new(); TERM_SERVICE as usize];
        let mut by_field: [Vec<u32>; 8] = Default::default();
        for (i, p) in providers.iter().enumerate() {
            for &t in &p.terms {
                if t < TERM_SERVICE {
                    postings[t as usize].push(i as u32);
                }
            }
            for (f, list) in by_field.iter_mut().enumerate() {
                if p.fields & (1 << f) != 0 {
                    list.push(i as u32);
                }
            }
        }
        let mut popular: Vec<u32> = (0..providers.len() as u32).collect();
        popular.sort_by(|&a, &b| {
            providers[b as usize]
                .popularity
                .total_cmp(&providers[a as usize].popularity)
                .then(a.cmp(&b))
        });
        popular.truncate(30);
        let mut term_off = Vec::with_capacity(providers.len() + 1);
        let mut term_flat = Vec::new();
        term_off.push(0u32);
        for p in providers {
            term_flat.extend_from_slice(&p.terms);
            term_off.push(term_flat.len() as u32);
        }
        Self {
            term_off,
            term_flat,
            pop: providers.iter().map(|p| p.popularity).collect(),
            fields: providers.iter().map(|p| p.fields).collect(),
            postings,
            by_field,
            popular,
            stamp: vec![0; providers.len()],
            mark: vec![0; TERM_SERVICE as usize + 8 * 16],
            epoch: 0,
        }
    }

    /// The ten providers the legacy ranker shows for `need` in one session.
    pub(crate) fn top10(&mut self, need: &Need, rng: &mut Rng) -> Vec<u32> {
        let n_prov = self.pop.len();
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.mark.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        for &t in &need.terms {
            if let Some(m) = self.mark.get_mut(t as usize) {
                *m = self.epoch;
            }
        }
        let mut cands: Vec<u32> = Vec::with_capacity(512);
        let epoch = self.epoch;
        let push = |i: u32, stamp: &mut Vec<u32>, cands: &mut Vec<u32>| {
            if stamp[i as usize] != epoch {
                stamp[i as usize] = epoch;
                cands.push(i);
            }
        };
        for &t in &need.terms {
            if t >= TERM_SERVICE {
                continue;
            }
            let list = &self.postings[t as usize];
            if list.len() <= 80 {
                for &i in list {
                    push(i, &mut self.stamp, &mut cands);
                }
            } else {
                for k in rng.sample(list.len(), 80) {
                    push(list[k], &mut self.stamp, &mut cands);
                }
            }
        }
        for f in 0..8 {
            if need.stated_fields & (1 << f) != 0 {
                let list = &self.by_field[f];
                for k in rng.sample(list.len(), 30) {
                    push(list[k], &mut self.stamp, &mut cands);
                }
            }
        }
        for &i in &self.popular {
            push(i, &mut self.stamp, &mut cands);
        }
        for _ in 0..15 {
            let i = rng.below(n_prov) as u32;
            push(i, &mut self.stamp, &mut cands);
        }
        let mut scored: Vec<(f64, u32)> = Vec::with_capacity(cands.len());
        for i in cands {
            let iu = i as usize;
            let terms = &self.term_flat[self.term_off[iu] as usize..self.term_off[iu + 1] as usize];
            let overlap = terms
                .iter()
                .filter(|&&t| self.mark.get(t as usize) == Some(&epoch))
                .count() as f64;
            let field = if need.stated_fields & self.fields[iu] != 0 {
                0.7
            } else {
                0.0
            };
            let s = overlap + field + 1.2 * f64::from(self.pop[iu]) + rng.normal(0.0, 0.7);
            scored.push((s, i));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(10).map(|x| x.1).collect()
    }
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// Simulates one feedback need's sessions; events are returned in time order.
pub(crate) fn simulate_need(
    v: &Vocab,
    providers: &[Provider],
    ranker: &mut LegacyRanker,
    need: &Need,
    rng: &mut Rng,
) -> Vec<Ev> {
    let spec = Spec::of(need);
    let sessions = 1 + rng.weighted(&[0.2, 0.4, 0.4]);
    let mut evs: Vec<Ev> = Vec::with_capacity(40);
    let mut engaged: Vec<u32> = Vec::new();
    let mut t = need.created + rng.range(1, 5) * 86_400;
    for _ in 0..sessions {
        let day = t - t.rem_euclid(86_400);
        let at = day + rng.range(9 * 3600, 21 * 3600);
        let list = ranker.top10(need, rng);
        for (r, &pid) in list.iter().enumerate() {
            evs.push(Ev {
                at,
                other: pid,
                event: EV_IMPRESSION,
                actor: ACTOR_ENTERPRISE,
                rank: (r + 1) as u8,
                reason: 0,
            });
        }
        for (r, &pid) in list.iter().enumerate() {
            let fit = true_fit(v, &spec, &providers[pid as usize]);
            let noisy = clamp01(fit.total + rng.normal(0.0, 0.12));
            let pos = ((r + 1) as f64).powf(-0.7);
            let attract = 0.08 + 0.92 * noisy.powf(1.3);
            if !rng.chance(0.75 * pos * attract) {
                continue;
            }
            let click_at = at + rng.range(20, 900);
            evs.push(Ev {
                at: click_at,
                other: pid,
                event: EV_CLICK,
                actor: ACTOR_ENTERPRISE,
                rank: (r + 1) as u8,
                reason: 0,
            });
            if engaged.contains(&pid) || !rng.chance(0.15 + 0.75 * noisy) {
                continue;
            }
            engaged.push(pid);
            let contact_at = click_at + rng.range(3600, 4 * 86_400);
            evs.push(Ev {
                at: contact_at,
                other: pid,
                event: EV_CONTACTED,
                actor: ACTOR_ENTERPRISE,
                rank: 0,
                reason: 0,
            });
            let decide_at = contact_at + rng.range(86_400, 10 * 86_400);
            let p_accept = 0.9 / (1.0 + (-(noisy - 0.5) * 9.0).exp());
            if rng.chance(p_accept) {
                let actor = if rng.chance(0.6) {
                    ACTOR_PROVIDER
                } else {
                    ACTOR_ENTERPRISE
                };
                evs.push(Ev {
                    at: decide_at,
                    other: pid,
                    event: EV_ACCEPTED,
                    actor,
                    rank: 0,
                    reason: 0,
                });
                if rng.chance(0.2 + 0.55 * noisy) {
                    evs.push(Ev {
                        at: decide_at + rng.range(7 * 86_400, 60 * 86_400),
                        other: pid,
                        event: EV_DEAL,
                        actor: ACTOR_ENTERPRISE,
                        rank: 0,
                        reason: 0,
                    });
                }
            } else if rng.chance(0.75) {
                let reason = if rng.chance(0.15) {
                    rng.range(1, 5) as u8
                } else if !fit.offered {
                    1
                } else if fit.geo < 0.75 {
                    2
                } else if fit.overloaded {
                    3
                } else if fit.topic < 0.5 {
                    5
                } else {
                    4
                };
                let provider_side = matches!(reason, 1 | 3);
                let actor = if provider_side == rng.chance(0.8) {
                    ACTOR_PROVIDER
                } else {
                    ACTOR_ENTERPRISE
                };
                evs.push(Ev {
                    at: decide_at,
                    other: pid,
                    event: EV_REJECTED,
                    actor,
                    rank: 0,
                    reason,
                });
            }
        }
        t = at + rng.range(3, 20) * 86_400;
    }
    evs.sort_by_key(|e| e.at);
    evs
}

/// Commissioner (or broker) outreach to enterprises: `contacted`, sometimes `accepted`.
pub(crate) fn simulate_outreach(
    candidates: &[u32],
    enterprises: &[Enterprise],
    k: usize,
    actor: u8,
    rng: &mut Rng,
) -> Vec<Ev> {
    let mut keyed: Vec<(f64, u32)> = candidates
        .iter()
        .map(|&e| {
            let w = if enterprises[e as usize].open_need {
                3.0
            } else {
                1.0
            };
            (rng.f64() * w, e)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut evs = Vec::new();
    for &(_, e) in keyed.iter().take(k) {
        let at = super::day_2024_07() * 86_400
            + rng.range(0, 820) * 86_400
            + rng.range(9 * 3600, 19 * 3600);
        evs.push(Ev {
            at,
            other: e,
            event: EV_CONTACTED,
            actor,
            rank: 0,
            reason: 0,
        });
        let p = if enterprises[e as usize].open_need {
            0.7
        } else {
            0.45
        };
        if rng.chance(p) {
            let accept_actor = if actor == ACTOR_BROKER {
                ACTOR_ENTERPRISE
            } else {
                actor
            };
            evs.push(Ev {
                at: at + rng.range(86_400, 20 * 86_400),
                other: e,
                event: EV_ACCEPTED,
                actor: accept_actor,
                rank: 0,
                reason: 0,
            });
        }
    }
    evs.sort_by_key(|e| e.at);
    evs
}

/// Enterprises a commissioner could serve: in one of their districts with a shared field.
pub(crate) fn commissioner_candidates(
    c: &Commissioner,
    enterprises: &[Enterprise],
    by_district: &[Vec<u32>],
) -> Vec<u32> {
    let mut out = Vec::new();
    for &d in &c.districts {
        for &e in &by_district[d as usize] {
            if enterprises[e as usize].fields & c.fields != 0 {
                out.push(e);
            }
        }
    }
    out
}

/// Enterprises a broker could approach: in its base or served districts, sharing a field.
pub(crate) fn broker_candidates(
    p: &Provider,
    enterprises: &[Enterprise],
    by_district: &[Vec<u32>],
) -> Vec<u32> {
    let mut ds: Vec<u8> = p.served.clone();
    if let Place::District(d) = p.place
        && !ds.contains(&d)
    {
        ds.push(d);
    }
    let mut out = Vec::new();
    for d in ds {
        for &e in &by_district[d as usize] {
            if enterprises[e as usize].fields & p.fields != 0 {
                out.push(e);
            }
        }
    }
    out
}

/// Graded providers for a need-like spec: the top few by true fit (grade 3), good ones
/// (grade 2) and a sample of partly useful ones (grade 1), chosen over all providers.
pub(crate) fn grade_providers(
    v: &Vocab,
    providers: &[Provider],
    by_field: &[Vec<u32>],
    spec: &Spec,
    rng: &mut Rng,
) -> Vec<(u32, u8)> {
    // Only providers offering the service, or brokers, can reach grade 1; when the exact
    // technology is decisive (topic importance 1), only providers in the need's field can.
    let reachable = |p: &Provider| p.offers(spec.service) || p.ptype == PType::Broker;
    let score = |i: u32, out: &mut Vec<(f64, u32)>| {
        let p = &providers[i as usize];
        if reachable(p) {
            let f = true_fit(v, spec, p).total;
            if f >= T1 {
                out.push((f, i));
            }
        }
    };
    let mut scored: Vec<(f64, u32)> = Vec::new();
    if topic_decisive(spec.service) {
        for &i in &by_field[v.topic_field(spec.topic) as usize] {
            score(i, &mut scored);
        }
    } else {
        for i in 0..providers.len() as u32 {
            score(i, &mut scored);
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<(u32, u8)> = Vec::new();
    let mut n3 = 0;
    let mut n2 = 0;
    let mut partial: Vec<u32> = Vec::new();
    for &(f, i) in &scored {
        let g = grade(f);
        if g == 3 && n3 < 6 {
            out.push((i, 3));
            n3 += 1;
        } else if g >= 2 && n2 < 10 {
            out.push((i, 2));
            n2 += 1;
        } else {
            partial.push(i);
        }
    }
    for k in rng.sample(partial.len(), 10) {
        out.push((partial[k], 1));
    }
    out
}

/// Whether a provider is a broker (for broker outreach).
pub(crate) fn is_broker(p: &Provider) -> bool {
    p.ptype == PType::Broker
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::demo::text;
    use crate::ingest::demo::world::{sample_enterprise, sample_need, sample_provider};

    #[test]
    fn feedback_follows_true_fit() {
        let v = Vocab::new();
        let mut providers: Vec<Provider> = (0..400)
            .map(|i| {
                let mut rng = Rng::derive(5, 1, i);
                let mut p = sample_provider(&v, &mut rng);
                text::provider_text(&v, &mut p, rng);
                p
            })
            .collect();
        providers.truncate(400);
        let mut ranker = LegacyRanker::new(&providers);
        // Mean true fit per event kind.
        let mut sum = [0.0f64; 6];
        let mut cnt = [0usize; 6];
        let mut rejected_wrong_service = 0;
        for i in 0..600u64 {
            let mut rng = Rng::derive(5, 2, i);
            let e = sample_enterprise(&v, &mut rng);
            let mut n = sample_need(&v, &mut rng, &e, 1_750_000_000);
            let mut w = text::Writer::new(&v, Rng::derive(5, 3, i));
            text::need_text(&mut w, &n, 50);
            n.terms = w.terms;
            let spec = Spec::of(&n);
            for ev in simulate_need(&v, &providers, &mut ranker, &n, &mut rng) {
                let f = true_fit(&v, &spec, &providers[ev.other as usize]);
                sum[ev.event as usize] += f.total;
                cnt[ev.event as usize] += 1;
                if ev.event == EV_REJECTED && ev.reason == 1 {
                    rejected_wrong_service += usize::from(!f.offered);
                }
            }
        }
        let mean = |k: usize| sum[k] / cnt[k].max(1) as f64;
        assert!(cnt[EV_DEAL as usize] > 20, "{cnt:?}");
        assert!(
            mean(1) > mean(0) + 0.05,
            "click {} vs impression {}",
            mean(1),
            mean(0)
        );
        assert!(
            mean(3) > mean(1),
            "accepted {} vs click {}",
            mean(3),
            mean(1)
        );
        assert!(
            mean(3) > mean(4),
            "accepted {} vs rejected {}",
            mean(3),
            mean(4)
        );
        assert!(rejected_wrong_service > 0);
        // The legacy ranker is informative but imperfect.
        assert!(mean(0) < 0.5, "impressions {}", mean(0));
    }
}

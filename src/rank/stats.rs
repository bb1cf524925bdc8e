//! What feedback says about providers: how often their engagements are accepted (track
//! record) and how many accepted engagements are still running (load). Built from feedback
//! events in any order; pure (the caller reads the store). Also the position-bias
//! estimate: how likely an item shown at rank r is to be examined, relative to rank 1.

use crate::domain::{Feedback, FeedbackEvent};
use std::collections::{HashMap, HashSet};

/// Per-provider counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderRecord {
    /// Needs this provider was engaged on (contacted, accepted, rejected or deal).
    pub engaged: u32,
    /// Needs where it was accepted or closed a deal.
    pub accepted: u32,
    /// Accepted needs that are not closed yet (current load).
    pub active: u32,
}

/// Feedback aggregates.
#[derive(Debug, Clone, Default)]
pub struct FeedbackStats {
    providers: HashMap<String, ProviderRecord>,
    /// (need, provider) pairs already counted as engaged / accepted.
    engaged_pairs: HashSet<(String, String)>,
    accepted_pairs: HashSet<(String, String)>,
    /// Impressions and clicks per 1-based rank (for the position-bias estimate).
    impressions: Vec<u64>,
    clicks: Vec<u64>,
    /// Needs known to be closed.
    closed: HashSet<String>,
    total_engaged: u64,
    total_accepted: u64,
}

/// Prior strength of the smoothed track record (pseudo-engagements).
const PRIOR_WEIGHT: f64 = 3.0;
/// Ranks tracked for position bias.
const MAX_RANK: usize = 50;

impl FeedbackStats {
    /// Empty stats; `closed_needs` are needs whose accepted engagements no longer count as load.
    pub fn new(closed_needs: impl IntoIterator<Item = String>) -> FeedbackStats {
        FeedbackStats {
            closed: closed_needs.into_iter().collect(),
            impressions: vec![0; MAX_RANK + 1],
            clicks: vec![0; MAX_RANK + 1],
            ..FeedbackStats::default()
        }
    }

    /// Adds one event.
    pub fn add(&mut self, f: &Feedback) {
        if let (Some(r), FeedbackEvent::Impression | FeedbackEvent::Click) = (f.rank, f.event) {
            let r = (r as usize).min(MAX_RANK);
            match f.event {
                FeedbackEvent::Impression => self.impressions[r] += 1,
                _ => self.clicks[r] += 1,
            }
        }
        let (Some(need), Some(provider)) = (&f.need_id, &f.provider_id) else {
            return;
        };
        let key = (need.to_string(), provider.to_string());
        let engaged = matches!(
            f.event,
            FeedbackEvent::Contacted
                | FeedbackEvent::Accepted
                | FeedbackEvent::Rejected
                | FeedbackEvent::Deal
        );
        if engaged && self.engaged_pairs.insert(key.clone()) {
            self.providers.entry(key.1.clone()).or_default().engaged += 1;
            self.total_engaged += 1;
        }
        if matches!(f.event, FeedbackEvent::Accepted | FeedbackEvent::Deal)
            && self.accepted_pairs.insert(key.clone())
        {
            let rec = self.providers.entry(key.1.clone()).or_default();
            rec.accepted += 1;
            if !self.closed.contains(&key.0) {
                rec.active += 1;
            }
            self.total_accepted += 1;
        }
    }

    /// The counts of one provider.
    pub fn provider(&self, id: &str) -> ProviderRecord {
        self.providers.get(id).cloned().unwrap_or_default()
    }

    /// Share of engagements accepted across all providers (the prior).
    pub fn global_rate(&self) -> f64 {
        (self.total_accepted as f64 + 1.0) / (self.total_engaged as f64 + 3.0)
    }

    /// Smoothed acceptance rate of a provider, leaving out `exclude` engagements and
    /// `exclude_accepted` acceptances (the pair being scored, when training on it).
    pub fn track_record(&self, id: &str, exclude: u32, exclude_accepted: u32) -> f64 {
        let r = self.provider(id);
        let engaged = f64::from(r.engaged.saturating_sub(exclude));
        let accepted = f64::from(r.accepted.saturating_sub(exclude_accepted));
        (accepted + PRIOR_WEIGHT * self.global_rate()) / (engaged + PRIOR_WEIGHT)
    }

    /// Whether a pair was engaged / accepted (for leave-one-out).
    pub fn pair(&self, need: &str, provider: &str) -> (bool, bool) {
        let key = (need.to_string(), provider.to_string());
        (
            self.engaged_pairs.contains(&key),
            self.accepted_pairs.contains(&key),
        )
    }

    /// Examination probability at each rank relative to rank 1 (index 0 unused), from the
    /// click-through rate by rank, made non-increasing and floored at 0.05. Falls back
    /// to `1/r^0.7` where a rank has fewer than 50 impressions.
    pub fn propensities(&self) -> Vec<f64> {
        let ctr = |r: usize| -> Option<f64> {
            (self.impressions[r] >= 50).then(|| self.clicks[r] as f64 / self.impressions[r] as f64)
        };
        let base = ctr(1).filter(|c| *c > 0.0);
        let mut out = vec![1.0; MAX_RANK + 1];
        let mut prev: f64 = 1.0;
        for (r, slot) in out.iter_mut().enumerate().skip(1) {
            let fallback = 1.0 / (r as f64).powf(0.7);
            let p = match (base, ctr(r)) {
                (Some(b), Some(c)) => (c / b).min(1.0),
                _ => fallback,
            };
            prev = p.min(prev).max(0.05);
            *slot = prev;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use crate::domain::validate::check;

    fn fb(need: &str, provider: &str, event: &str) -> Feedback {
        let v = serde_json::json!({"kind":"feedback","need_id":need,"provider_id":provider,"event":event,"actor":"enterprise"});
        match check(&v, None).unwrap().record {
            Record::Feedback(f) => f,
            _ => unreachable!(),
        }
    }

    #[test]
    fn counts_each_pair_once_and_smooths() {
        let mut s = FeedbackStats::new(["N-2".to_string()]);
        for e in ["contacted", "accepted", "deal"] {
            s.add(&fb("N-1", "P-1", e));
        }
        s.add(&fb("N-2", "P-1", "accepted"));
        s.add(&fb("N-3", "P-1", "rejected"));
        let r = s.provider("P-1");
        assert_eq!(
            r,
            ProviderRecord {
                engaged: 3,
                accepted: 2,
                active: 1
            }
        );
        let tr = s.track_record("P-1", 0, 0);
        assert!(
            tr > s.track_record("P-9", 0, 0),
            "a good record beats the prior"
        );
        assert!(
            s.track_record("P-1", 1, 1) < tr,
            "leaving one acceptance out lowers it"
        );
    }
}

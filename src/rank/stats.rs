//! What feedback says about providers: how often their engagements are accepted (track
//! record) and how many accepted engagements are still running (load). Built from feedback
//! events in any order; pure (the caller reads the store). Also the position-bias
//! estimate: how likely an item shown at rank r is to be examined, relative to rank 1;
//! which enterprises commissioners already serve (and how many each is serving now);
//! which needs already have an accepted provider; and monthly activity for the overview.
//!
//! Needs whose status changes to `closed` after the stats were built are reported with
//! [`FeedbackStats::set_need_closed`], which releases the providers' load at once.

use crate::domain::{Feedback, FeedbackEvent};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Per-provider counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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
    /// Keyed with a fast hash: read for every candidate of every match.
    providers: FxHashMap<String, ProviderRecord>,
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
    /// Providers accepted per need (to release load when the need closes).
    accepted_by_need: HashMap<String, Vec<String>>,
    /// Enterprises each commissioner has served (contacted, accepted or closed a deal).
    served: HashMap<String, HashSet<String>>,
    /// Enterprises served by any commissioner.
    served_by_anyone: HashSet<String>,
    /// Enterprises each commissioner is serving now (accepted, no deal or rejection since).
    commissioner_active: HashMap<String, HashSet<String>>,
    /// Activity per month (`YYYY-MM` of the event's `at`).
    monthly: BTreeMap<String, MonthActivity>,
}

/// One month's feedback activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonthActivity {
    /// Impressions.
    pub impressions: u64,
    /// Contacts.
    pub contacted: u64,
    /// Acceptances.
    pub accepted: u64,
    /// Rejections.
    pub rejected: u64,
    /// Deals.
    pub deals: u64,
    /// Distinct needs shown to anyone.
    #[serde(skip)]
    pub needs_shown: HashSet<String>,
    /// Distinct needs with an acceptance.
    #[serde(skip)]
    pub needs_accepted: HashSet<String>,
}

impl MonthActivity {
    /// Share of the needs shown this month that got an acceptance this month (0 when
    /// none were shown).
    pub fn match_rate(&self) -> f64 {
        if self.needs_shown.is_empty() {
            0.0
        } else {
            let matched = self
                .needs_accepted
                .iter()
                .filter(|n| self.needs_shown.contains(*n))
                .count();
            matched as f64 / self.needs_shown.len() as f64
        }
    }

    /// Acceptances over acceptances and rejections (0 when neither happened).
    pub fn acceptance_rate(&self) -> f64 {
        let decided = self.accepted + self.rejected;
        if decided == 0 {
            0.0
        } else {
            self.accepted as f64 / decided as f64
        }
    }
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
        self.add_monthly(f);
        if let (Some(c), Some(e)) = (&f.commissioner_id, &f.enterprise_id) {
            self.add_commissioner(c.as_str(), e.as_str(), f.event);
        }
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
            self.accepted_by_need.entry(key.0).or_default().push(key.1);
        }
    }

    fn add_monthly(&mut self, f: &Feedback) {
        let month = match f.at.as_deref() {
            Some(at) if at.len() >= 7 => at[..7].to_string(),
            _ => return,
        };
        let m = self.monthly.entry(month).or_default();
        match f.event {
            FeedbackEvent::Impression => m.impressions += 1,
            FeedbackEvent::Contacted => m.contacted += 1,
            FeedbackEvent::Accepted => m.accepted += 1,
            FeedbackEvent::Rejected => m.rejected += 1,
            FeedbackEvent::Deal => m.deals += 1,
            FeedbackEvent::Click => {}
        }
        if let Some(n) = &f.need_id {
            match f.event {
                FeedbackEvent::Impression => {
                    m.needs_shown.insert(n.to_string());
                }
                FeedbackEvent::Accepted | FeedbackEvent::Deal => {
                    m.needs_accepted.insert(n.to_string());
                }
                _ => {}
            }
        }
    }

    fn add_commissioner(&mut self, c: &str, e: &str, event: FeedbackEvent) {
        if matches!(
            event,
            FeedbackEvent::Contacted | FeedbackEvent::Accepted | FeedbackEvent::Deal
        ) {
            self.served
                .entry(c.to_string())
                .or_default()
                .insert(e.to_string());
            self.served_by_anyone.insert(e.to_string());
        }
        let active = self.commissioner_active.entry(c.to_string()).or_default();
        match event {
            FeedbackEvent::Accepted => {
                active.insert(e.to_string());
            }
            FeedbackEvent::Deal | FeedbackEvent::Rejected => {
                active.remove(e);
            }
            _ => {}
        }
    }

    /// Records that a need is now closed (or open again): the providers accepted on it
    /// stop (or start again) counting it as load.
    pub fn set_need_closed(&mut self, need: &str, closed: bool) {
        if closed == self.closed.contains(need) {
            return;
        }
        if closed {
            self.closed.insert(need.to_string());
        } else {
            self.closed.remove(need);
        }
        for p in self.accepted_by_need.get(need).into_iter().flatten() {
            if let Some(rec) = self.providers.get_mut(p) {
                rec.active = if closed {
                    rec.active.saturating_sub(1)
                } else {
                    rec.active + 1
                };
            }
        }
    }

    /// Whether a need already has an accepted provider (or a deal).
    pub fn need_is_matched(&self, need: &str) -> bool {
        self.accepted_by_need.contains_key(need)
    }

    /// Enterprises this commissioner has served.
    pub fn served_by(&self, commissioner: &str) -> Option<&HashSet<String>> {
        self.served.get(commissioner)
    }

    /// Whether any commissioner has served this enterprise.
    pub fn served_by_anyone(&self, enterprise: &str) -> bool {
        self.served_by_anyone.contains(enterprise)
    }

    /// How many enterprises this commissioner is serving now.
    pub fn commissioner_load(&self, commissioner: &str) -> u32 {
        self.commissioner_active
            .get(commissioner)
            .map_or(0, |s| s.len() as u32)
    }

    /// Enterprises this commissioner is serving now.
    pub fn active_enterprises(&self, commissioner: &str) -> Option<&HashSet<String>> {
        self.commissioner_active.get(commissioner)
    }

    /// Activity per month, oldest first.
    pub fn monthly(&self) -> &BTreeMap<String, MonthActivity> {
        &self.monthly
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
        self.track_record_of(&self.provider(id), exclude, exclude_accepted)
    }

    /// [`FeedbackStats::track_record`] of a record already looked up.
    pub fn track_record_of(&self, r: &ProviderRecord, exclude: u32, exclude_accepted: u32) -> f64 {
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
    fn closing_a_need_releases_load_and_reopening_restores_it() {
        let mut s = FeedbackStats::new([]);
        s.add(&fb("N-1", "P-1", "accepted"));
        s.add(&fb("N-2", "P-1", "accepted"));
        assert_eq!(s.provider("P-1").active, 2);
        assert!(s.need_is_matched("N-1") && !s.need_is_matched("N-3"));
        s.set_need_closed("N-1", true);
        s.set_need_closed("N-1", true);
        assert_eq!(s.provider("P-1").active, 1, "closed once, released once");
        s.set_need_closed("N-1", false);
        assert_eq!(s.provider("P-1").active, 2);
        assert_eq!(
            s.provider("P-1").accepted,
            2,
            "the track record is unchanged"
        );
    }

    #[test]
    fn commissioner_service_and_load() {
        let ev = |c: &str, e: &str, event: &str| {
            let v = serde_json::json!({"kind":"feedback","commissioner_id":c,"enterprise_id":e,"event":event,"actor":"commissioner","at":"2026-03-01T10:00:00+08:00"});
            match check(&v, None).unwrap().record {
                Record::Feedback(f) => f,
                _ => unreachable!(),
            }
        };
        let mut s = FeedbackStats::new([]);
        s.add(&ev("C-1", "E-1", "accepted"));
        s.add(&ev("C-1", "E-2", "accepted"));
        s.add(&ev("C-1", "E-2", "deal"));
        s.add(&ev("C-2", "E-3", "impression"));
        assert_eq!(s.commissioner_load("C-1"), 1);
        assert!(s.served_by("C-1").unwrap().contains("E-2"));
        assert!(s.served_by_anyone("E-1") && !s.served_by_anyone("E-3"));
        let m = &s.monthly()["2026-03"];
        assert_eq!((m.accepted, m.deals, m.impressions), (2, 1, 1));
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

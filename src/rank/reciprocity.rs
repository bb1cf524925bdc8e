//! The provider side of a match. A match only happens when both sides say yes: the
//! ranker estimates whether the enterprise will accept the provider (`relevance`); this
//! module estimates whether the provider can and will take the work (`factor`, 0–1).
//! The score a user sees is their product:
//!
//! ```text
//! score = relevance × factor
//! factor = Π over the rules below that apply (1 when none does)
//! ```
//!
//! | rule | when | factor | code |
//! | --- | --- | --- | --- |
//! | declined service | the provider lists the asked-for service in `declines_services` | 0.05 | `declines_service` |
//! | declined field | every field of the need is in `declines_fields` (some of them: 0.5) | 0.05 (0.5) | `declines_field` |
//! | declined district | the need's district is in `declines_districts` | 0.05 | `declines_district` |
//! | below minimum budget | the need's budget is under `min_budget_wan` | (budget ÷ minimum)², at least 0.05 | `below_min_budget` |
//! | at capacity | running engagements (accepted, need not closed) ≥ `capacity` | 0.2 | `at_capacity` |
//! | nearly full | running engagements ≥ ¾ of the capacity | 1 − 0.4 × (load − ¾) ÷ ¼ (1 at ¾, 0.6 just under full) | `near_capacity` |
//! | not near | the need insists on on-site or nearby work and the provider is neither in, nor next to, nor serving its district (nor city-wide) | 0.3 | `not_near` |
//!
//! Capacity rules apply only when the provider states a `capacity`. A refusal is not a
//! hard filter: such a provider sinks below every comparable one that would take the
//! work, and its reasons are shown, so the user still sees why it is not on top.

use super::features::{Geo, NeedSide};
use crate::domain::Provider;
use serde::Serialize;

/// Factor for work the provider declines.
pub const DECLINED: f64 = 0.05;
/// Factor for a provider at capacity.
pub const AT_CAPACITY: f64 = 0.2;
/// Factor for a provider that is not near when the need insists on nearness.
pub const NOT_NEAR: f64 = 0.3;

/// One rule that lowered the provider side.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SideReason {
    /// Stable machine code.
    pub code: &'static str,
    /// What it means, in Chinese.
    pub text: String,
    /// The factor this rule applied.
    pub factor: f64,
}

/// The provider side of one pair.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProviderSide {
    /// Product of the rules' factors (1 when none applies).
    pub factor: f64,
    /// The rules that applied.
    pub reasons: Vec<SideReason>,
}

/// A provider's running engagements against its capacity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Load {
    /// Accepted engagements whose need is not closed.
    pub active: u32,
    /// Stated capacity, when known.
    pub capacity: Option<u32>,
}

/// Judges the provider side of a pair.
pub fn provider_side(
    need: &NeedSide,
    budget_wan: Option<f64>,
    p: &Provider,
    load: Load,
    geo: &Geo,
) -> ProviderSide {
    let mut reasons = Vec::new();
    let mut add = |code, text: String, factor: f64| reasons.push(SideReason { code, text, factor });
    if let Some(s) = need.service
        && p.declines_services.contains(&s)
    {
        add(
            "declines_service",
            format!("该机构不承接{}业务", s.zh()),
            DECLINED,
        );
    }
    let declined: Vec<_> = need
        .fields
        .iter()
        .filter(|f| p.declines_fields.contains(f))
        .collect();
    if !declined.is_empty() {
        let names: Vec<&str> = declined.iter().map(|f| f.zh()).collect();
        let all = declined.len() == need.fields.len();
        add(
            "declines_field",
            format!("该机构不做{}领域", names.join("、")),
            if all { DECLINED } else { 0.5 },
        );
    }
    if let Some(place) = &need.place
        && p.declines_districts.contains(place)
    {
        add(
            "declines_district",
            format!("该机构不服务{}", place.name()),
            DECLINED,
        );
    }
    if let (Some(budget), Some(min)) = (budget_wan, p.min_budget_wan)
        && budget < min
        && min > 0.0
    {
        add(
            "below_min_budget",
            format!("预算 {budget} 万元低于该机构起接金额 {min} 万元"),
            ((budget / min).powi(2)).max(DECLINED),
        );
    }
    if let Some(cap) = load.capacity {
        let active = load.active;
        if active >= cap {
            add(
                "at_capacity",
                format!("已满负荷（在办 {active} / 容量 {cap}）"),
                AT_CAPACITY,
            );
        } else {
            let u = f64::from(active) / f64::from(cap);
            if u >= 0.75 {
                add(
                    "near_capacity",
                    format!("负荷较高（在办 {active} / 容量 {cap}）"),
                    1.0 - 0.4 * (u - 0.75) / 0.25,
                );
            }
        }
    }
    if need.wants_near {
        let near = matches!(
            geo,
            Geo::SameDistrict(_) | Geo::Serves(_) | Geo::Neighbour(_) | Geo::CityWide
        );
        if !near {
            let place = need
                .place
                .as_ref()
                .map(|p| p.name().to_string())
                .unwrap_or_else(|| "需求所在地".into());
            let at = match geo {
                Geo::SameCity(d) => format!("位于{d}"),
                Geo::Outside(d) => format!("位于{d}"),
                _ => "所在地不明".to_string(),
            };
            add(
                "not_near",
                format!("需求要求在{place}本区或周边，该机构{at}"),
                NOT_NEAR,
            );
        }
    }
    ProviderSide {
        factor: reasons.iter().map(|r| r.factor).product(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::check;
    use crate::domain::{Entity, Field, Place, Record, Service};

    fn provider(extra: serde_json::Value) -> Provider {
        let mut v = serde_json::json!({"kind":"provider","id":"P-1","name":"某中试平台",
            "district":"璧山区","services":["pilot_scale"],"fields":["new_materials"]});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        match check(&v, None).unwrap().record {
            Record::Entity(Entity::Provider(p)) => p,
            _ => unreachable!(),
        }
    }

    fn need(district: &str, near: bool) -> NeedSide {
        NeedSide {
            service: Some(Service::PilotScale),
            fields: vec![Field::NewMaterials],
            place: Some(Place::parse(district).unwrap().place),
            wants_near: near,
            ..NeedSide::default()
        }
    }

    fn judge(n: &NeedSide, budget: Option<f64>, p: &Provider, active: u32) -> ProviderSide {
        let load = Load {
            active,
            capacity: p.capacity,
        };
        provider_side(n, budget, p, load, &Geo::of(n.place.as_ref(), p))
    }

    #[test]
    fn a_willing_free_provider_is_not_lowered() {
        let p = provider(serde_json::json!({"capacity": 4}));
        let s = judge(&need("璧山区", true), Some(50.0), &p, 1);
        assert_eq!(s.factor, 1.0);
        assert!(s.reasons.is_empty());
    }

    #[test]
    fn each_refusal_lowers_and_says_why() {
        let n = need("璧山区", false);
        for (extra, code) in [
            (
                serde_json::json!({"declines_services":["pilot_scale"]}),
                "declines_service",
            ),
            (
                serde_json::json!({"declines_fields":["new_materials"]}),
                "declines_field",
            ),
            (
                serde_json::json!({"declines_districts":["璧山"]}),
                "declines_district",
            ),
            (
                serde_json::json!({"min_budget_wan": 200}),
                "below_min_budget",
            ),
        ] {
            let s = judge(&n, Some(50.0), &provider(extra), 0);
            assert!(s.factor <= 0.1, "{code}: {}", s.factor);
            assert_eq!(s.reasons[0].code, code);
        }
    }

    #[test]
    fn load_lowers_gradually_then_sharply_at_capacity() {
        let p = provider(serde_json::json!({"capacity": 4}));
        let n = need("璧山区", false);
        let f: Vec<f64> = (0..=5).map(|a| judge(&n, None, &p, a).factor).collect();
        assert_eq!(f[0], 1.0);
        assert!(f[1] == 1.0 && f[2] == 1.0 && f[3] == 1.0, "{f:?}");
        let big = provider(serde_json::json!({"capacity": 8}));
        let g: Vec<f64> = (6..=8).map(|a| judge(&n, None, &big, a).factor).collect();
        assert_eq!(g, vec![1.0, 0.8, AT_CAPACITY]);
        assert_eq!(judge(&n, None, &big, 7).reasons[0].code, "near_capacity");
        assert_eq!(f[4], AT_CAPACITY);
        assert_eq!(judge(&n, None, &p, 4).reasons[0].code, "at_capacity");
        let unknown = provider(serde_json::json!({}));
        assert_eq!(
            judge(&n, None, &unknown, 9).factor,
            1.0,
            "no stated capacity"
        );
    }

    #[test]
    fn nearness_is_honoured_only_when_asked() {
        let p = provider(serde_json::json!({}));
        assert_eq!(judge(&need("万州区", false), None, &p, 0).factor, 1.0);
        let s = judge(&need("万州区", true), None, &p, 0);
        assert_eq!(s.factor, NOT_NEAR);
        assert_eq!(s.reasons[0].code, "not_near");
        assert_eq!(
            judge(&need("璧山区", true), None, &p, 0).factor,
            1.0,
            "same district"
        );
    }
}

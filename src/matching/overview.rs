//! The programme overview, for the people who run it (a city science and technology
//! bureau): supply against demand by district and field, and activity over time.
//!
//! - *Demand* in a (district, field) cell: open needs based in the district that name the
//!   field (a need with no fields counts under `other`).
//! - *Supply*: providers based in, or serving, the district that work in the field and
//!   have free capacity (running engagements under `capacity`; a provider that states
//!   no capacity counts as free). Providers serving the whole city are counted once per
//!   field in `city_wide_supply`, not in every district.
//! - *Timeline*: per month (of the events' `at`), impressions, contacts, acceptances,
//!   rejections and deals; `match_rate` = needs with an acceptance ÷ needs shown;
//!   `acceptance_rate` = acceptances ÷ (acceptances + rejections).

use crate::domain::{Districts, Field, Need, NeedStatus, Place, Provider};
use crate::rank::FeedbackStats;
use serde::Serialize;
use std::collections::BTreeMap;

/// One cell of the heatmap.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Cell {
    /// District.
    pub district: String,
    /// Field code.
    pub field: &'static str,
    /// Open needs.
    pub open_needs: u32,
    /// Providers with free capacity.
    pub free_providers: u32,
}

/// One month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub period: String,
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
    /// Needs with an acceptance ÷ needs shown.
    pub match_rate: f64,
    /// Acceptances ÷ (acceptances + rejections).
    pub acceptance_rate: f64,
}

/// A field code with its Chinese name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldName {
    /// Code.
    pub code: &'static str,
    /// 中文.
    pub zh: &'static str,
}

/// Totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Open needs.
    pub open_needs: u32,
    /// Open needs that already have an accepted provider.
    pub open_needs_matched: u32,
    /// Providers.
    pub providers: u32,
    /// Providers with free capacity.
    pub providers_free: u32,
    /// Providers at capacity.
    pub providers_at_capacity: u32,
}

/// The overview (without gaps, which the caller adds).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// Every district, in the table's order (rows of the heatmap).
    pub districts: Vec<String>,
    /// Every field (columns).
    pub fields: Vec<FieldName>,
    /// Non-empty cells.
    pub supply_demand: Vec<Cell>,
    /// Free providers serving the whole city, per field code.
    pub city_wide_supply: BTreeMap<&'static str, u32>,
    /// Activity per month, oldest first.
    pub timeline: Vec<Month>,
    /// Totals.
    pub totals: Totals,
}

/// Builds the overview from all needs and providers and the feedback aggregates.
pub fn overview(needs: &[Need], providers: &[Provider], stats: &FeedbackStats) -> Overview {
    let districts: Vec<String> = Districts::get()
        .all()
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    let mut cells: BTreeMap<(String, &'static str), (u32, u32)> = BTreeMap::new();
    let mut totals = Totals {
        open_needs: 0,
        open_needs_matched: 0,
        providers: providers.len() as u32,
        providers_free: 0,
        providers_at_capacity: 0,
    };
    for n in needs.iter().filter(|n| n.status == NeedStatus::Open) {
        totals.open_needs += 1;
        if stats.need_is_matched(n.id.as_str()) {
            totals.open_needs_matched += 1;
        }
        let Some(Place::District(d)) = &n.district else {
            continue;
        };
        let fields: &[Field] = if n.fields.is_empty() {
            &[Field::Other]
        } else {
            &n.fields
        };
        for f in fields {
            cells.entry((d.to_string(), f.code())).or_default().0 += 1;
        }
    }
    let mut city_wide_supply: BTreeMap<&'static str, u32> = BTreeMap::new();
    for p in providers {
        let free = match p.capacity {
            Some(cap) => stats.provider(p.id.as_str()).active < cap,
            None => true,
        };
        if !free {
            totals.providers_at_capacity += 1;
            continue;
        }
        totals.providers_free += 1;
        let mut places: Vec<&Place> = p.served_districts.iter().collect();
        places.extend(p.district.iter());
        if places.contains(&&Place::CityWide) {
            for f in &p.fields {
                *city_wide_supply.entry(f.code()).or_default() += 1;
            }
            continue;
        }
        let mut names: Vec<&str> = places
            .iter()
            .filter_map(|pl| match pl {
                Place::District(d) => Some(*d),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        for d in names {
            for f in &p.fields {
                cells.entry((d.to_string(), f.code())).or_default().1 += 1;
            }
        }
    }
    let supply_demand = cells
        .into_iter()
        .map(|((district, field), (open_needs, free_providers))| Cell {
            district,
            field,
            open_needs,
            free_providers,
        })
        .collect();
    let timeline = stats
        .monthly()
        .iter()
        .map(|(period, m)| Month {
            period: period.clone(),
            impressions: m.impressions,
            contacted: m.contacted,
            accepted: m.accepted,
            rejected: m.rejected,
            deals: m.deals,
            match_rate: m.match_rate(),
            acceptance_rate: m.acceptance_rate(),
        })
        .collect();
    Overview {
        districts,
        fields: Field::ALL
            .iter()
            .map(|f| FieldName {
                code: f.code(),
                zh: f.zh(),
            })
            .collect(),
        supply_demand,
        city_wide_supply,
        timeline,
        totals,
    }
}

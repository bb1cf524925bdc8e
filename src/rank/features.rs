//! Need → provider pair features. Every feature is a number in [0, 1]; what each means:
//!
//! | name | value |
//! | --- | --- |
//! | `text_bm25` | BM25 of the provider against the need text, divided by the best BM25 among this need's candidates |
//! | `service_match` | 1 when the provider offers the service asked for, 0.5 for a closely related service, else 0 |
//! | `field_overlap` | share of the need's fields the provider works in (0 when the need names none) |
//! | `geo` | 1 same district; 0.8 the provider serves the need's district; 0.6 neighbouring district; 0.5 serves the whole city; 0.3 elsewhere in Chongqing; 0 outside; 0.3 when the need has no place |
//! | `geo_if_near` | `geo` when the need insists on on-site or nearby work (驻厂, 本区或周边, 就近…), else 0 |
//! | `type_prior` | how suited this provider type is to the service (table below) |
//! | `tfidf_cosine` | cosine of the TF-IDF vectors of need and provider text (model vocabulary; 0 without a model) |
//! | `lsa_cosine` | cosine of their latent semantic vectors (truncated SVD fitted at training; 0 without a model), clipped at 0 |
//! | `related_service` | 1 when the provider offers only a related service, not the one asked for |
//! | `outside_city` | 1 when the provider is based outside Chongqing and does not serve the city |
//! | `load` | accepted, not yet closed engagements over capacity, capped at 2, halved (0–1) |
//! | `at_capacity` | 1 when those engagements reach the provider's capacity |
//! | `track_record` | smoothed share of its engagements that were accepted (from feedback) |
//! | `qualified` | known qualifications (municipal/national platform or agency, CMA, CNAS, patent agency, senior broker), 0.5 each, capped at 1 |
//! | `concept_overlap` | share of the need's thesaurus concepts the provider offers — the same concept in any of its forms 1, a narrower one 0.8, a broader one 0.6, a shared broader one 0.3 (`domain::concepts::overlap`); 0 when the need names none |
//! | `excluded` | share of what the need asks that the provider declines ("不承接…", "…请勿提交", "…除外"), or 1 when the need rules out what the provider offers (`domain::concepts::exclusion`) |
//!
//! `field_overlap` weighs the need's fields by how sure they are: stated fields count
//! fully; fields read from free text count with their probability, and below the
//! confidence threshold none is guessed (the feature is then 0 for every candidate and
//! cannot move the ranking).

use crate::domain::{Districts, Field, Place, Provider, ProviderType, Service};

/// Feature names, in vector order.
pub const NAMES: [&str; 16] = [
    "text_bm25",
    "service_match",
    "field_overlap",
    "geo",
    "geo_if_near",
    "type_prior",
    "tfidf_cosine",
    "lsa_cosine",
    "related_service",
    "outside_city",
    "load",
    "at_capacity",
    "track_record",
    "qualified",
    "concept_overlap",
    "excluded",
];

/// Qualifications that count in `qualified`.
const KNOWN_QUALIFICATIONS: &[&str] = &[
    "municipal_pilot_platform",
    "national_pilot_platform",
    "national_tech_transfer_agency",
    "municipal_tech_transfer_agency",
    "cma",
    "cnas",
    "patent_agency",
    "broker_senior",
    "broker_intermediate",
];

/// What the caller knows beyond the two records: text similarity from the model and the
/// provider's standing from feedback.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// TF-IDF cosine (0 without a model).
    pub tfidf_cosine: f64,
    /// LSA cosine (0 without a model).
    pub lsa_cosine: f64,
    /// Accepted engagements not yet closed.
    pub active: u32,
    /// Smoothed acceptance rate.
    pub track_record: f64,
    /// Thesaurus concept overlap (0–1).
    pub concept_overlap: f64,
    /// Share of the need the provider declines (0–1).
    pub excluded: f64,
}

/// The need side of a pair: what was asked, where, how urgently near.
#[derive(Debug, Clone, Default)]
pub struct NeedSide {
    /// The service asked for.
    pub service: Option<Service>,
    /// The need's fields.
    pub fields: Vec<Field>,
    /// How sure each field is (stated: 1; inferred: its probability). Empty means every
    /// field in `fields` counts 1.
    pub field_weights: Vec<(Field, f64)>,
    /// Where the work is.
    pub place: Option<Place>,
    /// Whether the need insists on on-site or nearby work.
    pub wants_near: bool,
}

/// How a provider's place relates to the need's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Geo {
    /// Both in the same district.
    SameDistrict(&'static str),
    /// The provider lists the need's district among those it serves.
    Serves(&'static str),
    /// The provider is in a neighbouring district.
    Neighbour(&'static str),
    /// The provider serves the whole city.
    CityWide,
    /// Both in Chongqing, not close (the provider's district).
    SameCity(&'static str),
    /// The provider is outside Chongqing.
    Outside(String),
    /// The need names no place.
    Unknown,
}

impl Geo {
    /// Relates a provider to a need's place.
    pub fn of(need: Option<&Place>, p: &Provider) -> Geo {
        let base = p.district.as_ref();
        let Some(Place::District(nd)) = need else {
            return match base {
                Some(Place::Outside(o)) if p.served_districts.is_empty() => Geo::Outside(o.clone()),
                _ => Geo::Unknown,
            };
        };
        if let Some(Place::District(pd)) = base
            && pd == nd
        {
            return Geo::SameDistrict(pd);
        }
        if p.served_districts.iter().any(|s| s == &Place::District(nd)) {
            return Geo::Serves(nd);
        }
        if let Some(Place::District(pd)) = base
            && Districts::get().are_neighbours(pd, nd)
        {
            return Geo::Neighbour(pd);
        }
        if base == Some(&Place::CityWide) || p.served_districts.contains(&Place::CityWide) {
            return Geo::CityWide;
        }
        match base {
            Some(Place::District(pd)) => Geo::SameCity(pd),
            Some(Place::Outside(o)) => Geo::Outside(o.clone()),
            _ => Geo::Unknown,
        }
    }

    /// The feature value.
    pub fn value(&self) -> f64 {
        match self {
            Geo::SameDistrict(_) => 1.0,
            Geo::Serves(_) => 0.8,
            Geo::Neighbour(_) => 0.6,
            Geo::CityWide => 0.5,
            Geo::SameCity(_) => 0.3,
            Geo::Outside(_) => 0.0,
            Geo::Unknown => 0.3,
        }
    }
}

/// How suited a provider type is to a service (0–1): pilot platforms for pilot-scale work
/// and testing, transfer agencies for transfer, IP and financing, brokers for brokerage.
pub fn type_prior(service: Option<Service>, t: Option<ProviderType>) -> f64 {
    use ProviderType::*;
    use Service::*;
    let (Some(s), Some(t)) = (service, t) else {
        return 0.3;
    };
    match (s, t) {
        (PilotScale, PilotPlatform) => 1.0,
        (PilotScale, TransferAgency) => 0.3,
        (PilotScale, Broker) => 0.2,
        (Testing, PilotPlatform) => 0.8,
        (Testing, TransferAgency) => 0.5,
        (Testing, Broker) => 0.1,
        (TechTransfer, TransferAgency) => 1.0,
        (TechTransfer, Broker) => 0.7,
        (TechTransfer, PilotPlatform) => 0.2,
        (RdCooperation, TransferAgency) => 0.7,
        (RdCooperation, PilotPlatform) => 0.6,
        (RdCooperation, Broker) => 0.4,
        (IpService, TransferAgency) => 1.0,
        (IpService, Broker) => 0.5,
        (IpService, PilotPlatform) => 0.1,
        (Brokerage, Broker) => 1.0,
        (Brokerage, TransferAgency) => 0.7,
        (Brokerage, PilotPlatform) => 0.1,
        (Consulting, TransferAgency) => 0.8,
        (Consulting, Broker) => 0.7,
        (Consulting, PilotPlatform) => 0.3,
        (Financing, TransferAgency) => 0.8,
        (Financing, Broker) => 0.6,
        (Financing, PilotPlatform) => 0.1,
    }
}

/// Services close enough to count half (a testing lab can often help a pilot trial).
pub fn related(a: Service, b: Service) -> bool {
    use Service::*;
    matches!(
        (a, b),
        (PilotScale, Testing)
            | (Testing, PilotScale)
            | (PilotScale, RdCooperation)
            | (RdCooperation, PilotScale)
            | (TechTransfer, RdCooperation)
            | (RdCooperation, TechTransfer)
            | (TechTransfer, IpService)
            | (IpService, TechTransfer)
            | (TechTransfer, Brokerage)
            | (Brokerage, TechTransfer)
            | (Consulting, Brokerage)
            | (Brokerage, Consulting)
            | (Financing, Consulting)
            | (Consulting, Financing)
    )
}

/// The features of one need → provider pair, plus what explains them.
#[derive(Debug, Clone)]
pub struct PairFeatures {
    /// Values in [`NAMES`] order.
    pub values: [f64; NAMES.len()],
    /// Geography, for the summary.
    pub geo: Geo,
    /// The fields both share, for the summary.
    pub shared_fields: Vec<Field>,
    /// The need's concepts the provider offers, strongest first, for the summary.
    pub concepts: Vec<crate::domain::concepts::ConceptMatch>,
    /// The clause in which the provider declines (or the need rules out) the work.
    pub exclusion: Option<String>,
}

impl PairFeatures {
    /// Computes the features; `bm25_norm` is the provider's BM25 over the best one;
    /// `provider_fields` are the provider's fields (inferred when it names none).
    pub fn compute(
        need: &NeedSide,
        p: &Provider,
        provider_fields: &[Field],
        bm25_norm: f64,
        extra: Extra,
    ) -> PairFeatures {
        let exact = need.service.is_some_and(|s| p.services.contains(&s));
        let related_only = !exact
            && need
                .service
                .is_some_and(|s| p.services.iter().any(|o| related(s, *o)));
        let service_match = if exact {
            1.0
        } else if related_only {
            0.5
        } else {
            0.0
        };
        let shared_fields: Vec<Field> = need
            .fields
            .iter()
            .filter(|f| provider_fields.contains(f))
            .copied()
            .collect();
        let field_overlap = if need.field_weights.is_empty() {
            if need.fields.is_empty() {
                0.0
            } else {
                shared_fields.len() as f64 / need.fields.len() as f64
            }
        } else {
            need.field_weights
                .iter()
                .filter(|(f, _)| provider_fields.contains(f))
                .map(|(_, w)| w)
                .sum::<f64>()
                .min(1.0)
        };
        let geo = Geo::of(need.place.as_ref(), p);
        let g = geo.value();
        let capacity = f64::from(p.capacity.unwrap_or(5).max(1));
        let active = f64::from(extra.active);
        let qualified = p
            .qualifications
            .iter()
            .filter(|q| KNOWN_QUALIFICATIONS.contains(&q.as_str()))
            .count() as f64
            * 0.5;
        PairFeatures {
            values: [
                bm25_norm.clamp(0.0, 1.0),
                service_match,
                field_overlap,
                g,
                if need.wants_near { g } else { 0.0 },
                type_prior(need.service, p.provider_type),
                extra.tfidf_cosine.clamp(0.0, 1.0),
                extra.lsa_cosine.clamp(0.0, 1.0),
                if related_only { 1.0 } else { 0.0 },
                if matches!(geo, Geo::Outside(_)) {
                    1.0
                } else {
                    0.0
                },
                (active / capacity).min(2.0) / 2.0,
                if active >= capacity { 1.0 } else { 0.0 },
                extra.track_record.clamp(0.0, 1.0),
                qualified.min(1.0),
                extra.concept_overlap.clamp(0.0, 1.0),
                extra.excluded.clamp(0.0, 1.0),
            ],
            geo,
            shared_fields,
            concepts: Vec::new(),
            exclusion: None,
        }
    }

    /// The value of a named feature.
    pub fn get(&self, name: &str) -> f64 {
        NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| self.values[i])
            .unwrap_or(0.0)
    }
}

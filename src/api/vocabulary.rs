//! `GET /v1/vocabulary`: the closed vocabularies of `domain` — fields, services, provider
//! types, certifications, need statuses, record kinds — with their codes and Chinese
//! labels, and the districts with their aliases, neighbours and areas. The web page loads
//! it once at start, so the page holds no copy of a domain table.
//!
//! Access: like every `/v1/` read, it passes `auth::guard` — open servers answer anyone, a
//! closed server any valid key of any role. Nothing in it is secret, and no role check
//! is made.

use crate::app::App;
use crate::domain::place::CITY_WIDE;
use crate::domain::{
    Certification, Districts, EntityKind, Field, NeedStatus, ProviderType, Service,
};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(vocabulary))
}

/// Every vocabulary, in the domain's order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Vocabulary {
    /// Technology fields, with a short label for narrow places.
    pub fields: Vec<FieldTerm>,
    /// Services a need asks for and a provider offers.
    pub services: Vec<Term>,
    /// The kinds of provider.
    pub provider_types: Vec<Term>,
    /// Certifications an enterprise holds.
    pub certifications: Vec<Term>,
    /// Where a need stands.
    pub need_statuses: Vec<Term>,
    /// The record kinds (`kind` of a search hit).
    pub kinds: Vec<Term>,
    /// Chongqing's districts, counties and zones, in the order of `domain/districts.txt`.
    pub districts: Vec<DistrictTerm>,
    /// The place a provider names to serve the whole city (`全市`).
    pub city_wide: &'static str,
}

/// A code and its Chinese label.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Term {
    /// The stable code, as in files and the API.
    pub code: &'static str,
    /// The Chinese label.
    pub zh: &'static str,
}

/// A field: code, label and short label.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldTerm {
    /// The stable code.
    pub code: &'static str,
    /// The Chinese label.
    pub zh: &'static str,
    /// A short Chinese label.
    pub short: &'static str,
}

/// A district as the domain knows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistrictTerm {
    /// Official name, which is also its code (`璧山区`).
    pub name: &'static str,
    /// Other forms that normalise to `name` (`璧山`).
    pub aliases: Vec<&'static str>,
    /// Districts sharing a border.
    pub neighbours: Vec<&'static str>,
    /// 中心城区, 主城新区, 渝东北 or 渝东南.
    pub area: &'static str,
}

macro_rules! terms {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| Term {
                code: v.code(),
                zh: v.zh(),
            })
            .collect()
    };
}

impl Vocabulary {
    /// The vocabularies as `domain` has them.
    pub fn from_domain() -> Vocabulary {
        Vocabulary {
            fields: Field::ALL
                .iter()
                .map(|f| FieldTerm {
                    code: f.code(),
                    zh: f.zh(),
                    short: f.short_zh(),
                })
                .collect(),
            services: terms!(Service),
            provider_types: terms!(ProviderType),
            certifications: terms!(Certification),
            need_statuses: terms!(NeedStatus),
            kinds: EntityKind::ALL
                .iter()
                .map(|k| Term {
                    code: k.code(),
                    zh: k.zh(),
                })
                .collect(),
            districts: Districts::get()
                .all()
                .iter()
                .map(|d| DistrictTerm {
                    name: d.name,
                    aliases: d.aliases.clone(),
                    neighbours: d.neighbours.clone(),
                    area: d.area,
                })
                .collect(),
            city_wide: CITY_WIDE,
        }
    }
}

/// The vocabularies: codes with Chinese labels, districts with aliases and neighbours
///
/// Fields, services, provider types, certifications, need statuses and record kinds in
/// the domain's order; the districts of `domain/districts.txt`. Nothing in it is secret:
/// any valid key (or an open server) may read it.
#[utoipa::path(
    get,
    path = "/v1/vocabulary",
    operation_id = "vocabulary",
    tag = "system",
    responses((status = 200, description = "OK", body = Vocabulary))
)]
async fn vocabulary() -> Json<Vocabulary> {
    Json(Vocabulary::from_domain())
}

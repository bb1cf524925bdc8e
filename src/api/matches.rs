//! `POST /v1/match`: providers for a stored need or a free-text request, ranked and
//! explained.

use super::auth::Principal;
use super::error::ApiError;
use super::error::{Code, Coded};
use super::extract::Json;
use super::searches::list;
use crate::app::App;
use crate::domain::{Field, Place, ProviderType, Service};
use crate::matching::{MatchRequest, MatchResponse, ProviderFilter};
use crate::rank::RankerName;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/v1/match", post(match_need))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    need_id: Option<String>,
    text: Option<String>,
    service: Option<String>,
    #[serde(default)]
    fields: Vec<String>,
    district: Option<String>,
    budget_wan: Option<f64>,
    near: Option<bool>,
    #[serde(default)]
    provider_types: Vec<String>,
    #[serde(default)]
    filter: FilterBody,
    limit: Option<usize>,
    ranker: Option<String>,
    model_version: Option<String>,
    exposure_control: Option<bool>,
}

/// Hard constraints on the providers returned.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilterBody {
    #[serde(default)]
    provider_types: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    include_neighbours: bool,
}

/// Parses a list of codes from a JSON array.
fn codes<T>(raw: &[String], parse: impl Fn(&str) -> Result<T, Coded>) -> Result<Vec<T>, ApiError> {
    list(&Some(raw.join(",")), parse)
}

/// Parses a place; `field` names it in the error.
pub(super) fn place(raw: &str, field: &str) -> Result<Place, ApiError> {
    Place::parse(raw)
        .map(|p| p.place)
        .map_err(|e| ApiError::from(e).with_field(field))
}

async fn match_need(
    State(app): State<App>,
    who: Principal,
    Json(b): Json<Body>,
) -> Result<axum::Json<MatchResponse>, ApiError> {
    // A need the key may not see does not exist for it.
    if let Some(id) = b.need_id.as_deref().filter(|s| !s.is_empty())
        && !who.is_admin()
        && let Some(crate::domain::Entity::Need(n)) =
            app.store().get(crate::domain::EntityKind::Need, id).await?
        && !who.may_see(&app, &n)
    {
        return Err(ApiError::not_found("需求", id));
    }
    // `learned` (the default) uses the pinned or active model; with no model at all the
    // hand-weighted baseline stands in for it, and the answer's `ranker` says so.
    let name = match b.ranker.as_deref() {
        None | Some("") => RankerName::Learned,
        Some(r) => RankerName::parse(r).map_err(ApiError::from)?,
    };
    let ranker = app
        .matcher()
        .ranker(name, b.model_version.as_deref().filter(|v| !v.is_empty()))?;
    let service = match b.service.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Service::parse(s).map_err(ApiError::from)?),
    };
    let district = match b.district.as_deref() {
        None | Some("") => None,
        Some(d) => Some(place(d, "district")?),
    };
    if let Some(budget) = b.budget_wan
        && !(budget.is_finite() && budget >= 0.0)
    {
        return Err(
            ApiError::bad_request(Code::InvalidValue, "budget_wan 应为非负数")
                .with_field("budget_wan"),
        );
    }
    let mut provider_types = codes(&b.provider_types, ProviderType::parse)?;
    provider_types.extend(codes(&b.filter.provider_types, ProviderType::parse)?);
    let filter = ProviderFilter {
        provider_types,
        services: codes(&b.filter.services, Service::parse)?,
        fields: codes(&b.filter.fields, Field::parse)?,
        districts: b
            .filter
            .districts
            .iter()
            .filter(|d| !d.trim().is_empty())
            .map(|d| place(d, "filter.districts"))
            .collect::<Result<_, _>>()?,
        include_neighbours: b.filter.include_neighbours,
    };
    let mut req = MatchRequest::new(b.need_id.filter(|s| !s.is_empty()), b.text, ranker);
    req.service = service;
    req.fields = codes(&b.fields, Field::parse)?;
    req.district = district;
    req.budget_wan = b.budget_wan;
    req.near = b.near;
    req.filter = filter;
    req.limit = b.limit.unwrap_or(10);
    if b.exposure_control.unwrap_or(true) {
        req.exposure = Some(app.matcher().exposure_control());
    }
    Ok(axum::Json(app.matcher().match_providers(req).await?))
}

//! `POST /v1/match`: providers for a stored need or a free-text request, ranked and
//! explained.

use super::error::ApiError;
use super::extract::Json;
use super::searches::list;
use crate::app::App;
use crate::domain::{Field, Place, ProviderType, Service};
use crate::matching::{MatchRequest, MatchResponse, match_providers};
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
    #[serde(default)]
    provider_types: Vec<String>,
    limit: Option<usize>,
    ranker: Option<String>,
    model_version: Option<String>,
}

async fn match_need(
    State(app): State<App>,
    Json(b): Json<Body>,
) -> Result<axum::Json<MatchResponse>, ApiError> {
    // `learned` (the default) uses the pinned or active model; with no model at all the
    // hand-weighted baseline stands in for it, and the answer's `ranker` says so.
    let name = match b.ranker.as_deref() {
        None | Some("") => RankerName::Learned,
        Some(r) => RankerName::parse(r).map_err(|e| ApiError::bad_request("unknown_ranker", e))?,
    };
    let ranker = app.ranker(name, b.model_version.as_deref().filter(|v| !v.is_empty()))?;
    let service = match b.service.as_deref() {
        None | Some("") => None,
        Some(s) => {
            Some(Service::parse(s).map_err(|e| ApiError::bad_request("unknown_service_code", e))?)
        }
    };
    let district = match b.district.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            Place::parse(d)
                .map_err(|e| ApiError::bad_request("invalid_district", e))?
                .place,
        ),
    };
    let req = MatchRequest {
        need_id: b.need_id.filter(|s| !s.is_empty()),
        text: b.text,
        service,
        fields: list(
            &Some(b.fields.join(",")),
            "unknown_field_code",
            Field::parse,
        )?,
        district,
        provider_types: list(
            &Some(b.provider_types.join(",")),
            "unknown_provider_type",
            ProviderType::parse,
        )?,
        limit: b.limit.unwrap_or(10),
        ranker,
    };
    Ok(axum::Json(
        match_providers(&app.store, &app.index, app.stats.clone(), req).await?,
    ))
}

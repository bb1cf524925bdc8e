//! `GET /v1/search`: full-text search with filters and highlighted snippets.

use super::auth::Principal;
use super::error::ApiError;
use super::error::{Code, Coded};
use super::extract::Query;
use super::openapi::BadRequest;
use crate::app::App;
use crate::domain::{EntityKind, Field, NeedStatus, Place, ProviderType, Service};
use crate::search::{Filter, IndexError, SearchRequest};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;
/// Largest page.
const MAX_LIMIT: usize = 100;
/// Deepest result reachable by paging.
const MAX_OFFSET: usize = 10_000;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Lists are comma-separated (`，` also separates).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Params {
    /// query text (Chinese or not)
    #[param(max_length = 500, example = "碳纤维复合材料")]
    q: Option<String>,
    /// record kinds (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<EntityKind>>, style = Form, explode = false)]
    kind: Option<String>,
    /// provider types (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<ProviderType>>, style = Form, explode = false)]
    provider_type: Option<String>,
    /// places (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false)]
    district: Option<String>,
    /// field codes (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<Field>>, style = Form, explode = false)]
    field: Option<String>,
    /// service codes (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<Service>>, style = Form, explode = false)]
    service: Option<String>,
    /// need statuses (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<NeedStatus>>, style = Form, explode = false)]
    status: Option<String>,
    /// default 20, clamped to 1–100
    limit: Option<usize>,
    /// `next_cursor` of the previous page (an offset ≤ 10000)
    cursor: Option<String>,
}

/// One hit.
#[derive(Serialize, ToSchema)]
pub(super) struct SearchHit {
    id: String,
    kind: EntityKind,
    score: f32,
    /// A highlighted passage, when the text matched one.
    #[schema(required = true)]
    snippet: Option<String>,
    /// The record's name (all kinds but needs).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    name: Option<Value>,
    /// A need's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    title: Option<Value>,
}

/// A page of hits.
#[derive(Serialize, ToSchema)]
pub(super) struct SearchResults {
    results: Vec<SearchHit>,
    /// Hits in all (needs the key may not see left out).
    total: usize,
    /// The next page's cursor; null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Splits a comma-separated parameter and parses each value.
pub(super) fn list<T>(
    raw: &Option<String>,
    parse: impl Fn(&str) -> Result<T, Coded>,
) -> Result<Vec<T>, ApiError> {
    raw.as_deref()
        .unwrap_or("")
        .split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(ApiError::from))
        .collect()
}

/// Full-text search with filters
#[utoipa::path(
    get,
    path = "/v1/search",
    operation_id = "search",
    tag = "search",
    params(Params),
    responses(
        (status = 200, description = "OK", body = SearchResults),
        (status = 400, response = BadRequest),
    )
)]
async fn search(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<Params>,
) -> Result<Json<SearchResults>, ApiError> {
    let text = p.q.unwrap_or_default();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(
            Code::QueryTooLong,
            format!(
                "查询过长（{} 字），上限 {MAX_QUERY_CHARS} 字",
                text.chars().count()
            ),
        ));
    }
    let offset: usize = match p.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c.parse().ok().filter(|o| *o <= MAX_OFFSET).ok_or_else(|| {
            ApiError::bad_request(
                Code::InvalidCursor,
                format!("cursor “{c}”无效，请使用上一页返回的 next_cursor"),
            )
        })?,
    };
    let limit = p.limit.unwrap_or(20).clamp(1, MAX_LIMIT);
    let filter = Filter {
        kinds: list(&p.kind, EntityKind::parse)?,
        provider_types: list(&p.provider_type, ProviderType::parse)?,
        districts: list(&p.district, |d| {
            Place::parse(d).map(|p| p.place.name().to_string())
        })?,
        fields: list(&p.field, Field::parse)?,
        services: list(&p.service, Service::parse)?,
        statuses: list(&p.status, NeedStatus::parse)?,
    };
    let req = SearchRequest {
        text,
        filter,
        limit,
        offset,
        snippets: true,
        ..SearchRequest::default()
    };
    let index = app.index().clone();
    let found = tokio::task::spawn_blocking(move || index.search(&req))
        .await
        .map_err(|e| ApiError::from(IndexError::from(e)))??;
    let shown = found.hits.len();
    let mut hidden = 0usize;
    let results: Vec<SearchHit> = found
        .hits
        .iter()
        .filter(|h| {
            // Needs the key may not see are left out (and not counted in `total`).
            let ok = h.kind != EntityKind::Need
                || who.is_admin()
                || serde_json::from_str::<crate::domain::Need>(&h.doc)
                    .is_ok_and(|n| who.may_see(&app, &n));
            hidden += usize::from(!ok);
            ok
        })
        .map(|h| {
            let mut doc: Value = serde_json::from_str(&h.doc).unwrap_or(Value::Null);
            let is_need = h.kind == EntityKind::Need;
            let mut named = |key: &str| Some(doc.get_mut(key).map(Value::take).unwrap_or_default());
            let (name, title) = if is_need {
                (None, named("title"))
            } else {
                (named("name"), None)
            };
            SearchHit {
                id: h.id.clone(),
                kind: h.kind,
                score: h.score,
                snippet: h.snippet.clone(),
                name,
                title,
            }
        })
        .collect();
    let next = (offset + shown < found.total.min(MAX_OFFSET) && shown > 0)
        .then(|| (offset + shown).to_string());
    Ok(Json(SearchResults {
        results,
        total: found.total - hidden,
        next_cursor: next,
    }))
}

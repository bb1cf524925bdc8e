//! `GET /v1/search`: full-text search with filters and highlighted snippets.

use super::auth::Principal;
use super::error::ApiError;
use super::error::{Code, Coded};
use super::extract::Query;
use crate::app::App;
use crate::domain::{EntityKind, Field, NeedStatus, Place, ProviderType, Service};
use crate::search::{Filter, IndexError, SearchRequest};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;
/// Largest page.
const MAX_LIMIT: usize = 100;
/// Deepest result reachable by paging.
const MAX_OFFSET: usize = 10_000;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/v1/search", get(search))
}

#[derive(Deserialize)]
struct Params {
    q: Option<String>,
    kind: Option<String>,
    provider_type: Option<String>,
    district: Option<String>,
    field: Option<String>,
    service: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
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

async fn search(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
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
    let results: Vec<Value> = found
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
            let doc: Value = serde_json::from_str(&h.doc).unwrap_or(Value::Null);
            let name_key = if h.kind == EntityKind::Need {
                "title"
            } else {
                "name"
            };
            let mut v = json!({
                "id": h.id,
                "kind": h.kind,
                "score": h.score,
                "snippet": h.snippet,
            });
            v[name_key] = doc[name_key].clone();
            v
        })
        .collect();
    let next = (offset + shown < found.total.min(MAX_OFFSET) && shown > 0)
        .then(|| (offset + shown).to_string());
    Ok(Json(
        json!({"results": results, "total": found.total - hidden, "next_cursor": next}),
    ))
}

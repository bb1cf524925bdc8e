//! CRUD for enterprises, needs, providers and commissioners: one set of handlers,
//! mounted once per kind. Writes: admins, or a key acting for the record itself (an
//! enterprise for itself and its needs, a provider or broker for itself, a commissioner
//! for themself). Needs are shown only to those their `visibility` admits.

use super::auth::Principal;
use super::error::ApiError;
use super::extract::{Json, Query};
use crate::app::App;
use crate::domain::{Entity, EntityKind, NeedStatus, Role};
use crate::ingest::Importer;
use crate::store::ListFilter;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest page of a list.
const MAX_PAGE: u32 = 500;

pub(super) fn routes() -> Router<App> {
    let mut r = Router::new();
    for kind in EntityKind::ALL {
        r = r
            .route(
                &format!("/v1/{}", kind.plural()),
                get(move |s, w, q| list(s, w, kind, q)),
            )
            .route(
                &format!("/v1/{}/{{id}}", kind.plural()),
                get(move |s, w, p| one(s, w, kind, p))
                    .put(move |s, w, p, b| put(s, w, kind, p, b))
                    .delete(move |s, w, p| delete(s, w, kind, p)),
            );
    }
    r
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<u32>,
    cursor: Option<String>,
    enterprise_id: Option<String>,
    status: Option<String>,
}

/// Whether the principal may see the record (only needs are ever hidden).
fn visible(app: &App, who: &Principal, e: &Entity) -> bool {
    match e {
        Entity::Need(n) => who.may_see(app, n),
        _ => true,
    }
}

/// 403 unless the principal may write this record: `existing` is what is stored now,
/// `new_parent` the enterprise a need's new version names.
fn may_write(
    who: &Principal,
    kind: EntityKind,
    id: &str,
    existing: Option<&Entity>,
    new_parent: Option<&str>,
) -> Result<(), ApiError> {
    match kind {
        EntityKind::Enterprise => who.require_self(&[Role::Enterprise], id),
        EntityKind::Provider => who.require_self(&[Role::Provider, Role::Broker], id),
        EntityKind::Commissioner => who.require_self(&[Role::Commissioner], id),
        EntityKind::Need => {
            if let Some(Entity::Need(n)) = existing {
                who.require_self(&[Role::Enterprise], n.enterprise_id.as_str())?;
            }
            match new_parent {
                Some(e) => who.require_self(&[Role::Enterprise], e),
                None => Ok(()),
            }
        }
    }
}

async fn list(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Query(q): Query<ListParams>,
) -> Result<Json2, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    if let Some(s) = &q.status {
        NeedStatus::parse(s).map_err(|e| ApiError::bad_request("unknown_status", e))?;
    }
    let filter = ListFilter {
        enterprise_id: q.enterprise_id,
        status: q.status,
    };
    let page = app
        .store
        .list(kind, &filter, q.cursor.as_deref(), limit + 1)
        .await?;
    let more = page.len() > limit as usize;
    let next = if more {
        page.get(limit as usize - 1).map(|e| e.id().to_string())
    } else {
        None
    };
    let results: Vec<Value> = page
        .iter()
        .take(limit as usize)
        .filter(|e| visible(&app, &who, e))
        .map(|e| e.to_json())
        .collect();
    Ok(axum::Json(json!({"results": results, "next_cursor": next})))
}

type Json2 = axum::Json<Value>;

async fn one(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
) -> Result<Json2, ApiError> {
    match app.store.get(kind, &id).await? {
        Some(e) if visible(&app, &who, &e) => Ok(axum::Json(e.to_json())),
        _ => Err(ApiError::not_found(kind.zh(), &id)),
    }
}

async fn put(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let obj = body
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("not_an_object", "请求体应为一个 JSON 对象"))?;
    match obj.get("id").and_then(Value::as_str) {
        Some(body_id) if body_id != id => {
            return Err(ApiError::invalid(
                "id_mismatch",
                Some("id".into()),
                format!("路径中的 id “{id}”与请求体中的 id “{body_id}”不一致"),
            ));
        }
        _ => {
            obj.insert("id".into(), Value::String(id.clone()));
        }
    }
    match obj.get("kind").and_then(Value::as_str) {
        Some(k) if k != kind.code() => {
            return Err(ApiError::invalid(
                "kind_mismatch",
                Some("kind".into()),
                format!("此路径只接受 {}，请求体的 kind 是 {k}", kind.code()),
            ));
        }
        _ => {
            obj.insert("kind".into(), Value::String(kind.code().into()));
        }
    }
    if !who.is_admin() {
        let existing = app.store.get(kind, &id).await?;
        let parent = body.get("enterprise_id").and_then(Value::as_str);
        may_write(&who, kind, &id, existing.as_ref(), parent)?;
    }
    let mut importer = Importer::new(&app.store);
    importer.add(1, &body).await?;
    let report = importer.finish().await?;
    if let Some(p) = report.rejected.first() {
        return Err(ApiError::invalid(p.code, p.field.clone(), p.detail.clone()));
    }
    app.sync().await?;
    let stored = app
        .store
        .get(kind, &id)
        .await?
        .ok_or_else(|| ApiError::internal(&"record vanished after write"))?;
    let status = if report.inserted > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(json!({"record": stored.to_json(), "warnings": report.warnings})),
    ))
}

async fn delete(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !who.is_admin() {
        let existing = app.store.get(kind, &id).await?;
        may_write(&who, kind, &id, existing.as_ref(), None)?;
    }
    if app.store.delete(kind, &id).await? {
        app.sync().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(kind.zh(), &id))
    }
}

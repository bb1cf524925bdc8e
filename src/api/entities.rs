//! CRUD for enterprises, needs, providers and commissioners: one set of handlers,
//! mounted once per kind. Writes: admins, or a key acting for the record itself (an
//! enterprise for itself and its needs, a provider or broker for itself, a commissioner
//! for themself). Needs are shown only to those their `visibility` admits.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use super::extract::Path;
use super::extract::{Json, Query};
use crate::app::App;
use crate::domain::{Entity, EntityKind, NeedStatus, Role};
use crate::ingest::Importer;
use crate::store::ListFilter;
use axum::Router;
use axum::extract::State;
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
        NeedStatus::parse(s).map_err(ApiError::from)?;
    }
    let filter = ListFilter {
        enterprise_id: q.enterprise_id,
        status: q.status,
    };
    let mut after = q.cursor.as_deref().map(cursor::decode).transpose()?;
    // Pages are filled with records the key may see; the cursor is the last one shown,
    // so it never names a record the key may not see.
    let batch = (limit + 1).max(100);
    let mut shown: Vec<Entity> = Vec::with_capacity(limit as usize);
    let mut more = false;
    'pages: loop {
        let page = app
            .store()
            .list(kind, &filter, after.as_deref(), batch)
            .await?;
        let exhausted = page.len() < batch as usize;
        if let Some(last) = page.last() {
            after = Some(last.id().to_string());
        }
        for e in page {
            if visible(&app, &who, &e) {
                if shown.len() == limit as usize {
                    more = true;
                    break 'pages;
                }
                shown.push(e);
            }
        }
        if exhausted {
            break;
        }
    }
    let next = if more {
        shown.last().map(|e| cursor::encode(e.id().as_str()))
    } else {
        None
    };
    let results: Vec<Value> = shown.iter().map(Entity::to_json).collect();
    Ok(axum::Json(json!({"results": results, "next_cursor": next})))
}

type Json2 = axum::Json<Value>;

/// `next_cursor` of entity lists: opaque to clients (`c1.` and the base64url of the last
/// record shown, which the key may see), checked when it comes back: anything else is
/// `400 bad_cursor`.
pub(super) mod cursor {
    use super::ApiError;
    use super::Code;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const PREFIX: &str = "c1.";

    /// The cursor that continues after `id`.
    pub fn encode(id: &str) -> String {
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(id))
    }

    /// The id a cursor continues after.
    pub fn decode(c: &str) -> Result<String, ApiError> {
        c.strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|id| crate::domain::Id::parse(id).is_ok())
            .ok_or_else(|| {
                ApiError::bad_request(
                    Code::BadCursor,
                    "cursor 无效：请原样使用上一页返回的 next_cursor（不要自行构造）",
                )
                .with_field("cursor")
            })
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn cursors_round_trip_and_reject_forgeries() {
            let c = super::encode("N-000123");
            assert!(!c.contains("N-000123"));
            assert_eq!(super::decode(&c).unwrap(), "N-000123");
            for bad in ["N-000123", "c1.", "c1.!!!", "c2.Ti0x", ""] {
                assert_eq!(
                    super::decode(bad).unwrap_err().code(),
                    super::Code::BadCursor,
                    "{bad}"
                );
            }
        }
    }
}

async fn one(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
) -> Result<Json2, ApiError> {
    match app.store().get(kind, &id).await? {
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
        .ok_or_else(|| ApiError::bad_request(Code::NotAnObject, "请求体应为一个 JSON 对象"))?;
    match obj.get("id") {
        None | Some(Value::Null) => {
            obj.insert("id".into(), Value::String(id.clone()));
        }
        Some(Value::String(body_id)) if body_id.trim() == id => {}
        Some(Value::String(body_id)) => {
            return Err(ApiError::invalid(
                Code::IdMismatch,
                Some("id".into()),
                format!("路径中的 id “{id}”与请求体中的 id “{body_id}”不一致"),
            ));
        }
        Some(other) => return Err(wrong_type("id", other)),
    }
    match obj.get("kind") {
        None | Some(Value::Null) => {
            obj.insert("kind".into(), Value::String(kind.code().into()));
        }
        Some(Value::String(k)) if k.trim() == kind.code() => {}
        Some(Value::String(k)) => {
            return Err(ApiError::invalid(
                Code::KindMismatch,
                Some("kind".into()),
                format!("此路径只接受 {}，请求体的 kind 是 {k}", kind.code()),
            ));
        }
        Some(other) => return Err(wrong_type("kind", other)),
    }
    // Ids are strings: a number must not skip the ownership check below (it is rejected
    // by validation too, but before this check is where it matters).
    if let Some(e) = obj.get("enterprise_id")
        && !matches!(e, Value::String(_) | Value::Null)
    {
        return Err(wrong_type("enterprise_id", e));
    }
    if !who.is_admin() {
        let existing = app.store().get(kind, &id).await?;
        let parent = body.get("enterprise_id").and_then(Value::as_str);
        may_write(&who, kind, &id, existing.as_ref(), parent)?;
    }
    let mut importer = Importer::new(app.store());
    importer.add(1, &body).await?;
    let report = importer.finish().await?;
    if let Some(p) = report.rejected.first() {
        return Err(ApiError::invalid(p.code, p.field.clone(), p.detail.clone()));
    }
    app.sync().await?;
    let stored = app
        .store()
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

/// `400 wrong_type` naming the field.
fn wrong_type(field: &str, got: &Value) -> ApiError {
    ApiError::invalid(
        Code::WrongType,
        Some(field.into()),
        format!("字段 {field} 应为文本，实际是 {got}"),
    )
}

async fn delete(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !who.is_admin() {
        let existing = app.store().get(kind, &id).await?;
        may_write(&who, kind, &id, existing.as_ref(), None)?;
    }
    if app.store().delete(kind, &id).await? {
        app.sync().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(kind.zh(), &id))
    }
}

//! CRUD for enterprises, needs, providers and commissioners: one set of handlers,
//! mounted once per kind. Writes: admins, or a key acting for the record itself (an
//! enterprise for itself and its needs, a provider or broker for itself, a commissioner
//! for themself). Needs are shown only to those their `visibility` admits.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use super::extract::Path;
use super::extract::{Json, Query};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, TooLarge, Unprocessable, UnsupportedMedia,
};
use crate::app::App;
use crate::domain::{Commissioner, Enterprise, Need, Provider};
use crate::domain::{Entity, EntityKind, NeedStatus, Role};
use crate::ingest::Importer;
use crate::ingest::LineProblem;
use crate::store::ListFilter;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest page of a list.
const MAX_PAGE: u32 = 500;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(providers::list))
        .routes(routes!(providers::one, providers::put, providers::delete))
        .routes(routes!(commissioners::list))
        .routes(routes!(
            commissioners::one,
            commissioners::put,
            commissioners::delete
        ))
        .routes(routes!(enterprises::list))
        .routes(routes!(
            enterprises::one,
            enterprises::put,
            enterprises::delete
        ))
        .routes(routes!(needs::list))
        .routes(routes!(needs::one, needs::put, needs::delete))
}

/// The four handlers of one kind, documented with its record type: `GET /v1/{plural}`,
/// `GET|PUT|DELETE /v1/{plural}/{id}`, with the kind's answer types.
macro_rules! entity_routes {
    (
        $module:ident, $variant:ident, $record:ident, $page:ident, $written:ident,
        list: $list_path:tt, one: $one_path:tt, id: $id_desc:tt, example: $example:tt,
        ops: $list_op:tt, $one_op:tt, $put_op:tt, $delete_op:tt,
        summaries: $list_sum:tt, $one_sum:tt, $put_sum:tt, $delete_sum:tt $(,)?
    ) => {
        /// A record as the entity routes answer it: with its `kind`.
        #[derive(Serialize, ToSchema)]
        pub(super) struct $record {
            /// Always this path's kind.
            kind: EntityKind,
            #[serde(flatten)]
            record: $variant,
        }

        impl $record {
            pub(super) fn of(e: Entity) -> Result<$record, ApiError> {
                match e {
                    Entity::$variant(record) => Ok($record {
                        kind: EntityKind::$variant,
                        record,
                    }),
                    other => Err(ApiError::internal(&format!(
                        "a {} where a {} was read",
                        other.kind().code(),
                        EntityKind::$variant.code()
                    ))),
                }
            }
        }

        /// A page of records.
        #[derive(Serialize, ToSchema)]
        pub(super) struct $page {
            results: Vec<$record>,
            /// The next page's cursor (opaque); null on the last page.
            #[schema(required = true)]
            next_cursor: Option<String>,
        }

        /// The record as stored, and what was noticed on the way.
        #[derive(Serialize, ToSchema)]
        pub(super) struct $written {
            record: $record,
            warnings: Vec<LineProblem>,
        }

        mod $module {
            use super::*;

            #[utoipa::path(
                get,
                path = $list_path,
                operation_id = $list_op,
                summary = $list_sum,
                tag = "records",
                params(ListParams),
                responses(
                    (status = 200, description = "OK", body = $page),
                    (status = 400, response = BadRequest),
                )
            )]
            pub(super) async fn list(
                s: State<App>,
                who: Principal,
                q: Query<ListParams>,
            ) -> Result<axum::Json<$page>, ApiError> {
                let (shown, next_cursor) = super::list(s, who, EntityKind::$variant, q).await?;
                Ok(axum::Json($page {
                    results: shown
                        .into_iter()
                        .map($record::of)
                        .collect::<Result<_, _>>()?,
                    next_cursor,
                }))
            }

            #[utoipa::path(
                get,
                path = $one_path,
                operation_id = $one_op,
                summary = $one_sum,
                tag = "records",
                params(("id" = String, Path, description = $id_desc, example = $example)),
                responses(
                    (status = 200, description = "OK", body = $record),
                    (status = 400, response = BadRequest),
                    (status = 404, response = NotFound),
                )
            )]
            pub(super) async fn one(
                s: State<App>,
                who: Principal,
                p: Path<String>,
            ) -> Result<axum::Json<$record>, ApiError> {
                let e = super::one(s, who, EntityKind::$variant, p).await?;
                Ok(axum::Json($record::of(e)?))
            }

            #[utoipa::path(
                put,
                path = $one_path,
                operation_id = $put_op,
                summary = $put_sum,
                tag = "records",
                params(("id" = String, Path, description = $id_desc, example = $example)),
                request_body(
                    content = $variant,
                    description = "The record in the import format (data-model.md). `id` and `kind` default to the path's; when given they must agree with it. Unknown keys are accepted and reported as `unknown_key` warnings; list fields also accept one string separated by `;`."
                ),
                responses(
                    (status = 200, description = "Replaced or unchanged", body = $written),
                    (status = 201, description = "Created", body = $written),
                    (status = 400, response = BadRequest),
                    (status = 403, response = Forbidden),
                    (status = 413, response = TooLarge),
                    (status = 415, response = UnsupportedMedia),
                    (status = 422, response = Unprocessable),
                )
            )]
            pub(super) async fn put(
                s: State<App>,
                who: Principal,
                p: Path<String>,
                body: Json<Value>,
            ) -> Result<(StatusCode, axum::Json<$written>), ApiError> {
                let (status, stored, warnings) =
                    super::put(s, who, EntityKind::$variant, p, body).await?;
                Ok((
                    status,
                    axum::Json($written {
                        record: $record::of(stored)?,
                        warnings,
                    }),
                ))
            }

            #[utoipa::path(
                delete,
                path = $one_path,
                operation_id = $delete_op,
                summary = $delete_sum,
                tag = "records",
                params(("id" = String, Path, description = $id_desc, example = $example)),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 400, response = BadRequest),
                    (status = 403, response = Forbidden),
                    (status = 404, response = NotFound),
                    (status = 409, response = Conflict),
                )
            )]
            pub(super) async fn delete(
                s: State<App>,
                who: Principal,
                p: Path<String>,
            ) -> Result<StatusCode, ApiError> {
                super::delete(s, who, EntityKind::$variant, p).await
            }
        }
    };
}

entity_routes!(
    providers, Provider, ProviderRecord, ProviderPage, ProviderWritten,
    list: "/v1/providers", one: "/v1/providers/{id}",
    id: "the provider's id", example: "P-00001",
    ops: "listProviders", "getProvider", "putProvider", "deleteProvider",
    summaries: "List providers (服务机构), paged", "One provider",
        "Create or replace a provider (upsert)", "Delete a provider",
);
entity_routes!(
    commissioners, Commissioner, CommissionerRecord, CommissionerPage, CommissionerWritten,
    list: "/v1/commissioners", one: "/v1/commissioners/{id}",
    id: "the commissioner's id", example: "C-00001",
    ops: "listCommissioners", "getCommissioner", "putCommissioner", "deleteCommissioner",
    summaries: "List commissioners (科技专员), paged", "One commissioner",
        "Create or replace a commissioner (upsert)", "Delete a commissioner",
);
entity_routes!(
    enterprises, Enterprise, EnterpriseRecord, EnterprisePage, EnterpriseWritten,
    list: "/v1/enterprises", one: "/v1/enterprises/{id}",
    id: "the enterprise's id", example: "E-000001",
    ops: "listEnterprises", "getEnterprise", "putEnterprise", "deleteEnterprise",
    summaries: "List enterprises (企业), paged", "One enterprise",
        "Create or replace an enterprise (upsert)", "Delete an enterprise",
);
entity_routes!(
    needs, Need, NeedRecord, NeedPage, NeedWritten,
    list: "/v1/needs", one: "/v1/needs/{id}",
    id: "the need's id", example: "N-000001",
    ops: "listNeeds", "getNeed", "putNeed", "deleteNeed",
    summaries: "List needs (技术需求), paged", "One need",
        "Create or replace a need (upsert)", "Delete a need",
);

/// Paging and filters of an entity list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// page size, default 50, clamped to 1–500
    limit: Option<u32>,
    /// `next_cursor` of the previous page, as given (opaque; anything else is 400 `bad_cursor`)
    cursor: Option<String>,
    /// needs of this enterprise (needs only; ignored for other kinds)
    enterprise_id: Option<String>,
    /// checked for every kind; narrows needs only
    #[param(value_type = Option<NeedStatus>)]
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
) -> Result<(Vec<Entity>, Option<String>), ApiError> {
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
    Ok((shown, next))
}

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
) -> Result<Entity, ApiError> {
    match app.store().get(kind, &id).await? {
        Some(e) if visible(&app, &who, &e) => Ok(e),
        _ => Err(ApiError::not_found(kind.zh(), &id)),
    }
}

async fn put(
    State(app): State<App>,
    who: Principal,
    kind: EntityKind,
    Path(id): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<(StatusCode, Entity, Vec<LineProblem>), ApiError> {
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
    Ok((status, stored, report.warnings))
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

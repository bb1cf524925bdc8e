//! Bulk writes: `POST /v1/import` (NDJSON of any record kinds) and `POST /v1/feedback`
//! (one feedback object, or NDJSON of many). Both answer with the import report:
//! counts, the first [`LISTED`] rejected lines with their number, code and reason, and
//! how many lines each code rejected in all — so the answer stays small whatever the
//! body. The body (capped at [`super::IMPORT_BODY_LIMIT`]) is read line by line; no line
//! is kept after it was checked beyond the importer's current batch.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use super::extract::Body;
use super::openapi::{BadRequest, Forbidden, NotFound, TooLarge, Unprocessable};
use crate::app::{App, ImportSource};
use crate::domain::Feedback;
use crate::domain::{Entity, EntityKind, Role};
use crate::ingest::{ImportReport, Importer, JsonlLine, SourceFormat, read_jsonl_line};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Rejected lines (and warnings) listed in an HTTP answer; the rest are counted per code.
pub const LISTED: usize = 100;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(feedback))
}

/// Bulk import (NDJSON); admins
#[utoipa::path(
    post,
    path = "/v1/import",
    operation_id = "import",
    tag = "records",
    request_body(
        description = "One JSON record per line (NDJSON), whatever the content type",
        content((String = "application/x-ndjson"), (String = "text/plain")),
    ),
    responses(
        (status = 200, description = "OK", body = ImportReport),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 413, response = TooLarge),
    )
)]
async fn import(
    State(app): State<App>,
    who: Principal,
    Body(body): Body,
) -> Result<Json<ImportReport>, ApiError> {
    who.require_admin()?;
    let report = app
        .import_listing(&body[..], &SourceFormat::Jsonl, LISTED)
        .await?;
    app.imports().record(ImportSource::Import, &report);
    tracing::info!(
        lines = report.lines,
        inserted = report.inserted,
        updated = report.updated,
        rejected = report.rejected_count,
        "import over HTTP"
    );
    Ok(Json(report))
}

fn now_rfc3339() -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("+08:00 is a valid offset");
    time::OffsetDateTime::now_utc()
        .to_offset(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now formats")
}

/// Stores feedback events (line number, object): a missing `kind` is `feedback`, a
/// missing `at` is now. The aggregates (load, track record) see them before this returns.
pub(super) async fn add_feedback(
    app: &App,
    values: Vec<(usize, Value)>,
) -> Result<ImportReport, ApiError> {
    let mut importer = Importer::new(app.store()).listing_at_most(LISTED);
    for (no, v) in values {
        add_feedback_line(&mut importer, no, v).await?;
    }
    finish_feedback(app, importer).await
}

/// Queues one feedback event (a missing `kind` is `feedback`, a missing `at` is now).
async fn add_feedback_line(
    importer: &mut Importer<'_>,
    no: usize,
    mut v: Value,
) -> Result<(), ApiError> {
    feedback_kind(no, &v)?;
    if let Some(obj) = v.as_object_mut() {
        if obj.get("kind").is_none_or(Value::is_null) {
            obj.insert("kind".into(), "feedback".into());
        }
        obj.entry("at").or_insert_with(|| now_rfc3339().into());
    }
    importer.add(no, &v).await?;
    Ok(())
}

/// A feedback line's `kind`, when there is one, must be `feedback`.
fn feedback_kind(no: usize, v: &Value) -> Result<(), ApiError> {
    match v.get("kind") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(k)) if k.trim() == "feedback" => Ok(()),
        Some(Value::String(other)) => Err(ApiError::invalid(
            Code::KindMismatch,
            Some("kind".into()),
            format!("第 {no} 行：此接口只接受反馈记录，kind 是 {other}"),
        )),
        Some(other) => Err(ApiError::invalid(
            Code::WrongType,
            Some("kind".into()),
            format!("第 {no} 行：字段 kind 应为文本，实际是 {other}"),
        )),
    }
}

/// Writes the queued feedback and brings the aggregates up to date.
async fn finish_feedback(app: &App, importer: Importer<'_>) -> Result<ImportReport, ApiError> {
    let report = importer.finish().await?;
    app.imports().record(ImportSource::Feedback, &report);
    app.refresh_stats().await?;
    Ok(report)
}

/// A non-admin key reports only its own actions, on what it owns or was shown: `actor`
/// is its role, and
///
/// - an enterprise: `enterprise_id` (when given) is itself, `need_id` (when given) one of
///   its own needs, and one of the two is given;
/// - a provider: `provider_id` is itself, the event is `contacted`, on a `need_id` it may
///   see *before* this event (so it can never make a `matched_only` need visible to
///   itself), with `enterprise_id`, when given, that need's enterprise;
/// - a commissioner: `commissioner_id` is itself, no `provider_id` or `broker_id` (it
///   speaks for its own pairs with enterprises only), a `need_id` it may see and an
///   `enterprise_id` consistent with it;
/// - a broker: `broker_id` is itself, on a `need_id` whose lead it has claimed, with a
///   `provider_id` of its own choosing (the provider it brought in).
///
/// Everything else is `403 forbidden`; a need it may not see is `404`, as on a read.
pub(super) async fn may_post_feedback(
    app: &App,
    who: &Principal,
    v: &Value,
) -> Result<(), ApiError> {
    if who.is_admin() {
        return Ok(());
    }
    let role = who.role();
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    if s("actor") != Some(role.code()) {
        return Err(ApiError::forbidden(format!(
            "此密钥只能以“{}”身份反馈（actor 应为 {}）",
            role.zh(),
            role.code()
        )));
    }
    let subject = who.viewer.subject.as_deref().unwrap_or("");
    let not_own =
        |what: &str| ApiError::forbidden(format!("反馈涉及的{what}不属于此密钥（{subject}）"));
    // The need named, when one is: it must exist and be visible to the key now.
    let need = match s("need_id") {
        None => None,
        Some(n) => match app.store().get(EntityKind::Need, n).await? {
            Some(Entity::Need(need)) if who.may_see(app, &need) => Some(need),
            _ => return Err(ApiError::not_found("需求", n)),
        },
    };
    let need_enterprise = need.as_ref().map(|n| n.enterprise_id.as_str());
    if let (Some(e), Some(ne)) = (s("enterprise_id"), need_enterprise)
        && e != ne
    {
        return Err(ApiError::forbidden(format!(
            "enterprise_id “{e}”与需求所属企业不一致"
        )));
    }
    match role {
        Role::Enterprise => {
            let ok = match (s("enterprise_id"), need_enterprise) {
                (None, None) => false,
                (e, n) => e.is_none_or(|e| e == subject) && n.is_none_or(|n| n == subject),
            };
            if !ok {
                return Err(not_own("企业或需求"));
            }
        }
        Role::Provider => {
            if s("provider_id") != Some(subject) {
                return Err(not_own("服务机构"));
            }
            if s("event") != Some("contacted") {
                return Err(ApiError::forbidden(
                    "服务机构只能反馈 contacted（已联系）；接受、成交等结果由企业、科技专员或技术经纪人反馈",
                ));
            }
            if need.is_none() || s("commissioner_id").is_some() || s("broker_id").is_some() {
                return Err(ApiError::forbidden(
                    "服务机构的反馈应指明它联系的需求（need_id），不能代表科技专员或技术经纪人",
                ));
            }
        }
        Role::Commissioner => {
            if s("commissioner_id") != Some(subject) {
                return Err(not_own("科技专员"));
            }
            if s("provider_id").is_some() || s("broker_id").is_some() {
                return Err(ApiError::forbidden(
                    "科技专员只能反馈自己与企业之间的服务，不能代表服务机构或技术经纪人（去掉 provider_id / broker_id）",
                ));
            }
        }
        Role::Broker => {
            if s("broker_id") != Some(subject) {
                return Err(not_own("技术经纪人"));
            }
            broker_holds_lead(app, subject, need.as_ref().map(|n| n.id.as_str())).await?;
        }
        Role::Admin => {}
    }
    Ok(())
}

/// 403 unless `broker` has claimed the lead `need` (a claim still on record for it).
pub(super) async fn broker_holds_lead(
    app: &App,
    broker: &str,
    need: Option<&str>,
) -> Result<(), ApiError> {
    let Some(need) = need else {
        return Err(ApiError::forbidden(
            "技术经纪人的反馈应指明它认领的线索（need_id）",
        ));
    };
    match app.store().claim_of(need).await? {
        Some(c) if c.broker_id == broker => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "技术经纪人只能反馈自己认领的线索：需求“{need}”不是 {broker} 认领的（POST /v1/leads/{need}/claim）"
        ))),
    }
}

/// One feedback event (JSON) or many (NDJSON)
///
/// Feedback events arrive live: a missing `kind` is `feedback`, a missing `at` is now.
#[utoipa::path(
    post,
    path = "/v1/feedback",
    operation_id = "feedback",
    tag = "records",
    request_body(
        description = "One feedback object (JSON), or one per line (NDJSON). Unknown keys are kept out of the record and reported as `unknown_key` warnings. A missing `kind` means `feedback`, a missing `at` the time of receipt.",
        content(
            (Feedback = "application/json", example = json!({"need_id": "N-000001", "provider_id": "P-00001", "event": "contacted", "actor": "enterprise"})),
            (String = "application/x-ndjson"),
        ),
    ),
    responses(
        (status = 200, description = "Nothing new (already stored)", body = ImportReport),
        (status = 201, description = "Stored", body = ImportReport),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Unprocessable),
    )
)]
async fn feedback(
    State(app): State<App>,
    who: Principal,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("ndjson") || v.contains("jsonl"));
    if !ndjson && std::str::from_utf8(&body).is_err() {
        return Err(ApiError::bad_request(
            Code::InvalidEncoding,
            "请求体不是合法的 UTF-8",
        ));
    }
    let lines = || -> Box<dyn Iterator<Item = (usize, &[u8])> + Send + '_> {
        if ndjson {
            Box::new(
                body.split(|b| *b == b'\n')
                    .enumerate()
                    .map(|(i, l)| (i + 1, l)),
            )
        } else {
            Box::new(std::iter::once((1, &body[..])))
        }
    };
    // First pass: every event must be the key's own before any is stored. Values are
    // parsed again in the second pass rather than kept: memory stays that of one line.
    for (no, raw) in lines() {
        if let JsonlLine::Read(Ok(v)) = read_jsonl_line(no, raw) {
            feedback_kind(no, &v)?;
            may_post_feedback(&app, &who, &v).await?;
        }
    }
    let mut importer = Importer::new(app.store()).listing_at_most(LISTED);
    for (no, raw) in lines() {
        match read_jsonl_line(no, raw) {
            JsonlLine::Blank => {}
            JsonlLine::Unreadable(invalid) | JsonlLine::Read(Err(invalid)) => {
                importer.reject_line(no, invalid)
            }
            JsonlLine::Read(Ok(v)) => add_feedback_line(&mut importer, no, v).await?,
        }
    }
    let report = finish_feedback(&app, importer).await?;
    if let (false, Some(p)) = (ndjson, report.rejected.first()) {
        return Err(ApiError::invalid(p.code, p.field.clone(), p.detail.clone()));
    }
    let status = if report.inserted > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

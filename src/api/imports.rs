//! Bulk writes: `POST /v1/import` (NDJSON of any record kinds) and `POST /v1/feedback`
//! (one feedback object, or NDJSON of many). Both answer with the import report:
//! counts, the first [`LISTED`] rejected lines with their number, code and reason, and
//! how many lines each code rejected in all — so the answer stays small whatever the
//! body. The body (capped at [`super::IMPORT_BODY_LIMIT`]) is read line by line; no line
//! is kept after it was checked beyond the importer's current batch.

use super::auth::Principal;
use super::error::ApiError;
use super::extract::Body;
use crate::app::{App, ImportSource};
use crate::domain::{Entity, EntityKind, Role};
use crate::ingest::{ImportReport, Importer, JsonlLine, SourceFormat, read_jsonl_line};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

/// Rejected lines (and warnings) listed in an HTTP answer; the rest are counted per code.
pub const LISTED: usize = 100;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/import", post(import))
        .route("/v1/feedback", post(feedback))
}

async fn import(
    State(app): State<App>,
    who: Principal,
    Body(body): Body,
) -> Result<Json<ImportReport>, ApiError> {
    who.require_admin()?;
    let report = app
        .import_listing(&body[..], &SourceFormat::Jsonl, LISTED)
        .await?;
    app.imports.record(ImportSource::Import, &report);
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
    let mut importer = Importer::new(&app.store).listing_at_most(LISTED);
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
        obj.entry("kind").or_insert_with(|| "feedback".into());
        obj.entry("at").or_insert_with(|| now_rfc3339().into());
    }
    importer.add(no, &v).await?;
    Ok(())
}

/// A feedback line's `kind`, when there is one, must be `feedback`.
fn feedback_kind(no: usize, v: &Value) -> Result<(), ApiError> {
    match v.get("kind").and_then(Value::as_str) {
        None | Some("feedback") => Ok(()),
        Some(other) => Err(ApiError::invalid(
            "kind_mismatch",
            Some("kind".into()),
            format!("第 {no} 行：此接口只接受反馈记录，kind 是 {other}"),
        )),
    }
}

/// Writes the queued feedback and brings the aggregates up to date.
async fn finish_feedback(app: &App, importer: Importer<'_>) -> Result<ImportReport, ApiError> {
    let report = importer.finish().await?;
    app.imports.record(ImportSource::Feedback, &report);
    app.refresh_stats().await?;
    Ok(report)
}

/// A non-admin key reports only its own actions: `actor` is its role and the record it
/// acts for is in the event (an enterprise's own need, the provider, broker or
/// commissioner itself).
async fn acting_as_self(app: &App, who: &Principal, v: &Value) -> Result<(), ApiError> {
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
    let own = match role {
        Role::Commissioner => s("commissioner_id") == Some(subject),
        Role::Broker => s("broker_id") == Some(subject),
        Role::Provider => s("provider_id") == Some(subject),
        Role::Enterprise => match (s("enterprise_id"), s("need_id")) {
            (Some(e), _) => e == subject,
            (None, Some(n)) => matches!(
                app.store.get(EntityKind::Need, n).await?,
                Some(Entity::Need(need)) if need.enterprise_id.as_str() == subject
            ),
            _ => false,
        },
        Role::Admin => true,
    };
    if own {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "反馈涉及的对象不属于此密钥（{subject}）"
        )))
    }
}

/// Feedback events arrive live: a missing `kind` is `feedback`, a missing `at` is now.
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
            "invalid_encoding",
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
            acting_as_self(&app, &who, &v).await?;
        }
    }
    let mut importer = Importer::new(&app.store).listing_at_most(LISTED);
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

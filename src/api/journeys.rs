//! The commissioner and broker journeys and the programme overview:
//!
//! - `GET /v1/commissioners/{id}/enterprises` — enterprises to serve now;
//! - `POST /v1/commissioners/assign` — a city-wide assignment plan;
//! - `GET /v1/brokers/{id}/leads`, `GET /v1/brokers/{id}/gaps`, `GET /v1/gaps`;
//! - `POST|DELETE /v1/leads/{need_id}/claim`, `POST /v1/leads/{need_id}/outcome`;
//! - `GET /v1/overview`.

use super::auth::Principal;
use super::error::ApiError;
use super::error::Code;
use super::extract::Path;
use super::extract::{Json, Query};
use super::imports::add_feedback;
use super::matches::place;
use super::searches::list;
use crate::app::App;
use crate::domain::access::Viewer;
use crate::domain::{Commissioner, Entity, EntityKind, Field, Need, Provider, ProviderType, Role};
use crate::matching::brokers::{self, GAP_NEEDS, GAP_SCORE, Gap};
use crate::matching::commissioners::{AssignScope, AssignmentPlan};
use crate::rank::{FeatureContribution, RankerName};
use crate::store::{Claim, ListFilter};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Largest list.
const MAX_LIMIT: usize = 100;
/// How long a claim lasts unless the request says otherwise (hours).
pub const CLAIM_HOURS: u32 = 72;
/// Longest claim (hours).
const MAX_CLAIM_HOURS: u32 = 720;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/commissioners/{id}/enterprises", get(enterprises_for))
        .route("/v1/commissioners/assign", post(assign))
        .route("/v1/brokers/{id}/leads", get(leads))
        .route("/v1/brokers/{id}/gaps", get(broker_gaps))
        .route("/v1/gaps", get(gaps))
        .route("/v1/leads/{need_id}/claim", post(claim).delete(release))
        .route("/v1/leads/{need_id}/outcome", post(outcome))
        .route("/v1/overview", get(overview_of))
        .route("/v1/admin/audit", get(audit))
}

fn limit_of(limit: Option<usize>, default: usize) -> usize {
    limit.unwrap_or(default).clamp(1, MAX_LIMIT)
}

async fn commissioner(app: &App, id: &str) -> Result<Commissioner, ApiError> {
    match app.store().get(EntityKind::Commissioner, id).await? {
        Some(Entity::Commissioner(c)) => Ok(c),
        _ => Err(ApiError::not_found("科技专员", id)),
    }
}

async fn broker(app: &App, id: &str) -> Result<Provider, ApiError> {
    match app.store().get(EntityKind::Provider, id).await? {
        Some(Entity::Provider(p)) if p.provider_type == Some(ProviderType::Broker) => Ok(p),
        Some(Entity::Provider(_)) => Err(ApiError::bad_request(
            Code::NotABroker,
            format!("服务机构“{id}”不是技术经纪人（provider_type 不是 broker）"),
        )),
        _ => Err(ApiError::not_found("技术经纪人", id)),
    }
}

#[derive(Deserialize)]
struct EnterpriseParams {
    limit: Option<usize>,
    include_neighbours: Option<bool>,
    priority_boost: Option<f64>,
    ranker: Option<String>,
}

#[derive(Serialize)]
struct EnterpriseResult {
    enterprise: Value,
    score: f64,
    open_needs: Vec<Need>,
    explanation: EnterpriseExplanation,
}

#[derive(Serialize)]
struct EnterpriseExplanation {
    features: Vec<FeatureContribution>,
    summary: String,
}

fn commissioner_ranker(name: Option<&str>) -> Result<RankerName, ApiError> {
    match name {
        None | Some("") => Ok(RankerName::Learned),
        Some(r) => RankerName::parse(r).map_err(ApiError::from),
    }
}

fn boost_of(app: &App, raw: Option<f64>) -> Result<f64, ApiError> {
    match raw {
        None => Ok(app.matcher().priority_boost()),
        Some(b) if b.is_finite() && (0.0..=10.0).contains(&b) => Ok(b),
        Some(b) => Err(ApiError::bad_request(
            Code::InvalidValue,
            format!("priority_boost 应在 0 到 10 之间，收到 {b}"),
        )
        .with_field("priority_boost")),
    }
}

async fn enterprises_for(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<EnterpriseParams>,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_self(&[Role::Commissioner], &id)?;
    let c = commissioner(&app, &id).await?;
    let limit = limit_of(p.limit, 10);
    let name = commissioner_ranker(p.ranker.as_deref())?;
    let boost = boost_of(&app, p.priority_boost)?;
    let include_neighbours = p.include_neighbours.unwrap_or(false);
    let (ranked, ranker_name) = app
        .matcher()
        .enterprises_for(c.clone(), name, include_neighbours, boost, limit)
        .await?;
    let mut results = Vec::with_capacity(ranked.len());
    for r in ranked {
        let filter = ListFilter {
            enterprise_id: Some(r.enterprise.id.to_string()),
            status: Some("open".into()),
        };
        let open_needs: Vec<Need> = app
            .store()
            .list(EntityKind::Need, &filter, None, 20)
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Need(n) if who.may_see(&app, &n) => Some(n),
                _ => None,
            })
            .collect();
        results.push(EnterpriseResult {
            enterprise: Entity::Enterprise(r.enterprise).to_json(),
            score: r.score,
            open_needs,
            explanation: EnterpriseExplanation {
                features: r.features,
                summary: r.summary,
            },
        });
    }
    Ok(axum::Json(json!({
        "commissioner": Entity::Commissioner(c).to_json(),
        "ranker": ranker_name,
        "current_load": app.matcher().commissioner_load(&id),
        "results": results,
        "next_cursor": null,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    min_score: Option<f64>,
    ranker: Option<String>,
}

async fn assign(
    State(app): State<App>,
    who: Principal,
    Json(b): Json<AssignBody>,
) -> Result<axum::Json<AssignmentPlan>, ApiError> {
    who.require_admin()?;
    let scope = AssignScope {
        districts: b
            .districts
            .iter()
            .filter(|d| !d.trim().is_empty())
            .map(|d| place(d, "districts"))
            .collect::<Result<_, _>>()?,
        fields: list(&Some(b.fields.join(",")), Field::parse)?,
        min_score: b.min_score.unwrap_or(0.0).clamp(0.0, 1.0),
    };
    let name = commissioner_ranker(b.ranker.as_deref())?;
    let started = std::time::Instant::now();
    let plan = app.matcher().assign(scope, name).await?;
    tracing::info!(
        assigned = plan.assignments.len(),
        unassigned = plan.unassigned.len(),
        total = plan.total_score,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "assignment planned"
    );
    Ok(axum::Json(plan))
}

#[derive(Deserialize)]
struct LeadParams {
    limit: Option<usize>,
}

fn now_utc(plus_hours: u32) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::hours(i64::from(plus_hours));
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).expect("time formats")
}

async fn leads(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<LeadParams>,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_self(&[Role::Broker], &id)?;
    let b = broker(&app, &id).await?;
    let limit = limit_of(p.limit, 10);
    let claims = app.store().active_claims(&now_utc(0)).await?;
    let mine: HashMap<String, Claim> = claims
        .iter()
        .filter(|c| c.broker_id == id)
        .map(|c| (c.need_id.clone(), c.clone()))
        .collect();
    let skip: HashSet<String> = claims
        .into_iter()
        .filter(|c| c.broker_id != id)
        .map(|c| c.need_id)
        .collect();
    let found = app
        .matcher()
        .leads(b.clone(), who.viewer.clone(), skip, limit)
        .await?;
    let ent_ids: Vec<&str> = found.iter().map(|l| l.enterprise.id.as_str()).collect();
    let enterprises = app
        .store()
        .get_many(EntityKind::Enterprise, &ent_ids)
        .await?;
    let results: Vec<Value> = found
        .iter()
        .map(|l| {
            let claim = mine.get(l.need.id.as_str()).cloned();
            let mut v = serde_json::to_value(l).expect("leads serialise");
            v["claim"] = serde_json::to_value(claim).expect("claims serialise");
            if let Some(e) = enterprises.get(l.enterprise.id.as_str()) {
                v["enterprise"]["name"] = e.name().into();
            }
            v
        })
        .collect();
    Ok(axum::Json(json!({
        "broker": Entity::Provider(b).to_json(),
        "results": results,
        "next_cursor": null,
    })))
}

#[derive(Deserialize)]
struct GapParams {
    limit: Option<usize>,
    district: Option<String>,
    field: Option<String>,
    max_score: Option<f64>,
}

async fn gaps_in(
    app: &App,
    viewer: Viewer,
    districts: Vec<String>,
    fields: Vec<Field>,
    max_score: Option<f64>,
    limit: usize,
) -> Result<Vec<Gap>, ApiError> {
    let threshold = max_score.unwrap_or(GAP_SCORE).clamp(0.0, 1.0);
    Ok(app
        .matcher()
        .gaps(viewer, districts, fields, threshold, limit)
        .await?)
}

async fn broker_gaps(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<GapParams>,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_self(&[Role::Broker], &id)?;
    let b = broker(&app, &id).await?;
    let found = gaps_in(
        &app,
        who.viewer.clone(),
        brokers::broker_districts(&b),
        b.fields.clone(),
        p.max_score,
        limit_of(p.limit, 10),
    )
    .await?;
    Ok(axum::Json(json!({"results": found, "next_cursor": null})))
}

async fn gaps(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<GapParams>,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_role(&[Role::Commissioner, Role::Broker])?;
    let districts: Vec<String> = match p.district.as_deref() {
        None | Some("") => Vec::new(),
        Some(d) => vec![place(d, "district")?.name().to_string()],
    };
    let fields = list(&p.field, Field::parse)?;
    let found = gaps_in(
        &app,
        who.viewer.clone(),
        districts,
        fields,
        p.max_score,
        limit_of(p.limit, 10),
    )
    .await?;
    Ok(axum::Json(json!({"results": found, "next_cursor": null})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    broker_id: String,
    hours: Option<u32>,
}

/// The need, when it exists and the principal may see it.
async fn open_need(app: &App, who: &Principal, need_id: &str) -> Result<Need, ApiError> {
    match app.store().get(EntityKind::Need, need_id).await? {
        Some(Entity::Need(n)) if who.may_see(app, &n) => Ok(n),
        _ => Err(ApiError::not_found("需求", need_id)),
    }
}

async fn claim(
    State(app): State<App>,
    who: Principal,
    Path(need_id): Path<String>,
    Json(b): Json<ClaimBody>,
) -> Result<(StatusCode, axum::Json<Claim>), ApiError> {
    who.require_self(&[Role::Broker], &b.broker_id)?;
    broker(&app, &b.broker_id).await?;
    let need = open_need(&app, &who, &need_id).await?;
    if need.status != crate::domain::NeedStatus::Open {
        return Err(ApiError::conflict(
            Code::LeadNotOpen,
            format!("需求“{need_id}”已不是待对接状态（{}）", need.status.zh()),
        ));
    }
    let hours = b.hours.unwrap_or(CLAIM_HOURS);
    if hours == 0 || hours > MAX_CLAIM_HOURS {
        return Err(ApiError::bad_request(
            Code::InvalidValue,
            format!("hours 应在 1 到 {MAX_CLAIM_HOURS} 之间"),
        )
        .with_field("hours"));
    }
    match app
        .store()
        .claim(&need_id, &b.broker_id, &now_utc(0), &now_utc(hours))
        .await?
    {
        Ok(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        Err(held) => Err(ApiError::conflict(
            Code::LeadAlreadyClaimed,
            format!(
                "需求“{need_id}”已被其他技术经纪人认领，认领到 {} 为止",
                held.expires_at
            ),
        )),
    }
}

#[derive(Deserialize)]
struct ReleaseParams {
    broker_id: String,
}

async fn release(
    State(app): State<App>,
    who: Principal,
    Path(need_id): Path<String>,
    Query(p): Query<ReleaseParams>,
) -> Result<StatusCode, ApiError> {
    who.require_self(&[Role::Broker], &p.broker_id)?;
    if app.store().release_claim(&need_id, &p.broker_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "认领",
            &format!("{need_id}（{}）", p.broker_id),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeBody {
    broker_id: String,
    event: String,
    provider_id: Option<String>,
    reason: Option<String>,
}

/// A lead's outcome, stored as broker feedback on the need (and the provider, when one
/// was brought in). A deal or a rejection ends the broker's claim.
async fn outcome(
    State(app): State<App>,
    who: Principal,
    Path(need_id): Path<String>,
    Json(b): Json<OutcomeBody>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    who.require_self(&[Role::Broker], &b.broker_id)?;
    broker(&app, &b.broker_id).await?;
    open_need(&app, &who, &need_id).await?;
    if !who.is_admin() {
        super::imports::broker_holds_lead(&app, &b.broker_id, Some(&need_id)).await?;
    }
    let mut v = json!({
        "kind": "feedback", "need_id": need_id, "broker_id": b.broker_id,
        "event": b.event, "actor": "broker",
    });
    if let Some(p) = &b.provider_id {
        v["provider_id"] = p.clone().into();
    }
    if let Some(r) = &b.reason {
        v["reason"] = r.clone().into();
    }
    let report = add_feedback(&app, vec![(1, v)]).await?;
    if let Some(p) = report.rejected.first() {
        return Err(ApiError::invalid(p.code, p.field.clone(), p.detail.clone()));
    }
    let released = if matches!(b.event.as_str(), "deal" | "rejected") {
        app.store().release_claim(&need_id, &b.broker_id).await?
    } else {
        false
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"stored": report.inserted, "claim_released": released})),
    ))
}

async fn overview_of(
    State(app): State<App>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_role(&[Role::Commissioner])?;
    let (view, open_needs) = app.matcher().overview().await?;
    let found = gaps_in(&app, who.viewer.clone(), Vec::new(), Vec::new(), None, 20).await?;
    let mut v = serde_json::to_value(view).expect("overview serialises");
    v["gaps"] = serde_json::to_value(found).expect("gaps serialise");
    v["gaps_checked"] = GAP_NEEDS.min(open_needs).into();
    Ok(axum::Json(v))
}

#[derive(Deserialize)]
struct AuditParams {
    limit: Option<u32>,
    cursor: Option<i64>,
}

/// The audit log, newest first; admins only.
async fn audit(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<AuditParams>,
) -> Result<axum::Json<Value>, ApiError> {
    who.require_admin()?;
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let page = app.store().audit_page(p.cursor, limit).await?;
    let next = (page.len() == limit as usize)
        .then(|| page.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(axum::Json(json!({"results": page, "next_cursor": next})))
}

//! The commissioner and broker journeys and the programme overview:
//!
//! - `GET /v1/commissioners/{id}/enterprises` — enterprises to serve now;
//! - `POST /v1/commissioners/assign` — a city-wide assignment plan;
//! - `GET /v1/brokers/{id}/leads`, `GET /v1/brokers/{id}/gaps`, `GET /v1/gaps`;
//! - `POST|DELETE /v1/leads/{need_id}/claim`, `POST /v1/leads/{need_id}/outcome`;
//! - `GET /v1/overview`.

use super::auth::Principal;
use super::entities::{CommissionerRecord, EnterpriseRecord, ProviderRecord};
use super::error::ApiError;
use super::error::Code;
use super::extract::Path;
use super::extract::{Json, Query};
use super::imports::add_feedback;
use super::matches::place;
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, TooLarge, Unprocessable, UnsupportedMedia,
};
use super::searches::list;
use crate::app::App;
use crate::domain::FeedbackEvent;
use crate::domain::access::Viewer;
use crate::domain::{Commissioner, Entity, EntityKind, Field, Need, Provider, ProviderType, Role};
use crate::matching::brokers::{self, GAP_NEEDS, GAP_SCORE, Gap, LeadExplanation, LeadProvider};
use crate::matching::commissioners::{AssignScope, AssignmentPlan};
use crate::matching::overview::Overview;
use crate::rank::{FeatureContribution, RankerName};
use crate::store::AuditEntry;
use crate::store::{Claim, ListFilter};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest list.
const MAX_LIMIT: usize = 100;
/// How long a claim lasts unless the request says otherwise (hours).
pub const CLAIM_HOURS: u32 = 72;
/// Longest claim (hours).
const MAX_CLAIM_HOURS: u32 = 720;

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(enterprises_for))
        .routes(routes!(assign))
        .routes(routes!(leads))
        .routes(routes!(broker_gaps))
        .routes(routes!(gaps))
        .routes(routes!(claim, release))
        .routes(routes!(outcome))
        .routes(routes!(overview_of))
        .routes(routes!(audit))
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EnterpriseParams {
    /// default 10, clamped to 1–100
    limit: Option<usize>,
    /// Also enterprises in neighbouring districts.
    include_neighbours: Option<bool>,
    /// Weight of open-need priority; default `DUIJIE_PRIORITY_BOOST` or 0
    #[param(minimum = 0, maximum = 10)]
    priority_boost: Option<f64>,
    /// `learned` (default), `baseline` or `bm25`
    #[param(value_type = Option<RankerName>)]
    ranker: Option<String>,
}

/// Enterprises this commissioner is best placed to serve now.
#[derive(Serialize, ToSchema)]
pub(super) struct CommissionerEnterprises {
    commissioner: CommissionerRecord,
    /// The ranker used.
    #[schema(value_type = RankerName)]
    ranker: &'static str,
    /// Enterprises the commissioner serves now.
    current_load: u32,
    results: Vec<EnterpriseResult>,
    /// Always null: one page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// One enterprise for a commissioner.
#[derive(Serialize, ToSchema)]
pub(super) struct EnterpriseResult {
    enterprise: EnterpriseRecord,
    score: f64,
    /// Its open needs (those the key may see, at most 20).
    open_needs: Vec<Need>,
    explanation: EnterpriseExplanation,
}

/// Why.
#[derive(Serialize, ToSchema)]
pub(super) struct EnterpriseExplanation {
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

/// Enterprises this commissioner is best placed to serve now
#[utoipa::path(
    get,
    path = "/v1/commissioners/{id}/enterprises",
    operation_id = "commissionerEnterprises",
    tag = "journeys",
    params(
        ("id" = String, Path, description = "commissioner id", example = "C-00001"),
        EnterpriseParams,
    ),
    responses(
        (status = 200, description = "OK", body = CommissionerEnterprises),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn enterprises_for(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<EnterpriseParams>,
) -> Result<axum::Json<CommissionerEnterprises>, ApiError> {
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
            enterprise: EnterpriseRecord::of(Entity::Enterprise(r.enterprise))?,
            score: r.score,
            open_needs,
            explanation: EnterpriseExplanation {
                features: r.features,
                summary: r.summary,
            },
        });
    }
    let current_load = app.matcher().commissioner_load(&id);
    Ok(axum::Json(CommissionerEnterprises {
        commissioner: CommissionerRecord::of(Entity::Commissioner(c))?,
        ranker: ranker_name,
        current_load,
        results,
        next_cursor: None,
    }))
}

/// `{}` plans for the whole city; unknown keys are rejected.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AssignRequest, example = json!({}))]
struct AssignBody {
    /// Places to plan for (all when empty).
    #[serde(default)]
    districts: Vec<String>,
    /// Fields to plan for (all when empty).
    #[serde(default)]
    #[schema(value_type = Vec<Field>)]
    fields: Vec<String>,
    /// Lowest fit worth an assignment; clamped to 0–1
    min_score: Option<f64>,
    /// `learned` (default), `baseline` or `bm25`
    #[schema(value_type = Option<RankerName>)]
    ranker: Option<String>,
}

/// City-wide assignment of enterprises to commissioners; admins
#[utoipa::path(
    post,
    path = "/v1/commissioners/assign",
    operation_id = "assign",
    tag = "journeys",
    request_body = AssignBody,
    responses(
        (status = 200, description = "OK", body = AssignmentPlan),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMedia),
    )
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LeadParams {
    /// default 10, clamped to 1–100
    limit: Option<usize>,
}

/// Leads for a broker.
#[derive(Serialize, ToSchema)]
pub(super) struct Leads {
    broker: ProviderRecord,
    results: Vec<LeadView>,
    /// Always null: one page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// One lead, with the enterprise's name and this broker's claim.
#[derive(Serialize, ToSchema)]
pub(super) struct LeadView {
    need: Need,
    enterprise: LeadEnterprise,
    providers: Vec<LeadProvider>,
    /// Budget × match probability (万元).
    expected_value: f64,
    /// Probability that at least one of the providers is accepted.
    match_probability: f64,
    /// Whether the budget was estimated.
    budget_estimated: bool,
    explanation: LeadExplanation,
    /// This broker's claim on the lead, if any.
    #[schema(required = true)]
    claim: Option<Claim>,
}

/// Who has the need.
#[derive(Serialize, ToSchema)]
pub(super) struct LeadEnterprise {
    id: String,
    /// Its name (absent when the enterprise is no longer stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

fn now_utc(plus_hours: u32) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::hours(i64::from(plus_hours));
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).expect("time formats")
}

/// Leads for a broker with expected value
#[utoipa::path(
    get,
    path = "/v1/brokers/{id}/leads",
    operation_id = "brokerLeads",
    tag = "journeys",
    params(
        ("id" = String, Path, description = "broker id (a provider of type broker)", example = "P-00003"),
        LeadParams,
    ),
    responses(
        (status = 200, description = "OK", body = Leads),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn leads(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<LeadParams>,
) -> Result<axum::Json<Leads>, ApiError> {
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
    let results: Vec<LeadView> = found
        .into_iter()
        .map(|l| LeadView {
            claim: mine.get(l.need.id.as_str()).cloned(),
            enterprise: LeadEnterprise {
                name: enterprises
                    .get(l.enterprise.id.as_str())
                    .map(|e| e.name().to_string()),
                id: l.enterprise.id,
            },
            need: l.need,
            providers: l.providers,
            expected_value: l.expected_value,
            match_probability: l.match_probability,
            budget_estimated: l.budget_estimated,
            explanation: l.explanation,
        })
        .collect();
    Ok(axum::Json(Leads {
        broker: ProviderRecord::of(Entity::Provider(b))?,
        results,
        next_cursor: None,
    }))
}

/// `GET /v1/gaps`'s parameters (a broker's own gaps take `limit` and `max_score`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct GapParams {
    /// default 10, clamped to 1–100
    limit: Option<usize>,
    /// a place
    #[param(example = "璧山区")]
    district: Option<String>,
    /// field codes (comma-separated; `，` also separates)
    #[param(value_type = Option<Vec<Field>>, style = Form, explode = false)]
    field: Option<String>,
    /// best score below which a need is a gap; clamped to 0–1
    max_score: Option<f64>,
}

/// `GET /v1/brokers/{id}/gaps`'s parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BrokerGapParams {
    /// default 10, clamped to 1–100
    limit: Option<usize>,
    /// best score below which a need is a gap; clamped to 0–1
    max_score: Option<f64>,
}

/// Open needs nobody fits well, worst first.
#[derive(Serialize, ToSchema)]
pub(super) struct Gaps {
    results: Vec<Gap>,
    /// Always null: one page.
    #[schema(required = true)]
    next_cursor: Option<String>,
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

/// Open needs in a broker's area nobody fits well
#[utoipa::path(
    get,
    path = "/v1/brokers/{id}/gaps",
    operation_id = "brokerGaps",
    tag = "journeys",
    params(
        ("id" = String, Path, description = "broker id", example = "P-00003"),
        BrokerGapParams,
    ),
    responses(
        (status = 200, description = "OK", body = Gaps),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn broker_gaps(
    State(app): State<App>,
    who: Principal,
    Path(id): Path<String>,
    Query(p): Query<BrokerGapParams>,
) -> Result<axum::Json<Gaps>, ApiError> {
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
    Ok(axum::Json(Gaps {
        results: found,
        next_cursor: None,
    }))
}

/// Open needs nobody fits well; commissioners and brokers
#[utoipa::path(
    get,
    path = "/v1/gaps",
    operation_id = "gaps",
    tag = "journeys",
    params(GapParams),
    responses(
        (status = 200, description = "OK", body = Gaps),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
async fn gaps(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<GapParams>,
) -> Result<axum::Json<Gaps>, ApiError> {
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
    Ok(axum::Json(Gaps {
        results: found,
        next_cursor: None,
    }))
}

/// A broker's claim on a lead.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClaimRequest, example = json!({"broker_id": "P-00003"}))]
struct ClaimBody {
    /// The broker claiming.
    broker_id: String,
    /// How long; default 72
    #[schema(minimum = 1, maximum = 720)]
    hours: Option<u32>,
}

/// The need, when it exists and the principal may see it.
async fn open_need(app: &App, who: &Principal, need_id: &str) -> Result<Need, ApiError> {
    match app.store().get(EntityKind::Need, need_id).await? {
        Some(Entity::Need(n)) if who.may_see(app, &n) => Ok(n),
        _ => Err(ApiError::not_found("需求", need_id)),
    }
}

/// A broker claims a lead
#[utoipa::path(
    post,
    path = "/v1/leads/{need_id}/claim",
    operation_id = "claimLead",
    tag = "journeys",
    params(("need_id" = String, Path, description = "the need", example = "N-000001")),
    request_body = ClaimBody,
    responses(
        (status = 201, description = "Claimed", body = Claim),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMedia),
    )
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReleaseParams {
    /// The broker holding the claim.
    #[param(example = "P-00003")]
    broker_id: String,
}

/// A broker releases its claim
#[utoipa::path(
    delete,
    path = "/v1/leads/{need_id}/claim",
    operation_id = "releaseLead",
    tag = "journeys",
    params(
        ("need_id" = String, Path, description = "the need", example = "N-000001"),
        ReleaseParams,
    ),
    responses(
        (status = 204, description = "Released"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
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

/// What came of a lead.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OutcomeRequest, example = json!({"broker_id": "P-00003", "event": "contacted"}))]
struct OutcomeBody {
    /// The broker reporting (holding the claim).
    broker_id: String,
    /// What happened.
    #[schema(value_type = FeedbackEvent)]
    event: String,
    /// The provider the broker brought in, if any.
    provider_id: Option<String>,
    /// Short reason code for a rejection.
    reason: Option<String>,
}

/// The outcome as stored.
#[derive(Serialize, ToSchema)]
pub(super) struct OutcomeResult {
    /// Feedback events stored (0 when the same event was stored before).
    stored: usize,
    /// Whether the broker's claim ended (a deal or a rejection).
    claim_released: bool,
}

/// A broker reports what came of a lead (stored as feedback)
///
/// A lead's outcome, stored as broker feedback on the need (and the provider, when one
/// was brought in). A deal or a rejection ends the broker's claim.
#[utoipa::path(
    post,
    path = "/v1/leads/{need_id}/outcome",
    operation_id = "leadOutcome",
    tag = "journeys",
    params(("need_id" = String, Path, description = "the need", example = "N-000001")),
    request_body = OutcomeBody,
    responses(
        (status = 201, description = "Stored", body = OutcomeResult),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMedia),
        (status = 422, response = Unprocessable),
    )
)]
async fn outcome(
    State(app): State<App>,
    who: Principal,
    Path(need_id): Path<String>,
    Json(b): Json<OutcomeBody>,
) -> Result<(StatusCode, axum::Json<OutcomeResult>), ApiError> {
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
        axum::Json(OutcomeResult {
            stored: report.inserted,
            claim_released: released,
        }),
    ))
}

/// The programme overview with the gaps found among the open needs.
#[derive(Serialize, ToSchema)]
pub(super) struct OverviewView {
    #[serde(flatten)]
    overview: Overview,
    /// Open needs nobody fits well, worst first (at most 20).
    gaps: Vec<Gap>,
    /// Open needs checked for gaps.
    gaps_checked: usize,
}

/// Programme overview: supply and demand, activity, gaps; commissioners
#[utoipa::path(
    get,
    path = "/v1/overview",
    operation_id = "overview",
    tag = "journeys",
    responses(
        (status = 200, description = "OK", body = OverviewView),
        (status = 403, response = Forbidden),
    )
)]
async fn overview_of(
    State(app): State<App>,
    who: Principal,
) -> Result<axum::Json<OverviewView>, ApiError> {
    who.require_role(&[Role::Commissioner])?;
    let (view, open_needs) = app.matcher().overview().await?;
    let found = gaps_in(&app, who.viewer.clone(), Vec::new(), Vec::new(), None, 20).await?;
    Ok(axum::Json(OverviewView {
        overview: view,
        gaps: found,
        gaps_checked: GAP_NEEDS.min(open_needs),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// page size, default 50, clamped to 1–500
    limit: Option<u32>,
    /// `next_cursor` of the previous page
    cursor: Option<i64>,
}

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
pub(super) struct AuditPage {
    results: Vec<AuditEntry>,
    /// The next page's cursor; null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// The audit log, newest first; admins
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    operation_id = "audit",
    tag = "system",
    params(AuditParams),
    responses(
        (status = 200, description = "OK", body = AuditPage),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
async fn audit(
    State(app): State<App>,
    who: Principal,
    Query(p): Query<AuditParams>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    who.require_admin()?;
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let page = app.store().audit_page(p.cursor, limit).await?;
    let next = (page.len() == limit as usize)
        .then(|| page.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(axum::Json(AuditPage {
        results: page,
        next_cursor: next,
    }))
}

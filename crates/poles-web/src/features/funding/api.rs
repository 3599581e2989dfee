//! The programme's money through the API: budgets, R&D zones, relief rules and the benefits
//! simulator (public); relief records and caps (officers); the allocation optimiser
//! (selection officers).

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::http::openapi::signed_in;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::funding::{
    self, BudgetOverview, CapUse, NewBudgetLine, NewRelief, OptimiseRequest, ReliefRecord,
    SimulationRequest, SimulationResponse, ZoneHit,
};
use poles_core::optimise::Comparison;
use poles_core::relief::ReliefRules;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(budgets))
        .routes(routes!(rules))
        .routes(routes!(zones))
        .routes(routes!(cluster_zone))
        .routes(routes!(simulate))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(add_line))
                .routes(routes!(caps))
                .routes(routes!(records, record))
                .routes(routes!(optimise)),
        ))
}

/// Programme budget lines per funder with what is committed, paid and available, and the
/// decisions made here by cluster, region and sector. Public.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "funding", responses((status = 200, body = BudgetOverview)))]
async fn budgets(State(st): State<AppState>) -> Result<Json<BudgetOverview>, ApiError> {
    Ok(Json(funding::budgets(&st.app).await?))
}

/// Adds a budget line: one funder's envelope over a period, with its currency and source.
/// Programme officers; audited.
#[utoipa::path(post, path = "/api/v1/budgets", tag = "funding", request_body = NewBudgetLine,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_line(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<NewBudgetLine>,
) -> Result<StatusCode, ApiError> {
    funding::add_line(&st.app, &me, &b).await?;
    Ok(StatusCode::CREATED)
}

/// The relief rules in force: schemes with their versions, caps and reference values, each
/// with its source and certainty. Public.
#[utoipa::path(get, path = "/api/v1/relief/rules", tag = "funding", responses((status = 200, body = ReliefRules)))]
async fn rules(State(st): State<AppState>) -> Result<Json<ReliefRules>, ApiError> {
    Ok(Json(funding::rules(&st.app).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneQuery {
    /// INSEE commune code, e.g. `38185`.
    pub commune: Option<String>,
    /// Postcode, e.g. `38000`.
    pub postcode: Option<String>,
}

/// The pôles whose R&D zone holds a commune or a postcode's communes. Public.
#[utoipa::path(get, path = "/api/v1/rd-zones", tag = "funding", params(ZoneQuery),
    responses((status = 200, body = Vec<ZoneHit>), (status = 400, body = ErrorBody)))]
async fn zones(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ZoneQuery>,
) -> Result<Json<Vec<ZoneHit>>, ApiError> {
    Ok(Json(
        funding::zones(&st.app, q.commune.as_deref(), q.postcode.as_deref()).await?,
    ))
}

/// The communes of a pôle's R&D zone. Public.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/rd-zone", tag = "funding", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ZoneHit>)))]
async fn cluster_zone(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<ZoneHit>>, ApiError> {
    Ok(Json(funding::cluster_zone(&st.app, &slug).await?))
}

/// What the programme could give a company, year by year, each line with its rule and
/// source; closed schemes say so. Public; nothing is stored.
#[utoipa::path(post, path = "/api/v1/simulate", tag = "funding", request_body = SimulationRequest,
    responses((status = 200, body = SimulationResponse), (status = 400, body = ErrorBody)))]
async fn simulate(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SimulationRequest>,
) -> Result<Json<SimulationResponse>, ApiError> {
    Ok(Json(funding::simulate(&st.app, req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CapQuery {
    /// The year of the records to check against (default: the current year).
    pub year: Option<i64>,
    /// One company's de minimis consumption.
    pub organisation: Option<i64>,
}

/// Each relief cap's consumption and what is left for a year: programme caps and companies'
/// de minimis. Programme officers.
#[utoipa::path(get, path = "/api/v1/relief/caps", tag = "funding", params(CapQuery),
    responses((status = 200, body = Vec<CapUse>), (status = 403, body = ErrorBody)))]
async fn caps(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiQuery(q): ApiQuery<CapQuery>,
) -> Result<Json<Vec<CapUse>>, ApiError> {
    Ok(Json(
        funding::caps(&st.app, &me, q.year, q.organisation).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    pub organisation: Option<i64>,
}

/// Relief records, newest first. Programme officers.
#[utoipa::path(get, path = "/api/v1/relief/records", tag = "funding", params(RecordQuery),
    responses((status = 200, body = Vec<ReliefRecord>), (status = 403, body = ErrorBody)))]
async fn records(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> Result<Json<Vec<ReliefRecord>>, ApiError> {
    Ok(Json(
        funding::records(&st.app, &me, q.organisation, 500).await?,
    ))
}

/// Records relief granted to a company; refused with the reason when it would break a cap
/// (the programme's annual and period caps, the company's de minimis). Programme officers.
#[utoipa::path(post, path = "/api/v1/relief/records", tag = "funding", request_body = NewRelief,
    responses((status = 201, body = ReliefRecord), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn record(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<NewRelief>,
) -> Result<(StatusCode, Json<ReliefRecord>), ApiError> {
    let r = funding::record_relief(&st.app, &me, &b).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Proposes the selection of a call's ranked eligible projects that maximises the total
/// weighted score within every envelope, beside funding in rank order, with the
/// differences explained. Nothing is decided. Selection officers.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/optimise", tag = "funding", params(("slug" = String, Path)),
    request_body = OptimiseRequest,
    responses((status = 200, body = Comparison), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn optimise(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<OptimiseRequest>,
) -> Result<Json<Comparison>, ApiError> {
    Ok(Json(funding::optimise(&st.app, &me, &slug, &b).await?))
}

//! After the decision, through the API: finalisation, lapse, schedule, claims, payments,
//! milestones, status; and the public list of funded projects.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::followup::{
    self, ClaimDecided, ClaimDecision, ClaimInput, FundedProject, Funding, MilestoneDone,
    MilestoneInput, ScheduleLine,
};
use poles_core::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(funded))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(agreement))
                .routes(routes!(finalise))
                .routes(routes!(lapse))
                .routes(routes!(schedule))
                .routes(routes!(claim))
                .routes(routes!(decide_claim))
                .routes(routes!(milestone))
                .routes(routes!(milestone_done))
                .routes(routes!(status))
                .routes(routes!(funding)),
        ))
}

/// The id of the record created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct Agreement {
    /// `none`, `negotiating` or `signed`.
    pub status: String,
}

/// The lead records the consortium agreement's status.
#[utoipa::path(put, path = "/api/v1/applications/{id}/agreement", tag = "follow-up", params(("id" = i64, Path)),
    request_body = Agreement, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn agreement(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Agreement>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    followup::agreement(&st.app, &me, id, &b.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Finalised {
    pub finalised_on: Date,
}

/// Finalises a selected project within the call's window (programme officers).
#[utoipa::path(post, path = "/api/v1/applications/{id}/finalise", tag = "follow-up", params(("id" = i64, Path)),
    responses((status = 200, body = Finalised), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn finalise(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Finalised>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(Finalised {
        finalised_on: followup::finalise(&st.app, &me, id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct LapseRequest {
    /// The date to judge at (`YYYY-MM-DD`), today when absent.
    pub as_of: Option<String>,
}

/// Lapses the selected projects of a call not finalised in time (programme officers).
#[utoipa::path(post, path = "/api/v1/calls/{slug}/lapse", tag = "follow-up", params(("slug" = String, Path)),
    request_body = LapseRequest, responses((status = 200, body = Vec<i64>), (status = 403, body = ErrorBody)))]
async fn lapse(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<LapseRequest>,
) -> Result<Json<Vec<i64>>, ApiError> {
    Ok(Json(
        followup::lapse(&st.app, &me, &slug, b.as_of.as_deref()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Schedule {
    pub lines: Vec<ScheduleLine>,
}

/// Sets the payment schedule per partner and funder (programme officers).
#[utoipa::path(put, path = "/api/v1/applications/{id}/schedule", tag = "follow-up", params(("id" = i64, Path)),
    request_body = Schedule, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn schedule(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Schedule>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    followup::schedule(&st.app, &me, id, &b.lines).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewClaim {
    /// The partner claiming (the caller must be one of its members).
    pub organisation_id: i64,
    #[serde(flatten)]
    pub claim: ClaimInput,
}

/// A partner claims a payment with its expense statement.
#[utoipa::path(post, path = "/api/v1/applications/{id}/claims", tag = "follow-up", params(("id" = i64, Path)),
    request_body = NewClaim, responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn claim(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NewClaim>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = params::path_id(&id, "application")?;
    let cid = followup::claim(&st.app, &me, id, b.organisation_id, &b.claim).await?;
    Ok((StatusCode::CREATED, Json(Created { id: cid })))
}

/// Pays or refuses a claim (programme officers). Paying takes two officers: the first
/// proposes the payment (`release_proposed`), another releases it (`paid`); the proposer
/// cannot release it (409, code `same_officer`).
#[utoipa::path(post, path = "/api/v1/claims/{id}/decision", tag = "follow-up", params(("id" = i64, Path)),
    request_body = ClaimDecision, responses((status = 200, body = ClaimDecided), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide_claim(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ClaimDecision>,
) -> Result<Json<ClaimDecided>, ApiError> {
    let id = params::path_id(&id, "claim")?;
    Ok(Json(followup::decide_claim(&st.app, &me, id, &b).await?))
}

/// The lead plans a milestone.
#[utoipa::path(post, path = "/api/v1/applications/{id}/milestones", tag = "follow-up", params(("id" = i64, Path)),
    request_body = MilestoneInput, responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn milestone(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MilestoneInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = params::path_id(&id, "application")?;
    let mid = followup::add_milestone(&st.app, &me, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id: mid })))
}

/// The lead records that a milestone was reached.
#[utoipa::path(post, path = "/api/v1/applications/{id}/milestones/{milestone}/done", tag = "follow-up",
    params(("id" = i64, Path), ("milestone" = i64, Path)),
    request_body = MilestoneDone, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn milestone_done(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, m)): Path<(String, String)>,
    ApiJson(b): ApiJson<MilestoneDone>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let m = params::path_id(&m, "milestone")?;
    followup::milestone_done(&st.app, &me, id, m, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ProjectStatus {
    /// `closed` or `abandoned`.
    pub status: String,
    pub reason: Option<String>,
}

/// Closes or abandons a running project (programme officers).
#[utoipa::path(put, path = "/api/v1/applications/{id}/status", tag = "follow-up", params(("id" = i64, Path)),
    request_body = ProjectStatus, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn status(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ProjectStatus>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    followup::set_status(&st.app, &me, id, &b.status, b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decided, scheduled and paid per funder, claims and milestones.
#[utoipa::path(get, path = "/api/v1/applications/{id}/funding", tag = "follow-up", params(("id" = i64, Path)),
    responses((status = 200, body = Funding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn funding(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Funding>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(followup::funding(&st.app, &me, id).await?))
}

/// Funded projects (selected, running, closed) with their decided funding: public.
#[utoipa::path(get, path = "/api/v1/funded-projects", tag = "follow-up", responses((status = 200, body = Vec<FundedProject>)))]
async fn funded(State(st): State<AppState>) -> Result<Json<Vec<FundedProject>>, ApiError> {
    Ok(Json(followup::funded_projects(&st.app).await?))
}

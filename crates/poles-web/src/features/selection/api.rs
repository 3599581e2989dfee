//! Review and selection through the API.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::applications::StatusReason;
use poles_app::selection::{
    self, ApprovalOutcome, Envelope, FundingLine, RankingRow, ReviewView, Score, SelectionSettings,
};
use poles_core::transitions::ProposalAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(envelopes))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(assign))
                .routes(routes!(my_review, submit_review))
                .routes(routes!(declare_conflict))
                .routes(routes!(ranking))
                .routes(routes!(settings))
                .routes(routes!(propose))
                .routes(routes!(approve))
                .routes(routes!(withdraw_proposal))
                .routes(routes!(reject_proposal)),
        ))
}

/// The id of the record created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct Assignment {
    pub reviewer_id: i64,
}

/// Assigns a reviewer (programme officers); a reviewer from a partner organisation is refused.
#[utoipa::path(post, path = "/api/v1/applications/{id}/reviewers", tag = "selection", params(("id" = i64, Path)),
    request_body = Assignment, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn assign(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Assignment>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    selection::assign(&st.app, &me, id, b.reviewer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewSubmission {
    pub scores: Vec<Score>,
}

/// One's review: blind until one's own scores are submitted.
#[utoipa::path(get, path = "/api/v1/applications/{id}/review", tag = "selection", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_review(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ReviewView>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(selection::review(&st.app, &me, id).await?))
}

/// Submits one's scores, once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/review", tag = "selection", params(("id" = i64, Path)),
    request_body = ReviewSubmission, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn submit_review(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReviewSubmission>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    selection::submit_review(&st.app, &me, id, &b.scores).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct Conflict {
    pub reason: String,
}

/// Declares a conflict of interest: the reviewer will not score this application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/review/conflict", tag = "selection", params(("id" = i64, Path)),
    request_body = Conflict, responses((status = 204), (status = 404, body = ErrorBody)))]
async fn declare_conflict(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Conflict>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    selection::declare_conflict(&st.app, &me, id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A call's ranking by weighted average score (programme officers).
#[utoipa::path(get, path = "/api/v1/calls/{slug}/ranking", tag = "selection", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<RankingRow>), (status = 403, body = ErrorBody)))]
async fn ranking(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> Result<Json<Vec<RankingRow>>, ApiError> {
    Ok(Json(selection::ranking(&st.app, &me, &slug).await?))
}

/// Sets the funders' envelopes and the two-approver threshold of a call (programme officers).
#[utoipa::path(put, path = "/api/v1/calls/{slug}/selection", tag = "selection", params(("slug" = String, Path)),
    request_body = SelectionSettings, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn settings(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<SelectionSettings>,
) -> Result<StatusCode, ApiError> {
    selection::set_settings(&st.app, &me, &slug, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Each funder's envelope and what is committed of it.
#[utoipa::path(get, path = "/api/v1/calls/{slug}/envelopes", tag = "selection", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<Envelope>)))]
async fn envelopes(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Envelope>>, ApiError> {
    Ok(Json(selection::envelopes(&st.app, &slug).await?))
}

/// A funding proposal: the amount per funder.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewProposal)]
pub struct Proposal {
    pub lines: Vec<FundingLine>,
}

/// Proposes funding per funder for an eligible submitted application: programme officers
/// for every funder, a region officer for the regional line alone (its R&D in their
/// region, within the envelope). No line may exceed the aid the call's rules compute for
/// its funder (400 naming the line's amount).
#[utoipa::path(post, path = "/api/v1/applications/{id}/proposals", tag = "selection", params(("id" = i64, Path)),
    request_body = Proposal, responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn propose(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Proposal>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = params::path_id(&id, "application")?;
    let pid = selection::propose(&st.app, &me, id, &b.lines).await?;
    Ok((StatusCode::CREATED, Json(Created { id: pid })))
}

/// Approves a proposal: another officer than the proposer (a region officer only for a
/// regional line); its lines are checked again against the computed aid; the last
/// approval decides within the envelopes and sets the validation date.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/approve", tag = "selection", params(("id" = i64, Path)),
    responses((status = 200, body = ApprovalOutcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn approve(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ApprovalOutcome>, ApiError> {
    let id = params::path_id(&id, "proposal")?;
    Ok(Json(selection::approve(&st.app, &me, id).await?))
}

/// Its proposer withdraws an open proposal, with a reason; the application can get a new
/// one. 409 `illegal_transition` once it is no longer open.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/withdraw", tag = "selection", params(("id" = i64, Path)),
    request_body = StatusReason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn withdraw_proposal(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusReason>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "proposal")?;
    selection::close_proposal(
        &st.app,
        &me,
        id,
        ProposalAction::Withdraw,
        b.reason.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An officer other than the proposer rejects an open proposal, with a reason told to the
/// proposer; the application can get a new one. 409 `illegal_transition` once it is no
/// longer open.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/reject", tag = "selection", params(("id" = i64, Path)),
    request_body = StatusReason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject_proposal(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusReason>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "proposal")?;
    selection::close_proposal(
        &st.app,
        &me,
        id,
        ProposalAction::Reject,
        b.reason.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

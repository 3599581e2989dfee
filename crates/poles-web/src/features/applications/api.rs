//! Applications to calls through the API: the lead organisation drafts, invites partners and
//! asks clusters to label; partners answer and enter their budgets; cluster managers decide;
//! the lead submits. Eligibility and aid are computed live on every read.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::applications::{
    self as apps, Answer, Application, Budget, CreateApplication, Decision, LabellingRequest,
    StatusReason, Submission,
};
use poles_app::worklists::{
    self as lists, CallWorklist, LabellingQueue, ListQuery, MyApplications, ReviewQueue, Sort,
};
use poles_core::calls::Eligibility;
use poles_core::status::{ApplicationStatus, LabellingStatus};
use poles_core::transitions::ApplicationAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    signed_in(
        OpenApiRouter::new()
            .routes(routes!(create))
            .routes(routes!(get))
            .routes(routes!(invite))
            .routes(routes!(answer))
            .routes(routes!(budget))
            .routes(routes!(request_label))
            .routes(routes!(decide))
            .routes(routes!(cluster_requests))
            .routes(routes!(submit))
            .routes(routes!(submissions))
            .routes(routes!(withdraw))
            .routes(routes!(reopen))
            .routes(routes!(declare_ineligible))
            .routes(routes!(reject))
            .routes(routes!(my_applications))
            .routes(routes!(call_worklist))
            .routes(routes!(labelling_queue))
            .routes(routes!(review_queue)),
    )
}

/// The id of the record created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Starts a draft application to a call, led by one of the caller's organisations.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/applications", tag = "applications", params(("slug" = String, Path)),
    request_body = CreateApplication,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<CreateApplication>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = apps::create(&st.app, &me, &slug, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// An application with its consortium, labels, and its eligibility and aid computed now.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = Application), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Application>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(apps::get(&st.app, &me, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Invitation {
    pub organisation_id: i64,
}

/// The lead invites a partner organisation.
#[utoipa::path(post, path = "/api/v1/applications/{id}/partners", tag = "applications", params(("id" = i64, Path)),
    request_body = Invitation, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn invite(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Invitation>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::invite(&st.app, &me, id, b.organisation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partner answers its invitation and declares its size or nature.
#[utoipa::path(post, path = "/api/v1/applications/{id}/partners/{organisation_id}/answer", tag = "applications",
    params(("id" = i64, Path), ("organisation_id" = i64, Path)),
    request_body = Answer, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn answer(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Answer>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    apps::answer(&st.app, &me, id, org, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partner's budget and R&D location (the partner itself, or the lead).
#[utoipa::path(put, path = "/api/v1/applications/{id}/partners/{organisation_id}/budget", tag = "applications",
    params(("id" = i64, Path), ("organisation_id" = i64, Path)),
    request_body = Budget, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn budget(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Budget>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    apps::set_budget(&st.app, &me, id, org, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct LabelRequest {
    pub cluster: String,
    #[serde(default)]
    pub lead: bool,
}

/// The lead asks a cluster (the lead cluster or a co-labelling one) to label the project.
#[utoipa::path(post, path = "/api/v1/applications/{id}/labelling", tag = "applications", params(("id" = i64, Path)),
    request_body = LabelRequest, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn request_label(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<LabelRequest>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::request_label(&st.app, &me, id, &b.cluster, b.lead).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster's committee decision on a labelling request (its managers).
#[utoipa::path(post, path = "/api/v1/applications/{id}/labelling/{cluster}", tag = "applications",
    params(("id" = i64, Path), ("cluster" = String, Path)),
    request_body = Decision, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn decide(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, cluster)): Path<(String, String)>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::decide(&st.app, &me, id, &cluster, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster's labelling requests (its managers).
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/labelling-requests", tag = "applications", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<LabellingRequest>), (status = 403, body = ErrorBody)))]
async fn cluster_requests(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> Result<Json<Vec<LabellingRequest>>, ApiError> {
    Ok(Json(apps::cluster_requests(&st.app, &me, &slug).await?))
}

/// The lead submits: the rules are checked and kept, and the call's rule set is frozen.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = Eligibility), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn submit(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Eligibility>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(apps::submit(&st.app, &me, id).await?))
}

/// Every submission of an application with the snapshot kept then, oldest first: a
/// resubmission adds one and never overwrites an earlier one.
#[utoipa::path(get, path = "/api/v1/applications/{id}/submissions", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Submission>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn submissions(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<Submission>>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(apps::submissions(&st.app, &me, id).await?))
}

/// The lead withdraws its application (from draft or submitted, while no funding was
/// approved); final. The reason is optional. 409 `illegal_transition` from another status.
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "applications", params(("id" = i64, Path)),
    request_body = StatusReason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn withdraw(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusReason>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::withdraw(&st.app, &me, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The lead reopens its submitted application before the call's deadline, back to draft, to
/// change it and submit again (a new snapshot). 409 `illegal_transition` from another
/// status, `deadline_passed` after the deadline.
#[utoipa::path(post, path = "/api/v1/applications/{id}/reopen", tag = "applications", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reopen(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::reopen(&st.app, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A selection officer declares a submitted application ineligible, with a reason sent to
/// the applicant. 409 `illegal_transition` from another status.
#[utoipa::path(post, path = "/api/v1/applications/{id}/ineligible", tag = "applications", params(("id" = i64, Path)),
    request_body = StatusReason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn declare_ineligible(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusReason>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::decide_status(&st.app, &me, id, ApplicationAction::DeclareIneligible, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A selection officer rejects a submitted application, with a reason sent to the
/// applicant. 409 `illegal_transition` from another status.
#[utoipa::path(post, path = "/api/v1/applications/{id}/reject", tag = "applications", params(("id" = i64, Path)),
    request_body = StatusReason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusReason>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    apps::decide_status(&st.app, &me, id, ApplicationAction::Reject, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A list's query from its parameters: `status`, `sort`, `limit`, `offset`.
fn list_query(p: &params::Params) -> Result<ListQuery, ApiError> {
    let status = params::get(p, "status")
        .map(|s| ApplicationStatus::parse("status", &s))
        .transpose()?;
    let sort = match params::get(p, "sort").as_deref() {
        None | Some("recent") => Sort::Recent,
        Some("acronym") => Sort::Acronym,
        Some("status") => Sort::Status,
        Some("deadline") => Sort::Deadline,
        Some(_) => {
            return Err(poles_core::FieldError::new(
                "sort",
                "must be recent, acronym, status or deadline",
            )
            .into())
        }
    };
    Ok(ListQuery {
        status,
        sort,
        page: params::page(p)?,
    })
}

/// The applications of the caller's organisations, with the next step of each and counts
/// per status.
#[utoipa::path(get, path = "/api/v1/me/applications", tag = "applications",
    params(("status" = Option<ApplicationStatus>, Query), ("sort" = Option<String>, Query, description = "recent, acronym, status or deadline"), crate::http::openapi::PageQuery),
    responses((status = 200, body = MyApplications)))]
async fn my_applications(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Query(p): Query<params::Params>,
) -> Result<Json<MyApplications>, ApiError> {
    let q = list_query(&p)?;
    Ok(Json(lists::my_applications(&st.app, &me, &q).await?))
}

/// A call's worklist: every application with its status, eligibility, labels, reviews and
/// proposal (officers, and funder officers of the call's funders).
#[utoipa::path(get, path = "/api/v1/calls/{slug}/worklist", tag = "applications",
    params(("slug" = String, Path), ("status" = Option<ApplicationStatus>, Query), ("sort" = Option<String>, Query, description = "recent, acronym, status or deadline"), crate::http::openapi::PageQuery),
    responses((status = 200, body = CallWorklist), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn call_worklist(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Query(p): Query<params::Params>,
) -> Result<Json<CallWorklist>, ApiError> {
    let q = list_query(&p)?;
    Ok(Json(lists::call_worklist(&st.app, &me, &slug, &q).await?))
}

/// A cluster's labelling queue with counts per status (its managers).
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/labelling-queue", tag = "applications",
    params(("slug" = String, Path), ("status" = Option<LabellingStatus>, Query), crate::http::openapi::PageQuery),
    responses((status = 200, body = LabellingQueue), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn labelling_queue(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Query(p): Query<params::Params>,
) -> Result<Json<LabellingQueue>, ApiError> {
    let status = params::get(&p, "status")
        .map(|s| LabellingStatus::parse("status", &s))
        .transpose()?;
    let page = params::page(&p)?;
    Ok(Json(
        lists::labelling_queue(&st.app, &me, &slug, status, page).await?,
    ))
}

/// The reviews assigned to the caller (reviewers), to do first; `done` filters.
#[utoipa::path(get, path = "/api/v1/me/reviews", tag = "applications",
    params(("done" = Option<bool>, Query), crate::http::openapi::PageQuery),
    responses((status = 200, body = ReviewQueue), (status = 403, body = ErrorBody)))]
async fn review_queue(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Query(p): Query<params::Params>,
) -> Result<Json<ReviewQueue>, ApiError> {
    let done = match params::get(&p, "done").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(poles_core::FieldError::new("done", "must be true or false").into()),
    };
    let page = params::page(&p)?;
    Ok(Json(lists::review_queue(&st.app, &me, done, page).await?))
}

//! Applications to calls through the API: the lead organisation drafts, invites partners and
//! asks clusters to label; partners answer and enter their budgets; cluster managers decide;
//! the lead submits. Eligibility and aid are computed live on every read.

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_core::calls::Eligibility;
use poles_store::applications::{
    self as store, Answer, Application, Budget, Decision, LabellingRequest, NewApplication,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edit_api::Created;

#[derive(Deserialize, ToSchema)]
pub struct CreateApplication {
    /// The organisation that leads (the caller must be one of its members).
    pub lead_organisation_id: i64,
    #[serde(flatten)]
    pub application: NewApplication,
}

/// Starts a draft application to a call, led by one of the caller's organisations.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/applications", tag = "applications", params(("slug" = String, Path)),
    request_body = CreateApplication,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    me: Authed,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<CreateApplication>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let cap = me
        .allowed(&st, me.actor.applicant_for(b.lead_organisation_id))
        .await?;
    let id = store::create(&st.db, &cap, &me.ctx(cap.role), &slug, &b.application).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn read_cap(
    st: &AppState,
    me: &Authed,
    id: i64,
) -> Result<poles_core::auth::ApplicationRead, ApiError> {
    let parts = store::participants(&st.db, id)
        .await?
        .ok_or(ApiError::NotFound("application"))?;
    me.allowed(
        st,
        me.actor
            .application_read(&parts.organisations, &parts.clusters, &parts.reviewers),
    )
    .await
}

/// An application with its consortium, labels, and its eligibility and aid computed now.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = Application), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
) -> Result<Json<Application>, ApiError> {
    let id = params::path_id(&id, "application")?;
    let cap = read_cap(&st, &me, id).await?;
    store::get(&st.db, &cap, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("application"))
}

#[derive(Deserialize, ToSchema)]
pub struct Invitation {
    pub organisation_id: i64,
}

/// The lead invites a partner organisation.
#[utoipa::path(post, path = "/api/v1/applications/{id}/partners", tag = "applications", params(("id" = i64, Path)),
    request_body = Invitation, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn invite(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Invitation>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let cap = lead_cap(&st, &me, id).await?;
    store::invite(&st.db, &cap, &me.ctx(cap.role), id, b.organisation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The capability to act as the lead organisation of an application (403, audited, otherwise).
pub async fn lead_cap(
    st: &AppState,
    me: &Authed,
    id: i64,
) -> Result<poles_core::auth::ApplicantFor, ApiError> {
    let lead = store::lead_of(&st.db, id)
        .await?
        .ok_or(ApiError::NotFound("application"))?;
    me.allowed(st, me.actor.applicant_for(lead)).await
}

/// A partner answers its invitation and declares its size or nature.
#[utoipa::path(post, path = "/api/v1/applications/{id}/partners/{organisation_id}/answer", tag = "applications",
    params(("id" = i64, Path), ("organisation_id" = i64, Path)),
    request_body = Answer, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn answer(
    State(st): State<AppState>,
    me: Authed,
    Path((id, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Answer>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    let cap = me.allowed(&st, me.actor.applicant_for(org)).await?;
    store::answer(&st.db, &cap, &me.ctx(cap.role), id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partner's budget and R&D location (the partner itself, or the lead).
#[utoipa::path(put, path = "/api/v1/applications/{id}/partners/{organisation_id}/budget", tag = "applications",
    params(("id" = i64, Path), ("organisation_id" = i64, Path)),
    request_body = Budget, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn budget(
    State(st): State<AppState>,
    me: Authed,
    Path((id, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Budget>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    // The partner acts for itself; otherwise the caller must act for the lead.
    let cap = match me.actor.applicant_for(org) {
        Ok(cap) => cap,
        Err(_) => lead_cap(&st, &me, id).await?,
    };
    store::set_budget(&st.db, &cap, &me.ctx(cap.role), id, org, &b).await?;
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
pub async fn request_label(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<LabelRequest>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let cap = lead_cap(&st, &me, id).await?;
    store::request_labelling(&st.db, &cap, &me.ctx(cap.role), id, &b.cluster, b.lead).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster's committee decision on a labelling request (its managers).
#[utoipa::path(post, path = "/api/v1/applications/{id}/labelling/{cluster}", tag = "applications",
    params(("id" = i64, Path), ("cluster" = String, Path)),
    request_body = Decision, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn decide(
    State(st): State<AppState>,
    me: Authed,
    Path((id, cluster)): Path<(String, String)>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "application")?;
    let cap = me
        .allowed(&st, me.actor.labelling_decision(&cluster))
        .await?;
    store::decide_labelling(&st.db, &cap, &me.ctx(cap.role), id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster's labelling requests (its managers).
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/labelling-requests", tag = "applications", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<LabellingRequest>), (status = 403, body = ErrorBody)))]
pub async fn cluster_requests(
    State(st): State<AppState>,
    me: Authed,
    Path(slug): Path<String>,
) -> Result<Json<Vec<LabellingRequest>>, ApiError> {
    let cap = me.allowed(&st, me.actor.labelling_decision(&slug)).await?;
    Ok(Json(store::requests_of_cluster(&st.db, &cap).await?))
}

/// The lead submits: the rules are checked and kept, and the call's rule set is frozen.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = Eligibility), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
) -> Result<Json<Eligibility>, ApiError> {
    let id = params::path_id(&id, "application")?;
    let cap = lead_cap(&st, &me, id).await?;
    let read = read_cap(&st, &me, id).await?;
    Ok(Json(
        store::submit(&st.db, &cap, &read, &me.ctx(cap.role), id).await?,
    ))
}

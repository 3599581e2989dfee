//! Writes to the registry through the API. Each handler gets the capability for its write
//! from the caller's roles (403, audited, otherwise) and hands it to the store.

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_core::Slug;
use poles_store::edits::{
    self, ClusterPatch, EventInput, FigureInput, LabelInput, MemberInput, NewsInput,
    OrganisationPatch, PartnershipInput,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The new version of the record written.
#[derive(Serialize, ToSchema)]
pub struct Written {
    pub version: i64,
}

/// The id of the record created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

fn slug(raw: &str) -> Result<String, ApiError> {
    Slug::parse("slug", raw)
        .map(|s| s.as_str().to_string())
        .map_err(|_| ApiError::NotFound("cluster"))
}

/// Edits a cluster's profile (its managers, programme officers, admins). Send the version read.
#[utoipa::path(patch, path = "/api/v1/clusters/{slug}", tag = "edit", request_body = ClusterPatch, params(("slug" = String, Path)),
    responses((status = 200, body = Written), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_cluster(
    State(st): State<AppState>,
    me: Authed,
    Path(s): Path<String>,
    crate::extract::ApiJson(p): crate::extract::ApiJson<ClusterPatch>,
) -> Result<Json<Written>, ApiError> {
    let s = slug(&s)?;
    let cap = me.allowed(&st, me.actor.cluster_write(&s)).await?;
    let version = edits::update_cluster(&st.db, &cap, &me.ctx(cap.role), &p).await?;
    Ok(Json(Written { version }))
}

/// Adds a member organisation to a cluster.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/members", tag = "edit", request_body = MemberInput, params(("slug" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    me: Authed,
    Path(s): Path<String>,
    crate::extract::ApiJson(m): crate::extract::ApiJson<MemberInput>,
) -> Result<StatusCode, ApiError> {
    let s = slug(&s)?;
    let cap = me.allowed(&st, me.actor.cluster_write(&s)).await?;
    edits::add_member(&st.db, &cap, &me.ctx(cap.role), &m).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member organisation from a cluster.
#[utoipa::path(delete, path = "/api/v1/clusters/{slug}/members/{organisation_id}", tag = "edit",
    params(("slug" = String, Path), ("organisation_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(st): State<AppState>,
    me: Authed,
    Path((s, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let s = slug(&s)?;
    let org = params::path_id(&org, "membership")?;
    let cap = me.allowed(&st, me.actor.cluster_write(&s)).await?;
    edits::remove_member(&st.db, &cap, &me.ctx(cap.role), org).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a partnership of a cluster.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/partnerships", tag = "edit", request_body = PartnershipInput, params(("slug" = String, Path)),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_partnership(
    State(st): State<AppState>,
    me: Authed,
    Path(s): Path<String>,
    crate::extract::ApiJson(p): crate::extract::ApiJson<PartnershipInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let s = slug(&s)?;
    let cap = me.allowed(&st, me.actor.cluster_write(&s)).await?;
    let id = edits::add_partnership(&st.db, &cap, &me.ctx(cap.role), &p).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Removes a partnership of a cluster.
#[utoipa::path(delete, path = "/api/v1/clusters/{slug}/partnerships/{id}", tag = "edit",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_partnership(
    State(st): State<AppState>,
    me: Authed,
    Path((s, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let s = slug(&s)?;
    let id = params::path_id(&id, "partnership")?;
    let cap = me.allowed(&st, me.actor.cluster_write(&s)).await?;
    edits::remove_partnership(&st.db, &cap, &me.ctx(cap.role), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a label decision to a cluster's history (programme officers, admins).
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/labels", tag = "edit", request_body = LabelInput, params(("slug" = String, Path)),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_label(
    State(st): State<AppState>,
    me: Authed,
    Path(s): Path<String>,
    crate::extract::ApiJson(l): crate::extract::ApiJson<LabelInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let s = slug(&s)?;
    let cap = me.allowed(&st, me.actor.programme_write()).await?;
    let id = edits::add_label(&st.db, &cap, &me.ctx(cap.role), &s, &l).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Edits an organisation (its members, admins). Send the version read.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "edit", request_body = OrganisationPatch, params(("id" = i64, Path)),
    responses((status = 200, body = Written), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_organisation(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    crate::extract::ApiJson(p): crate::extract::ApiJson<OrganisationPatch>,
) -> Result<Json<Written>, ApiError> {
    let id = params::path_id(&id, "organisation")?;
    let cap = me.allowed(&st, me.actor.organisation_write(id)).await?;
    let version = edits::update_organisation(&st.db, &cap, &me.ctx(cap.role), &p).await?;
    Ok(Json(Written { version }))
}

/// Creates or replaces a programme figure by its key (programme officers, admins).
#[utoipa::path(put, path = "/api/v1/programme/figures/{key}", tag = "edit", request_body = FigureInput, params(("key" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_figure(
    State(st): State<AppState>,
    me: Authed,
    Path(key): Path<String>,
    crate::extract::ApiJson(mut f): crate::extract::ApiJson<FigureInput>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.programme_write()).await?;
    f.key = key;
    edits::put_figure(&st.db, &cap, &me.ctx(cap.role), &f).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes a news item (officers, admins).
#[utoipa::path(post, path = "/api/v1/news", tag = "edit", request_body = NewsInput,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_news(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(n): crate::extract::ApiJson<NewsInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let cap = me.allowed(&st, me.actor.content_write()).await?;
    let id = edits::create_news(&st.db, &cap, &me.ctx(cap.role), &n).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct Reason {
    pub reason: Option<String>,
}

/// Withdraws a news item (officers, admins).
#[utoipa::path(delete, path = "/api/v1/news/{id}", tag = "edit", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_news(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "news item")?;
    let cap = me.allowed(&st, me.actor.content_write()).await?;
    edits::delete_news(&st.db, &cap, &me.ctx(cap.role), id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes an event (officers, admins).
#[utoipa::path(post, path = "/api/v1/events", tag = "edit", request_body = EventInput,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_event(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(e): crate::extract::ApiJson<EventInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let cap = me.allowed(&st, me.actor.content_write()).await?;
    let id = edits::create_event(&st.db, &cap, &me.ctx(cap.role), &e).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

//! Writes to the registry through the API: thin handlers that parse the path, call the use
//! case (which checks the caller's capability: 403, audited, otherwise) and answer.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::edits::{
    self, ClusterPatch, EventInput, FigureInput, LabelInput, MemberInput, NewsInput,
    OrganisationPatch, PartnershipInput,
};
use poles_core::model::Partnership;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    signed_in(
        OpenApiRouter::new()
            .routes(routes!(update_cluster))
            .routes(routes!(update_organisation))
            .routes(routes!(create_news))
            .routes(routes!(delete_news))
            .routes(routes!(create_event))
            .routes(routes!(add_member))
            .routes(routes!(remove_member))
            .routes(routes!(add_partnership))
            .routes(routes!(answer_partnership))
            .routes(routes!(end_partnership))
            .routes(routes!(partnerships_in_progress))
            .routes(routes!(remove_partnership))
            .routes(routes!(add_label))
            .routes(routes!(put_figure)),
    )
}

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

/// Edits a cluster's profile (its managers, programme officers, admins). Send the version read.
#[utoipa::path(patch, path = "/api/v1/clusters/{slug}", tag = "edit", request_body = ClusterPatch, params(("slug" = String, Path)),
    responses((status = 200, body = Written), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_cluster(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(p): ApiJson<ClusterPatch>,
) -> Result<Json<Written>, ApiError> {
    let version = edits::update_cluster(&st.app, &me, &slug, &p).await?;
    Ok(Json(Written { version }))
}

/// Adds a member organisation to a cluster.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/members", tag = "edit", request_body = MemberInput, params(("slug" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_member(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(m): ApiJson<MemberInput>,
) -> Result<StatusCode, ApiError> {
    edits::add_member(&st.app, &me, &slug, &m).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member organisation from a cluster.
#[utoipa::path(delete, path = "/api/v1/clusters/{slug}/members/{organisation_id}", tag = "edit",
    params(("slug" = String, Path), ("organisation_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_member(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = params::path_id(&org, "membership")?;
    edits::remove_member(&st.app, &me, &slug, org).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a partnership of a cluster.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/partnerships", tag = "edit", request_body = PartnershipInput, params(("slug" = String, Path)),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_partnership(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(p): ApiJson<PartnershipInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = edits::add_partnership(&st.app, &me, &slug, &p).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The answer of the pôle a partnership was proposed to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PartnershipAnswer {
    pub accept: bool,
}

/// The pôle a partnership was proposed to confirms it (it becomes public) or declines it.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/partnerships/{id}/answer", tag = "edit", request_body = PartnershipAnswer,
    params(("slug" = String, Path, description = "The pôle answering"), ("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn answer_partnership(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<PartnershipAnswer>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "partnership")?;
    edits::answer_partnership(&st.app, &me, &slug, id, b.accept).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// When a partnership ends.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PartnershipEnd {
    /// `YYYY-MM-DD`; today if left out.
    pub end_date: Option<String>,
}

/// Either pôle ends a confirmed partnership; it stays on record as ended.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/partnerships/{id}/end", tag = "edit", request_body = PartnershipEnd,
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn end_partnership(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<PartnershipEnd>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "partnership")?;
    edits::end_partnership(&st.app, &me, &slug, id, &b.end_date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A pôle's partnerships proposed by it or to it, and declined ones (its managers).
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/partnerships/in-progress", tag = "edit",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<Partnership>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn partnerships_in_progress(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Partnership>>, ApiError> {
    Ok(Json(
        edits::partnerships_in_progress(&st.app, &me, &slug).await?,
    ))
}

/// Removes a partnership of a cluster.
#[utoipa::path(delete, path = "/api/v1/clusters/{slug}/partnerships/{id}", tag = "edit",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_partnership(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "partnership")?;
    edits::remove_partnership(&st.app, &me, &slug, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a label decision to a cluster's history (programme officers, admins).
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/labels", tag = "edit", request_body = LabelInput, params(("slug" = String, Path)),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_label(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(l): ApiJson<LabelInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = edits::add_label(&st.app, &me, &slug, &l).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Edits an organisation (its members, admins). Send the version read.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "edit", request_body = OrganisationPatch, params(("id" = i64, Path)),
    responses((status = 200, body = Written), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_organisation(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<OrganisationPatch>,
) -> Result<Json<Written>, ApiError> {
    let id = params::path_id(&id, "organisation")?;
    let version = edits::update_organisation(&st.app, &me, id, &p).await?;
    Ok(Json(Written { version }))
}

/// Creates or replaces a programme figure by its key (programme officers, admins).
#[utoipa::path(put, path = "/api/v1/programme/figures/{key}", tag = "edit", request_body = FigureInput, params(("key" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_figure(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(key): Path<String>,
    ApiJson(mut f): ApiJson<FigureInput>,
) -> Result<StatusCode, ApiError> {
    f.key = key;
    edits::put_figure(&st.app, &me, &f).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes a news item (officers, admins).
#[utoipa::path(post, path = "/api/v1/news", tag = "edit", request_body = NewsInput,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_news(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(n): ApiJson<NewsInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = edits::create_news(&st.app, &me, &n).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Withdraws a news item (officers, admins).
#[utoipa::path(delete, path = "/api/v1/news/{id}", tag = "edit", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_news(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "news item")?;
    edits::delete_news(&st.app, &me, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes an event (officers, admins).
#[utoipa::path(post, path = "/api/v1/events", tag = "edit", request_body = EventInput,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_event(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(e): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = edits::create_event(&st.app, &me, &e).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

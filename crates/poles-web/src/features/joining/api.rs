//! Joining a pôle, the JSON operations: thin handlers that parse, call the use case and
//! serialise.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::joining::{
    self, ImportPreview, JoinAsk, JoinRequest, JoinVerdict, MemberImport, MembershipPeriod,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    signed_in(
        OpenApiRouter::new()
            .routes(routes!(api_join))
            .routes(routes!(api_mine))
            .routes(routes!(api_pending))
            .routes(routes!(api_decide))
            .routes(routes!(api_withdraw))
            .routes(routes!(api_leave))
            .routes(routes!(api_visibility))
            .routes(routes!(api_my_memberships))
            .routes(routes!(api_import)),
    )
}

/// Asks for an organisation to join a pôle: one the caller acts for (`organisation_id`),
/// or one the registry does not hold yet (`new_name`, `new_country`: created when the pôle
/// accepts). The pôle's managers are told.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/join-requests", tag = "joining",
    params(("slug" = String, Path, description = "The pôle's slug")),
    request_body = JoinAsk,
    responses((status = 201, body = JoinRequest), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_join(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<JoinAsk>,
) -> Result<(StatusCode, Json<JoinRequest>), ApiError> {
    let j = joining::apply(&st.app, &me, &slug, &b).await?;
    Ok((StatusCode::CREATED, Json(j)))
}

/// One's own requests to join pôles, newest first.
#[utoipa::path(get, path = "/api/v1/join-requests", tag = "joining",
    responses((status = 200, body = Vec<JoinRequest>)))]
async fn api_mine(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<JoinRequest>>, ApiError> {
    Ok(Json(joining::mine(&st.app, &me).await?))
}

/// The pending requests the caller decides: their pôles' (managers), every pôle's (officers).
#[utoipa::path(get, path = "/api/v1/join-requests/pending", tag = "joining",
    responses((status = 200, body = Vec<JoinRequest>)))]
async fn api_pending(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<JoinRequest>>, ApiError> {
    Ok(Json(joining::to_decide(&st.app, &me).await?))
}

/// Accepts a request (the organisation is a member from today, with the role asked for or
/// the one given) or declines it with a reason.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/decision", tag = "joining",
    params(("id" = i64, Path, description = "The request")),
    request_body = JoinVerdict,
    responses((status = 200, body = JoinRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_decide(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(v): ApiJson<JoinVerdict>,
) -> Result<Json<JoinRequest>, ApiError> {
    let id = params::path_id(&id, "join request")?;
    Ok(Json(joining::decide(&st.app, &me, id, &v).await?))
}

/// Withdraws one's own pending request.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/withdraw", tag = "joining",
    params(("id" = i64, Path, description = "The request")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_withdraw(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "join request")?;
    joining::withdraw(&st.app, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a membership ends.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Leaving {
    /// Kept in the history, never shown publicly.
    pub reason: Option<String>,
}

/// Ends a membership today: the member leaves (its own people) or the pôle ends it (its
/// managers). The period stays in the pôle's history; the organisation may ask again.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/members/{organisation_id}/leave", tag = "joining",
    params(("slug" = String, Path, description = "The pôle's slug"), ("organisation_id" = i64, Path, description = "The member")),
    request_body = Leaving,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_leave(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Leaving>,
) -> Result<StatusCode, ApiError> {
    let org = params::path_id(&org, "organisation")?;
    joining::leave(&st.app, &me, &slug, org, b.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the pôle's public pages list the member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Visibility {
    pub shown_publicly: bool,
}

/// The member's choice: whether the pôle's public pages and the open data list it (it is
/// counted either way). Its own people decide.
#[utoipa::path(put, path = "/api/v1/clusters/{slug}/members/{organisation_id}/visibility", tag = "joining",
    params(("slug" = String, Path, description = "The pôle's slug"), ("organisation_id" = i64, Path, description = "The member")),
    request_body = Visibility,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_visibility(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
    ApiJson(b): ApiJson<Visibility>,
) -> Result<StatusCode, ApiError> {
    let org = params::path_id(&org, "organisation")?;
    joining::set_shown(&st.app, &me, &slug, org, b.shown_publicly).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The memberships, current and past, of the organisations the caller acts for.
#[utoipa::path(get, path = "/api/v1/my/memberships", tag = "joining",
    responses((status = 200, body = Vec<MembershipPeriod>)))]
async fn api_my_memberships(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<MembershipPeriod>>, ApiError> {
    Ok(Json(joining::my_memberships(&st.app, &me).await?))
}

/// Adds members to a pôle from a list of SIRENs, SIRETs, PICs or names (its managers,
/// officers). With `dry_run` (the default) it only reports each line's match; without, it
/// writes every matched line in one transaction, and writes nothing if a line matches no
/// single organisation. Organisations already members are left as they are.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/members/import", tag = "joining",
    params(("slug" = String, Path, description = "The pôle's slug")),
    request_body = MemberImport,
    responses((status = 200, body = ImportPreview), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_import(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<MemberImport>,
) -> Result<Json<ImportPreview>, ApiError> {
    Ok(Json(
        joining::import_members(&st.app, &me, &slug, &b).await?,
    ))
}

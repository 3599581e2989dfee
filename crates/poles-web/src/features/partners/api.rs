//! The partners' JSON API: thin handlers that parse, call the use case and serialise.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn, Visitor};
use crate::http::openapi::signed_in;
use crate::http::params;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use poles_app::partners::{self, ConsortiumHelp, PartnerRequest, PartnerSuggestions};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(recommend_partners))
        .merge(signed_in(
            OpenApiRouter::new().routes(routes!(application_suggestions)),
        ))
}

/// Organisations likely to belong in a consortium, given the partners so far and the
/// project's topic, call, programme and funding scheme: best first, each with its reasons
/// (past partners among the given ones, projects on the topic, same country, a missing kind
/// it fills). Ranked by a model trained on the registry's past consortia.
#[utoipa::path(post, path = "/api/v1/recommendations/partners", tag = "partners",
    request_body = PartnerRequest,
    responses((status = 200, body = PartnerSuggestions), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn recommend_partners(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(req): ApiJson<PartnerRequest>,
) -> Result<Json<PartnerSuggestions>, ApiError> {
    Ok(Json(
        partners::suggest(&st.app, &visitor.origin, &req).await?,
    ))
}

/// For the lead of a draft application: what the call's rules still require of its
/// consortium (a company, a research organisation, partners in a labelling pôle's
/// territory) and partners suggested to complete it, each with its reasons and the missing
/// kind it fills. The topic is read from the draft's title and keywords.
#[utoipa::path(get, path = "/api/v1/applications/{id}/partner-suggestions", tag = "partners",
    params(("id" = i64, Path, description = "The application")),
    responses((status = 200, body = ConsortiumHelp), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn application_suggestions(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ConsortiumHelp>, ApiError> {
    let id = params::path_id(&id, "application")?;
    Ok(Json(
        partners::for_application(&st.app, &me, &me.origin, id).await?,
    ))
}

//! The partners' JSON API: thin handlers that parse, call the use case and serialise.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, Visitor};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use poles_app::partners::{self, PartnerRequest, PartnerSuggestions};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(recommend_partners))
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

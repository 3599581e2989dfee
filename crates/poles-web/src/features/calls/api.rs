//! Calls for projects as JSON: their rule sets, and the check of a project against them
//! (eligibility rule by rule, and each partner's aid split between funders).

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::calls::{self, CheckResult, NewCall};
use poles_core::calls::{ProjectFacts, RuleSet};
use poles_core::model::{Call, Criterion, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(check))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(create_call))
                .routes(routes!(put_rule_set))
                .routes(routes!(put_criteria)),
        ))
}

/// Calls for projects, with their rule sets.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", responses((status = 200, body = Paged<Call>)))]
async fn list_calls(State(st): State<AppState>) -> Result<Json<Paged<Call>>, ApiError> {
    let items = calls::list(&st.app).await?;
    Ok(Json(Paged {
        total: items.len() as i64,
        items,
    }))
}

/// One call with its rule set.
#[utoipa::path(get, path = "/api/v1/calls/{slug}", tag = "calls", params(("slug" = String, Path)),
    responses((status = 200, body = Call), (status = 404, body = ErrorBody)))]
async fn get_call(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Call>, ApiError> {
    Ok(Json(calls::get(&st.app, &slug).await?))
}

/// Checks a project against a call's rules, as applicants see it live while they edit:
/// every rule with its outcome and numbers, and the aid each partner could receive.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/check", tag = "calls", params(("slug" = String, Path)),
    request_body = ProjectFacts,
    responses((status = 200, body = CheckResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn check(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(facts): ApiJson<ProjectFacts>,
) -> Result<Json<CheckResult>, ApiError> {
    Ok(Json(calls::check(&st.app, &slug, &facts).await?))
}

/// Creates a call from an earlier call's rule set, funders and criteria (programme officers).
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = NewCall,
    responses((status = 201, body = Call), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_call(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<NewCall>,
) -> Result<(StatusCode, Json<Call>), ApiError> {
    let call = calls::create(&st.app, &me, &b).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

/// Replaces a call's rule set until a submitted project was checked against it.
#[utoipa::path(put, path = "/api/v1/calls/{slug}/rule-set", tag = "calls", params(("slug" = String, Path)),
    request_body = RuleSet, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_rule_set(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<RuleSet>,
) -> Result<StatusCode, ApiError> {
    calls::put_rule_set(&st.app, &me, &slug, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a call's review criteria and weights (before any review is scored).
#[utoipa::path(put, path = "/api/v1/calls/{slug}/criteria", tag = "calls", params(("slug" = String, Path)),
    request_body = Vec<Criterion>, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_criteria(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<Vec<Criterion>>,
) -> Result<StatusCode, ApiError> {
    calls::put_criteria(&st.app, &me, &slug, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

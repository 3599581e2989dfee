//! Calls for projects: their rule sets, and the check of a project against them
//! (eligibility rule by rule, and each partner's aid split between funders).

use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use poles_core::calls::{self, Aid, Eligibility, ProjectFacts};
use poles_core::model::{Call, Paged};
use poles_core::FieldError;
use poles_store::calls as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Calls for projects, with their rule sets.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", responses((status = 200, body = Paged<Call>)))]
pub async fn list_calls(State(st): State<AppState>) -> Result<Json<Paged<Call>>, ApiError> {
    let items = store::list(&st.db).await?;
    Ok(Json(Paged {
        total: items.len() as i64,
        items,
    }))
}

/// One call with its rule set.
#[utoipa::path(get, path = "/api/v1/calls/{slug}", tag = "calls", params(("slug" = String, Path)),
    responses((status = 200, body = Call), (status = 404, body = ErrorBody)))]
pub async fn get_call(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Call>, ApiError> {
    store::get(&st.db, &slug)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("call"))
}

/// What the call's rules say about a project.
#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    pub call: String,
    pub rule_set: String,
    pub eligibility: Eligibility,
    pub aid: Aid,
}

fn validate(f: &ProjectFacts) -> Result<(), FieldError> {
    if f.partners.is_empty() || f.partners.len() > 50 {
        return Err(FieldError::new("partners", "must list 1 to 50 partners"));
    }
    for (k, p) in f.partners.iter().enumerate() {
        if p.name.trim().is_empty() || p.name.chars().count() > 200 {
            return Err(FieldError::new(
                format!("partners[{k}].name"),
                "must have 1 to 200 characters",
            ));
        }
        let c = &p.costs;
        for (field, v) in [
            ("staff", c.staff),
            ("equipment", c.equipment),
            ("subcontracting", c.subcontracting),
            ("overheads", c.overheads),
        ] {
            if !(0..=10_000_000_000_000).contains(&v) {
                return Err(FieldError::new(
                    format!("partners[{k}].costs.{field}"),
                    "must be between 0 and 100 billion (in cents)",
                ));
            }
        }
    }
    for (k, l) in f.labellings.iter().enumerate() {
        if let Some(d) = &l.decided_on {
            poles_core::cordis::parse_date(d)
                .map_err(|e| FieldError::new(format!("labellings[{k}].decided_on"), e))?;
        }
    }
    Ok(())
}

/// Checks a project against a call's rules, as applicants see it live while they edit:
/// every rule with its outcome and numbers, and the aid each partner could receive.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/check", tag = "calls", params(("slug" = String, Path)),
    request_body = ProjectFacts,
    responses((status = 200, body = CheckResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn check(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    crate::extract::ApiJson(facts): crate::extract::ApiJson<ProjectFacts>,
) -> Result<Json<CheckResult>, ApiError> {
    let call = store::get(&st.db, &slug)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    validate(&facts)?;
    Ok(Json(CheckResult {
        eligibility: calls::eligibility(&call.rule_set, &facts, call.deadline.as_deref()),
        aid: calls::aid(&call.rule_set, &facts),
        rule_set: call.rule_set.id.clone(),
        call: call.slug,
    }))
}

/// Creates a call from an earlier call's rule set, funders and criteria (programme officers).
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = poles_store::calls::NewCall,
    responses((status = 201, body = Call), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_call(
    State(st): State<AppState>,
    me: crate::auth::Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<poles_store::calls::NewCall>,
) -> Result<(axum::http::StatusCode, Json<Call>), ApiError> {
    let cap = me.allowed(&st, me.actor.selection_officer()).await?;
    store::create(&st.db, &cap, &me.ctx(cap.role), &b).await?;
    let call = store::get(&st.db, &b.slug)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    Ok((axum::http::StatusCode::CREATED, Json(call)))
}

/// Replaces a call's rule set until a submitted project was checked against it.
#[utoipa::path(put, path = "/api/v1/calls/{slug}/rule-set", tag = "calls", params(("slug" = String, Path)),
    request_body = calls::RuleSet, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_rule_set(
    State(st): State<AppState>,
    me: crate::auth::Authed,
    Path(slug): Path<String>,
    crate::extract::ApiJson(b): crate::extract::ApiJson<calls::RuleSet>,
) -> Result<axum::http::StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.selection_officer()).await?;
    store::put_rule_set(&st.db, &cap, &me.ctx(cap.role), &slug, &b).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Sets a call's review criteria and weights (before any review is scored).
#[utoipa::path(put, path = "/api/v1/calls/{slug}/criteria", tag = "calls", params(("slug" = String, Path)),
    request_body = Vec<poles_core::model::Criterion>, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_criteria(
    State(st): State<AppState>,
    me: crate::auth::Authed,
    Path(slug): Path<String>,
    crate::extract::ApiJson(b): crate::extract::ApiJson<Vec<poles_core::model::Criterion>>,
) -> Result<axum::http::StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.selection_officer()).await?;
    store::put_criteria(&st.db, &cap, &me.ctx(cap.role), &slug, &b).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

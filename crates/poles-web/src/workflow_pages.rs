//! HTML forms for the path of a project through a call: applying, the consortium, budgets,
//! labelling, submission, review, proposals and approvals. Each posts to the same store
//! functions as the API, with the same capability checks, then goes back to the application.

use crate::account_pages::{allowed, err};
use crate::auth::{Authed, Caller};
use crate::error::{ApiError, PageError};
use crate::pages::Chrome;
use crate::signed_in;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use poles_core::calls::Costs;
use poles_core::FieldError;
use poles_store::applications as apps;
use poles_store::selection::{self, FundingLine, Score};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls/{slug}/apply", post(apply))
        .route("/applications/{id}/invite", post(invite))
        .route("/applications/{id}/partners/{org}/answer", post(answer))
        .route("/applications/{id}/partners/{org}/budget", post(budget))
        .route("/applications/{id}/labelling", post(request_label))
        .route("/applications/{id}/labelling/{cluster}", post(decide_label))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/reviewers", post(assign))
        .route("/applications/{id}/review", post(review))
        .route("/applications/{id}/proposals", post(propose))
        .route("/applications/{id}/proposals/{pid}/approve", post(approve))
}

type PageResult = Result<Response, PageError>;

fn back(c: &Chrome, id: i64) -> PageResult {
    Ok(Redirect::to(&c.href(&format!("/applications/{id}"))).into_response())
}

fn id_of(c: &Chrome, raw: &str, what: &'static str) -> Result<i64, PageError> {
    crate::params::path_id(raw, what).map_err(|e| err(c, e))
}

fn euros(field: &str, raw: &str) -> Result<i64, FieldError> {
    crate::params::euros(field, raw, false)
}

async fn lead_cap(
    st: &AppState,
    c: &Chrome,
    me: &Authed,
    id: i64,
) -> Result<poles_core::auth::ApplicantFor, PageError> {
    crate::applications_api::lead_cap(st, me, id)
        .await
        .map_err(|e| err(c, e))
}

#[derive(Deserialize)]
struct ApplyForm {
    lead_organisation_id: i64,
    acronym: String,
    title: String,
    summary_fr: Option<String>,
    summary_en: Option<String>,
    keywords: Option<String>,
    duration_months: Option<String>,
}

async fn apply(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(slug): Path<String>,
    Form(f): Form<ApplyForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.applicant_for(f.lead_organisation_id)).await?;
    let duration = match f
        .duration_months
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => Some(d.parse::<i64>().map_err(|_| {
            err(
                &c,
                FieldError::new("duration_months", "must be a number of months"),
            )
        })?),
        None => None,
    };
    let a = apps::NewApplication {
        acronym: f.acronym,
        title: f.title,
        summary_fr: f.summary_fr,
        summary_en: f.summary_en,
        keywords: f.keywords,
        duration_months: duration,
    };
    let id = apps::create(&st.db, &cap, &me.ctx(cap.role), &slug, &a)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct InviteForm {
    organisation_id: i64,
}

async fn invite(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = lead_cap(&st, &c, &me, id).await?;
    apps::invite(&st.db, &cap, &me.ctx(cap.role), id, f.organisation_id)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct AnswerForm {
    accept: String,
    declared_kind: Option<String>,
    independent: Option<String>,
    marginal_cost: Option<String>,
}

async fn answer(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path((id, org)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let org = id_of(&c, &org, "partner")?;
    let cap = allowed(&st, &c, &me, me.actor.applicant_for(org)).await?;
    let a = apps::Answer {
        accept: f.accept == "yes",
        declared_kind: f.declared_kind.filter(|k| !k.is_empty()),
        independent: f.independent.is_some(),
        marginal_cost: f.marginal_cost.is_some(),
    };
    apps::answer(&st.db, &cap, &me.ctx(cap.role), id, &a)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct BudgetForm {
    staff: String,
    equipment: String,
    subcontracting: String,
    overheads: String,
    rd_commune: Option<String>,
    in_labelling_territory: Option<String>,
    in_lead_territory: Option<String>,
}

async fn budget(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path((id, org)): Path<(String, String)>,
    Form(f): Form<BudgetForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let org = id_of(&c, &org, "partner")?;
    let cap = match me.actor.applicant_for(org) {
        Ok(cap) => cap,
        Err(_) => lead_cap(&st, &c, &me, id).await?,
    };
    let costs = Costs {
        staff: euros("staff", &f.staff).map_err(|e| err(&c, e))?,
        equipment: euros("equipment", &f.equipment).map_err(|e| err(&c, e))?,
        subcontracting: euros("subcontracting", &f.subcontracting).map_err(|e| err(&c, e))?,
        overheads: euros("overheads", &f.overheads).map_err(|e| err(&c, e))?,
    };
    let b = apps::Budget {
        costs,
        rd_commune: f
            .rd_commune
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().to_string()),
        in_labelling_territory: f.in_labelling_territory.is_some(),
        in_lead_territory: f.in_lead_territory.is_some(),
    };
    apps::set_budget(&st.db, &cap, &me.ctx(cap.role), id, org, &b)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct LabelForm {
    cluster: String,
    lead: Option<String>,
}

async fn request_label(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<LabelForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = lead_cap(&st, &c, &me, id).await?;
    apps::request_labelling(
        &st.db,
        &cap,
        &me.ctx(cap.role),
        id,
        f.cluster.trim(),
        f.lead.is_some(),
    )
    .await
    .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct DecisionForm {
    labelled: String,
    reasons: Option<String>,
    decided_on: Option<String>,
}

async fn decide_label(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path((id, cluster)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = allowed(&st, &c, &me, me.actor.labelling_decision(&cluster)).await?;
    let d = apps::Decision {
        labelled: f.labelled == "yes",
        reasons: f.reasons,
        decided_on: f.decided_on,
    };
    apps::decide_labelling(&st.db, &cap, &me.ctx(cap.role), id, &d)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

async fn submit(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = lead_cap(&st, &c, &me, id).await?;
    let parts = apps::participants(&st.db, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let read = me
        .allowed(
            &st,
            me.actor
                .application_read(&parts.organisations, &parts.clusters, &parts.reviewers),
        )
        .await
        .map_err(|e| err(&c, e))?;
    apps::submit(&st.db, &cap, &read, &me.ctx(cap.role), id)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

#[derive(Deserialize)]
struct AssignForm {
    reviewer_id: i64,
}

async fn assign(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = allowed(&st, &c, &me, me.actor.selection_officer()).await?;
    selection::assign_reviewer(&st.db, &cap, &me.ctx(cap.role), id, f.reviewer_id)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

/// Scores arrive as `score_<criterion>` and `comment_<criterion>` fields.
async fn review(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = allowed(&st, &c, &me, me.actor.reviewing()).await?;
    let mut scores = Vec::new();
    for (k, v) in &f {
        if let Some(pos) = k.strip_prefix("score_") {
            let criterion: i64 = pos
                .parse()
                .map_err(|_| err(&c, FieldError::new(k.clone(), "unknown criterion")))?;
            let score: i64 = v
                .trim()
                .parse()
                .map_err(|_| err(&c, FieldError::new(k.clone(), "must be 0 to 10")))?;
            scores.push(Score {
                criterion,
                score,
                comment: f
                    .get(&format!("comment_{pos}"))
                    .cloned()
                    .filter(|x| !x.trim().is_empty()),
            });
        }
    }
    selection::submit_review(&st.db, &cap, &me.ctx(cap.role), id, &scores)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

/// Amounts arrive as `amount_<funder>` fields, in euros.
async fn propose(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let cap = allowed(&st, &c, &me, me.actor.selection_officer()).await?;
    let mut lines = Vec::new();
    for (k, v) in &f {
        if let Some(funder) = k.strip_prefix("amount_") {
            let cents = euros(k, v).map_err(|e| err(&c, e))?;
            lines.push(FundingLine {
                funder: funder.to_string(),
                amount_cents: cents,
            });
        }
    }
    lines.sort_by(|a, b| b.funder.cmp(&a.funder));
    selection::propose(&st.db, &cap, &me.ctx(cap.role), id, &lines)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

async fn approve(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = id_of(&c, &id, "application")?;
    let pid = id_of(&c, &pid, "proposal")?;
    let cap = allowed(&st, &c, &me, me.actor.selection_officer()).await?;
    selection::approve(&st.db, &cap, &me.ctx(cap.role), pid)
        .await
        .map_err(|e| err(&c, e))?;
    back(&c, id)
}

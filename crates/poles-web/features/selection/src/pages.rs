//! The forms of review and selection on an application's page: assigning a reviewer,
//! scoring, proposing funding and approving a proposal. Each calls the same use case as the
//! API, then goes back to the application.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params;
use crate::ui::chrome::Chrome;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::{Form, Router};
use poles_app::selection::{self, FundingLine, Score};
use poles_core::FieldError;
use serde::Deserialize;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/applications/{id}/reviewers", post(assign))
        .route("/applications/{id}/review", post(review))
        .route("/applications/{id}/proposals", post(propose))
        .route("/applications/{id}/proposals/{pid}/approve", post(approve))
}

fn back(c: &Chrome, id: i64) -> PageResult {
    Ok(Redirect::to(&c.href(&format!("/applications/{id}"))).into_response())
}

#[derive(Deserialize)]
struct AssignForm {
    reviewer_id: i64,
}

async fn assign(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    selection::assign(&st.app, &me, id, f.reviewer_id).await?;
    back(&c, id)
}

/// Scores arrive as `score_<criterion>` and `comment_<criterion>` fields.
async fn review(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let mut scores = Vec::new();
    for (k, v) in &f {
        if let Some(pos) = k.strip_prefix("score_") {
            let criterion: i64 = pos
                .parse()
                .map_err(|_| FieldError::new(k.clone(), "unknown criterion"))?;
            let score: i64 = v
                .trim()
                .parse()
                .map_err(|_| FieldError::new(k.clone(), "must be 0 to 10"))?;
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
    selection::submit_review(&st.app, &me, id, &scores).await?;
    back(&c, id)
}

/// Amounts arrive as `amount_<funder>` fields, in euros.
async fn propose(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let mut lines = Vec::new();
    for (k, v) in &f {
        if let Some(funder) = k.strip_prefix("amount_") {
            lines.push(FundingLine {
                funder: funder.to_string(),
                amount_cents: params::euros(k, v, false)?,
            });
        }
    }
    lines.sort_by(|a, b| b.funder.cmp(&a.funder));
    selection::propose(&st.app, &me, id, &lines).await?;
    back(&c, id)
}

async fn approve(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, pid)): Path<(String, String)>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let pid = params::path_id(&pid, "proposal")?;
    selection::approve(&st.app, &me, pid).await?;
    back(&c, id)
}

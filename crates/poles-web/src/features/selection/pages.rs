//! The forms of review and selection on an application's page: assigning a reviewer,
//! scoring, proposing funding and approving a proposal. Each calls the same use case as the
//! API, then goes back to the application.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::format::urlencode;
use crate::ui::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::selection::{self, FundingLine, Score};
use poles_app::worklists::{self as lists, PickKind, Resolved};
use poles_app::AppError;
use poles_core::FieldError;
use serde::Deserialize;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/reviews", get(reviews))
        .route("/applications/{id}/reviewers", post(assign))
        .route("/applications/{id}/review", post(review))
        .route("/applications/{id}/proposals", post(propose))
        .route("/applications/{id}/proposals/{pid}/approve", post(approve))
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    c: Chrome,
    queue: lists::ReviewQueue,
    /// The filter: `to_do`, `done` or empty.
    show: String,
    page: poles_core::Page,
}

impl ReviewsPage {
    fn filter_href(&self, show: &str) -> String {
        self.c.href(&format!("/reviews?show={show}"))
    }

    fn page_href(&self, offset: &i64) -> String {
        self.c
            .href(&format!("/reviews?show={}&offset={offset}", self.show))
    }

    fn prev_offset(&self) -> Option<i64> {
        (self.page.offset > 0).then(|| (self.page.offset - self.page.limit).max(0))
    }

    fn next_offset(&self) -> Option<i64> {
        (self.page.offset + self.page.limit < self.queue.total)
            .then_some(self.page.offset + self.page.limit)
    }
}

/// A reviewer's queue: the reviews assigned to them, to do first.
async fn reviews(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let show = params::get(&p, "show").unwrap_or_default();
    let done = match show.as_str() {
        "" => None,
        "to_do" => Some(false),
        "done" => Some(true),
        _ => return Err(FieldError::new("show", "must be to_do or done").into()),
    };
    let page = params::page(&p)?;
    let queue = lists::review_queue(&st.app, &me, done, page).await?;
    render(ReviewsPage {
        c,
        queue,
        show,
        page,
    })
}

fn back(c: &Chrome, id: i64) -> PageResult {
    Ok(Redirect::to(&c.href(&format!("/applications/{id}"))).into_response())
}

/// The reviewer, chosen by name or e-mail (the suggestion or choice picked sets
/// `reviewer_value`).
#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    reviewer: String,
    #[serde(alias = "reviewer_id")]
    reviewer_value: Option<String>,
}

/// Assigns a reviewer chosen by name. A name that matches several people or nobody, or a
/// refused assignment, goes back to the application's page with the typed name kept and
/// the reason or the choices beside the field (the page resolves the name again).
async fn assign(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let r = lists::resolve(
        &st.app,
        Some(&me),
        PickKind::User,
        &f.reviewer,
        f.reviewer_value.as_deref(),
    )
    .await?;
    let again = |typed: &str, refused: Option<&str>| {
        let mut to = format!("/applications/{id}?reviewer={}", urlencode(typed));
        if let Some(r) = refused {
            to.push_str(&format!("&reviewer_refused={}", urlencode(r)));
        }
        Ok(Redirect::to(&format!("{}#reviewers", c.href(&to))).into_response())
    };
    let Resolved::One(user) = r else {
        return again(&f.reviewer, None);
    };
    let Ok(user_id) = user.value.parse::<i64>() else {
        return again(&f.reviewer, None);
    };
    match selection::assign(&st.app, &me, id, user_id).await {
        Ok(()) => back(&c, id),
        Err(AppError::Invalid(e)) => again(&user.label, Some(&c.reason(&e))),
        Err(e) => Err(e.into()),
    }
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
    let mut typed: Vec<(&String, &String)> =
        f.iter().filter(|(k, _)| k.starts_with("amount_")).collect();
    typed.sort_by(|a, b| b.0.cmp(a.0));
    // A refused proposal goes back to the application's page with the amounts as typed and
    // the reason beside the form (the page reads them from the query).
    let again = |field: &str, reason: &str| {
        let mut to = format!(
            "/applications/{id}?proposal_field={}&proposal_refused={}",
            urlencode(field),
            urlencode(reason)
        );
        for (k, v) in &typed {
            to.push_str(&format!("&{}={}", urlencode(k), urlencode(v)));
        }
        Ok(Redirect::to(&format!("{}#propose", c.href(&to))).into_response())
    };
    let mut lines = Vec::new();
    for (k, v) in &typed {
        match params::euros(k, v, false) {
            Ok(amount_cents) => lines.push(FundingLine {
                funder: k.trim_start_matches("amount_").to_string(),
                amount_cents,
            }),
            Err(e) => return again(&e.field, &c.reason(&e)),
        }
    }
    match selection::propose(&st.app, &me, id, &lines).await {
        Ok(_) => back(&c, id),
        Err(AppError::Invalid(e)) => {
            // `lines[k].amount_cents` names the line: point at its funder's field.
            let field = e
                .field
                .strip_prefix("lines[")
                .and_then(|r| r.split(']').next())
                .and_then(|k| k.parse::<usize>().ok())
                .and_then(|k| lines.get(k))
                .map_or(e.field.clone(), |l| format!("amount_{}", l.funder));
            again(&field, &c.reason(&e))
        }
        Err(e) => Err(e.into()),
    }
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

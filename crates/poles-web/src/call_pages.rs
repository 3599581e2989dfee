//! Pages of calls and applications: a call's rules with their sources, an application with
//! its eligibility explained rule by rule and its aid, the printable label letter, the inbox.

use crate::account_pages::err;
use crate::auth::Caller;
use crate::error::{ApiError, PageError};
use crate::pages::Chrome;
use crate::signed_in;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use poles_core::model::Call;
use poles_store::applications::{self as apps, Application};
use poles_store::calls as calls_store;
use poles_store::inbox::{self, Notification};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls", get(calls))
        .route("/calls/{slug}", get(call))
        .route("/applications/{id}", get(application))
        .route(
            "/applications/{id}/label-letter/{cluster}",
            get(label_letter),
        )
        .route("/inbox", get(inbox_page))
}

type PageResult = Result<Response, PageError>;

fn page(t: impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok((StatusCode::OK, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    c: Chrome,
    calls: Vec<Call>,
    funded: Vec<poles_store::followup::FundedProject>,
}

impl CallsPage {
    fn euros<T: std::borrow::Borrow<i64>>(&self, cents: T) -> String {
        poles_core::format_amount(*cents.borrow(), poles_core::Currency::Eur, self.c.t.lang)
    }
}

async fn calls(State(st): State<AppState>, c: Chrome) -> PageResult {
    let calls = calls_store::list(&st.db).await.map_err(|e| err(&c, e))?;
    let funded = poles_store::followup::funded_projects(&st.db)
        .await
        .map_err(|e| err(&c, e))?;
    page(CallsPage { c, calls, funded })
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    c: Chrome,
    k: Call,
}

impl CallPage {
    fn pct<T: std::borrow::Borrow<i64>>(&self, bp: T) -> String {
        poles_core::calls::pct(*bp.borrow(), self.c.t.lang)
    }
}

async fn call(State(st): State<AppState>, c: Chrome, Path(slug): Path<String>) -> PageResult {
    let k = calls_store::get(&st.db, &slug)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("call")))?;
    page(CallPage { c, k })
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    c: Chrome,
    a: Application,
}

impl ApplicationPage {
    fn euros<T: std::borrow::Borrow<i64>>(&self, cents: T) -> String {
        poles_core::format_amount(*cents.borrow(), poles_core::Currency::Eur, self.c.t.lang)
    }

    fn pct(&self, bp: &Option<i64>) -> String {
        bp.map(|b| poles_core::calls::pct(b, self.c.t.lang))
            .unwrap_or_else(|| "—".into())
    }

    fn outcome(&self, o: &poles_core::calls::Outcome) -> &'static str {
        match o {
            poles_core::calls::Outcome::Pass => "pass",
            poles_core::calls::Outcome::Fail => "fail",
            poles_core::calls::Outcome::Warning => "warning",
        }
    }
}

async fn application(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = crate::params::path_id(&id, "application").map_err(|e| err(&c, e))?;
    let (orgs, clusters) = apps::participants(&st.db, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let cap = me
        .allowed(&st, me.actor.application_read(&orgs, &clusters))
        .await
        .map_err(|e| err(&c, e))?;
    let a = apps::get(&st.db, &cap, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    page(ApplicationPage { c, a })
}

#[derive(Template)]
#[template(path = "label_letter.html")]
struct LabelLetter {
    c: Chrome,
    a: Application,
    cluster_name: String,
    decided_on: String,
    lead: bool,
    reasons: Option<String>,
}

/// The printable letter by which a cluster certifies that it labelled a project.
async fn label_letter(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path((id, cluster)): Path<(String, String)>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = crate::params::path_id(&id, "application").map_err(|e| err(&c, e))?;
    let (orgs, clusters) = apps::participants(&st.db, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let cap = me
        .allowed(&st, me.actor.application_read(&orgs, &clusters))
        .await
        .map_err(|e| err(&c, e))?;
    let a = apps::get(&st.db, &cap, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let l = a
        .labellings
        .iter()
        .find(|l| l.cluster == cluster && l.status == "labelled")
        .cloned()
        .ok_or_else(|| err(&c, ApiError::NotFound("label")))?;
    page(LabelLetter {
        c,
        cluster_name: l.cluster_name.clone(),
        decided_on: l.decided_on.clone().unwrap_or_default(),
        lead: l.lead,
        reasons: l.reasons.clone(),
        a,
    })
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    items: Vec<Notification>,
}

async fn inbox_page(State(st): State<AppState>, c: Chrome, caller: Caller) -> PageResult {
    let me = signed_in!(c, caller);
    let items = inbox::inbox(&st.db, &me.actor.self_service())
        .await
        .map_err(|e| err(&c, e))?;
    page(InboxPage { c, items })
}

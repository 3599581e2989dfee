//! Pages of calls and applications: a call's rules with their sources, an application with
//! its eligibility explained rule by rule and its aid, the printable label letter, the inbox.

use crate::account_pages::{allowed, err};
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
        .route("/clusters/{slug}/labelling-requests", get(cluster_requests))
}

pub(crate) type PageResult = Result<Response, PageError>;

/// Renders a page; a template failure is logged and answered 500.
pub(crate) fn page(t: impl Template) -> PageResult {
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
    /// The organisations the signed-in user may apply for.
    fn my_orgs(&self) -> Vec<i64> {
        self.c
            .actor
            .as_ref()
            .map(|a| a.organisations())
            .unwrap_or_default()
    }

    fn pct<T: std::borrow::Borrow<i64>>(&self, bp: T) -> String {
        poles_core::calls::pct(*bp.borrow(), self.c.t.lang)
    }

    fn optimise_href(&self) -> String {
        self.c.href(&format!("/calls/{}/optimise", self.k.slug))
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
    proposals: Vec<apps::Proposal>,
    reviewers: Vec<i64>,
    review: Option<poles_store::selection::ReviewView>,
    criteria: Vec<poles_core::model::Criterion>,
    funders: Vec<String>,
    kinds: Vec<(&'static str, String)>,
}

impl ApplicationPage {
    fn actor(&self) -> Option<&poles_core::auth::Actor> {
        self.c.actor.as_ref()
    }

    fn draft(&self) -> bool {
        self.a.status == "draft"
    }

    fn is_lead(&self) -> bool {
        self.actor()
            .is_some_and(|a| a.applicant_for(self.a.lead_organisation_id).is_ok())
    }

    fn can_answer(&self, p: &poles_store::applications::ApplicationPartner) -> bool {
        self.draft()
            && p.invitation != "declined"
            && self
                .actor()
                .is_some_and(|a| a.applicant_for(p.organisation_id).is_ok())
    }

    fn can_budget(&self, p: &poles_store::applications::ApplicationPartner) -> bool {
        self.draft()
            && (self.is_lead()
                || self
                    .actor()
                    .is_some_and(|a| a.applicant_for(p.organisation_id).is_ok()))
    }

    fn can_decide(&self, l: &poles_store::applications::LabellingRequest) -> bool {
        l.status == "requested"
            && self
                .actor()
                .is_some_and(|a| a.labelling_decision(&l.cluster).is_ok())
    }

    fn is_officer(&self) -> bool {
        self.actor().is_some_and(|a| a.selection_officer().is_ok())
    }

    fn is_reviewer(&self) -> bool {
        self.actor()
            .is_some_and(|a| a.reviewing().is_ok() && self.reviewers.contains(&a.user_id))
    }

    fn criteria_or_overall(&self) -> Vec<(i64, String)> {
        if self.criteria.is_empty() {
            vec![(1, self.c.t.t("review.overall").to_string())]
        } else {
            self.criteria
                .iter()
                .map(|k| {
                    (
                        k.position,
                        self.c.t.pick2(&k.name_fr, &k.name_en).to_string(),
                    )
                })
                .collect()
        }
    }

    fn cents_as_euros(&self, cents: &i64) -> String {
        format!("{}", cents / 100)
    }

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
    let parts = apps::participants(&st.db, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let cap = me
        .allowed(
            &st,
            me.actor
                .application_read(&parts.organisations, &parts.clusters, &parts.reviewers),
        )
        .await
        .map_err(|e| err(&c, e))?;
    let a = apps::get(&st.db, &cap, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let proposals = apps::proposals(&st.db, id).await.map_err(|e| err(&c, e))?;
    let review = match me.actor.reviewing() {
        Ok(r) if parts.reviewers.contains(&me.actor.user_id) => Some(
            poles_store::selection::review_view(&st.db, &r, id)
                .await
                .map_err(|e| err(&c, e))?,
        ),
        _ => None,
    };
    let call = calls_store::get(&st.db, &a.call)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("call")))?;
    let kinds = poles_core::OrgKind::ALL
        .iter()
        .map(|k| (k.as_str(), c.kind(k)))
        .collect();
    page(ApplicationPage {
        proposals,
        reviewers: parts.reviewers,
        review,
        criteria: call.criteria,
        funders: call.funders.into_iter().map(|f| f.funder).collect(),
        kinds,
        c,
        a,
    })
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
    let parts = apps::participants(&st.db, id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::NotFound("application")))?;
    let cap = me
        .allowed(
            &st,
            me.actor
                .application_read(&parts.organisations, &parts.clusters, &parts.reviewers),
        )
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

#[derive(Template)]
#[template(path = "labelling_requests.html")]
struct RequestsPage {
    c: Chrome,
    cluster: String,
    items: Vec<poles_store::applications::LabellingRequest>,
}

/// A cluster's labelling requests, for its managers.
async fn cluster_requests(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(slug): Path<String>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.labelling_decision(&slug)).await?;
    let items = apps::requests_of_cluster(&st.db, &cap)
        .await
        .map_err(|e| err(&c, e))?;
    page(RequestsPage {
        c,
        cluster: slug,
        items,
    })
}

//! The pages of applications: an application with its eligibility explained rule by rule
//! and its aid, the printable label letter, a cluster's labelling requests; and the HTML
//! forms of a project's path through a call (applying, the consortium, budgets, labelling,
//! submission). Each form calls the same use case as the API, then goes back to the
//! application.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params;
use crate::ui::chrome::Chrome;
use crate::ui::render::{render, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::access::{Ability, REGIONAL_FUNDER};
use poles_app::applications::{
    self as apps, Answer, Application, ApplicationPartner, ApplicationView, Budget,
    CreateApplication, Decision, LabelLetter, LabellingRequest, NewApplication, Proposal,
    ReviewView, StatusReason, Submission,
};
use poles_app::{AppError, Caller};
use poles_core::calls::{Costs, Outcome};
use poles_core::model::Criterion;
use poles_core::status::{ApplicationStatus, Invitation, LabellingStatus, ProposalStatus};
use poles_core::transitions::{ApplicationAction, ProposalAction};
use poles_core::{Date, FieldError};
use serde::Deserialize;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/applications/{id}", get(application))
        .route(
            "/applications/{id}/label-letter/{cluster}",
            get(label_letter),
        )
        .route("/clusters/{slug}/labelling-requests", get(cluster_requests))
        .route("/calls/{slug}/apply", post(apply))
        .route("/applications/{id}/invite", post(invite))
        .route("/applications/{id}/partners/{org}/answer", post(answer))
        .route("/applications/{id}/partners/{org}/budget", post(budget))
        .route("/applications/{id}/labelling", post(request_label))
        .route("/applications/{id}/labelling/{cluster}", post(decide_label))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/applications/{id}/reopen", post(reopen))
        .route("/applications/{id}/ineligible", post(declare_ineligible))
        .route("/applications/{id}/reject", post(reject))
        .route(
            "/applications/{id}/proposals/{pid}/withdraw",
            post(withdraw_proposal),
        )
        .route(
            "/applications/{id}/proposals/{pid}/reject",
            post(reject_proposal),
        )
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    c: Chrome,
    a: Application,
    proposals: Vec<Proposal>,
    review: Option<ReviewView>,
    criteria: Vec<Criterion>,
    funders: Vec<String>,
    kinds: Vec<(&'static str, String)>,
    submissions: Vec<Submission>,
    /// A refused change of status: the form it came from, its message, the reason typed.
    problem: Option<Problem>,
}

/// A change of status the use case refused, shown next to its form with the reason kept.
struct Problem {
    /// The form: `withdraw`, `reopen`, `ineligible`, `reject`, `proposal-withdraw-ID`, …
    form: String,
    message: String,
    reason: String,
}

impl ApplicationPage {
    /// The refusal to show next to `form`, if it came from there.
    fn problem_at(&self, form: &str) -> Option<&Problem> {
        self.problem.as_ref().filter(|p| p.form == form)
    }

    /// A refusal whose form the page no longer offers (the status changed meanwhile): shown
    /// at the top of the status changes.
    fn problem_elsewhere(&self) -> Option<&Problem> {
        let p = self.problem.as_ref()?;
        let shown = match p.form.as_str() {
            "reopen" => self.can_reopen(),
            "withdraw" => self.can_withdraw(),
            "ineligible" | "reject" => self.can_decide_status(),
            form => self
                .proposals
                .iter()
                .any(|q| self.proposal_forms(q).iter().any(|(_, _, f)| f == form)),
        };
        (!shown).then_some(p)
    }

    /// The day of a stored instant (`YYYY-MM-DDTHH:MM:SSZ`).
    fn day<'s>(&self, at: &'s str) -> &'s str {
        at.get(..10).unwrap_or(at)
    }

    /// The reason typed into `form` before it was refused.
    fn kept(&self, form: &str) -> &str {
        self.problem_at(form).map_or("", |p| p.reason.as_str())
    }

    /// The lead may withdraw (draft or submitted; the store checks approved funding).
    fn can_withdraw(&self) -> bool {
        self.is_lead() && self.a.status.after(ApplicationAction::Withdraw).is_some()
    }

    fn can_reopen(&self) -> bool {
        self.is_lead() && self.a.status.after(ApplicationAction::Reopen).is_some()
    }

    /// An officer may declare ineligible or reject (both from the same statuses).
    fn can_decide_status(&self) -> bool {
        self.is_officer() && self.a.status.after(ApplicationAction::Reject).is_some()
    }

    /// The officers' decisions on the application: (form, label).
    fn officer_forms(&self) -> [(&'static str, &'static str); 2] {
        [
            ("ineligible", "tr.declare_ineligible"),
            ("reject", "tr.reject"),
        ]
    }

    /// The ways out of an open proposal the caller may take: (action, label, form).
    fn proposal_forms(&self, p: &Proposal) -> Vec<(&'static str, &'static str, String)> {
        if p.status != ProposalStatus::Proposed {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.c.may(Ability::WithdrawProposal(p.proposed_by)) {
            out.push(("withdraw", "tr.proposal_withdraw"));
        }
        if self.c.may(Ability::RejectProposal(p.proposed_by)) {
            out.push(("reject", "tr.proposal_reject"));
        }
        out.into_iter()
            .map(|(action, label)| (action, label, format!("proposal-{action}-{}", p.id)))
            .collect()
    }

    fn draft(&self) -> bool {
        self.a.status == ApplicationStatus::Draft
    }

    fn is_lead(&self) -> bool {
        self.c.may(Ability::ApplyFor(self.a.lead_organisation_id))
    }

    fn can_answer(&self, p: &ApplicationPartner) -> bool {
        self.draft()
            && p.invitation != Invitation::Declined
            && self.c.may(Ability::ApplyFor(p.organisation_id))
    }

    fn can_budget(&self, p: &ApplicationPartner) -> bool {
        self.draft() && (self.is_lead() || self.c.may(Ability::ApplyFor(p.organisation_id)))
    }

    fn can_decide(&self, l: &LabellingRequest) -> bool {
        l.status == LabellingStatus::Requested && self.c.may(Ability::LabelFor(&l.cluster))
    }

    fn is_officer(&self) -> bool {
        self.c.may(Ability::RunSelection)
    }

    /// A region officer who decides this application's regional line (its R&D is in their
    /// region); not a selection officer, who decides every line.
    fn decides_regional(&self) -> bool {
        let regions: Vec<String> = self
            .a
            .partners
            .iter()
            .filter(|p| p.invitation != Invitation::Declined)
            .filter_map(|p| p.rd_region.clone())
            .collect();
        !self.is_officer() && self.c.may(Ability::DecideRegionalFunding(&regions))
    }

    /// The funders whose amounts the caller proposes: every funder of the call for a
    /// selection officer, the regional co-funder alone for a region officer.
    fn proposal_funders(&self) -> Vec<&String> {
        let all = self.is_officer();
        self.funders
            .iter()
            .filter(|f| all || f.as_str() == REGIONAL_FUNDER)
            .collect()
    }

    fn yes_no(&self, b: &bool) -> &str {
        self.c.t.t(if *b { "app.yes" } else { "app.no" })
    }

    /// An assigned reviewer with the reviewer role: the use case gives them their review.
    fn is_reviewer(&self) -> bool {
        self.c.may(Ability::Review) && self.review.is_some()
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
        poles_core::format_amount(*cents.borrow(), poles_core::Currency::Eur, self.c.lang())
    }

    fn pct(&self, bp: &Option<i64>) -> String {
        bp.map(|b| poles_core::calls::pct(b, self.c.lang()))
            .unwrap_or_else(|| "—".into())
    }

    fn outcome(&self, o: &Outcome) -> &'static str {
        match o {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warning => "warning",
        }
    }
}

async fn application(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    show(&st, c, &me, id, None).await
}

/// The application's page; with a refused change of status, the same page again, the
/// refusal next to its form (400 or 409).
async fn show(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    problem: Option<(Problem, StatusCode)>,
) -> PageResult {
    let ApplicationView {
        application,
        proposals,
        review,
        criteria,
        funders,
        submissions,
    } = apps::view(&st.app, me, id).await?;
    let kinds = poles_core::OrgKind::ALL
        .iter()
        .map(|k| (k.as_str(), c.kind(k)))
        .collect();
    let (problem, status) = match problem {
        Some((p, status)) => (Some(p), status),
        None => (None, StatusCode::OK),
    };
    Ok(render_with(
        ApplicationPage {
            c,
            a: application,
            proposals,
            review,
            criteria,
            funders,
            kinds,
            submissions,
            problem,
        },
        status,
    ))
}

#[derive(Template)]
#[template(path = "label_letter.html")]
struct LabelLetterPage {
    c: Chrome,
    a: Application,
    cluster_name: String,
    decided_on: Option<Date>,
    lead: bool,
    reasons: Option<String>,
}

/// The printable letter by which a cluster certifies that it labelled a project.
async fn label_letter(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, cluster)): Path<(String, String)>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let LabelLetter { application, label } = apps::label_letter(&st.app, &me, id, &cluster).await?;
    render(LabelLetterPage {
        c,
        cluster_name: label.cluster_name,
        decided_on: label.decided_on,
        lead: label.lead,
        reasons: label.reasons,
        a: application,
    })
}

#[derive(Template)]
#[template(path = "labelling_requests.html")]
struct RequestsPage {
    c: Chrome,
    cluster: String,
    items: Vec<LabellingRequest>,
}

/// A cluster's labelling requests, for its managers.
async fn cluster_requests(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> PageResult {
    let items = apps::cluster_requests(&st.app, &me, &slug).await?;
    render(RequestsPage {
        c,
        cluster: slug,
        items,
    })
}

/// Back to the application's page.
fn back(c: &Chrome, id: i64) -> PageResult {
    Ok(Redirect::to(&c.href(&format!("/applications/{id}"))).into_response())
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
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<ApplyForm>,
) -> PageResult {
    let duration_months = match f
        .duration_months
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => Some(
            d.parse::<i64>()
                .ok()
                .ok_or_else(|| FieldError::new("duration_months", "must be a number of months"))?,
        ),
        None => None,
    };
    let a = CreateApplication {
        lead_organisation_id: f.lead_organisation_id,
        application: NewApplication {
            acronym: f.acronym,
            title: f.title,
            summary_fr: f.summary_fr,
            summary_en: f.summary_en,
            keywords: f.keywords,
            duration_months,
        },
    };
    let id = apps::create(&st.app, &me, &slug, &a).await?;
    back(&c, id)
}

#[derive(Deserialize)]
struct InviteForm {
    organisation_id: i64,
}

async fn invite(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    apps::invite(&st.app, &me, id, f.organisation_id).await?;
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
    SignedIn(me): SignedIn,
    Path((id, org)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    let a = Answer {
        accept: f.accept == "yes",
        declared_kind: f.declared_kind.filter(|k| !k.is_empty()),
        independent: f.independent.is_some(),
        marginal_cost: f.marginal_cost.is_some(),
    };
    apps::answer(&st.app, &me, id, org, &a).await?;
    back(&c, id)
}

#[derive(Deserialize)]
struct BudgetForm {
    staff: String,
    equipment: String,
    subcontracting: String,
    overheads: String,
    rd_commune: Option<String>,
}

async fn budget(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, org)): Path<(String, String)>,
    Form(f): Form<BudgetForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let org = params::path_id(&org, "partner")?;
    let euros = |field: &str, raw: &str| params::euros(field, raw, false);
    let b = Budget {
        costs: Costs {
            staff: euros("staff", &f.staff)?,
            equipment: euros("equipment", &f.equipment)?,
            subcontracting: euros("subcontracting", &f.subcontracting)?,
            overheads: euros("overheads", &f.overheads)?,
        },
        rd_commune: f
            .rd_commune
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().to_string()),
    };
    apps::set_budget(&st.app, &me, id, org, &b).await?;
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
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<LabelForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    apps::request_label(&st.app, &me, id, f.cluster.trim(), f.lead.is_some()).await?;
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
    SignedIn(me): SignedIn,
    Path((id, cluster)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let d = Decision {
        labelled: f.labelled == "yes",
        reasons: f.reasons,
        decided_on: f.decided_on,
    };
    apps::decide(&st.app, &me, id, &cluster, &d).await?;
    back(&c, id)
}

async fn submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    apps::submit(&st.app, &me, id).await?;
    back(&c, id)
}

#[derive(Deserialize, Default)]
struct ReasonForm {
    reason: Option<String>,
}

/// After a change of status: back to the application, or — when the use case refused it
/// for its input or for the status as it stands — the same page with the refusal next to the
/// form and the reason kept. Other errors are the site's error pages.
async fn after_change(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    form: String,
    reason: Option<String>,
    done: Result<(), AppError>,
) -> PageResult {
    let (message, status) = match done {
        Ok(()) => return back(&c, id),
        Err(AppError::Invalid(e)) if e.field == "reason" => {
            (c.t.t("tr.reason_rule").to_string(), StatusCode::BAD_REQUEST)
        }
        Err(AppError::Invalid(e)) => (
            format!("{}: {}", e.field, e.reason),
            StatusCode::BAD_REQUEST,
        ),
        Err(AppError::Refused { code, reason }) => {
            let text = match code {
                "illegal_transition" => c.t.t("tr.illegal"),
                "deadline_passed" => c.t.t("tr.deadline_passed"),
                _ => "",
            };
            (format!("{text} ({})", reason.reason), StatusCode::CONFLICT)
        }
        Err(e) => return Err(e.into()),
    };
    let problem = Problem {
        form,
        message,
        reason: reason.unwrap_or_default(),
    };
    show(st, c, me, id, Some((problem, status))).await
}

async fn withdraw(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let r = StatusReason { reason: f.reason };
    let done = apps::withdraw(&st.app, &me, id, &r).await.map(drop);
    after_change(&st, c, &me, id, "withdraw".into(), r.reason, done).await
}

async fn reopen(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let done = apps::reopen(&st.app, &me, id).await.map(drop);
    after_change(&st, c, &me, id, "reopen".into(), None, done).await
}

async fn decide(
    st: AppState,
    c: Chrome,
    me: Caller,
    id: String,
    action: ApplicationAction,
    f: ReasonForm,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let r = StatusReason { reason: f.reason };
    let done = apps::decide_status(&st.app, &me, id, action, &r)
        .await
        .map(drop);
    let form = match action {
        ApplicationAction::DeclareIneligible => "ineligible",
        _ => "reject",
    };
    after_change(&st, c, &me, id, form.into(), r.reason, done).await
}

async fn declare_ineligible(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    decide(st, c, me, id, ApplicationAction::DeclareIneligible, f).await
}

async fn reject(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    decide(st, c, me, id, ApplicationAction::Reject, f).await
}

async fn close_proposal(
    st: AppState,
    c: Chrome,
    me: Caller,
    (id, pid): (String, String),
    action: ProposalAction,
    f: ReasonForm,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let pid = params::path_id(&pid, "proposal")?;
    let done = poles_app::selection::close_proposal(&st.app, &me, pid, action, f.reason.as_deref())
        .await
        .map(drop);
    let form = format!("proposal-{}-{pid}", action.as_str());
    after_change(&st, c, &me, id, form, f.reason, done).await
}

async fn withdraw_proposal(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(ids): Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    close_proposal(st, c, me, ids, ProposalAction::Withdraw, f).await
}

async fn reject_proposal(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(ids): Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    close_proposal(st, c, me, ids, ProposalAction::Reject, f).await
}

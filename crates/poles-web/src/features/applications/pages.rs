//! The pages of applications: an application with its eligibility explained rule by rule
//! and its aid, the printable label letter, a cluster's labelling requests; and the HTML
//! forms of a project's path through a call (applying, the consortium, budgets, labelling,
//! submission). Each form calls the same use case as the API, then goes back to the
//! application.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::format::urlencode;
use crate::ui::picker::Picker;
use crate::ui::render::{render, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
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
use poles_app::partners::{self, ConsortiumHelp};
use poles_app::worklists::{
    self as lists, LabellingQueue, ListQuery, MyApplications, PickKind, Resolved, Sort,
};
use poles_app::{AppError, Caller};
use poles_core::calls::{Costs, Outcome};
use poles_core::model::Criterion;
use poles_core::status::{ApplicationStatus, Invitation, LabellingStatus, ProposalStatus};
use poles_core::transitions::{ApplicationAction, ProposalAction};
use poles_core::{Date, FieldError};
use serde::Deserialize;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/applications", get(my_applications))
        .route("/applications/{id}", get(application))
        .route(
            "/applications/{id}/label-letter/{cluster}",
            get(label_letter),
        )
        .route("/clusters/{slug}/labelling-requests", get(cluster_requests))
        .route("/calls/{slug}/apply", get(apply_form).post(apply))
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
    /// The name pickers of the page's forms and the refusals shown beside their fields.
    invite: Picker,
    label: Picker,
    label_lead: bool,
    communes: HashMap<i64, Picker>,
    budget_note: Option<BudgetNote>,
    submit_error: Option<String>,
    reviewer: Picker,
    proposal: Option<ProposalNote>,
    /// On a draft, for its lead: what the call's rules still require of the consortium and
    /// suggested partners.
    help: Option<ConsortiumHelp>,
}

/// A refused funding proposal: the amounts as typed, the field at fault and why.
#[derive(Default)]
struct ProposalNote {
    field: String,
    error: String,
    amounts: HashMap<String, String>,
}

/// A refused budget form: the partner, what was typed, and why.
struct BudgetNote {
    organisation_id: i64,
    form: BudgetForm,
    error: String,
}

/// What a refused form brings back to the application's page.
#[derive(Default)]
struct Refusal {
    invite: Option<Picker>,
    label: Option<Picker>,
    label_lead: bool,
    commune: Option<(i64, Picker)>,
    budget: Option<BudgetNote>,
    submit_error: Option<String>,
    reviewer: Option<Picker>,
    problem: Option<Problem>,
    proposal: Option<ProposalNote>,
}

impl ApplicationPage {
    /// The missing kind the `i`-th suggestion fills, if any.
    fn fills(&self, i: &usize) -> Option<&str> {
        self.help
            .as_ref()
            .and_then(|h| h.fills.get(*i))
            .and_then(|f| f.as_deref())
    }

    fn commune_picker(&self, org: &i64) -> Picker {
        self.communes
            .get(org)
            .cloned()
            .unwrap_or_else(|| Picker::new("rd_commune", PickKind::Commune))
    }

    /// The budget field as typed in a refused form of this partner, else as stored.
    fn budget_value(&self, p: &ApplicationPartner, field: &str) -> String {
        if let Some(n) = self
            .budget_note
            .as_ref()
            .filter(|n| n.organisation_id == p.organisation_id)
        {
            return match field {
                "staff" => n.form.staff.clone(),
                "equipment" => n.form.equipment.clone(),
                "subcontracting" => n.form.subcontracting.clone(),
                _ => n.form.overheads.clone(),
            };
        }
        let cents = match field {
            "staff" => p.costs.staff,
            "equipment" => p.costs.equipment,
            "subcontracting" => p.costs.subcontracting,
            _ => p.costs.overheads,
        };
        format!("{}", cents / 100)
    }

    fn budget_error(&self, org: &i64) -> Option<&str> {
        self.budget_note
            .as_ref()
            .filter(|n| n.organisation_id == *org)
            .map(|n| n.error.as_str())
    }

    fn deadline(&self) -> String {
        self.c.deadline(&self.a.call_deadline)
    }

    fn follow_up_href(&self) -> String {
        self.c
            .href(&format!("/applications/{}/follow-up", self.a.id))
    }

    /// Funding was decided: the follow-up page has something to show.
    fn decided(&self) -> bool {
        matches!(
            self.a.status,
            ApplicationStatus::Selected
                | ApplicationStatus::Running
                | ApplicationStatus::Closed
                | ApplicationStatus::Lapsed
                | ApplicationStatus::Abandoned
        )
    }

    /// A funder's amount as typed in a refused proposal.
    fn proposal_value(&self, funder: &str) -> &str {
        self.proposal
            .as_ref()
            .and_then(|n| n.amounts.get(&format!("amount_{funder}")))
            .map_or("", String::as_str)
    }

    /// Why the proposal was refused, when `funder`'s field is at fault.
    fn proposal_error(&self, funder: &str) -> Option<&str> {
        self.proposal
            .as_ref()
            .filter(|n| n.field == format!("amount_{funder}"))
            .map(|n| n.error.as_str())
    }

    /// Why the proposal was refused, when no one field is at fault.
    fn proposal_error_elsewhere(&self) -> Option<&str> {
        self.proposal
            .as_ref()
            .filter(|n| {
                !self
                    .funders
                    .iter()
                    .any(|f| n.field == format!("amount_{f}"))
            })
            .map(|n| n.error.as_str())
    }
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
    Query(p): Query<Params>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    // A reviewer assignment that did not go through comes back with the typed name (and the
    // reason it was refused): the name is resolved again to list the choices.
    let reviewer = match p.get("reviewer") {
        Some(typed) if c.may(Ability::RunSelection) => {
            let kind = PickKind::User;
            Some(match params::get(&p, "reviewer_refused") {
                Some(reason) => Picker::refused("reviewer", kind, typed, reason),
                None => {
                    let r = lists::resolve(&st.app, Some(&me), kind, typed, None).await?;
                    match r {
                        Resolved::One(_) => Picker::refused(
                            "reviewer",
                            kind,
                            typed,
                            c.t.t("picker.many").to_string(),
                        ),
                        r => Picker::unresolved(&c, "reviewer", kind, typed, r),
                    }
                }
            })
        }
        _ => None,
    };
    let proposal = params::get(&p, "proposal_refused").map(|error| ProposalNote {
        field: params::get(&p, "proposal_field").unwrap_or_default(),
        error,
        amounts: p
            .iter()
            .filter(|(k, _)| k.starts_with("amount_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    let r = Refusal {
        reviewer,
        proposal,
        ..Refusal::default()
    };
    show(&st, c, &me, id, r, StatusCode::OK).await
}

/// The application's page, with a refused form's input and reason when there is one.
async fn show(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    r: Refusal,
    status: StatusCode,
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
    // Each partner's R&D commune, shown by its name.
    let mut communes = HashMap::new();
    for p in &application.partners {
        if let Some(code) = &p.rd_commune {
            let label = lists::name_of(&st.app, Some(me), PickKind::Commune, code)
                .await?
                .map_or_else(|| code.clone(), |s| s.label);
            communes.insert(
                p.organisation_id,
                Picker::with("rd_commune", PickKind::Commune, &label, code),
            );
        }
    }
    if let Some((org, p)) = r.commune {
        communes.insert(org, p);
    }
    let help = if application.status == ApplicationStatus::Draft
        && poles_app::access::may(
            Some(&me.actor),
            Ability::ApplyFor(application.lead_organisation_id),
        ) {
        // Suggestions are a help, not the page: when they cannot be computed (the search
        // limit reached), the page shows the rest.
        partners::for_application(&st.app, me, &me.origin, id)
            .await
            .ok()
    } else {
        None
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
            problem: r.problem,
            invite: r
                .invite
                .unwrap_or_else(|| Picker::new("organisation", PickKind::Organisation)),
            label: r
                .label
                .unwrap_or_else(|| Picker::new("cluster", PickKind::Cluster)),
            label_lead: r.label_lead,
            communes,
            budget_note: r.budget,
            submit_error: r.submit_error,
            reviewer: r
                .reviewer
                .unwrap_or_else(|| Picker::new("reviewer", PickKind::User)),
            proposal: r.proposal,
            help,
        },
        status,
    ))
}

/// A refusal to show beside a field (the use case's reason), or the error itself when it is
/// not a refused input (not found, forbidden…: an error page).
fn refused_reason(c: &Chrome, e: AppError) -> Result<String, AppError> {
    match e {
        AppError::Invalid(f) => Ok(c.reason(&f)),
        AppError::Conflict { .. } => Ok(e.to_string()),
        other => Err(other),
    }
}

#[derive(Template)]
#[template(path = "my_applications.html")]
struct MyApplicationsPage {
    c: Chrome,
    list: MyApplications,
    status: String,
    sort: String,
    page: poles_core::Page,
}

impl MyApplicationsPage {
    fn filter_href(&self, status: &str) -> String {
        self.c.href(&format!(
            "/applications?status={}&sort={}",
            urlencode(status),
            urlencode(&self.sort)
        ))
    }

    fn page_href(&self, offset: &i64) -> String {
        self.c.href(&format!(
            "/applications?status={}&sort={}&offset={offset}",
            urlencode(&self.status),
            urlencode(&self.sort)
        ))
    }

    fn prev_offset(&self) -> Option<i64> {
        (self.page.offset > 0).then(|| (self.page.offset - self.page.limit).max(0))
    }

    fn next_offset(&self) -> Option<i64> {
        (self.page.offset + self.page.limit < self.list.total)
            .then_some(self.page.offset + self.page.limit)
    }

    fn call_name(&self, l: &poles_app::worklists::ApplicationLine) -> String {
        self.c.t.pick2(&l.call_name_fr, &l.call_name_en).to_string()
    }

    fn sorted(&self, k: &str) -> bool {
        self.sort == k
    }

    fn all_count(&self) -> i64 {
        self.list.counts.iter().map(|c| c.count).sum()
    }
}

/// A list's query from the page's parameters: `status`, `sort`, `limit`, `offset`.
fn list_query(p: &Params) -> Result<ListQuery, crate::http::error::PageError> {
    let status = params::get(p, "status")
        .map(|s| ApplicationStatus::parse("status", &s))
        .transpose()?;
    let sort = match params::get(p, "sort").as_deref() {
        None | Some("recent") => Sort::Recent,
        Some("acronym") => Sort::Acronym,
        Some("status") => Sort::Status,
        Some("deadline") => Sort::Deadline,
        Some(_) => {
            return Err(
                FieldError::new("sort", "must be recent, acronym, status or deadline").into(),
            )
        }
    };
    Ok(ListQuery {
        status,
        sort,
        page: params::page(p)?,
    })
}

/// "My applications": the applications of the caller's organisations with their next step.
async fn my_applications(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let q = list_query(&p)?;
    let list = lists::my_applications(&st.app, &me, &q).await?;
    render(MyApplicationsPage {
        c,
        list,
        status: params::get(&p, "status").unwrap_or_default(),
        sort: params::get(&p, "sort").unwrap_or_else(|| "recent".into()),
        page: q.page,
    })
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
    queue: LabellingQueue,
    status: String,
    page: poles_core::Page,
}

impl RequestsPage {
    fn filter_href(&self, status: &str) -> String {
        self.c.href(&format!(
            "/clusters/{}/labelling-requests?status={}",
            self.cluster,
            urlencode(status)
        ))
    }

    fn page_href(&self, offset: &i64) -> String {
        self.c.href(&format!(
            "/clusters/{}/labelling-requests?status={}&offset={offset}",
            self.cluster,
            urlencode(&self.status)
        ))
    }

    fn prev_offset(&self) -> Option<i64> {
        (self.page.offset > 0).then(|| (self.page.offset - self.page.limit).max(0))
    }

    fn next_offset(&self) -> Option<i64> {
        (self.page.offset + self.page.limit < self.queue.total)
            .then_some(self.page.offset + self.page.limit)
    }

    fn all_count(&self) -> i64 {
        self.queue.counts.iter().map(|c| c.count).sum()
    }
}

/// A cluster's labelling queue, for its managers: filtered by status, counted, paged.
async fn cluster_requests(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Query(p): Query<Params>,
) -> PageResult {
    let status = params::get(&p, "status")
        .map(|s| LabellingStatus::parse("status", &s))
        .transpose()?;
    let page = params::page(&p)?;
    let queue = lists::labelling_queue(&st.app, &me, &slug, status, page).await?;
    render(RequestsPage {
        c,
        cluster: slug,
        queue,
        status: params::get(&p, "status").unwrap_or_default(),
        page,
    })
}

/// Back to the application's page.
fn back(c: &Chrome, id: i64) -> PageResult {
    Ok(Redirect::to(&c.href(&format!("/applications/{id}"))).into_response())
}

#[derive(Deserialize, Default, Clone)]
struct ApplyForm {
    lead_organisation_id: Option<String>,
    #[serde(default)]
    acronym: String,
    #[serde(default)]
    title: String,
    summary_fr: Option<String>,
    summary_en: Option<String>,
    keywords: Option<String>,
    duration_months: Option<String>,
}

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    c: Chrome,
    call: poles_core::model::Call,
    /// The organisations the person may apply for, by name.
    orgs: Vec<(i64, String)>,
    f: ApplyForm,
    /// The refused field and why.
    error: Option<(String, String)>,
}

impl ApplyPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    }

    /// A refusal about no field of the form.
    fn other_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| {
                !matches!(
                    f.as_str(),
                    "lead_organisation_id"
                        | "acronym"
                        | "title"
                        | "summary_fr"
                        | "summary_en"
                        | "keywords"
                        | "duration_months"
                )
            })
            .map(|(_, r)| r.as_str())
    }

    fn chosen(&self, id: &i64) -> bool {
        self.f.lead_organisation_id.as_deref() == Some(id.to_string().as_str())
    }

    fn kept<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

/// The form to start an application (also where a refused one comes back).
async fn apply_page(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    slug: &str,
    f: ApplyForm,
    error: Option<(String, String)>,
) -> PageResult {
    let call = poles_app::calls::get(&st.app, slug).await?;
    let mut orgs = Vec::new();
    for o in me.actor.organisations() {
        if c.may(Ability::ApplyFor(o)) {
            let name = lists::name_of(&st.app, Some(me), PickKind::Organisation, &o.to_string())
                .await?
                .map_or_else(|| o.to_string(), |s| s.label);
            orgs.push((o, name));
        }
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render_with(
        ApplyPage {
            c,
            call,
            orgs,
            f,
            error,
        },
        status,
    ))
}

async fn apply_form(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> PageResult {
    apply_page(&st, c, &me, &slug, ApplyForm::default(), None).await
}

async fn apply(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<ApplyForm>,
) -> PageResult {
    let parsed = (|| {
        let lead = f
            .lead_organisation_id
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| FieldError::new("lead_organisation_id", "choose an organisation"))?;
        let duration_months =
            match f
                .duration_months
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                Some(d) => Some(d.parse::<i64>().map_err(|_| {
                    FieldError::new("duration_months", "must be a number of months")
                })?),
                None => None,
            };
        Ok::<_, FieldError>(CreateApplication {
            lead_organisation_id: lead,
            application: NewApplication {
                acronym: f.acronym.clone(),
                title: f.title.clone(),
                summary_fr: f.summary_fr.clone(),
                summary_en: f.summary_en.clone(),
                keywords: f.keywords.clone(),
                duration_months,
            },
        })
    })();
    let result = match parsed {
        Ok(a) => apps::create(&st.app, &me, &slug, &a).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(id) => back(&c, id),
        Err(AppError::Invalid(e)) => {
            let reason = c.reason(&e);
            apply_page(&st, c, &me, &slug, f, Some((e.field, reason))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The partner to invite, chosen by name (`organisation`; the suggestion or choice picked
/// sets `organisation_value`).
#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    organisation: String,
    #[serde(alias = "organisation_id")]
    organisation_value: Option<String>,
}

async fn invite(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let kind = PickKind::Organisation;
    let r = lists::resolve(
        &st.app,
        Some(&me),
        kind,
        &f.organisation,
        f.organisation_value.as_deref(),
    )
    .await?;
    let Resolved::One(org) = r else {
        let invite = Some(Picker::unresolved(
            &c,
            "organisation",
            kind,
            &f.organisation,
            r,
        ));
        let r = Refusal {
            invite,
            ..Refusal::default()
        };
        return show(&st, c, &me, id, r, StatusCode::BAD_REQUEST).await;
    };
    let org_id = org
        .value
        .parse::<i64>()
        .map_err(|_| FieldError::new("organisation", "matches no name"))?;
    match apps::invite(&st.app, &me, id, org_id).await {
        Ok(()) => back(&c, id),
        Err(e) => {
            let error = refused_reason(&c, e)?;
            let r = Refusal {
                invite: Some(Picker::refused("organisation", kind, &org.label, error)),
                ..Refusal::default()
            };
            show(&st, c, &me, id, r, StatusCode::BAD_REQUEST).await
        }
    }
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

#[derive(Deserialize, Clone)]
struct BudgetForm {
    staff: String,
    equipment: String,
    subcontracting: String,
    overheads: String,
    /// The commune where the R&D is done, by name (or its INSEE code).
    rd_commune: Option<String>,
    rd_commune_value: Option<String>,
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
    let kind = PickKind::Commune;
    let typed = f.rd_commune.clone().unwrap_or_default();
    // The commune, chosen by name: none typed leaves it empty.
    let rd_commune = if typed.trim().is_empty()
        && f.rd_commune_value
            .as_deref()
            .unwrap_or("")
            .trim()
            .is_empty()
    {
        None
    } else {
        match lists::resolve(
            &st.app,
            Some(&me),
            kind,
            &typed,
            f.rd_commune_value.as_deref(),
        )
        .await?
        {
            Resolved::One(s) => Some(s.value),
            r => {
                let picker = Picker::unresolved(&c, "rd_commune", kind, &typed, r);
                let refusal = Refusal {
                    commune: Some((org, picker)),
                    budget: Some(BudgetNote {
                        organisation_id: org,
                        form: f,
                        error: String::new(),
                    }),
                    ..Refusal::default()
                };
                return show(&st, c, &me, id, refusal, StatusCode::BAD_REQUEST).await;
            }
        }
    };
    let euros = |field: &str, raw: &str| params::euros(field, raw, false);
    let costs = (|| {
        Ok::<_, FieldError>(Costs {
            staff: euros("staff", &f.staff)?,
            equipment: euros("equipment", &f.equipment)?,
            subcontracting: euros("subcontracting", &f.subcontracting)?,
            overheads: euros("overheads", &f.overheads)?,
        })
    })();
    let result = match costs {
        Err(e) => Err(AppError::Invalid(e)),
        Ok(costs) => {
            let b = Budget { costs, rd_commune };
            apps::set_budget(&st.app, &me, id, org, &b).await
        }
    };
    match result {
        Ok(()) => back(&c, id),
        Err(e) => {
            let error = match e {
                // Several fields share one message: it names the field, as the form labels it.
                AppError::Invalid(fe) => {
                    let label = format!("app.{}", fe.field);
                    match c.t.t(&label) {
                        // No label: the reason alone, never the field's internal name.
                        l if l == label => c.reason(&fe),
                        l => format!("{l}: {}", c.reason(&fe)),
                    }
                }
                other => refused_reason(&c, other)?,
            };
            let picker = Picker::with(
                "rd_commune",
                kind,
                &typed,
                f.rd_commune_value.as_deref().unwrap_or(""),
            );
            let refusal = Refusal {
                commune: Some((org, picker)),
                budget: Some(BudgetNote {
                    organisation_id: org,
                    form: f,
                    error,
                }),
                ..Refusal::default()
            };
            show(&st, c, &me, id, refusal, StatusCode::BAD_REQUEST).await
        }
    }
}

/// The cluster asked to label, chosen by name (or its slug).
#[derive(Deserialize)]
struct LabelForm {
    #[serde(default)]
    cluster: String,
    cluster_value: Option<String>,
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
    let kind = PickKind::Cluster;
    let lead = f.lead.is_some();
    let r = lists::resolve(
        &st.app,
        Some(&me),
        kind,
        &f.cluster,
        f.cluster_value.as_deref(),
    )
    .await?;
    let Resolved::One(cluster) = r else {
        let refusal = Refusal {
            label: Some(Picker::unresolved(&c, "cluster", kind, &f.cluster, r)),
            label_lead: lead,
            ..Refusal::default()
        };
        return show(&st, c, &me, id, refusal, StatusCode::BAD_REQUEST).await;
    };
    match apps::request_label(&st.app, &me, id, &cluster.value, lead).await {
        Ok(()) => back(&c, id),
        Err(e) => {
            let error = refused_reason(&c, e)?;
            let refusal = Refusal {
                label: Some(Picker::refused("cluster", kind, &cluster.label, error)),
                label_lead: lead,
                ..Refusal::default()
            };
            show(&st, c, &me, id, refusal, StatusCode::BAD_REQUEST).await
        }
    }
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
    match apps::submit(&st.app, &me, id).await {
        Ok(_) => back(&c, id),
        Err(e) => {
            let refusal = Refusal {
                submit_error: Some(refused_reason(&c, e)?),
                ..Refusal::default()
            };
            show(&st, c, &me, id, refusal, StatusCode::BAD_REQUEST).await
        }
    }
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
        Err(AppError::Invalid(e)) => (c.reason(&e), StatusCode::BAD_REQUEST),
        Err(AppError::Refused { code, reason }) => {
            let text = match code {
                "illegal_transition" => c.t.t("tr.illegal"),
                "deadline_passed" => c.t.t("tr.deadline_passed"),
                _ => "",
            };
            (
                format!("{text} ({})", c.reason(&reason)),
                StatusCode::CONFLICT,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let problem = Problem {
        form,
        message,
        reason: reason.unwrap_or_default(),
    };
    show(
        st,
        c,
        me,
        id,
        Refusal {
            problem: Some(problem),
            ..Refusal::default()
        },
        status,
    )
    .await
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

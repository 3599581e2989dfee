//! Applications to calls: the lead organisation drafts, invites partners and asks clusters
//! to label; partners answer and enter their budgets; cluster managers decide; the lead
//! submits. Eligibility and aid are computed by the rules engine on every read.

use crate::access::{self, ApplicantFor, ApplicationRead, Involved};
use crate::assess::facts;
use crate::{App, AppError, Caller, Result};
use poles_core::calls::{self as rules, Aid, Costs, Eligibility};
use poles_core::model::Criterion;
use poles_core::status::{AgreementStatus, ApplicationStatus, LabellingStatus};
use poles_core::transitions::{ApplicationAction, Party, Reason};
use poles_core::{Date, FieldError, OrgKind};
use poles_store::applications::{self as store, Acting, ApplicationRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::selection::ReviewView;
pub use poles_store::applications::{
    ApplicationPartner, LabellingRequest, Proposal, StatusDecision, Submission,
};

/// An application with its consortium, labels and — computed live from the call's rules —
/// its eligibility and aid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub call: String,
    pub call_deadline: Option<Date>,
    pub acronym: String,
    pub title: String,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub keywords: Option<String>,
    pub duration_months: Option<i64>,
    pub lead_organisation_id: i64,
    pub status: ApplicationStatus,
    pub consortium_agreement: AgreementStatus,
    pub submitted_at: Option<String>,
    pub partners: Vec<ApplicationPartner>,
    pub labellings: Vec<LabellingRequest>,
    pub eligibility: Eligibility,
    pub aid: Aid,
    /// A partner's R&D-zone status comes from an illustrative zone (the shipped zones are
    /// the pôles' home cities and neighbours, not the decrees' lists).
    pub rd_zone_illustrative: bool,
    /// As checked at the latest submission, kept unchanged (every one is in `submissions`).
    pub eligibility_at_submission: Option<serde_json::Value>,
    /// Why it was withdrawn, declared ineligible or rejected, and when.
    pub decision: Option<StatusDecision>,
    pub version: i64,
    /// In a call of the demo's invented workflow: every page showing it says so.
    pub fictional: bool,
}

/// Who is involved in an application, for the scope of its readers.
async fn involved(app: &App, id: i64) -> Result<Involved> {
    let p = store::participants(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    Ok(Involved {
        organisations: p.organisations,
        clusters: p.clusters,
        reviewers: p.reviewers,
        rd_regions: p.rd_regions,
        funders: p.funders,
    })
}

/// The capability to read one application, for whoever the scope rules let in (see
/// [`access::application_read`]); refusals are audited. Shared by every use case that
/// shows an application or what follows from it.
pub(crate) async fn read_cap(app: &App, caller: &Caller, id: i64) -> Result<ApplicationRead> {
    let who = involved(app, id).await?;
    app.allowed(caller, access::application_read(&caller.actor, &who))
        .await
}

/// The capability to act as the lead organisation of an application (refusals audited).
pub(crate) async fn lead_cap(app: &App, caller: &Caller, id: i64) -> Result<ApplicantFor> {
    let lead = store::lead_of(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    app.allowed(caller, access::applicant_for(&caller.actor, lead))
        .await
}

fn acting(cap: &ApplicantFor) -> Acting {
    Acting {
        user_id: cap.by.user_id,
        organisation_id: cap.organisation_id,
    }
}

/// The stored application with its eligibility and aid under its call's rules.
fn assess(r: ApplicationRecord) -> Application {
    let f = facts(&r.partners, &r.labellings);
    let deadline = r.call_deadline.map(|d| d.to_string());
    Application {
        eligibility: rules::eligibility(&r.rules, &f, deadline.as_deref()),
        aid: rules::aid(&r.rules, &f),
        rd_zone_illustrative: r.partners.iter().any(|p| p.rd_zone_illustrative),
        id: r.id,
        call: r.call,
        call_deadline: r.call_deadline,
        acronym: r.acronym,
        title: r.title,
        summary_fr: r.summary_fr,
        summary_en: r.summary_en,
        keywords: r.keywords,
        duration_months: r.duration_months,
        lead_organisation_id: r.lead_organisation_id,
        status: r.status,
        consortium_agreement: r.consortium_agreement,
        submitted_at: r.submitted_at,
        partners: r.partners,
        labellings: r.labellings,
        eligibility_at_submission: r.eligibility_at_submission,
        decision: r.decision,
        version: r.version,
        fictional: r.fictional,
    }
}

/// An application with its eligibility and aid computed now, for use cases that already
/// hold a capability covering it.
pub(crate) async fn load(app: &App, id: i64) -> Result<Application> {
    let r = store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    Ok(assess(r))
}

/// An optional text as typed: trimmed, empty as absent, at most `max` characters.
fn text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(FieldError::new(
            field,
            format!("must have at most {max} characters"),
        )),
        Some(t) => Ok(Some(t.to_string())),
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewApplication {
    pub acronym: String,
    pub title: String,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub keywords: Option<String>,
    pub duration_months: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateApplication {
    /// The organisation that leads (the caller must be one of its members).
    pub lead_organisation_id: i64,
    #[serde(flatten)]
    pub application: NewApplication,
}

/// Starts a draft application to an open call, led by one of the caller's organisations;
/// its id.
pub async fn create(app: &App, caller: &Caller, call: &str, c: &CreateApplication) -> Result<i64> {
    let cap = app
        .allowed(
            caller,
            access::applicant_for(&caller.actor, c.lead_organisation_id),
        )
        .await?;
    let a = &c.application;
    let acronym = text("acronym", Some(&a.acronym), 40)?
        .ok_or_else(|| FieldError::new("acronym", "is required"))?;
    let title = text("title", Some(&a.title), 300)?
        .ok_or_else(|| FieldError::new("title", "is required"))?;
    if let Some(m) = a.duration_months {
        if !(1..=120).contains(&m) {
            return Err(FieldError::new("duration_months", "must be 1 to 120").into());
        }
    }
    let draft = store::Draft {
        acronym,
        title,
        summary_fr: text("summary_fr", a.summary_fr.as_deref(), 5000)?,
        summary_en: text("summary_en", a.summary_en.as_deref(), 5000)?,
        keywords: text("keywords", a.keywords.as_deref(), 500)?,
        duration_months: a.duration_months,
    };
    Ok(store::create(&app.db, &acting(&cap), &caller.ctx(cap.by), call, &draft).await?)
}

/// An application with its consortium, labels, and its eligibility and aid computed now
/// (whoever the scope rules let read it).
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<Application> {
    read_cap(app, caller, id).await?;
    load(app, id).await
}

/// What the page of an application shows.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    /// Its funding proposals, newest first.
    pub proposals: Vec<Proposal>,
    /// The caller's own review, when they are one of its assigned reviewers.
    pub review: Option<ReviewView>,
    /// The review criteria of its call.
    pub criteria: Vec<Criterion>,
    /// The funders of its call.
    pub funders: Vec<String>,
    /// Every submission's snapshot, oldest first.
    pub submissions: Vec<Submission>,
}

/// An application as its page shows it: with its funding proposals, the caller's own review
/// when they are an assigned reviewer, and its call's criteria and funders.
pub async fn view(app: &App, caller: &Caller, id: i64) -> Result<ApplicationView> {
    let who = involved(app, id).await?;
    app.allowed(caller, access::application_read(&caller.actor, &who))
        .await?;
    let application = load(app, id).await?;
    let proposals = store::proposals(&app.db, id).await?;
    let review = crate::selection::review_if_assigned(app, caller, id).await?;
    let call = crate::calls::get(app, &application.call).await?;
    let submissions = store::submissions(&app.db, id).await?;
    Ok(ApplicationView {
        submissions,
        proposals,
        review,
        criteria: call.criteria,
        funders: call.funders.into_iter().map(|f| f.funder).collect(),
        application,
    })
}

/// A label as its printable letter shows it.
#[derive(Debug, Clone)]
pub struct LabelLetter {
    pub application: Application,
    pub label: LabellingRequest,
}

/// The letter by which a cluster certifies that it labelled a project (whoever may read the
/// application); not found unless that cluster labelled it.
pub async fn label_letter(
    app: &App,
    caller: &Caller,
    id: i64,
    cluster: &str,
) -> Result<LabelLetter> {
    let application = get(app, caller, id).await?;
    let label = application
        .labellings
        .iter()
        .find(|l| l.cluster == cluster && l.status == LabellingStatus::Labelled)
        .cloned()
        .ok_or(AppError::NotFound("label"))?;
    Ok(LabelLetter { application, label })
}

/// The lead invites a partner organisation.
pub async fn invite(app: &App, caller: &Caller, id: i64, organisation_id: i64) -> Result<()> {
    let cap = lead_cap(app, caller, id).await?;
    store::invite(&app.db, &caller.ctx(cap.by), id, organisation_id).await?;
    Ok(())
}

/// A partner's answer to its invitation, with what it declares of itself.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Answer {
    pub accept: bool,
    /// Its size or nature for the rules: `sme`, `mid_size`, `large_company`, `public_research`, …
    pub declared_kind: Option<String>,
    #[serde(default = "yes")]
    pub independent: bool,
    #[serde(default)]
    pub marginal_cost: bool,
}

fn yes() -> bool {
    true
}

/// A partner (a member of the invited organisation) answers its invitation and declares
/// its size or nature.
pub async fn answer(
    app: &App,
    caller: &Caller,
    id: i64,
    organisation_id: i64,
    a: &Answer,
) -> Result<()> {
    let cap = app
        .allowed(
            caller,
            access::applicant_for(&caller.actor, organisation_id),
        )
        .await?;
    let answer = store::PartnerAnswer {
        accept: a.accept,
        declared_kind: a
            .declared_kind
            .as_deref()
            .map(|k| OrgKind::parse("declared_kind", k))
            .transpose()?,
        independent: a.independent,
        marginal_cost: a.marginal_cost,
    };
    store::answer(&app.db, &acting(&cap), &caller.ctx(cap.by), id, &answer).await?;
    Ok(())
}

/// A partner's budget and where its R&D is done.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Budget {
    pub costs: Costs,
    /// INSEE code of the commune where the R&D is done: whether it lies in the labelling
    /// pôles' territories and R&D zones is computed from it (commune → region → the pôles'
    /// regions; commune in a pôle's R&D zone), never declared.
    pub rd_commune: Option<String>,
}

/// Sets a partner's budget and R&D location: the partner acts for itself, or the lead for
/// any partner.
pub async fn set_budget(
    app: &App,
    caller: &Caller,
    id: i64,
    organisation_id: i64,
    b: &Budget,
) -> Result<()> {
    let cap = match access::applicant_for(&caller.actor, organisation_id) {
        Ok(cap) => cap,
        Err(_) => lead_cap(app, caller, id).await?,
    };
    for (field, v) in [
        ("costs.staff", b.costs.staff),
        ("costs.equipment", b.costs.equipment),
        ("costs.subcontracting", b.costs.subcontracting),
        ("costs.overheads", b.costs.overheads),
    ] {
        if !(0..=10_000_000_000_000).contains(&v) {
            return Err(
                FieldError::new(field, "must be between 0 and 100 billion (in cents)").into(),
            );
        }
    }
    let budget = store::PartnerBudget {
        costs: b.costs.clone(),
        rd_commune: b.rd_commune.clone(),
    };
    store::set_budget(&app.db, &caller.ctx(cap.by), id, organisation_id, &budget).await?;
    Ok(())
}

/// The lead asks a cluster (the lead cluster or a co-labelling one) to label the project.
pub async fn request_label(
    app: &App,
    caller: &Caller,
    id: i64,
    cluster: &str,
    lead: bool,
) -> Result<()> {
    let cap = lead_cap(app, caller, id).await?;
    store::request_labelling(&app.db, &caller.ctx(cap.by), id, cluster, lead).await?;
    Ok(())
}

/// A cluster committee's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Decision {
    pub labelled: bool,
    pub reasons: Option<String>,
    /// The committee's date, `YYYY-MM-DD`; today when absent.
    pub decided_on: Option<String>,
}

/// A cluster's committee decision on a labelling request (its managers); it must come by
/// the call's deadline.
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: i64,
    cluster: &str,
    d: &Decision,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::labelling_decision(&caller.actor, cluster))
        .await?;
    let decided_on = match d.decided_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(x) => Some(Date::parse("decided_on", x)?),
    };
    let decision = store::LabelDecision {
        labelled: d.labelled,
        reasons: text("reasons", d.reasons.as_deref(), 5000)?,
        decided_on,
    };
    store::decide_labelling(
        &app.db,
        &cap.cluster,
        cap.by.user_id,
        &caller.ctx(cap.by),
        id,
        &decision,
    )
    .await?;
    Ok(())
}

/// A cluster's labelling requests (its managers).
pub async fn cluster_requests(
    app: &App,
    caller: &Caller,
    cluster: &str,
) -> Result<Vec<LabellingRequest>> {
    let cap = app
        .allowed(caller, access::labelling_decision(&caller.actor, cluster))
        .await?;
    Ok(store::requests_of_cluster(&app.db, &cap.cluster).await?)
}

/// The lead submits, or resubmits after reopening: the rules are checked on the application
/// as read now and kept with it as a new snapshot, the earlier ones kept too (a `Conflict` if
/// it changed meanwhile), and the call's rule set is frozen. Only a draft is submitted
/// (`Refused`, `illegal_transition`, otherwise: see `poles_core::transitions`).
pub async fn submit(app: &App, caller: &Caller, id: i64) -> Result<Eligibility> {
    let cap = lead_cap(app, caller, id).await?;
    read_cap(app, caller, id).await?;
    let a = load(app, id).await?;
    if a.status.after(ApplicationAction::Submit).is_none() {
        return Err(store::illegal_transition("submit", a.status).into());
    }
    store::submit(
        &app.db,
        &caller.ctx(cap.by),
        id,
        a.version,
        &a.eligibility,
        &a.aid,
    )
    .await?;
    Ok(a.eligibility)
}

/// Every submission of an application, oldest first (whoever may read it).
pub async fn submissions(app: &App, caller: &Caller, id: i64) -> Result<Vec<Submission>> {
    read_cap(app, caller, id).await?;
    Ok(store::submissions(&app.db, id).await?)
}

/// The reason given with a change of status.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StatusReason {
    /// Required to declare an application ineligible or reject it, or to withdraw or reject a
    /// proposal (3 to 2,000 characters); optional when an applicant withdraws.
    pub reason: Option<String>,
}

/// The move `action` makes, from the transition table.
fn status_move(action: ApplicationAction, reason: Option<Reason>) -> store::StatusMove {
    let (from, to, by) = action.moves();
    store::StatusMove {
        action: action.as_str(),
        from,
        to,
        reason: reason.map(Reason::into_string),
        before_deadline: action == ApplicationAction::Reopen,
        unless_funded: action == ApplicationAction::Withdraw,
        notify_lead: by == Party::Officer,
    }
}

/// The lead withdraws its application, from draft or submitted, while no funding was
/// approved; final. The reason is optional.
pub async fn withdraw(
    app: &App,
    caller: &Caller,
    id: i64,
    r: &StatusReason,
) -> Result<ApplicationStatus> {
    let cap = lead_cap(app, caller, id).await?;
    let reason = match r.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        given => Some(Reason::parse("reason", given)?),
    };
    let m = status_move(ApplicationAction::Withdraw, reason);
    store::change_status(&app.db, &caller.ctx(cap.by), cap.by.user_id, id, &m).await?;
    Ok(m.to)
}

/// The lead reopens its submitted application, before the call's deadline, to change it and
/// submit again; its open funding proposals are withdrawn.
pub async fn reopen(app: &App, caller: &Caller, id: i64) -> Result<ApplicationStatus> {
    let cap = lead_cap(app, caller, id).await?;
    let m = status_move(ApplicationAction::Reopen, None);
    store::change_status(&app.db, &caller.ctx(cap.by), cap.by.user_id, id, &m).await?;
    Ok(m.to)
}

/// A selection officer declares a submitted application ineligible, or rejects it, with a
/// reason sent to the applicant's inbox and shown on the application's page.
pub async fn decide_status(
    app: &App,
    caller: &Caller,
    id: i64,
    action: ApplicationAction,
    r: &StatusReason,
) -> Result<ApplicationStatus> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    if !matches!(
        action,
        ApplicationAction::DeclareIneligible | ApplicationAction::Reject
    ) {
        return Err(FieldError::new("action", "is not an officer's decision").into());
    }
    let reason = Reason::parse("reason", r.reason.as_deref())?;
    let m = status_move(action, Some(reason));
    store::change_status(&app.db, &caller.ctx(cap.by), cap.by.user_id, id, &m).await?;
    Ok(m.to)
}

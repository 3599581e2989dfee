//! After the decision: the lead records the consortium agreement; officers finalise within
//! the call's window (or the selection lapses), plan payments per partner and funder, and
//! pay the partners' claims never beyond what was decided; the lead plans and completes
//! milestones; officers close or abandon the project. Funded projects are public.

use crate::access::{self, ApplicantFor};
use crate::{App, AppError, Caller, Result};
use poles_core::auth::Denied;
use poles_core::status::{AgreementStatus, ApplicationStatus, ClaimStatus, PaymentKind};
use poles_core::{Date, FieldError};
use poles_store::followup::{self as store, NewClaim, ScheduledPayment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use poles_core::model::FundingLine;
pub use poles_store::followup::{ClaimRow, ClaimStep, FundedProject, Milestone};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduleLine {
    pub organisation_id: i64,
    pub funder: String,
    /// `advance`, `interim` or `final`.
    pub kind: PaymentKind,
    pub due_on: Date,
    pub amount_cents: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimInput {
    pub funder: String,
    pub kind: String,
    pub amount_cents: i64,
    /// Expenses incurred, as the statement shows.
    pub expenses_cents: i64,
    pub statement: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ClaimDecision {
    pub pay: bool,
    pub paid_on: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MilestoneInput {
    pub title: String,
    pub due_on: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MilestoneDone {
    pub done_on: String,
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunderPosition {
    pub funder: String,
    pub decided_cents: i64,
    pub scheduled_cents: i64,
    pub paid_cents: i64,
    pub remaining_cents: i64,
}

/// Decided, scheduled and paid, per funder; claims; milestones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funding {
    pub status: ApplicationStatus,
    pub validation_date: Option<Date>,
    pub finalisation_deadline: Option<Date>,
    pub finalised_at: Option<Date>,
    pub by_funder: Vec<FunderPosition>,
    pub schedule: Vec<ScheduleLine>,
    pub claims: Vec<ClaimRow>,
    pub milestones: Vec<Milestone>,
}

/// The capability to act as the lead organisation of an application (refusals audited).
async fn lead(app: &App, caller: &Caller, id: i64) -> Result<ApplicantFor> {
    let parties = store::parties(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    app.allowed(caller, access::applicant_for(&caller.actor, parties.lead))
        .await
}

/// A date typed as `YYYY-MM-DD` (surrounding spaces ignored); empty is no date.
fn optional_date(field: &str, raw: &str) -> Result<Option<Date>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Ok(Some(Date::parse(field, raw)?))
}

/// A date that must be given, `YYYY-MM-DD` (surrounding spaces ignored).
fn date(field: &str, raw: &str) -> Result<Date> {
    Ok(Date::parse(field, raw)?)
}

fn payment_kind(field: &str, kind: &str) -> Result<PaymentKind> {
    PaymentKind::parse(field, kind)
        .map_err(|_| FieldError::new(field, "must be advance, interim or final").into())
}

/// The lead records where the consortium agreement stands: `none`, `negotiating` or `signed`.
pub async fn agreement(app: &App, caller: &Caller, id: i64, status: &str) -> Result<()> {
    let cap = lead(app, caller, id).await?;
    let status = AgreementStatus::parse("status", status)
        .map_err(|_| FieldError::new("status", "must be none, negotiating or signed"))?;
    store::set_agreement(&app.db, &caller.ctx(cap.by), id, status).await?;
    Ok(())
}

/// Finalises a selected project whose agreement is signed, within the call's window after
/// the validation date (selection officers): the finalisation date.
pub async fn finalise(app: &App, caller: &Caller, id: i64) -> Result<Date> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    Ok(store::finalise(&app.db, &caller.ctx(cap.by), id).await?)
}

/// Lapses the selected projects of a call not finalised in time as of `as_of`
/// (`YYYY-MM-DD`, today when absent) (selection officers): the ids lapsed.
pub async fn lapse(
    app: &App,
    caller: &Caller,
    call: &str,
    as_of: Option<&str>,
) -> Result<Vec<i64>> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let as_of = match as_of {
        Some(d) => optional_date("as_of", d)?,
        None => None,
    };
    Ok(store::lapse_overdue(&app.db, &caller.ctx(cap.by), call, as_of).await?)
}

/// Replaces the payment schedule per partner and funder (selection officers); per funder
/// it never plans more than was decided.
pub async fn schedule(app: &App, caller: &Caller, id: i64, lines: &[ScheduleLine]) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    for (k, l) in lines.iter().enumerate() {
        if l.amount_cents < 0 {
            return Err(FieldError::new(
                format!("lines[{k}].amount_cents"),
                "must not be negative",
            )
            .into());
        }
    }
    let payments: Vec<ScheduledPayment> = lines
        .iter()
        .map(|l| ScheduledPayment {
            organisation_id: l.organisation_id,
            funder: l.funder.clone(),
            kind: l.kind,
            due_on: l.due_on,
            amount_cents: l.amount_cents,
        })
        .collect();
    store::set_schedule(&app.db, &caller.ctx(cap.by), id, &payments).await?;
    Ok(())
}

/// A partner claims a payment for its running project, with its expense statement: the
/// claim's id. The caller acts for `organisation_id`, which must be an accepted partner.
pub async fn claim(
    app: &App,
    caller: &Caller,
    id: i64,
    organisation_id: i64,
    c: &ClaimInput,
) -> Result<i64> {
    let cap = app
        .allowed(
            caller,
            access::applicant_for(&caller.actor, organisation_id),
        )
        .await?;
    let parties = store::parties(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    if !parties.partners.contains(&cap.organisation_id) {
        let refused = Denied {
            action: "claim for",
            object: format!("application {id}"),
        };
        return app.allowed(caller, Err(refused)).await;
    }
    let kind = payment_kind("kind", &c.kind)?;
    if c.amount_cents < 0 || c.expenses_cents < 0 {
        return Err(FieldError::new("amount_cents", "must not be negative").into());
    }
    let statement = c.statement.trim();
    if statement.is_empty() || statement.chars().count() > 20_000 {
        return Err(FieldError::new("statement", "must have 1 to 20000 characters").into());
    }
    let new = NewClaim {
        organisation_id: cap.organisation_id,
        funder: c.funder.clone(),
        kind,
        amount_cents: c.amount_cents,
        expenses_cents: c.expenses_cents,
        statement: statement.to_string(),
    };
    Ok(store::claim(&app.db, cap.by.user_id, &caller.ctx(cap.by), id, &new).await?)
}

/// Where a claim stands after a decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimDecided {
    /// `release_proposed` (another officer must release the payment), `paid` or `refused`.
    pub step: ClaimStep,
}

/// Decides a claim (selection officers). Paying takes two people: the first officer's
/// `pay` proposes the payment (on `paid_on`, today when absent), another officer's `pay`
/// releases it; the proposer releasing their own is refused (409, code `same_officer`).
/// Refusing takes one officer. What is paid per funder never exceeds what was decided.
pub async fn decide_claim(
    app: &App,
    caller: &Caller,
    claim_id: i64,
    d: &ClaimDecision,
) -> Result<ClaimDecided> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let paid_on = match d.paid_on.as_deref() {
        Some(x) => optional_date("paid_on", x)?,
        None => None,
    };
    let step = store::decide_claim(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        claim_id,
        d.pay,
        paid_on,
        d.reason.clone(),
    )
    .await?;
    Ok(ClaimDecided { step })
}

/// The lead plans a milestone of its selected or running project: the milestone's id.
pub async fn add_milestone(app: &App, caller: &Caller, id: i64, m: &MilestoneInput) -> Result<i64> {
    let cap = lead(app, caller, id).await?;
    let title = m.title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(FieldError::new("title", "must have 1 to 300 characters").into());
    }
    let due_on = date("due_on", &m.due_on)?;
    Ok(store::add_milestone(&app.db, &caller.ctx(cap.by), id, title, due_on).await?)
}

/// The lead records that a milestone was reached.
pub async fn milestone_done(
    app: &App,
    caller: &Caller,
    id: i64,
    milestone: i64,
    m: &MilestoneDone,
) -> Result<()> {
    let cap = lead(app, caller, id).await?;
    let done_on = date("done_on", &m.done_on)?;
    if done_on > Date::today() {
        return Err(FieldError::new(
            "done_on",
            format!("cannot be in the future (today is {})", Date::today()),
        )
        .into());
    }
    store::milestone_done(
        &app.db,
        &caller.ctx(cap.by),
        id,
        milestone,
        done_on,
        m.evidence.as_deref(),
    )
    .await?;
    Ok(())
}

/// Closes or abandons a running project (selection officers): `status` is `closed` or
/// `abandoned`.
pub async fn set_status(
    app: &App,
    caller: &Caller,
    id: i64,
    status: &str,
    reason: Option<String>,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let status = match ApplicationStatus::parse("status", status) {
        Ok(s @ (ApplicationStatus::Closed | ApplicationStatus::Abandoned)) => s,
        _ => return Err(FieldError::new("status", "must be closed or abandoned").into()),
    };
    store::set_project_status(&app.db, &caller.ctx(cap.by), id, status, reason).await?;
    Ok(())
}

/// An application's funding: decided, scheduled and paid per funder, its claims and
/// milestones, for whoever may read the application.
pub async fn funding(app: &App, caller: &Caller, id: i64) -> Result<Funding> {
    crate::applications::read_cap(app, caller, id).await?;
    let f = store::follow_up(&app.db, id).await?;
    let by_funder = f
        .decided
        .iter()
        .map(|l| {
            let scheduled = f
                .schedule
                .iter()
                .filter(|x| x.funder == l.funder)
                .map(|x| x.amount_cents)
                .sum();
            let paid: i64 = f
                .claims
                .iter()
                .filter(|c| c.funder == l.funder && c.status == ClaimStatus::Paid)
                .map(|c| c.amount_cents)
                .sum();
            FunderPosition {
                funder: l.funder.clone(),
                decided_cents: l.amount_cents,
                scheduled_cents: scheduled,
                paid_cents: paid,
                remaining_cents: l.amount_cents - paid,
            }
        })
        .collect();
    Ok(Funding {
        status: f.status,
        validation_date: f.validation_date,
        finalisation_deadline: f.finalisation_deadline,
        finalised_at: f.finalised_at,
        by_funder,
        schedule: f
            .schedule
            .into_iter()
            .map(|x| ScheduleLine {
                organisation_id: x.organisation_id,
                funder: x.funder,
                kind: x.kind,
                due_on: x.due_on,
                amount_cents: x.amount_cents,
            })
            .collect(),
        claims: f.claims,
        milestones: f.milestones,
    })
}

/// Funded projects (selected, running, closed) with their decided funding: public.
pub async fn funded_projects(app: &App) -> Result<Vec<FundedProject>> {
    Ok(store::funded_projects(&app.db).await?)
}

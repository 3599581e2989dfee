//! Review and selection: officers assign reviewers (conflicts refused), reviewers score blind,
//! a ranking per call, funding proposals approved under four eyes (two approvers above the
//! call's threshold) and never beyond a funder's envelope. The envelope check runs in the
//! store under the write lock, so racing approvals cannot overspend.

use crate::access;
use crate::{App, AppError, Caller, Result};
use poles_core::transitions::{Party, ProposalAction, Reason};
use poles_core::FieldError;
use poles_store::selection::{self as store, EnvelopeSetting};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use poles_core::model::FundingLine;
pub use poles_core::review::{CriterionAverage, OtherReview, ReviewView, Score};
pub use poles_store::selection::{ApprovalOutcome, RankingRow};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Envelope {
    pub funder: String,
    pub envelope_cents: Option<i64>,
    /// Approved for the call (read only).
    #[serde(default)]
    pub committed_cents: i64,
    /// The budget line (programme budget) this envelope draws on; approvals are checked
    /// against it too. Absent: unchanged; `""`: no line.
    #[serde(default)]
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SelectionSettings {
    pub envelopes: Vec<Envelope>,
    /// Proposals above this total need two approvers (besides the proposer).
    pub two_approvals_above_cents: Option<i64>,
}

/// Assigns a reviewer to a submitted application (selection officers); a reviewer who
/// belongs to one of its partner organisations is refused.
pub async fn assign(
    app: &App,
    caller: &Caller,
    application_id: i64,
    reviewer_id: i64,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    store::assign_reviewer(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        application_id,
        reviewer_id,
    )
    .await?;
    Ok(())
}

/// One's review of an application one is assigned: blind, the other reviewers' scores
/// shown (without their names) only once one's own are submitted.
pub async fn review(app: &App, caller: &Caller, application_id: i64) -> Result<ReviewView> {
    let cap = app
        .allowed(caller, access::reviewing(&caller.actor))
        .await?;
    let marks = store::review_marks(&app.db, cap.by.user_id, application_id).await?;
    Ok(blind(cap.by.user_id, marks))
}

/// One's review for an application's page: `None`, without a refusal recorded, when the
/// caller is not a reviewer assigned to it (the page then shows no review).
pub async fn review_if_assigned(
    app: &App,
    caller: &Caller,
    application_id: i64,
) -> Result<Option<ReviewView>> {
    let Ok(cap) = access::reviewing(&caller.actor) else {
        return Ok(None);
    };
    match store::review_marks(&app.db, cap.by.user_id, application_id).await {
        Ok(marks) => Ok(Some(blind(cap.by.user_id, marks))),
        Err(poles_store::StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The blind view of one's review (see [`poles_core::review::blind`]).
fn blind(me: i64, r: store::ReviewMarks) -> ReviewView {
    poles_core::review::blind(me, r.submitted, r.marks)
}

/// Submits one's scores (0 to 10), once, for every criterion of the call.
pub async fn submit_review(
    app: &App,
    caller: &Caller,
    application_id: i64,
    scores: &[Score],
) -> Result<()> {
    let cap = app
        .allowed(caller, access::reviewing(&caller.actor))
        .await?;
    // The criteria are the call's: the store checks the marks against them
    // (`poles_core::review::check`) in the transaction that stores them.
    store::submit_review(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        application_id,
        scores,
    )
    .await?;
    Ok(())
}

/// Declares a conflict of interest: the reviewer will not score this application.
pub async fn declare_conflict(
    app: &App,
    caller: &Caller,
    application_id: i64,
    reason: &str,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::reviewing(&caller.actor))
        .await?;
    store::declare_conflict(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        application_id,
        reason,
    )
    .await?;
    Ok(())
}

/// A call's reviewed applications ranked by weighted average score (selection officers).
pub async fn ranking(app: &App, caller: &Caller, call: &str) -> Result<Vec<RankingRow>> {
    app.allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    Ok(store::ranking(&app.db, call).await?)
}

/// Sets the funders' envelopes (none negative) and the two-approver threshold of a call
/// (selection officers).
pub async fn set_settings(
    app: &App,
    caller: &Caller,
    call: &str,
    s: &SelectionSettings,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    if s.envelopes
        .iter()
        .any(|e| e.envelope_cents.is_some_and(|c| c < 0))
    {
        return Err(FieldError::new("envelopes", "must not be negative").into());
    }
    let envelopes: Vec<EnvelopeSetting> = s
        .envelopes
        .iter()
        .map(|e| EnvelopeSetting {
            funder: e.funder.clone(),
            envelope_cents: e.envelope_cents,
            budget: e.budget.clone(),
        })
        .collect();
    store::set_settings(
        &app.db,
        &caller.ctx(cap.by),
        call,
        &envelopes,
        s.two_approvals_above_cents,
    )
    .await?;
    Ok(())
}

/// Each funder's envelope for a call and what approved proposals commit of it: public.
pub async fn envelopes(app: &App, call: &str) -> Result<Vec<Envelope>> {
    Ok(store::envelopes(&app.db, call)
        .await?
        .into_iter()
        .map(|e| Envelope {
            funder: e.funder,
            envelope_cents: e.envelope_cents,
            committed_cents: e.committed_cents,
            budget: e.budget,
        })
        .collect())
}

/// The capability to decide the given lines of an application's funding (see
/// [`access::funding_decision`]; refusals audited).
async fn decision_cap(
    app: &App,
    caller: &Caller,
    application_id: i64,
    lines: &[FundingLine],
) -> Result<access::FundingDecision> {
    let who = poles_store::applications::participants(&app.db, application_id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    let funders: Vec<&str> = lines.iter().map(|l| l.funder.as_str()).collect();
    app.allowed(
        caller,
        access::funding_decision(&caller.actor, &who.rd_regions, &funders),
    )
    .await
}

/// A region officer's lines stay within their funder's envelope for the call: what is
/// approved already plus this line.
async fn within_envelope(app: &App, call: &str, lines: &[FundingLine]) -> Result<()> {
    let envelopes = store::envelopes(&app.db, call).await?;
    for (k, l) in lines.iter().enumerate() {
        let field = format!("lines[{k}].amount_cents");
        let e = envelopes.iter().find(|e| e.funder == l.funder);
        let Some(envelope) = e.and_then(|e| e.envelope_cents) else {
            return Err(FieldError::new(
                field,
                format!("the {} envelope of this call is not set", l.funder),
            )
            .into());
        };
        let committed = e.map_or(0, |e| e.committed_cents);
        if committed + l.amount_cents > envelope {
            return Err(FieldError::coded(
                field,
                "envelope_overspent",
                vec![
                    l.funder.clone(),
                    poles_core::money_arg(committed),
                    poles_core::money_arg(l.amount_cents),
                    poles_core::money_arg(envelope),
                ],
                format!(
                    "beyond the {} envelope of this call: {} cents committed + {} proposed > {} (cents)",
                    l.funder, committed, l.amount_cents, envelope
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// Proposes funding per funder (every line listed, none negative, none above the aid the
/// call's rules compute for its funder) for a submitted application that was eligible at
/// submission: the new proposal's id. Selection officers propose every funder's line; a
/// region officer the regional co-funder's alone, within its envelope, for applications
/// whose R&D is in their region.
pub async fn propose(
    app: &App,
    caller: &Caller,
    application_id: i64,
    lines: &[FundingLine],
) -> Result<i64> {
    let cap = decision_cap(app, caller, application_id, lines).await?;
    if lines.is_empty() || lines.iter().any(|l| l.amount_cents < 0) {
        return Err(
            FieldError::new("lines", "must list the amounts per funder, none negative").into(),
        );
    }
    let (call, aid) = crate::assess::aid(app, application_id).await?;
    crate::assess::within_aid(&aid, lines)?;
    if cap.region.is_some() {
        within_envelope(app, &call, lines).await?;
    }
    Ok(store::propose(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        application_id,
        lines,
    )
    .await?)
}

/// Approves a proposal: never the proposer's own; the last approval needed decides within
/// the envelopes and sets the validation date. Its lines are checked again against the aid
/// the call's rules compute now. Who may approve is who may propose those lines.
pub async fn approve(app: &App, caller: &Caller, proposal_id: i64) -> Result<ApprovalOutcome> {
    let (application_id, lines) = store::proposal_lines(&app.db, proposal_id)
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    let cap = decision_cap(app, caller, application_id, &lines).await?;
    let (_, aid) = crate::assess::aid(app, application_id).await?;
    crate::assess::within_aid(&aid, &lines)?;
    // A region's own share does not select the project: the State still decides its own.
    let selects = lines.iter().any(|l| l.funder != access::REGIONAL_FUNDER);
    Ok(store::approve(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        proposal_id,
        selects,
    )
    .await?)
}

/// Withdraws or rejects an open funding proposal, with a reason: withdrawn by its proposer,
/// rejected by a selection officer other than the proposer. The application is no longer
/// blocked: a new proposal can be made. Returns the application's id.
pub async fn close_proposal(
    app: &App,
    caller: &Caller,
    proposal_id: i64,
    action: ProposalAction,
    reason: Option<&str>,
) -> Result<i64> {
    let (_, proposed_by) = store::proposal_parties(&app.db, proposal_id)
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    let (from, to, by) = action.moves();
    let cap = match by {
        Party::Proposer => {
            app.allowed(caller, access::proposer_of(&caller.actor, proposed_by))
                .await?
        }
        Party::Approver if action == ProposalAction::Reject => {
            app.allowed(caller, access::approver_of(&caller.actor, proposed_by))
                .await?
        }
        _ => {
            return Err(
                FieldError::new("action", "is not a proposal's withdrawal or rejection").into(),
            )
        }
    };
    let reason = Reason::parse("reason", reason)?;
    Ok(store::close_proposal(
        &app.db,
        cap.by.user_id,
        &caller.ctx(cap.by),
        proposal_id,
        action.as_str(),
        &from,
        to,
        reason.as_str(),
    )
    .await?)
}

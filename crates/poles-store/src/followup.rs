//! After the decision: finalisation within the call's window (or the selection lapses),
//! the payment schedule per partner and funder, claims with expense statements, payments
//! never beyond what was decided, milestones, and the project's status. Rows are decoded
//! into row structs of primitive columns (explicit column lists, never `SELECT *`) and
//! converted with `TryFrom`: a stored status or date that does not parse is refused, never
//! defaulted.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::util::{from_row, now_utc, parsed, parsed_opt, Tx};
use crate::Db;
use poles_core::calls::RuleSet;
use poles_core::model::FundingLine;
use poles_core::status::{AgreementStatus, ApplicationStatus, ClaimStatus, PaymentKind};
use poles_core::{Date, FieldError};
use serde::Serialize;
use serde_json::json;
use sqlx::Any;
use utoipa::ToSchema;

/// `YYYY-MM-DD` plus whole months, the day clamped to the month's length; `None` when
/// `date` is not a date.
pub fn add_months(date: &str, months: i64) -> Option<String> {
    Date::parse("date", date)
        .ok()?
        .add_months(months)
        .map(|d| d.to_string())
}

/// The funding decided for an application: its approved proposals (a region may decide its
/// share before the State decides its own; their funders never overlap), the earliest
/// validation date and every decided line.
struct Decision {
    validation_date: Date,
    lines: Vec<FundingLine>,
}

async fn decision(tx: &mut impl Tx, id: i64) -> Result<Option<Decision>> {
    let approved: Vec<(i64, Option<String>)> = sqlx::query_as("SELECT id, validation_date FROM funding_proposals WHERE application_id = $1 AND status = 'approved' ORDER BY id")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    let mut validation_date: Option<Date> = None;
    let mut lines = Vec::new();
    for (proposal_id, date) in approved {
        // An approval always sets the validation date: an approved proposal without one is
        // corrupt, refused rather than read as an empty date.
        let date = parsed::<Date>(date.ok_or_else(|| {
            StoreError::Data(format!(
                "approved proposal {proposal_id} has no validation date"
            ))
        })?)?;
        validation_date = Some(validation_date.map_or(date, |d| d.min(date)));
        lines.extend(funding_lines(&mut **tx, proposal_id).await?);
    }
    lines.sort_by(|a, b| b.funder.cmp(&a.funder));
    Ok(validation_date.map(|validation_date| Decision {
        validation_date,
        lines,
    }))
}

/// The lines of a proposal, per funder.
async fn funding_lines<'e, E: sqlx::Executor<'e, Database = Any>>(
    e: E,
    proposal_id: i64,
) -> Result<Vec<FundingLine>> {
    let lines: Vec<(String, i64)> = sqlx::query_as("SELECT funder, amount_cents FROM funding_lines WHERE proposal_id = $1 ORDER BY funder DESC")
        .bind(proposal_id)
        .fetch_all(e)
        .await?;
    Ok(lines
        .into_iter()
        .map(|(funder, amount_cents)| FundingLine {
            funder,
            amount_cents,
        })
        .collect())
}

async fn finalisation_months(tx: &mut impl Tx, id: i64) -> Result<i64> {
    let body: String = sqlx::query_scalar("SELECT r.body FROM applications a JOIN calls c ON c.id = a.call_id JOIN rule_sets r ON r.id = c.rule_set_id WHERE a.id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let rules: RuleSet =
        serde_json::from_str(&body).map_err(|e| StoreError::Data(e.to_string()))?;
    Ok(rules.finalisation_months.value)
}

/// Where an application stands: its status and its consortium agreement's.
struct Standing {
    status: ApplicationStatus,
    agreement: AgreementStatus,
}

struct StandingRow {
    status: String,
    consortium_agreement: String,
}
from_row!(StandingRow {
    status,
    consortium_agreement
});

impl TryFrom<StandingRow> for Standing {
    type Error = StoreError;

    fn try_from(r: StandingRow) -> Result<Self> {
        Ok(Standing {
            status: parsed(r.status)?,
            agreement: parsed(r.consortium_agreement)?,
        })
    }
}

async fn standing(tx: &mut impl Tx, id: i64) -> Result<Standing> {
    sqlx::query_as::<_, StandingRow>(
        "SELECT status, consortium_agreement FROM applications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("application"))?
    .try_into()
}

/// The organisations of an application, to decide who acts for it: its lead and the
/// partners that accepted their invitation.
#[derive(Debug, Clone)]
pub struct Parties {
    pub lead: i64,
    pub partners: Vec<i64>,
}

pub async fn parties(db: &Db, id: i64) -> Result<Option<Parties>> {
    let Some(lead) =
        sqlx::query_scalar::<_, i64>("SELECT lead_organisation_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let partners: Vec<i64> = sqlx::query_scalar("SELECT organisation_id FROM application_partners WHERE application_id = $1 AND invitation = 'accepted' ORDER BY organisation_id")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    Ok(Some(Parties { lead, partners }))
}

/// Records where the consortium agreement stands, unless the project is over.
pub async fn set_agreement(db: &Db, ctx: &Context, id: i64, status: AgreementStatus) -> Result<()> {
    use ApplicationStatus::*;
    let mut tx = audit::begin_write(db).await?;
    let Standing {
        status: app_status,
        agreement: before,
    } = standing(&mut tx, id).await?;
    if matches!(
        app_status,
        Closed | Abandoned | Lapsed | Withdrawn | Rejected
    ) {
        return Err(FieldError::new("status", "the project is over").into());
    }
    sqlx::query(
        "UPDATE applications SET consortium_agreement = $1, version = version + 1 WHERE id = $2",
    )
    .bind(status.as_str())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "application.agreement",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: audit::diff(&[(
                "consortium_agreement",
                before.as_str().into(),
                status.as_str().into(),
            )]),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finalises a selected project (its agreement signed) within the call's window after the
/// validation date (the finalisation date, today); past the window the selection lapses
/// instead.
pub async fn finalise(db: &Db, ctx: &Context, id: i64) -> Result<Date> {
    let mut tx = audit::begin_write(db).await?;
    let Standing { status, agreement } = standing(&mut tx, id).await?;
    if status != ApplicationStatus::Selected {
        return Err(FieldError::new("status", "only a selected project is finalised").into());
    }
    let validation = decision(&mut tx, id)
        .await?
        .ok_or(StoreError::NotFound("decision"))?
        .validation_date;
    let months = finalisation_months(&mut tx, id).await?;
    let deadline = validation
        .add_months(months)
        .ok_or_else(|| StoreError::Data(format!("no date {months} months after {validation}")))?;
    let now = Date::today();
    if now > deadline {
        return Err(FieldError::new(
            "status",
            format!("the finalisation deadline passed on {deadline}; the selection lapses"),
        )
        .into());
    }
    if agreement != AgreementStatus::Signed {
        return Err(
            FieldError::new("consortium_agreement", "must be signed before finalisation").into(),
        );
    }
    sqlx::query("UPDATE applications SET status = 'running', finalised_at = $1, version = version + 1 WHERE id = $2").bind(now.to_string()).bind(id).execute(&mut *tx).await?;
    audit::append(&mut tx, ctx, Event { action: "application.finalise", object_kind: "application", object_ref: id.to_string(), changes: json!({"status": {"before": "selected", "after": "running"}, "deadline": deadline}), reason: None }).await?;
    tx.commit().await?;
    Ok(now)
}

/// Lapses the selected projects of a call not finalised in time (`as_of` defaults to today):
/// their decision no longer commits the envelopes.
pub async fn lapse_overdue(
    db: &Db,
    ctx: &Context,
    call: &str,
    as_of: Option<Date>,
) -> Result<Vec<i64>> {
    let as_of = as_of.unwrap_or_else(Date::today);
    let mut tx = audit::begin_write(db).await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT a.id FROM applications a JOIN calls c ON c.id = a.call_id WHERE c.slug = $1 AND a.status = 'selected'")
        .bind(call.to_string())
        .fetch_all(&mut *tx)
        .await?;
    let mut lapsed = Vec::new();
    for id in ids {
        let Some(Decision {
            validation_date: validation,
            ..
        }) = decision(&mut tx, id).await?
        else {
            continue;
        };
        let months = finalisation_months(&mut tx, id).await?;
        let Some(deadline) = validation.add_months(months) else {
            continue;
        };
        if as_of > deadline {
            sqlx::query(
                "UPDATE applications SET status = 'lapsed', version = version + 1 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE funding_proposals SET status = 'lapsed' WHERE application_id = $1 AND status = 'approved'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit::append(&mut tx, ctx, Event { action: "application.lapse", object_kind: "application", object_ref: id.to_string(), changes: json!({"status": {"before": "selected", "after": "lapsed"}, "deadline": deadline}), reason: Some(format!("not finalised within {months} months of {validation}")) }).await?;
            lapsed.push(id);
        }
    }
    tx.commit().await?;
    Ok(lapsed)
}

/// One payment planned for a partner by a funder, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduledPayment {
    pub organisation_id: i64,
    pub funder: String,
    /// `advance`, `interim` or `final`.
    pub kind: PaymentKind,
    pub due_on: Date,
    pub amount_cents: i64,
}

struct ScheduleRow {
    organisation_id: i64,
    funder: String,
    kind: String,
    due_on: String,
    amount_cents: i64,
}
from_row!(ScheduleRow {
    organisation_id,
    funder,
    kind,
    due_on,
    amount_cents
});

impl TryFrom<ScheduleRow> for ScheduledPayment {
    type Error = StoreError;

    fn try_from(r: ScheduleRow) -> Result<Self> {
        Ok(ScheduledPayment {
            organisation_id: r.organisation_id,
            funder: r.funder,
            kind: parsed(r.kind)?,
            due_on: parsed(r.due_on)?,
            amount_cents: r.amount_cents,
        })
    }
}

/// Replaces the payment schedule (its lines' amounts checked by the use case); each line's
/// organisation is a partner, and per funder it never exceeds what was
/// decided.
pub async fn set_schedule(
    db: &Db,
    ctx: &Context,
    id: i64,
    lines: &[ScheduledPayment],
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let status = standing(&mut tx, id).await?.status;
    if !matches!(
        status,
        ApplicationStatus::Selected | ApplicationStatus::Running
    ) {
        return Err(FieldError::new(
            "status",
            "only a selected or running project has a schedule",
        )
        .into());
    }
    let decided = decision(&mut tx, id)
        .await?
        .ok_or(StoreError::NotFound("decision"))?
        .lines;
    let partners: Vec<i64> = sqlx::query_scalar("SELECT organisation_id FROM application_partners WHERE application_id = $1 AND invitation = 'accepted'").bind(id).fetch_all(&mut *tx).await?;
    for (k, l) in lines.iter().enumerate() {
        if !partners.contains(&l.organisation_id) {
            return Err(FieldError::new(
                format!("lines[{k}].organisation_id"),
                "is not a partner of the project",
            )
            .into());
        }
    }
    for d in &decided {
        let planned: i64 = lines
            .iter()
            .filter(|l| l.funder == d.funder)
            .map(|l| l.amount_cents)
            .sum();
        if planned > d.amount_cents {
            return Err(FieldError::coded(
                "lines",
                "schedule_exceeds",
                vec![
                    d.funder.clone(),
                    poles_core::money_arg(planned),
                    poles_core::money_arg(d.amount_cents),
                ],
                format!(
                    "{} schedules {planned} cents, more than the {} decided",
                    d.funder, d.amount_cents
                ),
            )
            .into());
        }
    }
    if let Some(l) = lines
        .iter()
        .find(|l| !decided.iter().any(|d| d.funder == l.funder))
    {
        return Err(FieldError::new(
            "lines",
            format!("{} decided nothing for this project", l.funder),
        )
        .into());
    }
    sqlx::query("DELETE FROM payment_schedule WHERE application_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for l in lines {
        sqlx::query("INSERT INTO payment_schedule (application_id, organisation_id, funder, kind, due_on, amount_cents) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id).bind(l.organisation_id).bind(l.funder.clone()).bind(l.kind.as_str()).bind(l.due_on.to_string()).bind(l.amount_cents)
            .execute(&mut *tx).await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "payment.schedule",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"lines": lines}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A payment claimed by a partner, as stored (checked by the use case: amounts not
/// negative, a statement of 1 to 20,000 characters, trimmed).
#[derive(Debug, Clone)]
pub struct NewClaim {
    pub organisation_id: i64,
    pub funder: String,
    pub kind: PaymentKind,
    pub amount_cents: i64,
    pub expenses_cents: i64,
    pub statement: String,
}

/// Records a partner's claim of a payment for its running project, with its expense
/// statement.
pub async fn claim(db: &Db, user_id: i64, ctx: &Context, id: i64, c: &NewClaim) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    if standing(&mut tx, id).await?.status != ApplicationStatus::Running {
        return Err(FieldError::new("status", "payments are claimed for running projects").into());
    }
    let cid: i64 = sqlx::query_scalar("INSERT INTO payment_claims (application_id, organisation_id, funder, kind, amount_cents, expenses_cents, statement, claimed_by, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(id).bind(c.organisation_id).bind(c.funder.clone()).bind(c.kind.as_str()).bind(c.amount_cents).bind(c.expenses_cents).bind(c.statement.clone()).bind(user_id).bind(now_utc())
        .fetch_one(&mut *tx).await?;
    audit::append(&mut tx, ctx, Event { action: "payment.claim", object_kind: "application", object_ref: id.to_string(), changes: json!({"claim": cid, "funder": c.funder, "kind": c.kind, "amount_cents": c.amount_cents, "expenses_cents": c.expenses_cents}), reason: None }).await?;
    tx.commit().await?;
    Ok(cid)
}

struct ClaimToDecideRow {
    application_id: i64,
    funder: String,
    amount_cents: i64,
    status: String,
    release_proposed_by: Option<i64>,
    release_paid_on: Option<String>,
}
from_row!(ClaimToDecideRow {
    application_id,
    funder,
    amount_cents,
    status,
    release_proposed_by,
    release_paid_on
});

/// Where a claim stands after a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStep {
    /// One officer proposed the payment: another must release it.
    ReleaseProposed,
    /// A second officer released the payment.
    Paid,
    Refused,
}

/// Decides a claim. Paying takes two officers: the first proposes the payment (on
/// `paid_on`, today when absent), another releases it; the proposer never releases their
/// own (refused with the code `same_officer`). What is paid per funder never exceeds what
/// was decided. Refusing takes one officer, at either step.
pub async fn decide_claim(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    claim_id: i64,
    pay: bool,
    paid_on: Option<Date>,
    reason: Option<String>,
) -> Result<ClaimStep> {
    let mut tx = audit::begin_write(db).await?;
    let c: ClaimToDecideRow = sqlx::query_as(
        "SELECT application_id, funder, amount_cents, status, release_proposed_by, release_paid_on FROM payment_claims WHERE id = $1",
    )
    .bind(claim_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("claim"))?;
    if parsed::<ClaimStatus>(c.status)? != ClaimStatus::Claimed {
        return Err(FieldError::new("claim", "was already decided").into());
    }
    let (id, funder, amount) = (c.application_id, c.funder, c.amount_cents);
    let proposed_by = c.release_proposed_by;
    if pay {
        if proposed_by == Some(user_id) {
            return Err(StoreError::Refused {
                code: "same_officer",
                reason: FieldError::new(
                    "pay",
                    "you proposed this payment: another officer must release it",
                ),
            });
        }
        let decided = decision(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("decision"))?
            .lines;
        let limit = decided
            .iter()
            .find(|l| l.funder == funder)
            .map(|l| l.amount_cents)
            .unwrap_or(0);
        let paid: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM payment_claims WHERE application_id = $1 AND funder = $2 AND status = 'paid'")
            .bind(id).bind(funder.clone()).fetch_one(&mut *tx).await?;
        if paid + amount > limit {
            return Err(FieldError::new(
                "pay",
                format!(
                    "{funder} would pay {} cents, more than the {limit} decided",
                    paid + amount
                ),
            )
            .into());
        }
    }
    let step = match (pay, proposed_by) {
        (false, _) => ClaimStep::Refused,
        (true, None) => ClaimStep::ReleaseProposed,
        (true, Some(_)) => ClaimStep::Paid,
    };
    let (action, changes) = match step {
        ClaimStep::ReleaseProposed => {
            let on = paid_on.unwrap_or_else(Date::today);
            sqlx::query("UPDATE payment_claims SET release_proposed_by = $1, release_proposed_at = $2, release_paid_on = $3 WHERE id = $4")
                .bind(user_id)
                .bind(now_utc())
                .bind(on.to_string())
                .bind(claim_id)
                .execute(&mut *tx)
                .await?;
            (
                "payment.propose",
                json!({"claim": claim_id, "funder": funder, "amount_cents": amount, "paid_on": on}),
            )
        }
        ClaimStep::Paid => {
            // The date proposed stands unless the releasing officer gives another.
            let on = match paid_on {
                Some(d) => d,
                None => parsed_opt::<Date>(c.release_paid_on)?.unwrap_or_else(Date::today),
            };
            sqlx::query("UPDATE payment_claims SET status = 'paid', decided_by = $1, paid_on = $2, reason = $3 WHERE id = $4")
                .bind(user_id)
                .bind(on.to_string())
                .bind(reason.clone())
                .bind(claim_id)
                .execute(&mut *tx)
                .await?;
            (
                "payment.pay",
                json!({"claim": claim_id, "funder": funder, "amount_cents": amount, "paid_on": on, "proposed_by": proposed_by}),
            )
        }
        ClaimStep::Refused => {
            sqlx::query("UPDATE payment_claims SET status = 'refused', decided_by = $1, reason = $2 WHERE id = $3")
                .bind(user_id)
                .bind(reason.clone())
                .bind(claim_id)
                .execute(&mut *tx)
                .await?;
            (
                "payment.refuse",
                json!({"claim": claim_id, "funder": funder, "amount_cents": amount}),
            )
        }
    };
    audit::append(
        &mut tx,
        ctx,
        Event {
            action,
            object_kind: "application",
            object_ref: id.to_string(),
            changes,
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(step)
}

/// Plans a milestone (its title checked by the use case) of a selected or running project.
pub async fn add_milestone(
    db: &Db,
    ctx: &Context,
    id: i64,
    title: &str,
    due_on: Date,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let status = standing(&mut tx, id).await?.status;
    if !matches!(
        status,
        ApplicationStatus::Selected | ApplicationStatus::Running
    ) {
        return Err(FieldError::new(
            "status",
            "milestones belong to selected or running projects",
        )
        .into());
    }
    let mid: i64 = sqlx::query_scalar(
        "INSERT INTO milestones (application_id, title, due_on) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(id)
    .bind(title.to_string())
    .bind(due_on.to_string())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "milestone.add",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"milestone": mid, "title": title, "due_on": due_on}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(mid)
}

/// Records that a milestone of the application was reached, with its evidence.
pub async fn milestone_done(
    db: &Db,
    ctx: &Context,
    id: i64,
    milestone: i64,
    done_on: Date,
    evidence: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    standing(&mut tx, id).await?;
    let n = sqlx::query(
        "UPDATE milestones SET done_on = $1, evidence = $2 WHERE id = $3 AND application_id = $4",
    )
    .bind(done_on.to_string())
    .bind(evidence.map(|e| e.chars().take(5000).collect::<String>()))
    .bind(milestone)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("milestone"));
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "milestone.done",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"milestone": milestone, "done_on": done_on}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Closes or abandons (`status`, checked by the use case) a running project.
pub async fn set_project_status(
    db: &Db,
    ctx: &Context,
    id: i64,
    status: ApplicationStatus,
    reason: Option<String>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let before = standing(&mut tx, id).await?.status;
    if before != ApplicationStatus::Running {
        return Err(
            FieldError::new("status", "only a running project is closed or abandoned").into(),
        );
    }
    sqlx::query("UPDATE applications SET status = $1, version = version + 1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "application.status",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: audit::diff(&[("status", before.as_str().into(), status.as_str().into())]),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimRow {
    pub id: i64,
    pub organisation_id: i64,
    pub funder: String,
    pub kind: PaymentKind,
    pub amount_cents: i64,
    pub expenses_cents: i64,
    pub status: ClaimStatus,
    pub claimed_at: String,
    pub paid_on: Option<Date>,
    /// The officer who proposed the payment (their name, else their e-mail), while it
    /// waits for another to release it and after.
    pub release_proposed_by: Option<String>,
    /// The officer who released the payment, or refused the claim.
    pub decided_by: Option<String>,
}

struct StoredClaimRow {
    id: i64,
    organisation_id: i64,
    funder: String,
    kind: String,
    amount_cents: i64,
    expenses_cents: i64,
    status: String,
    claimed_at: String,
    paid_on: Option<String>,
    release_proposed_by: Option<String>,
    decided_by: Option<String>,
}
from_row!(StoredClaimRow {
    id,
    organisation_id,
    funder,
    kind,
    amount_cents,
    expenses_cents,
    status,
    claimed_at,
    paid_on,
    release_proposed_by,
    decided_by
});

impl TryFrom<StoredClaimRow> for ClaimRow {
    type Error = StoreError;

    fn try_from(r: StoredClaimRow) -> Result<Self> {
        Ok(ClaimRow {
            id: r.id,
            organisation_id: r.organisation_id,
            funder: r.funder,
            kind: parsed(r.kind)?,
            amount_cents: r.amount_cents,
            expenses_cents: r.expenses_cents,
            status: parsed(r.status)?,
            claimed_at: r.claimed_at,
            paid_on: parsed_opt(r.paid_on)?,
            release_proposed_by: r.release_proposed_by,
            decided_by: r.decided_by,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Milestone {
    pub id: i64,
    pub title: String,
    pub due_on: Date,
    pub done_on: Option<Date>,
}

struct MilestoneRow {
    id: i64,
    title: String,
    due_on: String,
    done_on: Option<String>,
}
from_row!(MilestoneRow {
    id,
    title,
    due_on,
    done_on
});

impl TryFrom<MilestoneRow> for Milestone {
    type Error = StoreError;

    fn try_from(r: MilestoneRow) -> Result<Self> {
        Ok(Milestone {
            id: r.id,
            title: r.title,
            due_on: parsed(r.due_on)?,
            done_on: parsed_opt(r.done_on)?,
        })
    }
}

/// What follows an application's decision, as stored: its status, the decision (validation
/// date, finalisation deadline, amounts per funder), the schedule, claims and milestones.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub status: ApplicationStatus,
    pub validation_date: Option<Date>,
    pub finalisation_deadline: Option<Date>,
    /// The finalisation date (the column holds a date, not a timestamp).
    pub finalised_at: Option<Date>,
    /// What was decided per funder (empty before a decision).
    pub decided: Vec<FundingLine>,
    pub schedule: Vec<ScheduledPayment>,
    pub claims: Vec<ClaimRow>,
    pub milestones: Vec<Milestone>,
}

pub async fn follow_up(db: &Db, id: i64) -> Result<FollowUp> {
    let mut tx = db.pool.begin().await?;
    let (status, finalised_at): (String, Option<String>) =
        sqlx::query_as("SELECT status, finalised_at FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("application"))?;
    let decided = decision(&mut tx, id).await?;
    let months = finalisation_months(&mut tx, id).await?;
    let schedule: Vec<ScheduleRow> = sqlx::query_as("SELECT organisation_id, funder, kind, due_on, amount_cents FROM payment_schedule WHERE application_id = $1 ORDER BY due_on, id")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    let claims: Vec<StoredClaimRow> = sqlx::query_as("SELECT c.id, c.organisation_id, c.funder, c.kind, c.amount_cents, c.expenses_cents, c.status, c.claimed_at, c.paid_on, \
           COALESCE(p.display_name, p.email) AS release_proposed_by, COALESCE(d.display_name, d.email) AS decided_by \
         FROM payment_claims c LEFT JOIN users p ON p.id = c.release_proposed_by LEFT JOIN users d ON d.id = c.decided_by \
         WHERE c.application_id = $1 ORDER BY c.id")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    let milestones: Vec<MilestoneRow> = sqlx::query_as("SELECT id, title, due_on, done_on FROM milestones WHERE application_id = $1 ORDER BY due_on, id")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let (validation, decided) = match decided {
        Some(d) => (Some(d.validation_date), d.lines),
        None => (None, Vec::new()),
    };
    Ok(FollowUp {
        status: parsed(status)?,
        finalisation_deadline: validation.and_then(|v| v.add_months(months)),
        validation_date: validation,
        finalised_at: parsed_opt(finalised_at)?,
        decided,
        schedule: schedule
            .into_iter()
            .map(ScheduledPayment::try_from)
            .collect::<Result<_>>()?,
        claims: claims
            .into_iter()
            .map(ClaimRow::try_from)
            .collect::<Result<_>>()?,
        milestones: milestones
            .into_iter()
            .map(Milestone::try_from)
            .collect::<Result<_>>()?,
    })
}

/// A funded project as the public atlas shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundedProject {
    pub application_id: i64,
    pub call: String,
    pub acronym: String,
    pub title: String,
    pub lead: String,
    pub status: ApplicationStatus,
    pub validation_date: Option<Date>,
    pub funding: Vec<FundingLine>,
}

struct FundedRow {
    id: i64,
    slug: String,
    acronym: String,
    title: String,
    lead: String,
    status: String,
    validation_date: Option<String>,
}
from_row!(FundedRow {
    id,
    slug,
    acronym,
    title,
    lead,
    status,
    validation_date
});

/// Selected, running and closed projects with their decided funding; the demo's fictional
/// ones stay out (this list is open data).
pub async fn funded_projects(db: &Db) -> Result<Vec<FundedProject>> {
    let rows: Vec<FundedRow> = sqlx::query_as(
        "SELECT a.id, c.slug, a.acronym, a.title, o.name AS lead, a.status, \
           (SELECT MIN(p.validation_date) FROM funding_proposals p WHERE p.application_id = a.id AND p.status = 'approved') AS validation_date \
         FROM applications a JOIN calls c ON c.id = a.call_id JOIN organisations o ON o.id = a.lead_organisation_id \
         WHERE a.status IN ('selected', 'running', 'closed') AND c.fictional = 0 \
           AND EXISTS (SELECT 1 FROM funding_proposals p WHERE p.application_id = a.id AND p.status = 'approved') \
         ORDER BY validation_date DESC, a.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        // Every decided share: a region's may have been approved before the State's.
        let funding: Vec<(String, i64)> = sqlx::query_as(
            "SELECT l.funder, l.amount_cents FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id \
             WHERE p.application_id = $1 AND p.status = 'approved' ORDER BY l.funder DESC",
        )
        .bind(r.id)
        .fetch_all(&db.pool)
        .await?;
        out.push(FundedProject {
            application_id: r.id,
            call: r.slug,
            acronym: r.acronym,
            title: r.title,
            lead: r.lead,
            status: parsed(r.status)?,
            validation_date: parsed_opt(r.validation_date)?,
            funding: funding
                .into_iter()
                .map(|(funder, amount_cents)| FundingLine {
                    funder,
                    amount_cents,
                })
                .collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_are_added_with_the_day_clamped() {
        assert_eq!(super::add_months("2018-01-31", 1).unwrap(), "2018-02-28");
        assert_eq!(super::add_months("2018-08-15", 6).unwrap(), "2019-02-15");
        assert_eq!(super::add_months("2019-08-31", 6).unwrap(), "2020-02-29");
    }
}

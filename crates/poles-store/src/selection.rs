//! Review and selection: officers assign reviewers (conflicts refused), reviewers score blind,
//! a ranking per call, funding proposals approved under four eyes (two approvers above the
//! call's threshold) and never beyond a funder's envelope — approvals run one at a time
//! under the write lock, so racing approvals cannot overspend. Rows are decoded into row
//! structs of primitive columns (explicit column lists) and converted with `TryFrom`: a
//! stored status or date that does not parse is refused, never defaulted.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, project_name, To};
use crate::util::{flag, from_row, now_utc, parsed, Tx};
use crate::Db;
use poles_core::model::FundingLine;
use poles_core::review::{self, CriterionAverage, Score};
use poles_core::status::{ApplicationStatus, ProposalStatus};
use poles_core::{Date, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// What of the eligibility snapshot taken at submission the selection reads.
#[derive(Deserialize)]
struct EligibilitySnapshot {
    eligible: bool,
}

/// Whether the application was eligible at submission: `false` without a snapshot (never
/// submitted); a snapshot that does not parse is refused.
fn eligible_at_submission(snapshot: Option<String>) -> Result<bool> {
    snapshot
        .map(|e| {
            serde_json::from_str::<EligibilitySnapshot>(&e)
                .map(|s| s.eligible)
                .map_err(|e| StoreError::Data(format!("stored eligibility_at_submission: {e}")))
        })
        .transpose()
        .map(|e| e.unwrap_or(false))
}

pub async fn assign_reviewer(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    application_id: i64,
    reviewer_id: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let status: String = sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
        .bind(application_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("application"))?;
    if parsed::<ApplicationStatus>(status)? != ApplicationStatus::Submitted {
        return Err(
            FieldError::new("application", "only submitted applications are reviewed").into(),
        );
    }
    let grants: Vec<(String, String)> =
        sqlx::query_as("SELECT role, scope FROM role_grants WHERE user_id = $1")
            .bind(reviewer_id)
            .fetch_all(&mut *tx)
            .await?;
    if !grants.iter().any(|(r, _)| r == "reviewer") {
        return Err(FieldError::new("reviewer_id", "is not a reviewer").into());
    }
    let partners: Vec<i64> = sqlx::query_scalar(
        "SELECT organisation_id FROM application_partners WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_all(&mut *tx)
    .await?;
    if grants
        .iter()
        .filter(|(r, _)| r == "organisation_member")
        .any(|(_, scope)| partners.iter().any(|p| p.to_string() == *scope))
    {
        return Err(FieldError::new(
            "reviewer_id",
            "belongs to a partner organisation of this project",
        )
        .into());
    }
    let n = sqlx::query("INSERT INTO review_assignments (application_id, reviewer_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4) ON CONFLICT (application_id, reviewer_id) DO NOTHING")
        .bind(application_id)
        .bind(reviewer_id)
        .bind(user_id)
        .bind(now_utc())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("reviewer_id", "is already assigned").into());
    }
    let project = project_name(&mut tx, application_id).await?;
    notify(
        &mut tx,
        To::User(reviewer_id),
        "review_assignment",
        format!("Le projet {project} vous est confié pour évaluation."),
        format!("Project {project} is assigned to you for review."),
        Some(format!("/applications/{application_id}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "review.assign",
            object_kind: "application",
            object_ref: application_id.to_string(),
            changes: json!({"reviewer": reviewer_id}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer's assignment, checked: it exists and no conflict was declared.
async fn assignment(tx: &mut impl Tx, user_id: i64, application_id: i64) -> Result<Option<String>> {
    let (conflict_declared, submitted_at): (i64, Option<String>) = sqlx::query_as("SELECT conflict_declared, submitted_at FROM review_assignments WHERE application_id = $1 AND reviewer_id = $2")
        .bind(application_id)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("review assignment"))?;
    if flag(conflict_declared) {
        return Err(
            FieldError::new("application", "you declared a conflict of interest on it").into(),
        );
    }
    Ok(submitted_at)
}

pub async fn declare_conflict(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    application_id: i64,
    reason: &str,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let n = sqlx::query("UPDATE review_assignments SET conflict_declared = 1, conflict_reason = $1 WHERE application_id = $2 AND reviewer_id = $3 AND submitted_at IS NULL")
        .bind(reason.chars().take(2000).collect::<String>())
        .bind(application_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("open review assignment"));
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "review.conflict",
            object_kind: "application",
            object_ref: application_id.to_string(),
            changes: json!({}),
            reason: Some(reason.to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The criteria positions a call expects (1 when it lists none).
async fn criteria_of(tx: &mut impl Tx, application_id: i64) -> Result<Vec<(i64, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT k.position, k.weight_bp FROM call_criteria k JOIN applications a ON a.call_id = k.call_id WHERE a.id = $1 ORDER BY k.position")
        .bind(application_id)
        .fetch_all(&mut **tx)
        .await?;
    Ok(if rows.is_empty() {
        vec![(1, 10_000)]
    } else {
        rows
    })
}

/// Submits one's scores, once, for every criterion of the call.
pub async fn submit_review(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    application_id: i64,
    scores: &[Score],
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    if assignment(&mut tx, user_id, application_id)
        .await?
        .is_some()
    {
        return Err(FieldError::new("scores", "your review was already submitted").into());
    }
    let criteria = criteria_of(&mut tx, application_id).await?;
    let positions: Vec<i64> = criteria.iter().map(|(p, _)| *p).collect();
    review::check(&positions, scores)?;
    for (pos, _) in &criteria {
        let Some(sc) = scores.iter().find(|x| x.criterion == *pos) else {
            continue;
        };
        sqlx::query("INSERT INTO review_scores (application_id, reviewer_id, criterion, score, comment) VALUES ($1, $2, $3, $4, $5)")
            .bind(application_id)
            .bind(user_id)
            .bind(*pos)
            .bind(sc.score)
            .bind(&sc.comment)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE review_assignments SET submitted_at = $1 WHERE application_id = $2 AND reviewer_id = $3")
        .bind(now_utc())
        .bind(application_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "review.submit",
            object_kind: "application",
            object_ref: application_id.to_string(),
            changes: json!({"scores": scores.len()}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The marks of an application's submitted reviews as a reviewer may read them: whether
/// their own is submitted, and every mark with its reviewer's id, in order of submission.
#[derive(Debug, Clone)]
pub struct ReviewMarks {
    pub submitted: bool,
    pub marks: Vec<(i64, Score)>,
}

struct ScoreRow {
    reviewer_id: i64,
    criterion: i64,
    score: i64,
    comment: Option<String>,
}
from_row!(ScoreRow {
    reviewer_id,
    criterion,
    score,
    comment
});

/// The marks of an application, for one of its reviewers (their assignment is checked: it
/// exists and no conflict was declared).
pub async fn review_marks(db: &Db, user_id: i64, application_id: i64) -> Result<ReviewMarks> {
    let mut tx = db.pool.begin().await?;
    let submitted = assignment(&mut tx, user_id, application_id)
        .await?
        .is_some();
    let rows: Vec<ScoreRow> = sqlx::query_as("SELECT s.reviewer_id, s.criterion, s.score, s.comment FROM review_scores s JOIN review_assignments a ON a.application_id = s.application_id AND a.reviewer_id = s.reviewer_id WHERE s.application_id = $1 ORDER BY a.submitted_at, s.reviewer_id, s.criterion")
        .bind(application_id)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let marks = rows
        .into_iter()
        .map(|r| {
            (
                r.reviewer_id,
                Score {
                    criterion: r.criterion,
                    score: r.score,
                    comment: r.comment,
                },
            )
        })
        .collect();
    Ok(ReviewMarks { submitted, marks })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankingRow {
    pub rank: i64,
    pub application_id: i64,
    pub acronym: String,
    pub reviews: i64,
    pub averages: Vec<CriterionAverage>,
    /// Average weighted by the call's criteria weights, in hundredths of a point (10 points = 1000).
    pub weighted_total: i64,
    pub eligible_at_submission: bool,
}

struct RankedApplicationRow {
    id: i64,
    acronym: String,
    eligibility_at_submission: Option<String>,
}
from_row!(RankedApplicationRow {
    id,
    acronym,
    eligibility_at_submission
});

struct ScoreSumRow {
    application_id: i64,
    criterion: i64,
    total: i64,
    n: i64,
}
from_row!(ScoreSumRow {
    application_id,
    criterion,
    total,
    n
});

/// Submitted applications of a call ranked by weighted average score.
pub async fn ranking(db: &Db, call: &str) -> Result<Vec<RankingRow>> {
    let call_id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    let mut criteria: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT position, weight_bp FROM call_criteria WHERE call_id = $1 ORDER BY position",
    )
    .bind(call_id)
    .fetch_all(&db.pool)
    .await?;
    if criteria.is_empty() {
        criteria = vec![(1, 10_000)];
    }
    let weight_sum: i64 = criteria.iter().map(|c| c.1).sum::<i64>().max(1);
    let apps: Vec<RankedApplicationRow> = sqlx::query_as("SELECT id, acronym, eligibility_at_submission FROM applications WHERE call_id = $1 AND status IN ('submitted', 'selected', 'lapsed', 'running', 'closed', 'abandoned')")
        .bind(call_id)
        .fetch_all(&db.pool)
        .await?;
    let sums: Vec<ScoreSumRow> = sqlx::query_as("SELECT s.application_id, s.criterion, CAST(SUM(s.score) AS BIGINT) AS total, COUNT(*) AS n FROM review_scores s JOIN review_assignments a ON a.application_id = s.application_id AND a.reviewer_id = s.reviewer_id JOIN applications p ON p.id = s.application_id WHERE p.call_id = $1 AND a.submitted_at IS NOT NULL GROUP BY s.application_id, s.criterion")
        .bind(call_id)
        .fetch_all(&db.pool)
        .await?;
    // (application, criterion) -> (sum of the marks, number of marks)
    let sums: HashMap<(i64, i64), (i64, i64)> = sums
        .into_iter()
        .map(|r| ((r.application_id, r.criterion), (r.total, r.n)))
        .collect();
    let mut rows = Vec::new();
    for a in apps {
        let mut averages = Vec::new();
        let mut weighted = 0i64;
        let mut reviews = 0i64;
        for (pos, w) in &criteria {
            let avg = match sums.get(&(a.id, *pos)) {
                Some(&(total, n)) => {
                    reviews = reviews.max(n);
                    total * 100 / n.max(1)
                }
                None => 0,
            };
            averages.push(CriterionAverage {
                criterion: *pos,
                average: avg,
            });
            weighted += avg * w;
        }
        rows.push(RankingRow {
            rank: 0,
            application_id: a.id,
            acronym: a.acronym,
            reviews,
            averages,
            weighted_total: weighted / weight_sum,
            eligible_at_submission: eligible_at_submission(a.eligibility_at_submission)?,
        });
    }
    rows.retain(|r| r.reviews > 0);
    rows.sort_by(|x, y| {
        y.eligible_at_submission
            .cmp(&x.eligible_at_submission)
            .then(y.weighted_total.cmp(&x.weighted_total))
            .then(x.application_id.cmp(&y.application_id))
    });
    for (k, r) in rows.iter_mut().enumerate() {
        r.rank = k as i64 + 1;
    }
    Ok(rows)
}

/// A funder's envelope for a call as stored, with what approved proposals commit of it.
#[derive(Debug, Clone)]
pub struct CallEnvelope {
    pub funder: String,
    pub envelope_cents: Option<i64>,
    pub committed_cents: i64,
    /// The budget line (programme budget) this envelope draws on.
    pub budget: Option<String>,
}

/// A funder's envelope as an officer sets it.
#[derive(Debug, Clone, Serialize)]
pub struct EnvelopeSetting {
    pub funder: String,
    /// Not negative (checked by the use case).
    pub envelope_cents: Option<i64>,
    /// The budget line it draws on. Absent: unchanged; `""`: no line.
    pub budget: Option<String>,
}

/// Sets the funders' envelopes of a call and its two-approver threshold.
pub async fn set_settings(
    db: &Db,
    ctx: &Context,
    call: &str,
    envelopes: &[EnvelopeSetting],
    two_approvals_above_cents: Option<i64>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let call_id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    for e in envelopes {
        if let Some(code) = e.budget.as_ref().filter(|c| !c.is_empty()) {
            let currency: Option<String> = sqlx::query_scalar(
                "SELECT currency FROM call_funders WHERE call_id = $1 AND funder = $2",
            )
            .bind(call_id)
            .bind(e.funder.clone())
            .fetch_optional(&mut *tx)
            .await?;
            crate::funding::check_link(&mut tx, code, currency.as_deref().unwrap_or("EUR")).await?;
        }
        let n = sqlx::query(
            "UPDATE call_funders SET envelope_cents = $1, budget_code = CASE WHEN $4 IS NULL THEN budget_code WHEN $4 = '' THEN NULL ELSE $4 END WHERE call_id = $2 AND funder = $3",
        )
        .bind(e.envelope_cents)
        .bind(call_id)
        .bind(e.funder.clone())
        .bind(e.budget.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(FieldError::new(
                "envelopes",
                format!("{} is not a funder of this call", e.funder),
            )
            .into());
        }
    }
    sqlx::query("UPDATE calls SET two_approvals_above_cents = $1 WHERE id = $2")
        .bind(two_approvals_above_cents)
        .bind(call_id)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event { action: "call.selection_settings", object_kind: "call", object_ref: call.to_string(), changes: json!({"envelopes": envelopes, "two_approvals_above_cents": two_approvals_above_cents}), reason: None }).await?;
    tx.commit().await?;
    Ok(())
}

struct EnvelopeRow {
    funder: String,
    envelope_cents: Option<i64>,
    budget_code: Option<String>,
    committed: i64,
}
from_row!(EnvelopeRow {
    funder,
    envelope_cents,
    budget_code,
    committed
});

impl From<EnvelopeRow> for CallEnvelope {
    fn from(r: EnvelopeRow) -> Self {
        CallEnvelope {
            funder: r.funder,
            envelope_cents: r.envelope_cents,
            committed_cents: r.committed,
            budget: r.budget_code,
        }
    }
}

/// Each funder's envelope and what approved proposals commit of it.
pub async fn envelopes(db: &Db, call: &str) -> Result<Vec<CallEnvelope>> {
    let rows: Vec<EnvelopeRow> = sqlx::query_as(
        "SELECT f.funder, f.envelope_cents, f.budget_code, CAST(COALESCE((SELECT SUM(l.amount_cents) FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id \
           JOIN applications a ON a.id = p.application_id WHERE a.call_id = c.id AND p.status = 'approved' AND l.funder = f.funder), 0) AS BIGINT) AS committed \
         FROM call_funders f JOIN calls c ON c.id = f.call_id WHERE c.slug = $1 ORDER BY f.funder DESC",
    )
    .bind(call.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(CallEnvelope::from).collect())
}

struct ProposedApplicationRow {
    call_id: i64,
    status: String,
    eligibility_at_submission: Option<String>,
}
from_row!(ProposedApplicationRow {
    call_id,
    status,
    eligibility_at_submission
});

/// Proposes funding for a submitted, eligible application (its lines listed and none
/// negative: checked by the use case).
pub async fn propose(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    application_id: i64,
    lines: &[FundingLine],
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let a: ProposedApplicationRow = sqlx::query_as(
        "SELECT call_id, status, eligibility_at_submission FROM applications WHERE id = $1",
    )
    .bind(application_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("application"))?;
    if parsed::<ApplicationStatus>(a.status)? != ApplicationStatus::Submitted {
        return Err(
            FieldError::new("application", "only submitted applications can be proposed").into(),
        );
    }
    if !eligible_at_submission(a.eligibility_at_submission)? {
        return Err(FieldError::new("application", "was not eligible at submission").into());
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM funding_proposals WHERE application_id = $1 AND status = 'proposed'",
    )
    .bind(application_id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Err(FieldError::new("application", "already has an open proposal").into());
    }
    let call_id = a.call_id;
    let funders: Vec<String> =
        sqlx::query_scalar("SELECT funder FROM call_funders WHERE call_id = $1")
            .bind(call_id)
            .fetch_all(&mut *tx)
            .await?;
    if let Some(l) = lines.iter().find(|l| !funders.contains(&l.funder)) {
        return Err(FieldError::new(
            "lines",
            format!("{} is not a funder of this call", l.funder),
        )
        .into());
    }
    // A funder decides its share once: a region may decide before the State, never twice.
    let decided: Vec<String> = sqlx::query_scalar(
        "SELECT l.funder FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id \
         WHERE p.application_id = $1 AND p.status = 'approved'",
    )
    .bind(application_id)
    .fetch_all(&mut *tx)
    .await?;
    if let Some((k, l)) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| decided.contains(&l.funder))
    {
        return Err(FieldError::coded(
            format!("lines[{k}].amount_cents"),
            "share_decided",
            vec![l.funder.clone()],
            format!(
                "the {} share of this application is already decided",
                l.funder
            ),
        )
        .into());
    }
    let threshold: Option<i64> =
        sqlx::query_scalar("SELECT two_approvals_above_cents FROM calls WHERE id = $1")
            .bind(call_id)
            .fetch_one(&mut *tx)
            .await?;
    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
    let needed = if threshold.is_some_and(|t| total > t) {
        2
    } else {
        1
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO funding_proposals (application_id, proposed_by, proposed_at, approvals_needed) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(application_id)
        .bind(user_id)
        .bind(now_utc())
        .bind(needed)
        .fetch_one(&mut *tx)
        .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO funding_lines (proposal_id, funder, amount_cents) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(l.funder.clone())
        .bind(l.amount_cents)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "funding.propose",
            object_kind: "application",
            object_ref: application_id.to_string(),
            changes: json!({"proposal": id, "lines": lines, "approvals_needed": needed}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A proposal's application and its lines, for the use case's checks before an approval.
pub async fn proposal_lines(db: &Db, proposal_id: i64) -> Result<Option<(i64, Vec<FundingLine>)>> {
    let Some(application_id) =
        sqlx::query_scalar::<_, i64>("SELECT application_id FROM funding_proposals WHERE id = $1")
            .bind(proposal_id)
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let lines: Vec<(String, i64)> = sqlx::query_as(
        "SELECT funder, amount_cents FROM funding_lines WHERE proposal_id = $1 ORDER BY funder DESC",
    )
    .bind(proposal_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(Some((
        application_id,
        lines
            .into_iter()
            .map(|(funder, amount_cents)| FundingLine {
                funder,
                amount_cents,
            })
            .collect(),
    )))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalOutcome {
    /// `proposed` (more approvals needed) or `approved`.
    pub status: ProposalStatus,
    pub approvals: i64,
    pub approvals_needed: i64,
    /// The approval date of the decision: the project's validation date.
    pub validation_date: Option<Date>,
}

struct ApprovedProposalRow {
    application_id: i64,
    proposed_by: i64,
    status: String,
    approvals_needed: i64,
    call_id: i64,
}
from_row!(ApprovedProposalRow {
    application_id,
    proposed_by,
    status,
    approvals_needed,
    call_id
});

/// A funder's envelope for a call at the time of an approval.
struct FunderEnvelopeRow {
    envelope_cents: Option<i64>,
    budget_code: Option<String>,
    currency: String,
    committed: i64,
}
from_row!(FunderEnvelopeRow {
    envelope_cents,
    budget_code,
    currency,
    committed
});

/// Approves a proposal. Never the proposer's own; the last needed approval checks every
/// funder's envelope and decides, all under the write lock. The decision selects the
/// application when `selects` (the use case says which funders' decisions do: a region's
/// own share does not, so the State can still decide after it).
pub async fn approve(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    proposal_id: i64,
    selects: bool,
) -> Result<ApprovalOutcome> {
    let mut tx = audit::begin_write(db).await?;
    let p: ApprovedProposalRow = sqlx::query_as("SELECT p.application_id, p.proposed_by, p.status, p.approvals_needed, a.call_id FROM funding_proposals p JOIN applications a ON a.id = p.application_id WHERE p.id = $1")
        .bind(proposal_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("proposal"))?;
    if parsed::<ProposalStatus>(p.status)? != ProposalStatus::Proposed {
        return Err(FieldError::new("proposal", "is no longer open").into());
    }
    if p.proposed_by == user_id {
        return Err(
            FieldError::new("proposal", "a proposer never approves their own proposal").into(),
        );
    }
    let n = sqlx::query("INSERT INTO funding_approvals (proposal_id, approver_id, approved_at) VALUES ($1, $2, $3) ON CONFLICT (proposal_id, approver_id) DO NOTHING")
        .bind(proposal_id)
        .bind(user_id)
        .bind(now_utc())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("proposal", "you already approved it").into());
    }
    let approvals: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM funding_approvals WHERE proposal_id = $1")
            .bind(proposal_id)
            .fetch_one(&mut *tx)
            .await?;
    let needed = p.approvals_needed;
    let application_id = p.application_id;
    let mut validation_date = None;
    if approvals >= needed {
        let call_id = p.call_id;
        let lines: Vec<(String, i64)> =
            sqlx::query_as("SELECT funder, amount_cents FROM funding_lines WHERE proposal_id = $1")
                .bind(proposal_id)
                .fetch_all(&mut *tx)
                .await?;
        // Two funders of one call may draw on one budget line: sum what this approval takes
        // from each line before checking it.
        let date = Date::today();
        let mut per_line: BTreeMap<String, (String, i64)> = BTreeMap::new();
        for (funder, amount) in &lines {
            let r: FunderEnvelopeRow = sqlx::query_as(
                "SELECT f.envelope_cents, f.budget_code, f.currency, CAST(COALESCE((SELECT SUM(l.amount_cents) FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id \
                   JOIN applications a ON a.id = p.application_id WHERE a.call_id = $1 AND p.status = 'approved' AND l.funder = $2), 0) AS BIGINT) AS committed \
                 FROM call_funders f WHERE f.call_id = $1 AND f.funder = $2",
            )
            .bind(call_id)
            .bind(funder.clone())
            .fetch_one(&mut *tx)
            .await?;
            let Some(envelope) = r.envelope_cents else {
                return Err(FieldError::new(
                    "envelope",
                    format!("the {funder} envelope of this call is not set"),
                )
                .into());
            };
            let committed = r.committed;
            if committed + amount > envelope {
                return Err(FieldError::coded(
                    "envelope",
                    "envelope_overspent",
                    vec![
                        funder.clone(),
                        poles_core::money_arg(committed),
                        poles_core::money_arg(*amount),
                        poles_core::money_arg(envelope),
                    ],
                    format!("the {funder} envelope would be overspent: {} committed + {} proposed > {} (cents)", committed, amount, envelope),
                )
                .into());
            }
            if let Some(code) = r.budget_code {
                let e = per_line.entry(code).or_insert((r.currency, 0));
                e.1 += amount;
            }
        }
        for (code, (currency, amount)) in &per_line {
            crate::funding::check_budget(&mut tx, code, currency, *amount, &date.to_string())
                .await?;
        }
        sqlx::query(
            "UPDATE funding_proposals SET status = 'approved', validation_date = $1 WHERE id = $2",
        )
        .bind(date.to_string())
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        if selects {
            sqlx::query(
                "UPDATE applications SET status = 'selected', version = version + 1 WHERE id = $1",
            )
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        }
        let lead_org: i64 =
            sqlx::query_scalar("SELECT lead_organisation_id FROM applications WHERE id = $1")
                .bind(application_id)
                .fetch_one(&mut *tx)
                .await?;
        let project = project_name(&mut tx, application_id).await?;
        let (fr, en) = if selects {
            (
                format!("Le projet {project} est retenu (date de validation : {date})."),
                format!("Project {project} is selected (validation date: {date})."),
            )
        } else {
            (
                format!("La part régionale du projet {project} est décidée ({date}) ; la décision de l'État suit."),
                format!("The regional share of project {project} is decided ({date}); the State's decision follows."),
            )
        };
        notify(
            &mut tx,
            To::Organisation(lead_org),
            "funding_decision",
            fr,
            en,
            Some(format!("/applications/{application_id}")),
        )
        .await?;
        validation_date = Some(date);
    }
    audit::append(&mut tx, ctx, Event { action: if validation_date.is_some() { "funding.decide" } else { "funding.approve" }, object_kind: "application", object_ref: application_id.to_string(), changes: json!({"proposal": proposal_id, "approvals": approvals, "needed": needed, "validation_date": validation_date}), reason: None }).await?;
    tx.commit().await?;
    Ok(ApprovalOutcome {
        status: if validation_date.is_some() {
            ProposalStatus::Approved
        } else {
            ProposalStatus::Proposed
        },
        approvals,
        approvals_needed: needed,
        validation_date,
    })
}

/// A proposal's proposer and application, to check who may withdraw or reject it.
pub async fn proposal_parties(db: &Db, proposal_id: i64) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as::<_, (i64, i64)>(
        "SELECT application_id, proposed_by FROM funding_proposals WHERE id = $1",
    )
    .bind(proposal_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Closes an open proposal by `user_id` (withdrawn by its proposer, rejected by an approver),
/// checked under the write lock against the statuses the transition table leaves from;
/// `Refused` (`illegal_transition`) otherwise. The application is no longer blocked: a new
/// proposal can be made. Audited; a rejection is told to the proposer.
#[expect(
    clippy::too_many_arguments,
    reason = "the transition's parts, as the use case looked them up"
)]
pub async fn close_proposal(
    db: &Db,
    user_id: i64,
    ctx: &Context,
    proposal_id: i64,
    action: &'static str,
    from: &[ProposalStatus],
    to: ProposalStatus,
    reason: &str,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let (application_id, proposed_by, status) = sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT application_id, proposed_by, status FROM funding_proposals WHERE id = $1",
    )
    .bind(proposal_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("proposal"))?;
    let before: ProposalStatus = parsed(status)?;
    if !from.contains(&before) {
        return Err(crate::applications::illegal_transition(action, before));
    }
    sqlx::query("UPDATE funding_proposals SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
        .bind(to.as_str())
        .bind(reason.to_string())
        .bind(user_id)
        .bind(now_utc())
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
    if proposed_by != user_id {
        notify(
            &mut tx,
            To::User(proposed_by),
            "proposal_rejected",
            format!("Votre proposition n° {proposal_id} (projet n° {application_id}) est rejetée. Motif : {reason}"),
            format!("Your proposal #{proposal_id} (project #{application_id}) is rejected. Reason: {reason}"),
            Some(format!("/applications/{application_id}")),
        )
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if to == ProposalStatus::Withdrawn {
                "funding.withdraw"
            } else {
                "funding.reject"
            },
            object_kind: "application",
            object_ref: application_id.to_string(),
            changes: json!({"proposal": proposal_id, "status": {"before": before.as_str(), "after": to.as_str()}}),
            reason: Some(reason.to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(application_id)
}

//! Applications to calls, stored: drafts, partners invited and answering, budgets and R&D
//! location per partner, labelling requests and the clusters' decisions, and submission,
//! which keeps the eligibility checked by the use case and freezes the call's rule set.
//! Storage only: who may write is decided by the use-case layer, which also runs the rules;
//! the state guards that must hold under the write lock (still a draft, the call still
//! open, the version read still current) stay here. Every write leaves its audit row.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, project_name, To};
use crate::util::{flag, from_row, now_utc, parsed, parsed_opt, Tx};
use crate::Db;
use poles_core::calls::{Aid, Costs, Eligibility, RuleSet};
use poles_core::paris::Deadline;
use poles_core::status::{
    AgreementStatus, ApplicationStatus, Invitation, LabellingStatus, PartnerRole, ProposalStatus,
};
use poles_core::{Date, FieldError, OrgKind};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A new draft as checked by the use case: texts trimmed, empty ones absent.
#[derive(Debug, Clone)]
pub struct Draft {
    pub acronym: String,
    pub title: String,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub keywords: Option<String>,
    pub duration_months: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationPartner {
    pub organisation_id: i64,
    pub name: String,
    pub role: PartnerRole,
    // Inline: in the API the name `Invitation` is the body that invites a partner.
    #[schema(inline)]
    pub invitation: Invitation,
    pub declared_kind: OrgKind,
    pub independent: bool,
    pub marginal_cost: bool,
    pub costs: Costs,
    pub rd_commune: Option<String>,
    /// The name of the R&D commune.
    pub rd_commune_name: Option<String>,
    pub rd_region: Option<String>,
    /// Computed from the R&D commune: its region is one of a labelling pôle's regions
    /// (pôles asked to label and not refusing). Never typed by the applicant.
    pub in_labelling_territory: bool,
    /// Computed from the R&D commune: its region is one of the lead pôle's regions.
    pub in_lead_territory: bool,
    /// Computed from the R&D commune: it is in a labelling pôle's R&D zone.
    pub in_rd_zone: bool,
    /// The R&D zone that contains the commune is illustrative (the shipped zones are not
    /// the decrees' lists).
    pub rd_zone_illustrative: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabellingRequest {
    pub application_id: i64,
    pub acronym: String,
    pub cluster: String,
    pub cluster_name: String,
    pub lead: bool,
    pub status: LabellingStatus,
    pub reasons: Option<String>,
    pub decided_on: Option<Date>,
}

/// An application as stored, with its consortium, labels, and the rule set and deadline of
/// its call (from which the use case computes its eligibility and aid).
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
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
    /// The rule set of the call.
    pub rules: RuleSet,
    /// As checked at the latest submission, kept unchanged.
    pub eligibility_at_submission: Option<serde_json::Value>,
    /// Why it was withdrawn, declared ineligible or rejected, and when.
    pub decision: Option<StatusDecision>,
    pub version: i64,
    /// In a call of the demo's invented workflow.
    pub fictional: bool,
}

/// Who acts in a write on an application: the user and the organisation they act for.
#[derive(Debug, Clone, Copy)]
pub struct Acting {
    pub user_id: i64,
    pub organisation_id: i64,
}

/// The call of an application and whether it is still open now: its deadline is the end of
/// its day in Paris (an instant, see `poles_core::paris`).
async fn open_call(tx: &mut impl Tx, call_id: i64) -> Result<()> {
    let deadline: Option<String> = sqlx::query_scalar("SELECT deadline FROM calls WHERE id = $1")
        .bind(call_id)
        .fetch_one(&mut **tx)
        .await?;
    if let Some(d) = parsed_opt::<Date>(deadline)? {
        let closes = Deadline::end_of(d);
        if closes.passed() {
            return Err(FieldError::new(
                "call",
                format!("the call closed on {}", closes.format(poles_core::Lang::En)),
            )
            .into());
        }
    }
    Ok(())
}

/// Starts a draft to an open call, led by `by`'s organisation.
pub async fn create(db: &Db, by: &Acting, ctx: &Context, call: &str, a: &Draft) -> Result<i64> {
    let (acronym, title) = (a.acronym.clone(), a.title.clone());
    let mut tx = audit::begin_write(db).await?;
    let call_id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    open_call(&mut tx, call_id).await?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM organisations WHERE id = $1")
        .bind(by.organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("organisation"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO applications (call_id, acronym, title, summary_fr, summary_en, keywords, duration_months, lead_organisation_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(call_id)
    .bind(acronym.clone())
    .bind(title.clone())
    .bind(a.summary_fr.clone())
    .bind(a.summary_en.clone())
    .bind(a.keywords.clone())
    .bind(a.duration_months)
    .bind(by.organisation_id)
    .bind(by.user_id)
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO application_partners (application_id, organisation_id, role, invitation, declared_kind) VALUES ($1, $2, 'lead', 'accepted', $3)")
        .bind(id)
        .bind(by.organisation_id)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "application.create",
        object_kind: "application",
        object_ref: id.to_string(),
        changes: json!({"application": {"before": null, "after": {"call": call, "acronym": acronym, "title": title, "lead": by.organisation_id}}}),
        reason: None,
    })
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The organisation that leads an application.
pub async fn lead_of(db: &Db, id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT lead_organisation_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Who is involved in an application, to decide who may read it: its organisations, the
/// clusters asked to label it, its assigned reviewers, the regions where its partners do
/// their R&D, and the funders of its call.
pub struct Participants {
    pub organisations: Vec<i64>,
    pub clusters: Vec<String>,
    pub reviewers: Vec<i64>,
    pub rd_regions: Vec<String>,
    pub funders: Vec<String>,
}

pub async fn participants(db: &Db, id: i64) -> Result<Option<Participants>> {
    let Some(call_id) =
        sqlx::query_scalar::<_, i64>("SELECT call_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let orgs: Vec<i64> = sqlx::query_scalar(
        "SELECT organisation_id FROM application_partners WHERE application_id = $1",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let clusters: Vec<String> = sqlx::query_scalar("SELECT c.slug FROM labelling_requests l JOIN clusters c ON c.id = l.cluster_id WHERE l.application_id = $1")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    let reviewers: Vec<i64> =
        sqlx::query_scalar("SELECT reviewer_id FROM review_assignments WHERE application_id = $1")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    let rd_regions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT cm.region_code FROM application_partners p JOIN communes cm ON cm.code = p.rd_commune \
         WHERE p.application_id = $1 AND p.invitation <> 'declined' ORDER BY cm.region_code",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let funders: Vec<String> =
        sqlx::query_scalar("SELECT funder FROM call_funders WHERE call_id = $1 ORDER BY funder")
            .bind(call_id)
            .fetch_all(&db.pool)
            .await?;
    Ok(Some(Participants {
        organisations: orgs,
        clusters,
        reviewers,
        rd_regions,
        funders,
    }))
}

/// The funding proposals of an application, newest first: id, status, approvals, lines.
pub async fn proposals(db: &Db, id: i64) -> Result<Vec<Proposal>> {
    let rows = sqlx::query_as::<_, ProposalRow>("SELECT p.id, p.status, p.approvals_needed, p.proposed_by, (SELECT COUNT(*) FROM funding_approvals a WHERE a.proposal_id = p.id) AS approvals, p.decision_reason, p.decided_at FROM funding_proposals p WHERE p.application_id = $1 ORDER BY p.id DESC")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let lines: Vec<(String, i64)> = sqlx::query_as("SELECT funder, amount_cents FROM funding_lines WHERE proposal_id = $1 ORDER BY funder DESC")
            .bind(r.id)
            .fetch_all(&db.pool)
            .await?;
        out.push(Proposal {
            id: r.id,
            status: parsed(r.status)?,
            approvals: r.approvals,
            approvals_needed: r.approvals_needed,
            proposed_by: r.proposed_by,
            reason: r.decision_reason,
            decided_at: r.decided_at,
            lines: lines
                .into_iter()
                .map(|(funder, amount_cents)| poles_core::model::FundingLine {
                    funder,
                    amount_cents,
                })
                .collect(),
        });
    }
    Ok(out)
}

struct ProposalRow {
    id: i64,
    status: String,
    approvals_needed: i64,
    proposed_by: i64,
    approvals: i64,
    decision_reason: Option<String>,
    decided_at: Option<String>,
}
from_row!(ProposalRow {
    id,
    status,
    approvals_needed,
    proposed_by,
    approvals,
    decision_reason,
    decided_at
});

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Proposal {
    pub id: i64,
    pub status: ProposalStatus,
    pub approvals: i64,
    pub approvals_needed: i64,
    pub proposed_by: i64,
    /// Why it was withdrawn or rejected.
    pub reason: Option<String>,
    /// When it was withdrawn or rejected.
    pub decided_at: Option<String>,
    pub lines: Vec<poles_core::model::FundingLine>,
}

async fn rule_set_of(db: &Db, call_id: i64) -> Result<(RuleSet, Option<Date>)> {
    let (body, deadline) = sqlx::query_as::<_, (String, Option<String>)>("SELECT r.body, c.deadline FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id WHERE c.id = $1")
        .bind(call_id)
        .fetch_one(&db.pool)
        .await?;
    let rules: RuleSet = serde_json::from_str(&body)
        .map_err(|e| StoreError::Data(format!("stored rule set: {e}")))?;
    Ok((rules, parsed_opt(deadline)?))
}

struct LabellingRow {
    application_id: i64,
    acronym: String,
    cluster: String,
    cluster_name: String,
    lead: i64,
    status: String,
    reasons: Option<String>,
    decided_on: Option<String>,
}
from_row!(LabellingRow {
    application_id,
    acronym,
    cluster,
    cluster_name,
    lead,
    status,
    reasons,
    decided_on
});

impl TryFrom<LabellingRow> for LabellingRequest {
    type Error = StoreError;

    fn try_from(r: LabellingRow) -> Result<Self> {
        Ok(LabellingRequest {
            application_id: r.application_id,
            acronym: r.acronym,
            cluster: r.cluster,
            cluster_name: r.cluster_name,
            lead: flag(r.lead),
            status: parsed(r.status)?,
            reasons: r.reasons,
            decided_on: parsed_opt(r.decided_on)?,
        })
    }
}

async fn labellings(db: &Db, where_sql: &str, bind: i64) -> Result<Vec<LabellingRequest>> {
    sqlx::query_as::<_, LabellingRow>(&format!(
        "SELECT l.application_id, a.acronym, c.slug AS cluster, c.name AS cluster_name, l.lead, l.status, l.reasons, l.decided_on \
         FROM labelling_requests l JOIN clusters c ON c.id = l.cluster_id JOIN applications a ON a.id = l.application_id \
         WHERE {where_sql} ORDER BY l.lead DESC, c.name"
    ))
    .bind(bind)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(LabellingRequest::try_from)
    .collect()
}

struct ApplicationRow {
    call_id: i64,
    call_slug: String,
    acronym: String,
    title: String,
    summary_fr: Option<String>,
    summary_en: Option<String>,
    keywords: Option<String>,
    duration_months: Option<i64>,
    lead_organisation_id: i64,
    status: String,
    consortium_agreement: String,
    submitted_at: Option<String>,
    eligibility_at_submission: Option<String>,
    version: i64,
    decision_reason: Option<String>,
    decided_at: Option<String>,
    fictional: i64,
}
from_row!(ApplicationRow {
    call_id,
    call_slug,
    acronym,
    title,
    summary_fr,
    summary_en,
    keywords,
    duration_months,
    lead_organisation_id,
    status,
    consortium_agreement,
    submitted_at,
    eligibility_at_submission,
    version,
    decision_reason,
    decided_at,
    fictional
});

struct PartnerRow {
    organisation_id: i64,
    name: String,
    role: String,
    invitation: String,
    declared_kind: String,
    independent: i64,
    marginal_cost: i64,
    staff_cents: i64,
    equipment_cents: i64,
    subcontracting_cents: i64,
    overheads_cents: i64,
    rd_commune: Option<String>,
    rd_commune_name: Option<String>,
    rd_region: Option<String>,
    in_labelling_territory: i64,
    in_lead_territory: i64,
    in_rd_zone: i64,
    rd_zone_illustrative: i64,
}
from_row!(PartnerRow {
    organisation_id,
    name,
    role,
    invitation,
    declared_kind,
    independent,
    marginal_cost,
    staff_cents,
    equipment_cents,
    subcontracting_cents,
    overheads_cents,
    rd_commune,
    rd_commune_name,
    rd_region,
    in_labelling_territory,
    in_lead_territory,
    in_rd_zone,
    rd_zone_illustrative
});

impl TryFrom<PartnerRow> for ApplicationPartner {
    type Error = StoreError;

    fn try_from(p: PartnerRow) -> Result<Self> {
        Ok(ApplicationPartner {
            organisation_id: p.organisation_id,
            name: p.name,
            role: parsed(p.role)?,
            invitation: parsed(p.invitation)?,
            declared_kind: parsed(p.declared_kind)?,
            independent: flag(p.independent),
            marginal_cost: flag(p.marginal_cost),
            costs: Costs {
                staff: p.staff_cents,
                equipment: p.equipment_cents,
                subcontracting: p.subcontracting_cents,
                overheads: p.overheads_cents,
            },
            rd_commune: p.rd_commune,
            rd_commune_name: p.rd_commune_name,
            rd_region: p.rd_region,
            in_labelling_territory: flag(p.in_labelling_territory),
            in_lead_territory: flag(p.in_lead_territory),
            in_rd_zone: flag(p.in_rd_zone),
            rd_zone_illustrative: flag(p.rd_zone_illustrative),
        })
    }
}

/// The application as stored, with its call's rule set and deadline.
pub async fn get(db: &Db, id: i64) -> Result<Option<ApplicationRecord>> {
    let Some(r) = sqlx::query_as::<_, ApplicationRow>(
        "SELECT a.call_id, c.slug AS call_slug, a.acronym, a.title, a.summary_fr, a.summary_en, a.keywords, \
           a.duration_months, a.lead_organisation_id, a.status, a.consortium_agreement, a.submitted_at, \
           a.eligibility_at_submission, a.version, a.decision_reason, a.decided_at, c.fictional \
         FROM applications a JOIN calls c ON c.id = a.call_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let partners = sqlx::query_as::<_, PartnerRow>(
        "SELECT p.organisation_id, o.name, p.role, p.invitation, p.declared_kind, p.independent, p.marginal_cost, \
           p.staff_cents, p.equipment_cents, p.subcontracting_cents, p.overheads_cents, p.rd_commune, \
           cm.name AS rd_commune_name, cm.region_code AS rd_region, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM labelling_requests l JOIN cluster_regions cr ON cr.cluster_id = l.cluster_id \
             WHERE l.application_id = p.application_id AND l.status <> 'refused' AND cr.region_code = cm.region_code) THEN 1 ELSE 0 END AS BIGINT) AS in_labelling_territory, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM labelling_requests l JOIN cluster_regions cr ON cr.cluster_id = l.cluster_id \
             WHERE l.application_id = p.application_id AND l.lead = 1 AND l.status <> 'refused' AND cr.region_code = cm.region_code) THEN 1 ELSE 0 END AS BIGINT) AS in_lead_territory, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM labelling_requests l JOIN rd_zones z ON z.cluster_id = l.cluster_id \
             WHERE l.application_id = p.application_id AND l.status <> 'refused' AND z.commune_code = p.rd_commune) THEN 1 ELSE 0 END AS BIGINT) AS in_rd_zone, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM labelling_requests l JOIN rd_zones z ON z.cluster_id = l.cluster_id \
             WHERE l.application_id = p.application_id AND l.status <> 'refused' AND z.commune_code = p.rd_commune AND z.illustrative = 1) THEN 1 ELSE 0 END AS BIGINT) AS rd_zone_illustrative \
         FROM application_partners p JOIN organisations o ON o.id = p.organisation_id \
         LEFT JOIN communes cm ON cm.code = p.rd_commune WHERE p.application_id = $1 ORDER BY CASE p.role WHEN 'lead' THEN 0 ELSE 1 END, o.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(ApplicationPartner::try_from)
    .collect::<Result<Vec<_>>>()?;
    let labels = labellings(db, "l.application_id = $1", id).await?;
    let (rules, deadline) = rule_set_of(db, r.call_id).await?;
    let eligibility_at_submission = r
        .eligibility_at_submission
        .map(|e| {
            serde_json::from_str(&e)
                .map_err(|e| StoreError::Data(format!("stored eligibility_at_submission: {e}")))
        })
        .transpose()?;
    let status: ApplicationStatus = parsed(r.status)?;
    let decision = r.decided_at.map(|decided_at| StatusDecision {
        status,
        reason: r.decision_reason,
        decided_at,
    });
    Ok(Some(ApplicationRecord {
        decision,
        id,
        call: r.call_slug,
        call_deadline: deadline,
        acronym: r.acronym,
        title: r.title,
        summary_fr: r.summary_fr,
        summary_en: r.summary_en,
        keywords: r.keywords,
        duration_months: r.duration_months,
        lead_organisation_id: r.lead_organisation_id,
        status,
        consortium_agreement: parsed(r.consortium_agreement)?,
        submitted_at: r.submitted_at,
        rules,
        eligibility_at_submission,
        partners,
        labellings: labels,
        version: r.version,
        fictional: crate::util::flag(r.fictional),
    }))
}

/// The call of an application a write changes, checked under the write lock: the
/// application exists, is still a draft, and its call is still open.
async fn draft(tx: &mut impl Tx, id: i64) -> Result<i64> {
    let (call_id, status) = sqlx::query_as::<_, (i64, String)>(
        "SELECT call_id, status FROM applications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("application"))?;
    if parsed::<ApplicationStatus>(status)? != ApplicationStatus::Draft {
        return Err(FieldError::new("status", "the application is no longer a draft").into());
    }
    open_call(tx, call_id).await?;
    Ok(call_id)
}

async fn bump(tx: &mut impl Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE applications SET version = version + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Invites a partner organisation into a draft.
pub async fn invite(db: &Db, ctx: &Context, id: i64, organisation_id: i64) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, id).await?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM organisations WHERE id = $1")
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| FieldError::new("organisation_id", "no such organisation"))?;
    let n = sqlx::query("INSERT INTO application_partners (application_id, organisation_id, role, invitation, declared_kind) VALUES ($1, $2, 'partner', 'invited', $3) ON CONFLICT (application_id, organisation_id) DO NOTHING")
        .bind(id)
        .bind(organisation_id)
        .bind(kind)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("organisation_id", "is already in the consortium").into());
    }
    bump(&mut tx, id).await?;
    let project = project_name(&mut tx, id).await?;
    notify(
        &mut tx,
        To::Organisation(organisation_id),
        "invitation",
        format!("Votre organisation est invitée dans le consortium du projet {project}."),
        format!("Your organisation is invited into the consortium of project {project}."),
        Some(format!("/applications/{id}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "application.invite",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"partner": {"before": null, "after": organisation_id}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A partner's answer to its invitation, with what it declares of itself (its kind kept
/// when absent).
#[derive(Debug, Clone)]
pub struct PartnerAnswer {
    pub accept: bool,
    pub declared_kind: Option<OrgKind>,
    pub independent: bool,
    pub marginal_cost: bool,
}

/// Records the answer of `by`'s organisation to its invitation.
pub async fn answer(db: &Db, by: &Acting, ctx: &Context, id: i64, a: &PartnerAnswer) -> Result<()> {
    let kind = a.declared_kind;
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, id).await?;
    let n = sqlx::query("UPDATE application_partners SET invitation = $1, declared_kind = COALESCE($2, declared_kind), independent = $3, marginal_cost = $4 WHERE application_id = $5 AND organisation_id = $6")
        .bind(if a.accept {
            Invitation::Accepted
        } else {
            Invitation::Declined
        }
        .as_str())
        .bind(kind.map(|k| k.as_str()))
        .bind(i64::from(a.independent))
        .bind(i64::from(a.marginal_cost))
        .bind(id)
        .bind(by.organisation_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("invitation"));
    }
    bump(&mut tx, id).await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if a.accept {
                "application.accept"
            } else {
                "application.decline"
            },
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"partner": by.organisation_id, "declared_kind": kind}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A partner's budget (costs checked by the use case) and where its R&D is done.
#[derive(Debug, Clone)]
pub struct PartnerBudget {
    pub costs: Costs,
    /// INSEE code of the commune where the R&D is done (checked here against the communes);
    /// the territory and R&D-zone status follow from it when the application is read.
    pub rd_commune: Option<String>,
}

/// Sets a partner's budget.
pub async fn set_budget(
    db: &Db,
    ctx: &Context,
    id: i64,
    organisation_id: i64,
    b: &PartnerBudget,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, id).await?;
    if let Some(c) = &b.rd_commune {
        if sqlx::query("SELECT 1 FROM communes WHERE code = $1")
            .bind(c.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(FieldError::new("rd_commune", "is not an INSEE commune code").into());
        }
    }
    let (staff, equipment, subcontracting, overheads, commune_before) = sqlx::query_as::<_, (i64, i64, i64, i64, Option<String>)>("SELECT staff_cents, equipment_cents, subcontracting_cents, overheads_cents, rd_commune FROM application_partners WHERE application_id = $1 AND organisation_id = $2")
        .bind(id)
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("partner"))?;
    sqlx::query("UPDATE application_partners SET staff_cents = $1, equipment_cents = $2, subcontracting_cents = $3, overheads_cents = $4, rd_commune = $5 WHERE application_id = $6 AND organisation_id = $7")
        .bind(b.costs.staff)
        .bind(b.costs.equipment)
        .bind(b.costs.subcontracting)
        .bind(b.costs.overheads)
        .bind(b.rd_commune.clone())
        .bind(id)
        .bind(organisation_id)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, id).await?;
    let total_before = staff + equipment + subcontracting + overheads;
    audit::append(&mut tx, ctx, Event { action: "application.budget", object_kind: "application", object_ref: id.to_string(), changes: json!({"partner": organisation_id, "total_cents": {"before": total_before, "after": b.costs.total()}, "rd_commune": {"before": commune_before, "after": b.rd_commune}}), reason: None }).await?;
    tx.commit().await?;
    Ok(())
}

/// Asks a cluster to label the project; one lead cluster at most.
pub async fn request_labelling(
    db: &Db,
    ctx: &Context,
    id: i64,
    cluster: &str,
    lead: bool,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, id).await?;
    let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(cluster.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| FieldError::new("cluster", "no such cluster"))?;
    if lead {
        let leads: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM labelling_requests WHERE application_id = $1 AND lead = 1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if leads > 0 {
            return Err(FieldError::new("lead", "the project already has a lead cluster").into());
        }
    }
    let n = sqlx::query("INSERT INTO labelling_requests (application_id, cluster_id, lead, requested_at) VALUES ($1, $2, $3, $4) ON CONFLICT (application_id, cluster_id) DO NOTHING")
        .bind(id)
        .bind(cluster_id)
        .bind(i64::from(lead))
        .bind(now_utc())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("cluster", "was already asked").into());
    }
    bump(&mut tx, id).await?;
    let project = project_name(&mut tx, id).await?;
    notify(
        &mut tx,
        To::Cluster(cluster),
        "labelling_request",
        format!(
            "Demande de label pour le projet {project}{}.",
            if lead { " (pôle chef de file)" } else { "" }
        ),
        format!(
            "Labelling request for project {project}{}.",
            if lead { " (lead cluster)" } else { "" }
        ),
        Some(format!("/applications/{id}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "labelling.request",
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"cluster": cluster, "lead": lead}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A cluster committee's decision as checked by the use case.
#[derive(Debug, Clone)]
pub struct LabelDecision {
    pub labelled: bool,
    pub reasons: Option<String>,
    /// The committee's date; today when absent.
    pub decided_on: Option<Date>,
}

/// Records a cluster's decision, taken by `user_id`; it must come by the call's deadline.
pub async fn decide_labelling(
    db: &Db,
    cluster: &str,
    user_id: i64,
    ctx: &Context,
    id: i64,
    d: &LabelDecision,
) -> Result<()> {
    let decided_on = d.decided_on.unwrap_or_else(Date::today);
    let reasons = d.reasons.clone();
    let mut tx = audit::begin_write(db).await?;
    let (cluster_id, deadline) = sqlx::query_as::<_, (i64, Option<String>)>(
        "SELECT l.cluster_id, c.deadline FROM labelling_requests l JOIN clusters k ON k.id = l.cluster_id \
         JOIN applications a ON a.id = l.application_id JOIN calls c ON c.id = a.call_id \
         WHERE l.application_id = $1 AND k.slug = $2",
    )
    .bind(id)
    .bind(cluster.to_string())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("labelling request"))?;
    if let Some(deadline) = parsed_opt::<Date>(deadline)? {
        if decided_on > deadline {
            return Err(FieldError::new(
                "decided_on",
                format!("is after the call's labelling deadline ({deadline})"),
            )
            .into());
        }
    }
    sqlx::query("UPDATE labelling_requests SET status = $1, reasons = $2, decided_on = $3, decided_by = $4 WHERE application_id = $5 AND cluster_id = $6")
        .bind(
            if d.labelled {
                LabellingStatus::Labelled
            } else {
                LabellingStatus::Refused
            }
            .as_str(),
        )
        .bind(reasons.clone())
        .bind(decided_on.to_string())
        .bind(user_id)
        .bind(id)
        .bind(cluster_id)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, id).await?;
    let lead_org: i64 =
        sqlx::query_scalar("SELECT lead_organisation_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let project = project_name(&mut tx, id).await?;
    let cluster_name: String = sqlx::query_scalar("SELECT name FROM clusters WHERE id = $1")
        .bind(cluster_id)
        .fetch_one(&mut *tx)
        .await?;
    notify(
        &mut tx,
        To::Organisation(lead_org),
        "labelling_decision",
        format!(
            "Le pôle {} a {} le projet {project}.",
            cluster_name,
            if d.labelled {
                "labellisé"
            } else {
                "refusé de labelliser"
            }
        ),
        format!(
            "Cluster {} {} project {project}.",
            cluster_name,
            if d.labelled {
                "labelled"
            } else {
                "declined to label"
            }
        ),
        Some(format!("/applications/{id}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if d.labelled {
                "labelling.grant"
            } else {
                "labelling.refuse"
            },
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"cluster": cluster, "decided_on": decided_on}),
            reason: reasons,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A cluster's labelling requests, newest first.
pub async fn requests_of_cluster(db: &Db, cluster: &str) -> Result<Vec<LabellingRequest>> {
    let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(cluster.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound("cluster"))?;
    labellings(db, "l.cluster_id = $1", cluster_id).await
}

/// Submits the application: the call must be open and every invited partner must have
/// answered. `eligibility`, checked by the use case on `version` of the application, is kept
/// with it (a `Conflict` if the application changed since), and the call's rule set is
/// frozen from then on.
pub async fn submit(
    db: &Db,
    ctx: &Context,
    id: i64,
    version: i64,
    eligibility: &Eligibility,
    aid: &Aid,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let before = status_of(&mut tx, id).await?;
    if before != ApplicationStatus::Draft {
        return Err(illegal_transition("submit", before));
    }
    let call_id = draft(&mut tx, id).await?;
    // The rules were checked on the version read before the lock: it must still be current.
    let current: i64 = sqlx::query_scalar("SELECT version FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if current != version {
        return Err(StoreError::Conflict { current });
    }
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM application_partners WHERE application_id = $1 AND invitation = 'invited'")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if pending > 0 {
        return Err(FieldError::new(
            "partners",
            format!("{pending} invited partner(s) have not answered"),
        )
        .into());
    }
    let rule_set_id: String = sqlx::query_scalar("SELECT rule_set_id FROM calls WHERE id = $1")
        .bind(call_id)
        .fetch_one(&mut *tx)
        .await?;
    let snapshot =
        serde_json::to_string(eligibility).map_err(|e| StoreError::Data(e.to_string()))?;
    let aid = serde_json::to_string(aid).map_err(|e| StoreError::Data(e.to_string()))?;
    // A snapshot taken before submissions had their own table is kept as the first one.
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM application_submissions WHERE application_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if kept == 0 {
        sqlx::query("INSERT INTO application_submissions (application_id, submitted_at, rule_set_id, eligibility) \
                     SELECT id, submitted_at, checked_rule_set_id, eligibility_at_submission FROM applications \
                     WHERE id = $1 AND submitted_at IS NOT NULL AND eligibility_at_submission IS NOT NULL")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let now = now_utc();
    sqlx::query("UPDATE applications SET status = 'submitted', submitted_at = $1, checked_rule_set_id = $2, eligibility_at_submission = $3, decision_reason = NULL, decided_by = NULL, decided_at = NULL, version = version + 1 WHERE id = $4")
        .bind(now.clone())
        .bind(rule_set_id.clone())
        .bind(snapshot.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Every submission keeps its own snapshot: a resubmission adds one.
    sqlx::query("INSERT INTO application_submissions (application_id, submitted_at, submitted_by, rule_set_id, eligibility, aid) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(now)
        .bind(ctx.actor_id)
        .bind(rule_set_id.clone())
        .bind(snapshot)
        .bind(aid)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE rule_sets SET frozen = 1 WHERE id = $1")
        .bind(rule_set_id.clone())
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event { action: "application.submit", object_kind: "application", object_ref: id.to_string(), changes: json!({"status": {"before": "draft", "after": "submitted"}, "rule_set": rule_set_id, "eligible": eligibility.eligible}), reason: None }).await?;
    tx.commit().await?;
    Ok(())
}

/// The status of an application, read in the write's transaction.
async fn status_of(tx: &mut impl Tx, id: i64) -> Result<ApplicationStatus> {
    let status: String = sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("application"))?;
    parsed(status)
}

/// The refusal of an action the transition table has no row for from the current status.
pub fn illegal_transition(action: &str, current: impl std::fmt::Display) -> StoreError {
    StoreError::Refused {
        code: "illegal_transition",
        reason: FieldError::new(
            "status",
            format!("the status is {current}: {action} is not possible from there"),
        ),
    }
}

/// A change of an application's status, as the use case looked it up in the transition
/// table (`poles_core::transitions`): the statuses it leaves from and the one it leads to.
#[derive(Debug, Clone)]
pub struct StatusMove {
    pub action: &'static str,
    pub from: Vec<ApplicationStatus>,
    pub to: ApplicationStatus,
    pub reason: Option<String>,
    /// Refused once the call's deadline has passed.
    pub before_deadline: bool,
    /// Refused when a funding proposal of the application was approved.
    pub unless_funded: bool,
    /// Tells the lead organisation (a decision taken by someone else).
    pub notify_lead: bool,
}

/// Changes an application's status by `user_id`, checked under the write lock against the
/// move's statuses (`Refused`, `illegal_transition`, naming the current status), the call's
/// deadline and approved funding. The reason, who and when are kept with the application
/// (cleared when it goes back to draft); the open proposals of an application that leaves
/// `submitted` are withdrawn with it. Audited; the lead told when asked.
pub async fn change_status(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    id: i64,
    m: &StatusMove,
) -> Result<ApplicationStatus> {
    let mut tx = audit::begin_write(db).await?;
    let (call_id, status, lead, acronym) = sqlx::query_as::<_, (i64, String, i64, String)>(
        "SELECT call_id, status, lead_organisation_id, acronym FROM applications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("application"))?;
    let before: ApplicationStatus = parsed(status)?;
    if !m.from.contains(&before) {
        return Err(illegal_transition(m.action, before));
    }
    if m.before_deadline {
        let deadline: Option<String> =
            sqlx::query_scalar("SELECT deadline FROM calls WHERE id = $1")
                .bind(call_id)
                .fetch_one(&mut *tx)
                .await?;
        if let Some(d) = parsed_opt::<Date>(deadline)? {
            if Date::today() > d {
                return Err(StoreError::Refused {
                    code: "deadline_passed",
                    reason: FieldError::new("status", format!("the call closed on {d}")),
                });
            }
        }
    }
    if m.unless_funded {
        let approved: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM funding_proposals WHERE application_id = $1 AND status = $2",
        )
        .bind(id)
        .bind(ProposalStatus::Approved.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if approved > 0 {
            return Err(StoreError::Refused {
                code: "illegal_transition",
                reason: FieldError::new("status", "funding was approved for this application"),
            });
        }
    }
    let now = now_utc();
    let back_to_draft = m.to == ApplicationStatus::Draft;
    sqlx::query("UPDATE applications SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4, version = version + 1 WHERE id = $5")
        .bind(m.to.as_str())
        .bind(if back_to_draft { None } else { m.reason.clone() })
        .bind(if back_to_draft { None } else { Some(user_id) })
        .bind(if back_to_draft { None } else { Some(now.clone()) })
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let closed: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM funding_proposals WHERE application_id = $1 AND status = $2 ORDER BY id",
    )
    .bind(id)
    .bind(ProposalStatus::Proposed.as_str())
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("UPDATE funding_proposals SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4 WHERE application_id = $5 AND status = $6")
        .bind(ProposalStatus::Withdrawn.as_str())
        .bind(format!("application {}", m.to))
        .bind(user_id)
        .bind(now)
        .bind(id)
        .bind(ProposalStatus::Proposed.as_str())
        .execute(&mut *tx)
        .await?;
    if m.notify_lead {
        let (fr, en) = match m.to {
            ApplicationStatus::Ineligible => ("déclaré inéligible", "declared ineligible"),
            ApplicationStatus::Rejected => ("rejeté", "rejected"),
            _ => ("modifié", "changed"),
        };
        let why = m.reason.clone().unwrap_or_default();
        notify(
            &mut tx,
            To::Organisation(lead),
            &format!("application_{}", m.to),
            format!("Le projet {acronym} (n° {id}) est {fr}. Motif : {why}"),
            format!("Project {acronym} (#{id}) is {en}. Reason: {why}"),
            Some(format!("/applications/{id}")),
        )
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: match m.action {
                "withdraw" => "application.withdraw",
                "reopen" => "application.reopen",
                "declare_ineligible" => "application.ineligible",
                "reject" => "application.reject",
                _ => "application.status",
            },
            object_kind: "application",
            object_ref: id.to_string(),
            changes: json!({"status": {"before": before.as_str(), "after": m.to.as_str()}, "proposals_withdrawn": closed}),
            reason: m.reason.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}

/// How an application's status was last decided (withdrawn, declared ineligible, rejected).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusDecision {
    pub status: ApplicationStatus,
    pub reason: Option<String>,
    pub decided_at: String,
}

/// One submission's snapshot, as kept: the eligibility and aid computed then.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Submission {
    /// 1 for the first submission, 2 for the first resubmission, …
    pub number: i64,
    pub submitted_at: String,
    pub rule_set: Option<String>,
    pub eligible: bool,
    pub eligibility: serde_json::Value,
    /// Absent for submissions made before aid was kept with them.
    pub aid: Option<serde_json::Value>,
}

struct SubmissionRow {
    submitted_at: String,
    rule_set_id: Option<String>,
    eligibility: String,
    aid: Option<String>,
}
from_row!(SubmissionRow {
    submitted_at,
    rule_set_id,
    eligibility,
    aid
});

fn json_of(what: &str, s: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| StoreError::Data(format!("stored {what}: {e}")))
}

/// Every submission of an application, oldest first (for an application submitted once
/// before submissions had their own table, the snapshot it keeps).
pub async fn submissions(db: &Db, id: i64) -> Result<Vec<Submission>> {
    let mut rows: Vec<SubmissionRow> = sqlx::query_as("SELECT submitted_at, rule_set_id, eligibility, aid FROM application_submissions WHERE application_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    if rows.is_empty() {
        rows = sqlx::query_as("SELECT submitted_at, checked_rule_set_id AS rule_set_id, eligibility_at_submission AS eligibility, CAST(NULL AS TEXT) AS aid \
                               FROM applications WHERE id = $1 AND submitted_at IS NOT NULL AND eligibility_at_submission IS NOT NULL")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    }
    rows.into_iter()
        .zip(1..)
        .map(|(r, number)| {
            let eligibility = json_of("submission eligibility", &r.eligibility)?;
            Ok(Submission {
                number,
                submitted_at: r.submitted_at,
                rule_set: r.rule_set_id,
                eligible: eligibility["eligible"].as_bool().unwrap_or(false),
                eligibility,
                aid: r
                    .aid
                    .as_deref()
                    .map(|a| json_of("submission aid", a))
                    .transpose()?,
            })
        })
        .collect()
}

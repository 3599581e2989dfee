//! Applications to calls: drafting by the lead organisation, partners invited and accepting,
//! budgets and R&D location per partner, labelling requests and the clusters' decisions,
//! and submission, which checks the rules and freezes the call's rule set. Every write takes
//! the capability that allows it and leaves its audit row.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, To};
use crate::util::{i, now_utc, oi, os, s, text, today};
use crate::Db;
use poles_core::auth::{ApplicantFor, Denied, LabellingDecision};
use poles_core::calls::{self, Aid, Costs, Eligibility, Labelling, Partner, ProjectFacts, RuleSet};
use poles_core::{FieldError, OrgKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewApplication {
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
    /// `lead` or `partner`.
    pub role: String,
    /// `invited`, `accepted` or `declined`.
    pub invitation: String,
    pub declared_kind: OrgKind,
    pub independent: bool,
    pub marginal_cost: bool,
    pub costs: Costs,
    pub rd_commune: Option<String>,
    pub rd_region: Option<String>,
    pub in_labelling_territory: bool,
    pub in_lead_territory: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabellingRequest {
    pub application_id: i64,
    pub acronym: String,
    pub cluster: String,
    pub cluster_name: String,
    pub lead: bool,
    /// `requested`, `labelled` or `refused`.
    pub status: String,
    pub reasons: Option<String>,
    pub decided_on: Option<String>,
}

/// An application with its consortium, labels and — computed live from the call's rules —
/// its eligibility and aid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub call: String,
    pub call_deadline: Option<String>,
    pub acronym: String,
    pub title: String,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub keywords: Option<String>,
    pub duration_months: Option<i64>,
    pub lead_organisation_id: i64,
    pub status: String,
    pub consortium_agreement: String,
    pub submitted_at: Option<String>,
    pub partners: Vec<ApplicationPartner>,
    pub labellings: Vec<LabellingRequest>,
    pub eligibility: Eligibility,
    pub aid: Aid,
    /// As checked at submission, kept unchanged.
    pub eligibility_at_submission: Option<serde_json::Value>,
    pub version: i64,
}

/// The call of an application and whether it is still open today.
async fn open_call(tx: &mut Transaction<'static, Any>, call_id: i64) -> Result<()> {
    let deadline: Option<String> = sqlx::query_scalar("SELECT deadline FROM calls WHERE id = $1")
        .bind(call_id)
        .fetch_one(&mut **tx)
        .await?;
    if let Some(d) = deadline {
        if today() > d {
            return Err(FieldError::new("call", format!("the call closed on {d}")).into());
        }
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    cap: &ApplicantFor,
    ctx: &Context,
    call: &str,
    a: &NewApplication,
) -> Result<i64> {
    let acronym = text("acronym", &Some(a.acronym.clone()), 40)?
        .ok_or_else(|| FieldError::new("acronym", "is required"))?;
    let title = text("title", &Some(a.title.clone()), 300)?
        .ok_or_else(|| FieldError::new("title", "is required"))?;
    if let Some(m) = a.duration_months {
        if !(1..=120).contains(&m) {
            return Err(FieldError::new("duration_months", "must be 1 to 120").into());
        }
    }
    let mut tx = audit::begin_write(db).await?;
    let call_id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    open_call(&mut tx, call_id).await?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM organisations WHERE id = $1")
        .bind(cap.organisation_id)
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
    .bind(text("summary_fr", &a.summary_fr, 5000)?)
    .bind(text("summary_en", &a.summary_en, 5000)?)
    .bind(text("keywords", &a.keywords, 500)?)
    .bind(a.duration_months)
    .bind(cap.organisation_id)
    .bind(cap.user_id)
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO application_partners (application_id, organisation_id, role, invitation, declared_kind) VALUES ($1, $2, 'lead', 'accepted', $3)")
        .bind(id)
        .bind(cap.organisation_id)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "application.create",
        object_kind: "application",
        object_ref: id.to_string(),
        changes: json!({"application": {"before": null, "after": {"call": call, "acronym": acronym, "title": title, "lead": cap.organisation_id}}}),
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
/// clusters asked to label it, its assigned reviewers.
pub struct Participants {
    pub organisations: Vec<i64>,
    pub clusters: Vec<String>,
    pub reviewers: Vec<i64>,
}

pub async fn participants(db: &Db, id: i64) -> Result<Option<Participants>> {
    if sqlx::query("SELECT 1 FROM applications WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .is_none()
    {
        return Ok(None);
    }
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
    Ok(Some(Participants {
        organisations: orgs,
        clusters,
        reviewers,
    }))
}

/// The funding proposals of an application, newest first: id, status, approvals, lines.
pub async fn proposals(db: &Db, id: i64) -> Result<Vec<Proposal>> {
    let rows = sqlx::query("SELECT p.id, p.status, p.approvals_needed, p.proposed_by, (SELECT COUNT(*) FROM funding_approvals a WHERE a.proposal_id = p.id) AS approvals FROM funding_proposals p WHERE p.application_id = $1 ORDER BY p.id DESC")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let pid = i(r, "id")?;
        let lines: Vec<(String, i64)> = sqlx::query_as("SELECT funder, amount_cents FROM funding_lines WHERE proposal_id = $1 ORDER BY funder DESC")
            .bind(pid)
            .fetch_all(&db.pool)
            .await?;
        out.push(Proposal {
            id: pid,
            status: s(r, "status")?,
            approvals: i(r, "approvals")?,
            approvals_needed: i(r, "approvals_needed")?,
            proposed_by: i(r, "proposed_by")?,
            lines: lines
                .into_iter()
                .map(|(funder, amount_cents)| crate::selection::FundingLine {
                    funder,
                    amount_cents,
                })
                .collect(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Proposal {
    pub id: i64,
    pub status: String,
    pub approvals: i64,
    pub approvals_needed: i64,
    pub proposed_by: i64,
    pub lines: Vec<crate::selection::FundingLine>,
}

async fn rule_set_of(db: &Db, call_id: i64) -> Result<(RuleSet, String, Option<String>)> {
    let r = sqlx::query("SELECT r.id, r.body, c.deadline FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id WHERE c.id = $1")
        .bind(call_id)
        .fetch_one(&db.pool)
        .await?;
    let rules: RuleSet =
        serde_json::from_str(&s(&r, "body")?).map_err(|e| StoreError::Data(e.to_string()))?;
    Ok((rules, s(&r, "id")?, os(&r, "deadline")?))
}

fn facts(partners: &[ApplicationPartner], labellings: &[LabellingRequest]) -> ProjectFacts {
    ProjectFacts {
        partners: partners
            .iter()
            .filter(|p| p.invitation != "declined")
            .map(|p| Partner {
                name: p.name.clone(),
                kind: p.declared_kind,
                independent: p.independent,
                lead: p.role == "lead",
                costs: p.costs.clone(),
                in_labelling_territory: p.in_labelling_territory,
                in_lead_territory: p.in_lead_territory,
                marginal_cost: p.marginal_cost,
            })
            .collect(),
        labellings: labellings
            .iter()
            .map(|l| Labelling {
                cluster: l.cluster.clone(),
                lead: l.lead,
                labelled: l.status == "labelled",
                decided_on: l.decided_on.clone(),
            })
            .collect(),
    }
}

async fn labellings(db: &Db, where_sql: &str, bind: i64) -> Result<Vec<LabellingRequest>> {
    sqlx::query(&format!(
        "SELECT l.application_id, a.acronym, c.slug, c.name, l.lead, l.status, l.reasons, l.decided_on \
         FROM labelling_requests l JOIN clusters c ON c.id = l.cluster_id JOIN applications a ON a.id = l.application_id \
         WHERE {where_sql} ORDER BY l.lead DESC, c.name"
    ))
    .bind(bind)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(LabellingRequest {
            application_id: i(r, "application_id")?,
            acronym: s(r, "acronym")?,
            cluster: s(r, "slug")?,
            cluster_name: s(r, "name")?,
            lead: i(r, "lead")? != 0,
            status: s(r, "status")?,
            reasons: os(r, "reasons")?,
            decided_on: os(r, "decided_on")?,
        })
    })
    .collect()
}

/// The application as its readers see it; the caller has checked `ApplicationRead`.
pub async fn get(
    db: &Db,
    _cap: &poles_core::auth::ApplicationRead,
    id: i64,
) -> Result<Option<Application>> {
    load(db, id).await
}

/// The application, for store code whose caller holds a capability that covers it.
pub(crate) async fn load(db: &Db, id: i64) -> Result<Option<Application>> {
    let Some(r) = sqlx::query("SELECT a.*, c.slug AS call_slug FROM applications a JOIN calls c ON c.id = a.call_id WHERE a.id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let partners = sqlx::query(
        "SELECT p.*, o.name, cm.region_code FROM application_partners p JOIN organisations o ON o.id = p.organisation_id \
         LEFT JOIN communes cm ON cm.code = p.rd_commune WHERE p.application_id = $1 ORDER BY CASE p.role WHEN 'lead' THEN 0 ELSE 1 END, o.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|p| {
        Ok(ApplicationPartner {
            organisation_id: i(p, "organisation_id")?,
            name: s(p, "name")?,
            role: s(p, "role")?,
            invitation: s(p, "invitation")?,
            declared_kind: OrgKind::parse("kind", &s(p, "declared_kind")?).unwrap_or(OrgKind::Unknown),
            independent: i(p, "independent")? != 0,
            marginal_cost: i(p, "marginal_cost")? != 0,
            costs: Costs {
                staff: i(p, "staff_cents")?,
                equipment: i(p, "equipment_cents")?,
                subcontracting: i(p, "subcontracting_cents")?,
                overheads: i(p, "overheads_cents")?,
            },
            rd_commune: os(p, "rd_commune")?,
            rd_region: os(p, "region_code")?,
            in_labelling_territory: i(p, "in_labelling_territory")? != 0,
            in_lead_territory: i(p, "in_lead_territory")? != 0,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let labels = labellings(db, "l.application_id = $1", id).await?;
    let (rules, _, deadline) = rule_set_of(db, i(&r, "call_id")?).await?;
    let f = facts(&partners, &labels);
    Ok(Some(Application {
        id,
        call: s(&r, "call_slug")?,
        call_deadline: deadline.clone(),
        acronym: s(&r, "acronym")?,
        title: s(&r, "title")?,
        summary_fr: os(&r, "summary_fr")?,
        summary_en: os(&r, "summary_en")?,
        keywords: os(&r, "keywords")?,
        duration_months: oi(&r, "duration_months")?,
        lead_organisation_id: i(&r, "lead_organisation_id")?,
        status: s(&r, "status")?,
        consortium_agreement: s(&r, "consortium_agreement")?,
        submitted_at: os(&r, "submitted_at")?,
        eligibility: calls::eligibility(&rules, &f, deadline.as_deref()),
        aid: calls::aid(&rules, &f),
        eligibility_at_submission: os(&r, "eligibility_at_submission")?
            .and_then(|e| serde_json::from_str(&e).ok()),
        partners,
        labellings: labels,
        version: i(&r, "version")?,
    }))
}

/// The application row a write needs, checked: it exists, is a draft, and (for `lead`) the
/// capability's organisation leads it.
async fn draft(
    tx: &mut Transaction<'static, Any>,
    cap: &ApplicantFor,
    id: i64,
    lead: bool,
) -> Result<i64> {
    let r =
        sqlx::query("SELECT call_id, lead_organisation_id, status FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("application"))?;
    if lead && i(&r, "lead_organisation_id")? != cap.organisation_id {
        return Err(Denied {
            action: "lead",
            object: format!("application {id}"),
        }
        .into());
    }
    if s(&r, "status")? != "draft" {
        return Err(FieldError::new("status", "the application is no longer a draft").into());
    }
    let call_id = i(&r, "call_id")?;
    open_call(tx, call_id).await?;
    Ok(call_id)
}

async fn bump(tx: &mut Transaction<'static, Any>, id: i64) -> Result<()> {
    sqlx::query("UPDATE applications SET version = version + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Invites a partner organisation (the lead does).
pub async fn invite(
    db: &Db,
    cap: &ApplicantFor,
    ctx: &Context,
    id: i64,
    organisation_id: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, cap, id, true).await?;
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
    notify(
        &mut tx,
        To::Organisation(organisation_id),
        "invitation",
        format!("Votre organisation est invitée dans le consortium du projet n° {id}."),
        format!("Your organisation is invited into the consortium of project #{id}."),
        Some(format!("/api/v1/applications/{id}")),
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

pub async fn answer(db: &Db, cap: &ApplicantFor, ctx: &Context, id: i64, a: &Answer) -> Result<()> {
    let kind = a
        .declared_kind
        .as_deref()
        .map(|k| OrgKind::parse("declared_kind", k))
        .transpose()?;
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, cap, id, false).await?;
    let n = sqlx::query("UPDATE application_partners SET invitation = $1, declared_kind = COALESCE($2, declared_kind), independent = $3, marginal_cost = $4 WHERE application_id = $5 AND organisation_id = $6")
        .bind(if a.accept { "accepted" } else { "declined" })
        .bind(kind.map(|k| k.as_str()))
        .bind(i64::from(a.independent))
        .bind(i64::from(a.marginal_cost))
        .bind(id)
        .bind(cap.organisation_id)
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
            changes: json!({"partner": cap.organisation_id, "declared_kind": kind}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A partner's budget and where its R&D is done.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Budget {
    pub costs: Costs,
    /// INSEE code of the commune where the R&D is done.
    pub rd_commune: Option<String>,
    #[serde(default)]
    pub in_labelling_territory: bool,
    #[serde(default)]
    pub in_lead_territory: bool,
}

/// Sets a partner's budget: the partner itself, or the lead for any partner.
pub async fn set_budget(
    db: &Db,
    cap: &ApplicantFor,
    ctx: &Context,
    id: i64,
    organisation_id: i64,
    b: &Budget,
) -> Result<()> {
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
    let mut tx = audit::begin_write(db).await?;
    let lead = cap.organisation_id != organisation_id;
    draft(&mut tx, cap, id, lead).await?;
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
    let before = sqlx::query("SELECT staff_cents, equipment_cents, subcontracting_cents, overheads_cents, rd_commune FROM application_partners WHERE application_id = $1 AND organisation_id = $2")
        .bind(id)
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("partner"))?;
    sqlx::query("UPDATE application_partners SET staff_cents = $1, equipment_cents = $2, subcontracting_cents = $3, overheads_cents = $4, rd_commune = $5, in_labelling_territory = $6, in_lead_territory = $7 WHERE application_id = $8 AND organisation_id = $9")
        .bind(b.costs.staff)
        .bind(b.costs.equipment)
        .bind(b.costs.subcontracting)
        .bind(b.costs.overheads)
        .bind(b.rd_commune.clone())
        .bind(i64::from(b.in_labelling_territory))
        .bind(i64::from(b.in_lead_territory))
        .bind(id)
        .bind(organisation_id)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, id).await?;
    let total_before = i(&before, "staff_cents")?
        + i(&before, "equipment_cents")?
        + i(&before, "subcontracting_cents")?
        + i(&before, "overheads_cents")?;
    audit::append(&mut tx, ctx, Event { action: "application.budget", object_kind: "application", object_ref: id.to_string(), changes: json!({"partner": organisation_id, "total_cents": {"before": total_before, "after": b.costs.total()}, "rd_commune": {"before": os(&before, "rd_commune")?, "after": b.rd_commune}}), reason: None }).await?;
    tx.commit().await?;
    Ok(())
}

/// Asks a cluster to label the project (the lead does); one lead cluster at most.
pub async fn request_labelling(
    db: &Db,
    cap: &ApplicantFor,
    ctx: &Context,
    id: i64,
    cluster: &str,
    lead: bool,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    draft(&mut tx, cap, id, true).await?;
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
    notify(
        &mut tx,
        To::Cluster(cluster),
        "labelling_request",
        format!(
            "Demande de label pour le projet n° {id}{}.",
            if lead { " (pôle chef de file)" } else { "" }
        ),
        format!(
            "Labelling request for project #{id}{}.",
            if lead { " (lead cluster)" } else { "" }
        ),
        Some(format!("/api/v1/applications/{id}")),
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

/// A cluster committee's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Decision {
    pub labelled: bool,
    pub reasons: Option<String>,
    /// The committee's date, `YYYY-MM-DD`; today when absent.
    pub decided_on: Option<String>,
}

/// Records a cluster's decision; it must come by the call's deadline.
pub async fn decide_labelling(
    db: &Db,
    cap: &LabellingDecision,
    ctx: &Context,
    id: i64,
    d: &Decision,
) -> Result<()> {
    let decided_on = match d.decided_on.as_deref().filter(|x| !x.is_empty()) {
        Some(x) => poles_core::cordis::parse_date(x)
            .map_err(|e| FieldError::new("decided_on", e))?
            .unwrap_or_else(today),
        None => today(),
    };
    let reasons = text("reasons", &d.reasons, 5000)?;
    let mut tx = audit::begin_write(db).await?;
    let row = sqlx::query(
        "SELECT l.cluster_id, c.deadline FROM labelling_requests l JOIN clusters k ON k.id = l.cluster_id \
         JOIN applications a ON a.id = l.application_id JOIN calls c ON c.id = a.call_id \
         WHERE l.application_id = $1 AND k.slug = $2",
    )
    .bind(id)
    .bind(cap.cluster.clone())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("labelling request"))?;
    if let Some(deadline) = os(&row, "deadline")? {
        if decided_on > deadline {
            return Err(FieldError::new(
                "decided_on",
                format!("is after the call's labelling deadline ({deadline})"),
            )
            .into());
        }
    }
    sqlx::query("UPDATE labelling_requests SET status = $1, reasons = $2, decided_on = $3, decided_by = $4 WHERE application_id = $5 AND cluster_id = $6")
        .bind(if d.labelled { "labelled" } else { "refused" })
        .bind(reasons.clone())
        .bind(decided_on.clone())
        .bind(cap.user_id)
        .bind(id)
        .bind(i(&row, "cluster_id")?)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, id).await?;
    let lead_org: i64 =
        sqlx::query_scalar("SELECT lead_organisation_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    notify(
        &mut tx,
        To::Organisation(lead_org),
        "labelling_decision",
        format!(
            "Le pôle {} a {} le projet n° {id}.",
            cap.cluster,
            if d.labelled {
                "labellisé"
            } else {
                "refusé de labelliser"
            }
        ),
        format!(
            "Cluster {} {} project #{id}.",
            cap.cluster,
            if d.labelled {
                "labelled"
            } else {
                "declined to label"
            }
        ),
        Some(format!("/api/v1/applications/{id}")),
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
            changes: json!({"cluster": cap.cluster, "decided_on": decided_on}),
            reason: reasons,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A cluster's labelling requests, newest first.
pub async fn requests_of_cluster(
    db: &Db,
    cap: &LabellingDecision,
) -> Result<Vec<LabellingRequest>> {
    let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(cap.cluster.clone())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound("cluster"))?;
    labellings(db, "l.cluster_id = $1", cluster_id).await
}

/// Submits the application (the lead does): the call must be open and every invited partner
/// must have answered. The rules are checked and kept with the application, and the call's
/// rule set is frozen from then on.
pub async fn submit(
    db: &Db,
    cap: &ApplicantFor,
    read: &poles_core::auth::ApplicationRead,
    ctx: &Context,
    id: i64,
) -> Result<Eligibility> {
    let current = get(db, read, id)
        .await?
        .ok_or(StoreError::NotFound("application"))?;
    let mut tx = audit::begin_write(db).await?;
    let call_id = draft(&mut tx, cap, id, true).await?;
    // The rules were checked on the version read before the lock: it must still be current.
    let version: i64 = sqlx::query_scalar("SELECT version FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if version != current.version {
        return Err(StoreError::Conflict { current: version });
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
        serde_json::to_string(&current.eligibility).map_err(|e| StoreError::Data(e.to_string()))?;
    sqlx::query("UPDATE applications SET status = 'submitted', submitted_at = $1, checked_rule_set_id = $2, eligibility_at_submission = $3, version = version + 1 WHERE id = $4")
        .bind(now_utc())
        .bind(rule_set_id.clone())
        .bind(snapshot)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE rule_sets SET frozen = 1 WHERE id = $1")
        .bind(rule_set_id.clone())
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event { action: "application.submit", object_kind: "application", object_ref: id.to_string(), changes: json!({"status": {"before": "draft", "after": "submitted"}, "rule_set": rule_set_id, "eligible": current.eligibility.eligible}), reason: None }).await?;
    tx.commit().await?;
    Ok(current.eligibility)
}

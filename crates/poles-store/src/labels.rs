//! The State's label as a process: campaigns (calls for candidacies for a phase) with their
//! weighted criteria, outcomes and co-deciding regions; the pôles' candidacies; the selection
//! committee, its assignments and blind scores; the regions' opinions; and decisions under
//! four eyes whose approval writes the pôle's public label history (`labels`) — and, for a
//! merger, carries the absorbed pôle's members and projects into the merged one. Each change
//! is written with its audit row in one transaction.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, To};
use crate::joining::cluster_id;
use crate::util::{flag, from_row, now_utc, Tx};
use crate::Db;
use poles_core::review::{self, Score};
use poles_core::{Date, FieldError, OrgKind};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A weighted criterion of a campaign, with the source that sets it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelCriterion {
    pub position: i64,
    pub name_en: String,
    pub name_fr: String,
    /// Relative weight (the synthesis divides by the sum).
    pub weight: i64,
    pub source_title: String,
    pub source_url: Option<String>,
}

/// An outcome a campaign may decide, with its duration in months where it has one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeAllowed {
    /// `labelled`, `probation`, `not_labelled` or `merger`.
    pub outcome: String,
    pub months: Option<i64>,
}

/// A region by its code and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionName {
    pub code: String,
    pub name: String,
}

/// A campaign: a call for candidacies for a phase, or a past one loaded from public sources.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub slug: String,
    /// The programme phase (`I` … `V`, or a later one).
    pub phase: Option<String>,
    pub name_en: String,
    pub name_fr: String,
    /// Candidacies are accepted from this day to `closes_on` (Paris time) included.
    pub opens_on: String,
    pub closes_on: String,
    /// The period the label is granted for.
    pub label_from: String,
    pub label_until: String,
    /// The documents a candidacy must give.
    pub documents: Vec<String>,
    /// Loaded from public sources: what they say, without candidacies.
    pub historical: bool,
    pub summary_en: Option<String>,
    pub summary_fr: Option<String>,
    pub source_title: Option<String>,
    pub source_publisher: Option<String>,
    pub source_url: Option<String>,
    pub criteria: Vec<LabelCriterion>,
    pub outcomes: Vec<OutcomeAllowed>,
    /// The regions that co-decide.
    pub regions: Vec<RegionName>,
}

struct CampaignRow {
    id: i64,
    slug: String,
    phase_code: Option<String>,
    name_en: String,
    name_fr: String,
    opens_on: String,
    closes_on: String,
    label_from: String,
    label_until: String,
    documents: Option<String>,
    historical: i64,
    summary_en: Option<String>,
    summary_fr: Option<String>,
    source_title: Option<String>,
    source_publisher: Option<String>,
    source_url: Option<String>,
}
from_row!(CampaignRow {
    id,
    slug,
    phase_code,
    name_en,
    name_fr,
    opens_on,
    closes_on,
    label_from,
    label_until,
    documents,
    historical,
    summary_en,
    summary_fr,
    source_title,
    source_publisher,
    source_url
});

const CAMPAIGN_COLUMNS: &str = "id, slug, phase_code, name_en, name_fr, opens_on, closes_on, label_from, label_until, documents, historical, summary_en, summary_fr, source_title, source_publisher, source_url";

/// A campaign in a list, with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignSummary {
    pub slug: String,
    pub phase: Option<String>,
    pub name_en: String,
    pub name_fr: String,
    pub opens_on: String,
    pub closes_on: String,
    pub historical: bool,
    /// Candidacies submitted.
    pub candidacies: i64,
    /// Decisions approved (published).
    pub decisions: i64,
}

struct SummaryRow {
    slug: String,
    phase_code: Option<String>,
    name_en: String,
    name_fr: String,
    opens_on: String,
    closes_on: String,
    historical: i64,
    candidacies: i64,
    decisions: i64,
}
from_row!(SummaryRow {
    slug,
    phase_code,
    name_en,
    name_fr,
    opens_on,
    closes_on,
    historical,
    candidacies,
    decisions
});

/// Every campaign, the latest first.
pub async fn campaigns(db: &Db) -> Result<Vec<CampaignSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT c.slug, c.phase_code, c.name_en, c.name_fr, c.opens_on, c.closes_on, c.historical, \
         (SELECT COUNT(*) FROM candidacies k WHERE k.campaign_id = c.id AND k.status = 'submitted') AS candidacies, \
         (SELECT COUNT(*) FROM label_decisions d WHERE d.campaign_id = c.id AND d.status = 'approved') AS decisions \
         FROM label_campaigns c ORDER BY c.closes_on DESC, c.slug",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CampaignSummary {
            slug: r.slug,
            phase: r.phase_code,
            name_en: r.name_en,
            name_fr: r.name_fr,
            opens_on: r.opens_on,
            closes_on: r.closes_on,
            historical: flag(r.historical),
            candidacies: r.candidacies,
            decisions: r.decisions,
        })
        .collect())
}

async fn campaign_tx(tx: &mut impl Tx, slug: &str) -> Result<(i64, Campaign)> {
    let r: CampaignRow = sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM label_campaigns WHERE slug = $1"
    ))
    .bind(slug.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("campaign"))?;
    let criteria: Vec<(i64, String, String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT position, name_en, name_fr, weight, source_title, source_url FROM label_criteria WHERE campaign_id = $1 ORDER BY position",
    )
    .bind(r.id)
    .fetch_all(&mut **tx)
    .await?;
    let outcomes: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT outcome, months FROM label_campaign_outcomes WHERE campaign_id = $1 \
         ORDER BY CASE outcome WHEN 'labelled' THEN 1 WHEN 'probation' THEN 2 WHEN 'merger' THEN 3 ELSE 4 END",
    )
    .bind(r.id)
    .fetch_all(&mut **tx)
    .await?;
    let regions: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.code, r.name FROM label_campaign_regions x JOIN regions r ON r.code = x.region_code WHERE x.campaign_id = $1 ORDER BY r.name",
    )
    .bind(r.id)
    .fetch_all(&mut **tx)
    .await?;
    Ok((
        r.id,
        Campaign {
            slug: r.slug,
            phase: r.phase_code,
            name_en: r.name_en,
            name_fr: r.name_fr,
            opens_on: r.opens_on,
            closes_on: r.closes_on,
            label_from: r.label_from,
            label_until: r.label_until,
            documents: r
                .documents
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            historical: flag(r.historical),
            summary_en: r.summary_en,
            summary_fr: r.summary_fr,
            source_title: r.source_title,
            source_publisher: r.source_publisher,
            source_url: r.source_url,
            criteria: criteria
                .into_iter()
                .map(
                    |(position, name_en, name_fr, weight, source_title, source_url)| {
                        LabelCriterion {
                            position,
                            name_en,
                            name_fr,
                            weight,
                            source_title,
                            source_url,
                        }
                    },
                )
                .collect(),
            outcomes: outcomes
                .into_iter()
                .map(|(outcome, months)| OutcomeAllowed { outcome, months })
                .collect(),
            regions: regions
                .into_iter()
                .map(|(code, name)| RegionName { code, name })
                .collect(),
        },
    ))
}

/// One campaign with its criteria, outcomes and regions.
pub async fn campaign(db: &Db, slug: &str) -> Result<Campaign> {
    let mut c = db.pool.acquire().await?;
    Ok(campaign_tx(&mut c, slug).await?.1)
}

/// A criterion as an officer sets it.
#[derive(Debug, Clone)]
pub struct CriterionIn {
    pub name_en: String,
    pub name_fr: String,
    pub weight: i64,
    pub source_title: String,
    pub source_url: Option<String>,
}

/// A campaign as an officer opens it (checked by the use case).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub slug: String,
    pub phase: Option<String>,
    pub name_en: String,
    pub name_fr: String,
    pub opens_on: Date,
    pub closes_on: Date,
    pub label_from: Date,
    pub label_until: Date,
    pub documents: Vec<String>,
    pub criteria: Vec<CriterionIn>,
    pub outcomes: Vec<(String, Option<i64>)>,
    pub regions: Vec<String>,
}

/// Opens a campaign: its criteria, outcomes and regions in one transaction.
pub async fn create_campaign(db: &Db, ctx: &Context, by: i64, n: &NewCampaign) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM label_campaigns WHERE slug = $1")
        .bind(&n.slug)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(FieldError::new("slug", "another campaign has this short name").into());
    }
    if let Some(p) = &n.phase {
        let known: Option<String> =
            sqlx::query_scalar("SELECT code FROM programme_phases WHERE code = $1")
                .bind(p)
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(FieldError::new("phase", "is not a phase of the programme").into());
        }
    }
    for (k, r) in n.regions.iter().enumerate() {
        let known: Option<String> = sqlx::query_scalar("SELECT code FROM regions WHERE code = $1")
            .bind(r)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(FieldError::new(format!("regions[{k}]"), "is not a region").into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO label_campaigns (slug, phase_code, name_en, name_fr, opens_on, closes_on, label_from, label_until, documents, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&n.slug)
    .bind(&n.phase)
    .bind(&n.name_en)
    .bind(&n.name_fr)
    .bind(n.opens_on.to_string())
    .bind(n.closes_on.to_string())
    .bind(n.label_from.to_string())
    .bind(n.label_until.to_string())
    .bind((!n.documents.is_empty()).then(|| n.documents.join("\n")))
    .bind(by)
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    for (k, c) in n.criteria.iter().enumerate() {
        sqlx::query(
            "INSERT INTO label_criteria (campaign_id, position, name_en, name_fr, weight, source_title, source_url) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(k as i64 + 1)
        .bind(&c.name_en)
        .bind(&c.name_fr)
        .bind(c.weight)
        .bind(&c.source_title)
        .bind(&c.source_url)
        .execute(&mut *tx)
        .await?;
    }
    for (o, months) in &n.outcomes {
        sqlx::query(
            "INSERT INTO label_campaign_outcomes (campaign_id, outcome, months) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(o)
        .bind(*months)
        .execute(&mut *tx)
        .await?;
    }
    for r in &n.regions {
        sqlx::query(
            "INSERT INTO label_campaign_regions (campaign_id, region_code) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(r)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "label_campaign.open",
            object_kind: "label_campaign",
            object_ref: n.slug.clone(),
            changes: json!({"criteria": n.criteria.len(), "closes_on": n.closes_on.to_string()}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What Pôles itself knows of a pôle, computed for its candidacy.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facts {
    /// Current members recorded in Pôles, by kind (`sme`, `university`, …), largest first.
    pub members_by_kind: Vec<KindCount>,
    pub members: i64,
    /// The triple helix: companies, research organisations, training (higher education).
    pub companies: i64,
    pub research: i64,
    pub training: i64,
    /// The member count the pôle or the press published, with its date and source.
    pub published_members: Option<PublishedCount>,
    /// Projects of the platform's calls this pôle labelled, and of those the selected ones.
    pub projects_labelled: i64,
    pub projects_funded: i64,
    /// Partnerships recorded with other clusters (French and foreign), and the foreign ones.
    pub partnerships: i64,
    pub foreign_partnerships: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedCount {
    pub value: i64,
    pub as_of: Option<String>,
    pub source_title: String,
    pub source_url: Option<String>,
}

async fn facts_tx(tx: &mut impl Tx, cid: i64) -> Result<Facts> {
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT o.kind, COUNT(*) FROM memberships m JOIN organisations o ON o.id = m.organisation_id \
         WHERE m.cluster_id = $1 GROUP BY o.kind ORDER BY COUNT(*) DESC, o.kind",
    )
    .bind(cid)
    .fetch_all(&mut **tx)
    .await?;
    let published: Option<(i64, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT value, as_of, source_title, source_url FROM cluster_sizes WHERE cluster_id = $1 AND kind = 'members'",
    )
    .bind(cid)
    .fetch_optional(&mut **tx)
    .await?;
    let (labelled, funded): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.status = 'selected' THEN 1 ELSE 0 END), 0) \
         FROM labelling_requests l JOIN applications a ON a.id = l.application_id \
         WHERE l.cluster_id = $1 AND l.status = 'labelled'",
    )
    .bind(cid)
    .fetch_one(&mut **tx)
    .await?;
    let (partnerships, foreign): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN a_foreign_id IS NOT NULL OR b_foreign_id IS NOT NULL THEN 1 ELSE 0 END), 0) \
         FROM partnerships WHERE a_cluster_id = $1 OR b_cluster_id = $1",
    )
    .bind(cid)
    .fetch_one(&mut **tx)
    .await?;
    // The triple helix: companies of any size; public research; universities and schools.
    let count = |side: fn(OrgKind) -> bool| {
        kinds
            .iter()
            .filter(|(k, _)| OrgKind::try_from(k.clone()).is_ok_and(side))
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    Ok(Facts {
        members: kinds.iter().map(|(_, n)| n).sum(),
        companies: count(OrgKind::is_company),
        research: count(|k| k == OrgKind::PublicResearch),
        training: count(|k| matches!(k, OrgKind::University | OrgKind::Training)),
        members_by_kind: kinds
            .iter()
            .map(|(kind, count)| KindCount {
                kind: kind.clone(),
                count: *count,
            })
            .collect(),
        published_members: published.map(|(value, as_of, source_title, source_url)| {
            PublishedCount {
                value,
                as_of,
                source_title,
                source_url,
            }
        }),
        projects_labelled: labelled,
        projects_funded: funded,
        partnerships,
        foreign_partnerships: foreign,
    })
}

/// A pôle's candidacy to a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidacy {
    pub id: i64,
    pub campaign: String,
    pub cluster_slug: String,
    pub cluster_name: String,
    /// `draft` or `submitted`.
    pub status: String,
    /// Strategy and roadmap (French).
    pub strategy: Option<String>,
    pub governance: Option<String>,
    /// International partnerships and ambitions.
    pub international: Option<String>,
    /// Targets for the phase.
    pub targets: Option<String>,
    /// An optional summary in English.
    pub summary_en: Option<String>,
    /// The pôle's yearly budget, in cents.
    pub budget_cents: Option<i64>,
    /// Its management staff, in hundredths of a full-time equivalent.
    pub staff_fte_hundredths: Option<i64>,
    /// The committee's synthesis (officers and the pôle's managers once decided).
    pub synthesis: Option<String>,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub version: i64,
    /// What Pôles knows of the pôle, computed now.
    pub facts: Facts,
}

struct CandidacyRow {
    id: i64,
    campaign: String,
    cluster_id: i64,
    cluster_slug: String,
    cluster_name: String,
    status: String,
    strategy: Option<String>,
    governance: Option<String>,
    international: Option<String>,
    targets: Option<String>,
    summary_en: Option<String>,
    budget_cents: Option<i64>,
    staff_fte_hundredths: Option<i64>,
    synthesis: Option<String>,
    updated_at: String,
    submitted_at: Option<String>,
    version: i64,
}
from_row!(CandidacyRow {
    id,
    campaign,
    cluster_id,
    cluster_slug,
    cluster_name,
    status,
    strategy,
    governance,
    international,
    targets,
    summary_en,
    budget_cents,
    staff_fte_hundredths,
    synthesis,
    updated_at,
    submitted_at,
    version
});

const CANDIDACY_SELECT: &str = "SELECT k.id, c.slug AS campaign, k.cluster_id, p.slug AS cluster_slug, p.name AS cluster_name, k.status, k.strategy, k.governance, k.international, k.targets, k.summary_en, k.budget_cents, k.staff_fte_hundredths, k.synthesis, k.updated_at, k.submitted_at, k.version \
     FROM candidacies k JOIN label_campaigns c ON c.id = k.campaign_id JOIN clusters p ON p.id = k.cluster_id";

/// A pôle's candidacy to a campaign, with the facts computed now; `None` before its managers
/// start one.
pub async fn candidacy(db: &Db, campaign: &str, cluster: &str) -> Result<Option<Candidacy>> {
    let mut tx = db.pool.begin().await?;
    let row: Option<CandidacyRow> = sqlx::query_as(&format!(
        "{CANDIDACY_SELECT} WHERE c.slug = $1 AND p.slug = $2"
    ))
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else {
        tx.commit().await?;
        return Ok(None);
    };
    let facts = facts_tx(&mut tx, r.cluster_id).await?;
    tx.commit().await?;
    Ok(Some(Candidacy {
        id: r.id,
        campaign: r.campaign,
        cluster_slug: r.cluster_slug,
        cluster_name: r.cluster_name,
        status: r.status,
        strategy: r.strategy,
        governance: r.governance,
        international: r.international,
        targets: r.targets,
        summary_en: r.summary_en,
        budget_cents: r.budget_cents,
        staff_fte_hundredths: r.staff_fte_hundredths,
        synthesis: r.synthesis,
        updated_at: r.updated_at,
        submitted_at: r.submitted_at,
        version: r.version,
        facts,
    }))
}

/// What Pôles knows of a pôle, for a candidacy not started yet.
pub async fn facts(db: &Db, cluster: &str) -> Result<Facts> {
    let mut tx = db.pool.begin().await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let f = facts_tx(&mut tx, cid).await?;
    tx.commit().await?;
    Ok(f)
}

/// A candidacy's text as its managers write it (checked by the use case).
#[derive(Debug, Clone, Default)]
pub struct CandidacyText {
    pub strategy: Option<String>,
    pub governance: Option<String>,
    pub international: Option<String>,
    pub targets: Option<String>,
    pub summary_en: Option<String>,
    pub budget_cents: Option<i64>,
    pub staff_fte_hundredths: Option<i64>,
}

/// Writes a draft candidacy (created on first save); refused once submitted. `version`, when
/// given, must be the one read (two managers editing at once).
pub async fn save_draft(
    db: &Db,
    ctx: &Context,
    campaign: &str,
    cluster: &str,
    t: &CandidacyText,
    version: Option<i64>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (camp, _) = campaign_tx(&mut tx, campaign).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let now = now_utc();
    let existing: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, status, version FROM candidacies WHERE campaign_id = $1 AND cluster_id = $2",
    )
    .bind(camp)
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    match existing {
        Some((_, status, _)) if status == "submitted" => {
            return Err(
                FieldError::new("candidacy", "is submitted: it can no longer change").into(),
            )
        }
        Some((_, _, v)) if version.is_some_and(|x| x != v) => {
            return Err(StoreError::Conflict { current: v });
        }
        Some((id, _, _)) => {
            sqlx::query(
                "UPDATE candidacies SET strategy = $2, governance = $3, international = $4, targets = $5, summary_en = $6, \
                 budget_cents = $7, staff_fte_hundredths = $8, updated_at = $9, version = version + 1 WHERE id = $1",
            )
            .bind(id)
            .bind(&t.strategy)
            .bind(&t.governance)
            .bind(&t.international)
            .bind(&t.targets)
            .bind(&t.summary_en)
            .bind(t.budget_cents)
            .bind(t.staff_fte_hundredths)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO candidacies (campaign_id, cluster_id, strategy, governance, international, targets, summary_en, budget_cents, staff_fte_hundredths, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(camp)
            .bind(cid)
            .bind(&t.strategy)
            .bind(&t.governance)
            .bind(&t.international)
            .bind(&t.targets)
            .bind(&t.summary_en)
            .bind(t.budget_cents)
            .bind(t.staff_fte_hundredths)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.save",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Submits a draft candidacy (the use case checks the deadline and what must be filled);
/// the programme's officers are told through the audit trail and the campaign's page.
pub async fn submit(db: &Db, ctx: &Context, by: i64, campaign: &str, cluster: &str) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let n = sqlx::query(
        "UPDATE candidacies SET status = 'submitted', submitted_at = $3, submitted_by = $4, version = version + 1 \
         WHERE status = 'draft' AND campaign_id = (SELECT id FROM label_campaigns WHERE slug = $1) \
         AND cluster_id = (SELECT id FROM clusters WHERE slug = $2)",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .bind(now_utc())
    .bind(by)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(FieldError::new("candidacy", "there is no draft to submit").into());
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.submit",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A candidacy in the officers' list of a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidacyLine {
    pub cluster_slug: String,
    pub cluster_name: String,
    pub status: String,
    pub submitted_at: Option<String>,
    /// Committee members assigned, and those who submitted their scores.
    pub reviewers: i64,
    pub reviews_submitted: i64,
    /// Regions' opinions recorded.
    pub opinions: i64,
}

struct LineRow {
    cluster_slug: String,
    cluster_name: String,
    status: String,
    submitted_at: Option<String>,
    reviewers: i64,
    reviews_submitted: i64,
    opinions: i64,
}
from_row!(LineRow {
    cluster_slug,
    cluster_name,
    status,
    submitted_at,
    reviewers,
    reviews_submitted,
    opinions
});

/// A campaign's candidacies, submitted first, then by pôle name.
pub async fn candidacies(db: &Db, campaign: &str) -> Result<Vec<CandidacyLine>> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT p.slug AS cluster_slug, p.name AS cluster_name, k.status, k.submitted_at, \
         (SELECT COUNT(*) FROM candidacy_reviews r WHERE r.candidacy_id = k.id) AS reviewers, \
         (SELECT COUNT(*) FROM candidacy_reviews r WHERE r.candidacy_id = k.id AND r.submitted_at IS NOT NULL) AS reviews_submitted, \
         (SELECT COUNT(*) FROM candidacy_opinions o WHERE o.candidacy_id = k.id) AS opinions \
         FROM candidacies k JOIN label_campaigns c ON c.id = k.campaign_id JOIN clusters p ON p.id = k.cluster_id \
         WHERE c.slug = $1 ORDER BY CASE k.status WHEN 'submitted' THEN 0 ELSE 1 END, p.name",
    )
    .bind(campaign.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CandidacyLine {
            cluster_slug: r.cluster_slug,
            cluster_name: r.cluster_name,
            status: r.status,
            submitted_at: r.submitted_at,
            reviewers: r.reviewers,
            reviews_submitted: r.reviews_submitted,
            opinions: r.opinions,
        })
        .collect())
}

/// A member of a campaign's selection committee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommitteeMember {
    pub user_id: i64,
    /// Their name, or their e-mail address where they gave none.
    pub name: String,
    /// `state` or `region`.
    pub side: String,
    pub region_code: Option<String>,
}

/// A campaign's committee, State members first.
pub async fn committee(db: &Db, campaign: &str) -> Result<Vec<CommitteeMember>> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT u.id, COALESCE(u.display_name, u.email), m.side, m.region_code FROM label_committee m \
         JOIN users u ON u.id = m.user_id JOIN label_campaigns c ON c.id = m.campaign_id \
         WHERE c.slug = $1 ORDER BY m.side DESC, COALESCE(u.display_name, u.email)",
    )
    .bind(campaign.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, side, region_code)| CommitteeMember {
            user_id,
            name,
            side,
            region_code,
        })
        .collect())
}

/// The roles a user holds, as `(role, scope)`.
pub async fn grants_of(db: &Db, user_id: i64) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT role, scope FROM role_grants WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Adds a member to a campaign's committee (the use case checks their roles and side).
pub async fn add_committee_member(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    user_id: i64,
    side: &str,
    region: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (camp, c) = campaign_tx(&mut tx, campaign).await?;
    if let Some(r) = region {
        if !c.regions.iter().any(|x| x.code == r) {
            return Err(
                FieldError::new("region", "is not a region that co-decides this campaign").into(),
            );
        }
    }
    let n = sqlx::query(
        "INSERT INTO label_committee (campaign_id, user_id, side, region_code, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (campaign_id, user_id) DO NOTHING",
    )
    .bind(camp)
    .bind(user_id)
    .bind(side)
    .bind(region)
    .bind(by)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(FieldError::new("user_id", "is already on the committee").into());
    }
    notify(
        &mut tx,
        To::User(user_id),
        "label_committee",
        format!(
            "Vous siégez au comité de sélection de la campagne « {} ».",
            c.name_fr
        ),
        format!(
            "You sit on the selection committee of the campaign “{}”.",
            c.name_en
        ),
        Some(format!("/labels/{campaign}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "label_committee.add",
            object_kind: "label_campaign",
            object_ref: campaign.to_string(),
            changes: json!({"user_id": user_id, "side": side, "region": region}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How a committee member is tied to a pôle: their organisations that are its members, and
/// whether they manage it. Read for the conflict check.
pub async fn ties(db: &Db, user_id: i64, cluster: &str) -> Result<(Vec<String>, bool)> {
    let orgs: Vec<String> = sqlx::query_scalar(
        "SELECT o.name FROM role_grants g JOIN memberships m ON CAST(m.organisation_id AS TEXT) = g.scope \
         JOIN clusters c ON c.id = m.cluster_id JOIN organisations o ON o.id = m.organisation_id \
         WHERE g.user_id = $1 AND g.role = 'organisation_member' AND c.slug = $2 ORDER BY o.name",
    )
    .bind(user_id)
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?;
    let manages: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM role_grants WHERE user_id = $1 AND role = 'cluster_manager' AND scope = $2",
    )
    .bind(user_id)
    .bind(cluster.to_string())
    .fetch_optional(&db.pool)
    .await?;
    Ok((orgs, manages.is_some()))
}

async fn candidacy_id(tx: &mut impl Tx, campaign: &str, cluster: &str) -> Result<(i64, String)> {
    sqlx::query_as(
        "SELECT k.id, k.status FROM candidacies k JOIN label_campaigns c ON c.id = k.campaign_id \
         JOIN clusters p ON p.id = k.cluster_id WHERE c.slug = $1 AND p.slug = $2",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("candidacy"))
}

/// Assigns a committee member to a submitted candidacy (the use case has checked their ties).
pub async fn assign(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    cluster: &str,
    reviewer: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (id, status) = candidacy_id(&mut tx, campaign, cluster).await?;
    if status != "submitted" {
        return Err(FieldError::new("candidacy", "only submitted candidacies are reviewed").into());
    }
    let member: Option<String> = sqlx::query_scalar(
        "SELECT m.side FROM label_committee m JOIN label_campaigns c ON c.id = m.campaign_id WHERE c.slug = $1 AND m.user_id = $2",
    )
    .bind(campaign.to_string())
    .bind(reviewer)
    .fetch_optional(&mut *tx)
    .await?;
    if member.is_none() {
        return Err(FieldError::new("reviewer_id", "is not on this campaign's committee").into());
    }
    let n = sqlx::query(
        "INSERT INTO candidacy_reviews (candidacy_id, reviewer_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (candidacy_id, reviewer_id) DO NOTHING",
    )
    .bind(id)
    .bind(reviewer)
    .bind(by)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(FieldError::new("reviewer_id", "is already assigned").into());
    }
    let name: String = sqlx::query_scalar("SELECT name FROM clusters WHERE slug = $1")
        .bind(cluster.to_string())
        .fetch_one(&mut *tx)
        .await?;
    notify(
        &mut tx,
        To::User(reviewer),
        "candidacy_review",
        format!("La candidature du pôle {name} vous est confiée pour évaluation."),
        format!("The candidacy of {name} is assigned to you for review."),
        Some(format!("/labels/{campaign}/{cluster}")),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.assign",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({"reviewer_id": reviewer}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer assigned to a candidacy (officers' view).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidacyAssignment {
    pub reviewer_id: i64,
    pub name: String,
    pub submitted: bool,
}

/// Who reviews a candidacy and whether they submitted.
pub async fn assignments(
    db: &Db,
    campaign: &str,
    cluster: &str,
) -> Result<Vec<CandidacyAssignment>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT u.id, COALESCE(u.display_name, u.email), r.submitted_at FROM candidacy_reviews r \
         JOIN users u ON u.id = r.reviewer_id JOIN candidacies k ON k.id = r.candidacy_id \
         JOIN label_campaigns c ON c.id = k.campaign_id JOIN clusters p ON p.id = k.cluster_id \
         WHERE c.slug = $1 AND p.slug = $2 ORDER BY r.assigned_at, u.id",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(reviewer_id, name, s)| CandidacyAssignment {
            reviewer_id,
            name,
            submitted: s.is_some(),
        })
        .collect())
}

/// The submitted marks of a candidacy, `(reviewer, score)` in order of submission; and whether
/// `user_id` (when given) is assigned and has submitted. `NotFound` when they are not assigned.
pub async fn marks(
    db: &Db,
    campaign: &str,
    cluster: &str,
    user_id: Option<i64>,
) -> Result<(bool, Vec<(i64, Score)>)> {
    let mut tx = db.pool.begin().await?;
    let (id, _) = candidacy_id(&mut tx, campaign, cluster).await?;
    let submitted = match user_id {
        Some(u) => {
            let a: Option<Option<String>> = sqlx::query_scalar(
                "SELECT submitted_at FROM candidacy_reviews WHERE candidacy_id = $1 AND reviewer_id = $2",
            )
            .bind(id)
            .bind(u)
            .fetch_optional(&mut *tx)
            .await?;
            a.ok_or(StoreError::NotFound("review"))?.is_some()
        }
        None => false,
    };
    let rows: Vec<(i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT s.reviewer_id, s.criterion, s.score, s.comment FROM candidacy_scores s \
         JOIN candidacy_reviews r ON r.candidacy_id = s.candidacy_id AND r.reviewer_id = s.reviewer_id \
         WHERE s.candidacy_id = $1 AND r.submitted_at IS NOT NULL ORDER BY r.submitted_at, s.reviewer_id, s.criterion",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        submitted,
        rows.into_iter()
            .map(|(r, criterion, score, comment)| {
                (
                    r,
                    Score {
                        criterion,
                        score,
                        comment,
                    },
                )
            })
            .collect(),
    ))
}

/// Stores one's scores for a candidacy one is assigned, once, checked against the
/// campaign's criteria in the same transaction.
pub async fn submit_scores(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    campaign: &str,
    cluster: &str,
    scores: &[Score],
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (id, _) = candidacy_id(&mut tx, campaign, cluster).await?;
    let a: Option<Option<String>> = sqlx::query_scalar(
        "SELECT submitted_at FROM candidacy_reviews WHERE candidacy_id = $1 AND reviewer_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    match a {
        None => return Err(StoreError::NotFound("review")),
        Some(Some(_)) => {
            return Err(FieldError::new("scores", "your review was already submitted").into())
        }
        Some(None) => {}
    }
    let criteria: Vec<i64> = sqlx::query_scalar(
        "SELECT position FROM label_criteria WHERE campaign_id = (SELECT campaign_id FROM candidacies WHERE id = $1) ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    review::check(&criteria, scores)?;
    for s in scores {
        sqlx::query(
            "INSERT INTO candidacy_scores (candidacy_id, reviewer_id, criterion, score, comment) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(user_id)
        .bind(s.criterion)
        .bind(s.score)
        .bind(&s.comment)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE candidacy_reviews SET submitted_at = $3 WHERE candidacy_id = $1 AND reviewer_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.review",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({"scores": scores.len()}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A co-deciding region's opinion of a candidacy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Opinion {
    pub region_code: String,
    pub region_name: String,
    /// `favourable`, `reserved` or `unfavourable`.
    pub opinion: String,
    pub comment: Option<String>,
    pub recorded_at: String,
}

/// The regions' opinions of a candidacy.
pub async fn opinions(db: &Db, campaign: &str, cluster: &str) -> Result<Vec<Opinion>> {
    let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT o.region_code, r.name, o.opinion, o.comment, o.recorded_at FROM candidacy_opinions o \
         JOIN regions r ON r.code = o.region_code JOIN candidacies k ON k.id = o.candidacy_id \
         JOIN label_campaigns c ON c.id = k.campaign_id JOIN clusters p ON p.id = k.cluster_id \
         WHERE c.slug = $1 AND p.slug = $2 ORDER BY r.name",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(region_code, region_name, opinion, comment, recorded_at)| Opinion {
                region_code,
                region_name,
                opinion,
                comment,
                recorded_at,
            },
        )
        .collect())
}

/// The regions of a pôle that co-decide a campaign.
pub async fn co_deciding_regions(db: &Db, campaign: &str, cluster: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT x.region_code FROM label_campaign_regions x JOIN label_campaigns c ON c.id = x.campaign_id \
         JOIN cluster_regions r ON r.region_code = x.region_code JOIN clusters p ON p.id = r.cluster_id \
         WHERE c.slug = $1 AND p.slug = $2 ORDER BY x.region_code",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// Records (or replaces) a region's opinion of a submitted candidacy.
#[expect(
    clippy::too_many_arguments,
    reason = "one value per column the row records"
)]
pub async fn record_opinion(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    cluster: &str,
    region: &str,
    opinion: &str,
    comment: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (id, status) = candidacy_id(&mut tx, campaign, cluster).await?;
    if status != "submitted" {
        return Err(FieldError::new("candidacy", "is not submitted yet").into());
    }
    sqlx::query(
        "INSERT INTO candidacy_opinions (candidacy_id, region_code, opinion, comment, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (candidacy_id, region_code) DO UPDATE SET opinion = excluded.opinion, comment = excluded.comment, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(id)
    .bind(region.to_string())
    .bind(opinion.to_string())
    .bind(comment)
    .bind(by)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.opinion",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({"region": region, "opinion": opinion}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the committee's synthesis of a submitted candidacy.
pub async fn set_synthesis(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    cluster: &str,
    text: &str,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (id, status) = candidacy_id(&mut tx, campaign, cluster).await?;
    if status != "submitted" {
        return Err(FieldError::new("candidacy", "is not submitted yet").into());
    }
    sqlx::query("UPDATE candidacies SET synthesis = $2, synthesis_by = $3 WHERE id = $1")
        .bind(id)
        .bind(text.to_string())
        .bind(by)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.synthesis",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The criteria of a campaign as `(position, weight)`.
pub async fn weights(db: &Db, campaign: &str) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT k.position, k.weight FROM label_criteria k JOIN label_campaigns c ON c.id = k.campaign_id WHERE c.slug = $1 ORDER BY k.position",
    )
    .bind(campaign.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// A label decision: proposed by one officer, approved (published) or rejected by another.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelDecision {
    pub id: i64,
    pub campaign: String,
    pub cluster_slug: String,
    pub cluster_name: String,
    /// `campaign` (the candidacy's) or `probation_review` (after a probation).
    pub kind: String,
    /// `labelled`, `probation`, `not_labelled`, `merger`, `confirmed` or `delabelled`.
    pub outcome: String,
    pub tier: Option<String>,
    pub months: Option<i64>,
    pub conditions: Option<String>,
    /// When a probation is reviewed.
    pub review_date: Option<String>,
    pub merged_into_slug: Option<String>,
    pub merged_into_name: Option<String>,
    pub legal_act: String,
    pub act_date: String,
    /// `proposed`, `approved` or `rejected`.
    pub status: String,
    pub proposed_by: Option<i64>,
    pub proposed_at: String,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

struct LabelDecisionRow {
    id: i64,
    campaign: String,
    cluster_slug: String,
    cluster_name: String,
    kind: String,
    outcome: String,
    tier: Option<String>,
    months: Option<i64>,
    conditions: Option<String>,
    review_date: Option<String>,
    merged_into_slug: Option<String>,
    merged_into_name: Option<String>,
    legal_act: String,
    act_date: String,
    status: String,
    proposed_by: Option<i64>,
    proposed_at: String,
    decided_at: Option<String>,
    reason: Option<String>,
}
from_row!(LabelDecisionRow {
    id,
    campaign,
    cluster_slug,
    cluster_name,
    kind,
    outcome,
    tier,
    months,
    conditions,
    review_date,
    merged_into_slug,
    merged_into_name,
    legal_act,
    act_date,
    status,
    proposed_by,
    proposed_at,
    decided_at,
    reason
});

const DECISION_SELECT: &str = "SELECT d.id, c.slug AS campaign, p.slug AS cluster_slug, p.name AS cluster_name, d.kind, d.outcome, d.tier, d.months, d.conditions, d.review_date, \
     m.slug AS merged_into_slug, m.name AS merged_into_name, d.legal_act, d.act_date, d.status, d.proposed_by, d.proposed_at, d.decided_at, d.reason \
     FROM label_decisions d JOIN label_campaigns c ON c.id = d.campaign_id JOIN clusters p ON p.id = d.cluster_id LEFT JOIN clusters m ON m.id = d.merged_into";

impl From<LabelDecisionRow> for LabelDecision {
    fn from(r: LabelDecisionRow) -> Self {
        LabelDecision {
            id: r.id,
            campaign: r.campaign,
            cluster_slug: r.cluster_slug,
            cluster_name: r.cluster_name,
            kind: r.kind,
            outcome: r.outcome,
            tier: r.tier,
            months: r.months,
            conditions: r.conditions,
            review_date: r.review_date,
            merged_into_slug: r.merged_into_slug,
            merged_into_name: r.merged_into_name,
            legal_act: r.legal_act,
            act_date: r.act_date,
            status: r.status,
            proposed_by: r.proposed_by,
            proposed_at: r.proposed_at,
            decided_at: r.decided_at,
            reason: r.reason,
        }
    }
}

/// A campaign's decisions (every status), by pôle name then newest first.
pub async fn decisions(db: &Db, campaign: &str) -> Result<Vec<LabelDecision>> {
    let rows: Vec<LabelDecisionRow> = sqlx::query_as(&format!(
        "{DECISION_SELECT} WHERE c.slug = $1 ORDER BY p.name, d.id DESC"
    ))
    .bind(campaign.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(LabelDecision::from).collect())
}

/// One decision.
pub async fn decision(db: &Db, id: i64) -> Result<LabelDecision> {
    let row: LabelDecisionRow = sqlx::query_as(&format!("{DECISION_SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound("decision"))?;
    Ok(row.into())
}

/// A decision as an officer proposes it (checked by the use case).
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub cluster: String,
    pub kind: String,
    pub outcome: String,
    pub tier: Option<String>,
    pub months: Option<i64>,
    pub conditions: Option<String>,
    pub review_date: Option<Date>,
    pub merged_into: Option<String>,
    pub legal_act: String,
    pub act_date: Date,
}

/// The pôle's current label status (the latest row of its history), if any.
pub async fn current_status(db: &Db, cluster: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT l.status FROM labels l JOIN clusters c ON c.id = l.cluster_id WHERE c.slug = $1 \
         ORDER BY COALESCE(l.decision_date, l.valid_from, '0000') DESC, l.id DESC LIMIT 1",
    )
    .bind(cluster.to_string())
    .fetch_optional(&db.pool)
    .await?)
}

/// Files a proposal; refused while another proposal for the same pôle and campaign is open.
pub async fn propose(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    d: &NewDecision,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let (camp, _) = campaign_tx(&mut tx, campaign).await?;
    let cid = cluster_id(&mut tx, &d.cluster).await?;
    let merged = match &d.merged_into {
        Some(s) => {
            let m = cluster_id(&mut tx, s)
                .await
                .map_err(|_| FieldError::new("merged_into", "is not a pôle"))?;
            if m == cid {
                return Err(
                    FieldError::new("merged_into", "a pôle does not merge into itself").into(),
                );
            }
            Some(m)
        }
        None => None,
    };
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM label_decisions WHERE campaign_id = $1 AND cluster_id = $2 AND status = 'proposed'",
    )
    .bind(camp)
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    if open.is_some() {
        return Err(FieldError::new(
            "cluster",
            "a decision for this pôle is already waiting for its approval",
        )
        .into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO label_decisions (campaign_id, cluster_id, kind, outcome, tier, months, conditions, review_date, merged_into, legal_act, act_date, proposed_by, proposed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(camp)
    .bind(cid)
    .bind(&d.kind)
    .bind(&d.outcome)
    .bind(&d.tier)
    .bind(d.months)
    .bind(&d.conditions)
    .bind(d.review_date.map(|x| x.to_string()))
    .bind(merged)
    .bind(&d.legal_act)
    .bind(d.act_date.to_string())
    .bind(by)
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "label_decision.propose",
            object_kind: "label_decision",
            object_ref: id.to_string(),
            changes: json!({"campaign": campaign, "cluster": d.cluster, "outcome": d.outcome, "months": d.months}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The period a decided label runs: from `from` for `months`, or to the campaign's end.
pub struct LabelTerm {
    pub status: &'static str,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

/// Approves (publishes) or rejects a proposal. Approval writes the pôle's label row (the
/// use case computes its term) and, for a merger, carries the absorbed pôle's members and
/// labelled projects into the merged pôle and records the succession — all in one
/// transaction. The proposer's own approval is refused by the use case.
pub async fn settle(
    db: &Db,
    ctx: &Context,
    by: i64,
    id: i64,
    approve: Option<LabelTerm>,
    reason: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    type Open = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        String,
        String,
        Option<String>,
    );
    let row: Option<Open> = sqlx::query_as(
        "SELECT d.campaign_id, d.cluster_id, d.status, d.outcome, d.tier, d.conditions, d.review_date, d.merged_into, d.legal_act, d.act_date, c.phase_code \
         FROM label_decisions d JOIN label_campaigns c ON c.id = d.campaign_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (camp, cid, status, outcome, tier, conditions, review_date, merged, act, act_date, phase) =
        row.ok_or(StoreError::NotFound("decision"))?;
    if status != "proposed" {
        return Err(FieldError::new("decision", format!("is {status} already")).into());
    }
    let now = now_utc();
    let Some(term) = approve else {
        sqlx::query("UPDATE label_decisions SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4 WHERE id = $1")
            .bind(id)
            .bind(by)
            .bind(&now)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            ctx,
            Event {
                action: "label_decision.reject",
                object_kind: "label_decision",
                object_ref: id.to_string(),
                changes: json!({}),
                reason: reason.map(String::from),
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    let (campaign_name_fr, campaign_slug): (String, String) =
        sqlx::query_as("SELECT name_fr, slug FROM label_campaigns WHERE id = $1")
            .bind(camp)
            .fetch_one(&mut *tx)
            .await?;
    let mut note = conditions.clone();
    if let Some(m) = merged {
        let name: String = sqlx::query_scalar("SELECT name FROM clusters WHERE id = $1")
            .bind(m)
            .fetch_one(&mut *tx)
            .await?;
        note = Some(format!("→ {name}"));
        // The members the merged pôle does not have yet move with their role and date.
        sqlx::query(
            "INSERT INTO memberships (cluster_id, organisation_id, role, since, source, quote, shown_publicly) \
             SELECT $2, organisation_id, role, since, source, quote, shown_publicly FROM memberships \
             WHERE cluster_id = $1 AND organisation_id NOT IN (SELECT organisation_id FROM memberships WHERE cluster_id = $2)",
        )
        .bind(cid)
        .bind(m)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO past_memberships (cluster_id, organisation_id, role, since, until, reason, source, shown_publicly) \
             SELECT cluster_id, organisation_id, role, since, $2, 'merger', source, shown_publicly FROM memberships WHERE cluster_id = $1",
        )
        .bind(cid)
        .bind(act_date.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM memberships WHERE cluster_id = $1")
            .bind(cid)
            .execute(&mut *tx)
            .await?;
        // Its labelled projects count for the merged pôle too (the merged pôle's own
        // request, where it had one, is kept).
        sqlx::query(
            "INSERT INTO labelling_requests (application_id, cluster_id, lead, status, reasons, decided_on, decided_by, requested_at) \
             SELECT application_id, $2, lead, status, reasons, decided_on, decided_by, requested_at FROM labelling_requests \
             WHERE cluster_id = $1 AND application_id NOT IN (SELECT application_id FROM labelling_requests WHERE cluster_id = $2)",
        )
        .bind(cid)
        .bind(m)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO cluster_successions (from_cluster_id, to_cluster_id, kind, on_date, source_title, source_url) \
             VALUES ($1, $2, 'merged', $3, $4, $5) ON CONFLICT (from_cluster_id, to_cluster_id) DO NOTHING",
        )
        .bind(cid)
        .bind(m)
        .bind(act_date.clone())
        .bind(act.clone())
        .bind(format!("/labels/{campaign_slug}"))
        .execute(&mut *tx)
        .await?;
    }
    let label_id: i64 = sqlx::query_scalar(
        "INSERT INTO labels (cluster_id, tier, status, decision_date, valid_from, valid_until, legal_act, note, source, source_title, source_publisher, phase_code, campaign_id, review_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(cid)
    .bind(tier)
    .bind(term.status)
    .bind(act_date.clone())
    .bind(term.valid_from.to_string())
    .bind(term.valid_until.map(|d| d.to_string()))
    .bind(act.clone())
    .bind(note)
    .bind(format!("/labels/{campaign_slug}"))
    .bind(format!("{act} — {campaign_name_fr}"))
    .bind("Pôles")
    .bind(phase)
    .bind(camp)
    .bind(review_date)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE label_decisions SET status = 'approved', decided_by = $2, decided_at = $3, label_id = $4 WHERE id = $1")
        .bind(id)
        .bind(by)
        .bind(&now)
        .bind(label_id)
        .execute(&mut *tx)
        .await?;
    let slug: String = sqlx::query_scalar("SELECT slug FROM clusters WHERE id = $1")
        .bind(cid)
        .fetch_one(&mut *tx)
        .await?;
    notify(
        &mut tx,
        To::Cluster(&slug),
        "label_decision",
        format!("La décision de labellisation de votre pôle est publiée ({act})."),
        format!("The label decision for your pôle is published ({act})."),
        Some(format!("/labels/{campaign_slug}/{slug}")),
    )
    .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "label_decision.approve",
            object_kind: "label_decision",
            object_ref: id.to_string(),
            changes: json!({"outcome": outcome, "label_id": label_id}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const CRITERIA_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/label-criteria.csv"
));
const CAMPAIGNS_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/campaigns.csv"
));

#[derive(serde::Deserialize)]
struct CriterionCsv {
    name_en: String,
    name_fr: String,
    weight: i64,
    source_title: String,
    source_url: String,
}

/// The State's criteria as the shipped data give them (`data/programme/label-criteria.csv`).
pub fn default_criteria() -> Result<Vec<CriterionIn>> {
    Ok(
        crate::today::rows::<CriterionCsv>("label-criteria.csv", CRITERIA_CSV)?
            .into_iter()
            .map(|c| CriterionIn {
                name_en: c.name_en,
                name_fr: c.name_fr,
                weight: c.weight,
                source_title: c.source_title,
                source_url: crate::today::opt(&c.source_url),
            })
            .collect(),
    )
}

#[derive(serde::Deserialize)]
struct CampaignCsv {
    slug: String,
    phase: String,
    name_en: String,
    name_fr: String,
    decided: String,
    label_from: String,
    label_until: String,
    summary_en: String,
    summary_fr: String,
    source_title: String,
    source_publisher: String,
    source_url: String,
}

/// Loads the past campaigns public sources give (`data/programme/campaigns.csv`) once, and
/// ties the label rows of each phase to the phase's deciding campaign (the first listed for
/// it), so that a pôle's history names the campaign of each decision. Does nothing before
/// the programme's phases are loaded. Returns whether this call loaded them.
pub(crate) async fn load_history_tx(tx: &mut impl Tx) -> Result<bool> {
    let phases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM programme_phases")
        .fetch_one(&mut **tx)
        .await?;
    if phases == 0 {
        return Ok(false);
    }
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('label_history_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(now_utc())
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        return Ok(false);
    }
    let mut tied: Vec<String> = Vec::new();
    for c in crate::today::rows::<CampaignCsv>("campaigns.csv", CAMPAIGNS_CSV)? {
        let what = format!("campaigns.csv: {}", c.slug);
        let decided = crate::today::partial_date(&what, &c.decided)?
            .ok_or_else(|| StoreError::Data(format!("{what}: no decision date")))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO label_campaigns (slug, phase_code, name_en, name_fr, opens_on, closes_on, label_from, label_until, historical, \
             summary_en, summary_fr, source_title, source_publisher, source_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, 1, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&c.slug)
        .bind(&c.phase)
        .bind(&c.name_en)
        .bind(&c.name_fr)
        .bind(&decided)
        .bind(&c.label_from)
        .bind(&c.label_until)
        .bind(crate::today::opt(&c.summary_en))
        .bind(crate::today::opt(&c.summary_fr))
        .bind(&c.source_title)
        .bind(crate::today::opt(&c.source_publisher))
        .bind(crate::today::opt(&c.source_url))
        .bind(now_utc())
        .fetch_one(&mut **tx)
        .await?;
        if !tied.contains(&c.phase) {
            sqlx::query(
                "UPDATE labels SET campaign_id = $1 WHERE phase_code = $2 AND campaign_id IS NULL",
            )
            .bind(id)
            .bind(&c.phase)
            .execute(&mut **tx)
            .await?;
            tied.push(c.phase.clone());
        }
    }
    Ok(true)
}

/// Loads the past campaigns (as the demo load does) in a transaction of its own, for a
/// database an earlier version set up.
pub async fn load_history_if_missing(db: &Db) -> Result<bool> {
    let mut tx = audit::begin_write(db).await?;
    let loaded = load_history_tx(&mut tx).await?;
    tx.commit().await?;
    Ok(loaded)
}

/// Someone who may sit on a committee: a programme officer or a reviewer (State side), a
/// region officer (their region's side).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Eligible {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    /// The region of a region officer.
    pub region: Option<String>,
}

/// Everyone who may sit on a committee, by name.
pub async fn eligible(db: &Db) -> Result<Vec<Eligible>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT u.id, COALESCE(u.display_name, u.email), g.role, g.scope FROM role_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.role IN ('programme_officer', 'reviewer', 'region_officer') AND u.status = 'active' \
         ORDER BY COALESCE(u.display_name, u.email), g.role, g.scope",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, role, scope)| Eligible {
            user_id,
            name,
            region: (role == "region_officer").then_some(scope),
            role,
        })
        .collect())
}

/// A label row a campaign decided, as its public page lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignLabel {
    pub cluster_slug: String,
    pub cluster_name: String,
    /// `labelled`, `probation` or `delabelled`.
    pub status: String,
    pub tier: Option<String>,
    pub valid_until: Option<String>,
}

/// The label rows tied to a campaign (the per-pôle decisions its sources give, and those
/// Pôles published), by pôle name.
pub async fn campaign_labels(db: &Db, campaign: &str) -> Result<Vec<CampaignLabel>> {
    type Row = (String, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.slug, p.name, l.status, l.tier, l.valid_until FROM labels l JOIN clusters p ON p.id = l.cluster_id \
         JOIN label_campaigns c ON c.id = l.campaign_id WHERE c.slug = $1 ORDER BY p.name, l.id",
    )
    .bind(campaign.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(cluster_slug, cluster_name, status, tier, valid_until)| CampaignLabel {
                cluster_slug,
                cluster_name,
                status,
                tier,
                valid_until,
            },
        )
        .collect())
}

const ECCP_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/eccp.csv"
));
const ESCA_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/esca-levels.csv"
));

#[derive(serde::Deserialize)]
struct RuleCsv {
    key: String,
    value: i64,
    source_title: String,
    source_url: String,
}

/// The ECCP profile check's thresholds as the shipped data give them.
pub fn eccp_rules() -> Result<poles_core::eccp::EccpRules> {
    let rows = crate::today::rows::<RuleCsv>("eccp.csv", ECCP_CSV)?;
    let get = |k: &str| {
        rows.iter()
            .find(|r| r.key == k)
            .map(|r| r.value)
            .ok_or_else(|| StoreError::Data(format!("eccp.csv: no {k}")))
    };
    let first = rows
        .first()
        .ok_or_else(|| StoreError::Data("eccp.csv: empty".into()))?;
    Ok(poles_core::eccp::EccpRules {
        min_fte_hundredths: get("min_fte_hundredths")?,
        min_members: get("min_members")?,
        min_kinds: get("min_kinds")?,
        source_title: first.source_title.clone(),
        source_url: crate::today::opt(&first.source_url),
    })
}

#[derive(serde::Deserialize)]
struct EscaCsv {
    level: String,
    validity_months: String,
    source_title: String,
}

/// An ESCA level's validity in months where a source gives it, and that source.
pub fn esca_level(level: &str) -> Result<Option<(Option<i64>, String)>> {
    Ok(crate::today::rows::<EscaCsv>("esca-levels.csv", ESCA_CSV)?
        .into_iter()
        .find(|r| r.level == level)
        .map(|r| (r.validity_months.trim().parse().ok(), r.source_title)))
}

/// What Pôles knows of a pôle for the ECCP profile check.
pub async fn eccp_facts(db: &Db, cluster: &str) -> Result<poles_core::eccp::EccpFacts> {
    let mut tx = db.pool.begin().await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let fte: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT staff_fte_hundredths FROM candidacies WHERE cluster_id = $1 AND staff_fte_hundredths IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    let (members, kinds): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT CASE WHEN o.kind = 'unknown' THEN NULL ELSE o.kind END) FROM memberships m \
         JOIN organisations o ON o.id = m.organisation_id WHERE m.cluster_id = $1",
    )
    .bind(cid)
    .fetch_one(&mut *tx)
    .await?;
    let published: Option<i64> = sqlx::query_scalar(
        "SELECT value FROM cluster_sizes WHERE cluster_id = $1 AND kind = 'members'",
    )
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    let english: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT description_en, theme_en FROM clusters WHERE id = $1")
            .bind(cid)
            .fetch_one(&mut *tx)
            .await?;
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM labels WHERE cluster_id = $1 ORDER BY COALESCE(decision_date, ''), id DESC LIMIT 1",
    )
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    Ok(poles_core::eccp::EccpFacts {
        fte_hundredths: fte.flatten(),
        members,
        kinds,
        published_members: published,
        english_page: filled(&english.0) || filled(&english.1),
        recognised: matches!(status.as_deref(), Some("labelled" | "probation")),
    })
}

/// An ESCA cluster-management label of a pôle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscaLabel {
    pub id: i64,
    /// `bronze`, `silver` or `gold`.
    pub level: String,
    pub awarded_on: String,
    pub expires_on: String,
    pub source_title: String,
    pub source_url: Option<String>,
}

/// A pôle's ESCA labels, the latest first.
pub async fn esca_labels(db: &Db, cluster: &str) -> Result<Vec<EscaLabel>> {
    let rows: Vec<(i64, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT l.id, l.level, l.awarded_on, l.expires_on, l.source_title, l.source_url FROM cluster_management_labels l \
         JOIN clusters c ON c.id = l.cluster_id WHERE c.slug = $1 ORDER BY l.awarded_on DESC, l.id DESC",
    )
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, level, awarded_on, expires_on, source_title, source_url)| EscaLabel {
                id,
                level,
                awarded_on,
                expires_on,
                source_title,
                source_url,
            },
        )
        .collect())
}

/// Records an ESCA label (checked by the use case).
#[expect(
    clippy::too_many_arguments,
    reason = "one value per column the row records"
)]
pub async fn record_esca(
    db: &Db,
    ctx: &Context,
    by: i64,
    cluster: &str,
    level: &str,
    awarded_on: Date,
    expires_on: Date,
    source_title: &str,
    source_url: Option<&str>,
) -> Result<EscaLabel> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cluster_management_labels (cluster_id, level, awarded_on, expires_on, source_title, source_url, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(cid)
    .bind(level.to_string())
    .bind(awarded_on.to_string())
    .bind(expires_on.to_string())
    .bind(source_title.to_string())
    .bind(source_url)
    .bind(by)
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "esca_label.record",
            object_kind: "cluster",
            object_ref: cluster.to_string(),
            changes: json!({"level": level, "expires_on": expires_on.to_string()}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(EscaLabel {
        id,
        level: level.to_string(),
        awarded_on: awarded_on.to_string(),
        expires_on: expires_on.to_string(),
        source_title: source_title.to_string(),
        source_url: source_url.map(String::from),
    })
}

/// A candidacy's attachment, without its content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub id: i64,
    pub name: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hexadecimal.
    pub sha256: String,
    pub uploaded_at: String,
}

/// A candidacy's attachments, oldest first.
pub async fn documents(db: &Db, campaign: &str, cluster: &str) -> Result<Vec<Document>> {
    let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT d.id, d.name, d.size_bytes, d.sha256, d.uploaded_at FROM candidacy_documents d \
         JOIN candidacies k ON k.id = d.candidacy_id JOIN label_campaigns c ON c.id = k.campaign_id \
         JOIN clusters p ON p.id = k.cluster_id WHERE c.slug = $1 AND p.slug = $2 ORDER BY d.id",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, size_bytes, sha256, uploaded_at)| Document {
            id,
            name,
            size_bytes,
            sha256,
            uploaded_at,
        })
        .collect())
}

/// Attaches a document to a draft candidacy; refused when the candidacy's documents would
/// exceed `total_max` bytes (checked under the write lock, so two uploads cannot both pass).
#[expect(
    clippy::too_many_arguments,
    reason = "one value per column the row records"
)]
pub async fn add_document(
    db: &Db,
    ctx: &Context,
    by: i64,
    campaign: &str,
    cluster: &str,
    name: &str,
    content: &[u8],
    total_max: i64,
) -> Result<Document> {
    use sha2::{Digest, Sha256};
    let mut tx = audit::begin_write(db).await?;
    let (id, status) = candidacy_id(&mut tx, campaign, cluster).await?;
    if status != "draft" {
        return Err(FieldError::new("candidacy", "is submitted: it can no longer change").into());
    }
    let used: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM candidacy_documents WHERE candidacy_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let size = content.len() as i64;
    if used + size > total_max {
        return Err(FieldError::new(
            "document",
            format!(
                "the candidacy's documents would weigh {} MB, more than the {} MB allowed",
                (used + size + 999_999) / 1_000_000,
                total_max / 1_000_000
            ),
        )
        .into());
    }
    let sha = crate::util::hex(&Sha256::digest(content));
    let now = now_utc();
    let doc: i64 = sqlx::query_scalar(
        "INSERT INTO candidacy_documents (candidacy_id, name, size_bytes, sha256, content_base64, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id)
    .bind(name.to_string())
    .bind(size)
    .bind(&sha)
    .bind(crate::util::base64_encode(content))
    .bind(by)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.document",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({"name": name, "size_bytes": size, "sha256": sha}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Document {
        id: doc,
        name: name.to_string(),
        size_bytes: size,
        sha256: sha,
        uploaded_at: now,
    })
}

/// A document's name and content.
pub async fn document(
    db: &Db,
    campaign: &str,
    cluster: &str,
    id: i64,
) -> Result<(String, Vec<u8>)> {
    let row: (String, String) = sqlx::query_as(
        "SELECT d.name, d.content_base64 FROM candidacy_documents d JOIN candidacies k ON k.id = d.candidacy_id \
         JOIN label_campaigns c ON c.id = k.campaign_id JOIN clusters p ON p.id = k.cluster_id \
         WHERE c.slug = $1 AND p.slug = $2 AND d.id = $3",
    )
    .bind(campaign.to_string())
    .bind(cluster.to_string())
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound("document"))?;
    let bytes = crate::util::base64_decode(&row.1)
        .ok_or_else(|| StoreError::Data(format!("document {id}: its content is not base64")))?;
    Ok((row.0, bytes))
}

/// Removes a document from a draft candidacy.
pub async fn remove_document(
    db: &Db,
    ctx: &Context,
    campaign: &str,
    cluster: &str,
    id: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let (cid, status) = candidacy_id(&mut tx, campaign, cluster).await?;
    if status != "draft" {
        return Err(FieldError::new("candidacy", "is submitted: it can no longer change").into());
    }
    let n = sqlx::query("DELETE FROM candidacy_documents WHERE id = $1 AND candidacy_id = $2")
        .bind(id)
        .bind(cid)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("document"));
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "candidacy.document_remove",
            object_kind: "candidacy",
            object_ref: format!("{campaign}/{cluster}"),
            changes: json!({"document": id}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A pôle whose latest label is a probation: when it is to be reviewed, and the campaign
/// that decided it (where its review is decided).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProbationDue {
    pub cluster_slug: String,
    pub cluster_name: String,
    pub campaign: Option<String>,
    /// The review date, else the probation's end.
    pub review_date: Option<String>,
}

/// Every pôle on probation by its latest label, the earliest review first.
pub async fn probations(db: &Db) -> Result<Vec<ProbationDue>> {
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.slug, c.name, l.status, k.slug, COALESCE(l.review_date, l.valid_until), COALESCE(l.decision_date, l.valid_from, '') \
         FROM labels l JOIN clusters c ON c.id = l.cluster_id LEFT JOIN label_campaigns k ON k.id = l.campaign_id \
         ORDER BY c.id, COALESCE(l.decision_date, ''), l.id",
    )
    .fetch_all(&db.pool)
    .await?;
    // The latest row of each pôle (rows come in each pôle's history order).
    let mut latest: Vec<Row> = Vec::new();
    for r in rows {
        match latest.last_mut() {
            Some(last) if last.0 == r.0 => *last = r,
            _ => latest.push(r),
        }
    }
    let mut out: Vec<ProbationDue> = latest
        .into_iter()
        .filter(|r| r.3 == "probation")
        .map(|(_, slug, name, _, campaign, review, _)| ProbationDue {
            cluster_slug: slug,
            cluster_name: name,
            campaign,
            review_date: review,
        })
        .collect();
    out.sort_by(|a, b| {
        a.review_date
            .cmp(&b.review_date)
            .then(a.cluster_name.cmp(&b.cluster_name))
    });
    Ok(out)
}

//! Worklists: the lists people work from — an applicant's applications, a call's
//! applications for its officers, a cluster's labelling requests, a reviewer's assignments —
//! each filtered by status, sorted, counted and paged; and the suggestions of the name
//! pickers (organisations, clusters, users, communes by name). Storage only: who may see
//! which list is the use cases' decision; they pass the ids their scope allows.

use crate::error::Result;
use crate::util::{flag, from_row, parsed, parsed_opt};
use crate::Db;
use poles_core::status::{ApplicationStatus, LabellingStatus, ProposalStatus};
use poles_core::{Date, Page};
use serde::Serialize;
use utoipa::ToSchema;

/// How a list of applications is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    Recent,
    Acronym,
    Status,
    Deadline,
}

impl Sort {
    fn sql(self) -> &'static str {
        match self {
            Sort::Recent => "a.id DESC",
            Sort::Acronym => "LOWER(a.acronym), a.id",
            Sort::Status => "a.status, a.id",
            Sort::Deadline => "c.deadline, a.id",
        }
    }
}

/// What a list of applications is asked for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub status: Option<ApplicationStatus>,
    pub sort: Sort,
    pub page: Page,
}

/// How many of a list are in each status (before the status filter).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: ApplicationStatus,
    pub count: i64,
}

/// One line of a list of applications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationLine {
    pub id: i64,
    pub acronym: String,
    pub title: String,
    pub call: String,
    pub call_name_fr: String,
    pub call_name_en: String,
    pub call_deadline: Option<Date>,
    pub status: ApplicationStatus,
    pub submitted_at: Option<String>,
    pub lead_organisation: String,
    /// Invited partners that have not answered.
    pub partners_pending: i64,
    pub labels_requested: i64,
    pub labels_granted: i64,
    pub labels_refused: i64,
    pub reviews_assigned: i64,
    pub reviews_done: i64,
    /// The latest funding proposal's status and total.
    pub proposal_status: Option<ProposalStatus>,
    pub proposal_cents: Option<i64>,
    /// In a call of the demo's invented workflow.
    pub fictional: bool,
}

struct LineRow {
    id: i64,
    acronym: String,
    title: String,
    call: String,
    call_name_fr: String,
    call_name_en: String,
    call_deadline: Option<String>,
    status: String,
    submitted_at: Option<String>,
    lead_organisation: String,
    partners_pending: i64,
    labels_requested: i64,
    labels_granted: i64,
    labels_refused: i64,
    reviews_assigned: i64,
    reviews_done: i64,
    proposal_status: Option<String>,
    proposal_cents: Option<i64>,
    fictional: i64,
}
from_row!(LineRow {
    id,
    acronym,
    title,
    call,
    call_name_fr,
    call_name_en,
    call_deadline,
    status,
    submitted_at,
    lead_organisation,
    partners_pending,
    labels_requested,
    labels_granted,
    labels_refused,
    reviews_assigned,
    reviews_done,
    proposal_status,
    proposal_cents,
    fictional
});

impl TryFrom<LineRow> for ApplicationLine {
    type Error = crate::StoreError;
    fn try_from(r: LineRow) -> Result<Self> {
        Ok(ApplicationLine {
            id: r.id,
            acronym: r.acronym,
            title: r.title,
            call: r.call,
            call_name_fr: r.call_name_fr,
            call_name_en: r.call_name_en,
            call_deadline: parsed_opt(r.call_deadline)?,
            status: parsed(r.status)?,
            submitted_at: r.submitted_at,
            lead_organisation: r.lead_organisation,
            partners_pending: r.partners_pending,
            labels_requested: r.labels_requested,
            labels_granted: r.labels_granted,
            labels_refused: r.labels_refused,
            reviews_assigned: r.reviews_assigned,
            reviews_done: r.reviews_done,
            proposal_status: parsed_opt(r.proposal_status)?,
            proposal_cents: r.proposal_cents,
            fictional: crate::util::flag(r.fictional),
        })
    }
}

/// A page of a list of applications, with the counts per status of the whole list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<ApplicationLine>,
    /// How many match the status filter.
    pub total: i64,
    pub counts: Vec<StatusCount>,
}

const LINE_COLUMNS: &str = "a.id, a.acronym, a.title, c.slug AS call, c.name_fr AS call_name_fr, c.name_en AS call_name_en, \
    c.deadline AS call_deadline, a.status, a.submitted_at, o.name AS lead_organisation, \
    (SELECT COUNT(*) FROM application_partners p WHERE p.application_id = a.id AND p.invitation = 'invited') AS partners_pending, \
    (SELECT COUNT(*) FROM labelling_requests l WHERE l.application_id = a.id) AS labels_requested, \
    (SELECT COUNT(*) FROM labelling_requests l WHERE l.application_id = a.id AND l.status = 'labelled') AS labels_granted, \
    (SELECT COUNT(*) FROM labelling_requests l WHERE l.application_id = a.id AND l.status = 'refused') AS labels_refused, \
    (SELECT COUNT(*) FROM review_assignments r WHERE r.application_id = a.id AND r.conflict_declared = 0) AS reviews_assigned, \
    (SELECT COUNT(*) FROM review_assignments r WHERE r.application_id = a.id AND r.conflict_declared = 0 AND r.submitted_at IS NOT NULL) AS reviews_done, \
    (SELECT f.status FROM funding_proposals f WHERE f.application_id = a.id ORDER BY f.id DESC LIMIT 1) AS proposal_status, \
    (SELECT CAST(SUM(fl.amount_cents) AS BIGINT) FROM funding_lines fl WHERE fl.proposal_id = (SELECT MAX(f.id) FROM funding_proposals f WHERE f.application_id = a.id)) AS proposal_cents, \
    c.fictional";

const LINE_FROM: &str = "FROM applications a JOIN calls c ON c.id = a.call_id JOIN organisations o ON o.id = a.lead_organisation_id";

/// A bound value of a list's condition.
#[derive(Debug, Clone)]
enum Bind {
    I(i64),
    T(String),
}

/// The applications matching `cond` (SQL over `a`, `c`, `o` with `$1…` bound to `binds`),
/// filtered, sorted and paged as `q` asks, with counts per status.
async fn list(db: &Db, cond: &str, binds: &[Bind], q: &ListQuery) -> Result<ApplicationList> {
    let n = binds.len();
    let counts_sql = format!(
        "SELECT a.status, COUNT(*) {LINE_FROM} WHERE {cond} GROUP BY a.status ORDER BY a.status"
    );
    let mut counts_q = sqlx::query_as::<_, (String, i64)>(&counts_sql);
    for b in binds {
        counts_q = match b {
            Bind::I(i) => counts_q.bind(*i),
            Bind::T(t) => counts_q.bind(t.clone()),
        };
    }
    let counts = counts_q
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|(s, count)| {
            Ok(StatusCount {
                status: parsed(s)?,
                count,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (status_cond, total) = match q.status {
        Some(s) => (
            format!(" AND a.status = ${}", n + 1),
            counts.iter().find(|c| c.status == s).map_or(0, |c| c.count),
        ),
        None => (String::new(), counts.iter().map(|c| c.count).sum()),
    };
    let sql = format!(
        "SELECT {LINE_COLUMNS} {LINE_FROM} WHERE {cond}{status_cond} ORDER BY {} LIMIT {} OFFSET {}",
        q.sort.sql(),
        q.page.limit,
        q.page.offset
    );
    let mut rows_q = sqlx::query_as::<_, LineRow>(&sql);
    for b in binds {
        rows_q = match b {
            Bind::I(i) => rows_q.bind(*i),
            Bind::T(t) => rows_q.bind(t.clone()),
        };
    }
    if let Some(s) = q.status {
        rows_q = rows_q.bind(s.as_str().to_string());
    }
    let items = rows_q
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(ApplicationLine::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(ApplicationList {
        items,
        total,
        counts,
    })
}

/// The applications in which one of `organisations` is the lead or a partner that has not
/// declined.
pub async fn of_organisations(
    db: &Db,
    organisations: &[i64],
    q: &ListQuery,
) -> Result<ApplicationList> {
    if organisations.is_empty() {
        return Ok(ApplicationList {
            items: Vec::new(),
            total: 0,
            counts: Vec::new(),
        });
    }
    let marks: Vec<String> = (1..=organisations.len()).map(|k| format!("${k}")).collect();
    let cond = format!(
        "a.id IN (SELECT p.application_id FROM application_partners p WHERE p.invitation <> 'declined' AND p.organisation_id IN ({}))",
        marks.join(", ")
    );
    let binds: Vec<Bind> = organisations.iter().map(|o| Bind::I(*o)).collect();
    list(db, &cond, &binds, q).await
}

/// Which of `organisations` are invited into application `id` and have not answered.
pub async fn pending_invitations(db: &Db, id: i64, organisations: &[i64]) -> Result<Vec<i64>> {
    let all: Vec<i64> = sqlx::query_scalar(
        "SELECT organisation_id FROM application_partners WHERE application_id = $1 AND invitation = 'invited'",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok(all
        .into_iter()
        .filter(|o| organisations.contains(o))
        .collect())
}

/// Every application of a call.
pub async fn of_call(db: &Db, call: &str, q: &ListQuery) -> Result<ApplicationList> {
    list(db, "c.slug = $1", &[Bind::T(call.to_string())], q).await
}

/// The funders of a call (for the scope of funder officers).
pub async fn call_funders(db: &Db, call: &str) -> Result<Option<Vec<String>>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&db.pool)
        .await?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some(
        sqlx::query_scalar("SELECT funder FROM call_funders WHERE call_id = $1 ORDER BY funder")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    ))
}

/// One labelling request in a cluster's queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabellingLine {
    pub application_id: i64,
    pub acronym: String,
    pub title: String,
    pub call: String,
    pub call_deadline: Option<Date>,
    pub lead_organisation: String,
    pub lead: bool,
    pub status: LabellingStatus,
    pub requested_at: String,
    pub decided_on: Option<Date>,
    /// In a call of the demo's invented workflow.
    pub fictional: bool,
}

struct LabellingLineRow {
    application_id: i64,
    acronym: String,
    title: String,
    call: String,
    call_deadline: Option<String>,
    lead_organisation: String,
    lead: i64,
    status: String,
    requested_at: String,
    decided_on: Option<String>,
    fictional: i64,
}
from_row!(LabellingLineRow {
    application_id,
    acronym,
    title,
    call,
    call_deadline,
    lead_organisation,
    lead,
    status,
    requested_at,
    decided_on,
    fictional
});

/// A cluster's labelling queue with counts per status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabellingQueue {
    pub items: Vec<LabellingLine>,
    pub total: i64,
    pub counts: Vec<LabellingCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabellingCount {
    pub status: LabellingStatus,
    pub count: i64,
}

/// The labelling requests made to a cluster (by slug), open ones first by the call's deadline.
pub async fn labelling_queue(
    db: &Db,
    cluster: &str,
    status: Option<LabellingStatus>,
    page: Page,
) -> Result<Option<LabellingQueue>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(cluster.to_string())
        .fetch_optional(&db.pool)
        .await?;
    let Some(id) = id else { return Ok(None) };
    let counts = sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM labelling_requests WHERE cluster_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|(s, count)| {
        Ok(LabellingCount {
            status: parsed(s)?,
            count,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let total = match status {
        Some(s) => counts.iter().find(|c| c.status == s).map_or(0, |c| c.count),
        None => counts.iter().map(|c| c.count).sum(),
    };
    let sql = format!(
        "SELECT l.application_id, a.acronym, a.title, c.slug AS call, c.deadline AS call_deadline, o.name AS lead_organisation, \
         l.lead, l.status, l.requested_at, l.decided_on, c.fictional \
         FROM labelling_requests l JOIN applications a ON a.id = l.application_id JOIN calls c ON c.id = a.call_id \
         JOIN organisations o ON o.id = a.lead_organisation_id \
         WHERE l.cluster_id = $1{} \
         ORDER BY CASE WHEN l.status = 'requested' THEN 0 ELSE 1 END, c.deadline, a.id LIMIT {} OFFSET {}",
        if status.is_some() { " AND l.status = $2" } else { "" },
        page.limit,
        page.offset
    );
    let mut q = sqlx::query_as::<_, LabellingLineRow>(&sql).bind(id);
    if let Some(s) = status {
        q = q.bind(s.as_str().to_string());
    }
    let items = q
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(LabellingLine {
                application_id: r.application_id,
                acronym: r.acronym,
                title: r.title,
                call: r.call,
                call_deadline: parsed_opt(r.call_deadline)?,
                lead_organisation: r.lead_organisation,
                lead: flag(r.lead),
                status: parsed(r.status)?,
                requested_at: r.requested_at,
                decided_on: parsed_opt(r.decided_on)?,
                fictional: flag(r.fictional),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(LabellingQueue {
        items,
        total,
        counts,
    }))
}

/// One review assigned to a reviewer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewLine {
    pub application_id: i64,
    pub acronym: String,
    pub title: String,
    pub call: String,
    pub assigned_at: String,
    pub submitted_at: Option<String>,
    pub conflict_declared: bool,
    /// In a call of the demo's invented workflow.
    pub fictional: bool,
}

struct ReviewLineRow {
    application_id: i64,
    acronym: String,
    title: String,
    call: String,
    assigned_at: String,
    submitted_at: Option<String>,
    conflict_declared: i64,
    fictional: i64,
}
from_row!(ReviewLineRow {
    application_id,
    acronym,
    title,
    call,
    assigned_at,
    submitted_at,
    conflict_declared,
    fictional
});

/// A reviewer's assignments, with how many are done and to do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewQueue {
    pub items: Vec<ReviewLine>,
    pub total: i64,
    pub to_do: i64,
    pub done: i64,
}

/// The reviews assigned to `reviewer`: `done` filters on whether they were submitted; the
/// ones to do first.
pub async fn review_queue(
    db: &Db,
    reviewer: i64,
    done: Option<bool>,
    page: Page,
) -> Result<ReviewQueue> {
    let (to_do, done_n) = sqlx::query_as::<_, (i64, i64)>(
        "SELECT CAST(COALESCE(SUM(CASE WHEN submitted_at IS NULL AND conflict_declared = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN submitted_at IS NULL AND conflict_declared = 0 THEN 0 ELSE 1 END), 0) AS BIGINT) \
         FROM review_assignments WHERE reviewer_id = $1",
    )
    .bind(reviewer)
    .fetch_one(&db.pool)
    .await?;
    let filter = match done {
        None => "",
        Some(false) => " AND r.submitted_at IS NULL AND r.conflict_declared = 0",
        Some(true) => " AND (r.submitted_at IS NOT NULL OR r.conflict_declared <> 0)",
    };
    let sql = format!(
        "SELECT r.application_id, a.acronym, a.title, c.slug AS call, r.assigned_at, r.submitted_at, r.conflict_declared, c.fictional \
         FROM review_assignments r JOIN applications a ON a.id = r.application_id JOIN calls c ON c.id = a.call_id \
         WHERE r.reviewer_id = $1{filter} \
         ORDER BY CASE WHEN r.submitted_at IS NULL AND r.conflict_declared = 0 THEN 0 ELSE 1 END, r.assigned_at, a.id \
         LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let items = sqlx::query_as::<_, ReviewLineRow>(&sql)
        .bind(reviewer)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|r| ReviewLine {
            application_id: r.application_id,
            acronym: r.acronym,
            title: r.title,
            call: r.call,
            assigned_at: r.assigned_at,
            submitted_at: r.submitted_at,
            conflict_declared: flag(r.conflict_declared),
            fictional: flag(r.fictional),
        })
        .collect();
    let total = match done {
        None => to_do + done_n,
        Some(false) => to_do,
        Some(true) => done_n,
    };
    Ok(ReviewQueue {
        items,
        total,
        to_do,
        done: done_n,
    })
}

/// What a name picker can look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Organisation,
    Cluster,
    User,
    Commune,
    Region,
    /// An application, by its acronym or title (officers only: drafts are not public).
    Application,
}

/// A suggestion: the value the form sends (an id, a slug, a code) and the name people read,
/// with a detail telling homonyms apart (a town's department, an organisation's city…).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Suggestion {
    pub value: String,
    pub label: String,
    pub detail: Option<String>,
}

/// Up to `limit` suggestions whose name contains `q` (case-insensitive; `q` already folded
/// to lower case by the caller), exact matches first. An exact value (an INSEE code, a slug)
/// matches too.
pub async fn suggest(db: &Db, kind: PickKind, q: &str, limit: i64) -> Result<Vec<Suggestion>> {
    let sql = match kind {
        PickKind::Organisation => {
            "SELECT CAST(o.id AS TEXT), o.name, COALESCE(o.short_name, o.siren, r.name) FROM organisations o LEFT JOIN regions r ON r.code = o.region_code \
             WHERE LOWER(o.name) LIKE $1 OR LOWER(COALESCE(o.short_name, '')) LIKE $1 OR o.siren = $2 \
             ORDER BY CASE WHEN LOWER(o.name) = $2 OR LOWER(COALESCE(o.short_name, '')) = $2 THEN 0 ELSE 1 END, LENGTH(o.name), o.name, o.id LIMIT $3"
        }
        PickKind::Cluster => {
            "SELECT k.slug, k.name, NULL FROM clusters k \
             WHERE LOWER(k.name) LIKE $1 OR k.slug = $2 \
             ORDER BY CASE WHEN LOWER(k.name) = $2 OR k.slug = $2 THEN 0 ELSE 1 END, k.name LIMIT $3"
        }
        PickKind::User => {
            "SELECT CAST(u.id AS TEXT), COALESCE(u.display_name, u.email), u.email FROM users u \
             WHERE u.status = 'active' AND (LOWER(COALESCE(u.display_name, '')) LIKE $1 OR LOWER(u.email) LIKE $1) \
             ORDER BY CASE WHEN LOWER(u.email) = $2 OR LOWER(COALESCE(u.display_name, '')) = $2 THEN 0 ELSE 1 END, u.email LIMIT $3"
        }
        PickKind::Commune => {
            "SELECT m.code, m.name, d.name || ' (' || m.department_code || ')' FROM communes m LEFT JOIN departments d ON d.code = m.department_code \
             WHERE LOWER(m.name) LIKE $1 OR m.code = $2 \
             ORDER BY CASE WHEN LOWER(m.name) = $2 OR m.code = $2 THEN 0 ELSE 1 END, m.population DESC, m.name LIMIT $3"
        }
        PickKind::Region => {
            "SELECT g.code, g.name, NULL FROM regions g WHERE LOWER(g.name) LIKE $1 OR g.code = $2 \
             ORDER BY CASE WHEN LOWER(g.name) = $2 OR g.code = $2 THEN 0 ELSE 1 END, g.name LIMIT $3"
        }
        PickKind::Application => {
            "SELECT CAST(a.id AS TEXT), a.acronym, a.title FROM applications a \
             WHERE LOWER(a.acronym) LIKE $1 OR LOWER(a.title) LIKE $1 \
             ORDER BY CASE WHEN LOWER(a.acronym) = $2 THEN 0 ELSE 1 END, a.acronym, a.id LIMIT $3"
        }
    };
    let pattern = format!("%{}%", q.replace(['\\', '%', '_'], ""));
    Ok(sqlx::query_as::<_, (String, String, Option<String>)>(sql)
        .bind(pattern)
        .bind(q.to_string())
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|(value, label, detail)| Suggestion {
            value,
            label,
            detail,
        })
        .collect())
}

/// The suggestion of exactly `value` (an id, slug or code), if it exists: what a picker's
/// chosen value names.
pub async fn named(db: &Db, kind: PickKind, value: &str) -> Result<Option<Suggestion>> {
    let sql = match kind {
        PickKind::Organisation => {
            "SELECT CAST(o.id AS TEXT), o.name, o.short_name FROM organisations o WHERE CAST(o.id AS TEXT) = $1"
        }
        PickKind::Cluster => "SELECT k.slug, k.name, NULL FROM clusters k WHERE k.slug = $1",
        PickKind::User => {
            "SELECT CAST(u.id AS TEXT), COALESCE(u.display_name, u.email), u.email FROM users u WHERE CAST(u.id AS TEXT) = $1"
        }
        PickKind::Commune => "SELECT m.code, m.name, m.department_code FROM communes m WHERE m.code = $1",
        PickKind::Region => "SELECT g.code, g.name, NULL FROM regions g WHERE g.code = $1",
        PickKind::Application => {
            "SELECT CAST(a.id AS TEXT), a.acronym, a.title FROM applications a WHERE CAST(a.id AS TEXT) = $1"
        }
    };
    Ok(sqlx::query_as::<_, (String, String, Option<String>)>(sql)
        .bind(value.to_string())
        .fetch_optional(&db.pool)
        .await?
        .map(|(value, label, detail)| Suggestion {
            value,
            label,
            detail,
        }))
}

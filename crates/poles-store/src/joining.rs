//! Joining a pôle: an organisation asks, the pôle's managers accept or decline with a reason;
//! members leave (the period is kept in `past_memberships`) and may rejoin; a member chooses
//! whether public pages list it. Each change is written with its audit row and the other
//! side's inbox notice in one transaction.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, To};
use crate::util::{from_row, now_utc, parsed, Tx};
use crate::Db;
use poles_core::status::JoinStatus;
use poles_core::FieldError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A request to join a pôle, as its applicant and the pôle's managers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinRequest {
    pub id: i64,
    pub cluster_slug: String,
    pub cluster_name: String,
    /// The organisation, once it is in the registry (at once for a known one, on
    /// acceptance for one the request names).
    pub organisation_id: Option<i64>,
    pub organisation_name: String,
    /// ISO country code of the organisation, where known.
    pub country: Option<String>,
    /// True when the request names an organisation the registry did not hold.
    pub new_organisation: bool,
    /// Who asks (shown to the pôle's managers).
    pub applicant_email: String,
    /// The role asked for: `member`, `founding_member`, `partner` or `board`.
    pub role: String,
    /// Whether the pôle's public pages may list the organisation as a member.
    pub shown_publicly: bool,
    pub message: Option<String>,
    pub status: JoinStatus,
    /// Why it was declined.
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

struct JoinRow {
    id: i64,
    user_id: i64,
    cluster_slug: String,
    cluster_name: String,
    organisation_id: Option<i64>,
    organisation_name: String,
    country: Option<String>,
    new_name: Option<String>,
    applicant_email: String,
    role: String,
    shown_publicly: i64,
    message: Option<String>,
    status: String,
    reason: Option<String>,
    created_at: String,
    decided_at: Option<String>,
}
from_row!(JoinRow {
    id,
    user_id,
    cluster_slug,
    cluster_name,
    organisation_id,
    organisation_name,
    country,
    new_name,
    applicant_email,
    role,
    shown_publicly,
    message,
    status,
    reason,
    created_at,
    decided_at
});

impl TryFrom<JoinRow> for JoinRequest {
    type Error = StoreError;
    fn try_from(r: JoinRow) -> Result<JoinRequest> {
        Ok(JoinRequest {
            id: r.id,
            cluster_slug: r.cluster_slug,
            cluster_name: r.cluster_name,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            country: r.country,
            new_organisation: r.new_name.is_some(),
            applicant_email: r.applicant_email,
            role: r.role,
            shown_publicly: r.shown_publicly != 0,
            message: r.message,
            status: parsed(r.status)?,
            reason: r.reason,
            created_at: r.created_at,
            decided_at: r.decided_at,
        })
    }
}

const SELECT: &str = "SELECT j.id, j.user_id, c.slug AS cluster_slug, c.name AS cluster_name, \
     j.organisation_id, COALESCE(o.name, j.new_name) AS organisation_name, \
     COALESCE(o.country, j.new_country) AS country, j.new_name, u.email AS applicant_email, \
     j.role, j.shown_publicly, j.message, j.status, j.reason, j.created_at, j.decided_at \
     FROM join_requests j JOIN clusters c ON c.id = j.cluster_id JOIN users u ON u.id = j.user_id \
     LEFT JOIN organisations o ON o.id = j.organisation_id";

async fn list(db: &Db, filter: &str, bind: Option<String>) -> Result<Vec<JoinRequest>> {
    let sql = format!("{SELECT} WHERE {filter} ORDER BY j.id DESC");
    let mut q = sqlx::query_as::<_, JoinRow>(&sql);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(JoinRequest::try_from)
        .collect()
}

/// One's own requests, newest first.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<JoinRequest>> {
    let sql = format!("{SELECT} WHERE j.user_id = $1 ORDER BY j.id DESC");
    sqlx::query_as::<_, JoinRow>(&sql)
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(JoinRequest::try_from)
        .collect()
}

/// The requests waiting for a decision: every pôle's (`None`, for officers) or those of
/// the given pôles (their managers).
pub async fn pending(db: &Db, clusters: Option<&[String]>) -> Result<Vec<JoinRequest>> {
    let all = list(db, "j.status = 'pending'", None).await?;
    Ok(match clusters {
        None => all,
        Some(slugs) => all
            .into_iter()
            .filter(|j| slugs.contains(&j.cluster_slug))
            .collect(),
    })
}

/// The requests to one pôle, every status, newest first (its managers' view).
pub async fn of_cluster(db: &Db, slug: &str) -> Result<Vec<JoinRequest>> {
    list(db, "c.slug = $1", Some(slug.to_string())).await
}

/// One request and its applicant's user id.
pub async fn get(db: &Db, id: i64) -> Result<Option<(JoinRequest, i64)>> {
    let row: Option<JoinRow> = sqlx::query_as(&format!("{SELECT} WHERE j.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        let user = r.user_id;
        JoinRequest::try_from(r).map(|j| (j, user))
    })
    .transpose()
}

/// The organisation a request is for.
#[derive(Debug, Clone)]
pub enum Joiner {
    /// One the registry holds (the applicant acts for it).
    Known(i64),
    /// One it does not hold yet, created on acceptance.
    New {
        name: String,
        country: String,
        kind: String,
        website: Option<String>,
    },
}

/// A request to file, validated.
#[derive(Debug, Clone)]
pub struct NewJoin {
    pub cluster: String,
    pub user_id: i64,
    pub joiner: Joiner,
    pub role: String,
    pub shown_publicly: bool,
    pub message: Option<String>,
    /// What the pôle's managers read in their inbox (French, English).
    pub notice: (String, String),
}

/// A pôle's id by its slug, in the caller's transaction (not found: `NotFound`).
pub(crate) async fn cluster_id(tx: &mut impl Tx, slug: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(slug.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("cluster"))
}

/// Files a request; the pôle's managers are told in their inbox.
pub async fn create(db: &Db, ctx: &Context, n: &NewJoin) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, &n.cluster).await?;
    let (org, new) = match &n.joiner {
        Joiner::Known(id) => (Some(*id), None),
        Joiner::New {
            name,
            country,
            kind,
            website,
        } => (None, Some((name, country, kind, website))),
    };
    if let Some(id) = org {
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM memberships WHERE cluster_id = $1 AND organisation_id = $2",
        )
        .bind(cid)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(FieldError::new("organisation", "is already a member of this pôle").into());
        }
    }
    // One pending request per organisation (or per applicant and named organisation).
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM join_requests WHERE cluster_id = $1 AND status = 'pending' \
         AND ((organisation_id IS NOT NULL AND organisation_id = $2) \
              OR (user_id = $3 AND LOWER(new_name) = LOWER($4)))",
    )
    .bind(cid)
    .bind(org)
    .bind(n.user_id)
    .bind(new.map(|(name, ..)| name.clone()))
    .fetch_one(&mut *tx)
    .await?;
    if pending > 0 {
        return Err(FieldError::new(
            "organisation",
            "already asked to join this pôle; the request is waiting for a decision",
        )
        .into());
    }
    let now = now_utc();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO join_requests (cluster_id, user_id, organisation_id, new_name, new_country, new_kind, new_website, \
         role, shown_publicly, message, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(cid)
    .bind(n.user_id)
    .bind(org)
    .bind(new.map(|(name, ..)| name.clone()))
    .bind(new.map(|(_, country, ..)| country.clone()))
    .bind(new.map(|(_, _, kind, _)| kind.clone()))
    .bind(new.and_then(|(.., website)| website.clone()))
    .bind(n.role.clone())
    .bind(i64::from(n.shown_publicly))
    .bind(n.message.clone())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    notify(
        &mut tx,
        To::Cluster(&n.cluster),
        "cluster.join_request",
        n.notice.0.clone(),
        n.notice.1.clone(),
        Some("/joining".into()),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "cluster.join_request",
            object_kind: "cluster",
            object_ref: n.cluster.clone(),
            changes: json!({"request": id, "organisation": org, "new_organisation": new.map(|(name, ..)| name), "role": n.role, "shown_publicly": n.shown_publicly}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A decision on a pending request.
pub struct JoinDecision {
    pub accept: bool,
    /// The role granted (the one asked for unless the managers chose another).
    pub role: String,
    pub reason: Option<String>,
    /// What the applicant reads in their inbox (French, English).
    pub notice: (String, String),
}

/// Decides a pending request. Acceptance creates the organisation a request named (the
/// applicant then acts for it), adds the membership from today and reindexes the
/// organisation for the search (members rank higher). `by` is the deciding user.
pub async fn decide(db: &Db, ctx: &Context, id: i64, by: i64, d: JoinDecision) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    type Pending = (
        i64,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        String,
    );
    let row: Option<Pending> = sqlx::query_as(
        "SELECT user_id, cluster_id, organisation_id, new_name, new_country, new_kind, new_website, shown_publicly, status \
         FROM join_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((applicant, cid, org, new_name, new_country, new_kind, new_website, shown, status)) =
        row
    else {
        return Err(StoreError::NotFound("join request"));
    };
    if parsed::<JoinStatus>(status)? != JoinStatus::Pending {
        return Err(FieldError::new("request", "was already decided or withdrawn").into());
    }
    let slug: String = sqlx::query_scalar("SELECT slug FROM clusters WHERE id = $1")
        .bind(cid)
        .fetch_one(&mut *tx)
        .await?;
    let now = now_utc();
    let today = now[..10].to_string();
    let mut org = org;
    if d.accept {
        let oid = match (org, new_name) {
            (Some(o), _) => o,
            (None, Some(name)) => {
                let oid: i64 = sqlx::query_scalar(
                    "INSERT INTO organisations (name, kind, country, website, source, name_key) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(name.clone())
                .bind(new_kind.unwrap_or_else(|| "company".into()))
                .bind(new_country)
                .bind(new_website)
                .bind(format!(
                    "declared by the organisation when it joined {slug} ({today})"
                ))
                .bind(crate::registry::name_key(&name))
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO role_grants (user_id, role, scope, granted_at, granted_by) VALUES ($1, 'organisation_member', $2, $3, $4) \
                     ON CONFLICT (user_id, role, scope) DO NOTHING",
                )
                .bind(applicant)
                .bind(oid.to_string())
                .bind(now.clone())
                .bind(by)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE join_requests SET organisation_id = $1 WHERE id = $2")
                    .bind(oid)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                oid
            }
            (None, None) => {
                return Err(StoreError::Data(format!(
                    "join request {id} names no organisation"
                )))
            }
        };
        org = Some(oid);
        let n = sqlx::query(
            "INSERT INTO memberships (cluster_id, organisation_id, role, since, source, shown_publicly) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (cluster_id, organisation_id) DO NOTHING",
        )
        .bind(cid)
        .bind(oid)
        .bind(d.role.clone())
        .bind(today.clone())
        .bind(format!("accepted by the pôle on {today}"))
        .bind(shown)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(FieldError::new("request", "the organisation is already a member").into());
        }
        crate::search::reindex_organisation(&mut tx, db.backend, oid).await?;
        sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
            .bind(cid)
            .execute(&mut *tx)
            .await?;
    }
    let status = if d.accept {
        JoinStatus::Accepted
    } else {
        JoinStatus::Declined
    };
    sqlx::query(
        "UPDATE join_requests SET status = $1, reason = $2, role = $3, decided_at = $4, decided_by = $5 WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(d.reason.clone())
    .bind(d.role.clone())
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    notify(
        &mut tx,
        To::User(applicant),
        "cluster.join_decided",
        d.notice.0,
        d.notice.1,
        Some("/joining".into()),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if d.accept {
                "cluster.join_accepted"
            } else {
                "cluster.join_declined"
            },
            object_kind: "cluster",
            object_ref: slug,
            changes: json!({
                "request": id,
                "organisation": org,
                "role": d.role,
                "status": {"before": "pending", "after": status.as_str()},
            }),
            reason: d.reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws one's own pending request.
pub async fn withdraw(db: &Db, ctx: &Context, id: i64, user_id: i64) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT j.user_id, j.status, c.slug FROM join_requests j JOIN clusters c ON c.id = j.cluster_id WHERE j.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((owner, status, slug)) = row.filter(|(owner, ..)| *owner == user_id) else {
        return Err(StoreError::NotFound("join request"));
    };
    if parsed::<JoinStatus>(status)? != JoinStatus::Pending {
        return Err(FieldError::new("request", "was already decided or withdrawn").into());
    }
    sqlx::query("UPDATE join_requests SET status = 'withdrawn', decided_at = $1 WHERE id = $2")
        .bind(now_utc())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "cluster.join_withdrawn",
            object_kind: "cluster",
            object_ref: slug,
            changes: json!({"request": id, "user": owner}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a membership today: the period moves to the history with its reason.
pub(crate) async fn end_membership(
    tx: &mut impl Tx,
    cluster_id: i64,
    organisation_id: i64,
    reason: Option<&str>,
) -> Result<Option<(String, Option<String>)>> {
    let row: Option<(String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT role, since, source, shown_publicly FROM memberships WHERE cluster_id = $1 AND organisation_id = $2",
    )
    .bind(cluster_id)
    .bind(organisation_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((role, since, source, shown)) = row else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO past_memberships (cluster_id, organisation_id, role, since, until, reason, source, shown_publicly) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(cluster_id)
    .bind(organisation_id)
    .bind(role.clone())
    .bind(since.clone())
    .bind(now_utc()[..10].to_string())
    .bind(reason.map(str::to_string))
    .bind(source)
    .bind(shown)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE cluster_id = $1 AND organisation_id = $2")
        .bind(cluster_id)
        .bind(organisation_id)
        .execute(&mut **tx)
        .await?;
    Ok(Some((role, since)))
}

/// An organisation leaves a pôle (its own choice, or its managers'): the membership ends
/// today and stays in the history.
pub async fn leave(
    db: &Db,
    ctx: &Context,
    slug: &str,
    organisation_id: i64,
    reason: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, slug).await?;
    let Some((role, since)) = end_membership(&mut tx, cid, organisation_id, reason).await? else {
        return Err(StoreError::NotFound("membership"));
    };
    crate::search::reindex_organisation(&mut tx, db.backend, organisation_id).await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "member.leave",
        object_kind: "cluster",
        object_ref: slug.to_string(),
        changes: json!({"member": {"before": {"organisation_id": organisation_id, "role": role, "since": since}, "after": null}}),
        reason: reason.map(str::to_string),
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// The member's choice: whether the pôle's public pages and the open data list it.
pub async fn set_shown(
    db: &Db,
    ctx: &Context,
    slug: &str,
    organisation_id: i64,
    shown: bool,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, slug).await?;
    let n = sqlx::query(
        "UPDATE memberships SET shown_publicly = $1 WHERE cluster_id = $2 AND organisation_id = $3",
    )
    .bind(i64::from(shown))
    .bind(cid)
    .bind(organisation_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("membership"));
    }
    // The search's pôle facet lists only listed members.
    crate::search::reindex_organisation(&mut tx, db.backend, organisation_id).await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "member.shown_publicly",
            object_kind: "cluster",
            object_ref: slug.to_string(),
            changes: json!({"organisation_id": organisation_id, "shown_publicly": shown}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One organisation's memberships, current and past, as its members see them (hidden ones
/// included).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipPeriod {
    pub cluster_slug: String,
    pub cluster_name: String,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub role: String,
    pub since: Option<String>,
    /// When it ended; none while it lasts.
    pub until: Option<String>,
    /// Why it ended, where said.
    pub reason: Option<String>,
    pub shown_publicly: bool,
}

type PeriodRow = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn period(r: PeriodRow) -> MembershipPeriod {
    MembershipPeriod {
        cluster_slug: r.0,
        cluster_name: r.1,
        organisation_id: r.2,
        organisation_name: r.3,
        role: r.4,
        since: r.5,
        until: r.6,
        reason: r.7,
        shown_publicly: r.8 != 0,
    }
}

/// The memberships of the given organisations (current first, then past, newest first).
pub async fn periods_of(db: &Db, organisations: &[i64]) -> Result<Vec<MembershipPeriod>> {
    let mut out = Vec::new();
    for &oid in organisations {
        let rows: Vec<PeriodRow> = sqlx::query_as(
            "SELECT c.slug, c.name, o.id, o.name, m.role, m.since, NULL AS until, NULL AS reason, m.shown_publicly \
             FROM memberships m JOIN clusters c ON c.id = m.cluster_id JOIN organisations o ON o.id = m.organisation_id \
             WHERE m.organisation_id = $1 \
             UNION ALL \
             SELECT c.slug, c.name, o.id, o.name, p.role, p.since, p.until, p.reason, p.shown_publicly \
             FROM past_memberships p JOIN clusters c ON c.id = p.cluster_id JOIN organisations o ON o.id = p.organisation_id \
             WHERE p.organisation_id = $1 \
             ORDER BY 7 DESC, 2",
        )
        .bind(oid)
        .fetch_all(&db.pool)
        .await?;
        out.extend(rows.into_iter().map(period));
    }
    // Current memberships (no end) first.
    out.sort_by_key(|p| p.until.is_some());
    Ok(out)
}

/// Members who left a pôle and chose to be listed, newest departure first (its public
/// history).
pub async fn former_members(db: &Db, slug: &str) -> Result<Vec<MembershipPeriod>> {
    let rows: Vec<PeriodRow> = sqlx::query_as(
        // Why a member left stays between the member and the pôle.
        "SELECT c.slug, c.name, o.id, o.name, p.role, p.since, p.until, NULL AS reason, p.shown_publicly \
         FROM past_memberships p JOIN clusters c ON c.id = p.cluster_id JOIN organisations o ON o.id = p.organisation_id \
         WHERE c.slug = $1 AND p.shown_publicly = 1 ORDER BY p.until DESC, o.name",
    )
    .bind(slug.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(period).collect())
}

/// A pôle's name by its slug, and an organisation's name by its id (for the notices).
pub async fn names(
    db: &Db,
    slug: &str,
    organisation_id: Option<i64>,
) -> Result<(String, Option<String>)> {
    let cluster: String = sqlx::query_scalar("SELECT name FROM clusters WHERE slug = $1")
        .bind(slug.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound("cluster"))?;
    let organisation = match organisation_id {
        None => None,
        Some(id) => Some(
            sqlx::query_scalar::<_, String>("SELECT name FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?
                .ok_or(StoreError::NotFound("organisation"))?,
        ),
    };
    Ok((cluster, organisation))
}

/// The names of the given organisations, by name.
pub async fn organisation_names(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for &id in ids {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?;
        out.extend(name.map(|n| (id, n)));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Members to add in one go (a manager's import), validated and matched.
#[derive(Debug, Clone)]
pub struct NewMembers {
    /// `(organisation id, role)`.
    pub members: Vec<(i64, String)>,
    /// `YYYY-MM-DD`.
    pub since: String,
    pub source: String,
}

/// Adds every member in one transaction: all or nothing. An organisation already a member
/// refuses the whole import (the preview said so). Returns how many were added.
pub async fn add_members(db: &Db, ctx: &Context, slug: &str, m: &NewMembers) -> Result<usize> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, slug).await?;
    for (org, role) in &m.members {
        let n = sqlx::query(
            "INSERT INTO memberships (cluster_id, organisation_id, role, since, source) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (cluster_id, organisation_id) DO NOTHING",
        )
        .bind(cid)
        .bind(*org)
        .bind(role.clone())
        .bind(m.since.clone())
        .bind(m.source.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(FieldError::new(
                "csv",
                format!("organisation {org} is already a member: nothing was added"),
            )
            .into());
        }
        crate::search::reindex_organisation(&mut tx, db.backend, *org).await?;
    }
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "member.import",
            object_kind: "cluster",
            object_ref: slug.to_string(),
            changes: json!({
                "added": m.members.iter().map(|(o, r)| json!({"organisation_id": o, "role": r})).collect::<Vec<_>>(),
                "since": m.since,
                "source": m.source,
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(m.members.len())
}

/// The organisations a SIRET designates: its own, else its company's (the SIREN is the
/// SIRET's first nine digits).
pub async fn by_siret(db: &Db, siret: &str) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM organisations WHERE siret = $1 \
         UNION SELECT id, name FROM organisations WHERE siren = $2 AND NOT EXISTS (SELECT 1 FROM organisations WHERE siret = $1) \
         ORDER BY 1 LIMIT 20",
    )
    .bind(siret.to_string())
    .bind(siret[..9].to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// The organisations among `ids` already members of the pôle.
pub async fn members_among(db: &Db, slug: &str, ids: &[i64]) -> Result<Vec<i64>> {
    let current: Vec<i64> = sqlx::query_scalar(
        "SELECT m.organisation_id FROM memberships m JOIN clusters c ON c.id = m.cluster_id WHERE c.slug = $1",
    )
    .bind(slug.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(ids
        .iter()
        .copied()
        .filter(|i| current.contains(i))
        .collect())
}

/// A pôle's id by its slug.
pub async fn cluster_id_of(db: &Db, slug: &str) -> Result<i64> {
    cluster_id(&mut db.pool.acquire().await?, slug).await
}

//! Claims of organisations: a person asks to act for an organisation; an admin or one of its
//! members approves (the person becomes an organisation member) or declines with a reason.
//! Each change is written with its audit row, the claimant's inbox notice and mail in one
//! transaction.

use crate::audit::{self, Context, Event};
use crate::error::Result;
use crate::inbox::{notify, To};
use crate::mail::{enqueue, Mail};
use crate::util::{from_row, now_utc, parsed};
use crate::Db;
use poles_core::status::MembershipClaimStatus;
use poles_core::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// An organisation a claim may name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimableOrganisation {
    pub id: i64,
    pub name: String,
    pub siren: Option<String>,
    pub pic: Option<String>,
}
from_row!(ClaimableOrganisation {
    id,
    name,
    siren,
    pic
});

/// Organisations whose SIREN (`siren`) or PIC (`pic`) is `digits`.
pub async fn by_number(db: &Db, digits: &str, siren: bool) -> Result<Vec<ClaimableOrganisation>> {
    Ok(sqlx::query_as(
        "SELECT id, name, siren, pic FROM organisations WHERE (siren = $1 AND $2 = 1) OR pic = $1 ORDER BY id LIMIT 20",
    )
    .bind(digits.to_string())
    .bind(i64::from(siren))
    .fetch_all(&db.pool)
    .await?)
}

/// Organisations whose name or short name is `name` (letter case ignored).
pub async fn by_name(db: &Db, name: &str) -> Result<Vec<ClaimableOrganisation>> {
    Ok(sqlx::query_as(
        "SELECT id, name, siren, pic FROM organisations WHERE LOWER(name) = LOWER($1) OR LOWER(short_name) = LOWER($1) ORDER BY id LIMIT 20",
    )
    .bind(name.to_string())
    .fetch_all(&db.pool)
    .await?)
}

/// A claim as its claimant and its approvers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipRequest {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// Who asks (shown to the approvers: the organisation's members and admins).
    pub claimant_email: String,
    pub status: MembershipClaimStatus,
    pub message: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

struct ClaimRow {
    id: i64,
    user_id: i64,
    organisation_id: i64,
    organisation_name: String,
    claimant_email: String,
    status: String,
    message: Option<String>,
    reason: Option<String>,
    created_at: String,
    decided_at: Option<String>,
}
from_row!(ClaimRow {
    id,
    user_id,
    organisation_id,
    organisation_name,
    claimant_email,
    status,
    message,
    reason,
    created_at,
    decided_at
});

impl TryFrom<ClaimRow> for MembershipRequest {
    type Error = crate::StoreError;
    fn try_from(r: ClaimRow) -> Result<MembershipRequest> {
        Ok(MembershipRequest {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            claimant_email: r.claimant_email,
            status: parsed(r.status)?,
            message: r.message,
            reason: r.reason,
            created_at: r.created_at,
            decided_at: r.decided_at,
        })
    }
}

const CLAIM_SELECT: &str =
    "SELECT c.id, c.user_id, c.organisation_id, o.name AS organisation_name, \
     u.email AS claimant_email, c.status, c.message, c.reason, c.created_at, c.decided_at \
     FROM organisation_claims c JOIN organisations o ON o.id = c.organisation_id \
     JOIN users u ON u.id = c.user_id";

async fn list(db: &Db, filter: &str, bind: Option<i64>) -> Result<Vec<MembershipRequest>> {
    let sql = format!("{CLAIM_SELECT} WHERE {filter} ORDER BY c.id DESC");
    let mut q = sqlx::query_as::<_, ClaimRow>(&sql);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.into_iter().map(MembershipRequest::try_from).collect()
}

/// One's own claims, newest first.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<MembershipRequest>> {
    list(db, "c.user_id = $1", Some(user_id)).await
}

/// The claims waiting for a decision: all of them (`None`, for admins) or those of the
/// given organisations (their members).
pub async fn pending(db: &Db, organisations: Option<&[i64]>) -> Result<Vec<MembershipRequest>> {
    let all = list(db, "c.status = 'pending'", None).await?;
    Ok(match organisations {
        None => all,
        Some(orgs) => all
            .into_iter()
            .filter(|c| orgs.contains(&c.organisation_id))
            .collect(),
    })
}

/// One claim: its record and its claimant's user id.
pub async fn get(db: &Db, id: i64) -> Result<Option<(MembershipRequest, i64)>> {
    let row: Option<ClaimRow> = sqlx::query_as(&format!("{CLAIM_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        let user = r.user_id;
        MembershipRequest::try_from(r).map(|c| (c, user))
    })
    .transpose()
}

/// Files a claim; the organisation's members are told in their inbox.
pub async fn create(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    organisation_id: i64,
    message: Option<&str>,
    notice: (String, String),
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let member = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = 'organisation_member' AND scope = $2",
    )
    .bind(user_id)
    .bind(organisation_id.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if member > 0 {
        return Err(FieldError::new(
            "organisation",
            "you are already a member of this organisation",
        )
        .into());
    }
    let pending = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM organisation_claims WHERE user_id = $1 AND organisation_id = $2 AND status = 'pending'",
    )
    .bind(user_id)
    .bind(organisation_id)
    .fetch_one(&mut *tx)
    .await?;
    if pending > 0 {
        return Err(FieldError::new(
            "organisation",
            "you already asked to join this organisation; the request is waiting for a decision",
        )
        .into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organisation_claims (user_id, organisation_id, message, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(organisation_id)
    .bind(message.map(str::to_string))
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    notify(
        &mut tx,
        To::Organisation(organisation_id),
        "organisation.claim",
        notice.0,
        notice.1,
        Some("/memberships".into()),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "organisation.claim",
            object_kind: "organisation",
            object_ref: organisation_id.to_string(),
            changes: serde_json::json!({"claim": id}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What a decision tells the claimant: inbox texts (French, English) and the mail.
pub struct Decision {
    pub approve: bool,
    pub reason: Option<String>,
    pub notice: (String, String),
    pub mail: Mail,
}

/// Decides a pending claim: approval grants the organisation_member role. `by` is the user
/// deciding (checked by the use case).
pub async fn decide(db: &Db, ctx: &Context, id: i64, by: i64, d: Decision) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let row: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT user_id, organisation_id, status FROM organisation_claims WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((claimant, organisation_id, status)) = row else {
        return Err(crate::StoreError::NotFound("claim"));
    };
    if parsed::<MembershipClaimStatus>(status)? != MembershipClaimStatus::Pending {
        return Err(FieldError::new("claim", "was already decided").into());
    }
    let status = if d.approve {
        MembershipClaimStatus::Approved
    } else {
        MembershipClaimStatus::Declined
    };
    let now = now_utc();
    sqlx::query(
        "UPDATE organisation_claims SET status = $1, reason = $2, decided_at = $3, decided_by = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(d.reason.clone())
    .bind(now.clone())
    .bind(by)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if d.approve {
        sqlx::query(
            "INSERT INTO role_grants (user_id, role, scope, granted_at, granted_by) VALUES ($1, 'organisation_member', $2, $3, $4) \
             ON CONFLICT (user_id, role, scope) DO NOTHING",
        )
        .bind(claimant)
        .bind(organisation_id.to_string())
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await?;
    }
    notify(
        &mut tx,
        To::User(claimant),
        "organisation.claim_decided",
        d.notice.0,
        d.notice.1,
        Some("/memberships".into()),
    )
    .await?;
    enqueue(&mut tx, &d.mail).await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if d.approve {
                "organisation.claim_approved"
            } else {
                "organisation.claim_declined"
            },
            object_kind: "organisation",
            object_ref: organisation_id.to_string(),
            changes: serde_json::json!({
                "claim": id,
                "user": claimant,
                "status": {"before": "pending", "after": status.as_str()},
            }),
            reason: d.reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

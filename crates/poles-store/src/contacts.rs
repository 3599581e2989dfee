//! Expressions of interest between organisations: a member of one writes to another, one of
//! the other's members accepts (both sides then see each other's address) or declines.
//! Each step is written with its audit row and the other side's inbox notice.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::inbox::{notify, To};
use crate::util::{from_row, now_utc, parsed};
use crate::Db;
use poles_core::status::InterestStatus;
use poles_core::FieldError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// An expression of interest, as either side sees it. The addresses are there once it is
/// accepted, never before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Interest {
    pub id: i64,
    pub from_organisation_id: i64,
    pub from_organisation: String,
    pub to_organisation_id: i64,
    pub to_organisation: String,
    pub message: String,
    pub status: InterestStatus,
    pub created_at: String,
    pub answered_at: Option<String>,
    /// The writer's address, once accepted.
    pub from_email: Option<String>,
    /// The address of who accepted, once accepted.
    pub to_email: Option<String>,
}

struct InterestRow {
    id: i64,
    from_organisation: i64,
    from_name: String,
    to_organisation: i64,
    to_name: String,
    message: String,
    status: String,
    created_at: String,
    answered_at: Option<String>,
    from_email: Option<String>,
    to_email: Option<String>,
}
from_row!(InterestRow {
    id,
    from_organisation,
    from_name,
    to_organisation,
    to_name,
    message,
    status,
    created_at,
    answered_at,
    from_email,
    to_email
});

const SELECT: &str = "SELECT i.id, i.from_organisation, f.name AS from_name, i.to_organisation, \
     t.name AS to_name, i.message, i.status, i.created_at, i.answered_at, \
     fu.email AS from_email, tu.email AS to_email \
     FROM interest_messages i JOIN organisations f ON f.id = i.from_organisation \
     JOIN organisations t ON t.id = i.to_organisation \
     LEFT JOIN users fu ON fu.id = i.from_user LEFT JOIN users tu ON tu.id = i.answered_by";

fn interest(r: InterestRow) -> Result<Interest> {
    let status: InterestStatus = parsed(r.status)?;
    let shared = status == InterestStatus::Accepted;
    Ok(Interest {
        id: r.id,
        from_organisation_id: r.from_organisation,
        from_organisation: r.from_name,
        to_organisation_id: r.to_organisation,
        to_organisation: r.to_name,
        message: r.message,
        status,
        created_at: r.created_at,
        answered_at: r.answered_at,
        from_email: r.from_email.filter(|_| shared),
        to_email: r.to_email.filter(|_| shared),
    })
}

/// The messages sent by or to the given organisations, newest first.
pub async fn of_organisations(db: &Db, orgs: &[i64]) -> Result<Vec<Interest>> {
    let mut out = Vec::new();
    for &o in orgs {
        let rows: Vec<InterestRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE i.from_organisation = $1 OR i.to_organisation = $1"
        ))
        .bind(o)
        .fetch_all(&db.pool)
        .await?;
        for r in rows {
            if !out.iter().any(|x: &Interest| x.id == r.id) {
                out.push(interest(r)?);
            }
        }
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.id));
    Ok(out)
}

/// One message.
pub async fn get(db: &Db, id: i64) -> Result<Option<Interest>> {
    let row: Option<InterestRow> = sqlx::query_as(&format!("{SELECT} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(interest).transpose()
}

/// Whether anyone acts for the organisation in Pôles (a message would reach someone).
pub async fn has_members(db: &Db, organisation_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_grants WHERE role = 'organisation_member' AND scope = $1",
    )
    .bind(organisation_id.to_string())
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// The contact points of the pôles an organisation is a listed member of: `(pôle name,
/// contact)`.
pub async fn pole_contacts(db: &Db, organisation_id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT c.name, COALESCE(c.contact, c.website) FROM memberships m JOIN clusters c ON c.id = m.cluster_id \
         WHERE m.organisation_id = $1 AND m.shown_publicly = 1 AND COALESCE(c.contact, c.website) IS NOT NULL ORDER BY c.name",
    )
    .bind(organisation_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Sends a message; the other organisation's members are told in their inbox.
pub async fn send(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    from: i64,
    to: i64,
    message: &str,
    notice: (String, String),
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM interest_messages WHERE from_organisation = $1 AND to_organisation = $2 AND status = 'pending'",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&mut *tx)
    .await?;
    if pending > 0 {
        return Err(FieldError::new(
            "organisation",
            "your organisation already wrote to this one; the message waits for an answer",
        )
        .into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO interest_messages (from_user, from_organisation, to_organisation, message, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(message.to_string())
    .bind(now_utc())
    .fetch_one(&mut *tx)
    .await?;
    notify(
        &mut tx,
        To::Organisation(to),
        "interest.sent",
        notice.0,
        notice.1,
        Some("/contacts".into()),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "interest.send",
            object_kind: "organisation",
            object_ref: to.to_string(),
            changes: json!({"message": id, "from": from}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Accepts or declines a pending message; the writer is told in their inbox.
pub async fn answer(
    db: &Db,
    ctx: &Context,
    id: i64,
    by: i64,
    accept: bool,
    notice: (String, String),
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let row: Option<(Option<i64>, i64, String)> = sqlx::query_as(
        "SELECT from_user, to_organisation, status FROM interest_messages WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((writer, to, status)) = row else {
        return Err(StoreError::NotFound("message"));
    };
    if parsed::<InterestStatus>(status)? != InterestStatus::Pending {
        return Err(FieldError::new("message", "was already answered").into());
    }
    let status = if accept {
        InterestStatus::Accepted
    } else {
        InterestStatus::Declined
    };
    sqlx::query("UPDATE interest_messages SET status = $1, answered_at = $2, answered_by = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(now_utc())
        .bind(by)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if let Some(w) = writer {
        notify(
            &mut tx,
            To::User(w),
            "interest.answered",
            notice.0,
            notice.1,
            Some("/contacts".into()),
        )
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: if accept { "interest.accept" } else { "interest.decline" },
            object_kind: "organisation",
            object_ref: to.to_string(),
            changes: json!({"message": id, "status": {"before": "pending", "after": status.as_str()}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

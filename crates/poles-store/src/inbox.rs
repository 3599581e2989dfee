//! The inbox. Notifications are written in the same transaction as the event they announce,
//! so nobody is told of something that did not happen.

use crate::error::{Result, StoreError};
use crate::util::{from_row, now_utc, Tx};
use crate::Db;
use serde::Serialize;
use utoipa::ToSchema;

/// Who is told.
pub enum To<'a> {
    User(i64),
    /// Every member of an organisation.
    Organisation(i64),
    /// Every manager of a cluster.
    Cluster(&'a str),
}

pub(crate) async fn notify(
    tx: &mut impl Tx,
    to: To<'_>,
    kind: &str,
    text_fr: String,
    text_en: String,
    link: Option<String>,
) -> Result<()> {
    let users: Vec<i64> =
        match to {
            To::User(u) => vec![u],
            To::Organisation(o) => sqlx::query_scalar(
                "SELECT user_id FROM role_grants WHERE role = 'organisation_member' AND scope = $1",
            )
            .bind(o.to_string())
            .fetch_all(&mut **tx)
            .await?,
            To::Cluster(c) => {
                sqlx::query_scalar(
                    "SELECT user_id FROM role_grants WHERE role = 'cluster_manager' AND scope = $1",
                )
                .bind(c.to_string())
                .fetch_all(&mut **tx)
                .await?
            }
        };
    let at = now_utc();
    for u in users {
        sqlx::query("INSERT INTO notifications (user_id, at, kind, text_fr, text_en, link) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(u)
            .bind(at.clone())
            .bind(kind.to_string())
            .bind(text_fr.clone())
            .bind(text_en.clone())
            .bind(link.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The name a notification gives a project: its acronym (never its internal number).
pub(crate) async fn project_name(tx: &mut impl Tx, id: i64) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT acronym FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub text_fr: String,
    pub text_en: String,
    pub link: Option<String>,
    pub read_at: Option<String>,
}

struct NotificationRow {
    id: i64,
    at: String,
    kind: String,
    text_fr: String,
    text_en: String,
    link: Option<String>,
    read_at: Option<String>,
}
from_row!(NotificationRow {
    id,
    at,
    kind,
    text_fr,
    text_en,
    link,
    read_at
});

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            id: r.id,
            at: r.at,
            kind: r.kind,
            text_fr: r.text_fr,
            text_en: r.text_en,
            link: r.link,
            read_at: r.read_at,
        }
    }
}

pub async fn inbox(db: &Db, user_id: i64) -> Result<Vec<Notification>> {
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "SELECT id, at, kind, text_fr, text_en, link, read_at FROM notifications \
         WHERE user_id = $1 ORDER BY id DESC LIMIT 200",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Notification::from).collect())
}

pub async fn mark_read(db: &Db, user_id: i64, id: i64) -> Result<()> {
    let n = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(now_utc())
    .bind(id)
    .bind(user_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("unread notification"));
    }
    Ok(())
}

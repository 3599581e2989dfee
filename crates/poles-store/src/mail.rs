//! The mail outbox. A mail is a row written in the transaction of the action that causes it
//! (a sign-up, a reset request, a claim decided), so that it exists exactly when the action
//! happened. Sender tasks (one per app server) claim due rows with a lease, deliver them and
//! mark them sent, or count the failed attempt, keep its error and push the next attempt
//! back; nothing is ever dropped, so a mail-server outage or a server without SMTP settings
//! loses nothing. On PostgreSQL the claim skips rows another server holds locked
//! (`FOR UPDATE SKIP LOCKED`) and every claim sets a lease, so two servers never send the
//! same row at the same time; on SQLite writes are serialised and the claim is one update.

use crate::error::Result;
use crate::util::{fmt_unix, from_row, now_unix, now_utc, Tx};
use crate::{Backend, Db};
use serde::Serialize;
use utoipa::ToSchema;

/// A mail to send.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    /// What it is about (`signup.verify`, `password.reset`, `claim.decided` …), for the
    /// admins' view of the outbox.
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

/// Writes a mail into the outbox, inside the caller's transaction.
pub(crate) async fn enqueue(tx: &mut impl Tx, mail: &Mail) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO mail_outbox (to_address, kind, subject, body, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(mail.to.clone())
    .bind(mail.kind.to_string())
    .bind(mail.subject.clone())
    .bind(mail.body.clone())
    .bind(now_utc())
    .bind(now_unix())
    .fetch_one(&mut **tx)
    .await?)
}

/// A row a sender holds the lease of.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// Attempts before this one.
    pub attempts: i64,
}
from_row!(Claimed {
    id,
    to_address,
    subject,
    body,
    attempts
});

/// Takes up to `limit` due rows for `owner` for `lease_secs`: no other sender takes them
/// until the lease ends (a sender that died lets them go again then).
pub async fn claim(db: &Db, owner: &str, lease_secs: i64, limit: i64) -> Result<Vec<Claimed>> {
    let now = now_unix();
    let lock = match db.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE mail_outbox SET lease_owner = $1, lease_until = $2 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $3 \
         AND (lease_until IS NULL OR lease_until <= $3) ORDER BY id LIMIT $4{lock}) \
         RETURNING id, to_address, subject, body, attempts"
    );
    let mut rows: Vec<Claimed> = sqlx::query_as(&sql)
        .bind(owner.to_string())
        .bind(now + lease_secs)
        .bind(now)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Marks a delivered row sent; `false` when the lease was lost meanwhile (the row is then
/// another sender's, which finds it sent by nobody and may send it again: leases are long
/// enough for that never to happen with the sender's timeouts).
pub async fn mark_sent(db: &Db, id: i64, owner: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, lease_owner = NULL, \
         lease_until = NULL, last_error = NULL WHERE id = $2 AND lease_owner = $3",
    )
    .bind(now_utc())
    .bind(id)
    .bind(owner.to_string())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a failed attempt: its error is kept and the row waits `retry_in_secs`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    owner: &str,
    error: &str,
    retry_in_secs: i64,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
    )
    .bind(error)
    .bind(now_unix() + retry_in_secs.max(0))
    .bind(id)
    .bind(owner.to_string())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A mail of the outbox as admins see it (never its body, which may hold a token).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMail {
    pub id: i64,
    pub to_address: String,
    pub kind: String,
    pub subject: String,
    pub created_at: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt may be made (UTC).
    pub next_attempt_at: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

struct OutboxRow {
    id: i64,
    to_address: String,
    kind: String,
    subject: String,
    created_at: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    sent_at: Option<String>,
}
from_row!(OutboxRow {
    id,
    to_address,
    kind,
    subject,
    created_at,
    attempts,
    next_attempt_at,
    last_error,
    sent_at
});

/// The mails not yet sent, oldest first, then the last `sent` ones sent.
pub async fn outbox(db: &Db, sent: i64) -> Result<Vec<OutboxMail>> {
    let cols =
        "id, to_address, kind, subject, created_at, attempts, next_attempt_at, last_error, sent_at";
    let mut rows: Vec<OutboxRow> = sqlx::query_as(&format!(
        "SELECT {cols} FROM mail_outbox WHERE sent_at IS NULL ORDER BY id"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.extend(
        sqlx::query_as::<_, OutboxRow>(&format!(
            "SELECT {cols} FROM mail_outbox WHERE sent_at IS NOT NULL ORDER BY id DESC LIMIT $1"
        ))
        .bind(sent)
        .fetch_all(&db.pool)
        .await?,
    );
    Ok(rows
        .into_iter()
        .map(|r| OutboxMail {
            id: r.id,
            to_address: r.to_address,
            kind: r.kind,
            subject: r.subject,
            created_at: r.created_at,
            attempts: r.attempts,
            next_attempt_at: fmt_unix(r.next_attempt_at),
            last_error: r.last_error,
            sent_at: r.sent_at,
        })
        .collect())
}

/// Forgets the mails to an address (erasure).
pub(crate) async fn forget(tx: &mut impl Tx, address: &str) -> Result<()> {
    sqlx::query("DELETE FROM mail_outbox WHERE to_address = $1")
        .bind(address.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

//! The audit trail: append-only, one row per business event, each row's hash covering the
//! previous row's hash. Writes take one lock first (see [`begin_write`]), so the chain has a
//! single order on both backends. Personal data (e-mail, address) is kept beside the chain,
//! not in it, so that erasure can remove it without breaking the chain.

use crate::error::{Result, StoreError};
use crate::util::{from_row, now_utc, sha256_hex};
use crate::{Backend, Db};
use poles_core::auth::Role;
use poles_core::model::Paged;
use poles_core::Page;
use serde::Serialize;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

/// Key of the PostgreSQL advisory lock that serialises audited writes.
const WRITE_LOCK: i64 = 7_263_002;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who is acting and from where, carried from the request to the audit row.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub role: Option<Role>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_ref: String,
    /// `{"field": {"before": …, "after": …}}`, or any detail of the event.
    pub changes: serde_json::Value,
    pub reason: Option<String>,
}

/// Starts a transaction that holds the write lock: audited writes run one at a time, which
/// gives the chain one order and makes a lost update impossible.
pub async fn begin_write(db: &Db) -> Result<Transaction<'static, Any>> {
    let mut tx = db.pool.begin().await?;
    match db.backend {
        Backend::Postgres => {
            sqlx::query(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK})"))
                .execute(&mut *tx)
                .await?;
        }
        Backend::Sqlite => {
            // The first write of the transaction takes SQLite's write lock now, before any read.
            sqlx::query("UPDATE meta SET value = value WHERE key = 'write_lock'")
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(tx)
}

fn digest(
    prev: &str,
    at: &str,
    actor: Option<i64>,
    role: Option<&str>,
    e: &Event,
    changes: &str,
    request_id: Option<&str>,
) -> String {
    let actor = actor.map(|a| a.to_string());
    let fields: [Option<&str>; 10] = [
        Some(prev),
        Some(at),
        actor.as_deref(),
        role,
        Some(e.action),
        Some(e.object_kind),
        Some(&e.object_ref),
        Some(changes),
        e.reason.as_deref(),
        request_id,
    ];
    // Length-prefixed, and absent distinct from empty, so that no two different rows hash
    // the same text.
    let canon: String = fields
        .iter()
        .map(|f| match f {
            Some(v) => format!("{}:{v}\n", v.len()),
            None => "~\n".to_string(),
        })
        .collect();
    sha256_hex(&canon)
}

/// Appends an event inside a transaction opened with [`begin_write`].
pub async fn append(
    tx: &mut Transaction<'static, Any>,
    ctx: &Context,
    e: Event<'_>,
) -> Result<i64> {
    let prev: Option<String> =
        sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_string());
    let at = now_utc();
    let changes = e.changes.to_string();
    let role = ctx.role.map(|r| r.as_str());
    let hash = digest(
        &prev,
        &at,
        ctx.actor_id,
        role,
        &e,
        &changes,
        ctx.request_id.as_deref(),
    );
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_id, role, action, object_kind, object_ref, changes, reason, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(at)
    .bind(ctx.actor_id)
    .bind(role)
    .bind(e.action)
    .bind(e.object_kind)
    .bind(e.object_ref.clone())
    .bind(changes)
    .bind(e.reason.clone())
    .bind(ctx.request_id.clone())
    .bind(prev)
    .bind(hash)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO audit_personal (audit_id, actor_email, ip) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(ctx.actor_email.clone())
        .bind(ctx.ip.clone())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Records an event in a transaction of its own (logins, refusals).
pub async fn record(db: &Db, ctx: &Context, e: Event<'_>) -> Result<i64> {
    let mut tx = begin_write(db).await?;
    let id = append(&mut tx, ctx, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// The first row whose hash or link does not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit row {id}: {reason}")]
pub struct Broken {
    pub id: i64,
    pub reason: String,
}

/// An audit row as it is chained: every column the hash covers.
struct ChainRow {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    role: Option<String>,
    action: String,
    object_kind: String,
    object_ref: String,
    changes: String,
    reason: Option<String>,
    request_id: Option<String>,
    prev_hash: String,
    hash: String,
}
from_row!(ChainRow {
    id,
    at,
    actor_id,
    role,
    action,
    object_kind,
    object_ref,
    changes,
    reason,
    request_id,
    prev_hash,
    hash
});

/// Recomputes the whole chain. `Ok(n)` with the number of rows checked, or the first broken row.
/// The chain proves rows were not changed or removed in the middle; to detect rows cut from
/// the end, keep the head (see [`head`]) somewhere outside the database.
pub async fn verify(db: &Db) -> Result<std::result::Result<u64, Broken>> {
    let rows: Vec<ChainRow> = sqlx::query_as("SELECT id, at, actor_id, role, action, object_kind, object_ref, changes, reason, request_id, prev_hash, hash FROM audit_log ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for r in rows {
        let e = Event {
            action: &r.action,
            object_kind: &r.object_kind,
            object_ref: r.object_ref,
            changes: serde_json::Value::Null,
            reason: r.reason,
        };
        if r.prev_hash != prev {
            return Ok(Err(Broken {
                id: r.id,
                reason: "its link to the previous row does not match".into(),
            }));
        }
        let computed = digest(
            &prev,
            &r.at,
            r.actor_id,
            r.role.as_deref(),
            &e,
            &r.changes,
            r.request_id.as_deref(),
        );
        if computed != r.hash {
            return Ok(Err(Broken {
                id: r.id,
                reason: "its content does not match its hash".into(),
            }));
        }
        prev = r.hash;
        n += 1;
    }
    Ok(Ok(n))
}

/// An audit row as officers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_ref: String,
    pub changes: serde_json::Value,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub hash: String,
}

struct AuditListRow {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    actor_email: Option<String>,
    role: Option<String>,
    action: String,
    object_kind: String,
    object_ref: String,
    changes: String,
    reason: Option<String>,
    request_id: Option<String>,
    hash: String,
}
from_row!(AuditListRow {
    id,
    at,
    actor_id,
    actor_email,
    role,
    action,
    object_kind,
    object_ref,
    changes,
    reason,
    request_id,
    hash
});

impl TryFrom<AuditListRow> for AuditRow {
    type Error = StoreError;

    /// The changes were written as JSON: a row whose changes do not parse is refused.
    fn try_from(r: AuditListRow) -> Result<Self> {
        let changes = serde_json::from_str(&r.changes)
            .map_err(|e| StoreError::Data(format!("audit row {}: stored changes: {e}", r.id)))?;
        Ok(AuditRow {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_email: r.actor_email,
            role: r.role,
            action: r.action,
            object_kind: r.object_kind,
            object_ref: r.object_ref,
            changes,
            reason: r.reason,
            request_id: r.request_id,
            hash: r.hash,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub object_kind: Option<String>,
    pub object_ref: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    /// Inclusive bounds on the UTC time, `YYYY-MM-DD` or full timestamps.
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn list(db: &Db, f: &Filter, page: Page) -> Result<Paged<AuditRow>> {
    let mut conds = vec!["1 = 1".to_string()];
    let mut binds: Vec<String> = Vec::new();
    let mut push = |cond: &str, v: String| {
        binds.push(v);
        conds.push(format!("{cond} ${}", binds.len()));
    };
    if let Some(k) = &f.object_kind {
        push("a.object_kind =", k.clone());
    }
    if let Some(r) = &f.object_ref {
        push("a.object_ref =", r.clone());
    }
    if let Some(a) = &f.action {
        push("a.action =", a.clone());
    }
    if let Some(from) = &f.from {
        push("a.at >=", from.clone());
    }
    if let Some(to) = &f.to {
        // A bare date includes the whole day.
        let to = if to.len() == 10 {
            format!("{to}T23:59:59Z")
        } else {
            to.clone()
        };
        push("a.at <=", to);
    }
    if let Some(actor) = f.actor_id {
        push("CAST(a.actor_id AS TEXT) =", actor.to_string());
    }
    let where_sql = conds.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log a WHERE {where_sql}");
    let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let total = q.fetch_one(&db.pool).await?;
    let list_sql = format!(
        "SELECT a.id, a.at, a.actor_id, p.actor_email, a.role, a.action, a.object_kind, a.object_ref, \
           a.changes, a.reason, a.request_id, a.hash \
         FROM audit_log a LEFT JOIN audit_personal p ON p.audit_id = a.id \
         WHERE {where_sql} ORDER BY a.id DESC LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let mut q = sqlx::query_as::<_, AuditListRow>(&list_sql);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let items = q
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(AuditRow::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged { items, total })
}

/// `{"field": {"before": b, "after": a}}` for the fields that differ.
pub fn diff(fields: &[(&str, serde_json::Value, serde_json::Value)]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (name, before, after) in fields {
        if before != after {
            m.insert(
                name.to_string(),
                serde_json::json!({"before": before, "after": after}),
            );
        }
    }
    serde_json::Value::Object(m)
}

impl From<Broken> for StoreError {
    fn from(b: Broken) -> Self {
        StoreError::Data(b.to_string())
    }
}

/// The id and hash of the last row, to record outside the database (anchoring).
pub async fn head(db: &Db) -> Result<Option<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&db.pool)
            .await?,
    )
}

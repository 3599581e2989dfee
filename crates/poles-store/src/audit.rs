//! The audit trail: append-only, one row per business event, each row signed with a key kept
//! outside the database (HMAC-SHA256, see [`crate::keyring`]) over its id, its content and
//! the previous row's hash. Writes take one lock first (see [`begin_write`]), so the chain has
//! a single order on both backends. Personal data (e-mail, address) is kept beside the chain,
//! not in it, so that erasure can remove it without breaking the chain.
//!
//! Rows written before the chain had a key (no `key_id`) were hashed with plain SHA-256 and
//! without their id; they still verify by that rule, and are reported as such, as long as
//! they all come before the first keyed row.

use crate::error::{Result, StoreError};
use crate::keyring::Keyring;
use crate::util::{from_row, now_utc, sha256_hex};
use crate::{Backend, Db};
use poles_core::auth::Role;
use poles_core::model::Paged;
use poles_core::Page;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};
use utoipa::ToSchema;

/// Key of the PostgreSQL advisory lock that serialises audited writes.
const WRITE_LOCK: i64 = 7_263_002;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Names the rule of keyed rows in what they sign, so that no text of the unkeyed rule can
/// pass for one.
const KEYED_RULE: &str = "poles-audit-hmac-sha256-v1";

/// Who is acting and from where, carried from the request to the audit row.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub role: Option<Role>,
    /// The server's id of the request.
    pub request_id: Option<String>,
    /// The id the client sent (`X-Request-Id`), kept apart: at most 64 visible characters.
    pub client_request_id: Option<String>,
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

/// An audited write's transaction: it holds the write lock and the keys that sign the rows
/// it appends. Queries run on it as on a transaction (`&mut *tx`); it ends with
/// [`WriteTx::commit`] (or is rolled back when dropped).
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    keys: Option<Keyring>,
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    /// The transaction itself, for code shared with unaudited transactions (imports).
    pub fn transaction(&mut self) -> &mut Transaction<'static, Any> {
        &mut self.tx
    }
}

/// Starts a transaction that holds the write lock: audited writes run one at a time, which
/// gives the chain one order and makes a lost update impossible.
pub async fn begin_write(db: &Db) -> Result<WriteTx> {
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
    // What the public pages show may change: servers drop what they keep of it.
    crate::version::bump(&mut tx).await?;
    Ok(WriteTx {
        tx,
        keys: db.audit_keys().cloned(),
    })
}

/// Length-prefixed fields, absent distinct from empty, so that no two different rows give
/// the same text.
fn canonical(fields: &[Option<&str>]) -> String {
    fields
        .iter()
        .map(|f| match f {
            Some(v) => format!("{}:{v}\n", v.len()),
            None => "~\n".to_string(),
        })
        .collect()
}

/// An audit row as it is chained: every column its hash covers.
struct ChainRow {
    id: i64,
    key_id: Option<String>,
    at: String,
    actor_id: Option<i64>,
    role: Option<String>,
    action: String,
    object_kind: String,
    object_ref: String,
    changes: String,
    reason: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
    prev_hash: String,
    hash: String,
}
from_row!(ChainRow {
    id,
    key_id,
    at,
    actor_id,
    role,
    action,
    object_kind,
    object_ref,
    changes,
    reason,
    request_id,
    client_request_id,
    prev_hash,
    hash
});

impl ChainRow {
    /// What a keyed row signs: the rule's name, its id and key id, the previous row's hash
    /// and its content.
    fn keyed_text(&self, key_id: &str) -> String {
        let id = self.id.to_string();
        let actor = self.actor_id.map(|a| a.to_string());
        canonical(&[
            Some(KEYED_RULE),
            Some(&id),
            Some(key_id),
            Some(&self.prev_hash),
            Some(&self.at),
            actor.as_deref(),
            self.role.as_deref(),
            Some(&self.action),
            Some(&self.object_kind),
            Some(&self.object_ref),
            Some(&self.changes),
            self.reason.as_deref(),
            self.request_id.as_deref(),
            self.client_request_id.as_deref(),
        ])
    }

    /// The hash of a row chained before keys: SHA-256, without the id.
    fn unkeyed_hash(&self) -> String {
        let actor = self.actor_id.map(|a| a.to_string());
        sha256_hex(&canonical(&[
            Some(&self.prev_hash),
            Some(&self.at),
            actor.as_deref(),
            self.role.as_deref(),
            Some(&self.action),
            Some(&self.object_kind),
            Some(&self.object_ref),
            Some(&self.changes),
            self.reason.as_deref(),
            self.request_id.as_deref(),
        ]))
    }
}

/// Appends an event inside a transaction opened with [`begin_write`], signed with the
/// current key. Its id follows the last row's: the id is part of what is signed.
pub async fn append(tx: &mut WriteTx, ctx: &Context, e: Event<'_>) -> Result<i64> {
    let keys = tx.keys.clone().ok_or_else(|| {
        StoreError::Key("no audit key is configured, so the audit trail cannot be written".into())
    })?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (id, prev_hash) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let key_id = keys.current().to_string();
    let mut row = ChainRow {
        id,
        key_id: Some(key_id.clone()),
        at: now_utc(),
        actor_id: ctx.actor_id,
        role: ctx.role.map(|r| r.as_str().to_string()),
        action: e.action.to_string(),
        object_kind: e.object_kind.to_string(),
        object_ref: e.object_ref,
        changes: e.changes.to_string(),
        reason: e.reason,
        request_id: ctx.request_id.clone(),
        client_request_id: ctx.client_request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = keys
        .sign(&key_id, &row.keyed_text(&key_id))
        .ok_or_else(|| StoreError::Key(format!("key {key_id} cannot sign")))?;
    sqlx::query(
        "INSERT INTO audit_log (id, key_id, at, actor_id, role, action, object_kind, object_ref, changes, reason, request_id, client_request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(row.id)
    .bind(row.key_id)
    .bind(row.at)
    .bind(row.actor_id)
    .bind(row.role)
    .bind(row.action)
    .bind(row.object_kind)
    .bind(row.object_ref)
    .bind(row.changes)
    .bind(row.reason)
    .bind(row.request_id)
    .bind(row.client_request_id)
    .bind(row.prev_hash)
    .bind(row.hash)
    .execute(&mut **tx)
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

/// The last row of the trail, `ID:HASH`: kept outside the database, it shows rows cut from
/// the end, which the chain alone cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub id: i64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Head, String> {
        let (id, hash) = s
            .trim()
            .split_once(':')
            .ok_or("a head is written ID:HASH")?;
        let id = id.parse().map_err(|_| format!("{id:?} is not a row id"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the hash is 64 hexadecimal digits".into());
        }
        Ok(Head {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// What [`verify_trail`] found in a whole trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Rows chained before the chain had a key (plain SHA-256): anyone with write access to
    /// the database could have rewritten them together; only a head kept elsewhere, or a
    /// keyed row after them, vouches for them.
    pub unkeyed: u64,
    /// The id of the last unkeyed row.
    pub unkeyed_to: Option<i64>,
    /// Rows signed with a key, and the keys' ids in the order they first signed.
    pub keyed: u64,
    pub key_ids: Vec<String>,
    pub head: Option<Head>,
}

impl Verified {
    pub fn rows(&self) -> u64 {
        self.unkeyed + self.keyed
    }
}

/// Recomputes the whole chain with the database's keys: `Ok(n)` with the number of rows
/// checked, or the first broken row. See [`verify_trail`].
pub async fn verify(db: &Db) -> Result<std::result::Result<u64, Broken>> {
    Ok(verify_trail(db, None).await?.map(|v| v.rows()))
}

/// Recomputes the whole chain: each row's link to the previous row, its signature with the
/// key it names (or, for rows before the chain had a key, its plain hash), and, when `expect`
/// is the head recorded earlier outside the database, that this row is still there unchanged
/// (rows cut from the end are found only so).
pub async fn verify_trail(
    db: &Db,
    expect: Option<&Head>,
) -> Result<std::result::Result<Verified, Broken>> {
    let rows: Vec<ChainRow> = sqlx::query_as(
        "SELECT id, key_id, at, actor_id, role, action, object_kind, object_ref, changes, reason, \
           request_id, client_request_id, prev_hash, hash FROM audit_log ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    let keys = db.audit_keys();
    let broken = |id: i64, reason: String| Ok(Err(Broken { id, reason }));
    let mut prev: Option<&ChainRow> = None;
    let mut v = Verified::default();
    for r in &rows {
        let prev_hash = prev.map(|p| p.hash.as_str()).unwrap_or(GENESIS);
        if r.prev_hash != prev_hash {
            return broken(r.id, "its link to the previous row does not match".into());
        }
        match &r.key_id {
            None => {
                if v.keyed > 0 {
                    return broken(
                        r.id,
                        "it has no key, but follows a keyed row: rows are never written so".into(),
                    );
                }
                if r.client_request_id.is_some() || r.unkeyed_hash() != r.hash {
                    return broken(r.id, "its content does not match its hash".into());
                }
                v.unkeyed += 1;
                v.unkeyed_to = Some(r.id);
            }
            Some(key_id) => {
                if let Some(p) = prev.filter(|p| p.key_id.is_some() && r.id != p.id + 1) {
                    return broken(
                        r.id,
                        format!("its id does not follow the previous row's ({})", p.id),
                    );
                }
                let Some(mac) = keys.and_then(|k| k.sign(key_id, &r.keyed_text(key_id))) else {
                    return broken(
                        r.id,
                        format!(
                            "it is signed with the audit key {key_id:?}, which is not configured"
                        ),
                    );
                };
                if mac != r.hash {
                    return broken(
                        r.id,
                        "its content, id or link does not match its signature".into(),
                    );
                }
                if !v.key_ids.contains(key_id) {
                    v.key_ids.push(key_id.clone());
                }
                v.keyed += 1;
            }
        }
        prev = Some(r);
    }
    v.head = prev.map(|p| Head {
        id: p.id,
        hash: p.hash.clone(),
    });
    if let Some(expect) = expect {
        match rows.iter().find(|r| r.id == expect.id) {
            Some(r) if r.hash == expect.hash => {}
            Some(r) => {
                return broken(
                    r.id,
                    format!(
                        "its hash is {}, not {} as the head kept outside the database says",
                        r.hash, expect.hash
                    ),
                )
            }
            None => {
                let end = v
                    .head
                    .as_ref()
                    .map_or("the trail is empty".to_string(), |h| {
                        format!("the trail ends at row {}", h.id)
                    });
                return broken(
                    expect.id,
                    format!(
                        "rows were cut from the end: the head kept outside the database is row {}, {end}",
                        expect.id
                    ),
                );
            }
        }
    }
    Ok(Ok(v))
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
    /// The server's id of the request that caused the event.
    pub request_id: Option<String>,
    /// The id the client sent, if it was at most 64 visible ASCII characters.
    pub client_request_id: Option<String>,
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
    client_request_id: Option<String>,
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
    client_request_id,
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
            client_request_id: r.client_request_id,
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
           a.changes, a.reason, a.request_id, a.client_request_id, a.hash \
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

/// The last row's id and hash, to record outside the database (anchoring): see [`Head`].
pub async fn head(db: &Db) -> Result<Option<Head>> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&db.pool)
            .await?;
    Ok(last.map(|(id, hash)| Head { id, hash }))
}

/// The ids of the keys that signed rows of the trail.
pub async fn key_ids_in_use(db: &Db) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT key_id FROM audit_log WHERE key_id IS NOT NULL ORDER BY key_id",
    )
    .fetch_all(&db.pool)
    .await?)
}
